//! The app specification types, one struct per FluxOS spec version, in FluxOS's canonical form.
//!
//! Field order is the order of `specificationFormatter` (apps.md §1.3), so serialising a spec with
//! [`super::js::JsFormatter`] gives the exact string FluxOS signs and hashes. Numbers are `f64`
//! because FluxOS keeps JavaScript numbers: a port of `30001.5` or a cpu of `-1` is representable
//! and is rejected (or, for FluxOS, sometimes accepted) by validation rather than by parsing.

use core::fmt;

use flux_tx::Tier;

use serde::de::{self, Deserialize, Deserializer};
use serde::ser::{Serialize, Serializer};

/// The `version` field of a spec struct: always `N`, checked when deserialising.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Version<const N: u8>;

impl<const N: u8> Version<N> {
    /// The version number.
    pub const NUMBER: u8 = N;
}

impl<const N: u8> Serialize for Version<N> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u8(N)
    }
}

impl<'de, const N: u8> Deserialize<'de> for Version<N> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let v = f64::deserialize(deserializer)?;
        if v == f64::from(N) {
            Ok(Version)
        } else {
            Err(de::Error::custom(format_args!(
                "expected spec version {N}, found {v}"
            )))
        }
    }
}

/// The nine per-tier resource fields of a tiered spec or component (v1–7): cpu in cores, ram in
/// MB, hdd in GB for the cumulus (`basic`), nimbus (`super`) and stratus (`bamf`) node tiers.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[allow(missing_docs)] // The nine fields are named by tier and resource.
pub struct Tiers {
    pub cpubasic: f64,
    pub cpusuper: f64,
    pub cpubamf: f64,
    pub rambasic: f64,
    pub ramsuper: f64,
    pub rambamf: f64,
    pub hddbasic: f64,
    pub hddsuper: f64,
    pub hddbamf: f64,
}

impl Tiers {
    /// The three fields of one tier: FluxOS still suffixes them with the tier's former name
    /// (`cpubasic`, `ramsuper`, `hddbamf`, see [`Tier::former_name`]).
    pub const fn for_tier(&self, tier: Tier) -> TierResources {
        match tier {
            Tier::Cumulus => TierResources {
                cpu: self.cpubasic,
                ram: self.rambasic,
                hdd: self.hddbasic,
            },
            Tier::Nimbus => TierResources {
                cpu: self.cpusuper,
                ram: self.ramsuper,
                hdd: self.hddsuper,
            },
            Tier::Stratus => TierResources {
                cpu: self.cpubamf,
                ram: self.rambamf,
                hdd: self.hddbamf,
            },
        }
    }
}

/// One tier's resource fields of a tiered spec, in the spec's units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TierResources {
    /// CPU cores.
    pub cpu: f64,
    /// RAM in MB.
    pub ram: f64,
    /// Disk in GB.
    pub hdd: f64,
}

/// Spec version 1: one container with a single numeric `port`/`containerPort`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppSpecV1 {
    /// Always 1.
    pub version: Version<1>,
    /// App name.
    pub name: String,
    /// Free-text description (≤256 UTF-16 units).
    pub description: String,
    /// Owner: a ZelID (P2PKH address), hex public key or `0x` address.
    pub owner: String,
    /// Docker image `[HOST[:PORT]/][NS/]REPO:TAG`.
    pub repotag: String,
    /// Public port.
    pub port: f64,
    /// Environment variables (`enviromentParameters`, FluxOS's spelling).
    pub enviroment_parameters: Vec<String>,
    /// Container command arguments.
    pub commands: Vec<String>,
    /// Port inside the container.
    pub container_port: f64,
    /// Mount syntax (apps.md §5.4).
    pub container_data: String,
    /// CPU cores.
    pub cpu: f64,
    /// RAM in MB.
    pub ram: f64,
    /// Disk in GB.
    pub hdd: f64,
    /// Whether per-tier resources apply.
    pub tiered: bool,
    /// Per-tier resources, present when `tiered`.
    #[serde(flatten, default, skip_serializing_if = "Option::is_none")]
    pub tiers: Option<Tiers>,
}

