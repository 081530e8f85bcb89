//! Spec violations: one variant per FluxOS rule (plus the strict-mode rules FluxOS lacks).
//!
//! The `Display` text of a FluxOS rule is FluxOS's own error message, byte for byte, so tools can
//! compare verdicts with a FluxOS node; [`SpecError::fluxos_message`] returns it and is `None` for
//! the strict-only rules.

use core::fmt;

use flux_tx::{BlockHeight, Tier};

use super::js::number_to_string;

/// A top-level array field of a spec, for the formatter's "is not an array" errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ArrayField {
    /// `ports` (v2/3).
    Ports,
    /// `domains` (v2/3).
    Domains,
    /// `enviromentParameters` (v1–3).
    EnvironmentParameters,
    /// `commands` (v1–3).
    Commands,
    /// `containerPorts` (v2/3).
    ContainerPorts,
    /// `contacts` (v5+).
    Contacts,
    /// `geolocation` (v5+).
    Geolocation,
    /// `nodes` (v7+).
    Nodes,
}

/// A field of a compose component, for component-scoped errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ComponentField {
    /// `name`.
    Name,
    /// `description`.
    Description,
    /// `repotag`.
    Repotag,
    /// `ports`.
    Ports,
    /// `domains`.
    Domains,
    /// `environmentParameters`.
    EnvironmentParameters,
    /// `commands`.
    Commands,
    /// `containerPorts`.
    ContainerPorts,
    /// `containerData`.
    ContainerData,
    /// `secrets` (v7).
    Secrets,
    /// `repoauth` (v7+).
    Repoauth,
}

/// A hardware resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Resource {
    /// CPU cores.
    Cpu,
    /// RAM in MB.
    Ram,
    /// Disk in GB (FluxOS says "SSD").
    Hdd,
}

impl Resource {
    fn fluxos(self) -> &'static str {
        match self {
            Resource::Cpu => "CPU",
            Resource::Ram => "RAM",
            Resource::Hdd => "SSD",
        }
    }
}

/// How FluxOS names a tier in its hardware error messages: capitalised ("… for Nimbus"), unlike
/// [`Tier::name`].
const fn fluxos_tier_word(tier: Tier) -> &'static str {
    match tier {
        Tier::Cumulus => "Cumulus",
        Tier::Nimbus => "Nimbus",
        Tier::Stratus => "Stratus",
    }
}

/// Where a per-container rule applies: the app itself (v1–3) or a named compose component (v4+).
/// FluxOS words the two differently ("App x" / "App component x").
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Scope {
    /// The single container of a v1–3 app, by app name.
    App(String),
    /// A compose component, by component name.
    Component(String),
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::App(name) => write!(f, "App {name}"),
            Scope::Component(name) => write!(f, "App component {name}"),
        }
    }
}

fn tier_suffix(tier: Option<Tier>) -> String {
    tier.map_or_else(String::new, |t| format!(" for {}", fluxos_tier_word(t)))
}

fn array_field_message(field: ArrayField) -> &'static str {
    match field {
        ArrayField::Ports => "Ports for Flux App are invalid",
        ArrayField::Domains => "Domains for Flux App are invalid",
        ArrayField::EnvironmentParameters => "Environmental parameters for Flux App are invalid",
        ArrayField::Commands => "Flux App commands are invalid",
        ArrayField::ContainerPorts => "Container Ports for Flux App are invalid",
        ArrayField::Contacts => "Contacts for Flux App are invalid",
        ArrayField::Geolocation => "Geolocation for Flux App is invalid",
        ArrayField::Nodes => "Nodes for Flux App are invalid",
    }
}

fn component_array_message(component: &str, field: ComponentField) -> String {
    match field {
        ComponentField::Ports => format!("Ports for Flux App component {component} are invalid"),
        ComponentField::Domains => {
            format!("Domains for Flux App component {component} are invalid")
        }
        ComponentField::EnvironmentParameters => {
            format!("Environmental parameters for Flux App component {component} are invalid")
        }
        ComponentField::Commands => format!("Flux App component {component} commands are invalid"),
        _ => format!("Container Ports for Flux App component {component} are invalid"),
    }
}

