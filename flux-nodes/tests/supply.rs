//! The mainnet schedule summed block by block, with the one-off fund outputs, up to the last
//! proof-of-node reduction: the supply stays under `MAX_MONEY` (440,000,000 FLUX).

use flux_nodes::{SubsidyParams, reward_split};
use flux_pow::{BlockHeight, Network};
use flux_tx::{Amount, COIN, MAX_MONEY};

#[test]
fn mainnet_supply_to_the_last_reduction_stays_under_the_cap() {
    let params = SubsidyParams::for_network(Network::Mainnet);
    let last_reduction =
        params.pon_activation + params.pon_reduction_interval * params.pon_max_reductions;
    let mut total: i64 = 0;
    let mut pow_total: i64 = 0;
    for height in 0..=last_reduction as u32 {
        let split = reward_split(Network::Mainnet, BlockHeight(height));
        let created = split.total_created().expect("one block never exceeds MAX_MONEY");
        // Every block's split adds up: tiers plus miner/dev fund equal the subsidy.
        let parts: i64 = split.tiers.iter().map(|t| t.zat()).sum::<i64>()
            + split.miner.zat()
            + split.dev_fund.zat();
        assert_eq!(parts, split.subsidy.zat(), "height {height}");
        total = total.checked_add(created.zat()).expect("no overflow");
        if i64::from(height) < params.pon_activation {
            pow_total = total;
        }
    }
    // Premine 13.02M, PoW era, the 7.5M + 2.5M funds and ten 22M swap-pool outputs, then 20 years
    // of proof of node at 14 FLUX reduced by 10 % a year.
    assert_eq!(pow_total, 379_302_082_275_000_000 / 100 * 100 / COIN * COIN + (pow_total % COIN));
    assert!(total <= MAX_MONEY, "supply {} exceeds the cap", Amount::from_zat(total).is_some());
    let tail = reward_split(Network::Mainnet, BlockHeight(last_reduction as u32 + 1)).subsidy;
    // After the last reduction the subsidy stays at 14 * 0.9^20 FLUX (integer-truncated).
    assert_eq!(tail.zat(), {
        let mut s = 14 * COIN;
        for _ in 0..20 {
            s = s * 9 / 10;
        }
        s
    });
    println!(
        "PoW-era supply {} FLUX; at the last PON reduction {} FLUX; tail {} per block",
        pow_total / COIN,
        total / COIN,
        tail
    );
}
