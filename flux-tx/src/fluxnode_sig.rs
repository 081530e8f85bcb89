//! Signatures inside fluxnode START and CONFIRM transactions (tx versions 5 and 6).
//!
//! Fluxnode transactions have no inputs, so no signature hash: their signatures are compact
//! message signatures with the daemon's message magic (`CObfuScationSigner`,
//! fluxd `src/fluxnode/obfuscation.cpp:54-84`) over text built from the transaction
//! (`CheckFluxnodeTxSignatures`, `src/fluxnode/fluxnode.cpp:88-205`):
//!
//! - START: the transaction's txid in display hex (`GetHash().GetHex()`; the txid of a fluxnode
//!   transaction is computed without its signature fields), signed by the collateral key, by one
//!   of the keys of the P2SH redeem script (version 6 P2SH nodes), or by a registered delegate;
//! - CONFIRM: `COutPoint(<first 10 hex digits of the txid>, <n>)<n><update type><sig time>`,
//!   signed by the node key announced in the START;
//! - the benchmark signature of a CONFIRM: the node signature's raw bytes followed by
//!   `<benchmark tier><benchmark sig time><ip>`, signed by the benchmark key in force
//!   (`CheckBenchmarkSignature`, `fluxnode.cpp:186-202`).
//!
//! Verification recovers the key from the signature and compares its HASH160 with the
//! expected key's (`pubkey2.GetID() == pubkey.GetID()`), so the compression flag in the
//! signature header must match the expected key's form.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write as _;

use crate::fluxnode::{CollateralSigner, FluxnodeConfirm, FluxnodeStart};
use crate::keys::{PrivateKey, hash160};
use crate::message::{self, COMPACT_SIGNATURE_SIZE, MessageMagic, MessageSignature};
use crate::script::standard::{ScriptTemplate, classify};

/// Why a fluxnode signature does not verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NodeSignatureError {
    /// The signature is not 65 bytes (`RecoverCompact` fails: "Error recovering public key").
    #[error("fluxnode signature is {length} bytes, a compact signature has 65")]
    SignatureLength {
        /// Its length.
        length: usize,
    },
    /// No key can be recovered from the signature and message.
    #[error("no public key can be recovered from the fluxnode signature")]
    Unrecoverable,
    /// The recovered key is not the expected one ("keys don't match").
    #[error("fluxnode signature was made by another key")]
    WrongSigner,
    /// The P2SH redeem script is not a multisig script with at least one valid-length key
    /// (`fluxnode-tx-p2shnodes-listpubkeys-failed-to-list-keys`).
    #[error("P2SH fluxnode redeem script lists no multisig keys")]
    NotMultisig,
    /// A START signed as a delegate whose signature is by none of the delegate keys stored
    /// for its collateral, or whose collateral has none
    /// (`fluxnode-tx-signing-as-delegate-failed-to-verify`, `fluxnode.cpp:105-121`).
    #[error(
        "START signed as a delegate by a key not among the collateral's delegates (fluxnode-tx-signing-as-delegate-failed-to-verify)"
    )]
    DelegateNotAuthorized,
}

/// Which key signed a START ([`verify_start`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StartSigner {
    /// The collateral public key of a pubkey-collateral START.
    CollateralKey,
    /// The key at this position among the redeem script's valid keys (P2SH START).
    RedeemScriptKey(usize),
    /// The stored delegate key at this position (a START signed as a delegate).
    Delegate(usize),
}

/// Display hex of a 32-byte hash in internal order (`uint256::GetHex`: bytes reversed).
pub fn display_hex(hash: &[u8; 32]) -> String {
    let mut out = String::with_capacity(64);
    for byte in hash.iter().rev() {
        // Writing to a String cannot fail.
        let _ = write!(out, "{byte:02x}");
    }
    out
}

/// The text a START transaction's signature covers: its txid (internal byte order) in display hex.
pub fn start_message(txid: &[u8; 32]) -> String {
    display_hex(txid)
}

