//! `flux address` and `flux message`: output contracts and exit codes, on a key whose addresses
//! are public knowledge and on the real FluxOS-signed app message in shared/vectors.

use std::process::Output;

mod common;
use common::flux;

const APP_SPECS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/vectors/app_specs.json"
);
/// Private key 1, compressed, mainnet WIF (a standard published example).
const WIF_ONE: &str = "KwDiBf89QgGbjEhKnhXJuH7LrciVrZi3qYjgd9M7rFU73sVHnoWn";
/// The generator point G, the public key of private key 1.
const PUBKEY_ONE: &str = "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798";

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

#[test]
fn address_of_wif_and_of_its_public_key_agree() {
    let from_wif = flux(&["address", WIF_ONE]);
    assert_eq!(from_wif.status.code(), Some(0));
    let text = stdout(&from_wif);
    let mut lines = text.lines();
    let address = lines.next().unwrap();
    assert!(address.starts_with("t1"), "{address}");
    assert_eq!(lines.next(), Some("compressed: true"));

    let from_pubkey = flux(&["address", PUBKEY_ONE]);
    assert_eq!(from_pubkey.status.code(), Some(0));
    assert_eq!(stdout(&from_pubkey).trim(), address);

    let test = flux(&["address", PUBKEY_ONE, "--network", "test"]);
    assert!(stdout(&test).starts_with("tm"));
}

#[test]
fn address_rejects_bad_keys_with_exit_2() {
    for bad in ["nonsense", "02abcd", &PUBKEY_ONE.replacen("02", "05", 1)] {
        let output = flux(&["address", bad]);
        assert_eq!(output.status.code(), Some(2), "{bad}");
        assert!(!output.stderr.is_empty());
    }
    // A mainnet WIF asked for testnet.
    assert_eq!(
        flux(&["address", WIF_ONE, "--network", "test"])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn sign_then_verify_and_tamper() {
    let address = stdout(&flux(&["address", WIF_ONE]))
        .lines()
        .next()
        .unwrap()
        .to_owned();
    let signed = flux(&["message", "sign", WIF_ONE, "hello flux"]);
    assert_eq!(signed.status.code(), Some(0));
    let signature = stdout(&signed).trim().to_owned();
    assert_eq!(signature.len(), 88);

    let ok = flux(&["message", "verify", &address, &signature, "hello flux"]);
    assert_eq!((ok.status.code(), stdout(&ok).trim()), (Some(0), "valid"));

    let bad = flux(&["message", "verify", &address, &signature, "hello flux!"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(stdout(&bad).starts_with("invalid: "), "{}", stdout(&bad));

    let garbage = flux(&["message", "verify", &address, "!!!", "hello flux"]);
    assert_eq!(garbage.status.code(), Some(2));
    let bad_address = flux(&[
        "message",
        "verify",
        "t1notanaddress",
        &signature,
        "hello flux",
    ]);
    assert_eq!(bad_address.status.code(), Some(2));
}

#[test]
fn verifies_the_real_fluxos_app_owner_signature() {
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(APP_SPECS).unwrap()).unwrap();
    let spec = json["specs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["message"]["signature"].is_string())
        .expect("a signed message in app_specs.json");
    let owner = spec["spec"]["owner"].as_str().unwrap();
    let signature = spec["message"]["signature"].as_str().unwrap();
    let signed = spec["message"]["signed_string"].as_str().unwrap();
    let output = flux(&["message", "verify", owner, signature, signed]);
    assert_eq!(
        (output.status.code(), stdout(&output).trim()),
        (Some(0), "valid")
    );
}
