//! The chain state: every stored block with its cumulative work, the best chain, its UTXO set and
//! fluxnode list, and per-block undo data, persisted in one redb file.
//!
//! Each [`Chain::accept_block`] is a single redb write transaction committed with immediate
//! durability: once it returns `Ok`, the block and everything it changed survive a crash or a
//! `kill -9`; if the process dies before, the store is as it was before the call. The fluxnode list
//! lives in memory and is rebuilt on open by replaying each best-chain block's list changes, which
//! the undo record keeps.
//!
//! Blocks that extend a chain with less work than the best one are stored after their header and
//! context-free checks and validated fully only when their branch becomes the heaviest
//! (`ActivateBestChain`): then the best chain is disconnected down to the fork, block by block
//! with exact undo, and the branch connected. If a branch block fails, the whole switch is
//! abandoned (nothing of it is committed) and the failing block is marked invalid.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use flux_nodes::list::BlockUndo;
use flux_nodes::{BlockChanges, FluxnodeList, NodeStatus, RewardSplit};
use flux_pow::BlockHeight;
use flux_pow::difficulty::{Compact, HeaderInfo, U256, block_proof};
use flux_tx::fluxnode::FluxnodeTx;
use flux_tx::transaction::SAPLING_VERSION_GROUP_ID;
use flux_tx::transaction::{SAPLING_TX_VERSION, SaplingBundle, StandardTx, TxBody};
use flux_tx::{
    Amount, Block, BlockHash, BlockHeader, OutPoint, SaplingRoot, Script, Transaction, TxIn, TxOut,
    Txid,
};
use redb::{Database, ReadableDatabase, ReadableTable, WriteTransaction};

use crate::check::block::{
    RequiredPayout, check_block_body, check_coinbase_amount, check_coinbase_height,
    check_fluxnode_payouts, check_fund_outputs, check_sapling_root, empty_sapling_root,
    height_script, required_payouts,
};
use crate::check::header::{
    check_checkpoint, check_difficulty_bits, check_equihash_solution, check_future_time,
    check_proof_kind, check_proof_of_work_target, check_reorg_depth,
    check_solution_size_for_height, check_time_after_median, check_version, median_time_past,
};
use crate::check::transaction::{
    Coin, UtxoView, check_benchmark_tier, check_confirm_signature, check_final,
    check_fluxnode_collateral, check_inputs, check_transaction, check_transaction_at_height,
};
use crate::error::{BlockError, HeaderError, TransactionError};
use crate::params::{DIFFICULTY_WINDOW, NetworkParams};
use crate::store::{
    BLOCKS, BlockStatus, INDEX, IndexEntry, MAIN, META, NODE_KEYS, StoreError, TX_INDEX, UNDO,
    UTXOS, UndoRecord, decode_block, decode_coin, decode_hash, decode_index, decode_tx_location,
    decode_undo, encode_block, encode_coin, encode_index, encode_tx_location, encode_undo,
    outpoint_key,
};

/// The best chain's last block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tip {
    /// Its height.
    pub height: BlockHeight,
    /// Its hash.
    pub hash: BlockHash,
    /// The cumulative work of the chain ending at it (`nChainWork`).
    pub chain_work: U256,
}

/// What [`Chain::accept_block`] did with a valid block.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AcceptOutcome {
    /// The block was stored before; nothing changed.
    AlreadyKnown,
    /// The block extended the best chain and is its new tip.
    Extended {
        /// Its height.
        height: BlockHeight,
    },
    /// The block's branch has more work: the best chain switched to it.
    Reorganized {
        /// The new tip's height.
        height: BlockHeight,
        /// The height of the last block both chains share.
        fork_height: BlockHeight,
        /// The blocks taken off the best chain, tip first.
        disconnected: Vec<BlockHash>,
        /// The blocks put on, lowest first (the accepted block last).
        connected: Vec<BlockHash>,
    },
    /// The block was stored on a branch with less work than the best chain.
    SideChain {
        /// Its height.
        height: BlockHeight,
    },
}

/// A best-chain transaction and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxLocation {
    /// The transaction.
    pub transaction: Transaction,
    /// The block holding it.
    pub block_hash: BlockHash,
    /// That block's height.
    pub height: BlockHeight,
    /// Its position in the block.
    pub position: u32,
}

/// What a miner needs to build the next block on the tip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockTemplate {
    /// The new block's height.
    pub height: BlockHeight,
    /// Its parent: the tip.
    pub prev_block: BlockHash,
    /// The `nBits` it must carry.
    pub bits: u32,
    /// The earliest valid `nTime` (median time past + 1).
    pub min_time: u32,
    /// The `hashFinalSaplingRoot` it must carry.
    pub final_sapling_root: SaplingRoot,
    /// The consensus branch id its transactions' signatures commit to.
    pub branch_id: u32,
    /// The subsidy and its split at this height.
    pub reward: RewardSplit,
    /// The fluxnode payouts the coinbase must carry (one per tier with a confirmed node).
    pub fluxnode_payouts: Vec<RequiredPayout>,
    /// Whether the coinbase must be a v4 Sapling transaction (Acadia active).
    pub sapling_coinbase: bool,
    /// The one-off exchange, foundation or swap-pool outputs due at this height (usually none).
    pub fund_outputs: Vec<TxOut>,
}

