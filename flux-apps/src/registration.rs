//! App registration as FluxOS accepts it: signed register/update messages, the message hash, the
//! fee check, owner-only updates and renewals, and expiry by height.
//!
//! * [`AppMessage`] is a user message (`fluxappregister`/`fluxappupdate`, or the legacy `zel…`
//!   names): the spec, a millisecond timestamp and the owner's signature over
//!   `type + version + JSON.stringify(spec) + timestamp` (apps.md §2.1). [`AppMessage::sign`]
//!   makes one with a key from flux-tx, [`AppMessage::hash`] is the hash FluxOS stores and puts
//!   in the payment's OP_RETURN.
//! * [`verify_owner_signature`] checks a signature the way FluxOS's `signatureVerifier.js` does:
//!   bitcoinjs-message ("Bitcoin Signed Message" magic) against a `1…` ZelID or a hex public key.
//!   ETH `0x…` owners need keccak and `personal_sign` recovery, which flux-tx does not have, and
//!   `t1…` owners can never verify in FluxOS (bitcoinjs-message compares the key hash with a
//!   21-byte payload); both give [`OwnerError`] instead of a wrong answer.
//! * [`Registry`] applies messages with their on-chain payment, rule by rule
//!   (`S/appMessaging/messageVerifier.js`, `S/appLifecycle/advancedWorkflows.js:2530-2588`,
//!   `S/appDatabase/registryManager.js:1065-1138, 1365-1420`), each rule failing with its own
//!   [`RegistrationError`].
//!
//! Not modelled: the gossip layer (temporary messages, node-key envelopes), the API's timestamp
//! window, the marketplace team-support and `usersToExtend` signers, chain price-fork messages and
//! enterprise (encrypted) specs, which only Arcane nodes can check.

use std::collections::BTreeMap;

use flux_pow::BlockHeight;
use flux_tx::Amount;
use flux_tx::base58;
use flux_tx::keys::{PrivateKey, PublicKey, hash160};
use flux_tx::message::{
    MessageError, MessageMagic, MessageSignature, sign_message, verify_bitcoin_message,
};

use crate::spec::params::{PON_FORK_HEIGHT, default_expire};
use crate::spec::price::{payment_covers, registration_fee, update_fee};
use crate::spec::{AppSpec, SpecError, ValidationOptions, message_hash, signed_message};

/// The message format version FluxOS signs and hashes (`version: 1`).
pub const MESSAGE_VERSION: u32 = 1;

/// What a user message asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MessageKind {
    /// `fluxappregister` (or the legacy `zelappregister`).
    Register,
    /// `fluxappupdate` (or the legacy `zelappupdate`).
    Update,
}

impl MessageKind {
    /// The current type name.
    pub const fn type_name(self) -> &'static str {
        match self {
            MessageKind::Register => "fluxappregister",
            MessageKind::Update => "fluxappupdate",
        }
    }

    /// Parses a type name, legacy names included.
    pub fn parse(type_name: &str) -> Option<MessageKind> {
        match type_name {
            "fluxappregister" | "zelappregister" => Some(MessageKind::Register),
            "fluxappupdate" | "zelappupdate" => Some(MessageKind::Update),
            _ => None,
        }
    }
}

/// A signed app message as a user sends it.
#[derive(Debug, Clone, PartialEq)]
pub struct AppMessage {
    /// The type name exactly as sent (it is part of the signed string).
    pub type_name: String,
    /// The app spec, in canonical form.
    pub spec: AppSpec,
    /// Milliseconds since the Unix epoch.
    pub timestamp_ms: u64,
    /// Base64 compact signature.
    pub signature: String,
}

impl AppMessage {
    /// Signs `spec` as a `kind` message with `key` (bitcoinjs-message style, as ZelID wallets do).
    pub fn sign(kind: MessageKind, spec: AppSpec, timestamp_ms: u64, key: &PrivateKey) -> Self {
        let text = signed_message(
            kind.type_name(),
            MESSAGE_VERSION,
            &spec.canonical_json(),
            timestamp_ms,
        );
        let signature = sign_message(key, text.as_bytes(), MessageMagic::Bitcoin).to_base64();
        AppMessage {
            type_name: kind.type_name().to_owned(),
            spec,
            timestamp_ms,
            signature,
        }
    }

