//! A devnet chain across its switch from proof of work to proof of node (height 250): blocks
//! signed by a fluxnode, each PON rule broken by a block that breaks only that rule, fluxd's
//! tie-break between equal-work tips, reorganisations across the boundary, and a reopened store.
#![cfg(all(feature = "store", feature = "miner"))]

mod common;

use common::{Devchain, flux, key, script_of, sign, time_where, with_node};
use flux_consensus::check::pon::EMERGENCY_COLLATERAL;
use flux_consensus::{AcceptOutcome, BlockError, Chain, Devnet, HeaderError};
use flux_pow::BlockHeight;
use flux_tx::address::Address;
use flux_tx::keys::PrivateKey;
use flux_tx::pon::{Slot, pon_hash};
use flux_tx::{Amount, Block, BlockProof, OutPoint, Script};

/// The devnet's first PON height, written out (not read from the code under test).
const PON_HEIGHT: u32 = 250;

/// A chain whose tip is the last proof-of-work block (249), with one confirmed Cumulus node
/// (collateral and operator key).
fn at_the_switch() -> (Devchain, OutPoint, PrivateKey) {
    let (mut dev, collateral, _) = with_node();
    let to_go = PON_HEIGHT - 1 - dev.height();
    dev.mine(to_go);
    assert_eq!(dev.height(), PON_HEIGHT - 1);
    (dev, collateral, key(8))
}

fn header_error(result: Result<AcceptOutcome, BlockError>) -> HeaderError {
    match result {
        Err(BlockError::Header(error)) => error,
        other => panic!("expected a header error, got {other:?}"),
    }
}

fn dev_fund_script() -> Script {
    Address::parse(
        "tmRSD3DJ1aU3Ae4fFscrhPH92QdS7pLVshV",
        flux_pow::Network::Devnet,
    )
    .unwrap()
    .script_pubkey()
}

#[test]
fn the_chain_switches_to_signed_blocks_at_250() {
    let (mut dev, collateral, operator) = at_the_switch();

    // A mined block is refused at 250 (not-pon-block), a PON block at 249 would have been
    // premature: both the same rule, the wrong layout for the era.
    let mined = dev.make_block(Vec::new());
    assert_eq!(
        header_error(dev.accept(&mined)),
        HeaderError::WrongProofKind { height: PON_HEIGHT }
    );

    let block = dev.pon_block(collateral, &operator);
    assert_eq!(block.header.version, 100);
    assert_eq!(
        dev.accept(&block).unwrap(),
        AcceptOutcome::Extended {
            height: BlockHeight(PON_HEIGHT)
        }
    );
    // pon.md §7, mainnet's year 0: 14 FLUX, Cumulus 1 FLUX, and with no Nimbus or Stratus node
    // their shares go to the dev fund with the rest: 13 FLUX in vout[0].
    let coinbase = &block.transactions[0];
    assert_eq!(coinbase.outputs()[0].value, 1_300_000_000);
    assert_eq!(coinbase.outputs()[0].script_pubkey, dev_fund_script());
    let cumulus_paid = coinbase
        .outputs()
        .iter()
        .any(|output| output.value == 100_000_000);
    assert!(cumulus_paid, "{:?}", coinbase.outputs());

    // Ten more blocks: the PON retarget's window fills and the bits follow it.
    dev.produce(12, collateral, &operator);
    assert_eq!(dev.height(), PON_HEIGHT + 12);
    // Reopened, the store has the same tip and the list it rebuilds lets the node sign again.
    let tip = dev.chain.tip();
    let list = common::list_snapshot(dev.chain.fluxnode_list());
    let Devchain { dir, chain, .. } = dev;
    drop(chain);
    let mut reopened = Devchain::new();
    reopened.chain = Chain::open(dir.path().join("chain.redb"), Devnet::default()).unwrap();
    assert_eq!(reopened.chain.tip(), tip);
    assert_eq!(common::list_snapshot(reopened.chain.fluxnode_list()), list);
    reopened.produce(1, collateral, &operator);
}

