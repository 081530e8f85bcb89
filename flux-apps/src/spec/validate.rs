//! Validation: FluxOS's `verifyAppSpecifications` (`S/appRequirements/appValidator.js:1223-1338`)
//! without the Docker registry step, plus the strict rules FluxOS lacks.
//!
//! FluxOS throws at its first error; [`validate`] reports every violated rule, in FluxOS's order,
//! so the first entry is the error a FluxOS node would give.

use flux_tx::{BlockHeight, Tier};

use super::error::{Resource, Scope, SpecError};
use super::geolocation::GeoRule;
use super::js::{JsValue, is_decimal_limit, is_decimal_limit_str, js_len, number_to_string};
use super::mount::ContainerData;
use super::params::{self, STRATUS, TierLimits};
use super::types::{AppSpec, Tiers};

/// How strictly to validate.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ValidationOptions {
    /// Also reject what FluxOS wrongly lets through (unknown keys, coerced strings, per-component
    /// resources off-step or negative, garbage geolocation, bad mount syntax, bad repotags).
    pub strict: bool,
    /// Owners allowed to set `datacenter: true` (FluxOS's `helpers/enterprisenodes.json`,
    /// re-synced from GitHub; empty by default).
    pub enterprise_owners: Vec<String>,
}

impl ValidationOptions {
    /// FluxOS's own verdicts.
    pub fn fluxos() -> ValidationOptions {
        ValidationOptions::default()
    }

    /// FluxOS's rules plus the strict ones.
    pub fn strict() -> ValidationOptions {
        ValidationOptions {
            strict: true,
            ..ValidationOptions::default()
        }
    }

    /// Sets the enterprise owner list.
    #[must_use]
    pub fn with_enterprise_owners(mut self, owners: Vec<String>) -> ValidationOptions {
        self.enterprise_owners = owners;
        self
    }
}

fn num(x: f64) -> String {
    number_to_string(x)
}

fn is_integer(n: f64) -> bool {
    n.is_finite() && n.fract() == 0.0
}

fn tier_values(t: &Tiers) -> [f64; 9] {
    [
        t.cpubasic, t.cpusuper, t.cpubamf, t.rambasic, t.ramsuper, t.rambamf, t.hddbasic,
        t.hddsuper, t.hddbamf,
    ]
}

/// Validates a typed spec at a block height. Returns every violation (empty when valid).
pub fn validate(
    spec: &AppSpec,
    height: BlockHeight,
    options: &ValidationOptions,
) -> Vec<SpecError> {
    let mut out = Vec::new();
    type_checks(spec, options, &mut out);
    restriction_checks(spec, height, &mut out);
    let version = spec.version();
    let active_from = params::VERSION_ACTIVATION_HEIGHTS[usize::from(version - 1)];
    if height < active_from {
        out.push(SpecError::VersionNotYetActive {
            version,
            active_from,
        });
    }
    unique_ports(spec, &mut out);
    hardware_checks(spec, &mut out);
    if options.strict {
        strict_typed_checks(spec, &mut out);
    }
    out
}

/// Appends `extra` to `out`, skipping violations `out` already holds.
fn merge(out: &mut Vec<SpecError>, extra: Vec<SpecError>) {
    for e in extra {
        if !out.contains(&e) {
            out.push(e);
        }
    }
}

/// Formats raw spec JSON as FluxOS does and validates it. Returns the spec when one could be
/// built and every violation found (formatting first, in FluxOS's order).
pub fn validate_value(
    raw: &JsValue,
    height: BlockHeight,
    options: &ValidationOptions,
) -> (Option<AppSpec>, Vec<SpecError>) {
    let formatted = super::format::format(raw);
    let mut violations = formatted.violations;
    if let Some(spec) = &formatted.spec {
        merge(&mut violations, validate(spec, height, options));
        if options.strict {
            merge(&mut violations, strict_raw_checks(raw, spec.version()));
        }
    }
    (formatted.spec, violations)
}

