//! The one place flux-pow's tests and benches find `../shared/vectors`.

/// A file of `shared/vectors` (beside the workspace), parsed; panics with the path when it is
/// missing or not JSON.
pub fn vectors(name: &str) -> serde_json::Value {
    let path = format!("{}/../../shared/vectors/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: not JSON: {e}"))
}
