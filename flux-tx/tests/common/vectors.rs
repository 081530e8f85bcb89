//! The one place the integration tests find `../shared/vectors`.

use std::io::Write;
use std::path::PathBuf;

use serde_json::Value;

/// `$FLUX_DAEMON_VECTORS_DIR`, or the workspace's sibling `shared/vectors`.
pub fn vectors_dir() -> PathBuf {
    match std::env::var_os("FLUX_DAEMON_VECTORS_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/vectors")),
    }
}

/// A vector file the SDK's own tests need: panics with the path when it is missing or not JSON.
pub fn json(name: &str) -> Value {
    let path = vectors_dir().join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{} is unreadable: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: not JSON: {e}", path.display()))
}

/// One of fluxd's own data files (`src/test/data/*.json`, a JSON array), or `None` after a
/// visible notice when it is absent and `FLUX_REQUIRE_VECTORS=1` is not set (CI sets it).
pub fn daemon_file(name: &str) -> Option<Vec<Value>> {
    let path = vectors_dir().join(name);
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let json: Value = serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{}: not JSON: {e}", path.display()));
            Some(
                json.as_array()
                    .unwrap_or_else(|| panic!("{name}: not an array"))
                    .clone(),
            )
        }
        Err(error) => {
            assert!(
                std::env::var("FLUX_REQUIRE_VECTORS").as_deref() != Ok("1"),
                "FLUX_REQUIRE_VECTORS=1 but {} is unreadable: {error}",
                path.display()
            );
            // Straight to standard error: the harness would hide `eprintln!` in a passing test,
            // and CI fails on any `SKIPPED:` line it sees.
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED: fluxd test data {} not found ({error}); copy fluxd src/test/data/{name} \
                 there, or set FLUX_DAEMON_VECTORS_DIR",
                path.display()
            );
            None
        }
    }
}
