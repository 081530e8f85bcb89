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
//!
//! One concept per file: [`Chain`] and its in-memory state here; opening a store and replaying
//! the fluxnode list (`open.rs`); the accept flow (`accept.rs`); connecting and disconnecting one
//! block (`connect.rs`); switching branches (`reorg.rs`); the block template (`template.rs`,
//! [`BlockTemplate`]); checking a loose transaction (`loose_transaction.rs`); read-only queries
//! (`query.rs`); the tip and outcome types (`outcome.rs`); the errors, a rule or the store
//! (`error.rs`, [`AcceptBlockError`], [`TxValidationError`]); the redb-backed [`UtxoView`](crate::UtxoView) (`view.rs`) and
//! the typed table reads it shares with the rest (`tables.rs`).

mod accept;
mod connect;
mod error;
mod loose_transaction;
mod open;
mod outcome;
mod query;
mod reorg;
mod tables;
mod template;
mod view;

use flux_nodes::FluxnodeList;
use flux_nodes::list::BlockUndo;
use flux_pow::BlockHeight;
use flux_tx::BlockHash;
use redb::Database;

pub use error::{AcceptBlockError, TxValidationError};
pub use outcome::{AcceptOutcome, Tip, TxLocation};
pub use template::BlockTemplate;

use crate::params::NetworkParams;

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

impl Chain {
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
}
