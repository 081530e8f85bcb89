//! What leaves the pool: redeemed rewards and stakes that exit before maturity.

use flux_pow::BlockHeight;
use flux_tx::Amount;

use super::TitanPool;
use super::error::{TitanError, overflow};
use super::params::EarlyExit;
use super::stake::{StakeId, StakeStatus};

/// A redemption's result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Redemption {
    /// What the staker receives.
    pub paid: Amount,
    /// The redeem fee kept by the operator.
    pub fee: Amount,
}

/// What an early exit released.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StakeExit {
    /// The principal returned to the staker.
    pub principal: Amount,
    /// The unredeemed rewards forfeited to the carry (shared by the remaining stakers in the
    /// next block).
    pub forfeited: Amount,
}

impl TitanPool {
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
    /// cancelled).
    ///
    /// # Errors
    ///
    /// [`TitanError::UnknownStake`], [`TitanError::NotLocked`] for a stake already matured or
    /// exited, [`TitanError::StillLocked`] for a locked stake when early exit is forbidden.
    pub fn exit_early(&mut self, id: StakeId, at: BlockHeight) -> Result<StakeExit, TitanError> {
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
        Ok(StakeExit {
            principal,
            forfeited,
        })
    }
}