/// Spec versions 2 and 3 share this shape; v3 adds `instances` (see [`AppSpecV3`]).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppSpecV2 {
    /// Always 2.
    pub version: Version<2>,
    /// App name.
    pub name: String,
    /// Free-text description.
    pub description: String,
    /// Owner address.
    pub owner: String,
    /// Docker image.
    pub repotag: String,
    /// Public ports; strings in the canonical v2/v3 form.
    pub ports: Vec<String>,
    /// One domain per port (`""` for none).
    pub domains: Vec<String>,
    /// Environment variables (FluxOS's spelling).
    pub enviroment_parameters: Vec<String>,
    /// Container command arguments.
    pub commands: Vec<String>,
    /// Container ports; strings in the canonical v2/v3 form.
    pub container_ports: Vec<String>,
    /// Mount syntax.
    pub container_data: String,
    /// CPU cores.
    pub cpu: f64,
    /// RAM in MB.
    pub ram: f64,
    /// Disk in GB.
    pub hdd: f64,
    /// Whether per-tier resources apply.
    pub tiered: bool,
    /// Per-tier resources, present when `tiered`.
    #[serde(flatten, default, skip_serializing_if = "Option::is_none")]
    pub tiers: Option<Tiers>,
}

/// Spec version 3: v2 plus `instances`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppSpecV3 {
    /// Always 3.
    pub version: Version<3>,
    /// App name.
    pub name: String,
    /// Free-text description.
    pub description: String,
    /// Owner address.
    pub owner: String,
    /// Docker image.
    pub repotag: String,
    /// Public ports (strings).
    pub ports: Vec<String>,
    /// One domain per port.
    pub domains: Vec<String>,
    /// Environment variables (FluxOS's spelling).
    pub enviroment_parameters: Vec<String>,
    /// Container command arguments.
    pub commands: Vec<String>,
    /// Container ports (strings).
    pub container_ports: Vec<String>,
    /// Mount syntax.
    pub container_data: String,
    /// CPU cores.
    pub cpu: f64,
    /// RAM in MB.
    pub ram: f64,
    /// Disk in GB.
    pub hdd: f64,
    /// Whether per-tier resources apply.
    pub tiered: bool,
    /// Per-tier resources, present when `tiered`.
    #[serde(flatten, default, skip_serializing_if = "Option::is_none")]
    pub tiers: Option<Tiers>,
    /// Number of instances to run.
    pub instances: f64,
}

/// A component of a v4–v6 compose spec.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ComponentV4 {
    /// Component name (`[a-zA-Z0-9]+`), unique within the app.
    pub name: String,
    /// Free-text description.
    pub description: String,
    /// Docker image.
    pub repotag: String,
    /// Public ports (numbers).
    pub ports: Vec<f64>,
    /// One domain per port.
    pub domains: Vec<String>,
    /// Environment variables.
    pub environment_parameters: Vec<String>,
    /// Container command arguments.
    pub commands: Vec<String>,
    /// Container ports (numbers).
    pub container_ports: Vec<f64>,
    /// Mount syntax.
    pub container_data: String,
    /// CPU cores.
    pub cpu: f64,
    /// RAM in MB.
    pub ram: f64,
    /// Disk in GB.
    pub hdd: f64,
    /// Whether per-tier resources apply.
    pub tiered: bool,
    /// Per-tier resources, present when `tiered`.
    #[serde(flatten, default, skip_serializing_if = "Option::is_none")]
    pub tiers: Option<Tiers>,
}

/// A component of a v7 compose spec: v4 plus PGP-encrypted `repoauth` and `secrets`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ComponentV7 {
    /// Component name.
    pub name: String,
    /// Free-text description.
    pub description: String,
    /// Docker image.
    pub repotag: String,
    /// Public ports.
    pub ports: Vec<f64>,
    /// One domain per port.
    pub domains: Vec<String>,
    /// Environment variables.
    pub environment_parameters: Vec<String>,
    /// Container command arguments.
    pub commands: Vec<String>,
    /// Container ports.
    pub container_ports: Vec<f64>,
    /// Mount syntax.
    pub container_data: String,
    /// CPU cores.
    pub cpu: f64,
    /// RAM in MB.
    pub ram: f64,
    /// Disk in GB.
    pub hdd: f64,
    /// Whether per-tier resources apply.
    pub tiered: bool,
    /// Per-tier resources, present when `tiered`.
    #[serde(flatten, default, skip_serializing_if = "Option::is_none")]
    pub tiers: Option<Tiers>,
    /// Private registry credentials, PGP-encrypted for the `nodes` (empty for none).
    pub repoauth: String,
    /// Secret environment, PGP-encrypted for the `nodes` (empty for none).
    pub secrets: String,
}