impl BlockTemplate {
    /// What the miner may take: the subsidy plus `fees`, less the fluxnode payouts.
    pub fn miner_amount(&self, fees: Amount) -> Amount {
        let paid = self
            .fluxnode_payouts
            .iter()
            .filter_map(|payout| payout.output.amount())
            .try_fold(Amount::ZERO, Amount::checked_add)
            .unwrap_or(Amount::ZERO);
        self.reward
            .subsidy
            .checked_add(fees)
            .and_then(|total| total.checked_sub(paid))
            .unwrap_or(Amount::ZERO)
    }

    /// The coinbase outputs: the miner's first, then each fluxnode payout, then any fund output.
    pub fn coinbase_outputs(&self, miner_script: &Script, fees: Amount) -> Vec<TxOut> {
        let mut outputs = vec![TxOut::new(self.miner_amount(fees), miner_script.clone())];
        outputs.extend(self.fluxnode_payouts.iter().map(|p| p.output.clone()));
        outputs.extend(self.fund_outputs.iter().cloned());
        outputs
    }

    /// A complete coinbase transaction: the height push then `extra` in its scriptSig (padded to
    /// the 2-byte minimum), [`BlockTemplate::coinbase_outputs`], v4 Sapling once Acadia is active.
    pub fn coinbase_transaction(
        &self,
        miner_script: &Script,
        fees: Amount,
        extra: &[u8],
    ) -> Transaction {
        let mut script_sig = height_script(self.height.0);
        script_sig.extend_from_slice(extra);
        if script_sig.len() < 2 {
            script_sig.push(0);
        }
        script_sig.truncate(100);
        let body = StandardTx {
            inputs: vec![TxIn {
                prevout: OutPoint::NULL,
                script_sig: Script::from(script_sig),
                sequence: u32::MAX,
            }],
            outputs: self.coinbase_outputs(miner_script, fees),
            lock_time: 0,
            expiry_height: 0,
            sapling: SaplingBundle::default(),
            join_splits: None,
        };
        Transaction {
            overwintered: self.sapling_coinbase,
            version: if self.sapling_coinbase {
                SAPLING_TX_VERSION
            } else {
                1
            },
            version_group_id: if self.sapling_coinbase {
                SAPLING_VERSION_GROUP_ID
            } else {
                0
            },
            body: TxBody::Standard(body),
        }
    }

    /// A block with `transactions` (the coinbase first) on this template: merkle root filled in,
    /// nonce and solution empty for the miner to search.
    pub fn block(&self, time: u32, transactions: Vec<Transaction>) -> Block {
        let mut block = Block {
            header: BlockHeader {
                version: 4,
                prev_block: self.prev_block,
                merkle_root: flux_tx::MerkleRoot::ZERO,
                final_sapling_root: self.final_sapling_root,
                time: time.max(self.min_time),
                bits: self.bits,
                proof: flux_tx::BlockProof::Work {
                    nonce: [0; 32],
                    solution: Vec::new(),
                },
            },
            transactions,
        };
        block.header.merkle_root = block.compute_merkle_root().0;
        block
    }
}

/// Why a transaction cannot be accepted on top of the tip.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TxValidationError {
    /// It breaks a consensus rule.
    #[error("{0}")]
    Invalid(#[from] TransactionError),
    /// The store failed.
    #[error("chain store: {0}")]
    Store(#[from] StoreError),
}

/// A UTXO view over a redb table that remembers the first read error.
struct TableView<'t, T: ReadableTable<&'static [u8], &'static [u8]>> {
    table: &'t T,
    error: std::cell::RefCell<Option<StoreError>>,
}

impl<'t, T: ReadableTable<&'static [u8], &'static [u8]>> TableView<'t, T> {
    fn new(table: &'t T) -> Self {
        TableView {
            table,
            error: std::cell::RefCell::new(None),
        }
    }

    fn take_error(&self) -> Result<(), StoreError> {
        match self.error.borrow_mut().take() {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }
}

impl<T: ReadableTable<&'static [u8], &'static [u8]>> UtxoView for TableView<'_, T> {
    fn coin(&self, outpoint: &OutPoint) -> Option<Coin> {
        match get_coin(self.table, outpoint) {
            Ok(coin) => coin,
            Err(error) => {
                self.error.borrow_mut().get_or_insert(error);
                None
            }
        }
    }
}

fn get_coin<T: ReadableTable<&'static [u8], &'static [u8]>>(
    table: &T,
    outpoint: &OutPoint,
) -> Result<Option<Coin>, StoreError> {
    let key = outpoint_key(outpoint);
    match table.get(key.as_slice())? {
        Some(bytes) => Ok(Some(decode_coin(bytes.value())?)),
        None => Ok(None),
    }
}

