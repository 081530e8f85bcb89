//! The node on fluxd's peer-to-peer wire: it listens on its network's port, dials the peers it
//! is given, syncs headers first (`getheaders` with a locator, then the blocks by `getdata`,
//! several in flight), relays new blocks and transactions, serves what peers ask for, and
//! scores, disconnects and bans peers as fluxd does.
//!
//! - [`peer`]: one connection, from the handshake to the end;
//! - [`bans`]: the ban list;
//! - this module: the shared book of peers, the listener, the dialers, the announcer and the
//!   RPC views (`getpeerinfo`, `getconnectioncount`, `addnode`, `getnetworkinfo`,
//!   `listbanned`, `clearbanned`).
//!
//! Limits that keep one peer from exhausting the node: at most [`P2pLimits::max_peers`]
//! connections; per peer one frame of at most 2 MiB being read, [`OUTBOX`] messages queued for
//! it (a reader that does not drain them is waited on, then dropped), [`MAX_PENDING_BLOCKS`]
//! announced blocks waiting to be fetched; across peers [`MAX_ORPHAN_BYTES`] of blocks whose
//! parent has not arrived.

pub mod bans;
pub mod peer;

use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use flux_tx::p2p::{Inventory, NetworkMessage, PROTOCOL_VERSION, ServiceFlags};
use flux_tx::{Block, BlockHash, Txid};
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use super::rpc::{Params, RpcError, code};
use super::state::NodeState;
use crate::p2p::handshake::user_agent;
use bans::BanList;

/// Messages queued for one peer before the node waits for it to read.
pub const OUTBOX: usize = 32;

/// Announced blocks one peer may have waiting to be fetched.
pub const MAX_PENDING_BLOCKS: usize = 20_000;

/// Blocks requested from one peer at a time.
pub const MAX_BLOCKS_IN_FLIGHT: usize = 16;

/// Bytes of received blocks held until their parent arrives, across peers.
pub const MAX_ORPHAN_BYTES: usize = 32 * 1024 * 1024;

/// fluxd's `PING_INTERVAL` (`net.h:45`).
pub const PING_INTERVAL: Duration = Duration::from_secs(120);

/// fluxd's `TIMEOUT_INTERVAL` (`net.h:49`): no message for this long ends a connection.
pub const TIMEOUT_INTERVAL: Duration = Duration::from_secs(360);

/// Blocks a peer's headers may run ahead of the tip before this node counts as catching up.
pub const BEHIND_MARGIN: i64 = 6;

/// How often the announcer looks for a new tip or new transactions.
const ANNOUNCE_POLL: Duration = Duration::from_millis(100);

/// How long the dialer waits before dialling a lost peer again, at first and at most.
const REDIAL_FIRST: Duration = Duration::from_millis(500);
const REDIAL_MAX: Duration = Duration::from_secs(30);

/// How long a TCP connect may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The limits and timings of the node's P2P side.
#[derive(Debug, Clone, Copy)]
pub struct P2pLimits {
    /// Connections in and out together (fluxd's `-maxconnections` is 125).
    pub max_peers: usize,
    /// Silence that ends a connection, and the time a started message may take to arrive whole
    /// (fluxd's `TIMEOUT_INTERVAL`, 360 s). Pings go out at a third of it, at most every 120 s.
    pub peer_timeout: Duration,
    /// How long a banned address is refused (`-bantime`).
    pub ban_time: Duration,
    /// Also ban loopback peers (fluxd only disconnects them).
    pub ban_loopback: bool,
}

impl Default for P2pLimits {
    fn default() -> Self {
        P2pLimits {
            max_peers: 64,
            peer_timeout: TIMEOUT_INTERVAL,
            ban_time: bans::DEFAULT_BAN_TIME,
            ban_loopback: false,
        }
    }
}

impl P2pLimits {
    /// The interval between pings.
    pub fn ping_interval(&self) -> Duration {
        PING_INTERVAL.min(self.peer_timeout / 3)
    }

