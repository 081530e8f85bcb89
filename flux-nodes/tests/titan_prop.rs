//! Properties of Titan pools under random parameters, terms, stakes and events: no zatoshi is
//! created or lost (stakers' rewards + operator fees + redeem fees + carry == rewards received),
//! each block's shares follow the largest-remainder rule, only full nodes earn, and no input
//! panics.

use flux_nodes::titan::{
    EarlyExit, LockTerm, MAX_APR_BPS, PoolEvent, PoolParams, ScheduledEvent, StakeId, StakeRequest,
    StratusRotation, TitanError, TitanPool,
};
use flux_pow::{BlockHeight, Network};
use flux_tx::{Amount, COIN, MAX_MONEY};
use proptest::prelude::*;

fn zat(n: i64) -> Amount {
    Amount::from_zat(n.clamp(0, MAX_MONEY)).unwrap()
}

#[derive(Debug, Clone)]
enum Op {
    Add {
        id: u64,
        amount: i64,
        term: usize,
        start_in: u32,
        auto_reinvest: bool,
    },
    Block {
        gap: u32,
        received: i64,
    },
    Redeem(u64),
    Exit(u64),
}

fn params() -> impl Strategy<Value = PoolParams> {
    (
        1..=100 * COIN,
        0..=20_000 * COIN,
        1..=50_000 * COIN,
        0..=10_000u32,
        0..=100 * COIN,
        0..=100 * COIN,
        any::<bool>(),
    )
        .prop_map(
            |(min, extra, collateral, fee, redeem_min, redeem_fee, forfeit)| PoolParams {
                min_stake: zat(min),
                max_stake: zat(min + extra),
                node_collateral: zat(collateral),
                operator_fee_bps: fee,
                redeem_minimum: zat(redeem_min.max(redeem_fee)),
                redeem_fee: zat(redeem_fee),
                early_exit: if forfeit {
                    EarlyExit::ForfeitRewards
                } else {
                    EarlyExit::Forbidden
                },
            },
        )
}

fn terms() -> impl Strategy<Value = Vec<LockTerm>> {
    prop::collection::vec(
        (
            1..=40u32,
            prop_oneof![Just(0u32), 0..=MAX_APR_BPS],
            0..=200_000 * COIN,
        ),
        1..=4,
    )
    .prop_map(|terms| {
        terms
            .into_iter()
            .enumerate()
            .map(|(i, (blocks, apr, cap))| LockTerm::new(format!("t{i}"), blocks, apr, zat(cap)))
            .collect()
    })
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    let op = prop_oneof![
        4 => (0..24u64, prop_oneof![0..=20_000 * COIN, Just(MAX_MONEY)], 0..6usize, 1..30u32, any::<bool>())
            .prop_map(|(id, amount, term, start_in, auto_reinvest)| Op::Add {
                id, amount, term, start_in, auto_reinvest
            }),
        6 => (1..4u32, prop_oneof![8 => 0..=1_000 * COIN, 1 => 0..=MAX_MONEY, 1 => 0..1_000i64])
            .prop_map(|(gap, received)| Op::Block { gap, received }),
        1 => (0..24u64).prop_map(Op::Redeem),
        1 => (0..24u64).prop_map(Op::Exit),
    ];
    prop::collection::vec(op, 1..80)
}

