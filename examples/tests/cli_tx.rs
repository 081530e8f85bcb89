//! `flux tx decode` and `flux block decode` on the genesis block and its coinbase: the JSON
//! contract and the exit codes; a block larger than a command-line argument, given as `@FILE`
//! and on standard input.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use flux_tx::{Block, FluxDecode, FluxEncode, OutPoint, Script, TxBody, TxIn, Txid};

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

/// The mainnet genesis block with one more transaction of `inputs` inputs (each spending a
/// distinct output with a 72-byte script), its merkle root recomputed: over a megabyte of
/// consensus bytes, more than a command-line argument can carry as hex.
fn large_block(inputs: u32) -> Block {
    let vectors = genesis();
    let hex_text = vectors["networks"]["main"]["block_hex"].as_str().unwrap();
    let mut block = Block::decode_exact(&hex::decode(hex_text).unwrap()).unwrap();
    let mut spender = block.transactions[0].clone();
    let TxBody::Standard(body) = &mut spender.body else {
        panic!("the genesis coinbase is a standard transaction");
    };
    body.inputs = (0..inputs)
        .map(|index| TxIn {
            prevout: OutPoint {
                txid: Txid([0x5a; 32]),
                index,
            },
            script_sig: Script::from(vec![0x51; 72]),
            sequence: u32::MAX,
        })
        .collect();
    block.transactions.push(spender);
    block.header.merkle_root = block.compute_merkle_root().0;
    block
}

#[test]
fn decodes_a_block_over_a_megabyte_from_a_file_and_from_stdin() {
    let block = large_block(10_000);
    let bytes = block.encoded();
    assert!(bytes.len() > 1_000_000, "{} bytes", bytes.len());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("block.hex");
    std::fs::write(&path, format!("{}\n", hex::encode(&bytes))).unwrap();

    let from_file = json_of(&flux(&["block", "decode", &format!("@{}", path.display())]));
    let from_stdin = {
        let mut child = Command::new(env!("CARGO_BIN_EXE_flux"))
            .args(["block", "decode", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let text = hex::encode(&bytes);
        let writer = std::thread::spawn(move || stdin.write_all(text.as_bytes()));
        let output = child.wait_with_output().unwrap();
        writer.join().unwrap().unwrap();
        json_of(&output)
    };
    for decoded in [&from_file, &from_stdin] {
        assert_eq!(decoded["hash"], block.hash().to_string());
        assert_eq!(decoded["size"], bytes.len());
        assert_eq!(decoded["merkle_root_matches"], true);
        assert_eq!(decoded["transactions"].as_array().unwrap().len(), 2);
        assert_eq!(
            decoded["transactions"][1]["inputs"]
                .as_array()
                .unwrap()
                .len(),
            10_000
        );
    }
}

#[test]
fn unreadable_or_repeated_inputs_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.hex");
    let not_hex = dir.path().join("not-hex.txt");
    std::fs::write(&not_hex, "0100zz").unwrap();
    // A well-formed 140-byte header prefix on standard input, so that only the second `-` fails.
    let header = dir.path().join("header.hex");
    std::fs::write(&header, "00".repeat(140)).unwrap();
    for (args, reason) in [
        (
            vec![
                "tx".to_owned(),
                "decode".to_owned(),
                format!("@{}", missing.display()),
            ],
            "cannot read",
        ),
        (
            vec![
                "tx".to_owned(),
                "decode".to_owned(),
                format!("@{}", not_hex.display()),
            ],
            "not valid hex",
        ),
        (
            ["pow", "verify", "48", "5", "-", "-"]
                .map(str::to_owned)
                .to_vec(),
            "only one argument",
        ),
    ] {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = Command::new(env!("CARGO_BIN_EXE_flux"))
            .args(&args)
            .stdin(std::fs::File::open(&header).unwrap())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(reason), "{args:?}: {stderr}");
    }
}