fn type_checks(spec: &AppSpec, options: &ValidationOptions, out: &mut Vec<SpecError>) {
    let version = spec.version();
    match spec {
        AppSpec::V1(s) => {
            if !is_decimal_limit(s.port, 0) {
                out.push(SpecError::PortDecimals);
            }
            if !is_decimal_limit(s.container_port, 0) {
                out.push(SpecError::ContainerPortDecimals { version });
            }
        }
        AppSpec::V2(_) | AppSpec::V3(_) => {
            let (ports, container_ports) = match spec {
                AppSpec::V2(s) => (&s.ports, &s.container_ports),
                AppSpec::V3(s) => (&s.ports, &s.container_ports),
                _ => return,
            };
            if !ports.iter().all(|p| is_decimal_limit_str(p, 0)) {
                out.push(SpecError::PortDecimals);
            }
            if !container_ports.iter().all(|p| is_decimal_limit_str(p, 0)) {
                out.push(SpecError::ContainerPortDecimals { version });
            }
        }
        AppSpec::V8(s) if !s.enterprise.is_set() && !s.nodes.is_empty() => {
            out.push(SpecError::NodesWithoutEnterprise);
        }
        _ => {}
    }
    // Per-container hardware decimals; compose port decimals.
    let components = spec.components();
    for component in &components {
        if let Some((ports, container_ports)) = component.compose_ports {
            if !ports.iter().all(|p| is_decimal_limit(*p, 0)) {
                out.push(SpecError::ComponentPortDecimals {
                    component: component.name.to_owned(),
                });
            }
            if !container_ports.iter().all(|p| is_decimal_limit(*p, 0)) {
                out.push(SpecError::ComponentContainerPortDecimals {
                    component: component.name.to_owned(),
                });
            }
        }
        if ![component.cpu, component.ram, component.hdd]
            .iter()
            .all(|v| is_decimal_limit(*v, 8))
        {
            out.push(SpecError::HardwareDecimals);
        }
        if component
            .tiers
            .is_some_and(|t| !tier_values(t).iter().all(|v| is_decimal_limit(*v, 8)))
        {
            out.push(SpecError::TierHardwareInvalid);
        }
    }
    if let Some(instances) = spec.instances()
        && !is_integer(instances)
    {
        out.push(SpecError::InstancesNotInteger);
    }
    if let Some(expire) = spec.expire()
        && !is_integer(expire)
    {
        out.push(SpecError::ExpireNotInteger);
    }
    if let AppSpec::V8(s) = spec
        && s.datacenter == Some(true)
        && !options.enterprise_owners.contains(&s.owner)
    {
        out.push(SpecError::DatacenterNotEnterpriseOwner);
    }
}

fn name_checks(spec: &AppSpec, out: &mut Vec<SpecError>) {
    let version = spec.version();
    let name = spec.name();
    let max = if version >= 8 { 63 } else { 32 };
    if js_len(name) > max {
        out.push(SpecError::NameTooLong { max });
    }
    if name.is_empty() {
        out.push(SpecError::NameEmpty);
    }
    let valid_chars = if version >= 8 {
        let bytes = name.as_bytes();
        !name.is_empty()
            && bytes
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || *b == b'-')
            && bytes.first() != Some(&b'-')
            && bytes.last() != Some(&b'-')
    } else {
        !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric())
    };
    if !valid_chars {
        out.push(SpecError::NameInvalidCharacters {
            hyphens_allowed: version >= 8,
        });
    }
    if name.starts_with("zel") {
        out.push(SpecError::NameStartsWithZel);
    }
    if name.to_lowercase() == "watchtower" {
        out.push(SpecError::NameReserved);
    }
    if name.starts_with("flux") {
        out.push(SpecError::NameStartsWithFlux);
    }
    if js_len(spec.description()) > 256 {
        out.push(SpecError::DescriptionTooLong);
    }
}

/// Range and ban checks of public ports, given as (printed form, numeric value).
fn port_checks(ports: &[(String, f64)], height: BlockHeight, out: &mut Vec<SpecError>) {
    let (min, max) = params::port_range(height);
    for (printed, port) in ports {
        if *port < f64::from(min) || *port > f64::from(max) {
            out.push(SpecError::PortOutOfRange {
                port: printed.clone(),
                min,
                max,
            });
        }
        if params::is_port_banned(*port) {
            out.push(SpecError::PortBanned {
                port: printed.clone(),
            });
        }
    }
}

fn container_port_checks(
    ports: &[(String, f64)],
    component: Option<&str>,
    out: &mut Vec<SpecError>,
) {
    for (printed, port) in ports {
        if *port < 0.0 || *port > 65_535.0 {
            out.push(SpecError::ContainerPortOutOfRange {
                port: printed.clone(),
                component: component.map(str::to_owned),
            });
        }
    }
}

