//! Simulating a pool over a run of blocks: each block paid by a [`StratusRotation`], then the
//! redemptions and exits scheduled at its height.

use core::iter::Peekable;
use core::slice;

use flux_pow::BlockHeight;
use flux_tx::Amount;

use super::TitanPool;
use super::books::{BlockReport, Totals};
use super::error::{TitanError, overflow};
use super::rotation::StratusRotation;
use super::stake::StakeId;

/// An event applied after the block at its height.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolEvent {
    /// [`TitanPool::redeem_rewards`].
    Redeem(StakeId),
    /// [`TitanPool::exit_early`].
    Exit(StakeId),
}

/// A [`PoolEvent`] and the height after whose block it applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScheduledEvent {
    /// The block after which the event applies.
    pub height: BlockHeight,
    /// What happens.
    pub event: PoolEvent,
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
    /// after the block at its height (in the order given within a height). Events outside the
    /// simulated heights are ignored.
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
        events: &[ScheduledEvent],
    ) -> Result<SimulationReport, TitanError> {
        let mut events = events.to_vec();
        // A stable sort keeps the given order within a height.
        events.sort_by_key(|scheduled| scheduled.height);
        let mut pending = events.iter().peekable();
        let mut paid_blocks = 0;
        let mut to = from;
        for offset in 0..blocks {
            let height = from
                .0
                .checked_add(offset)
                .map(BlockHeight)
                .ok_or(overflow("the simulated height"))?;
            let report = self.accrue_rotation_block(height, rotation)?;
            if report.received > Amount::ZERO {
                paid_blocks += 1;
            }
            self.apply_events_after(height, &mut pending)?;
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

    /// Accrues the block at `height` with what `rotation` pays the running nodes.
    fn accrue_rotation_block(
        &mut self,
        height: BlockHeight,
        rotation: StratusRotation,
    ) -> Result<BlockReport, TitanError> {
        let mut pay_overflowed = false;
        let report = self.accrue_with(height, |nodes| {
            rotation.rewards(height, nodes).unwrap_or_else(|| {
                pay_overflowed = true;
                Amount::ZERO
            })
        })?;
        if pay_overflowed {
            return Err(overflow("a block's rewards"));
        }
        Ok(report)
    }

    /// Applies the pending events scheduled at `height`, skipping those scheduled before the
    /// simulated heights.
    fn apply_events_after(
        &mut self,
        height: BlockHeight,
        pending: &mut Peekable<slice::Iter<'_, ScheduledEvent>>,
    ) -> Result<(), TitanError> {
        while let Some(scheduled) = pending.next_if(|scheduled| scheduled.height <= height) {
            if scheduled.height < height {
                continue;
            }
            match scheduled.event {
                PoolEvent::Redeem(id) => {
                    self.redeem_rewards(id)?;
                }
                PoolEvent::Exit(id) => {
                    self.exit_early(id, scheduled.height)?;
                }
            }
        }
        Ok(())
    }
}
