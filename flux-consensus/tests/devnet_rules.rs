//! Full validation on a devnet chain mined with flux-pow's solver: spends, the fluxnode life
//! cycle and its coinbase payouts, and each invalid variant rejected with its own rule.

mod common;

use common::{Devchain, flux, key, script_of, with_node};
use flux_consensus::{AcceptOutcome, BlockError, HeaderError, TransactionError};
use flux_nodes::Tier;
use flux_pow::BlockHeight;
use flux_pow::difficulty::{Compact, DifficultyError, U256};
use flux_tx::{Amount, Block, BlockProof, Script, TxBody};

#[test]
fn confirmed_nodes_are_paid_their_tier_share_in_turn() {
    let (mut dev, collateral, _) = with_node();
    let owner_script = script_of(&key(7));
    let payouts = dev.chain.next_payouts().unwrap();
    assert_eq!(payouts.len(), 1);
    let split = dev.chain.params().reward_split(BlockHeight(204));
    assert_eq!(payouts[0].tier, Tier::Cumulus);
    assert_eq!(payouts[0].payee, collateral);
    assert_eq!(payouts[0].output.script_pubkey, owner_script);
    assert_eq!(payouts[0].output.value, split.tiers[0].zat());
    // 3.75 % of the slow-start subsidy of height 204 (mainnet table).
    assert_eq!(split.subsidy.zat(), 150 * 100_000_000 / 5000 * 204);
    assert_eq!(
        split.tiers[0].zat(),
        (split.subsidy.zat() as f64 * 0.0375) as i64
    );

    let block = dev.make_block(Vec::new());
    let coinbase = &block.transactions[0];
    assert_eq!(coinbase.outputs()[1], payouts[0].output);
    assert_eq!(
        coinbase.outputs()[0].value + coinbase.outputs()[1].value,
        split.subsidy.zat()
    );
    dev.accept(&block).unwrap();
    assert_eq!(
        dev.chain
            .fluxnode_list()
            .get(&collateral)
            .unwrap()
            .last_paid_height,
        Some(BlockHeight(204))
    );
    // The collateral output still exists and the node keeps being paid.
    assert!(dev.chain.utxo(&collateral).unwrap().is_some());
    dev.mine(2);
    assert_eq!(
        dev.chain
            .fluxnode_list()
            .get(&collateral)
            .unwrap()
            .last_paid_height,
        Some(BlockHeight(206))
    );
}

fn expect_header(result: Result<AcceptOutcome, BlockError>) -> HeaderError {
    match result {
        Err(BlockError::Header(error)) => error,
        other => panic!("expected a header error, got {other:?}"),
    }
}

fn expect_tx(result: Result<AcceptOutcome, BlockError>) -> TransactionError {
    match result {
        Err(BlockError::Transaction { error, .. }) => error,
        other => panic!("expected a transaction error, got {other:?}"),
    }
}

/// A solution of the block's header whose hash is above the target.
fn solve_above_target(mut block: Block) -> Block {
    let target = block.header.bits.target();
    for nonce_byte in 0u8..=255 {
        block.header.proof = BlockProof::Work {
            nonce: [nonce_byte; 32],
            solution: Vec::new(),
        };
        let prefix = block.header.pow_prefix().unwrap();
        for solution in
            flux_pow::solver::solve_all(&flux_pow::EquihashParams::EH48_5, &prefix).unwrap()
        {
            block.header.proof = BlockProof::Work {
                nonce: [nonce_byte; 32],
                solution,
            };
            if U256::from_le_bytes(block.hash().0) > target {
                return block;
            }
        }
    }
    panic!("no solution above the target");
}

