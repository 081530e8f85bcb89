//! Accruing one block, in named phases: start and mature the stakes due, fill the nodes, book
//! what the nodes received and the operator fee, share the rest by the largest remainder rule,
//! and commit. Every phase before the commit may fail; the commit cannot, so a refused block
//! leaves the pool as it was.

use flux_pow::BlockHeight;
use flux_tx::Amount;

use super::TitanPool;
use super::books::BlockReport;
use super::error::{TitanError, overflow};
use super::fill::Fill;
use super::params::BPS_PER_UNIT;
use super::shares::{Weighted, amount_from_u128, largest_remainder, zat_u128};
use super::stake::{Stake, StakeStatus};

/// What the pool's nodes received in a block, and the books after the operator's fee.
#[derive(Debug, Clone, Copy)]
struct Income {
    /// What the nodes received.
    received: Amount,
    /// The operator's fee out of it (rounded down).
    operator_fee: Amount,
    /// The rest plus the carry: what the stakers share.
    distributable: Amount,
    /// The pool's total received after this block.
    total_received: Amount,
    /// The operator's total fees after this block.
    total_operator_fees: Amount,
}

/// A stake's accrued rewards after this block's share.
#[derive(Debug, Clone, Copy)]
struct NewAccrual {
    /// The stake's index in fill order.
    index: usize,
    /// Its accrued rewards including this block's share.
    accrued: Amount,
}

/// How a block's distributable rewards were shared.
#[derive(Debug, Clone)]
struct Distribution {
    /// The stakes that received a share.
    accruals: Vec<NewAccrual>,
    /// The sum of the shares.
    distributed: Amount,
    /// What no stake could take, carried to the next block.
    carry: Amount,
}

impl TitanPool {
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
        // Starts and maturities are the only changes made before the fallible phases; keep the
        // stakes to restore them when a later phase fails (rare: only when some are due).
        let due = self.stakes.iter().any(|s| s.is_due(height));
        let backup = due.then(|| self.stakes.clone());
        let result = self.accrue_phases(height, rewards);
        if result.is_err()
            && let Some(stakes) = backup
        {
            self.stakes = stakes;
        }
        result
    }

    fn accrue_phases(
        &mut self,
        height: BlockHeight,
        rewards: impl FnOnce(u32) -> Amount,
    ) -> Result<BlockReport, TitanError> {
        self.start_and_mature(height)?;
        let fill = self.fill()?;
        let income = self.book_income(rewards(fill.running_nodes))?;
        let distribution = self.distribute(&fill, income.distributable)?;
        Ok(self.commit(height, &fill, &income, distribution))
    }

    /// Locks the stakes whose start has come and matures (or re-locks) those whose
    /// lock has ended at `height`. Fails, changing nothing, when a reinvestment would leave
    /// the money range.
    fn start_and_mature(&mut self, height: BlockHeight) -> Result<(), TitanError> {
        let reinvest_overflows = self.stakes.iter().any(|stake| {
            matches!(stake.status, StakeStatus::Waiting | StakeStatus::Locked)
                && stake.maturity <= height
                && stake.auto_reinvest
                && (stake.principal.checked_add(stake.accrued).is_none()
                    || stake.reinvested.checked_add(stake.accrued).is_none())
        });
        if reinvest_overflows {
            return Err(overflow("a reinvested principal"));
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
            if stake.auto_reinvest && relock(stake, height, blocks) {
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

    /// Books what the running nodes received and takes the operator's fee (rounded
    /// down); the rest plus the carry is what the stakers share.
    fn book_income(&self, received: Amount) -> Result<Income, TitanError> {
        let total_received = self
            .received
            .checked_add(received)
            .ok_or(overflow("the pool's total rewards"))?;
        let operator_fee = amount_from_u128(
            zat_u128(received) * u128::from(self.params.operator_fee_bps)
                / u128::from(BPS_PER_UNIT),
            "the operator fee",
        )?;
        let total_operator_fees = self
            .operator_fees
            .checked_add(operator_fee)
            .ok_or(overflow("the operator fees"))?;
        let distributable = received
            .checked_sub(operator_fee)
            .and_then(|net| net.checked_add(self.carry))
            .ok_or(overflow("the distributable rewards"))?;
        Ok(Income {
            received,
            operator_fee,
            distributable,
            total_received,
            total_operator_fees,
        })
    }

    /// Shares `distributable` among the earning stakes in proportion to earning
    /// principal × term APR, by the largest remainder rule; what no stake can take is carried.
    fn distribute(&self, fill: &Fill, distributable: Amount) -> Result<Distribution, TitanError> {
        let mut weighted = Vec::with_capacity(fill.parts.len());
        for part in &fill.parts {
            let stake = &self.stakes[part.index];
            let apr = self.terms.get(stake.term).map_or(0, |t| t.apr_bps);
            let weight = zat_u128(part.earning) * u128::from(apr);
            if weight > 0 {
                weighted.push(Weighted {
                    index: part.index,
                    id: stake.id,
                    weight,
                });
            }
        }
        let shares = largest_remainder(zat_u128(distributable), &weighted)?;
        let mut distributed = Amount::ZERO;
        let mut accruals = Vec::with_capacity(shares.len());
        for (w, share) in weighted.iter().zip(shares) {
            let share = amount_from_u128(share, "a stake's share")?;
            let accrued = self.stakes[w.index]
                .accrued
                .checked_add(share)
                .ok_or(overflow("a stake's rewards"))?;
            accruals.push(NewAccrual {
                index: w.index,
                accrued,
            });
            distributed = distributed
                .checked_add(share)
                .ok_or(overflow("the distributed rewards"))?;
        }
        let carry = distributable
            .checked_sub(distributed)
            .ok_or(overflow("the carry"))?;
        Ok(Distribution {
            accruals,
            distributed,
            carry,
        })
    }

    /// Writes the block into the books. Nothing here can fail.
    fn commit(
        &mut self,
        height: BlockHeight,
        fill: &Fill,
        income: &Income,
        distribution: Distribution,
    ) -> BlockReport {
        for accrual in distribution.accruals {
            self.stakes[accrual.index].accrued = accrual.accrued;
        }
        for part in &fill.parts {
            if part.earning > Amount::ZERO {
                let stake = &mut self.stakes[part.index];
                stake.earning_blocks = stake.earning_blocks.saturating_add(1);
            }
        }
        self.carry = distribution.carry;
        self.received = income.total_received;
        self.operator_fees = income.total_operator_fees;
        self.last_height = Some(height);
        BlockReport {
            height,
            running_nodes: fill.running_nodes,
            received: income.received,
            operator_fee: income.operator_fee,
            distributed: distribution.distributed,
            carry: distribution.carry,
        }
    }
}

/// Re-locks an auto-reinvesting stake whose lock ended at or before `height`: its rewards join
/// its principal and it is locked again for `blocks`, from the last whole term boundary at or
/// before `height` (counted from the old maturity; rewards accrue in accrued blocks only, so
/// they are reinvested once however many terms passed). Returns `false`, changing nothing,
/// when the new lock would end past the last height; the caller then matures the stake.
fn relock(stake: &mut Stake, height: BlockHeight, blocks: u32) -> bool {
    let Some(overdue) = height.blocks_since(stake.maturity) else {
        return false;
    };
    let periods = overdue / blocks;
    // At most `overdue` blocks after the old maturity, so at most `height`.
    let lock_start = stake.maturity.0 + periods * blocks;
    let Some(maturity) = lock_start.checked_add(blocks) else {
        return false;
    };
    // The phase checked these sums before changing any stake.
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
    true
}
