//! Properties of Titan pools under random parameters, terms, stakes and events: no zatoshi is
//! created or lost (stakers' rewards + operator fees + redeem fees + carry == rewards received),
//! each block's shares follow the largest-remainder rule, only full nodes earn, no input
//! panics, and inconsistent rules are refused with the error naming the flaw.
//!
//! The properties whose inputs can miss their point (a stake refused, a block refused) count the
//! cases that reach the assertion they exist for and fail when that is half or less, so a
//! generator drifting out of the accepted range cannot leave a property idle.

#![allow(clippy::print_stdout)]

use std::cell::Cell;

use flux_nodes::titan::{
    EarlyExit, LockTerm, MAX_APR_BPS, PoolEvent, PoolParams, ScheduledEvent, StakeId, StakeRequest,
    StratusRotation, TitanError, TitanPool,
};
use flux_pow::{BlockHeight, Network};
use flux_tx::{Amount, COIN, MAX_MONEY};
use proptest::prelude::*;
use proptest::test_runner::TestRunner;

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
        // Mostly nodes that a few stakes fill, so blocks pay stakers.
        prop_oneof![3 => 1..=1_000 * COIN, 1 => 1..=50_000 * COIN],
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
            1..=200u32,
            // A zero APR (a term that earns nothing) in one term of five.
            prop_oneof![1 => Just(0u32), 4 => 0..=MAX_APR_BPS],
            0..=200_000 * COIN,
        ),
        2..=4,
    )
    .prop_map(|terms| {
        terms
            .into_iter()
            .enumerate()
            .map(|(i, (blocks, apr, cap))| LockTerm::new(format!("t{i}"), blocks, apr, zat(cap)))
            .collect()
    })
}

/// Stake amounts: mostly within the bounds `params` draws (a minimum of at most 100 FLUX, a
/// maximum of at least that), some above them.
fn stake_amount() -> impl Strategy<Value = i64> {
    prop_oneof![
        4 => 0..=2_000 * COIN,
        1 => 0..=20_000 * COIN,
        1 => Just(MAX_MONEY),
    ]
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    let op = prop_oneof![
        // Most locks start within a block or two, so the stakes run before the ops end.
        6 => (0..24u64, stake_amount(), 0..4usize, prop_oneof![3 => 1..4u32, 1 => 1..30u32], any::<bool>())
            .prop_map(|(id, amount, term, start_in, auto_reinvest)| Op::Add {
                id, amount, term, start_in, auto_reinvest
            }),
        // Huge receipts are rare: two of them overflow the pool's total and refuse every
        // later block.
        6 => (1..4u32, prop_oneof![16 => 0..=1_000 * COIN, 1 => 0..=MAX_MONEY, 2 => 0..1_000i64])
            .prop_map(|(gap, received)| Op::Block { gap, received }),
        1 => (0..24u64).prop_map(Op::Redeem),
        1 => (0..24u64).prop_map(Op::Exit),
    ];
    prop::collection::vec(op, 10..80)
}

/// How far a case got: the stakes the pool took, the blocks it accrued, and those blocks that
/// paid stakers (a running node).
#[derive(Debug, Default, Clone, Copy)]
struct Reach {
    stakes_joined: u32,
    blocks_accrued: u32,
    blocks_paying_stakers: u32,
}

impl Reach {
    /// Whether the case exercised the accrual books with a stake in the pool.
    fn accrued_with_stakes(&self) -> bool {
        self.stakes_joined > 0 && self.blocks_accrued > 0
    }

    /// Whether some block paid stakers: a node ran and the shares were computed.
    fn paid_stakers(&self) -> bool {
        self.blocks_paying_stakers > 0
    }
}

