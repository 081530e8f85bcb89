//! Flux nodes: tiers and their collateral by height, the monetary schedule and how each block's
//! subsidy is split between the miner (or the dev fund) and the three node tiers, and a reward
//! calculator with APR, all as fluxd computes them.
//!
//! ```
//! use flux_nodes::{RewardEstimate, Tier, reward_split};
//! use flux_pow::{BlockHeight, Network};
//!
//! // 2022: 75 FLUX blocks, half to the nodes.
//! let split = reward_split(Network::Mainnet, BlockHeight(1_100_000));
//! assert_eq!(split.tiers[0].to_string(), "5.625 FLUX"); // Cumulus
//!
//! let estimate = RewardEstimate::new(Network::Mainnet, Tier::Stratus, 871, BlockHeight(1_100_000))?;
//! assert_eq!(format!("{:.2}", estimate.apr_percent), "16.97");
//! # Ok::<(), flux_nodes::RewardError>(())
//! ```
//!
//! Titan staking pools (stakes pooled into Stratus nodes, exact pro-rata accrual) are in
//! [`titan`]; the deterministic fluxnode list, a pure state machine over blocks with exact undo, is
//! [`list`].

// The README's example runs as a doc test as well, so the page crates.io shows cannot go stale.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

pub mod calculator;
pub mod list;
pub mod subsidy;
pub mod supply;
pub mod tier;
pub mod titan;

pub use calculator::{RewardError, RewardEstimate};
pub use list::{BlockChanges, BlockUndo, FluxnodeList, ListError, NodeRecord, NodeStatus};
pub use subsidy::{
    FundPayout, RewardSplit, SubsidyParams, SwapPoolSchedule, block_subsidy, reward_split,
    tier_payout,
};
pub use tier::{Hardware, Tier, TierExt, TransitionWindow, UnknownTierError};
