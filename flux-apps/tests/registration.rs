//! Registration on the real specs of `app_specs.json`: owners replaced by keys made here, messages
//! signed with flux-tx, fees from FluxOS's evaluation, and every rule's rejection.

mod common;

use common::real_specs;
use flux_apps::registration::{
    AppMessage, MessageKind, OwnerError, Payment, RegistrationError, Registry, SignatureError,
    UpdateKind, expiration_height, owner_key_hash, verify_owner_signature, zelid_address,
};
use flux_apps::spec::AppSpec;
use flux_pow::{BlockHeight, Network};
use flux_tx::Amount;
use flux_tx::address::Address;
use flux_tx::keys::PrivateKey;
use flux_tx::message::{MessageError, MessageMagic, sign_message};
use serde_json::Value;

const TIMESTAMP: u64 = 1_764_000_000_000;

fn key(seed: u8) -> PrivateKey {
    PrivateKey::from_secret_bytes([seed; 32], true).expect("valid secret")
}

fn owner_of(key: &PrivateKey) -> String {
    zelid_address(&key.public_key())
}

/// The vector's raw spec with `owner` set to `owner` and FluxOS's formatting applied.
fn spec_with_owner(raw: &Value, owner: &str) -> AppSpec {
    let mut raw = raw.clone();
    raw["owner"] = Value::String(owner.to_owned());
    AppSpec::from_fluxos_json(&raw.to_string()).expect("formats")
}

fn edit(spec: &AppSpec, f: impl FnOnce(&mut Value)) -> AppSpec {
    let mut value = serde_json::to_value(spec).expect("serialises");
    f(&mut value);
    AppSpec::from_fluxos_json(&value.to_string()).expect("formats")
}

/// The smallest payment FluxOS accepts for `fee` FLUX.
fn exact(fee: f64, height: u32) -> Payment {
    // The fee is a small positive number of FLUX; its zat value fits easily.
    #[allow(clippy::cast_possible_truncation)]
    let zat = (fee * 1e8).ceil() as i64;
    Payment {
        height: BlockHeight(height),
        value: Amount::from_zat(zat).expect("in range"),
    }
}

fn short(payment: Payment) -> Payment {
    Payment {
        value: Amount::from_zat(payment.value.zat() - 1).expect("in range"),
        ..payment
    }
}

fn height_of(entry: &Value) -> u32 {
    common::height(&entry["evaluation"]["height"]).get()
}

#[test]
fn every_valid_real_spec_registers_with_the_exact_fee_and_not_one_zat_less() {
    let owner_key = key(7);
    let owner = owner_of(&owner_key);
    let mut accepted = 0;
    for entry in real_specs() {
        let id = entry["id"].as_str().expect("id");
        let height = height_of(&entry);
        let spec = spec_with_owner(&entry["spec"], &owner);
        let message = AppMessage::sign(MessageKind::Register, spec, TIMESTAMP, &owner_key);
        assert_eq!(message.verify(&owner), Ok(()), "{id}");
        let fee = entry["evaluation"]["min_registration_fee_flux"]
            .as_f64()
            .expect("fee");
        let payment = exact(fee, height);
        let mut registry = Registry::default();
        if !entry["evaluation"]["valid"].as_bool().expect("valid") {
            let error = registry.register(&message, payment).expect_err(id);
            assert!(
                matches!(error, RegistrationError::InvalidSpec(_)),
                "{id}: {error}"
            );
            continue;
        }
        let error = registry
            .register(&message, short(payment))
            .expect_err("underpaid");
        assert!(
            matches!(error, RegistrationError::Underpaid { fee_flux, .. } if fee_flux == fee),
            "{id}: {error}"
        );
        assert!(registry.get(message.spec.name()).is_none());
        let app = registry.register(&message, payment).expect(id);
        assert_eq!(app.owner(), owner);
        assert_eq!(app.hash, message.hash());
        assert_eq!(app.hash.len(), 64);
        assert_eq!(app.height, BlockHeight(height));
        accepted += 1;
    }
    assert_eq!(accepted, 13);
}

