//! Building and signing fluxnode START and CONFIRM transactions, as fluxd's active fluxnode code
//! does (`ActiveFluxnode::BuildDeterministicStartTx` / `SignDeterministicStartTx` and
//! `BuildDeterministicConfirmTx` / `SignDeterministicConfirmTx`, `fluxnode/activefluxnode.cpp`,
//! with the benchmark daemon's countersignature of a CONFIRM).
//!
//! Both are version 5 transactions ([`FLUXNODE_TX_VERSION`]), the layout fluxd's
//! `startfluxnode` builds for a node whose collateral is locked to a public key hash. A fluxnode
//! transaction has no inputs and so no signature hash or branch id: its signatures are message
//! signatures over text made from the transaction (see [`crate::fluxnode_sig`]), identical on
//! every network.
//!
//! The builders apply no consensus rule: whether a START's collateral exists, is deep enough and
//! belongs to the key, whether a CONFIRM's benchmark tier and IP length are acceptable, and when
//! a node may confirm are the chain's rules (`flux-consensus` checks them on the result).
//!
//! ```
//! use flux_tx::builder::fluxnode::{BenchmarkAttestation, build_confirm, build_start};
//! use flux_tx::fluxnode::{FluxnodeTx, UpdateType};
//! use flux_tx::fluxnode_sig::{start_message, verify_node_message};
//! use flux_tx::keys::PrivateKey;
//! use flux_tx::{FluxDecode, FluxEncode, OutPoint, Tier, Transaction, Txid};
//!
//! let collateral_key = PrivateKey::from_secret_bytes([0x11; 32], true).unwrap();
//! let node_key = PrivateKey::from_secret_bytes([0x22; 32], true).unwrap();
//! let benchmark_key = PrivateKey::from_secret_bytes([0x33; 32], true).unwrap();
//! let collateral = OutPoint { txid: Txid([0xab; 32]), index: 0 };
//!
//! // Announce the node: the collateral key signs the START's txid.
//! let start = build_start(collateral, &collateral_key, &node_key.public_key(), 1_700_000_000);
//! let Some(FluxnodeTx::Start(body)) = start.fluxnode() else { unreachable!() };
//! let txid = start.txid();
//! let public = collateral_key.public_key().to_bytes();
//! assert!(verify_node_message(&public, &body.sig, start_message(&txid.0).as_bytes()).is_ok());
//!
//! // Once the chain lists it as started, the node key confirms it.
//! let benchmark = BenchmarkAttestation { key: &benchmark_key, tier: Tier::Cumulus, sig_time: 1_700_000_100 };
//! let confirm = build_confirm(
//!     collateral,
//!     &node_key,
//!     UpdateType::InitialConfirm,
//!     1_700_000_100,
//!     "203.0.113.7:16125",
//!     &benchmark,
//! );
//! assert_eq!(Transaction::decode_exact(&confirm.encoded())?, confirm);
//! # Ok::<(), flux_tx::DecodeError>(())
//! ```

use alloc::string::String;
use alloc::vec::Vec;

use crate::fluxnode::{
    CollateralSigner, Delegates, FLUXNODE_TX_UPGRADEABLE_VERSION, FLUXNODE_TX_VERSION,
    FluxnodeConfirm, FluxnodeStart, FluxnodeTx, MAX_DELEGATE_KEYS, MAX_REDEEM_SCRIPT_SIZE,
    UpdateType, start_internal_version,
};
use crate::fluxnode_sig::{
    benchmark_message, confirm_message, redeem_script_keys, sign_node_message, start_message,
};
use crate::keys::{PrivateKey, PublicKey};
use crate::message::COMPACT_SIGNATURE_SIZE;
use crate::outpoint::OutPoint;
use crate::script::Script;
use crate::transaction::{Transaction, TxBody};
use flux_pow::Tier;

/// The benchmark daemon's part of a CONFIRM: the key in force for the network at `sig_time`
/// countersigns the node's signature with the tier the node benchmarked at
/// (`CheckBenchmarkSignature`, `fluxnode/fluxnode.cpp:186-202`).
#[derive(Debug, Clone, Copy)]
pub struct BenchmarkAttestation<'a> {
    /// The benchmark signing key.
    pub key: &'a PrivateKey,
    /// `benchmarkTier`: the tier the node's hardware passed (on the wire as its number, 1
    /// Cumulus, 2 Nimbus, 3 Stratus).
    pub tier: Tier,
    /// `benchmarkSigTime`.
    pub sig_time: u32,
}

