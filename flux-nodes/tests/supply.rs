//! The mainnet schedule summed block by block, with the one-off fund outputs, through the last
//! proof-of-node reduction, against fluxd's numbers written here as literals.
//!
//! Nothing in this file reads `SubsidyParams`: every expected figure comes from the constants
//! below, each copied from the daemon's source with its line (RunOnFlux/fluxd at commit
//! 2dfb5046b, `src/chainparams.cpp` `CMainParams` and `src/main.cpp`), or from the table in
//! `spec/pon.md` §7. A change to any constant of the SDK's schedule therefore fails here.
//!
//! fluxd's `MAX_MONEY` (440,000,000 FLUX, `amount.h:31`) is a range check on single amounts
//! (`MoneyRange`), not a cap the subsidy code enforces: the proof-of-work era plus the premine and
//! the exchange, foundation and swap-pool outputs reach 416,978,749.97 FLUX at the PON upgrade,
//! and the proof-of-node subsidy (14 FLUX every 30 s, 10 % less each year, then 14 * 0.9^20
//! forever) passes 440M during the second PON year.

#![allow(clippy::print_stdout)]

use flux_nodes::reward_split;
use flux_pow::{BlockHeight, Network};
use flux_tx::{COIN, MAX_MONEY};

/// `nSubsidySlowStartInterval`, `chainparams.cpp:90`.
const SLOW_START_INTERVAL: i64 = 5_000;
/// `nSubsidyHalvingInterval`, `chainparams.cpp:91`.
const HALVING_INTERVAL: i64 = 655_350;
/// `vUpgrades[UPGRADE_PON].nActivationHeight`, `chainparams.cpp:153`.
const PON_ACTIVATION: i64 = 2_020_000;
/// `nPONInitialSubsidy` (14 FLUX), `chainparams.cpp:156`.
const PON_INITIAL_SUBSIDY: i64 = 14 * COIN;
/// `nPONSubsidyReductionInterval`, `chainparams.cpp:157`.
const PON_REDUCTION_INTERVAL: i64 = 1_051_200;
/// `nPONMaxReductions`, `chainparams.cpp:158`.
const PON_MAX_REDUCTIONS: i64 = 20;
/// `nExchangeFundingHeight`, `nExchangeFundingAmount`, `chainparams.cpp:293-294`.
const EXCHANGE_FUNDING: (i64, i64) = (836_274, 7_500_000 * COIN);
/// `nFoundationFundingHeight`, `nFoundationFundingAmount`, `chainparams.cpp:297-298`.
const FOUNDATION_FUNDING: (i64, i64) = (836_994, 2_500_000 * COIN);
/// `nSwapPoolStartHeight`, `chainparams.cpp:301`.
const SWAP_POOL_START: i64 = 837_714;
/// `nSwapPoolAmount`, "22 Million every time", `chainparams.cpp:302`.
const SWAP_POOL_AMOUNT: i64 = 22_000_000 * COIN;
/// `nSwapPoolInterval`, `chainparams.cpp:303`.
const SWAP_POOL_INTERVAL: i64 = 21_600;
/// `nSwapPoolMaxTimes`, `chainparams.cpp:304`; `IsSwapPoolInterval` (`main.cpp:2941-2960`) pays
/// at `start + interval * i` for `i` in `0..nSwapPoolMaxTimes`.
const SWAP_POOL_MAX_TIMES: i64 = 10;
/// The block-1 premine, `main.cpp:2820-2822`.
const PREMINE: i64 = 13_020_000 * COIN;
/// The proof-of-work subsidy before any halving, `main.cpp:2818`.
const MAX_POW_SUBSIDY: i64 = 150 * COIN;
/// `MAX_MONEY`, `amount.h:31`.
const DAEMON_MAX_MONEY: i64 = 440_000_000 * COIN;

/// `SubsidySlowStartShift()` (`consensus/params.h:105`): halvings count from here
/// (`main.cpp:2837`).
const SLOW_START_SHIFT: i64 = SLOW_START_INTERVAL / 2;
/// The first height with one halving (75 FLUX).
const FIRST_HALVING: i64 = SLOW_START_SHIFT + HALVING_INTERVAL;
/// The first height with two halvings, where fluxd pins the subsidy at a quarter, 37.5 FLUX
/// (`main.cpp:2842-2848`).
const SECOND_HALVING: i64 = SLOW_START_SHIFT + 2 * HALVING_INTERVAL;

