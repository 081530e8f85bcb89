//! How the locked stakes fill the pool's nodes: in fill order, each node up to the node
//! collateral; only full nodes run, so only the principal in full nodes earns.

use flux_tx::Amount;

use super::TitanPool;
use super::error::{TitanError, overflow};
use super::shares::{amount_from_u128, zat_u128};
use super::stake::StakeId;

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
    pub stakes: Vec<NodePart>,
}

/// The part of one stake's principal that sits in one node (a stake may straddle two nodes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodePart {
    /// The stake.
    pub stake: StakeId,
    /// Its principal in this node.
    pub amount: Amount,
}

/// The locked principal of one stake that is in a running node, and so earns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct EarningPart {
    /// The stake's index in the pool's fill order.
    pub(super) index: usize,
    /// Its principal in full nodes (0 for a stake wholly in the waiting node).
    pub(super) earning: Amount,
}

/// Where the locked principal sits: each locked stake's earning part, in fill order, and how
/// many nodes are full.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Fill {
    pub(super) parts: Vec<EarningPart>,
    pub(super) running_nodes: u32,
}

impl TitanPool {
    /// How each locked stake's principal sits in the nodes now.
    pub(super) fn fill(&self) -> Result<Fill, TitanError> {
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
            parts.push(EarningPart {
                index,
                earning: amount_from_u128(earning, "an earning part")?,
            });
        }
        let running_nodes = u32::try_from(nodes).map_err(|_| overflow("the node count"))?;
        Ok(Fill {
            parts,
            running_nodes,
        })
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
                    let amount = amount_from_u128(part, "a node part").unwrap_or(Amount::MAX);
                    node.collateral = node.collateral.checked_add(amount).unwrap_or(Amount::MAX);
                    node.full = room == 0;
                    node.stakes.push(NodePart {
                        stake: stake.id,
                        amount,
                    });
                }
            }
        }
        nodes
    }

    /// The number of full (running) nodes now.
    pub fn running_nodes(&self) -> u32 {
        self.fill().map_or(0, |fill| fill.running_nodes)
    }
}
