//! Titan staking pools: holders too small or non-technical to run a node stake FLUX for a lock
//! term; an operator pools the stakes into Stratus nodes (40,000 FLUX collateral each,
//! `V2_FLUXNODE_COLLAT_STRATUS`, `fluxnode.h:57-63`), runs them, keeps a fee and shares the node
//! rewards among the stakers, block by block, exactly to the zatoshi.
//!
//! No daemon code defines Titan: it is an off-chain service. The public facts come from the Flux
//! overview of July 2022 (`shared/spec/titan_parallel.md`) and the Titan staking guide of the Flux
//! docs (`docs/fluxnodes/titan-node-staking.md`): a stake is at least 50 FLUX and at most
//! 10,000 FLUX, longer lock-ups earn a higher APR, "during lockup, collateral cannot be
//! withdrawn", rewards may be redeemed before the lock ends "as long as you have at least
//! 50 FLUX available" with "a small redeem fee" deducted, and an expired stake may be re-locked
//! with its rewards ("auto-reinvest"). `RunOnFlux/titan-node-manager-ui` is the operators' node
//! dashboard and defines none of the staking rules. Everything else below is a documented choice
//! of this crate.
//!
//! # Rules
//!
//! - **Stakes.** A stake has an id, an amount in `[min_stake, max_stake]` (50 and 10,000 FLUX by
//!   default), a [`LockTerm`] and a start height. Ids are unique within a pool.
//! - **Terms.** Each term has a length in blocks, an APR in basis points and a cap: the most
//!   principal the term accepts from stakes not yet matured or exited.
//! - **Lock.** A stake is locked for the blocks `[start, start + term.blocks)`; the lock runs
//!   from `start` whether or not its collateral is in a running node yet.
//! - **Nodes.** Locked stakes fill Stratus nodes in the order of their lock start, then of their
//!   id. Only full nodes run (a node cannot start below its collateral), so the collateral of a
//!   last node that is not yet full waits and earns nothing; a stake may straddle the last full
//!   node and the waiting one, and then only its part in the full node earns. When a stake
//!   leaves, the stakes behind it move up (the operator re-packs the nodes).
//! - **Accrual.** [`TitanPool::accrue_block`] takes the FLUX the pool's nodes received in one
//!   block. The operator keeps `floor(received * operator_fee_bps / 10_000)`; the rest, plus the
//!   carry (below), is shared among the stakes in running nodes in proportion to
//!   *earning amount × term APR*. With one term this is plain pro-rata by amount; with several,
//!   a term's APR is its weight: a 9 % term earns 9/6 of a 6 % term per FLUX. The pool never
//!   pays more than its nodes earn, so the advertised APRs are weights, not promises.
//! - **Remainder rule (largest remainder).** Each stake first gets the floor of its exact
//!   share; the zatoshis left over (fewer than the number of earning stakes) go one each to the
//!   stakes with the largest fractional parts, ties broken by the lower [`StakeId`]. Nothing is
//!   rounded away. Rewards that no stake can take (no stake in a running node, every earning
//!   term at 0 % APR, or rewards forfeited by an early exit) are the **carry**: they are added
//!   to the next block's distributable rewards. Hence, always,
//!   `stakers' rewards + operator fees + redeem fees + carry == rewards received`
//!   ([`Totals::is_conserved`]).
//! - **Maturity.** At the first accrued height `>= start + term.blocks` the stake leaves the
//!   nodes. Without auto-reinvest it is [`StakeStatus::Matured`]: its principal is released and
//!   its rewards stay redeemable. With auto-reinvest its rewards are added to its principal and
//!   it is locked again on the same term from its maturity height (the per-stake maximum and the
//!   term cap are checked at entry only, since the guide re-locks "collateral + rewards").
//! - **Redemption.** [`TitanPool::redeem_rewards`] pays out a stake's unredeemed rewards less
//!   the redeem fee (which goes to the operator). While the stake is locked the rewards must
//!   reach `redeem_minimum` (50 FLUX); after maturity or exit any amount may be redeemed.
//! - **Early exit.** By default ([`EarlyExit::Forbidden`], as the guide says) a locked stake
//!   cannot leave: [`TitanError::StillLocked`]. A pool may instead allow
//!   [`EarlyExit::ForfeitRewards`]: the principal is released at once and the unredeemed rewards
//!   are forfeited to the carry, so the remaining stakers share them in the next block. A stake
//!   whose start has not come yet may always be cancelled.
//!
//! ```
//! use flux_nodes::titan::{LockTerm, PoolParams, StakeId, StakeRequest, TitanError, TitanPool};
//! use flux_pow::BlockHeight;
//! use flux_tx::Amount;
//!
//! let flux = |n| Amount::from_flux(n).unwrap();
//! let terms = vec![
//!     LockTerm::new("3m", 259_200, 600, flux(1_000_000)),
//!     LockTerm::new("12m", 1_051_200, 900, flux(1_000_000)),
//! ];
//! let mut pool = TitanPool::new(PoolParams::titan(), terms)?;
//! for id in 1..=3 {
//!     pool.add_stake(StakeRequest::new(StakeId(id), flux(10_000), "3m", BlockHeight(100)))?;
//! }
//! pool.add_stake(StakeRequest::new(StakeId(4), flux(10_000), "12m", BlockHeight(100)))?;
//! // Below the 50 FLUX minimum: a typed error.
//! let small = StakeRequest::new(StakeId(5), flux(49), "3m", BlockHeight(100));
//! assert!(matches!(pool.add_stake(small), Err(TitanError::BelowMinimum { .. })));
//!
//! // One full Stratus node; it receives 9 FLUX in block 100.
//! let report = pool.accrue_block(BlockHeight(100), flux(9))?;
//! assert_eq!(report.running_nodes, 1);
//! assert_eq!(report.operator_fee, Amount::from_zat(90_000_000).unwrap()); // 10 %
//! // 8.1 FLUX shared by amount × APR: weights 6 : 6 : 6 : 9.
//! assert_eq!(pool.stake(StakeId(1)).unwrap().accrued, Amount::from_zat(180_000_000).unwrap());
//! assert_eq!(pool.stake(StakeId(4)).unwrap().accrued, Amount::from_zat(270_000_000).unwrap());
//! assert!(pool.totals().is_conserved());
//! # Ok::<(), flux_nodes::titan::TitanError>(())
//! ```

