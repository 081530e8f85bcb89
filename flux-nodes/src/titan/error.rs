//! Why a pool, a stake or an event is refused.

use flux_pow::BlockHeight;
use flux_tx::Amount;

use super::stake::StakeId;

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
    /// A term's APR is above [`MAX_APR_BPS`](super::params::MAX_APR_BPS).
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

/// The error of a sum or product that left the money range; `what` names it.
pub(super) fn overflow(what: &'static str) -> TitanError {
    TitanError::Overflow(what)
}
