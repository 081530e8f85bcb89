//! Every START kind the builder makes (version 5, version 6 P2SH before and after PON, delegate
//! UPDATE and SIGNING for pubkey and P2SH collaterals) against layouts written by hand from
//! fluxd's serializer (`tests/data/fluxnode_starts.json`), then signed and verified as fluxd's
//! `CheckFluxnodeTxSignatures` does, and tampered with.

use flux_tx::builder::fluxnode::{
    BenchmarkAttestation, CollateralOwner, DelegateRole, StartError, StartTemplate, UnsignedStart,
    build_confirm_version,
};
use flux_tx::fluxnode::{FluxnodeStart, FluxnodeTx, UpdateType};
use flux_tx::fluxnode_sig::{
    NodeSignatureError, StartSigner, verify_benchmark, verify_confirm, verify_start,
};
use flux_tx::keys::{PrivateKey, sha256d};
use flux_tx::{FluxDecode, FluxEncode, OutPoint, Script, Tier, Transaction, Txid};
use serde_json::Value;

fn secret(n: u64) -> PrivateKey {
    let mut bytes = [0u8; 32];
    bytes[24..].copy_from_slice(&n.to_be_bytes());
    PrivateKey::from_secret_bytes(bytes, true).unwrap()
}

fn vectors() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/fluxnode_starts.json"
    ))
    .unwrap();
    serde_json::from_str(&text).unwrap()
}