fn list_checks(scope: &Scope, env: &[String], commands: &[String], out: &mut Vec<SpecError>) {
    if env.len() > 20 {
        out.push(SpecError::TooManyEnvironmentParameters {
            scope: scope.clone(),
        });
    }
    for value in env.iter().filter(|e| js_len(e) > 400) {
        out.push(SpecError::EnvironmentParameterTooLong {
            scope: scope.clone(),
            value: value.clone(),
        });
    }
    if commands.len() > 20 {
        out.push(SpecError::TooManyCommands {
            scope: scope.clone(),
        });
    }
    for value in commands.iter().filter(|c| js_len(c) > 400) {
        out.push(SpecError::CommandTooLong {
            scope: scope.clone(),
            value: value.clone(),
        });
    }
}

fn legacy_checks(spec: &AppSpec, height: BlockHeight, out: &mut Vec<SpecError>) {
    let name = spec.name().to_owned();
    let (repotag, container_data, env, commands) = match spec {
        AppSpec::V1(s) => {
            port_checks(&[(num(s.port), s.port)], height, out);
            container_port_checks(&[(num(s.container_port), s.container_port)], None, out);
            (
                &s.repotag,
                &s.container_data,
                &s.enviroment_parameters,
                &s.commands,
            )
        }
        AppSpec::V2(_) | AppSpec::V3(_) => {
            let (ports, container_ports, domains, repotag, data, env, commands) = match spec {
                AppSpec::V2(s) => (
                    &s.ports,
                    &s.container_ports,
                    &s.domains,
                    &s.repotag,
                    &s.container_data,
                    &s.enviroment_parameters,
                    &s.commands,
                ),
                AppSpec::V3(s) => (
                    &s.ports,
                    &s.container_ports,
                    &s.domains,
                    &s.repotag,
                    &s.container_data,
                    &s.enviroment_parameters,
                    &s.commands,
                ),
                _ => return,
            };
            let numbered = |list: &[String]| -> Vec<(String, f64)> {
                list.iter()
                    .map(|p| (p.clone(), super::js::string_to_number(p)))
                    .collect()
            };
            port_checks(&numbered(ports), height, out);
            container_port_checks(&numbered(container_ports), None, out);
            if container_ports.len() != ports.len() {
                out.push(SpecError::PortsCountMismatch { component: None });
            }
            if domains.len() != ports.len() {
                out.push(SpecError::DomainsCountMismatch { component: None });
            }
            if ports.len() > 5 {
                out.push(SpecError::TooManyPorts { component: None });
            }
            for domain in domains.iter().filter(|d| js_len(d) > 253) {
                out.push(SpecError::DomainTooLong {
                    scope: Scope::App(name.clone()),
                    domain: domain.clone(),
                });
            }
            (repotag, data, env, commands)
        }
        _ => return,
    };
    if js_len(container_data) < 2 {
        out.push(SpecError::ContainerDataTooShort { component: None });
    }
    if js_len(container_data) > 200 {
        out.push(SpecError::ContainerDataTooLong { component: None });
    }
    if js_len(repotag) > 200 {
        out.push(SpecError::RepotagTooLong { component: None });
    }
    list_checks(&Scope::App(name), env, commands, out);
}

/// The per-component fields the compose restriction checks read.
struct ComposeEntry<'a> {
    name: &'a str,
    description: &'a str,
    repotag: &'a str,
    ports: &'a [f64],
    domains: &'a [String],
    env: &'a [String],
    commands: &'a [String],
    container_ports: &'a [f64],
    container_data: &'a str,
    secrets: Option<&'a str>,
    repoauth: Option<&'a str>,
}

macro_rules! entries {
    ($compose:expr, $c:ident => $secrets:expr, $repoauth:expr) => {
        $compose
            .iter()
            .map(|$c| ComposeEntry {
                name: &$c.name,
                description: &$c.description,
                repotag: &$c.repotag,
                ports: &$c.ports,
                domains: &$c.domains,
                env: &$c.environment_parameters,
                commands: &$c.commands,
                container_ports: &$c.container_ports,
                container_data: &$c.container_data,
                secrets: $secrets,
                repoauth: $repoauth,
            })
            .collect::<Vec<_>>()
    };
}

