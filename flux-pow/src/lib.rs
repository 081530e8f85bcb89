//! Flux proof of work: Equihash verification for every Flux parameter set (200,9, 144,5, 125,4
//! "ZelHash" with its twist, regtest 48,5), a multi-core solver, compact `nBits` targets and the
//! daemon's difficulty algorithms.
//!
//! This crate is `no_std` + `alloc`; the `std` feature adds `std::error::Error` impls and the
//! `solver` feature (which implies `std`) adds the multi-core solver.
//!
//! Every rule mirrors the Flux daemon (fluxd) bit for bit; each item cites the daemon source it
//! follows.
//!
//! # Example: verify the mainnet genesis block's Equihash solution
//!
//! ```
//! use flux_pow::equihash::{verify, EquihashParams, PowError};
//!
//! # let genesis: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(concat!(
//! #     env!("CARGO_MANIFEST_DIR"), "/../../shared/vectors/genesis.json")).unwrap()).unwrap();
//! # let main = &genesis["networks"]["main"];
//! # let hex = |key: &str| hex::decode(main[key].as_str().unwrap()).unwrap();
//! // The 140 header bytes version..nonce, and the 1344-byte nSolution (genesis.json).
//! let mut header: Vec<u8> = hex("header_140_hex");
//! let solution: Vec<u8> = hex("solution_hex");
//!
//! // fluxd picks the parameter set from the solution size alone.
//! let params = EquihashParams::from_solution_len(solution.len()).unwrap();
//! assert_eq!(params, EquihashParams::EH200_9);
//! assert_eq!(verify(&params, &header, &solution), Ok(()));
//!
//! // Any other nonce breaks the solution.
//! header[108] ^= 1;
//! assert!(matches!(verify(&params, &header, &solution), Err(PowError::Collision { .. })));
//! ```
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub mod difficulty;
pub mod equihash;
#[cfg(feature = "solver")]
pub mod solver;
pub mod units;
pub mod upgrades;

pub use equihash::{EquihashParams, PowError, verify};
pub use units::{BlockHeight, Network, Tier, UnknownNetworkError, UnknownTierError};
pub use upgrades::{NetworkUpgrade, ProofOfNodeStart};
