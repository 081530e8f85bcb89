//! Signature hashes proven through the interpreter: inputs signed with [`sign_input`] must verify
//! with the daemon's checks, and every change a hash type commits to must break the signature
//! while every change it leaves free must not.

use flux_pow::NetworkUpgrade;
use flux_tx::keys::PrivateKey;
use flux_tx::script::interpreter::{ScriptError, VerifyFlags};
use flux_tx::script::standard;
use flux_tx::sighash::{
    SIGHASH_ALL, SIGHASH_ANYONECANPAY, SIGHASH_NONE, SIGHASH_SINGLE, SighashError, SignedInput,
    signature_hash,
};
use flux_tx::sign::{
    VerifyInputError, p2pkh_script_sig, p2sh_multisig_script_sig, sign_input, verify_input,
};
use flux_tx::transaction::SAPLING_VERSION_GROUP_ID;
use flux_tx::{BlockHeight, Network};

const FLUX_BRANCH: u32 = 0x76b8_09bb;

mod common;
use common::{Input, Tx};

fn key(byte: u8, compressed: bool) -> PrivateKey {
    PrivateKey::from_secret_bytes([byte; 32], compressed).unwrap()
}

fn p2pkh_of(key: &PrivateKey) -> Vec<u8> {
    standard::p2pkh(&key.public_key().pubkey_hash())
}

/// v1 (legacy), v3 (Overwinter) and v4 (Sapling) forms of a 2-in/2-out transaction.
fn transactions() -> Vec<Tx> {
    let inputs = vec![
        Input {
            txid: [0x11; 32],
            index: 0,
            script_sig: vec![],
            sequence: 0xffff_fffe,
        },
        Input {
            txid: [0x22; 32],
            index: 3,
            script_sig: vec![],
            sequence: 0xffff_ffff,
        },
    ];
    let outputs = vec![
        (150_000_000, p2pkh_of(&key(9, true))),
        (49_990_000, p2pkh_of(&key(8, true))),
    ];
    let base = Tx {
        version: 1,
        overwintered: false,
        group: 0,
        inputs,
        outputs,
        lock_time: 0,
        expiry: 0,
    };
    vec![
        base.clone(),
        Tx {
            version: 3,
            overwintered: true,
            group: 0x03c4_8270,
            expiry: 2_000_020,
            ..base.clone()
        },
        Tx {
            version: 4,
            overwintered: true,
            group: SAPLING_VERSION_GROUP_ID,
            expiry: 2_000_020,
            ..base
        },
    ]
}

const AMOUNTS: [i64; 2] = [120_000_000, 80_000_000];

/// Signs every input as P2PKH with `hash_type` and returns the spent scripts.
fn sign_all(tx: &mut Tx, keys: &[PrivateKey; 2], hash_type: u8) -> Vec<Vec<u8>> {
    let scripts: Vec<Vec<u8>> = keys.iter().map(p2pkh_of).collect();
    for i in 0..2 {
        let input = SignedInput {
            index: i,
            script_code: &scripts[i],
            amount: AMOUNTS[i],
        };
        let signature = sign_input(tx, input, hash_type, FLUX_BRANCH, &keys[i]).unwrap();
        tx.inputs[i].script_sig = p2pkh_script_sig(&signature, &keys[i].public_key().to_bytes());
    }
    scripts
}

fn verify_all(
    tx: &Tx,
    scripts: &[Vec<u8>],
    flags: VerifyFlags,
    branch: u32,
) -> Result<(), VerifyInputError> {
    for (i, script) in scripts.iter().enumerate() {
        verify_input(tx, i, script, AMOUNTS[i], flags, branch)?;
    }
    Ok(())
}

#[test]
fn flux_branch_id_is_the_one_in_force() {
    assert_eq!(
        NetworkUpgrade::branch_id_at(Network::Mainnet, BlockHeight(2_100_000)),
        FLUX_BRANCH
    );
}

#[test]
fn p2pkh_round_trip_for_every_format_and_key_form() {
    for compressed in [true, false] {
        for tx in transactions() {
            let mut tx = tx;
            let keys = [key(1, compressed), key(2, compressed)];
            let scripts = sign_all(&mut tx, &keys, SIGHASH_ALL as u8);
            assert_eq!(
                verify_all(&tx, &scripts, VerifyFlags::STANDARD, FLUX_BRANCH),
                Ok(()),
                "v{}",
                tx.version
            );
            assert_eq!(
                verify_all(&tx, &scripts, VerifyFlags::MANDATORY, FLUX_BRANCH),
                Ok(())
            );
        }
    }
}

