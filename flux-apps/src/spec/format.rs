//! From raw JSON to a typed spec the way FluxOS does it: `specificationFormatter`
//! (`S/utils/appUtilities.js:291-768`) coerces types and drops unknown keys, then
//! `verifyTypeCorrectnessOfApp` (`S/appRequirements/appValidator.js:31-552`) checks the types of
//! what came out. Both stages are folded into [`format`]; FluxOS stops at its first error, this
//! keeps going where the spec can still be built and reports every problem it finds.

use super::error::{ArrayField, ComponentField, SpecError};
use super::js::{JsValue, ensure_array, ensure_boolean, ensure_string, to_number};
use super::types::{
    AppSpec, AppSpecV1, AppSpecV2, AppSpecV3, AppSpecV4, AppSpecV5, AppSpecV6, AppSpecV7,
    AppSpecV8, ComponentV4, ComponentV7, ComponentV8, Enterprise, Tiers, Version,
};

/// The outcome of formatting: the typed spec when one could be built, and every violation met on
/// the way (formatter-stage ones first, then type-stage ones, in FluxOS's order).
#[derive(Debug, Clone, PartialEq)]
pub struct Formatted {
    /// The spec in canonical form, if the input had a usable shape.
    pub spec: Option<AppSpec>,
    /// Violations found while formatting and type-checking.
    pub violations: Vec<SpecError>,
}

/// A stage error that stops formatting (FluxOS throws and nothing can be built).
struct Fatal(SpecError);

const TIER_KEYS: [&str; 9] = [
    "cpubasic", "cpusuper", "cpubamf", "rambasic", "ramsuper", "rambamf", "hddbasic", "hddsuper",
    "hddbamf",
];

fn truthy(v: Option<&JsValue>) -> bool {
    v.is_some_and(JsValue::is_truthy)
}

fn strings(items: &[JsValue]) -> Vec<String> {
    items
        .iter()
        .map(|item| ensure_string(Some(item)).unwrap_or_default())
        .collect()
}

fn string_array(obj: &JsValue, key: &str, field: ArrayField) -> Result<Vec<String>, Fatal> {
    ensure_array(obj.get(key))
        .map(|items| strings(&items))
        .ok_or(Fatal(SpecError::FieldNotArray { field }))
}

fn tiers(obj: &JsValue, missing: SpecError) -> Result<Tiers, Fatal> {
    if !TIER_KEYS.iter().all(|k| truthy(obj.get(k))) {
        return Err(Fatal(missing));
    }
    let n = |k: &str| to_number(obj.get(k));
    Ok(Tiers {
        cpubasic: n("cpubasic"),
        cpusuper: n("cpusuper"),
        cpubamf: n("cpubamf"),
        rambasic: n("rambasic"),
        ramsuper: n("ramsuper"),
        rambamf: n("rambamf"),
        hddbasic: n("hddbasic"),
        hddsuper: n("hddsuper"),
        hddbamf: n("hddbamf"),
    })
}

fn is_integer(n: f64) -> bool {
    n.is_finite() && n.fract() == 0.0
}

/// Formats and type-checks raw spec JSON as FluxOS does.
pub fn format(raw: &JsValue) -> Formatted {
    let mut fmt_errors = Vec::new();
    let mut type_errors = Vec::new();
    match format_inner(raw, &mut fmt_errors, &mut type_errors) {
        Ok(spec) => {
            fmt_errors.extend(type_errors);
            Formatted {
                spec: Some(spec),
                violations: fmt_errors,
            }
        }
        Err(Fatal(error)) => {
            fmt_errors.push(error);
            Formatted {
                spec: None,
                violations: fmt_errors,
            }
        }
    }
}

/// The common top-level header after `version`: name, description, owner.
struct Header {
    name: String,
    description: String,
    owner: String,
}

