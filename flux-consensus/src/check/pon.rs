//! Proof-of-node header rules (`CheckBlockHeader`, `ContextualCheckBlockHeader`,
//! `ContextualCheckPONBlockHeader`, fluxd `main.cpp:5318-5601`, `pon/pon.cpp:95-327`,
//! `emergencyblock.cpp`): the signature's size, the PON hash against the target, `nBits`
//! against the PON retarget, the time after the parent, the two special collaterals, and the
//! signer: the operator key of the node the collateral names, looked up by the caller in the
//! fluxnode list the parent left ([`check_pon_block_signer`]; [`crate::Chain`] does it when it
//! connects the block).

use flux_pow::difficulty::check_proof_of_node;
use flux_pow::{BlockHeight, Network};
use flux_tx::encode::read_compact_size;
use flux_tx::pon::{Slot, pon_hash, verify_block_signature};
use flux_tx::sign::verify_ecdsa;
use flux_tx::{BlockHeader, BlockProof, OutPoint, PonHash, Txid};

use crate::error::HeaderError;
use crate::params::NetworkParams;

/// `MAX_BLOCK_SIGNATURE_SIZE` (`consensus/consensus.h:27`): a DER ECDSA signature.
pub const MAX_PON_SIGNATURE_SIZE: usize = 73;

/// `MAX_EMERGENCY_BLOCK_SIGNATURE_SIZE` (`consensus/consensus.h:29`): an emergency block's set of
/// signatures.
pub const MAX_EMERGENCY_SIGNATURE_SIZE: usize = 512;

/// The collateral an emergency block names (`emergencyblock.cpp:18-40`): 32 bytes of 0x11 and
/// index 0. Such a block is signed by the network's emergency multisig keys, not by a node.
pub const EMERGENCY_COLLATERAL: OutPoint = OutPoint {
    txid: Txid([0x11; 32]),
    index: 0,
};

/// The collateral and signature of a proof-of-node header; `None` for proof of work.
fn collateral_of(header: &BlockHeader) -> Option<(&OutPoint, &[u8])> {
    match &header.proof {
        BlockProof::Node {
            collateral,
            signature,
        } => Some((collateral, signature)),
        BlockProof::Work { .. } => None,
    }
}

/// Whether `header` is an emergency block (`IsEmergencyBlock`): proof of node with the
/// [`EMERGENCY_COLLATERAL`].
pub fn is_emergency_block(header: &BlockHeader) -> bool {
    collateral_of(header).is_some_and(|(collateral, _)| *collateral == EMERGENCY_COLLATERAL)
}

/// The PON hash of a proof-of-node header (`GetPONHash` of its collateral, its parent and the slot
/// of its time on `params`' network), or `None` for a proof-of-work header.
pub fn header_pon_hash(params: &dyn NetworkParams, header: &BlockHeader) -> Option<PonHash> {
    let (collateral, _) = collateral_of(header)?;
    Some(pon_hash(
        collateral,
        &header.prev_block,
        slot_of_time(params, header.time),
    ))
}

/// The slot `time` falls in on `params`' network (`GetSlotFromTime`: its genesis time and slot
/// length).
pub fn slot_of_time(params: &dyn NetworkParams, time: u32) -> Slot {
    Slot::of_time_with_spacing(time, params.genesis_time(), params.pon_slot_seconds())
}

/// `bad-pon-sig-size` (`main.cpp:5330-5340`): the signature fits [`MAX_PON_SIGNATURE_SIZE`], or
/// [`MAX_EMERGENCY_SIGNATURE_SIZE`] for an emergency block. Nothing to check for proof of work.
///
/// # Errors
///
/// [`HeaderError::PonSignatureTooLarge`].
pub fn check_pon_signature_size(header: &BlockHeader) -> Result<(), HeaderError> {
    let Some((_, signature)) = collateral_of(header) else {
        return Ok(());
    };
    let max = if is_emergency_block(header) {
        MAX_EMERGENCY_SIGNATURE_SIZE
    } else {
        MAX_PON_SIGNATURE_SIZE
    };
    if signature.len() > max {
        return Err(HeaderError::PonSignatureTooLarge {
            len: signature.len(),
            max,
        });
    }
    Ok(())
}

/// `CheckProofOfNode` on the header's PON hash and `nBits` without a height, as
/// `CheckBlockHeader` runs it (`main.cpp:5339-5343`): the target is valid and within the looser
/// PON limit, and the PON hash is at most the target. Emergency blocks and proof-of-work headers
/// skip it.
///
/// # Errors
///
/// [`HeaderError::PonHighHash`].
pub fn check_pon_target(
    params: &dyn NetworkParams,
    header: &BlockHeader,
) -> Result<(), HeaderError> {
    pon_target(params, header, None).map_err(HeaderError::PonHighHash)
}

