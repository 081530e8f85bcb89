//! Unit tests of the pool's rules, one behaviour each; `tests/titan_prop.rs` checks the
//! invariants (conservation, no error changes the pool) over random pools and operations.

use flux_pow::{BlockHeight, Network};
use flux_tx::Amount;

use super::*;
use crate::subsidy::tier_payout;
use crate::tier::Tier;

fn flux(n: i64) -> Amount {
    Amount::from_flux(n).unwrap()
}

fn zat(n: i64) -> Amount {
    Amount::from_zat(n).unwrap()
}

fn pool(params: PoolParams) -> TitanPool {
    TitanPool::new(
        params,
        vec![
            LockTerm::new("1m", 10, 600, flux(1_000_000)),
            LockTerm::new("3m", 30, 900, flux(1_000_000)),
            LockTerm::new("small", 10, 600, flux(100)),
        ],
    )
    .unwrap()
}

fn request(id: u64, amount: Amount, term: &str, start: u32) -> StakeRequest {
    StakeRequest::new(StakeId(id), amount, term, BlockHeight(start))
}

/// Four full 10,000 FLUX stakes: one node.
fn one_node(params: PoolParams) -> TitanPool {
    let mut pool = pool(params);
    for id in 1..=4 {
        pool.add_stake(request(id, flux(10_000), "1m", 1)).unwrap();
    }
    pool
}

#[test]
fn bad_stakes_get_typed_actionable_errors() {
    let mut pool = pool(PoolParams::titan());
    let low = pool.add_stake(request(1, zat(4_999_999_999), "1m", 1));
    let error = low.unwrap_err();
    assert!(matches!(error, TitanError::BelowMinimum { .. }));
    assert_eq!(
        error.to_string(),
        "stake 1: 49.99999999 FLUX is below the 50.0 FLUX minimum; stake at least 50.0 FLUX"
    );
    assert!(matches!(
        pool.add_stake(request(1, flux(10_001), "1m", 1)),
        Err(TitanError::AboveMaximum { .. })
    ));
    let unknown = pool.add_stake(request(1, flux(50), "2y", 1)).unwrap_err();
    assert_eq!(
        unknown.to_string(),
        "stake 1: unknown lock term \"2y\"; the pool's terms are: 1m, 3m, small"
    );
    pool.add_stake(request(1, flux(60), "small", 1)).unwrap();
    assert!(matches!(
        pool.add_stake(request(2, flux(50), "small", 1)),
        Err(TitanError::TermCapExceeded { .. })
    ));
    assert_eq!(
        pool.add_stake(request(1, flux(50), "1m", 1)),
        Err(TitanError::DuplicateStake(StakeId(1)))
    );
    let late = request(3, flux(50), "1m", u32::MAX - 3);
    assert_eq!(
        pool.add_stake(late),
        Err(TitanError::Overflow("the maturity height"))
    );
    pool.accrue_block(BlockHeight(5), Amount::ZERO).unwrap();
    assert!(matches!(
        pool.add_stake(request(4, flux(50), "1m", 5)),
        Err(TitanError::StartInPast { .. })
    ));
    assert!(matches!(
        pool.accrue_block(BlockHeight(5), Amount::ZERO),
        Err(TitanError::HeightNotIncreasing { .. })
    ));
}

#[test]
fn bad_pools_are_refused() {
    let term = |name: &str, blocks, apr| LockTerm::new(name, blocks, apr, flux(1));
    let params = PoolParams::titan();
    assert_eq!(
        TitanPool::new(params, vec![term("a", 1, 1), term("a", 2, 2)]).unwrap_err(),
        TitanError::DuplicateTerm("a".into())
    );
    assert_eq!(
        TitanPool::new(params, vec![term("a", 0, 1)]).unwrap_err(),
        TitanError::EmptyTerm("a".into())
    );
    assert!(matches!(
        TitanPool::new(params, vec![term("a", 1, MAX_APR_BPS + 1)]),
        Err(TitanError::AprOutOfRange { .. })
    ));
    let fee = PoolParams {
        operator_fee_bps: 10_001,
        ..params
    };
    assert_eq!(
        TitanPool::new(fee, vec![]).unwrap_err(),
        TitanError::FeeOutOfRange(10_001)
    );
    let redeem = PoolParams {
        redeem_fee: flux(51),
        ..params
    };
    assert!(matches!(
        TitanPool::new(redeem, vec![]),
        Err(TitanError::InvalidParams(_))
    ));
}

