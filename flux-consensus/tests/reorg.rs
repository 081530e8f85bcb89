//! Reorganisations: a heavier branch replaces the best chain with the exact UTXO set and
//! fluxnode list a store that only saw that branch has, and back; a branch with an invalid block
//! is refused whole and leaves the store as it was.

mod common;

use common::{Devchain, flux, key, list_snapshot, with_node};
use flux_consensus::{AcceptOutcome, BlockError, Chain, Devnet, NetworkParams};
use flux_pow::BlockHeight;
use flux_tx::builder::Utxo;
use flux_tx::{Amount, Block, TxBody};

fn best_chain(dev: &Devchain, from: u32) -> Vec<Block> {
    (from..=dev.height())
        .map(|h| {
            let hash = dev.chain.block_hash(BlockHeight(h)).unwrap().unwrap();
            dev.chain.block(&hash).unwrap().unwrap()
        })
        .collect()
}

fn assert_same_state(a: &Chain, b: &Chain) {
    assert_eq!(a.tip(), b.tip());
    assert_eq!(a.utxo_set().unwrap(), b.utxo_set().unwrap());
    assert_eq!(
        list_snapshot(a.fluxnode_list()),
        list_snapshot(b.fluxnode_list())
    );
}

#[test]
fn a_heavier_branch_takes_over_with_exact_state_and_back() {
    // Branch A (in `main`): funds a collateral, starts and confirms a node, pays it.
    let (mut main, collateral, _) = with_node();
    main.mine(1);
    // Branch B: from height 200 (within the 40-block reorg limit), the owner spends the
    // collateral instead of starting a node; five blocks.
    let mut branch_b = Devchain::funded_like(&main, 200);
    let collateral_utxo = Utxo {
        outpoint: collateral,
        amount: flux(10_000),
        script_pubkey: common::script_of(&key(7)),
    };
    let spend = branch_b.pay(
        &key(7),
        &[collateral_utxo],
        &[(&key(20), flux(5))],
        Amount::ZERO,
    );
    let block = branch_b.make_block(vec![spend]);
    branch_b.accept(&block).unwrap();
    branch_b.mine(4);
    let mut branch_a = main.copy();
    assert_eq!(branch_a.height(), 204);

    let before = (
        main.chain.utxo_set().unwrap(),
        list_snapshot(main.chain.fluxnode_list()),
    );
    let b_blocks = best_chain(&branch_b, 201);
    for block in &b_blocks[..4] {
        assert!(matches!(
            main.accept(block).unwrap(),
            AcceptOutcome::SideChain { .. }
        ));
    }
    // Nothing changed while B was lighter (or equal).
    assert_eq!(
        (
            main.chain.utxo_set().unwrap(),
            list_snapshot(main.chain.fluxnode_list())
        ),
        before
    );
    let outcome = main.accept(&b_blocks[4]).unwrap();
    let AcceptOutcome::Reorganized {
        height,
        fork_height,
        disconnected,
        connected,
    } = outcome
    else {
        panic!("{outcome:?}");
    };
    assert_eq!((height, fork_height), (BlockHeight(205), BlockHeight(200)));
    assert_eq!(disconnected.len(), 4);
    assert_eq!(
        connected,
        b_blocks.iter().map(Block::hash).collect::<Vec<_>>()
    );
    assert_same_state(&main.chain, &branch_b.chain);
    // The headers a node serves now follow branch B, and stop at its tip.
    let served = main
        .chain
        .best_chain_headers(BlockHeight(201), 160)
        .unwrap();
    let expected: Vec<_> = b_blocks
        .iter()
        .map(|block| (block.hash(), block.header.clone()))
        .collect();
    assert_eq!(served, expected);
    assert_eq!(
        main.chain
            .header(&disconnected[0])
            .unwrap()
            .map(|h| h.hash()),
        Some(disconnected[0]),
        "a block off the best chain keeps its header"
    );
    // Work is kept per block on both branches: the new tip's is the best, and a block of the
    // abandoned branch still has the lighter work it had.
    let tip_work = main.chain.chain_work(&main.chain.tip().1).unwrap();
    assert_eq!(tip_work, Some(main.chain.tip_info().chain_work));
    let abandoned = main.chain.chain_work(&disconnected[0]).unwrap().unwrap();
    assert!(abandoned < main.chain.tip_info().chain_work);
    assert_eq!(
        main.chain.chain_work(&flux_tx::BlockHash([7; 32])).unwrap(),
        None
    );
    assert!(main.chain.fluxnode_list().get(&collateral).is_none());
    assert_eq!(main.chain.node_key(&collateral).unwrap(), None);
    assert!(main.chain.utxo(&collateral).unwrap().is_none());
    // A's transactions left the index with their blocks.
    let a_blocks = best_chain(&branch_a, 201);
    assert!(
        main.chain
            .transaction(&a_blocks[1].transactions[1].txid())
            .unwrap()
            .is_none()
    );

    // A grows heavier again: the node, its collateral and A's UTXO set come back exactly.
    branch_a.mine(2);
    let a_blocks = best_chain(&branch_a, 205);
    assert!(matches!(
        main.accept(&a_blocks[0]).unwrap(),
        AcceptOutcome::SideChain { .. }
    ));
    let outcome = main.accept(&a_blocks[1]).unwrap();
    assert!(
        matches!(
            outcome,
            AcceptOutcome::Reorganized {
                fork_height: BlockHeight(200),
                ..
            }
        ),
        "{outcome:?}"
    );
    assert_same_state(&main.chain, &branch_a.chain);
    assert!(main.chain.fluxnode_list().get(&collateral).is_some());
    assert_eq!(
        main.chain.node_key(&collateral).unwrap(),
        Some(key(8).public_key().to_bytes())
    );

    // The list is rebuilt from the store on open, identical.
    let path = main.dir.path().join("chain.redb");
    let expected = (
        main.chain.tip(),
        main.chain.utxo_set().unwrap(),
        list_snapshot(main.chain.fluxnode_list()),
    );
    drop(main.chain);
    let reopened = Chain::open(&path, Devnet::default()).unwrap();
    assert_eq!(
        (
            reopened.tip(),
            reopened.utxo_set().unwrap(),
            list_snapshot(reopened.fluxnode_list())
        ),
        expected
    );
}