#[test]
fn signing_is_deterministic_and_low_s() {
    let tx = transactions().pop().unwrap();
    let script = p2pkh_of(&key(1, true));
    let input = SignedInput {
        index: 0,
        script_code: &script,
        amount: AMOUNTS[0],
    };
    let a = sign_input(&tx, input, 1, FLUX_BRANCH, &key(1, true)).unwrap();
    let b = sign_input(&tx, input, 1, FLUX_BRANCH, &key(1, true)).unwrap();
    assert_eq!(a, b);
    assert!(flux_tx::script::interpreter::is_low_s(&a[..a.len() - 1]));
    assert_eq!(*a.last().unwrap(), 1);
}

fn eval_false(index: usize) -> Result<(), VerifyInputError> {
    Err(VerifyInputError::Script {
        index,
        error: ScriptError::EvalFalse,
    })
}

#[test]
fn v3_and_v4_commit_to_branch_id_amount_and_expiry_legacy_does_not() {
    for tx in transactions() {
        let mut tx = tx;
        let keys = [key(1, true), key(2, true)];
        let scripts = sign_all(&mut tx, &keys, SIGHASH_ALL as u8);
        let zip = tx.overwintered;
        // Zcash's Sapling id on a Flux chain is the same value; any other id breaks v3/v4.
        let other_branch = verify_all(&tx, &scripts, VerifyFlags::STANDARD, 0x2bb4_0e60);
        assert_eq!(other_branch.is_err(), zip, "v{}", tx.version);
        let wrong_amount = verify_input(
            &tx,
            0,
            &scripts[0],
            AMOUNTS[0] + 1,
            VerifyFlags::STANDARD,
            FLUX_BRANCH,
        );
        assert_eq!(wrong_amount.is_err(), zip);
        let mut expired = tx.clone();
        expired.expiry += 1;
        assert_eq!(
            verify_all(&expired, &scripts, VerifyFlags::STANDARD, FLUX_BRANCH).is_err(),
            zip
        );
        // Every format commits to outputs, lock time and the spent prevout.
        let mut paid_elsewhere = tx.clone();
        paid_elsewhere.outputs[1].0 -= 1;
        assert_eq!(
            verify_all(
                &paid_elsewhere,
                &scripts,
                VerifyFlags::STANDARD,
                FLUX_BRANCH
            ),
            eval_false(0)
        );
        let mut relocked = tx.clone();
        relocked.lock_time = 1;
        assert_eq!(
            verify_all(&relocked, &scripts, VerifyFlags::STANDARD, FLUX_BRANCH),
            eval_false(0)
        );
    }
}

#[test]
fn hash_type_flags_free_exactly_what_they_promise() {
    for tx in transactions() {
        let keys = [key(1, true), key(2, true)];

        // NONE: outputs may change; other inputs' sequences too.
        let mut none = tx.clone();
        let scripts = sign_all(&mut none, &keys, SIGHASH_NONE as u8);
        none.outputs[0].0 = 1;
        none.outputs.pop();
        assert_eq!(
            verify_all(&none, &scripts, VerifyFlags::STANDARD, FLUX_BRANCH),
            Ok(()),
            "v{}",
            tx.version
        );

        // SINGLE: only the output at the input's index is locked.
        let mut single = tx.clone();
        let scripts = sign_all(&mut single, &keys, SIGHASH_SINGLE as u8);
        let mut changed = single.clone();
        changed.outputs[1].0 += 5; // input 0 signed only output 0
        assert_eq!(
            verify_input(
                &changed,
                0,
                &scripts[0],
                AMOUNTS[0],
                VerifyFlags::STANDARD,
                FLUX_BRANCH
            ),
            Ok(())
        );
        assert!(
            verify_input(
                &changed,
                1,
                &scripts[1],
                AMOUNTS[1],
                VerifyFlags::STANDARD,
                FLUX_BRANCH
            )
            .is_err()
        );

        // ANYONECANPAY|ALL: other inputs may be added.
        let mut acp = tx.clone();
        let scripts = sign_all(&mut acp, &keys, (SIGHASH_ALL | SIGHASH_ANYONECANPAY) as u8);
        let mut grown = acp.clone();
        grown.inputs.push(Input {
            txid: [0x33; 32],
            index: 1,
            script_sig: vec![],
            sequence: 0,
        });
        assert_eq!(
            verify_all(&grown, &scripts, VerifyFlags::STANDARD, FLUX_BRANCH),
            Ok(())
        );
        // ...but with plain ALL they may not.
        let mut all = tx.clone();
        let scripts = sign_all(&mut all, &keys, SIGHASH_ALL as u8);
        all.inputs.push(Input {
            txid: [0x33; 32],
            index: 1,
            script_sig: vec![],
            sequence: 0,
        });
        assert_eq!(
            verify_all(&all, &scripts, VerifyFlags::STANDARD, FLUX_BRANCH),
            eval_false(0)
        );
    }
}

