//! The `version`/`verack` handshake as fluxd runs it (`main.cpp:7106-7306`, `net.cpp:456-470`):
//! the dialling side speaks first, an answering side waits for the peer's `version`; each side
//! answers a `version` with its own (if not sent yet) and a `verack`. A peer below the minimum
//! protocol version gets `reject` (obsolete) and is dropped; a peer that sends back this side's
//! own nonce is this node itself.

use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use flux_consensus::NetworkParams;
use flux_pow::BlockHeight;
use flux_tx::p2p::{
    NetAddress, NetworkMessage, RejectCode, RejectMessage, ServiceFlags, VersionMessage,
};
use tokio::io::{AsyncRead, AsyncWrite};

use super::wire::{MessageReader, MessageWriter, Received, WireError};

/// The user agent this crate's peers send (`strSubVer`).
pub fn user_agent() -> String {
    format!("/flux-rs:{}/", env!("CARGO_PKG_VERSION"))
}

/// The lowest protocol version a peer may speak at the block after `tip`: fluxd's
/// `MIN_PEER_PROTO_VERSION` for the network, raised to the protocol version of the upgrade in
/// force (`main.cpp:7121-7144`: the epoch gate; 170020 on mainnet since proof of node).
pub fn min_peer_version(params: &dyn NetworkParams, tip: BlockHeight) -> i32 {
    let upgrade = params.current_upgrade(BlockHeight(tip.0.saturating_add(1)));
    let version = params
        .min_peer_protocol_version()
        .max(upgrade.protocol_version(params.network()));
    i32::try_from(version).unwrap_or(i32::MAX)
}

/// Which side opened the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// This side dialled: it sends `version` first.
    Outbound,
    /// The peer dialled: this side waits for its `version`.
    Inbound,
}

/// What this side says about itself in its `version`.
#[derive(Debug, Clone)]
pub struct LocalVersion {
    /// The protocol version sent (fluxd's current one by default).
    pub version: i32,
    /// Services offered (`NODE_NETWORK` for a node that serves blocks, none for a client).
    pub services: ServiceFlags,
    /// The height of this side's best chain.
    pub start_height: BlockHeight,
    /// This side's nonce: a `version` carrying it back is a connection to itself.
    pub nonce: u64,
    /// Whether transactions should be relayed to this side.
    pub relay: bool,
    /// The lowest version accepted from the peer.
    pub min_peer_version: i32,
}

impl LocalVersion {
    /// The `version` message for a peer at `peer_addr`.
    pub fn message(&self, peer_addr: SocketAddr) -> VersionMessage {
        let unspecified = SocketAddr::from(([0, 0, 0, 0], 0));
        VersionMessage {
            version: self.version,
            services: self.services,
            timestamp: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |elapsed| {
                    i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX)
                }),
            receiver: NetAddress::new(peer_addr, ServiceFlags::NONE),
            sender: NetAddress::new(unspecified, self.services),
            nonce: self.nonce,
            user_agent: user_agent().into_bytes(),
            start_height: i32::try_from(self.start_height.0).unwrap_or(i32::MAX),
            relay: Some(self.relay),
        }
    }
}

/// Why a handshake failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HandshakeError {
    /// The connection failed or the peer sent a frame that ends it.
    #[error("{0}")]
    Wire(#[from] WireError),
    /// The handshake was not over within its time.
    #[error("no handshake within {0:?}")]
    Timeout(Duration),
    /// The peer speaks a protocol version below the minimum.
    #[error("the peer speaks protocol version {version}; at least {minimum} is required")]
    Obsolete {
        /// The peer's version.
        version: i32,
        /// The minimum.
        minimum: i32,
    },
    /// The peer is this node itself (it sent back this side's nonce).
    #[error("connected to itself")]
    SelfConnection,
    /// The peer refused this side's `version`.
    #[error("the peer refused the handshake: {0}")]
    Refused(String),
}

/// The peer as its handshake described it.
#[derive(Debug, Clone)]
pub struct Handshake {
    /// The peer's `version`.
    pub peer: VersionMessage,
    /// Messages the peer sent before its `version` (fluxd scores each +1 and ignores it).
    pub early_messages: u32,
}

/// Runs the handshake on a fresh connection; it must be over within `timeout`.
///
/// # Errors
///
/// [`HandshakeError`]; the connection should then be closed.
pub async fn handshake<R, W>(
    reader: &mut MessageReader<R>,
    writer: &mut MessageWriter<W>,
    local: &LocalVersion,
    peer_addr: SocketAddr,
    direction: Direction,
    timeout: Duration,
) -> Result<Handshake, HandshakeError>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    tokio::time::timeout(
        timeout,
        exchange(reader, writer, local, peer_addr, direction, timeout),
    )
    .await
    .map_err(|_| HandshakeError::Timeout(timeout))?
}

