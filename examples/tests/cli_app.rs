//! `flux app validate|canonical|price`: output contracts and exit codes on the shared app-spec
//! vectors (FluxOS v8.17.0 verdicts, canonical strings and prices).

use std::path::PathBuf;

mod common;
use common::flux;

const VALID: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/vectors/app_specs.json"
);
const INVALID: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/vectors/app_specs_invalid.json"
);

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

fn load(path: &str) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Writes one spec to a temporary file and returns its path.
fn spec_file(dir: &tempfile::TempDir, name: &str, spec: &serde_json::Value) -> PathBuf {
    let path = dir.path().join(format!("{name}.json"));
    std::fs::write(&path, serde_json::to_string(spec).unwrap()).unwrap();
    path
}

#[test]
fn real_specs_validate_canonicalise_and_price_like_fluxos() {
    let dir = tempfile::tempdir().unwrap();
    let vectors = load(VALID);
    for entry in vectors["specs"].as_array().unwrap() {
        let id = entry["id"].as_str().unwrap();
        let eval = &entry["evaluation"];
        let height = eval["height"].to_string();
        let path = spec_file(&dir, id, &entry["spec"]);
        let path = path.to_str().unwrap();

        let out = flux(&["app", "validate", path, "--height", &height]);
        if eval["valid"].as_bool().unwrap() {
            assert_eq!(out.status.code(), Some(0), "{id}: {}", text(&out.stdout));
            assert_eq!(text(&out.stdout), "valid\n");
        } else {
            assert_eq!(out.status.code(), Some(1), "{id}");
            let first = text(&out.stdout)
                .lines()
                .next()
                .unwrap_or_default()
                .to_owned();
            assert_eq!(first, eval["error"].as_str().unwrap(), "{id}");
        }

        let out = flux(&["app", "canonical", path]);
        assert_eq!(out.status.code(), Some(0), "{id}");
        assert_eq!(
            text(&out.stdout),
            format!("{}\n", eval["canonical_json"].as_str().unwrap()),
            "{id}"
        );

        let out = flux(&["app", "price", path, "--height", &height, "--json"]);
        assert_eq!(out.status.code(), Some(0), "{id}: {}", text(&out.stderr));
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(
            json["price_per_month_flux"], eval["price_per_month_flux"],
            "{id}"
        );
        assert_eq!(
            json["min_registration_fee_flux"], eval["min_registration_fee_flux"],
            "{id}"
        );
    }
}

#[test]
fn mutations_exit_1_with_the_fluxos_message_first() {
    let dir = tempfile::tempdir().unwrap();
    let vectors = load(INVALID);
    for case in vectors["cases"].as_array().unwrap() {
        let id = case["id"].as_str().unwrap();
        let height = case["height"].to_string();
        let path = spec_file(&dir, id, &case["spec"]);
        let path = path.to_str().unwrap();
        let out = flux(&["app", "validate", path, "--height", &height]);
        let strict = flux(&["app", "validate", path, "--height", &height, "--strict"]);
        if case["expected"]["valid"].as_bool().unwrap() {
            assert_eq!(out.status.code(), Some(0), "{id}: {}", text(&out.stdout));
            let strict_code = if id.contains("_ACCEPTED") { 1 } else { 0 };
            assert_eq!(strict.status.code(), Some(strict_code), "{id}");
        } else {
            assert_eq!(out.status.code(), Some(1), "{id}");
            let stdout = text(&out.stdout);
            assert_eq!(
                stdout.lines().next(),
                case["expected"]["error"].as_str(),
                "{id}"
            );
            assert_eq!(strict.status.code(), Some(1), "{id}");
        }
    }
}

#[test]
fn every_violation_is_listed_one_per_line() {
    let dir = tempfile::tempdir().unwrap();
    let vectors = load(INVALID);
    let mut spec = vectors["cases"][0]["spec"].clone();
    spec["instances"] = 500.into();
    spec["contacts"] = serde_json::json!(["a", "b", "c", "d", "e", "f"]);
    let path = spec_file(&dir, "many", &spec);
    let out = flux(&["app", "validate", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(
        lines.contains(&"Maximum number of instances is 100"),
        "{stdout}"
    );
    assert!(lines.contains(&"Flux App name is too long. Maximum 32 characters allowed"));
    assert!(lines.contains(&"Too many contacts defined. Maximum of 5 allowed."));
}

#[test]
fn unusable_input_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let not_json = dir.path().join("bad.json");
    std::fs::write(&not_json, "{ not json").unwrap();
    let not_json = not_json.to_str().unwrap();
    let missing = dir.path().join("missing.json");
    let missing = missing.to_str().unwrap();
    for args in [
        vec!["app", "validate", not_json],
        vec!["app", "validate", missing],
        vec!["app", "canonical", not_json],
        vec!["app", "price", missing, "--json"],
    ] {
        let out = flux(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(text(&out.stderr).starts_with("error: "), "{args:?}");
        assert!(out.stdout.is_empty());
    }
}