#[test]
fn single_without_matching_output() {
    let [legacy, v3, v4] = <[Tx; 3]>::try_from(transactions()).unwrap();
    let script = p2pkh_of(&key(1, true));
    let mut one_output = legacy.clone();
    one_output.outputs.truncate(1);
    let input = SignedInput {
        index: 1,
        script_code: &script,
        amount: 0,
    };
    // fluxd throws for legacy transactions: there is no Bitcoin-style "one" hash.
    assert_eq!(
        signature_hash(&one_output, Some(input), SIGHASH_SINGLE, FLUX_BRANCH),
        Err(SighashError::SingleWithoutOutput {
            index: 1,
            outputs: 1
        })
    );
    // ZIP-143/243 hash a zero outputs digest instead.
    for mut tx in [v3, v4] {
        tx.outputs.truncate(1);
        assert!(signature_hash(&tx, Some(input), SIGHASH_SINGLE, FLUX_BRANCH).is_ok());
    }
    let out_of_range = SignedInput {
        index: 2,
        script_code: &script,
        amount: 0,
    };
    assert_eq!(
        signature_hash(&legacy, Some(out_of_range), SIGHASH_ALL, FLUX_BRANCH),
        Err(SighashError::InputOutOfRange {
            index: 2,
            inputs: 2
        })
    );
}

#[test]
fn hash_type_byte_is_committed() {
    // The whole hash-type value is hashed: 0x41 is ALL for the flags but a different digest.
    for tx in transactions() {
        let script = p2pkh_of(&key(1, true));
        let input = SignedInput {
            index: 0,
            script_code: &script,
            amount: AMOUNTS[0],
        };
        let all = signature_hash(&tx, Some(input), 0x01, FLUX_BRANCH).unwrap();
        let odd = signature_hash(&tx, Some(input), 0x41, FLUX_BRANCH).unwrap();
        assert_ne!(all, odd);
    }
}

fn multisig_setup() -> (Tx, [PrivateKey; 3], Vec<u8>, Vec<u8>) {
    let keys = [key(3, true), key(4, true), key(5, false)];
    let public: Vec<Vec<u8>> = keys.iter().map(|k| k.public_key().to_bytes()).collect();
    let refs: Vec<&[u8]> = public.iter().map(Vec::as_slice).collect();
    let redeem = standard::multisig(2, &refs).unwrap();
    let script_pubkey = standard::p2sh(&flux_tx::keys::hash160(&redeem));
    let mut tx = transactions().pop().unwrap();
    tx.inputs.truncate(1);
    (tx, keys, redeem, script_pubkey)
}

fn sign_multisig(tx: &Tx, keys: &[&PrivateKey], redeem: &[u8]) -> Vec<Vec<u8>> {
    keys.iter()
        .map(|k| {
            let input = SignedInput {
                index: 0,
                script_code: redeem,
                amount: AMOUNTS[0],
            };
            sign_input(tx, input, SIGHASH_ALL as u8, FLUX_BRANCH, k).unwrap()
        })
        .collect()
}

#[test]
fn p2sh_multisig_two_of_three() {
    let (mut tx, keys, redeem, script_pubkey) = multisig_setup();
    let verify =
        |tx: &Tx, flags| verify_input(tx, 0, &script_pubkey, AMOUNTS[0], flags, FLUX_BRANCH);
    for pair in [[0, 1], [0, 2], [1, 2]] {
        let signatures = sign_multisig(&tx, &[&keys[pair[0]], &keys[pair[1]]], &redeem);
        let refs: Vec<&[u8]> = signatures.iter().map(Vec::as_slice).collect();
        tx.inputs[0].script_sig = p2sh_multisig_script_sig(&refs, &redeem);
        assert_eq!(verify(&tx, VerifyFlags::STANDARD), Ok(()), "{pair:?}");
    }

    // Signatures out of key order fail (CHECKMULTISIG walks keys forward).
    let signatures = sign_multisig(&tx, &[&keys[1], &keys[0]], &redeem);
    let refs: Vec<&[u8]> = signatures.iter().map(Vec::as_slice).collect();
    tx.inputs[0].script_sig = p2sh_multisig_script_sig(&refs, &redeem);
    assert_eq!(verify(&tx, VerifyFlags::STANDARD), eval_false(0));

    // One signature is not enough.
    let signatures = sign_multisig(&tx, &[&keys[0]], &redeem);
    let refs: Vec<&[u8]> = signatures.iter().map(Vec::as_slice).collect();
    tx.inputs[0].script_sig = p2sh_multisig_script_sig(&refs, &redeem);
    assert!(verify(&tx, VerifyFlags::STANDARD).is_err());
}

