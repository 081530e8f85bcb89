//! The placement algorithm: the candidate pool of a request, power-of-d-choices sampling with a
//! full scan as fallback, and the shortfall report when too few nodes qualify.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::cluster::Cluster;
use super::ranking::{Rank, SplitMix64, fnv1a, mix64};
use super::{AppPlacement, PlacementRequest, Shortfall, TargetMode};

/// The nodes a request may be placed on: all of them, or a sorted list of indices.
pub(super) enum Pool {
    All(u32),
    List(Arc<Vec<u32>>),
}

impl Pool {
    fn len(&self) -> usize {
        match self {
            Pool::All(n) => *n as usize,
            Pool::List(list) => list.len(),
        }
    }

    fn get(&self, i: usize) -> u32 {
        match self {
            // `i < n`, and n came from a u32.
            #[allow(clippy::cast_possible_truncation)]
            Pool::All(_) => i as u32,
            Pool::List(list) => list[i],
        }
    }
}

/// Every eligible node of a pool, best first, and why the other nodes were rejected (first failing
/// rule per node, counted by [`Rejection::kind`](super::Rejection::kind)). Placement builds it once
/// random sampling finds no eligible node, and then walks it.
struct Scan {
    ranked: Vec<u32>,
    /// How many of `ranked` were tried already.
    cursor: usize,
    rejections: BTreeMap<&'static str, u32>,
}

impl Cluster {
    /// The nodes `request` may be placed on: its targets when they bind, the nodes in its allowed
    /// locations when it has allow rules, else every node.
    fn pool_for(&self, request: &PlacementRequest) -> Pool {
        if !request.targets.is_empty() && request.target_mode == TargetMode::Required {
            let mut list: Vec<u32> = self
                .slots
                .iter()
                .enumerate()
                .filter(|(_, slot)| request.targets.iter().any(|t| t.matches(&slot.node)))
                .filter_map(|(i, _)| u32::try_from(i).ok())
                .collect();
            list.sort_unstable();
            return Pool::List(Arc::new(list));
        }
        if let Some(prefixes) = request.geolocation.spawner_allow_prefixes() {
            let mut list = Vec::new();
            for prefix in prefixes {
                let start = self
                    .by_location
                    .partition_point(|(path, _)| path.as_str() < prefix.as_str());
                list.extend(
                    self.by_location[start..]
                        .iter()
                        .take_while(|(path, _)| path.starts_with(prefix.as_str()))
                        .map(|&(_, i)| i),
                );
            }
            list.sort_unstable();
            list.dedup();
            return Pool::List(Arc::new(list));
        }
        // Both bounded by `Cluster::new`, which indexes nodes with u32.
        #[allow(clippy::cast_possible_truncation)]
        Pool::All(self.slots.len() as u32)
    }

    /// Adds instances of `request` on the best eligible nodes until it has as many as it wants or
    /// no node qualifies; preferred targets come first.
    pub(super) fn fill(&mut self, request: &PlacementRequest, placement: &mut AppPlacement) {
        let wanted = request.instances as usize;
        if placement.nodes.len() >= wanted {
            return;
        }
        let app_hash = mix64(self.policy.seed ^ fnv1a(request.app.as_bytes()));
        let mut rng = SplitMix64(app_hash);

        // Preferred targets first: FluxOS lets listed nodes install at once and others only later.
        if !request.targets.is_empty() && request.target_mode == TargetMode::Preferred {
            let mut targeted: Vec<u32> = self
                .slots
                .iter()
                .enumerate()
                .filter(|(_, slot)| request.targets.iter().any(|t| t.matches(&slot.node)))
                .filter_map(|(i, _)| u32::try_from(i).ok())
                .collect();
            targeted.sort_by_key(|&i| self.rank(i, request, app_hash));
            for index in targeted {
                if placement.nodes.len() >= wanted {
                    return;
                }
                if self.eligible(index, request) {
                    self.assign(index, request);
                    placement
                        .nodes
                        .push(self.slots[index as usize].node.id.clone());
                }
            }
        }

        let pool = self.pool_for(request);
        let pool_len = pool.len();
        if pool_len == 0 {
            placement.shortfall = Some(self.shortfall(request, &pool, placement, None));
            return;
        }
        // Set once sampling fails.
        let mut scan: Option<Scan> = None;
        while placement.nodes.len() < wanted {
            let chosen = match &mut scan {
                None => match self.sample(request, &pool, &mut rng, app_hash) {
                    Some(index) => Some(index),
                    None => {
                        scan = Some(self.scan(request, &pool, app_hash));
                        continue;
                    }
                },
                Some(scan) => self.next_from_scan(request, scan),
            };
            let Some(index) = chosen else { break };
            self.assign(index, request);
            placement
                .nodes
                .push(self.slots[index as usize].node.id.clone());
        }
        if placement.nodes.len() < wanted {
            let reasons = scan.map(|scan| scan.rejections);
            placement.shortfall = Some(self.shortfall(request, &pool, placement, reasons));
        }
    }

