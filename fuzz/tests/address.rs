//! Runs the address and script fuzz checks over real data (the owner, signature and signed text
//! of the app messages in shared/vectors/app_specs.json, the genesis coinbase scripts) and over
//! a few thousand pseudo-random inputs.

use flux_fuzz::Rng;
use flux_fuzz::address::{check_address_parse, check_script};

const APP_SPECS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/vectors/app_specs.json"
);
const GENESIS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/vectors/genesis.json"
);

#[test]
fn real_signed_message_and_addresses() {
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(APP_SPECS).unwrap()).unwrap();
    let mut checked = 0;
    for spec in json["specs"].as_array().unwrap() {
        let Some(owner) = spec["spec"]["owner"].as_str() else {
            continue;
        };
        check_address_parse(owner.as_bytes());
        if let (Some(signature), Some(signed)) = (
            spec["message"]["signature"].as_str(),
            spec["message"]["signed_string"].as_str(),
        ) {
            check_address_parse(format!("{owner}\n{signature}\n{signed}").as_bytes());
            checked += 1;
        }
    }
    assert!(checked > 0);
}

#[test]
fn genesis_coinbase_scripts() {
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(GENESIS).unwrap()).unwrap();
    let tx = hex::decode(json["coinbase_tx_hex"].as_str().unwrap()).unwrap();
    // scriptSig: after version(4), input count(1), prevout(36), its length byte.
    let sig_len = usize::from(tx[41]);
    check_script(&tx[42..42 + sig_len]);
    // scriptPubKey: the 67 bytes before the lock time.
    check_script(&tx[tx.len() - 4 - 67..tx.len() - 4]);
}

#[test]
fn pseudo_random_inputs() {
    let mut rng = Rng(0x005e_edf1_u64);
    let alphabet = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz \n";
    for _ in 0..3000 {
        let raw = rng.bytes(120);
        check_address_parse(&raw);
        check_script(&raw);
        // Mostly-Base58 text reaches the checksum and prefix checks.
        let text: Vec<u8> = raw
            .iter()
            .map(|b| alphabet[usize::from(*b) % alphabet.len()])
            .collect();
        check_address_parse(&text);
        // Scripts built from the opcodes that matter most.
        let ops = [
            0x00, 0x01, 0x14, 0x21, 0x4c, 0x51, 0x52, 0x63, 0x67, 0x68, 0x76, 0x87, 0x88, 0xa9,
            0xac, 0xae,
        ];
        let script: Vec<u8> = raw
            .iter()
            .map(|b| ops[usize::from(*b) % ops.len()])
            .collect();
        check_script(&script);
    }
}
