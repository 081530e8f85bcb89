//! A small peer client for researchers: dial any node that speaks fluxd's protocol, complete the
//! handshake as a client that serves nothing, and download headers, checking each one on its own
//! (the checks that need no chain state) and the links between them.
//!
//! The client announces protocol version [`CLIENT_PROTOCOL_VERSION`] (170020), not fluxd's
//! current 170021: fluxd answers a 170021 peer's `getheaders` below its last checkpoint with
//! `cmpheaders`, whose proof-of-work entries carry the sender's word for the hash instead of the
//! Equihash solution, and answers a 170020 peer with full `headers` that can be verified
//! (`p2p.md` §8, §12). It offers no services and asks not to be sent transactions, so a fluxd
//! peer never asks it for headers or floods it with `inv`.
//!
//! While it waits for a reply it answers `ping` (fluxd drops a peer that leaves a ping unanswered)
//! and reads past every message it has no use for (`inv`, `addr`, `alert`, …).
//!
//! ```no_run
//! use std::time::Duration;
//!
//! use examples::p2p::client::{PeerClient, Start, Timeouts};
//! use flux_consensus::Mainnet;
//!
//! # async fn run() -> Result<(), examples::p2p::client::ClientError> {
//! let mut peer = PeerClient::connect(&Mainnet, "127.0.0.1:16125", Timeouts::default()).await?;
//! println!("{:?}", peer.peer_version().user_agent_str());
//! let summary = peer
//!     .get_headers(&Mainnet, Start::Genesis, 320, |checked| {
//!         println!("{} {} {:?}", checked.height.0, checked.hash, checked.fault);
//!     })
//!     .await?;
//! println!("{} headers, {} invalid", summary.received, summary.invalid);
//! # Ok(())
//! # }
//! ```

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use flux_consensus::check::block::height_script;
use flux_consensus::check::header::check_header_for_height;
use flux_consensus::{HeaderError, NetworkParams};
use flux_pow::{BlockHeight, Network};
use flux_tx::p2p::{
    FrameError, Inventory, LocatorRequest, MAX_HEADERS_RESULTS, NetworkMessage, PayloadError,
    ServiceFlags, VersionMessage,
};
use flux_tx::{Block, BlockHash, BlockHeader};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

use super::handshake::{Direction, HandshakeError, LocalVersion, handshake};
use super::wire::{MessageReader, MessageWriter, Received, WireError};

/// The protocol version the client announces: `PROOF_OF_NODE` (170020), the lowest a mainnet
/// peer accepts since proof of node, and the highest that is still answered with full, verifiable
/// `headers` rather than `cmpheaders` (`p2p.md` §12).
pub const CLIENT_PROTOCOL_VERSION: i32 = 170_020;

/// The oldest peer version the client talks to: `INIT_PROTO_VERSION` (`version.h`), the version
/// of the `version` message itself. A researcher probing the network wants to see old peers too,
/// so the client does not apply fluxd's minimum; an old peer's replies are read all the same.
pub const OLDEST_PEER_VERSION: i32 = 209;

/// How long each step may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Resolving the name and opening the TCP connection.
    pub connect: Duration,
    /// The whole `version`/`verack` exchange.
    pub handshake: Duration,
    /// Each `getheaders` until its `headers` reply is whole.
    pub reply: Duration,
}

impl Timeouts {
    /// The same limit for every step.
    pub fn all(limit: Duration) -> Timeouts {
        Timeouts {
            connect: limit,
            handshake: limit,
            reply: limit,
        }
    }
}

impl Default for Timeouts {
    /// 30 s per step: fluxd itself drops a connection that is silent for 60 s at the start.
    fn default() -> Timeouts {
        Timeouts::all(Duration::from_secs(30))
    }
}

