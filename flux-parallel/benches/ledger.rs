//! Ledger throughput: accrual of one million reward events, and a snapshot (sort, CSV-free
//! canonical encoding and SHA-256 commitment) of a ledger holding 100,000 addresses.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use flux_parallel::accrual::FLUX_FORK_TIME;
use flux_parallel::{Chain, Ledger, RewardEvent, Role, Schedule, Tier, UnixTime};
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

/// Per chain, the entitlement numerators `events` must add up to, from the schedule's shares
/// and start times alone (no ledger): a run that stops early or skips events misses them.
fn expected_entitlements(schedule: &Schedule, events: &[RewardEvent]) -> [u128; Chain::COUNT] {
    let mut entitled = [0u128; Chain::COUNT];
    for event in events {
        for rule in schedule.rules() {
            if event.time >= FLUX_FORK_TIME.max(rule.accrues_from) {
                entitled[rule.chain.index()] +=
                    u128::from(event.flux_zats) * u128::from(schedule.share_ppm(event.role));
            }
        }
    }
    entitled
}

fn accrual(c: &mut Criterion) {
    let events = events(1_000_000, 20_000);
    let schedule = Schedule::mainnet();
    let expected = expected_entitlements(&schedule, &events);
    let mut group = c.benchmark_group("accrual");
    group.sample_size(10);
    group.bench_function("1M reward events, 20k recipients, 10 chains", |b| {
        // Only `apply_all` is timed: the empty ledger is built before the clock starts, and the
        // result is checked (and the ledger dropped) after it stops.
        b.iter_custom(|iterations| {
            let mut timed = Duration::ZERO;
            for _ in 0..iterations {
                let mut ledger = Ledger::new(schedule.clone());
                let start = Instant::now();
                let applied = ledger.apply_all(black_box(&events));
                timed += start.elapsed();
                if let Err((index, error)) = applied {
                    panic!("event {index} refused: {error}");
                }
                assert_eq!(ledger.address_count(), 20_000);
                for chain in Chain::ALL {
                    assert_eq!(
                        ledger.totals(chain).entitled_numerator,
                        expected[chain.index()],
                        "{chain:?}"
                    );
                }
            }
            timed
        });
    });
    group.finish();
}

fn snapshot(c: &mut Criterion) {
    let mut ledger = Ledger::new(Schedule::mainnet());
    ledger.apply_all(&events(100_000, 100_000)).unwrap();
    assert_eq!(ledger.address_count(), 100_000);
    let snapshot = ledger.snapshot();
    let commitment = snapshot.commitment();
    let mut group = c.benchmark_group("snapshot");
    group.sample_size(10);
    group.bench_function("100k addresses x 10 chains: build + commitment", |b| {
        b.iter(|| {
            // A 32-byte comparison: negligible beside the snapshot.
            assert_eq!(black_box(ledger.snapshot().commitment()), commitment);
        });
    });
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
