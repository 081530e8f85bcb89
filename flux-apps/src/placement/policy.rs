//! The tuning of placement: seed, per-node app limit, sampling effort, FluxOS's deferrals.

/// Most apps one node runs at once (`cfg:246` `maxAppsPerNode`).
pub const MAX_APPS_PER_NODE: u32 = 200;

/// Tuning of the placement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlacementPolicy {
    /// Seed of every random choice: the same seed and inputs give the same placement.
    pub seed: u64,
    /// Most apps per node.
    pub max_apps_per_node: u32,
    /// Eligible candidates compared per instance ("d" of power-of-d-choices).
    pub candidates_per_instance: usize,
    /// Random draws per instance before falling back to scanning the whole candidate pool.
    pub max_draws_per_instance: usize,
    /// Rank nodes by FluxOS's spawner deferrals (lower tiers first for small apps, …).
    pub follow_fluxos_deferrals: bool,
}

impl PlacementPolicy {
    /// The default policy with another seed.
    pub fn with_seed(seed: u64) -> Self {
        PlacementPolicy {
            seed,
            ..PlacementPolicy::default()
        }
    }
}

impl Default for PlacementPolicy {
    fn default() -> Self {
        PlacementPolicy {
            seed: 0,
            max_apps_per_node: MAX_APPS_PER_NODE,
            candidates_per_instance: 3,
            max_draws_per_instance: 24,
            follow_fluxos_deferrals: true,
        }
    }
}