/// Why the client could not talk to the peer. Every message names what to try next.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The peer's name did not resolve.
    #[error("cannot resolve {target}: {source} (expected HOST:PORT, e.g. 127.0.0.1:16125)")]
    Resolve {
        /// What was given.
        target: String,
        /// The resolver's answer.
        source: std::io::Error,
    },
    /// The name resolved to no address.
    #[error("{target} resolves to no address")]
    NoAddress {
        /// What was given.
        target: String,
    },
    /// Nothing listens at the address.
    #[error(
        "connection to {addr} refused: no node listens there (is it running, and is this its P2P port? fluxd uses 16125 on main, 26125 on test)"
    )]
    Refused {
        /// The address dialled.
        addr: SocketAddr,
    },
    /// The connection failed for another reason.
    #[error("cannot connect to {addr}: {source}")]
    Connect {
        /// The address dialled.
        addr: SocketAddr,
        /// The socket's error.
        source: std::io::Error,
    },
    /// The connection was not open within its time.
    #[error(
        "no connection to {target} within {timeout:?}: the host does not answer (firewall, or a wrong address), or needs a longer timeout"
    )]
    ConnectTimeout {
        /// What was given.
        target: String,
        /// The limit.
        timeout: Duration,
    },
    /// The peer's messages carry another network's magic.
    #[error(
        "the peer at {addr} is on {found_network} (message start {found:02x?}), not {expected_network}: ask for {found_network} instead (--network {found_network})"
    )]
    WrongNetwork {
        /// The address dialled.
        addr: SocketAddr,
        /// The network asked for.
        expected_network: &'static str,
        /// The network whose magic the peer sent, or `an unknown network`.
        found_network: &'static str,
        /// The four bytes the peer's frame started with.
        found: [u8; 4],
    },
    /// The peer closed the connection before the handshake was over. fluxd does that, without a
    /// word, to a peer whose messages carry another network's magic.
    #[error(
        "the peer at {addr} closed the connection during the handshake: it is probably not on {network} (fluxd hangs up without a word on a peer that sends another network's magic); check the network (--network)"
    )]
    ClosedDuringHandshake {
        /// The address dialled.
        addr: SocketAddr,
        /// The network asked for.
        network: &'static str,
    },
    /// The handshake did not finish in time.
    #[error(
        "the peer at {addr} did not complete the handshake within {timeout:?}: it does not speak fluxd's protocol on this port, or it is overloaded and needs a longer timeout"
    )]
    HandshakeTimeout {
        /// The address dialled.
        addr: SocketAddr,
        /// The limit.
        timeout: Duration,
    },
    /// The handshake failed otherwise (the peer refused this client's version, it speaks a version
    /// older than the `version` message, the socket failed).
    #[error("handshake with {addr} failed: {source}")]
    Handshake {
        /// The address dialled.
        addr: SocketAddr,
        /// What went wrong.
        source: HandshakeError,
    },
    /// The peer sent nothing usable in reply to `getheaders` within the time.
    #[error(
        "the peer did not answer getheaders within {0:?}: a node still in initial block download stays silent; try another peer, or a longer timeout"
    )]
    NoHeadersReply(Duration),
    /// The peer answered with `cmpheaders`, whose proof-of-work entries cannot be verified.
    #[error(
        "the peer answered with cmpheaders (proof-of-work hashes without solutions), which cannot be verified, although this client announced version {CLIENT_PROTOCOL_VERSION}"
    )]
    CompactHeaders,
    /// The peer's `headers` reply did not decode.
    #[error("the peer sent a headers message that does not decode: {0}")]
    MalformedHeaders(PayloadError),
    /// The peer refused the `getheaders` request.
    #[error("the peer refused getheaders: {0}")]
    Rejected(String),
    /// The peer does not have the starting block on its best chain: fluxd then answers from its
    /// genesis, so the first header does not follow the block asked for.
    #[error(
        "the peer does not have block {from} on its best chain (its reply starts after block {started_after}); check the starting block (--from), or ask another peer"
    )]
    StartNotFound {
        /// The block the download was to start after.
        from: BlockHash,
        /// The parent of the first header the peer sent.
        started_after: BlockHash,
    },
    /// The peer sent no block in reply to `getdata` (fluxd stays silent for a block it does not
    /// have) or said it has none (`notfound`).
    #[error(
        "the peer sent no block {hash} within {timeout:?}: it does not have it (fluxd stays silent); check the hash, or give the block's height (--from-height)"
    )]
    BlockNotServed {
        /// The block asked for.
        hash: BlockHash,
        /// The limit.
        timeout: Duration,
    },
    /// The block the peer sent is not the one its header commits to.
    #[error(
        "the block the peer sent as {hash} does not match its header's merkle root (or its tree is mutated): the peer is broken or lying"
    )]
    BlockMismatch {
        /// The block asked for.
        hash: BlockHash,
    },
    /// The block's coinbase does not start with its height.
    #[error(
        "block {hash}'s coinbase does not start with a block height, so its height cannot be read from it; give the height (--from-height)"
    )]
    NoCoinbaseHeight {
        /// The block.
        hash: BlockHash,
    },
    /// The starting height and count go past the largest height.
    #[error("{count} headers after height {from} go past the largest block height")]
    HeightOverflow {
        /// The starting height.
        from: u32,
        /// The count asked for.
        count: u32,
    },
    /// The connection failed after the handshake.
    #[error("connection to the peer lost: {0}")]
    Wire(WireError),
}