/// A component of a v8 compose spec (no tiers; `repoauth` in plain text inside an enterprise
/// blob).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ComponentV8 {
    /// Component name.
    pub name: String,
    /// Free-text description.
    pub description: String,
    /// Docker image.
    pub repotag: String,
    /// Public ports.
    pub ports: Vec<f64>,
    /// One domain per port.
    pub domains: Vec<String>,
    /// Environment variables.
    pub environment_parameters: Vec<String>,
    /// Container command arguments.
    pub commands: Vec<String>,
    /// Container ports.
    pub container_ports: Vec<f64>,
    /// Mount syntax.
    pub container_data: String,
    /// CPU cores.
    pub cpu: f64,
    /// RAM in MB.
    pub ram: f64,
    /// Disk in GB.
    pub hdd: f64,
    /// Private registry credentials (enterprise apps only; empty for none).
    pub repoauth: String,
}

/// Spec version 4: compose and instances.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AppSpecV4 {
    /// Always 4.
    pub version: Version<4>,
    /// App name.
    pub name: String,
    /// Free-text description.
    pub description: String,
    /// Owner address.
    pub owner: String,
    /// The components (1–10; 1–5 before height 1,300,000).
    pub compose: Vec<ComponentV4>,
    /// Number of instances.
    pub instances: f64,
}

/// Spec version 5: v4 plus contacts and geolocation.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AppSpecV5 {
    /// Always 5.
    pub version: Version<5>,
    /// App name.
    pub name: String,
    /// Free-text description.
    pub description: String,
    /// Owner address.
    pub owner: String,
    /// The components.
    pub compose: Vec<ComponentV4>,
    /// Number of instances.
    pub instances: f64,
    /// Contact strings (≤5, each ≤75).
    pub contacts: Vec<String>,
    /// Geolocation rules (apps.md §4.4).
    pub geolocation: Vec<String>,
}

/// Spec version 6: v5 plus `expire`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AppSpecV6 {
    /// Always 6.
    pub version: Version<6>,
    /// App name.
    pub name: String,
    /// Free-text description.
    pub description: String,
    /// Owner address.
    pub owner: String,
    /// The components.
    pub compose: Vec<ComponentV4>,
    /// Number of instances.
    pub instances: f64,
    /// Contact strings.
    pub contacts: Vec<String>,
    /// Geolocation rules.
    pub geolocation: Vec<String>,
    /// Lifetime in blocks from the registering (or updating) message's height.
    pub expire: f64,
}

/// Spec version 7: v6 plus `nodes` and `staticip`, with v7 components.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AppSpecV7 {
    /// Always 7.
    pub version: Version<7>,
    /// App name.
    pub name: String,
    /// Free-text description.
    pub description: String,
    /// Owner address.
    pub owner: String,
    /// The components.
    pub compose: Vec<ComponentV7>,
    /// Number of instances.
    pub instances: f64,
    /// Contact strings.
    pub contacts: Vec<String>,
    /// Geolocation rules.
    pub geolocation: Vec<String>,
    /// Lifetime in blocks.
    pub expire: f64,
    /// Target nodes (IPs or collateral outpoints); non-empty makes the app "enterprise".
    pub nodes: Vec<String>,
    /// Run only on nodes with a static IP.
    pub staticip: bool,
}

/// The v8 `enterprise` field: `false`/`""` (or another falsy value) for an ordinary app, or a
/// base64 blob holding the encrypted compose and contacts.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum Enterprise {
    /// A boolean (only `false` survives FluxOS's formatting).
    Bool(bool),
    /// A number (only `0` survives formatting).
    Number(f64),
    /// A string: `""` for none, otherwise the encrypted blob.
    Text(String),
}

impl Enterprise {
    /// Whether the app is an enterprise app (the value is truthy).
    pub fn is_set(&self) -> bool {
        match self {
            Enterprise::Bool(b) => *b,
            Enterprise::Number(n) => *n != 0.0 && !n.is_nan(),
            Enterprise::Text(s) => !s.is_empty(),
        }
    }
}

impl Default for Enterprise {
    fn default() -> Self {
        Enterprise::Text(String::new())
    }
}

