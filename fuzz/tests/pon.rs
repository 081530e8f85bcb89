//! Replays the PON header and block fuzz checks over the PON header derived from fluxd's
//! `test_pon.cpp` inputs (whole, truncated, mutated), over a block signed with the harness's
//! operator key, and over pseudo-random inputs.

use flux_fuzz::Rng;
use flux_fuzz::pon::{check_pon_block, check_pon_header};

const DERIVED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../flux-tx/tests/data/pon_derived.json"
);

fn derived_header() -> Vec<u8> {
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(DERIVED).unwrap()).unwrap();
    hex::decode(json["header"]["hex"].as_str().unwrap()).unwrap()
}

/// The harness input for `bytes`: a selector byte, then the bytes (whose version the harness
/// overwrites with 100 + selector).
fn input(selector: u8, bytes: &[u8]) -> Vec<u8> {
    let mut data = vec![selector];
    data.extend_from_slice(bytes);
    data
}

#[test]
fn the_derived_header_and_its_mutations() {
    let header = derived_header();
    let mut rng = Rng(0x90_0001);
    for selector in 0..=255u8 {
        check_pon_header(&input(selector, &header));
    }
    for _ in 0..3000 {
        let mut mutated = header.clone();
        let at = (rng.next_u64() as usize) % mutated.len();
        mutated[at] = rng.next_u64() as u8;
        let selector = rng.next_u64() as u8;
        check_pon_header(&input(selector, &mutated));
        let cut = (rng.next_u64() as usize) % mutated.len();
        check_pon_header(&input(selector, &mutated[..cut]));
        // A header followed by no transactions, or by random bytes, as a block.
        let mut block = mutated.clone();
        block.push(0);
        check_pon_block(&input(selector, &block));
        block.pop();
        block.extend(rng.bytes(200));
        check_pon_block(&input(selector, &block));
    }
}

#[test]
fn a_block_signed_by_the_harness_key_passes_its_signer_check() {
    use flux_tx::encode::{FluxDecode, FluxEncode};
    // The harness's operator key is the generator: the key whose secret is 1.
    let mut secret = [0u8; 32];
    secret[31] = 1;
    let key = flux_tx::keys::PrivateKey::from_secret_bytes(secret, true).unwrap();
    let mut header = flux_tx::BlockHeader::decode_exact(&derived_header()).unwrap();
    for selector in [0u8, 1, 2, 3, 40, 255] {
        header.version = 100 + i32::from(selector);
        let signature = flux_tx::pon::sign_block(&header, &key);
        if let flux_tx::BlockProof::Node {
            signature: slot, ..
        } = &mut header.proof
        {
            *slot = signature;
        }
        let mut bytes = header.encoded();
        check_pon_header(&input(selector, &bytes));
        bytes.push(0);
        check_pon_block(&input(selector, &bytes));
    }
}

#[test]
fn pseudo_random_inputs() {
    let mut rng = Rng(0x0bad_0900);
    for _ in 0..5000 {
        let data = rng.bytes(400);
        check_pon_header(&data);
        check_pon_block(&data);
    }
}
