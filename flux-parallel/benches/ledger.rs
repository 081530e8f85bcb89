//! Ledger throughput: accrual of one million reward events, and a snapshot (sort, CSV-free
//! canonical encoding and SHA-256 commitment) of a ledger holding 100,000 addresses.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use flux_parallel::{Ledger, RewardEvent, Role, Schedule, Tier, UnixTime};
use flux_pow::{BlockHeight, Network};
use flux_tx::address::{Address, Payload};

fn address(index: u32) -> Address {
    let mut hash = [0u8; 20];
    hash[..4].copy_from_slice(&index.to_le_bytes());
    hash[4] = 0x5a;
    Address::new(Network::Mainnet, Payload::PubKeyHash(hash))
}

/// `count` events spread over `addresses` recipients, four rewards per block like 2022's
/// miner + three tiers, with amounts that leave remainders to carry.
fn events(count: u32, addresses: u32) -> Vec<RewardEvent> {
    (0..count)
        .map(|i| {
            let (role, zats) = match i % 4 {
                0 => (Role::Miner, 3_750_000_000 + u64::from(i % 7)),
                1 => (Role::Node(Tier::Cumulus), 562_500_000),
                2 => (Role::Node(Tier::Nimbus), 937_500_003),
                _ => (Role::Node(Tier::Stratus), 2_250_000_000),
            };
            RewardEvent {
                height: BlockHeight(1_000_000 + i / 4),
                time: UnixTime(1_650_000_000 + u64::from(i / 4) * 120),
                // 7919 is prime to 2 and 5, so this visits every recipient in a scattered order.
                recipient: address((u64::from(i) * 7919 % u64::from(addresses)) as u32),
                role,
                flux_zats: zats,
            }
        })
        .collect()
}

fn accrual(c: &mut Criterion) {
    let events = events(1_000_000, 20_000);
    let mut group = c.benchmark_group("accrual");
    group.sample_size(10);
    group.bench_function("1M reward events, 20k recipients, 10 chains", |b| {
        b.iter(|| {
            let mut ledger = Ledger::new(Schedule::mainnet());
            ledger.apply_all(&events).unwrap();
            black_box(ledger.totals(flux_parallel::Chain::Kadena))
        });
    });
    group.finish();
}

fn snapshot(c: &mut Criterion) {
    let mut ledger = Ledger::new(Schedule::mainnet());
    ledger.apply_all(&events(100_000, 100_000)).unwrap();
    assert_eq!(ledger.address_count(), 100_000);
    let mut group = c.benchmark_group("snapshot");
    group.sample_size(10);
    group.bench_function("100k addresses x 10 chains: build + commitment", |b| {
        b.iter(|| {
            let snapshot = ledger.snapshot();
            black_box(snapshot.commitment())
        });
    });
    let snapshot = ledger.snapshot();
    group.bench_function(
        "100k addresses x 10 chains: CSV export + verified import",
        |b| {
            b.iter(|| {
                let csv = snapshot.to_csv();
                black_box(flux_parallel::Snapshot::from_csv(&csv).unwrap())
            });
        },
    );
    group.finish();
}

criterion_group!(benches, accrual, snapshot);
criterion_main!(benches);
