//! Proof-of-node header bytes, block hash and PON hash against the values derived in
//! `shared/spec/pon.md` §10 from fluxd's rules on the inputs of fluxd's `gtest/test_pon.cpp`
//! (`tests/data/pon_derived.json`): computed outside this crate, by another implementation.

use flux_tx::pon::{Slot, pon_hash};
use flux_tx::{BlockHash, BlockHeader, BlockProof, FluxDecode, FluxEncode, OutPoint, Txid};
use serde_json::Value;

fn vectors() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/pon_derived.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("pon_derived.json")).expect("JSON")
}

fn bytes32(value: &Value) -> [u8; 32] {
    hex::decode(value.as_str().expect("hex"))
        .expect("hex")
        .try_into()
        .expect("32 bytes")
}

#[test]
fn pon_hash_of_the_test_pon_inputs() {
    let v = &vectors()["pon_hash"];
    let collateral = OutPoint {
        txid: Txid(bytes32(&v["collateral_txid_internal_hex"])),
        index: v["collateral_index"].as_u64().unwrap() as u32,
    };
    let prev = BlockHash(bytes32(&v["prev_block_internal_hex"]));
    let slot = Slot(v["slot"].as_u64().unwrap() as u32);
    let hash = pon_hash(&collateral, &prev, slot);
    assert_eq!(hash.to_string(), v["hash_display_hex"].as_str().unwrap());
    // The same preimage hashed here, independently of the library's layout.
    let preimage = hex::decode(v["preimage_hex"].as_str().unwrap()).unwrap();
    assert_eq!(preimage.len(), 72);
    assert_eq!(hash.0, flux_tx::keys::sha256d(&preimage));
}

#[test]
fn pon_header_round_trips_and_hashes_without_its_signature() {
    let v = &vectors()["header"];
    let raw = hex::decode(v["hex"].as_str().unwrap()).unwrap();
    let header = BlockHeader::decode_exact(&raw).expect("a PON header decodes");
    assert!(header.is_proof_of_node());
    assert_eq!(header.version, v["version"].as_i64().unwrap() as i32);
    assert_eq!(i64::from(header.time), v["time"].as_i64().unwrap());
    assert_eq!(format!("{:08x}", header.bits), v["bits"].as_str().unwrap());
    let BlockProof::Node {
        collateral,
        signature,
    } = &header.proof
    else {
        panic!("a version-100 header has the proof-of-node layout");
    };
    assert_eq!(
        i64::from(collateral.index),
        v["collateral_index"].as_i64().unwrap()
    );
    assert_eq!(hex::encode(signature), v["signature_hex"].as_str().unwrap());
    assert_eq!(header.encoded(), raw, "re-encodes byte for byte");

    let expected = v["block_hash_display_hex"].as_str().unwrap();
    assert_eq!(header.hash().to_string(), expected);
    // The signature is not committed to: another signature, same hash.
    let mut resigned = header.clone();
    resigned.proof = BlockProof::Node {
        collateral: *collateral,
        signature: vec![0x30; 71],
    };
    assert_eq!(resigned.hash().to_string(), expected);
    assert_ne!(resigned.encoded(), raw);
}

#[test]
fn block_signatures_are_the_operator_keys_over_the_block_hash() {
    use flux_tx::keys::PrivateKey;
    use flux_tx::pon::{sign_block, verify_block_signature};
    let v = &vectors()["header"];
    let raw = hex::decode(v["hex"].as_str().unwrap()).unwrap();
    let mut header = BlockHeader::decode_exact(&raw).unwrap();
    let BlockProof::Node { collateral, .. } = header.proof.clone() else {
        panic!("PON layout");
    };
    let operator = PrivateKey::from_secret_bytes([5; 32], true).unwrap();
    let signature = sign_block(&header, &operator);
    // Independently of the library's verifier: secp256k1 over the internal-order hash bytes.
    let message = secp256k1::Message::from_digest(header.hash().0);
    let parsed = secp256k1::ecdsa::Signature::from_der(&signature).unwrap();
    let key = secp256k1::PublicKey::from_slice(&operator.public_key().to_bytes()).unwrap();
    assert!(secp256k1::ecdsa::verify(&parsed, message, &key).is_ok());
    assert!(signature.len() <= 72);

    header.proof = BlockProof::Node {
        collateral,
        signature: signature.clone(),
    };
    let public = operator.public_key().to_bytes();
    assert!(verify_block_signature(&header, &public));
    // Another key, another block, a flipped byte: all refused.
    let other = PrivateKey::from_secret_bytes([6; 32], true).unwrap();
    assert!(!verify_block_signature(
        &header,
        &other.public_key().to_bytes()
    ));
    let mut moved = header.clone();
    moved.time += 1;
    assert!(!verify_block_signature(&moved, &public));
    let mut flipped = signature;
    let last = flipped.len() - 1;
    flipped[last] ^= 1;
    header.proof = BlockProof::Node {
        collateral,
        signature: flipped,
    };
    assert!(!verify_block_signature(&header, &public));
}
