//! Runs the app-spec fuzz check over every real spec and invalid case in shared/vectors, over
//! byte-level mutations of them, and over pseudo-random JSON-ish text.

use flux_fuzz::Rng;
use flux_fuzz::app::check_app_spec;

const APP_SPECS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/vectors/app_specs.json"
);
const INVALID_SPECS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/vectors/app_specs_invalid.json"
);

/// The spec JSON texts of both vector files.
fn vector_specs() -> Vec<String> {
    let mut texts = Vec::new();
    for (path, list, key) in [
        (APP_SPECS, "specs", "spec"),
        (INVALID_SPECS, "cases", "spec"),
    ] {
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        for entry in json[list].as_array().unwrap() {
            texts.push(entry[key].to_string());
        }
    }
    texts
}

#[test]
fn real_specs_at_every_height_and_mode() {
    let specs = vector_specs();
    assert!(specs.len() > 70, "both vector files were read");
    for text in &specs {
        for selector in [0u8, 1, 2, 3, 0x80, 0x83] {
            let mut data = vec![selector];
            data.extend_from_slice(text.as_bytes());
            check_app_spec(&data);
        }
    }
}

#[test]
fn mutated_real_specs() {
    let specs = vector_specs();
    let mut rng = Rng(0x0a99_5bec);
    let noise = b"{}[]\",:0123456789.-eE truefalsnul\\u";
    for _ in 0..4000 {
        let base = &specs[(rng.next_u64() as usize) % specs.len()];
        let mut bytes = base.as_bytes().to_vec();
        for _ in 0..1 + rng.next_u64() % 4 {
            let at = (rng.next_u64() as usize) % bytes.len();
            match rng.next_u64() % 3 {
                0 => bytes[at] = noise[(rng.next_u64() as usize) % noise.len()],
                1 => {
                    bytes.remove(at);
                }
                _ => bytes.insert(at, noise[(rng.next_u64() as usize) % noise.len()]),
            }
        }
        let mut data = vec![rng.next_u64() as u8];
        data.extend_from_slice(&bytes);
        check_app_spec(&data);
    }
}

#[test]
fn pseudo_random_inputs() {
    let mut rng = Rng(0x00f1_0a55);
    for _ in 0..3000 {
        check_app_spec(&rng.bytes(200));
    }
}
