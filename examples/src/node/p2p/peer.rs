//! One peer connection: the handshake, then a reader that answers and acts on every message
//! and a writer that sends what is queued for the peer and pings it.
//!
//! Sync is headers first, as fluxd's (`main.cpp:7579-7866`): on connecting, and whenever the
//! peer announces a block this node lacks, the node sends `getheaders` with a locator of its
//! best chain; each header of the answer must link to the one before and pass the checks that
//! need no chain state (proof of work for its era, or the PON hash and signature size); the
//! blocks behind new headers are then fetched by `getdata`, [`MAX_BLOCKS_IN_FLIGHT`] at a time,
//! and validated in full as they arrive. A full answer (160 headers) asks for the next batch.
//!
//! Scores follow fluxd (`p2p.md` §10): a header or block breaking a rule costs the rule's score;
//! a broken header sequence or an oversize list 20; headers that do not connect 10; a second
//! `version` 1; a bloom filter from a peer this node offered no bloom service 100; a transaction
//! of an unknown format bans at once. A peer at 100 is dropped, and banned where fluxd would.

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use flux_consensus::check::header::check_header_for_height;
use flux_consensus::{AcceptOutcome, Chain, TxValidationError};
use flux_pow::BlockHeight;
use flux_tx::p2p::{
    Inventory, LocatorRequest, MAX_ADDR_TO_SEND, MAX_HEADERS_RESULTS, MAX_INV_SZ,
    MAX_REJECT_REASON_LENGTH, NetworkMessage, PROTOCOL_VERSION, PayloadError, RejectCode,
    RejectMessage, ServiceFlags, TimestampedAddress, VersionMessage,
};
use flux_tx::{Block, BlockHash, DecodeError, Transaction, Txid};
use tokio::net::TcpStream;
use tokio::net::tcp::OwnedWriteHalf;
use tokio::sync::mpsc;

use super::{
    MAX_BLOCKS_IN_FLIGHT, MAX_PENDING_BLOCKS, OUTBOX, P2p, PeerHandle, PeerStats, lock, unix_now,
};
use crate::node::state::MempoolError;
use crate::p2p::handshake::{Direction, LocalVersion, handshake, min_peer_version};
use crate::p2p::wire::{MessageReader, MessageWriter, Received};

/// fluxd's `getblocks` answer size (`main.cpp:7535-7576`).
const MAX_BLOCKS_INV: usize = 500;

/// First protocol version that announces with `sendheaders` (`SENDHEADERS_VERSION`).
const SENDHEADERS_VERSION: i32 = 170_021;

/// First protocol version that may not send bloom filters to a node without `NODE_BLOOM`
/// (`NO_BLOOM_VERSION`).
const NO_BLOOM_VERSION: i32 = 170_004;

/// Transactions this node asks one peer for and has not received, at most.
const MAX_ASKED_TRANSACTIONS: usize = MAX_INV_SZ;

/// Blocks accepted before the node's books are settled during a long sync.
const SETTLE_EVERY: u32 = 64;

/// Runs one connection to its end; `inbound` when the peer dialled.
pub(super) async fn run(
    p2p: Arc<P2p>,
    stream: TcpStream,
    addr: SocketAddr,
    inbound: bool,
) -> Result<(), String> {
    let _ = stream.set_nodelay(true);
    let local_addr = stream.local_addr().ok();
    let (read_half, write_half) = stream.into_split();
    let mut reader = MessageReader::new(read_half, p2p.magic);
    let writer = MessageWriter::new(write_half, p2p.magic);
    let id = p2p
        .next_id
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let (outbox, inbox) = mpsc::channel(OUTBOX);
    let stats = Arc::new(Mutex::new(PeerStats {
        addr: Some(addr),
        local_addr,
        inbound,
        conn_time: unix_now(),
        ..PeerStats::default()
    }));
    let best_known = Arc::new(Mutex::new(None));
    lock(&p2p.peers).insert(
        id,
        PeerHandle {
            id,
            outbox: outbox.clone(),
            stats: Arc::clone(&stats),
            best_known: Arc::clone(&best_known),
            announced: Mutex::new(None),
        },
    );
    let mut session = Session {
        p2p: Arc::clone(&p2p),
        id,
        addr,
        inbound,
        outbox,
        stats,
        best_known,
        peer_version: 0,
        pending: VecDeque::new(),
        pending_heights: HashMap::new(),
        in_flight: Vec::new(),
        asked_transactions: HashSet::new(),
        answered_getaddr: false,
        accepted_since_settle: 0,
    };
    let result = session.talk(&mut reader, writer, inbox).await;
    session.forget();
    if let Err(reason) = &result {
        eprintln!("node: p2p: peer {addr} disconnected: {reason}");
    }
    result
}

