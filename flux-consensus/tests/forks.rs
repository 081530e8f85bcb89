//! Random fork trees fed in random order: the store always ends on the heaviest branch (the first
//! seen among equals) with the UTXO set and transaction index a fresh replay of that branch gives.
//! Also the parallel header-chain validator on the same mined headers.

mod common;

use common::{Devchain, block_on, list_snapshot};
use flux_consensus::check::header::{HeaderChainRule, header_info, validate_header_chain};
use flux_consensus::{AcceptOutcome, Chain, Devnet, NetworkParams};
use flux_pow::BlockHeight;
use flux_tx::{Block, BlockProof};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, .. ProptestConfig::default() })]

    #[test]
    fn the_store_follows_the_heaviest_branch_with_exact_state(
        forks in proptest::collection::vec((0usize..6, 1u32..4), 1..6),
        order_seed in any::<u64>(),
    ) {
        // Grow a tree: each fork starts at a random earlier block and adds 1-3 blocks.
        let genesis = Devnet::default().genesis_block();
        let mut nodes: Vec<(Block, u32)> = vec![(genesis, 0)];
        let mut tag = 0u64;
        for (start, length) in &forks {
            let mut parent = nodes.len().saturating_sub(1 + start);
            for _ in 0..*length {
                tag += 1;
                let (parent_block, parent_height) = nodes[parent].clone();
                let block = block_on(&parent_block, parent_height, tag);
                nodes.push((block, parent_height + 1));
                parent = nodes.len() - 1;
            }
        }
        // Feed the blocks parents-first but otherwise shuffled (by height, then a seeded key).
        let mut feed: Vec<(Block, u32)> = nodes[1..].to_vec();
        feed.sort_by_key(|(block, height)| (*height, block.hash().0[0] ^ (order_seed as u8)));
        let dir = tempfile::tempdir().unwrap();
        let mut chain = Chain::open(dir.path().join("tree.redb"), Devnet::default()).unwrap();
        let mut best: Option<(u32, flux_tx::BlockHash)> = None;
        for (block, height) in &feed {
            let outcome = chain.accept_block_at(block, i64::from(block.header.time)).unwrap();
            // Equal work keeps the first seen; every devnet block has the same work.
            if best.is_none_or(|(h, _)| *height > h) {
                best = Some((*height, block.hash()));
                prop_assert!(!matches!(outcome, AcceptOutcome::SideChain { .. }), "{outcome:?}");
            } else {
                prop_assert!(matches!(outcome, AcceptOutcome::SideChain { .. }), "{outcome:?}");
            }
        }
        let (height, hash) = best.unwrap();
        prop_assert_eq!(chain.tip(), (BlockHeight(height), hash));

        let replay_dir = tempfile::tempdir().unwrap();
        let mut replay = Chain::open(replay_dir.path().join("replay.redb"), Devnet::default()).unwrap();
        for h in 1..=height {
            let block = chain.block(&chain.block_hash(BlockHeight(h)).unwrap().unwrap()).unwrap().unwrap();
            replay.accept_block_at(&block, i64::from(block.header.time)).unwrap();
            let coinbase = block.transactions[0].txid();
            prop_assert_eq!(chain.transaction(&coinbase).unwrap().unwrap().height, BlockHeight(h));
        }
        prop_assert_eq!(replay.utxo_set().unwrap(), chain.utxo_set().unwrap());
        prop_assert_eq!(list_snapshot(replay.fluxnode_list()), list_snapshot(chain.fluxnode_list()));
        // Blocks of the losing branches are stored but their coinbases are not indexed.
        for (block, _) in &feed {
            let on_best = chain.is_in_best_chain(&block.hash()).unwrap();
            prop_assert_eq!(chain.transaction(&block.transactions[0].txid()).unwrap().is_some(), on_best);
        }
    }
}

#[test]
fn header_chains_validate_in_parallel_and_name_the_first_bad_header() {
    let mut dev = Devchain::new();
    let blocks = dev.mine(40);
    let headers: Vec<_> = blocks.iter().map(|b| b.header.clone()).collect();
    let genesis = Devnet::default().genesis_block().header;
    let window = vec![header_info(&genesis, BlockHeight(0))];
    assert_eq!(
        validate_header_chain(&Devnet::default(), &headers, BlockHeight(1), &window),
        Ok(())
    );

    let mut broken = headers.clone();
    if let BlockProof::Work { solution, .. } = &mut broken[25].proof {
        solution[0] ^= 0x80;
    }
    if let BlockProof::Work { solution, .. } = &mut broken[31].proof {
        solution[0] ^= 0x80;
    }
    let error =
        validate_header_chain(&Devnet::default(), &broken, BlockHeight(1), &window).unwrap_err();
    assert_eq!((error.index, error.height), (25, 26));
    assert!(matches!(error.error, HeaderChainRule::Header(_)), "{error}");

    let mut unlinked = headers.clone();
    unlinked.remove(10);
    let error =
        validate_header_chain(&Devnet::default(), &unlinked, BlockHeight(1), &window).unwrap_err();
    assert_eq!((error.index, error.error), (10, HeaderChainRule::NotLinked));
}
