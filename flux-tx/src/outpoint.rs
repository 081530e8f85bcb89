//! A reference to a transaction output (`COutPoint`, `primitives/transaction.h`): what an input
//! spends, what a fluxnode names as its collateral and what a proof-of-node header names as its
//! producer. It sits below both the transaction codec and the fluxnode transactions, which each
//! carry one.

use alloc::vec::Vec;

use crate::encode::{DecodeError, FluxDecode, FluxEncode};
use crate::hash::Txid;

/// A reference to an output: its transaction and index (`COutPoint`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct OutPoint {
    /// The transaction holding the output.
    pub txid: Txid,
    /// The output's index.
    pub index: u32,
}

impl OutPoint {
    /// The null outpoint a coinbase input spends (`IsNull`: zero hash, index `u32::MAX`).
    pub const NULL: OutPoint = OutPoint {
        txid: Txid::ZERO,
        index: u32::MAX,
    };

    /// `true` for the coinbase's null outpoint.
    pub fn is_null(&self) -> bool {
        self.txid.is_zero() && self.index == u32::MAX
    }
}

impl FluxEncode for OutPoint {
    fn flux_encode(&self, out: &mut Vec<u8>) {
        self.txid.flux_encode(out);
        self.index.flux_encode(out);
    }
}

impl FluxDecode for OutPoint {
    fn flux_decode(input: &mut &[u8]) -> Result<OutPoint, DecodeError> {
        Ok(OutPoint {
            txid: Txid::flux_decode(input)?,
            index: u32::flux_decode(input)?,
        })
    }
}
