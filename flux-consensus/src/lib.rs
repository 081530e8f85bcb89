//! Flux consensus: network parameters and upgrades, header and block validation, chain state,
//! reorganisations and persistence.
//!
//! This crate is being built under issue 7.
