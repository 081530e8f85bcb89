//! The shared test vectors (`shared/vectors` beside the repository), the one place that reads them.

use serde_json::Value;

/// The JSON vector file `name` (e.g. `genesis.json`), parsed; a missing or malformed file fails
/// the test with its path.
pub fn json(name: &str) -> Value {
    let path = format!("{}/../../shared/vectors/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{path}: {error}"));
    serde_json::from_str(&text).unwrap_or_else(|error| panic!("{path}: {error}"))
}
