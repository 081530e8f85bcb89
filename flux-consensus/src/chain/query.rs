//! Read-only questions about the stored chain: blocks, heights, work, transactions, coins, node
//! keys and the tip's median time past. Each opens its own read transaction.

use flux_pow::BlockHeight;
use flux_pow::difficulty::U256;
use flux_tx::{Block, BlockHash, BlockHeader, OutPoint, Txid};
use redb::{ReadableDatabase, ReadableTable};

use super::tables::{ancestor_window, get_block, get_index, node_key, require_index};
use super::view::get_coin;
use super::{Chain, TxLocation};
use crate::check::header::median_time_past;
use crate::check::utxo::Coin;
use crate::store::{
    BLOCKS, INDEX, MAIN, NODE_KEYS, StoreError, TX_INDEX, UTXOS, decode_block, decode_block_header,
    decode_coin, decode_hash, decode_tx_location,
};

impl Chain {
    /// The hash of the best-chain block at `height`.
    ///
    /// # Errors
    ///
    /// [`StoreError`] on a read failure.
    pub fn block_hash(&self, height: BlockHeight) -> Result<Option<BlockHash>, StoreError> {
        let read = self.db.begin_read()?;
        let main = read.open_table(MAIN)?;
        match main.get(height.0)? {
            Some(bytes) => Ok(Some(decode_hash(bytes.value())?)),
            None => Ok(None),
        }
    }

    /// A stored block (any branch).
    ///
    /// # Errors
    ///
    /// [`StoreError`] on a read failure or a corrupt record.
    pub fn block(&self, hash: &BlockHash) -> Result<Option<Block>, StoreError> {
        let read = self.db.begin_read()?;
        let blocks = read.open_table(BLOCKS)?;
        match blocks.get(hash.0.as_slice())? {
            Some(bytes) => Ok(Some(decode_block(bytes.value())?)),
            None => Ok(None),
        }
    }

    /// A stored block's header.
    ///
    /// # Errors
    ///
    /// As [`Chain::block`].
    pub fn header(&self, hash: &BlockHash) -> Result<Option<BlockHeader>, StoreError> {
        let read = self.db.begin_read()?;
        let blocks = read.open_table(BLOCKS)?;
        match blocks.get(hash.0.as_slice())? {
            Some(bytes) => Ok(Some(decode_block_header(bytes.value())?)),
            None => Ok(None),
        }
    }

    /// Up to `max` best-chain headers from height `start` up, with their hashes, read in one
    /// store transaction (what a node serves for `getheaders`).
    ///
    /// # Errors
    ///
    /// [`StoreError`] on a read failure or a corrupt record.
    pub fn best_chain_headers(
        &self,
        start: BlockHeight,
        max: usize,
    ) -> Result<Vec<(BlockHash, BlockHeader)>, StoreError> {
        let read = self.db.begin_read()?;
        let main = read.open_table(MAIN)?;
        let blocks = read.open_table(BLOCKS)?;
        let mut headers = Vec::new();
        for entry in main.range(start.0..)?.take(max) {
            let (_, hash) = entry?;
            let hash = decode_hash(hash.value())?;
            let bytes = blocks
                .get(hash.0.as_slice())?
                .ok_or_else(|| StoreError::Corrupt(format!("best-chain block {hash} missing")))?;
            headers.push((hash, decode_block_header(bytes.value())?));
        }
        Ok(headers)
    }

    /// The height of a stored block (any branch).
    ///
    /// # Errors
    ///
    /// [`StoreError`] on a read failure.
    pub fn block_height(&self, hash: &BlockHash) -> Result<Option<BlockHeight>, StoreError> {
        let read = self.db.begin_read()?;
        let index = read.open_table(INDEX)?;
        Ok(get_index(&index, hash)?.map(|entry| BlockHeight(entry.height)))
    }

    /// The cumulative work of the chain ending at a stored block (`nChainWork`, on any branch).
    ///
    /// # Errors
    ///
    /// [`StoreError`] on a read failure.
    pub fn chain_work(&self, hash: &BlockHash) -> Result<Option<U256>, StoreError> {
        let read = self.db.begin_read()?;
        let index = read.open_table(INDEX)?;
        Ok(get_index(&index, hash)?.map(|entry| entry.chain_work))
    }

