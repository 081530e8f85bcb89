//! The coins emitted up to a height, from the consensus rules alone, split by who receives them:
//! the block-1 premine, the miners (proof of work), each node tier, the dev fund (proof of node),
//! and the one-off exchange, foundation and swap-pool outputs.
//!
//! It assumes what the rules pay when every tier has a node: from the first height whose coinbase
//! must pay the fluxnodes (`nStartFluxnodePaymentsHeight`, a consensus parameter the caller
//! passes) each tier receives `GetFluxnodeSubsidy`; before it the miner keeps the whole
//! subsidy. Fees are not emission and are left out.
//!
//! The sum runs over stretches of blocks whose split is the same (between halvings, upgrades and
//! PON reductions) rather than block by block, so any height answers at once.
//!
//! ```
//! use flux_nodes::supply::emitted;
//! use flux_pow::{BlockHeight, Network};
//!
//! // Block 1 pays the 13,020,000 FLUX premine; the slow start follows.
//! let supply = emitted(Network::Mainnet, BlockHeight(1), BlockHeight(560_000)).unwrap();
//! assert_eq!(supply.premine.zat(), 13_020_000 * 100_000_000);
//! assert_eq!(supply.total().unwrap(), supply.premine);
//! ```

use flux_pow::{BlockHeight, Network, NetworkUpgrade, ProofOfNodeStart};
use flux_tx::{Amount, COIN};

use crate::subsidy::{SubsidyParams, reward_split};

/// Emission up to and including a height, by recipient class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Emission {
    /// The height the sums run to (inclusive).
    pub height: BlockHeight,
    /// The block-1 premine.
    pub premine: Amount,
    /// Proof-of-work miners: each block's subsidy less the tier payouts (all of it before the
    /// fluxnode payments start).
    pub miners: Amount,
    /// Node payouts per tier, smallest first.
    pub tiers: [Amount; 3],
    /// The dev fund's share of proof-of-node blocks (the subsidy less the tier payouts).
    pub dev_fund: Amount,
    /// The exchange funding output.
    pub exchange_fund: Amount,
    /// The foundation funding output.
    pub foundation_fund: Amount,
    /// The swap-pool outputs.
    pub swap_pool: Amount,
}

impl Emission {
    /// Everything emitted; `None` if the sum leaves the amount range.
    pub fn total(&self) -> Option<Amount> {
        Amount::checked_sum(
            [
                self.premine,
                self.miners,
                self.dev_fund,
                self.exchange_fund,
                self.foundation_fund,
                self.swap_pool,
            ]
            .into_iter()
            .chain(self.tiers),
        )
    }
}

/// Why an emission cannot be given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SupplyError {
    /// A class's sum left the amount range (no real height gets there: the rules stay far
    /// below).
    #[error("the emission of class {class} up to height {height} leaves the amount range")]
    Overflow {
        /// The class.
        class: &'static str,
        /// The height asked for.
        height: BlockHeight,
    },
}

/// A running sum in zatoshis, checked.
struct Sum {
    zat: i128,
}

impl Sum {
    fn add(&mut self, zat: i64, blocks: u32) {
        self.zat += i128::from(zat) * i128::from(blocks);
    }

    fn amount(&self, class: &'static str, height: BlockHeight) -> Result<Amount, SupplyError> {
        i64::try_from(self.zat)
            .ok()
            .and_then(Amount::from_zat)
            .ok_or(SupplyError::Overflow { class, height })
    }
}

/// The heights from which the split of a block may differ from the block before it: the slow
/// start's steps (every block below its end), halvings, the FLUX upgrade's doubled payouts, the
/// fluxnode payments start, proof of node and its reductions.
fn boundaries(network: Network, height: BlockHeight, payments_start: BlockHeight) -> Vec<u32> {
    let params = SubsidyParams::for_network(network);
    let end = height.0.saturating_add(1);
    let clamp = |h: i64| u32::try_from(h.clamp(0, i64::from(end))).unwrap_or(end);
    let slow = params.slow_start_interval;
    // The genesis coinbase is not spendable and not emission: the sums start at block 1, and
    // block 1 (the premine) is a stretch of its own.
    let mut points: Vec<u32> = (1..=clamp(slow.max(2))).collect();
    if params.halving_interval > 0 {
        let mut at = slow / 2 + params.halving_interval;
        // Two halvings, then the subsidy stays at a quarter (main.cpp:2840-2846).
        for _ in 0..2 {
            points.push(clamp(at));
            at += params.halving_interval;
        }
    }
    if let Some(flux) = NetworkUpgrade::Flux.activation_height(network) {
        points.push(clamp(i64::from(flux.0)));
    }
    points.push(clamp(i64::from(payments_start.0)));
    match ProofOfNodeStart::for_network(network) {
        ProofOfNodeStart::At(start) => points.push(clamp(i64::from(start.0))),
        ProofOfNodeStart::UnactivatedUpgrade | ProofOfNodeStart::Never => {}
    }
    if let Some(activation) = ProofOfNodeStart::for_network(network).raw_activation() {
        for year in 1..=params.pon_max_reductions {
            points.push(clamp(activation + year * params.pon_reduction_interval));
        }
    }
    points.push(end);
    points.retain(|point| *point >= 1);
    points.sort_unstable();
    points.dedup();
    points
}