fn node_key<T: ReadableTable<&'static [u8], &'static [u8]>>(
    table: &T,
    collateral: &OutPoint,
) -> Result<Option<Vec<u8>>, StoreError> {
    let key = outpoint_key(collateral);
    Ok(table
        .get(key.as_slice())?
        .map(|value| value.value().to_vec()))
}

fn get_index<T: ReadableTable<&'static [u8], &'static [u8]>>(
    table: &T,
    hash: &BlockHash,
) -> Result<Option<IndexEntry>, StoreError> {
    match table.get(hash.0.as_slice())? {
        Some(bytes) => Ok(Some(decode_index(bytes.value())?)),
        None => Ok(None),
    }
}

fn require_index<T: ReadableTable<&'static [u8], &'static [u8]>>(
    table: &T,
    hash: &BlockHash,
) -> Result<IndexEntry, StoreError> {
    get_index(table, hash)?
        .ok_or_else(|| StoreError::Corrupt(format!("block {hash} has no index entry")))
}

fn get_block<T: ReadableTable<&'static [u8], &'static [u8]>>(
    table: &T,
    hash: &BlockHash,
) -> Result<Block, StoreError> {
    match table.get(hash.0.as_slice())? {
        Some(bytes) => decode_block(bytes.value()),
        None => Err(StoreError::Corrupt(format!("block {hash} is not stored"))),
    }
}

/// The ascending window of up to `count` blocks ending at `last` (fewer near genesis).
fn ancestor_window<T: ReadableTable<&'static [u8], &'static [u8]>>(
    index: &T,
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

fn now_seconds() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs() as i64)
}

/// The chain state of one network in one redb file.
pub struct Chain {
    db: Database,
    params: Box<dyn NetworkParams>,
    tip: Tip,
    list: FluxnodeList,
    /// The list's undo record of each best-chain block from height 1 (index `height - 1`).
    list_undo: Vec<BlockUndo>,
}

impl std::fmt::Debug for Chain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Chain")
            .field("network", &self.params.name())
            .field("tip", &self.tip)
            .finish()
    }
}

/// A failure while connecting blocks, with the block that caused it.
struct ConnectFailure {
    block: BlockHash,
    error: Box<BlockError>,
}

