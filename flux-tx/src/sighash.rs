//! Signature hashes of transparent inputs (`SignatureHash`, fluxd `src/script/interpreter.cpp:1139-1270`).
//!
//! Three algorithms, chosen by the transaction format (`SignatureHashVersion`, `:1139-1150`):
//! - **legacy** (v1/v2, not overwintered): double SHA-256 of a modified copy of the transaction
//!   (`CTransactionSignatureSerializer`, `:963-1059`);
//! - **Overwinter** (v3, ZIP-143) and **Sapling** (v4, ZIP-243): BLAKE2b-256 personalized with
//!   `"ZcashSigHash" ‖ le32(consensus branch id)` over precomputed component digests.
//!
//! Flux differs from Bitcoin in two ways that matter here: `SIGHASH_SINGLE` without a matching
//! output is an error in the legacy algorithm (fluxd throws `"no matching output for
//! SIGHASH_SINGLE"` and `CheckSig` fails; there is no Bitcoin-style "one" hash), and the branch id
//! is `0x76b809bb` from LWMA on (`flux_pow::NetworkUpgrade::branch_id_at`).
//!
//! The algorithms read the transaction through [`SighashTransaction`], which exposes exactly the
//! fields the daemon hashes.

use alloc::vec::Vec;

use crate::keys::sha256d;
use crate::transaction::SAPLING_VERSION_GROUP_ID;

/// `SIGHASH_ALL`: sign every input and output.
pub const SIGHASH_ALL: u32 = 1;
/// `SIGHASH_NONE`: sign no output.
pub const SIGHASH_NONE: u32 = 2;
/// `SIGHASH_SINGLE`: sign the output at the input's index only.
pub const SIGHASH_SINGLE: u32 = 3;
/// `SIGHASH_ANYONECANPAY`: sign only this input.
pub const SIGHASH_ANYONECANPAY: u32 = 0x80;

/// Which signature-hash algorithm a transaction uses (`SigVersion`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SigVersion {
    /// Not overwintered: the legacy double-SHA-256 algorithm.
    Sprout,
    /// Overwintered with a non-Sapling group id: ZIP-143.
    Overwinter,
    /// Overwintered with the Sapling group id: ZIP-243.
    Sapling,
}

/// The transaction data the signature-hash algorithms read. Byte strings are in consensus
/// serialization; 32-byte hashes in internal byte order.
pub trait SighashTransaction {
    /// `nVersion` without the overwintered bit.
    fn version(&self) -> i32;
    /// The overwintered flag (bit 31 of the header).
    fn is_overwintered(&self) -> bool;
    /// `nVersionGroupId` (0 when not overwintered).
    fn version_group_id(&self) -> u32;
    /// Number of transparent inputs.
    fn input_count(&self) -> usize;
    /// The previous output spent by input `index`: txid (internal order) and output index.
    fn input_prevout(&self, index: usize) -> ([u8; 32], u32);
    /// `nSequence` of input `index`.
    fn input_sequence(&self, index: usize) -> u32;
    /// Number of transparent outputs.
    fn output_count(&self) -> usize;
    /// Value in zatoshis and output script of output `index`.
    fn output(&self, index: usize) -> (i64, &[u8]);
    /// `nLockTime`.
    fn lock_time(&self) -> u32;
    /// `nExpiryHeight` (v3/v4 only).
    fn expiry_height(&self) -> u32;
    /// `valueBalance` (v4 only).
    fn value_balance(&self) -> i64;
    /// Number of JoinSplit descriptions.
    fn join_split_count(&self) -> usize;
    /// Appends the serialization of every JoinSplit description (without a count prefix), as the
    /// transaction serializes them (the proof format depends on the version).
    fn write_join_splits(&self, out: &mut Vec<u8>);
    /// `joinSplitPubKey`.
    fn join_split_pub_key(&self) -> [u8; 32];
    /// Number of Sapling spends.
    fn shielded_spend_count(&self) -> usize;
    /// Appends, for every Sapling spend, `cv ‖ anchor ‖ nullifier ‖ rk ‖ zkproof` (the spend
    /// without its `spendAuthSig`, `GetShieldedSpendsHash`).
    fn write_shielded_spends_for_sighash(&self, out: &mut Vec<u8>);
    /// Number of Sapling outputs.
    fn shielded_output_count(&self) -> usize;
    /// Appends the full serialization of every Sapling output description.
    fn write_shielded_outputs(&self, out: &mut Vec<u8>);
}

