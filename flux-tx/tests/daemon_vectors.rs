//! fluxd's own test data (`src/test/data/*.json`), run the way fluxd's unit tests run them
//! (`src/test/base58_tests.cpp`, `script_tests.cpp`, `sighash_tests.cpp`). `tx_valid.json` and
//! `tx_invalid.json` (`transaction_tests.cpp`) need the consensus crate's transaction check and
//! run in `flux-consensus/tests/daemon_tx_vectors.rs`.
//!
//! The files are not committed here: each test reads `<dir>/<name>` where `<dir>` is
//! `$FLUX_DAEMON_VECTORS_DIR` or `../shared/vectors`, prints a skip notice when the file is
//! missing, and fails instead when `FLUX_REQUIRE_VECTORS=1`.

#![allow(clippy::print_stderr)]

use flux_tx::address::Address;
use flux_tx::keys::PrivateKey;
use flux_tx::script::interpreter::VerifyFlags;
use flux_tx::sign::verify_input;
use flux_tx::{FluxDecode, FluxEncode, Network, Transaction, base58};
use serde_json::Value;

mod common;
use common::script_asm::{parse_asm, parse_flags};
use common::vectors::daemon_file as load;

fn hex(value: &Value) -> Vec<u8> {
    hex::decode(value.as_str().expect("hex string")).expect("valid hex")
}

#[test]
fn base58_encode_decode() {
    let Some(tests) = load("base58_encode_decode.json") else {
        return;
    };
    let mut checked = 0;
    for test in tests
        .iter()
        .filter_map(Value::as_array)
        .filter(|t| t.len() >= 2)
    {
        let data = hex(&test[0]);
        let text = test[1].as_str().unwrap();
        assert_eq!(base58::encode(&data), text, "{test:?}");
        assert_eq!(base58::decode(text).unwrap(), data, "{test:?}");
        checked += 1;
    }
    assert!(checked > 0);
    // base58_tests.cpp:69-75.
    assert!(base58::decode("invalid").is_err());
    assert!(base58::decode(" \t\n\x0b\x0c\r skip \r\x0c\x0b\n\t a").is_err());
    assert_eq!(
        base58::decode(" \t\n\x0b\x0c\r skip \r\x0c\x0b\n\t ").unwrap(),
        [0x97, 0x1a, 0x55]
    );
}

fn network_of(metadata: &Value) -> Network {
    match metadata["chain"].as_str() {
        Some("testnet") => Network::Testnet,
        Some("regtest") => Network::Regtest,
        _ => Network::Mainnet,
    }
}

#[test]
fn base58_keys_valid() {
    let Some(tests) = load("base58_keys_valid.json") else {
        return;
    };
    let mut checked = 0;
    for test in tests
        .iter()
        .filter_map(Value::as_array)
        .filter(|t| t.len() >= 3)
    {
        let text = test[0].as_str().unwrap();
        let payload = hex(&test[1]);
        let metadata = &test[2];
        let network = network_of(metadata);
        if metadata["isPrivkey"].as_bool() == Some(true) {
            let compressed = metadata["isCompressed"].as_bool().unwrap();
            let key = PrivateKey::from_wif(text, network).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(key.is_compressed(), compressed, "{text}");
            assert_eq!(key.secret_bytes().as_slice(), payload.as_slice(), "{text}");
            assert!(
                Address::parse(text, network).is_err(),
                "private key parsed as address: {text}"
            );
            // base58_keys_valid_gen: encoding gives the string back.
            let rebuilt = PrivateKey::from_secret_bytes(key.secret_bytes(), compressed).unwrap();
            assert_eq!(rebuilt.to_wif(network), text);
        } else {
            let address = Address::parse(text, network).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(address.script_pubkey_bytes(), payload, "{text}");
            assert!(
                PrivateKey::from_wif(text, network).is_err(),
                "address parsed as key: {text}"
            );
            let from_script =
                Address::from_script_bytes(&payload, network).expect("standard script");
            assert_eq!(from_script.to_string(), text);
        }
        checked += 1;
    }
    assert!(checked > 0);
}