fn compose_entries(spec: &AppSpec) -> Vec<ComposeEntry<'_>> {
    match spec {
        AppSpec::V4(s) => entries!(s.compose, c => None, None),
        AppSpec::V5(s) => entries!(s.compose, c => None, None),
        AppSpec::V6(s) => entries!(s.compose, c => None, None),
        AppSpec::V7(s) => {
            entries!(s.compose, c => Some(c.secrets.as_str()), Some(c.repoauth.as_str()))
        }
        AppSpec::V8(s) => entries!(s.compose, c => None, Some(c.repoauth.as_str())),
        _ => Vec::new(),
    }
}

fn compose_checks(spec: &AppSpec, height: BlockHeight, out: &mut Vec<SpecError>) {
    let version = spec.version();
    let entries = compose_entries(spec);
    if entries.is_empty() {
        out.push(SpecError::ComposeEmpty);
    }
    let max_components = params::max_components(height);
    if entries.len() > max_components {
        out.push(SpecError::TooManyComponents {
            max: max_components,
        });
    }
    let has_nodes = !spec.nodes().is_empty();
    let enterprise = spec.is_enterprise();
    let mut used_names: Vec<&str> = Vec::new();
    for c in &entries {
        let component = || c.name.to_owned();
        let max = if version >= 8 { 63 } else { 32 };
        if c.name.is_empty() {
            out.push(SpecError::ComponentNameEmpty);
        }
        if js_len(c.name) > max {
            out.push(SpecError::ComponentNameTooLong {
                component: component(),
                max,
            });
        }
        if c.name.starts_with("zel") {
            out.push(SpecError::ComponentNameStartsWithZel {
                component: component(),
            });
        }
        if c.name.starts_with("flux") {
            out.push(SpecError::ComponentNameStartsWithFlux {
                component: component(),
            });
        }
        if c.name.is_empty() || !c.name.bytes().all(|b| b.is_ascii_alphanumeric()) {
            out.push(SpecError::ComponentNameInvalidCharacters {
                component: component(),
            });
        }
        if used_names.contains(&c.name) {
            out.push(SpecError::ComponentNameDuplicate {
                component: component(),
            });
        }
        used_names.push(c.name);
        if js_len(c.description) > 256 {
            out.push(SpecError::ComponentDescriptionTooLong {
                component: component(),
            });
        }
        let printed =
            |list: &[f64]| -> Vec<(String, f64)> { list.iter().map(|p| (num(*p), *p)).collect() };
        port_checks(&printed(c.ports), height, out);
        if js_len(c.repotag) > 200 {
            out.push(SpecError::RepotagTooLong {
                component: Some(component()),
            });
        }
        if js_len(c.container_data) > 200 {
            out.push(SpecError::ContainerDataTooLong {
                component: Some(component()),
            });
        }
        let scope = Scope::Component(component());
        list_checks(&scope, c.env, c.commands, out);
        for domain in c.domains.iter().filter(|d| js_len(d) > 253) {
            out.push(SpecError::DomainTooLong {
                scope: scope.clone(),
                domain: domain.clone(),
            });
        }
        container_port_checks(&printed(c.container_ports), Some(c.name), out);
        if c.container_ports.len() != c.ports.len() {
            out.push(SpecError::PortsCountMismatch {
                component: Some(component()),
            });
        }
        if c.domains.len() != c.ports.len() {
            out.push(SpecError::DomainsCountMismatch {
                component: Some(component()),
            });
        }
        if c.ports.len() > 5 {
            out.push(SpecError::TooManyPorts {
                component: Some(component()),
            });
        }
        if js_len(c.container_data) < 2 {
            out.push(SpecError::ContainerDataTooShort {
                component: Some(component()),
            });
        }
        let secrets = c.secrets.unwrap_or_default();
        let repoauth = c.repoauth.unwrap_or_default();
        if version == 7 {
            if has_nodes {
                if js_len(secrets) > 15_000 {
                    out.push(SpecError::SecretsTooLong {
                        component: component(),
                    });
                }
                if js_len(repoauth) > 15_000 {
                    out.push(SpecError::RepoauthTooLong {
                        component: component(),
                    });
                }
            } else {
                if !secrets.is_empty() {
                    out.push(SpecError::SecretsWithoutEnterprise {
                        component: component(),
                    });
                }
                if !repoauth.is_empty() {
                    out.push(SpecError::RepoauthWithoutEnterprise {
                        component: component(),
                    });
                }
            }
        }
        if version >= 8 {
            if !enterprise && !repoauth.is_empty() {
                out.push(SpecError::RepoauthWithoutEnterprise {
                    component: component(),
                });
            } else if enterprise && js_len(repoauth) > 15_000 {
                out.push(SpecError::RepoauthTooLong {
                    component: component(),
                });
            }
        }
    }
}