#[test]
fn multisig_policy_rules() {
    let (mut tx, keys, redeem, script_pubkey) = multisig_setup();
    let verify =
        |tx: &Tx, flags| verify_input(tx, 0, &script_pubkey, AMOUNTS[0], flags, FLUX_BRANCH);
    let signatures = sign_multisig(&tx, &[&keys[0], &keys[1]], &redeem);
    let refs: Vec<&[u8]> = signatures.iter().map(Vec::as_slice).collect();
    let good = p2sh_multisig_script_sig(&refs, &redeem);

    // NULLDUMMY: a non-empty dummy is policy-invalid but consensus-valid.
    let mut dummy = good.clone();
    dummy[0] = 0x51; // OP_1 instead of OP_0
    tx.inputs[0].script_sig = dummy;
    assert_eq!(
        verify(&tx, VerifyFlags::STANDARD),
        Err(VerifyInputError::Script {
            index: 0,
            error: ScriptError::SigNullDummy
        })
    );
    assert_eq!(verify(&tx, VerifyFlags::MANDATORY), Ok(()));

    // LOW_S: the high-S twin of a valid signature verifies by consensus only.
    let high = high_s(&signatures[0]);
    let refs = [high.as_slice(), signatures[1].as_slice()];
    tx.inputs[0].script_sig = p2sh_multisig_script_sig(&refs, &redeem);
    assert_eq!(
        verify(&tx, VerifyFlags::STANDARD),
        Err(VerifyInputError::Script {
            index: 0,
            error: ScriptError::SigHighS
        })
    );
    assert_eq!(verify(&tx, VerifyFlags::MANDATORY), Ok(()));

    // Strict DER is consensus (BIP66 always on in Flux): a padded R fails even without flags.
    let padded = pad_r(&signatures[0]);
    let refs = [padded.as_slice(), signatures[1].as_slice()];
    tx.inputs[0].script_sig = p2sh_multisig_script_sig(&refs, &redeem);
    assert_eq!(
        verify(&tx, VerifyFlags::NONE | VerifyFlags::P2SH),
        Err(VerifyInputError::Script {
            index: 0,
            error: ScriptError::SigDer
        })
    );

    // CLEANSTACK: an extra push before the signatures is policy-invalid.
    let mut extra = vec![0x51];
    extra.extend_from_slice(&good);
    tx.inputs[0].script_sig = extra;
    assert_eq!(
        verify(&tx, VerifyFlags::STANDARD),
        Err(VerifyInputError::Script {
            index: 0,
            error: ScriptError::CleanStack
        })
    );
    assert_eq!(verify(&tx, VerifyFlags::MANDATORY), Ok(()));
}

const ORDER: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
    0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41,
];

/// The same signature with S replaced by n - S.
fn high_s(signature: &[u8]) -> Vec<u8> {
    let (der, hash_type) = signature.split_at(signature.len() - 1);
    let compact = secp256k1::ecdsa::Signature::from_der(der)
        .unwrap()
        .serialize_compact();
    let mut s = [0u8; 32];
    let mut borrow = 0i16;
    for i in (0..32).rev() {
        let diff = i16::from(ORDER[i]) - i16::from(compact[32 + i]) - borrow;
        s[i] = diff.rem_euclid(256) as u8;
        borrow = i16::from(diff < 0);
    }
    let integer = |bytes: &[u8]| {
        let start = bytes.iter().position(|&b| b != 0).unwrap_or(31);
        let mut out = bytes[start..].to_vec();
        if out[0] & 0x80 != 0 {
            out.insert(0, 0);
        }
        out
    };
    let (r, s) = (integer(&compact[..32]), integer(&s));
    let mut out = vec![0x30, (4 + r.len() + s.len()) as u8, 0x02, r.len() as u8];
    out.extend_from_slice(&r);
    out.extend_from_slice(&[0x02, s.len() as u8]);
    out.extend_from_slice(&s);
    out.extend_from_slice(hash_type);
    out
}

/// The same signature with a superfluous zero byte before R (not strict DER).
fn pad_r(signature: &[u8]) -> Vec<u8> {
    let len_r = usize::from(signature[3]);
    let mut out = vec![0x30, signature[1] + 1, 0x02, signature[3] + 1, 0x00];
    out.extend_from_slice(&signature[4..4 + len_r]);
    out.extend_from_slice(&signature[4 + len_r..]);
    out
}