fn template(case: &Value, redeem: &Script) -> StartTemplate {
    let t = &case["template"];
    let txid: [u8; 32] = hex::decode(t["collateral_txid_internal"].as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap();
    let owner = match t["owner"].as_str().unwrap() {
        "pubkey" => CollateralOwner::PubKey(secret(t["owner_key"].as_u64().unwrap()).public_key()),
        "p2sh" => CollateralOwner::P2sh(redeem.clone()),
        other => panic!("owner {other}"),
    };
    let delegates = match t["delegate_role"].as_str().unwrap() {
        "none" => DelegateRole::None,
        "update" => DelegateRole::Update(
            t["delegates"]
                .as_array()
                .unwrap()
                .iter()
                .map(|k| secret(k.as_u64().unwrap()).public_key())
                .collect(),
        ),
        "signing" => DelegateRole::Signing,
        other => panic!("role {other}"),
    };
    StartTemplate {
        collateral: OutPoint {
            txid: Txid(txid),
            index: t["collateral_index"].as_u64().unwrap() as u32,
        },
        owner,
        node_public_key: secret(t["node_key"].as_u64().unwrap()).public_key(),
        sig_time: t["sig_time"].as_u64().unwrap() as u32,
        delegates,
        pon_active: t["pon_active"].as_bool().unwrap(),
    }
}

fn start_of(tx: &Transaction) -> &FluxnodeStart {
    match tx.fluxnode() {
        Some(FluxnodeTx::Start(start)) => start,
        other => panic!("not a START: {other:?}"),
    }
}

fn stored(case: &Value) -> Option<Vec<Vec<u8>>> {
    case["signer"]["stored"].as_array().map(|keys| {
        keys.iter()
            .map(|k| secret(k.as_u64().unwrap()).public_key().to_bytes())
            .collect()
    })
}

#[test]
fn the_hand_written_keys_are_the_builders() {
    let v = vectors();
    for n in 1..=3u64 {
        assert_eq!(
            hex::encode(secret(n).public_key().to_bytes()),
            v["keys"][n.to_string()].as_str().unwrap()
        );
    }
}

#[test]
fn every_start_kind_has_fluxds_layout_and_verifies() {
    let v = vectors();
    let redeem = Script::from(hex::decode(v["redeem_script"].as_str().unwrap()).unwrap());
    for case in v["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let unsigned = template(case, &redeem).build().unwrap();
        let want: String = case["unsigned_fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|field| field[1].as_str().unwrap())
            .collect();
        let want = hex::decode(want).unwrap();
        let mut preimage = Vec::new();
        unsigned.transaction().encode_for_hash(&mut preimage);
        assert_eq!(hex::encode(&preimage), hex::encode(&want), "{name}");
        assert_eq!(unsigned.txid(), Txid(sha256d(&want)), "{name}");

        let signer = &case["signer"];
        let key = secret(signer["key"].as_u64().unwrap());
        let tx = unsigned.sign(&key).unwrap();
        // The wire form inserts the 65-byte signature after sigTime and round-trips.
        let wire = tx.encoded();
        assert_eq!(wire.len(), want.len() + 66, "{name}");
        assert_eq!(Transaction::decode_exact(&wire).unwrap(), tx, "{name}");
        assert_eq!(tx.txid(), unsigned.txid(), "{name}");

        let expected = match signer["as"].as_str().unwrap() {
            "collateral" => StartSigner::CollateralKey,
            "redeem_script_key" => {
                StartSigner::RedeemScriptKey(signer["index"].as_u64().unwrap() as usize)
            }
            "delegate" => StartSigner::Delegate(signer["index"].as_u64().unwrap() as usize),
            other => panic!("signer {other}"),
        };
        let stored = stored(case);
        let body = start_of(&tx);
        assert_eq!(
            verify_start(body, &tx.txid().0, stored.as_deref()),
            Ok(expected),
            "{name}"
        );

        // Any change to a hashed field changes the txid the signature covered.
        let mut tampered = body.clone();
        tampered.sig_time += 1;
        let tampered_tx = Transaction {
            body: flux_tx::TxBody::Fluxnode(FluxnodeTx::Start(tampered.clone())),
            ..tx.clone()
        };
        assert!(
            verify_start(&tampered, &tampered_tx.txid().0, stored.as_deref()).is_err(),
            "{name}"
        );
    }
}

#[test]
fn only_the_keys_fluxd_accepts_may_sign() {
    let v = vectors();
    let redeem = Script::from(hex::decode(v["redeem_script"].as_str().unwrap()).unwrap());
    let outsider = secret(4);
    for case in v["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let unsigned = template(case, &redeem).build().unwrap();
        let signing_as_delegate = case["template"]["delegate_role"] == "signing";
        if signing_as_delegate {
            // The builder cannot know the stored delegates; the chain refuses a stranger.
            let tx = unsigned.sign(&outsider).unwrap();
            assert_eq!(
                verify_start(start_of(&tx), &tx.txid().0, stored(case).as_deref()),
                Err(NodeSignatureError::DelegateNotAuthorized),
                "{name}"
            );
            // With no delegates stored, even a right key is refused.
            let right = unsigned
                .sign(&secret(case["signer"]["key"].as_u64().unwrap()))
                .unwrap();
            assert_eq!(
                verify_start(start_of(&right), &right.txid().0, None),
                Err(NodeSignatureError::DelegateNotAuthorized),
                "{name}"
            );
        } else {
            assert!(
                matches!(
                    unsigned.sign(&outsider),
                    Err(StartError::KeyNotAuthorized { .. })
                ),
                "{name}"
            );
            // A signature by the stranger put in place by hand does not verify.
            let forged = unsigned
                .with_signature(&flux_tx::fluxnode_sig::sign_node_message(
                    &outsider,
                    unsigned.message().as_bytes(),
                ))
                .unwrap();
            assert!(
                verify_start(start_of(&forged), &forged.txid().0, None).is_err(),
                "{name}"
            );
        }
    }
}

#[test]
fn an_update_start_is_verified_against_the_owner_not_the_delegates() {
    // fluxd: `IsUpdatingDelegate` clears `fAllowDelegatesToSign` (fluxnode.cpp:100-103).
    let (owner, node, delegate) = (secret(1), secret(2), secret(3));
    let unsigned = StartTemplate {
        collateral: OutPoint {
            txid: Txid([5; 32]),
            index: 0,
        },
        owner: CollateralOwner::PubKey(owner.public_key()),
        node_public_key: node.public_key(),
        sig_time: 1,
        delegates: DelegateRole::Update(vec![delegate.public_key()]),
        pon_active: true,
    }
    .build()
    .unwrap();
    let by_delegate = unsigned
        .with_signature(&flux_tx::fluxnode_sig::sign_node_message(
            &delegate,
            unsigned.message().as_bytes(),
        ))
        .unwrap();
    let stored = vec![delegate.public_key().to_bytes()];
    assert_eq!(
        verify_start(start_of(&by_delegate), &by_delegate.txid().0, Some(&stored)),
        Err(NodeSignatureError::WrongSigner)
    );
}

#[test]
fn builder_refuses_what_fluxds_rpcs_refuse() {
    let base = StartTemplate {
        collateral: OutPoint {
            txid: Txid([5; 32]),
            index: 0,
        },
        owner: CollateralOwner::PubKey(secret(1).public_key()),
        node_public_key: secret(2).public_key(),
        sig_time: 1,
        delegates: DelegateRole::Update(vec![secret(3).public_key()]),
        pon_active: false,
    };
    assert_eq!(base.build(), Err(StartError::DelegatesBeforePon));
    let five: Vec<_> = (3..8).map(|n| secret(n).public_key()).collect();
    let too_many = StartTemplate {
        delegates: DelegateRole::Update(five),
        pon_active: true,
        ..base.clone()
    };
    assert_eq!(
        too_many.build(),
        Err(StartError::TooManyDelegates { count: 5 })
    );
    let repeat = StartTemplate {
        delegates: DelegateRole::Update(vec![secret(3).public_key(), secret(3).public_key()]),
        pon_active: true,
        ..base.clone()
    };
    assert_eq!(
        repeat.build(),
        Err(StartError::DuplicateDelegate { index: 1 })
    );
    let uncompressed = PrivateKey::from_secret_bytes(secret(3).secret_bytes(), false).unwrap();
    let wide = StartTemplate {
        delegates: DelegateRole::Update(vec![uncompressed.public_key()]),
        pon_active: true,
        ..base.clone()
    };
    assert_eq!(
        wide.build(),
        Err(StartError::UncompressedDelegate { index: 0 })
    );
    let not_multisig = StartTemplate {
        owner: CollateralOwner::P2sh(Script::from(vec![0x51])),
        delegates: DelegateRole::None,
        ..base.clone()
    };
    assert_eq!(not_multisig.build(), Err(StartError::NotMultisig));
    // A CONFIRM stands in for any transaction that is not a START.
    let confirm = flux_tx::builder::fluxnode::build_confirm(
        OutPoint {
            txid: Txid([1; 32]),
            index: 0,
        },
        &secret(1),
        UpdateType::InitialConfirm,
        1,
        "1.2.3.4:16125",
        &BenchmarkAttestation {
            key: &secret(2),
            tier: Tier::Cumulus,
            sig_time: 1,
        },
    );
    assert_eq!(
        UnsignedStart::from_transaction(confirm),
        Err(StartError::NotAStart)
    );
}

#[test]
fn confirm_takes_the_starts_version_and_both_signatures_verify() {
    let (node, benchmark) = (secret(2), secret(9));
    let collateral = OutPoint {
        txid: Txid([7; 32]),
        index: 3,
    };
    for version in [5, 6] {
        let tx = build_confirm_version(
            version,
            collateral,
            &node,
            UpdateType::UpdateConfirm,
            1_760_000_100,
            "[2001:db8::1]:16125",
            &BenchmarkAttestation {
                key: &benchmark,
                tier: Tier::Stratus,
                sig_time: 1_760_000_050,
            },
        )
        .unwrap();
        let wire = tx.encoded();
        assert_eq!(wire[..5], [version as u8, 0, 0, 0, 4]);
        assert_eq!(Transaction::decode_exact(&wire).unwrap(), tx);
        let Some(FluxnodeTx::Confirm(confirm)) = tx.fluxnode() else {
            panic!("not a CONFIRM");
        };
        assert_eq!(
            verify_confirm(confirm, &node.public_key().to_bytes()),
            Ok(())
        );
        assert_eq!(
            verify_benchmark(confirm, &benchmark.public_key().to_bytes()),
            Ok(())
        );
        assert_eq!(
            verify_benchmark(confirm, &node.public_key().to_bytes()),
            Err(NodeSignatureError::WrongSigner)
        );
        let mut moved = confirm.clone();
        moved.ip = b"198.51.100.1:16125".to_vec();
        assert_eq!(
            verify_benchmark(&moved, &benchmark.public_key().to_bytes()),
            Err(NodeSignatureError::WrongSigner)
        );
    }
    assert!(
        build_confirm_version(
            4,
            collateral,
            &node,
            UpdateType::InitialConfirm,
            1,
            "",
            &BenchmarkAttestation {
                key: &benchmark,
                tier: Tier::Cumulus,
                sig_time: 1,
            },
        )
        .is_err()
    );
}
