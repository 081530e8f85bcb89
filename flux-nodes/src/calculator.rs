//! The reward calculator: for a tier, a node count and a height, what the tier earns per block,
//! what one node earns per day and per year, and the APR on its collateral.
//!
//! Every node of a tier is paid in turn, so one node receives the tier's payout once every
//! `nodes` blocks. Parallel assets (FLUX tokens on other chains, `flux-parallel`) are counted at
//! par with the ratio of the 2022 tier table (Cumulus 5.625 FLUX + 5.625 parallel per block:
//! [`PARALLEL_ASSETS_PER_FLUX`]).

use flux_pow::difficulty::DifficultyParams;
use flux_pow::{BlockHeight, Network};
use flux_tx::{Amount, COIN};

use crate::subsidy::{SubsidyParams, tier_payout};
use crate::tier::{Tier, TierExt};

/// Parallel assets a node operator receives per FLUX of node rewards (the 2022 tier rows:
/// 5.625 + 5.625, 9.375 + 9.375, 22.5 + 22.5 per block).
pub const PARALLEL_ASSETS_PER_FLUX: f64 = 1.0;

/// Days in the calculator's year.
pub const DAYS_PER_YEAR: f64 = 365.0;

/// Why no estimate can be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RewardError {
    /// A tier with no nodes pays no one.
    #[error("the node count must be at least 1")]
    NoNodes,
    /// The tier earns nothing at this height (e.g. before the nodes launched).
    #[error("{tier} nodes earn nothing at height {height}")]
    NoRewards {
        /// The tier.
        tier: Tier,
        /// The height.
        height: BlockHeight,
    },
}

/// What a node of a tier earns.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RewardEstimate {
    /// The tier.
    pub tier: Tier,
    /// Nodes of the tier sharing its payouts.
    pub nodes: u32,
    /// The height the schedule is read at.
    pub height: BlockHeight,
    /// What the tier's payee receives per block (exact).
    pub tier_payout_per_block: Amount,
    /// Blocks per day at this height's spacing (PoW 120 s on mainnet; 30 s under proof of node).
    pub blocks_per_day: f64,
    /// FLUX one node earns per day.
    pub flux_per_node_per_day: f64,
    /// FLUX one node earns per year.
    pub flux_per_node_per_year: f64,
    /// The collateral of a new node at this height.
    pub collateral: Amount,
    /// Yearly FLUX rewards over collateral, in percent.
    pub apr_percent: f64,
    /// The same with parallel assets counted at par.
    pub apr_with_parallel_assets_percent: f64,
}

impl RewardEstimate {
    /// The estimate for `nodes` nodes of `tier` at `height` on `network`.
    ///
    /// # Errors
    ///
    /// [`RewardError::NoNodes`] for zero nodes; [`RewardError::NoRewards`] where the tier earns
    /// nothing.
    pub fn new(
        network: Network,
        tier: Tier,
        nodes: u32,
        height: BlockHeight,
    ) -> Result<RewardEstimate, RewardError> {
        if nodes == 0 {
            return Err(RewardError::NoNodes);
        }
        let payout = tier_payout(network, height, tier);
        if payout == Amount::ZERO {
            return Err(RewardError::NoRewards { tier, height });
        }
        let difficulty = DifficultyParams::for_network(network);
        let spacing = if SubsidyParams::for_network(network).is_pon(height) {
            difficulty.pon_target_spacing
        } else {
            difficulty.pow_target_spacing
        };
        let blocks_per_day = 86_400.0 / spacing as f64;
        let flux_per_block = payout.zat() as f64 / COIN as f64;
        let flux_per_node_per_day = flux_per_block * blocks_per_day / f64::from(nodes);
        let flux_per_node_per_year = flux_per_node_per_day * DAYS_PER_YEAR;
        let collaterals = tier.collaterals(network, height);
        // The newest accepted collateral is what a node started now locks.
        let collateral = collaterals.last().copied().unwrap_or(Amount::ZERO);
        let collateral_flux = collateral.zat() as f64 / COIN as f64;
        let apr_percent = flux_per_node_per_year / collateral_flux * 100.0;
        Ok(RewardEstimate {
            tier,
            nodes,
            height,
            tier_payout_per_block: payout,
            blocks_per_day,
            flux_per_node_per_day,
            flux_per_node_per_year,
            collateral,
            apr_percent,
            apr_with_parallel_assets_percent: apr_percent * (1.0 + PARALLEL_ASSETS_PER_FLUX),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The 2022 figures (75 FLUX blocks, 2-minute blocks): Cumulus 5.625 FLUX per block and
    /// 30.82 % APR, Nimbus 9.375 and 18.47 %, Stratus 22.5 and 16.97 %. They come out of the
    /// schedule with 4,796 Cumulus, 1,067 Nimbus and 871 Stratus nodes.
    #[test]
    fn reproduces_the_2022_figures() {
        let height = BlockHeight(1_150_000);
        for (tier, nodes, per_block, apr) in [
            (Tier::Cumulus, 4_796, "5.625 FLUX", "30.82"),
            (Tier::Nimbus, 1_067, "9.375 FLUX", "18.47"),
            (Tier::Stratus, 871, "22.5 FLUX", "16.97"),
        ] {
            let estimate = RewardEstimate::new(Network::Mainnet, tier, nodes, height).unwrap();
            assert_eq!(estimate.tier_payout_per_block.to_string(), per_block);
            assert_eq!(format!("{:.2}", estimate.apr_percent), apr, "{tier}");
            assert_eq!(estimate.blocks_per_day, 720.0);
        }
    }

    #[test]
    fn bad_requests_are_errors() {
        assert_eq!(
            RewardEstimate::new(Network::Mainnet, Tier::Cumulus, 0, BlockHeight(1_150_000)),
            Err(RewardError::NoNodes)
        );
        assert!(matches!(
            RewardEstimate::new(Network::Mainnet, Tier::Cumulus, 10, BlockHeight(0)),
            Err(RewardError::NoRewards { .. })
        ));
    }
}