/// Runs `property` on `cases` inputs drawn from `strategy`, and fails unless more than half of
/// the cases reached the assertion the property exists for (`property` says whether its case
/// did). Prints the share, so a run with `--nocapture` shows it.
fn run_counting<S: Strategy>(
    name: &str,
    cases: u32,
    strategy: S,
    property: impl Fn(S::Value) -> Result<bool, TestCaseError>,
) {
    let (ran, reached) = (Cell::new(0u32), Cell::new(0u32));
    let config = ProptestConfig {
        cases,
        // Failures are saved next to this file, as `proptest!` does.
        source_file: Some(file!()),
        ..ProptestConfig::default()
    };
    let mut runner = TestRunner::new(config);
    let outcome = runner.run(&strategy, |value| {
        ran.set(ran.get() + 1);
        if property(value)? {
            reached.set(reached.get() + 1);
        }
        Ok(())
    });
    if let Err(failure) = outcome {
        panic!("{name}: {failure}");
    }
    let (ran, reached) = (ran.get(), reached.get());
    println!("{name}: {reached} of {ran} cases reached the assertion");
    assert!(
        2 * reached > ran,
        "{name}: only {reached} of {ran} cases reached the assertion"
    );
}

/// Runs `ops`, checking the books after every step; errors are allowed, panics and lost
/// zatoshis are not.
fn run(pool: &mut TitanPool, ops: &[Op]) -> Result<Reach, TestCaseError> {
    let mut reach = Reach::default();
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
                if pool.add_stake(request).is_ok() {
                    reach.stakes_joined += 1;
                }
            }
            Op::Block { gap, received } => {
                height += gap;
                match pool.accrue_block(BlockHeight(height), zat(received)) {
                    Ok(report) => {
                        reach.blocks_accrued += 1;
                        if report.distributed > Amount::ZERO {
                            reach.blocks_paying_stakers += 1;
                        }
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
    Ok(reach)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

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
}

/// The strategies draw only rules the pool accepts: a refusal is a failure, not a skipped case.
fn new_pool(params: PoolParams, terms: Vec<LockTerm>) -> Result<TitanPool, TestCaseError> {
    TitanPool::new(params, terms).map_err(|e| TestCaseError::fail(format!("refused: {e}")))
}

#[test]
fn no_zatoshi_is_created_or_lost() {
    run_counting(
        "no_zatoshi_is_created_or_lost",
        300,
        (params(), terms(), ops()),
        |(params, terms, ops)| {
            let mut pool = new_pool(params, terms)?;
            Ok(run(&mut pool, &ops)?.paid_stakers())
        },
    );
}

/// Terms the pool accepts, with arbitrary lengths (short ones mostly, so locks end in range)
/// and APRs, and no cap.
fn accepted_terms() -> impl Strategy<Value = Vec<LockTerm>> {
    prop::collection::vec(
        (
            prop_oneof![3 => 1..=500u32, 1 => 1..=u32::MAX],
            prop_oneof![Just(0u32), Just(MAX_APR_BPS), 0..=MAX_APR_BPS],
        ),
        1..=3,
    )
    .prop_map(|terms| {
        terms
            .into_iter()
            .enumerate()
            .map(|(i, (blocks, apr))| LockTerm::new(format!("t{i}"), blocks, apr, Amount::MAX))
            .collect()
    })
}

/// A stake: amount in zatoshi, term index, lock start and auto-reinvest.
type StakeInput = (i64, usize, u32, bool);
/// A block: height and zatoshis received.
type BlockInput = (u32, i64);

/// Stakes and blocks of arbitrary values, a quarter of them outside any sensible range.
fn arbitrary_stakes_and_blocks() -> impl Strategy<Value = (Vec<StakeInput>, Vec<BlockInput>)> {
    let stakes = prop::collection::vec(
        (
            prop_oneof![3 => stake_amount(), 1 => any::<i64>()],
            0..3usize,
            prop_oneof![3 => 0..2_000u32, 1 => any::<u32>()],
            any::<bool>(),
        ),
        1..8,
    );
    let blocks = prop::collection::vec(
        (
            prop_oneof![3 => 0..3_000u32, 1 => any::<u32>()],
            prop_oneof![3 => 0..=1_000 * COIN, 1 => any::<i64>()],
        ),
        1..8,
    );
    (stakes, blocks)
}

/// Arbitrary amounts, heights, terms and ids on a pool with accepted rules never panic, and the
/// books balance after every block.
#[test]
fn arbitrary_input_never_panics() {
    run_counting(
        "arbitrary_input_never_panics",
        300,
        (params(), accepted_terms(), arbitrary_stakes_and_blocks()),
        |(params, terms, (stakes, blocks))| {
            let mut pool = new_pool(params, terms)?;
            let mut reach = Reach::default();
            for (id, &(amount, term, start, reinvest)) in stakes.iter().enumerate() {
                let request = StakeRequest::new(
                    StakeId(id as u64),
                    zat(amount),
                    format!("t{term}"),
                    BlockHeight(start),
                )
                .with_auto_reinvest(reinvest);
                if pool.add_stake(request).is_ok() {
                    reach.stakes_joined += 1;
                }
            }
            // Above any maximum stake: always refused.
            let too_big = StakeRequest::new(StakeId(u64::MAX), Amount::MAX, "t0", BlockHeight(0));
            prop_assert!(pool.add_stake(too_big).is_err());
            for (height, received) in blocks {
                if pool
                    .accrue_block(BlockHeight(height), zat(received))
                    .is_ok()
                {
                    reach.blocks_accrued += 1;
                }
                let _ = pool.redeem_rewards(StakeId(0));
                let _ = pool.exit_early(StakeId(1), BlockHeight(height));
                let totals = pool.totals();
                prop_assert!(totals.is_conserved(), "{totals:?}");
            }
            let _ = pool.nodes();
            Ok(reach.accrued_with_stakes())
        },
    );
}

/// One inconsistency planted in otherwise accepted rules.
#[derive(Debug, Clone)]
enum Flaw {
    FeeAboveFull(u32),
    ZeroCollateral,
    MinimumAboveMaximum(i64),
    RedeemFeeAboveMinimum(i64),
    EmptyTerm(usize),
    AprAboveMaximum(usize, u32),
    DuplicateTerm(usize),
}

fn flaw() -> impl Strategy<Value = Flaw> {
    prop_oneof![
        (10_001..=u32::MAX).prop_map(Flaw::FeeAboveFull),
        Just(Flaw::ZeroCollateral),
        (1..=MAX_MONEY).prop_map(Flaw::MinimumAboveMaximum),
        (1..=MAX_MONEY).prop_map(Flaw::RedeemFeeAboveMinimum),
        any::<usize>().prop_map(Flaw::EmptyTerm),
        (any::<usize>(), MAX_APR_BPS + 1..=u32::MAX)
            .prop_map(|(i, apr)| Flaw::AprAboveMaximum(i, apr)),
        any::<usize>().prop_map(Flaw::DuplicateTerm),
    ]
}

/// Rules with exactly one flaw are refused, with the error that names that flaw.
#[test]
fn inconsistent_rules_are_refused_with_their_error() {
    run_counting(
        "inconsistent_rules_are_refused_with_their_error",
        300,
        (params(), accepted_terms(), flaw()),
        |(mut params, mut terms, flaw)| {
            prop_assert!(TitanPool::new(params, terms.clone()).is_ok());
            let add = |a: Amount, b: i64| zat(a.zat().saturating_add(b));
            match &flaw {
                Flaw::FeeAboveFull(fee) => params.operator_fee_bps = *fee,
                Flaw::ZeroCollateral => params.node_collateral = Amount::ZERO,
                Flaw::MinimumAboveMaximum(by) => {
                    params.max_stake = zat(params.max_stake.zat().min(MAX_MONEY - 1));
                    params.min_stake = add(params.max_stake, *by);
                }
                Flaw::RedeemFeeAboveMinimum(by) => {
                    params.redeem_minimum = zat(params.redeem_minimum.zat().min(MAX_MONEY - 1));
                    params.redeem_fee = add(params.redeem_minimum, *by);
                }
                Flaw::EmptyTerm(i) => {
                    let count = terms.len();
                    terms[i % count].blocks = 0;
                }
                Flaw::AprAboveMaximum(i, apr) => {
                    let count = terms.len();
                    terms[i % count].apr_bps = *apr;
                }
                Flaw::DuplicateTerm(i) => {
                    let copy = terms[i % terms.len()].clone();
                    terms.push(copy);
                }
            }
            let error = match TitanPool::new(params, terms.clone()) {
                Ok(_) => return Err(TestCaseError::fail(format!("{flaw:?} was accepted"))),
                Err(error) => error,
            };
            let expected = match &flaw {
                Flaw::FeeAboveFull(fee) => TitanError::FeeOutOfRange(*fee),
                Flaw::ZeroCollateral => {
                    TitanError::InvalidParams("the node collateral must be above 0")
                }
                Flaw::MinimumAboveMaximum(_) => {
                    TitanError::InvalidParams("the minimum stake is above the maximum stake")
                }
                Flaw::RedeemFeeAboveMinimum(_) => {
                    TitanError::InvalidParams("the redeem fee is above the redeem minimum")
                }
                Flaw::EmptyTerm(i) => TitanError::EmptyTerm(terms[i % terms.len()].name.clone()),
                Flaw::AprAboveMaximum(i, apr) => TitanError::AprOutOfRange {
                    name: terms[i % terms.len()].name.clone(),
                    apr_bps: *apr,
                },
                Flaw::DuplicateTerm(_) => TitanError::DuplicateTerm(
                    terms.last().map(|t| t.name.clone()).unwrap_or_default(),
                ),
            };
            prop_assert_eq!(error, expected);
            Ok(true)
        },
    );
}

/// With the published Titan rules and real Stratus payouts, over whole simulations. Counted as
/// reached: the simulations that ran to the end, whose report must match the books.
#[test]
fn simulations_conserve_every_zatoshi() {
    let stakes = prop::collection::vec(
        (
            50 * COIN..=10_000 * COIN,
            0..3usize,
            0..200u32,
            any::<bool>(),
        ),
        1..40,
    );
    let events = prop::collection::vec(
        (
            0..400u32,
            any::<prop::sample::Index>(),
            prop::bool::weighted(0.75),
        ),
        0..8,
    );
    run_counting(
        "simulations_conserve_every_zatoshi",
        256,
        (stakes, events, 1..5u32, 0..=10_000u32),
        |(stakes, events, network_nodes, fee)| {
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
            let mut pool = new_pool(params, terms)?;
            let from = 2_100_000;
            for (id, &(amount, term, start, reinvest)) in stakes.iter().enumerate() {
                let name = ["short", "mid", "long"][term];
                let request = StakeRequest::new(
                    StakeId(id as u64),
                    zat(amount),
                    name,
                    BlockHeight(from + start),
                )
                .with_auto_reinvest(reinvest);
                pool.add_stake(request)
                    .map_err(|e| TestCaseError::fail(format!("stake {id} refused: {e}")))?;
            }
            // Events name one of the stakes; those that cannot take them (an exit after
            // maturity or a second exit) end the run early with an error, and the blocks
            // before it stay accrued and must still balance.
            let events: Vec<ScheduledEvent> = events
                .into_iter()
                .map(|(at, stake, redeem)| {
                    let id = StakeId(stake.index(stakes.len()) as u64);
                    let event = if redeem {
                        PoolEvent::Redeem(id)
                    } else {
                        PoolEvent::Exit(id)
                    };
                    ScheduledEvent {
                        height: BlockHeight(from + at),
                        event,
                    }
                })
                .collect();
            let rotation = StratusRotation {
                network: Network::Mainnet,
                network_nodes,
            };
            let result = pool.simulate(BlockHeight(from), 400, rotation, &events);
            let totals = pool.totals();
            prop_assert!(totals.is_conserved(), "{totals:?}");
            let Ok(report) = result else {
                return Ok(false);
            };
            prop_assert_eq!(report.totals, totals);
            prop_assert!(totals.received > Amount::ZERO || report.paid_blocks == 0);
            Ok(true)
        },
    );
}