    /// The time a handshake may take (fluxd: 60 s for the first bytes).
    pub fn handshake_timeout(&self) -> Duration {
        crate::p2p::handshake::HANDSHAKE_TIMEOUT.min(self.peer_timeout)
    }
}

/// What `getpeerinfo` shows of one peer, kept up to date by its connection.
#[derive(Debug, Clone, Default)]
pub struct PeerStats {
    /// The peer's address.
    pub addr: Option<SocketAddr>,
    /// This side's address on the connection.
    pub local_addr: Option<SocketAddr>,
    /// Whether the peer dialled in.
    pub inbound: bool,
    /// When the connection was made (seconds since 1970).
    pub conn_time: u64,
    /// The peer's protocol version (0 before its `version`).
    pub version: i32,
    /// The peer's user agent.
    pub subver: String,
    /// The peer's services.
    pub services: u64,
    /// The peer's height when it connected.
    pub starting_height: i32,
    /// Its clock minus this node's, in seconds.
    pub time_offset: i64,
    /// Bytes sent and received.
    pub bytes_sent: u64,
    /// Bytes received.
    pub bytes_recv: u64,
    /// When a message was last sent (seconds since 1970).
    pub last_send: u64,
    /// When a message was last received.
    pub last_recv: u64,
    /// The round trip of the last answered ping.
    pub ping_time: Option<Duration>,
    /// Its misbehaviour score.
    pub ban_score: u32,
    /// The height of the last header it announced that this node knows.
    pub synced_headers: i64,
    /// The height of the last block it sent that this node holds.
    pub synced_blocks: i64,
    /// Blocks requested from it and not yet received.
    pub in_flight: Vec<BlockHash>,
    /// Whether it asked for new blocks as `headers` (`sendheaders`).
    pub prefers_headers: bool,
    /// Whether it wants transactions relayed to it.
    pub relay_txs: bool,
    /// The ping waiting for its pong: nonce and when it went out.
    pub ping_outstanding: Option<(u64, std::time::Instant)>,
}

/// A connected (or connecting) peer as the rest of the node sees it.
#[derive(Debug)]
pub struct PeerHandle {
    /// Its id, for `getpeerinfo`.
    pub id: u64,
    /// Messages to it.
    pub outbox: mpsc::Sender<NetworkMessage>,
    /// What it reports.
    pub stats: Arc<Mutex<PeerStats>>,
    /// The last block it is known to have: announced by it, or sent to it as a header or a
    /// block (an `inv` sent to it proves nothing: it may not ask).
    pub best_known: Arc<Mutex<Option<BlockHash>>>,
    /// The last tip announced to it, so each tip is announced once.
    pub announced: Mutex<Option<BlockHash>>,
}

/// Everything the node's P2P side shares between connections.
#[derive(Debug)]
pub struct P2p {
    state: Arc<Mutex<NodeState>>,
    magic: [u8; 4],
    limits: P2pLimits,
    nonce: u64,
    next_id: AtomicU64,
    peers: Mutex<HashMap<u64, PeerHandle>>,
    bans: Mutex<BanList>,
    /// Blocks requested from some peer and not yet received: another peer is not asked again.
    requested: Mutex<HashSet<BlockHash>>,
    /// Received blocks waiting for their parent, by parent.
    orphans: Mutex<Orphans>,
    /// Addresses the dialers keep connected (`--connect`, `addnode add`).
    added: Mutex<HashSet<SocketAddr>>,
    listen_addr: Mutex<Option<SocketAddr>>,
    tasks: Mutex<JoinSet<()>>,
}

/// Blocks whose parent has not arrived.
#[derive(Debug, Default)]
struct Orphans {
    by_parent: HashMap<BlockHash, Vec<Block>>,
    bytes: usize,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

/// A nonce for this node's `version`: fluxd uses a random one to spot connections to itself.
fn random_nonce() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    // `RandomState` is seeded from the OS; the time and process id separate two nodes started
    // in one instant.
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos(),
    );
    hasher.write_u32(std::process::id());
    hasher.finish()
}