/// Sum of `k` for `k` in `a..b` (half-open; empty when `b <= a`).
fn sum_of_range(a: i64, b: i64) -> i64 {
    if b <= a {
        return 0;
    }
    (b - 1) * b / 2 - (a - 1) * a / 2
}

/// Blocks of `a..b` below `height`, times `per`.
fn flat_era(height: i64, a: i64, b: i64, per: i64) -> i64 {
    (height.min(b) - a).max(0) * per
}

/// The proof-of-node subsidy in reduction year `year` (`main.cpp:2799-2815`: integer `* 9 / 10`
/// once per year, at most `nPONMaxReductions` times).
fn pon_subsidy(year: i64) -> i64 {
    (0..year.min(PON_MAX_REDUCTIONS)).fold(PON_INITIAL_SUBSIDY, |s, _| s * 9 / 10)
}

/// Everything the mainnet blocks below `height` create (subsidies and fund outputs), in closed
/// form from the daemon's literals.
fn created_below(height: i64) -> i64 {
    let mut total = 0;
    if height > 1 {
        total += PREMINE;
    }
    // Slow start (main.cpp:2823-2834): 150/5000 FLUX times h below 2500, times h + 1 from 2500
    // to 4999, skipping the middle payout. Height 0 pays 0 and height 1 is the premine.
    let step = MAX_POW_SUBSIDY / SLOW_START_INTERVAL;
    total += step * sum_of_range(2, height.min(SLOW_START_SHIFT));
    total += step * sum_of_range(SLOW_START_SHIFT + 1, height.min(SLOW_START_INTERVAL) + 1);
    total += flat_era(height, SLOW_START_INTERVAL, FIRST_HALVING, MAX_POW_SUBSIDY);
    total += flat_era(height, FIRST_HALVING, SECOND_HALVING, MAX_POW_SUBSIDY / 2);
    total += flat_era(height, SECOND_HALVING, PON_ACTIVATION, MAX_POW_SUBSIDY / 4);
    for year in 0..=PON_MAX_REDUCTIONS {
        let from = PON_ACTIVATION + year * PON_REDUCTION_INTERVAL;
        let to = if year == PON_MAX_REDUCTIONS {
            i64::MAX
        } else {
            from + PON_REDUCTION_INTERVAL
        };
        total += flat_era(height, from, to, pon_subsidy(year));
    }
    for (at, amount) in [EXCHANGE_FUNDING, FOUNDATION_FUNDING] {
        if height > at {
            total += amount;
        }
    }
    let swaps = (0..SWAP_POOL_MAX_TIMES)
        .filter(|i| SWAP_POOL_START + SWAP_POOL_INTERVAL * i < height)
        .count() as i64;
    total + swaps * SWAP_POOL_AMOUNT
}

#[test]
fn fund_outputs_are_the_daemons() {
    // The window from before the exchange fund to past where an 11th swap payout would be.
    let window = EXCHANGE_FUNDING.0 - 10..SWAP_POOL_START + SWAP_POOL_INTERVAL * 11;
    let mut swap_heights = Vec::new();
    for height in window {
        let split = reward_split(Network::Mainnet, BlockHeight(height as u32));
        let expected = |(at, amount): (i64, i64)| if height == at { amount } else { 0 };
        assert_eq!(split.exchange_fund.zat(), expected(EXCHANGE_FUNDING));
        assert_eq!(split.foundation_fund.zat(), expected(FOUNDATION_FUNDING));
        match split.swap_pool.zat() {
            0 => {}
            SWAP_POOL_AMOUNT => swap_heights.push(height),
            other => panic!("swap-pool output of {other} zat at {height}"),
        }
    }
    let expected: Vec<i64> = (0..SWAP_POOL_MAX_TIMES)
        .map(|i| SWAP_POOL_START + SWAP_POOL_INTERVAL * i)
        .collect();
    assert_eq!(swap_heights, expected);
    // By hand: 10 outputs of 22,000,000 FLUX, the last at 837,714 + 9 * 21,600 = 1,032,114.
    assert_eq!(swap_heights.last(), Some(&1_032_114));
    assert_eq!(
        swap_heights.len() as i64 * SWAP_POOL_AMOUNT,
        220_000_000 * COIN
    );
}