#[test]
fn each_invalid_variant_is_rejected_with_its_own_rule() {
    let (mut dev, collateral, change) = with_node();
    let tip = dev.chain.tip();
    let good = dev.make_block(Vec::new());

    // Bad merkle root (re-solved, so only the root is wrong).
    let mut block = good.clone();
    block.header.merkle_root = flux_tx::MerkleRoot([9; 32]);
    let result = dev.accept(&Devchain::resolve(block));
    assert!(
        matches!(result, Err(BlockError::BadMerkleRoot { .. })),
        "{result:?}"
    );

    // Mutated merkle tree: [coinbase, a, b, b] has the root of [coinbase, a, b].
    let spend = dev.pay(
        &key(1),
        std::slice::from_ref(&change),
        &[(&key(9), flux(1))],
        Amount::ZERO,
    );
    let other = dev.pay(
        &key(1),
        std::slice::from_ref(&change),
        &[(&key(10), flux(2))],
        Amount::ZERO,
    );
    let mut block = dev.clone_block(vec![spend.clone(), other.clone(), other.clone()]);
    block.header.merkle_root = block.compute_merkle_root().0;
    let result = dev.accept(&Devchain::resolve(block));
    assert!(
        matches!(result, Err(BlockError::MutatedMerkleTree)),
        "{result:?}"
    );

    // Bad proof of work: a solution byte flipped, a hash above the target, wrong bits.
    let mut block = good.clone();
    if let BlockProof::Work { solution, .. } = &mut block.header.proof {
        solution[3] ^= 0x10;
    }
    let error = expect_header(dev.accept(&block));
    assert!(
        matches!(error, HeaderError::InvalidSolution(_)),
        "{error:?}"
    );
    assert_eq!(error.misbehavior_score(), 100);
    let error = expect_header(dev.accept(&solve_above_target(good.clone())));
    assert_eq!(
        error,
        HeaderError::HighHash(DifficultyError::HashAboveTarget)
    );
    assert_eq!(error.misbehavior_score(), 50);
    let mut block = good.clone();
    block.header.bits = Compact(0x207f_fffe);
    let error = expect_header(dev.accept(&Devchain::resolve(block)));
    assert_eq!(
        error,
        HeaderError::BadDiffBits {
            expected: 0x207f_ffff,
            got: 0x207f_fffe
        }
    );

    // Timestamps: too far ahead of the clock, not after the median time past.
    // Devnet allows two hours (the daemon's networks 360 s after LWMA: see tests/vectors.rs).
    let error = expect_header(
        dev.chain
            .accept_block_at(&good, i64::from(good.header.time) - 7201)
            .map_err(|error| error.invalid().cloned().expect("a rule, not the store")),
    );
    assert!(
        matches!(
            error,
            HeaderError::TimeTooNew {
                allowed_drift: 7200,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(error.misbehavior_score(), 0);
    let mut block = good.clone();
    block.header.time = dev.chain.median_time_past().unwrap() as u32;
    let error = expect_header(dev.accept(&Devchain::resolve(block)));
    assert!(matches!(error, HeaderError::TimeTooOld { .. }), "{error:?}");

    // Coinbase: pays too much, misses the tier payee, lacks the height, a second coinbase.
    let block = dev.make_block_with(Vec::new(), Amount::ZERO, |coinbase| {
        if let TxBody::Standard(body) = &mut coinbase.body {
            body.outputs[0].value += 1;
        }
    });
    let result = dev.accept(&block);
    assert!(
        matches!(result, Err(BlockError::CoinbasePaysTooMuch { .. })),
        "{result:?}"
    );
    assert_eq!(result.unwrap_err().misbehavior_score(), 100);
    let block = dev.make_block_with(Vec::new(), Amount::ZERO, |coinbase| {
        if let TxBody::Standard(body) = &mut coinbase.body {
            body.outputs.truncate(1);
        }
    });
    let result = dev.accept(&block);
    assert!(
        matches!(
            result,
            Err(BlockError::MissingFluxnodePayout {
                tier: Tier::Cumulus,
                ..
            })
        ),
        "{result:?}"
    );
    assert_eq!(result.unwrap_err().misbehavior_score(), 1);
    let block = dev.make_block_with(Vec::new(), Amount::ZERO, |coinbase| {
        if let TxBody::Standard(body) = &mut coinbase.body {
            body.inputs[0].script_sig = Script::from(vec![0x01, 0x05, 0x00]);
        }
    });
    let result = dev.accept(&block);
    assert!(
        matches!(result, Err(BlockError::BadCoinbaseHeight(204))),
        "{result:?}"
    );
    let mut block = good.clone();
    let mut second = block.transactions[0].clone();
    if let TxBody::Standard(body) = &mut second.body {
        body.inputs[0].script_sig = Script::from(vec![0x01, 0x68, 0x02]);
    }
    block.transactions.push(second);
    block.header.merkle_root = block.compute_merkle_root().0;
    let result = dev.accept(&Devchain::resolve(block));
    assert!(
        matches!(result, Err(BlockError::MultipleCoinbase(1))),
        "{result:?}"
    );

    // Spends: the same output twice, an output already spent, an immature coinbase, a bad
    // signature.
    let error = {
        let block = dev.clone_block(vec![spend.clone(), other]);
        expect_tx(dev.accept(&block))
    };
    assert_eq!(error, TransactionError::MissingOrSpent(change.outpoint));
    let premine = dev.coinbase_utxo(1);
    let respend = dev.pay(
        &key(1),
        std::slice::from_ref(&premine),
        &[(&key(9), flux(1))],
        Amount::ZERO,
    );
    assert!(matches!(
        dev.chain.validate_transaction(&respend),
        Err(flux_consensus::TxValidationError::Invalid(
            TransactionError::MissingOrSpent(_)
        ))
    ));
    let error = {
        let block = dev.clone_block(vec![respend]);
        expect_tx(dev.accept(&block))
    };
    assert_eq!(error, TransactionError::MissingOrSpent(premine.outpoint));
    let young = dev.coinbase_utxo(160);
    let immature = dev.pay(
        &key(1),
        std::slice::from_ref(&young),
        &[(&key(9), flux(1))],
        Amount::ZERO,
    );
    let error = {
        let block = dev.clone_block(vec![immature]);
        expect_tx(dev.accept(&block))
    };
    assert_eq!(
        error,
        TransactionError::PrematureCoinbaseSpend {
            outpoint: young.outpoint,
            depth: 44
        }
    );
    let mut forged = spend.clone();
    if let TxBody::Standard(body) = &mut forged.body {
        let mut script = body.inputs[0].script_sig.as_bytes().to_vec();
        script[10] ^= 1;
        body.inputs[0].script_sig = Script::from(script);
    }
    let error = {
        let block = dev.clone_block(vec![forged]);
        expect_tx(dev.accept(&block))
    };
    assert!(matches!(error, TransactionError::Script(_)), "{error:?}");

    // An unknown parent.
    let mut orphan = good.clone();
    orphan.header.prev_block = flux_tx::BlockHash([3; 32]);
    let result = dev.accept(&Devchain::resolve(orphan));
    assert!(
        matches!(result, Err(BlockError::UnknownParent(_))),
        "{result:?}"
    );
    assert_eq!(result.unwrap_err().misbehavior_score(), 10);

    // Fluxnode transactions: a CONFIRM not signed by the node key of the START, a correctly
    // signed update too soon after the initial CONFIRM (Kamata era: more than 40 blocks).
    let forged_confirm = common::confirm_tx(collateral, &key(99), true, 1_764_548_000);
    assert!(matches!(
        dev.chain.validate_transaction(&forged_confirm),
        Err(flux_consensus::TxValidationError::Invalid(
            TransactionError::FluxnodeBadSignature
        ))
    ));
    let error = {
        let block = dev.clone_block(vec![forged_confirm]);
        expect_tx(dev.accept(&block))
    };
    assert_eq!(error, TransactionError::FluxnodeBadSignature);
    assert_eq!(error.misbehavior_score(), 10);
    let early_update = common::confirm_tx(collateral, &key(8), true, 1_764_548_000);
    // The loose check applies the same distance rule as the block, so a mempool never takes it.
    assert!(
        matches!(
            dev.chain.validate_transaction(&early_update),
            Err(flux_consensus::TxValidationError::Invalid(
                TransactionError::FluxnodeList(flux_nodes::ListError::ConfirmTooSoon {
                    minimum: 40,
                    ..
                })
            ))
        ),
        "{:?}",
        dev.chain.validate_transaction(&early_update)
    );
    let result = {
        let block = dev.clone_block(vec![early_update]);
        dev.accept(&block)
    };
    assert!(
        matches!(
            result,
            Err(BlockError::FluxnodeList(
                flux_nodes::ListError::ConfirmTooSoon { minimum: 40, .. }
            ))
        ),
        "{result:?}"
    );

    // A coinbase is never a loose transaction.
    assert!(matches!(
        dev.chain.validate_transaction(&good.transactions[0]),
        Err(flux_consensus::TxValidationError::Invalid(
            TransactionError::LooseCoinbase
        ))
    ));

    // Nothing of the above changed the chain; the good block still extends it.
    assert_eq!(dev.chain.tip(), tip);
    assert_eq!(
        dev.accept(&good).unwrap(),
        AcceptOutcome::Extended {
            height: BlockHeight(204)
        }
    );
    let block = dev.make_block(vec![spend]);
    dev.accept(&block).unwrap();
}

trait CloneBlock {
    fn clone_block(&mut self, txs: Vec<flux_tx::Transaction>) -> Block;
}

impl CloneBlock for Devchain {
    /// A block with `txs` whose coinbase claims no fees (fees of invalid spends are unknown).
    fn clone_block(&mut self, txs: Vec<flux_tx::Transaction>) -> Block {
        self.make_block_with(txs, Amount::ZERO, |_| {})
    }
}
