//! `flux header verify` on proof-of-node headers: a header whose PON hash meets its target at its
//! height is valid (with or without the node's key, saying so when the signature went unchecked),
//! and one that breaks a single rule is invalid with fluxd's reject reason.

mod common;
use common::flux;

use flux_tx::keys::PrivateKey;
use flux_tx::pon::sign_block;
use flux_tx::{
    BlockHash, BlockHeader, BlockProof, Compact, FluxEncode, MerkleRoot, OutPoint, SaplingRoot,
    Txid,
};

/// Mainnet's genesis time: PON slots count from it.
const MAIN_GENESIS_TIME: u32 = 1_516_980_000;

/// A mainnet PON header past the first difficulty window, at ponLimit (0x200fffff), signed by
/// `operator`: the slot is searched until the PON hash is below the target (about 1 in 16).
fn signed_header(operator: &PrivateKey) -> BlockHeader {
    let collateral = OutPoint {
        txid: Txid([0x42; 32]),
        index: 0,
    };
    let prev = BlockHash([0x24; 32]);
    let mut time = 1_762_000_000;
    loop {
        let slot = flux_tx::pon::Slot::of_time(time, MAIN_GENESIS_TIME);
        if flux_tx::pon::pon_hash(&collateral, &prev, slot).0[31] < 0x0f {
            break;
        }
        time += 30;
    }
    let mut header = BlockHeader {
        version: 100,
        prev_block: prev,
        merkle_root: MerkleRoot([7; 32]),
        final_sapling_root: SaplingRoot::ZERO,
        time,
        bits: Compact(0x200f_ffff),
        proof: BlockProof::Node {
            collateral,
            signature: Vec::new(),
        },
    };
    header.proof = BlockProof::Node {
        collateral,
        signature: sign_block(&header, operator),
    };
    header
}

fn verify(header: &BlockHeader, height: &str, key: Option<&[u8]>) -> (i32, String) {
    let hex = hex::encode(header.encoded());
    let key_hex = key.map(hex::encode);
    let mut args = vec!["header", "verify", &hex, "--height", height];
    if let Some(key) = &key_hex {
        args.extend(["--node-pubkey", key]);
    }
    let out = flux(&args);
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap().trim().to_owned(),
    )
}

#[test]
fn a_signed_pon_header_is_valid_and_says_when_its_signature_went_unchecked() {
    let operator = PrivateKey::from_secret_bytes([11; 32], true).unwrap();
    let header = signed_header(&operator);
    let key = operator.public_key().to_bytes();
    assert_eq!(
        verify(&header, "2030000", Some(&key)),
        (0, format!("valid {}", header.hash()))
    );
    assert_eq!(
        verify(&header, "2030000", None),
        (
            0,
            format!("valid {} (signature not checked)", header.hash())
        )
    );
}

#[test]
fn each_broken_rule_is_named() {
    let operator = PrivateKey::from_secret_bytes([11; 32], true).unwrap();
    let header = signed_header(&operator);
    // Another node's key: the signature is not its operator's.
    let stranger = PrivateKey::from_secret_bytes([12; 32], true).unwrap();
    let (code, line) = verify(&header, "2030000", Some(&stranger.public_key().to_bytes()));
    assert_eq!(code, 1, "{line}");
    assert!(
        line.starts_with("invalid: ") && line.contains("bad-pon-block"),
        "{line}"
    );
    // In the first window after activation only the start limit is allowed.
    let (code, line) = verify(&header, "2020010", None);
    assert_eq!(code, 1, "{line}");
    assert!(line.contains("bad-pon-header"), "{line}");
    // Before activation a PON header is premature.
    let (code, line) = verify(&header, "2019999", None);
    assert_eq!(code, 1, "{line}");
    assert!(line.starts_with("invalid: "), "{line}");
    // A harder target than the PON hash meets: high-hash.
    let mut hard = header.clone();
    hard.bits = Compact(0x1d00_ffff);
    let (code, line) = verify(&hard, "2030000", None);
    assert_eq!(code, 1, "{line}");
    assert!(line.contains("high-hash"), "{line}");
    // A signature longer than DER allows.
    let mut long = header.clone();
    if let BlockProof::Node { signature, .. } = &mut long.proof {
        signature.resize(74, 0);
    }
    let (code, line) = verify(&long, "2030000", None);
    assert_eq!(code, 1, "{line}");
    assert!(line.contains("bad-pon-sig-size"), "{line}");
}

#[test]
fn a_key_that_is_not_hex_is_unusable_input() {
    let operator = PrivateKey::from_secret_bytes([11; 32], true).unwrap();
    let header = signed_header(&operator);
    let hex = hex::encode(header.encoded());
    let out = flux(&[
        "header",
        "verify",
        &hex,
        "--height",
        "2030000",
        "--node-pubkey",
        "xyz",
    ]);
    assert_eq!(out.status.code(), Some(2));
}