    /// Power of d choices: draws nodes of the (non-empty) pool at random until `d` eligible ones
    /// are found or the draws run out, and returns the best ranked of them.
    fn sample(
        &self,
        request: &PlacementRequest,
        pool: &Pool,
        rng: &mut SplitMix64,
        app_hash: u64,
    ) -> Option<u32> {
        let d = self.policy.candidates_per_instance.max(1);
        let mut best: Option<(Rank, u32)> = None;
        let mut found = 0;
        for _ in 0..self.policy.max_draws_per_instance {
            let index = pool.get(rng.below(pool.len()));
            if self.eligible(index, request) {
                let rank = self.rank(index, request, app_hash);
                if best.is_none_or(|(best_rank, _)| rank < best_rank) {
                    best = Some((rank, index));
                }
                found += 1;
                if found >= d {
                    break;
                }
            }
        }
        best.map(|(_, index)| index)
    }

    /// The next node of the scan that is still eligible: earlier picks may have made later
    /// candidates ineligible (same IP, same fault domain), so each is checked again.
    fn next_from_scan(&self, request: &PlacementRequest, scan: &mut Scan) -> Option<u32> {
        while let Some(&index) = scan.ranked.get(scan.cursor) {
            scan.cursor += 1;
            if self.eligible(index, request) {
                return Some(index);
            }
        }
        None
    }

    /// Evaluates every node of the pool once: the eligible ones sorted best first, and the first
    /// failing rule of the others counted by kind.
    fn scan(&self, request: &PlacementRequest, pool: &Pool, app_hash: u64) -> Scan {
        let mut reasons = BTreeMap::new();
        let mut eligible = Vec::new();
        for i in 0..pool.len() {
            let index = pool.get(i);
            let mut ok = true;
            self.evaluate(index, request, false, &mut |rejection| {
                *reasons.entry(rejection.kind()).or_insert(0) += 1;
                ok = false;
                false
            });
            if ok {
                eligible.push((self.rank(index, request, app_hash), index));
            }
        }
        eligible.sort_unstable();
        Scan {
            ranked: eligible.into_iter().map(|(_, index)| index).collect(),
            cursor: 0,
            rejections: reasons,
        }
    }

    /// How far `placement` fell short of `request`, with the rejections of a scan if one ran, else
    /// counted now over the pool (over every node when a geolocation filter left the pool empty).
    fn shortfall(
        &self,
        request: &PlacementRequest,
        pool: &Pool,
        placement: &AppPlacement,
        reasons: Option<BTreeMap<&'static str, u32>>,
    ) -> Shortfall {
        let reasons = reasons.unwrap_or_else(|| {
            let mut reasons = BTreeMap::new();
            let mut count = |index: u32| {
                self.evaluate(index, request, false, &mut |rejection| {
                    *reasons.entry(rejection.kind()).or_insert(0) += 1;
                    false
                });
            };
            if pool.len() == 0 && request.targets.is_empty() {
                // A geolocation filter that matches no node: count the rule against every node.
                (0..self.slots.len())
                    .filter_map(|i| u32::try_from(i).ok())
                    .for_each(&mut count);
            } else {
                (0..pool.len()).map(|i| pool.get(i)).for_each(&mut count);
            }
            reasons
        });
        Shortfall {
            wanted: request.instances,
            placed: u32::try_from(placement.nodes.len()).unwrap_or(u32::MAX),
            reasons,
        }
    }
}
