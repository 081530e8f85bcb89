//! The validation rules, one function per daemon rule: [`header`] (`CheckBlockHeader`,
//! `ContextualCheckBlockHeader`), [`transaction`] (`CheckTransaction`,
//! `ContextualCheckTransaction`, `CheckTxInputs`) and [`block`] (`CheckBlock`,
//! `ContextualCheckBlock`, the coinbase and fluxnode payout checks of `ConnectBlock`).

pub mod block;
pub mod header;
pub mod transaction;