/// Why no signature hash exists for the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SighashError {
    /// The input index is not below the number of inputs (`"input index is out of range"`).
    #[error("input index {index} is out of range for {inputs} inputs")]
    InputOutOfRange {
        /// The index asked for.
        index: usize,
        /// Number of inputs.
        inputs: usize,
    },
    /// Legacy `SIGHASH_SINGLE` for an input without an output at its index
    /// (`"no matching output for SIGHASH_SINGLE"`).
    #[error("SIGHASH_SINGLE for input {index} but the transaction has only {outputs} outputs")]
    SingleWithoutOutput {
        /// The input index.
        index: usize,
        /// Number of outputs.
        outputs: usize,
    },
}

/// The input being signed: its index, the script code it commits to (the spent output's script,
/// or the redeem script for P2SH) and the value of the output it spends.
#[derive(Debug, Clone, Copy)]
pub struct SignedInput<'a> {
    /// Index of the input in the transaction.
    pub index: usize,
    /// The script the signature commits to.
    pub script_code: &'a [u8],
    /// Value of the spent output in zatoshis (hashed by v3/v4 only).
    pub amount: i64,
}

/// `SignatureHashVersion`.
pub fn sig_version(tx: &impl SighashTransaction) -> SigVersion {
    match (tx.is_overwintered(), tx.version_group_id()) {
        (false, _) => SigVersion::Sprout,
        (true, SAPLING_VERSION_GROUP_ID) => SigVersion::Sapling,
        (true, _) => SigVersion::Overwinter,
    }
}

fn push_compact_size(out: &mut Vec<u8>, n: usize) {
    crate::encode::write_compact_size(out, n as u64);
}

fn push_script(out: &mut Vec<u8>, script: &[u8]) {
    push_compact_size(out, script.len());
    out.extend_from_slice(script);
}

fn push_prevout(out: &mut Vec<u8>, prevout: ([u8; 32], u32)) {
    out.extend_from_slice(&prevout.0);
    out.extend_from_slice(&prevout.1.to_le_bytes());
}

fn push_output(out: &mut Vec<u8>, (value, script): (i64, &[u8])) {
    out.extend_from_slice(&value.to_le_bytes());
    push_script(out, script);
}

fn blake2b_256(personal: &[u8; 16], data: &[u8]) -> [u8; 32] {
    let hash = blake2b_simd::Params::new()
        .hash_length(32)
        .personal(personal)
        .hash(data);
    let mut out = [0u8; 32];
    out.copy_from_slice(hash.as_bytes());
    out
}

/// The component digests of ZIP-143/243 that do not depend on the input or hash type
/// (`PrecomputedTransactionData`, `interpreter.cpp:1127-1137`): compute once per transaction
/// when signing or verifying many inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrecomputedDigests {
    /// `hashPrevouts`: BLAKE2b("ZcashPrevoutHash") of every prevout.
    pub prevouts: [u8; 32],
    /// `hashSequence`: BLAKE2b("ZcashSequencHash") of every nSequence.
    pub sequences: [u8; 32],
    /// `hashOutputs`: BLAKE2b("ZcashOutputsHash") of every output.
    pub outputs: [u8; 32],
    /// `hashJoinSplits`: BLAKE2b("ZcashJSplitsHash") of the JoinSplits and their public key.
    pub join_splits: [u8; 32],
    /// `hashShieldedSpends`: BLAKE2b("ZcashSSpendsHash") of the spends without signatures.
    pub shielded_spends: [u8; 32],
    /// `hashShieldedOutputs`: BLAKE2b("ZcashSOutputHash") of the output descriptions.
    pub shielded_outputs: [u8; 32],
}

