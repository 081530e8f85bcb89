//! Proof-of-node header validation throughput on mainnet's rules after the first PON window: for
//! each header the signature size, the PON hash against the target without and with the height,
//! the emergency rules, and the operator's ECDSA signature over the block hash. The goal of
//! issue #17: mainnet's ~1.2 million PON headers in under 60 s on 2 cores, 20,000 headers/s.
//!
//! fluxd ships no PON headers (and this machine reaches no node), so the headers are made here
//! the way mainnet's are: a random collateral and parent, the first slot whose PON hash meets
//! `ponLimit`, signed by one of 64 operator keys.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use flux_consensus::check::pon::{check_pon_header_for_height, check_pon_signature};
use flux_consensus::{Mainnet, NetworkParams};
use flux_pow::BlockHeight;
use flux_pow::difficulty::{Compact, check_proof_of_node};
use flux_tx::keys::{PrivateKey, sha256d};
use flux_tx::{BlockHash, BlockHeader, BlockProof, MerkleRoot, OutPoint, SaplingRoot, Txid};
use rayon::prelude::*;

const HEIGHT: BlockHeight = BlockHeight(2_100_000);
const COUNT: usize = 4_096;

fn signed_headers() -> Vec<(BlockHeader, Vec<u8>)> {
    let params = Mainnet;
    let difficulty = params.difficulty_params();
    let bits = Compact::from_target(difficulty.pon_limit);
    let keys: Vec<PrivateKey> = (0u8..64)
        .map(|seed| PrivateKey::from_secret_bytes(sha256d(&[seed, 0x70]), true).expect("key"))
        .collect();
    (0..COUNT)
        .map(|index| {
            let seed = sha256d(&(index as u64).to_le_bytes());
            let key = &keys[index % keys.len()];
            let mut header = BlockHeader {
                version: 100,
                prev_block: BlockHash(sha256d(&seed)),
                merkle_root: MerkleRoot(seed),
                final_sapling_root: SaplingRoot::ZERO,
                time: 1_761_350_400 + index as u32 * 30,
                bits,
                proof: BlockProof::Node {
                    collateral: OutPoint {
                        txid: Txid(seed),
                        index: (index % 4) as u32,
                    },
                    signature: Vec::new(),
                },
            };
            loop {
                let hash = flux_consensus::check::pon::header_pon_hash(&params, &header)
                    .expect("a PON header");
                if check_proof_of_node(&difficulty, &hash.0, bits, Some(HEIGHT)).is_ok() {
                    break;
                }
                header.time += 30;
            }
            let signature = flux_tx::pon::sign_block(&header, key);
            if let BlockProof::Node {
                signature: slot, ..
            } = &mut header.proof
            {
                *slot = signature;
            }
            (header, key.public_key().to_bytes())
        })
        .collect()
}

fn validate(header: &BlockHeader, operator: &[u8]) {
    check_pon_header_for_height(&Mainnet, header, HEIGHT).expect("valid header");
    check_pon_signature(&Mainnet, header, operator).expect("valid signature");
}

fn bench_pon_headers(c: &mut Criterion) {
    let headers = signed_headers();
    let mut group = c.benchmark_group("pon_headers");
    group.throughput(Throughput::Elements(headers.len() as u64));
    group.bench_function("mainnet_all_cores", |b| {
        b.iter(|| {
            headers
                .par_iter()
                .for_each(|(header, operator)| validate(header, operator));
        });
    });
    group.bench_function("mainnet_one_core", |b| {
        b.iter(|| {
            for (header, operator) in &headers {
                validate(header, operator);
            }
        });
    });
    // Without the signature: what the header rules cost beside the ECDSA verification.
    group.bench_function("mainnet_one_core_no_signature", |b| {
        b.iter(|| {
            for (header, _) in &headers {
                check_pon_header_for_height(&Mainnet, header, HEIGHT).expect("valid header");
            }
        });
    });
    group.finish();
}

criterion_group!(benches, bench_pon_headers);
criterion_main!(benches);
