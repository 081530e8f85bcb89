//! The reference node: a devnet that mines, validates, stores and serves a Flux chain with every
//! flux-rs crate.

pub mod economy;
pub mod fluxd_json;
pub mod operators;
pub mod rpc;
pub mod wallet;
