//! Reward events, the accrual rule and its exact integer arithmetic.
//!
//! # The rule
//! - Every FLUX reward (a miner's block reward or a node operator's payout) earns, **in each
//!   parallel asset, 10 % of the FLUX amount**. A 2022 Cumulus payout of 5.625 FLUX earns
//!   0.5625 in each of ten assets, 5.625 in total — the "5.625 FLUX + 5.625 parallel" row of the
//!   2022 overview; Nimbus 9.375 and Stratus 22.5 likewise.
//! - Miners follow the same rule: the Flux team's September 2022 explanation of mining ("for each
//!   1 Flux mined, there will be 0.1 of each of 10 parallel assets") gives 3.75 per asset per
//!   37.5 FLUX block. The overview's "37.5 FLUX comes with 11.25 FLUX of parallel assets" is that
//!   same 10 % counted over three assets (3 × 3.75 = 11.25), i.e. 30 % of the reward: it is not a
//!   separate miner rate, and [`Schedule::mainnet`] uses 10 % per chain for both roles. The share
//!   is a parameter ([`Schedule::with_shares`]) for anyone who reads the figure differently.
//! - **Back-dating:** a reward counts for a chain when its time is at or after the latest of
//!   [`FLUX_FORK_TIME`] (2021-03-27 00:00 UTC, the Zelcash → Flux relaunch that created the
//!   parallel assets), the chain's own accrual start, and the node's registered start (if any).
//!   The ten chains of 2022 all accrue from the fork, claimable or not: earnings are credited
//!   before a token launches. A chain added later gets its own start through
//!   [`ChainRule::accrues_from`].
//!
//! # Exactness and rounding
//! Entitlements are rational: `flux_zats × share_ppm × 10^decimals / (10^6 × 10^8)` smallest
//! units of the chain. [`ParallelShare::of`] splits that into whole units and a numerator over the
//! chain's fixed denominator ([`carry_denominator`]); the ledger adds the numerator to the
//! recipient's running carry for that chain and moves every whole unit the carry reaches into the
//! balance. Rounding is therefore *down, with the remainder carried per recipient and chain*:
//! nothing is created, nothing lost, and `credited × denominator + carry == Σ numerators` exactly.
//! All arithmetic is `u128` and checked.

use core::fmt;

use flux_pow::BlockHeight;
pub use flux_pow::Tier;
use flux_tx::address::Address;

use crate::chain::{Chain, ChainStatus};

/// Seconds since 1970-01-01 00:00 UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(transparent))]
pub struct UnixTime(pub u64);

impl fmt::Display for UnixTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// 2021-03-27 00:00:00 UTC: the relaunch of Zelcash as Flux, from which parallel assets accrue.
pub const FLUX_FORK_TIME: UnixTime = UnixTime(1_616_803_200);

/// 2026-09-21 00:00:00 UTC: FLUX on Ergo ended (its bridge reserve was swept under Ergo's
/// storage-rent rule and returned; `titan_parallel.md`, flux-docs `claim-parallel-assets.md`).
/// Rewards from this time on earn nothing on Ergo, and what Ergo holders had accrued is paid by a
/// snapshot claim ([`crate::Ledger::retirement_claims`]); nine chains stay active.
pub const ERGO_RETIRED_AT: UnixTime = UnixTime(1_789_948_800);

/// Zatoshis per FLUX.
pub const ZATS_PER_FLUX: u64 = 100_000_000;

/// Largest FLUX amount one reward event may carry: the 440 million FLUX maximum supply.
pub const MAX_EVENT_ZATS: u64 = 440_000_000 * ZATS_PER_FLUX;

/// Parts per million: the unit of [`Schedule`] shares.
pub const PPM: u32 = 1_000_000;

/// The 10 % share per chain of the published rule, in parts per million.
pub const TEN_PERCENT_PPM: u32 = 100_000;

/// Who earned a reward.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
#[non_exhaustive]
pub enum Role {
    /// The block's miner.
    Miner,
    /// A fluxnode operator paid in the block, with its node's tier (the SDK-wide [`Tier`]; JSON
    /// keeps the lower-case names `cumulus`, `nimbus`, `stratus`).
    Node(Tier),
}

/// One FLUX reward paid in a block: the input of accrual.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RewardEvent {
    /// Height of the block that paid it.
    pub height: BlockHeight,
    /// The block's time.
    pub time: UnixTime,
    /// The Flux address paid.
    pub recipient: Address,
    /// Miner or node tier.
    pub role: Role,
    /// The FLUX paid, in zatoshis.
    pub flux_zats: u64,
}

