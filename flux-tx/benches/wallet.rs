//! A wallet's heaviest everyday job: signing and verifying a 100-input transaction. Signing is
//! the payment builder's (largest-first selection over 100 P2PKH coins, fee loop, ZIP-243
//! signatures); verifying runs every input's scripts through the interpreter, as a node does.
//! Each measured call is checked once before it is timed, so a failure cannot pass for speed.

use criterion::{Criterion, criterion_group, criterion_main};
use flux_tx::address::Address;
use flux_tx::builder::Utxo;
use flux_tx::builder::payment::{FeeRate, Payment, PaymentRequest, build_payment};
use flux_tx::keys::PrivateKey;
use flux_tx::script::interpreter::VerifyFlags;
use flux_tx::sighash::PrecomputedDigests;
use flux_tx::sign::{verify_input, verify_input_with};
use flux_tx::{Amount, BlockHeight, Network, NetworkUpgrade, OutPoint, Transaction, Txid};
use std::hint::black_box;

const INPUTS: usize = 100;

fn request(key: &PrivateKey, height: BlockHeight) -> PaymentRequest {
    let mine = Address::from_public_key(&key.public_key(), Network::Mainnet);
    let utxos = (0..INPUTS)
        .map(|i| Utxo {
            outpoint: OutPoint {
                txid: Txid([i as u8; 32]),
                index: i as u32,
            },
            amount: Amount::from_flux(1).expect("amount"),
            script_pubkey: mine.script_pubkey(),
        })
        .collect();
    let payee = PrivateKey::from_secret_bytes([9; 32], true).expect("key");
    PaymentRequest {
        utxos,
        // Needs all 100 coins: 99.9 FLUX out of 100.
        payments: vec![Payment::To(
            Address::from_public_key(&payee.public_key(), Network::Mainnet),
            Amount::from_zat(9_990_000_000).expect("amount"),
        )],
        change_to: mine,
        fee_rate: FeeRate::WALLET_DEFAULT,
        network: Network::Mainnet,
        height,
    }
}

fn verify_all(tx: &Transaction, script: &[u8], branch: u32) -> bool {
    (0..tx.inputs().len()).all(|index| {
        verify_input(tx, index, script, 100_000_000, VerifyFlags::P2SH, branch).is_ok()
    })
}

fn verify_all_precomputed(tx: &Transaction, script: &[u8], branch: u32) -> bool {
    let digests = PrecomputedDigests::new(tx);
    (0..tx.inputs().len()).all(|index| {
        verify_input_with(
            tx,
            index,
            script,
            100_000_000,
            VerifyFlags::P2SH,
            branch,
            Some(&digests),
        )
        .is_ok()
    })
}

fn bench(c: &mut Criterion) {
    let key = PrivateKey::from_secret_bytes([7; 32], true).expect("key");
    let height = BlockHeight(2_100_000);
    let branch = NetworkUpgrade::branch_id_at(Network::Mainnet, height);
    let request = request(&key, height);
    let built = build_payment(&key, &request).expect("the builder pays");
    assert_eq!(built.tx.inputs().len(), INPUTS);
    let script = Address::from_public_key(&key.public_key(), Network::Mainnet).script_pubkey();
    assert!(verify_all(&built.tx, script.as_bytes(), branch));
    assert!(verify_all_precomputed(&built.tx, script.as_bytes(), branch));

    let mut group = c.benchmark_group("wallet_100_inputs");
    group.sample_size(20);
    group.bench_function("build_and_sign", |b| {
        b.iter(|| build_payment(black_box(&key), black_box(&request)))
    });
    group.bench_function("verify", |b| {
        b.iter(|| verify_all(black_box(&built.tx), script.as_bytes(), branch))
    });
    group.bench_function("verify_precomputed", |b| {
        b.iter(|| verify_all_precomputed(black_box(&built.tx), script.as_bytes(), branch))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