/// What the reader does after a message.
enum Flow {
    Continue,
    Disconnect(String),
}

struct Session {
    p2p: Arc<P2p>,
    id: u64,
    addr: SocketAddr,
    inbound: bool,
    outbox: mpsc::Sender<NetworkMessage>,
    stats: Arc<Mutex<PeerStats>>,
    best_known: Arc<Mutex<Option<BlockHash>>>,
    peer_version: i32,
    /// Blocks the peer announced that this node lacks, in chain order, not yet requested.
    pending: VecDeque<BlockHash>,
    /// Heights of announced blocks this node does not hold yet (pending or in flight).
    pending_heights: HashMap<BlockHash, u32>,
    in_flight: Vec<BlockHash>,
    asked_transactions: HashSet<Txid>,
    answered_getaddr: bool,
    accepted_since_settle: u32,
}

impl Session {
    async fn talk(
        &mut self,
        reader: &mut MessageReader<tokio::net::tcp::OwnedReadHalf>,
        mut writer: MessageWriter<OwnedWriteHalf>,
        inbox: mpsc::Receiver<NetworkMessage>,
    ) -> Result<(), String> {
        let limits = self.p2p.limits;
        let (tip, min_version) = {
            let state = lock(&self.p2p.state);
            let tip = state.chain().tip().0;
            (tip, min_peer_version(state.chain().params(), tip))
        };
        let local = LocalVersion {
            version: PROTOCOL_VERSION,
            services: ServiceFlags::NETWORK,
            start_height: tip,
            nonce: self.p2p.nonce,
            relay: true,
            min_peer_version: min_version,
        };
        let direction = if self.inbound {
            Direction::Inbound
        } else {
            Direction::Outbound
        };
        let shook = handshake(
            reader,
            &mut writer,
            &local,
            self.addr,
            direction,
            limits.handshake_timeout(),
        )
        .await
        .map_err(|error| format!("handshake: {error}"))?;
        for _ in 0..shook.early_messages {
            if self.misbehaving(1, "message before version") {
                return Err("misbehaved during the handshake".into());
            }
        }
        self.adopt(&shook.peer);
        eprintln!(
            "node: p2p: connected {} {} ({}, height {})",
            if self.inbound { "from" } else { "to" },
            self.addr,
            shook.peer.user_agent_str().unwrap_or("?"),
            shook.peer.start_height
        );
        {
            let mut stats = lock(&self.stats);
            stats.bytes_recv = reader.received_bytes();
            stats.bytes_sent = writer.sent_bytes();
        }
        let mut writing = tokio::spawn(write_loop(
            writer,
            inbox,
            Arc::clone(&self.stats),
            limits.peer_timeout,
            limits.ping_interval(),
        ));
        if self.peer_version >= SENDHEADERS_VERSION {
            self.send(NetworkMessage::SendHeaders).await?;
        }
        if shook.peer.services.contains(ServiceFlags::NETWORK) {
            self.ask_headers(None).await?;
        }
        let result = loop {
            let next = tokio::select! {
                next = reader.next(limits.peer_timeout, limits.peer_timeout) => next,
                ended = &mut writing => break Err(match ended {
                    Ok(reason) => reason,
                    Err(error) => format!("writer: {error}"),
                }),
            };
            {
                let mut stats = lock(&self.stats);
                stats.bytes_recv = reader.received_bytes();
                stats.last_recv = unix_now();
            }
            let flow = match next {
                Err(error) => break Err(error.to_string()),
                // fluxd drops a frame with a bad checksum or command without a word.
                Ok(Received::Dropped(_)) => Flow::Continue,
                Ok(Received::Malformed { command, error }) => {
                    self.malformed(command.as_str(), &error).await
                }
                Ok(Received::Message(message)) => self.handle(message).await,
            };
            if let Flow::Disconnect(reason) = flow {
                break Err(reason);
            }
        };
        writing.abort();
        result
    }

