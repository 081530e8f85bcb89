//! Placement: which nodes run an app's instances.
//!
//! FluxOS has no coordinator: every node runs a spawner loop that picks a random app short of
//! instances, checks whether it may host it, and defers or collides with other nodes for minutes
//! (apps.md §4.2). This module computes the same decision centrally and deterministically, as the
//! spec's §8 suggests:
//!
//! * the hard rules are FluxOS's install rules: node available, at most one instance per node and
//!   per public IP, `nodes` targets, static IP, free CPU/RAM/disk of the node, the 200-apps-per-node
//!   limit (`cfg:246`), host ports free on the IP (`S/appNetwork/portManager.js:200-234`),
//!   geolocation ([`geo`]), and for synced (`r:`/`g:`/`s:`) apps one instance per fault domain
//!   (FluxOS uses the IPv4 /16; a node may name its ASN or provider instead);
//! * the preferences are FluxOS's spawner deferrals turned into a ranking: a node that FluxOS would
//!   make wait longer (a stratus node for a small app, a static-IP node for an app that does not need
//!   one, a node an app does not target) ranks lower (`appSpawner.js:520-620`);
//! * among equally preferred nodes, the less loaded one wins ("power of d choices": a few candidates
//!   are drawn from a seeded generator and the best is taken), then a seeded rendezvous hash of
//!   app and node breaks ties.
//!
//! Every decision depends only on the nodes, the requests and the seed, never on input order or
//! wall-clock time. [`Cluster::explain`] says in typed [`Rejection`]s why a node was not chosen.
//!
//! ```
//! use flux_apps::placement::{Cluster, Demand, Node, PlacementPolicy, PlacementRequest, Resources, Tier};
//!
//! let nodes = (0..5u8)
//!     .map(|i| Node::new(format!("node{i}"), [10, 0, i, 1].into(), Tier::Cumulus))
//!     .collect();
//! let mut cluster = Cluster::new(nodes, PlacementPolicy::with_seed(7))?;
//! let request = PlacementRequest::new("web", 3, Demand::Fixed(Resources::new(500, 1000, 10)));
//! let placed = cluster.place(&request, &[]);
//! assert_eq!(placed.nodes.len(), 3);
//! assert!(placed.shortfall.is_none());
//! # Ok::<(), flux_apps::placement::PlacementError>(())
//! ```

pub mod geo;

use core::fmt;
use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::sync::Arc;

pub use geo::{GeoConstraints, GeoMismatch, GeoRule, Location};

/// Most apps one node runs at once (`cfg:246` `maxAppsPerNode`).
pub const MAX_APPS_PER_NODE: u32 = 200;

/// The node tier (apps.md §6): the SDK's one tier type, re-exported where placement users find it.
pub use flux_tx::Tier;

/// What a node of `tier` may give to apps after the OS's locked share (`cfg:359-380`): cumulus
/// 3 CPUs / 5000 MB / 160 GB, nimbus 7 / 28000 / 380, stratus 15 / 59000 / 820. The figures are
/// the validator's tier limits ([`crate::spec::params::tier_limits`]), with CPU in millicores.
pub const fn app_capacity(tier: Tier) -> Resources {
    let limits = crate::spec::params::tier_limits(tier);
    Resources::new(limits.cpu_tenths * 100, limits.ram_mb, limits.hdd_gb)
}

/// One kind of node resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ResourceKind {
    /// CPU, in thousandths of a logical CPU.
    Cpu,
    /// Memory, in MB.
    Ram,
    /// Disk, in GB.
    Hdd,
}

impl fmt::Display for ResourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ResourceKind::Cpu => "cpu (millicores)",
            ResourceKind::Ram => "ram (MB)",
            ResourceKind::Hdd => "hdd (GB)",
        })
    }
}

/// An amount of node resources. CPU is counted in millicores so that v4+ specs' fractional CPUs
/// (for example 0.15) are exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Resources {
    /// CPU in thousandths of a logical CPU.
    pub cpu_millis: u32,
    /// Memory in MB.
    pub ram_mb: u32,
    /// Disk in GB.
    pub hdd_gb: u32,
}

