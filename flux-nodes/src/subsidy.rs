//! The monetary schedule: block subsidy by height (`GetBlockSubsidy`, `main.cpp:2796-2853`), the
//! node tiers' payouts (`GetFluxnodeSubsidy`, `main.cpp:2886-2939`), the miner's remainder or the
//! dev fund under proof of node (`GetMinDevFundAmount`), and the one-off exchange, foundation and
//! swap-pool outputs (`main.cpp:2855-2960`, `chainparams.cpp`).

use flux_pow::{BlockHeight, Network, NetworkUpgrade, ProofOfNodeStart};
use flux_tx::{Amount, COIN};

use crate::tier::{Tier, TierExt, pon_base_zat};

/// A one-off coinbase output of a fund: the height whose coinbase pays it and how much.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FundPayout {
    /// The only height whose coinbase carries the output.
    pub height: BlockHeight,
    /// The amount, in whole FLUX.
    pub flux: i64,
}

/// The swap-pool outputs: `payouts` coinbase outputs of `flux` FLUX each, `interval` blocks apart
/// from `start` on (`IsSwapPoolInterval`, `nSwapPoolStartHeight`, `nSwapPoolAmount`,
/// `nSwapPoolInterval`, `nSwapPoolMaxTimes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SwapPoolSchedule {
    /// The height of the first output.
    pub start: BlockHeight,
    /// The amount of each output, in whole FLUX.
    pub flux: i64,
    /// Blocks between two outputs.
    pub interval: u32,
    /// How many outputs there are.
    pub payouts: u32,
}

impl SwapPoolSchedule {
    /// Whether the coinbase at `height` carries a swap-pool output (`IsSwapPoolInterval`).
    pub fn pays_at(&self, height: BlockHeight) -> bool {
        let (h, start, interval) = (
            i64::from(height.0),
            i64::from(self.start.0),
            i64::from(self.interval),
        );
        let times = i64::from(self.payouts);
        interval > 0
            && h >= start
            && h <= start + interval * times
            && (h - start) % interval == 0
            && (h - start) / interval < times
    }
}

/// The subsidy constants of a network (`consensus/params.h`, `chainparams.cpp`): one row per
/// network in [`SubsidyParams::for_network`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubsidyParams {
    /// `nSubsidySlowStartInterval`.
    pub slow_start_interval: i64,
    /// `nSubsidyHalvingInterval`.
    pub halving_interval: i64,
    /// `nPONInitialSubsidy` (FLUX).
    pub pon_initial_subsidy_flux: i64,
    /// `nPONSubsidyReductionInterval` (blocks).
    pub pon_reduction_interval: i64,
    /// `nPONMaxReductions`.
    pub pon_max_reductions: i64,
    /// When blocks become proof of node (`IsPONActive`; regtest from genesis).
    pub pon: ProofOfNodeStart,
    /// The exchange funding output (`nExchangeFundingHeight`, `nExchangeFundingAmount`), `None`
    /// where the network has none.
    pub exchange_funding: Option<FundPayout>,
    /// The foundation funding output (`nFoundationFundingHeight`, `nFoundationFundingAmount`).
    pub foundation_funding: Option<FundPayout>,
    /// The swap-pool outputs.
    pub swap_pool: Option<SwapPoolSchedule>,
}

const fn fund(height: u32, flux: i64) -> Option<FundPayout> {
    Some(FundPayout {
        height: BlockHeight(height),
        flux,
    })
}

const fn swap_pool(start: u32, flux: i64, interval: u32, payouts: u32) -> Option<SwapPoolSchedule> {
    Some(SwapPoolSchedule {
        start: BlockHeight(start),
        flux,
        interval,
        payouts,
    })
}

