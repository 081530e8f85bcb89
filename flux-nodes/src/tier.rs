//! Node tiers, their collateral by height and their minimum hardware (`fluxnode/fluxnode.h:52-74`,
//! `coins.cpp:754-808`, `chainparams.cpp` transition heights).

use core::fmt;
use core::str::FromStr;

use flux_pow::{BlockHeight, Network};
use flux_tx::{Amount, COIN};

/// A fluxnode tier (the daemon's `Tier` enum: CUMULUS 1, NIMBUS 2, STRATUS 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Tier {
    /// The smallest tier (formerly BASIC).
    Cumulus,
    /// The middle tier (formerly SUPER).
    Nimbus,
    /// The largest tier (formerly BAMF); Titan pools run these.
    Stratus,
}

/// A tier name that is not one of the three (or their former names).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown tier {0:?}: use cumulus, nimbus or stratus (or basic, super, bamf)")]
pub struct UnknownTierError(pub String);

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

impl Tier {
    /// All tiers, smallest first (the daemon's payout order of tiers in the coinbase).
    pub const ALL: [Tier; 3] = [Tier::Cumulus, Tier::Nimbus, Tier::Stratus];

    /// The daemon's number for the tier.
    pub const fn number(self) -> u8 {
        match self {
            Tier::Cumulus => 1,
            Tier::Nimbus => 2,
            Tier::Stratus => 3,
        }
    }

    /// Lower-case name.
    pub const fn name(self) -> &'static str {
        match self {
            Tier::Cumulus => "cumulus",
            Tier::Nimbus => "nimbus",
            Tier::Stratus => "stratus",
        }
    }

    /// The name the tier had before the 2021 rename.
    pub const fn former_name(self) -> &'static str {
        match self {
            Tier::Cumulus => "basic",
            Tier::Nimbus => "super",
            Tier::Stratus => "bamf",
        }
    }

    /// Minimum hardware (Cumulus 4 vCores / 8 GB / 220 GB SSD / 2.5 TB; Nimbus 8 / 32 / 440 /
    /// 4 TB; Stratus 16 / 64 / 880 NVMe / 6 TB).
    pub const fn minimum_hardware(self) -> Hardware {
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

    /// Collateral before the transition (`V1_FLUXNODE_COLLAT_*`), in FLUX.
    pub const fn v1_collateral_flux(self) -> i64 {
        match self {
            Tier::Cumulus => 10_000,
            Tier::Nimbus => 25_000,
            Tier::Stratus => 100_000,
        }
    }

    /// Collateral after the transition (`V2_FLUXNODE_COLLAT_*`), in FLUX.
    pub const fn v2_collateral_flux(self) -> i64 {
        match self {
            Tier::Cumulus => 1_000,
            Tier::Nimbus => 12_500,
            Tier::Stratus => 40_000,
        }
    }

    /// The pre-PON payout fraction of the block subsidy (`V1_FLUXNODE_PERCENT_*`), doubled by
    /// the daemon from the FLUX upgrade on.
    pub const fn payout_fraction(self) -> f64 {
        match self {
            Tier::Cumulus => 0.0375,
            Tier::Nimbus => 0.0625,
            Tier::Stratus => 0.15,
        }
    }

    /// The tier's reward at the initial 14 FLUX proof-of-node subsidy (`PON_*_BASE`: 1, 3.5 and
    /// 9 FLUX), in zatoshis; later rewards keep these ratios.
    pub(crate) const fn pon_base_zat(self) -> i64 {
        match self {
            Tier::Cumulus => COIN,
            Tier::Nimbus => 35 * COIN / 10,
            Tier::Stratus => 9 * COIN,
        }
    }

    /// `[begin, end)` of the window in which both collaterals are accepted.
    pub const fn transition_window(self, network: Network) -> (u32, u32) {
        match (network, self) {
            (Network::Mainnet, Tier::Cumulus) => (1_076_532, 1_086_612),
            (Network::Mainnet, Tier::Nimbus) => (1_081_572, 1_092_372),
            (Network::Mainnet, Tier::Stratus) => (1_087_332, 1_097_412),
            (Network::Testnet, _) => (420, 520),
            (Network::Regtest, Tier::Stratus) => (0, 100),
            (Network::Regtest, _) => (0, 1_000),
        }
    }

    /// The collateral amounts accepted at `height` (`GetCoinAmountsByTier`): V1 before the window,
    /// both inside it, V2 after.
    pub fn collaterals(self, network: Network, height: BlockHeight) -> Vec<Amount> {
        let (begin, end) = self.transition_window(network);
        let v1 = Amount::from_flux(self.v1_collateral_flux());
        let v2 = Amount::from_flux(self.v2_collateral_flux());
        let wanted = if height.0 < begin {
            [v1, None]
        } else if height.0 < end {
            [v1, v2]
        } else {
            [v2, None]
        };
        wanted.into_iter().flatten().collect()
    }

    /// The tier a collateral amount belongs to at `height` (`GetCoinTierFromAmount`).
    pub fn from_collateral(network: Network, height: BlockHeight, amount: Amount) -> Option<Tier> {
        Tier::ALL
            .into_iter()
            .find(|tier| tier.collaterals(network, height).contains(&amount))
    }
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Tier {
    type Err = UnknownTierError;

    fn from_str(text: &str) -> Result<Tier, UnknownTierError> {
        let lower = text.trim().to_ascii_lowercase();
        Tier::ALL
            .into_iter()
            .find(|tier| tier.name() == lower || tier.former_name() == lower)
            .ok_or_else(|| UnknownTierError(text.to_owned()))
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
    fn names_old_and_new_parse() {
        assert_eq!("BAMF".parse::<Tier>(), Ok(Tier::Stratus));
        assert_eq!(" nimbus ".parse::<Tier>(), Ok(Tier::Nimbus));
        assert!(
            "titan"
                .parse::<Tier>()
                .unwrap_err()
                .to_string()
                .contains("cumulus")
        );
        assert_eq!(Tier::Stratus.minimum_hardware().ram_gb, 64);
    }
}