#[test]
fn a_bad_signature_is_refused_without_poisoning_the_block() {
    let (mut dev, collateral, operator) = at_the_switch();
    let good = dev.pon_block(collateral, &operator);
    let mut forged = good.clone();
    sign(&mut forged, &key(9));
    assert_eq!(forged.hash(), good.hash(), "the signature is not hashed");
    assert_eq!(
        header_error(dev.accept(&forged)),
        HeaderError::PonBadSignature
    );
    assert!(HeaderError::PonBadSignature.is_signature_failure());
    // The same block, signed by its node, is accepted afterwards.
    assert_eq!(
        dev.accept(&good).unwrap(),
        AcceptOutcome::Extended {
            height: BlockHeight(PON_HEIGHT)
        }
    );
}

#[test]
fn a_collateral_that_is_no_node_cannot_sign() {
    let (mut dev, _, operator) = at_the_switch();
    let stranger = OutPoint {
        txid: flux_tx::Txid([0x42; 32]),
        index: 3,
    };
    let block = dev.pon_block(stranger, &operator);
    assert_eq!(
        header_error(dev.accept(&block)),
        HeaderError::PonUnknownNode(stranger)
    );
}

#[test]
fn header_rules_each_refuse_their_block() {
    let (mut dev, collateral, operator) = at_the_switch();
    let height = BlockHeight(PON_HEIGHT);
    let good = dev.pon_block(collateral, &operator);

    // A slot whose PON hash is above the target.
    let mut high = good.clone();
    high.header.time = time_where(&dev, &high.header, height, good.header.time, false);
    sign(&mut high, &operator);
    assert!(matches!(
        header_error(dev.accept(&high)),
        HeaderError::PonHighHash(_)
    ));

    // A time not after the parent's, in a slot that passes.
    let parent_time = dev
        .chain
        .block(&good.header.prev_block)
        .unwrap()
        .unwrap()
        .header
        .time;
    let mut early = good.clone();
    let slot = dev.chain.params().pon_slot_seconds().get();
    let mut time = parent_time;
    while {
        early.header.time = time;
        !common::pon_hash_passes(&dev, &early.header, height)
    } {
        time -= slot;
    }
    sign(&mut early, &operator);
    assert_eq!(
        header_error(dev.accept(&early)),
        HeaderError::PonTimeNotAfterParent { time, parent_time }
    );

    // More than the devnet's two hours ahead of the clock (the test accepts at the block's own
    // time, so use the clock explicitly here).
    let now = i64::from(good.header.time);
    let mut future = good.clone();
    future.header.time = time_where(&dev, &future.header, height, good.header.time + 7_201, true);
    sign(&mut future, &operator);
    match dev.chain.accept_block_at(&future, now) {
        Err(flux_consensus::AcceptBlockError::Invalid(BlockError::Header(
            HeaderError::TimeTooNew { allowed_drift, .. },
        ))) => assert_eq!(allowed_drift, 7_200),
        other => panic!("expected time-too-new, got {other:?}"),
    }

    // Bits that are not the PON retarget's.
    let mut bits = good.clone();
    bits.header.bits = flux_pow::difficulty::Compact(0x207f_fffe);
    bits.header.time = time_where(&dev, &bits.header, height, good.header.time, true);
    sign(&mut bits, &operator);
    assert_eq!(
        header_error(dev.accept(&bits)),
        HeaderError::PonBadDiffBits {
            expected: 0x207f_ffff,
            got: 0x207f_fffe
        }
    );

    // An emergency block on a network without emergency signers: an empty signature set is
    // fewer than the one signature required.
    let mut emergency = good.clone();
    emergency.header.proof = BlockProof::Node {
        collateral: EMERGENCY_COLLATERAL,
        signature: vec![0],
    };
    assert!(matches!(
        header_error(dev.accept(&emergency)),
        HeaderError::EmergencyBlock(_)
    ));

    // None of them was stored or poisoned the good block.
    assert!(dev.accept(&good).is_ok());
}

