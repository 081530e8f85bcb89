//! Typed reads and writes of the store's redb tables, shared by the accept, connect, reorg and
//! query code: each turns a missing or malformed record into a [`StoreError`].

use flux_pow::BlockHeight;
use flux_pow::difficulty::{Compact, HeaderInfo};
use flux_tx::{Block, BlockHash, OutPoint};
use redb::{ReadableTable, WriteTransaction};

use crate::store::{
    IndexEntry, META, StoreError, decode_block, decode_index, encode_index, outpoint_key,
};

/// The byte-keyed tables (everything but the height-keyed best chain and the named values).
pub(super) trait BytesTable: ReadableTable<&'static [u8], &'static [u8]> {}

impl<T: ReadableTable<&'static [u8], &'static [u8]>> BytesTable for T {}

/// The node key stored for `collateral` in the node-key table.
pub(super) fn node_key(
    table: &impl BytesTable,
    collateral: &OutPoint,
) -> Result<Option<Vec<u8>>, StoreError> {
    let key = outpoint_key(collateral);
    Ok(table
        .get(key.as_slice())?
        .map(|value| value.value().to_vec()))
}

/// The delegate keys stored for `collateral` in the delegates table, `None` when it has none.
pub(super) fn stored_delegates(
    table: &impl BytesTable,
    collateral: &OutPoint,
) -> Result<Option<Vec<Vec<u8>>>, StoreError> {
    let key = outpoint_key(collateral);
    table
        .get(key.as_slice())?
        .map(|value| crate::store::decode_delegates(value.value()))
        .transpose()
}

/// A block's index entry, `None` when the block is not stored.
pub(super) fn get_index(
    table: &impl BytesTable,
    hash: &BlockHash,
) -> Result<Option<IndexEntry>, StoreError> {
    match table.get(hash.0.as_slice())? {
        Some(bytes) => Ok(Some(decode_index(bytes.value())?)),
        None => Ok(None),
    }
}

/// The index entry of a block the store must have (a parent, a best-chain block).
pub(super) fn require_index(
    table: &impl BytesTable,
    hash: &BlockHash,
) -> Result<IndexEntry, StoreError> {
    get_index(table, hash)?
        .ok_or_else(|| StoreError::Corrupt(format!("block {hash} has no index entry")))
}

/// Rewrites a block's index entry.
pub(super) fn put_index(
    txn: &WriteTransaction,
    hash: &BlockHash,
    entry: &IndexEntry,
) -> Result<(), StoreError> {
    txn.open_table(crate::store::INDEX)?
        .insert(hash.0.as_slice(), encode_index(entry).as_slice())?;
    Ok(())
}

/// A block the store must have.
pub(super) fn get_block(table: &impl BytesTable, hash: &BlockHash) -> Result<Block, StoreError> {
    match table.get(hash.0.as_slice())? {
        Some(bytes) => decode_block(bytes.value()),
        None => Err(StoreError::Corrupt(format!("block {hash} is not stored"))),
    }
}

/// The ascending window of up to `count` blocks ending at `last` (fewer near genesis).
pub(super) fn ancestor_window(
    index: &impl BytesTable,
    last: BlockHash,
    count: u32,
) -> Result<Vec<HeaderInfo>, StoreError> {
    let mut window = Vec::with_capacity(count as usize);
    let mut hash = last;
    for _ in 0..count {
        let entry = require_index(index, &hash)?;
        window.push(HeaderInfo {
            height: BlockHeight(entry.height),
            time: i64::from(entry.time),
            bits: Compact(entry.bits),
            version: entry.version,
        });
        if entry.height == 0 {
            break;
        }
        hash = entry.prev;
    }
    window.reverse();
    Ok(window)
}

/// Records `hash` as the best tip.
pub(super) fn set_tip(txn: &WriteTransaction, hash: &BlockHash) -> Result<(), StoreError> {
    txn.open_table(META)?.insert("tip", hash.0.as_slice())?;
    Ok(())
}

/// The best chain's block at `height`, `None` above the tip.
pub(super) fn main_hash_at(
    txn: &WriteTransaction,
    height: BlockHeight,
) -> Result<Option<BlockHash>, StoreError> {
    match txn.open_table(crate::store::MAIN)?.get(height.0)? {
        Some(bytes) => Ok(Some(crate::store::decode_hash(bytes.value())?)),
        None => Ok(None),
    }
}