fn component_missing_message(component: &str, field: ComponentField) -> String {
    match field {
        ComponentField::Name => "Invalid Flux App component name".to_owned(),
        ComponentField::Description => {
            format!("Invalid Flux App component {component} description")
        }
        ComponentField::Secrets => {
            format!("Secrets for Flux App component {component} are invalid")
        }
        ComponentField::Repoauth => {
            format!("Repository Authentication for Flux App component {component} are invalid")
        }
        // FluxOS reads `.length` of the missing value and fails with JavaScript's TypeError.
        _ => "Cannot read properties of undefined (reading 'length')".to_owned(),
    }
}

fn legacy_missing_message(version: u8) -> &'static str {
    if version == 1 {
        "Missing Flux App specification parameter repotag and/or port and/or enviromentParameters and/or commands and/or containerData and/or cpu and/or ram and/or hdd"
    } else {
        "Missing Flux App specification parameter repotag and/or port and/or domains and/or enviromentParameters and/or commands and/or containerData and/or cpu and/or ram and/or hdd"
    }
}

fn expire_min_message(min: u32) -> String {
    match min {
        5000 => "Minimum expiration of application is 5000 blocks ~ 1 week".to_owned(),
        100 => "Minimum expiration of application is 100 blocks ~ 3 hours".to_owned(),
        m => format!("Minimum expiration of application is {m} blocks"),
    }
}

fn in_component(component: Option<&String>) -> String {
    component.map_or_else(String::new, |c| format!(" in {c}"))
}

fn num(x: f64) -> String {
    number_to_string(x)
}