// One concept per file: `params` (a pool's rules, Titan's figures), `term` (lock terms), `stake`
// (a stake and its life), `error`, `pool` (the pool and how a stake joins it), `fill` (how
// stakes fill nodes), `shares` (the largest remainder rule), `accrual` (one block, in phases),
// `payouts` (redemptions and early exits), `books` (block reports and totals), `rotation` and
// `simulation` (paying and running a pool over many blocks), `file` (the JSON stakes file).
mod accrual;
mod books;
mod error;
#[cfg(feature = "serde")]
pub mod file;
mod fill;
mod params;
mod payouts;
mod pool;
mod rotation;
mod shares;
mod simulation;
mod stake;
pub mod stake_payment;
mod term;
#[cfg(test)]
mod tests;

pub use books::{BlockReport, Totals};
pub use error::TitanError;
pub use fill::{NodeFill, NodePart};
pub use params::{
    BPS_PER_UNIT, DEFAULT_OPERATOR_FEE_BPS, EarlyExit, MAX_APR_BPS, MAX_STAKE_FLUX, MIN_STAKE_FLUX,
    PoolParams, REDEEM_MINIMUM_FLUX,
};
pub use payouts::{Redemption, StakeExit};
pub use pool::TitanPool;
pub use rotation::StratusRotation;
pub use simulation::{PoolEvent, ScheduledEvent, SimulationReport};
pub use stake::{Stake, StakeId, StakeRequest, StakeStatus};
pub use term::LockTerm;
