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

use core::fmt;

use flux_pow::{BlockHeight, Network};
use flux_tx::Amount;

use crate::subsidy::tier_payout;
use crate::tier::{Tier, TierExt};

#[cfg(feature = "serde")]
pub mod file;

/// Basis points in one (100 %).
pub const BPS_PER_UNIT: u32 = 10_000;

/// The highest APR a term may have, in basis points (500 %). The bound keeps the weighted
/// shares within 128-bit arithmetic.
pub const MAX_APR_BPS: u32 = 50_000;

/// The smallest stake Titan accepts, in FLUX (Flux overview 2022; Titan staking guide).
pub const MIN_STAKE_FLUX: i64 = 50;

/// The largest single stake Titan accepts, in FLUX (Titan staking guide: "10,000 FLUX per
/// individual stake").
pub const MAX_STAKE_FLUX: i64 = 10_000;

/// The smallest reward balance that may be redeemed before maturity, in FLUX (Titan staking
/// guide).
pub const REDEEM_MINIMUM_FLUX: i64 = 50;

/// The operator fee of [`PoolParams::titan`], in basis points (10 %). Flux publishes no fee
/// figure, only the resulting APRs; this default is a choice.
pub const DEFAULT_OPERATOR_FEE_BPS: u32 = 1_000;

/// The identifier of a stake, unique within a pool. Ties of the remainder rule go to the lower
/// id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StakeId(pub u64);

impl fmt::Display for StakeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// What a locked stake may do before its maturity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EarlyExit {
    /// The collateral stays locked until maturity (the Titan staking guide).
    #[default]
    Forbidden,
    /// The principal is released at once; the unredeemed rewards are forfeited to the carry and
    /// shared among the remaining stakers in the next block.
    ForfeitRewards,
}

/// The rules of a pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolParams {
    /// The smallest stake.
    pub min_stake: Amount,
    /// The largest single stake.
    pub max_stake: Amount,
    /// The collateral of one node the pool runs (Stratus: 40,000 FLUX).
    pub node_collateral: Amount,
    /// The operator's share of the rewards received, in basis points (at most 10,000).
    pub operator_fee_bps: u32,
    /// The smallest reward balance a locked stake may redeem.
    pub redeem_minimum: Amount,
    /// The fee of one redemption (at most `redeem_minimum`); a smaller balance pays only what
    /// it has.
    pub redeem_fee: Amount,
    /// Whether a locked stake may leave early.
    pub early_exit: EarlyExit,
}

impl PoolParams {
    /// Titan's published rules: 50 to 10,000 FLUX per stake, Stratus nodes (40,000 FLUX),
    /// rewards redeemable from 50 FLUX, no early exit; plus this crate's choices of a 10 %
    /// operator fee ([`DEFAULT_OPERATOR_FEE_BPS`]) and no redeem fee (the guide only says
    /// "small").
    pub fn titan() -> PoolParams {
        let flux = |n: i64| Amount::from_flux(n).unwrap_or(Amount::ZERO);
        PoolParams {
            min_stake: flux(MIN_STAKE_FLUX),
            max_stake: flux(MAX_STAKE_FLUX),
            node_collateral: flux(Tier::Stratus.v2_collateral_flux()),
            operator_fee_bps: DEFAULT_OPERATOR_FEE_BPS,
            redeem_minimum: flux(REDEEM_MINIMUM_FLUX),
            redeem_fee: Amount::ZERO,
            early_exit: EarlyExit::Forbidden,
        }
    }
}

impl Default for PoolParams {
    fn default() -> PoolParams {
        PoolParams::titan()
    }
}

/// A lock term: how long stakes are locked, their APR (the weight of their share) and how much
/// principal the term accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockTerm {
    /// The term's name, e.g. `3m`; stake requests refer to it.
    pub name: String,
    /// The lock length in blocks (at least 1).
    pub blocks: u32,
    /// The APR in basis points (780 = 7.8 %), at most [`MAX_APR_BPS`].
    pub apr_bps: u32,
    /// The most principal the term holds at once from stakes not yet matured or exited.
    pub cap: Amount,
}

impl LockTerm {
    /// A term named `name` of `blocks` blocks at `apr_bps` basis points, holding at most `cap`.
    pub fn new(name: impl Into<String>, blocks: u32, apr_bps: u32, cap: Amount) -> LockTerm {
        LockTerm {
            name: name.into(),
            blocks,
            apr_bps,
            cap,
        }
    }
}

/// A request to stake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StakeRequest {
    /// The new stake's id.
    pub id: StakeId,
    /// The principal.
    pub amount: Amount,
    /// The name of the lock term.
    pub term: String,
    /// The first block the stake is locked in.
    pub start: BlockHeight,
    /// Whether to re-lock principal and rewards at maturity.
    pub auto_reinvest: bool,
}

impl StakeRequest {
    /// A request without auto-reinvest.
    pub fn new(
        id: StakeId,
        amount: Amount,
        term: impl Into<String>,
        start: BlockHeight,
    ) -> StakeRequest {
        StakeRequest {
            id,
            amount,
            term: term.into(),
            start,
            auto_reinvest: false,
        }
    }

    /// The same request with auto-reinvest on or off.
    pub fn with_auto_reinvest(mut self, auto_reinvest: bool) -> StakeRequest {
        self.auto_reinvest = auto_reinvest;
        self
    }
}

/// Where a stake is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StakeStatus {
    /// Registered; its start height has not been accrued yet.
    Waiting,
    /// Locked in the pool.
    Locked,
    /// The lock ended at this height; the principal is released.
    Matured {
        /// The first height after the lock.
        at: BlockHeight,
    },
    /// Left before maturity (or cancelled before its start) at this height.
    Exited {
        /// The height of the exit.
        at: BlockHeight,
    },
}

/// A stake and its rewards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stake {
    /// The stake's id.
    pub id: StakeId,
    /// The index of its term in [`TitanPool::terms`].
    pub term: usize,
    /// The principal as staked.
    pub initial: Amount,
    /// The principal now (the initial one plus reinvested rewards).
    pub principal: Amount,
    /// The first block of the current lock.
    pub lock_start: BlockHeight,
    /// The first block after the current lock.
    pub maturity: BlockHeight,
    /// Whether principal and rewards re-lock at maturity.
    pub auto_reinvest: bool,
    /// Rewards accrued and not yet redeemed, reinvested or forfeited.
    pub accrued: Amount,
    /// Rewards paid out by redemptions, net of redeem fees.
    pub redeemed: Amount,
    /// Redeem fees paid.
    pub redeem_fees: Amount,
    /// Rewards added to the principal at maturity.
    pub reinvested: Amount,
    /// Rewards forfeited by an early exit.
    pub forfeited: Amount,
    /// Blocks in which some of the stake's principal was in a running node.
    pub earning_blocks: u64,
    /// Where the stake is in its life.
    pub status: StakeStatus,
}

