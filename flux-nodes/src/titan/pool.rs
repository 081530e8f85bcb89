//! The pool itself: its rules, terms, stakes and books, and how a stake joins it.

use flux_pow::BlockHeight;
use flux_tx::Amount;

use super::books::Totals;
use super::error::{TitanError, overflow};
use super::params::PoolParams;
use super::stake::{Stake, StakeId, StakeRequest, StakeStatus};
use super::term::LockTerm;

/// A Titan pool: its terms, its stakes and its books.
#[derive(Debug, Clone)]
pub struct TitanPool {
    pub(super) params: PoolParams,
    pub(super) terms: Vec<LockTerm>,
    /// Stakes in fill order: lock start, then id.
    pub(super) stakes: Vec<Stake>,
    pub(super) last_height: Option<BlockHeight>,
    pub(super) received: Amount,
    pub(super) operator_fees: Amount,
    pub(super) redeem_fees: Amount,
    pub(super) carry: Amount,
}

/// Checks each term ([`LockTerm::validate`]) and that no two share a name.
fn validate_terms(terms: &[LockTerm]) -> Result<(), TitanError> {
    for (index, term) in terms.iter().enumerate() {
        if terms[..index].iter().any(|t| t.name == term.name) {
            return Err(TitanError::DuplicateTerm(term.name.clone()));
        }
        term.validate()?;
    }
    Ok(())
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
        params.validate()?;
        validate_terms(&terms)?;
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
        self.check_stake_amount(id, amount)?;
        let term_index = self.term_index(id, term)?;
        self.check_new_stake(id, start)?;
        self.check_term_room(id, term_index, amount)?;
        let maturity = start
            .0
            .checked_add(self.terms[term_index].blocks)
            .map(BlockHeight)
            .ok_or(overflow("the maturity height"))?;
        self.insert_in_fill_order(Stake {
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
        });
        Ok(id)
    }

    /// The per-stake bounds: `[min_stake, max_stake]`.
    fn check_stake_amount(&self, id: StakeId, amount: Amount) -> Result<(), TitanError> {
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
        Ok(())
    }

    /// The index of the term named `term`; the error lists the pool's terms.
    fn term_index(&self, id: StakeId, term: String) -> Result<usize, TitanError> {
        self.terms
            .iter()
            .position(|t| t.name == term)
            .ok_or_else(|| {
                let known = self
                    .terms
                    .iter()
                    .map(|t| t.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ");
                TitanError::UnknownTerm { id, term, known }
            })
    }

    /// A new id, and a start after the last accrued height.
    fn check_new_stake(&self, id: StakeId, start: BlockHeight) -> Result<(), TitanError> {
        if self.stake(id).is_some() {
            return Err(TitanError::DuplicateStake(id));
        }
        if let Some(last) = self.last_height
            && start <= last
        {
            return Err(TitanError::StartInPast { id, start, last });
        }
        Ok(())
    }

    /// Room for `amount` under the term's cap, counting the stakes not yet matured or exited.
    fn check_term_room(
        &self,
        id: StakeId,
        term_index: usize,
        amount: Amount,
    ) -> Result<(), TitanError> {
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
                term: lock.name.clone(),
                cap: lock.cap,
                committed,
                amount,
            });
        }
        Ok(())
    }

    /// Inserts a stake at its place in fill order: lock start, then id.
    fn insert_in_fill_order(&mut self, stake: Stake) {
        let at = self
            .stakes
            .partition_point(|s| (s.lock_start, s.id) < (stake.lock_start, stake.id));
        self.stakes.insert(at, stake);
    }
}