impl P2p {
    /// The P2P side of a node over `state`; nothing runs until [`P2p::listen`] or
    /// [`P2p::add_peer`].
    pub fn new(state: Arc<Mutex<NodeState>>, limits: P2pLimits) -> Arc<P2p> {
        let magic = lock(&state).chain().params().message_start();
        Arc::new(P2p {
            state,
            magic,
            limits,
            nonce: random_nonce(),
            next_id: AtomicU64::new(0),
            peers: Mutex::new(HashMap::new()),
            bans: Mutex::new(BanList::new(limits.ban_time, limits.ban_loopback)),
            requested: Mutex::new(HashSet::new()),
            orphans: Mutex::new(Orphans::default()),
            added: Mutex::new(HashSet::new()),
            listen_addr: Mutex::new(None),
            tasks: Mutex::new(JoinSet::new()),
        })
    }

    fn spawn(&self, task: impl std::future::Future<Output = ()> + Send + 'static) {
        lock(&self.tasks).spawn(task);
    }

    /// Starts accepting peers on `listener` and the announcer.
    pub fn listen(self: &Arc<Self>, listener: TcpListener) {
        *lock(&self.listen_addr) = listener.local_addr().ok();
        let p2p = Arc::clone(self);
        self.spawn(async move { p2p.accept_loop(listener).await });
    }

    /// Starts announcing new tips and transactions to peers.
    pub fn start_announcer(self: &Arc<Self>) {
        let p2p = Arc::clone(self);
        self.spawn(async move { p2p.announce_loop().await });
    }

    /// Keeps a connection to `addr`, dialling it again whenever it drops (`--connect`,
    /// `addnode add`). Returns false if it was already kept.
    pub fn add_peer(self: &Arc<Self>, addr: SocketAddr) -> bool {
        if !lock(&self.added).insert(addr) {
            return false;
        }
        let p2p = Arc::clone(self);
        self.spawn(async move { p2p.dial_loop(addr).await });
        true
    }

    /// Dials `addr` once (`addnode onetry`).
    pub fn try_peer(self: &Arc<Self>, addr: SocketAddr) {
        let p2p = Arc::clone(self);
        self.spawn(async move {
            if let Err(error) = p2p.dial(addr).await {
                eprintln!("node: p2p: {addr}: {error}");
            }
        });
    }

    /// Stops every connection and task.
    pub async fn shutdown(&self) {
        let mut tasks = std::mem::take(&mut *lock(&self.tasks));
        tasks.shutdown().await;
    }