#[test]
fn the_real_fluxos_signature_verifies_and_a_tampered_one_does_not() {
    let entry = real_specs()
        .into_iter()
        .find(|e| e["id"] == "fluxos_test_foldingathome_v2")
        .expect("real signed vector");
    let message = &entry["message"];
    let signed = message["signed_string"].as_str().expect("signed string");
    let signature = message["signature"].as_str().expect("signature");
    let owner = entry["spec"]["owner"].as_str().expect("owner");
    assert_eq!(verify_owner_signature(owner, signature, signed), Ok(()));
    let tampered = signed.replace("Folding @ Home", "Folding @ Homf");
    assert_eq!(
        verify_owner_signature(owner, signature, &tampered),
        Err(SignatureError::Mismatch(MessageError::WrongSigner))
    );
    // The same message under another owner.
    assert_eq!(
        verify_owner_signature(&owner_of(&key(9)), signature, signed),
        Err(SignatureError::Mismatch(MessageError::WrongSigner))
    );
}

fn kaspa() -> (Value, u32) {
    let entry = real_specs()
        .into_iter()
        .find(|e| e["id"] == "fdm_KaspaNode08")
        .expect("KaspaNode08");
    let height = height_of(&entry);
    (entry["spec"].clone(), height)
}

fn registered(registry: &mut Registry, raw: &Value, height: u32, owner: &PrivateKey) -> AppSpec {
    let spec = spec_with_owner(raw, &owner_of(owner));
    let message = AppMessage::sign(MessageKind::Register, spec.clone(), TIMESTAMP, owner);
    let fee = flux_apps::spec::price::registration_fee(&spec, BlockHeight(height));
    registry
        .register(&message, exact(fee, height))
        .expect("registers");
    spec
}

#[test]
fn tampered_messages_and_foreign_signers_are_rejected() {
    let (raw, height) = kaspa();
    let owner = key(1);
    let spec = spec_with_owner(&raw, &owner_of(&owner));
    let message = AppMessage::sign(MessageKind::Register, spec.clone(), TIMESTAMP, &owner);
    let payment = exact(100.0, height);

    // The spec changed after signing.
    let mut tampered = message.clone();
    tampered.spec = edit(&spec, |v| v["description"] = Value::from("changed"));
    let error = Registry::default()
        .register(&tampered, payment)
        .expect_err("tampered spec");
    assert!(
        matches!(
            &error,
            RegistrationError::Signature {
                error: SignatureError::Mismatch(MessageError::WrongSigner),
                ..
            }
        ),
        "{error}"
    );
    // The timestamp changed.
    let mut later = message.clone();
    later.timestamp_ms += 1;
    assert!(matches!(
        Registry::default().register(&later, payment),
        Err(RegistrationError::Signature { .. })
    ));
    // A signature that is not base64, or not 65 bytes.
    let mut garbled = message.clone();
    garbled.signature = "not base64!".into();
    assert!(matches!(
        Registry::default().register(&garbled, payment),
        Err(RegistrationError::Signature {
            error: SignatureError::Mismatch(MessageError::Base64),
            ..
        })
    ));
    // Someone else signs a spec naming our owner.
    let forged = AppMessage::sign(MessageKind::Register, spec.clone(), TIMESTAMP, &key(2));
    assert!(matches!(
        Registry::default().register(&forged, payment),
        Err(RegistrationError::Signature { .. })
    ));
    // An update message cannot register, an unknown type is refused.
    let as_update = AppMessage::sign(MessageKind::Update, spec.clone(), TIMESTAMP, &owner);
    assert!(matches!(
        Registry::default().register(&as_update, payment),
        Err(RegistrationError::WrongKind { .. })
    ));
    let mut unknown = message.clone();
    unknown.type_name = "fluxappdelete".into();
    assert!(matches!(
        Registry::default().register(&unknown, payment),
        Err(RegistrationError::UnknownType(_))
    ));
    // The type is part of the signed string: renaming it breaks the signature, and the legacy
    // name is accepted when it is what was signed.
    let mut legacy = message.clone();
    legacy.type_name = "zelappregister".into();
    assert!(matches!(
        Registry::default().register(&legacy, payment),
        Err(RegistrationError::Signature { .. })
    ));
    legacy.signature = sign_message(
        &owner,
        legacy.signed_string().as_bytes(),
        MessageMagic::Bitcoin,
    )
    .to_base64();
    assert!(legacy.signed_string().starts_with("zelappregister1{"));
    assert!(Registry::default().register(&legacy, payment).is_ok());
}