/// Spec version 8: v7 plus `datacenter` and `enterprise`, with v8 components.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AppSpecV8 {
    /// Always 8.
    pub version: Version<8>,
    /// App name (`[a-zA-Z0-9-]`, no leading or trailing hyphen, ≤63).
    pub name: String,
    /// Free-text description.
    pub description: String,
    /// Owner address.
    pub owner: String,
    /// The components (`[]` in the stored form of an enterprise app).
    pub compose: Vec<ComponentV8>,
    /// Number of instances.
    pub instances: f64,
    /// Contact strings (`[]` in the stored form of an enterprise app).
    pub contacts: Vec<String>,
    /// Geolocation rules.
    pub geolocation: Vec<String>,
    /// Lifetime in blocks.
    pub expire: f64,
    /// Target nodes (enterprise apps only).
    pub nodes: Vec<String>,
    /// Run only on nodes with a static IP.
    pub staticip: bool,
    /// Run only on datacenter nodes (enterprise owners only); omitted when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub datacenter: Option<bool>,
    /// The enterprise blob, or a falsy value.
    pub enterprise: Enterprise,
}

/// An app specification of any FluxOS version.
///
/// Deserialising reads `version` and then the matching struct; it expects the canonical form
/// (types as FluxOS stores them). For raw user input with FluxOS's coercions use
/// [`AppSpec::from_fluxos_json`](super::AppSpec::from_fluxos_json).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(untagged)]
#[allow(missing_docs)] // One variant per version, named by it.
pub enum AppSpec {
    V1(AppSpecV1),
    V2(AppSpecV2),
    V3(AppSpecV3),
    V4(AppSpecV4),
    V5(AppSpecV5),
    V6(AppSpecV6),
    V7(AppSpecV7),
    V8(AppSpecV8),
}

impl<'de> Deserialize<'de> for AppSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        let version = value
            .get("version")
            .and_then(serde_json::Value::as_f64)
            .ok_or_else(|| de::Error::custom("missing or non-numeric spec version"))?;
        let err = |e: serde_json::Error| de::Error::custom(e);
        // Version numbers are compared exactly; 2.0 is 2.
        let number = if version.fract() == 0.0 && (1.0..=8.0).contains(&version) {
            // Whole and in 1..=8, so exact.
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let n = version as u8;
            n
        } else {
            0
        };
        let spec = match number {
            1 => AppSpec::V1(serde_json::from_value(value).map_err(err)?),
            2 => AppSpec::V2(serde_json::from_value(value).map_err(err)?),
            3 => AppSpec::V3(serde_json::from_value(value).map_err(err)?),
            4 => AppSpec::V4(serde_json::from_value(value).map_err(err)?),
            5 => AppSpec::V5(serde_json::from_value(value).map_err(err)?),
            6 => AppSpec::V6(serde_json::from_value(value).map_err(err)?),
            7 => AppSpec::V7(serde_json::from_value(value).map_err(err)?),
            8 => AppSpec::V8(serde_json::from_value(value).map_err(err)?),
            _ => {
                return Err(de::Error::custom(format_args!(
                    "unsupported spec version {version}"
                )));
            }
        };
        Ok(spec)
    }
}

/// A borrowed, version-independent view of one container of a spec: the single container of a
/// v1–3 spec or one compose component.
#[derive(Debug, Clone, Copy)]
pub struct ComponentView<'a> {
    /// Component name (the app name for v1–3).
    pub name: &'a str,
    /// Docker image.
    pub repotag: &'a str,
    /// Mount syntax.
    pub container_data: &'a str,
    /// Environment variables.
    pub environment: &'a [String],
    /// Commands.
    pub commands: &'a [String],
    /// CPU cores.
    pub cpu: f64,
    /// RAM in MB.
    pub ram: f64,
    /// Disk in GB.
    pub hdd: f64,
    /// Per-tier resources of a tiered container.
    pub tiers: Option<&'a Tiers>,
    /// Public and container ports of a compose component (v4+); `None` for v1–3, whose ports
    /// are app-level fields.
    pub compose_ports: Option<(&'a [f64], &'a [f64])>,
}

impl AppSpec {
    /// The spec version, 1–8.
    pub fn version(&self) -> u8 {
        match self {
            AppSpec::V1(_) => 1,
            AppSpec::V2(_) => 2,
            AppSpec::V3(_) => 3,
            AppSpec::V4(_) => 4,
            AppSpec::V5(_) => 5,
            AppSpec::V6(_) => 6,
            AppSpec::V7(_) => 7,
            AppSpec::V8(_) => 8,
        }
    }

