//! A hostile peer on a raw socket against a running node, while an honest node syncs from it:
//! each misdeed gets the answer fluxd gives it (`p2p.md` §2, §10) — wrong magic and a 4 GB
//! length are disconnected, a bad checksum is ignored, a header failing its proof of work and a
//! transaction of an unknown format are banned, an oversize `inv` costs 20 and a second
//! `version` 1 (each with `reject`), an unrequested block out of the blue is ignored, a flood of
//! pings is answered ping by ping, a peer that stalls mid-message or never says `version` is
//! dropped after the timeout, and connections beyond the cap are closed on arrival. The honest
//! node's connection survives it all and it keeps syncing.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use flux_consensus::{Devnet, NetworkParams};
use flux_tx::p2p::{
    Inventory, LocatorRequest, MessageStatus, NetAddress, NetworkMessage, PROTOCOL_VERSION,
    RejectCode, ServiceFlags, VersionMessage, decode_message,
};
use flux_tx::{BlockHash, BlockProof};
use serde_json::{Value, json};

mod common;
use common::node::Node;

/// The node's peer timeout in this test (fluxd's is 360 s).
const PEER_TIMEOUT_SECS: u64 = 3;

fn magic() -> [u8; 4] {
    Devnet::default().message_start()
}

/// A peer driven byte by byte.
struct Raw {
    stream: TcpStream,
    buffer: Vec<u8>,
}

/// What reading from the node gave.
#[derive(Debug)]
enum Reading {
    Message(Box<NetworkMessage>),
    Silent,
    Closed,
}

impl Raw {
    fn connect(addr: SocketAddr) -> Raw {
        let stream = TcpStream::connect(addr).expect("the node accepts connections");
        Raw {
            stream,
            buffer: Vec::new(),
        }
    }

    fn send(&mut self, message: &NetworkMessage) {
        let frame = message.encode_frame(magic()).unwrap();
        self.send_bytes(&frame);
    }

    fn send_bytes(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("the node reads");
    }

    /// The next message within `limit`.
    fn recv(&mut self, limit: Duration) -> Reading {
        let deadline = Instant::now() + limit;
        loop {
            if let Ok(MessageStatus::Complete { message, frame_len }) =
                decode_message(magic(), &self.buffer)
            {
                self.buffer.drain(..frame_len);
                return Reading::Message(Box::new(message));
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Reading::Silent;
            }
            self.stream.set_read_timeout(Some(left)).unwrap();
            let mut chunk = [0u8; 65536];
            match self.stream.read(&mut chunk) {
                Ok(0) => return Reading::Closed,
                Ok(n) => self.buffer.extend_from_slice(&chunk[..n]),
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    return Reading::Silent;
                }
                Err(_) => return Reading::Closed,
            }
        }
    }

    /// The next message `wanted` picks within `limit`, skipping others (pings are answered).
    fn expect<T>(
        &mut self,
        limit: Duration,
        what: &str,
        mut wanted: impl FnMut(&NetworkMessage) -> Option<T>,
    ) -> T {
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.recv(left) {
                Reading::Message(message) => {
                    if let Some(found) = wanted(&message) {
                        return found;
                    }
                    if let NetworkMessage::Ping(nonce) = *message {
                        self.send(&NetworkMessage::Pong(nonce));
                    }
                }
                other => panic!("waiting for {what}: {other:?}"),
            }
        }
    }

    /// Whether the node closes the connection within `limit` (messages meanwhile are skipped).
    fn closed_within(&mut self, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.recv(left) {
                Reading::Closed => return true,
                Reading::Silent => return false,
                Reading::Message(_) => {}
            }
        }
    }

    /// `version`/`verack` as a client would.
    fn handshake(&mut self, addr: SocketAddr) {
        self.send(&NetworkMessage::Version(VersionMessage {
            version: PROTOCOL_VERSION,
            services: ServiceFlags::NONE,
            timestamp: 0,
            receiver: NetAddress::new(addr, ServiceFlags::NONE),
            sender: NetAddress::new(addr, ServiceFlags::NONE),
            nonce: 0x0bad_0bad,
            user_agent: b"/hostile:0.0/".to_vec(),
            start_height: 0,
            relay: Some(false),
        }));
        self.expect(Duration::from_secs(10), "version", |m| {
            matches!(m, NetworkMessage::Version(_)).then_some(())
        });
        self.expect(Duration::from_secs(10), "verack", |m| {
            matches!(m, NetworkMessage::Verack).then_some(())
        });
        self.send(&NetworkMessage::Verack);
    }

    /// A ping answered with its own nonce: the connection is alive and read in order.
    fn round_trip(&mut self, nonce: u64) {
        self.send(&NetworkMessage::Ping(nonce));
        self.expect(Duration::from_secs(10), "pong", |m| match m {
            NetworkMessage::Pong(got) if *got == nonce => Some(()),
            NetworkMessage::Pong(got) => panic!("pong {got:#x} before the one for {nonce:#x}"),
            _ => None,
        });
    }
}