fn restriction_checks(spec: &AppSpec, height: BlockHeight, out: &mut Vec<SpecError>) {
    let version = spec.version();
    name_checks(spec, out);
    if version <= 3 {
        legacy_checks(spec, height, out);
    } else {
        compose_checks(spec, height, out);
    }
    if let Some(instances) = spec.instances() {
        let min = params::min_instances(version, height);
        if instances < f64::from(min) {
            out.push(SpecError::InstancesBelowMinimum { min });
        }
        if instances > f64::from(params::MAX_INSTANCES) {
            out.push(SpecError::InstancesAboveMaximum {
                max: params::MAX_INSTANCES,
            });
        }
    }
    if version >= 5 {
        let contacts = spec.contacts();
        if contacts.len() > 5 {
            out.push(SpecError::TooManyContacts);
        }
        for contact in contacts.iter().filter(|c| js_len(c) > 75) {
            out.push(SpecError::ContactTooLong {
                contact: contact.clone(),
            });
        }
        let geolocation = spec.geolocation();
        if geolocation.len() > 10 {
            out.push(SpecError::TooManyGeolocations);
        }
        for geo in geolocation.iter().filter(|g| js_len(g) > 50) {
            out.push(SpecError::GeolocationTooLong {
                geolocation: geo.clone(),
            });
        }
    }
    if let Some(expire) = spec.expire() {
        let min = params::min_expire(height);
        if expire < f64::from(min) {
            out.push(SpecError::ExpireBelowMinimum { min });
        }
        let max = params::max_expire(height);
        if expire > f64::from(max) {
            out.push(SpecError::ExpireAboveMaximum { max });
        }
        if height < params::EXPIRE_INTERVAL_UNTIL_HEIGHT && expire % 1000.0 != 0.0 {
            out.push(SpecError::ExpireNotMultipleOf1000);
        }
    }
    if version >= 7 {
        let nodes = spec.nodes();
        if nodes.len() > 120 {
            out.push(SpecError::TooManyNodes);
        }
        for node in nodes.iter().filter(|n| js_len(n) > 70) {
            out.push(SpecError::NodeTooLong { node: node.clone() });
        }
    }
}

/// `new Set(ports).size === ports.length` (SameValueZero: NaN equals NaN, 0 equals -0).
fn all_unique(values: &[f64]) -> bool {
    values.iter().enumerate().all(|(i, a)| {
        values[..i]
            .iter()
            .all(|b| !(a == b || (a.is_nan() && b.is_nan())))
    })
}

fn unique_ports(spec: &AppSpec, out: &mut Vec<SpecError>) {
    let unique = match spec {
        AppSpec::V1(_) => true,
        AppSpec::V2(s) => s
            .ports
            .iter()
            .enumerate()
            .all(|(i, p)| !s.ports[..i].contains(p)),
        AppSpec::V3(s) => s
            .ports
            .iter()
            .enumerate()
            .all(|(i, p)| !s.ports[..i].contains(p)),
        _ => all_unique(&spec.ports()),
    };
    if !unique {
        out.push(SpecError::PortsNotUnique {
            app: spec.name().to_owned(),
            compose: spec.version() >= 4,
        });
    }
}

/// `(x * 10) % 1 !== 0`, `x % 100 !== 0`, `x % 1 !== 0` with JavaScript's float `%`.
fn cpu_bad(cpu: f64, limit: TierLimits) -> bool {
    (cpu * 10.0) % 1.0 != 0.0 || cpu * 10.0 > f64::from(limit.cpu_tenths) || cpu < 0.1
}

fn ram_bad(ram: f64, limit: TierLimits) -> bool {
    ram % 100.0 != 0.0 || ram > f64::from(limit.ram_mb) || ram < 100.0
}