/// One violated app-spec rule.
///
/// The variant names the field and the rule. For FluxOS rules the `Display` text is FluxOS's
/// exact error message (including its typos); strict-only rules have messages of their own.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SpecError {
    // ---- structure and types (specificationFormatter, verifyTypeCorrectnessOfApp) ----
    /// The spec is not a JSON object, or a compose entry is not an object.
    #[error("Invalid Flux App Specifications")]
    NotAnObject,
    /// `version` is missing, falsy or not a number.
    #[error("Missing Flux App specification parameter version")]
    VersionMissing,
    /// `version` is not one of 1–8.
    #[error("Flux App message version specification is invalid")]
    VersionInvalid {
        /// The value found.
        version: f64,
    },
    /// `name`, `description` or `owner` is missing or empty.
    #[error("Missing Flux App specification parameter name and/or description and/or owner")]
    CommonFieldsMissing,
    /// A required v1–3 field (repotag, ports, env, commands, containerData, cpu, ram, hdd) is
    /// missing or falsy (so a cpu of 0 lands here).
    #[error("{}", legacy_missing_message(*version))]
    LegacyFieldsMissing {
        /// The spec version (1–3).
        version: u8,
    },
    /// A top-level field that must be an array is not one.
    #[error("{}", array_field_message(*field))]
    FieldNotArray {
        /// The field.
        field: ArrayField,
    },
    /// `tiered` is not a boolean (or a boolean-like string/number on v1–3).
    #[error("Invalid tiered value obtained. Only boolean as true or false allowed.")]
    TieredInvalid,
    /// `tiered` is true but a tier field is missing or falsy (v1–3).
    #[error("Flux App was requested as tiered setup but specifications are missing")]
    TierFieldsMissing,
    /// `tiered` is true but a tier field of the component is missing or falsy (v4–7).
    #[error(
        "Flux App component {component} was requested as tiered setup but specifications are missing"
    )]
    ComponentTierFieldsMissing {
        /// Component name.
        component: String,
    },
    /// `compose` is missing (v4+).
    #[error("Missing Flux App specification parameter compose")]
    ComposeMissing,
    /// `compose` is not an array.
    #[error("Flux App compose parameter is not valid")]
    ComposeNotArray,
    /// A component array field is not an array, or holds non-numbers where numbers are required.
    #[error("{}", component_array_message(component, *field))]
    ComponentFieldNotArray {
        /// Component name.
        component: String,
        /// The field.
        field: ComponentField,
    },
    /// A component string field is missing.
    #[error("{}", component_missing_message(component, *field))]
    ComponentFieldMissing {
        /// Component name (`undefined` when the name itself is missing).
        component: String,
        /// The field.
        field: ComponentField,
    },
    /// `instances` is missing or zero (v3+).
    #[error("Missing Flux App specification parameter instances")]
    InstancesMissing,
    /// `instances` is not an integer.
    #[error("Invalid instances specified")]
    InstancesNotInteger,
    /// `instances` is below the minimum (3; 1 for v8 from height 2,176,519).
    #[error("Minimum number of instances is {min}")]
    InstancesBelowMinimum {
        /// The minimum.
        min: u32,
    },
    /// `instances` is above 100.
    #[error("Maximum number of instances is {max}")]
    InstancesAboveMaximum {
        /// The maximum.
        max: u32,
    },
    /// `contacts` or `geolocation` is missing (v5+).
    #[error("Missing Flux App specification parameter contacts and/or geolocation")]
    ContactsOrGeolocationMissing,
    /// `expire` is missing or zero (v6+).
    #[error("Missing Flux App specification parameter expire")]
    ExpireMissing,
    /// `expire` is not an integer (FluxOS's message says "instances").
    #[error("Invalid instances specified")]
    ExpireNotInteger,
    /// `nodes` is missing (v7+).
    #[error("Missing Flux App specification parameter nodes")]
    NodesMissing,
    /// `staticip` is not boolean-like (v7+).
    #[error("Invalid staticip specification. Only boolean as true or false allowed.")]
    StaticIpInvalid,
    /// `enterprise` is missing or null (v8).
    #[error("Missing enterprise property")]
    EnterpriseMissing,
    /// A v1–3 port has decimals or is not a number.
    #[error("Ports for Flux App are invalid decimals")]
    PortDecimals,
    /// A v1–3 container port has decimals or is not a number.
    #[error("{}", if *version == 1 { "Ports for Flux App are invalid decimals" } else { "Container Ports for Flux App are invalid decimals" })]
    ContainerPortDecimals {
        /// The spec version (1–3).
        version: u8,
    },
    /// A component port has decimals or is not a number.
    #[error("Ports for Flux App component {component} are invalid decimals")]
    ComponentPortDecimals {
        /// Component name.
        component: String,
    },
    /// A component container port has decimals.
    #[error("Container Ports for Flux App component {component} are invalid decimals")]
    ComponentContainerPortDecimals {
        /// Component name.
        component: String,
    },
    /// cpu, ram or hdd is not a number or has more than 8 decimals.
    #[error("Invalid HW specifications decimal limits")]
    HardwareDecimals,
    /// A tier field is not a number or has more than 8 decimals.
    #[error("Invalid tiered HW specifications")]
    TierHardwareInvalid,
    /// `nodes` is non-empty on a v8 app without `enterprise`.
    #[error("Nodes can only be used in enterprise apps")]
    NodesWithoutEnterprise,
    /// `datacenter: true` by an owner outside the enterprise owner list.
    #[error("Datacenter requirement is only available for enterprise app owners.")]
    DatacenterNotEnterpriseOwner,

    // ---- restrictions (verifyRestrictionCorrectnessOfApp) ----
    /// The app name is longer than 32 (63 for v8) UTF-16 units.
    #[error("Flux App name is too long. Maximum {max} characters allowed")]
    NameTooLong {
        /// The maximum.
        max: usize,
    },
    /// The app name is empty.
    #[error("Please provide a valid Flux App name")]
    NameEmpty,
    /// The app name has characters outside the allowed set.
    #[error("{}", if *hyphens_allowed { "Flux App name contains special characters. Only a-z, A-Z, 0-9 and hyphens are allowed (hyphens cannot be first or last character)" } else { "Flux App name contains special characters. Only a-z, A-Z and 0-9 are allowed" })]
    NameInvalidCharacters {
        /// Whether the version allows inner hyphens (v8).
        hyphens_allowed: bool,
    },
    /// The app name starts with `zel`.
    #[error("Flux App name can not start with zel")]
    NameStartsWithZel,
    /// The app name is `watchtower` in any case.
    #[error("Flux App name is conflicting with another application")]
    NameReserved,
    /// The app name starts with `flux`.
    #[error("Flux App name can not start with flux")]
    NameStartsWithFlux,
    /// The app description is longer than 256.
    #[error("Description is too long. Maximum of 256 characters is allowed")]
    DescriptionTooLong,
    /// A public port is outside the allowed range for the height.
    #[error("Assigned port {port} is not within Flux Apps range {min}-{max}")]
    PortOutOfRange {
        /// The port as FluxOS prints it.
        port: String,
        /// Lowest allowed.
        min: u32,
        /// Highest allowed.
        max: u32,
    },
    /// A public port is banned (`cfg:238`).
    #[error("Assigned port {port} is not allowed for Flux Apps")]
    PortBanned {
        /// The port as FluxOS prints it.
        port: String,
    },
    /// A container port is outside 0–65535.
    #[error("Container Port {port}{} is not within system limits 0-65535", component.as_ref().map_or_else(String::new, |c| format!(" in in {c}")))]
    ContainerPortOutOfRange {
        /// The port as FluxOS prints it.
        port: String,
        /// The component (v4+).
        component: Option<String>,
    },
    /// `containerPorts` and `ports` differ in length.
    #[error("Ports specifications{} do not match", in_component(component.as_ref()))]
    PortsCountMismatch {
        /// The component (v4+).
        component: Option<String>,
    },
    /// `domains` and `ports` differ in length.
    #[error("Domains specifications{} do not match available ports", in_component(component.as_ref()))]
    DomainsCountMismatch {
        /// The component (v4+).
        component: Option<String>,
    },
    /// More than 5 ports.
    #[error("Too many ports defined{}. Maximum of 5 allowed.", in_component(component.as_ref()))]
    TooManyPorts {
        /// The component (v4+).
        component: Option<String>,
    },
    /// A domain is longer than 253.
    #[error("{scope} domain {domain} is too long. Maximum of 253 characters is allowed")]
    DomainTooLong {
        /// App or component.
        scope: Scope,
        /// The domain.
        domain: String,
    },
    /// `containerData` is shorter than 2.
    #[error("Flux App container data folder not specified{}. If no data folder is whished, use /tmp", component.as_ref().map_or_else(String::new, |c| format!(" in in {c}")))]
    ContainerDataTooShort {
        /// The component (v4+).
        component: Option<String>,
    },
    /// `containerData` is longer than 200.
    #[error("Flux App Container Data is too long. Maximum of 200 characters is allowed")]
    ContainerDataTooLong {
        /// The component (v4+).
        component: Option<String>,
    },
    /// `repotag` is longer than 200.
    #[error("Flux App Repository is too long. Maximum of 200 characters is allowed.")]
    RepotagTooLong {
        /// The component (v4+).
        component: Option<String>,
    },
    /// More than 20 environment variables.
    #[error("{scope} environment invalid. Maximum of 20 environment variables allowed.")]
    TooManyEnvironmentParameters {
        /// App or component.
        scope: Scope,
    },
    /// An environment variable is longer than 400.
    #[error("{scope} environment {value} is too long. Maximum of 400 characters is allowed")]
    EnvironmentParameterTooLong {
        /// App or component.
        scope: Scope,
        /// The entry.
        value: String,
    },
    /// More than 20 commands.
    #[error("{scope} commands invalid. Maximum of 20 commands allowed.")]
    TooManyCommands {
        /// App or component.
        scope: Scope,
    },
    /// A command is longer than 400.
    #[error("{scope} command {value} is too long. Maximum of 400 characters is allowed")]
    CommandTooLong {
        /// App or component.
        scope: Scope,
        /// The entry.
        value: String,
    },
    /// `compose` is empty.
    #[error("Flux App does not contain any composition")]
    ComposeEmpty,
    /// More components than allowed at the height (5, then 10).
    #[error("Flux App has too many components")]
    TooManyComponents {
        /// The maximum.
        max: usize,
    },
    /// A component name is empty.
    #[error("Please provide a valid Flux App Component name")]
    ComponentNameEmpty,
    /// A component name is longer than 32 (63 for v8).
    #[error("Flux App component name is too long. Maximum {max} characters allowed")]
    ComponentNameTooLong {
        /// Component name.
        component: String,
        /// The maximum.
        max: usize,
    },
    /// A component name starts with `zel`.
    #[error("Flux App Component name can not start with zel")]
    ComponentNameStartsWithZel {
        /// Component name.
        component: String,
    },
    /// A component name starts with `flux`.
    #[error("Flux App Component name can not start with flux")]
    ComponentNameStartsWithFlux {
        /// Component name.
        component: String,
    },
    /// A component name has characters outside `[a-zA-Z0-9]`.
    #[error(
        "Flux App component name contains special characters. Only a-z, A-Z and 0-9 are allowed"
    )]
    ComponentNameInvalidCharacters {
        /// Component name.
        component: String,
    },
    /// Two components share a name.
    #[error("Flux App component {component} already assigned. Use different name.")]
    ComponentNameDuplicate {
        /// Component name.
        component: String,
    },
    /// A component description is longer than 256.
    #[error("Description is too long. Maximum of 256 characters is allowed.")]
    ComponentDescriptionTooLong {
        /// Component name.
        component: String,
    },
    /// v7 `secrets` on an app without `nodes`.
    #[error("Secrets can not be defined for non Enterprise Applications")]
    SecretsWithoutEnterprise {
        /// Component name.
        component: String,
    },
    /// `repoauth` on a non-enterprise app (v7 without `nodes`, v8 without `enterprise`).
    #[error("Private repositories are only allowed for Enterprise Applications")]
    RepoauthWithoutEnterprise {
        /// Component name.
        component: String,
    },
    /// `secrets` longer than 15000.
    #[error(
        "Maximum length of secrets is 15000. Consider uploading to Flux Storage for bigger payload."
    )]
    SecretsTooLong {
        /// Component name.
        component: String,
    },
    /// `repoauth` longer than 15000.
    #[error("Maximum length of repoauth is 15000.")]
    RepoauthTooLong {
        /// Component name.
        component: String,
    },
    /// More than 5 contacts.
    #[error("Too many contacts defined. Maximum of 5 allowed.")]
    TooManyContacts,
    /// A contact is longer than 75.
    #[error("Contact {contact} is too long. Maximum of 75 characters is allowed.")]
    ContactTooLong {
        /// The contact.
        contact: String,
    },
    /// More than 10 geolocation entries.
    #[error("Invalid geolocation submited.")]
    TooManyGeolocations,
    /// A geolocation entry is longer than 50.
    #[error("Geolocation {geolocation} is not valid.")]
    GeolocationTooLong {
        /// The entry.
        geolocation: String,
    },
    /// `expire` below the minimum for the height (5000, then 100, then 1).
    #[error("{}", expire_min_message(*min))]
    ExpireBelowMinimum {
        /// The minimum.
        min: u32,
    },
    /// `expire` above the maximum for the height (264,000, then 1,056,000).
    #[error("Maximum expiration of application is {max} blocks ~ 1 year")]
    ExpireAboveMaximum {
        /// The maximum.
        max: u32,
    },
    /// `expire` not a multiple of 1000 before height 1,625,000.
    #[error("Expiration of application has to be a multiple of 1000 blocks ~ 1 day")]
    ExpireNotMultipleOf1000,
    /// More than 120 nodes.
    #[error("Maximum number of selecteed nodes is 120")]
    TooManyNodes,
    /// A node entry longer than 70.
    #[error("Invalid node length")]
    NodeTooLong {
        /// The entry.
        node: String,
    },

    // ---- activation, uniqueness, hardware ----
    /// The spec version is not active at the height.
    #[error("Flux apps specifications of version {version} not yet supported")]
    VersionNotYetActive {
        /// The version.
        version: u8,
        /// The height it activates at.
        active_from: BlockHeight,
    },
    /// A public port appears twice in the app.
    #[error("Flux App {app} must have unique ports specified{}", if *compose { " accross all composition" } else { "" })]
    PortsNotUnique {
        /// App name.
        app: String,
        /// Whether the app is a compose (v4+) app.
        compose: bool,
    },
    /// A v1–3 resource (or tier resource) is off-step, too small or too large.
    #[error("{} badly assigned for {app}", format_args!("{}{}", resource.fluxos(), tier_suffix(*tier)))]
    HardwareBadlyAssigned {
        /// The resource.
        resource: Resource,
        /// The tier, for tier fields.
        tier: Option<Tier>,
        /// App name.
        app: String,
    },
    /// The app's total of a resource (v4+) exceeds what a node can give.
    #[error("Too much {}{} resources assigned for {app}", resource.fluxos(), tier_suffix(*tier))]
    TooMuchResources {
        /// The resource.
        resource: Resource,
        /// The tier, for tiered components.
        tier: Option<Tier>,
        /// App name.
        app: String,
    },

    // ---- strict mode: gaps FluxOS lets through ----
    /// A key FluxOS does not know for this version (FluxOS drops it silently).
    #[error("unknown key `{key}` for a v{version} spec")]
    UnknownKey {
        /// The key.
        key: String,
        /// The spec version.
        version: u8,
    },
    /// A component key FluxOS does not know for this version (dropped silently).
    #[error("unknown key `{key}` in component {component} of a v{version} spec")]
    UnknownComponentKey {
        /// Component name.
        component: String,
        /// The key.
        key: String,
        /// The spec version.
        version: u8,
    },
    /// A string field was given as another JSON type (FluxOS stringifies it).
    #[error("{field} must be a string, found {found}")]
    NotAString {
        /// The field path, e.g. `compose[0].environmentParameters[2]`.
        field: String,
        /// The JSON given.
        found: String,
    },
    /// A v8 `datacenter` that is not boolean-like (FluxOS drops it silently).
    #[error("datacenter must be true or false")]
    DatacenterInvalid,
    /// A component cpu below 0.1 cores or not a multiple of 0.1.
    #[error("component {component}: cpu {} must be a multiple of 0.1 cores, at least 0.1", num(*cpu))]
    ComponentCpuInvalid {
        /// Component name.
        component: String,
        /// The value.
        cpu: f64,
    },
    /// A component ram below 100 MB or not a multiple of 100.
    #[error("component {component}: ram {} must be a multiple of 100 MB, at least 100", num(*ram))]
    ComponentRamInvalid {
        /// Component name.
        component: String,
        /// The value.
        ram: f64,
    },
    /// A component hdd below 1 GB or not whole.
    #[error("component {component}: hdd {} must be a whole number of GB, at least 1", num(*hdd))]
    ComponentHddInvalid {
        /// Component name.
        component: String,
        /// The value.
        hdd: f64,
    },
    /// A geolocation entry that is not `ac…`/`a!c…` (or legacy `a…`/`b…`) with valid codes.
    #[error(
        "geolocation entry `{geolocation}` is not ac<CONTINENT>[_<COUNTRY>[_<REGION>]], a!c… or a legacy aXX/bXX code"
    )]
    GeolocationInvalid {
        /// The entry.
        geolocation: String,
    },
    /// `containerData` does not follow the mount syntax (apps.md §5.4).
    #[error("{scope}: containerData `{container_data}` is invalid: {reason}")]
    ContainerDataInvalid {
        /// App or component.
        scope: Scope,
        /// The value.
        container_data: String,
        /// What is wrong.
        reason: String,
    },
    /// `repotag` is not `[HOST[:PORT]/][NS/]REPO:TAG`.
    #[error("{scope}: repotag `{repotag}` is not [HOST[:PORT]/][NS/]REPO:TAG")]
    RepotagInvalid {
        /// App or component.
        scope: Scope,
        /// The value.
        repotag: String,
    },
}

