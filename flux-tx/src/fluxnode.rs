//! Fluxnode transactions: START (announce a node and its collateral) and CONFIRM (the node's
//! periodic confirmation and IP updates), in every layout `CTransaction::SerializationOp` has
//! (`primitives/transaction.h:750-825`):
//!
//! - version 5 (`FLUXNODE_TX_VERSION`): START = collateral, collateral pubkey, node pubkey,
//!   sigTime, sig; CONFIRM = collateral, sigTime, benchmark tier, benchmark sigTime, update type,
//!   IP, sig, benchmark sig;
//! - version 6 (`FLUXNODE_TX_UPGRADEABLE_VERSION`): START adds an internal version that selects the
//!   normal layout (as v5) or the P2SH layout (collateral, node pubkey, redeem script, sigTime,
//!   sig), and, when its delegates bit (0x0100) is set, a delegates flag and data; CONFIRM is as
//!   in v5.
//!
//! Signatures are not part of the txid (`SER_GETHASH`). Any other `nType` serializes nothing
//! after it, as in the daemon.

use alloc::vec::Vec;

use crate::encode::{
    DecodeError, FluxDecode, FluxEncode, read_bytes, read_bytes_max, read_count, write_bytes,
    write_compact_size,
};
use crate::outpoint::OutPoint;
use crate::script::Script;

/// `FLUXNODE_TX_VERSION`: START/CONFIRM of pubkey-collateral nodes.
pub const FLUXNODE_TX_VERSION: i32 = 5;
/// `FLUXNODE_TX_UPGRADEABLE_VERSION`: adds P2SH nodes and delegates.
pub const FLUXNODE_TX_UPGRADEABLE_VERSION: i32 = 6;
/// `FLUXNODE_START_TX_TYPE`.
pub const START_TX_TYPE: i8 = 1 << 1;
/// `FLUXNODE_CONFIRM_TX_TYPE`.
pub const CONFIRM_TX_TYPE: i8 = 1 << 2;
/// `FluxnodeUpdateType::INITIAL_CONFIRM` (`fluxnode/fluxnode.h:118-121`): the `nUpdateType` of a
/// started node's first CONFIRM.
pub const INITIAL_CONFIRM: i8 = 0;
/// `FluxnodeUpdateType::UPDATE_CONFIRM`: the `nUpdateType` of every later CONFIRM, which keeps a
/// confirmed node in the list.
pub const UPDATE_CONFIRM: i8 = 1;
/// `FLUXNODE_INTERNAL_NORMAL_TX_VERSION`.
pub const INTERNAL_NORMAL_VERSION: i32 = 1;
/// `FLUXNODE_INTERNAL_P2SH_TX_VERSION`.
pub const INTERNAL_P2SH_VERSION: i32 = 2;
/// `FLUXNODE_TX_TYPE_NORMAL_BIT`.
pub const TYPE_NORMAL_BIT: i32 = 0x01;
/// `FLUXNODE_TX_TYPE_P2SH_BIT`.
pub const TYPE_P2SH_BIT: i32 = 0x02;
/// `FLUXNODE_TX_FEATURE_DELEGATES_BIT`.
pub const FEATURE_DELEGATES_BIT: i32 = 0x0100;
/// Largest serialized public key `CPubKey` reads (uncompressed, 65 bytes).
pub const MAX_PUBKEY_SIZE: usize = 65;
/// `CFluxnodeDelegates::NONE`: the type of absent delegate data, which fluxd refuses in a START
/// whose internal version has the delegates bit (`IsValid` is false).
pub const DELEGATES_NONE: i8 = 0;
/// `CFluxnodeDelegates::UPDATE`: the START (signed by the collateral owner) replaces the node's
/// delegate keys; an empty key list removes them.
pub const DELEGATES_UPDATE: i8 = 1;
/// `CFluxnodeDelegates::SIGNING`: the START is signed by one of the delegate keys a previous
/// UPDATE START stored for the collateral.
pub const DELEGATES_SIGNING: i8 = 2;
/// `CFluxnodeDelegates::INITIAL_VERSION`.
pub const DELEGATES_INITIAL_VERSION: i8 = 1;
/// `CFluxnodeDelegates::MAX_PUBKEYS_LENGTH`: at most four delegate keys.
pub const MAX_DELEGATE_KEYS: usize = 4;
/// `MAX_SCRIPT_SIZE` (`script/script.h`): the largest P2SH redeem script a START may carry
/// (`bad-txns-fluxnode-tx-redeemscript-to-large`, `main.cpp:1770-1775`).
pub const MAX_REDEEM_SCRIPT_SIZE: usize = 10_000;