    /// What the message asks for, if its type is known.
    pub fn kind(&self) -> Option<MessageKind> {
        MessageKind::parse(&self.type_name)
    }

    /// The string the owner signs, with the canonical key order.
    pub fn signed_string(&self) -> String {
        signed_message(
            &self.type_name,
            MESSAGE_VERSION,
            &self.spec.canonical_json(),
            self.timestamp_ms,
        )
    }

    /// The message hash FluxOS stores and expects in the payment's OP_RETURN
    /// (`S/generalService.js:237-242`).
    pub fn hash(&self) -> String {
        message_hash(
            &self.type_name,
            MESSAGE_VERSION,
            &self.spec.canonical_json(),
            self.timestamp_ms,
            &self.signature,
        )
    }

    /// Checks the signature against `signer`, over the canonical string and then over the legacy
    /// key orders FluxOS still accepts (`messageVerifier.js:110-160`).
    ///
    /// # Errors
    ///
    /// [`SignatureError`] naming why no form verifies.
    pub fn verify(&self, signer: &str) -> Result<(), SignatureError> {
        let first = verify_owner_signature(signer, &self.signature, &self.signed_string());
        let Err(first_error) = first else {
            return Ok(());
        };
        if let SignatureError::Owner(_) = first_error {
            return Err(first_error);
        }
        if let Some(legacy) = self.spec.legacy_canonical_json() {
            let text = signed_message(&self.type_name, MESSAGE_VERSION, &legacy, self.timestamp_ms);
            if verify_owner_signature(signer, &self.signature, &text).is_ok() {
                return Ok(());
            }
        }
        Err(first_error)
    }
}

/// An owner string FluxOS accepts but this crate cannot verify, or one that is no owner at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OwnerError {
    /// An Ethereum `0x…` owner: FluxOS verifies `personal_sign` signatures for it (after
    /// 2023-07-10), which needs keccak-256 recovery that flux-tx does not provide.
    #[error("owner {0} is an Ethereum address; ETH personal_sign signatures are not supported")]
    Ethereum(String),
    /// A Flux transparent address (`t1…`/`t3…`): bitcoinjs-message compares the signer's key
    /// hash with the 21 bytes after the first version byte, so FluxOS never accepts a signature
    /// for it. Use the ZelID (`1…`) of the same key.
    #[error(
        "owner {0} is a Flux transparent address, which FluxOS cannot verify app signatures for; use the key's ZelID (1…) address"
    )]
    FluxTransparent(String),
    /// Neither a base58check address nor a hex public key.
    #[error("owner {0} is neither a base58 address nor a hex public key")]
    Invalid(String),
}