    fn adopt(&mut self, peer: &VersionMessage) {
        self.peer_version = peer.version;
        let mut stats = lock(&self.stats);
        stats.version = peer.version;
        stats.subver = String::from_utf8_lossy(&peer.user_agent).into_owned();
        stats.services = peer.services.0;
        stats.starting_height = peer.start_height;
        stats.relay_txs = peer.relays_transactions();
        stats.time_offset = peer.timestamp.saturating_sub(unix_now() as i64);
    }

    /// Releases what this connection held for the rest of the node.
    fn forget(&mut self) {
        lock(&self.p2p.peers).remove(&self.id);
        let mut requested = lock(&self.p2p.requested);
        for hash in &self.in_flight {
            requested.remove(hash);
        }
    }

    /// Queues a message; waits while the peer's outbox is full (the peer reads slowly: this
    /// connection stops reading too, as fluxd pauses a peer whose send buffer is full).
    async fn send(&self, message: NetworkMessage) -> Result<(), String> {
        self.outbox
            .send(message)
            .await
            .map_err(|_| "the connection's writer stopped".to_owned())
    }

    async fn send_flow(&self, message: NetworkMessage) -> Flow {
        match self.send(message).await {
            Ok(()) => Flow::Continue,
            Err(reason) => Flow::Disconnect(reason),
        }
    }

    fn misbehaving(&self, points: u32, why: &str) -> bool {
        self.p2p.misbehaving(self.id, self.addr, points, why)
    }

    fn penalize(&self, points: u32, why: &str) -> Flow {
        if self.misbehaving(points, why) {
            Flow::Disconnect(format!("misbehaved: {why}"))
        } else {
            Flow::Continue
        }
    }

    async fn reject(
        &self,
        command: &str,
        code: RejectCode,
        reason: &str,
        hash: Option<[u8; 32]>,
    ) -> Result<(), String> {
        let mut reason = reason.as_bytes().to_vec();
        reason.truncate(MAX_REJECT_REASON_LENGTH);
        let mut message = command.as_bytes().to_vec();
        message.truncate(12);
        self.send(NetworkMessage::Reject(RejectMessage {
            message,
            code,
            reason,
            hash,
        }))
        .await
    }

    /// A payload that is not its command's message: `reject` (malformed), and the scores fluxd
    /// gives an oversize list (20) or a transaction of an unknown format (a ban).
    async fn malformed(&self, command: &str, error: &PayloadError) -> Flow {
        if let Err(reason) = self
            .reject(
                command,
                RejectCode::MALFORMED,
                "error parsing message",
                None,
            )
            .await
        {
            return Flow::Disconnect(reason);
        }
        match error {
            PayloadError::TooManyItems { .. } => self.penalize(20, &error.to_string()),
            PayloadError::Decode(DecodeError::UnknownTransactionFormat { .. }) => {
                self.penalize(super::bans::BAN_THRESHOLD, "Unknown transaction format")
            }
            _ => Flow::Continue,
        }
    }

