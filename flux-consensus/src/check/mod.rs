//! The validation rules, one function per daemon rule: [`header`] (`CheckBlockHeader`,
//! `ContextualCheckBlockHeader`), [`transaction`] (`CheckTransaction`,
//! `ContextualCheckTransaction`, `CheckTxInputs`) and [`block`] (`CheckBlock`,
//! `ContextualCheckBlock`, the coinbase and fluxnode payout checks of `ConnectBlock`), [`pon`]
//! (the proof-of-node header rules that need no fluxnode list), and
//! [`utxo`], the fallible view of the UTXO set the contextual rules read.
//!
//! Nothing here reads a database: the rules take the chain state as arguments (ancestor
//! windows, a [`utxo::UtxoView`], the fluxnode list), so they build without the `store` feature.

pub mod block;
pub mod header;
pub mod pon;
pub mod transaction;
pub mod utxo;
