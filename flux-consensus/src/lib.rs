//! Flux consensus: network parameters and upgrades, header and block validation, chain state,
//! reorganisations and persistence.
//!
//! Validation comes in three levels, as in Zebra:
//! - **structural**: the types of `flux-tx` (a decoded [`flux_tx::Block`] is well formed);
//! - **semantic**: pure functions of [`check`], one per daemon rule, each citing the fluxd
//!   source it mirrors (header proof of work for its height, merkle root, coinbase position,
//!   transaction amounts and sizes, fluxnode transaction fields);
//! - **contextual**: rules that read the chain state (difficulty from the ancestors, median time
//!   past, UTXO spends with coinbase maturity and script verification, the fluxnode payouts),
//!   run by [`Chain`] over its redb store, or by a caller over its own [`check::transaction::UtxoView`].
//!
//! Errors are `#[non_exhaustive]` enums with one variant per rule and fluxd's peer penalty
//! (`misbehavior_score`).
//!
//! The pieces:
//! - [`params`]: the [`NetworkParams`] trait and [`Mainnet`], [`Testnet`], [`Regtest`] (the
//!   daemon's `chainparams.cpp`) and [`Devnet`] (a local network of this SDK: Equihash 48,5 at a
//!   fixed easy target, fluxnodes from height 1, the mainnet money tables);
//! - [`check`]: the rules, by level and by object (header, transaction, block), and
//!   [`check::header::validate_header_chain`], which checks a long header chain with the
//!   Equihash and target checks spread over all cores;
//! - [`chain`]: [`Chain`], the UTXO set, fluxnode list, best chain by cumulative work and
//!   reorganisations with exact undo, in one redb file; each accepted block is one durable
//!   transaction, so a crash (even `kill -9`) never loses a block whose acceptance returned;
//!   [`BlockTemplate`] tells a miner what the next coinbase must pay;
//! - [`devnet`]: a miner for devnet blocks (flux-pow's solver).
//!
//! Not validated here (refused or left out, see each item's docs): shielded transactions (their
//! proofs), proof-of-node blocks and the proof-of-node dev fund, the benchmark signature of CONFIRMs,
//! delegate STARTs, P2SH sigops, the maximum reorganisation depth.
//!
//! # Example: a devnet chain in a temporary file
//!
//! ```
//! use flux_consensus::{AcceptOutcome, Chain, Devnet, NetworkParams};
//! use flux_pow::BlockHeight;
//!
//! let dir = tempfile::tempdir().unwrap();
//! let mut chain = Chain::open(dir.path().join("chain.redb"), Devnet).unwrap();
//! assert_eq!(chain.tip(), (BlockHeight(0), Devnet.genesis_hash()));
//!
//! // The template says what block 1 must pay; the premine goes to the miner's script.
//! let template = chain.block_template(BlockHeight(1)).unwrap().unwrap();
//! let miner = flux_tx::Script::from(vec![0x51]); // OP_TRUE
//! let coinbase = template.coinbase_transaction(&miner, flux_tx::Amount::ZERO, b"example");
//! let block = template.block(template.min_time, vec![coinbase]);
//! let block = flux_consensus::devnet::solve(block).unwrap();
//!
//! let outcome = chain.accept_block_at(&block, i64::from(block.header.time)).unwrap();
//! assert_eq!(outcome, AcceptOutcome::Extended { height: BlockHeight(1) });
//! assert_eq!(chain.tip(), (BlockHeight(1), block.hash()));
//! ```

// The README's example runs as a doc test as well, so the page crates.io shows cannot go stale.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

pub mod chain;
pub mod check;
pub mod devnet;
pub mod error;
pub mod params;
pub mod store;

pub use chain::{AcceptOutcome, BlockTemplate, Chain, Tip, TxLocation, TxValidationError};
pub use check::block::RequiredPayout;
pub use check::transaction::{Coin, UtxoView};
pub use error::{BlockError, HeaderError, TransactionError};
pub use params::{Devnet, Mainnet, NetworkParams, Regtest, Testnet};
pub use store::StoreError;