/// The tier as CONFIRM's signed `benchmarkTier` byte: fluxd's tier number (1 to 3, so the cast
/// never wraps).
fn benchmark_tier_byte(tier: Tier) -> i8 {
    tier.number() as i8
}

fn fluxnode_transaction(version: i32, body: FluxnodeTx) -> Transaction {
    Transaction {
        overwintered: false,
        version,
        version_group_id: 0,
        body: TxBody::Fluxnode(body),
    }
}

/// Builds the START that announces `node_public_key` as the node behind `collateral`, signed at
/// `sig_time` by `collateral_key` (the key the collateral output pays to).
///
/// The signature covers the transaction's txid in display hex; the txid leaves the signature out
/// (`SER_GETHASH`), so it is the same before and after signing.
pub fn build_start(
    collateral: OutPoint,
    collateral_key: &PrivateKey,
    node_public_key: &PublicKey,
    sig_time: u32,
) -> Transaction {
    let mut start = FluxnodeStart {
        internal_version: None,
        collateral,
        signer: CollateralSigner::PubKey(collateral_key.public_key().to_bytes()),
        node_pubkey: node_public_key.to_bytes(),
        sig_time,
        sig: Vec::new(),
        delegates: None,
    };
    let txid = fluxnode_transaction(FLUXNODE_TX_VERSION, FluxnodeTx::Start(start.clone())).txid();
    start.sig = sign_node_message(collateral_key, start_message(&txid.0).as_bytes()).to_vec();
    fluxnode_transaction(FLUXNODE_TX_VERSION, FluxnodeTx::Start(start))
}

/// Builds the CONFIRM of the node behind `collateral`: `node_key` (the key its START announced)
/// signs the collateral, the update type and `sig_time`, and `benchmark` countersigns that
/// signature with the node's benchmark tier, its time and `ip` (the address the node announces,
/// `host:port`).
pub fn build_confirm(
    collateral: OutPoint,
    node_key: &PrivateKey,
    update_type: UpdateType,
    sig_time: u32,
    ip: &str,
    benchmark: &BenchmarkAttestation<'_>,
) -> Transaction {
    let update_type = update_type.to_i8();
    let sig = sign_node_message(
        node_key,
        confirm_message(&collateral.txid.0, collateral.index, update_type, sig_time).as_bytes(),
    )
    .to_vec();
    let tier = benchmark_tier_byte(benchmark.tier);
    let benchmark_sig = sign_node_message(
        benchmark.key,
        &benchmark_message(&sig, tier, benchmark.sig_time, ip),
    )
    .to_vec();
    fluxnode_transaction(
        FLUXNODE_TX_VERSION,
        FluxnodeTx::Confirm(FluxnodeConfirm {
            collateral,
            sig_time,
            benchmark_tier: tier,
            benchmark_sig_time: benchmark.sig_time,
            update_type,
            ip: ip.as_bytes().to_vec(),
            sig,
            benchmark_sig,
        }),
    )
}

/// Who owns a START's collateral output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CollateralOwner {
    /// A P2PKH collateral: the public key it pays to (in the form, compressed or not, whose
    /// HASH160 the output holds).
    PubKey(PublicKey),
    /// A P2SH collateral: its multisig redeem script (version 6 only).
    P2sh(Script),
}

/// What a START does about delegates (`CFluxnodeDelegates`, `primitives/transaction.h:92-150`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DelegateRole {
    /// No delegate data: a version 5 START for a pubkey collateral, a version 6 one for P2SH.
    None,
    /// The owner's START makes these (up to four, compressed) keys the node's delegates; an
    /// empty list removes them (`startfluxnodewithdelegates`, `createp2shstarttx` with keys).
    Update(Vec<PublicKey>),
    /// The START is signed by a delegate key stored by an earlier UPDATE
    /// (`startfluxnodeasdelegate`, `startp2shasdelegate`).
    Signing,
}

