//! The cluster: nodes, what runs where, and the bookkeeping of placing and releasing instances.

use core::fmt;
use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::sync::Arc;

use super::{
    AppPlacement, Node, PlacementError, PlacementPolicy, PlacementRequest, Rejection, Resources,
};

/// A node with what its instances use.
pub(super) struct NodeSlot {
    pub(super) node: Node,
    pub(super) used: Resources,
    pub(super) apps: u32,
}

/// Where one app runs.
#[derive(Default)]
pub(super) struct AppAlloc {
    pub(super) instances: Vec<Instance>,
    /// The host ports the app holds on each of its nodes' IPs.
    pub(super) ports: Vec<u16>,
}

/// One placed instance: the node's index and what the instance takes there (kept, so that
/// releasing it frees exactly that even if the request's demand changed since).
#[derive(Debug, Clone, Copy)]
pub(super) struct Instance {
    pub(super) node: u32,
    pub(super) taken: Resources,
}

/// The nodes, what runs where, and the placement policy.
pub struct Cluster {
    pub(super) policy: PlacementPolicy,
    /// Sorted by id, so that indices do not depend on input order.
    pub(super) slots: Vec<NodeSlot>,
    pub(super) by_id: HashMap<Arc<str>, u32>,
    /// `(full location path, node index)` sorted, for geolocation prefix ranges.
    pub(super) by_location: Vec<(String, u32)>,
    pub(super) ip_ports: HashMap<IpAddr, HashMap<u16, Arc<str>>>,
    pub(super) apps: HashMap<Arc<str>, AppAlloc>,
}

impl fmt::Debug for Cluster {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cluster")
            .field("nodes", &self.slots.len())
            .field("apps", &self.apps.len())
            .field("policy", &self.policy)
            .finish()
    }
}

impl Cluster {
    /// A cluster of `nodes` with nothing placed yet.
    ///
    /// # Errors
    ///
    /// [`PlacementError::DuplicateNode`] when two nodes share an id.
    pub fn new(mut nodes: Vec<Node>, policy: PlacementPolicy) -> Result<Self, PlacementError> {
        nodes.sort_by(|a, b| a.id.cmp(&b.id));
        let mut by_id = HashMap::with_capacity(nodes.len());
        let mut by_location = Vec::new();
        for (index, node) in nodes.iter().enumerate() {
            let index =
                u32::try_from(index).map_err(|_| PlacementError::DuplicateNode(node.id.clone()))?;
            if by_id.insert(Arc::from(node.id.as_str()), index).is_some() {
                return Err(PlacementError::DuplicateNode(node.id.clone()));
            }
            if let Some(location) = &node.location {
                by_location.push((location.full_path(), index));
            }
        }
        by_location.sort_unstable();
        let slots = nodes
            .into_iter()
            .map(|node| NodeSlot {
                node,
                used: Resources::default(),
                apps: 0,
            })
            .collect();
        Ok(Cluster {
            policy,
            slots,
            by_id,
            by_location,
            ip_ports: HashMap::new(),
            apps: HashMap::new(),
        })
    }

    /// The policy in use.
    pub fn policy(&self) -> &PlacementPolicy {
        &self.policy
    }

    /// The node with this id.
    pub fn node(&self, id: &str) -> Option<&Node> {
        self.by_id.get(id).map(|&i| &self.slots[i as usize].node)
    }

    /// Every node, sorted by id.
    pub fn nodes(&self) -> impl Iterator<Item = &Node> {
        self.slots.iter().map(|slot| &slot.node)
    }

    /// Marks a node available or not for new instances. Returns false for an unknown id.
    pub fn set_available(&mut self, id: &str, available: bool) -> bool {
        match self.by_id.get(id) {
            Some(&i) => {
                self.slots[i as usize].node.available = available;
                true
            }
            None => false,
        }
    }

    /// What is in use on a node.
    pub fn used(&self, id: &str) -> Option<Resources> {
        self.by_id.get(id).map(|&i| self.slots[i as usize].used)
    }

