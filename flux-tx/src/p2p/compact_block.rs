//! BIP152 compact block relay as fluxd speaks it (`blockencodings.h`, `main.cpp:8025-8240`):
//! `cmpctblock`, `getblocktxn` and `blocktxn`.
//!
//! Two differences from Bitcoin Core: short ids are computed from txids (Flux has no wtxid),
//! which concerns their computation, not the bytes here; and the indexes of `getblocktxn` are
//! **absolute** transaction positions, not BIP152's differences (`blockencodings.h`
//! `BlockTransactionsRequest` reads them without the offset pass, and fluxd both requests and
//! serves them as positions, `main.cpp:8090, 8153-8159`). Prefilled transactions keep BIP152's
//! differential index.

use alloc::vec::Vec;

use super::payload::{PayloadError, read_capped_count};
use crate::block::BlockHeader;
use crate::encode::{FluxDecode, FluxEncode, read_array, read_compact_size, write_compact_size};
use crate::hash::BlockHash;
use crate::transaction::{MIN_TX_SIZE, Transaction};

/// The most short ids, prefilled transactions or requested indexes one message may carry: fluxd
/// keeps positions in 16 bits and refuses larger counts while parsing (`"indexes overflowed 16
/// bits"`).
pub const MAX_COMPACT_BLOCK_ITEMS: usize = u16::MAX as usize;

/// A 6-byte short transaction id, little-endian as on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct ShortTxId(pub [u8; 6]);

impl ShortTxId {
    /// The 48-bit value.
    pub fn to_u64(self) -> u64 {
        let mut bytes = [0u8; 8];
        bytes[..6].copy_from_slice(&self.0);
        u64::from_le_bytes(bytes)
    }
}

/// A transaction sent in full inside a `cmpctblock` (the coinbase at least).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PrefilledTransaction {
    /// The position as BIP152 encodes it: the difference from the previous prefilled
    /// transaction's position, minus one (the first one's is its position).
    pub index_delta: u16,
    /// The transaction.
    pub transaction: Transaction,
}

/// `cmpctblock`: a header, the short ids of the transactions the receiver probably has, and
/// the ones it probably lacks in full (`CBlockHeaderAndShortTxIDs`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CompactBlock {
    /// The block header.
    pub header: BlockHeader,
    /// The nonce that keys the short ids.
    pub nonce: u64,
    /// Short ids of the transactions not prefilled, in block order.
    pub short_ids: Vec<ShortTxId>,
    /// Transactions sent in full.
    pub prefilled: Vec<PrefilledTransaction>,
}

/// Reads a compactsize that must fit in 16 bits, as fluxd's `COMPACTSIZE` into a `uint16_t`.
fn read_u16_index(input: &mut &[u8], what: &'static str) -> Result<u16, PayloadError> {
    let value = read_compact_size(input)?;
    u16::try_from(value).map_err(|_| PayloadError::IndexOutOfRange { what, value })
}

impl CompactBlock {
    pub(crate) fn encode_payload(&self, out: &mut Vec<u8>) {
        self.header.flux_encode(out);
        self.nonce.flux_encode(out);
        write_compact_size(out, self.short_ids.len() as u64);
        for id in &self.short_ids {
            out.extend_from_slice(&id.0);
        }
        write_compact_size(out, self.prefilled.len() as u64);
        for prefilled in &self.prefilled {
            write_compact_size(out, u64::from(prefilled.index_delta));
            prefilled.transaction.flux_encode(out);
        }
    }

    pub(crate) fn decode_payload(input: &mut &[u8]) -> Result<CompactBlock, PayloadError> {
        let header = BlockHeader::flux_decode(input)?;
        let nonce = u64::flux_decode(input)?;
        let count = read_capped_count(input, MAX_COMPACT_BLOCK_ITEMS, 6, "short ids")?;
        let mut short_ids = Vec::with_capacity(count);
        for _ in 0..count {
            short_ids.push(ShortTxId(read_array(input)?));
        }
        let count = read_capped_count(
            input,
            MAX_COMPACT_BLOCK_ITEMS,
            1 + MIN_TX_SIZE,
            "prefilled transactions",
        )?;
        let mut prefilled = Vec::with_capacity(count);
        for _ in 0..count {
            prefilled.push(PrefilledTransaction {
                index_delta: read_u16_index(input, "prefilled transaction index")?,
                transaction: Transaction::flux_decode(input)?,
            });
        }
        Ok(CompactBlock {
            header,
            nonce,
            short_ids,
            prefilled,
        })
    }
}

/// `getblocktxn`: asks for the transactions of a compact block the receiver could not fill.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BlockTransactionsRequest {
    /// The block.
    pub block_hash: BlockHash,
    /// Positions of the wanted transactions in the block (absolute in Flux; see the module
    /// documentation).
    pub indexes: Vec<u16>,
}

impl BlockTransactionsRequest {
    pub(crate) fn encode_payload(&self, out: &mut Vec<u8>) {
        self.block_hash.flux_encode(out);
        write_compact_size(out, self.indexes.len() as u64);
        for &index in &self.indexes {
            write_compact_size(out, u64::from(index));
        }
    }

    pub(crate) fn decode_payload(
        input: &mut &[u8],
    ) -> Result<BlockTransactionsRequest, PayloadError> {
        let block_hash = BlockHash::flux_decode(input)?;
        let count = read_capped_count(input, MAX_COMPACT_BLOCK_ITEMS, 1, "requested indexes")?;
        let mut indexes = Vec::with_capacity(count);
        for _ in 0..count {
            indexes.push(read_u16_index(input, "requested index")?);
        }
        Ok(BlockTransactionsRequest {
            block_hash,
            indexes,
        })
    }
}

/// `blocktxn`: the transactions a `getblocktxn` asked for, in the order asked.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BlockTransactions {
    /// The block.
    pub block_hash: BlockHash,
    /// The transactions.
    pub transactions: Vec<Transaction>,
}

impl BlockTransactions {
    pub(crate) fn encode_payload(&self, out: &mut Vec<u8>) {
        self.block_hash.flux_encode(out);
        write_compact_size(out, self.transactions.len() as u64);
        for transaction in &self.transactions {
            transaction.flux_encode(out);
        }
    }

    /// fluxd parses any count the payload holds (and penalises more than
    /// `MAX_BLOCK_SIZE / 100` afterwards, `main.cpp:8190`), so the count is bounded by the
    /// bytes present.
    pub(crate) fn decode_payload(input: &mut &[u8]) -> Result<BlockTransactions, PayloadError> {
        let block_hash = BlockHash::flux_decode(input)?;
        let count = read_capped_count(input, usize::MAX, MIN_TX_SIZE, "transactions")?;
        let mut transactions = Vec::with_capacity(count);
        for _ in 0..count {
            transactions.push(Transaction::flux_decode(input)?);
        }
        Ok(BlockTransactions {
            block_hash,
            transactions,
        })
    }
}
