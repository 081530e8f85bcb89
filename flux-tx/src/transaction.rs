//! Transactions as `CTransaction::SerializationOp` (`primitives/transaction.h:720-850`) lays them
//! out: v1/v2 (Sprout), v3 Overwinter and v4 Sapling with their version group ids, and the
//! fluxnode transactions (version 5, and version 6 with P2SH nodes and delegates; see
//! [`crate::fluxnode`]).
//!
//! Shielded parts are decoded into typed structures and re-encoded byte for byte; they are not
//! validated here. The txid is the double SHA-256 of the encoding, except that fluxnode
//! transactions hash without their signatures (`SER_GETHASH`), as the daemon does.

use alloc::vec::Vec;

use crate::amount::Amount;
use crate::encode::{
    DecodeError, FluxDecode, FluxEncode, read_array, read_bytes, read_list, write_bytes, write_list,
};
use crate::fluxnode::{FLUXNODE_TX_UPGRADEABLE_VERSION, FLUXNODE_TX_VERSION, FluxnodeTx};
use crate::hash::Txid;
use crate::keys::sha256d;
use crate::script::Script;

pub use crate::outpoint::OutPoint;

/// `OVERWINTER_TX_VERSION`.
pub const OVERWINTER_TX_VERSION: i32 = 3;
/// `SAPLING_TX_VERSION`.
pub const SAPLING_TX_VERSION: i32 = 4;
/// Overwinter (v3) version group id (`OVERWINTER_VERSION_GROUP_ID`, `primitives/transaction.h:609`).
pub const OVERWINTER_VERSION_GROUP_ID: u32 = 0x03c4_8270;
/// Sapling (v4) version group id (`SAPLING_VERSION_GROUP_ID`, `primitives/transaction.h:613`).
pub const SAPLING_VERSION_GROUP_ID: u32 = 0x892f_2085;

/// A transparent input (`CTxIn`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TxIn {
    /// The output spent.
    pub prevout: OutPoint,
    /// The unlocking script.
    pub script_sig: Script,
    /// `nSequence`.
    pub sequence: u32,
}

impl FluxEncode for TxIn {
    fn flux_encode(&self, out: &mut Vec<u8>) {
        self.prevout.flux_encode(out);
        write_bytes(out, self.script_sig.as_bytes());
        self.sequence.flux_encode(out);
    }
}

impl FluxDecode for TxIn {
    fn flux_decode(input: &mut &[u8]) -> Result<TxIn, DecodeError> {
        Ok(TxIn {
            prevout: OutPoint::flux_decode(input)?,
            script_sig: Script::from(read_bytes(input, "scriptSig")?),
            sequence: u32::flux_decode(input)?,
        })
    }
}

/// A transparent output (`CTxOut`). The value is kept as the signed 64-bit integer on the wire so
/// that any transaction re-encodes byte for byte; [`TxOut::amount`] applies `MoneyRange`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TxOut {
    /// `nValue` in zatoshis, as serialized.
    pub value: i64,
    /// The locking script.
    pub script_pubkey: Script,
}

impl TxOut {
    /// An output paying `amount` to `script_pubkey`.
    pub fn new(amount: Amount, script_pubkey: Script) -> TxOut {
        TxOut {
            value: amount.zat(),
            script_pubkey,
        }
    }

    /// The value if it is in `0..=MAX_MONEY` (`CheckTransaction`'s per-output rule).
    pub fn amount(&self) -> Option<Amount> {
        Amount::from_zat(self.value)
    }
}

impl FluxEncode for TxOut {
    fn flux_encode(&self, out: &mut Vec<u8>) {
        self.value.flux_encode(out);
        write_bytes(out, self.script_pubkey.as_bytes());
    }
}

impl FluxDecode for TxOut {
    fn flux_decode(input: &mut &[u8]) -> Result<TxOut, DecodeError> {
        Ok(TxOut {
            value: i64::flux_decode(input)?,
            script_pubkey: Script::from(read_bytes(input, "scriptPubKey")?),
        })
    }
}