/// Why a signature does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// The owner cannot be verified (see [`OwnerError`]).
    #[error(transparent)]
    Owner(#[from] OwnerError),
    /// The signature is malformed or made by another key, or over another message.
    #[error("signature does not match the owner: {0}")]
    Mismatch(#[from] MessageError),
}

/// The ZelID (bitcoin P2PKH, version byte 0x00) address of a public key, the owner form FluxOS
/// verifies (`pubKeyToAddr(key, '00')`).
pub fn zelid_address(key: &PublicKey) -> String {
    let mut payload = Vec::with_capacity(21);
    payload.push(0x00);
    payload.extend_from_slice(&key.pubkey_hash());
    base58::encode_check(&payload)
}

/// The 20-byte key hash a signature must match for `owner` (`signatureVerifier.js:15-41`).
///
/// # Errors
///
/// [`OwnerError`] for ETH, Flux transparent and malformed owners.
pub fn owner_key_hash(owner: &str) -> Result<[u8; 20], OwnerError> {
    if owner.starts_with("0x") {
        return Err(OwnerError::Ethereum(owner.to_owned()));
    }
    if owner.len() > 36 {
        // A hex public key, turned into its address as FluxOS does.
        let key: PublicKey = owner
            .parse()
            .map_err(|_| OwnerError::Invalid(owner.to_owned()))?;
        return Ok(hash160(&key.to_bytes()));
    }
    let payload = base58::decode_check(owner).map_err(|_| OwnerError::Invalid(owner.to_owned()))?;
    match payload.len() {
        // bitcoinjs-message ignores the version byte.
        21 => {
            let mut hash = [0u8; 20];
            hash.copy_from_slice(&payload[1..]);
            Ok(hash)
        }
        22 => Err(OwnerError::FluxTransparent(owner.to_owned())),
        _ => Err(OwnerError::Invalid(owner.to_owned())),
    }
}

/// Verifies a Base64 signature over `text` by `owner` as FluxOS does for app messages.
///
/// # Errors
///
/// [`SignatureError::Owner`] when the owner cannot be verified, [`SignatureError::Mismatch`]
/// when the signature is malformed or not the owner's.
pub fn verify_owner_signature(
    owner: &str,
    signature_base64: &str,
    text: &str,
) -> Result<(), SignatureError> {
    let hash = owner_key_hash(owner)?;
    let signature = MessageSignature::from_base64(signature_base64)?;
    verify_bitcoin_message(&hash, &signature, text.as_bytes())?;
    Ok(())
}

/// The on-chain payment that carries a message's hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Payment {
    /// Height of the block with the transaction; the message takes effect from it.
    pub height: BlockHeight,
    /// Sum of the outputs to the foundation addresses.
    pub value: Amount,
}

/// An app as the registry holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct RegisteredApp {
    /// The current spec.
    pub spec: AppSpec,
    /// Hash of the latest accepted message.
    pub hash: String,
    /// Height of the latest accepted message (expiry counts from it).
    pub height: BlockHeight,
    /// Height of the registration.
    pub registered_at: BlockHeight,
}

impl RegisteredApp {
    /// The current owner.
    pub fn owner(&self) -> &str {
        self.spec.owner()
    }

    /// The first height at which the app is expired, as seen at `current` (see
    /// [`expiration_height`]).
    pub fn expires_after(&self, current: BlockHeight) -> BlockHeight {
        expiration_height(self.height, self.spec.expire(), current)
    }

    /// Whether the app is expired at `current`.
    pub fn is_expired(&self, current: BlockHeight) -> bool {
        self.expires_after(current) < current
    }

    /// What the reconcile loop runs for this app, seen at `current`: the spec's containers, and
    /// removal from the first height past its life.
    ///
    /// # Errors
    ///
    /// [`crate::reconcile::DeploymentError`] when the spec cannot be run (see
    /// [`crate::reconcile::AppDeployment::from_spec`]).
    #[cfg(feature = "runtime")]
    pub fn deployment(
        &self,
        current: BlockHeight,
    ) -> Result<crate::reconcile::AppDeployment, crate::reconcile::DeploymentError> {
        let mut deployment = crate::reconcile::AppDeployment::from_spec(&self.spec)?;
        let last_live = self.expires_after(current);
        deployment.expires_at = Some(BlockHeight(last_live.0.saturating_add(1)));
        Ok(deployment)
    }
}

/// The last height at which an app whose latest message is at `height` still lives, seen from
/// `current` (`registryManager.js:1393-1418`): `height + (expire or the default)`, the default
/// being 88,000 blocks for messages from the PoN fork on and 22,000 before. For a message before
/// the fork whose lifetime runs past it, once the chain is past the fork, the blocks after the
/// fork are multiplied by 4 (blocks come four times as fast). The app is expired at heights above
/// this one.
pub fn expiration_height(
    height: BlockHeight,
    expire: Option<f64>,
    current: BlockHeight,
) -> BlockHeight {
    let start = u64::from(height.0);
    let default = u64::from(default_expire(height));
    // `expire || default`: 0 and NaN fall back; validation keeps expire a whole number.
    let lifetime = match expire {
        Some(blocks) if blocks > 0.0 && blocks.is_finite() => {
            // Whole and below 2^32 after validation; clamp anything else.
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let blocks = blocks.min(f64::from(u32::MAX)) as u64;
            blocks
        }
        _ => default,
    };
    let mut end = start + lifetime;
    let fork = u64::from(PON_FORK_HEIGHT.get());
    if start < fork && u64::from(current.0) >= fork && end > fork {
        end = fork + (end - fork) * 4;
    }
    BlockHeight(u32::try_from(end).unwrap_or(u32::MAX))
}