/// Why a START could not be built or signed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// Delegates exist only from the PON upgrade (`tx-delegates-not-active`).
    #[error("delegates are valid only from the PON upgrade (tx-delegates-not-active)")]
    DelegatesBeforePon,
    /// More than [`MAX_DELEGATE_KEYS`] delegate keys ("Too many delegates. Maximum is 4").
    #[error("{count} delegate keys, at most 4 are allowed")]
    TooManyDelegates {
        /// How many were given.
        count: usize,
    },
    /// A delegate key is uncompressed ("Delegate public key at index N must be compressed").
    #[error("delegate public key at index {index} must be compressed")]
    UncompressedDelegate {
        /// Its position.
        index: usize,
    },
    /// A delegate key is listed twice ("Duplicate delegate public key at index N").
    #[error("duplicate delegate public key at index {index}")]
    DuplicateDelegate {
        /// The position of the repeat.
        index: usize,
    },
    /// The redeem script is not a multisig script with a usable key
    /// (`bad-txns-fluxnode-tx-redeemscript-not-multisig`).
    #[error(
        "P2SH collateral redeem script is not multisig (bad-txns-fluxnode-tx-redeemscript-not-multisig)"
    )]
    NotMultisig,
    /// The redeem script exceeds [`MAX_REDEEM_SCRIPT_SIZE`]
    /// (`bad-txns-fluxnode-tx-redeemscript-to-large`).
    #[error(
        "redeem script of {length} bytes exceeds 10000 (bad-txns-fluxnode-tx-redeemscript-to-large)"
    )]
    RedeemScriptTooLarge {
        /// Its length.
        length: usize,
    },
    /// The signing key may not sign this START: not the collateral key, not a key of the
    /// redeem script (for a delegate-signed START any key is taken: only the chain knows the
    /// stored delegates).
    #[error("the key {key} may not sign this START")]
    KeyNotAuthorized {
        /// The key, as hex.
        key: String,
    },
    /// The transaction is not a START.
    #[error("not a fluxnode START transaction")]
    NotAStart,
    /// A signature that is not 65 bytes.
    #[error("START signature is {length} bytes, a compact signature has 65")]
    SignatureLength {
        /// Its length.
        length: usize,
    },
}

/// Everything a START says, before it is signed. [`StartTemplate::build`] picks the transaction
/// version and internal version as fluxd's RPCs do:
///
/// | owner | delegates | version | internal version before PON / from PON |
/// |---|---|---|---|
/// | pubkey | none | 5 | - |
/// | pubkey | update, signing | 6 | - / `0x0101` |
/// | P2SH | none | 6 | 2 / `0x0002` |
/// | P2SH | update, signing | 6 | - / `0x0102` |
///
/// # Example: a 2-of-3 P2SH collateral whose owners name a delegate
/// ```
/// use flux_tx::builder::fluxnode::{CollateralOwner, DelegateRole, StartTemplate};
/// use flux_tx::fluxnode_sig::{StartSigner, verify_start};
/// use flux_tx::fluxnode::FluxnodeTx;
/// use flux_tx::keys::PrivateKey;
/// use flux_tx::script::standard::multisig;
/// use flux_tx::{FluxDecode, FluxEncode, OutPoint, Script, Transaction, Txid};
///
/// let owners: Vec<PrivateKey> =
///     (1..=3).map(|b| PrivateKey::from_secret_bytes([b; 32], true).unwrap()).collect();
/// let public: Vec<Vec<u8>> = owners.iter().map(|k| k.public_key().to_bytes()).collect();
/// let refs: Vec<&[u8]> = public.iter().map(Vec::as_slice).collect();
/// let redeem = Script::from(multisig(2, &refs)?);
/// let delegate = PrivateKey::from_secret_bytes([7; 32], true)?;
/// let node = PrivateKey::from_secret_bytes([8; 32], true)?;
///
/// let unsigned = StartTemplate {
///     collateral: OutPoint { txid: Txid([0xcd; 32]), index: 1 },
///     owner: CollateralOwner::P2sh(redeem),
///     node_public_key: node.public_key(),
///     sig_time: 1_760_000_000,
///     delegates: DelegateRole::Update(vec![delegate.public_key()]),
///     pon_active: true,
/// }
/// .build()?;
/// // The unsigned hex goes to whichever owner holds a key; one signature is enough.
/// let hex = hex::encode(unsigned.transaction().encoded());
/// let received = Transaction::decode_exact(&hex::decode(hex)?)?;
/// let signed = flux_tx::builder::fluxnode::UnsignedStart::from_transaction(received)?
///     .sign(&owners[2])?;
/// let Some(FluxnodeTx::Start(body)) = signed.fluxnode() else { unreachable!() };
/// assert_eq!(body.internal_version, Some(0x0102));
/// assert_eq!(verify_start(body, &signed.txid().0, None), Ok(StartSigner::RedeemScriptKey(2)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartTemplate {
    /// The collateral output.
    pub collateral: OutPoint,
    /// Who owns it.
    pub owner: CollateralOwner,
    /// The node's key (`pubKey`), which signs its CONFIRMs.
    pub node_public_key: PublicKey,
    /// `sigTime`.
    pub sig_time: u32,
    /// The delegate data.
    pub delegates: DelegateRole,
    /// Whether the PON upgrade is active at the height the START is for (bit-based internal
    /// versions and delegates need it).
    pub pon_active: bool,
}