    /// The nodes an app runs on now, in placement order.
    pub fn placement_of(&self, app: &str) -> Vec<String> {
        self.apps
            .get(app)
            .map(|alloc| {
                alloc
                    .instances
                    .iter()
                    .map(|instance| self.slots[instance.node as usize].node.id.clone())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Forgets every instance of `app`, freeing its resources and ports.
    pub fn release(&mut self, app: &str) {
        let Some(alloc) = self.apps.remove(app) else {
            return;
        };
        for instance in alloc.instances {
            self.free_slot(instance.node, instance.taken, app, &alloc.ports);
        }
    }

    /// Forgets every instance of every app.
    pub fn release_all(&mut self) {
        self.apps.clear();
        self.ip_ports.clear();
        for slot in &mut self.slots {
            slot.used = Resources::default();
            slot.apps = 0;
        }
    }

    fn free_slot(&mut self, index: u32, taken: Resources, app: &str, ports: &[u16]) {
        let slot = &mut self.slots[index as usize];
        slot.used = slot.used.saturating_sub(taken);
        slot.apps = slot.apps.saturating_sub(1);
        let ip = slot.node.ip;
        if let Some(bound) = self.ip_ports.get_mut(&ip) {
            for port in ports {
                if bound.get(port).is_some_and(|holder| &**holder == app) {
                    bound.remove(port);
                }
            }
        }
    }

    /// Places `request`: keeps the instances on `current` nodes (in that order, oldest first) that
    /// still pass every rule, drops the excess, and adds instances on the best other nodes until
    /// `request.instances` run or no node is left.
    pub fn place(&mut self, request: &PlacementRequest, current: &[&str]) -> AppPlacement {
        self.release(&request.app);
        let mut placement = self.keep_current(request, current);
        self.fill(request, &mut placement);
        placement
    }

    /// Plans a whole round: every app keeps what it can of `current` (app → nodes, oldest first)
    /// before any app gets new nodes, then apps are filled in name order. Previous allocations are
    /// forgotten first.
    ///
    /// # Errors
    ///
    /// [`PlacementError::DuplicateApp`] when two requests name the same app.
    pub fn plan_round(
        &mut self,
        requests: &[PlacementRequest],
        current: &HashMap<String, Vec<String>>,
    ) -> Result<BTreeMap<String, AppPlacement>, PlacementError> {
        let mut order: Vec<&PlacementRequest> = requests.iter().collect();
        order.sort_by(|a, b| a.app.cmp(&b.app));
        if let Some(pair) = order.windows(2).find(|pair| pair[0].app == pair[1].app) {
            return Err(PlacementError::DuplicateApp(pair[0].app.clone()));
        }
        self.release_all();
        let mut plans = BTreeMap::new();
        for request in &order {
            let nodes: Vec<&str> = current
                .get(&request.app)
                .map(|nodes| nodes.iter().map(String::as_str).collect())
                .unwrap_or_default();
            plans.insert(request.app.clone(), self.keep_current(request, &nodes));
        }
        for request in &order {
            if let Some(plan) = plans.get_mut(&request.app) {
                self.fill(request, plan);
            }
        }
        Ok(plans)
    }

    fn keep_current(&mut self, request: &PlacementRequest, current: &[&str]) -> AppPlacement {
        let mut placement = AppPlacement::default();
        for &id in current {
            let Some(&index) = self.by_id.get(id) else {
                placement
                    .removed
                    .push((id.to_owned(), Some(Rejection::UnknownNode)));
                continue;
            };
            if placement.nodes.len() >= request.instances as usize {
                placement.removed.push((id.to_owned(), None));
                continue;
            }
            // A node that went unavailable keeps its instance until it is observed gone: the
            // reconciler cannot remove containers from an engine it cannot reach anyway.
            let mut first = None;
            self.evaluate(index, request, false, &mut |rejection| {
                if matches!(rejection, Rejection::NodeUnavailable) {
                    return true;
                }
                first = Some(rejection);
                false
            });
            match first {
                None => {
                    self.assign(index, request);
                    placement.nodes.push(id.to_owned());
                }
                Some(rejection) => placement.removed.push((id.to_owned(), Some(rejection))),
            }
        }
        placement.kept = placement.nodes.len();
        placement
    }

    pub(super) fn assign(&mut self, index: u32, request: &PlacementRequest) {
        let app: Arc<str> = match self.apps.get_key_value(request.app.as_str()) {
            Some((key, _)) => Arc::clone(key),
            None => Arc::from(request.app.as_str()),
        };
        let slot = &mut self.slots[index as usize];
        let taken = request.demand.for_tier(slot.node.tier);
        slot.used =
            slot.used
                .checked_add(taken)
                .unwrap_or(Resources::new(u32::MAX, u32::MAX, u32::MAX));
        slot.apps = slot.apps.saturating_add(1);
        let bound = self.ip_ports.entry(slot.node.ip).or_default();
        for &port in &request.ports {
            bound.entry(port).or_insert_with(|| Arc::clone(&app));
        }
        let alloc = self.apps.entry(app).or_default();
        alloc.ports.clone_from(&request.ports);
        alloc.instances.push(Instance { node: index, taken });
    }
}