    /// Whether `hash` is on the best chain.
    ///
    /// # Errors
    ///
    /// [`StoreError`] on a read failure.
    pub fn is_in_best_chain(&self, hash: &BlockHash) -> Result<bool, StoreError> {
        match self.block_height(hash)? {
            Some(height) => Ok(self.block_hash(height)? == Some(*hash)),
            None => Ok(false),
        }
    }

    /// A best-chain transaction with its block.
    ///
    /// # Errors
    ///
    /// [`StoreError`] on a read failure or a corrupt record.
    pub fn transaction(&self, txid: &Txid) -> Result<Option<TxLocation>, StoreError> {
        let read = self.db.begin_read()?;
        let tx_index = read.open_table(TX_INDEX)?;
        let Some(location) = tx_index.get(txid.0.as_slice())? else {
            return Ok(None);
        };
        let (block_hash, position) = decode_tx_location(location.value())?;
        let blocks = read.open_table(BLOCKS)?;
        let block = get_block(&blocks, &block_hash)?;
        let index = read.open_table(INDEX)?;
        let entry = require_index(&index, &block_hash)?;
        let transaction = block
            .transactions
            .into_iter()
            .nth(position as usize)
            .ok_or_else(|| StoreError::Corrupt(format!("transaction {txid} position")))?;
        Ok(Some(TxLocation {
            transaction,
            block_hash,
            height: BlockHeight(entry.height),
            position,
        }))
    }

    /// An unspent output of the best chain.
    ///
    /// # Errors
    ///
    /// [`StoreError`] on a read failure or a corrupt record.
    pub fn utxo(&self, outpoint: &OutPoint) -> Result<Option<Coin>, StoreError> {
        let read = self.db.begin_read()?;
        let utxos = read.open_table(UTXOS)?;
        get_coin(&utxos, outpoint)
    }

    /// The whole UTXO set, in outpoint order (txid bytes, then index).
    ///
    /// # Errors
    ///
    /// [`StoreError`] on a read failure or a corrupt record.
    pub fn utxo_set(&self) -> Result<Vec<(OutPoint, Coin)>, StoreError> {
        let read = self.db.begin_read()?;
        let utxos = read.open_table(UTXOS)?;
        let mut set = Vec::new();
        for item in utxos.iter()? {
            let (key, value) = item?;
            let key = key.value();
            if key.len() != 36 {
                return Err(StoreError::Corrupt("utxo key".into()));
            }
            let mut txid = [0u8; 32];
            txid.copy_from_slice(&key[..32]);
            let mut index = [0u8; 4];
            index.copy_from_slice(&key[32..]);
            set.push((
                OutPoint {
                    txid: Txid(txid),
                    index: u32::from_be_bytes(index),
                },
                decode_coin(value.value())?,
            ));
        }
        Ok(set)
    }

    /// The node public key the latest best-chain START for `collateral` announced (what its
    /// CONFIRMs must be signed with).
    ///
    /// # Errors
    ///
    /// [`StoreError`] on a read failure.
    pub fn node_key(&self, collateral: &OutPoint) -> Result<Option<Vec<u8>>, StoreError> {
        let read = self.db.begin_read()?;
        let keys = read.open_table(NODE_KEYS)?;
        node_key(&keys, collateral)
    }

    /// The delegate keys the latest best-chain UPDATE START stored for `collateral`
    /// (`FluxnodeCache::GetDelegates`): who may sign a START for it as a delegate. `None` when
    /// none are stored.
    ///
    /// # Errors
    ///
    /// [`StoreError`] on a read failure.
    pub fn delegates(&self, collateral: &OutPoint) -> Result<Option<Vec<Vec<u8>>>, StoreError> {
        let read = self.db.begin_read()?;
        let table = read.open_table(crate::store::DELEGATES)?;
        super::tables::stored_delegates(&table, collateral)
    }

    /// The median time past of the tip (`GetMedianTimePast`).
    ///
    /// # Errors
    ///
    /// [`StoreError`] on a read failure.
    pub fn median_time_past(&self) -> Result<i64, StoreError> {
        let read = self.db.begin_read()?;
        let index = read.open_table(INDEX)?;
        let window = ancestor_window(&index, self.tip.hash, 11)?;
        Ok(median_time_past(&window).unwrap_or(0))
    }
}