impl StartTemplate {
    /// The unsigned START.
    ///
    /// # Errors
    /// [`StartError::DelegatesBeforePon`], the delegate key errors, [`StartError::NotMultisig`]
    /// or [`StartError::RedeemScriptTooLarge`].
    pub fn build(&self) -> Result<UnsignedStart, StartError> {
        let delegates = match &self.delegates {
            DelegateRole::None => None,
            DelegateRole::Update(keys) => Some(Delegates::update(delegate_keys(keys)?)),
            DelegateRole::Signing => Some(Delegates::signing()),
        };
        if delegates.is_some() && !self.pon_active {
            return Err(StartError::DelegatesBeforePon);
        }
        let (version, internal_version, signer) = match &self.owner {
            CollateralOwner::PubKey(key) if delegates.is_none() => (
                FLUXNODE_TX_VERSION,
                None,
                CollateralSigner::PubKey(key.to_bytes()),
            ),
            CollateralOwner::PubKey(key) => (
                FLUXNODE_TX_UPGRADEABLE_VERSION,
                Some(start_internal_version(false, true, self.pon_active)),
                CollateralSigner::PubKey(key.to_bytes()),
            ),
            CollateralOwner::P2sh(redeem_script) => {
                if redeem_script.len() > MAX_REDEEM_SCRIPT_SIZE {
                    return Err(StartError::RedeemScriptTooLarge {
                        length: redeem_script.len(),
                    });
                }
                redeem_script_keys(redeem_script.as_bytes())
                    .map_err(|_| StartError::NotMultisig)?;
                (
                    FLUXNODE_TX_UPGRADEABLE_VERSION,
                    Some(start_internal_version(
                        true,
                        delegates.is_some(),
                        self.pon_active,
                    )),
                    CollateralSigner::P2sh(redeem_script.clone()),
                )
            }
        };
        let start = FluxnodeStart {
            internal_version,
            collateral: self.collateral,
            signer,
            node_pubkey: self.node_public_key.to_bytes(),
            sig_time: self.sig_time,
            sig: Vec::new(),
            delegates,
        };
        Ok(UnsignedStart {
            tx: fluxnode_transaction(version, FluxnodeTx::Start(start)),
        })
    }
}

/// fluxd's checks on delegate keys (`startfluxnodewithdelegates`, `rpc/fluxnode.cpp:814-855`):
/// at most four, compressed, no repeats.
fn delegate_keys(keys: &[PublicKey]) -> Result<Vec<Vec<u8>>, StartError> {
    if keys.len() > MAX_DELEGATE_KEYS {
        return Err(StartError::TooManyDelegates { count: keys.len() });
    }
    let mut out: Vec<Vec<u8>> = Vec::with_capacity(keys.len());
    for (index, key) in keys.iter().enumerate() {
        if !key.is_compressed() {
            return Err(StartError::UncompressedDelegate { index });
        }
        let bytes = key.to_bytes();
        if out.contains(&bytes) {
            return Err(StartError::DuplicateDelegate { index });
        }
        out.push(bytes);
    }
    Ok(out)
}

/// A START without its signature: the form one party builds and another (the holder of a
/// collateral, multisig or delegate key) signs. Its txid is final already, since the txid
/// leaves the signature out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsignedStart {
    tx: Transaction,
}

impl UnsignedStart {
    /// Takes a decoded START to sign (any signature it carries is replaced).
    ///
    /// # Errors
    /// [`StartError::NotAStart`].
    pub fn from_transaction(tx: Transaction) -> Result<UnsignedStart, StartError> {
        match tx.fluxnode() {
            Some(FluxnodeTx::Start(_)) => Ok(UnsignedStart { tx }),
            _ => Err(StartError::NotAStart),
        }
    }

    /// The transaction as it stands (an empty signature unless it came signed).
    pub fn transaction(&self) -> &Transaction {
        &self.tx
    }