impl Resources {
    /// Resources from CPU millicores, MB of RAM and GB of disk.
    pub const fn new(cpu_millis: u32, ram_mb: u32, hdd_gb: u32) -> Self {
        Resources {
            cpu_millis,
            ram_mb,
            hdd_gb,
        }
    }

    /// Resources from a spec's numbers (CPUs, MB, GB), each rounded up to the next unit.
    ///
    /// # Errors
    ///
    /// [`ResourceError`] when a value is negative, not finite, or too large for the units.
    pub fn from_spec(cpu: f64, ram_mb: f64, hdd_gb: f64) -> Result<Self, ResourceError> {
        fn units(kind: ResourceKind, value: f64, scale: f64) -> Result<u32, ResourceError> {
            let scaled = (value * scale).ceil();
            if !value.is_finite() || value < 0.0 || scaled > f64::from(u32::MAX) {
                return Err(ResourceError { kind, value });
            }
            // In range and non-negative, checked just above.
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            Ok(scaled as u32)
        }
        Ok(Resources {
            cpu_millis: units(ResourceKind::Cpu, cpu, 1000.0)?,
            ram_mb: units(ResourceKind::Ram, ram_mb, 1.0)?,
            hdd_gb: units(ResourceKind::Hdd, hdd_gb, 1.0)?,
        })
    }

    /// One resource by kind.
    pub const fn get(&self, kind: ResourceKind) -> u32 {
        match kind {
            ResourceKind::Cpu => self.cpu_millis,
            ResourceKind::Ram => self.ram_mb,
            ResourceKind::Hdd => self.hdd_gb,
        }
    }

    /// The sum, or `None` on overflow.
    pub fn checked_add(self, other: Resources) -> Option<Resources> {
        Some(Resources {
            cpu_millis: self.cpu_millis.checked_add(other.cpu_millis)?,
            ram_mb: self.ram_mb.checked_add(other.ram_mb)?,
            hdd_gb: self.hdd_gb.checked_add(other.hdd_gb)?,
        })
    }

    /// The difference, clamped at zero.
    pub fn saturating_sub(self, other: Resources) -> Resources {
        Resources {
            cpu_millis: self.cpu_millis.saturating_sub(other.cpu_millis),
            ram_mb: self.ram_mb.saturating_sub(other.ram_mb),
            hdd_gb: self.hdd_gb.saturating_sub(other.hdd_gb),
        }
    }

    const KINDS: [ResourceKind; 3] = [ResourceKind::Cpu, ResourceKind::Ram, ResourceKind::Hdd];
}

/// A resource value a spec gives that cannot be counted.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ResourceError {
    /// Which resource.
    pub kind: ResourceKind,
    /// The value given.
    pub value: f64,
}

impl fmt::Display for ResourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} value {} is negative, not finite or too large",
            self.kind, self.value
        )
    }
}

impl std::error::Error for ResourceError {}

/// What one instance of an app needs on a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Demand {
    /// The same on every node (v4+ specs: the sum over components).
    Fixed(Resources),
    /// Per tier (v1–7 `tiered` specs: the node's tier picks the values).
    Tiered {
        /// On cumulus nodes.
        cumulus: Resources,
        /// On nimbus nodes.
        nimbus: Resources,
        /// On stratus nodes.
        stratus: Resources,
    },
}

impl Demand {
    /// What an instance needs on a node of `tier`.
    pub const fn for_tier(&self, tier: Tier) -> Resources {
        match *self {
            Demand::Fixed(resources) => resources,
            Demand::Tiered {
                cumulus,
                nimbus,
                stratus,
            } => match tier {
                Tier::Cumulus => cumulus,
                Tier::Nimbus => nimbus,
                Tier::Stratus => stratus,
            },
        }
    }
}

/// A node that can host app instances.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// Unique id (for example the collateral outpoint or a host name).
    pub id: String,
    /// Public IP. Nodes behind one NAT share it, and may then host only one instance of an app and
    /// must not bind the same host port (FluxOS #1795).
    pub ip: IpAddr,
    /// Tier, for tiered specs and the deferral ranking.
    pub tier: Tier,
    /// What apps may use in total (by default the tier's [`app_capacity`]).
    pub capacity: Resources,
    /// Geolocation, if known.
    pub location: Option<Location>,
    /// The node has a static IP (FluxOS `isStaticIP`).
    pub static_ip: bool,
    /// A failure domain (ASN, provider, rack). Synced apps get at most one instance per domain;
    /// without it FluxOS's rule applies: the IPv4 /16 (IPv6 /48).
    pub fault_domain: Option<String>,
    /// The collateral outpoint `txhash:index`, which a spec's `nodes` may name.
    pub collateral: Option<String>,
    /// False while the node is down, unconfirmed or otherwise must not get new instances.
    pub available: bool,
}

