//! What a tier means to a fluxnode: its collateral by height, its payout share and its minimum
//! hardware (`fluxnode/fluxnode.h:52-74`, `coins.cpp:754-808`, `chainparams.cpp` transition
//! heights). The [`Tier`] type itself is the SDK-wide one of `flux-pow` (re-exported here); these
//! facts reach it through the [`TierExt`] trait.

use flux_pow::{BlockHeight, Network};
pub use flux_pow::{Tier, UnknownTierError};
use flux_tx::{Amount, COIN};

/// Minimum hardware of a tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hardware {
    /// Virtual cores.
    pub vcores: u32,
    /// RAM in GB.
    pub ram_gb: u32,
    /// Storage in GB.
    pub storage_gb: u32,
    /// Whether the storage must be NVMe (SSD otherwise).
    pub nvme: bool,
    /// Monthly bandwidth in GB.
    pub bandwidth_gb: u32,
}

/// The `[begin, end)` heights in which a tier accepts both its V1 and its V2 collateral
/// (`chainparams.cpp`: `vTierTransitionHeights` / the per-tier collateral switch).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransitionWindow {
    /// First height at which the V2 collateral is accepted.
    pub begin: BlockHeight,
    /// First height at which the V1 collateral is no longer accepted.
    pub end: BlockHeight,
}

/// A tier's fluxnode facts: collateral, payout share, minimum hardware.
///
/// Implemented for the SDK-wide [`Tier`]; bring it into scope (`use flux_nodes::TierExt;`) to
/// call `tier.collaterals(..)` or `Tier::from_collateral(..)`.
pub trait TierExt: Sized {
    /// Minimum hardware (Cumulus 4 vCores / 8 GB / 220 GB SSD / 2.5 TB; Nimbus 8 / 32 / 440 /
    /// 4 TB; Stratus 16 / 64 / 880 NVMe / 6 TB).
    fn minimum_hardware(self) -> Hardware;

    /// Collateral before the transition (`V1_FLUXNODE_COLLAT_*`), in FLUX.
    fn v1_collateral_flux(self) -> i64;

    /// Collateral after the transition (`V2_FLUXNODE_COLLAT_*`), in FLUX.
    fn v2_collateral_flux(self) -> i64;

    /// The pre-PON payout fraction of the block subsidy (`V1_FLUXNODE_PERCENT_*`), doubled by
    /// the daemon from the FLUX upgrade on.
    fn payout_fraction(self) -> f64;

    /// The window in which both collaterals are accepted on `network`, or `None` where the
    /// network never leaves the V1 collaterals.
    fn transition_window(self, network: Network) -> Option<TransitionWindow>;

    /// The collateral amounts accepted at `height` (`GetCoinAmountsByTier`): V1 before the window,
    /// both inside it, V2 after.
    fn collaterals(self, network: Network, height: BlockHeight) -> Vec<Amount>;

    /// The tier a collateral amount belongs to at `height` (`GetCoinTierFromAmount`).
    fn from_collateral(network: Network, height: BlockHeight, amount: Amount) -> Option<Self>;
}

const fn window(begin: u32, end: u32) -> Option<TransitionWindow> {
    Some(TransitionWindow {
        begin: BlockHeight(begin),
        end: BlockHeight(end),
    })
}

impl TierExt for Tier {
    fn minimum_hardware(self) -> Hardware {
        match self {
            Tier::Cumulus => Hardware {
                vcores: 4,
                ram_gb: 8,
                storage_gb: 220,
                nvme: false,
                bandwidth_gb: 2_500,
            },
            Tier::Nimbus => Hardware {
                vcores: 8,
                ram_gb: 32,
                storage_gb: 440,
                nvme: false,
                bandwidth_gb: 4_000,
            },
            Tier::Stratus => Hardware {
                vcores: 16,
                ram_gb: 64,
                storage_gb: 880,
                nvme: true,
                bandwidth_gb: 6_000,
            },
        }
    }