impl From<StoreError> for ConnectFailure {
    fn from(error: StoreError) -> Self {
        ConnectFailure {
            block: BlockHash::ZERO,
            error: Box::new(BlockError::Store(error)),
        }
    }
}

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
        let tip_hash = {
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
                Some(bytes) => decode_hash(&bytes)?,
                None => {
                    let genesis = params.genesis_block();
                    let hash = genesis.hash();
                    let entry = IndexEntry {
                        height: 0,
                        prev: genesis.header.prev_block,
                        chain_work: block_proof(
                            Compact(genesis.header.bits),
                            genesis.header.version,
                        ),
                        time: genesis.header.time,
                        bits: genesis.header.bits,
                        version: genesis.header.version,
                        status: BlockStatus::Stored,
                    };
                    txn.open_table(BLOCKS)?
                        .insert(hash.0.as_slice(), encode_block(&genesis).as_slice())?;
                    txn.open_table(INDEX)?
                        .insert(hash.0.as_slice(), encode_index(&entry).as_slice())?;
                    txn.open_table(MAIN)?.insert(0, hash.0.as_slice())?;
                    meta.insert("tip", hash.0.as_slice())?;
                    hash
                }
            }
        };
        // Create every table so that read transactions find them.
        txn.open_table(UTXOS)?;
        txn.open_table(UNDO)?;
        txn.open_table(TX_INDEX)?;
        txn.open_table(NODE_KEYS)?;
        txn.commit()?;

        let read = db.begin_read()?;
        let index = read.open_table(INDEX)?;
        let tip_entry = require_index(&index, &tip_hash)?;
        let main = read.open_table(MAIN)?;
        let undo = read.open_table(UNDO)?;
        let mut list = FluxnodeList::new(params.money_network());
        let mut list_undo = Vec::with_capacity(tip_entry.height as usize);
        for height in 1..=tip_entry.height {
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
        drop((index, main, undo, read));
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

    /// The network parameters.
    pub fn params(&self) -> &dyn NetworkParams {
        self.params.as_ref()
    }

    /// The genesis block's hash.
    pub fn genesis(&self) -> BlockHash {
        self.params.genesis_hash()
    }

    /// The best chain's tip: height and hash.
    pub fn tip(&self) -> (BlockHeight, BlockHash) {
        (self.tip.height, self.tip.hash)
    }

    /// The best chain's tip with its cumulative work.
    pub fn tip_info(&self) -> Tip {
        self.tip
    }

    /// The fluxnode list after the tip.
    pub fn fluxnode_list(&self) -> &FluxnodeList {
        &self.list
    }

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
        Ok(self.block(hash)?.map(|block| block.header))
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

    /// The fluxnode payouts the next block must carry.
    ///
    /// # Errors
    ///
    /// [`StoreError`] on a read failure.
    pub fn next_payouts(&self) -> Result<Vec<RequiredPayout>, StoreError> {
        let read = self.db.begin_read()?;
        let utxos = read.open_table(UTXOS)?;
        let view = TableView::new(&utxos);
        let next = BlockHeight(self.tip.height.0 + 1);
        let payouts = required_payouts(self.params.as_ref(), &self.list, &view, next);
        view.take_error()?;
        Ok(payouts)
    }

    /// What a miner needs for the block at `height`, which must be the tip's height + 1 (the
    /// payees and the difficulty follow from the tip). `None` for any other height.
    ///
    /// # Errors
    ///
    /// [`StoreError`] on a read failure, or a difficulty the store cannot compute.
    pub fn block_template(&self, height: BlockHeight) -> Result<Option<BlockTemplate>, StoreError> {
        if height.0 != self.tip.height.0 + 1 {
            return Ok(None);
        }
        let read = self.db.begin_read()?;
        let index = read.open_table(INDEX)?;
        let window = ancestor_window(&index, self.tip.hash, DIFFICULTY_WINDOW)?;
        let bits = self
            .params
            .next_work_required(&window, None)
            .map_err(|error| StoreError::Corrupt(format!("difficulty: {error}")))?;
        let min_time = median_time_past(&window).unwrap_or(0) + 1;
        let params = self.params.as_ref();
        let acadia = params.is_active(flux_pow::NetworkUpgrade::Acadia, height);
        Ok(Some(BlockTemplate {
            height,
            prev_block: self.tip.hash,
            bits: bits.0,
            min_time: u32::try_from(min_time).unwrap_or(u32::MAX),
            final_sapling_root: if acadia {
                empty_sapling_root()
            } else {
                SaplingRoot::ZERO
            },
            branch_id: params.branch_id_at(height),
            reward: params.reward_split(height),
            fluxnode_payouts: self.next_payouts()?,
            sapling_coinbase: acadia,
            fund_outputs: fund_outputs(params, height),
        }))
    }

    /// Checks a loose transaction against the tip's UTXO set and fluxnode list as if it were
    /// mined in the next block (what `sendrawtransaction` needs, without a mempool): every
    /// context-free and height rule, finality at the tip's median time past, inputs and scripts,
    /// and for fluxnode transactions the collateral and the list state. Returns the fee.
    ///
    /// # Errors
    ///
    /// [`TxValidationError::Invalid`] naming the rule, or a store failure.
    pub fn validate_transaction(&self, tx: &Transaction) -> Result<Amount, TxValidationError> {
        let params = self.params.as_ref();
        let height = BlockHeight(self.tip.height.0 + 1);
        if tx.is_coinbase() {
            return Err(TransactionError::LooseCoinbase.into());
        }
        check_transaction(tx)?;
        check_transaction_at_height(params, tx, height)?;
        check_final(tx, height, self.median_time_past()?)?;
        let read = self.db.begin_read().map_err(StoreError::from)?;
        let utxos = read.open_table(UTXOS).map_err(StoreError::from)?;
        let view = TableView::new(&utxos);
        let fee = check_inputs(tx, &view, height, params.branch_id_at(height));
        view.take_error()?;
        let fee = fee?;
        let collateral = check_fluxnode_collateral(params, tx, &view, height);
        view.take_error()?;
        collateral?;
        if let Some(FluxnodeTx::Confirm(confirm)) = tx.fluxnode() {
            let keys = read.open_table(NODE_KEYS).map_err(StoreError::from)?;
            let key = node_key(&keys, &confirm.collateral)?;
            check_confirm_signature(tx, key.as_deref())?;
            let tier = self.list.get(&confirm.collateral).map(|node| node.tier);
            check_benchmark_tier(tx, tier)?;
        }
        if let Some(node) = tx.fluxnode() {
            let existing = self.list.get(&node.collateral());
            let refusal = match (node, existing) {
                (FluxnodeTx::Start(start), Some(record)) => {
                    Some(flux_nodes::ListError::AlreadyStarted {
                        collateral: start.collateral,
                        status: record.status,
                    })
                }
                (FluxnodeTx::Confirm(confirm), record) if confirm.update_type == 0 => {
                    match record {
                        Some(r) if r.status == NodeStatus::Started => None,
                        _ => Some(flux_nodes::ListError::NotStarted(confirm.collateral)),
                    }
                }
                (FluxnodeTx::Confirm(confirm), _) => self
                    .list
                    .check_update_confirm(
                        height,
                        &confirm.collateral,
                        &String::from_utf8_lossy(&confirm.ip),
                    )
                    .err(),
                _ => None,
            };
            if let Some(error) = refusal {
                return Err(TransactionError::FluxnodeList(error).into());
            }
        }
        Ok(fee)
    }

    /// Validates `block` fully and adds it: it becomes the tip, switches the best chain to its
    /// branch, or is stored on a lighter branch. The clock for the future-time rule is the system
    /// clock.
    ///
    /// # Errors
    ///
    /// The [`BlockError`] of the first rule the block (or, during a reorganisation, a block of
    /// its branch) breaks; the store is then unchanged, except that a failing branch block is
    /// marked invalid.
    pub fn accept_block(&mut self, block: &Block) -> Result<AcceptOutcome, BlockError> {
        self.accept_block_at(block, now_seconds())
    }

    /// [`Chain::accept_block`] with the clock given (seconds since 1970).
    ///
    /// # Errors
    ///
    /// As [`Chain::accept_block`].
    pub fn accept_block_at(
        &mut self,
        block: &Block,
        now: i64,
    ) -> Result<AcceptOutcome, BlockError> {
        let params = self.params.as_ref();
        let hash = block.hash();
        let header = &block.header;
        let txn = self.db.begin_write().map_err(StoreError::from)?;
        let entry = {
            let index = txn.open_table(INDEX).map_err(StoreError::from)?;
            if let Some(known) = get_index(&index, &hash)? {
                return if known.status == BlockStatus::Invalid {
                    Err(BlockError::KnownInvalid(hash))
                } else {
                    Ok(AcceptOutcome::AlreadyKnown)
                };
            }
            let Some(parent) = get_index(&index, &header.prev_block)? else {
                if header.prev_block == BlockHash::ZERO {
                    return Err(BlockError::NotGenesis(hash));
                }
                return Err(BlockError::UnknownParent(header.prev_block));
            };
            if parent.status == BlockStatus::Invalid {
                return Err(BlockError::InvalidParent(header.prev_block));
            }
            let height = BlockHeight(parent.height + 1);

            // CheckBlockHeader.
            check_version(header)?;
            check_proof_kind(params, header, height)?;
            if header.is_proof_of_node() {
                return Err(HeaderError::ProofOfNodeUnsupported.into());
            }
            check_equihash_solution(header)?;
            check_proof_of_work_target(params, header)?;
            check_future_time(params, header, self.tip.height, now)?;

            // ContextualCheckBlockHeader.
            check_reorg_depth(params, self.tip.height, BlockHeight(parent.height))?;
            check_solution_size_for_height(params, header, height)?;
            let window = ancestor_window(&index, header.prev_block, DIFFICULTY_WINDOW)?;
            check_difficulty_bits(params, header, &window)?;
            check_time_after_median(header, &window)?;
            self.check_checkpoints(height, hash)?;

            // CheckBlock.
            check_block_body(block)?;

            IndexEntry {
                height: height.0,
                prev: header.prev_block,
                chain_work: parent
                    .chain_work
                    .wrapping_add(block_proof(Compact(header.bits), header.version)),
                time: header.time,
                bits: header.bits,
                version: header.version,
                status: BlockStatus::Stored,
            }
        };
        txn.open_table(BLOCKS)
            .map_err(StoreError::from)?
            .insert(hash.0.as_slice(), encode_block(block).as_slice())
            .map_err(StoreError::from)?;
        txn.open_table(INDEX)
            .map_err(StoreError::from)?
            .insert(hash.0.as_slice(), encode_index(&entry).as_slice())
            .map_err(StoreError::from)?;
        let height = BlockHeight(entry.height);

        if entry.chain_work <= self.tip.chain_work {
            txn.commit().map_err(StoreError::from)?;
            return Ok(AcceptOutcome::SideChain { height });
        }

        if header.prev_block == self.tip.hash {
            let undo = match connect_block(params, &txn, &mut self.list, block, hash, height) {
                Ok(undo) => undo,
                Err(failure) => return Err(*failure.error),
            };
            if let Err(error) = set_tip(&txn, &hash).and_then(|()| Ok(txn.commit()?)) {
                // Not committed: put the list back as the store has it.
                let _ = self.list.undo_block(undo);
                return Err(error.into());
            }
            self.list_undo.push(undo);
            self.tip = Tip {
                height,
                hash,
                chain_work: entry.chain_work,
            };
            return Ok(AcceptOutcome::Extended { height });
        }

        self.reorganize(txn, block, hash, entry)
    }

    fn check_checkpoints(&self, height: BlockHeight, hash: BlockHash) -> Result<(), HeaderError> {
        check_checkpoint(self.params.as_ref(), height, hash)?;
        // `GetLastCheckpoint` only knows checkpoints the node has reached.
        let last_reached = self
            .params
            .checkpoints()
            .into_iter()
            .map(|(at, _)| at)
            .filter(|at| *at <= self.tip.height)
            .max();
        if let Some(checkpoint) = last_reached
            && height < checkpoint
        {
            return Err(HeaderError::ForkBeforeCheckpoint {
                height: height.0,
                checkpoint: checkpoint.0,
            });
        }
        Ok(())
    }

    /// Switches the best chain to the branch ending at `block` (already stored in `txn`).
    fn reorganize(
        &mut self,
        txn: WriteTransaction,
        block: &Block,
        hash: BlockHash,
        entry: IndexEntry,
    ) -> Result<AcceptOutcome, BlockError> {
        // The branch below the new block, highest first, down to the fork.
        let mut branch = Vec::new();
        let fork_height = {
            let index = txn.open_table(INDEX).map_err(StoreError::from)?;
            let main = txn.open_table(MAIN).map_err(StoreError::from)?;
            let mut cursor = entry.prev;
            loop {
                let cursor_entry = require_index(&index, &cursor)?;
                let on_main = match main.get(cursor_entry.height).map_err(StoreError::from)? {
                    Some(bytes) => decode_hash(bytes.value())? == cursor,
                    None => false,
                };
                if on_main {
                    break BlockHeight(cursor_entry.height);
                }
                if cursor_entry.status == BlockStatus::Invalid {
                    return Err(BlockError::InvalidParent(cursor));
                }
                branch.push((cursor, BlockHeight(cursor_entry.height)));
                cursor = cursor_entry.prev;
            }
        };
        branch.reverse();

        let list_before = self.list.clone();
        let undo_len_before = self.list_undo.len();
        let mut popped: Vec<BlockUndo> = Vec::new();
        let mut applied: Vec<BlockUndo> = Vec::new();
        let mut disconnected = Vec::new();
        let mut connected = Vec::new();

        let result = reorg_steps(
            self.params.as_ref(),
            &txn,
            &mut self.list,
            &mut self.list_undo,
            ReorgPlan {
                tip: self.tip,
                fork_height,
                branch: &branch,
                block,
                hash,
                height: BlockHeight(entry.height),
            },
            &mut popped,
            &mut applied,
            &mut disconnected,
            &mut connected,
        );

        // The list and its undo records as they were before the switch: the store is
        // unchanged when the transaction is not committed.
        let restore = |chain: &mut Chain, popped: Vec<BlockUndo>| {
            chain.list = list_before.clone();
            chain.list_undo.truncate(undo_len_before - popped.len());
            chain.list_undo.extend(popped.into_iter().rev());
        };

        match result {
            Ok(()) => {
                if let Err(error) = txn.commit() {
                    restore(self, popped);
                    return Err(StoreError::from(error).into());
                }
                self.list_undo.extend(applied);
                self.tip = Tip {
                    height: BlockHeight(entry.height),
                    hash,
                    chain_work: entry.chain_work,
                };
                Ok(AcceptOutcome::Reorganized {
                    height: BlockHeight(entry.height),
                    fork_height,
                    disconnected,
                    connected,
                })
            }
            Err(failure) => {
                drop(txn);
                restore(self, popped);
                if failure.block != hash && failure.block != BlockHash::ZERO {
                    self.mark_invalid(&failure.block)?;
                }
                Err(*failure.error)
            }
        }
    }

    fn mark_invalid(&self, hash: &BlockHash) -> Result<(), StoreError> {
        let txn = self.db.begin_write()?;
        {
            let mut index = txn.open_table(INDEX)?;
            let mut entry = require_index(&index, hash)?;
            entry.status = BlockStatus::Invalid;
            index.insert(hash.0.as_slice(), encode_index(&entry).as_slice())?;
        }
        txn.commit()?;
        Ok(())
    }
}