/// The text a CONFIRM transaction's signature covers
/// (`collateralIn.ToString() + to_string(collateralIn.n) + to_string(nUpdateType) + to_string(sigTime)`,
/// with `COutPoint::ToString()` = `COutPoint(<hash.ToString().substr(0,10)>, <n>)`,
/// `primitives/transaction.cpp:141-144`).
pub fn confirm_message(
    collateral_txid: &[u8; 32],
    collateral_index: u32,
    update_type: i8,
    sig_time: u32,
) -> String {
    let hex = display_hex(collateral_txid);
    alloc::format!(
        "COutPoint({}, {collateral_index}){collateral_index}{update_type}{sig_time}",
        &hex[..10]
    )
}

/// The bytes a CONFIRM's benchmark signature covers: the node signature's raw bytes, then
/// `to_string(benchmarkTier) + to_string(benchmarkSigTime) + ip`.
pub fn benchmark_message(
    node_signature: &[u8],
    benchmark_tier: i8,
    benchmark_sig_time: u32,
    ip: &str,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(node_signature.len() + ip.len() + 16);
    out.extend_from_slice(node_signature);
    out.extend_from_slice(alloc::format!("{benchmark_tier}{benchmark_sig_time}{ip}").as_bytes());
    out
}

/// Signs a fluxnode message like `CObfuScationSigner::SignMessage` (daemon magic, compact
/// signature with the key's compression flag).
pub fn sign_node_message(key: &PrivateKey, message: &[u8]) -> [u8; COMPACT_SIGNATURE_SIZE] {
    *message::sign_message(key, message, MessageMagic::Flux).as_bytes()
}

/// Verifies a fluxnode message signature against the expected public key's bytes
/// (`CObfuScationSigner::VerifyMessage`).
///
/// # Errors
/// [`NodeSignatureError::SignatureLength`], [`NodeSignatureError::Unrecoverable`] or
/// [`NodeSignatureError::WrongSigner`].
pub fn verify_node_message(
    public_key: &[u8],
    signature: &[u8],
    message: &[u8],
) -> Result<(), NodeSignatureError> {
    let bytes: [u8; COMPACT_SIGNATURE_SIZE] =
        signature
            .try_into()
            .map_err(|_| NodeSignatureError::SignatureLength {
                length: signature.len(),
            })?;
    let recovered = MessageSignature::from_bytes(bytes)
        .recover(message::message_hash(MessageMagic::Flux, message))
        .map_err(|_| NodeSignatureError::Unrecoverable)?;
    if recovered.pubkey_hash() == hash160(public_key) {
        Ok(())
    } else {
        Err(NodeSignatureError::WrongSigner)
    }
}

/// The keys of a multisig redeem script fluxd tries for a P2SH START
/// (`ListPubKeysFromMultiSigScript`, `script/standard.cpp:291-323`: keys whose length does not
/// fit their first byte are skipped).
///
/// # Errors
/// [`NodeSignatureError::NotMultisig`] when the script is not multisig or lists no such key.
pub fn redeem_script_keys(redeem_script: &[u8]) -> Result<Vec<Vec<u8>>, NodeSignatureError> {
    let ScriptTemplate::Multisig { keys, .. } = classify(redeem_script) else {
        return Err(NodeSignatureError::NotMultisig);
    };
    let valid_keys: Vec<Vec<u8>> = keys
        .into_iter()
        .filter(|k| match k[0] {
            0x02 | 0x03 => k.len() == 33,
            0x04 | 0x06 | 0x07 => k.len() == 65,
            _ => false,
        })
        .collect();
    if valid_keys.is_empty() {
        return Err(NodeSignatureError::NotMultisig);
    }
    Ok(valid_keys)
}

/// Which of `keys` signed `message`: the first that verifies, or the error of the last tried.
fn first_signer(
    keys: &[Vec<u8>],
    signature: &[u8],
    message: &[u8],
) -> Result<usize, NodeSignatureError> {
    let mut last = NodeSignatureError::WrongSigner;
    for (index, key) in keys.iter().enumerate() {
        match verify_node_message(key, signature, message) {
            Ok(()) => return Ok(index),
            Err(error) => last = error,
        }
    }
    Err(last)
}