/// How an accepted update changed the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum UpdateKind {
    /// Only `expire` changed (or nothing): a renewal, counted from the update's height.
    Renewal,
    /// The spec changed; owner unchanged.
    Change,
    /// The spec names a new owner.
    Transfer,
}

/// Why the registry refused a message. One variant per rule.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum RegistrationError {
    /// The message type is not `fluxappregister`/`fluxappupdate` (or `zel…`).
    #[error("unknown app message type {0:?}")]
    UnknownType(String),
    /// A register message was sent to `update` or the other way round.
    #[error("a {got:?} message cannot be applied as a {expected:?}")]
    WrongKind {
        /// What the message is.
        got: MessageKind,
        /// What was asked.
        expected: MessageKind,
    },
    /// The spec breaks FluxOS's rules at the payment height; the first is FluxOS's message.
    #[error("invalid app spec: {}", .0.first().map(ToString::to_string).unwrap_or_default())]
    InvalidSpec(Vec<SpecError>),
    /// An app of that name (case-insensitive) is registered and not expired
    /// (`registryManager.js:1065-1138`).
    #[error("Flux App {name} already exists (registered at height {height})")]
    NameTaken {
        /// The registered app's name.
        name: String,
        /// Its registration height.
        height: BlockHeight,
    },
    /// The signature is not the owner's.
    #[error("signature of {signer} rejected: {error}")]
    Signature {
        /// Whose signature was expected.
        signer: String,
        /// Why it failed.
        error: SignatureError,
    },
    /// The payment is below the fee (`messageVerifier.js:731-746, 779-836`).
    #[error("payment of {paid_zat} zat is below the fee of {fee_flux} FLUX")]
    Underpaid {
        /// What was paid.
        paid_zat: i64,
        /// The minimum fee.
        fee_flux: f64,
    },
    /// An update for an app that is not registered.
    #[error("Flux App {0} is not registered")]
    UnknownApp(String),
    /// An update for an app that expired before the update's height.
    #[error("Flux App {name} expired after height {expired_after}")]
    Expired {
        /// App name.
        name: String,
        /// Its last live height.
        expired_after: BlockHeight,
    },
    /// An update changes the name's spelling (names identify apps; case is part of the spec).
    #[error("an update may not rename app {registered} to {requested}")]
    NameChanged {
        /// The registered name.
        registered: String,
        /// The name in the update.
        requested: String,
    },
    /// v1–3 updates may not change `repotag` (`advancedWorkflows.js:2573-2583`).
    #[error("Flux App repository cannot be changed in version {0} specifications")]
    RepotagChanged(u8),
    /// No update from v4+ back to v1–3 (`advancedWorkflows.js:2566-2571`).
    #[error("Flux App specifications of version {from} cannot be updated to version {to}")]
    Downgrade {
        /// Registered version.
        from: u8,
        /// Requested version.
        to: u8,
    },
    /// Updates between v4+ specs keep the component count and names unless both are v8
    /// (`advancedWorkflows.js:2533-2563`).
    #[error("Flux App components cannot be added, removed or renamed before version 8: {0}")]
    ComponentsChanged(String),
    /// An update moves to a version other than the latest (`appValidator.js:1462-1470`).
    #[error("Flux App specifications must be updated to the latest version {latest}, got {got}")]
    NotLatestVersion {
        /// Requested version.
        got: u8,
        /// The latest version.
        latest: u8,
    },
}