impl PrecomputedDigests {
    /// Computes every digest of `tx`.
    pub fn new(tx: &impl SighashTransaction) -> PrecomputedDigests {
        let mut buffer = Vec::with_capacity(36 * tx.input_count().max(tx.output_count()) + 64);
        for i in 0..tx.input_count() {
            push_prevout(&mut buffer, tx.input_prevout(i));
        }
        let prevouts = blake2b_256(b"ZcashPrevoutHash", &buffer);
        buffer.clear();
        for i in 0..tx.input_count() {
            buffer.extend_from_slice(&tx.input_sequence(i).to_le_bytes());
        }
        let sequences = blake2b_256(b"ZcashSequencHash", &buffer);
        buffer.clear();
        for i in 0..tx.output_count() {
            push_output(&mut buffer, tx.output(i));
        }
        let outputs = blake2b_256(b"ZcashOutputsHash", &buffer);
        buffer.clear();
        tx.write_join_splits(&mut buffer);
        buffer.extend_from_slice(&tx.join_split_pub_key());
        let join_splits = blake2b_256(b"ZcashJSplitsHash", &buffer);
        buffer.clear();
        tx.write_shielded_spends_for_sighash(&mut buffer);
        let shielded_spends = blake2b_256(b"ZcashSSpendsHash", &buffer);
        buffer.clear();
        tx.write_shielded_outputs(&mut buffer);
        let shielded_outputs = blake2b_256(b"ZcashSOutputHash", &buffer);
        PrecomputedDigests {
            prevouts,
            sequences,
            outputs,
            join_splits,
            shielded_spends,
            shielded_outputs,
        }
    }
}

/// The signature hash of `input` (or, with `None`, of the transaction for its JoinSplit and
/// binding signatures: `NOT_AN_INPUT`), for `hash_type` under `consensus_branch_id`.
///
/// `hash_type` is the full value (the signature's last byte when verifying); only its low five
/// bits and the `ANYONECANPAY` bit select the algorithm, the whole value is hashed.
///
/// # Errors
/// [`SighashError::InputOutOfRange`]; [`SighashError::SingleWithoutOutput`] (legacy only).
pub fn signature_hash(
    tx: &impl SighashTransaction,
    input: Option<SignedInput<'_>>,
    hash_type: u32,
    consensus_branch_id: u32,
) -> Result<[u8; 32], SighashError> {
    signature_hash_with(tx, input, hash_type, consensus_branch_id, None)
}

/// [`signature_hash`] with digests precomputed by [`PrecomputedDigests::new`] (ignored by the
/// legacy algorithm).
///
/// # Errors
/// As [`signature_hash`].
pub fn signature_hash_with(
    tx: &impl SighashTransaction,
    input: Option<SignedInput<'_>>,
    hash_type: u32,
    consensus_branch_id: u32,
    precomputed: Option<&PrecomputedDigests>,
) -> Result<[u8; 32], SighashError> {
    if let Some(input) = input
        && input.index >= tx.input_count()
    {
        return Err(SighashError::InputOutOfRange {
            index: input.index,
            inputs: tx.input_count(),
        });
    }
    match sig_version(tx) {
        SigVersion::Sprout => legacy(tx, input, hash_type),
        version => Ok(zip243(
            tx,
            input,
            hash_type,
            consensus_branch_id,
            version,
            precomputed,
        )),
    }
}