    fn start(&self) -> &FluxnodeStart {
        match self.tx.fluxnode() {
            Some(FluxnodeTx::Start(start)) => start,
            // `from_transaction` and `build` only hold STARTs.
            _ => unreachable!("UnsignedStart holds a START"),
        }
    }

    /// The txid the signature covers.
    pub fn txid(&self) -> crate::hash::Txid {
        self.tx.txid()
    }

    /// The text the signer signs: the txid in display hex.
    pub fn message(&self) -> String {
        start_message(&self.txid().0)
    }

    /// Signs with `key`, after checking it may: the collateral key of a pubkey START, a key of
    /// the redeem script of a P2SH START, any key for a delegate-signed START (whether it is a
    /// stored delegate only the chain knows).
    ///
    /// # Errors
    /// [`StartError::KeyNotAuthorized`].
    pub fn sign(&self, key: &PrivateKey) -> Result<Transaction, StartError> {
        let public = key.public_key().to_bytes();
        let start = self.start();
        let allowed = if start.is_signing_as_delegate() {
            true
        } else if start.is_upgraded_p2sh() {
            match &start.signer {
                CollateralSigner::P2sh(script) => {
                    redeem_script_keys(script.as_bytes()).is_ok_and(|keys| keys.contains(&public))
                }
                CollateralSigner::PubKey(_) => false,
            }
        } else {
            matches!(&start.signer, CollateralSigner::PubKey(own) if *own == public)
        };
        if !allowed {
            return Err(StartError::KeyNotAuthorized {
                key: hex::encode(&public),
            });
        }
        let signature = sign_node_message(key, self.message().as_bytes());
        self.with_signature(&signature)
    }

    /// Puts a signature made elsewhere (a compact message signature of [`UnsignedStart::message`]
    /// with the Flux message magic) in place.
    ///
    /// # Errors
    /// [`StartError::SignatureLength`] unless it is 65 bytes.
    pub fn with_signature(&self, signature: &[u8]) -> Result<Transaction, StartError> {
        if signature.len() != COMPACT_SIGNATURE_SIZE {
            return Err(StartError::SignatureLength {
                length: signature.len(),
            });
        }
        let mut tx = self.tx.clone();
        if let TxBody::Fluxnode(FluxnodeTx::Start(start)) = &mut tx.body {
            start.sig = signature.to_vec();
        }
        Ok(tx)
    }
}

/// Builds a CONFIRM like [`build_confirm`] in transaction version `tx_version`: fluxd gives a
/// node's CONFIRMs the version of its START (`BuildDeterministicConfirmTx`,
/// `activefluxnode.cpp:383-400`), 5 or 6; the layout is the same.
///
/// # Errors
/// [`ConfirmVersionError`] for any other version.
pub fn build_confirm_version(
    tx_version: i32,
    collateral: OutPoint,
    node_key: &PrivateKey,
    update_type: UpdateType,
    sig_time: u32,
    ip: &str,
    benchmark: &BenchmarkAttestation<'_>,
) -> Result<Transaction, ConfirmVersionError> {
    if tx_version != FLUXNODE_TX_VERSION && tx_version != FLUXNODE_TX_UPGRADEABLE_VERSION {
        return Err(ConfirmVersionError(tx_version));
    }
    let mut tx = build_confirm(collateral, node_key, update_type, sig_time, ip, benchmark);
    tx.version = tx_version;
    Ok(tx)
}