/// How one chain accrues within a [`Schedule`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainRule {
    /// The chain.
    pub chain: Chain,
    /// Rewards before this time earn nothing on this chain (besides [`FLUX_FORK_TIME`]).
    pub accrues_from: UnixTime,
    /// Whether balances on this chain may be claimed.
    pub claimable: bool,
    /// When the chain's FLUX token ended, if it did: rewards at or after this time earn nothing
    /// on it, claims on it are refused, and its unclaimed balances are settled by a snapshot
    /// claim instead. Claims carry heights, not times, so the ledger refuses claims on a chain
    /// as soon as its rule has a retirement: set it once the chain has ended.
    pub retired_at: Option<UnixTime>,
}

impl ChainRule {
    /// Whether a reward at `time` accrues on this chain (before any node-start back-dating):
    /// at or after its start and before its retirement.
    pub fn accrues_at(&self, time: UnixTime) -> bool {
        time >= self.accrues_from && self.retired_at.is_none_or(|end| time < end)
    }

    /// Whether the chain has ended by `time`.
    pub fn is_retired_at(&self, time: UnixTime) -> bool {
        self.retired_at.is_some_and(|end| time >= end)
    }
}

/// Which chains accrue, from when, and the share each role earns per chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    rules: [Option<ChainRule>; Chain::COUNT],
    miner_share_ppm: u32,
    node_share_ppm: u32,
}

impl Schedule {
    /// The published mainnet rule: all ten chains accrue from [`FLUX_FORK_TIME`] (back-dated),
    /// 10 % per chain for miners and nodes alike; the six chains claimable in 2022 are claimable;
    /// Ergo ends at [`ERGO_RETIRED_AT`].
    pub fn mainnet() -> Schedule {
        let mut rules = [None; Chain::COUNT];
        for chain in Chain::ALL {
            rules[chain.index()] = Some(ChainRule {
                chain,
                accrues_from: FLUX_FORK_TIME,
                claimable: chain.status_2022() == ChainStatus::Claimable,
                retired_at: (chain == Chain::Ergo).then_some(ERGO_RETIRED_AT),
            });
        }
        Schedule {
            rules,
            miner_share_ppm: TEN_PERCENT_PPM,
            node_share_ppm: TEN_PERCENT_PPM,
        }
    }

    /// A schedule with no chain; add them with [`Schedule::with_chain`].
    pub fn empty() -> Schedule {
        Schedule {
            rules: [None; Chain::COUNT],
            miner_share_ppm: TEN_PERCENT_PPM,
            node_share_ppm: TEN_PERCENT_PPM,
        }
    }

    /// Adds or replaces the rule of one chain.
    #[must_use]
    pub fn with_chain(mut self, rule: ChainRule) -> Schedule {
        self.rules[rule.chain.index()] = Some(rule);
        self
    }

    /// Sets the share per chain of miners and of nodes, in parts per million (at most
    /// [`PPM`] each; larger values are clamped to it).
    #[must_use]
    pub fn with_shares(mut self, miner_share_ppm: u32, node_share_ppm: u32) -> Schedule {
        self.miner_share_ppm = miner_share_ppm.min(PPM);
        self.node_share_ppm = node_share_ppm.min(PPM);
        self
    }

    /// The rule of `chain`, if it accrues at all.
    pub fn rule(&self, chain: Chain) -> Option<&ChainRule> {
        self.rules[chain.index()].as_ref()
    }

    /// Every chain rule, in canonical chain order.
    pub fn rules(&self) -> impl Iterator<Item = &ChainRule> {
        self.rules.iter().flatten()
    }

    /// The chains that accrue at `time`, in canonical order: ten from the fork until Ergo's end,
    /// nine after it on mainnet.
    pub fn active_chains(&self, time: UnixTime) -> Vec<Chain> {
        self.rules()
            .filter(|rule| rule.accrues_at(time))
            .map(|rule| rule.chain)
            .collect()
    }

    /// The share per chain that `role` earns, in parts per million.
    pub fn share_ppm(&self, role: Role) -> u32 {
        match role {
            Role::Miner => self.miner_share_ppm,
            Role::Node(_) => self.node_share_ppm,
        }
    }
}

impl Default for Schedule {
    fn default() -> Schedule {
        Schedule::mainnet()
    }
}

/// The denominator of a chain's carry: the exact entitlement of a reward is a whole number of
/// `1 / carry_denominator(decimals)` units. It is `10^6` (the share in ppm) times `10^(8 − d)`
/// when the token has fewer decimals `d` than FLUX's 8.
pub const fn carry_denominator(decimals: u8) -> u128 {
    let mut denominator: u128 = PPM as u128;
    let mut d = decimals;
    while d < 8 {
        denominator *= 10;
        d += 1;
    }
    denominator
}

/// The exact entitlement of one reward on one chain: `units + numerator / carry_denominator`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParallelShare {
    /// The exact entitlement times [`carry_denominator`], before splitting into whole units.
    pub numerator: u128,
}

/// Decimal places above which [`ParallelShare::of`] refuses to compute (no FLUX token has more).
pub const MAX_DECIMALS: u8 = 18;