/// `CheckPONBlockHeader` with the block's height, as `ContextualCheckBlockHeader` runs it
/// (`main.cpp:5518-5523`, `pon/pon.cpp:197-222`): the PON limit in force at `height`
/// (`ponStartLimit` during the first window after activation) applies. Emergency blocks and
/// proof-of-work headers skip it.
///
/// # Errors
///
/// [`HeaderError::PonBadHeader`].
pub fn check_pon_target_for_height(
    params: &dyn NetworkParams,
    header: &BlockHeader,
    height: BlockHeight,
) -> Result<(), HeaderError> {
    pon_target(params, header, Some(height)).map_err(HeaderError::PonBadHeader)
}

fn pon_target(
    params: &dyn NetworkParams,
    header: &BlockHeader,
    height: Option<BlockHeight>,
) -> Result<(), flux_pow::difficulty::DifficultyError> {
    if is_emergency_block(header) {
        return Ok(());
    }
    let Some(hash) = header_pon_hash(params, header) else {
        return Ok(());
    };
    check_proof_of_node(&params.difficulty_params(), &hash.0, header.bits, height)
}

/// The collateral with which testnet and regtest accept a proof-of-node block without a node
/// or a signature (`pon/pon.cpp:254-266`): `uint256S("544553544e4f44" + 50 zeros)` ("TESTNOD"
/// at the top of the number), index 0. Mainnet and the devnet have none.
pub fn test_bypass_collateral(network: Network) -> Option<OutPoint> {
    let mut txid = [0u8; 32];
    txid[25..].copy_from_slice(b"DONTSET");
    let bypass = OutPoint {
        txid: Txid(txid),
        index: 0,
    };
    match network {
        Network::Mainnet => None,
        Network::Testnet => Some(bypass),
        Network::Regtest => Some(bypass),
        Network::Devnet => None,
    }
}

/// `bad-pon-block` (`pon/pon.cpp:268-319`): the signature of a proof-of-node block is its node
/// operator's over the block hash. `operator_public_key` is the key the node's START announced
/// (not the collateral's). Emergency blocks are signed by the multisig set instead, and the
/// testnet/regtest [`test_bypass_collateral`] needs no signature; both pass here.
///
/// # Errors
///
/// [`HeaderError::PonBadSignature`].
pub fn check_pon_signature(
    params: &dyn NetworkParams,
    header: &BlockHeader,
    operator_public_key: &[u8],
) -> Result<(), HeaderError> {
    let Some((collateral, _)) = collateral_of(header) else {
        return Ok(());
    };
    if is_emergency_block(header) || test_bypass_collateral(params.network()) == Some(*collateral) {
        return Ok(());
    }
    if !verify_block_signature(header, operator_public_key) {
        return Err(HeaderError::PonBadSignature);
    }
    Ok(())
}

/// `bad-pon-diffbits` (`main.cpp:5525-5534`): a proof-of-node header carries
/// `GetNextPONWorkRequired` of its parent, computed from `ancestors` (the window ending at the
/// parent). fluxd skips the rule on testnet between heights 800 and 1800 (a fix phase of its
/// first PON blocks). Nothing to check for proof of work.
///
/// # Errors
///
/// [`HeaderError::PonBadDiffBits`], or [`HeaderError::Difficulty`] when the window cannot
/// answer.
pub fn check_pon_difficulty_bits(
    params: &dyn NetworkParams,
    header: &BlockHeader,
    ancestors: &[flux_pow::difficulty::HeaderInfo],
) -> Result<(), HeaderError> {
    if !header.is_proof_of_node() {
        return Ok(());
    }
    let height = ancestors.last().map_or(0, |parent| parent.height.0 + 1);
    if params.network() == Network::Testnet && (800..=1800).contains(&height) {
        return Ok(());
    }
    let expected = params
        .next_work_required(ancestors, Some(i64::from(header.time)))
        .map_err(HeaderError::Difficulty)?;
    if expected != header.bits {
        return Err(HeaderError::PonBadDiffBits {
            expected: expected.0,
            got: header.bits.0,
        });
    }
    Ok(())
}

