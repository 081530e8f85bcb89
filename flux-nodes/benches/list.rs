//! The deterministic fluxnode list at 100,000 confirmed nodes: apply (and undo) a block that pays
//! each tier, confirms and starts a few nodes; and the next-payee lookup.

use criterion::{Criterion, criterion_group, criterion_main};
use flux_nodes::list::{BlockChanges, ConfirmEvent, FluxnodeList, StartEvent};
use flux_nodes::{Tier, TierExt};
use flux_pow::{BlockHeight, Network};
use flux_tx::Amount;
use flux_tx::hash::Txid;
use flux_tx::transaction::OutPoint;

const NODES: u32 = 100_000;
/// Proof-of-node era on mainnet: 640-block confirmation expiry.
const BASE: u32 = 2_100_000;

fn outpoint(n: u32) -> OutPoint {
    let mut bytes = [0u8; 32];
    // Spread the outpoints over the key space as real txids are.
    bytes[..4].copy_from_slice(&n.wrapping_mul(2_654_435_761).to_be_bytes());
    bytes[4..8].copy_from_slice(&n.to_be_bytes());
    OutPoint {
        txid: Txid(bytes),
        index: 0,
    }
}

fn start(n: u32) -> StartEvent {
    let tier = Tier::ALL[(n % 3) as usize];
    StartEvent {
        collateral: outpoint(n),
        tier,
        collateral_amount: Amount::from_flux(tier.v2_collateral_flux()).expect("collateral"),
    }
}

fn confirm(n: u32) -> ConfirmEvent {
    ConfirmEvent {
        collateral: outpoint(n),
        ip: format!("10.{}.{}.{}", n >> 16, (n >> 8) & 255, n & 255),
        update: false,
    }
}

fn list_with_100k_nodes() -> FluxnodeList {
    let mut list = FluxnodeList::new(Network::Mainnet);
    let starts = (0..NODES).map(start).collect();
    list.apply_block(
        BlockHeight(BASE),
        &BlockChanges {
            starts,
            ..Default::default()
        },
    )
    .expect("starts");
    let confirms = (0..NODES).map(confirm).collect();
    list.apply_block(
        BlockHeight(BASE + 1),
        &BlockChanges {
            confirms,
            ..Default::default()
        },
    )
    .expect("confirms");
    // Pending starts for the benchmarked block to confirm.
    let starts = (NODES..NODES + 10).map(start).collect();
    list.apply_block(
        BlockHeight(BASE + 2),
        &BlockChanges {
            starts,
            ..Default::default()
        },
    )
    .expect("more starts");
    list
}

fn bench_list(c: &mut Criterion) {
    let mut list = list_with_100k_nodes();
    let block = BlockChanges {
        starts: (NODES + 10..NODES + 20).map(start).collect(),
        confirms: (NODES..NODES + 10).map(confirm).collect(),
        spent: vec![outpoint(17)],
    };
    let height = BlockHeight(BASE + 3);
    c.bench_function("list/apply_and_undo_block_100k_nodes", |b| {
        b.iter(|| {
            let undo = list.apply_block(height, &block).expect("valid block");
            list.undo_block(undo).expect("undo the tip");
        });
    });
    c.bench_function("list/next_payee_100k_nodes", |b| {
        b.iter(|| Tier::ALL.map(|tier| list.next_payee(tier).map(|n| n.collateral)));
    });
}

criterion_group!(benches, bench_list);
criterion_main!(benches);