async fn exchange<R, W>(
    reader: &mut MessageReader<R>,
    writer: &mut MessageWriter<W>,
    local: &LocalVersion,
    peer_addr: SocketAddr,
    direction: Direction,
    timeout: Duration,
) -> Result<Handshake, HandshakeError>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut sent_version = false;
    if direction == Direction::Outbound {
        writer
            .send(&NetworkMessage::Version(local.message(peer_addr)), timeout)
            .await?;
        sent_version = true;
    }
    let mut peer_version: Option<VersionMessage> = None;
    let mut got_verack = false;
    let mut early_messages = 0u32;
    while peer_version.is_none() || !got_verack {
        let message = match reader.next(timeout, timeout).await? {
            Received::Message(message) => message,
            Received::Dropped(_) | Received::Malformed { .. } => continue,
        };
        match message {
            NetworkMessage::Version(version) if peer_version.is_none() => {
                if version.nonce == local.nonce && direction == Direction::Inbound {
                    return Err(HandshakeError::SelfConnection);
                }
                if version.version < local.min_peer_version {
                    let reject = RejectMessage {
                        message: b"version".to_vec(),
                        code: RejectCode::OBSOLETE,
                        reason: format!("Version must be {} or greater", local.min_peer_version)
                            .into_bytes(),
                        hash: None,
                    };
                    let _ = writer.send(&NetworkMessage::Reject(reject), timeout).await;
                    return Err(HandshakeError::Obsolete {
                        version: version.version,
                        minimum: local.min_peer_version,
                    });
                }
                if !sent_version {
                    writer
                        .send(&NetworkMessage::Version(local.message(peer_addr)), timeout)
                        .await?;
                    sent_version = true;
                }
                writer.send(&NetworkMessage::Verack, timeout).await?;
                peer_version = Some(version);
            }
            NetworkMessage::Verack if peer_version.is_some() => got_verack = true,
            NetworkMessage::Reject(reject) if reject.message == b"version" => {
                return Err(HandshakeError::Refused(
                    String::from_utf8_lossy(&reject.reason).into_owned(),
                ));
            }
            // A ping during the handshake is answered so a strict peer does not time out.
            NetworkMessage::Ping(nonce) if peer_version.is_some() => {
                writer.send(&NetworkMessage::Pong(nonce), timeout).await?;
            }
            _ => early_messages = early_messages.saturating_add(1),
        }
    }
    let peer = peer_version.ok_or(HandshakeError::Timeout(timeout))?;
    Ok(Handshake {
        peer,
        early_messages,
    })
}

/// fluxd's default handshake and message deadline for this crate's peers (fluxd itself allows
/// 60 s for the first bytes, `net.cpp:1238-1259`).
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(60);

#[cfg(test)]
mod tests {
    use super::*;
    use flux_consensus::Devnet;
    use flux_tx::p2p::PROTOCOL_VERSION;

    fn local(nonce: u64, version: i32) -> LocalVersion {
        LocalVersion {
            version,
            services: ServiceFlags::NETWORK,
            start_height: BlockHeight(5),
            nonce,
            relay: true,
            min_peer_version: min_peer_version(&Devnet::default(), BlockHeight(5)),
        }
    }

    async fn run_pair(
        dialler: LocalVersion,
        answerer: LocalVersion,
    ) -> (
        Result<Handshake, HandshakeError>,
        Result<Handshake, HandshakeError>,
    ) {
        let magic = *b"FXdv";
        let (a, b) = tokio::io::duplex(1 << 16);
        let (a_read, a_write) = tokio::io::split(a);
        let (b_read, b_write) = tokio::io::split(b);
        let addr: SocketAddr = "127.0.0.1:1".parse().unwrap();
        let timeout = Duration::from_secs(5);
        let out = async move {
            let mut reader = MessageReader::new(a_read, magic);
            let mut writer = MessageWriter::new(a_write, magic);
            handshake(
                &mut reader,
                &mut writer,
                &dialler,
                addr,
                Direction::Outbound,
                timeout,
            )
            .await
        };
        let inb = async move {
            let mut reader = MessageReader::new(b_read, magic);
            let mut writer = MessageWriter::new(b_write, magic);
            handshake(
                &mut reader,
                &mut writer,
                &answerer,
                addr,
                Direction::Inbound,
                timeout,
            )
            .await
        };
        tokio::join!(out, inb)
    }

    #[tokio::test]
    async fn two_sides_learn_each_other() {
        let (out, inb) = run_pair(local(1, PROTOCOL_VERSION), local(2, PROTOCOL_VERSION)).await;
        let out = out.unwrap();
        let inb = inb.unwrap();
        assert_eq!(out.peer.nonce, 2);
        assert_eq!(inb.peer.nonce, 1);
        assert_eq!(out.peer.user_agent_str(), Some(user_agent().as_str()));
        assert_eq!(out.peer.start_height, 5);
        assert_eq!(out.early_messages, 0);
    }

    #[tokio::test]
    async fn an_obsolete_peer_is_rejected_and_told_why() {
        let (out, inb) = run_pair(local(1, 170_001), local(2, PROTOCOL_VERSION)).await;
        assert!(
            matches!(
                inb,
                Err(HandshakeError::Obsolete {
                    version: 170_001,
                    minimum: 170_016
                })
            ),
            "{inb:?}"
        );
        assert!(
            matches!(&out, Err(HandshakeError::Refused(reason)) if reason.contains("170016")),
            "{out:?}"
        );
    }

    #[tokio::test]
    async fn a_node_that_reaches_itself_drops_the_connection() {
        let (_, inb) = run_pair(local(9, PROTOCOL_VERSION), local(9, PROTOCOL_VERSION)).await;
        assert!(
            matches!(inb, Err(HandshakeError::SelfConnection)),
            "{inb:?}"
        );
    }

    #[test]
    fn the_minimum_follows_the_upgrade_in_force() {
        let devnet = Devnet::default();
        assert_eq!(min_peer_version(&devnet, BlockHeight(0)), 170_016);
        assert_eq!(min_peer_version(&devnet, BlockHeight(249)), 170_020);
        let main = flux_consensus::Mainnet;
        assert_eq!(min_peer_version(&main, BlockHeight(2_019_998)), 170_019);
        assert_eq!(min_peer_version(&main, BlockHeight(2_019_999)), 170_020);
    }
}