/// `bad-pon-block` (`ContextualCheckPONBlockHeader` with the signature flag, `pon/pon.cpp:268-319`):
/// the block names a fluxnode and is signed by its operator key. `operator_key` is what the
/// fluxnode list the parent left holds for the block's collateral: the key its START announced,
/// for a node started, in DoS protection or confirmed (fluxd's `GetFluxnodeData` searches all
/// three, so a started node that is not yet confirmed may sign), `None` if the list has no such
/// node. Emergency blocks and the testnet/regtest bypass collateral need no node; proof-of-work
/// headers pass.
///
/// # Errors
///
/// [`HeaderError::PonUnknownNode`] or [`HeaderError::PonBadSignature`].
pub fn check_pon_block_signer(
    params: &dyn NetworkParams,
    header: &BlockHeader,
    operator_key: Option<&[u8]>,
) -> Result<(), HeaderError> {
    let Some((collateral, _)) = collateral_of(header) else {
        return Ok(());
    };
    if is_emergency_block(header) || test_bypass_collateral(params.network()) == Some(*collateral) {
        return Ok(());
    }
    let Some(operator_key) = operator_key else {
        return Err(HeaderError::PonUnknownNode(*collateral));
    };
    check_pon_signature(params, header, operator_key)
}

/// `time-too-old` for proof of node (`main.cpp:5563-5567`): a PON block's time is strictly after
/// its parent's (proof of work compares with the median time past instead).
///
/// # Errors
///
/// [`HeaderError::PonTimeNotAfterParent`].
pub fn check_pon_time_after_parent(
    header: &BlockHeader,
    parent_time: u32,
) -> Result<(), HeaderError> {
    if header.is_proof_of_node() && header.time <= parent_time {
        return Err(HeaderError::PonTimeNotAfterParent {
            time: header.time,
            parent_time,
        });
    }
    Ok(())
}

/// The proof-of-node rules a header meets on its own at `height`, in fluxd's order
/// (`CheckBlockHeader`, then `ContextualCheckPONBlockHeader` without the signature): the
/// signature's size, the PON hash against the looser limit, then against the limit in force at
/// `height`, and an emergency block's signature set. Not checked: the signer (it needs the
/// fluxnode list, see [`check_pon_signature`]), `nBits` against the retarget and the time
/// against the parent (they need the ancestors).
///
/// # Errors
///
/// The [`HeaderError`] of the first rule broken.
pub fn check_pon_header_for_height(
    params: &dyn NetworkParams,
    header: &BlockHeader,
    height: BlockHeight,
) -> Result<(), HeaderError> {
    check_pon_signature_size(header)?;
    check_pon_target(params, header)?;
    check_pon_target_for_height(params, header, height)?;
    check_emergency_block(params, &params.emergency_keys(), header, height)
}

/// Who may sign emergency blocks on a network (`vecEmergencyPublicKeys`,
/// `nEmergencyMinSignatures`, `chainparams.cpp:242-253, 513-522, 715-722`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EmergencyKeys {
    /// The authorised compressed public keys, as hex.
    pub public_keys: &'static [&'static str],
    /// How many distinct keys must have signed.
    pub min_signatures: usize,
    /// Whether the signatures are verified at all (regtest accepts any set of the right size,
    /// `emergencyblock.cpp:82-86`).
    pub verify: bool,
}

/// Why an emergency block's signatures or timing are refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EmergencyBlockError {
    /// More signatures than authorised keys (`emergencyblock.cpp:66-71`).
    #[error("{count} signatures for {keys} emergency keys")]
    TooManySignatures {
        /// Entries in the signature set.
        count: u64,
        /// Authorised keys.
        keys: usize,
    },
    /// Fewer signatures than required (`:73-77`).
    #[error("{count} signatures, {min} required")]
    TooFewSignatures {
        /// Entries in the signature set.
        count: u64,
        /// Required signatures.
        min: usize,
    },
    /// A signature examined before the threshold was reached is longer than a DER signature
    /// (`:98-102`).
    #[error("a signature of {len} bytes is longer than {MAX_PON_SIGNATURE_SIZE}")]
    OversizedSignature {
        /// Its length as the set claims it.
        len: u64,
    },
    /// Not enough distinct emergency keys signed the block hash (`:145-147`).
    #[error("{valid} valid signatures of distinct emergency keys, {min} required")]
    NotEnoughValidSignatures {
        /// Distinct keys whose signature verified.
        valid: usize,
        /// Required.
        min: usize,
    },
    /// An emergency block below the proof-of-node activation (`IsEmergencyBlockAllowed`).
    #[error("emergency blocks are only allowed once proof of node is active")]
    BeforeProofOfNode,
}

/// One entry of an emergency block's signature set as fluxd's deserialiser leaves it: a
/// complete signature, or (after a read that ran out of bytes) an entry of the claimed length
/// whose bytes are not all there, which can never verify.
enum SetEntry<'a> {
    Complete(&'a [u8]),
    Incomplete { claimed_len: u64 },
}

