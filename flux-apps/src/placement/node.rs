//! The nodes that host app instances, and the failure domains synced apps spread over.

use core::fmt;
use std::net::IpAddr;

use super::{Location, Resources, Tier, app_capacity};

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

    pub(super) fn fault_domain_key(&self) -> FaultDomain {
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
