//! Proof-of-node headers and blocks (flux-tx's codec, flux-consensus's PON rules): arbitrary bytes
//! in the PON layout never panic the decoder or any rule that needs no chain state, whatever
//! decodes re-encodes to its bytes, and the signature never counts in the block hash.

use flux_consensus::NetworkParams;
use flux_consensus::check::block::check_block_body;
use flux_consensus::check::pon::{
    check_pon_block_signer, check_pon_header_for_height, check_pon_signature_size,
    check_pon_time_after_parent, header_pon_hash, is_emergency_block, test_bypass_collateral,
};
use flux_pow::{BlockHeight, Network};
use flux_tx::encode::{FluxDecode, FluxEncode};
use flux_tx::{Block, BlockHeader, BlockProof};

/// A fixed operator key (the secp256k1 generator, compressed): no fuzzed signature may verify
/// with it unless the fuzzer finds a signature of the block hash under it.
const OPERATOR_KEY: [u8; 33] = [
    0x02, 0x79, 0xbe, 0x66, 0x7e, 0xf9, 0xdc, 0xbb, 0xac, 0x55, 0xa0, 0x62, 0x95, 0xce, 0x87, 0x0b,
    0x07, 0x02, 0x9b, 0xfc, 0xdb, 0x2d, 0xce, 0x28, 0xd9, 0x59, 0xf2, 0x81, 0x5b, 0x16, 0xf8, 0x17,
    0x98,
];

/// The bytes after `selector` with a PON version (100..=355) forced into the first four, so the
/// fuzzer spends its time in the collateral-and-signature layout. The selector also picks the
/// network and how far past its PON activation the block is.
fn pon_bytes(selector: u8, rest: &[u8]) -> Vec<u8> {
    let mut bytes = rest.to_vec();
    let version = 100 + i32::from(selector);
    if bytes.len() >= 4 {
        bytes[..4].copy_from_slice(&version.to_le_bytes());
    }
    bytes
}

fn params_and_height(selector: u8) -> (Box<dyn NetworkParams>, BlockHeight) {
    let network = Network::ALL[usize::from(selector) % Network::ALL.len()];
    let params = flux_consensus::params::for_network(network);
    let activation = match flux_pow::ProofOfNodeStart::for_network(network) {
        flux_pow::ProofOfNodeStart::At(height) => height.0,
        _ => 1,
    };
    (params, BlockHeight(activation + u32::from(selector / 4)))
}

fn check_decoded_header(selector: u8, header: &BlockHeader) {
    let (params, height) = params_and_height(selector);
    let params = params.as_ref();
    assert!(header.is_proof_of_node());
    let hash = header.hash();
    // The signature is not part of the hash (`SER_GETHASH`).
    let mut unsigned = header.clone();
    if let BlockProof::Node { signature, .. } = &mut unsigned.proof {
        signature.clear();
    }
    assert_eq!(
        unsigned.hash(),
        hash,
        "the block hash must leave the signature out"
    );
    assert!(header_pon_hash(params, header).is_some());
    let _ = check_pon_signature_size(header);
    let _ = check_pon_header_for_height(params, header, height);
    let _ = check_pon_time_after_parent(header, header.time.wrapping_sub(1));
    // Emergency blocks and the test networks' bypass collateral need no node; any other block
    // needs one, and passes only with a signature that verifies under its key.
    let exempt = is_emergency_block(header)
        || matches!(&header.proof, BlockProof::Node { collateral, .. }
            if test_bypass_collateral(params.network()) == Some(*collateral));
    assert_eq!(check_pon_block_signer(params, header, None).is_ok(), exempt);
    if check_pon_block_signer(params, header, Some(&OPERATOR_KEY)).is_ok() {
        assert!(
            exempt || flux_tx::pon::verify_block_signature(header, &OPERATOR_KEY),
            "a signer check passed without a signature"
        );
    }
}

/// A PON header: decode (layout forced), re-encode, and every state-free PON rule.
pub fn check_pon_header(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let bytes = pon_bytes(selector, rest);
    let Ok(header) = BlockHeader::decode_exact(&bytes) else {
        return;
    };
    assert_eq!(
        header.encoded(),
        bytes,
        "decode then encode must give the same bytes"
    );
    check_decoded_header(selector, &header);
}

/// A PON block: decode (layout forced), re-encode, the body rules of `CheckBlock` and the
/// state-free PON header rules.
pub fn check_pon_block(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let bytes = pon_bytes(selector, rest);
    let Ok(block) = Block::decode_exact(&bytes) else {
        return;
    };
    assert_eq!(
        block.encoded(),
        bytes,
        "decode then encode must give the same bytes"
    );
    let _ = check_block_body(&block);
    check_decoded_header(selector, &block.header);
}
