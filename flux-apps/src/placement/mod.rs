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

mod cluster;
mod error;
pub mod geo;
mod node;
mod outcome;
mod policy;
mod ranking;
mod rejection;
mod request;
mod resources;
mod rules;
mod search;

/// The node tier (apps.md §6): the SDK's one tier type, re-exported where placement users find it.
pub use flux_tx::Tier;

pub use cluster::Cluster;
pub use error::PlacementError;
pub use geo::{GeoConstraints, GeoMismatch, GeoRule, Location};
pub use node::{FaultDomain, Node};
pub use outcome::{AppPlacement, Explanation, Shortfall};
pub use policy::{MAX_APPS_PER_NODE, PlacementPolicy};
pub use rejection::Rejection;
pub use request::{NodeTarget, PlacementRequest, TargetMode};
pub use resources::{Demand, ResourceError, ResourceKind, Resources, app_capacity};