impl SpecError {
    /// Whether FluxOS itself enforces this rule (otherwise only strict mode does).
    pub fn is_fluxos_rule(&self) -> bool {
        !matches!(
            self,
            SpecError::UnknownKey { .. }
                | SpecError::UnknownComponentKey { .. }
                | SpecError::NotAString { .. }
                | SpecError::DatacenterInvalid
                | SpecError::ComponentCpuInvalid { .. }
                | SpecError::ComponentRamInvalid { .. }
                | SpecError::ComponentHddInvalid { .. }
                | SpecError::GeolocationInvalid { .. }
                | SpecError::ContainerDataInvalid { .. }
                | SpecError::RepotagInvalid { .. }
        )
    }

    /// FluxOS's exact error message for this violation, or `None` for strict-only rules.
    pub fn fluxos_message(&self) -> Option<String> {
        self.is_fluxos_rule().then(|| self.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tier_messages_use_fluxos_capitalised_tier_names() {
        let messages: Vec<String> = Tier::ALL
            .into_iter()
            .map(|tier| {
                SpecError::HardwareBadlyAssigned {
                    resource: Resource::Ram,
                    tier: Some(tier),
                    app: "web".into(),
                }
                .to_string()
            })
            .collect();
        assert_eq!(
            messages,
            [
                "RAM for Cumulus badly assigned for web",
                "RAM for Nimbus badly assigned for web",
                "RAM for Stratus badly assigned for web",
            ]
        );
        let too_much = SpecError::TooMuchResources {
            resource: Resource::Hdd,
            tier: Some(Tier::Stratus),
            app: "web".into(),
        };
        assert_eq!(
            too_much.to_string(),
            "Too much SSD for Stratus resources assigned for web"
        );
    }
}