/// A block's height as its coinbase states it: the first push of the coinbase's `scriptSig`,
/// which fluxd requires to be the block height above height 20 (`main.cpp:5650-5661`, written as
/// `CScript() << height`). `None` when the script does not start with a minimally encoded
/// non-negative number.
pub fn coinbase_height(block: &Block) -> Option<BlockHeight> {
    let script = block
        .transactions
        .first()?
        .inputs()
        .first()?
        .script_sig
        .as_bytes();
    let (&opcode, rest) = script.split_first()?;
    let height = match opcode {
        0x00 => 0,
        // OP_1 .. OP_16.
        0x51..=0x60 => u32::from(opcode - 0x50),
        // A push of one to four little-endian bytes, the sign in the top bit of the last.
        0x01..=0x04 => {
            let bytes = rest.get(..usize::from(opcode))?;
            if bytes.last().is_some_and(|last| last & 0x80 != 0) {
                return None;
            }
            bytes
                .iter()
                .rev()
                .fold(0u64, |value, byte| (value << 8) | u64::from(*byte))
                .try_into()
                .ok()?
        }
        _ => return None,
    };
    // Only the encoding consensus writes counts (no padded or oversized pushes).
    script
        .starts_with(&height_script(height))
        .then_some(BlockHeight(height))
}

/// Where a header download starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// After the network's genesis block: the first header is at height 1.
    Genesis,
    /// After `hash`, a block the caller knows to be at `height`: a header carries no height, and
    /// the era checks (the Equihash parameter set, proof of node) depend on it.
    After {
        /// The block to start after (the locator is `[hash]`).
        hash: BlockHash,
        /// Its height.
        height: BlockHeight,
    },
}

/// Why a header failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HeaderFault {
    /// It breaks a rule a header must satisfy on its own at its height.
    #[error("{0}")]
    Rule(HeaderError),
    /// It does not follow the previous header; the download stops there.
    #[error("its parent {found} is not the previous header {expected} (bad-prevblk)")]
    Unlinked {
        /// The previous header's hash.
        expected: BlockHash,
        /// The header's `hashPrevBlock`.
        found: BlockHash,
    },
}

/// A downloaded header, its height and its verdict.
#[derive(Debug, Clone)]
pub struct CheckedHeader {
    /// The height it has if it follows the starting block.
    pub height: BlockHeight,
    /// Its block hash.
    pub hash: BlockHash,
    /// The header.
    pub header: BlockHeader,
    /// `None` when it passes, otherwise the first rule it breaks.
    pub fault: Option<HeaderFault>,
}

/// Why a download ended without an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DownloadEnd {
    /// As many headers as asked for arrived.
    CountReached,
    /// A reply held fewer than [`MAX_HEADERS_RESULTS`] headers: the peer's tip was reached.
    PeerTip,
    /// A header did not follow the previous one; nothing after it can be placed.
    BrokenLink,
}

/// What a download got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DownloadSummary {
    /// Headers handed to the caller.
    pub received: u32,
    /// How many of them failed.
    pub invalid: u32,
    /// Why it stopped.
    pub end: DownloadEnd,
}

/// A connection to one peer, past the handshake.
#[derive(Debug)]
pub struct PeerClient {
    reader: MessageReader<OwnedReadHalf>,
    writer: MessageWriter<OwnedWriteHalf>,
    peer_addr: SocketAddr,
    sent: VersionMessage,
    peer: VersionMessage,
    local_time_at_handshake: i64,
    timeouts: Timeouts,
    /// `getheaders` sent whose replies have not been read: a download asks for the next batch
    /// before it checks the current one, and one that ends early leaves that reply unread.
    unread_header_replies: u32,
}