/// `HasConflictingBits` (`primitives/transaction.h:66-68`): an internal version with both the
/// normal and the P2SH type bit, which fluxd treats as neither.
pub const fn has_conflicting_bits(internal_version: i32) -> bool {
    internal_version & TYPE_NORMAL_BIT != 0 && internal_version & TYPE_P2SH_BIT != 0
}

/// `IsFluxTxP2SHType(version, true)`: the internal version of a P2SH START (exactly 2, or the
/// P2SH bit without the normal bit).
pub const fn is_p2sh_internal_version(internal_version: i32) -> bool {
    !has_conflicting_bits(internal_version)
        && (internal_version == INTERNAL_P2SH_VERSION || internal_version & TYPE_P2SH_BIT != 0)
}

/// `IsFluxTxNormalType(version, true)`: the internal version of a pubkey-collateral START
/// (exactly 1, or the normal bit without the P2SH bit).
pub const fn is_normal_internal_version(internal_version: i32) -> bool {
    !has_conflicting_bits(internal_version)
        && (internal_version == INTERNAL_NORMAL_VERSION || internal_version & TYPE_NORMAL_BIT != 0)
}

/// Whether an internal version uses the bit-based scheme fluxd accepts only from the PON
/// upgrade on (`tx-bit-features-not-active`, `main.cpp:1328-1333`): anything but exactly 1 or 2.
pub const fn is_bit_based_internal_version(internal_version: i32) -> bool {
    internal_version != INTERNAL_NORMAL_VERSION && internal_version != INTERNAL_P2SH_VERSION
}

/// The internal version fluxd's RPCs give a version 6 START (`createp2shstarttx`,
/// `startfluxnodewithdelegates`, `startfluxnodeasdelegate`, `rpc/fluxnode.cpp`): before the PON
/// upgrade the legacy exact versions (1 normal, 2 P2SH; delegates do not exist yet), from it the
/// type bit, plus the delegates bit when the START carries delegate data.
pub const fn start_internal_version(p2sh: bool, delegates: bool, pon_active: bool) -> i32 {
    if !pon_active {
        return if p2sh {
            INTERNAL_P2SH_VERSION
        } else {
            INTERNAL_NORMAL_VERSION
        };
    }
    let kind = if p2sh { TYPE_P2SH_BIT } else { TYPE_NORMAL_BIT };
    if delegates {
        kind | FEATURE_DELEGATES_BIT
    } else {
        kind
    }
}

/// How a START proves control of the collateral.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CollateralSigner {
    /// A pubkey-hash collateral: the collateral's public key (v5, and v6 normal layout).
    PubKey(Vec<u8>),
    /// A P2SH collateral: the redeem script (v6 P2SH layout).
    P2sh(Script),
}

/// `CFluxnodeDelegates`: keys allowed to start the node on the owner's behalf.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Delegates {
    /// `nDelegateVersion`.
    pub version: i8,
    /// `nType`: NONE 0, UPDATE 1, SIGNING 2.
    pub kind: i8,
    /// `delegateStartingKeys`, serialized only for version 1 UPDATE.
    pub starting_keys: Vec<Vec<u8>>,
}

impl Delegates {
    fn carries_keys(&self) -> bool {
        self.version == DELEGATES_INITIAL_VERSION && self.kind == DELEGATES_UPDATE
    }

    /// An UPDATE that makes `keys` the node's delegates (an empty list removes them).
    pub fn update(keys: Vec<Vec<u8>>) -> Delegates {
        Delegates {
            version: DELEGATES_INITIAL_VERSION,
            kind: DELEGATES_UPDATE,
            starting_keys: keys,
        }
    }