#[test]
fn owners_flux_tx_cannot_verify_get_typed_errors() {
    assert!(matches!(
        owner_key_hash("0x52908400098527886E0F7030069857D2E4169EE7"),
        Err(OwnerError::Ethereum(_))
    ));
    let t1 = Address::from_public_key(&key(3).public_key(), Network::Mainnet).to_string();
    assert!(t1.starts_with("t1"));
    assert!(matches!(
        owner_key_hash(&t1),
        Err(OwnerError::FluxTransparent(_))
    ));
    assert!(matches!(
        owner_key_hash("1AnonOwner0000000000000000000000"),
        Err(OwnerError::Invalid(_))
    ));
    // A hex public key owner verifies like its ZelID.
    let signer = key(4);
    let hex_owner = hex::encode(signer.public_key().to_bytes());
    assert_eq!(
        owner_key_hash(&hex_owner),
        owner_key_hash(&owner_of(&signer))
    );
    let (raw, height) = kaspa();
    let spec = spec_with_owner(&raw, &hex_owner);
    let message = AppMessage::sign(MessageKind::Register, spec, TIMESTAMP, &signer);
    assert!(
        Registry::default()
            .register(&message, exact(100.0, height))
            .is_ok()
    );
    // A t1 owner is refused with the reason, not a generic mismatch.
    let spec = spec_with_owner(&raw, &t1);
    let message = AppMessage::sign(MessageKind::Register, spec, TIMESTAMP, &key(3));
    let error = Registry::default()
        .register(&message, exact(100.0, height))
        .expect_err("t1 owner");
    assert!(error.to_string().contains("ZelID"), "{error}");
}

#[test]
fn only_the_owner_updates_and_a_transfer_moves_that_right() {
    let (raw, height) = kaspa();
    let (alice, bob) = (key(11), key(12));
    let mut registry = Registry::default();
    let spec = registered(&mut registry, &raw, height, &alice);
    let later = height + 1_000;

    let bigger = edit(&spec, |v| v["compose"][0]["ram"] = Value::from(20_000));
    let fee = |new: &AppSpec, registry: &Registry| {
        let current = registry.get("KaspaNode08").expect("registered");
        flux_apps::spec::price::update_fee(new, BlockHeight(later), &current.spec, current.height)
    };

    // Bob signs an update of Alice's app: rejected, nothing changes.
    let by_bob = AppMessage::sign(MessageKind::Update, bigger.clone(), TIMESTAMP, &bob);
    let error = registry
        .update(&by_bob, exact(1_000.0, later))
        .expect_err("non-owner");
    assert!(
        matches!(&error, RegistrationError::Signature { signer, .. } if *signer == owner_of(&alice)),
        "{error}"
    );
    assert_eq!(registry.get("kaspanode08").expect("app").spec, spec);

    // Alice's update, underpaid by one zat, then paid.
    let by_alice = AppMessage::sign(MessageKind::Update, bigger.clone(), TIMESTAMP, &alice);
    let payment = exact(fee(&bigger, &registry), later);
    assert!(matches!(
        registry.update(&by_alice, short(payment)),
        Err(RegistrationError::Underpaid { .. })
    ));
    assert_eq!(registry.update(&by_alice, payment), Ok(UpdateKind::Change));
    let app = registry.get("KaspaNode08").expect("app");
    assert_eq!(app.spec, bigger);
    assert_eq!(app.height, BlockHeight(later));
    assert_eq!(app.registered_at, BlockHeight(height));

    // Alice hands the app to Bob; from then on only Bob may update it.
    let to_bob = edit(&bigger, |v| v["owner"] = Value::from(owner_of(&bob)));
    let transfer = AppMessage::sign(MessageKind::Update, to_bob.clone(), TIMESTAMP, &alice);
    let payment = exact(fee(&to_bob, &registry), later + 10);
    assert_eq!(
        registry.update(&transfer, payment),
        Ok(UpdateKind::Transfer)
    );
    let back = edit(&to_bob, |v| v["compose"][0]["cpu"] = Value::from(6));
    let by_alice = AppMessage::sign(MessageKind::Update, back.clone(), TIMESTAMP, &alice);
    assert!(matches!(
        registry.update(&by_alice, exact(1_000.0, later + 20)),
        Err(RegistrationError::Signature { .. })
    ));
    let by_bob = AppMessage::sign(MessageKind::Update, back, TIMESTAMP, &bob);
    assert_eq!(
        registry.update(&by_bob, exact(1_000.0, later + 20)),
        Ok(UpdateKind::Change)
    );
}