#[test]
fn bits_after_a_retarget_must_follow_it() {
    let (mut dev, collateral, operator) = at_the_switch();
    // Ten PON blocks at the earliest eligible times: faster than the slots, so the retarget
    // lowers the target once the 10-block window is all PON (pon.md §5).
    dev.produce(10, collateral, &operator);
    let template = dev.next_template();
    assert_ne!(
        template.bits,
        Devnet::POW_LIMIT_BITS,
        "the window retargets"
    );
    let mut block = dev.pon_block(collateral, &operator);
    block.header.bits = Devnet::POW_LIMIT_BITS;
    block.header.time = time_where(
        &dev,
        &block.header,
        template.height,
        template.min_time,
        true,
    );
    sign(&mut block, &operator);
    assert_eq!(
        header_error(dev.accept(&block)),
        HeaderError::PonBadDiffBits {
            expected: template.bits.0,
            got: Devnet::POW_LIMIT_BITS.0
        }
    );
}

#[test]
fn the_coinbase_pays_the_dev_fund_and_the_tier_payee() {
    let (mut dev, collateral, operator) = at_the_switch();
    let dev_fund = dev_fund_script();
    let miner = script_of(&dev.miner);

    // The remainder to the miner instead of the dev fund.
    let to_miner = dev.pon_block_with(collateral, &operator, Vec::new(), |coinbase| {
        set_output_script(coinbase, 0, miner.clone());
    });
    assert_eq!(
        dev.accept(&to_miner).unwrap_err(),
        BlockError::MissingDevFundOutput {
            amount: Amount::from_zat(50_000_000).unwrap()
        }
    );

    // One zatoshi short of what the payouts leave (13 FLUX), above the 0.5 FLUX minimum.
    let short = dev.pon_block_with(collateral, &operator, Vec::new(), |coinbase| {
        set_output_value(coinbase, 0, 1_299_999_999);
    });
    assert_eq!(
        dev.accept(&short).unwrap_err(),
        BlockError::MissingDevFundPayout { amount: flux(13) }
    );

    // The Cumulus payout to another script.
    let position = |block: &Block| {
        block.transactions[0]
            .outputs()
            .iter()
            .position(|output| output.value == 100_000_000 && output.script_pubkey != dev_fund)
            .unwrap()
    };
    let probe = dev.pon_block(collateral, &operator);
    let index = position(&probe);
    let wrong_payee = dev.pon_block_with(collateral, &operator, Vec::new(), |coinbase| {
        set_output_script(coinbase, index, miner.clone());
    });
    assert!(matches!(
        dev.accept(&wrong_payee).unwrap_err(),
        BlockError::MissingFluxnodePayout { .. }
    ));
    assert!(dev.accept(&probe).is_ok());
}

fn set_output_script(coinbase: &mut flux_tx::Transaction, index: usize, script: Script) {
    if let flux_tx::transaction::TxBody::Standard(body) = &mut coinbase.body {
        body.outputs[index].script_pubkey = script;
    }
}

fn set_output_value(coinbase: &mut flux_tx::Transaction, index: usize, value: i64) {
    if let flux_tx::transaction::TxBody::Standard(body) = &mut coinbase.body {
        body.outputs[index].value = value;
    }
}

#[test]
fn equal_work_tips_go_to_the_lower_pon_hash() {
    let (mut dev, collateral, operator) = at_the_switch();
    dev.produce(2, collateral, &operator);
    // Two blocks on the same parent in different slots: same height, same work.
    let first = dev.pon_block(collateral, &operator);
    let mut second = first.clone();
    second.header.time = time_where(
        &dev,
        &second.header,
        BlockHeight(dev.height() + 1),
        first.header.time + dev.chain.params().pon_slot_seconds().get(),
        true,
    );
    sign(&mut second, &operator);
    assert_ne!(first.hash(), second.hash());

    // The order fluxd compares (`uint256::operator<`: memcmp of the raw bytes), computed here
    // from the preimage, not by the chain.
    let genesis = Devnet::GENESIS_TIME;
    let spacing = dev.chain.params().pon_slot_seconds();
    let raw = |block: &Block| {
        pon_hash(
            &collateral,
            &block.header.prev_block,
            Slot::of_time_with_spacing(block.header.time, genesis, spacing),
        )
        .0
    };
    let (low, high) = if raw(&first) < raw(&second) {
        (first, second)
    } else {
        (second, first)
    };

    // Lower first: the higher one stays on the side.
    let mut a = dev.copy();
    a.accept(&low).unwrap();
    assert!(matches!(
        a.accept(&high).unwrap(),
        AcceptOutcome::SideChain { .. }
    ));
    assert_eq!(a.chain.tip().1, low.hash());

    // Higher first: the lower one takes the tip.
    dev.accept(&high).unwrap();
    assert!(matches!(
        dev.accept(&low).unwrap(),
        AcceptOutcome::Reorganized { .. }
    ));
    assert_eq!(dev.chain.tip().1, low.hash());
}