/// A Sapling spend (`SpendDescription`): 384 bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SpendDescription {
    /// Value commitment.
    pub cv: [u8; 32],
    /// Note commitment tree root.
    pub anchor: [u8; 32],
    /// Nullifier.
    pub nullifier: [u8; 32],
    /// Randomized public key.
    pub rk: [u8; 32],
    /// Groth16 proof.
    pub zkproof: [u8; 192],
    /// Spend authorization signature.
    pub spend_auth_sig: [u8; 64],
}

impl SpendDescription {
    /// Serialized size.
    pub const SIZE: usize = 384;

    /// `cv ‖ anchor ‖ nullifier ‖ rk ‖ zkproof`: the part ZIP-243's `hashShieldedSpends` covers.
    pub fn write_without_signature(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.cv);
        out.extend_from_slice(&self.anchor);
        out.extend_from_slice(&self.nullifier);
        out.extend_from_slice(&self.rk);
        out.extend_from_slice(&self.zkproof);
    }
}

impl FluxEncode for SpendDescription {
    fn flux_encode(&self, out: &mut Vec<u8>) {
        self.write_without_signature(out);
        out.extend_from_slice(&self.spend_auth_sig);
    }
}

impl FluxDecode for SpendDescription {
    fn flux_decode(input: &mut &[u8]) -> Result<SpendDescription, DecodeError> {
        Ok(SpendDescription {
            cv: read_array(input)?,
            anchor: read_array(input)?,
            nullifier: read_array(input)?,
            rk: read_array(input)?,
            zkproof: read_array(input)?,
            spend_auth_sig: read_array(input)?,
        })
    }
}

/// A Sapling output (`OutputDescription`): 948 bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OutputDescription {
    /// Value commitment.
    pub cv: [u8; 32],
    /// Note commitment.
    pub cmu: [u8; 32],
    /// Ephemeral public key.
    pub ephemeral_key: [u8; 32],
    /// Encrypted note.
    pub enc_ciphertext: [u8; 580],
    /// Encrypted recovery data.
    pub out_ciphertext: [u8; 80],
    /// Groth16 proof.
    pub zkproof: [u8; 192],
}

impl OutputDescription {
    /// Serialized size.
    pub const SIZE: usize = 948;
}

impl FluxEncode for OutputDescription {
    fn flux_encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.cv);
        out.extend_from_slice(&self.cmu);
        out.extend_from_slice(&self.ephemeral_key);
        out.extend_from_slice(&self.enc_ciphertext);
        out.extend_from_slice(&self.out_ciphertext);
        out.extend_from_slice(&self.zkproof);
    }
}

impl FluxDecode for OutputDescription {
    fn flux_decode(input: &mut &[u8]) -> Result<OutputDescription, DecodeError> {
        Ok(OutputDescription {
            cv: read_array(input)?,
            cmu: read_array(input)?,
            ephemeral_key: read_array(input)?,
            enc_ciphertext: read_array(input)?,
            out_ciphertext: read_array(input)?,
            zkproof: read_array(input)?,
        })
    }
}

/// A JoinSplit proof: PHGR13 (296 bytes) before Sapling, Groth16 (192 bytes) in v4
/// (`useGroth = fOverwintered && nVersion >= SAPLING_TX_VERSION`, `transaction.h:388`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum JoinSplitProof {
    /// PHGR13 (v2, v3).
    Phgr([u8; 296]),
    /// Groth16 (v4).
    Groth([u8; 192]),
}