impl PeerClient {
    /// Connects to `target` (`HOST:PORT`) and completes the handshake for the network of
    /// `params`. Each address the name resolves to is tried in turn within the connect time.
    ///
    /// # Errors
    ///
    /// [`ClientError`]: the name, the connection or the handshake failed.
    pub async fn connect(
        params: &dyn NetworkParams,
        target: &str,
        timeouts: Timeouts,
    ) -> Result<PeerClient, ClientError> {
        let (stream, peer_addr) = tokio::time::timeout(timeouts.connect, dial(target))
            .await
            .map_err(|_| ClientError::ConnectTimeout {
                target: target.to_owned(),
                timeout: timeouts.connect,
            })??;
        let _ = stream.set_nodelay(true);
        let magic = params.message_start();
        let (read_half, write_half) = stream.into_split();
        let mut reader = MessageReader::new(read_half, magic);
        let mut writer = MessageWriter::new(write_half, magic);
        let local = LocalVersion {
            version: CLIENT_PROTOCOL_VERSION,
            services: ServiceFlags::NONE,
            start_height: BlockHeight(0),
            nonce: random_nonce(),
            relay: false,
            min_peer_version: OLDEST_PEER_VERSION,
        };
        let sent = local.message(peer_addr);
        let done = handshake(
            &mut reader,
            &mut writer,
            &local,
            peer_addr,
            Direction::Outbound,
            timeouts.handshake,
        )
        .await
        .map_err(|error| handshake_error(params, peer_addr, timeouts.handshake, error))?;
        Ok(PeerClient {
            reader,
            writer,
            peer_addr,
            sent,
            peer: done.peer,
            local_time_at_handshake: unix_now(),
            timeouts,
            unread_header_replies: 0,
        })
    }

    /// The peer's `version`.
    pub fn peer_version(&self) -> &VersionMessage {
        &self.peer
    }

    /// The `version` this client sent, built again from the same settings: every field is the
    /// sent one but the timestamp, which may be a second later.
    pub fn sent_version(&self) -> &VersionMessage {
        &self.sent
    }

    /// The address connected to.
    pub fn peer_addr(&self) -> SocketAddr {
        self.peer_addr
    }

    /// The peer's clock minus this machine's, in seconds, as of the handshake (what fluxd feeds
    /// into its adjusted time, `main.cpp:7246-7249`).
    pub fn time_offset(&self) -> i64 {
        self.peer
            .timestamp
            .saturating_sub(self.local_time_at_handshake)
    }

    /// Sends one `getheaders` with `locator` and returns the headers of the reply (at most
    /// [`MAX_HEADERS_RESULTS`]), answering pings and reading past other messages meanwhile.
    ///
    /// # Errors
    ///
    /// [`ClientError`]: no reply in time, `cmpheaders`, an undecodable reply, a `reject`, or the
    /// connection failed.
    pub async fn request_headers(
        &mut self,
        locator: Vec<BlockHash>,
    ) -> Result<Vec<BlockHeader>, ClientError> {
        self.skip_unread_header_replies().await?;
        self.send_getheaders(locator).await?;
        self.read_headers_reply().await
    }

    /// Reads and drops the replies to `getheaders` an earlier download sent but did not need
    /// (it ended early): they come before the reply to anything asked now.
    async fn skip_unread_header_replies(&mut self) -> Result<(), ClientError> {
        while self.unread_header_replies > 0 {
            self.read_headers_reply().await?;
        }
        Ok(())
    }

    /// Sends one `getheaders` with `locator` (its reply is read by
    /// [`PeerClient::read_headers_reply`]).
    async fn send_getheaders(&mut self, locator: Vec<BlockHash>) -> Result<(), ClientError> {
        let request = NetworkMessage::GetHeaders(LocatorRequest {
            version: CLIENT_PROTOCOL_VERSION,
            locator,
            stop: BlockHash::ZERO,
        });
        self.writer
            .send(&request, self.timeouts.reply)
            .await
            .map_err(ClientError::Wire)?;
        self.unread_header_replies += 1;
        Ok(())
    }