#[test]
fn reorganisations_cross_the_boundary_and_stop_at_the_limit() {
    let (mut dev, collateral, operator) = at_the_switch();
    // A fork from 245 (proof of work) into the PON era, longer than the best chain.
    let mut fork = Devchain::funded_like(&dev, 245);
    fork.mine(4);
    fork.produce(6, collateral, &operator);
    let snapshot_before = common::list_snapshot(dev.chain.fluxnode_list());
    dev.produce(3, collateral, &operator);
    let mut outcomes = Vec::new();
    for height in 246..=fork.height() {
        let hash = fork.chain.block_hash(BlockHeight(height)).unwrap().unwrap();
        outcomes.push(
            dev.accept(&fork.chain.block(&hash).unwrap().unwrap())
                .unwrap(),
        );
    }
    // The branch takes over once it has more work: at its fourth PON block (253), each PON
    // block weighing 2^40 against the three of the best chain.
    let switch = outcomes
        .iter()
        .position(|outcome| matches!(outcome, AcceptOutcome::Reorganized { .. }))
        .expect("the heavier branch reorganises");
    assert_eq!(246 + switch as u32, 253);
    assert!(matches!(
        &outcomes[switch],
        AcceptOutcome::Reorganized { fork_height, disconnected, .. }
            if *fork_height == BlockHeight(245) && disconnected.len() == 7
    ));
    assert_eq!(dev.chain.tip(), fork.chain.tip());
    assert_eq!(
        common::list_snapshot(dev.chain.fluxnode_list()),
        common::list_snapshot(fork.chain.fluxnode_list())
    );
    assert_ne!(
        snapshot_before,
        common::list_snapshot(dev.chain.fluxnode_list())
    );

    // 41 PON blocks on: a fork from 40 blocks below the tip is refused (MAX_REORG_LENGTH 40).
    dev.produce(41, collateral, &operator);
    let tip = dev.height();
    let mut deep = Devchain::funded_like(&dev, tip - 40);
    let block = deep.pon_block(collateral, &operator);
    assert_eq!(
        header_error(dev.accept(&block)),
        HeaderError::ForkTooDeep {
            parent_height: tip - 40,
            depth: 40,
            max: 40
        }
    );
}