    /// The SIGNING marker of a START signed by a delegate (no keys on the wire).
    pub fn signing() -> Delegates {
        Delegates {
            version: DELEGATES_INITIAL_VERSION,
            kind: DELEGATES_SIGNING,
            starting_keys: Vec::new(),
        }
    }

    /// `CFluxnodeDelegates::IsValid` (`primitives/transaction.h:136-150`): type UPDATE or
    /// SIGNING, at most [`MAX_DELEGATE_KEYS`] keys, each a compressed key.
    ///
    /// fluxd's `CPubKey::IsValid` and `IsCompressed` look only at the first byte (`GetLen`); a
    /// key is taken as compressed here when it is also 33 bytes long, as any key fluxd would
    /// write back is.
    pub fn is_valid(&self) -> bool {
        (self.kind == DELEGATES_UPDATE || self.kind == DELEGATES_SIGNING)
            && self.starting_keys.len() <= MAX_DELEGATE_KEYS
            && self
                .starting_keys
                .iter()
                .all(|key| key.len() == 33 && matches!(key[0], 0x02 | 0x03))
    }

    /// `IsSigning`: a START signed by a delegate.
    pub fn is_signing(&self) -> bool {
        self.kind == DELEGATES_SIGNING
    }

    /// `IsUpdating`: a START that replaces the delegate keys.
    pub fn is_updating(&self) -> bool {
        self.kind == DELEGATES_UPDATE
    }
}

/// A fluxnode START.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FluxnodeStart {
    /// `nFluxTxVersion` of a version 6 transaction (`None` in version 5).
    pub internal_version: Option<i32>,
    /// The collateral output.
    pub collateral: OutPoint,
    /// The collateral's public key or redeem script.
    pub signer: CollateralSigner,
    /// The node's own public key (`pubKey`).
    pub node_pubkey: Vec<u8>,
    /// `sigTime`.
    pub sig_time: u32,
    /// The collateral owner's signature.
    pub sig: Vec<u8>,
    /// The delegates data. Serialized only when the internal version has the delegates bit:
    /// `None` is written as the flag `false`.
    pub delegates: Option<Delegates>,
}

impl FluxnodeStart {
    /// `HasDelegates`: a version 6 START whose internal version has the delegates bit, so it
    /// carries the delegates flag (and, when set, the delegate data).
    pub fn has_delegates_field(&self) -> bool {
        self.internal_version
            .is_some_and(|version| version & FEATURE_DELEGATES_BIT != 0)
    }

    /// `IsFluxnodeUpgradedP2SHTx`: a version 6 START whose internal version is a P2SH one
    /// without conflicting type bits; only such a START is verified against its redeem script.
    pub fn is_upgraded_p2sh(&self) -> bool {
        self.internal_version.is_some_and(is_p2sh_internal_version)
    }

    /// `IsFluxnodeUpgradedNormalTx`: a version 6 START of a pubkey collateral, whose collateral
    /// must be a P2PKH output (`fluxnode-tx-normal-version-not-p2pkh-script`).
    pub fn is_upgraded_normal(&self) -> bool {
        self.internal_version
            .is_some_and(is_normal_internal_version)
    }

    /// The delegate data as fluxd holds it when the delegates field is present: the data, or,
    /// when the flag is false, the null data (type NONE, never valid).
    pub fn delegate_data(&self) -> Option<Delegates> {
        if !self.has_delegates_field() {
            return None;
        }
        Some(self.delegates.clone().unwrap_or(Delegates {
            version: DELEGATES_INITIAL_VERSION,
            kind: DELEGATES_NONE,
            starting_keys: Vec::new(),
        }))
    }

    /// `IsSigningAsDelegate`: valid delegate data of type SIGNING.
    pub fn is_signing_as_delegate(&self) -> bool {
        self.delegate_data()
            .is_some_and(|data| data.is_valid() && data.is_signing())
    }

    /// `IsUpdatingDelegate`: valid delegate data of type UPDATE; once the START is in a block,
    /// its keys become the collateral's delegates (`ConnectBlock`, `main.cpp:3973-3982`).
    pub fn is_updating_delegates(&self) -> bool {
        self.delegate_data()
            .is_some_and(|data| data.is_valid() && data.is_updating())
    }
}

