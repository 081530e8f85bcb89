//! Shared helpers of the integration tests: the shared test vectors, and (features `store` and
//! `miner`) a devnet miner with keys and a temporary store, and a miner for any proof-of-work
//! network whose blocks' times and bits the test chooses.
// Each test file uses a part of the helpers.
#![allow(dead_code)]

#[cfg(all(feature = "store", feature = "miner"))]
mod devchain;
#[cfg(all(feature = "store", feature = "miner"))]
mod netchain;
#[cfg(all(feature = "store", feature = "miner"))]
mod ponchain;
pub mod vectors;

#[cfg(all(feature = "store", feature = "miner"))]
#[allow(unused_imports)]
pub use devchain::*;

#[cfg(all(feature = "store", feature = "miner"))]
#[allow(unused_imports)]
pub use netchain::*;

#[cfg(all(feature = "store", feature = "miner"))]
#[allow(unused_imports)]
pub use ponchain::*;
