//! The preferences among eligible nodes: FluxOS's spawner deferrals, then load, then a seeded
//! rendezvous hash; and the seeded generator and hashes that keep every choice reproducible.

use super::cluster::Cluster;
use super::{Node, PlacementRequest, Resources, Tier};

/// The ranking key of an eligible node; lower is better. The fields compare in order, so the
/// deferral decides first, then the load, then the tie-breaking hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Rank {
    /// FluxOS's spawner deferral in minutes.
    deferral_minutes: u32,
    /// The node's most loaded resource after placing the instance, in permille of its capacity.
    load_permille: u32,
    /// A seeded rendezvous hash of app and node.
    tie_break: u64,
}

impl Cluster {
    /// FluxOS's spawner deferral for this node and app, in minutes (`appSpawner.js:520-620`,
    /// `cfg:325-333`), as a rank: lower is preferred.
    fn deferral_minutes(&self, node: &Node, request: &PlacementRequest) -> u32 {
        if !self.policy.follow_fluxos_deferrals {
            return 0;
        }
        let targeted = request.targets.iter().any(|target| target.matches(node));
        if !request.targets.is_empty() && !targeted {
            return 57;
        }
        if !request.static_ip && node.static_ip {
            return 57;
        }
        if targeted {
            return 0;
        }
        let need = request.demand.for_tier(node.tier);
        let small = need.cpu_millis < 3_000 && need.ram_mb < 6_000 && need.hdd_gb < 150;
        let medium = need.cpu_millis < 7_000 && need.ram_mb < 29_000 && need.hdd_gb < 370;
        match node.tier {
            Tier::Stratus if small => 117,
            Tier::Stratus if medium => 87,
            Tier::Nimbus if small => 57,
            Tier::Cumulus | Tier::Nimbus | Tier::Stratus => 0,
        }
    }

    /// The rank of eligible node `index` for one more instance of `request`.
    pub(super) fn rank(&self, index: u32, request: &PlacementRequest, app_hash: u64) -> Rank {
        let slot = &self.slots[index as usize];
        let need = request.demand.for_tier(slot.node.tier);
        let mut load = 0u32;
        for kind in Resources::KINDS {
            let capacity = u64::from(slot.node.capacity.get(kind));
            let after = u64::from(slot.used.get(kind)) + u64::from(need.get(kind));
            let permille = (after * 1000).checked_div(capacity).unwrap_or(1000);
            load = load.max(u32::try_from(permille).unwrap_or(u32::MAX));
        }
        Rank {
            deferral_minutes: self.deferral_minutes(&slot.node, request),
            load_permille: load,
            tie_break: mix64(app_hash ^ u64::from(index).wrapping_mul(0x9E37_79B9_7F4A_7C15)),
        }
    }
}

/// SplitMix64: a tiny, well-mixed generator; enough for seeded sampling.
pub(super) struct SplitMix64(pub(super) u64);

impl SplitMix64 {
    pub(super) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix64(self.0)
    }

    /// A number below `n` (`n > 0`), by multiply-shift (bias below 2^-32 for n < 2^32).
    pub(super) fn below(&mut self, n: usize) -> usize {
        let wide = u128::from(self.next()) * n as u128;
        // The product shifted by 64 is below `n`, which is a usize.
        #[allow(clippy::cast_possible_truncation)]
        let value = (wide >> 64) as usize;
        value
    }
}

pub(super) fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// FNV-1a, 64-bit: a stable hash of names, independent of the process (unlike `RandomState`).
pub(super) fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash = 0xcbf2_9ce4_8422_2325u64;
    for &byte in bytes {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}
