//! Signing and verifying transparent inputs: the daemon's `TransactionSignatureChecker`
//! (`src/script/interpreter.cpp:1272-1344`) plugged into the script interpreter, ECDSA signing
//! with RFC 6979 nonces and low S, and the standard scriptSigs (P2PKH, P2SH multisig).

use alloc::vec::Vec;

use crate::keys::PrivateKey;
use crate::script::interpreter::{
    LOCKTIME_THRESHOLD, ScriptError, SignatureChecker, VerifyFlags, verify_script,
};
use crate::script::opcodes::OP_0;
use crate::script::standard::push_data;
use crate::sighash::{
    PrecomputedDigests, SighashError, SighashTransaction, SignedInput, signature_hash_with,
};

/// A transaction whose transparent inputs can be verified: the sighash view plus each input's
/// scriptSig.
pub trait VerifiableTransaction: SighashTransaction {
    /// The scriptSig of input `index`.
    fn input_script_sig(&self, index: usize) -> &[u8];
}

/// `nSequence` of a final input (`CTxIn::SEQUENCE_FINAL`).
pub const SEQUENCE_FINAL: u32 = 0xffff_ffff;

/// Checks signatures for one input of a transaction (`TransactionSignatureChecker`).
#[derive(Debug, Clone, Copy)]
pub struct TransactionChecker<'a, T: SighashTransaction> {
    tx: &'a T,
    index: usize,
    amount: i64,
    consensus_branch_id: u32,
    precomputed: Option<&'a PrecomputedDigests>,
}

impl<'a, T: SighashTransaction> TransactionChecker<'a, T> {
    /// A checker for input `index` spending an output worth `amount` zatoshis, hashing with
    /// `consensus_branch_id` (the branch id at the height the transaction is mined at).
    pub const fn new(tx: &'a T, index: usize, amount: i64, consensus_branch_id: u32) -> Self {
        TransactionChecker {
            tx,
            index,
            amount,
            consensus_branch_id,
            precomputed: None,
        }
    }

    /// Reuses digests computed once for the whole transaction.
    pub const fn with_precomputed(mut self, precomputed: &'a PrecomputedDigests) -> Self {
        self.precomputed = Some(precomputed);
        self
    }
}

/// `CPubKey::IsValid` then `secp256k1_ec_pubkey_parse` (`pubkey.cpp:14-21`).
fn parse_public_key(bytes: &[u8]) -> Option<secp256k1::PublicKey> {
    let expected = match bytes.first()? {
        0x02 | 0x03 => 33,
        0x04 | 0x06 | 0x07 => 65,
        _ => return None,
    };
    if bytes.len() != expected {
        return None;
    }
    secp256k1::PublicKey::from_slice(bytes).ok()
}

/// `CPubKey::Verify` (`pubkey.cpp:14-33`): strict DER, S normalized before verification.
pub fn verify_ecdsa(public_key: &[u8], der: &[u8], digest: [u8; 32]) -> bool {
    let Some(key) = parse_public_key(public_key) else {
        return false;
    };
    let Ok(mut signature) = secp256k1::ecdsa::Signature::from_der(der) else {
        return false;
    };
    signature.normalize_s();
    secp256k1::ecdsa::verify(&signature, secp256k1::Message::from_digest(digest), &key).is_ok()
}

impl<T: SighashTransaction> SignatureChecker for TransactionChecker<'_, T> {
    fn check_sig(&self, signature: &[u8], public_key: &[u8], script_code: &[u8]) -> bool {
        let Some((&hash_type, der)) = signature.split_last() else {
            return false;
        };
        if parse_public_key(public_key).is_none() {
            return false;
        }
        let input = SignedInput {
            index: self.index,
            script_code,
            amount: self.amount,
        };
        match signature_hash_with(
            self.tx,
            Some(input),
            u32::from(hash_type),
            self.consensus_branch_id,
            self.precomputed,
        ) {
            Ok(digest) => verify_ecdsa(public_key, der, digest),
            Err(_) => false,
        }
    }

    fn check_lock_time(&self, lock_time: i64) -> bool {
        let tx_lock_time = i64::from(self.tx.lock_time());
        let same_kind = (tx_lock_time < LOCKTIME_THRESHOLD) == (lock_time < LOCKTIME_THRESHOLD);
        same_kind
            && lock_time <= tx_lock_time
            && self.tx.input_sequence(self.index) != SEQUENCE_FINAL
    }
}

