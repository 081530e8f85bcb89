//! Flux consensus: network parameters and upgrades, header and block validation, chain state,
//! reorganisations and persistence.
//!
//! Validation comes in three levels, as in Zebra:
//! - **structural**: the types of `flux-tx` (a decoded [`flux_tx::Block`] is well formed);
//! - **semantic**: pure functions of [`check`], one per daemon rule, each citing the fluxd
//!   source it mirrors (header proof of work for its height, merkle root, coinbase position,
//!   transaction amounts and sizes, fluxnode transaction fields);
//! - **contextual**: rules that read the chain state (difficulty from the ancestors, median time
//!   past, UTXO spends with coinbase maturity and script verification, the fluxnode payouts).
//!   They take that state as arguments: the ancestors' [`flux_pow::difficulty::HeaderInfo`],
//!   the fluxnode list, and the UTXO set through a [`UtxoView`], whose lookups may fail with the
//!   view's own error. A failed lookup is reported as [`UtxoCheckError::View`], never as a rule.
//!
//! Errors are `#[non_exhaustive]` enums with one variant per rule and fluxd's peer penalty
//! (`misbehavior_score`). The rules never return a storage error; the chain reports one beside
//! them (`AcceptBlockError::{Invalid, Store}`).
//!
//! # Layers and features
//!
//! The rules ([`params`], [`check`], [`error`]) need no database: with
//! `default-features = false` the crate has no redb, rayon or tokio in its tree, for a light
//! client or a wallet. The default features add the rest:
//! - `store`: the chain state in one redb file (`chain`, `store`), built on the rules (the store
//!   depends on the rules, never the reverse);
//! - `miner`: the devnet miner (`devnet`), with flux-pow's multi-core solver;
//! - `parallel`: [`check::header::validate_header_chain`] checks the proofs of work over all
//!   cores (rayon); without it, one after the other, with the same result.
//!
//! # Module map
//!
//! - [`params`]: the [`NetworkParams`] trait and [`Mainnet`], [`Testnet`], [`Regtest`] (the
//!   daemon's `chainparams.cpp`) and [`Devnet`] (a local network of this SDK: Equihash 48,5 at a
//!   fixed easy target, fluxnodes from height 1, the mainnet money tables, proof of node in short
//!   slots from height 250);
//! - [`check`]: the rules, by object: [`check::header`], [`check::transaction`], [`check::block`],
//!   and [`check::utxo`], the [`Coin`] and [`UtxoView`] the contextual rules read;
//! - [`error`]: [`HeaderError`], [`TransactionError`], [`BlockError`], one variant per rule;
#![cfg_attr(
    feature = "store",
    doc = "- [`chain`] (feature `store`): [`Chain`], the UTXO set, fluxnode list, best chain by"
)]
#![cfg_attr(
    feature = "store",
    doc = "  cumulative work and reorganisations with exact undo, in one redb file; each accepted"
)]
#![cfg_attr(
    feature = "store",
    doc = "  block is one durable transaction, so a crash (even `kill -9`) never loses a block whose"
)]
#![cfg_attr(
    feature = "store",
    doc = "  acceptance returned; [`BlockTemplate`] tells a miner what the next coinbase must pay;"
)]
#![cfg_attr(
    feature = "store",
    doc = "  the module docs list its files (accept, connect, reorg, template, ...);"
)]
#![cfg_attr(
    feature = "store",
    doc = "- [`store`] (feature `store`): the redb tables and the byte encoding of their records;"
)]
#![cfg_attr(
    feature = "miner",
    doc = "- [`devnet`] (feature `miner`): a miner for devnet blocks (flux-pow's solver)."
)]
//!
//! Both eras are validated by height: proof of work up to the network's PON activation (mainnet
//! 2,020,000), proof of node from it ([`check::pon`]: layout, PON hash and target, retarget, the
//! signer from the fluxnode list, emergency blocks, the dev fund; fluxd's tie-break between
//! equal-work PON tips in the chain state).
//!
//! Not validated here (refused or left out, see each item's docs): shielded transactions (their
//! proofs), the benchmark signature of CONFIRMs, P2SH sigops.
//!
//! # Example: the rules alone, on the mainnet genesis block
//!
//! ```
//! use flux_consensus::check::block::check_block_body;
//! use flux_consensus::check::header::check_header_for_height;
//! use flux_consensus::{HeaderError, Mainnet, NetworkParams};
//! use flux_pow::BlockHeight;
//! use flux_tx::BlockProof;
//!
//! let genesis = Mainnet.genesis_block();
//! check_header_for_height(&Mainnet, &genesis.header, BlockHeight(0)).unwrap();
//! check_block_body(&genesis).unwrap();
//!
//! // One flipped bit of the Equihash solution breaks the header rule.
//! let mut header = genesis.header.clone();
//! if let BlockProof::Work { solution, .. } = &mut header.proof {
//!     solution[0] ^= 1;
//! }
//! assert!(matches!(
//!     check_header_for_height(&Mainnet, &header, BlockHeight(0)),
//!     Err(HeaderError::InvalidSolution(_))
//! ));
//! ```
//!
//! # Example: a devnet chain in a temporary file (features `store` and `miner`)
//!
//! ```
//! # #[cfg(all(feature = "store", feature = "miner"))]
//! # fn main() {
//! use flux_consensus::{AcceptOutcome, Chain, Devnet, NetworkParams};
//! use flux_pow::BlockHeight;
//!
//! let dir = tempfile::tempdir().unwrap();
//! let mut chain = Chain::open(dir.path().join("chain.redb"), Devnet::default()).unwrap();
//! assert_eq!(chain.tip(), (BlockHeight(0), Devnet::default().genesis_hash()));
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
//! # }
//! # #[cfg(not(all(feature = "store", feature = "miner")))]
//! # fn main() {}
//! ```

// The README's example runs as a doc test as well, so the page crates.io shows cannot go stale;
// it mines a devnet block into a store, so it needs both default features.
#[cfg(all(doctest, feature = "store", feature = "miner"))]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

#[cfg(feature = "store")]
pub mod chain;
pub mod check;
#[cfg(feature = "miner")]
pub mod devnet;
pub mod error;
pub mod params;
#[cfg(feature = "store")]
pub mod store;

#[cfg(feature = "store")]
pub use chain::{
    AcceptBlockError, AcceptOutcome, BlockTemplate, Chain, Tip, TxLocation, TxValidationError,
};
pub use check::block::RequiredPayout;
pub use check::utxo::{Coin, UtxoCheckError, UtxoView};
pub use error::{BlockError, HeaderError, TransactionError};
pub use params::{Devnet, Mainnet, NetworkParams, Regtest, Testnet};
#[cfg(feature = "store")]
pub use store::StoreError;