impl Stake {
    /// Everything the staker has earned and kept: accrued + redeemed + reinvested (redeem fees
    /// and forfeits excluded), or `None` above `MAX_MONEY`.
    pub fn earned(&self) -> Option<Amount> {
        Amount::checked_sum([self.accrued, self.redeemed, self.reinvested])
    }

    /// Whether the stake is in the pool (locked).
    pub fn is_locked(&self) -> bool {
        self.status == StakeStatus::Locked
    }

    /// Whether accruing `height` starts or matures the stake.
    fn is_due(&self, height: BlockHeight) -> bool {
        match self.status {
            StakeStatus::Waiting => self.lock_start <= height,
            StakeStatus::Locked => self.maturity <= height,
            StakeStatus::Matured { .. } | StakeStatus::Exited { .. } => false,
        }
    }
}

/// Why a pool, a stake or an event was refused. The pool is unchanged after any error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TitanError {
    /// The stake is below the pool's minimum.
    #[error("stake {id}: {amount} is below the {minimum} minimum; stake at least {minimum}")]
    BelowMinimum {
        /// The stake.
        id: StakeId,
        /// The amount asked.
        amount: Amount,
        /// The minimum.
        minimum: Amount,
    },
    /// The stake is above the per-stake maximum.
    #[error(
        "stake {id}: {amount} is above the {maximum} maximum per stake; split it into several stakes"
    )]
    AboveMaximum {
        /// The stake.
        id: StakeId,
        /// The amount asked.
        amount: Amount,
        /// The maximum.
        maximum: Amount,
    },
    /// The stake names a term the pool does not have.
    #[error("stake {id}: unknown lock term {term:?}; the pool's terms are: {known}")]
    UnknownTerm {
        /// The stake.
        id: StakeId,
        /// The name given.
        term: String,
        /// The pool's term names, comma-separated.
        known: String,
    },
    /// The term has no room for the stake.
    #[error(
        "stake {id}: term {term:?} holds {committed} of its {cap} cap, no room for {amount}; \
         stake less or choose another term"
    )]
    TermCapExceeded {
        /// The stake.
        id: StakeId,
        /// The term.
        term: String,
        /// The term's cap.
        cap: Amount,
        /// Principal already committed to the term.
        committed: Amount,
        /// The amount asked.
        amount: Amount,
    },
    /// Another stake has this id.
    #[error("stake {0}: the id is already used in this pool; give each stake its own id")]
    DuplicateStake(StakeId),
    /// No stake has this id.
    #[error("stake {0}: no such stake in this pool")]
    UnknownStake(StakeId),
    /// Two terms have the same name.
    #[error("lock term {0:?} is defined twice; give each term its own name")]
    DuplicateTerm(String),
    /// A term has no blocks.
    #[error("lock term {0:?} lasts 0 blocks; a term must last at least 1 block")]
    EmptyTerm(String),
    /// A term's APR is above [`MAX_APR_BPS`].
    #[error("lock term {name:?}: APR of {apr_bps} basis points is above the 50000 (500 %) limit")]
    AprOutOfRange {
        /// The term.
        name: String,
        /// The APR given.
        apr_bps: u32,
    },
    /// The operator fee is above 100 %.
    #[error("operator fee of {0} basis points is above 10000 (100 %)")]
    FeeOutOfRange(u32),
    /// The pool's parameters contradict each other.
    #[error("pool parameters: {0}")]
    InvalidParams(&'static str),
    /// A height was accrued twice or out of order.
    #[error("height {given} is not after the last accrued height {last}; accrue blocks in order")]
    HeightNotIncreasing {
        /// The last accrued height.
        last: BlockHeight,
        /// The height given.
        given: BlockHeight,
    },
    /// A stake starts at or before a height already accrued.
    #[error(
        "stake {id}: start height {start} is not after the last accrued height {last}; \
         stakes can only join in a later block"
    )]
    StartInPast {
        /// The stake.
        id: StakeId,
        /// Its start.
        start: BlockHeight,
        /// The last accrued height.
        last: BlockHeight,
    },
    /// A locked stake tried to redeem less than the minimum.
    #[error(
        "stake {id}: {available} of rewards is below the {minimum} needed to redeem before \
         maturity; wait until more accrue or the stake matures"
    )]
    RedeemBelowMinimum {
        /// The stake.
        id: StakeId,
        /// Its unredeemed rewards.
        available: Amount,
        /// The minimum.
        minimum: Amount,
    },
    /// Early exit is forbidden and the stake is locked.
    #[error(
        "stake {id}: locked until height {maturity}; Titan collateral cannot be withdrawn \
         during its lock (a pool must allow early exit with forfeited rewards)"
    )]
    StillLocked {
        /// The stake.
        id: StakeId,
        /// Its maturity.
        maturity: BlockHeight,
    },
    /// The stake already matured or exited.
    #[error("stake {0}: already matured or exited; nothing to exit")]
    NotLocked(StakeId),
    /// A sum or product left the range of FLUX amounts.
    #[error("{0} would exceed the 440,000,000 FLUX money range")]
    Overflow(&'static str),
}

/// What one block did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockReport {
    /// The height.
    pub height: BlockHeight,
    /// Full nodes in the pool during the block.
    pub running_nodes: u32,
    /// What the nodes received.
    pub received: Amount,
    /// The operator's fee out of it.
    pub operator_fee: Amount,
    /// What the stakers received this block (including carry brought in).
    pub distributed: Amount,
    /// The carry left for the next block.
    pub carry: Amount,
}

/// The pool's running totals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Totals {
    /// Rewards the nodes received.
    pub received: Amount,
    /// Rewards the stakers earned and kept (sum of [`Stake::earned`]).
    pub to_stakers: Amount,
    /// Operator fees on rewards.
    pub operator_fees: Amount,
    /// Redeem fees.
    pub redeem_fees: Amount,
    /// Rewards carried to the next block.
    pub carry: Amount,
}

impl Totals {
    /// `to_stakers + operator_fees + redeem_fees + carry == received`: no zatoshi created or
    /// lost.
    pub fn is_conserved(&self) -> bool {
        Amount::checked_sum([
            self.to_stakers,
            self.operator_fees,
            self.redeem_fees,
            self.carry,
        ]) == Some(self.received)
    }
}

/// One node of the pool and the stakes in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeFill {
    /// 0-based node index in fill order.
    pub index: u32,
    /// Collateral in the node.
    pub collateral: Amount,
    /// Whether it holds the full node collateral (and so runs).
    pub full: bool,
    /// The stakes' parts in it, in fill order.
    pub stakes: Vec<(StakeId, Amount)>,
}