/// A fluxnode CONFIRM (also used for IP updates).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FluxnodeConfirm {
    /// The collateral output of the node.
    pub collateral: OutPoint,
    /// `sigTime`.
    pub sig_time: u32,
    /// `benchmarkTier`.
    pub benchmark_tier: i8,
    /// `benchmarkSigTime`.
    pub benchmark_sig_time: u32,
    /// `nUpdateType`: [`INITIAL_CONFIRM`] or [`UPDATE_CONFIRM`] in a valid transaction.
    pub update_type: i8,
    /// The node's IP as text (`std::string`, kept as raw bytes).
    pub ip: Vec<u8>,
    /// The node's signature.
    pub sig: Vec<u8>,
    /// The benchmark daemon's signature.
    pub benchmark_sig: Vec<u8>,
}

/// What a CONFIRM does for its node (`FluxnodeUpdateType`): the two values of
/// [`FluxnodeConfirm::update_type`] the chain accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UpdateType {
    /// The first confirmation of a started node ([`INITIAL_CONFIRM`]).
    InitialConfirm,
    /// A later confirmation of a confirmed node ([`UPDATE_CONFIRM`]).
    UpdateConfirm,
}

impl UpdateType {
    /// The update type of a wire byte, or `None` for a value fluxd refuses
    /// (`bad-txns-fluxnode-confirm-invalid-update-type`).
    pub const fn from_i8(byte: i8) -> Option<UpdateType> {
        match byte {
            INITIAL_CONFIRM => Some(UpdateType::InitialConfirm),
            UPDATE_CONFIRM => Some(UpdateType::UpdateConfirm),
            _ => None,
        }
    }

    /// The `nUpdateType` byte on the wire.
    pub const fn to_i8(self) -> i8 {
        match self {
            UpdateType::InitialConfirm => INITIAL_CONFIRM,
            UpdateType::UpdateConfirm => UPDATE_CONFIRM,
        }
    }
}

/// The body of a fluxnode transaction.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FluxnodeTx {
    /// START.
    Start(FluxnodeStart),
    /// CONFIRM.
    Confirm(FluxnodeConfirm),
    /// Any other `nType`: nothing follows it (the daemon rejects such transactions later).
    Untyped(i8),
}

fn read_pubkey(input: &mut &[u8], what: &'static str) -> Result<Vec<u8>, DecodeError> {
    read_bytes_max(input, MAX_PUBKEY_SIZE, what)
}

impl FluxnodeTx {
    /// `nType` of the transaction.
    pub fn tx_type(&self) -> i8 {
        match self {
            FluxnodeTx::Start(_) => START_TX_TYPE,
            FluxnodeTx::Confirm(_) => CONFIRM_TX_TYPE,
            FluxnodeTx::Untyped(kind) => *kind,
        }
    }

    /// The collateral outpoint (the null outpoint for an untyped transaction).
    pub fn collateral(&self) -> OutPoint {
        match self {
            FluxnodeTx::Start(start) => start.collateral,
            FluxnodeTx::Confirm(confirm) => confirm.collateral,
            FluxnodeTx::Untyped(_) => OutPoint::NULL,
        }
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>, tx_version: i32, with_signatures: bool) {
        self.tx_type().flux_encode(out);
        match self {
            FluxnodeTx::Untyped(_) => {}
            FluxnodeTx::Start(start) => {
                if tx_version == FLUXNODE_TX_UPGRADEABLE_VERSION {
                    start.internal_version.unwrap_or(0).flux_encode(out);
                }
                start.collateral.flux_encode(out);
                match &start.signer {
                    CollateralSigner::PubKey(collateral_pubkey) => {
                        write_bytes(out, collateral_pubkey);
                        write_bytes(out, &start.node_pubkey);
                    }
                    CollateralSigner::P2sh(redeem_script) => {
                        write_bytes(out, &start.node_pubkey);
                        write_bytes(out, redeem_script.as_bytes());
                    }
                }
                start.sig_time.flux_encode(out);
                if with_signatures {
                    write_bytes(out, &start.sig);
                }
                if start.has_delegates_field() {
                    match &start.delegates {
                        None => false.flux_encode(out),
                        Some(delegates) => {
                            true.flux_encode(out);
                            delegates.version.flux_encode(out);
                            delegates.kind.flux_encode(out);
                            if delegates.carries_keys() {
                                write_compact_size(out, delegates.starting_keys.len() as u64);
                                for key in &delegates.starting_keys {
                                    write_bytes(out, key);
                                }
                            }
                        }
                    }
                }
            }
            FluxnodeTx::Confirm(confirm) => {
                confirm.collateral.flux_encode(out);
                confirm.sig_time.flux_encode(out);
                confirm.benchmark_tier.flux_encode(out);
                confirm.benchmark_sig_time.flux_encode(out);
                confirm.update_type.flux_encode(out);
                write_bytes(out, &confirm.ip);
                if with_signatures {
                    write_bytes(out, &confirm.sig);
                    write_bytes(out, &confirm.benchmark_sig);
                }
            }
        }
    }

