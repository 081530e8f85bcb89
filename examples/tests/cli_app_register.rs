//! `flux app register`: a real marketplace spec (shared vectors) owned by a test key gives a
//! message whose signature FluxOS's check accepts, whose hash is the SHA-256 of FluxOS's hashed
//! string (computed here from the printed fields), a fee equal to `flux app price`'s, and an
//! unsigned payment to the deployment address with the hash in its OP_RETURN. Keys on the
//! command line and keys that are not the owner's exit 2.

use flux_apps::registration::{verify_owner_signature, zelid_address};
use flux_tx::keys::PrivateKey;
use flux_tx::{FluxDecode, Network, Transaction};
use sha2::{Digest, Sha256};

mod common;
use common::flux;

const VALID: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/vectors/app_specs.json"
);

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

fn key() -> PrivateKey {
    PrivateKey::from_secret_bytes([0x5a; 32], true).unwrap()
}

/// The marketplace Rust server spec with the test key's ZelID as owner.
fn spec_file(dir: &tempfile::TempDir) -> String {
    let vectors: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(VALID).unwrap()).unwrap();
    let entry = vectors["specs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == "marketplace_rust_flux")
        .unwrap();
    let mut spec = entry["spec"].clone();
    spec["owner"] = zelid_address(&key().public_key()).into();
    let path = dir.path().join("spec.json");
    std::fs::write(&path, serde_json::to_string(&spec).unwrap()).unwrap();
    path.to_str().unwrap().to_owned()
}

fn key_file(dir: &tempfile::TempDir, key: &PrivateKey) -> String {
    let path = dir.path().join("owner.wif");
    std::fs::write(&path, key.to_wif(Network::Mainnet)).unwrap();
    format!("@{}", path.display())
}

fn field<'a>(stdout: &'a str, name: &str) -> &'a str {
    stdout
        .lines()
        .find_map(|line| line.strip_prefix(&format!("{name}: ")))
        .unwrap_or_else(|| panic!("no {name} in {stdout}"))
}

#[test]
fn register_message_hash_fee_and_payment() {
    let dir = tempfile::tempdir().unwrap();
    let spec = spec_file(&dir);
    let out = flux(&[
        "app",
        "register",
        &spec,
        "--key",
        &key_file(&dir, &key()),
        "--height",
        "2800000",
        "--timestamp",
        "1764547300000",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);

    let message: serde_json::Value = serde_json::from_str(field(&stdout, "message")).unwrap();
    assert_eq!(message["type"], "fluxappregister");
    assert_eq!(message["version"], 1);
    assert_eq!(message["timestamp"], 1_764_547_300_000u64);
    // The spec as printed is `flux app canonical`'s string, byte for byte.
    let raw = field(&stdout, "message");
    let start = raw.find("\"appSpecification\":").unwrap() + "\"appSpecification\":".len();
    let end = raw.rfind(",\"timestamp\":").unwrap();
    let canonical_out = flux(&["app", "canonical", &spec]);
    assert_eq!(&raw[start..end], text(&canonical_out.stdout).trim_end());
    let signature = message["signature"].as_str().unwrap();
    let signed = format!("fluxappregister1{}1764547300000", &raw[start..end]);
    let owner = zelid_address(&key().public_key());
    assert_eq!(verify_owner_signature(&owner, signature, &signed), Ok(()));

    let hash = field(&stdout, "hash");
    let want = hex::encode(Sha256::digest(format!("{signed}{signature}").as_bytes()));
    assert_eq!(hash, want);

    let price: serde_json::Value = serde_json::from_str(&text(
        &flux(&["app", "price", &spec, "--height", "2800000", "--json"]).stdout,
    ))
    .unwrap();
    let cents = price["min_registration_fee_cents"].as_i64().unwrap();
    let payment =
        Transaction::decode_exact(&hex::decode(field(&stdout, "payment")).unwrap()).unwrap();
    assert!(payment.inputs().is_empty());
    assert_eq!(payment.outputs()[0].value, cents * 1_000_000);
    assert_eq!(
        field(&stdout, "address"),
        "t3NryfAQLGeFs9jEoeqsxmBN2QLRaRKFLUX"
    );
    assert_eq!(
        payment.outputs()[0].script_pubkey,
        flux_tx::address::Address::parse("t3NryfAQLGeFs9jEoeqsxmBN2QLRaRKFLUX", Network::Mainnet)
            .unwrap()
            .script_pubkey()
    );
    let data = payment.outputs()[1].script_pubkey.as_bytes();
    assert_eq!(data[..2], [0x6a, 64]);
    assert_eq!(&data[2..], hash.as_bytes());
    assert_eq!(payment.standard().unwrap().expiry_height, 2_800_020);
}

#[test]
fn keys_that_are_literal_or_not_the_owners_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let spec = spec_file(&dir);
    let wif = key().to_wif(Network::Mainnet);
    let out = flux(&[
        "app", "register", &spec, "--key", &wif, "--height", "2800000",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("not from the command line"));
    let stranger = PrivateKey::from_secret_bytes([0x11; 32], true).unwrap();
    let out = flux(&[
        "app",
        "register",
        &spec,
        "--key",
        &key_file(&dir, &stranger),
        "--height",
        "2800000",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("not the spec owner"),
        "{}",
        text(&out.stderr)
    );
}
