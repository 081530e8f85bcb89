//! Transaction, block, header and fluxnode-transaction decoders (flux-tx): arbitrary bytes never
//! panic, and whatever decodes re-encodes to exactly the bytes it came from.

use flux_tx::encode::{FluxDecode, FluxEncode};
use flux_tx::{Block, BlockHeader, Transaction};

fn check_round_trip<T: FluxDecode + FluxEncode>(data: &[u8]) -> Option<T> {
    let value = T::decode_exact(data).ok()?;
    assert_eq!(
        value.encoded(),
        data,
        "decode then encode must give the same bytes"
    );
    Some(value)
}

/// Any transaction: decode, re-encode, and the txid and sighash views must not panic either.
pub fn check_transaction(data: &[u8]) {
    if let Some(tx) = check_round_trip::<Transaction>(data) {
        let _ = tx.txid();
        let _ = tx.is_coinbase();
    }
}

/// Fluxnode transactions: the same data with a version 5 or 6 header forced in front, so the
/// fuzzer spends its time inside the START/CONFIRM layouts.
pub fn check_fluxnode_transaction(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let version: u32 = if selector & 1 == 0 { 5 } else { 6 };
    let mut bytes = version.to_le_bytes().to_vec();
    bytes.extend_from_slice(rest);
    if let Some(tx) = check_round_trip::<Transaction>(&bytes) {
        assert!(tx.fluxnode().is_some());
        let _ = tx.txid();
    }
}

/// A block header of either layout; its hash must be computable.
pub fn check_header(data: &[u8]) {
    if let Some(header) = check_round_trip::<BlockHeader>(data) {
        let _ = header.hash();
        let _ = header.pow_prefix();
    }
}

/// A whole block; its merkle root must be computable.
pub fn check_block(data: &[u8]) {
    if let Some(block) = check_round_trip::<Block>(data) {
        let _ = block.compute_merkle_root();
    }
}