/// The blocks a reorganisation takes off and puts on.
struct ReorgPlan<'a> {
    tip: Tip,
    fork_height: BlockHeight,
    branch: &'a [(BlockHash, BlockHeight)],
    block: &'a Block,
    hash: BlockHash,
    height: BlockHeight,
}

/// Disconnects the best chain down to the fork and connects the branch then the new block, all
/// inside `txn`; the undo records taken off and put on are collected for the caller to restore
/// or keep.
#[allow(clippy::too_many_arguments)]
fn reorg_steps(
    params: &dyn NetworkParams,
    txn: &WriteTransaction,
    list: &mut FluxnodeList,
    list_undo: &mut Vec<BlockUndo>,
    plan: ReorgPlan<'_>,
    popped: &mut Vec<BlockUndo>,
    applied: &mut Vec<BlockUndo>,
    disconnected: &mut Vec<BlockHash>,
    connected: &mut Vec<BlockHash>,
) -> Result<(), ConnectFailure> {
    let mut height = plan.tip.height;
    let mut tip_hash = plan.tip.hash;
    while height > plan.fork_height {
        let undo = list_undo
            .pop()
            .ok_or_else(|| StoreError::Corrupt("missing fluxnode list undo".into()))?;
        popped.push(undo.clone());
        let previous = disconnect_block(txn, tip_hash, height)?;
        list.undo_block(undo)
            .map_err(|error| StoreError::Corrupt(format!("fluxnode list undo: {error}")))?;
        disconnected.push(tip_hash);
        tip_hash = previous;
        height = BlockHeight(height.0 - 1);
    }
    for (branch_hash, branch_height) in plan.branch {
        let stored = get_block(
            &txn.open_table(BLOCKS).map_err(StoreError::from)?,
            branch_hash,
        )?;
        let undo = connect_block(params, txn, list, &stored, *branch_hash, *branch_height)?;
        applied.push(undo);
        connected.push(*branch_hash);
    }
    let undo = connect_block(params, txn, list, plan.block, plan.hash, plan.height)?;
    applied.push(undo);
    connected.push(plan.hash);
    set_tip(txn, &plan.hash)?;
    Ok(())
}

