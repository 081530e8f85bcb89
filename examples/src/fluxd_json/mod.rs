//! The one JSON view of transactions and blocks, shaped as fluxd's RPC answers are
//! (`TxToJSON`, `rpc/rawtransaction.cpp`; `blockheaderToJSON` and `blockToJSON`,
//! `rpc/blockchain.cpp`), used by the reference node's RPC and by `flux tx decode` /
//! `flux block decode`.
//!
//! Field names, types and number formats are fluxd's; amounts go through the one printer in
//! [`amount`], so views must be written out with [`to_text`] or [`to_text_pretty`]. Fields that
//! need data this SDK does not keep or encodings it does not provide (script `asm`, the shielded
//! descriptions, base64 of fluxnode keys and signatures, spent-index data) are left out rather
//! than faked. Fields that depend on where a block sits in a chain (confirmations, height,
//! difficulty, chain work, the next block) appear only when a [`ChainPosition`] is given.

mod amount;
mod block;
mod transaction;

pub use amount::{amount, amount_text, to_text, to_text_pretty};
pub use block::{TxDetail, block, block_header};
pub use transaction::{MinedIn, tier_word, transaction};

/// Where a block sits in a node's best chain.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChainPosition<'a> {
    /// The block's height.
    pub height: u32,
    /// Blocks on top of it plus one (fluxd's `confirmations`; -1 when not in the best chain).
    pub confirmations: i64,
    /// The next block's hash, when there is one in the best chain.
    pub next: Option<&'a str>,
    /// The cumulative work up to it, as 64 hex digits.
    pub chainwork: &'a str,
    /// fluxd's `GetDifficulty` of the block's bits
    /// ([`flux_pow::difficulty::relative_difficulty`]).
    pub difficulty: f64,
}
