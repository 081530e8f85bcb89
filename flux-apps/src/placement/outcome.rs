//! What placement answers: one app's placement, its shortfall, and a node's explanation.

use core::fmt;
use std::collections::BTreeMap;

use super::Rejection;

/// The answer of [`Cluster::explain`](super::Cluster::explain).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Explanation {
    /// The node runs (or was chosen for) an instance of the app.
    Chosen,
    /// The node could host an instance now; other nodes ranked higher when it was placed.
    Eligible,
    /// Every rule the node fails.
    Rejected(Vec<Rejection>),
}

/// Why an app got fewer instances than it asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shortfall {
    /// Instances wanted.
    pub wanted: u32,
    /// Instances placed.
    pub placed: u32,
    /// For the nodes that could be considered, how many failed on each rule (first failing rule
    /// per node), keyed by [`Rejection::kind`].
    pub reasons: BTreeMap<&'static str, u32>,
}

impl fmt::Display for Shortfall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "placed {} of {} instances", self.placed, self.wanted)?;
        let mut first = true;
        for (kind, count) in &self.reasons {
            f.write_str(if first { "; nodes rejected: " } else { ", " })?;
            first = false;
            write!(f, "{kind} {count}")?;
        }
        Ok(())
    }
}

/// The placement of one app.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AppPlacement {
    /// Every node that should run an instance: kept ones first, then new ones.
    pub nodes: Vec<String>,
    /// How many of `nodes` already ran an instance.
    pub kept: usize,
    /// Nodes that ran an instance and should not any more (excess, or a rule now fails there),
    /// with the reason (`None` for excess).
    pub removed: Vec<(String, Option<Rejection>)>,
    /// Set when fewer than the wanted instances could be placed.
    pub shortfall: Option<Shortfall>,
}