/// Runs `ops`, checking the books after every step; errors are allowed, panics and lost
/// zatoshis are not.
fn run(pool: &mut TitanPool, ops: &[Op]) -> Result<(), TestCaseError> {
    let mut height = 1_000u32;
    for op in ops {
        let carry_before = pool.carry();
        let before = pool.totals();
        match *op {
            Op::Add {
                id,
                amount,
                term,
                start_in,
                auto_reinvest,
            } => {
                let name = format!("t{term}");
                let request = StakeRequest::new(
                    StakeId(id),
                    zat(amount),
                    name,
                    BlockHeight(height + start_in),
                )
                .with_auto_reinvest(auto_reinvest);
                let _ = pool.add_stake(request);
            }
            Op::Block { gap, received } => {
                height += gap;
                match pool.accrue_block(BlockHeight(height), zat(received)) {
                    Ok(report) => {
                        // Per block: in = out.
                        let inflow = report.received.zat() + carry_before.zat();
                        let outflow = report.operator_fee.zat()
                            + report.distributed.zat()
                            + report.carry.zat();
                        prop_assert_eq!(inflow, outflow);
                        prop_assert_eq!(report.running_nodes, pool.running_nodes());
                        // Only full nodes run.
                        let nodes = pool.nodes();
                        let full = nodes.iter().filter(|n| n.full).count();
                        prop_assert_eq!(full as u32, report.running_nodes);
                        prop_assert!(nodes.iter().rev().skip(1).all(|n| n.full));
                    }
                    Err(TitanError::Overflow(_)) => {
                        // Refused as a whole: the books did not move.
                        prop_assert_eq!(pool.totals(), before);
                    }
                    Err(other) => prop_assert!(false, "unexpected {other}"),
                }
            }
            Op::Redeem(id) => {
                if let Ok(redemption) = pool.redeem_rewards(StakeId(id)) {
                    let after = pool.totals();
                    prop_assert_eq!(
                        after.redeem_fees.zat() - before.redeem_fees.zat(),
                        redemption.fee.zat()
                    );
                }
            }
            Op::Exit(id) => {
                let _ = pool.exit_early(StakeId(id), BlockHeight(height));
            }
        }
        let totals = pool.totals();
        prop_assert!(totals.is_conserved(), "{totals:?} after {op:?}");
        for stake in pool.stakes() {
            let forfeited = stake.forfeited;
            prop_assert!(stake.earned().is_some() && forfeited <= totals.received);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn no_zatoshi_is_created_or_lost(params in params(), terms in terms(), ops in ops()) {
        let Ok(mut pool) = TitanPool::new(params, terms) else {
            return Ok(());
        };
        run(&mut pool, &ops)?;
    }

    /// With the published Titan rules and real Stratus payouts, over whole simulations.
    #[test]
    fn simulations_conserve_every_zatoshi(
        stakes in prop::collection::vec((50 * COIN..=10_000 * COIN, 0..3usize, 0..200u32, any::<bool>()), 1..40),
        events in prop::collection::vec((0..400u32, 0..40u64, any::<bool>()), 0..10),
        network_nodes in 1..5u32,
        fee in 0..=10_000u32,
    ) {
        let terms = vec![
            LockTerm::new("short", 50, 600, zat(200_000 * COIN)),
            LockTerm::new("mid", 150, 780, zat(200_000 * COIN)),
            LockTerm::new("long", 300, 1_100, zat(200_000 * COIN)),
        ];
        let params = PoolParams {
            operator_fee_bps: fee,
            redeem_minimum: Amount::ZERO,
            redeem_fee: Amount::ZERO,
            early_exit: EarlyExit::ForfeitRewards,
            ..PoolParams::titan()
        };
        let mut pool = TitanPool::new(params, terms).unwrap();
        let from = 2_100_000;
        for (id, &(amount, term, start, reinvest)) in stakes.iter().enumerate() {
            let name = ["short", "mid", "long"][term];
            let request = StakeRequest::new(StakeId(id as u64), zat(amount), name, BlockHeight(from + start))
                .with_auto_reinvest(reinvest);
            pool.add_stake(request).unwrap();
        }
        // Events on stakes that cannot take them (already exited) end the run early with an
        // error; the blocks before it stay accrued and must still balance.
        let events: Vec<ScheduledEvent> = events
            .into_iter()
            .map(|(at, id, redeem)| {
                let event = if redeem { PoolEvent::Redeem(StakeId(id)) } else { PoolEvent::Exit(StakeId(id)) };
                ScheduledEvent { height: BlockHeight(from + at), event }
            })
            .collect();
        let rotation = StratusRotation { network: Network::Mainnet, network_nodes };
        let result = pool.simulate(BlockHeight(from), 400, rotation, &events);
        let totals = pool.totals();
        prop_assert!(totals.is_conserved(), "{totals:?}");
        if let Ok(report) = result {
            prop_assert_eq!(report.totals, totals);
            prop_assert!(totals.received > Amount::ZERO || report.paid_blocks == 0);
        }
    }

    /// One block: each stake gets the floor of its exact share or one zatoshi more, the extra
    /// zatoshis go to the largest fractional parts (ties to the lower id), and stakes outside
    /// full nodes get nothing.
    #[test]
    fn one_block_follows_the_largest_remainder_rule(
        amounts in prop::collection::vec((50 * COIN..=10_000 * COIN, 0..2usize), 1..30),
        received in 0..=1_000_000 * COIN,
        fee in 0..=10_000u32,
    ) {
        let terms = vec![
            LockTerm::new("a", 100, 700, zat(MAX_MONEY)),
            LockTerm::new("b", 100, 1_300, zat(MAX_MONEY)),
        ];
        let params = PoolParams { operator_fee_bps: fee, ..PoolParams::titan() };
        let collateral = params.node_collateral.zat() as u128;
        let mut pool = TitanPool::new(params, terms).unwrap();
        for (id, &(amount, term)) in amounts.iter().enumerate() {
            let request = StakeRequest::new(StakeId(id as u64), zat(amount), ["a", "b"][term], BlockHeight(1));
            pool.add_stake(request).unwrap();
        }
        let report = pool.accrue_block(BlockHeight(1), zat(received)).unwrap();
        let total: u128 = amounts.iter().map(|&(a, _)| a as u128).sum();
        let running = total / collateral * collateral;
        prop_assert_eq!(report.running_nodes as u128, total / collateral);
        prop_assert_eq!(report.operator_fee.zat() as u128, received as u128 * fee as u128 / 10_000);

        // The exact shares, in the same order as the pool's stakes (all start at 1: by id).
        let mut before = 0u128;
        let mut weights = Vec::new();
        for &(amount, term) in &amounts {
            let earning = running.saturating_sub(before).min(amount as u128);
            before += amount as u128;
            weights.push(earning * [700u128, 1_300][term]);
        }
        let sum: u128 = weights.iter().sum();
        let distributable = report.received.zat() as u128 - report.operator_fee.zat() as u128;
        if sum == 0 {
            prop_assert_eq!(report.distributed, Amount::ZERO);
            prop_assert_eq!(report.carry.zat() as u128, distributable);
            return Ok(());
        }
        prop_assert_eq!(report.distributed.zat() as u128, distributable);
        let mut extras = Vec::new();
        for (id, weight) in weights.iter().enumerate() {
            let share = pool.stake(StakeId(id as u64)).unwrap().accrued.zat() as u128;
            let floor = distributable * weight / sum;
            prop_assert!(share == floor || share == floor + 1, "stake {id}: {share} vs {floor}");
            if *weight == 0 {
                prop_assert_eq!(share, 0);
            }
            extras.push(((distributable * weight) % sum, id, share > floor));
        }
        // Everyone who got an extra zatoshi ranks before everyone who did not.
        extras.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let first_without = extras.iter().position(|e| !e.2).unwrap_or(extras.len());
        prop_assert!(extras[first_without..].iter().all(|e| !e.2));
    }

    /// Arbitrary amounts, heights and ids never panic.
    #[test]
    fn arbitrary_input_never_panics(
        amount in any::<i64>(),
        start in any::<u32>(),
        blocks in any::<u32>(),
        apr in any::<u32>(),
        fee in any::<u32>(),
        heights in prop::collection::vec((any::<u32>(), any::<i64>()), 0..8),
    ) {
        let params = PoolParams { operator_fee_bps: fee, ..PoolParams::titan() };
        let terms = vec![LockTerm::new("x", blocks, apr, Amount::MAX)];
        let Ok(mut pool) = TitanPool::new(params, terms) else { return Ok(()); };
        let _ = pool.add_stake(StakeRequest::new(StakeId(1), zat(amount), "x", BlockHeight(start)).with_auto_reinvest(true));
        let _ = pool.add_stake(StakeRequest::new(StakeId(2), Amount::MAX, "x", BlockHeight(start)));
        for (height, received) in heights {
            let _ = pool.accrue_block(BlockHeight(height), zat(received));
            let _ = pool.redeem_rewards(StakeId(1));
            prop_assert!(pool.totals().is_conserved());
        }
        let _ = pool.nodes();
    }
}