/// The latest spec version an update may move to (`cfg:126`).
pub const LATEST_SPEC_VERSION: u8 = 8;

/// Registered apps, by lower-cased name, with FluxOS's acceptance rules.
#[derive(Debug, Clone)]
pub struct Registry {
    apps: BTreeMap<String, RegisteredApp>,
    options: ValidationOptions,
}

impl Default for Registry {
    fn default() -> Self {
        Registry::new(ValidationOptions::fluxos())
    }
}

impl Registry {
    /// An empty registry validating specs with `options`.
    pub fn new(options: ValidationOptions) -> Self {
        Registry {
            apps: BTreeMap::new(),
            options,
        }
    }

    /// The app registered under `name` (any case).
    pub fn get(&self, name: &str) -> Option<&RegisteredApp> {
        self.apps.get(&name.to_lowercase())
    }

    /// Every registered app, expired or not, by lower-cased name.
    pub fn apps(&self) -> &BTreeMap<String, RegisteredApp> {
        &self.apps
    }

    /// Applies a registration paid by `payment`.
    ///
    /// # Errors
    ///
    /// The first rule the message breaks, checked in this order: type, spec validity at the
    /// payment height, name conflict, owner signature, fee.
    pub fn register(
        &mut self,
        message: &AppMessage,
        payment: Payment,
    ) -> Result<&RegisteredApp, RegistrationError> {
        check_kind(message, MessageKind::Register)?;
        let height = payment.height;
        self.check_spec(&message.spec, height)?;
        let key = message.spec.name().to_lowercase();
        if let Some(existing) = self.apps.get(&key)
            && existing.registered_at <= height
            && !existing.is_expired(height)
        {
            return Err(RegistrationError::NameTaken {
                name: existing.spec.name().to_owned(),
                height: existing.registered_at,
            });
        }
        check_signature(message, message.spec.owner())?;
        check_payment(payment, registration_fee(&message.spec, height))?;
        let app = RegisteredApp {
            spec: message.spec.clone(),
            hash: message.hash(),
            height,
            registered_at: height,
        };
        self.apps.insert(key.clone(), app);
        Ok(&self.apps[&key])
    }

    /// Applies an update (a change, a renewal or an ownership transfer) paid by `payment`. Only
    /// the current owner may sign it.
    ///
    /// # Errors
    ///
    /// The first rule the message breaks, checked in this order: type, app known and live, spec
    /// validity, update compatibility, signature by the current owner, fee.
    pub fn update(
        &mut self,
        message: &AppMessage,
        payment: Payment,
    ) -> Result<UpdateKind, RegistrationError> {
        check_kind(message, MessageKind::Update)?;
        let height = payment.height;
        let key = message.spec.name().to_lowercase();
        let existing = self
            .apps
            .get(&key)
            .ok_or_else(|| RegistrationError::UnknownApp(message.spec.name().to_owned()))?;
        if existing.is_expired(height) {
            return Err(RegistrationError::Expired {
                name: existing.spec.name().to_owned(),
                expired_after: existing.expires_after(height),
            });
        }
        self.check_spec(&message.spec, height)?;
        check_compatible(&existing.spec, &message.spec)?;
        check_signature(message, existing.owner())?;
        check_payment(
            payment,
            update_fee(&message.spec, height, &existing.spec, existing.height),
        )?;
        let kind = if message.spec.owner() != existing.owner() {
            UpdateKind::Transfer
        } else if only_expire_differs(&existing.spec, &message.spec) {
            UpdateKind::Renewal
        } else {
            UpdateKind::Change
        };
        let registered_at = existing.registered_at;
        self.apps.insert(
            key,
            RegisteredApp {
                spec: message.spec.clone(),
                hash: message.hash(),
                height,
                registered_at,
            },
        );
        Ok(kind)
    }