/// A CONFIRM version other than 5 and 6.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("fluxnode transactions are version 5 or 6, not {0}")]
pub struct ConfirmVersionError(pub i32);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encode::{FluxDecode, FluxEncode};
    use crate::fluxnode_sig::{NodeSignatureError, verify_node_message};
    use crate::hash::Txid;

    fn key(byte: u8) -> PrivateKey {
        PrivateKey::from_secret_bytes([byte; 32], true).unwrap()
    }

    fn collateral() -> OutPoint {
        let mut txid = [0u8; 32];
        for (i, byte) in txid.iter_mut().enumerate() {
            *byte = i as u8;
        }
        OutPoint {
            txid: Txid(txid),
            index: 2,
        }
    }

    /// The START layout of `CTransaction::SerializationOp` for version 5
    /// (`primitives/transaction.h:750-770`), written out field by field.
    fn start_bytes(
        collateral: &OutPoint,
        collateral_pubkey: &[u8],
        node_pubkey: &[u8],
        sig_time: u32,
        sig: Option<&[u8]>,
    ) -> Vec<u8> {
        let mut bytes = alloc::vec![0x05, 0x00, 0x00, 0x00, 0x02];
        bytes.extend_from_slice(&collateral.txid.0);
        bytes.extend_from_slice(&collateral.index.to_le_bytes());
        bytes.push(collateral_pubkey.len() as u8);
        bytes.extend_from_slice(collateral_pubkey);
        bytes.push(node_pubkey.len() as u8);
        bytes.extend_from_slice(node_pubkey);
        bytes.extend_from_slice(&sig_time.to_le_bytes());
        if let Some(sig) = sig {
            bytes.push(sig.len() as u8);
            bytes.extend_from_slice(sig);
        }
        bytes
    }

    #[test]
    fn start_has_the_daemon_layout_and_a_collateral_signature_over_its_txid() {
        let (collateral_key, node_key) = (key(0x41), key(0x42));
        let tx = build_start(
            collateral(),
            &collateral_key,
            &node_key.public_key(),
            1_650_000_000,
        );
        let collateral_pubkey = collateral_key.public_key().to_bytes();
        let node_pubkey = node_key.public_key().to_bytes();

        let Some(FluxnodeTx::Start(start)) = tx.fluxnode() else {
            panic!("not a START: {tx:?}");
        };
        let encoded = tx.encoded();
        assert_eq!(
            encoded,
            start_bytes(
                &collateral(),
                &collateral_pubkey,
                &node_pubkey,
                1_650_000_000,
                Some(&start.sig)
            )
        );
        assert_eq!(Transaction::decode_exact(&encoded).unwrap(), tx);

        // The txid hashes the layout without the signature.
        let unsigned = start_bytes(
            &collateral(),
            &collateral_pubkey,
            &node_pubkey,
            1_650_000_000,
            None,
        );
        let txid = Txid(crate::keys::sha256d(&unsigned));
        assert_eq!(tx.txid(), txid);
        let message = start_message(&txid.0);
        assert_eq!(
            verify_node_message(&collateral_pubkey, &start.sig, message.as_bytes()),
            Ok(())
        );
        assert_eq!(
            verify_node_message(&node_pubkey, &start.sig, message.as_bytes()),
            Err(NodeSignatureError::WrongSigner)
        );
    }

    #[test]
    fn confirm_carries_a_node_signature_and_a_benchmark_countersignature() {
        let (node_key, benchmark_key) = (key(0x51), key(0x52));
        let ip = "198.51.100.4:16125";
        let benchmark = BenchmarkAttestation {
            key: &benchmark_key,
            tier: Tier::Nimbus,
            sig_time: 1_650_000_100,
        };
        for (update_type, wire) in [
            (UpdateType::InitialConfirm, 0i8),
            (UpdateType::UpdateConfirm, 1),
        ] {
            let tx = build_confirm(
                collateral(),
                &node_key,
                update_type,
                1_650_000_050,
                ip,
                &benchmark,
            );
            assert_eq!((tx.version, tx.overwintered), (5, false));
            let encoded = tx.encoded();
            assert_eq!(Transaction::decode_exact(&encoded).unwrap(), tx);
            // Header, type 4, then the collateral outpoint.
            assert_eq!(encoded[..5], [0x05, 0x00, 0x00, 0x00, 0x04]);
            assert_eq!(encoded[5..37], collateral().txid.0);

            let Some(FluxnodeTx::Confirm(confirm)) = tx.fluxnode() else {
                panic!("not a CONFIRM: {tx:?}");
            };
            assert_eq!(confirm.update_type, wire);
            assert_eq!(confirm.benchmark_tier, 2);
            assert_eq!(confirm.ip, ip.as_bytes());
            // `COutPoint(<10 hex digits>, n)` + n + update type + sig time, as fluxd builds it;
            // the txid's display hex starts with its last byte, 0x1f.
            let message = alloc::format!("COutPoint(1f1e1d1c1b, 2)2{wire}1650000050");
            assert_eq!(
                verify_node_message(
                    &node_key.public_key().to_bytes(),
                    &confirm.sig,
                    message.as_bytes()
                ),
                Ok(())
            );
            let mut countersigned = confirm.sig.clone();
            countersigned.extend_from_slice(b"21650000100198.51.100.4:16125");
            assert_eq!(
                verify_node_message(
                    &benchmark_key.public_key().to_bytes(),
                    &confirm.benchmark_sig,
                    &countersigned
                ),
                Ok(())
            );
        }
    }
}