impl ParallelShare {
    /// The entitlement of `flux_zats` at `share_ppm` on a token with `decimals` places, or `None`
    /// if `decimals` exceeds [`MAX_DECIMALS`] or the product overflows (it cannot for amounts up
    /// to [`MAX_EVENT_ZATS`]).
    pub fn of(flux_zats: u64, share_ppm: u32, decimals: u8) -> Option<ParallelShare> {
        if decimals > MAX_DECIMALS {
            return None;
        }
        // units = zats × ppm × 10^d / (10^6 × 10^8). With d >= 8 the 10^8 cancels into 10^(d-8);
        // with d < 8 it stays in the denominator, which `carry_denominator` accounts for.
        let scale = 10u128.checked_pow(u32::from(decimals.saturating_sub(8)))?;
        let numerator = u128::from(flux_zats)
            .checked_mul(u128::from(share_ppm))?
            .checked_mul(scale)?;
        Some(ParallelShare { numerator })
    }

    /// The whole units and the remaining numerator of this share alone (without any carry).
    pub fn split(self, decimals: u8) -> ShareParts {
        let denominator = carry_denominator(decimals);
        ShareParts {
            units: self.numerator / denominator,
            remainder: self.numerator % denominator,
        }
    }
}

/// A [`ParallelShare`] split into whole units and what is left below one unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShareParts {
    /// Whole smallest units of the chain's token.
    pub units: u128,
    /// The rest, as a numerator over [`carry_denominator`] (always below it).
    pub remainder: u128,
}

/// Formats `units` of a token with `decimals` places as a decimal number with exactly
/// `decimals` fractional digits (`1234500000`, 8 → `12.34500000`).
pub fn format_units(units: u128, decimals: u8) -> String {
    if decimals == 0 {
        return units.to_string();
    }
    let scale = 10u128.pow(u32::from(decimals));
    format!(
        "{}.{:0width$}",
        units / scale,
        units % scale,
        width = usize::from(decimals)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn units(flux_zats: u64, share_ppm: u32, decimals: u8) -> (u128, u128) {
        let parts = ParallelShare::of(flux_zats, share_ppm, decimals)
            .unwrap()
            .split(decimals);
        (parts.units, parts.remainder)
    }

    #[test]
    fn fork_time_is_2021_03_27_utc() {
        // 51 years of 365 days plus 13 leap days to 2021-01-01, then 31 + 28 + 26 days.
        assert_eq!(FLUX_FORK_TIME.0, (51 * 365 + 13 + 31 + 28 + 26) * 86_400);
    }

    #[test]
    fn published_2022_rows() {
        let flux = |whole: u64, frac_zats: u64| whole * ZATS_PER_FLUX + frac_zats;
        // Cumulus 5.625, Nimbus 9.375, Stratus 22.5 FLUX: 10 % of each per chain, ten chains.
        for (paid, per_chain) in [
            (flux(5, 62_500_000), flux(0, 56_250_000)),
            (flux(9, 37_500_000), flux(0, 93_750_000)),
            (flux(22, 50_000_000), flux(2, 25_000_000)),
        ] {
            assert_eq!(units(paid, TEN_PERCENT_PPM, 8), (u128::from(per_chain), 0));
            assert_eq!(u128::from(per_chain) * 10, u128::from(paid));
        }
        // A 37.5 FLUX block: 3.75 per chain; three chains make the overview's 11.25.
        let (per_chain, carry) = units(flux(37, 50_000_000), TEN_PERCENT_PPM, 8);
        assert_eq!((per_chain, carry), (375_000_000, 0));
        assert_eq!(per_chain * 3, 1_125_000_000);
    }

    #[test]
    fn other_precisions_are_exact() {
        // 1 zatoshi at 10 %: a tenth of a zatoshi, i.e. 10^9 wei on an 18-decimal token.
        assert_eq!(units(1, TEN_PERCENT_PPM, 18), (1_000_000_000, 0));
        // On a 6-decimal token 1 zatoshi at 10 % is 0.001 units: all carry.
        assert_eq!(units(1, TEN_PERCENT_PPM, 6), (0, 100_000));
        assert_eq!(carry_denominator(6), 100_000_000);
        assert_eq!(units(1_000, TEN_PERCENT_PPM, 6), (1, 0));
        assert_eq!(units(7, TEN_PERCENT_PPM, 8), (0, 700_000));
        assert!(ParallelShare::of(1, 1, MAX_DECIMALS + 1).is_none());
        assert!(ParallelShare::of(MAX_EVENT_ZATS, PPM, MAX_DECIMALS).is_some());
    }

    #[test]
    fn formats_units() {
        assert_eq!(format_units(1_234_500_000, 8), "12.34500000");
        assert_eq!(format_units(5, 8), "0.00000005");
        assert_eq!(format_units(5, 0), "5");
    }
}
