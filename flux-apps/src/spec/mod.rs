//! FluxOS app specifications: types for spec versions 1–8, FluxOS's formatting and validation,
//! the canonical JSON FluxOS signs and hashes, message hashes and prices.
//!
//! The reference is FluxOS v8.17.0 (`RunOnFlux/flux@845aa9b`) as described in `apps.md`; where the
//! two disagree the code follows FluxOS. The module splits the work like FluxOS does:
//!
//! 1. [`AppSpec::from_fluxos_json`] / [`check_json`]: FluxOS's `specificationFormatter`
//!    (coercions such as ports to strings in v2/3 and to numbers in v4+, env entries through
//!    `JSON.stringify`, unknown keys dropped) and its type checks;
//! 2. [`validate`]: the restriction, activation, uniqueness and hardware rules at a block height,
//!    returning every violated rule as a [`SpecError`] (FluxOS's message is its `Display`);
//! 3. [`AppSpec::canonical_json`] and [`message_hash`]: the exact string FluxOS signs and the
//!    SHA-256 it stores;
//! 4. [`price`]: `appPricePerMonth`, the registration and update fees.
//!
//! [`ValidationOptions::strict`] also rejects what FluxOS wrongly accepts (vectors marked
//! `_ACCEPTED`): unknown keys, non-string strings, per-component resources of 0, 0.15 cores,
//! 150 MB or negative values, unparseable geolocation, bad mount syntax and bad repotags.
//!
//! ```
//! use flux_apps::spec::{AppSpec, BlockHeight, ValidationOptions};
//!
//! let json = r#"{"version":8,"name":"my-app","description":"demo","owner":"1CbErtneaX2QVyUfwU7JGB7VzvPgrgc3uC",
//!   "compose":[{"name":"web","description":"nginx","repotag":"nginx:1.27","ports":[31000],"domains":[""],
//!   "environmentParameters":[],"commands":[],"containerPorts":[80],"containerData":"/tmp",
//!   "cpu":0.5,"ram":500,"hdd":5,"repoauth":""}],
//!   "instances":3,"contacts":[],"geolocation":[],"expire":88000,"nodes":[],"staticip":false,"enterprise":""}"#;
//! let spec = AppSpec::from_fluxos_json(json)?;
//! assert!(spec.validate(BlockHeight(2_800_000), &ValidationOptions::strict()).is_empty());
//! // 0.5 cpu, 500 MB, 5 GB: 0.22 for three instances, 0.08 per instance, 0.24 for three.
//! assert_eq!(flux_apps::spec::price::price_per_period(&spec, BlockHeight(2_800_000)), 0.24);
//! # Ok::<(), flux_apps::spec::ParseError>(())
//! ```

mod error;
mod format;
mod geolocation;
pub mod js;
pub mod mount;
pub mod params;
pub mod price;
mod types;
mod validate;

pub use error::{ArrayField, ComponentField, Resource, Scope, SpecError};
/// The block height rules and prices depend on: the SDK's one height type.
pub use flux_tx::BlockHeight;
/// The node tier of the tiered (v1–7) resource fields: the SDK's one tier type.
pub use flux_tx::Tier;
pub use format::{Formatted, format};
pub use geolocation::GeoRule;
pub use types::{
    AppSpec, AppSpecV1, AppSpecV2, AppSpecV3, AppSpecV4, AppSpecV5, AppSpecV6, AppSpecV7,
    AppSpecV8, ComponentV4, ComponentV7, ComponentV8, ComponentView, Enterprise, TierResources,
    Tiers, Version,
};
pub use validate::{
    ValidationOptions, geolocation_entry_is_valid, repotag_is_valid, validate, validate_value,
};

use sha2::{Digest, Sha256};

use js::JsValue;

/// Why spec JSON could not be turned into an [`AppSpec`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// The text is not JSON.
    #[error("not JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// FluxOS's formatter or type checks reject the spec.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Spec(Vec<SpecError>),
}

/// The result of checking raw spec JSON: the spec when it could be built, and every violation.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// The spec in canonical form, when FluxOS's formatter could build it.
    pub spec: Option<AppSpec>,
    /// Every violated rule, in FluxOS's order (the first is FluxOS's own error).
    pub violations: Vec<SpecError>,
}

