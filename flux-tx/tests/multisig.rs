//! P2SH multisig spends made from partial signatures: the partial scriptSig has utxo-lib's
//! `buildIncomplete` layout (`OP_0`, one slot per key with `OP_0` for a missing signature, the
//! redeem script), any set of partial copies combines to the same transaction in any order, and
//! the finalised spend passes the script interpreter (which is checked against fluxd's script
//! vectors elsewhere) under the ZIP-243 sighash.

use flux_tx::builder::multisig::{
    MultisigError, MultisigScript, combine, finalize, sign_input, signature_counts, unsigned_spend,
};
use flux_tx::keys::PrivateKey;
use flux_tx::script::VerifyFlags;
use flux_tx::sign::verify_input;
use flux_tx::{
    Amount, BlockHeight, FluxDecode, FluxEncode, Network, NetworkUpgrade, OutPoint, Transaction,
    TxOut, Txid,
};
use proptest::prelude::*;

fn key(seed: u8) -> PrivateKey {
    PrivateKey::from_secret_bytes([seed; 32], true).unwrap()
}

const HEIGHT: BlockHeight = BlockHeight(2_100_000);

fn branch() -> u32 {
    NetworkUpgrade::branch_id_at(Network::Mainnet, HEIGHT)
}

struct Wallet {
    keys: Vec<PrivateKey>,
    script: MultisigScript,
}

fn wallet(required: usize, n: u8) -> Wallet {
    let keys: Vec<PrivateKey> = (1..=n).map(|seed| key(seed + 40)).collect();
    let script =
        MultisigScript::new(required, keys.iter().map(|k| k.public_key()).collect()).unwrap();
    Wallet { keys, script }
}

/// Two inputs of the multisig (amounts 30 and 20 FLUX), paying 45 FLUX out and change back to
/// the multisig (P2SH change).
fn spend(w: &Wallet) -> (Transaction, Vec<Amount>) {
    let inputs = [
        (
            OutPoint {
                txid: Txid([1; 32]),
                index: 0,
            },
            &w.script,
        ),
        (
            OutPoint {
                txid: Txid([2; 32]),
                index: 3,
            },
            &w.script,
        ),
    ];
    let payee = flux_tx::address::Address::from_public_key(&key(9).public_key(), Network::Mainnet);
    let outputs = vec![
        TxOut::new(Amount::from_flux(45).unwrap(), payee.script_pubkey()),
        TxOut::new(
            Amount::from_zat(499_990_000).unwrap(),
            w.script.script_pubkey(),
        ),
    ];
    (
        unsigned_spend(&inputs, outputs, HEIGHT).unwrap(),
        vec![
            Amount::from_flux(30).unwrap(),
            Amount::from_flux(20).unwrap(),
        ],
    )
}

fn signed_by(w: &Wallet, signers: &[usize]) -> Transaction {
    let (mut tx, amounts) = spend(w);
    for &signer in signers {
        for (index, amount) in amounts.iter().enumerate() {
            sign_input(
                &mut tx,
                index,
                &w.script,
                *amount,
                &w.keys[signer],
                branch(),
            )
            .unwrap();
        }
    }
    tx
}

fn verifies(w: &Wallet, tx: &Transaction) -> bool {
    let (_, amounts) = spend(w);
    amounts.iter().enumerate().all(|(index, amount)| {
        verify_input(
            tx,
            index,
            w.script.script_pubkey().as_bytes(),
            amount.zat(),
            VerifyFlags::P2SH,
            branch(),
        )
        .is_ok()
    })
}

#[test]
fn the_partial_script_sig_is_utxo_libs_incomplete_layout() {
    let w = wallet(2, 3);
    let tx = signed_by(&w, &[1]);
    let script_sig = tx.inputs()[0].script_sig.as_bytes();
    // OP_0, OP_0 (key 1 missing), <sig of key 2>, OP_0 (key 3 missing), PUSHDATA1 105 <redeem>.
    let sig_len = usize::from(script_sig[2]);
    assert!((70..=73).contains(&sig_len), "DER + hash type");
    let signature = &script_sig[3..3 + sig_len];
    assert_eq!(*signature.last().unwrap(), 0x01, "SIGHASH_ALL");
    let mut want = vec![0x00, 0x00, sig_len as u8];
    want.extend_from_slice(signature);
    want.extend_from_slice(&[0x00, 0x4c, 105]);
    want.extend_from_slice(w.script.redeem_script().as_bytes());
    assert_eq!(script_sig, want.as_slice());
    // The redeem script is OP_2 <3 keys> OP_3 OP_CHECKMULTISIG.
    let redeem = w.script.redeem_script().as_bytes();
    assert_eq!((redeem[0], redeem[104]), (0x52, 0xae));
    // The partial transaction travels as hex and comes back the same.
    assert_eq!(Transaction::decode_exact(&tx.encoded()).unwrap(), tx);
    assert_eq!(signature_counts(&tx), vec![Some((1, 2)), Some((1, 2))]);
    assert_eq!(
        finalize(&tx),
        Err(MultisigError::NotEnoughSignatures {
            input: 0,
            have: 1,
            required: 2
        })
    );
}

