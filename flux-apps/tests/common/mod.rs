//! What the integration tests share: the app-spec vectors of `shared/vectors`, read in one place,
//! and when a test that needs Docker fails or skips without it (`docker`).

// Each test crate compiles this module and uses only some of it.
#![allow(dead_code)]

use std::path::PathBuf;

use flux_pow::BlockHeight;
use serde_json::Value;

#[cfg(feature = "docker")]
pub mod daemons;
pub mod docker;

/// The real specs with FluxOS's evaluation of each (`app_specs.json`).
pub const APP_SPECS: &str = "app_specs.json";
/// The invalid and edge-case specs with FluxOS's verdicts (`app_specs_invalid.json`).
pub const APP_SPECS_INVALID: &str = "app_specs_invalid.json";

/// The path of a file of the repository's shared vectors.
pub fn vector_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/vectors")
        .join(name)
}

/// The text of a vector file.
pub fn vector_text(name: &str) -> String {
    let path = vector_path(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A vector file parsed as JSON.
pub fn vector_json(name: &str) -> Value {
    serde_json::from_str(&vector_text(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The entries of `app_specs.json`'s `specs` array.
pub fn real_specs() -> Vec<Value> {
    vector_json(APP_SPECS)["specs"]
        .as_array()
        .expect("`specs` array")
        .clone()
}

/// A vector's block height field.
pub fn height(value: &Value) -> BlockHeight {
    let height = value.as_u64().expect("height is a number");
    BlockHeight(u32::try_from(height).expect("height fits in u32"))
}