    /// The app name.
    pub fn name(&self) -> &str {
        match self {
            AppSpec::V1(s) => &s.name,
            AppSpec::V2(s) => &s.name,
            AppSpec::V3(s) => &s.name,
            AppSpec::V4(s) => &s.name,
            AppSpec::V5(s) => &s.name,
            AppSpec::V6(s) => &s.name,
            AppSpec::V7(s) => &s.name,
            AppSpec::V8(s) => &s.name,
        }
    }

    /// The description.
    pub fn description(&self) -> &str {
        match self {
            AppSpec::V1(s) => &s.description,
            AppSpec::V2(s) => &s.description,
            AppSpec::V3(s) => &s.description,
            AppSpec::V4(s) => &s.description,
            AppSpec::V5(s) => &s.description,
            AppSpec::V6(s) => &s.description,
            AppSpec::V7(s) => &s.description,
            AppSpec::V8(s) => &s.description,
        }
    }

    /// The owner.
    pub fn owner(&self) -> &str {
        match self {
            AppSpec::V1(s) => &s.owner,
            AppSpec::V2(s) => &s.owner,
            AppSpec::V3(s) => &s.owner,
            AppSpec::V4(s) => &s.owner,
            AppSpec::V5(s) => &s.owner,
            AppSpec::V6(s) => &s.owner,
            AppSpec::V7(s) => &s.owner,
            AppSpec::V8(s) => &s.owner,
        }
    }

    /// The instance count (`None` for v1–2, where FluxOS assumes 3).
    pub fn instances(&self) -> Option<f64> {
        match self {
            AppSpec::V1(_) | AppSpec::V2(_) => None,
            AppSpec::V3(s) => Some(s.instances),
            AppSpec::V4(s) => Some(s.instances),
            AppSpec::V5(s) => Some(s.instances),
            AppSpec::V6(s) => Some(s.instances),
            AppSpec::V7(s) => Some(s.instances),
            AppSpec::V8(s) => Some(s.instances),
        }
    }

    /// The `expire` field (`None` before v6, where a default applies).
    pub fn expire(&self) -> Option<f64> {
        match self {
            AppSpec::V6(s) => Some(s.expire),
            AppSpec::V7(s) => Some(s.expire),
            AppSpec::V8(s) => Some(s.expire),
            _ => None,
        }
    }

    /// The `nodes` list (empty before v7).
    pub fn nodes(&self) -> &[String] {
        match self {
            AppSpec::V7(s) => &s.nodes,
            AppSpec::V8(s) => &s.nodes,
            _ => &[],
        }
    }

    /// Whether the app requires static-IP nodes.
    pub fn staticip(&self) -> bool {
        match self {
            AppSpec::V7(s) => s.staticip,
            AppSpec::V8(s) => s.staticip,
            _ => false,
        }
    }

    /// Whether the v8 `enterprise` field is set.
    pub fn is_enterprise(&self) -> bool {
        matches!(self, AppSpec::V8(s) if s.enterprise.is_set())
    }

    /// The contacts (empty before v5).
    pub fn contacts(&self) -> &[String] {
        match self {
            AppSpec::V5(s) => &s.contacts,
            AppSpec::V6(s) => &s.contacts,
            AppSpec::V7(s) => &s.contacts,
            AppSpec::V8(s) => &s.contacts,
            _ => &[],
        }
    }

    /// The geolocation rules (empty before v5).
    pub fn geolocation(&self) -> &[String] {
        match self {
            AppSpec::V5(s) => &s.geolocation,
            AppSpec::V6(s) => &s.geolocation,
            AppSpec::V7(s) => &s.geolocation,
            AppSpec::V8(s) => &s.geolocation,
            _ => &[],
        }
    }

