//! Proof of Node on a header (fluxd `src/pon/pon.cpp`): the 30-second slot a block time falls in,
//! and the PON hash a fluxnode's collateral gives for a parent block and a slot. The target
//! check the hash must pass is `flux_pow::difficulty::check_proof_of_node`; which nodes may
//! produce a block is the consensus crate's business.
//!
//! ```
//! use flux_tx::pon::{Slot, pon_hash};
//! use flux_tx::{BlockHash, OutPoint, Txid};
//!
//! // Mainnet's genesis block time is 1516980000; a block 10 minutes later is in slot 20.
//! let slot = Slot::of_time(1_516_980_600, 1_516_980_000);
//! assert_eq!(slot, Slot(20));
//!
//! let collateral = OutPoint { txid: Txid([7; 32]), index: 0 };
//! let hash = pon_hash(&collateral, &BlockHash([9; 32]), slot);
//! // Another slot or parent gives another hash.
//! assert_ne!(hash, pon_hash(&collateral, &BlockHash([9; 32]), Slot(21)));
//! ```

use alloc::vec::Vec;
use core::num::NonZeroU32;

use crate::block::{BlockHeader, BlockProof};
use crate::hash::{BlockHash, PonHash};
use crate::keys::{PrivateKey, sha256d};
use crate::outpoint::OutPoint;
use crate::sign::verify_ecdsa;

/// `nPonTargetSpacing`: seconds per slot, the same on fluxd's three networks (`chainparams.cpp`).
pub const PON_TARGET_SPACING: i64 = 30;

/// [`PON_TARGET_SPACING`] as the slot functions take it.
pub const PON_TARGET_SPACING_SECONDS: NonZeroU32 = match NonZeroU32::new(PON_TARGET_SPACING as u32)
{
    Some(spacing) => spacing,
    None => NonZeroU32::MIN,
};

/// A proof-of-node slot: 30-second steps counted from the genesis block's time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Slot(pub u32);

impl Slot {
    /// `GetSlotFromTime` (`pon/pon.cpp:88-93`): `(uint32_t)((int64_t)nTime - genesis.nTime) / 30`,
    /// divided as a signed 64-bit number and then cast, so a time before genesis wraps as it does
    /// in fluxd.
    pub const fn of_time(time: u32, genesis_time: u32) -> Slot {
        Slot::of_time_with_spacing(time, genesis_time, PON_TARGET_SPACING_SECONDS)
    }

    /// [`Slot::of_time`] for a network whose slots last `spacing` seconds instead of 30 (the
    /// SDK's devnet).
    pub const fn of_time_with_spacing(time: u32, genesis_time: u32, spacing: NonZeroU32) -> Slot {
        let elapsed = time as i64 - genesis_time as i64;
        Slot((elapsed / spacing.get() as i64) as u32)
    }

    /// The first second of the slot (the inverse of [`Slot::of_time_with_spacing`] for slots
    /// after genesis), `None` past `u32` time.
    pub fn start_time(self, genesis_time: u32, spacing: NonZeroU32) -> Option<u32> {
        self.0
            .checked_mul(spacing.get())
            .and_then(|offset| offset.checked_add(genesis_time))
    }
}

/// `GetPONHash` (`pon/pon.cpp:63-86`): double SHA-256 of the 72 bytes collateral txid ‖
/// collateral index (LE32) ‖ parent hash ‖ slot (LE32), all in internal byte order.
pub fn pon_hash(collateral: &OutPoint, prev_block: &BlockHash, slot: Slot) -> PonHash {
    let mut preimage = [0u8; 72];
    preimage[..32].copy_from_slice(&collateral.txid.0);
    preimage[32..36].copy_from_slice(&collateral.index.to_le_bytes());
    preimage[36..68].copy_from_slice(&prev_block.0);
    preimage[68..].copy_from_slice(&slot.0.to_le_bytes());
    PonHash(sha256d(&preimage))
}

/// The block signature a fluxnode's operator key makes (`pon/pon-minter.cpp:29-51`, `CKey::Sign`):
/// DER ECDSA with an RFC 6979 nonce over the 32 bytes of the block hash in internal order. The
/// hash leaves the signature out, so signing does not change it.
pub fn sign_block(header: &BlockHeader, operator_key: &PrivateKey) -> Vec<u8> {
    operator_key
        .sign_digest(header.hash().0)
        .serialize_der()
        .to_vec()
}

/// Whether a proof-of-node header's signature is the operator key's over its block hash
/// (`pubKey.Verify(block.GetHash(), vchBlockSig)`, `pon/pon.cpp:309-319`: strict DER, high S
/// accepted after normalising). `false` for a proof-of-work header or an unusable key.
pub fn verify_block_signature(header: &BlockHeader, operator_public_key: &[u8]) -> bool {
    match &header.proof {
        BlockProof::Node { signature, .. } => {
            verify_ecdsa(operator_public_key, signature, header.hash().0)
        }
        BlockProof::Work { .. } => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::Txid;

    #[test]
    fn slots_divide_then_cast() {
        assert_eq!(Slot::of_time(1_516_980_000, 1_516_980_000), Slot(0));
        assert_eq!(Slot::of_time(1_516_980_029, 1_516_980_000), Slot(0));
        assert_eq!(Slot::of_time(1_516_980_030, 1_516_980_000), Slot(1));
        // 31 s before genesis: -31 / 30 = -1 (truncated toward zero), cast to u32.
        assert_eq!(Slot::of_time(1_516_979_969, 1_516_980_000), Slot(u32::MAX));
        assert_eq!(Slot::of_time(1_516_979_990, 1_516_980_000), Slot(0));
    }

    #[test]
    fn short_slots_for_the_devnet() {
        let four = NonZeroU32::new(4).unwrap();
        assert_eq!(Slot::of_time_with_spacing(1_003, 1_000, four), Slot(0));
        assert_eq!(Slot::of_time_with_spacing(1_004, 1_000, four), Slot(1));
        assert_eq!(Slot(1).start_time(1_000, four), Some(1_004));
        assert_eq!(Slot(u32::MAX).start_time(1_000, four), None);
    }

    #[test]
    fn preimage_layout() {
        let collateral = OutPoint {
            txid: Txid([1; 32]),
            index: 0x0403_0201,
        };
        let mut expected = alloc::vec::Vec::new();
        expected.extend_from_slice(&[1; 32]);
        expected.extend_from_slice(&[1, 2, 3, 4]);
        expected.extend_from_slice(&[2; 32]);
        expected.extend_from_slice(&[5, 0, 0, 0]);
        assert_eq!(
            pon_hash(&collateral, &BlockHash([2; 32]), Slot(5)).0,
            sha256d(&expected)
        );
    }
}