fn format_inner(
    raw: &JsValue,
    fmt_errors: &mut Vec<SpecError>,
    type_errors: &mut Vec<SpecError>,
) -> Result<AppSpec, Fatal> {
    if !matches!(raw, JsValue::Object(_)) {
        return Err(Fatal(SpecError::NotAnObject));
    }
    if !truthy(raw.get("version")) {
        return Err(Fatal(SpecError::VersionMissing));
    }
    let version = to_number(raw.get("version"));
    if version.is_nan() {
        return Err(Fatal(SpecError::VersionMissing));
    }
    if !(truthy(raw.get("name")) && truthy(raw.get("description")) && truthy(raw.get("owner"))) {
        return Err(Fatal(SpecError::CommonFieldsMissing));
    }
    let header = Header {
        name: ensure_string(raw.get("name")).unwrap_or_default(),
        description: ensure_string(raw.get("description")).unwrap_or_default(),
        owner: ensure_string(raw.get("owner")).unwrap_or_default(),
    };
    if !is_integer(version) || !(1.0..=8.0).contains(&version) {
        return Err(Fatal(SpecError::VersionInvalid { version }));
    }
    // In 1..=8 and whole, so the cast is exact.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let version = version as u8;
    match version {
        1 => format_v1(raw, header),
        2 | 3 => format_v2_v3(raw, version, header, fmt_errors),
        _ => format_compose(raw, version, header, fmt_errors, type_errors),
    }
}

fn format_v1(raw: &JsValue, h: Header) -> Result<AppSpec, Fatal> {
    let required = [
        "repotag",
        "port",
        "enviromentParameters",
        "commands",
        "containerPort",
        "containerData",
        "cpu",
        "ram",
        "hdd",
    ];
    if !required.iter().all(|k| truthy(raw.get(k))) {
        return Err(Fatal(SpecError::LegacyFieldsMissing { version: 1 }));
    }
    let port = to_number(raw.get("port"));
    let container_port = to_number(raw.get("containerPort"));
    let env = string_array(
        raw,
        "enviromentParameters",
        ArrayField::EnvironmentParameters,
    )?;
    let commands = string_array(raw, "commands", ArrayField::Commands)?;
    let (cpu, ram, hdd) = (
        to_number(raw.get("cpu")),
        to_number(raw.get("ram")),
        to_number(raw.get("hdd")),
    );
    let tiered = ensure_boolean(raw.get("tiered")).ok_or(Fatal(SpecError::TieredInvalid))?;
    let tiers = if tiered {
        Some(tiers(raw, SpecError::TierFieldsMissing)?)
    } else {
        None
    };
    Ok(AppSpec::V1(AppSpecV1 {
        version: Version,
        name: h.name,
        description: h.description,
        owner: h.owner,
        repotag: ensure_string(raw.get("repotag")).unwrap_or_default(),
        port,
        enviroment_parameters: env,
        commands,
        container_port,
        container_data: ensure_string(raw.get("containerData")).unwrap_or_default(),
        cpu,
        ram,
        hdd,
        tiered,
        tiers,
    }))
}

fn format_v2_v3(
    raw: &JsValue,
    version: u8,
    h: Header,
    fmt_errors: &mut Vec<SpecError>,
) -> Result<AppSpec, Fatal> {
    let required = [
        "repotag",
        "ports",
        "domains",
        "enviromentParameters",
        "commands",
        "containerPorts",
        "containerData",
        "cpu",
        "ram",
        "hdd",
    ];
    if !required.iter().all(|k| truthy(raw.get(k))) {
        return Err(Fatal(SpecError::LegacyFieldsMissing { version }));
    }
    let ports = string_array(raw, "ports", ArrayField::Ports)?;
    let domains = string_array(raw, "domains", ArrayField::Domains)?;
    let env = string_array(
        raw,
        "enviromentParameters",
        ArrayField::EnvironmentParameters,
    )?;
    let commands = string_array(raw, "commands", ArrayField::Commands)?;
    let container_ports = string_array(raw, "containerPorts", ArrayField::ContainerPorts)?;
    let (cpu, ram, hdd) = (
        to_number(raw.get("cpu")),
        to_number(raw.get("ram")),
        to_number(raw.get("hdd")),
    );
    let tiered = ensure_boolean(raw.get("tiered")).ok_or(Fatal(SpecError::TieredInvalid))?;
    let tiers = if tiered {
        Some(tiers(raw, SpecError::TierFieldsMissing)?)
    } else {
        None
    };
    let instances = if version == 3 {
        Some(format_instances(raw, version, fmt_errors)?)
    } else {
        None
    };
    let repotag = ensure_string(raw.get("repotag")).unwrap_or_default();
    let container_data = ensure_string(raw.get("containerData")).unwrap_or_default();
    Ok(match instances {
        None => AppSpec::V2(AppSpecV2 {
            version: Version,
            name: h.name,
            description: h.description,
            owner: h.owner,
            repotag,
            ports,
            domains,
            enviroment_parameters: env,
            commands,
            container_ports,
            container_data,
            cpu,
            ram,
            hdd,
            tiered,
            tiers,
        }),
        Some(instances) => AppSpec::V3(AppSpecV3 {
            version: Version,
            name: h.name,
            description: h.description,
            owner: h.owner,
            repotag,
            ports,
            domains,
            enviroment_parameters: env,
            commands,
            container_ports,
            container_data,
            cpu,
            ram,
            hdd,
            tiered,
            tiers,
            instances,
        }),
    })
}

