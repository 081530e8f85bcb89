//! The fast devnet chain builder: 300 blocks across the proof-of-node switch at 250, re-validated
//! block by block by a fresh `flux_consensus::Chain` that knows nothing of the builder, with the
//! operators' START/CONFIRM transactions in it and a block signed by each tier's fluxnode.

use std::collections::BTreeMap;

use examples::node::prebuilt::{CHAIN_FILE, build_devnet_chain};
use flux_consensus::{AcceptOutcome, Chain, Devnet};
use flux_nodes::Tier;
use flux_pow::BlockHeight;
use flux_tx::fluxnode::FluxnodeTx;
use flux_tx::{BlockHash, BlockProof};

/// The devnet's first proof-of-node height, written out (not read from the code under test).
const PON_HEIGHT: u32 = 250;
/// The devnet's genesis time and default slot length, written out likewise.
const GENESIS_TIME: u32 = 1_764_547_200;
const SLOT_SECONDS: u32 = 4;

fn clock() -> u32 {
    let elapsed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970");
    u32::try_from(elapsed.as_secs()).expect("clock fits u32")
}

#[test]
fn a_built_chain_crosses_the_switch_and_revalidates_block_by_block() {
    const HEIGHT: u32 = 300;
    let built_dir = tempfile::tempdir().expect("temporary directory");
    let mut seen: Vec<BlockHash> = Vec::new();
    let built = build_devnet_chain(
        built_dir.path(),
        Devnet::default(),
        HEIGHT,
        |height, block| {
            assert_eq!(
                height.0 as usize,
                seen.len() + 1,
                "blocks come in height order"
            );
            seen.push(block.hash());
        },
    )
    .expect("the chain builds");
    assert_eq!(built.height, BlockHeight(HEIGHT));
    assert_eq!(built.added, HEIGHT);
    assert_eq!(seen.len(), HEIGHT as usize);
    let ends_by = clock();
    assert!(
        built.tip_time <= ends_by,
        "the tip is dated after the clock"
    );

    // An independent store, fed the stored blocks one by one with the real clock.
    let stored = Chain::open(built_dir.path().join(CHAIN_FILE), Devnet::default()).expect("open");
    let fresh_dir = tempfile::tempdir().expect("temporary directory");
    let mut fresh =
        Chain::open(fresh_dir.path().join("fresh.redb"), Devnet::default()).expect("open");
    let mut signed: BTreeMap<&'static str, u32> = BTreeMap::new();
    let (mut starts, mut confirms) = (0, 0);
    let mut parent_time = GENESIS_TIME;
    for height in 1..=HEIGHT {
        let hash = stored
            .block_hash(BlockHeight(height))
            .expect("read")
            .expect("stored at every height");
        assert_eq!(hash, seen[height as usize - 1], "stored what on_block saw");
        let block = stored.block(&hash).expect("read").expect("stored");
        assert!(block.header.time > parent_time, "time rises at {height}");
        match &block.header.proof {
            BlockProof::Work { .. } => assert!(height < PON_HEIGHT, "mined block at {height}"),
            BlockProof::Node { collateral, .. } => {
                assert!(height >= PON_HEIGHT, "signed block at {height}");
                // fluxd's minter signs once per slot, at its start here: one block a slot.
                assert_eq!((block.header.time - GENESIS_TIME) % SLOT_SECONDS, 0);
                assert!(
                    (block.header.time - GENESIS_TIME) / SLOT_SECONDS
                        > (parent_time - GENESIS_TIME) / SLOT_SECONDS,
                    "block {height} shares its parent's slot"
                );
                let tier = fresh
                    .fluxnode_list()
                    .get(collateral)
                    .map(|node| node.tier)
                    .expect("the signer is a listed fluxnode");
                *signed.entry(tier.name()).or_default() += 1;
            }
        }
        for tx in &block.transactions {
            match tx.fluxnode() {
                Some(FluxnodeTx::Start(_)) => starts += 1,
                Some(FluxnodeTx::Confirm(_)) => confirms += 1,
                _ => {}
            }
        }
        assert_eq!(
            fresh
                .accept_block(&block)
                .expect("the fresh chain accepts it"),
            AcceptOutcome::Extended {
                height: BlockHeight(height)
            }
        );
        parent_time = block.header.time;
    }
    assert_eq!(fresh.tip(), stored.tip());
    assert_eq!(starts, 3, "one START per operator");
    assert!(confirms >= 3, "each node confirmed: {confirms} CONFIRMs");
    for tier in Tier::ALL {
        assert!(
            signed.get(tier.name()).copied().unwrap_or(0) > 0,
            "no block signed by the {} node: {signed:?}",
            tier.name()
        );
    }
    let reported: BTreeMap<&'static str, u32> = built
        .signed_by_tier
        .iter()
        .map(|(tier, count)| (tier.name(), *count))
        .collect();
    assert_eq!(reported, signed);
    drop(stored);

    // Reopened, the store is extended from its tip, not rebuilt; asking for less adds nothing.
    let more = build_devnet_chain(built_dir.path(), Devnet::default(), HEIGHT + 3, |_, _| {})
        .expect("the chain extends");
    assert_eq!((more.height, more.added), (BlockHeight(HEIGHT + 3), 3));
    let same = build_devnet_chain(built_dir.path(), Devnet::default(), HEIGHT, |_, _| {})
        .expect("nothing to do");
    assert_eq!((same.height, same.added), (BlockHeight(HEIGHT + 3), 0));
}