/// A Sprout JoinSplit (`JSDescription`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct JoinSplit {
    /// Value entering the shielded pool.
    pub vpub_old: i64,
    /// Value leaving the shielded pool.
    pub vpub_new: i64,
    /// Note commitment tree root.
    pub anchor: [u8; 32],
    /// The two nullifiers.
    pub nullifiers: [[u8; 32]; 2],
    /// The two note commitments.
    pub commitments: [[u8; 32]; 2],
    /// Ephemeral key.
    pub ephemeral_key: [u8; 32],
    /// Random seed.
    pub random_seed: [u8; 32],
    /// The two MACs.
    pub macs: [[u8; 32]; 2],
    /// The proof.
    pub proof: JoinSplitProof,
    /// The two note ciphertexts (601 bytes each).
    pub ciphertexts: [[u8; 601]; 2],
}

impl JoinSplit {
    /// Serialized size with a PHGR13 proof.
    pub const SIZE_PHGR: usize = 1802;

    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        self.vpub_old.flux_encode(out);
        self.vpub_new.flux_encode(out);
        out.extend_from_slice(&self.anchor);
        for field in [&self.nullifiers, &self.commitments] {
            for item in field {
                out.extend_from_slice(item);
            }
        }
        out.extend_from_slice(&self.ephemeral_key);
        out.extend_from_slice(&self.random_seed);
        for mac in &self.macs {
            out.extend_from_slice(mac);
        }
        match &self.proof {
            JoinSplitProof::Phgr(proof) => out.extend_from_slice(proof),
            JoinSplitProof::Groth(proof) => out.extend_from_slice(proof),
        }
        for ciphertext in &self.ciphertexts {
            out.extend_from_slice(ciphertext);
        }
    }

    fn decode(input: &mut &[u8], groth: bool) -> Result<JoinSplit, DecodeError> {
        Ok(JoinSplit {
            vpub_old: i64::flux_decode(input)?,
            vpub_new: i64::flux_decode(input)?,
            anchor: read_array(input)?,
            nullifiers: [read_array(input)?, read_array(input)?],
            commitments: [read_array(input)?, read_array(input)?],
            ephemeral_key: read_array(input)?,
            random_seed: read_array(input)?,
            macs: [read_array(input)?, read_array(input)?],
            proof: if groth {
                JoinSplitProof::Groth(read_array(input)?)
            } else {
                JoinSplitProof::Phgr(read_array(input)?)
            },
            ciphertexts: [read_array(input)?, read_array(input)?],
        })
    }
}

/// The Sprout JoinSplits of a v2-v4 transaction with their signing key and signature (present
/// only when there is at least one JoinSplit).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct JoinSplitBundle {
    /// The descriptions (non-empty).
    pub join_splits: Vec<JoinSplit>,
    /// `joinSplitPubKey`.
    pub pub_key: [u8; 32],
    /// `joinSplitSig`.
    pub signature: [u8; 64],
}

/// The Sapling part of a v4 transaction.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct SaplingBundle {
    /// `valueBalance`: shielded value in minus shielded value out.
    pub value_balance: i64,
    /// Spends.
    pub spends: Vec<SpendDescription>,
    /// Outputs.
    pub outputs: Vec<OutputDescription>,
    /// `bindingSig`, present when there is a spend or an output.
    pub binding_sig: Option<[u8; 64]>,
}

/// A transaction that moves value: transparent inputs and outputs plus the shielded parts of its
/// version.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StandardTx {
    /// Transparent inputs.
    pub inputs: Vec<TxIn>,
    /// Transparent outputs.
    pub outputs: Vec<TxOut>,
    /// `nLockTime`.
    pub lock_time: u32,
    /// `nExpiryHeight` (v3, v4; 0 otherwise).
    pub expiry_height: u32,
    /// Sapling spends and outputs (v4 only; empty otherwise).
    pub sapling: SaplingBundle,
    /// Sprout JoinSplits (v2 and later; `None` when there are none).
    pub join_splits: Option<JoinSplitBundle>,
}