#[test]
fn decodes_fluxnode_transactions_and_prints_amounts_as_fluxd() {
    use flux_tx::builder::fluxnode::{BenchmarkAttestation, build_confirm, build_start};
    use flux_tx::fluxnode::UpdateType;
    use flux_tx::keys::PrivateKey;

    let key = |byte| PrivateKey::from_secret_bytes([byte; 32], true).unwrap();
    let collateral = OutPoint {
        txid: Txid([0x11; 32]),
        index: 3,
    };
    let start = build_start(collateral, &key(1), &key(2).public_key(), 1_700_000_000);
    let decoded = json_of(&flux(&["tx", "decode", &hex::encode(start.encoded())]));
    assert_eq!(decoded["txid"], start.txid().to_string());
    assert_eq!(decoded["type"], "Starting a fluxnode");
    assert_eq!(decoded["collateral_output"], "COutPoint(1111111111, 3)");
    assert_eq!(decoded["outidx"], "3");
    assert_eq!(decoded["sigtime"], 1_700_000_000);
    assert_eq!(decoded["fluxnode"]["type"], "start");
    assert_eq!(
        decoded["fluxnode"]["collateral_pubkey_hex"],
        hex::encode(key(1).public_key().to_bytes())
    );

    let benchmark_key = key(3);
    let benchmark = BenchmarkAttestation {
        key: &benchmark_key,
        tier: flux_tx::Tier::Nimbus,
        sig_time: 1_700_000_060,
    };
    let confirm = build_confirm(
        collateral,
        &key(2),
        UpdateType::UpdateConfirm,
        1_700_000_050,
        "192.0.2.1:16125",
        &benchmark,
    );
    let decoded = json_of(&flux(&["tx", "decode", &hex::encode(confirm.encoded())]));
    assert_eq!(decoded["type"], "Confirming a fluxnode");
    assert_eq!(decoded["benchmark_tier"], "NIMBUS");
    assert_eq!(decoded["update_type"], 1);
    assert_eq!(decoded["ip"], "192.0.2.1:16125");

    // The genesis coinbase pays nothing: fluxd prints that as the number 0.00000000.
    let vectors = genesis();
    let out = flux(&["tx", "decode", vectors["coinbase_tx_hex"].as_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("\"value\": 0.00000000,"), "{text}");
    assert!(text.contains("\"value_flux\": \"0.00000000\""), "{text}");
}

/// A PON block: the header derived from fluxd's `test_pon.cpp` inputs (flux-tx's test data) with
/// the parent and collateral of the derived PON hash vector and its time moved to mainnet slot
/// 12345 (genesis 1516980000 + 12345 x 30), and no transactions: the hash printed must be the
/// one Python computed for those inputs.
#[test]
fn decodes_a_pon_block_with_its_collateral_signature_and_pon_hash() {
    const DERIVED: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../flux-tx/tests/data/pon_derived.json"
    );
    let derived: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(DERIVED).unwrap()).unwrap();
    let mut bytes = hex::decode(derived["header"]["hex"].as_str().unwrap()).unwrap();
    let input = |key: &str| hex::decode(derived["pon_hash"][key].as_str().unwrap()).unwrap();
    // The PON hash vector's parent and collateral in the header (offsets of pon.md section 2).
    bytes[4..36].copy_from_slice(&input("prev_block_internal_hex"));
    bytes[100..104].copy_from_slice(&(1_516_980_000u32 + 12_345 * 30).to_le_bytes());
    bytes[108..140].copy_from_slice(&input("collateral_txid_internal_hex"));
    bytes[140..144].copy_from_slice(&1u32.to_le_bytes());
    bytes.push(0);
    let block = json_of(&flux(&["block", "decode", &hex::encode(&bytes)]));
    assert_eq!(block["proof"], "node");
    assert_eq!(block["type"], "PON");
    let pon = &block["pon"];
    assert_eq!(pon["slot"], 12_345);
    assert_eq!(pon["pon_hash"], derived["pon_hash"]["hash_display_hex"]);
    assert_eq!(pon["signature_hex"], derived["header"]["signature_hex"]);
    assert_eq!(
        pon["collateral"]["vout"],
        derived["header"]["collateral_index"]
    );
    let mut txid = hex::decode(
        derived["pon_hash"]["collateral_txid_internal_hex"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    txid.reverse();
    assert_eq!(pon["collateral"]["txid"], hex::encode(txid));
    assert_eq!(pon["emergency"], false);
}