#[test]
fn a_partial_last_node_earns_nothing() {
    let mut pool = pool(PoolParams::titan());
    // 3 × 10,000 + 50: not one full node.
    for id in 1..=3 {
        pool.add_stake(request(id, flux(10_000), "1m", 1)).unwrap();
    }
    pool.add_stake(request(4, flux(50), "1m", 1)).unwrap();
    let report = pool.accrue_block(BlockHeight(1), flux(9)).unwrap();
    assert_eq!(report.running_nodes, 0);
    assert_eq!(report.distributed, Amount::ZERO);
    // Whatever arrived is carried, less the fee.
    assert_eq!(pool.carry(), zat(810_000_000));
    assert!(pool.totals().is_conserved());

    // A 9,950 FLUX stake fills the node; the next 10,000 waits in a second node.
    pool.add_stake(request(5, flux(9_950), "1m", 2)).unwrap();
    pool.add_stake(request(6, flux(10_000), "1m", 2)).unwrap();
    let report = pool.accrue_block(BlockHeight(2), flux(9)).unwrap();
    assert_eq!(report.running_nodes, 1);
    assert_eq!(pool.stake(StakeId(6)).unwrap().accrued, Amount::ZERO);
    // 8.1 + 8.1 carried FLUX over 40,000 FLUX: 10,000 FLUX earns 4.05 FLUX.
    assert_eq!(pool.stake(StakeId(1)).unwrap().accrued, zat(405_000_000));
    assert_eq!(pool.carry(), Amount::ZERO);
    let nodes = pool.nodes();
    assert_eq!(nodes.len(), 2);
    assert!(nodes[0].full && !nodes[1].full);
    assert_eq!(
        nodes[1].stakes,
        vec![NodePart {
            stake: StakeId(6),
            amount: flux(10_000)
        }]
    );
    assert!(pool.totals().is_conserved());
}

#[test]
fn a_straddling_stake_earns_on_its_part_in_the_full_node() {
    let mut pool = pool(PoolParams {
        operator_fee_bps: 0,
        ..PoolParams::titan()
    });
    for id in 1..=3 {
        pool.add_stake(request(id, flux(10_000), "1m", 1)).unwrap();
    }
    pool.add_stake(request(4, flux(10_000), "1m", 1)).unwrap();
    pool.add_stake(request(5, flux(5_000), "1m", 1)).unwrap();
    pool.accrue_block(BlockHeight(1), flux(40)).unwrap();
    assert_eq!(pool.stake(StakeId(4)).unwrap().accrued, flux(10));
    assert_eq!(pool.stake(StakeId(5)).unwrap().accrued, Amount::ZERO);
    assert_eq!(pool.stake(StakeId(5)).unwrap().earning_blocks, 0);
}

#[test]
fn largest_remainder_breaks_ties_by_stake_id() {
    let mut pool = one_node(PoolParams {
        operator_fee_bps: 0,
        ..PoolParams::titan()
    });
    // 10 zatoshis over four equal stakes: 2 each, then the 2 left to ids 1 and 2.
    pool.accrue_block(BlockHeight(1), zat(10)).unwrap();
    let accrued: Vec<i64> = pool.stakes().iter().map(|s| s.accrued.zat()).collect();
    assert_eq!(accrued, vec![3, 3, 2, 2]);
    assert!(pool.totals().is_conserved());
    // Largest fractional part first: weights 10,000 × 600 vs 10,000 × 900.
    let mut mixed = pool_with_fee(0);
    mixed.add_stake(request(7, flux(10_000), "3m", 1)).unwrap();
    for id in 1..=3 {
        mixed.add_stake(request(id, flux(10_000), "1m", 1)).unwrap();
    }
    // Weights 6:6:6:9 (sum 27) of 100 zat: 22.2, 22.2, 22.2, 33.3 → floors 22,22,22,33 = 99;
    // the left zatoshi goes to the largest fraction (.3̅ of id 7).
    mixed.accrue_block(BlockHeight(1), zat(100)).unwrap();
    assert_eq!(mixed.stake(StakeId(7)).unwrap().accrued, zat(34));
    assert_eq!(mixed.stake(StakeId(1)).unwrap().accrued, zat(22));
}

