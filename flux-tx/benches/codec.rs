//! Decoding speed: a signed 2-in/2-out v4 transaction (decode + txid) and a ~1 MB block of such
//! transactions (decode), built with the crate's own builder.
//!
//! `cargo bench -p flux-tx --bench codec`

#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use flux_tx::address::Address;
use flux_tx::builder::{Utxo, build_p2pkh};
use flux_tx::keys::PrivateKey;
use flux_tx::{
    Amount, Block, BlockHash, BlockHeader, BlockHeight, BlockProof, FluxDecode, FluxEncode,
    MerkleRoot, Network, OutPoint, SaplingRoot, Transaction, Txid,
};

fn two_in_two_out() -> Transaction {
    let key = PrivateKey::from_secret_bytes([9; 32], true).expect("valid key");
    let network = Network::Mainnet;
    let mine = Address::from_public_key(&key.public_key(), network);
    let other = Address::from_public_key(
        &PrivateKey::from_secret_bytes([10; 32], true)
            .expect("valid key")
            .public_key(),
        network,
    );
    let utxos: Vec<Utxo> = (0..2u8)
        .map(|i| Utxo {
            outpoint: OutPoint {
                txid: Txid([i + 1; 32]),
                index: 0,
            },
            amount: Amount::from_flux(3).expect("in range"),
            script_pubkey: mine.script_pubkey(),
        })
        .collect();
    build_p2pkh(
        &key,
        &utxos,
        &[(other, Amount::from_flux(4).expect("in range"))],
        Amount::from_zat(10_000).expect("in range"),
        &mine,
        network,
        BlockHeight(1_800_000),
    )
    .expect("funded")
}

fn codec(c: &mut Criterion) {
    let tx = two_in_two_out();
    let tx_bytes = tx.encoded();
    assert_eq!(tx.inputs().len(), 2);
    assert_eq!(tx.outputs().len(), 2);

    let mut group = c.benchmark_group("codec");
    group.throughput(Throughput::Bytes(tx_bytes.len() as u64));
    group.bench_function("decode_and_txid_2in_2out", |b| {
        b.iter(|| {
            let tx = Transaction::decode_exact(black_box(&tx_bytes)).expect("decodes");
            tx.txid()
        })
    });

    let count = 1_000_000 / tx_bytes.len();
    let block = Block {
        header: BlockHeader {
            version: 4,
            prev_block: BlockHash::ZERO,
            merkle_root: MerkleRoot::ZERO,
            final_sapling_root: SaplingRoot::ZERO,
            time: 0,
            bits: flux_tx::Compact(0x1f07_ffff),
            proof: BlockProof::Work {
                nonce: [0; 32],
                solution: vec![0; 52],
            },
        },
        transactions: vec![tx; count],
    };
    let block_bytes = block.encoded();
    group.throughput(Throughput::Bytes(block_bytes.len() as u64));
    group.sample_size(20);
    group.bench_function("decode_1mb_block", |b| {
        b.iter(|| Block::decode_exact(black_box(&block_bytes)).expect("decodes"))
    });
    group.finish();
}

criterion_group!(benches, codec);
criterion_main!(benches);