/// What a transaction carries.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TxBody {
    /// Inputs, outputs and shielded parts.
    Standard(StandardTx),
    /// A fluxnode START or CONFIRM (versions 5 and 6).
    Fluxnode(FluxnodeTx),
}

/// A transaction (`CTransaction`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Transaction {
    /// `fOverwintered`: bit 31 of the header (v3 and v4).
    pub overwintered: bool,
    /// `nVersion` (the header's low 31 bits).
    pub version: i32,
    /// `nVersionGroupId` (only serialized when overwintered; 0 otherwise).
    pub version_group_id: u32,
    /// The rest.
    pub body: TxBody,
}

/// The smallest possible encoding of a transaction: a fluxnode header and a type byte with
/// nothing after it (5 bytes).
pub(crate) const MIN_TX_SIZE: usize = 5;
/// The smallest input: outpoint, empty script, sequence.
const MIN_TXIN_SIZE: usize = 41;
/// The smallest output: value and empty script.
const MIN_TXOUT_SIZE: usize = 9;

impl Transaction {
    /// The 4-byte header: version with the overwintered flag in bit 31.
    pub fn header(&self) -> u32 {
        (self.version as u32 & 0x7fff_ffff) | (u32::from(self.overwintered) << 31)
    }

    /// A v3 Overwinter transaction (`isOverwinterV3`).
    pub fn is_overwinter_v3(&self) -> bool {
        self.overwintered
            && self.version == OVERWINTER_TX_VERSION
            && self.version_group_id == OVERWINTER_VERSION_GROUP_ID
    }

    /// A v4 Sapling transaction (`isSaplingV4`).
    pub fn is_sapling_v4(&self) -> bool {
        self.overwintered
            && self.version == SAPLING_TX_VERSION
            && self.version_group_id == SAPLING_VERSION_GROUP_ID
    }

    /// The standard body, unless this is a fluxnode transaction.
    pub fn standard(&self) -> Option<&StandardTx> {
        match &self.body {
            TxBody::Standard(tx) => Some(tx),
            TxBody::Fluxnode(_) => None,
        }
    }

    /// The fluxnode body, if this is a fluxnode transaction.
    pub fn fluxnode(&self) -> Option<&FluxnodeTx> {
        match &self.body {
            TxBody::Fluxnode(tx) => Some(tx),
            TxBody::Standard(_) => None,
        }
    }

    /// Transparent inputs (none for fluxnode transactions).
    pub fn inputs(&self) -> &[TxIn] {
        self.standard().map_or(&[], |tx| &tx.inputs)
    }

    /// Transparent outputs (none for fluxnode transactions).
    pub fn outputs(&self) -> &[TxOut] {
        self.standard().map_or(&[], |tx| &tx.outputs)
    }

    /// `IsCoinBase`: exactly one input, spending the null outpoint.
    pub fn is_coinbase(&self) -> bool {
        matches!(self.inputs(), [only] if only.prevout.is_null())
    }

    /// The encoding the txid hashes (`SER_GETHASH`): fluxnode signatures left out.
    pub fn encode_for_hash(&self, out: &mut Vec<u8>) {
        self.encode_with(out, false);
    }

    /// The transaction id.
    pub fn txid(&self) -> Txid {
        let mut bytes = Vec::new();
        self.encode_for_hash(&mut bytes);
        Txid(sha256d(&bytes))
    }