fn format_instances(
    raw: &JsValue,
    version: u8,
    fmt_errors: &mut Vec<SpecError>,
) -> Result<f64, Fatal> {
    if !truthy(raw.get("instances")) {
        return Err(Fatal(SpecError::InstancesMissing));
    }
    let instances = to_number(raw.get("instances"));
    if !is_integer(instances) {
        return Err(Fatal(SpecError::InstancesNotInteger));
    }
    // The formatter's minimum is not height-gated (the validator's is).
    let min = if version >= 8 {
        super::params::MIN_INSTANCES_V8
    } else {
        super::params::MIN_INSTANCES
    };
    if instances < f64::from(min) {
        fmt_errors.push(SpecError::InstancesBelowMinimum { min });
    }
    if instances > f64::from(super::params::MAX_INSTANCES) {
        fmt_errors.push(SpecError::InstancesAboveMaximum {
            max: super::params::MAX_INSTANCES,
        });
    }
    Ok(instances)
}

/// A component's fields common to v4–v8, before the version-specific parts.
struct ComponentBase {
    name: String,
    description: String,
    repotag: String,
    ports: Vec<f64>,
    domains: Vec<String>,
    env: Vec<String>,
    commands: Vec<String>,
    container_ports: Vec<f64>,
    container_data: String,
    cpu: f64,
    ram: f64,
    hdd: f64,
    tiered: bool,
    tiers: Option<Tiers>,
    repoauth: String,
    secrets: String,
}

fn component_array(
    c: &JsValue,
    key: &str,
    component: &str,
    field: ComponentField,
) -> Result<Vec<JsValue>, Fatal> {
    ensure_array(c.get(key)).ok_or_else(|| {
        Fatal(SpecError::ComponentFieldNotArray {
            component: component.to_owned(),
            field,
        })
    })
}