/// A redemption's result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Redemption {
    /// What the staker receives.
    pub paid: Amount,
    /// The redeem fee kept by the operator.
    pub fee: Amount,
}

/// A Titan pool: its terms, its stakes and its books.
#[derive(Debug, Clone)]
pub struct TitanPool {
    params: PoolParams,
    terms: Vec<LockTerm>,
    /// Stakes in fill order: lock start, then id.
    stakes: Vec<Stake>,
    last_height: Option<BlockHeight>,
    received: Amount,
    operator_fees: Amount,
    redeem_fees: Amount,
    carry: Amount,
}

fn overflow(what: &'static str) -> TitanError {
    TitanError::Overflow(what)
}

fn zat_u128(amount: Amount) -> u128 {
    // Amounts are never negative.
    u128::try_from(amount.zat()).unwrap_or(0)
}

fn amount_from_u128(zat: u128, what: &'static str) -> Result<Amount, TitanError> {
    i64::try_from(zat)
        .ok()
        .and_then(Amount::from_zat)
        .ok_or(overflow(what))
}

impl TitanPool {
    /// A pool with `params` and `terms`.
    ///
    /// # Errors
    ///
    /// [`TitanError::FeeOutOfRange`], [`TitanError::InvalidParams`] (a zero node collateral, a
    /// minimum above the maximum, a redeem fee above the redeem minimum),
    /// [`TitanError::DuplicateTerm`], [`TitanError::EmptyTerm`] or
    /// [`TitanError::AprOutOfRange`].
    pub fn new(params: PoolParams, terms: Vec<LockTerm>) -> Result<TitanPool, TitanError> {
        if params.operator_fee_bps > BPS_PER_UNIT {
            return Err(TitanError::FeeOutOfRange(params.operator_fee_bps));
        }
        if params.node_collateral == Amount::ZERO {
            return Err(TitanError::InvalidParams(
                "the node collateral must be above 0",
            ));
        }
        if params.min_stake > params.max_stake {
            return Err(TitanError::InvalidParams(
                "the minimum stake is above the maximum stake",
            ));
        }
        if params.redeem_fee > params.redeem_minimum {
            return Err(TitanError::InvalidParams(
                "the redeem fee is above the redeem minimum",
            ));
        }
        for (index, term) in terms.iter().enumerate() {
            if terms[..index].iter().any(|t| t.name == term.name) {
                return Err(TitanError::DuplicateTerm(term.name.clone()));
            }
            if term.blocks == 0 {
                return Err(TitanError::EmptyTerm(term.name.clone()));
            }
            if term.apr_bps > MAX_APR_BPS {
                return Err(TitanError::AprOutOfRange {
                    name: term.name.clone(),
                    apr_bps: term.apr_bps,
                });
            }
        }
        Ok(TitanPool {
            params,
            terms,
            stakes: Vec::new(),
            last_height: None,
            received: Amount::ZERO,
            operator_fees: Amount::ZERO,
            redeem_fees: Amount::ZERO,
            carry: Amount::ZERO,
        })
    }

    /// The pool's rules.
    pub fn params(&self) -> &PoolParams {
        &self.params
    }

    /// The lock terms.
    pub fn terms(&self) -> &[LockTerm] {
        &self.terms
    }

    /// The term of a stake.
    pub fn term_of(&self, stake: &Stake) -> Option<&LockTerm> {
        self.terms.get(stake.term)
    }

    /// All stakes, in fill order (lock start, then id).
    pub fn stakes(&self) -> &[Stake] {
        &self.stakes
    }

    /// The stake with `id`.
    pub fn stake(&self, id: StakeId) -> Option<&Stake> {
        self.stakes.iter().find(|stake| stake.id == id)
    }

    /// The last height accrued.
    pub fn last_height(&self) -> Option<BlockHeight> {
        self.last_height
    }

    /// The carry waiting for the next block.
    pub fn carry(&self) -> Amount {
        self.carry
    }

    /// The running totals.
    ///
    /// Saturates `to_stakers` at `MAX_MONEY`, which cannot be reached: every reward comes out
    /// of `received`, itself within range.
    pub fn totals(&self) -> Totals {
        let to_stakers = self
            .stakes
            .iter()
            .try_fold(Amount::ZERO, |sum, stake| {
                stake.earned().and_then(|earned| sum.checked_add(earned))
            })
            .unwrap_or(Amount::MAX);
        Totals {
            received: self.received,
            to_stakers,
            operator_fees: self.operator_fees,
            redeem_fees: self.redeem_fees,
            carry: self.carry,
        }
    }