    /// Every public port as a number, in spec order (v2/3 string ports through `Number()`).
    pub fn ports(&self) -> Vec<f64> {
        match self {
            AppSpec::V1(s) => vec![s.port],
            AppSpec::V2(s) => s
                .ports
                .iter()
                .map(|p| super::js::string_to_number(p))
                .collect(),
            AppSpec::V3(s) => s
                .ports
                .iter()
                .map(|p| super::js::string_to_number(p))
                .collect(),
            AppSpec::V4(s) => s.compose.iter().flat_map(|c| c.ports.clone()).collect(),
            AppSpec::V5(s) => s.compose.iter().flat_map(|c| c.ports.clone()).collect(),
            AppSpec::V6(s) => s.compose.iter().flat_map(|c| c.ports.clone()).collect(),
            AppSpec::V7(s) => s.compose.iter().flat_map(|c| c.ports.clone()).collect(),
            AppSpec::V8(s) => s.compose.iter().flat_map(|c| c.ports.clone()).collect(),
        }
    }

    /// The containers of the app: the spec itself for v1–3, the compose components for v4+.
    pub fn components(&self) -> Vec<ComponentView<'_>> {
        fn legacy<'a>(
            name: &'a str,
            repotag: &'a str,
            data: &'a str,
            env: &'a [String],
            commands: &'a [String],
            res: (f64, f64, f64),
            tiers: Option<&'a Tiers>,
        ) -> ComponentView<'a> {
            ComponentView {
                name,
                repotag,
                container_data: data,
                environment: env,
                commands,
                cpu: res.0,
                ram: res.1,
                hdd: res.2,
                tiers,
                compose_ports: None,
            }
        }
        macro_rules! compose {
            ($list:expr, $c:ident => $tiers:expr) => {
                $list
                    .iter()
                    .map(|$c| ComponentView {
                        name: &$c.name,
                        repotag: &$c.repotag,
                        container_data: &$c.container_data,
                        environment: &$c.environment_parameters,
                        commands: &$c.commands,
                        cpu: $c.cpu,
                        ram: $c.ram,
                        hdd: $c.hdd,
                        tiers: $tiers,
                        compose_ports: Some((&$c.ports[..], &$c.container_ports[..])),
                    })
                    .collect()
            };
        }
        match self {
            AppSpec::V1(s) => vec![legacy(
                &s.name,
                &s.repotag,
                &s.container_data,
                &s.enviroment_parameters,
                &s.commands,
                (s.cpu, s.ram, s.hdd),
                s.tiers.as_ref().filter(|_| s.tiered),
            )],
            AppSpec::V2(s) => vec![legacy(
                &s.name,
                &s.repotag,
                &s.container_data,
                &s.enviroment_parameters,
                &s.commands,
                (s.cpu, s.ram, s.hdd),
                s.tiers.as_ref().filter(|_| s.tiered),
            )],
            AppSpec::V3(s) => vec![legacy(
                &s.name,
                &s.repotag,
                &s.container_data,
                &s.enviroment_parameters,
                &s.commands,
                (s.cpu, s.ram, s.hdd),
                s.tiers.as_ref().filter(|_| s.tiered),
            )],
            AppSpec::V4(s) => compose!(s.compose, c => c.tiers.as_ref().filter(|_| c.tiered)),
            AppSpec::V5(s) => compose!(s.compose, c => c.tiers.as_ref().filter(|_| c.tiered)),
            AppSpec::V6(s) => compose!(s.compose, c => c.tiers.as_ref().filter(|_| c.tiered)),
            AppSpec::V7(s) => compose!(s.compose, c => c.tiers.as_ref().filter(|_| c.tiered)),
            AppSpec::V8(s) => compose!(s.compose, _c => None),
        }
    }
}

impl fmt::Display for AppSpec {
    /// The canonical JSON string (what FluxOS signs and hashes).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.canonical_json())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_tier_reads_the_fields_with_its_former_name() {
        let tiers = Tiers {
            cpubasic: 1.0,
            cpusuper: 2.0,
            cpubamf: 3.0,
            rambasic: 10.0,
            ramsuper: 20.0,
            rambamf: 30.0,
            hddbasic: 100.0,
            hddsuper: 200.0,
            hddbamf: 300.0,
        };
        let read: Vec<(&str, TierResources)> = Tier::ALL
            .into_iter()
            .map(|tier| (tier.former_name(), tiers.for_tier(tier)))
            .collect();
        let fields = |cpu, ram, hdd| TierResources { cpu, ram, hdd };
        assert_eq!(
            read,
            [
                ("basic", fields(1.0, 10.0, 100.0)),
                ("super", fields(2.0, 20.0, 200.0)),
                ("bamf", fields(3.0, 30.0, 300.0)),
            ]
        );
    }
}