#[test]
fn updates_keep_the_name_and_fluxos_compatibility_rules() {
    let owner = key(21);
    let mut registry = Registry::default();
    let entry = real_specs()
        .into_iter()
        .find(|e| e["id"] == "fdm_anonapp24")
        .expect("v7 with 3 components");
    let height = height_of(&entry);
    let spec = registered(&mut registry, &entry["spec"], height, &owner);
    let name = spec.name().to_owned();
    let pay = exact(1_000.0, height + 100);
    let try_update = |registry: &mut Registry, new: AppSpec| {
        let message = AppMessage::sign(MessageKind::Update, new, TIMESTAMP, &owner);
        registry.update(&message, pay)
    };

    // Renaming a component of a v7 app.
    let renamed = edit(&spec, |v| v["compose"][1]["name"] = Value::from("renamed"));
    assert!(matches!(
        try_update(&mut registry, renamed),
        Err(RegistrationError::ComponentsChanged(_))
    ));
    // Reordering components is allowed (FluxOS looks names up).
    let reordered = edit(&spec, |v| {
        let compose = v["compose"].as_array_mut().expect("compose");
        compose.swap(0, 1);
    });
    assert_eq!(try_update(&mut registry, reordered), Ok(UpdateKind::Change));
    // A different spelling of the name is a different message, not a rename.
    let respelled = edit(&spec, |v| v["name"] = Value::from(name.to_uppercase()));
    assert!(matches!(
        try_update(&mut registry, respelled),
        Err(RegistrationError::NameChanged { .. })
    ));
    // An app that was never registered.
    let other = edit(&spec, |v| v["name"] = Value::from("neverregistered"));
    assert!(matches!(
        try_update(&mut registry, other),
        Err(RegistrationError::UnknownApp(_))
    ));
    // A register message for a taken name, in any case.
    let again = edit(&spec, |v| v["name"] = Value::from(name.to_uppercase()));
    let message = AppMessage::sign(MessageKind::Register, again, TIMESTAMP, &owner);
    assert!(matches!(
        registry.register(&message, pay),
        Err(RegistrationError::NameTaken { .. })
    ));
}

#[test]
fn v1_to_3_keep_their_repotag_and_v4_plus_never_go_back() {
    let owner = key(31);
    let mut registry = Registry::default();
    let entry = real_specs()
        .into_iter()
        .find(|e| e["id"] == "fdm_anonapp14")
        .expect("v3");
    let height = height_of(&entry);
    let spec = registered(&mut registry, &entry["spec"], height, &owner);
    let pay = exact(1_000.0, height + 100);
    let new_image = edit(&spec, |v| v["repotag"] = Value::from("runonflux/other:1.0"));
    let message = AppMessage::sign(MessageKind::Update, new_image, TIMESTAMP, &owner);
    assert_eq!(
        registry.update(&message, pay),
        Err(RegistrationError::RepotagChanged(3))
    );

    let entry = real_specs()
        .into_iter()
        .find(|e| e["id"] == "fdm_anonapp7")
        .expect("v4");
    let height = height_of(&entry);
    let v4 = registered(&mut registry, &entry["spec"], height, &owner);
    // v4 → v5 is neither the same version nor the latest.
    let v5 = edit(&v4, |v| {
        v["version"] = Value::from(5);
        v["contacts"] = Value::Array(vec![]);
        v["geolocation"] = Value::Array(vec![]);
    });
    let message = AppMessage::sign(MessageKind::Update, v5, TIMESTAMP, &owner);
    assert_eq!(
        registry.update(&message, exact(1_000.0, height + 100)),
        Err(RegistrationError::NotLatestVersion { got: 5, latest: 8 })
    );
}