impl Node {
    /// An available node with its tier's capacity and no location.
    pub fn new(id: impl Into<String>, ip: IpAddr, tier: Tier) -> Node {
        Node {
            id: id.into(),
            ip,
            tier,
            capacity: app_capacity(tier),
            location: None,
            static_ip: false,
            fault_domain: None,
            collateral: None,
            available: true,
        }
    }

    fn fault_domain_key(&self) -> FaultDomain {
        if let Some(domain) = &self.fault_domain {
            return FaultDomain::Named(domain.clone());
        }
        match self.ip {
            IpAddr::V4(v4) => {
                let [a, b, _, _] = v4.octets();
                FaultDomain::Ipv4Slash16([a, b])
            }
            IpAddr::V6(v6) => {
                let s = v6.segments();
                FaultDomain::Ipv6Slash48([s[0], s[1], s[2]])
            }
        }
    }
}

/// A failure domain used to spread synced apps.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FaultDomain {
    /// A domain the node named ([`Node::fault_domain`]).
    Named(String),
    /// The IPv4 /16 (FluxOS's rule, `appSpawner.js:461-475`).
    Ipv4Slash16([u8; 2]),
    /// The IPv6 /48.
    Ipv6Slash48([u16; 3]),
}

impl fmt::Display for FaultDomain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FaultDomain::Named(name) => f.write_str(name),
            FaultDomain::Ipv4Slash16([a, b]) => write!(f, "{a}.{b}.0.0/16"),
            FaultDomain::Ipv6Slash48([a, b, c]) => write!(f, "{a:x}:{b:x}:{c:x}::/48"),
        }
    }
}

/// One entry of a spec's `nodes` list.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum NodeTarget {
    /// A node IP (a port, if given, is ignored).
    Ip(IpAddr),
    /// A collateral outpoint `txhash:index`.
    Collateral(String),
}

impl NodeTarget {
    /// Parses an IP, `IP:port`, or a `txhash:index` outpoint; `None` for anything else.
    pub fn parse(entry: &str) -> Option<NodeTarget> {
        if let Ok(ip) = entry.parse::<IpAddr>() {
            return Some(NodeTarget::Ip(ip));
        }
        if let Ok(socket) = entry.parse::<std::net::SocketAddr>() {
            return Some(NodeTarget::Ip(socket.ip()));
        }
        let (txid, index) = entry.split_once(':')?;
        let is_outpoint = txid.len() == 64
            && txid.bytes().all(|b| b.is_ascii_hexdigit())
            && !index.is_empty()
            && index.bytes().all(|b| b.is_ascii_digit());
        is_outpoint.then(|| NodeTarget::Collateral(entry.to_ascii_lowercase()))
    }

    fn matches(&self, node: &Node) -> bool {
        match self {
            NodeTarget::Ip(ip) => node.ip == *ip,
            NodeTarget::Collateral(outpoint) => node
                .collateral
                .as_deref()
                .is_some_and(|own| own.eq_ignore_ascii_case(outpoint)),
        }
    }
}

/// How strictly an app's `nodes` list binds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TargetMode {
    /// Only listed nodes may host it (v7 install check, enterprise-owner apps).
    #[default]
    Required,
    /// Listed nodes are preferred; others get it after a deferral (v8 apps, `appSpawner.js:520`).
    Preferred,
}