    /// Registers a stake; it joins the pool when its start height is accrued.
    ///
    /// # Errors
    ///
    /// [`TitanError::BelowMinimum`], [`TitanError::AboveMaximum`],
    /// [`TitanError::UnknownTerm`], [`TitanError::TermCapExceeded`],
    /// [`TitanError::DuplicateStake`], [`TitanError::StartInPast`] (at or before the last
    /// accrued height) or [`TitanError::Overflow`] (the lock would end past the last height).
    pub fn add_stake(&mut self, request: StakeRequest) -> Result<StakeId, TitanError> {
        let StakeRequest {
            id,
            amount,
            term,
            start,
            auto_reinvest,
        } = request;
        if amount < self.params.min_stake {
            return Err(TitanError::BelowMinimum {
                id,
                amount,
                minimum: self.params.min_stake,
            });
        }
        if amount > self.params.max_stake {
            return Err(TitanError::AboveMaximum {
                id,
                amount,
                maximum: self.params.max_stake,
            });
        }
        let Some(term_index) = self.terms.iter().position(|t| t.name == term) else {
            let known = self
                .terms
                .iter()
                .map(|t| t.name.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            return Err(TitanError::UnknownTerm { id, term, known });
        };
        if self.stake(id).is_some() {
            return Err(TitanError::DuplicateStake(id));
        }
        if let Some(last) = self.last_height
            && start <= last
        {
            return Err(TitanError::StartInPast { id, start, last });
        }
        let lock = &self.terms[term_index];
        let committed = Amount::checked_sum(
            self.stakes
                .iter()
                .filter(|s| {
                    s.term == term_index
                        && matches!(s.status, StakeStatus::Waiting | StakeStatus::Locked)
                })
                .map(|s| s.principal),
        )
        .ok_or(overflow("the term's committed principal"))?;
        if committed
            .checked_add(amount)
            .is_none_or(|total| total > lock.cap)
        {
            return Err(TitanError::TermCapExceeded {
                id,
                term,
                cap: lock.cap,
                committed,
                amount,
            });
        }
        let maturity = start
            .0
            .checked_add(lock.blocks)
            .map(BlockHeight)
            .ok_or(overflow("the maturity height"))?;
        let stake = Stake {
            id,
            term: term_index,
            initial: amount,
            principal: amount,
            lock_start: start,
            maturity,
            auto_reinvest,
            accrued: Amount::ZERO,
            redeemed: Amount::ZERO,
            redeem_fees: Amount::ZERO,
            reinvested: Amount::ZERO,
            forfeited: Amount::ZERO,
            earning_blocks: 0,
            status: StakeStatus::Waiting,
        };
        let at = self
            .stakes
            .partition_point(|s| (s.lock_start, s.id) < (start, id));
        self.stakes.insert(at, stake);
        Ok(id)
    }

    /// How each locked stake's principal sits in the nodes: `(index, earning part)` in fill
    /// order, plus the number of full nodes.
    fn fill(&self) -> Result<(Vec<(usize, Amount)>, u32), TitanError> {
        let collateral = zat_u128(self.params.node_collateral);
        let locked: u128 = self
            .stakes
            .iter()
            .filter(|s| s.is_locked())
            .map(|s| zat_u128(s.principal))
            .sum();
        let nodes = locked / collateral.max(1);
        let running = nodes * collateral;
        let mut before: u128 = 0;
        let mut parts = Vec::new();
        for (index, stake) in self.stakes.iter().enumerate() {
            if !stake.is_locked() {
                continue;
            }
            let principal = zat_u128(stake.principal);
            let earning = running.saturating_sub(before).min(principal);
            before += principal;
            parts.push((index, amount_from_u128(earning, "an earning part")?));
        }
        let nodes = u32::try_from(nodes).map_err(|_| overflow("the node count"))?;
        Ok((parts, nodes))
    }

    /// The nodes the locked stakes fill now (after the last accrued block's maturities and
    /// starts); the last one may not be full.
    pub fn nodes(&self) -> Vec<NodeFill> {
        let collateral = zat_u128(self.params.node_collateral).max(1);
        let mut nodes: Vec<NodeFill> = Vec::new();
        let mut room: u128 = 0;
        for stake in self.stakes.iter().filter(|s| s.is_locked()) {
            let mut left = zat_u128(stake.principal);
            while left > 0 {
                if room == 0 {
                    let index = u32::try_from(nodes.len()).unwrap_or(u32::MAX);
                    nodes.push(NodeFill {
                        index,
                        collateral: Amount::ZERO,
                        full: false,
                        stakes: Vec::new(),
                    });
                    room = collateral;
                }
                let part = left.min(room);
                left -= part;
                room -= part;
                if let Some(node) = nodes.last_mut() {
                    let part = amount_from_u128(part, "a node part").unwrap_or(Amount::MAX);
                    node.collateral = node.collateral.checked_add(part).unwrap_or(Amount::MAX);
                    node.full = room == 0;
                    node.stakes.push((stake.id, part));
                }
            }
        }
        nodes
    }

    /// The number of full (running) nodes now.
    pub fn running_nodes(&self) -> u32 {
        self.fill().map_or(0, |(_, nodes)| nodes)
    }

    /// Starts and matures the stakes for `height`.
    fn transition(&mut self, height: BlockHeight) -> Result<(), TitanError> {
        // Check first so that an error leaves the stakes unchanged.
        for stake in &self.stakes {
            let due = matches!(stake.status, StakeStatus::Waiting | StakeStatus::Locked)
                && stake.maturity <= height;
            if due
                && stake.auto_reinvest
                && (stake.principal.checked_add(stake.accrued).is_none()
                    || stake.reinvested.checked_add(stake.accrued).is_none())
            {
                return Err(overflow("a reinvested principal"));
            }
        }
        let mut reordered = false;
        for stake in &mut self.stakes {
            if stake.status == StakeStatus::Waiting && stake.lock_start <= height {
                stake.status = StakeStatus::Locked;
            }
            if stake.status != StakeStatus::Locked || stake.maturity > height {
                continue;
            }
            let blocks = self.terms.get(stake.term).map_or(1, |t| t.blocks.max(1));
            if stake.auto_reinvest {
                // Re-lock for every whole term that passed, counted from the old maturity;
                // rewards accrue in accrued blocks only, so they are reinvested once.
                let periods = (height.0 - stake.maturity.0) / blocks;
                let lock_start = stake.maturity.0 + periods * blocks;
                let Some(maturity) = lock_start.checked_add(blocks) else {
                    stake.status = StakeStatus::Matured { at: stake.maturity };
                    continue;
                };
                stake.principal = stake
                    .principal
                    .checked_add(stake.accrued)
                    .unwrap_or(stake.principal);
                stake.reinvested = stake
                    .reinvested
                    .checked_add(stake.accrued)
                    .unwrap_or(stake.reinvested);
                stake.accrued = Amount::ZERO;
                stake.lock_start = BlockHeight(lock_start);
                stake.maturity = BlockHeight(maturity);
                reordered = true;
            } else {
                stake.status = StakeStatus::Matured { at: stake.maturity };
            }
        }
        if reordered {
            self.stakes.sort_by_key(|s| (s.lock_start, s.id));
        }
        Ok(())
    }

    /// Accrues one block in which the pool's nodes received `received`. See
    /// [`TitanPool::accrue_with`].
    ///
    /// # Errors
    ///
    /// As [`TitanPool::accrue_with`].
    pub fn accrue_block(
        &mut self,
        height: BlockHeight,
        received: Amount,
    ) -> Result<BlockReport, TitanError> {
        self.accrue_with(height, |_| received)
    }

    /// Accrues one block: starts and matures the stakes due at `height`, asks `rewards` what the
    /// pool's running nodes (their number is its argument) received, takes the operator fee and
    /// shares the rest plus the carry among the stakes in running nodes by the largest
    /// remainder rule (module docs).
    ///
    /// # Errors
    ///
    /// [`TitanError::HeightNotIncreasing`] when `height` is not after the last accrued one, or
    /// [`TitanError::Overflow`] when the total received would exceed `MAX_MONEY`.
    pub fn accrue_with(
        &mut self,
        height: BlockHeight,
        rewards: impl FnOnce(u32) -> Amount,
    ) -> Result<BlockReport, TitanError> {
        if let Some(last) = self.last_height
            && height <= last
        {
            return Err(TitanError::HeightNotIncreasing {
                last,
                given: height,
            });
        }
        // Starts and maturities are the only changes made before the fallible steps; keep the
        // stakes to restore them when a later step fails (rare: only when some are due).
        let due = self.stakes.iter().any(|s| s.is_due(height));
        let backup = due.then(|| self.stakes.clone());
        let result = self.accrue_inner(height, rewards);
        if result.is_err()
            && let Some(stakes) = backup
        {
            self.stakes = stakes;
        }
        result
    }

    fn accrue_inner(
        &mut self,
        height: BlockHeight,
        rewards: impl FnOnce(u32) -> Amount,
    ) -> Result<BlockReport, TitanError> {
        self.transition(height)?;
        let (parts, running_nodes) = self.fill()?;
        let received = rewards(running_nodes);
        let total_received = self
            .received
            .checked_add(received)
            .ok_or(overflow("the pool's total rewards"))?;
        let operator_fee = amount_from_u128(
            zat_u128(received) * u128::from(self.params.operator_fee_bps)
                / u128::from(BPS_PER_UNIT),
            "the operator fee",
        )?;
        let operator_fees = self
            .operator_fees
            .checked_add(operator_fee)
            .ok_or(overflow("the operator fees"))?;
        let distributable = received
            .checked_sub(operator_fee)
            .and_then(|net| net.checked_add(self.carry))
            .ok_or(overflow("the distributable rewards"))?;

        let mut weighted = Vec::with_capacity(parts.len());
        for &(index, earning) in &parts {
            let stake = &self.stakes[index];
            let apr = self.terms.get(stake.term).map_or(0, |t| t.apr_bps);
            let weight = zat_u128(earning) * u128::from(apr);
            if weight > 0 {
                weighted.push((index, stake.id, weight));
            }
        }
        let shares = largest_remainder(zat_u128(distributable), &weighted)?;
        let mut distributed = Amount::ZERO;
        let mut accrued = Vec::with_capacity(shares.len());
        for (&(index, _, _), share) in weighted.iter().zip(shares) {
            let share = amount_from_u128(share, "a stake's share")?;
            let total = self.stakes[index]
                .accrued
                .checked_add(share)
                .ok_or(overflow("a stake's rewards"))?;
            accrued.push((index, total));
            distributed = distributed
                .checked_add(share)
                .ok_or(overflow("the distributed rewards"))?;
        }
        let carry = distributable
            .checked_sub(distributed)
            .ok_or(overflow("the carry"))?;

        // Commit: nothing below can fail.
        for (index, total) in accrued {
            self.stakes[index].accrued = total;
        }
        for &(index, earning) in &parts {
            if earning > Amount::ZERO {
                let stake = &mut self.stakes[index];
                stake.earning_blocks = stake.earning_blocks.saturating_add(1);
            }
        }
        self.carry = carry;
        self.received = total_received;
        self.operator_fees = operator_fees;
        self.last_height = Some(height);
        Ok(BlockReport {
            height,
            running_nodes,
            received,
            operator_fee,
            distributed,
            carry,
        })
    }

    /// Pays out a stake's unredeemed rewards less the redeem fee.
    ///
    /// # Errors
    ///
    /// [`TitanError::UnknownStake`], or [`TitanError::RedeemBelowMinimum`] when the stake is
    /// locked (or waiting) and its rewards are below `redeem_minimum`.
    pub fn redeem_rewards(&mut self, id: StakeId) -> Result<Redemption, TitanError> {
        let minimum = self.params.redeem_minimum;
        let fee_rule = self.params.redeem_fee;
        let stake = self
            .stakes
            .iter()
            .find(|s| s.id == id)
            .ok_or(TitanError::UnknownStake(id))?;
        let available = stake.accrued;
        if matches!(stake.status, StakeStatus::Waiting | StakeStatus::Locked) && available < minimum
        {
            return Err(TitanError::RedeemBelowMinimum {
                id,
                available,
                minimum,
            });
        }
        let fee = fee_rule.min(available);
        let paid = available.checked_sub(fee).ok_or(overflow("a redemption"))?;
        let redeemed = stake
            .redeemed
            .checked_add(paid)
            .ok_or(overflow("redeemed rewards"))?;
        let stake_fees = stake
            .redeem_fees
            .checked_add(fee)
            .ok_or(overflow("redeem fees"))?;
        let pool_fees = self
            .redeem_fees
            .checked_add(fee)
            .ok_or(overflow("redeem fees"))?;
        if let Some(stake) = self.stakes.iter_mut().find(|s| s.id == id) {
            stake.accrued = Amount::ZERO;
            stake.redeemed = redeemed;
            stake.redeem_fees = stake_fees;
        }
        self.redeem_fees = pool_fees;
        Ok(Redemption { paid, fee })
    }

    /// Takes a stake out before maturity, after the block at `at` (a stake still waiting is
    /// cancelled). Returns the principal released and the rewards forfeited to the carry.
    ///
    /// # Errors
    ///
    /// [`TitanError::UnknownStake`], [`TitanError::NotLocked`] for a stake already matured or
    /// exited, [`TitanError::StillLocked`] for a locked stake when early exit is forbidden.
    pub fn exit_early(
        &mut self,
        id: StakeId,
        at: BlockHeight,
    ) -> Result<(Amount, Amount), TitanError> {
        let policy = self.params.early_exit;
        let stake = self
            .stakes
            .iter()
            .find(|s| s.id == id)
            .ok_or(TitanError::UnknownStake(id))?;
        match stake.status {
            StakeStatus::Matured { .. } | StakeStatus::Exited { .. } => {
                return Err(TitanError::NotLocked(id));
            }
            StakeStatus::Locked if policy == EarlyExit::Forbidden => {
                return Err(TitanError::StillLocked {
                    id,
                    maturity: stake.maturity,
                });
            }
            StakeStatus::Waiting | StakeStatus::Locked => {}
        }
        let forfeited = stake.accrued;
        let carry = self
            .carry
            .checked_add(forfeited)
            .ok_or(overflow("the carry"))?;
        let total_forfeited = stake
            .forfeited
            .checked_add(forfeited)
            .ok_or(overflow("forfeited rewards"))?;
        let principal = stake.principal;
        if let Some(stake) = self.stakes.iter_mut().find(|s| s.id == id) {
            stake.accrued = Amount::ZERO;
            stake.forfeited = total_forfeited;
            stake.status = StakeStatus::Exited { at };
        }
        self.carry = carry;
        Ok((principal, forfeited))
    }
}

/// Shares `total` in proportion to the weights: the floor of each exact share, then one more
/// zatoshi each to the largest fractional parts, ties to the lower stake id. The shares add up
/// to `total` exactly (to nothing when there are no weights).
fn largest_remainder(
    total: u128,
    weighted: &[(usize, StakeId, u128)],
) -> Result<Vec<u128>, TitanError> {
    let sum: u128 = weighted
        .iter()
        .try_fold(0u128, |sum, &(_, _, w)| sum.checked_add(w))
        .ok_or(overflow("the pool's weights"))?;
    if sum == 0 {
        return Ok(Vec::new());
    }
    let mut shares = Vec::with_capacity(weighted.len());
    let mut fractions = Vec::with_capacity(weighted.len());
    let mut handed_out: u128 = 0;
    for (position, &(_, id, weight)) in weighted.iter().enumerate() {
        let exact = total
            .checked_mul(weight)
            .ok_or(overflow("a weighted share"))?;
        shares.push(exact / sum);
        handed_out += exact / sum;
        fractions.push((exact % sum, id, position));
    }
    let left = usize::try_from(total - handed_out).map_err(|_| overflow("the remainder"))?;
    if left > 0 {
        let key = |&(fraction, id, _): &(u128, StakeId, usize)| (core::cmp::Reverse(fraction), id);
        if left < fractions.len() {
            fractions.select_nth_unstable_by_key(left - 1, key);
        }
        for &(_, _, position) in fractions.iter().take(left) {
            shares[position] += 1;
        }
    }
    Ok(shares)
}

/// What the pool's nodes receive when Stratus nodes are paid in turn, as fluxd pays each tier's
/// payee once per round (`fluxnode/fluxnode.cpp` payment order): with `network_nodes` Stratus
/// nodes on the network, the pool's node `k` (0-based) is paid the tier's payout
/// ([`tier_payout`]) in the blocks where `height % network_nodes == k % network_nodes`. A
/// simplification: the real queue orders nodes by their last payment, not by index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StratusRotation {
    /// The network whose schedule pays.
    pub network: Network,
    /// Stratus nodes on the network (at least 1; the pool's own are among them).
    pub network_nodes: u32,
}