fn hdd_bad(hdd: f64, limit: TierLimits) -> bool {
    hdd % 1.0 != 0.0 || hdd > f64::from(limit.hdd_gb) || hdd < 1.0
}

/// JavaScript's `a || b` for numbers: `b` when `a` is missing, 0 or NaN.
fn or(a: Option<f64>, b: f64) -> f64 {
    match a {
        Some(x) if x != 0.0 && !x.is_nan() => x,
        _ => b,
    }
}

fn hardware_checks(spec: &AppSpec, out: &mut Vec<SpecError>) {
    let app = spec.name().to_owned();
    let components = spec.components();
    if spec.version() <= 3 {
        let Some(c) = components.first() else { return };
        let bad = |resource, tier, out: &mut Vec<SpecError>| {
            out.push(SpecError::HardwareBadlyAssigned {
                resource,
                tier,
                app: app.clone(),
            });
        };
        if cpu_bad(c.cpu, STRATUS) {
            bad(Resource::Cpu, None, out);
        }
        if ram_bad(c.ram, STRATUS) {
            bad(Resource::Ram, None, out);
        }
        if hdd_bad(c.hdd, STRATUS) {
            bad(Resource::Hdd, None, out);
        }
        if let Some(t) = c.tiers {
            for tier in Tier::ALL {
                let limit = params::tier_limits(tier);
                let given = t.for_tier(tier);
                if cpu_bad(given.cpu, limit) {
                    bad(Resource::Cpu, Some(tier), out);
                }
                if ram_bad(given.ram, limit) {
                    bad(Resource::Ram, Some(tier), out);
                }
                if hdd_bad(given.hdd, limit) {
                    bad(Resource::Hdd, Some(tier), out);
                }
            }
        }
        return;
    }
    let too_much = |resource, tier, out: &mut Vec<SpecError>| {
        out.push(SpecError::TooMuchResources {
            resource,
            tier,
            app: app.clone(),
        });
    };
    let is_tiered = components.iter().any(|c| c.tiers.is_some());
    if is_tiered {
        for tier in Tier::ALL {
            let limit = params::tier_limits(tier);
            // A tiered component's zero or missing tier value falls back to its base value.
            let (mut cpu, mut ram, mut hdd) = (0.0, 0.0, 0.0);
            for c in &components {
                let given = c.tiers.map(|t| t.for_tier(tier));
                cpu += or(given.map(|g| g.cpu), c.cpu) * 10.0;
                ram += or(given.map(|g| g.ram), c.ram);
                hdd += or(given.map(|g| g.hdd), c.hdd);
            }
            if cpu > f64::from(limit.cpu_tenths) {
                too_much(Resource::Cpu, Some(tier), out);
            }
            if ram > f64::from(limit.ram_mb) {
                too_much(Resource::Ram, Some(tier), out);
            }
            if hdd > f64::from(limit.hdd_gb) {
                too_much(Resource::Hdd, Some(tier), out);
            }
        }
        return;
    }
    let (mut cpu, mut ram, mut hdd) = (0.0, 0.0, 0.0);
    for c in &components {
        cpu += c.cpu * 10.0;
        ram += c.ram;
        hdd += c.hdd;
    }
    if cpu > f64::from(STRATUS.cpu_tenths) {
        too_much(Resource::Cpu, None, out);
    }
    if ram > f64::from(STRATUS.ram_mb) {
        too_much(Resource::Ram, None, out);
    }
    if hdd > f64::from(STRATUS.hdd_gb) {
        too_much(Resource::Hdd, None, out);
    }
}

// ---------------------------------------------------------------- strict mode

const CONTINENTS: [&str; 7] = ["EU", "NA", "SA", "AS", "AF", "OC", "AN"];

fn is_country(code: &str) -> bool {
    code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase())
}

/// Whether a geolocation entry has a known shape (apps.md §4.4).
pub fn geolocation_entry_is_valid(entry: &str) -> bool {
    match GeoRule::parse(entry) {
        GeoRule::Allow(path) | GeoRule::Forbid(path) => {
            let parts: Vec<&str> = path.splitn(3, '_').collect();
            let continent_ok = parts.first().is_some_and(|c| CONTINENTS.contains(c));
            let country_ok = parts.get(1).is_none_or(|c| is_country(c));
            let region_ok = parts.get(2).is_none_or(|r| {
                !r.is_empty() && !r.contains('_') && !r.chars().any(char::is_control)
            });
            continent_ok && country_ok && region_ok
        }
        GeoRule::LegacyContinent(code) => CONTINENTS.contains(&code.as_str()),
        GeoRule::LegacyCountry(code) => is_country(&code),
        GeoRule::Ignored(_) => false,
    }
}

