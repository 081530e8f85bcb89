//! What placement is asked for one app: instances, demand, ports, geolocation and target nodes.

use std::net::IpAddr;

use super::{Demand, GeoConstraints, Node};

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

    pub(super) fn matches(&self, node: &Node) -> bool {
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
