//! The node's state behind one lock: the chain, a small mempool, and the books kept from the chain
//! (the devnet wallet, the Titan pool, parallel-asset accrual).

use std::collections::BTreeSet;

use flux_consensus::{AcceptBlockError, AcceptOutcome, Chain, StoreError, TxValidationError};
use flux_pow::BlockHeight;
use flux_tx::fluxnode::{CollateralSigner, FluxnodeTx};
use flux_tx::{Amount, Block, BlockHash, OutPoint, Transaction, Txid};

use super::economy::{BlockPayments, Economy, EconomyError, PayeeRole, Payment};
use super::operators::{OPERATORS, wallet_labels};
use super::wallet::Wallet;
use flux_pow::Network;

/// Why the node's state could not be updated.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StateError {
    /// The chain store failed.
    #[error("chain store: {0}")]
    Store(#[from] StoreError),
    /// The books rejected a block of the chain.
    #[error("books: {0}")]
    Books(#[from] EconomyError),
    /// The wallet lacks a devnet key it was built with.
    #[error("the devnet wallet has no key {0}")]
    MissingKey(&'static str),
}

/// Why a transaction was not taken into the mempool.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MempoolError {
    /// The transaction is already in the best chain.
    #[error("transaction already in block chain")]
    AlreadyInChain,
    /// The transaction is already waiting.
    #[error("txn-already-in-mempool")]
    AlreadyInMempool,
    /// It spends an output a waiting transaction already spends, or a fluxnode transaction for the
    /// same collateral is waiting.
    #[error("txn-mempool-conflict")]
    Conflict,
    /// A consensus rule rejects it at the next height.
    #[error("{0}")]
    Invalid(#[from] TxValidationError),
    /// The chain store failed.
    #[error("chain store: {0}")]
    Store(#[from] StoreError),
}

/// A transaction waiting to be mined, with its fee.
#[derive(Debug, Clone)]
pub struct PoolEntry {
    /// The transaction.
    pub tx: Transaction,
    /// Its txid.
    pub txid: Txid,
    /// Its fee.
    pub fee: Amount,
}

/// The outputs a transaction spends, or for a fluxnode transaction its collateral (two fluxnode
/// transactions for one collateral cannot be mined in one block).
fn claims(tx: &Transaction) -> Vec<OutPoint> {
    match tx.fluxnode() {
        Some(node) => vec![node.collateral()],
        None => tx.inputs().iter().map(|input| input.prevout).collect(),
    }
}

/// Everything the node keeps.
pub struct NodeState {
    chain: Chain,
    mempool: Vec<PoolEntry>,
    wallet: Wallet,
    economy: Economy,
    books_tip: (BlockHeight, BlockHash),
    last_payments: Vec<Payment>,
}

impl std::fmt::Debug for NodeState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeState")
            .field("tip", &self.chain.tip())
            .field("mempool", &self.mempool.len())
            .finish_non_exhaustive()
    }
}

fn fresh_books(
    genesis: BlockHash,
) -> Result<(Wallet, Economy, (BlockHeight, BlockHash)), StateError> {
    let wallet = Wallet::new(wallet_labels());
    let titan_node = wallet
        .address(OPERATORS[2].collateral_key)
        .ok_or(StateError::MissingKey(OPERATORS[2].collateral_key))?;
    let economy = Economy::new(titan_node, BlockHeight(1))?;
    Ok((wallet, economy, (BlockHeight(0), genesis)))
}

impl NodeState {
    /// Whether the block after the tip is proof of node (signed by a fluxnode, not mined).
    pub fn next_is_proof_of_node(&self) -> bool {
        let next = BlockHeight(self.chain.tip().0.0 + 1);
        self.chain.params().is_pon_active(next)
    }

    /// The tier of the fluxnode that signed the tip, `None` for a mined tip (or one whose node
    /// has since left the list).
    pub fn tip_signer(&self) -> Option<flux_nodes::Tier> {
        let (_, hash) = self.chain.tip();
        let block = self.chain.block(&hash).ok().flatten()?;
        match &block.header.proof {
            flux_tx::BlockProof::Node { collateral, .. } => self
                .chain
                .fluxnode_list()
                .get(collateral)
                .map(|node| node.tier),
            flux_tx::BlockProof::Work { .. } => None,
        }
    }

    /// The state over `chain`, with the books caught up to its tip.
    ///
    /// # Errors
    /// [`StateError`] when a stored block cannot be read or the books reject it.
    pub fn new(chain: Chain) -> Result<NodeState, StateError> {
        let (wallet, economy, books_tip) = fresh_books(chain.genesis())?;
        let mut state = NodeState {
            chain,
            mempool: Vec::new(),
            wallet,
            economy,
            books_tip,
            last_payments: Vec::new(),
        };
        state.catch_up_books()?;
        Ok(state)
    }

    /// The chain.
    pub fn chain(&self) -> &Chain {
        &self.chain
    }

    /// The devnet wallet.
    pub fn wallet(&self) -> &Wallet {
        &self.wallet
    }

    /// The Titan pool and parallel-asset books.
    pub fn economy(&self) -> &Economy {
        &self.economy
    }

    /// What the tip block paid.
    pub fn last_payments(&self) -> &[Payment] {
        &self.last_payments
    }

    /// The waiting transactions, in arrival order.
    pub fn mempool(&self) -> &[PoolEntry] {
        &self.mempool
    }

    /// A waiting transaction.
    pub fn mempool_transaction(&self, txid: &Txid) -> Option<&Transaction> {
        self.mempool
            .iter()
            .find(|entry| entry.txid == *txid)
            .map(|entry| &entry.tx)
    }

    /// Validates `tx` against the tip and the other waiting transactions and keeps it for the next
    /// block. Returns its txid.
    ///
    /// # Errors
    /// [`MempoolError`] naming why it was refused.
    pub fn submit_transaction(&mut self, tx: Transaction) -> Result<Txid, MempoolError> {
        let txid = tx.txid();
        if self.mempool.iter().any(|entry| entry.txid == txid) {
            return Err(MempoolError::AlreadyInMempool);
        }
        if self.chain.transaction(&txid)?.is_some() {
            return Err(MempoolError::AlreadyInChain);
        }
        let claimed: BTreeSet<OutPoint> = self.mempool.iter().flat_map(|e| claims(&e.tx)).collect();
        if claims(&tx)
            .iter()
            .any(|outpoint| claimed.contains(outpoint))
        {
            return Err(MempoolError::Conflict);
        }
        let fee = self.chain.validate_transaction(&tx)?;
        self.mempool.push(PoolEntry { tx, txid, fee });
        Ok(txid)
    }

    /// Adds a block (mined here or received); call [`NodeState::settle`] afterwards.
    ///
    /// # Errors
    /// The rule the block breaks, or the store's failure ([`AcceptBlockError`]).
    pub fn accept_block(&mut self, block: &Block) -> Result<AcceptOutcome, AcceptBlockError> {
        self.chain.accept_block(block)
    }

    /// Drops mined and no-longer-valid transactions from the mempool and brings the books to the
    /// chain's tip (rebuilding them from genesis after a reorganisation).
    ///
    /// # Errors
    /// [`StateError`] when a block cannot be read or a book rejects it.
    pub fn settle(&mut self) -> Result<(), StateError> {
        self.catch_up_books()?;
        let entries = std::mem::take(&mut self.mempool);
        for entry in entries {
            // A mined fluxnode transaction spends nothing, so only the index tells it was mined.
            if self.chain.transaction(&entry.txid)?.is_none()
                && self.chain.validate_transaction(&entry.tx).is_ok()
            {
                self.mempool.push(entry);
            }
        }
        Ok(())
    }

    /// Empties the mempool, returning how many transactions were dropped (after the chain
    /// refused a block built from them).
    pub fn clear_mempool(&mut self) -> usize {
        std::mem::take(&mut self.mempool).len()
    }

    /// The waiting transactions that are still valid on the tip, with their total fee, for the
    /// next block.
    pub fn block_transactions(&self) -> (Vec<Transaction>, Amount) {
        let mut fees = Amount::ZERO;
        let mut txs = Vec::new();
        for entry in &self.mempool {
            if let Ok(fee) = self.chain.validate_transaction(&entry.tx)
                && let Some(sum) = fees.checked_add(fee)
            {
                fees = sum;
                txs.push(entry.tx.clone());
            }
        }
        (txs, fees)
    }

    fn catch_up_books(&mut self) -> Result<(), StateError> {
        let (tip_height, tip_hash) = self.chain.tip();
        if self.books_tip.1 == tip_hash {
            return Ok(());
        }
        let on_chain = self.chain.block_hash(self.books_tip.0)? == Some(self.books_tip.1);
        if !on_chain || self.books_tip.0 > tip_height {
            let (wallet, economy, books_tip) = fresh_books(self.chain.genesis())?;
            self.wallet = wallet;
            self.economy = economy;
            self.books_tip = books_tip;
        }
        for height in self.books_tip.0.0 + 1..=tip_height.0 {
            let height = BlockHeight(height);
            let Some(hash) = self.chain.block_hash(height)? else {
                break;
            };
            let Some(block) = self.chain.block(&hash)? else {
                break;
            };
            self.connect_books(&block, height)?;
            self.books_tip = (height, hash);
        }
        Ok(())
    }

    fn connect_books(&mut self, block: &Block, height: BlockHeight) -> Result<(), StateError> {
        self.wallet.connect_block(block, height);
        let time = block.header.time;
        for tx in &block.transactions {
            if let Some(FluxnodeTx::Start(start)) = tx.fluxnode()
                && let CollateralSigner::PubKey(key) = &start.signer
                && let Ok(key) = flux_tx::keys::PublicKey::from_slice(key)
            {
                let address = flux_tx::address::Address::from_public_key(&key, Network::Devnet);
                self.economy.register_node_start(address, time);
            }
        }
        let mut payments = Vec::new();
        if let Some(coinbase) = block.transactions.first() {
            for output in coinbase.outputs() {
                let (Some(address), Some(amount)) = (
                    flux_tx::address::Address::from_script(&output.script_pubkey, Network::Devnet),
                    output.amount(),
                ) else {
                    continue;
                };
                let role = OPERATORS
                    .iter()
                    .find(|operator| {
                        self.wallet.address(operator.collateral_key).as_ref() == Some(&address)
                    })
                    .map_or(PayeeRole::Miner, |operator| PayeeRole::Node(operator.tier));
                payments.push(Payment {
                    address,
                    role,
                    amount,
                });
            }
        }
        self.economy.apply_block(&BlockPayments {
            height,
            time,
            payments: payments.clone(),
        })?;
        self.last_payments = payments;
        Ok(())
    }
}