fn is_repo_component(part: &str) -> bool {
    // [a-z0-9]+ with single `.`/`_`/`-` (or `__`) separators between alphanumeric runs.
    let b = part.as_bytes();
    if b.is_empty() || !b[0].is_ascii_alphanumeric() || !b[b.len() - 1].is_ascii_alphanumeric() {
        return false;
    }
    b.iter()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, b'.' | b'_' | b'-'))
}

fn is_registry_host(part: &str) -> bool {
    let (host, port) = match part.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (part, None),
    };
    !host.is_empty()
        && host
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-'))
        && port
            .is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|c| c.is_ascii_digit()))
}

/// Whether a repotag is `[HOST[:PORT]/][NS/]REPO:TAG` with a tag.
pub fn repotag_is_valid(repotag: &str) -> bool {
    let (name, tag) = match repotag.rsplit_once(':') {
        Some((name, tag)) if !tag.contains('/') => (name, tag),
        _ => return false,
    };
    let tag_ok = !tag.is_empty()
        && tag.len() <= 128
        && tag.as_bytes()[0] != b'.'
        && tag.as_bytes()[0] != b'-'
        && tag
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'));
    let parts: Vec<&str> = name.split('/').collect();
    let (host, path) = match parts.as_slice() {
        [first, rest @ ..]
            if !rest.is_empty()
                && (first.contains('.') || first.contains(':') || *first == "localhost") =>
        {
            (Some(*first), rest)
        }
        all => (None, all),
    };
    tag_ok
        && !path.is_empty()
        && host.is_none_or(is_registry_host)
        && path.iter().all(|p| is_repo_component(p))
}

fn strict_typed_checks(spec: &AppSpec, out: &mut Vec<SpecError>) {
    let version = spec.version();
    for (index, c) in spec.components().iter().enumerate() {
        let scope = if version <= 3 {
            Scope::App(spec.name().to_owned())
        } else {
            Scope::Component(c.name.to_owned())
        };
        if version >= 4 {
            let component = || c.name.to_owned();
            let cpu_tenths = c.cpu * 10.0;
            if !(c.cpu >= 0.1 && (cpu_tenths - cpu_tenths.round()).abs() < 1e-9) {
                out.push(SpecError::ComponentCpuInvalid {
                    component: component(),
                    cpu: c.cpu,
                });
            }
            if !(c.ram >= 100.0 && c.ram % 100.0 == 0.0) {
                out.push(SpecError::ComponentRamInvalid {
                    component: component(),
                    ram: c.ram,
                });
            }
            if !(c.hdd >= 1.0 && c.hdd % 1.0 == 0.0) {
                out.push(SpecError::ComponentHddInvalid {
                    component: component(),
                    hdd: c.hdd,
                });
            }
        }
        // An enterprise app's stored compose is empty; its blob is not checked here.
        if let Err(reason) = ContainerData::parse(c.container_data, index) {
            out.push(SpecError::ContainerDataInvalid {
                scope: scope.clone(),
                container_data: c.container_data.to_owned(),
                reason,
            });
        }
        if !repotag_is_valid(c.repotag) {
            out.push(SpecError::RepotagInvalid {
                scope,
                repotag: c.repotag.to_owned(),
            });
        }
    }
    for geo in spec.geolocation() {
        if !geolocation_entry_is_valid(geo) {
            out.push(SpecError::GeolocationInvalid {
                geolocation: geo.clone(),
            });
        }
    }
}

const TIER_KEYS: [&str; 9] = [
    "cpubasic", "rambasic", "hddbasic", "cpusuper", "ramsuper", "hddsuper", "cpubamf", "rambamf",
    "hddbamf",
];