fn format_component(
    c: &JsValue,
    version: u8,
    type_errors: &mut Vec<SpecError>,
) -> Result<ComponentBase, Fatal> {
    if !matches!(c, JsValue::Object(_)) {
        return Err(Fatal(SpecError::NotAnObject));
    }
    let name = ensure_string(c.get("name"));
    let label = name.clone().unwrap_or_else(|| "undefined".to_owned());
    let description = ensure_string(c.get("description"));
    let repotag = ensure_string(c.get("repotag"));
    let ports: Vec<f64> = component_array(c, "ports", &label, ComponentField::Ports)?
        .iter()
        .map(|p| to_number(Some(p)))
        .collect();
    let domains = strings(&component_array(
        c,
        "domains",
        &label,
        ComponentField::Domains,
    )?);
    let env = strings(&component_array(
        c,
        "environmentParameters",
        &label,
        ComponentField::EnvironmentParameters,
    )?);
    let commands = strings(&component_array(
        c,
        "commands",
        &label,
        ComponentField::Commands,
    )?);
    // FluxOS builds a coerced copy of containerPorts and never uses it: non-numbers stay and fail
    // the type check. They are coerced here so the rest of the spec can still be checked.
    let raw_container_ports =
        component_array(c, "containerPorts", &label, ComponentField::ContainerPorts)?;
    let container_ports_are_numbers = raw_container_ports
        .iter()
        .all(|p| matches!(p, JsValue::Number(_)));
    let container_ports: Vec<f64> = raw_container_ports
        .iter()
        .map(|p| to_number(Some(p)))
        .collect();
    let container_data = ensure_string(c.get("containerData"));
    let (cpu, ram, hdd) = (
        to_number(c.get("cpu")),
        to_number(c.get("ram")),
        to_number(c.get("hdd")),
    );
    let (tiered, tiers) = if version <= 7 {
        let Some(JsValue::Bool(tiered)) = c.get("tiered") else {
            return Err(Fatal(SpecError::TieredInvalid));
        };
        let tiers = if *tiered {
            Some(tiers(
                c,
                SpecError::ComponentTierFieldsMissing {
                    component: label.clone(),
                },
            )?)
        } else {
            None
        };
        (*tiered, tiers)
    } else {
        (false, None)
    };
    let repoauth = if version >= 7 {
        ensure_string(c.get("repoauth"))
    } else {
        Some(String::new())
    };
    let secrets = if version == 7 {
        ensure_string(c.get("secrets"))
    } else {
        Some(String::new())
    };

    // Type checks, in verifyTypeCorrectnessOfApp's order.
    let missing = |field| SpecError::ComponentFieldMissing {
        component: label.clone(),
        field,
    };
    if name.is_none() {
        type_errors.push(missing(ComponentField::Name));
    }
    if description.is_none() {
        type_errors.push(missing(ComponentField::Description));
    }
    if !container_ports_are_numbers {
        type_errors.push(SpecError::ComponentFieldNotArray {
            component: label.clone(),
            field: ComponentField::ContainerPorts,
        });
    }
    if secrets.is_none() {
        type_errors.push(missing(ComponentField::Secrets));
    }
    if repoauth.is_none() {
        type_errors.push(missing(ComponentField::Repoauth));
    }
    // FluxOS reads `.length` of these in the restriction checks and crashes on undefined.
    if repotag.is_none() {
        type_errors.push(missing(ComponentField::Repotag));
    }
    if container_data.is_none() {
        type_errors.push(missing(ComponentField::ContainerData));
    }
    Ok(ComponentBase {
        name: name.unwrap_or_default(),
        description: description.unwrap_or_default(),
        repotag: repotag.unwrap_or_default(),
        ports,
        domains,
        env,
        commands,
        container_ports,
        container_data: container_data.unwrap_or_default(),
        cpu,
        ram,
        hdd,
        tiered,
        tiers,
        repoauth: repoauth.unwrap_or_default(),
        secrets: secrets.unwrap_or_default(),
    })
}

impl ComponentBase {
    fn v4(self) -> ComponentV4 {
        ComponentV4 {
            name: self.name,
            description: self.description,
            repotag: self.repotag,
            ports: self.ports,
            domains: self.domains,
            environment_parameters: self.env,
            commands: self.commands,
            container_ports: self.container_ports,
            container_data: self.container_data,
            cpu: self.cpu,
            ram: self.ram,
            hdd: self.hdd,
            tiered: self.tiered,
            tiers: self.tiers,
        }
    }

    fn v7(self) -> ComponentV7 {
        ComponentV7 {
            name: self.name,
            description: self.description,
            repotag: self.repotag,
            ports: self.ports,
            domains: self.domains,
            environment_parameters: self.env,
            commands: self.commands,
            container_ports: self.container_ports,
            container_data: self.container_data,
            cpu: self.cpu,
            ram: self.ram,
            hdd: self.hdd,
            tiered: self.tiered,
            tiers: self.tiers,
            repoauth: self.repoauth,
            secrets: self.secrets,
        }
    }

    fn v8(self) -> ComponentV8 {
        ComponentV8 {
            name: self.name,
            description: self.description,
            repotag: self.repotag,
            ports: self.ports,
            domains: self.domains,
            environment_parameters: self.env,
            commands: self.commands,
            container_ports: self.container_ports,
            container_data: self.container_data,
            cpu: self.cpu,
            ram: self.ram,
            hdd: self.hdd,
            repoauth: self.repoauth,
        }
    }
}