fn pool_with_fee(bps: u32) -> TitanPool {
    pool(PoolParams {
        operator_fee_bps: bps,
        ..PoolParams::titan()
    })
}

#[test]
fn operator_fee_rounds_down() {
    let mut pool = one_node(PoolParams {
        operator_fee_bps: 333,
        ..PoolParams::titan()
    });
    let report = pool.accrue_block(BlockHeight(1), zat(1_000)).unwrap();
    assert_eq!(report.operator_fee, zat(33));
    assert_eq!(report.distributed, zat(967));
    assert!(pool.totals().is_conserved());
}

#[test]
fn maturity_releases_and_auto_reinvest_relocks() {
    let mut pool = pool_with_fee(0);
    for id in 1..=3 {
        pool.add_stake(request(id, flux(10_000), "1m", 1)).unwrap();
    }
    pool.add_stake(request(4, flux(10_000), "1m", 1).with_auto_reinvest(true))
        .unwrap();
    for height in 1..=10 {
        pool.accrue_block(BlockHeight(height), flux(4)).unwrap();
    }
    assert_eq!(pool.stake(StakeId(1)).unwrap().accrued, flux(10));
    let report = pool.accrue_block(BlockHeight(11), flux(4)).unwrap();
    // Stakes 1-3 matured at 11; stake 4 re-locked with 10,010 FLUX: no full node.
    assert_eq!(report.running_nodes, 0);
    assert_eq!(
        pool.stake(StakeId(1)).unwrap().status,
        StakeStatus::Matured {
            at: BlockHeight(11)
        }
    );
    let four = pool.stake(StakeId(4)).unwrap();
    assert_eq!(four.principal, flux(10_010));
    assert_eq!(four.reinvested, flux(10));
    assert_eq!(
        (four.lock_start, four.maturity),
        (BlockHeight(11), BlockHeight(21))
    );
    assert_eq!(pool.carry(), flux(4));
    // Matured rewards redeem in any amount.
    assert_eq!(
        pool.redeem_rewards(StakeId(1)).unwrap(),
        Redemption {
            paid: flux(10),
            fee: Amount::ZERO
        }
    );
    assert!(pool.totals().is_conserved());
    // A gap of several terms re-locks once, aligned to the term.
    pool.accrue_block(BlockHeight(45), Amount::ZERO).unwrap();
    let four = pool.stake(StakeId(4)).unwrap();
    assert_eq!(
        (four.lock_start, four.maturity),
        (BlockHeight(41), BlockHeight(51))
    );
}

#[test]
fn redemption_needs_the_minimum_while_locked() {
    let mut pool = one_node(PoolParams {
        operator_fee_bps: 0,
        redeem_fee: zat(1_000),
        ..PoolParams::titan()
    });
    pool.accrue_block(BlockHeight(1), flux(196)).unwrap();
    assert!(matches!(
        pool.redeem_rewards(StakeId(1)),
        Err(TitanError::RedeemBelowMinimum { .. })
    ));
    pool.accrue_block(BlockHeight(2), flux(4)).unwrap();
    let redemption = pool.redeem_rewards(StakeId(1)).unwrap();
    assert_eq!(redemption.fee, zat(1_000));
    assert_eq!(redemption.paid, zat(50 * 100_000_000 - 1_000));
    assert_eq!(pool.totals().redeem_fees, zat(1_000));
    assert!(pool.totals().is_conserved());
    assert_eq!(
        pool.redeem_rewards(StakeId(9)),
        Err(TitanError::UnknownStake(StakeId(9)))
    );
}