impl SubsidyParams {
    /// The constants of `network` (fluxd `chainparams.cpp`: main `:120-135,292-300`, test
    /// `:350-365,485-493`, regtest `:555-570,687-695`).
    pub fn for_network(network: Network) -> SubsidyParams {
        let pon = ProofOfNodeStart::for_network(network);
        match network {
            Network::Mainnet => SubsidyParams {
                slow_start_interval: 5_000,
                halving_interval: 655_350,
                pon_initial_subsidy_flux: 14,
                pon_reduction_interval: 1_051_200,
                pon_max_reductions: 20,
                pon,
                exchange_funding: fund(836_274, 7_500_000),
                foundation_funding: fund(836_994, 2_500_000),
                swap_pool: swap_pool(837_714, 22_000_000, 21_600, 10),
            },
            Network::Testnet => SubsidyParams {
                slow_start_interval: 1,
                halving_interval: 655_350,
                pon_initial_subsidy_flux: 14,
                pon_reduction_interval: 525_600,
                pon_max_reductions: 20,
                pon,
                exchange_funding: fund(4_100, 7_500_000),
                foundation_funding: fund(4_200, 2_500_000),
                swap_pool: swap_pool(4_300, 2_200_000, 100, 10),
            },
            Network::Regtest => SubsidyParams {
                slow_start_interval: 0,
                halving_interval: 150,
                pon_initial_subsidy_flux: 14,
                pon_reduction_interval: 100,
                pon_max_reductions: 10,
                pon,
                exchange_funding: fund(10, 3_000_000),
                foundation_funding: fund(10, 2_500_000),
                swap_pool: swap_pool(10, 2_100_000, 10, 5),
            },
            // The SDK's devnet: mainnet's launch schedule (the block-1 premine that funds the
            // collaterals, the slow start towards 150 FLUX at 5000, halvings every 655,350
            // blocks), no one-off funds, and PON constants for when it gets a PON era.
            Network::Devnet => SubsidyParams {
                slow_start_interval: 5_000,
                halving_interval: 655_350,
                pon_initial_subsidy_flux: 14,
                pon_reduction_interval: 1_051_200,
                pon_max_reductions: 20,
                pon,
                exchange_funding: None,
                foundation_funding: None,
                swap_pool: None,
            },
        }
    }

    /// `IsPONActive(height)`.
    pub fn is_pon(&self, height: BlockHeight) -> bool {
        self.pon.is_active(height)
    }
}

fn zat(value: i64) -> Amount {
    // Every value here is derived from constants far below MAX_MONEY.
    Amount::from_zat(value).unwrap_or(Amount::ZERO)
}

/// `GetBlockSubsidy(height)`.
pub fn block_subsidy(network: Network, height: BlockHeight) -> Amount {
    let params = SubsidyParams::for_network(network);
    let h = i64::from(height.0);
    if let Some(activation) = params
        .pon
        .raw_activation()
        .filter(|_| params.is_pon(height))
    {
        let mut subsidy = params.pon_initial_subsidy_flux * COIN;
        // fluxd counts from the raw activation height: -1 on regtest.
        let years = (h - activation) / params.pon_reduction_interval;
        for _ in 0..years.min(params.pon_max_reductions) {
            subsidy = subsidy * 9 / 10;
        }
        return zat(subsidy);
    }
    let mut subsidy = 150 * COIN;
    if h == 1 {
        return zat(13_020_000 * COIN);
    }
    let slow = params.slow_start_interval;
    if h < slow / 2 {
        return zat(subsidy / slow * h);
    } else if h < slow {
        return zat(subsidy / slow * (h + 1));
    }
    let halvings = (h - slow / 2) / params.halving_interval;
    if halvings >= 64 {
        return Amount::ZERO;
    }
    // main.cpp:2840-2846: from the second halving on the subsidy stays at a quarter.
    if halvings >= 2 {
        subsidy >>= 2;
        return zat(subsidy);
    }
    subsidy >>= halvings;
    zat(subsidy)
}

/// `GetFluxnodeSubsidy(height, subsidy, tier)`: what the tier's payee of the block receives.
///
/// Before proof of node the daemon multiplies the subsidy by a `double` percentage (doubled from
/// the FLUX upgrade on) and truncates; the same IEEE arithmetic is used here so every zatoshi
/// matches.
pub fn tier_payout(network: Network, height: BlockHeight, tier: Tier) -> Amount {
    let subsidy = block_subsidy(network, height);
    let params = SubsidyParams::for_network(network);
    if params.is_pon(height) {
        return zat(subsidy.zat() * pon_base_zat(tier) / (14 * COIN));
    }
    let multiple: f32 = if NetworkUpgrade::Flux
        .activation_height(network)
        .is_some_and(|flux| height >= flux)
    {
        2.0
    } else {
        1.0
    };
    let share = tier.payout_fraction() * f64::from(multiple);
    // C++ `CAmount * double` converts to double and truncates toward zero on return.
    zat((subsidy.zat() as f64 * share) as i64)
}

/// Where a block's subsidy and the one-off fund outputs go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RewardSplit {
    /// `GetBlockSubsidy`.
    pub subsidy: Amount,
    /// Per tier, smallest first.
    pub tiers: [Amount; 3],
    /// The miner's part (subsidy minus tiers) before proof of node; zero after.
    pub miner: Amount,
    /// The dev fund's minimum under proof of node (`GetMinDevFundAmount`); zero before.
    pub dev_fund: Amount,
    /// The exchange funding output at its height.
    pub exchange_fund: Amount,
    /// The foundation funding output at its height.
    pub foundation_fund: Amount,
    /// A swap-pool output at its heights.
    pub swap_pool: Amount,
}