    pub(crate) fn decode(input: &mut &[u8], tx_version: i32) -> Result<FluxnodeTx, DecodeError> {
        let tx_type = i8::flux_decode(input)?;
        match tx_type {
            START_TX_TYPE => {
                let internal_version = if tx_version == FLUXNODE_TX_UPGRADEABLE_VERSION {
                    Some(i32::flux_decode(input)?)
                } else {
                    None
                };
                let layout = internal_version.unwrap_or(INTERNAL_NORMAL_VERSION);
                // transaction.h:782-787: the exact internal versions or their type bits.
                let normal = layout == INTERNAL_NORMAL_VERSION || layout & TYPE_NORMAL_BIT != 0;
                let p2sh = layout == INTERNAL_P2SH_VERSION || layout & TYPE_P2SH_BIT != 0;
                let collateral = OutPoint::flux_decode(input)?;
                let (signer, node_pubkey) = if normal && layout & TYPE_P2SH_BIT == 0 {
                    let collateral_pubkey = read_pubkey(input, "collateral pubkey")?;
                    let node_pubkey = read_pubkey(input, "node pubkey")?;
                    (CollateralSigner::PubKey(collateral_pubkey), node_pubkey)
                } else if p2sh {
                    let node_pubkey = read_pubkey(input, "node pubkey")?;
                    let redeem = Script::from(read_bytes(input, "P2SH redeem script")?);
                    (CollateralSigner::P2sh(redeem), node_pubkey)
                } else {
                    return Err(DecodeError::UnknownFluxnodeLayout(layout));
                };
                let sig_time = u32::flux_decode(input)?;
                let sig = read_bytes(input, "start signature")?;
                let mut start = FluxnodeStart {
                    internal_version,
                    collateral,
                    signer,
                    node_pubkey,
                    sig_time,
                    sig,
                    delegates: None,
                };
                if start.has_delegates_field() && bool::flux_decode(input)? {
                    let version = i8::flux_decode(input)?;
                    let kind = i8::flux_decode(input)?;
                    let mut delegates = Delegates {
                        version,
                        kind,
                        starting_keys: Vec::new(),
                    };
                    if delegates.carries_keys() {
                        let count = read_count(input, 1, "delegate keys")?;
                        for _ in 0..count {
                            delegates
                                .starting_keys
                                .push(read_pubkey(input, "delegate key")?);
                        }
                    }
                    start.delegates = Some(delegates);
                }
                Ok(FluxnodeTx::Start(start))
            }
            CONFIRM_TX_TYPE => Ok(FluxnodeTx::Confirm(FluxnodeConfirm {
                collateral: OutPoint::flux_decode(input)?,
                sig_time: u32::flux_decode(input)?,
                benchmark_tier: i8::flux_decode(input)?,
                benchmark_sig_time: u32::flux_decode(input)?,
                update_type: i8::flux_decode(input)?,
                ip: read_bytes(input, "IP address")?,
                sig: read_bytes(input, "confirm signature")?,
                benchmark_sig: read_bytes(input, "benchmark signature")?,
            })),
            other => Ok(FluxnodeTx::Untyped(other)),
        }
    }
}