/// Regtest as fluxd's `generate` builds it (pon.md section 9): every block after the PoW genesis
/// is proof of node although the PON upgrade is never activated (`IsPONActive` compares with -1),
/// with the bypass collateral "TESTNOD" and a 64-byte all-zero signature nobody checks, `nBits`
/// from the PON retarget, the whole coinbase to the dev fund; the subsidy is reduced 10 % at
/// height 99, since fluxd counts `h - (-1)` (14 FLUX, then 12.6).
#[test]
fn regtest_chain_as_fluxd_generates_it() {
    use flux_consensus::Regtest;
    use flux_consensus::check::pon::test_bypass_collateral;
    let dir = tempfile::tempdir().unwrap();
    let mut chain = Chain::open(dir.path().join("regtest.redb"), Regtest).unwrap();
    let bypass = test_bypass_collateral(flux_pow::Network::Regtest).unwrap();
    let dev_fund = Address::parse(
        "t2GoxS2SRmLQDnTyWePHjKD3izvFsKUAjrH",
        flux_pow::Network::Regtest,
    )
    .unwrap()
    .script_pubkey();
    let mut time = flux_consensus::NetworkParams::genesis_time(&Regtest) + 1;
    for height in 1..=101u32 {
        let template = chain.block_template(BlockHeight(height)).unwrap().unwrap();
        assert!(template.proof_of_node, "regtest height {height}");
        time = time.max(template.min_time);
        let coinbase = template.coinbase_transaction(
            &Script::from(vec![0x51]),
            Amount::ZERO,
            &height.to_le_bytes(),
        );
        let mut block = template.pon_block(time, bypass, vec![coinbase]);
        block.header.proof = BlockProof::Node {
            collateral: bypass,
            signature: vec![0; 64],
        };
        let outcome = chain.accept_block_at(&block, i64::from(time));
        assert!(
            matches!(outcome, Ok(AcceptOutcome::Extended { .. })),
            "height {height}: {outcome:?}"
        );
        let paid = &block.transactions[0].outputs()[0];
        assert_eq!(paid.script_pubkey, dev_fund);
        let expected = if height < 99 {
            1_400_000_000
        } else {
            1_260_000_000
        };
        assert_eq!(paid.value, expected, "subsidy at regtest height {height}");
        time += 1;
    }
    // Any other collateral needs a node, and regtest has none.
    let template = chain.block_template(BlockHeight(102)).unwrap().unwrap();
    let coinbase = template.coinbase_transaction(&Script::from(vec![0x51]), Amount::ZERO, b"x");
    let stranger = OutPoint {
        txid: flux_tx::Txid([5; 32]),
        index: 0,
    };
    let block = template.pon_block(template.min_time, stranger, vec![coinbase]);
    match chain.accept_block_at(&block, i64::from(template.min_time)) {
        Err(flux_consensus::AcceptBlockError::Invalid(BlockError::Header(
            HeaderError::PonUnknownNode(collateral),
        ))) => assert_eq!(collateral, stranger),
        other => panic!("expected bad-pon-block, got {other:?}"),
    }
}

/// fluxd looks the signer up among started, DoS-protected and confirmed nodes
/// (`FluxnodeCache::GetFluxnodeData`, `fluxnode.cpp:695-711`), so a node whose START is mined but
/// which is not confirmed yet may sign a block; issue #17 says "confirmed", fluxd is looser and
/// the daemon wins.
#[test]
fn a_started_node_that_is_not_confirmed_may_sign_as_fluxd_allows() {
    let (mut dev, _, change) = with_node();
    // A second collateral, funded at 204 from the premine's change.
    let owner = key(30);
    let node = key(31);
    let miner = dev.miner.clone();
    let funds = change;
    let funding = dev.pay(
        &miner,
        &[funds],
        &[(&owner, flux(10_000))],
        Amount::from_zat(10_000).unwrap(),
    );
    let block = dev.make_block(vec![funding.clone()]);
    dev.accept(&block).unwrap();
    let collateral = OutPoint {
        txid: funding.txid(),
        index: 0,
    };
    let first = with_node_collateral(&dev);
    dev.mine(PON_HEIGHT - 1 - dev.height());
    // PON blocks by the first node until the new collateral is 100 blocks deep, then its START.
    dev.produce(304 - dev.height(), first, &key(8));
    let start = common::start_tx(collateral, &owner, &node);
    let block = dev.pon_block_with(first, &key(8), vec![start], |_| {});
    dev.accept(&block).unwrap();
    assert_eq!(
        dev.chain.fluxnode_list().get(&collateral).unwrap().status,
        flux_nodes::NodeStatus::Started
    );
    let block = dev.pon_block(collateral, &node);
    assert!(matches!(
        dev.accept(&block).unwrap(),
        AcceptOutcome::Extended { .. }
    ));
}

/// The collateral of the node [`with_node`] confirmed (the only confirmed one).
fn with_node_collateral(dev: &Devchain) -> OutPoint {
    dev.chain
        .fluxnode_list()
        .nodes()
        .find(|node| node.status == flux_nodes::NodeStatus::Confirmed)
        .unwrap()
        .collateral
}
