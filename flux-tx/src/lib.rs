//! Flux transactions and blocks, byte-exact with the Flux daemon (fluxd): amounts, hash
//! newtypes, hand-written consensus encoding, scripts and the interpreter, transactions of every
//! version (v1-v4 and the fluxnode START/CONFIRM transactions), signature hashing (legacy,
//! ZIP-143, ZIP-243), secp256k1 signing, t1/t3 addresses, WIF keys, block headers (proof of
//! work and proof of node), merkle roots and message signing; and what a wallet builds
//! ([`builder`]): P2PKH spends, payments with coin selection, fees and `OP_RETURN` data
//! ([`builder::payment`]), P2SH multisig spends from partial signatures
//! ([`builder::multisig`]), fluxnode START (v5/v6, P2SH, delegates) and CONFIRM transactions
//! ([`builder::fluxnode`], verified by [`fluxnode_sig`]), and FluxOS/ZelID logins ([`login`]).
//!
//! The crate is pure: no I/O and no async runtime. Decoders take byte slices and return a typed
//! [`DecodeError`] on any malformed input; serde (feature `serde`) only gives JSON views.
//!
//! # Example: the regtest genesis block
//!
//! ```
//! use flux_tx::{Block, BlockHash, FluxDecode, FluxEncode};
//!
//! // fluxd's regtest genesis block (`chainparams.cpp`), field by field.
//! let bytes = hex::decode(concat!(
//!     "04000000",                                                         // version
//!     "0000000000000000000000000000000000000000000000000000000000000000", // previous block
//!     "3aa13a6f0d1689b1915607599df1a28120b9c3bf84660018177fc6b2d6aec794", // merkle root
//!     "0000000000000000000000000000000000000000000000000000000000000000", // final sapling root
//!     "dae5494d",                                                         // time
//!     "0f0f0f20",                                                         // bits
//!     "1600000000000000000000000000000000000000000000000000000000000000", // nonce
//!     "24",                                                               // solution length
//!     "02853a9dd062e2356909a0d2b9f0e4873dbf092edd3f00eea317e21222d1f2c414b926ee",
//!     "01",                                                               // one transaction
//!     // The coinbase: version 1, one input spending nothing, one output of 0 FLUX.
//!     "01000000",
//!     "01",
//!     "0000000000000000000000000000000000000000000000000000000000000000ffffffff",
//!     "4f04ffff071f0104475a656c6361736830366634306230316162316631333562643936633564373266",
//!     "386533376337393036646332313664636161613336666364303065626639623865313039353637",
//!     "ffffffff",
//!     "01",
//!     "0000000000000000",
//!     "434104678afdb0fe5548271967f1a67130b7105cd6a828e03909a67962e0ea1f61deb649f6bc3f4c",
//!     "ef38c4f35504e51ec112de5c384df7ba0b8d578a4c702b6bf11d5fac",
//!     "00000000",
//! ))?;
//! let block = Block::decode_exact(&bytes)?;
//! assert_eq!(block.encoded(), bytes);
//!
//! let expected: BlockHash =
//!     "01998760a88dc2b5715f69d2f18c1d90e0b604612242d9099eaff3048dd1e0ce".parse().unwrap();
//! assert_eq!(block.hash(), expected);
//! let (root, mutated) = block.compute_merkle_root();
//! assert_eq!((root, mutated), (block.header.merkle_root, false));
//! assert!(block.transactions[0].is_coinbase());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![cfg_attr(not(any(feature = "std", test)), no_std)]

extern crate alloc;

// The README's example runs as a doc test as well, so the page crates.io shows cannot go stale.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

pub use amount::{Amount, COIN, MAX_MONEY};
pub use block::{Block, BlockHeader, BlockProof, merkle_root};
pub use encode::{DecodeError, FluxDecode, FluxEncode};
pub use flux_pow::difficulty::Compact;
pub use flux_pow::{BlockHeight, Network, NetworkUpgrade, Tier, UnknownTierError};
pub use hash::{BlockHash, MerkleRoot, PonHash, SaplingRoot, Txid};
pub use outpoint::OutPoint;
pub use script::Script;
pub use transaction::{Transaction, TxBody, TxIn, TxOut};

pub mod address;
pub mod amount;
pub mod base58;
pub mod block;
pub mod builder;
pub mod encode;
pub mod fluxnode;
pub mod fluxnode_sig;
pub mod hash;
pub mod keys;
pub mod login;
pub mod message;
pub mod outpoint;
pub mod p2p;
pub mod pon;
pub mod script;
pub mod sighash;
pub mod sign;
mod signing_view;
pub mod transaction;