/// The emission of `network` up to and including `height`, with the fluxnodes paid from
/// `payments_start` on (`nStartFluxnodePaymentsHeight`: 560,000 on mainnet).
///
/// # Errors
///
/// [`SupplyError::Overflow`] if a class's sum leaves the amount range.
pub fn emitted(
    network: Network,
    height: BlockHeight,
    payments_start: BlockHeight,
) -> Result<Emission, SupplyError> {
    let params = SubsidyParams::for_network(network);
    let (mut miners, mut dev_fund) = (Sum { zat: 0 }, Sum { zat: 0 });
    let mut tiers = [Sum { zat: 0 }, Sum { zat: 0 }, Sum { zat: 0 }];
    let mut premine = Sum { zat: 0 };
    for run in boundaries(network, height, payments_start).windows(2) {
        let (first, next) = (run[0], run[1]);
        let blocks = next - first;
        if blocks == 0 {
            continue;
        }
        let at = BlockHeight(first);
        let split = reward_split(network, at);
        // fluxd pays the premine as block 1's subsidy (main.cpp:2803-2805).
        if first == 1 && !params.is_pon(at) {
            premine.add(split.subsidy.zat(), 1);
            continue;
        }
        if params.is_pon(at) {
            // The tiers are always due under PON; a tier without a node adds its share to the
            // dev fund, which this "every tier has a node" view does not need.
            for (sum, tier) in tiers.iter_mut().zip(split.tiers) {
                sum.add(tier.zat(), blocks);
            }
            dev_fund.add(split.dev_fund.zat(), blocks);
        } else if at >= payments_start {
            for (sum, tier) in tiers.iter_mut().zip(split.tiers) {
                sum.add(tier.zat(), blocks);
            }
            miners.add(split.miner.zat(), blocks);
        } else {
            miners.add(split.subsidy.zat(), blocks);
        }
    }
    let fund = |payout: Option<crate::subsidy::FundPayout>| {
        let mut sum = Sum { zat: 0 };
        if let Some(payout) = payout.filter(|payout| payout.height <= height) {
            sum.add(payout.flux * COIN, 1);
        }
        sum
    };
    let mut swap_pool = Sum { zat: 0 };
    if let Some(pool) = params.swap_pool {
        let paid = (0..pool.payouts)
            .filter_map(|index| pool.start.checked_add(index.checked_mul(pool.interval)?))
            .filter(|at| *at <= height && pool.pays_at(*at))
            .count();
        swap_pool.add(pool.flux * COIN, u32::try_from(paid).unwrap_or(u32::MAX));
    }
    let [cumulus, nimbus, stratus] = &tiers;
    Ok(Emission {
        height,
        premine: premine.amount("premine", height)?,
        miners: miners.amount("miners", height)?,
        tiers: [
            cumulus.amount("cumulus", height)?,
            nimbus.amount("nimbus", height)?,
            stratus.amount("stratus", height)?,
        ],
        dev_fund: dev_fund.amount("dev_fund", height)?,
        exchange_fund: fund(params.exchange_funding).amount("exchange_fund", height)?,
        foundation_fund: fund(params.foundation_funding).amount("foundation_fund", height)?,
        swap_pool: swap_pool.amount("swap_pool", height)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same classes summed block by block, the slow way.
    fn block_by_block(network: Network, height: u32, payments_start: u32) -> Emission {
        let params = SubsidyParams::for_network(network);
        let mut total = [0i128; 9];
        for h in 1..=height {
            let at = BlockHeight(h);
            let split = reward_split(network, at);
            let z = |amount: Amount| i128::from(amount.zat());
            if h == 1 && !params.is_pon(at) {
                total[0] += z(split.subsidy);
            } else if params.is_pon(at) {
                for tier in 0..3 {
                    total[2 + tier] += z(split.tiers[tier]);
                }
                total[5] += z(split.dev_fund);
            } else if h >= payments_start {
                for tier in 0..3 {
                    total[2 + tier] += z(split.tiers[tier]);
                }
                total[1] += z(split.miner);
            } else {
                total[1] += z(split.subsidy);
            }
            total[6] += z(split.exchange_fund);
            total[7] += z(split.foundation_fund);
            total[8] += z(split.swap_pool);
        }
        let a = |zat: i128| Amount::from_zat(i64::try_from(zat).unwrap()).unwrap();
        Emission {
            height: BlockHeight(height),
            premine: a(total[0]),
            miners: a(total[1]),
            tiers: [a(total[2]), a(total[3]), a(total[4])],
            dev_fund: a(total[5]),
            exchange_fund: a(total[6]),
            foundation_fund: a(total[7]),
            swap_pool: a(total[8]),
        }
    }

    #[test]
    fn stretches_sum_like_every_block() {
        // Regtest halves every 150 blocks and reduces PON every 100; testnet activates every
        // upgrade below 1000 and pays its funds from 4100; the devnet is mainnet's launch.
        for (network, heights, payments_start) in [
            (Network::Regtest, [0, 1, 99, 100, 250, 1_400], 100),
            (Network::Testnet, [1, 2, 419, 800, 4_300, 6_000], 350),
            (Network::Devnet, [1, 2, 2_499, 5_000, 9_000, 20_000], 2),
        ] {
            for height in heights {
                assert_eq!(
                    emitted(network, BlockHeight(height), BlockHeight(payments_start)).unwrap(),
                    block_by_block(network, height, payments_start),
                    "{network} at {height}"
                );
            }
        }
    }

    /// Mainnet's classes at the last proof-of-work block and after the first PON year, written
    /// out from fluxd's constants (`GetBlockSubsidy`, `GetFluxnodeSubsidy`, chainparams.cpp):
    /// slow start 3,000,000 zat x h (x (h + 1) from 2500), 150 FLUX from 5000, 75 from 657,850, 37.5
    /// from 1,313,200; tiers paid from 560,000 at 3.75 / 6.25 / 15 %, doubled from the FLUX
    /// upgrade at 835,554; funds 7.5 M, 2.5 M and 10 x 22 M; then 14 FLUX blocks split
    /// 1 / 3.5 / 9 / 0.5 (dev fund).
    #[test]
    fn mainnet_classes_from_the_daemons_constants() {
        const COIN: i128 = 100_000_000;
        let sum = |from: i128, to_inclusive: i128| (from..=to_inclusive).sum::<i128>();
        let slow = 3_000_000 * (sum(2, 2_499) + sum(2_501, 5_000));
        let blocks = |from: i128, to_exclusive: i128| to_exclusive - from;
        let pow_subsidy = slow
            + blocks(5_000, 657_850) * 150 * COIN
            + blocks(657_850, 1_313_200) * 75 * COIN
            + blocks(1_313_200, 2_020_000) * 375 * COIN / 10;
        // Per-tier payouts per block in each stretch (zat).
        let stretches: [(i128, i128, [i128; 3]); 4] = [
            (560_000, 657_850, [562_500_000, 937_500_000, 2_250_000_000]),
            (657_850, 835_554, [281_250_000, 468_750_000, 1_125_000_000]),
            (
                835_554,
                1_313_200,
                [562_500_000, 937_500_000, 2_250_000_000],
            ),
            (
                1_313_200,
                2_020_000,
                [281_250_000, 468_750_000, 1_125_000_000],
            ),
        ];
        let mut tiers = [0i128; 3];
        for (from, to, per_block) in stretches {
            for tier in 0..3 {
                tiers[tier] += blocks(from, to) * per_block[tier];
            }
        }
        let zat = |amount: Amount| i128::from(amount.zat());
        let last_pow = emitted(
            Network::Mainnet,
            BlockHeight(2_019_999),
            BlockHeight(560_000),
        )
        .unwrap();
        assert_eq!(zat(last_pow.premine), 13_020_000 * COIN);
        assert_eq!(last_pow.tiers.map(zat), tiers);
        assert_eq!(
            zat(last_pow.miners),
            pow_subsidy - tiers.iter().sum::<i128>()
        );
        assert_eq!(zat(last_pow.exchange_fund), 7_500_000 * COIN);
        assert_eq!(zat(last_pow.foundation_fund), 2_500_000 * COIN);
        // nSwapPoolAmount is 22 M "every time", nSwapPoolMaxTimes 10 (chainparams.cpp:302-304).
        assert_eq!(zat(last_pow.swap_pool), 10 * 22_000_000 * COIN);
        assert_eq!(last_pow.dev_fund, Amount::ZERO);

        let year = 1_051_200;
        let after_year = emitted(
            Network::Mainnet,
            BlockHeight(2_020_000 + year - 1),
            BlockHeight(560_000),
        )
        .unwrap();
        let pon_tiers = [COIN, 35 * COIN / 10, 9 * COIN];
        for tier in 0..3 {
            assert_eq!(
                zat(after_year.tiers[tier]),
                tiers[tier] + i128::from(year) * pon_tiers[tier]
            );
        }
        assert_eq!(zat(after_year.dev_fund), i128::from(year) * COIN / 2);
        assert_eq!(after_year.miners, last_pow.miners);
        // The second year pays 12.6 FLUX blocks: 0.45 FLUX to the dev fund.
        let first_of_year_two = emitted(
            Network::Mainnet,
            BlockHeight(2_020_000 + year),
            BlockHeight(560_000),
        )
        .unwrap();
        assert_eq!(
            zat(first_of_year_two.dev_fund) - zat(after_year.dev_fund),
            45_000_000
        );
    }
}