/// What placement needs to know about one app.
#[derive(Debug, Clone, PartialEq)]
pub struct PlacementRequest {
    /// App name (unique).
    pub app: String,
    /// How many instances should run.
    pub instances: u32,
    /// What one instance needs.
    pub demand: Demand,
    /// Host ports the app binds on its node's public IP.
    pub ports: Vec<u16>,
    /// Geolocation rules.
    pub geolocation: GeoConstraints,
    /// Only static-IP nodes may host it.
    pub static_ip: bool,
    /// The spec's `nodes` list.
    pub targets: Vec<NodeTarget>,
    /// How `targets` binds.
    pub target_mode: TargetMode,
    /// The app syncs volumes (`r:`/`g:`/`s:`): one instance per fault domain.
    pub synced: bool,
    /// Node ids the app must not use for now (for example after repeated install failures there,
    /// like FluxOS's install-error records that make other nodes take the app).
    pub excluded: Vec<String>,
}

impl PlacementRequest {
    /// A request without ports, targets or geolocation rules.
    pub fn new(app: impl Into<String>, instances: u32, demand: Demand) -> Self {
        PlacementRequest {
            app: app.into(),
            instances,
            demand,
            ports: Vec::new(),
            geolocation: GeoConstraints::default(),
            static_ip: false,
            targets: Vec::new(),
            target_mode: TargetMode::Required,
            synced: false,
            excluded: Vec::new(),
        }
    }
}

/// Why a node cannot host an instance of an app. One variant per rule.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rejection {
    /// No node has this id.
    UnknownNode,
    /// The node is marked unavailable (down, unconfirmed, unreachable engine).
    NodeUnavailable,
    /// The node already runs an instance of the app.
    AlreadyHostsInstance,
    /// Another node behind the same public IP runs an instance of the app.
    IpHostsInstance {
        /// The shared IP.
        ip: IpAddr,
        /// The node that runs it.
        node: String,
    },
    /// The app lists target nodes and this node is not one of them.
    NotTargeted,
    /// The app requires a static IP and the node has none.
    StaticIpRequired,
    /// The node runs the most apps a node may run.
    TooManyApps {
        /// The limit.
        limit: u32,
    },
    /// One instance needs more than the node could ever give.
    ExceedsCapacity {
        /// Which resource.
        resource: ResourceKind,
        /// What one instance needs.
        required: u32,
        /// The node's whole capacity.
        capacity: u32,
    },
    /// Not enough of a resource is free now.
    Insufficient {
        /// Which resource.
        resource: ResourceKind,
        /// What one instance needs.
        required: u32,
        /// What is free.
        free: u32,
    },
    /// A host port of the app is bound by another app on the node's IP.
    PortInUse {
        /// The port.
        port: u16,
        /// The app that holds it.
        holder: String,
    },
    /// The app syncs volumes and already runs in this failure domain.
    SameFaultDomain {
        /// The shared domain.
        domain: FaultDomain,
    },
    /// The node's location fails the app's geolocation rules.
    Geolocation(GeoMismatch),
    /// The request excludes this node for now ([`PlacementRequest::excluded`]).
    Excluded,
}

impl Rejection {
    /// A short stable name of the rule, for counting and logs.
    pub fn kind(&self) -> &'static str {
        match self {
            Rejection::UnknownNode => "unknown-node",
            Rejection::NodeUnavailable => "node-unavailable",
            Rejection::AlreadyHostsInstance => "already-hosts-instance",
            Rejection::IpHostsInstance { .. } => "ip-hosts-instance",
            Rejection::NotTargeted => "not-targeted",
            Rejection::StaticIpRequired => "static-ip-required",
            Rejection::TooManyApps { .. } => "too-many-apps",
            Rejection::ExceedsCapacity { .. } => "exceeds-capacity",
            Rejection::Insufficient { .. } => "insufficient-resources",
            Rejection::PortInUse { .. } => "port-in-use",
            Rejection::SameFaultDomain { .. } => "same-fault-domain",
            Rejection::Geolocation(_) => "geolocation",
            Rejection::Excluded => "excluded",
        }
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rejection::UnknownNode => f.write_str("no node has this id"),
            Rejection::NodeUnavailable => f.write_str("the node is unavailable"),
            Rejection::AlreadyHostsInstance => f.write_str("the node already runs an instance"),
            Rejection::IpHostsInstance { ip, node } => {
                write!(
                    f,
                    "node {node} behind the same IP {ip} already runs an instance"
                )
            }
            Rejection::NotTargeted => f.write_str("the app's `nodes` list does not name this node"),
            Rejection::StaticIpRequired => f.write_str("the app needs a static IP"),
            Rejection::TooManyApps { limit } => write!(f, "the node already runs {limit} apps"),
            Rejection::ExceedsCapacity {
                resource,
                required,
                capacity,
            } => {
                write!(
                    f,
                    "{resource}: an instance needs {required}, the node has {capacity} in all"
                )
            }
            Rejection::Insufficient {
                resource,
                required,
                free,
            } => {
                write!(f, "{resource}: an instance needs {required}, {free} free")
            }
            Rejection::PortInUse { port, holder } => {
                write!(f, "host port {port} is used by app {holder} on this IP")
            }
            Rejection::SameFaultDomain { domain } => {
                write!(f, "the synced app already runs in fault domain {domain}")
            }
            Rejection::Geolocation(mismatch) => mismatch.fmt(f),
            Rejection::Excluded => f.write_str("the app excludes this node for now"),
        }
    }
}