    fn v1_collateral_flux(self) -> i64 {
        match self {
            Tier::Cumulus => 10_000,
            Tier::Nimbus => 25_000,
            Tier::Stratus => 100_000,
        }
    }

    fn v2_collateral_flux(self) -> i64 {
        match self {
            Tier::Cumulus => 1_000,
            Tier::Nimbus => 12_500,
            Tier::Stratus => 40_000,
        }
    }

    fn payout_fraction(self) -> f64 {
        match self {
            Tier::Cumulus => 0.0375,
            Tier::Nimbus => 0.0625,
            Tier::Stratus => 0.15,
        }
    }

    fn transition_window(self, network: Network) -> Option<TransitionWindow> {
        match (network, self) {
            (Network::Mainnet, Tier::Cumulus) => window(1_076_532, 1_086_612),
            (Network::Mainnet, Tier::Nimbus) => window(1_081_572, 1_092_372),
            (Network::Mainnet, Tier::Stratus) => window(1_087_332, 1_097_412),
            (Network::Testnet, _) => window(420, 520),
            (Network::Regtest, Tier::Stratus) => window(0, 100),
            (Network::Regtest, _) => window(0, 1_000),
            // The devnet stays in the Kamata era (no Halving upgrade): V1 collaterals only.
            (Network::Devnet, _) => None,
        }
    }

    fn collaterals(self, network: Network, height: BlockHeight) -> Vec<Amount> {
        let v1 = Amount::from_flux(self.v1_collateral_flux());
        let v2 = Amount::from_flux(self.v2_collateral_flux());
        let wanted = match self.transition_window(network) {
            None => [v1, None],
            Some(window) if height < window.begin => [v1, None],
            Some(window) if height < window.end => [v1, v2],
            Some(_) => [v2, None],
        };
        wanted.into_iter().flatten().collect()
    }

    fn from_collateral(network: Network, height: BlockHeight, amount: Amount) -> Option<Tier> {
        Tier::ALL
            .into_iter()
            .find(|tier| tier.collaterals(network, height).contains(&amount))
    }
}

/// The tier's reward at the initial 14 FLUX proof-of-node subsidy (`PON_*_BASE`: 1, 3.5 and
/// 9 FLUX), in zatoshis; later rewards keep these ratios.
pub(crate) const fn pon_base_zat(tier: Tier) -> i64 {
    match tier {
        Tier::Cumulus => COIN,
        Tier::Nimbus => 35 * COIN / 10,
        Tier::Stratus => 9 * COIN,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collateral_windows_accept_both_amounts_inside_only() {
        let main = Network::Mainnet;
        let flux = |n| Amount::from_flux(n).unwrap();
        let at = |h| Tier::Cumulus.collaterals(main, BlockHeight(h));
        assert_eq!(at(1_076_531), vec![flux(10_000)]);
        assert_eq!(at(1_076_532), vec![flux(10_000), flux(1_000)]);
        assert_eq!(at(1_086_611), vec![flux(10_000), flux(1_000)]);
        assert_eq!(at(1_086_612), vec![flux(1_000)]);
        assert_eq!(
            Tier::from_collateral(main, BlockHeight(2_000_000), flux(40_000)),
            Some(Tier::Stratus)
        );
        assert_eq!(
            Tier::from_collateral(main, BlockHeight(2_000_000), flux(100_000)),
            None
        );
        assert_eq!(
            Tier::from_collateral(main, BlockHeight(1_000_000), flux(100_000)),
            Some(Tier::Stratus)
        );
    }

    #[test]
    fn devnet_keeps_the_v1_collaterals() {
        let flux = |n| Amount::from_flux(n).unwrap();
        for height in [0, 1_076_532, 2_000_000] {
            assert_eq!(
                Tier::from_collateral(Network::Devnet, BlockHeight(height), flux(100_000)),
                Some(Tier::Stratus)
            );
            assert_eq!(
                Tier::from_collateral(Network::Devnet, BlockHeight(height), flux(40_000)),
                None
            );
        }
        assert_eq!(Tier::Stratus.minimum_hardware().ram_gb, 64);
    }
}