    async fn handle(&mut self, message: NetworkMessage) -> Flow {
        match message {
            NetworkMessage::Ping(nonce) => self.send_flow(NetworkMessage::Pong(nonce)).await,
            NetworkMessage::Pong(nonce) => {
                let mut stats = lock(&self.stats);
                if let Some((sent, at)) = stats.ping_outstanding
                    && sent == nonce
                {
                    stats.ping_time = Some(at.elapsed());
                    stats.ping_outstanding = None;
                }
                Flow::Continue
            }
            NetworkMessage::Version(_) => {
                if let Err(reason) = self
                    .reject(
                        "version",
                        RejectCode::DUPLICATE,
                        "Duplicate version message",
                        None,
                    )
                    .await
                {
                    return Flow::Disconnect(reason);
                }
                self.penalize(1, "duplicate version")
            }
            NetworkMessage::SendHeaders => {
                lock(&self.stats).prefers_headers = true;
                Flow::Continue
            }
            NetworkMessage::Headers(headers) => self.headers(headers).await,
            NetworkMessage::Block(block) => self.block(block).await,
            NetworkMessage::Inv(items) => self.inv(items).await,
            NetworkMessage::GetData(items) => self.getdata(items).await,
            NetworkMessage::GetHeaders(request) => {
                let headers = {
                    let state = lock(&self.p2p.state);
                    headers_after(state.chain(), &request, MAX_HEADERS_RESULTS)
                };
                if let Some(last) = headers.last() {
                    *lock(&self.best_known) = Some(last.hash());
                }
                self.send_flow(NetworkMessage::Headers(headers)).await
            }
            NetworkMessage::GetBlocks(request) => {
                let items: Vec<Inventory> = {
                    let state = lock(&self.p2p.state);
                    headers_after(state.chain(), &request, MAX_BLOCKS_INV)
                        .iter()
                        .map(|header| Inventory::Block(header.hash()))
                        .collect()
                };
                self.send_flow(NetworkMessage::Inv(items)).await
            }
            NetworkMessage::MemPool => {
                let txids: Vec<Inventory> = lock(&self.p2p.state)
                    .mempool()
                    .iter()
                    .map(|entry| Inventory::Transaction(entry.txid))
                    .collect();
                for chunk in txids.chunks(MAX_INV_SZ) {
                    if let Flow::Disconnect(reason) =
                        self.send_flow(NetworkMessage::Inv(chunk.to_vec())).await
                    {
                        return Flow::Disconnect(reason);
                    }
                }
                Flow::Continue
            }
            NetworkMessage::Tx(tx) => self.transaction(tx).await,
            NetworkMessage::GetAddr => self.getaddr().await,
            NetworkMessage::FilterLoad(_) | NetworkMessage::FilterAdd(_)
                if self.peer_version >= NO_BLOOM_VERSION =>
            {
                // This node offers no NODE_BLOOM (`main.cpp:8402-8420`).
                self.penalize(100, "bloom filter sent to a node without NODE_BLOOM")
            }
            NetworkMessage::Reject(reject) => {
                eprintln!(
                    "node: p2p: {} rejected our {}: {}",
                    self.addr,
                    String::from_utf8_lossy(&reject.message),
                    String::from_utf8_lossy(&reject.reason)
                );
                Flow::Continue
            }
            // Read and ignored, as fluxd does (or as a node that offers no compact blocks,
            // filters or address book does): verack after the handshake, addr, notfound,
            // alerts, compact-block messages, cmpheaders (this node never asks for them: its
            // network has no checkpoint beyond genesis), unknown commands.
            _ => Flow::Continue,
        }
    }

    /// The height of a block this node holds or the peer announced, if known.
    fn height_of(&self, hash: &BlockHash) -> Option<u32> {
        if let Some(height) = self.pending_heights.get(hash) {
            return Some(*height);
        }
        lock(&self.p2p.state)
            .chain()
            .block_height(hash)
            .ok()
            .flatten()
            .map(|height| height.0)
    }