/// `DecodeMultiSig` (`emergencyblock.cpp:31-45`): a `vector<vector<unsigned char>>`. fluxd
/// catches a decoding error and keeps what it had: the outer vector is already sized to its
/// count, so the entries after the failure are empty and the failing one has its claimed size.
/// Returns the count and the entries that were reached.
fn decode_signature_set(bytes: &[u8]) -> (u64, Vec<SetEntry<'_>>) {
    let mut input = bytes;
    let Ok(count) = read_compact_size(&mut input) else {
        return (0, Vec::new());
    };
    let mut entries = Vec::new();
    for _ in 0..count.min(MAX_EMERGENCY_SIGNATURE_SIZE as u64) {
        let Ok(len) = read_compact_size(&mut input) else {
            break;
        };
        match usize::try_from(len).ok().filter(|len| *len <= input.len()) {
            Some(len) => {
                let (signature, rest) = input.split_at(len);
                entries.push(SetEntry::Complete(signature));
                input = rest;
            }
            None => {
                entries.push(SetEntry::Incomplete { claimed_len: len });
                break;
            }
        }
    }
    (count, entries)
}

/// `ValidateEmergencyBlockSignatures` and `IsEmergencyBlockAllowed` (`emergencyblock.cpp`): an
/// emergency block at `height` carries at most one signature per key of `keys`, at least
/// `min_signatures` of them, and (where `keys.verify`) `min_signatures` distinct keys signed the
/// block hash; every signature examined before that threshold is at most 73 bytes. Signatures
/// are examined in order and each is matched against the keys not used yet, as fluxd does.
/// Nothing to check for a block that is not an emergency block.
///
/// # Errors
///
/// [`HeaderError::EmergencyBlock`] with the reason.
pub fn check_emergency_block(
    params: &dyn NetworkParams,
    keys: &EmergencyKeys,
    header: &BlockHeader,
    height: BlockHeight,
) -> Result<(), HeaderError> {
    let Some((_, signature_set)) = collateral_of(header) else {
        return Ok(());
    };
    if !is_emergency_block(header) {
        return Ok(());
    }
    emergency_signatures(keys, header, signature_set).map_err(HeaderError::EmergencyBlock)?;
    if !params.is_pon_active(height) {
        return Err(HeaderError::EmergencyBlock(
            EmergencyBlockError::BeforeProofOfNode,
        ));
    }
    Ok(())
}

fn emergency_signatures(
    keys: &EmergencyKeys,
    header: &BlockHeader,
    signature_set: &[u8],
) -> Result<(), EmergencyBlockError> {
    let (count, entries) = decode_signature_set(signature_set);
    if count > keys.public_keys.len() as u64 {
        return Err(EmergencyBlockError::TooManySignatures {
            count,
            keys: keys.public_keys.len(),
        });
    }
    if count < keys.min_signatures as u64 {
        return Err(EmergencyBlockError::TooFewSignatures {
            count,
            min: keys.min_signatures,
        });
    }
    if !keys.verify {
        return Ok(());
    }
    let hash = header.hash().0;
    let public_keys: Vec<Vec<u8>> = keys
        .public_keys
        .iter()
        .map(|key| hex::decode(key).unwrap_or_default())
        .collect();
    let mut used = vec![false; public_keys.len()];
    let mut valid = 0;
    // Entries the decoder never reached are empty: they fail to verify like any bad signature.
    for index in 0..count as usize {
        let signature = match entries.get(index) {
            Some(SetEntry::Complete(signature)) => Some(*signature),
            Some(SetEntry::Incomplete { claimed_len }) => {
                if *claimed_len > MAX_PON_SIGNATURE_SIZE as u64 {
                    return Err(EmergencyBlockError::OversizedSignature { len: *claimed_len });
                }
                None
            }
            None => None,
        };
        if let Some(signature) = signature {
            if signature.len() > MAX_PON_SIGNATURE_SIZE {
                return Err(EmergencyBlockError::OversizedSignature {
                    len: signature.len() as u64,
                });
            }
            let signer = (0..public_keys.len())
                .find(|key| !used[*key] && verify_ecdsa(&public_keys[*key], signature, hash));
            if let Some(key) = signer {
                used[key] = true;
                valid += 1;
            }
        }
        if valid >= keys.min_signatures {
            return Ok(());
        }
    }
    Err(EmergencyBlockError::NotEnoughValidSignatures {
        valid,
        min: keys.min_signatures,
    })
}