    /// Removes the apps expired at `current` and returns their names
    /// (`expireGlobalApplications`).
    pub fn expire(&mut self, current: BlockHeight) -> Vec<String> {
        let expired: Vec<String> = self
            .apps
            .iter()
            .filter(|(_, app)| app.is_expired(current))
            .map(|(key, _)| key.clone())
            .collect();
        expired
            .iter()
            .filter_map(|key| self.apps.remove(key))
            .map(|app| app.spec.name().to_owned())
            .collect()
    }

    fn check_spec(&self, spec: &AppSpec, height: BlockHeight) -> Result<(), RegistrationError> {
        let violations = spec.validate(height, &self.options);
        if violations.is_empty() {
            Ok(())
        } else {
            Err(RegistrationError::InvalidSpec(violations))
        }
    }
}

fn check_kind(message: &AppMessage, expected: MessageKind) -> Result<(), RegistrationError> {
    match message.kind() {
        None => Err(RegistrationError::UnknownType(message.type_name.clone())),
        Some(got) if got != expected => Err(RegistrationError::WrongKind { got, expected }),
        Some(_) => Ok(()),
    }
}

/// `verifyAppMessageSignature` / `verifyAppMessageUpdateSignature` (`messageVerifier.js:109-380`):
/// the registering owner, or for an update the previous owner.
fn check_signature(message: &AppMessage, signer: &str) -> Result<(), RegistrationError> {
    message
        .verify(signer)
        .map_err(|error| RegistrationError::Signature {
            signer: signer.to_owned(),
            error,
        })
}

/// `valueSat >= fee · 1e8` (`messageVerifier.js:742, 832`).
fn check_payment(payment: Payment, fee_flux: f64) -> Result<(), RegistrationError> {
    let paid = payment.value.zat();
    let covered = u64::try_from(paid).is_ok_and(|zat| payment_covers(zat, fee_flux));
    if covered {
        Ok(())
    } else {
        Err(RegistrationError::Underpaid {
            paid_zat: paid,
            fee_flux,
        })
    }
}

/// Update compatibility (`advancedWorkflows.js:2530-2588`, `appValidator.js:1462-1470`).
fn check_compatible(existing: &AppSpec, new: &AppSpec) -> Result<(), RegistrationError> {
    if existing.name() != new.name() {
        return Err(RegistrationError::NameChanged {
            registered: existing.name().to_owned(),
            requested: new.name().to_owned(),
        });
    }
    let (from, to) = (existing.version(), new.version());
    if to != from && to != LATEST_SPEC_VERSION {
        return Err(RegistrationError::NotLatestVersion {
            got: to,
            latest: LATEST_SPEC_VERSION,
        });
    }
    if from >= 4 && to <= 3 {
        return Err(RegistrationError::Downgrade { from, to });
    }
    if from <= 3 && to <= 3 {
        let repotag = |spec: &AppSpec| spec.components().first().map(|c| c.repotag.to_owned());
        if repotag(existing) != repotag(new) {
            return Err(RegistrationError::RepotagChanged(to));
        }
    }
    // v4+ to v4+ keeps the component count and every old name, unless both are v8 (a hard
    // redeploy); the order and the images may change.
    if from >= 4 && to >= 4 && !(from >= 8 && to >= 8) {
        let old: Vec<&str> = existing.components().iter().map(|c| c.name).collect();
        let requested: Vec<&str> = new.components().iter().map(|c| c.name).collect();
        if old.len() != requested.len() || old.iter().any(|name| !requested.contains(name)) {
            return Err(RegistrationError::ComponentsChanged(format!(
                "{old:?} -> {requested:?}"
            )));
        }
    }
    Ok(())
}

/// Whether the specs are equal but for `expire` (`isExpireOnlyUpdate`, `messageVerifier.js:206`).
fn only_expire_differs(existing: &AppSpec, new: &AppSpec) -> bool {
    let strip = |spec: &AppSpec| -> Option<serde_json::Value> {
        let mut value = serde_json::to_value(spec).ok()?;
        if let Some(object) = value.as_object_mut() {
            object.remove("expire");
            object.remove("enterprise");
        }
        Some(value)
    };
    strip(existing).is_some() && strip(existing) == strip(new)
}