    async fn accept_loop(self: Arc<Self>, listener: TcpListener) {
        loop {
            let (stream, addr) = match listener.accept().await {
                Ok(accepted) => accepted,
                Err(error) => {
                    eprintln!("node: p2p: accept: {error}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            if lock(&self.bans).is_banned(addr.ip(), SystemTime::now()) {
                // fluxd closes a banned address's connection unanswered (`net.cpp:1140-1147`).
                drop(stream);
                continue;
            }
            if lock(&self.peers).len() >= self.limits.max_peers {
                drop(stream);
                continue;
            }
            let p2p = Arc::clone(&self);
            self.spawn(async move {
                let _ = peer::run(p2p, stream, addr, true).await;
            });
        }
    }

    async fn dial_loop(self: Arc<Self>, addr: SocketAddr) {
        let mut wait = REDIAL_FIRST;
        while lock(&self.added).contains(&addr) {
            match self.dial(addr).await {
                Ok(()) => wait = REDIAL_FIRST,
                Err(error) => {
                    eprintln!("node: p2p: {addr}: {error}");
                    wait = (wait * 2).min(REDIAL_MAX);
                }
            }
            tokio::time::sleep(wait).await;
        }
    }

    /// One outbound connection, to its end.
    async fn dial(self: &Arc<Self>, addr: SocketAddr) -> Result<(), String> {
        if lock(&self.bans).is_banned(addr.ip(), SystemTime::now()) {
            return Err("banned".into());
        }
        if lock(&self.peers).len() >= self.limits.max_peers {
            return Err("peer limit reached".into());
        }
        let stream = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(addr))
            .await
            .map_err(|_| format!("no connection within {CONNECT_TIMEOUT:?}"))?
            .map_err(|error| format!("cannot connect: {error}"))?;
        peer::run(Arc::clone(self), stream, addr, false).await
    }

    /// Adds `points` to a peer's score; returns true when the peer must be dropped (and bans
    /// its address where fluxd would).
    fn misbehaving(&self, id: u64, addr: SocketAddr, points: u32, why: &str) -> bool {
        if points == 0 {
            return false;
        }
        let score = {
            let peers = lock(&self.peers);
            let Some(handle) = peers.get(&id) else {
                return true;
            };
            let mut stats = lock(&handle.stats);
            stats.ban_score = stats.ban_score.saturating_add(points);
            stats.ban_score
        };
        let verdict = lock(&self.bans).judge(addr.ip(), score, SystemTime::now());
        eprintln!("node: p2p: peer {addr} misbehaves (+{points} = {score}): {why}");
        match verdict {
            bans::Verdict::Keep => false,
            bans::Verdict::Disconnect => {
                eprintln!("node: p2p: disconnecting {addr} (loopback peers are not banned)");
                true
            }
            bans::Verdict::Ban => {
                eprintln!("node: p2p: banning {}", addr.ip());
                true
            }
        }
    }

    /// Remembers a requested block whose parent has not arrived; false when there is no room.
    fn keep_orphan(&self, block: Block) -> bool {
        let size = flux_tx::FluxEncode::encoded(&block).len();
        let mut orphans = lock(&self.orphans);
        if orphans.bytes + size > MAX_ORPHAN_BYTES {
            return false;
        }
        orphans.bytes += size;
        orphans
            .by_parent
            .entry(block.header.prev_block)
            .or_default()
            .push(block);
        true
    }

    /// The waiting blocks whose parent is `parent`.
    fn take_orphans(&self, parent: &BlockHash) -> Vec<Block> {
        let mut orphans = lock(&self.orphans);
        let children = orphans.by_parent.remove(parent).unwrap_or_default();
        for child in &children {
            orphans.bytes -= flux_tx::FluxEncode::encoded(child).len();
        }
        children
    }

    /// Announces the tip and new transactions whenever they change. A peer whose outbox was
    /// full at the time is tried again at the next poll, so no peer misses a tip.
    async fn announce_loop(self: Arc<Self>) {
        let mut tip: Option<(BlockHash, flux_tx::BlockHeader)> = None;
        let mut announced_txs: HashSet<Txid> = HashSet::new();
        loop {
            tokio::time::sleep(ANNOUNCE_POLL).await;
            let mempool: Vec<Txid> = {
                let state = lock(&self.state);
                let hash = state.chain().tip().1;
                if tip.as_ref().is_none_or(|(known, _)| *known != hash)
                    && let Ok(Some(header)) = state.chain().header(&hash)
                {
                    tip = Some((hash, header));
                }
                state.mempool().iter().map(|entry| entry.txid).collect()
            };
            if let Some((hash, header)) = &tip {
                self.announce_block(*hash, header);
            }
            let fresh: Vec<Txid> = mempool
                .iter()
                .filter(|txid| !announced_txs.contains(txid))
                .copied()
                .collect();
            if !fresh.is_empty() {
                self.announce_transactions(&fresh);
            }
            announced_txs = mempool.into_iter().collect();
        }
    }

    /// Tells every peer that lacks it about a new tip: as a one-header `headers` to a peer that
    /// asked for those and is known to hold the parent, else as `inv` (fluxd `main.cpp:4928-4952`
    /// and `SendMessages`).
    fn announce_block(&self, hash: BlockHash, header: &flux_tx::BlockHeader) {
        let peers = lock(&self.peers);
        for handle in peers.values() {
            let mut announced = lock(&handle.announced);
            let mut best = lock(&handle.best_known);
            if *announced == Some(hash) || *best == Some(hash) {
                continue;
            }
            let (version, prefers_headers) = {
                let stats = lock(&handle.stats);
                (stats.version, stats.prefers_headers)
            };
            if version == 0 {
                // Still in its handshake.
                continue;
            }
            let as_header = prefers_headers && *best == Some(header.prev_block);
            let message = if as_header {
                NetworkMessage::Headers(vec![header.clone()])
            } else {
                NetworkMessage::Inv(vec![Inventory::Block(hash)])
            };
            // A peer whose outbox is full gets the announcement at a later poll.
            if handle.outbox.try_send(message).is_ok() {
                *announced = Some(hash);
                if as_header {
                    *best = Some(hash);
                }
            }
        }
    }

    fn announce_transactions(&self, txids: &[Txid]) {
        let items: Vec<Inventory> = txids
            .iter()
            .map(|txid| Inventory::Transaction(*txid))
            .collect();
        let peers = lock(&self.peers);
        for handle in peers.values() {
            let stats = lock(&handle.stats);
            if stats.version != 0 && stats.relay_txs {
                let _ = handle.outbox.try_send(NetworkMessage::Inv(items.clone()));
            }
        }
    }

    /// Whether this node is still catching up: a peer announced headers more than
    /// [`BEHIND_MARGIN`] blocks beyond the tip (this node's stand-in for fluxd's initial block
    /// download, which looks at the tip's age).
    pub fn is_behind(&self) -> bool {
        let tip = i64::from(lock(&self.state).chain().tip().0.0);
        lock(&self.peers)
            .values()
            .any(|handle| lock(&handle.stats).synced_headers > tip + BEHIND_MARGIN)
    }

    /// Peers connected (after their handshake).
    pub fn connection_count(&self) -> usize {
        lock(&self.peers)
            .values()
            .filter(|handle| lock(&handle.stats).version != 0)
            .count()
    }

    /// Answers the network RPC methods; `None` for any other method.
    pub fn rpc(
        self: &Arc<Self>,
        method: &str,
        params: Params<'_>,
    ) -> Option<Result<Value, RpcError>> {
        Some(match method {
            "getpeerinfo" => Ok(self.getpeerinfo()),
            "getconnectioncount" => Ok(json!(self.connection_count())),
            "getnetworkinfo" => Ok(self.getnetworkinfo()),
            "addnode" => self.addnode(params),
            "listbanned" => Ok(self.listbanned()),
            "clearbanned" => {
                lock(&self.bans).clear();
                Ok(Value::Null)
            }
            _ => return None,
        })
    }

    fn getpeerinfo(&self) -> Value {
        let peers = lock(&self.peers);
        let mut ids: Vec<u64> = peers.keys().copied().collect();
        ids.sort_unstable();
        let shown: Vec<Value> = ids
            .iter()
            .filter_map(|id| {
                let stats = lock(&peers.get(id)?.stats).clone();
                if stats.version == 0 {
                    return None;
                }
                let mut entry = json!({
                    "id": id,
                    "addr": stats.addr.map(|addr| addr.to_string()),
                    "addrlocal": stats.local_addr.map(|addr| addr.to_string()),
                    "services": format!("{:016x}", stats.services),
                    "lastsend": stats.last_send,
                    "lastrecv": stats.last_recv,
                    "bytessent": stats.bytes_sent,
                    "bytesrecv": stats.bytes_recv,
                    "conntime": stats.conn_time,
                    "timeoffset": stats.time_offset,
                    "version": stats.version,
                    "subver": stats.subver,
                    "inbound": stats.inbound,
                    "startingheight": stats.starting_height,
                    "banscore": stats.ban_score,
                    "synced_headers": stats.synced_headers,
                    "synced_blocks": stats.synced_blocks,
                    "inflight": [],
                    "whitelisted": false,
                });
                if let Some(ping) = stats.ping_time {
                    entry["pingtime"] = json!(ping.as_secs_f64());
                }
                let heights: Vec<Value> = {
                    let state = lock(&self.state);
                    stats
                        .in_flight
                        .iter()
                        .filter_map(|hash| {
                            state
                                .chain()
                                .block_height(hash)
                                .ok()
                                .flatten()
                                .map(|h| json!(h.0))
                        })
                        .collect()
                };
                entry["inflight"] = Value::Array(heights);
                Some(entry)
            })
            .collect();
        Value::Array(shown)
    }

    fn getnetworkinfo(&self) -> Value {
        let listen = *lock(&self.listen_addr);
        let localaddresses: Vec<Value> = listen
            .map(|addr| json!({"address": addr.ip().to_string(), "port": addr.port(), "score": 1}))
            .into_iter()
            .collect();
        json!({
            "version": crate_version_number(),
            "subversion": user_agent(),
            "protocolversion": PROTOCOL_VERSION,
            "localservices": format!("{:016x}", ServiceFlags::NETWORK.0),
            "timeoffset": 0,
            "connections": self.connection_count(),
            "networks": [
                {"name": "ipv4", "limited": false, "reachable": true, "proxy": "", "proxy_randomize_credentials": false},
                {"name": "ipv6", "limited": false, "reachable": true, "proxy": "", "proxy_randomize_credentials": false},
                {"name": "onion", "limited": true, "reachable": false, "proxy": "", "proxy_randomize_credentials": false},
            ],
            "relayfee": 0.0,
            "localaddresses": localaddresses,
            "warnings": "",
        })
    }

    fn addnode(self: &Arc<Self>, params: Params<'_>) -> Result<Value, RpcError> {
        let node = params.string(0, "node")?;
        let command = params.string(1, "command")?;
        let addr: SocketAddr = node.parse().map_err(|_| {
            RpcError::new(
                code::INVALID_PARAMETER,
                format!("'{node}' is not an IP:port address"),
            )
        })?;
        match command {
            "add" => {
                if !self.add_peer(addr) {
                    return Err(RpcError::new(
                        code::CLIENT_NODE_ALREADY_ADDED,
                        "Error: Node already added",
                    ));
                }
            }
            "remove" => {
                if !lock(&self.added).remove(&addr) {
                    return Err(RpcError::new(
                        code::CLIENT_NODE_NOT_ADDED,
                        "Error: Node has not been added.",
                    ));
                }
            }
            "onetry" => self.try_peer(addr),
            other => {
                return Err(RpcError::new(
                    code::INVALID_PARAMETER,
                    format!("addnode command '{other}' is not one of add, remove, onetry"),
                ));
            }
        }
        Ok(Value::Null)
    }

    fn listbanned(&self) -> Value {
        let bans = lock(&self.bans).list(SystemTime::now());
        Value::Array(
            bans.into_iter()
                .map(|(ip, until)| {
                    let subnet = match ip {
                        IpAddr::V4(_) => format!("{ip}/32"),
                        IpAddr::V6(_) => format!("{ip}/128"),
                    };
                    json!({"address": subnet, "banned_until": until})
                })
                .collect(),
        )
    }
}

/// The crate version as fluxd's `version` number (major·1 000 000 + minor·10 000 + patch·100).
fn crate_version_number() -> u64 {
    let mut parts = env!("CARGO_PKG_VERSION")
        .split('.')
        .map(|part| part.parse::<u64>().unwrap_or(0));
    let major = parts.next().unwrap_or(0);
    let minor = parts.next().unwrap_or(0);
    let patch = parts.next().unwrap_or(0);
    major * 1_000_000 + minor * 10_000 + patch * 100
}

/// The network RPC methods [`P2p::rpc`] answers.
pub const METHODS: [&str; 6] = [
    "getpeerinfo",
    "getconnectioncount",
    "getnetworkinfo",
    "addnode",
    "listbanned",
    "clearbanned",
];