/// Why an input could not be verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyInputError {
    /// The input index is out of range.
    #[error("input {index} does not exist ({inputs} inputs)")]
    NoSuchInput {
        /// The index asked for.
        index: usize,
        /// Number of inputs.
        inputs: usize,
    },
    /// The scripts failed.
    #[error("input {index}: {error}")]
    Script {
        /// The input index.
        index: usize,
        /// Why its scripts failed.
        error: ScriptError,
    },
}

/// Verifies input `index` against the output it spends (`VerifyScript` with a
/// `TransactionSignatureChecker`, as `CScriptCheck` runs it).
///
/// # Errors
/// [`VerifyInputError`] naming the failed rule.
pub fn verify_input(
    tx: &impl VerifiableTransaction,
    index: usize,
    spent_script_pubkey: &[u8],
    spent_amount: i64,
    flags: VerifyFlags,
    consensus_branch_id: u32,
) -> Result<(), VerifyInputError> {
    verify_input_with(
        tx,
        index,
        spent_script_pubkey,
        spent_amount,
        flags,
        consensus_branch_id,
        None,
    )
}

/// [`verify_input`] reusing digests computed once for the transaction
/// ([`PrecomputedDigests::new`]): what a node verifying every input of a large transaction
/// does (`PrecomputedTransactionData`).
///
/// # Errors
/// As [`verify_input`].
pub fn verify_input_with(
    tx: &impl VerifiableTransaction,
    index: usize,
    spent_script_pubkey: &[u8],
    spent_amount: i64,
    flags: VerifyFlags,
    consensus_branch_id: u32,
    precomputed: Option<&PrecomputedDigests>,
) -> Result<(), VerifyInputError> {
    if index >= tx.input_count() {
        return Err(VerifyInputError::NoSuchInput {
            index,
            inputs: tx.input_count(),
        });
    }
    let mut checker = TransactionChecker::new(tx, index, spent_amount, consensus_branch_id);
    if let Some(precomputed) = precomputed {
        checker = checker.with_precomputed(precomputed);
    }
    verify_script(
        tx.input_script_sig(index),
        spent_script_pubkey,
        flags,
        &checker,
    )
    .map_err(|error| VerifyInputError::Script { index, error })
}

/// Signs input `index` (`CreateSig`, `script/sign.cpp`): the DER signature with the hash-type
/// byte appended. The nonce is RFC 6979 and S is low, so signing is deterministic and the
/// result passes `SCRIPT_VERIFY_LOW_S`.
///
/// # Errors
/// [`SighashError`] if no signature hash exists for the request.
pub fn sign_input(
    tx: &impl SighashTransaction,
    input: SignedInput<'_>,
    hash_type: u8,
    consensus_branch_id: u32,
    key: &PrivateKey,
) -> Result<Vec<u8>, SighashError> {
    sign_input_with(tx, input, hash_type, consensus_branch_id, key, None)
}

/// [`sign_input`] reusing digests computed once for the transaction: signing every input of an
/// n-input transaction then hashes its prevouts once instead of n times.
///
/// # Errors
/// As [`sign_input`].
pub fn sign_input_with(
    tx: &impl SighashTransaction,
    input: SignedInput<'_>,
    hash_type: u8,
    consensus_branch_id: u32,
    key: &PrivateKey,
    precomputed: Option<&PrecomputedDigests>,
) -> Result<Vec<u8>, SighashError> {
    let digest = signature_hash_with(
        tx,
        Some(input),
        u32::from(hash_type),
        consensus_branch_id,
        precomputed,
    )?;
    let mut signature = key.sign_digest(digest).serialize_der().to_vec();
    signature.push(hash_type);
    Ok(signature)
}

/// `<signature> <public key>`: the scriptSig spending a P2PKH output.
pub fn p2pkh_script_sig(signature: &[u8], public_key: &[u8]) -> Vec<u8> {
    let mut script = Vec::with_capacity(signature.len() + public_key.len() + 2);
    push_data(&mut script, signature);
    push_data(&mut script, public_key);
    script
}

/// `OP_0 <signature>… <redeem script>`: the scriptSig spending a P2SH multisig output, with the
/// empty dummy element `NULLDUMMY` requires and the signatures in key order.
pub fn p2sh_multisig_script_sig(signatures: &[&[u8]], redeem_script: &[u8]) -> Vec<u8> {
    let mut script = Vec::with_capacity(1 + signatures.len() * 74 + redeem_script.len() + 3);
    script.push(OP_0);
    for signature in signatures {
        push_data(&mut script, signature);
    }
    push_data(&mut script, redeem_script);
    script
}