    /// Asks for headers after this node's best chain, or after `from` (the last header the
    /// peer sent) when the node is still fetching what came before it.
    async fn ask_headers(&self, from: Option<BlockHash>) -> Result<(), String> {
        let locator = {
            let state = lock(&self.p2p.state);
            let mut locator = chain_locator(state.chain());
            if let Some(from) = from {
                locator.insert(0, from);
            }
            locator
        };
        self.send(NetworkMessage::GetHeaders(LocatorRequest {
            version: PROTOCOL_VERSION,
            locator,
            stop: BlockHash([0; 32]),
        }))
        .await
    }

    async fn headers(&mut self, headers: Vec<flux_tx::BlockHeader>) -> Flow {
        let Some(first) = headers.first() else {
            return Flow::Continue;
        };
        let Some(parent_height) = self.height_of(&first.prev_block) else {
            // fluxd's `bad-prevblk` for an unknown parent (+10); ask for the headers between.
            if let Err(reason) = self.ask_headers(None).await {
                return Flow::Disconnect(reason);
            }
            return self.penalize(
                10,
                &format!("headers whose first parent {} is unknown", first.prev_block),
            );
        };
        let last = match self.take_headers(&headers, parent_height) {
            Ok(last) => last,
            Err((points, why)) => return self.penalize(points, &why),
        };
        *lock(&self.best_known) = Some(last.0);
        lock(&self.stats).synced_headers = i64::from(last.1);
        if headers.len() == MAX_HEADERS_RESULTS
            && self.pending_heights.len() < MAX_PENDING_BLOCKS
            && let Err(reason) = self.ask_headers(Some(last.0)).await
        {
            return Flow::Disconnect(reason);
        }
        self.request_blocks().await
    }

    /// Checks a `headers` batch whose first parent is at `parent_height` and queues the blocks
    /// this node lacks; the last header's hash and height, or the score and reason of the first
    /// fault.
    fn take_headers(
        &mut self,
        headers: &[flux_tx::BlockHeader],
        parent_height: u32,
    ) -> Result<(BlockHash, u32), (u32, String)> {
        let state = lock(&self.p2p.state);
        let chain = state.chain();
        let mut prev = headers.first().map_or(BlockHash([0; 32]), |h| h.prev_block);
        let mut height = parent_height;
        for header in headers {
            if header.prev_block != prev {
                return Err((20, "non-continuous headers sequence".into()));
            }
            height += 1;
            let hash = header.hash();
            if let Err(error) = check_header_for_height(chain.params(), header, BlockHeight(height))
            {
                return Err((
                    error.misbehavior_score(),
                    format!("header {hash} at height {height}: {error}"),
                ));
            }
            let held = chain.block_height(&hash).ok().flatten().is_some();
            if !held
                && !self.pending_heights.contains_key(&hash)
                && self.pending_heights.len() < MAX_PENDING_BLOCKS
            {
                self.pending.push_back(hash);
                self.pending_heights.insert(hash, height);
            }
            prev = hash;
        }
        Ok((prev, height))
    }

    /// Asks for announced blocks until [`MAX_BLOCKS_IN_FLIGHT`] are on the way.
    async fn request_blocks(&mut self) -> Flow {
        let mut items = Vec::new();
        while self.in_flight.len() < MAX_BLOCKS_IN_FLIGHT {
            let Some(hash) = self.pending.pop_front() else {
                break;
            };
            let held = lock(&self.p2p.state)
                .chain()
                .block_height(&hash)
                .ok()
                .flatten()
                .is_some();
            if held {
                self.pending_heights.remove(&hash);
                continue;
            }
            // Another peer is fetching it; if that peer drops it, the next headers exchange
            // announces it again.
            if !lock(&self.p2p.requested).insert(hash) {
                continue;
            }
            self.in_flight.push(hash);
            items.push(Inventory::Block(hash));
        }
        lock(&self.stats).in_flight = self.in_flight.clone();
        if items.is_empty() {
            return Flow::Continue;
        }
        self.send_flow(NetworkMessage::GetData(items)).await
    }