    /// Reads the reply to the oldest `getheaders` not answered yet, answering pings and reading
    /// past other messages meanwhile.
    async fn read_headers_reply(&mut self) -> Result<Vec<BlockHeader>, ClientError> {
        let limit = self.timeouts.reply;
        // Whatever ends this read (a reply, an error that ends the connection's use) ends the
        // wait for that reply.
        self.unread_header_replies = self.unread_header_replies.saturating_sub(1);
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if left.is_zero() {
                return Err(ClientError::NoHeadersReply(limit));
            }
            let received = match self.reader.next(left, left).await {
                Ok(received) => received,
                Err(WireError::Idle(_) | WireError::Stalled(_)) => {
                    return Err(ClientError::NoHeadersReply(limit));
                }
                Err(error) => return Err(ClientError::Wire(error)),
            };
            match received {
                Received::Message(NetworkMessage::Headers(headers)) => return Ok(headers),
                Received::Message(NetworkMessage::CompactHeaders(_)) => {
                    return Err(ClientError::CompactHeaders);
                }
                Received::Message(NetworkMessage::Ping(nonce)) => {
                    self.writer
                        .send(&NetworkMessage::Pong(nonce), left)
                        .await
                        .map_err(ClientError::Wire)?;
                }
                Received::Message(NetworkMessage::Reject(reject))
                    if reject.message == b"getheaders" =>
                {
                    return Err(ClientError::Rejected(
                        String::from_utf8_lossy(&reject.reason).into_owned(),
                    ));
                }
                Received::Malformed { command, error } if command.as_str() == "headers" => {
                    return Err(ClientError::MalformedHeaders(error));
                }
                // Announcements, addresses, alerts, and frames fluxd would drop: none of them
                // is the reply.
                Received::Message(_) | Received::Malformed { .. } | Received::Dropped(_) => {}
            }
        }
    }

    /// Asks for block `hash` with `getdata` and returns it once its transactions are checked
    /// against the header's merkle root, answering pings meanwhile. fluxd serves any block of its
    /// best chain and stays silent for others.
    ///
    /// # Errors
    ///
    /// [`ClientError::BlockNotServed`] when no such block arrives in time,
    /// [`ClientError::BlockMismatch`] when its transactions are not the header's, or the
    /// connection failed.
    pub async fn request_block(&mut self, hash: BlockHash) -> Result<Block, ClientError> {
        self.skip_unread_header_replies().await?;
        let limit = self.timeouts.reply;
        self.writer
            .send(
                &NetworkMessage::GetData(vec![Inventory::Block(hash)]),
                limit,
            )
            .await
            .map_err(ClientError::Wire)?;
        let not_served = ClientError::BlockNotServed {
            hash,
            timeout: limit,
        };
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if left.is_zero() {
                return Err(not_served);
            }
            let received = match self.reader.next(left, left).await {
                Ok(received) => received,
                Err(WireError::Idle(_) | WireError::Stalled(_)) => return Err(not_served),
                Err(error) => return Err(ClientError::Wire(error)),
            };
            match received {
                Received::Message(NetworkMessage::Block(block)) if block.hash() == hash => {
                    let (root, mutated) = block.compute_merkle_root();
                    if mutated || root != block.header.merkle_root {
                        return Err(ClientError::BlockMismatch { hash });
                    }
                    return Ok(block);
                }
                Received::Message(NetworkMessage::NotFound(items))
                    if items.contains(&Inventory::Block(hash)) =>
                {
                    return Err(not_served);
                }
                Received::Message(NetworkMessage::Ping(nonce)) => {
                    self.writer
                        .send(&NetworkMessage::Pong(nonce), left)
                        .await
                        .map_err(ClientError::Wire)?;
                }
                Received::Message(_) | Received::Malformed { .. } | Received::Dropped(_) => {}
            }
        }
    }

    /// The height of block `hash`: 0 for the network's genesis, otherwise read from the coinbase
    /// of the block as the peer serves it ([`PeerClient::request_block`], [`coinbase_height`]).
    /// The block hash commits to the merkle root and so to the coinbase: a peer cannot change
    /// the height without changing the hash. Below height 21, where fluxd does not enforce the
    /// coinbase height, it is the miner's word.
    ///
    /// # Errors
    ///
    /// As [`PeerClient::request_block`], and [`ClientError::NoCoinbaseHeight`].
    pub async fn block_height(
        &mut self,
        params: &dyn NetworkParams,
        hash: BlockHash,
    ) -> Result<BlockHeight, ClientError> {
        if hash == params.genesis_hash() {
            return Ok(BlockHeight::GENESIS);
        }
        let block = self.request_block(hash).await?;
        coinbase_height(&block).ok_or(ClientError::NoCoinbaseHeight { hash })
    }

    /// Downloads up to `count` headers after `start`, one `getheaders` per
    /// [`MAX_HEADERS_RESULTS`], until `count` arrived or a reply is short (the peer's tip). The
    /// next `getheaders` goes out as a full reply arrives, before its headers are checked, so
    /// the peer's work and the checks overlap.
    /// Each header is checked as a header of its height on `params`' network
    /// ([`check_header_for_height`]: the version and era; the Equihash parameter set, solution
    /// and target for proof of work; the signature size, PON hash and emergency rules for proof
    /// of node) and against the previous header's hash, then handed to `each` in order. A
    /// header that does not follow the previous one ends the download ([`DownloadEnd::BrokenLink`]).
    ///
    /// Not checked, as they need chain state: `nBits` against the difficulty retarget, the
    /// median time past, checkpoints, and a proof-of-node block's signer (the fluxnode list).
    ///
    /// # Errors
    ///
    /// [`ClientError`]: as [`PeerClient::request_headers`]; [`ClientError::StartNotFound`] when
    /// the peer's first header does not follow the starting block; headers handed to `each`
    /// before the error stay valid.
    pub async fn get_headers(
        &mut self,
        params: &dyn NetworkParams,
        start: Start,
        count: u32,
        mut each: impl FnMut(&CheckedHeader),
    ) -> Result<DownloadSummary, ClientError> {
        let (mut previous, start_height) = match start {
            Start::Genesis => (params.genesis_hash(), BlockHeight::GENESIS),
            Start::After { hash, height } => (hash, height),
        };
        if start_height.0.checked_add(count).is_none() {
            return Err(ClientError::HeightOverflow {
                from: start_height.0,
                count,
            });
        }
        let mut summary = DownloadSummary {
            received: 0,
            invalid: 0,
            end: DownloadEnd::CountReached,
        };
        self.skip_unread_header_replies().await?;
        self.send_getheaders(vec![previous]).await?;
        while summary.received < count {
            let headers = self.read_headers_reply().await?;
            let full_batch = headers.len() >= MAX_HEADERS_RESULTS;
            // The next batch is asked for before this one is checked, after its last header, so
            // that the peer prepares it meanwhile. If this batch fails its checks, the reply to
            // that request is read and dropped by the next request.
            let more_wanted = full_batch
                && u64::from(summary.received) + (headers.len() as u64) < u64::from(count);
            if more_wanted && let Some(last) = headers.last() {
                self.send_getheaders(vec![last.hash()]).await?;
            }
            for header in headers {
                if summary.received == count {
                    break;
                }
                let hash = header.hash();
                let first = summary.received == 0;
                if first && header.prev_block != previous {
                    return Err(ClientError::StartNotFound {
                        from: previous,
                        started_after: header.prev_block,
                    });
                }
                let height = BlockHeight(start_height.0 + summary.received + 1);
                let fault = if header.prev_block == previous {
                    check_header_for_height(params, &header, height)
                        .err()
                        .map(HeaderFault::Rule)
                } else {
                    Some(HeaderFault::Unlinked {
                        expected: previous,
                        found: header.prev_block,
                    })
                };
                let unlinked = matches!(fault, Some(HeaderFault::Unlinked { .. }));
                summary.received += 1;
                summary.invalid += u32::from(fault.is_some());
                each(&CheckedHeader {
                    height,
                    hash,
                    header,
                    fault,
                });
                if unlinked {
                    summary.end = DownloadEnd::BrokenLink;
                    return Ok(summary);
                }
                previous = hash;
            }
            if !full_batch && summary.received < count {
                summary.end = DownloadEnd::PeerTip;
                return Ok(summary);
            }
        }
        Ok(summary)
    }

    /// Closes the connection.
    pub async fn close(mut self) {
        self.writer.shutdown().await;
    }
}