/// The keys FluxOS's `verifyObjectKeysCorrectnessOfApp` allows, per version: (top level,
/// component).
fn allowed_keys(version: u8) -> (Vec<&'static str>, Vec<&'static str>) {
    let common = ["version", "name", "description", "owner"];
    let legacy_hw = ["cpu", "ram", "hdd", "tiered"];
    let component_base = [
        "name",
        "description",
        "repotag",
        "ports",
        "containerPorts",
        "environmentParameters",
        "commands",
        "containerData",
        "domains",
        "cpu",
        "ram",
        "hdd",
    ];
    let mut top: Vec<&str> = common.to_vec();
    let mut component: Vec<&str> = Vec::new();
    match version {
        1 => {
            top.extend([
                "repotag",
                "port",
                "containerPort",
                "enviromentParameters",
                "commands",
                "containerData",
            ]);
            top.extend(legacy_hw);
            top.extend(TIER_KEYS);
        }
        2 | 3 => {
            top.extend([
                "repotag",
                "ports",
                "containerPorts",
                "enviromentParameters",
                "commands",
                "containerData",
                "domains",
            ]);
            top.extend(legacy_hw);
            top.extend(TIER_KEYS);
            if version == 3 {
                top.push("instances");
            }
        }
        _ => {
            top.extend(["compose", "instances"]);
            if version >= 5 {
                top.extend(["contacts", "geolocation"]);
            }
            if version >= 6 {
                top.push("expire");
            }
            if version >= 7 {
                top.extend(["nodes", "staticip"]);
            }
            if version >= 8 {
                top.extend(["datacenter", "enterprise"]);
            }
            component.extend(component_base);
            if version <= 7 {
                component.push("tiered");
                component.extend(TIER_KEYS);
            }
            if version == 7 {
                component.push("secrets");
            }
            if version >= 7 {
                component.push("repoauth");
            }
        }
    }
    (top, component)
}

fn not_a_string(field: String, value: &JsValue, out: &mut Vec<SpecError>) {
    if !matches!(value, JsValue::String(_)) {
        out.push(SpecError::NotAString {
            field,
            found: value.stringify(),
        });
    }
}

fn string_fields(
    obj: &JsValue,
    prefix: &str,
    scalars: &[&str],
    arrays: &[&str],
    out: &mut Vec<SpecError>,
) {
    for key in scalars {
        if let Some(v) = obj.get(key) {
            not_a_string(format!("{prefix}{key}"), v, out);
        }
    }
    for key in arrays {
        if let Some(JsValue::Array(items)) = obj.get(key) {
            for (i, item) in items.iter().enumerate() {
                not_a_string(format!("{prefix}{key}[{i}]"), item, out);
            }
        }
    }
}

/// Strict checks that need the raw JSON: unknown keys, non-string strings, a dropped datacenter.
fn strict_raw_checks(raw: &JsValue, version: u8) -> Vec<SpecError> {
    let mut out = Vec::new();
    let (top, component) = allowed_keys(version);
    if let JsValue::Object(entries) = raw {
        for (key, _) in entries {
            if !top.contains(&key.as_str()) {
                out.push(SpecError::UnknownKey {
                    key: key.clone(),
                    version,
                });
            }
        }
    }
    string_fields(
        raw,
        "",
        &["name", "description", "owner", "repotag", "containerData"],
        &[
            "enviromentParameters",
            "commands",
            "domains",
            "contacts",
            "geolocation",
            "nodes",
        ],
        &mut out,
    );
    if version >= 4
        && let Some(JsValue::Array(compose)) = raw.get("compose")
    {
        for (i, c) in compose.iter().enumerate() {
            let name = match c.get("name") {
                Some(JsValue::String(s)) => s.clone(),
                _ => format!("#{i}"),
            };
            if let JsValue::Object(entries) = c {
                for (key, _) in entries {
                    if !component.contains(&key.as_str()) {
                        out.push(SpecError::UnknownComponentKey {
                            component: name.clone(),
                            key: key.clone(),
                            version,
                        });
                    }
                }
            }
            string_fields(
                c,
                &format!("compose[{i}]."),
                &[
                    "name",
                    "description",
                    "repotag",
                    "containerData",
                    "repoauth",
                    "secrets",
                ],
                &["environmentParameters", "commands", "domains"],
                &mut out,
            );
        }
    }
    if version == 8
        && let Some(d) = raw.get("datacenter")
        && super::js::ensure_boolean(Some(d)).is_none()
    {
        out.push(SpecError::DatacenterInvalid);
    }
    out
}