#[test]
fn early_exit_is_forbidden_or_forfeits() {
    let mut locked = one_node(PoolParams::titan());
    locked.accrue_block(BlockHeight(1), flux(1)).unwrap();
    let error = locked.exit_early(StakeId(1), BlockHeight(1)).unwrap_err();
    assert!(error.to_string().contains("locked until height 11"));

    let mut pool = one_node(PoolParams {
        operator_fee_bps: 0,
        early_exit: EarlyExit::ForfeitRewards,
        ..PoolParams::titan()
    });
    pool.add_stake(request(5, flux(10_000), "1m", 2)).unwrap();
    pool.accrue_block(BlockHeight(1), flux(4)).unwrap();
    let exit = pool.exit_early(StakeId(1), BlockHeight(1)).unwrap();
    assert_eq!(
        exit,
        StakeExit {
            principal: flux(10_000),
            forfeited: flux(1)
        }
    );
    assert_eq!(pool.carry(), flux(1));
    // Stake 5 moves up into the node and shares the forfeit with 2-4.
    pool.accrue_block(BlockHeight(2), flux(3)).unwrap();
    assert_eq!(pool.stake(StakeId(5)).unwrap().accrued, flux(1));
    assert_eq!(pool.stake(StakeId(2)).unwrap().accrued, flux(2));
    assert_eq!(
        pool.exit_early(StakeId(1), BlockHeight(3)),
        Err(TitanError::NotLocked(StakeId(1)))
    );
    assert!(pool.totals().is_conserved());
}

#[test]
fn rotation_pays_running_nodes_in_turn() {
    let rotation = StratusRotation {
        network: Network::Mainnet,
        network_nodes: 4,
    };
    let payout = tier_payout(Network::Mainnet, BlockHeight(2_100_000), Tier::Stratus);
    assert_eq!(payout, flux(9));
    let paid = |h: u32, nodes| rotation.rewards(BlockHeight(h), nodes).unwrap();
    assert_eq!(paid(2_100_000, 1), payout);
    assert_eq!(paid(2_100_001, 1), Amount::ZERO);
    assert_eq!(paid(2_100_001, 2), payout);
    assert_eq!(paid(2_100_003, 9), payout.checked_mul(2).unwrap());
    assert_eq!(paid(2_100_000, 0), Amount::ZERO);
}

#[test]
fn simulation_applies_events_after_their_block() {
    let mut pool = pool(PoolParams {
        operator_fee_bps: 500,
        ..PoolParams::titan()
    });
    for id in 1..=4 {
        let start = 2_100_000;
        pool.add_stake(request(id, flux(10_000), "1m", start))
            .unwrap();
    }
    let rotation = StratusRotation {
        network: Network::Mainnet,
        network_nodes: 1,
    };
    let report = pool
        .simulate(
            BlockHeight(2_100_000),
            20,
            rotation,
            &[
                ScheduledEvent {
                    height: BlockHeight(2_100_015),
                    event: PoolEvent::Redeem(StakeId(2)),
                },
                ScheduledEvent {
                    height: BlockHeight(2_100_099),
                    event: PoolEvent::Redeem(StakeId(3)),
                },
            ],
        )
        .unwrap();
    assert_eq!(report.to, BlockHeight(2_100_019));
    assert!(report.totals.is_conserved());
    // 9 FLUX a block, 95 % shared: 2.1375 FLUX to each stake for 10 blocks, until the
    // stakes matured at 2,100,010. Matured rewards redeem below the 50 FLUX minimum; the
    // event past the simulated heights is ignored.
    let two = pool.stake(StakeId(2)).unwrap();
    assert_eq!(two.redeemed, zat(2_137_500_000));
    assert_eq!(pool.stake(StakeId(3)).unwrap().accrued, zat(2_137_500_000));
    assert_eq!(report.paid_blocks, 10);
    assert_eq!(report.running_nodes, 0);
}