/// Resolves `target` and connects to the first of its addresses that answers.
async fn dial(target: &str) -> Result<(TcpStream, SocketAddr), ClientError> {
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host(target)
        .await
        .map_err(|source| ClientError::Resolve {
            target: target.to_owned(),
            source,
        })?
        .collect();
    let mut last_error = None;
    for addr in &addrs {
        match TcpStream::connect(addr).await {
            Ok(stream) => return Ok((stream, *addr)),
            Err(source) if source.kind() == std::io::ErrorKind::ConnectionRefused => {
                last_error = Some(ClientError::Refused { addr: *addr });
            }
            Err(source) => {
                last_error = Some(ClientError::Connect {
                    addr: *addr,
                    source,
                })
            }
        }
    }
    Err(last_error.unwrap_or_else(|| ClientError::NoAddress {
        target: target.to_owned(),
    }))
}

/// A handshake failure in terms a user can act on: another network's magic or a silent hang-up
/// (which is how fluxd answers another network's magic) point at `--network`.
fn handshake_error(
    params: &dyn NetworkParams,
    addr: SocketAddr,
    timeout: Duration,
    error: HandshakeError,
) -> ClientError {
    match error {
        HandshakeError::Wire(WireError::Fatal(FrameError::WrongMagic { found, .. })) => {
            ClientError::WrongNetwork {
                addr,
                expected_network: params.name(),
                found_network: network_of_magic(found),
                found,
            }
        }
        HandshakeError::Wire(WireError::Closed { .. }) => ClientError::ClosedDuringHandshake {
            addr,
            network: params.name(),
        },
        HandshakeError::Timeout(_) | HandshakeError::Wire(WireError::Idle(_)) => {
            ClientError::HandshakeTimeout { addr, timeout }
        }
        source => ClientError::Handshake { addr, source },
    }
}

