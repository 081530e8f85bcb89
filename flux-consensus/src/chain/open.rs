//! Opening a store: the network check, the genesis block of a new file, and the replay that
//! rebuilds the in-memory fluxnode list from the best chain's undo records.

use std::path::Path;

use flux_nodes::FluxnodeList;
use flux_nodes::list::BlockUndo;
use flux_pow::BlockHeight;
use flux_pow::difficulty::block_proof;
use flux_tx::BlockHash;
use redb::{Database, ReadableDatabase, ReadableTable, WriteTransaction};

use super::tables::require_index;
use super::{Chain, Tip};
use crate::params::NetworkParams;
use crate::store::{
    BLOCKS, BlockStatus, DELEGATES, INDEX, IndexEntry, MAIN, META, NODE_KEYS, StoreError, TX_INDEX,
    UNDO, UTXOS, decode_hash, decode_undo, encode_block, encode_index,
};

impl Chain {
    /// Opens (or creates) the store at `path` for `params`' network. A new store starts with
    /// the genesis block as its tip; an existing one must belong to the same network.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the file cannot be opened, is corrupt, or holds another network.
    pub fn open(
        path: impl AsRef<Path>,
        params: impl NetworkParams + 'static,
    ) -> Result<Chain, StoreError> {
        Chain::open_boxed(path, Box::new(params))
    }

    /// [`Chain::open`] with parameters chosen at run time.
    ///
    /// # Errors
    ///
    /// As [`Chain::open`].
    pub fn open_boxed(
        path: impl AsRef<Path>,
        params: Box<dyn NetworkParams>,
    ) -> Result<Chain, StoreError> {
        let db = Database::create(path)?;
        let txn = db.begin_write()?;
        let tip_hash = claim_for_network(&txn, params.as_ref())?;
        // Create every table so that read transactions find them.
        txn.open_table(UTXOS)?;
        txn.open_table(UNDO)?;
        txn.open_table(TX_INDEX)?;
        txn.open_table(NODE_KEYS)?;
        txn.open_table(DELEGATES)?;
        txn.commit()?;

        let tip_entry = require_index(&db.begin_read()?.open_table(INDEX)?, &tip_hash)?;
        let (list, list_undo) = replay_fluxnode_list(&db, params.as_ref(), tip_entry.height)?;
        Ok(Chain {
            db,
            params,
            tip: Tip {
                height: BlockHeight(tip_entry.height),
                hash: tip_hash,
                chain_work: tip_entry.chain_work,
            },
            list,
            list_undo,
        })
    }
}

/// Checks that the store belongs to `params`' network (naming it in a new store) and returns the
/// tip, writing the genesis block as the tip of a new store.
fn claim_for_network(
    txn: &WriteTransaction,
    params: &dyn NetworkParams,
) -> Result<BlockHash, StoreError> {
    let mut meta = txn.open_table(META)?;
    let network = meta.get("network")?.map(|v| v.value().to_vec());
    match network {
        Some(name) if name != params.name().as_bytes() => {
            return Err(StoreError::WrongNetwork {
                expected: params.name().to_string(),
                found: String::from_utf8_lossy(&name).into_owned(),
            });
        }
        Some(_) => {}
        None => {
            meta.insert("network", params.name().as_bytes())?;
        }
    }
    let tip = meta.get("tip")?.map(|v| v.value().to_vec());
    match tip {
        Some(bytes) => decode_hash(&bytes),
        None => {
            let hash = store_genesis(txn, params)?;
            meta.insert("tip", hash.0.as_slice())?;
            Ok(hash)
        }
    }
}

/// Writes the network's genesis block as the best chain's block 0.
fn store_genesis(
    txn: &WriteTransaction,
    params: &dyn NetworkParams,
) -> Result<BlockHash, StoreError> {
    let genesis = params.genesis_block();
    let hash = genesis.hash();
    let entry = IndexEntry {
        height: 0,
        prev: genesis.header.prev_block,
        chain_work: block_proof(genesis.header.bits, genesis.header.version),
        time: genesis.header.time,
        bits: genesis.header.bits.0,
        version: genesis.header.version,
        status: BlockStatus::Stored,
    };
    txn.open_table(BLOCKS)?
        .insert(hash.0.as_slice(), encode_block(&genesis).as_slice())?;
    txn.open_table(INDEX)?
        .insert(hash.0.as_slice(), encode_index(&entry).as_slice())?;
    txn.open_table(MAIN)?.insert(0, hash.0.as_slice())?;
    Ok(hash)
}

/// The fluxnode list after the best chain's block `tip_height`, rebuilt by applying each block's
/// stored list changes from height 1, with the list's undo record of each block.
fn replay_fluxnode_list(
    db: &Database,
    params: &dyn NetworkParams,
    tip_height: u32,
) -> Result<(FluxnodeList, Vec<BlockUndo>), StoreError> {
    let read = db.begin_read()?;
    let main = read.open_table(MAIN)?;
    let undo = read.open_table(UNDO)?;
    let mut list = FluxnodeList::new(params.network());
    let mut list_undo = Vec::with_capacity(tip_height as usize);
    for height in 1..=tip_height {
        let hash = match main.get(height)? {
            Some(bytes) => decode_hash(bytes.value())?,
            None => {
                return Err(StoreError::Corrupt(format!(
                    "best chain has no block at height {height}"
                )));
            }
        };
        let record = match undo.get(hash.0.as_slice())? {
            Some(bytes) => decode_undo(bytes.value())?,
            None => {
                return Err(StoreError::Corrupt(format!(
                    "block {hash} at height {height} has no undo record"
                )));
            }
        };
        let applied = list
            .apply_block(BlockHeight(height), &record.changes)
            .map_err(|error| {
                StoreError::Corrupt(format!("replaying the fluxnode list at {height}: {error}"))
            })?;
        list_undo.push(applied);
    }
    Ok((list, list_undo))
}
