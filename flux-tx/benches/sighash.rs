//! Signature-hash and signing throughput: ZIP-243 (v4) sighash of one input of a 2-in/2-out
//! P2PKH transaction, with and without precomputed digests, the legacy algorithm for
//! comparison, and a full sign + verify of one input.
//!
//! The transaction is a real one, made by the wallet builder; every measured call is checked for
//! `Ok` once before it is timed, so an early error can never pass for a speed-up.

use criterion::{Criterion, criterion_group, criterion_main};
use flux_tx::address::Address;
use flux_tx::builder::{Utxo, build_p2pkh};
use flux_tx::keys::PrivateKey;
use flux_tx::script::interpreter::VerifyFlags;
use flux_tx::sighash::{
    PrecomputedDigests, SIGHASH_ALL, SignedInput, signature_hash, signature_hash_with,
};
use flux_tx::sign::{sign_input, verify_input};
use flux_tx::{Amount, BlockHeight, Network, NetworkUpgrade, OutPoint, Transaction, Txid};
use std::hint::black_box;

/// A signed v4 transaction spending two P2PKH outputs of `key` into a payment and change.
fn two_in_two_out(key: &PrivateKey, height: BlockHeight) -> Transaction {
    let mine = Address::from_public_key(&key.public_key(), Network::Mainnet);
    let utxo = |seed: u8, flux: i64| Utxo {
        outpoint: OutPoint {
            txid: Txid([seed; 32]),
            index: u32::from(seed),
        },
        amount: Amount::from_flux(flux).expect("amount"),
        script_pubkey: mine.script_pubkey(),
    };
    let payee = PrivateKey::from_secret_bytes([9; 32], true).expect("key");
    let payee = Address::from_public_key(&payee.public_key(), Network::Mainnet);
    build_p2pkh(
        key,
        &[utxo(1, 1), utxo(2, 1)],
        &[(payee, Amount::from_flux(1).expect("amount"))],
        Amount::from_zat(10_000).expect("fee"),
        &mine,
        Network::Mainnet,
        height,
    )
    .expect("the builder signs its own inputs")
}

fn bench(c: &mut Criterion) {
    let key = PrivateKey::from_secret_bytes([7; 32], true).expect("key");
    let height = BlockHeight(1_600_000);
    let branch = NetworkUpgrade::branch_id_at(Network::Mainnet, height);
    let tx = two_in_two_out(&key, height);
    let script = Address::from_public_key(&key.public_key(), Network::Mainnet).script_pubkey();
    let amount = Amount::from_flux(1).expect("amount").zat();
    let input = SignedInput {
        index: 1,
        script_code: script.as_bytes(),
        amount,
    };

    signature_hash(&tx, Some(input), SIGHASH_ALL, branch).expect("v4 sighash");
    c.bench_function("sighash_v4_2in_2out", |b| {
        b.iter(|| signature_hash(black_box(&tx), Some(input), SIGHASH_ALL, branch))
    });
    let digests = PrecomputedDigests::new(&tx);
    signature_hash_with(&tx, Some(input), SIGHASH_ALL, branch, Some(&digests))
        .expect("v4 sighash with digests");
    c.bench_function("sighash_v4_2in_2out_precomputed", |b| {
        b.iter(|| {
            signature_hash_with(
                black_box(&tx),
                Some(input),
                SIGHASH_ALL,
                branch,
                Some(&digests),
            )
        })
    });

    // The same inputs and outputs as a version-1 transaction (the pre-Overwinter algorithm).
    let mut legacy = tx.clone();
    legacy.overwintered = false;
    legacy.version = 1;
    legacy.version_group_id = 0;
    signature_hash(&legacy, Some(input), SIGHASH_ALL, branch).expect("legacy sighash");
    c.bench_function("sighash_v1_2in_2out", |b| {
        b.iter(|| signature_hash(black_box(&legacy), Some(input), SIGHASH_ALL, branch))
    });

    sign_input(&tx, input, 1, branch, &key).expect("sign");
    c.bench_function("sign_input_v4", |b| {
        b.iter(|| sign_input(black_box(&tx), input, 1, branch, &key))
    });
    verify_input(
        &tx,
        1,
        script.as_bytes(),
        amount,
        VerifyFlags::STANDARD,
        branch,
    )
    .expect("the builder's signature verifies");
    c.bench_function("verify_p2pkh_input_v4", |b| {
        b.iter(|| {
            verify_input(
                black_box(&tx),
                1,
                script.as_bytes(),
                amount,
                VerifyFlags::STANDARD,
                branch,
            )
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