/// The name of the network whose messages start with `magic`.
fn network_of_magic(magic: [u8; 4]) -> &'static str {
    [
        Network::Mainnet,
        Network::Testnet,
        Network::Regtest,
        Network::Devnet,
    ]
    .into_iter()
    .map(flux_consensus::params::for_network)
    .find(|params| params.message_start() == magic)
    .map_or("an unknown network", |params| params.name())
}

/// A nonce no other connection is likely to share: the standard library's per-process random
/// hasher keys, mixed with the clock.
fn random_nonce() -> u64 {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u128(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_nanos()),
    );
    hasher.finish()
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_network_is_named_by_its_magic() {
        assert_eq!(network_of_magic([0x24, 0xe9, 0x27, 0x64]), "main");
        assert_eq!(network_of_magic([0xfa, 0x1a, 0xf9, 0xbf]), "test");
        assert_eq!(network_of_magic([0xaa, 0xe8, 0x3f, 0x5f]), "regtest");
        assert_eq!(network_of_magic(*b"FXdv"), "devnet");
        assert_eq!(network_of_magic([1, 2, 3, 4]), "an unknown network");
    }

    /// The devnet genesis block with its coinbase's `scriptSig` replaced.
    fn block_with_coinbase_script(script: &[u8]) -> Block {
        let mut block = flux_consensus::Devnet::default().genesis_block();
        let flux_tx::TxBody::Standard(body) = &mut block.transactions[0].body else {
            panic!("the genesis coinbase is a standard transaction");
        };
        body.inputs[0].script_sig = flux_tx::Script::from(script.to_vec());
        block
    }

    #[test]
    fn the_coinbase_height_is_the_minimal_leading_number() {
        let height = |script: &[u8]| coinbase_height(&block_with_coinbase_script(script));
        // CScriptNum pushes as `CScript() << n` writes them, then other bytes.
        assert_eq!(height(&[0x00, 0xaa]), Some(BlockHeight(0)));
        assert_eq!(height(&[0x51]), Some(BlockHeight(1)));
        assert_eq!(height(&[0x60, 0x01, 0x07]), Some(BlockHeight(16)));
        assert_eq!(height(&[0x01, 17]), Some(BlockHeight(17)));
        assert_eq!(height(&[0x02, 0x80, 0x00]), Some(BlockHeight(128)));
        assert_eq!(
            height(&[0x03, 0x40, 0x42, 0x0f, 0x00]),
            Some(BlockHeight(1_000_000))
        );
        assert_eq!(
            height(&[0x04, 0xff, 0xff, 0xff, 0x7f]),
            Some(BlockHeight(0x7fff_ffff))
        );
        // Not the encoding consensus writes: 17 padded, 5 as a push, a negative number.
        assert_eq!(height(&[0x02, 17, 0x00]), None);
        assert_eq!(height(&[0x01, 5]), None);
        assert_eq!(height(&[0x01, 0x81]), None);
        // No number first, or a push cut short.
        assert_eq!(height(&[0x4c, 0x01, 0x01]), None);
        assert_eq!(height(&[0x03, 0x01]), None);
        assert_eq!(height(&[]), None);
    }

    #[test]
    fn nonces_differ_between_connections() {
        assert_ne!(random_nonce(), random_nonce());
    }
}