#[test]
fn a_branch_with_an_invalid_block_is_refused_whole() {
    let mut main = Devchain::funded();
    let mut branch = main.copy();
    main.mine(2);
    let before = (main.chain.tip(), main.chain.utxo_set().unwrap());

    // Branch: 101 valid, 102 pays itself too much (only a full connect finds it), 103 on top.
    let c101 = branch.mine(1).remove(0);
    let c102 = branch.make_block_with(Vec::new(), Amount::ZERO, |coinbase| {
        if let TxBody::Standard(body) = &mut coinbase.body {
            body.outputs[0].value += 1;
        }
    });
    let mut template = branch
        .chain
        .block_template(BlockHeight(102))
        .unwrap()
        .unwrap();
    template.height = BlockHeight(103);
    template.prev_block = c102.hash();
    template.min_time = c102.header.time + 1;
    template.reward = Devnet::default().reward_split(BlockHeight(103));
    let coinbase =
        template.coinbase_transaction(&common::script_of(&branch.miner), Amount::ZERO, b"c103");
    let c103 =
        flux_consensus::devnet::solve(template.block(template.min_time, vec![coinbase])).unwrap();

    assert!(matches!(
        main.accept(&c101).unwrap(),
        AcceptOutcome::SideChain { .. }
    ));
    assert!(matches!(
        main.accept(&c102).unwrap(),
        AcceptOutcome::SideChain { .. }
    ));
    let result = main.accept(&c103);
    assert!(
        matches!(result, Err(BlockError::CoinbasePaysTooMuch { .. })),
        "{result:?}"
    );
    assert_eq!((main.chain.tip(), main.chain.utxo_set().unwrap()), before);
    assert!(matches!(
        main.accept(&c102),
        Err(BlockError::KnownInvalid(_))
    ));
    assert!(matches!(
        main.accept(&c103),
        Err(BlockError::InvalidParent(_))
    ));
    // The best chain still grows.
    main.mine(1);
    assert_eq!(main.height(), 103);
}

#[test]
fn forks_deeper_than_the_reorg_limit_are_refused() {
    let mut dev = Devchain::funded();
    let at = |dev: &Devchain, h: u32| {
        let hash = dev.chain.block_hash(BlockHeight(h)).unwrap().unwrap();
        dev.chain.block(&hash).unwrap().unwrap()
    };
    // Tip 100: a parent at 60 is 40 below it (refused), at 61 is 39 below (a side chain).
    let deep = common::block_on(&at(&dev, 60), 60, 1);
    let result = dev.accept(&deep);
    assert!(
        matches!(
            result,
            Err(BlockError::Header(
                flux_consensus::HeaderError::ForkTooDeep {
                    depth: 40,
                    max: 40,
                    ..
                }
            ))
        ),
        "{result:?}"
    );
    assert_eq!(result.unwrap_err().misbehavior_score(), 10);
    let shallow = common::block_on(&at(&dev, 61), 61, 2);
    assert!(matches!(
        dev.accept(&shallow).unwrap(),
        AcceptOutcome::SideChain {
            height: BlockHeight(62)
        }
    ));
}
