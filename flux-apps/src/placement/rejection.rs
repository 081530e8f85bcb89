//! The hard rules' verdicts: why a node cannot host an instance of an app, one variant per rule.

use core::fmt;
use std::net::IpAddr;

use super::{FaultDomain, GeoMismatch, ResourceKind};

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
    /// The request excludes this node for now ([`PlacementRequest::excluded`](super::PlacementRequest::excluded)).
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