impl Report {
    /// Whether no rule is violated.
    pub fn is_valid(&self) -> bool {
        self.violations.is_empty()
    }
}

/// Formats and validates raw spec JSON at `height`, like a FluxOS node receiving it.
///
/// # Errors
/// The `serde_json` error when the text is not JSON.
pub fn check_json(
    text: &str,
    height: BlockHeight,
    options: &ValidationOptions,
) -> Result<Report, serde_json::Error> {
    let raw = JsValue::parse(text)?;
    let (spec, violations) = validate_value(&raw, height, options);
    Ok(Report { spec, violations })
}

/// `sha256(type + version + spec_json + timestamp + signature)` as lowercase hex: the hash
/// FluxOS stores for an app message and puts in the payment's OP_RETURN
/// (`S/generalService.js:237-242`).
pub fn message_hash(
    message_type: &str,
    message_version: u32,
    spec_json: &str,
    timestamp_ms: u64,
    signature: &str,
) -> String {
    let text = format!("{message_type}{message_version}{spec_json}{timestamp_ms}{signature}");
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// The string a user signs for an app message: `type + version + spec_json + timestamp`.
pub fn signed_message(
    message_type: &str,
    message_version: u32,
    spec_json: &str,
    timestamp_ms: u64,
) -> String {
    format!("{message_type}{message_version}{spec_json}{timestamp_ms}")
}

impl AppSpec {
    /// Parses raw spec JSON through FluxOS's formatter (its coercions and type checks), without
    /// the height-dependent rules.
    ///
    /// # Errors
    /// [`ParseError::Json`] for text that is not JSON, [`ParseError::Spec`] when the formatter or
    /// the type checks reject the spec.
    pub fn from_fluxos_json(text: &str) -> Result<AppSpec, ParseError> {
        let raw = JsValue::parse(text)?;
        let formatted = format(&raw);
        match formatted.spec {
            Some(spec) if formatted.violations.is_empty() => Ok(spec),
            _ => Err(ParseError::Spec(formatted.violations)),
        }
    }

    /// Validates at `height`; see [`validate`].
    pub fn validate(&self, height: BlockHeight, options: &ValidationOptions) -> Vec<SpecError> {
        validate(self, height, options)
    }

    /// `JSON.stringify` of the spec in FluxOS's canonical key order and number format: the exact
    /// string FluxOS signs and hashes.
    pub fn canonical_json(&self) -> String {
        // Serialising plain data to a Vec cannot fail.
        js::to_js_json(self).unwrap_or_default()
    }

    /// The older key orders verifiers still accept (`messageVerifier.js:52-88`): `repotag`
    /// before `owner` for v1–3, `secrets` before `repoauth` in v7 components. `None` for other
    /// versions.
    pub fn legacy_canonical_json(&self) -> Option<String> {
        let value = JsValue::parse(&self.canonical_json()).ok()?;
        let JsValue::Object(mut entries) = value else {
            return None;
        };
        match self.version() {
            1..=3 => {
                let repotag = entries.iter().position(|(k, _)| k == "repotag")?;
                let entry = entries.remove(repotag);
                let owner = entries.iter().position(|(k, _)| k == "owner")?;
                entries.insert(owner, entry);
            }
            7 => {
                for (key, compose) in &mut entries {
                    if key != "compose" {
                        continue;
                    }
                    let JsValue::Array(components) = compose else {
                        continue;
                    };
                    for component in components {
                        if let JsValue::Object(fields) = component
                            && let Some(secrets) = fields.iter().position(|(k, _)| k == "secrets")
                        {
                            let entry = fields.remove(secrets);
                            let repoauth = fields.iter().position(|(k, _)| k == "repoauth")?;
                            fields.insert(repoauth, entry);
                        }
                    }
                }
            }
            _ => return None,
        }
        Some(JsValue::Object(entries).stringify())
    }

    /// The message hash of this spec in canonical form; see [`message_hash`].
    pub fn message_hash(&self, message_type: &str, timestamp_ms: u64, signature: &str) -> String {
        message_hash(
            message_type,
            1,
            &self.canonical_json(),
            timestamp_ms,
            signature,
        )
    }
}
