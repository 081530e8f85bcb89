//! The mainnet schedule summed block by block, with the one-off fund outputs, through the last
//! proof-of-node reduction.
//!
//! fluxd's `MAX_MONEY` (440,000,000 FLUX, `amount.h:31`) is a range check on single amounts
//! (`MoneyRange`), not a cap the subsidy code enforces: the proof-of-work era plus the premine and
//! the exchange, foundation and swap-pool outputs reach 416.98M FLUX at the PON upgrade, and the
//! proof-of-node subsidy (14 FLUX every 30 s, 10 % less each year, then 14 * 0.9^20 forever) passes
//! 440M during the second PON year. The test pins both facts against closed-form sums, so a change
//! to any constant of the schedule fails it.

#![allow(clippy::print_stdout)]

use flux_nodes::{SubsidyParams, reward_split};
use flux_pow::{BlockHeight, Network};
use flux_tx::{COIN, MAX_MONEY};

/// Sum of `a..b` (half-open) times `per`, in zatoshi.
fn run(a: i64, b: i64, per: i64) -> i64 {
    (b - a) * per
}

/// Sum of `h * per` for `h` in `a..b`.
fn ramp(a: i64, b: i64, per: i64) -> i64 {
    per * ((b - 1) * b / 2 - (a - 1) * a / 2)
}

#[test]
fn mainnet_supply_matches_the_closed_form_and_crosses_max_money_in_the_second_pon_year() {
    let params = SubsidyParams::for_network(Network::Mainnet);
    let pon = params
        .pon
        .raw_activation()
        .expect("mainnet switches to proof of node");
    let year = params.pon_reduction_interval;
    let last_reduction = pon + year * params.pon_max_reductions;

    let mut total: i64 = 0;
    let mut at_pon = None;
    let mut crossed_max_money_at = None;
    for height in 0..=last_reduction {
        let split = reward_split(Network::Mainnet, BlockHeight(height as u32));
        let created = split
            .total_created()
            .expect("one block never exceeds MAX_MONEY");
        let parts: i64 = split.tiers.iter().map(|t| t.zat()).sum::<i64>()
            + split.miner.zat()
            + split.dev_fund.zat();
        assert_eq!(parts, split.subsidy.zat(), "split of height {height}");
        if height == pon {
            at_pon = Some(total);
        }
        total = total.checked_add(created.zat()).expect("no i64 overflow");
        if total > MAX_MONEY && crossed_max_money_at.is_none() {
            crossed_max_money_at = Some(height);
        }
    }

    // Closed form of everything before PON: premine, slow start (150/5000 FLUX per step, skipping
    // the middle payout), 150 FLUX until the first halving, 75, then 37.5 (fluxd pins the subsidy at
    // a quarter from the second halving on), plus the fund outputs.
    let slow = params.slow_start_interval;
    let step = 150 * COIN / slow;
    let first_halving = slow / 2 + params.halving_interval;
    let second_halving = first_halving + params.halving_interval;
    let pow_era = ramp(2, slow / 2, step)
        + ramp(slow / 2 + 1, slow + 1, step)
        + run(slow, first_halving, 150 * COIN)
        + run(first_halving, second_halving, 75 * COIN)
        + run(second_halving, pon, 150 * COIN / 4);
    let exchange = params.exchange_funding.expect("mainnet's exchange fund");
    let foundation = params
        .foundation_funding
        .expect("mainnet's foundation fund");
    let swap_pool = params.swap_pool.expect("mainnet's swap pool");
    let funds =
        (exchange.flux + foundation.flux + swap_pool.flux * i64::from(swap_pool.payouts)) * COIN;
    let expected_at_pon = 13_020_000 * COIN + pow_era + funds;
    assert_eq!(at_pon, Some(expected_at_pon));
    assert!(expected_at_pon < MAX_MONEY);

    // Proof of node: a year of blocks at each reduced subsidy.
    let mut subsidy = params.pon_initial_subsidy_flux * COIN;
    let mut expected_total = expected_at_pon;
    for _ in 0..params.pon_max_reductions {
        expected_total += year * subsidy;
        subsidy = subsidy * 9 / 10;
    }
    expected_total += subsidy; // the first block at the tail subsidy
    assert_eq!(total, expected_total);

    let crossed = crossed_max_money_at.expect("the daemon's schedule passes 440M FLUX");
    assert_eq!((crossed - pon) / year, 1, "crossed at height {crossed}");

    let tail = reward_split(Network::Mainnet, BlockHeight(last_reduction as u32 + 1)).subsidy;
    assert_eq!(tail.zat(), subsidy);
    println!(
        "supply at PON activation {} FLUX; passes MAX_MONEY at height {crossed}; {} FLUX after the \
         last reduction; tail {tail} per block",
        expected_at_pon / COIN,
        total / COIN,
    );
}
