//! `flux parallel`: address derivation and validation, snapshots from a rewards file, snapshot
//! verification; output formats and exit codes.

use std::path::PathBuf;
use std::process::Output;

mod common;
use common::flux;

use flux_pow::Network;
use flux_tx::address::Address;
use flux_tx::keys::PrivateKey;

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn temp_file(name: &str, contents: &str) -> PathBuf {
    let path =
        std::env::temp_dir().join(format!("flux-cli-parallel-{}-{name}", std::process::id()));
    std::fs::write(&path, contents).unwrap();
    path
}

fn t1(seed: u8) -> String {
    let key = PrivateKey::from_secret_bytes([seed; 32], true).unwrap();
    Address::from_public_key(&key.public_key(), Network::Mainnet).to_string()
}

#[test]
fn address_derives_from_a_public_key() {
    // secp256k1 private key 1: the generator point, whose Ethereum address is well known.
    let generator = "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798";
    let output = flux(&["parallel", "address", "ethereum", generator]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        stdout(&output),
        "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf\n"
    );
    let tron = flux(&["parallel", "address", "tron", generator]);
    assert_eq!(tron.status.code(), Some(0));
    assert!(stdout(&tron).starts_with('T'));
    // RFC 8032 test 1 public key on Kadena.
    let ed = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
    let kadena = flux(&["parallel", "address", "kda", ed]);
    assert_eq!(stdout(&kadena), format!("k:{ed}\n"));
}

#[test]
fn address_validates_and_normalises() {
    let output = flux(&[
        "parallel",
        "address",
        "base",
        "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed",
    ]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        stdout(&output),
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed\n"
    );

    let bad = flux(&[
        "parallel",
        "address",
        "ethereum",
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD",
    ]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        stdout(&bad).starts_with("invalid: bad checksum"),
        "{}",
        stdout(&bad)
    );

    let bad_char = flux(&[
        "parallel",
        "address",
        "tron",
        "TR7NHqjeKQxGTCi0q8ZY4pL8otSzgjLj6t",
    ]);
    assert_eq!(bad_char.status.code(), Some(1));
    assert!(stdout(&bad_char).contains("at position 15"));

    let off_curve = flux(&["parallel", "address", "ethereum", &"09".repeat(33)]);
    assert_eq!(off_curve.status.code(), Some(1));

    let unknown_chain = flux(&["parallel", "address", "dogecoin", "D123"]);
    assert_eq!(unknown_chain.status.code(), Some(2));
}

#[test]
fn snapshot_from_rewards_then_verify() {
    let (miner, node) = (t1(1), t1(2));
    let rewards = format!(
        "# two blocks of 2022\n\
         {{\"height\":1000000,\"time\":1650000000,\"recipient\":\"{miner}\",\"role\":\"miner\",\"zats\":3750000000}}\n\
         {{\"height\":1000000,\"time\":1650000000,\"recipient\":\"{node}\",\"role\":\"cumulus\",\"zats\":562500000}}\n\
         {{\"height\":1000002,\"time\":1650000240,\"recipient\":\"{miner}\",\"role\":\"miner\",\"zats\":3750000000}}\n"
    );
    let file = temp_file("rewards.jsonl", &rewards);
    let path = file.to_str().unwrap();

    let json = flux(&[
        "parallel",
        "snapshot",
        "--from-rewards",
        path,
        "--height",
        "1000001",
    ]);
    assert_eq!(
        json.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&json.stderr)
    );
    let value: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
    assert_eq!(value["height"], 1_000_001);
    assert_eq!(value["entries"].as_array().unwrap().len(), 20);
    let kadena_total = value["totals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["chain"] == "kadena")
        .unwrap();
    // 3.75 + 0.5625 FLUX-KDA; the block at 1000002 is above the height.
    assert_eq!(kadena_total["accrued"], "431250000");
    assert_eq!(value["commitment"].as_str().unwrap().len(), 64);

    let csv = flux(&[
        "parallel",
        "snapshot",
        "--from-rewards",
        path,
        "--height",
        "1000001",
        "--csv",
    ]);
    assert_eq!(csv.status.code(), Some(0));
    let csv_text = stdout(&csv);
    assert!(csv_text.starts_with("# flux-parallel snapshot v1\n# height: 1000001\n"));
    assert!(csv_text.contains(&format!(
        "# commitment: {}\n",
        value["commitment"].as_str().unwrap()
    )));

    let csv_file = temp_file("snapshot.csv", &csv_text);
    let verified = flux(&["parallel", "verify-snapshot", csv_file.to_str().unwrap()]);
    assert_eq!(
        stdout(&verified),
        format!("valid: {}\n", value["commitment"].as_str().unwrap())
    );
    let json_file = temp_file("snapshot.json", &stdout(&json));
    assert_eq!(
        flux(&["parallel", "verify-snapshot", json_file.to_str().unwrap()])
            .status
            .code(),
        Some(0)
    );

    let tampered = temp_file(
        "tampered.csv",
        &csv_text.replacen(",375000000,0,375000000,", ",375000001,0,375000001,", 1),
    );
    let rejected = flux(&["parallel", "verify-snapshot", tampered.to_str().unwrap()]);
    assert_eq!(rejected.status.code(), Some(1));
    assert!(
        stdout(&rejected).starts_with("invalid: commitment mismatch"),
        "{}",
        stdout(&rejected)
    );

    for f in [file, csv_file, json_file, tampered] {
        let _ = std::fs::remove_file(f);
    }
}

#[test]
fn snapshot_rejects_unusable_input() {
    let missing = flux(&[
        "parallel",
        "snapshot",
        "--from-rewards",
        "/nonexistent/rewards.json",
        "--height",
        "1",
    ]);
    assert_eq!(missing.status.code(), Some(2));
    let bad = temp_file(
        "bad.json",
        "[{\"height\":1,\"time\":2,\"recipient\":\"t1nope\",\"role\":\"miner\",\"zats\":1}]",
    );
    let output = flux(&[
        "parallel",
        "snapshot",
        "--from-rewards",
        bad.to_str().unwrap(),
        "--height",
        "1",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("recipient"));
    let _ = std::fs::remove_file(bad);
}