/// Verifies a P2SH (version 6) START signature: any key of the multisig redeem script may have
/// signed (`fluxnode.cpp:127-145`; keys whose length does not fit their prefix are skipped, as
/// `ListPubKeysFromMultiSigScript` does). One signature is enough, whatever the script's `m`.
///
/// # Errors
/// [`NodeSignatureError::NotMultisig`], or the error of the last key tried.
pub fn verify_p2sh_start(
    redeem_script: &[u8],
    signature: &[u8],
    txid: &[u8; 32],
) -> Result<(), NodeSignatureError> {
    let keys = redeem_script_keys(redeem_script)?;
    first_signer(&keys, signature, start_message(txid).as_bytes()).map(|_| ())
}

/// `CheckFluxnodeTxSignatures` for a START (`fluxnode.cpp:88-150`), given its txid and the
/// delegate keys a previous UPDATE START stored for its collateral (`None` when there are none):
///
/// - a START signed as a delegate (valid SIGNING delegate data) must be signed by one of the
///   stored delegate keys;
/// - otherwise a version 6 P2SH START by any key of its redeem script;
/// - otherwise by its collateral public key (an UPDATE START too: only the owner may change the
///   delegates). A P2SH layout whose internal version has both type bits has no collateral key
///   in fluxd, so it never verifies.
///
/// # Errors
/// [`NodeSignatureError::DelegateNotAuthorized`], [`NodeSignatureError::NotMultisig`], or the
/// error of the key tried last.
///
/// # Example
/// ```
/// use flux_tx::builder::fluxnode::{CollateralOwner, DelegateRole, StartTemplate};
/// use flux_tx::fluxnode::FluxnodeTx;
/// use flux_tx::fluxnode_sig::{StartSigner, verify_start};
/// use flux_tx::keys::PrivateKey;
/// use flux_tx::{OutPoint, Txid};
///
/// let owner = PrivateKey::from_secret_bytes([1; 32], true)?;
/// let delegate = PrivateKey::from_secret_bytes([2; 32], true)?;
/// let node = PrivateKey::from_secret_bytes([3; 32], true)?;
/// let collateral = OutPoint { txid: Txid([9; 32]), index: 0 };
/// // A START signed by a delegate of the node, once its owner stored that delegate.
/// let start = StartTemplate {
///     collateral,
///     owner: CollateralOwner::PubKey(owner.public_key()),
///     node_public_key: node.public_key(),
///     sig_time: 1_760_000_000,
///     delegates: DelegateRole::Signing,
///     pon_active: true,
/// }
/// .build()?
/// .sign(&delegate)?;
/// let Some(FluxnodeTx::Start(body)) = start.fluxnode() else { unreachable!() };
/// let stored = vec![delegate.public_key().to_bytes()];
/// assert_eq!(verify_start(body, &start.txid().0, Some(&stored)), Ok(StartSigner::Delegate(0)));
/// assert!(verify_start(body, &start.txid().0, None).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn verify_start(
    start: &FluxnodeStart,
    txid: &[u8; 32],
    stored_delegates: Option<&[Vec<u8>]>,
) -> Result<StartSigner, NodeSignatureError> {
    let message = start_message(txid);
    if start.is_signing_as_delegate() {
        return match stored_delegates {
            Some(keys) => first_signer(keys, &start.sig, message.as_bytes())
                .map(StartSigner::Delegate)
                .map_err(|_| NodeSignatureError::DelegateNotAuthorized),
            None => Err(NodeSignatureError::DelegateNotAuthorized),
        };
    }
    if start.is_upgraded_p2sh() {
        let CollateralSigner::P2sh(redeem_script) = &start.signer else {
            return Err(NodeSignatureError::NotMultisig);
        };
        let keys = redeem_script_keys(redeem_script.as_bytes())?;
        return first_signer(&keys, &start.sig, message.as_bytes())
            .map(StartSigner::RedeemScriptKey);
    }
    let collateral_key: &[u8] = match &start.signer {
        CollateralSigner::PubKey(key) => key,
        CollateralSigner::P2sh(_) => &[],
    };
    verify_node_message(collateral_key, &start.sig, message.as_bytes())
        .map(|()| StartSigner::CollateralKey)
}

/// Verifies a CONFIRM's node signature against the node key its START announced
/// (`CheckFluxnodeTxSignatures`, `fluxnode.cpp:150-170`).
///
/// # Errors
/// As [`verify_node_message`].
pub fn verify_confirm(
    confirm: &FluxnodeConfirm,
    node_public_key: &[u8],
) -> Result<(), NodeSignatureError> {
    let message = confirm_message(
        &confirm.collateral.txid.0,
        confirm.collateral.index,
        confirm.update_type,
        confirm.sig_time,
    );
    verify_node_message(node_public_key, &confirm.sig, message.as_bytes())
}