#[test]
fn proof_of_node_subsidy_by_year_is_the_spec_table() {
    // spec/pon.md §7, "Mainnet by year k": the subsidy column, in zatoshi.
    let table = [
        (0, 1_400_000_000),
        (1, 1_260_000_000),
        (2, 1_134_000_000),
        (20, 170_207_313),
        (21, 170_207_313),
        (40, 170_207_313),
    ];
    for (year, subsidy) in table {
        assert_eq!(pon_subsidy(year), subsidy, "literals, year {year}");
        for height in [
            PON_ACTIVATION + year * PON_REDUCTION_INTERVAL,
            PON_ACTIVATION + (year + 1) * PON_REDUCTION_INTERVAL - 1,
        ] {
            let split = reward_split(Network::Mainnet, BlockHeight(height as u32));
            assert_eq!(split.subsidy.zat(), subsidy, "height {height}");
        }
    }
    // The last proof-of-work block is 37.5 FLUX.
    let last_pow = reward_split(Network::Mainnet, BlockHeight(PON_ACTIVATION as u32 - 1));
    assert_eq!(last_pow.subsidy.zat(), 3_750_000_000);
}

#[test]
fn mainnet_supply_matches_the_daemons_schedule_and_crosses_max_money_in_the_second_pon_year() {
    let last_reduction = PON_ACTIVATION + PON_REDUCTION_INTERVAL * PON_MAX_REDUCTIONS;
    // Named heights at which the running total (blocks below the height) is checked: the ends of
    // the slow start, each halving, the fund outputs, PON and every PON reduction boundary.
    let mut checkpoints = vec![
        1,
        2,
        SLOW_START_SHIFT,
        SLOW_START_SHIFT + 1,
        SLOW_START_INTERVAL,
        FIRST_HALVING,
        EXCHANGE_FUNDING.0 + 1,
        FOUNDATION_FUNDING.0 + 1,
        SWAP_POOL_START + 1,
        SECOND_HALVING,
        PON_ACTIVATION,
    ];
    checkpoints
        .extend((1..=PON_MAX_REDUCTIONS).map(|k| PON_ACTIVATION + k * PON_REDUCTION_INTERVAL));
    checkpoints.push(last_reduction + 1);
    assert!(checkpoints.is_sorted());
    let mut next_checkpoint = checkpoints.iter().peekable();

    let mut total: i64 = 0;
    let mut crossed_max_money_at = None;
    for height in 0..=last_reduction + 1 {
        while let Some(&&at) = next_checkpoint.peek()
            && at == height
        {
            assert_eq!(
                total,
                created_below(height),
                "created below height {height}"
            );
            next_checkpoint.next();
        }
        let split = reward_split(Network::Mainnet, BlockHeight(height as u32));
        let created = split
            .total_created()
            .expect("one block never exceeds MAX_MONEY");
        let parts: i64 = split.tiers.iter().map(|t| t.zat()).sum::<i64>()
            + split.miner.zat()
            + split.dev_fund.zat();
        assert_eq!(parts, split.subsidy.zat(), "split of height {height}");
        total = total.checked_add(created.zat()).expect("no i64 overflow");
        if total > DAEMON_MAX_MONEY && crossed_max_money_at.is_none() {
            crossed_max_money_at = Some(height);
        }
    }
    assert_eq!(total, created_below(last_reduction + 2));
    assert!(
        next_checkpoint.peek().is_none(),
        "every checkpoint was visited"
    );

    // By hand, below PON: premine 13,020,000 + slow start 93,712.47 + 281,287.5
    // + 652,850 * 150 + 655,350 * 75 + 706,800 * 37.5 + 7.5M + 2.5M + 10 * 22M
    // = 416,978,749.97 FLUX.
    assert_eq!(created_below(PON_ACTIVATION), 41_697_874_997_000_000);
    assert!(created_below(PON_ACTIVATION) < DAEMON_MAX_MONEY);
    assert_eq!(DAEMON_MAX_MONEY, MAX_MONEY);
    // By hand: 416,978,749.97 + 1,051,200 * 14 = 431,695,549.97 FLUX after the first PON year;
    // 440M is 8,304,450.03 FLUX further, 659,084 blocks of 12.6 FLUX: the 659,084th block of the
    // second year, height 2,020,000 + 1,051,200 + 659,083 = 3,730,283.
    assert_eq!(
        created_below(PON_ACTIVATION + PON_REDUCTION_INTERVAL),
        43_169_554_997_000_000
    );
    assert_eq!(crossed_max_money_at, Some(3_730_283));

    let tail = reward_split(Network::Mainnet, BlockHeight(last_reduction as u32 + 1)).subsidy;
    assert_eq!(tail.zat(), 170_207_313);
    println!(
        "supply at PON activation {} FLUX; passes MAX_MONEY at height {}; {} FLUX after the \
         last reduction; tail {tail} per block",
        created_below(PON_ACTIVATION) / COIN,
        3_730_283,
        total / COIN,
    );
}