    fn encode_with(&self, out: &mut Vec<u8>, with_signatures: bool) {
        self.header().flux_encode(out);
        if self.overwintered {
            self.version_group_id.flux_encode(out);
        }
        match &self.body {
            TxBody::Fluxnode(node) => node.encode(out, self.version, with_signatures),
            TxBody::Standard(tx) => {
                write_list(out, &tx.inputs);
                write_list(out, &tx.outputs);
                tx.lock_time.flux_encode(out);
                let (v3, v4) = (self.is_overwinter_v3(), self.is_sapling_v4());
                if v3 || v4 {
                    tx.expiry_height.flux_encode(out);
                }
                if v4 {
                    tx.sapling.value_balance.flux_encode(out);
                    write_list(out, &tx.sapling.spends);
                    write_list(out, &tx.sapling.outputs);
                }
                if self.version >= 2 {
                    match &tx.join_splits {
                        Some(bundle) => {
                            crate::encode::write_compact_size(out, bundle.join_splits.len() as u64);
                            for join_split in &bundle.join_splits {
                                join_split.encode(out);
                            }
                            out.extend_from_slice(&bundle.pub_key);
                            out.extend_from_slice(&bundle.signature);
                        }
                        None => crate::encode::write_compact_size(out, 0),
                    }
                }
                if let (true, Some(signature)) = (v4, &tx.sapling.binding_sig) {
                    out.extend_from_slice(signature);
                }
            }
        }
    }
}

impl FluxEncode for Transaction {
    fn flux_encode(&self, out: &mut Vec<u8>) {
        self.encode_with(out, true);
    }
}

impl FluxDecode for Transaction {
    fn flux_decode(input: &mut &[u8]) -> Result<Transaction, DecodeError> {
        let header = u32::flux_decode(input)?;
        let overwintered = header >> 31 == 1;
        let version = (header & 0x7fff_ffff) as i32;
        let version_group_id = if overwintered {
            u32::flux_decode(input)?
        } else {
            0
        };
        let v3 = overwintered
            && version_group_id == OVERWINTER_VERSION_GROUP_ID
            && version == OVERWINTER_TX_VERSION;
        let v4 = overwintered
            && version_group_id == SAPLING_VERSION_GROUP_ID
            && version == SAPLING_TX_VERSION;
        if overwintered && !(v3 || v4) {
            return Err(DecodeError::UnknownTransactionFormat {
                version,
                group_id: version_group_id,
            });
        }
        if version == FLUXNODE_TX_VERSION || version == FLUXNODE_TX_UPGRADEABLE_VERSION {
            return Ok(Transaction {
                overwintered,
                version,
                version_group_id,
                body: TxBody::Fluxnode(FluxnodeTx::decode(input, version)?),
            });
        }
        let inputs = read_list(input, MIN_TXIN_SIZE, "inputs")?;
        let outputs = read_list(input, MIN_TXOUT_SIZE, "outputs")?;
        let lock_time = u32::flux_decode(input)?;
        let expiry_height = if v3 || v4 {
            u32::flux_decode(input)?
        } else {
            0
        };
        let mut sapling = SaplingBundle::default();
        if v4 {
            sapling.value_balance = i64::flux_decode(input)?;
            sapling.spends = read_list(input, SpendDescription::SIZE, "Sapling spends")?;
            sapling.outputs = read_list(input, OutputDescription::SIZE, "Sapling outputs")?;
        }
        let mut join_splits = None;
        if version >= 2 {
            let groth = overwintered && version >= SAPLING_TX_VERSION;
            let min_size = if groth { 1698 } else { JoinSplit::SIZE_PHGR };
            let count = crate::encode::read_count(input, min_size, "JoinSplits")?;
            if count > 0 {
                let mut descriptions = Vec::with_capacity(count);
                for _ in 0..count {
                    descriptions.push(JoinSplit::decode(input, groth)?);
                }
                join_splits = Some(JoinSplitBundle {
                    join_splits: descriptions,
                    pub_key: read_array(input)?,
                    signature: read_array(input)?,
                });
            }
        }
        if v4 && !(sapling.spends.is_empty() && sapling.outputs.is_empty()) {
            sapling.binding_sig = Some(read_array(input)?);
        }
        Ok(Transaction {
            overwintered,
            version,
            version_group_id,
            body: TxBody::Standard(StandardTx {
                inputs,
                outputs,
                lock_time,
                expiry_height,
                sapling,
                join_splits,
            }),
        })
    }
}
