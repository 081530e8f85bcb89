//! Inventory items (`CInv`, `protocol.h:129-170`): a `u32` type and a 32-byte hash, listed by
//! `inv`, `getdata` and `notfound`.

use alloc::vec::Vec;

use crate::encode::{DecodeError, FluxDecode, FluxEncode, read_array};
use crate::hash::{BlockHash, Txid};

/// An inventory item. Types fluxd does not act on (0, the legacy fluxnode-era types 4-10 and
/// anything unassigned) are kept as [`Inventory::Other`] so they re-encode unchanged; fluxd
/// treats them as already known and never requests them (`main.cpp:6906-6932`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Inventory {
    /// `MSG_TX` (1): a transaction.
    Transaction(Txid),
    /// `MSG_BLOCK` (2): a block.
    Block(BlockHash),
    /// `MSG_FILTERED_BLOCK` (3): a block as `merkleblock`; only valid in `getdata`.
    FilteredBlock(BlockHash),
    /// `MSG_CMPCT_BLOCK` (11, where Bitcoin uses 4): a block as BIP152 `cmpctblock`.
    CompactBlock(BlockHash),
    /// Any other type.
    Other {
        /// The type number.
        kind: u32,
        /// The hash.
        hash: [u8; 32],
    },
}

impl Inventory {
    /// Bytes on the wire.
    pub const SIZE: usize = 36;
    /// Type number of [`Inventory::Transaction`].
    pub const MSG_TX: u32 = 1;
    /// Type number of [`Inventory::Block`].
    pub const MSG_BLOCK: u32 = 2;
    /// Type number of [`Inventory::FilteredBlock`].
    pub const MSG_FILTERED_BLOCK: u32 = 3;
    /// Type number of [`Inventory::CompactBlock`].
    pub const MSG_CMPCT_BLOCK: u32 = 11;

    /// The item from its wire type and hash.
    pub fn from_parts(kind: u32, hash: [u8; 32]) -> Inventory {
        match kind {
            Inventory::MSG_TX => Inventory::Transaction(Txid(hash)),
            Inventory::MSG_BLOCK => Inventory::Block(BlockHash(hash)),
            Inventory::MSG_FILTERED_BLOCK => Inventory::FilteredBlock(BlockHash(hash)),
            Inventory::MSG_CMPCT_BLOCK => Inventory::CompactBlock(BlockHash(hash)),
            kind => Inventory::Other { kind, hash },
        }
    }

    /// The wire type number.
    pub fn kind(&self) -> u32 {
        match self {
            Inventory::Transaction(_) => Inventory::MSG_TX,
            Inventory::Block(_) => Inventory::MSG_BLOCK,
            Inventory::FilteredBlock(_) => Inventory::MSG_FILTERED_BLOCK,
            Inventory::CompactBlock(_) => Inventory::MSG_CMPCT_BLOCK,
            Inventory::Other { kind, .. } => *kind,
        }
    }

    /// The hash in internal byte order.
    pub fn hash_bytes(&self) -> [u8; 32] {
        match self {
            Inventory::Transaction(txid) => txid.0,
            Inventory::Block(hash)
            | Inventory::FilteredBlock(hash)
            | Inventory::CompactBlock(hash) => hash.0,
            Inventory::Other { hash, .. } => *hash,
        }
    }
}

impl FluxEncode for Inventory {
    fn flux_encode(&self, out: &mut Vec<u8>) {
        self.kind().flux_encode(out);
        out.extend_from_slice(&self.hash_bytes());
    }
}

impl FluxDecode for Inventory {
    fn flux_decode(input: &mut &[u8]) -> Result<Inventory, DecodeError> {
        let kind = u32::flux_decode(input)?;
        Ok(Inventory::from_parts(kind, read_array(input)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_numbers_follow_fluxd_not_bitcoin() {
        let hash = [7u8; 32];
        // Type 4 is the legacy "spork" on Flux, not Bitcoin's compact block.
        assert_eq!(
            Inventory::from_parts(4, hash),
            Inventory::Other { kind: 4, hash }
        );
        assert_eq!(
            Inventory::from_parts(11, hash),
            Inventory::CompactBlock(BlockHash(hash))
        );
        for kind in [0, 1, 2, 3, 4, 10, 11, 12, u32::MAX] {
            let item = Inventory::from_parts(kind, hash);
            assert_eq!(item.kind(), kind);
            let bytes = item.encoded();
            assert_eq!(&bytes[..4], &kind.to_le_bytes());
            assert_eq!(Inventory::decode_exact(&bytes), Ok(item));
        }
    }
}