    async fn block(&mut self, block: Block) -> Flow {
        let hash = block.hash();
        let requested = match self.in_flight.iter().position(|wanted| *wanted == hash) {
            Some(index) => {
                self.in_flight.remove(index);
                lock(&self.p2p.requested).remove(&hash);
                true
            }
            None => false,
        };
        self.pending_heights.remove(&hash);
        let (held, parent_held) = {
            let state = lock(&self.p2p.state);
            let chain = state.chain();
            (
                chain.block_height(&hash).ok().flatten().is_some(),
                chain
                    .block_height(&block.header.prev_block)
                    .ok()
                    .flatten()
                    .is_some(),
            )
        };
        if held && !requested {
            return self.request_blocks().await;
        }
        if !parent_held {
            if requested {
                // Its parent is on the way from another peer.
                self.p2p.keep_orphan(block);
            } else if let Err(reason) = self.ask_headers(None).await {
                // An unrequested block out of the blue is dropped, as fluxd drops one too far
                // ahead; the headers show what leads to it.
                return Flow::Disconnect(reason);
            }
            return self.request_blocks().await;
        }
        let mut queue = vec![block];
        while let Some(block) = queue.pop() {
            let hash = block.hash();
            match self.accept(block).await {
                Ok(Some(height)) => {
                    lock(&self.stats).synced_blocks = i64::from(height);
                    queue.extend(self.p2p.take_orphans(&hash));
                }
                Ok(None) => {}
                Err(flow) => return flow,
            }
        }
        if self.in_flight.is_empty() || self.accepted_since_settle >= SETTLE_EVERY {
            self.settle().await;
        }
        self.request_blocks().await
    }

    /// Validates and stores a block; the height when it was new. On an invalid block the peer
    /// gets `reject` and the rule's score.
    async fn accept(&mut self, block: Block) -> Result<Option<u32>, Flow> {
        let hash = block.hash();
        let p2p = Arc::clone(&self.p2p);
        let accepted =
            tokio::task::spawn_blocking(move || lock(&p2p.state).accept_block(&block)).await;
        let accepted = match accepted {
            Ok(accepted) => accepted,
            Err(error) => return Err(Flow::Disconnect(format!("block worker: {error}"))),
        };
        match accepted {
            Ok(outcome) => {
                self.accepted_since_settle += 1;
                Ok(match outcome {
                    AcceptOutcome::Extended { height } | AcceptOutcome::SideChain { height } => {
                        Some(height.0)
                    }
                    AcceptOutcome::Reorganized { height, .. } => Some(height.0),
                    _ => None,
                })
            }
            Err(error) => match error.invalid() {
                Some(rule) => {
                    let reason = rule.to_string();
                    if let Err(reason) = self
                        .reject("block", RejectCode::INVALID, &reason, Some(hash.0))
                        .await
                    {
                        return Err(Flow::Disconnect(reason));
                    }
                    match self.penalize(
                        error.misbehavior_score(),
                        &format!("block {hash}: {reason}"),
                    ) {
                        Flow::Continue => Ok(None),
                        flow => Err(flow),
                    }
                }
                None => {
                    eprintln!("node: p2p: block {hash} from {}: {error}", self.addr);
                    Ok(None)
                }
            },
        }
    }

    /// Brings the node's books and mempool to the new tip.
    async fn settle(&mut self) {
        self.accepted_since_settle = 0;
        let p2p = Arc::clone(&self.p2p);
        let settled = tokio::task::spawn_blocking(move || lock(&p2p.state).settle()).await;
        if let Ok(Err(error)) = settled {
            eprintln!("node: p2p: books: {error}");
        }
    }

