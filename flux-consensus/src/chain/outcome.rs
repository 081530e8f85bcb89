//! What the chain reports: its tip, what accepting a block did, where a transaction is.

use flux_pow::BlockHeight;
use flux_pow::difficulty::U256;
use flux_tx::{BlockHash, Transaction};

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

/// What [`Chain::accept_block`](super::Chain::accept_block) did with a valid block.
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