fn zip243(
    tx: &impl SighashTransaction,
    input: Option<SignedInput<'_>>,
    hash_type: u32,
    consensus_branch_id: u32,
    version: SigVersion,
    precomputed: Option<&PrecomputedDigests>,
) -> [u8; 32] {
    let computed;
    let digests = match precomputed {
        Some(digests) => digests,
        None => {
            computed = PrecomputedDigests::new(tx);
            &computed
        }
    };
    let base_type = hash_type & 0x1f;
    let anyone_can_pay = hash_type & SIGHASH_ANYONECANPAY != 0;
    let zero = [0u8; 32];

    let prevouts = if anyone_can_pay {
        zero
    } else {
        digests.prevouts
    };
    let sequences = if !anyone_can_pay && base_type != SIGHASH_SINGLE && base_type != SIGHASH_NONE {
        digests.sequences
    } else {
        zero
    };
    let outputs = if base_type != SIGHASH_SINGLE && base_type != SIGHASH_NONE {
        digests.outputs
    } else {
        match input {
            Some(input) if base_type == SIGHASH_SINGLE && input.index < tx.output_count() => {
                let mut one = Vec::with_capacity(64);
                push_output(&mut one, tx.output(input.index));
                blake2b_256(b"ZcashOutputsHash", &one)
            }
            _ => zero,
        }
    };
    let join_splits = if tx.join_split_count() > 0 {
        digests.join_splits
    } else {
        zero
    };

    let mut data = Vec::with_capacity(400);
    let header = (tx.version() as u32) | (u32::from(tx.is_overwintered()) << 31);
    data.extend_from_slice(&header.to_le_bytes());
    data.extend_from_slice(&tx.version_group_id().to_le_bytes());
    data.extend_from_slice(&prevouts);
    data.extend_from_slice(&sequences);
    data.extend_from_slice(&outputs);
    data.extend_from_slice(&join_splits);
    if version == SigVersion::Sapling {
        let spends = if tx.shielded_spend_count() > 0 {
            digests.shielded_spends
        } else {
            zero
        };
        let outputs = if tx.shielded_output_count() > 0 {
            digests.shielded_outputs
        } else {
            zero
        };
        data.extend_from_slice(&spends);
        data.extend_from_slice(&outputs);
    }
    data.extend_from_slice(&tx.lock_time().to_le_bytes());
    data.extend_from_slice(&tx.expiry_height().to_le_bytes());
    if version == SigVersion::Sapling {
        data.extend_from_slice(&tx.value_balance().to_le_bytes());
    }
    data.extend_from_slice(&hash_type.to_le_bytes());
    if let Some(input) = input {
        push_prevout(&mut data, tx.input_prevout(input.index));
        push_script(&mut data, input.script_code);
        data.extend_from_slice(&input.amount.to_le_bytes());
        data.extend_from_slice(&tx.input_sequence(input.index).to_le_bytes());
    }

    let mut personal = [0u8; 16];
    personal[..12].copy_from_slice(b"ZcashSigHash");
    personal[12..].copy_from_slice(&consensus_branch_id.to_le_bytes());
    blake2b_256(&personal, &data)
}

/// The legacy algorithm (`CTransactionSignatureSerializer` + `CHashWriter`).
fn legacy(
    tx: &impl SighashTransaction,
    input: Option<SignedInput<'_>>,
    hash_type: u32,
) -> Result<[u8; 32], SighashError> {
    let base_type = hash_type & 0x1f;
    let single = base_type == SIGHASH_SINGLE;
    let none = base_type == SIGHASH_NONE;
    let anyone_can_pay = hash_type & SIGHASH_ANYONECANPAY != 0;
    // fluxd's legacy serializer asserts a real input; NOT_AN_INPUT never reaches it for
    // transactions without JoinSplits, and JoinSplit signatures of v2 transactions hash the
    // input-free form below with every scriptSig blanked.
    let signed_index = input.map(|i| i.index);
    if single {
        let index = signed_index.unwrap_or(usize::MAX);
        if index >= tx.output_count() {
            return Err(SighashError::SingleWithoutOutput {
                index,
                outputs: tx.output_count(),
            });
        }
    }

    let mut data = Vec::with_capacity(256);
    data.extend_from_slice(&tx.version().to_le_bytes());
    let inputs: Vec<usize> = match (anyone_can_pay, signed_index) {
        (true, Some(index)) => alloc::vec![index],
        _ => (0..tx.input_count()).collect(),
    };
    push_compact_size(&mut data, inputs.len());
    for index in inputs {
        push_prevout(&mut data, tx.input_prevout(index));
        match input {
            Some(signed) if signed.index == index => push_script(&mut data, signed.script_code),
            _ => push_script(&mut data, &[]),
        }
        let others_free = Some(index) != signed_index && (single || none);
        let sequence = if others_free {
            0
        } else {
            tx.input_sequence(index)
        };
        data.extend_from_slice(&sequence.to_le_bytes());
    }
    let output_count = if none {
        0
    } else if single {
        signed_index.map_or(0, |i| i + 1)
    } else {
        tx.output_count()
    };
    push_compact_size(&mut data, output_count);
    for index in 0..output_count {
        if single && Some(index) != signed_index {
            // `CTxOut()`: value -1, empty script.
            push_output(&mut data, (-1, &[]));
        } else {
            push_output(&mut data, tx.output(index));
        }
    }
    data.extend_from_slice(&tx.lock_time().to_le_bytes());
    if tx.version() >= 2 {
        push_compact_size(&mut data, tx.join_split_count());
        tx.write_join_splits(&mut data);
        if tx.join_split_count() > 0 {
            data.extend_from_slice(&tx.join_split_pub_key());
            data.extend_from_slice(&[0u8; 64]);
        }
    }
    data.extend_from_slice(&hash_type.to_le_bytes());
    Ok(sha256d(&data))
}
