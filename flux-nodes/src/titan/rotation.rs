//! How the pool's nodes are paid in a simulation: Stratus payouts in turn.

use flux_pow::{BlockHeight, Network};
use flux_tx::Amount;

use crate::subsidy::tier_payout;
use crate::tier::Tier;

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