/// The hostile peer's score and presence as `getpeerinfo` shows them.
fn hostile_score(node: &Node) -> Option<u64> {
    node.ok("getpeerinfo", json!([]))
        .as_array()
        .unwrap()
        .iter()
        .find(|peer| peer["subver"] == "/hostile:0.0/")
        .map(|peer| peer["banscore"].as_u64().unwrap())
}

fn banned(node: &Node) -> Vec<Value> {
    node.ok("listbanned", json!([])).as_array().unwrap().clone()
}

fn frame_header(command: &str, len: u32, checksum: [u8; 4]) -> Vec<u8> {
    let mut field = [0u8; 12];
    field[..command.len()].copy_from_slice(command.as_bytes());
    [&magic()[..], &field, &len.to_le_bytes(), &checksum].concat()
}

#[test]
fn a_hostile_peer_gets_fluxd_s_answers_and_an_honest_one_keeps_syncing() {
    let dir = tempfile::tempdir().unwrap();
    let timeout = PEER_TIMEOUT_SECS.to_string();
    let node = Node::start(
        &dir.path().join("node"),
        &[
            "--app-runtime",
            "none",
            "--peer-timeout-secs",
            &timeout,
            "--ban-loopback-peers",
            "--max-peers",
            "4",
        ],
    );
    let addr = node.p2p;
    node.wait_for("the node's first blocks", Duration::from_secs(60), |n| {
        n.height() >= 20
    });
    let honest = Node::start(
        &dir.path().join("honest"),
        &["--app-runtime", "none", "--connect", &addr.to_string()],
    );
    honest.wait_for("the honest node to connect", Duration::from_secs(30), |h| {
        h.call("getconnectioncount", json!([])).ok() == Some(json!(1))
    });
    let honest_since = honest.ok("getpeerinfo", json!([]))[0]["conntime"].clone();

    // Another network's magic: disconnected, not banned.
    let mut foreign = Raw::connect(addr);
    foreign.send_bytes(
        &NetworkMessage::Verack
            .encode_frame([0x24, 0xe9, 0x27, 0x64])
            .unwrap(),
    );
    assert!(
        foreign.closed_within(Duration::from_secs(10)),
        "wrong magic"
    );

    // A length field of 4 GB: disconnected before anything is allocated, not banned.
    let mut huge = Raw::connect(addr);
    huge.handshake(addr);
    huge.send_bytes(&frame_header("block", u32::MAX, [0; 4]));
    assert!(huge.closed_within(Duration::from_secs(10)), "4 GB length");
    assert!(banned(&node).is_empty(), "{:?}", banned(&node));

    // A bad checksum is dropped without a word; the next ping is answered.
    let mut raw = Raw::connect(addr);
    raw.handshake(addr);
    let mut corrupt = NetworkMessage::Ping(0xdead).encode_frame(magic()).unwrap();
    corrupt[20] ^= 0xff;
    raw.send_bytes(&corrupt);
    raw.round_trip(0xbeef);
    assert_eq!(hostile_score(&node), Some(0));

    // A second `version`: `reject` (duplicate) and +1.
    raw.send(&NetworkMessage::Version(VersionMessage {
        version: PROTOCOL_VERSION,
        services: ServiceFlags::NONE,
        timestamp: 0,
        receiver: NetAddress::new(addr, ServiceFlags::NONE),
        sender: NetAddress::new(addr, ServiceFlags::NONE),
        nonce: 1,
        user_agent: b"/hostile:0.0/".to_vec(),
        start_height: 0,
        relay: Some(false),
    }));
    let code = raw.expect(Duration::from_secs(10), "reject", |m| match m {
        NetworkMessage::Reject(reject) => Some(reject.code),
        _ => None,
    });
    assert_eq!(code, RejectCode::DUPLICATE);
    raw.round_trip(1);
    assert_eq!(hostile_score(&node), Some(1));

    // An `inv` over 50 000 items: `reject` (malformed) and +20.
    let mut oversize = vec![0xfd];
    oversize.extend_from_slice(&50_001u16.to_le_bytes());
    for index in 0..50_001u32 {
        oversize.extend_from_slice(&2u32.to_le_bytes());
        let mut hash = [0u8; 32];
        hash[..4].copy_from_slice(&index.to_le_bytes());
        oversize.extend_from_slice(&hash);
    }
    let mut frame = Vec::new();
    flux_tx::p2p::frame::encode_frame(
        magic(),
        flux_tx::p2p::Command::new("inv").unwrap(),
        &oversize,
        &mut frame,
    )
    .unwrap();
    raw.send_bytes(&frame);
    let code = raw.expect(Duration::from_secs(10), "reject", |m| match m {
        NetworkMessage::Reject(reject) => Some(reject.code),
        _ => None,
    });
    assert_eq!(code, RejectCode::MALFORMED);
    raw.round_trip(2);
    assert_eq!(hostile_score(&node), Some(21));

    // An unrequested block whose parent nobody knows: ignored (no score, no reject); the node
    // asks for the headers that would lead to it.
    raw.send(&NetworkMessage::GetHeaders(LocatorRequest {
        version: PROTOCOL_VERSION,
        locator: vec![node_genesis()],
        stop: BlockHash([0; 32]),
    }));
    let headers = raw.expect(Duration::from_secs(10), "headers", |m| match m {
        NetworkMessage::Headers(headers) => Some(headers.clone()),
        _ => None,
    });
    assert!(headers.len() >= 20, "{} headers", headers.len());
    raw.send(&NetworkMessage::GetData(vec![Inventory::Block(
        headers[9].hash(),
    )]));
    let mut stray = raw.expect(Duration::from_secs(10), "block", |m| match m {
        NetworkMessage::Block(block) => Some(block.clone()),
        _ => None,
    });
    stray.header.prev_block = BlockHash([0x42; 32]);
    raw.send(&NetworkMessage::Block(stray));
    raw.expect(Duration::from_secs(10), "getheaders", |m| {
        matches!(m, NetworkMessage::GetHeaders(_)).then_some(())
    });
    raw.round_trip(3);
    assert_eq!(hostile_score(&node), Some(21));

    // A flood of pings, none of its pongs read until the end: every one is answered, in order.
    let flood: Vec<u8> = (0..2_000u64)
        .flat_map(|nonce| {
            NetworkMessage::Ping(0xf00d_0000 + nonce)
                .encode_frame(magic())
                .unwrap()
        })
        .collect();
    raw.send_bytes(&flood);
    for nonce in 0..2_000u64 {
        let want = 0xf00d_0000 + nonce;
        raw.expect(
            Duration::from_secs(10),
            "a pong of the flood",
            |m| match m {
                NetworkMessage::Pong(got) if *got == want => Some(()),
                NetworkMessage::Pong(got) => panic!("pong {got:#x}, expected {want:#x}"),
                _ => None,
            },
        );
    }

    // A header that fails its proof of work: +100, disconnected and banned.
    let mut forged = headers[10].clone();
    if let BlockProof::Work { solution, .. } = &mut forged.proof {
        solution[3] ^= 0x40;
    }
    raw.send(&NetworkMessage::Headers(vec![forged]));
    assert!(
        raw.closed_within(Duration::from_secs(10)),
        "bad proof of work"
    );
    let bans = banned(&node);
    assert_eq!(bans.len(), 1, "{bans:?}");
    assert_eq!(bans[0]["address"], "127.0.0.1/32");
    let until = bans[0]["banned_until"].as_u64().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!((now + 86_000..=now + 86_401).contains(&until), "{until}");
    // The banned address is refused at once: the connection closes without a `version`.
    let mut again = Raw::connect(addr);
    assert!(
        again.closed_within(Duration::from_secs(10)),
        "banned peer let in"
    );
    node.ok("clearbanned", json!([]));

    // A transaction of an unknown format: banned at once.
    let mut raw = Raw::connect(addr);
    raw.handshake(addr);
    let mut frame = Vec::new();
    flux_tx::p2p::frame::encode_frame(
        magic(),
        flux_tx::p2p::Command::new("tx").unwrap(),
        &[0x04, 0x00, 0x00, 0x80, 0x78, 0x56, 0x34, 0x12],
        &mut frame,
    )
    .unwrap();
    raw.send_bytes(&frame);
    assert!(
        raw.closed_within(Duration::from_secs(10)),
        "unknown tx format"
    );
    assert_eq!(banned(&node).len(), 1);
    node.ok("clearbanned", json!([]));

    // Half a message, then nothing: dropped after the peer timeout.
    let mut raw = Raw::connect(addr);
    raw.handshake(addr);
    let ping = NetworkMessage::Ping(9).encode_frame(magic()).unwrap();
    raw.send_bytes(&ping[..30]);
    let stalled = Instant::now();
    assert!(raw.closed_within(Duration::from_secs(PEER_TIMEOUT_SECS * 4)));
    let waited = stalled.elapsed();
    assert!(
        waited >= Duration::from_secs(PEER_TIMEOUT_SECS - 1),
        "dropped after {waited:?}, before the timeout"
    );

    // At most four peers: with the honest one and three silent sockets, a fifth is closed on
    // arrival; the silent ones are dropped when their handshake times out.
    let silent: Vec<Raw> = (0..3).map(|_| Raw::connect(addr)).collect();
    std::thread::sleep(Duration::from_millis(300));
    let mut fifth = Raw::connect(addr);
    assert!(
        fifth.closed_within(Duration::from_secs(1)),
        "a fifth peer let in"
    );
    let opened = Instant::now();
    for mut peer in silent {
        assert!(peer.closed_within(Duration::from_secs(PEER_TIMEOUT_SECS * 4)));
    }
    assert!(opened.elapsed() >= Duration::from_secs(PEER_TIMEOUT_SECS - 1));

    // Through all of it the honest node stayed connected and kept syncing.
    let tip = node.height();
    honest.wait_for(
        "the honest node to reach the tip",
        Duration::from_secs(60),
        |h| h.height() >= tip && h.hash_at(tip) == node.hash_at(tip),
    );
    let peers = honest.ok("getpeerinfo", json!([]));
    assert_eq!(peers.as_array().unwrap().len(), 1);
    assert_eq!(
        peers[0]["conntime"], honest_since,
        "the honest connection was dropped"
    );
    assert_eq!(peers[0]["banscore"], 0);
    assert!(banned(&node).is_empty());
    assert_eq!(honest.interrupt().code(), Some(0));
    assert_eq!(node.interrupt().code(), Some(0));
}

fn node_genesis() -> BlockHash {
    Devnet::default().genesis_hash()
}