impl RewardSplit {
    /// Everything the block may create: subsidy plus the fund outputs.
    pub fn total_created(&self) -> Option<Amount> {
        Amount::checked_sum([
            self.subsidy,
            self.exchange_fund,
            self.foundation_fund,
            self.swap_pool,
        ])
    }
}

/// The split of the block at `height`.
pub fn reward_split(network: Network, height: BlockHeight) -> RewardSplit {
    let params = SubsidyParams::for_network(network);
    let subsidy = block_subsidy(network, height);
    let tiers = Tier::ALL.map(|tier| tier_payout(network, height, tier));
    let tier_sum = tiers.iter().map(|a| a.zat()).sum::<i64>();
    let rest = zat(subsidy.zat() - tier_sum);
    let (miner, dev_fund) = if params.is_pon(height) {
        (Amount::ZERO, rest)
    } else {
        (rest, Amount::ZERO)
    };
    let fund = |payout: Option<FundPayout>| match payout {
        Some(payout) if payout.height == height => zat(payout.flux * COIN),
        _ => Amount::ZERO,
    };
    RewardSplit {
        subsidy,
        tiers,
        miner,
        dev_fund,
        exchange_fund: fund(params.exchange_funding),
        foundation_fund: fund(params.foundation_funding),
        swap_pool: match params.swap_pool {
            Some(pool) if pool.pays_at(height) => zat(pool.flux * COIN),
            _ => Amount::ZERO,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mainnet_subsidy_by_era() {
        let main = Network::Mainnet;
        let flux = |h| block_subsidy(main, BlockHeight(h)).zat();
        assert_eq!(flux(0), 0);
        assert_eq!(flux(1), 13_020_000 * COIN);
        assert_eq!(flux(2), 150 * COIN / 5000 * 2);
        assert_eq!(flux(2_500), 150 * COIN / 5000 * 2_501);
        assert_eq!(flux(5_000), 150 * COIN);
        assert_eq!(flux(657_849), 150 * COIN);
        assert_eq!(flux(657_850), 75 * COIN);
        assert_eq!(flux(1_313_200), 3_750_000_000);
        assert_eq!(flux(2_019_999), 3_750_000_000);
        assert_eq!(flux(2_020_000), 14 * COIN);
        assert_eq!(flux(2_020_000 + 1_051_200), 14 * COIN * 9 / 10);
    }

    #[test]
    fn the_2022_split_is_half_to_the_nodes() {
        // 75 FLUX blocks with the FLUX upgrade's doubled percentages.
        let split = reward_split(Network::Mainnet, BlockHeight(1_100_000));
        assert_eq!(split.subsidy.zat(), 75 * COIN);
        assert_eq!(
            split.tiers.map(|t| t.zat()),
            [562_500_000, 937_500_000, 2_250_000_000]
        );
        assert_eq!(split.miner.zat(), 3_750_000_000);
        // Before the FLUX upgrade the percentages were not doubled.
        let early = reward_split(Network::Mainnet, BlockHeight(800_000));
        assert_eq!(early.tiers[2].zat(), 75 * COIN * 15 / 100);
    }

    #[test]
    fn proof_of_node_split_and_dev_fund() {
        let split = reward_split(Network::Mainnet, BlockHeight(2_020_000));
        assert_eq!(split.tiers.map(|t| t.zat()), [COIN, 350_000_000, 9 * COIN]);
        assert_eq!(split.dev_fund.zat(), COIN / 2);
        assert_eq!(split.miner, Amount::ZERO);
        // Regtest is proof of node from genesis (NO_ACTIVATION_HEIGHT compares as -1).
        assert_eq!(
            block_subsidy(Network::Regtest, BlockHeight(0)).zat(),
            14 * COIN
        );
    }

    #[test]
    fn one_off_fund_outputs() {
        let main = Network::Mainnet;
        assert_eq!(
            reward_split(main, BlockHeight(836_274)).exchange_fund.zat(),
            7_500_000 * COIN
        );
        assert_eq!(
            reward_split(main, BlockHeight(836_994))
                .foundation_fund
                .zat(),
            2_500_000 * COIN
        );
        let swaps: Vec<u32> = (837_714..837_714 + 21_600 * 11)
            .filter(|&h| reward_split(main, BlockHeight(h)).swap_pool > Amount::ZERO)
            .collect();
        assert_eq!(swaps.len(), 10);
        assert_eq!(swaps[9], 837_714 + 21_600 * 9);
    }
}