    async fn inv(&mut self, items: Vec<Inventory>) -> Flow {
        let mut new_block = None;
        let mut wanted_transactions = Vec::new();
        {
            let state = lock(&self.p2p.state);
            for item in &items {
                match item {
                    Inventory::Block(hash)
                        if state.chain().block_height(hash).ok().flatten().is_none() =>
                    {
                        new_block = Some(*hash);
                    }
                    Inventory::Transaction(txid) => {
                        let known = state.mempool_transaction(txid).is_some()
                            || state.chain().transaction(txid).ok().flatten().is_some();
                        if !known
                            && self.asked_transactions.len() < MAX_ASKED_TRANSACTIONS
                            && self.asked_transactions.insert(*txid)
                        {
                            wanted_transactions.push(*item);
                        }
                    }
                    // Unknown types count as known and are never requested (`main.cpp:6906`).
                    _ => {}
                }
            }
        }
        if let Some(hash) = new_block {
            *lock(&self.best_known) = Some(hash);
            if let Err(reason) = self.ask_headers(None).await {
                return Flow::Disconnect(reason);
            }
        }
        if wanted_transactions.is_empty() {
            return Flow::Continue;
        }
        self.send_flow(NetworkMessage::GetData(wanted_transactions))
            .await
    }

    async fn getdata(&mut self, items: Vec<Inventory>) -> Flow {
        let mut not_found = Vec::new();
        for item in items {
            let reply = {
                let state = lock(&self.p2p.state);
                match item {
                    // This node offers no compact blocks or filters: a whole block answers
                    // every block request.
                    Inventory::Block(hash) | Inventory::CompactBlock(hash) => state
                        .chain()
                        .block(&hash)
                        .ok()
                        .flatten()
                        .map(NetworkMessage::Block),
                    Inventory::Transaction(txid) => {
                        let tx = state.mempool_transaction(&txid).cloned();
                        if tx.is_none() {
                            not_found.push(item);
                        }
                        tx.map(NetworkMessage::Tx)
                    }
                    // Unknown blocks and other types get no answer, as from fluxd.
                    _ => None,
                }
            };
            if let Some(reply) = reply {
                if let NetworkMessage::Block(block) = &reply {
                    *lock(&self.best_known) = Some(block.hash());
                }
                if let Flow::Disconnect(reason) = self.send_flow(reply).await {
                    return Flow::Disconnect(reason);
                }
            }
        }
        if not_found.is_empty() {
            return Flow::Continue;
        }
        self.send_flow(NetworkMessage::NotFound(not_found)).await
    }

    async fn transaction(&mut self, tx: Transaction) -> Flow {
        let txid = tx.txid();
        self.asked_transactions.remove(&txid);
        if self.p2p.is_behind() {
            // fluxd drops transactions during initial block download (`main.cpp:7652-7657`):
            // they are checked against a tip that is not the network's.
            return Flow::Continue;
        }
        let submitted = lock(&self.p2p.state).submit_transaction(tx);
        match submitted {
            Ok(_) | Err(MempoolError::AlreadyInMempool | MempoolError::AlreadyInChain) => {
                Flow::Continue
            }
            Err(MempoolError::Invalid(TxValidationError::Invalid(rule))) => {
                let reason = rule.to_string();
                if let Err(reason) = self
                    .reject("tx", RejectCode::INVALID, &reason, Some(txid.0))
                    .await
                {
                    return Flow::Disconnect(reason);
                }
                // Peers a block apart check loose transactions against different tips, so a
                // rule that depends on the tip costs nothing: otherwise two honest nodes drop
                // each other over a START racing its collateral's 100th confirmation.
                let points = if rule.depends_on_the_tip() {
                    0
                } else {
                    rule.misbehavior_score()
                };
                self.penalize(points, &format!("transaction {txid}: {reason}"))
            }
            Err(error) => {
                let reason = error.to_string();
                match self
                    .reject("tx", RejectCode::INVALID, &reason, Some(txid.0))
                    .await
                {
                    Ok(()) => Flow::Continue,
                    Err(reason) => Flow::Disconnect(reason),
                }
            }
        }
    }

