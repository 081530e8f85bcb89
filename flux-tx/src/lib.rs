//! Flux transactions and blocks, byte-exact with the Flux daemon (fluxd): amounts, hash
//! newtypes, hand-written consensus encoding, scripts and the interpreter, transactions of every
//! version (v1-v4 and the fluxnode START/CONFIRM transactions), signature hashing (legacy,
//! ZIP-143, ZIP-243), secp256k1 signing, a P2PKH transaction builder, t1/t3 addresses, WIF keys,
//! block headers (proof of work and proof of node), merkle roots and message signing.
//!
//! The crate is pure: no I/O and no async runtime. Decoders take byte slices and return a typed
//! [`DecodeError`] on any malformed input; serde (feature `serde`) only gives JSON views.
//!
//! # Example: the mainnet genesis block
//!
//! ```
//! use flux_tx::{Block, BlockHash, FluxDecode, FluxEncode};
//!
//! # let genesis: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(concat!(
//! #     env!("CARGO_MANIFEST_DIR"), "/../../shared/vectors/genesis.json")).unwrap()).unwrap();
//! # let block_hex = genesis["networks"]["main"]["block_hex"].as_str().unwrap();
//! let bytes = hex::decode(block_hex).unwrap();
//! let block = Block::decode_exact(&bytes)?;
//! assert_eq!(block.encoded(), bytes);
//!
//! let expected: BlockHash =
//!     "00052461a5006c2e3b74ce48992a08695607912d5604c3eb8da25749b0900444".parse().unwrap();
//! assert_eq!(block.hash(), expected);
//! let (root, mutated) = block.compute_merkle_root();
//! assert_eq!((root, mutated), (block.header.merkle_root, false));
//! assert!(block.transactions[0].is_coinbase());
//! # Ok::<(), flux_tx::DecodeError>(())
//! ```
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use amount::{Amount, COIN, MAX_MONEY};
pub use block::{Block, BlockHeader, BlockProof, merkle_root};
pub use encode::{DecodeError, FluxDecode, FluxEncode};
pub use flux_pow::{BlockHeight, Network, NetworkUpgrade, Tier, UnknownTierError};
pub use hash::{BlockHash, MerkleRoot, SaplingRoot, Txid};
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
pub mod message;
pub mod outpoint;
pub mod p2p;
pub mod script;
pub mod sighash;
pub mod sign;
mod signing_view;
pub mod transaction;