#[test]
fn base58_keys_invalid() {
    let Some(tests) = load("base58_keys_invalid.json") else {
        return;
    };
    let mut checked = 0;
    for test in tests
        .iter()
        .filter_map(Value::as_array)
        .filter(|t| !t.is_empty())
    {
        let text = test[0].as_str().unwrap();
        assert!(
            Address::parse(text, Network::Mainnet).is_err(),
            "valid address: {text}"
        );
        assert!(
            PrivateKey::from_wif(text, Network::Mainnet).is_err(),
            "valid key: {text}"
        );
        checked += 1;
    }
    assert!(checked > 0);
}

/// `BuildCreditingTransaction` + `BuildSpendingTransaction` + `VerifyScript` (script_tests.cpp).
fn run_script_test(script_sig: &[u8], script_pubkey: &[u8], flags: VerifyFlags) -> bool {
    use common::{Input, Tx};
    let credit = Tx {
        version: 1,
        overwintered: false,
        group: 0,
        inputs: vec![Input {
            txid: [0; 32],
            index: u32::MAX,
            script_sig: vec![0, 0],
            sequence: u32::MAX,
        }],
        outputs: vec![(0, script_pubkey.to_vec())],
        lock_time: 0,
        expiry: 0,
    };
    let spend = Tx {
        inputs: vec![Input {
            txid: flux_tx::keys::sha256d(&credit.serialize_v1()),
            index: 0,
            script_sig: script_sig.to_vec(),
            sequence: u32::MAX,
        }],
        outputs: vec![(0, Vec::new())],
        ..credit.clone()
    };
    // Legacy transactions ignore the branch id.
    verify_input(&spend, 0, script_pubkey, 0, flags, 0).is_ok()
}

fn script_tests(name: &str, expect_valid: bool) {
    let Some(tests) = load(name) else { return };
    let mut checked = 0;
    for test in tests
        .iter()
        .filter_map(Value::as_array)
        .filter(|t| t.len() >= 3)
    {
        let script_sig = parse_asm(test[0].as_str().unwrap());
        let script_pubkey = parse_asm(test[1].as_str().unwrap());
        let flags = parse_flags(test[2].as_str().unwrap());
        assert_eq!(
            run_script_test(&script_sig, &script_pubkey, flags),
            expect_valid,
            "{test:?}"
        );
        checked += 1;
    }
    assert!(checked > 0);
}

#[test]
fn script_valid() {
    script_tests("script_valid.json", true);
}

#[test]
fn script_invalid() {
    script_tests("script_invalid.json", false);
}

/// `sighash_from_data` (sighash_tests.cpp:268-336): legacy, Overwinter and Sapling digests of
/// random transactions (JoinSplits and Sapling parts included) under random hash types and
/// branch ids.
#[test]
fn sighash() {
    use flux_tx::sighash::{SignedInput, signature_hash};
    let Some(tests) = load("sighash.json") else {
        return;
    };
    let mut checked = 0;
    for test in tests
        .iter()
        .filter_map(Value::as_array)
        .filter(|t| t.len() >= 6)
    {
        let raw = hex(&test[0]);
        let tx = Transaction::decode_exact(&raw).unwrap_or_else(|e| panic!("{e}: {test:?}"));
        // Every transaction of the sighash vectors (v1-v4, JoinSplits, Sapling) re-encodes exactly.
        assert_eq!(tx.encoded(), raw, "{test:?}");
        let script_code = hex(&test[1]);
        let index = test[2].as_u64().unwrap() as usize;
        let hash_type = test[3].as_i64().unwrap() as i32 as u32;
        let branch_id = test[4].as_i64().unwrap() as u32;
        let mut expected = hex(&test[5]);
        expected.reverse();
        let input = SignedInput {
            index,
            script_code: &script_code,
            amount: 0,
        };
        let digest = signature_hash(&tx, Some(input), hash_type, branch_id)
            .unwrap_or_else(|e| panic!("{e}: {test:?}"));
        assert_eq!(digest.as_slice(), expected.as_slice(), "{test:?}");
        checked += 1;
    }
    assert!(checked > 0);
}