fn format_compose(
    raw: &JsValue,
    version: u8,
    h: Header,
    fmt_errors: &mut Vec<SpecError>,
    type_errors: &mut Vec<SpecError>,
) -> Result<AppSpec, Fatal> {
    if !truthy(raw.get("compose")) {
        return Err(Fatal(SpecError::ComposeMissing));
    }
    let compose = ensure_array(raw.get("compose")).ok_or(Fatal(SpecError::ComposeNotArray))?;
    // v8 type checks of `enterprise` and `nodes` run before the component checks.
    let mut v8_errors = Vec::new();
    let mut component_errors = Vec::new();
    let mut components = Vec::with_capacity(compose.len());
    for c in &compose {
        components.push(format_component(c, version, &mut component_errors)?);
    }
    let instances = format_instances(raw, version, fmt_errors)?;
    let (contacts, geolocation) = if version >= 5 {
        if !(truthy(raw.get("contacts")) && truthy(raw.get("geolocation"))) {
            return Err(Fatal(SpecError::ContactsOrGeolocationMissing));
        }
        (
            string_array(raw, "contacts", ArrayField::Contacts)?,
            string_array(raw, "geolocation", ArrayField::Geolocation)?,
        )
    } else {
        (Vec::new(), Vec::new())
    };
    let expire = if version >= 6 {
        if !truthy(raw.get("expire")) {
            return Err(Fatal(SpecError::ExpireMissing));
        }
        let expire = to_number(raw.get("expire"));
        if !is_integer(expire) {
            return Err(Fatal(SpecError::ExpireNotInteger));
        }
        expire
    } else {
        0.0
    };
    let (nodes, staticip) = if version >= 7 {
        if !truthy(raw.get("nodes")) {
            return Err(Fatal(SpecError::NodesMissing));
        }
        let nodes = string_array(raw, "nodes", ArrayField::Nodes)?;
        let staticip =
            ensure_boolean(raw.get("staticip")).ok_or(Fatal(SpecError::StaticIpInvalid))?;
        (nodes, staticip)
    } else {
        (Vec::new(), false)
    };
    let mut enterprise = Enterprise::default();
    let mut datacenter = None;
    if version == 8 {
        datacenter = raw.get("datacenter").and_then(|d| ensure_boolean(Some(d)));
        enterprise = match raw.get("enterprise") {
            None | Some(JsValue::Null) => {
                v8_errors.push(SpecError::EnterpriseMissing);
                Enterprise::default()
            }
            Some(v) if v.is_truthy() => {
                Enterprise::Text(ensure_string(Some(v)).unwrap_or_default())
            }
            Some(JsValue::Bool(b)) => Enterprise::Bool(*b),
            Some(JsValue::Number(n)) => Enterprise::Number(*n),
            Some(_) => Enterprise::Text(String::new()),
        };
    }
    type_errors.extend(v8_errors);
    type_errors.extend(component_errors);

    let (name, description, owner) = (h.name, h.description, h.owner);
    let v4 = |components: Vec<ComponentBase>| -> Vec<ComponentV4> {
        components.into_iter().map(ComponentBase::v4).collect()
    };
    Ok(match version {
        4 => AppSpec::V4(AppSpecV4 {
            version: Version,
            name,
            description,
            owner,
            compose: v4(components),
            instances,
        }),
        5 => AppSpec::V5(AppSpecV5 {
            version: Version,
            name,
            description,
            owner,
            compose: v4(components),
            instances,
            contacts,
            geolocation,
        }),
        6 => AppSpec::V6(AppSpecV6 {
            version: Version,
            name,
            description,
            owner,
            compose: v4(components),
            instances,
            contacts,
            geolocation,
            expire,
        }),
        7 => AppSpec::V7(AppSpecV7 {
            version: Version,
            name,
            description,
            owner,
            compose: components.into_iter().map(ComponentBase::v7).collect(),
            instances,
            contacts,
            geolocation,
            expire,
            nodes,
            staticip,
        }),
        _ => AppSpec::V8(AppSpecV8 {
            version: Version,
            name,
            description,
            owner,
            compose: components.into_iter().map(ComponentBase::v8).collect(),
            instances,
            contacts,
            geolocation,
            expire,
            nodes,
            staticip,
            datacenter,
            enterprise,
        }),
    })
}