/// The answer of [`Cluster::explain`].
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

/// Errors building a cluster or planning a round.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PlacementError {
    /// Two nodes share an id.
    DuplicateNode(String),
    /// Two requests name the same app.
    DuplicateApp(String),
}

impl fmt::Display for PlacementError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlacementError::DuplicateNode(id) => write!(f, "two nodes have the id {id}"),
            PlacementError::DuplicateApp(app) => write!(f, "two requests name the app {app}"),
        }
    }
}

impl std::error::Error for PlacementError {}

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

struct NodeSlot {
    node: Node,
    used: Resources,
    apps: u32,
}

#[derive(Default)]
struct AppAlloc {
    /// Node indices and what each instance took there.
    nodes: Vec<(u32, Resources)>,
    ports: Vec<u16>,
}

/// The nodes, what runs where, and the placement policy.
pub struct Cluster {
    policy: PlacementPolicy,
    /// Sorted by id, so that indices do not depend on input order.
    slots: Vec<NodeSlot>,
    by_id: HashMap<Arc<str>, u32>,
    /// `(full location path, node index)` sorted, for geolocation prefix ranges.
    by_location: Vec<(String, u32)>,
    ip_ports: HashMap<IpAddr, HashMap<u16, Arc<str>>>,
    apps: HashMap<Arc<str>, AppAlloc>,
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

enum Pool {
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
                    .nodes
                    .iter()
                    .map(|&(i, _)| self.slots[i as usize].node.id.clone())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Forgets every instance of `app`, freeing its resources and ports.
    pub fn release(&mut self, app: &str) {
        let Some(alloc) = self.apps.remove(app) else {
            return;
        };
        for (index, taken) in alloc.nodes {
            self.free_slot(index, taken, app, &alloc.ports);
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

    fn assign(&mut self, index: u32, request: &PlacementRequest) {
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
        alloc.nodes.push((index, taken));
    }

    /// Runs the rules for node `index`; `on_reject` returns whether to go on with further rules.
    /// `skip_placed_check` is for explaining a node the app already runs on.
    fn evaluate(
        &self,
        index: u32,
        request: &PlacementRequest,
        skip_placed_check: bool,
        on_reject: &mut dyn FnMut(Rejection) -> bool,
    ) {
        let slot = &self.slots[index as usize];
        let node = &slot.node;
        let placed: &[(u32, Resources)] = self
            .apps
            .get(request.app.as_str())
            .map_or(&[], |alloc| alloc.nodes.as_slice());

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
        if !skip_placed_check && placed.iter().any(|&(i, _)| i == index) {
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
        if let Some(&(other, _)) = placed
            .iter()
            .find(|&&(i, _)| i != index && self.slots[i as usize].node.ip == node.ip)
        {
            reject!(Rejection::IpHostsInstance {
                ip: node.ip,
                node: self.slots[other as usize].node.id.clone()
            });
        }
        if request.synced {
            let domain = node.fault_domain_key();
            if placed.iter().any(|&(i, _)| {
                i != index && self.slots[i as usize].node.fault_domain_key() == domain
            }) {
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

    fn eligible(&self, index: u32, request: &PlacementRequest) -> bool {
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
        let placed = self
            .apps
            .get(request.app.as_str())
            .is_some_and(|alloc| alloc.nodes.iter().any(|&(i, _)| i == index));
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

    /// The ranking key of an eligible node: deferral, then load after placing, then a seeded
    /// rendezvous hash of app and node.
    fn score(&self, index: u32, request: &PlacementRequest, app_hash: u64) -> (u32, u32, u64) {
        let slot = &self.slots[index as usize];
        let need = request.demand.for_tier(slot.node.tier);
        let mut load = 0u32;
        for kind in Resources::KINDS {
            let capacity = u64::from(slot.node.capacity.get(kind));
            let after = u64::from(slot.used.get(kind)) + u64::from(need.get(kind));
            let permille = (after * 1000).checked_div(capacity).unwrap_or(1000);
            load = load.max(u32::try_from(permille).unwrap_or(u32::MAX));
        }
        (
            self.deferral_minutes(&slot.node, request),
            load,
            mix64(app_hash ^ u64::from(index).wrapping_mul(0x9E37_79B9_7F4A_7C15)),
        )
    }

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

    fn fill(&mut self, request: &PlacementRequest, placement: &mut AppPlacement) {
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
            targeted.sort_by_key(|&i| self.score(i, request, app_hash));
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
        let d = self.policy.candidates_per_instance.max(1);
        // Set once sampling fails: every eligible node of the pool, best first, and why the others
        // were rejected.
        let mut scan: Option<(Vec<u32>, usize, BTreeMap<&'static str, u32>)> = None;
        while placement.nodes.len() < wanted {
            let chosen = match &mut scan {
                None => {
                    let mut best: Option<((u32, u32, u64), u32)> = None;
                    let mut found = 0;
                    for _ in 0..self.policy.max_draws_per_instance {
                        let index = pool.get(rng.below(pool_len));
                        if self.eligible(index, request) {
                            let key = self.score(index, request, app_hash);
                            if best.is_none_or(|(b, _)| key < b) {
                                best = Some((key, index));
                            }
                            found += 1;
                            if found >= d {
                                break;
                            }
                        }
                    }
                    match best {
                        Some((_, index)) => Some(index),
                        None => {
                            scan = Some(self.scan(request, &pool, app_hash));
                            continue;
                        }
                    }
                }
                Some((eligible, cursor, _)) => {
                    // Earlier picks may have made later candidates ineligible (same IP, same
                    // fault domain), so check again.
                    let mut pick = None;
                    while *cursor < eligible.len() {
                        let index = eligible[*cursor];
                        *cursor += 1;
                        if self.eligible(index, request) {
                            pick = Some(index);
                            break;
                        }
                    }
                    pick
                }
            };
            let Some(index) = chosen else { break };
            self.assign(index, request);
            placement
                .nodes
                .push(self.slots[index as usize].node.id.clone());
        }
        if placement.nodes.len() < wanted {
            let reasons = scan.map(|(_, _, reasons)| reasons);
            placement.shortfall = Some(self.shortfall(request, &pool, placement, reasons));
        }
    }

    /// Evaluates every node of the pool once: the eligible ones sorted best first, and the first
    /// failing rule of the others counted by kind.
    fn scan(
        &self,
        request: &PlacementRequest,
        pool: &Pool,
        app_hash: u64,
    ) -> (Vec<u32>, usize, BTreeMap<&'static str, u32>) {
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
                eligible.push((self.score(index, request, app_hash), index));
            }
        }
        eligible.sort_unstable();
        (
            eligible.into_iter().map(|(_, index)| index).collect(),
            0,
            reasons,
        )
    }

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

/// SplitMix64: a tiny, well-mixed generator; enough for seeded sampling.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix64(self.0)
    }

    /// A number below `n` (`n > 0`), by multiply-shift (bias below 2^-32 for n < 2^32).
    fn below(&mut self, n: usize) -> usize {
        let wide = u128::from(self.next()) * n as u128;
        // The product shifted by 64 is below `n`, which is a usize.
        #[allow(clippy::cast_possible_truncation)]
        let value = (wide >> 64) as usize;
        value
    }
}

fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// FNV-1a, 64-bit: a stable hash of names, independent of the process (unlike `RandomState`).
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash = 0xcbf2_9ce4_8422_2325u64;
    for &byte in bytes {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}