#[test]
fn a_renewal_extends_the_life_from_its_own_height_and_expired_apps_go() {
    let owner = key(41);
    let mut registry = Registry::default();
    let entry = real_specs()
        .into_iter()
        .find(|e| e["id"] == "marketplace_rust_flux")
        .expect("v8, expire 22000");
    let height = height_of(&entry);
    let spec = registered(&mut registry, &entry["spec"], height, &owner);
    let name = spec.name().to_owned();
    let app = registry.get(&name).expect("app");
    // Alive through height + expire, expired above it (`actualExpirationHeight < height`).
    assert_eq!(
        app.expires_after(BlockHeight(height)),
        BlockHeight(height + 22_000)
    );
    assert!(!app.is_expired(BlockHeight(height + 22_000)));
    assert!(app.is_expired(BlockHeight(height + 22_001)));

    // Renewal at height + 20,000 for another 88,000 blocks.
    let renew_at = height + 20_000;
    let renewed = edit(&spec, |v| v["expire"] = Value::from(88_000));
    let fee = flux_apps::spec::price::update_fee(
        &renewed,
        BlockHeight(renew_at),
        &spec,
        BlockHeight(height),
    );
    let message = AppMessage::sign(MessageKind::Update, renewed, TIMESTAMP, &owner);
    assert_eq!(
        registry.update(&message, exact(fee, renew_at)),
        Ok(UpdateKind::Renewal)
    );
    let app = registry.get(&name).expect("app");
    assert_eq!(
        app.expires_after(BlockHeight(renew_at)),
        BlockHeight(renew_at + 88_000)
    );
    // The reconcile loop removes it from the first height past its life.
    #[cfg(feature = "runtime")]
    {
        let deployment = app.deployment(BlockHeight(renew_at)).expect("runnable");
        assert_eq!(deployment.expires_at, Some(BlockHeight(renew_at + 88_001)));
        assert_eq!(deployment.instances(), 3);
    }
    assert!(registry.expire(BlockHeight(renew_at + 88_000)).is_empty());

    // Expired: removed, no more updates, and the name is free for anyone.
    let gone = BlockHeight(renew_at + 88_001);
    let stale = AppMessage::sign(MessageKind::Update, spec.clone(), TIMESTAMP, &owner);
    assert!(matches!(
        registry.update(&stale, exact(1_000.0, gone.0)),
        Err(RegistrationError::Expired { .. })
    ));
    assert_eq!(registry.expire(gone), vec![name.clone()]);
    assert!(registry.get(&name).is_none());
    let newcomer = key(42);
    let taken_over = edit(&spec, |v| v["owner"] = Value::from(owner_of(&newcomer)));
    let message = AppMessage::sign(MessageKind::Register, taken_over, TIMESTAMP, &newcomer);
    let fee = flux_apps::spec::price::registration_fee(&message.spec, gone);
    assert!(registry.register(&message, exact(fee, gone.0)).is_ok());
}

#[test]
fn pre_fork_lifetimes_stretch_fourfold_past_the_fork() {
    let fork = flux_apps::spec::params::PON_FORK_HEIGHT.get();
    let start = BlockHeight(fork - 2_000);
    // Seen before the fork: plain arithmetic.
    assert_eq!(
        expiration_height(start, Some(22_000.0), BlockHeight(fork - 1)),
        BlockHeight(fork + 20_000)
    );
    // Seen from the fork on: the 20,000 blocks past it count four times.
    assert_eq!(
        expiration_height(start, Some(22_000.0), BlockHeight(fork)),
        BlockHeight(fork + 80_000)
    );
    // No expire field: 22,000 before the fork, 88,000 from it; nothing stretched after it.
    assert_eq!(
        expiration_height(BlockHeight(1_000_000), None, BlockHeight(1_000_001)),
        BlockHeight(1_022_000)
    );
    assert_eq!(
        expiration_height(BlockHeight(fork), None, BlockHeight(fork)),
        BlockHeight(fork + 88_000)
    );
    // A lifetime that ended before the fork is not stretched.
    assert_eq!(
        expiration_height(BlockHeight(1_000_000), Some(5_000.0), BlockHeight(fork + 5)),
        BlockHeight(1_005_000)
    );
}