/// The fund outputs due at `height` (see [`check_fund_outputs`]).
fn fund_outputs(params: &dyn NetworkParams, height: BlockHeight) -> Vec<TxOut> {
    let split = params.reward_split(height);
    let scripts = params.fund_scripts();
    [
        (split.exchange_fund, scripts.exchange),
        (split.foundation_fund, scripts.foundation),
        (split.swap_pool, scripts.swap_pool),
    ]
    .into_iter()
    .filter_map(|(amount, script)| match script {
        Some(script) if amount > Amount::ZERO => Some(TxOut::new(amount, script)),
        _ => None,
    })
    .collect()
}

fn set_tip(txn: &WriteTransaction, hash: &BlockHash) -> Result<(), StoreError> {
    txn.open_table(META)?.insert("tip", hash.0.as_slice())?;
    Ok(())
}

/// `ConnectBlock` (`main.cpp:3791-4200`) for a block whose parent is the store's best tip inside
/// `txn`: the contextual block and transaction rules, the fluxnode payouts, every spend, the
/// coinbase amount, then the UTXO set, the transaction index, the undo record and the best chain
/// are updated and the fluxnode list advanced. On error the list is unchanged (the caller aborts
/// `txn`).
fn connect_block(
    params: &dyn NetworkParams,
    txn: &WriteTransaction,
    list: &mut FluxnodeList,
    block: &Block,
    hash: BlockHash,
    height: BlockHeight,
) -> Result<BlockUndo, ConnectFailure> {
    let fail = |error: BlockError| ConnectFailure {
        block: hash,
        error: Box::new(error),
    };
    let tx_error = |index: usize, tx: &Transaction, error: TransactionError| ConnectFailure {
        block: hash,
        error: Box::new(BlockError::Transaction {
            index,
            txid: tx.txid(),
            error,
        }),
    };

    // ContextualCheckBlock.
    check_coinbase_height(block, height).map_err(fail)?;
    check_sapling_root(params, block, height).map_err(fail)?;
    check_fund_outputs(params, &block.transactions[0], height).map_err(fail)?;
    for (index, tx) in block.transactions.iter().enumerate() {
        check_transaction_at_height(params, tx, height).map_err(|e| tx_error(index, tx, e))?;
        check_final(tx, height, i64::from(block.header.time))
            .map_err(|e| tx_error(index, tx, e))?;
    }

    let mut utxos = txn.open_table(UTXOS).map_err(StoreError::from)?;
    let coinbase = &block.transactions[0];
    {
        let view = TableView::new(&utxos);
        // bad-txns-BIP30: no transaction may overwrite one with unspent outputs.
        for tx in &block.transactions {
            let txid = tx.txid();
            let overwrites = (0..tx.outputs().len() as u32)
                .any(|index| view.coin(&OutPoint { txid, index }).is_some());
            view.take_error()?;
            if overwrites {
                return Err(fail(BlockError::OverwritesTransaction(txid)));
            }
        }
        let required = required_payouts(params, list, &view, height);
        view.take_error()?;
        check_fluxnode_payouts(coinbase, &required).map_err(fail)?;
    }

    let branch_id = params.branch_id_at(height);
    let mut fees = Amount::ZERO;
    let mut record = UndoRecord::default();
    {
        // CONFIRMs verify against the key of the START before this block (the daemon reads the
        // fluxnode cache as it was before the block; a START and its CONFIRM never share one).
        let keys = txn.open_table(NODE_KEYS).map_err(StoreError::from)?;
        for (index, tx) in block.transactions.iter().enumerate() {
            if let Some(FluxnodeTx::Confirm(confirm)) = tx.fluxnode() {
                let key = node_key(&keys, &confirm.collateral)?;
                check_confirm_signature(tx, key.as_deref()).map_err(|e| tx_error(index, tx, e))?;
                let tier = list.get(&confirm.collateral).map(|node| node.tier);
                check_benchmark_tier(tx, tier).map_err(|e| tx_error(index, tx, e))?;
            }
        }
    }
    let mut collateral_amounts = std::collections::HashMap::new();
    for (index, tx) in block.transactions.iter().enumerate() {
        let txid = tx.txid();
        {
            let view = TableView::new(&utxos);
            let fee = check_inputs(tx, &view, height, branch_id);
            view.take_error()?;
            let fee = fee.map_err(|e| tx_error(index, tx, e))?;
            fees = fees
                .checked_add(fee)
                .ok_or_else(|| tx_error(index, tx, TransactionError::InputValuesOutOfRange))?;
            let collateral = check_fluxnode_collateral(params, tx, &view, height);
            view.take_error()?;
            if let (Some(amount), Some(node)) = (
                collateral.map_err(|e| tx_error(index, tx, e))?,
                tx.fluxnode(),
            ) {
                collateral_amounts.insert(node.collateral(), amount);
            }
        }
        if index > 0 {
            for input in tx.inputs() {
                let key = outpoint_key(&input.prevout);
                let removed = utxos
                    .remove(key.as_slice())
                    .map_err(StoreError::from)?
                    .map(|bytes| decode_coin(bytes.value()));
                match removed {
                    Some(coin) => record.spent.push((input.prevout, coin?)),
                    None => {
                        return Err(tx_error(
                            index,
                            tx,
                            TransactionError::MissingOrSpent(input.prevout),
                        ));
                    }
                }
            }
        }
        for (output_index, output) in tx.outputs().iter().enumerate() {
            let coin = Coin {
                output: output.clone(),
                height: height.0,
                is_coinbase: index == 0,
            };
            let key = outpoint_key(&OutPoint {
                txid,
                index: output_index as u32,
            });
            utxos
                .insert(key.as_slice(), encode_coin(&coin).as_slice())
                .map_err(StoreError::from)?;
        }
    }
    drop(utxos);

    check_coinbase_amount(params, coinbase, height, fees).map_err(fail)?;

    {
        let mut keys = txn.open_table(NODE_KEYS).map_err(StoreError::from)?;
        for tx in &block.transactions {
            if let Some(FluxnodeTx::Start(start)) = tx.fluxnode() {
                let key = outpoint_key(&start.collateral);
                let before = keys
                    .insert(key.as_slice(), start.node_pubkey.as_slice())
                    .map_err(StoreError::from)?
                    .map(|old| old.value().to_vec());
                record.node_keys_before.push((start.collateral, before));
            }
        }
    }

    let changes = BlockChanges::from_block(params.money_network(), height, block, |outpoint| {
        collateral_amounts.get(outpoint).copied()
    })
    .map_err(|error| fail(BlockError::FluxnodeList(error)))?;
    record.changes = changes;

    {
        let mut tx_index = txn.open_table(TX_INDEX).map_err(StoreError::from)?;
        for (position, tx) in block.transactions.iter().enumerate() {
            tx_index
                .insert(
                    tx.txid().0.as_slice(),
                    encode_tx_location(&hash, position as u32).as_slice(),
                )
                .map_err(StoreError::from)?;
        }
        txn.open_table(UNDO)
            .map_err(StoreError::from)?
            .insert(hash.0.as_slice(), encode_undo(&record).as_slice())
            .map_err(StoreError::from)?;
        txn.open_table(MAIN)
            .map_err(StoreError::from)?
            .insert(height.0, hash.0.as_slice())
            .map_err(StoreError::from)?;
    }

    list.apply_block(height, &record.changes)
        .map_err(|error| fail(BlockError::FluxnodeList(error)))
}

