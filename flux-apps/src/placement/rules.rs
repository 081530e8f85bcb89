//! FluxOS's install rules, evaluated for one node and one app against the cluster as it is now.

use super::cluster::{Cluster, Instance};
use super::{Explanation, PlacementRequest, Rejection, Resources, TargetMode};

impl Cluster {
    /// Runs the rules for node `index`; `on_reject` returns whether to go on with further rules.
    /// `skip_placed_check` is for explaining a node the app already runs on.
    pub(super) fn evaluate(
        &self,
        index: u32,
        request: &PlacementRequest,
        skip_placed_check: bool,
        on_reject: &mut dyn FnMut(Rejection) -> bool,
    ) {
        let slot = &self.slots[index as usize];
        let node = &slot.node;
        let placed: &[Instance] = self
            .apps
            .get(request.app.as_str())
            .map_or(&[], |alloc| alloc.instances.as_slice());

        macro_rules! reject {
            ($rejection:expr) => {
                if !on_reject($rejection) {
                    return;
                }
            };
        }

        if !node.available {
            reject!(Rejection::NodeUnavailable);
        }
        if !request.excluded.is_empty() && request.excluded.contains(&node.id) {
            reject!(Rejection::Excluded);
        }
        if !skip_placed_check && placed.iter().any(|instance| instance.node == index) {
            reject!(Rejection::AlreadyHostsInstance);
        }
        if !request.targets.is_empty()
            && request.target_mode == TargetMode::Required
            && !request.targets.iter().any(|target| target.matches(node))
        {
            reject!(Rejection::NotTargeted);
        }
        if request.static_ip && !node.static_ip {
            reject!(Rejection::StaticIpRequired);
        }
        if slot.apps >= self.policy.max_apps_per_node {
            reject!(Rejection::TooManyApps {
                limit: self.policy.max_apps_per_node
            });
        }
        let need = request.demand.for_tier(node.tier);
        let free = node.capacity.saturating_sub(slot.used);
        for kind in Resources::KINDS {
            let (required, capacity, free) =
                (need.get(kind), node.capacity.get(kind), free.get(kind));
            if required > capacity {
                reject!(Rejection::ExceedsCapacity {
                    resource: kind,
                    required,
                    capacity
                });
            } else if required > free {
                reject!(Rejection::Insufficient {
                    resource: kind,
                    required,
                    free
                });
            }
        }
        if let Some(other) = placed
            .iter()
            .map(|instance| instance.node)
            .find(|&other| other != index && self.slots[other as usize].node.ip == node.ip)
        {
            reject!(Rejection::IpHostsInstance {
                ip: node.ip,
                node: self.slots[other as usize].node.id.clone()
            });
        }
        if request.synced {
            let domain = node.fault_domain_key();
            if placed
                .iter()
                .map(|instance| instance.node)
                .any(|i| i != index && self.slots[i as usize].node.fault_domain_key() == domain)
            {
                reject!(Rejection::SameFaultDomain { domain });
            }
        }
        if let Some(bound) = self.ip_ports.get(&node.ip) {
            for port in &request.ports {
                if let Some(holder) = bound.get(port)
                    && **holder != *request.app
                {
                    reject!(Rejection::PortInUse {
                        port: *port,
                        holder: holder.to_string()
                    });
                }
            }
        }
        if let Err(mismatch) = request.geolocation.check(node.location.as_ref()) {
            reject!(Rejection::Geolocation(mismatch));
        }
    }

    pub(super) fn eligible(&self, index: u32, request: &PlacementRequest) -> bool {
        let mut ok = true;
        self.evaluate(index, request, false, &mut |_| {
            ok = false;
            false
        });
        ok
    }

    /// Explains why `node` does or does not run an instance of `request.app`, against the
    /// allocations as they are now.
    pub fn explain(&self, request: &PlacementRequest, node: &str) -> Explanation {
        let Some(&index) = self.by_id.get(node) else {
            return Explanation::Rejected(vec![Rejection::UnknownNode]);
        };
        let placed = self.apps.get(request.app.as_str()).is_some_and(|alloc| {
            alloc
                .instances
                .iter()
                .any(|instance| instance.node == index)
        });
        if placed {
            return Explanation::Chosen;
        }
        let mut reasons = Vec::new();
        self.evaluate(index, request, false, &mut |rejection| {
            reasons.push(rejection);
            true
        });
        if reasons.is_empty() {
            Explanation::Eligible
        } else {
            Explanation::Rejected(reasons)
        }
    }
}
