//! Header-chain validation throughput: a devnet chain of blocks mined with flux-pow's solver
//! (Equihash 48,5), validated with `validate_header_chain` (linkage, difficulty and median time
//! sequentially, Equihash and target checks in parallel), and the real mainnet genesis header
//! (Equihash 200,9) checked for its era.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use flux_consensus::check::header::{check_header_for_height, header_info, validate_header_chain};
use flux_consensus::{Devnet, Mainnet, NetworkParams};
use flux_pow::BlockHeight;
use flux_tx::{Amount, BlockHeader, Script};
use rayon::prelude::*;

/// Mines `count` devnet blocks on genesis (coinbase only) and returns their headers.
fn devnet_headers(count: u32) -> Vec<BlockHeader> {
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut chain = flux_consensus::Chain::open(dir.path().join("bench.redb"), Devnet::default())
        .expect("open store");
    let miner = Script::from(vec![0x51]);
    let mut headers = Vec::new();
    for height in 1..=count {
        let template = chain
            .block_template(BlockHeight(height))
            .expect("template")
            .expect("next height");
        let coinbase = template.coinbase_transaction(&miner, Amount::ZERO, b"bench");
        let block =
            flux_consensus::devnet::solve(template.block(template.min_time, vec![coinbase]))
                .expect("solve");
        chain
            .accept_block_at(&block, i64::from(block.header.time))
            .expect("accept");
        headers.push(block.header);
    }
    headers
}

fn bench_headers(c: &mut Criterion) {
    let headers = devnet_headers(1_000);
    let genesis = Devnet::default().genesis_block().header;
    let window = vec![header_info(&genesis, BlockHeight(0))];
    let mut group = c.benchmark_group("header_chain");
    group.throughput(Throughput::Elements(headers.len() as u64));
    group.bench_function("devnet_48_5_parallel", |b| {
        b.iter(|| {
            validate_header_chain(&Devnet::default(), &headers, BlockHeight(1), &window)
                .expect("valid")
        });
    });
    // The same proof checks one after another on one core: the baseline of the parallel run.
    group.bench_function("devnet_48_5_one_core", |b| {
        b.iter(|| {
            for (i, header) in headers.iter().enumerate() {
                let height = BlockHeight(i as u32 + 1);
                check_header_for_height(&Devnet::default(), header, height).expect("valid");
            }
        });
    });
    group.finish();

    let main_genesis = Mainnet.genesis_block().header;
    let mut group = c.benchmark_group("header");
    group.throughput(Throughput::Elements(1));
    group.bench_function("mainnet_genesis_200_9", |b| {
        b.iter(|| check_header_for_height(&Mainnet, &main_genesis, BlockHeight(0)).expect("valid"));
    });
    group.finish();

    // The real 200,9 header 256 times over all cores: the proof checks of a mainnet header chain
    // (the only real full headers in the vectors are the genesis blocks).
    let copies = vec![main_genesis; 256];
    let mut group = c.benchmark_group("header_batch");
    group.throughput(Throughput::Elements(copies.len() as u64));
    group.bench_function("mainnet_200_9_parallel", |b| {
        b.iter(|| {
            copies.par_iter().for_each(|header| {
                check_header_for_height(&Mainnet, header, BlockHeight(0)).expect("valid");
            });
        });
    });
    group.bench_function("mainnet_200_9_one_core", |b| {
        b.iter(|| {
            for header in &copies {
                check_header_for_height(&Mainnet, header, BlockHeight(0)).expect("valid");
            }
        });
    });
    group.finish();
}

criterion_group!(benches, bench_headers);
criterion_main!(benches);