/// `DisconnectBlock`: removes the best tip (`hash` at `height`) from the UTXO set, the transaction
/// index and the best chain, restoring the coins it spent. Returns its parent's hash.
fn disconnect_block(
    txn: &WriteTransaction,
    hash: BlockHash,
    height: BlockHeight,
) -> Result<BlockHash, StoreError> {
    let block = get_block(&txn.open_table(BLOCKS)?, &hash)?;
    let record = match txn.open_table(UNDO)?.remove(hash.0.as_slice())? {
        Some(bytes) => decode_undo(bytes.value())?,
        None => {
            return Err(StoreError::Corrupt(format!(
                "block {hash} has no undo record"
            )));
        }
    };
    let mut utxos = txn.open_table(UTXOS)?;
    let mut tx_index = txn.open_table(TX_INDEX)?;
    for tx in block.transactions.iter().rev() {
        let txid = tx.txid();
        for index in 0..tx.outputs().len() as u32 {
            utxos.remove(outpoint_key(&OutPoint { txid, index }).as_slice())?;
        }
        tx_index.remove(txid.0.as_slice())?;
    }
    for (outpoint, coin) in record.spent.iter().rev() {
        utxos.insert(
            outpoint_key(outpoint).as_slice(),
            encode_coin(coin).as_slice(),
        )?;
    }
    let mut keys = txn.open_table(NODE_KEYS)?;
    for (collateral, before) in record.node_keys_before.iter().rev() {
        let key = outpoint_key(collateral);
        match before {
            Some(node_key) => keys.insert(key.as_slice(), node_key.as_slice())?,
            None => keys.remove(key.as_slice())?,
        };
    }
    txn.open_table(MAIN)?.remove(height.0)?;
    Ok(block.header.prev_block)
}