#[test]
fn every_pair_of_signers_spends_and_p2sh_change_is_a_t3_address() {
    let w = wallet(2, 3);
    assert!(
        w.script
            .address(Network::Mainnet)
            .to_string()
            .starts_with("t3")
    );
    for (a, b) in [(0, 1), (0, 2), (1, 2), (2, 0)] {
        let merged = combine(&signed_by(&w, &[a]), &signed_by(&w, &[b])).unwrap();
        // With the placeholder after the signatures OP_CHECKMULTISIG reads it as a signature.
        // (A partial whose last m slots are filled happens to be a valid spend already.)
        if (a, b) == (0, 1) {
            assert!(!verifies(&w, &merged));
        }
        let tx = finalize(&merged).unwrap();
        assert!(verifies(&w, &tx), "signers {a} and {b}");
        // Finalised: OP_0 and exactly two signatures before the redeem script.
        assert_eq!(tx.inputs()[0].script_sig.as_bytes()[0], 0x00);
    }
    // All three signed: the first two in key order are kept.
    let all = finalize(&signed_by(&w, &[2, 0, 1])).unwrap();
    assert!(verifies(&w, &all));
    assert_eq!(all, finalize(&signed_by(&w, &[0, 1])).unwrap());
}

#[test]
fn a_tampered_spend_fails() {
    let w = wallet(2, 2);
    let mut tx = finalize(&signed_by(&w, &[0, 1])).unwrap();
    assert!(verifies(&w, &tx));
    if let flux_tx::TxBody::Standard(body) = &mut tx.body {
        body.outputs[0].value += 1;
    }
    assert!(!verifies(&w, &tx));
}

#[test]
fn refusals() {
    let w = wallet(2, 3);
    let (mut tx, amounts) = spend(&w);
    assert_eq!(
        sign_input(&mut tx, 0, &w.script, amounts[0], &key(99), branch()),
        Err(MultisigError::ForeignKey)
    );
    assert_eq!(
        sign_input(&mut tx, 5, &w.script, amounts[0], &w.keys[0], branch()),
        Err(MultisigError::NoSuchInput { index: 5 })
    );
    // The same key signing a different amount yields a different signature in its slot.
    let mut other = spend(&w).0;
    sign_input(
        &mut other,
        0,
        &w.script,
        Amount::from_flux(31).unwrap(),
        &w.keys[0],
        branch(),
    )
    .unwrap();
    assert_eq!(
        combine(&signed_by(&w, &[0]), &other),
        Err(MultisigError::ConflictingSignatures { input: 0, key: 0 })
    );
    let mut changed = signed_by(&w, &[1]);
    if let flux_tx::TxBody::Standard(body) = &mut changed.body {
        body.lock_time = 7;
    }
    assert_eq!(
        combine(&signed_by(&w, &[0]), &changed),
        Err(MultisigError::DifferentTransactions)
    );
    assert!(MultisigScript::new(0, vec![key(1).public_key()]).is_err());
    assert!(MultisigScript::new(2, vec![key(1).public_key()]).is_err());
    let sixteen: Vec<_> = (1..=16).map(|s| key(s).public_key()).collect();
    assert!(matches!(
        MultisigScript::new(1, sixteen),
        Err(MultisigError::RedeemScriptTooLarge { .. })
    ));
    let back = MultisigScript::from_redeem_script(w.script.redeem_script().as_bytes()).unwrap();
    assert_eq!(back, w.script);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Each signer signs its own copy; folding the copies in any order gives one transaction,
    /// which spends once at least m have signed.
    #[test]
    fn partial_signatures_combine_in_any_order(
        n in 1u8..=4,
        required_seed in 0usize..4,
        signer_mask in 1u8..16,
        order in Just(()).prop_perturb(|_, mut rng| {
            let mut order: Vec<usize> = (0..4).collect();
            for i in (1..order.len()).rev() {
                order.swap(i, rng.random_range(0..=i));
            }
            order
        }),
    ) {
        let required = required_seed % usize::from(n) + 1;
        let w = wallet(required, n);
        let signers: Vec<usize> = (0..usize::from(n)).filter(|i| signer_mask & (1 << i) != 0).collect();
        prop_assume!(!signers.is_empty());
        let copies: Vec<Transaction> = signers.iter().map(|&s| signed_by(&w, &[s])).collect();
        let forward = copies[1..].iter().try_fold(copies[0].clone(), |acc, c| combine(&acc, c)).unwrap();
        let permuted: Vec<&Transaction> = order
            .iter()
            .filter(|&&i| i < copies.len())
            .map(|&i| &copies[i])
            .collect();
        let shuffled = permuted[1..].iter().try_fold(permuted[0].clone(), |acc, c| combine(&acc, c)).unwrap();
        prop_assert_eq!(&forward, &shuffled);
        prop_assert_eq!(&forward, &signed_by(&w, &signers));
        match finalize(&forward) {
            Ok(tx) => {
                prop_assert!(signers.len() >= required);
                prop_assert!(verifies(&w, &tx));
            }
            Err(MultisigError::NotEnoughSignatures { .. }) => prop_assert!(signers.len() < required),
            Err(other) => prop_assert!(false, "{other}"),
        }
    }
}
