//! Speaking fluxd's peer-to-peer protocol over TCP, on top of the pure codecs of
//! [`flux_tx::p2p`]: a bounded message reader and a writer ([`wire`]), and the `version`/`verack`
//! handshake ([`handshake`]). The reference node ([`crate::node`]) and `flux peer` share them;
//! `flux peer` drives them through a small header-downloading client ([`client`]).
//!
//! ```
//! use examples::p2p::handshake::{LocalVersion, min_peer_version, user_agent};
//! use flux_consensus::Devnet;
//! use flux_pow::BlockHeight;
//! use flux_tx::p2p::{PROTOCOL_VERSION, ServiceFlags};
//!
//! let devnet = Devnet::default();
//! let ours = LocalVersion {
//!     version: PROTOCOL_VERSION,
//!     services: ServiceFlags::NETWORK,
//!     start_height: BlockHeight(300),
//!     nonce: 42,
//!     relay: true,
//!     // Past the devnet's proof-of-node switch a peer must speak at least 170020.
//!     min_peer_version: min_peer_version(&devnet, BlockHeight(300)),
//! };
//! let version = ours.message("127.0.0.1:36125".parse().unwrap());
//! assert_eq!(version.user_agent_str(), Some(user_agent().as_str()));
//! assert_eq!(ours.min_peer_version, 170_020);
//! ```

pub mod client;
pub mod handshake;
pub mod wire;