impl StratusRotation {
    /// What `running_nodes` pool nodes receive at `height`, or `None` above `MAX_MONEY`.
    pub fn rewards(&self, height: BlockHeight, running_nodes: u32) -> Option<Amount> {
        let round = self.network_nodes.max(1);
        let paid = running_nodes / round + u32::from(height.0 % round < running_nodes % round);
        tier_payout(self.network, height, Tier::Stratus).checked_mul(i64::from(paid))
    }
}

/// An event applied after the block at its height.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolEvent {
    /// [`TitanPool::redeem_rewards`].
    Redeem(StakeId),
    /// [`TitanPool::exit_early`].
    Exit(StakeId),
}

/// What a simulation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimulationReport {
    /// The first height simulated.
    pub from: BlockHeight,
    /// The last height simulated.
    pub to: BlockHeight,
    /// Blocks in which the pool's nodes received something.
    pub paid_blocks: u64,
    /// Full nodes at the end.
    pub running_nodes: u32,
    /// The totals at the end.
    pub totals: Totals,
}

impl TitanPool {
    /// Accrues `blocks` blocks from `from` on, paid by `rotation`, applying each of `events`
    /// (`(height, event)`, in the order given within a height) after the block at its height.
    /// Events outside the simulated heights are ignored.
    ///
    /// # Errors
    ///
    /// The first error of [`TitanPool::accrue_with`], [`TitanPool::redeem_rewards`] or
    /// [`TitanPool::exit_early`]; the blocks before it stay accrued.
    pub fn simulate(
        &mut self,
        from: BlockHeight,
        blocks: u32,
        rotation: StratusRotation,
        events: &[(BlockHeight, PoolEvent)],
    ) -> Result<SimulationReport, TitanError> {
        let mut events: Vec<(BlockHeight, PoolEvent)> = events.to_vec();
        events.sort_by_key(|&(height, _)| height);
        let mut pending = events.iter().peekable();
        let mut paid_blocks = 0;
        let mut to = from;
        for offset in 0..blocks {
            let height = from
                .0
                .checked_add(offset)
                .map(BlockHeight)
                .ok_or(overflow("the simulated height"))?;
            let mut pay_error = false;
            let report = self.accrue_with(height, |nodes| {
                rotation.rewards(height, nodes).unwrap_or_else(|| {
                    pay_error = true;
                    Amount::ZERO
                })
            })?;
            if pay_error {
                return Err(overflow("a block's rewards"));
            }
            if report.received > Amount::ZERO {
                paid_blocks += 1;
            }
            while let Some(&&(at, event)) = pending.peek() {
                if at > height {
                    break;
                }
                pending.next();
                if at < height {
                    continue;
                }
                match event {
                    PoolEvent::Redeem(id) => {
                        self.redeem_rewards(id)?;
                    }
                    PoolEvent::Exit(id) => {
                        self.exit_early(id, at)?;
                    }
                }
            }
            to = height;
        }
        Ok(SimulationReport {
            from,
            to,
            paid_blocks,
            running_nodes: self.running_nodes(),
            totals: self.totals(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flux(n: i64) -> Amount {
        Amount::from_flux(n).unwrap()
    }

    fn zat(n: i64) -> Amount {
        Amount::from_zat(n).unwrap()
    }

    fn pool(params: PoolParams) -> TitanPool {
        TitanPool::new(
            params,
            vec![
                LockTerm::new("1m", 10, 600, flux(1_000_000)),
                LockTerm::new("3m", 30, 900, flux(1_000_000)),
                LockTerm::new("small", 10, 600, flux(100)),
            ],
        )
        .unwrap()
    }

    fn request(id: u64, amount: Amount, term: &str, start: u32) -> StakeRequest {
        StakeRequest::new(StakeId(id), amount, term, BlockHeight(start))
    }

    /// Four full 10,000 FLUX stakes: one node.
    fn one_node(params: PoolParams) -> TitanPool {
        let mut pool = pool(params);
        for id in 1..=4 {
            pool.add_stake(request(id, flux(10_000), "1m", 1)).unwrap();
        }
        pool
    }

    #[test]
    fn bad_stakes_get_typed_actionable_errors() {
        let mut pool = pool(PoolParams::titan());
        let low = pool.add_stake(request(1, zat(4_999_999_999), "1m", 1));
        let error = low.unwrap_err();
        assert!(matches!(error, TitanError::BelowMinimum { .. }));
        assert_eq!(
            error.to_string(),
            "stake 1: 49.99999999 FLUX is below the 50.0 FLUX minimum; stake at least 50.0 FLUX"
        );
        assert!(matches!(
            pool.add_stake(request(1, flux(10_001), "1m", 1)),
            Err(TitanError::AboveMaximum { .. })
        ));
        let unknown = pool.add_stake(request(1, flux(50), "2y", 1)).unwrap_err();
        assert_eq!(
            unknown.to_string(),
            "stake 1: unknown lock term \"2y\"; the pool's terms are: 1m, 3m, small"
        );
        pool.add_stake(request(1, flux(60), "small", 1)).unwrap();
        assert!(matches!(
            pool.add_stake(request(2, flux(50), "small", 1)),
            Err(TitanError::TermCapExceeded { .. })
        ));
        assert_eq!(
            pool.add_stake(request(1, flux(50), "1m", 1)),
            Err(TitanError::DuplicateStake(StakeId(1)))
        );
        let late = request(3, flux(50), "1m", u32::MAX - 3);
        assert_eq!(
            pool.add_stake(late),
            Err(TitanError::Overflow("the maturity height"))
        );
        pool.accrue_block(BlockHeight(5), Amount::ZERO).unwrap();
        assert!(matches!(
            pool.add_stake(request(4, flux(50), "1m", 5)),
            Err(TitanError::StartInPast { .. })
        ));
        assert!(matches!(
            pool.accrue_block(BlockHeight(5), Amount::ZERO),
            Err(TitanError::HeightNotIncreasing { .. })
        ));
    }

    #[test]
    fn bad_pools_are_refused() {
        let term = |name: &str, blocks, apr| LockTerm::new(name, blocks, apr, flux(1));
        let params = PoolParams::titan();
        assert_eq!(
            TitanPool::new(params, vec![term("a", 1, 1), term("a", 2, 2)]).unwrap_err(),
            TitanError::DuplicateTerm("a".into())
        );
        assert_eq!(
            TitanPool::new(params, vec![term("a", 0, 1)]).unwrap_err(),
            TitanError::EmptyTerm("a".into())
        );
        assert!(matches!(
            TitanPool::new(params, vec![term("a", 1, MAX_APR_BPS + 1)]),
            Err(TitanError::AprOutOfRange { .. })
        ));
        let fee = PoolParams {
            operator_fee_bps: 10_001,
            ..params
        };
        assert_eq!(
            TitanPool::new(fee, vec![]).unwrap_err(),
            TitanError::FeeOutOfRange(10_001)
        );
        let redeem = PoolParams {
            redeem_fee: flux(51),
            ..params
        };
        assert!(matches!(
            TitanPool::new(redeem, vec![]),
            Err(TitanError::InvalidParams(_))
        ));
    }

    #[test]
    fn a_partial_last_node_earns_nothing() {
        let mut pool = pool(PoolParams::titan());
        // 3 × 10,000 + 50: not one full node.
        for id in 1..=3 {
            pool.add_stake(request(id, flux(10_000), "1m", 1)).unwrap();
        }
        pool.add_stake(request(4, flux(50), "1m", 1)).unwrap();
        let report = pool.accrue_block(BlockHeight(1), flux(9)).unwrap();
        assert_eq!(report.running_nodes, 0);
        assert_eq!(report.distributed, Amount::ZERO);
        // Whatever arrived is carried, less the fee.
        assert_eq!(pool.carry(), zat(810_000_000));
        assert!(pool.totals().is_conserved());

        // A 9,950 FLUX stake fills the node; the next 10,000 waits in a second node.
        pool.add_stake(request(5, flux(9_950), "1m", 2)).unwrap();
        pool.add_stake(request(6, flux(10_000), "1m", 2)).unwrap();
        let report = pool.accrue_block(BlockHeight(2), flux(9)).unwrap();
        assert_eq!(report.running_nodes, 1);
        assert_eq!(pool.stake(StakeId(6)).unwrap().accrued, Amount::ZERO);
        // 8.1 + 8.1 carried FLUX over 40,000 FLUX: 10,000 FLUX earns 4.05 FLUX.
        assert_eq!(pool.stake(StakeId(1)).unwrap().accrued, zat(405_000_000));
        assert_eq!(pool.carry(), Amount::ZERO);
        let nodes = pool.nodes();
        assert_eq!(nodes.len(), 2);
        assert!(nodes[0].full && !nodes[1].full);
        assert_eq!(nodes[1].stakes, vec![(StakeId(6), flux(10_000))]);
        assert!(pool.totals().is_conserved());
    }

    #[test]
    fn a_straddling_stake_earns_on_its_part_in_the_full_node() {
        let mut pool = pool(PoolParams {
            operator_fee_bps: 0,
            ..PoolParams::titan()
        });
        for id in 1..=3 {
            pool.add_stake(request(id, flux(10_000), "1m", 1)).unwrap();
        }
        pool.add_stake(request(4, flux(10_000), "1m", 1)).unwrap();
        pool.add_stake(request(5, flux(5_000), "1m", 1)).unwrap();
        pool.accrue_block(BlockHeight(1), flux(40)).unwrap();
        assert_eq!(pool.stake(StakeId(4)).unwrap().accrued, flux(10));
        assert_eq!(pool.stake(StakeId(5)).unwrap().accrued, Amount::ZERO);
        assert_eq!(pool.stake(StakeId(5)).unwrap().earning_blocks, 0);
    }

    #[test]
    fn largest_remainder_breaks_ties_by_stake_id() {
        let mut pool = one_node(PoolParams {
            operator_fee_bps: 0,
            ..PoolParams::titan()
        });
        // 10 zatoshis over four equal stakes: 2 each, then the 2 left to ids 1 and 2.
        pool.accrue_block(BlockHeight(1), zat(10)).unwrap();
        let accrued: Vec<i64> = pool.stakes().iter().map(|s| s.accrued.zat()).collect();
        assert_eq!(accrued, vec![3, 3, 2, 2]);
        assert!(pool.totals().is_conserved());
        // Largest fractional part first: weights 10,000 × 600 vs 10,000 × 900.
        let mut mixed = pool_with_fee(0);
        mixed.add_stake(request(7, flux(10_000), "3m", 1)).unwrap();
        for id in 1..=3 {
            mixed.add_stake(request(id, flux(10_000), "1m", 1)).unwrap();
        }
        // Weights 6:6:6:9 (sum 27) of 100 zat: 22.2, 22.2, 22.2, 33.3 → floors 22,22,22,33 = 99;
        // the left zatoshi goes to the largest fraction (.3̅ of id 7).
        mixed.accrue_block(BlockHeight(1), zat(100)).unwrap();
        assert_eq!(mixed.stake(StakeId(7)).unwrap().accrued, zat(34));
        assert_eq!(mixed.stake(StakeId(1)).unwrap().accrued, zat(22));
    }

    fn pool_with_fee(bps: u32) -> TitanPool {
        pool(PoolParams {
            operator_fee_bps: bps,
            ..PoolParams::titan()
        })
    }

    #[test]
    fn operator_fee_rounds_down() {
        let mut pool = one_node(PoolParams {
            operator_fee_bps: 333,
            ..PoolParams::titan()
        });
        let report = pool.accrue_block(BlockHeight(1), zat(1_000)).unwrap();
        assert_eq!(report.operator_fee, zat(33));
        assert_eq!(report.distributed, zat(967));
        assert!(pool.totals().is_conserved());
    }

    #[test]
    fn maturity_releases_and_auto_reinvest_relocks() {
        let mut pool = pool_with_fee(0);
        for id in 1..=3 {
            pool.add_stake(request(id, flux(10_000), "1m", 1)).unwrap();
        }
        pool.add_stake(request(4, flux(10_000), "1m", 1).with_auto_reinvest(true))
            .unwrap();
        for height in 1..=10 {
            pool.accrue_block(BlockHeight(height), flux(4)).unwrap();
        }
        assert_eq!(pool.stake(StakeId(1)).unwrap().accrued, flux(10));
        let report = pool.accrue_block(BlockHeight(11), flux(4)).unwrap();
        // Stakes 1-3 matured at 11; stake 4 re-locked with 10,010 FLUX: no full node.
        assert_eq!(report.running_nodes, 0);
        assert_eq!(
            pool.stake(StakeId(1)).unwrap().status,
            StakeStatus::Matured {
                at: BlockHeight(11)
            }
        );
        let four = pool.stake(StakeId(4)).unwrap();
        assert_eq!(four.principal, flux(10_010));
        assert_eq!(four.reinvested, flux(10));
        assert_eq!(
            (four.lock_start, four.maturity),
            (BlockHeight(11), BlockHeight(21))
        );
        assert_eq!(pool.carry(), flux(4));
        // Matured rewards redeem in any amount.
        assert_eq!(
            pool.redeem_rewards(StakeId(1)).unwrap(),
            Redemption {
                paid: flux(10),
                fee: Amount::ZERO
            }
        );
        assert!(pool.totals().is_conserved());
        // A gap of several terms re-locks once, aligned to the term.
        pool.accrue_block(BlockHeight(45), Amount::ZERO).unwrap();
        let four = pool.stake(StakeId(4)).unwrap();
        assert_eq!(
            (four.lock_start, four.maturity),
            (BlockHeight(41), BlockHeight(51))
        );
    }

    #[test]
    fn redemption_needs_the_minimum_while_locked() {
        let mut pool = one_node(PoolParams {
            operator_fee_bps: 0,
            redeem_fee: zat(1_000),
            ..PoolParams::titan()
        });
        pool.accrue_block(BlockHeight(1), flux(196)).unwrap();
        assert!(matches!(
            pool.redeem_rewards(StakeId(1)),
            Err(TitanError::RedeemBelowMinimum { .. })
        ));
        pool.accrue_block(BlockHeight(2), flux(4)).unwrap();
        let redemption = pool.redeem_rewards(StakeId(1)).unwrap();
        assert_eq!(redemption.fee, zat(1_000));
        assert_eq!(redemption.paid, zat(50 * 100_000_000 - 1_000));
        assert_eq!(pool.totals().redeem_fees, zat(1_000));
        assert!(pool.totals().is_conserved());
        assert_eq!(
            pool.redeem_rewards(StakeId(9)),
            Err(TitanError::UnknownStake(StakeId(9)))
        );
    }

    #[test]
    fn early_exit_is_forbidden_or_forfeits() {
        let mut locked = one_node(PoolParams::titan());
        locked.accrue_block(BlockHeight(1), flux(1)).unwrap();
        let error = locked.exit_early(StakeId(1), BlockHeight(1)).unwrap_err();
        assert!(error.to_string().contains("locked until height 11"));

        let mut pool = one_node(PoolParams {
            operator_fee_bps: 0,
            early_exit: EarlyExit::ForfeitRewards,
            ..PoolParams::titan()
        });
        pool.add_stake(request(5, flux(10_000), "1m", 2)).unwrap();
        pool.accrue_block(BlockHeight(1), flux(4)).unwrap();
        let (principal, forfeited) = pool.exit_early(StakeId(1), BlockHeight(1)).unwrap();
        assert_eq!((principal, forfeited), (flux(10_000), flux(1)));
        assert_eq!(pool.carry(), flux(1));
        // Stake 5 moves up into the node and shares the forfeit with 2-4.
        pool.accrue_block(BlockHeight(2), flux(3)).unwrap();
        assert_eq!(pool.stake(StakeId(5)).unwrap().accrued, flux(1));
        assert_eq!(pool.stake(StakeId(2)).unwrap().accrued, flux(2));
        assert_eq!(
            pool.exit_early(StakeId(1), BlockHeight(3)),
            Err(TitanError::NotLocked(StakeId(1)))
        );
        assert!(pool.totals().is_conserved());
    }

    #[test]
    fn rotation_pays_running_nodes_in_turn() {
        let rotation = StratusRotation {
            network: Network::Mainnet,
            network_nodes: 4,
        };
        let payout = tier_payout(Network::Mainnet, BlockHeight(2_100_000), Tier::Stratus);
        assert_eq!(payout, flux(9));
        let paid = |h: u32, nodes| rotation.rewards(BlockHeight(h), nodes).unwrap();
        assert_eq!(paid(2_100_000, 1), payout);
        assert_eq!(paid(2_100_001, 1), Amount::ZERO);
        assert_eq!(paid(2_100_001, 2), payout);
        assert_eq!(paid(2_100_003, 9), payout.checked_mul(2).unwrap());
        assert_eq!(paid(2_100_000, 0), Amount::ZERO);
    }

    #[test]
    fn simulation_applies_events_after_their_block() {
        let mut pool = pool(PoolParams {
            operator_fee_bps: 500,
            ..PoolParams::titan()
        });
        for id in 1..=4 {
            let start = 2_100_000;
            pool.add_stake(request(id, flux(10_000), "1m", start))
                .unwrap();
        }
        let rotation = StratusRotation {
            network: Network::Mainnet,
            network_nodes: 1,
        };
        let report = pool
            .simulate(
                BlockHeight(2_100_000),
                20,
                rotation,
                &[
                    (BlockHeight(2_100_015), PoolEvent::Redeem(StakeId(2))),
                    (BlockHeight(2_100_099), PoolEvent::Redeem(StakeId(3))),
                ],
            )
            .unwrap();
        assert_eq!(report.to, BlockHeight(2_100_019));
        assert!(report.totals.is_conserved());
        // 9 FLUX a block, 95 % shared: 2.1375 FLUX to each stake for 10 blocks, until the
        // stakes matured at 2,100,010. Matured rewards redeem below the 50 FLUX minimum; the
        // event past the simulated heights is ignored.
        let two = pool.stake(StakeId(2)).unwrap();
        assert_eq!(two.redeemed, zat(2_137_500_000));
        assert_eq!(pool.stake(StakeId(3)).unwrap().accrued, zat(2_137_500_000));
        assert_eq!(report.paid_blocks, 10);
        assert_eq!(report.running_nodes, 0);
    }
}