    /// `getaddr` is answered once per inbound connection (`main.cpp:8242-8256`), with the
    /// addresses this node keeps connected.
    async fn getaddr(&mut self) -> Flow {
        if !self.inbound || self.answered_getaddr {
            return Flow::Continue;
        }
        self.answered_getaddr = true;
        let now = u32::try_from(unix_now()).unwrap_or(u32::MAX);
        let addresses: Vec<TimestampedAddress> = lock(&self.p2p.added)
            .iter()
            .take(MAX_ADDR_TO_SEND)
            .map(|addr| TimestampedAddress {
                time: now,
                address: flux_tx::p2p::NetAddress::new(*addr, ServiceFlags::NETWORK),
            })
            .collect();
        self.send_flow(NetworkMessage::Addr(addresses)).await
    }
}

/// A locator of the best chain: the last ten blocks, then ever wider steps back to genesis
/// (`CChain::GetLocator`).
pub fn chain_locator(chain: &Chain) -> Vec<BlockHash> {
    let tip = chain.tip().0.0;
    let mut heights = Vec::new();
    let mut height = i64::from(tip);
    let mut step = 1;
    while height > 0 {
        heights.push(height as u32);
        if heights.len() >= 10 {
            step *= 2;
        }
        height -= step;
    }
    heights.push(0);
    heights
        .into_iter()
        .filter_map(|height| chain.block_hash(BlockHeight(height)).ok().flatten())
        .collect()
}

/// The best-chain headers after the first locator hash on the best chain (after genesis when
/// none is), up to `max` and through `stop`; an empty locator asks for the `stop` header alone
/// (`main.cpp:7579-7649`).
pub fn headers_after(
    chain: &Chain,
    request: &LocatorRequest,
    max: usize,
) -> Vec<flux_tx::BlockHeader> {
    if request.locator.is_empty() {
        return chain
            .header(&request.stop)
            .ok()
            .flatten()
            .into_iter()
            .collect();
    }
    let start = request
        .locator
        .iter()
        .find(|hash| chain.is_in_best_chain(hash).unwrap_or(false))
        .and_then(|hash| chain.block_height(hash).ok().flatten())
        .map_or(1, |height| height.0 + 1);
    let mut headers = Vec::new();
    for (hash, header) in chain
        .best_chain_headers(BlockHeight(start), max)
        .unwrap_or_default()
    {
        headers.push(header);
        if hash == request.stop {
            break;
        }
    }
    headers
}

/// Sends what is queued for the peer and pings it; returns why it stopped.
async fn write_loop(
    mut writer: MessageWriter<OwnedWriteHalf>,
    mut inbox: mpsc::Receiver<NetworkMessage>,
    stats: Arc<Mutex<PeerStats>>,
    timeout: Duration,
    ping_interval: Duration,
) -> String {
    let mut ping =
        tokio::time::interval_at(tokio::time::Instant::now() + ping_interval, ping_interval);
    loop {
        let message = tokio::select! {
            message = inbox.recv() => match message {
                Some(message) => message,
                None => return "the connection closed".into(),
            },
            _ = ping.tick() => {
                let mut guard = lock(&stats);
                match guard.ping_outstanding {
                    Some((_, sent)) if sent.elapsed() >= timeout => {
                        return format!("no pong within {timeout:?}");
                    }
                    // One ping at a time, as fluxd's `nPingNonceSent`.
                    Some(_) => continue,
                    None => {
                        let nonce = super::random_nonce();
                        guard.ping_outstanding = Some((nonce, Instant::now()));
                        NetworkMessage::Ping(nonce)
                    }
                }
            }
        };
        if let Err(error) = writer.send(&message, timeout).await {
            writer.shutdown().await;
            return error.to_string();
        }
        let mut guard = lock(&stats);
        guard.bytes_sent = writer.sent_bytes();
        guard.last_send = unix_now();
    }
}
