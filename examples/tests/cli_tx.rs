//! `flux tx decode` and `flux block decode` on the genesis block and its coinbase: the JSON
//! contract and the exit codes.

use std::process::Output;

mod common;
use common::flux;

const GENESIS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/vectors/genesis.json"
);

fn genesis() -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(GENESIS).unwrap()).unwrap()
}

fn json_of(output: &Output) -> serde_json::Value {
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn decodes_the_genesis_coinbase() {
    let vectors = genesis();
    let out = flux(&["tx", "decode", vectors["coinbase_tx_hex"].as_str().unwrap()]);
    let tx = json_of(&out);
    assert_eq!(tx["txid"], vectors["coinbase_txid"]);
    assert_eq!(tx["version"], 1);
    assert_eq!(tx["coinbase"], true);
    assert_eq!(tx["inputs"].as_array().unwrap().len(), 1);
    let output = &tx["outputs"][0];
    assert_eq!(output["value_zat"], 0);
    assert_eq!(output["value_flux"], "0.00000000");
    // A pay-to-pubkey output is shown with its key's t1 address, as decoderawtransaction does.
    assert!(output["address"].as_str().unwrap().starts_with("t1"));
    assert!(tx.get("fluxnode").is_none());
}

#[test]
fn decodes_every_genesis_block() {
    let vectors = genesis();
    for network in ["main", "test", "regtest"] {
        let v = &vectors["networks"][network];
        let block = json_of(&flux(&[
            "block",
            "decode",
            v["block_hex"].as_str().unwrap(),
        ]));
        assert_eq!(block["hash"], v["expected_hash"], "{network}");
        assert_eq!(block["merkle_root"], v["merkle_root"]);
        assert_eq!(block["merkle_root_matches"], true);
        assert_eq!(block["merkle_mutated"], false);
        assert_eq!(block["proof"], "work");
        assert_eq!(block["nonce"], v["nonce"]);
        assert_eq!(block["solution_size"], v["solution_len"]);
        assert_eq!(block["transactions"][0]["txid"], vectors["coinbase_txid"]);
    }
}

#[test]
fn bad_input_exits_2() {
    let vectors = genesis();
    let block_hex = vectors["networks"]["main"]["block_hex"].as_str().unwrap();
    for args in [
        vec!["tx", "decode", "zz"],
        vec!["tx", "decode", "01000000"],
        vec!["block", "decode", &block_hex[..block_hex.len() - 2]],
        vec!["block", "decode", ""],
    ] {
        let out = flux(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.starts_with("error: "), "{args:?}: {stderr}");
    }
}
