//! The pool's books: what one block did ([`BlockReport`]) and the running totals whose
//! conservation the pool guarantees ([`Totals`]).

use flux_pow::BlockHeight;
use flux_tx::Amount;

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
    /// Rewards the stakers earned and kept (sum of [`Stake::earned`](super::Stake::earned)).
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
