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
//! # Example: verify the regtest genesis block's Equihash solution
//!
//! ```
//! use flux_pow::equihash::{verify, EquihashParams, PowError};
//!
//! // The 140 header bytes version..nonce of fluxd's regtest genesis block (`chainparams.cpp`).
//! let mut header = hex::decode(concat!(
//!     "04000000",                                                         // version
//!     "0000000000000000000000000000000000000000000000000000000000000000", // previous block
//!     "3aa13a6f0d1689b1915607599df1a28120b9c3bf84660018177fc6b2d6aec794", // merkle root
//!     "0000000000000000000000000000000000000000000000000000000000000000", // final sapling root
//!     "dae5494d",                                                         // time
//!     "0f0f0f20",                                                         // bits
//!     "1600000000000000000000000000000000000000000000000000000000000000", // nonce
//! ))?;
//! // Its 36-byte nSolution.
//! let solution =
//!     hex::decode("02853a9dd062e2356909a0d2b9f0e4873dbf092edd3f00eea317e21222d1f2c414b926ee")?;
//!
//! // fluxd picks the parameter set from the solution size alone.
//! let params = EquihashParams::from_solution_len(solution.len()).unwrap();
//! assert_eq!(params, EquihashParams::EH48_5);
//! assert_eq!(verify(&params, &header, &solution), Ok(()));
//!
//! // Any other nonce breaks the solution.
//! header[108] ^= 1;
//! assert!(matches!(verify(&params, &header, &solution), Err(PowError::Collision { .. })));
//! # Ok::<(), hex::FromHexError>(())
//! ```
#![cfg_attr(not(any(feature = "std", test)), no_std)]

extern crate alloc;

// The README's example runs as a doc test as well, so the page crates.io shows cannot go stale.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

pub mod difficulty;
pub mod equihash;
#[cfg(feature = "solver")]
pub mod solver;
pub mod units;
pub mod upgrades;

pub use equihash::{EquihashParams, PowError, verify};
pub use units::{BlockHeight, Network, Tier, UnknownNetworkError, UnknownTierError};
pub use upgrades::{NetworkUpgrade, ProofOfNodeStart};
