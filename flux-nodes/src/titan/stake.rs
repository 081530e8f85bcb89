//! Stakes: their ids, the request that creates one, their life ([`StakeStatus`]) and their
//! books ([`Stake`]).

use core::fmt;

use flux_pow::BlockHeight;
use flux_tx::Amount;

/// The identifier of a stake, unique within a pool. Ties of the remainder rule go to the lower
/// id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StakeId(pub u64);

impl fmt::Display for StakeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
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
    /// The index of its term in [`TitanPool::terms`](super::TitanPool::terms).
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
    pub(super) fn is_due(&self, height: BlockHeight) -> bool {
        match self.status {
            StakeStatus::Waiting => self.lock_start <= height,
            StakeStatus::Locked => self.maturity <= height,
            StakeStatus::Matured { .. } | StakeStatus::Exited { .. } => false,
        }
    }
}
