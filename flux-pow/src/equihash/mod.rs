//! Equihash as fluxd implements it (`src/crypto/equihash.{h,cpp,tcc}`): every Flux parameter
//! set, including ZelHash (125,4 with the `"ZelProof"` personalization and the twist).
//!
//! - [`EquihashParams`]: the parameter sets as data, with their derived sizes.
//! - [`EquihashState`]: the personalized BLAKE2b state over `I || V` and the hash of each index.
//! - [`verify`] / [`verify_indices`]: the validator, one [`PowError`] per rule.
//! - [`solution_indices`] / [`solution_from_indices`]: the minimal `nSolution` encoding.

mod error;
mod hash;
mod minimal;
mod params;
mod verify;

pub use error::{EncodingError, PowError};
pub use hash::{
    Digits, EquihashState, HashOutput, IndexSlice, TwistAccumulator, base_state, blake2b_params,
    expand_digits, slice_of,
};
pub use minimal::{
    indices_from_minimal, minimal_from_indices, solution_from_indices, solution_indices,
};
pub use params::{EquihashParams, MAX_DIGITS, MAX_HASH_OUTPUT_LEN};
pub use verify::{verify, verify_indices};