/// Verifies a CONFIRM's benchmark countersignature against the benchmark key in force
/// (`CheckBenchmarkSignature`, `fluxnode.cpp:186-202`; which key is in force is the network's
/// table, the caller's to pick).
///
/// # Errors
/// As [`verify_node_message`].
pub fn verify_benchmark(
    confirm: &FluxnodeConfirm,
    benchmark_public_key: &[u8],
) -> Result<(), NodeSignatureError> {
    let mut message = confirm.sig.clone();
    message.extend_from_slice(
        alloc::format!("{}{}", confirm.benchmark_tier, confirm.benchmark_sig_time).as_bytes(),
    );
    message.extend_from_slice(&confirm.ip);
    verify_node_message(benchmark_public_key, &confirm.benchmark_sig, &message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_texts_follow_the_daemon_formats() {
        let mut txid = [0u8; 32];
        txid[31] = 0xab; // displayed first
        txid[0] = 0x01; // displayed last
        let hex = display_hex(&txid);
        assert!(hex.starts_with("ab00") && hex.ends_with("01"));
        assert_eq!(
            confirm_message(&txid, 1, 0, 1_650_000_000),
            "COutPoint(ab00000000, 1)101650000000"
        );
        assert_eq!(
            confirm_message(&txid, 0, -1, 5),
            "COutPoint(ab00000000, 0)0-15"
        );
        let mut want = alloc::vec![0xff, 0x00];
        want.extend_from_slice(b"271.2.3.4:16125");
        assert_eq!(
            benchmark_message(&[0xff, 0x00], 2, 7, "1.2.3.4:16125"),
            want
        );
    }

    #[test]
    fn node_signatures_round_trip() {
        let key = PrivateKey::from_secret_bytes([0x33; 32], true).unwrap();
        let public = key.public_key().to_bytes();
        let message = confirm_message(&[7; 32], 0, 0, 1);
        let signature = sign_node_message(&key, message.as_bytes());
        assert_eq!(
            verify_node_message(&public, &signature, message.as_bytes()),
            Ok(())
        );
        assert_eq!(
            verify_node_message(&public, &signature, b"other"),
            Err(NodeSignatureError::WrongSigner)
        );
        assert_eq!(
            verify_node_message(&public, &signature[..64], message.as_bytes()),
            Err(NodeSignatureError::SignatureLength { length: 64 })
        );
        // The uncompressed form of the same key is another key ID.
        let uncompressed = PrivateKey::from_secret_bytes([0x33; 32], false)
            .unwrap()
            .public_key()
            .to_bytes();
        assert_eq!(
            verify_node_message(&uncompressed, &signature, message.as_bytes()),
            Err(NodeSignatureError::WrongSigner)
        );
    }

    #[test]
    fn p2sh_start_accepts_any_multisig_key() {
        let keys =
            [0x41u8, 0x42, 0x43].map(|b| PrivateKey::from_secret_bytes([b; 32], true).unwrap());
        let public: Vec<Vec<u8>> = keys.iter().map(|k| k.public_key().to_bytes()).collect();
        let refs: Vec<&[u8]> = public.iter().map(Vec::as_slice).collect();
        let redeem = crate::script::standard::multisig(2, &refs).unwrap();
        let txid = [0x5a; 32];
        for key in &keys {
            let signature = sign_node_message(key, start_message(&txid).as_bytes());
            assert_eq!(verify_p2sh_start(&redeem, &signature, &txid), Ok(()));
        }
        let outsider = PrivateKey::from_secret_bytes([0x44; 32], true).unwrap();
        let signature = sign_node_message(&outsider, start_message(&txid).as_bytes());
        assert_eq!(
            verify_p2sh_start(&redeem, &signature, &txid),
            Err(NodeSignatureError::WrongSigner)
        );
        assert_eq!(
            verify_p2sh_start(&[0x51], &signature, &txid),
            Err(NodeSignatureError::NotMultisig)
        );
    }
}
