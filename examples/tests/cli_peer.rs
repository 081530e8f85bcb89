//! `flux peer` against peers served here over loopback TCP: a devnet chain built and accepted by
//! flux-consensus (proof-of-work blocks mined by the real solver up to 249, proof-of-node blocks
//! signed by a confirmed fluxnode from 250), served by a fluxd-shaped peer written with
//! `examples::p2p::wire`. The expected verdicts come from the chain's acceptance, not from the
//! verifier under test: every served header is one the chain accepted, and each broken one is
//! broken here by hand for one rule.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use examples::p2p::client::{DownloadEnd, PeerClient, Start, Timeouts};
use examples::p2p::wire::{MessageReader, MessageWriter, Received};
use flux_pow::BlockHeight;
use flux_tx::p2p::{
    CompactHeader, Inventory, NetAddress, NetworkMessage, ServiceFlags, VersionMessage,
};
use flux_tx::{Block, BlockHash, BlockHeader, BlockProof};
use serde_json::Value;

mod common;
use common::flux;

// flux-consensus' own devnet test chain builder: a miner, a funded and confirmed fluxnode, PON
// blocks signed by its operator (`ponchain` refers to `super::devchain`).
#[allow(dead_code, unused_imports)]
#[path = "../../flux-consensus/tests/common/devchain.rs"]
mod devchain;
#[allow(dead_code, unused_imports)]
#[path = "../../flux-consensus/tests/common/ponchain.rs"]
mod ponchain;
use devchain::{Devchain, key, with_node};

/// The devnet's first proof-of-node height, written out (not read from the code under test).
const PON_HEIGHT: u32 = 250;
/// Proof-of-node blocks after the switch.
const PON_BLOCKS: u32 = 13;
/// The devnet's message start (`FXdv`) and testnet's, written out.
const DEVNET_MAGIC: [u8; 4] = *b"FXdv";
const TESTNET_MAGIC: [u8; 4] = [0xfa, 0x1a, 0xf9, 0xbf];
/// The user agent the served peer announces (fluxd's).
const PEER_USER_AGENT: &str = "/MagicBean:9.0.6/";
/// How long the served peer waits for anything.
const LONG: Duration = Duration::from_secs(60);

/// The blocks of a devnet chain from genesis (index = height) to `PON_HEIGHT + PON_BLOCKS - 1`,
/// every one accepted by `flux_consensus::Chain`; built once per test binary.
fn chain() -> &'static [Block] {
    static CHAIN: OnceLock<Vec<Block>> = OnceLock::new();
    CHAIN.get_or_init(|| {
        let (mut dev, collateral, _) = with_node();
        let to_go = PON_HEIGHT - 1 - dev.height();
        dev.mine(to_go);
        dev.produce(PON_BLOCKS, collateral, &key(8));
        assert_eq!(dev.height(), PON_HEIGHT + PON_BLOCKS - 1);
        blocks_of(&dev)
    })
}

fn blocks_of(dev: &Devchain) -> Vec<Block> {
    (0..=dev.height())
        .map(|height| {
            let hash = dev.chain.block_hash(BlockHeight(height)).unwrap().unwrap();
            dev.chain.block(&hash).unwrap().unwrap()
        })
        .collect()
}

/// How the served peer behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Like fluxd: waits for the client's `version`, answers, serves `getheaders`; it pings the
    /// client before each reply and answers only once the pong is back.
    Honest,
    /// Completes the handshake, then never answers `getheaders` (fluxd in initial block download).
    SilentAfterHandshake,
    /// Accepts the connection and says nothing.
    Mute,
    /// Speaks first, with another network's magic.
    Foreign([u8; 4]),
    /// Answers `getheaders` with `cmpheaders`, as fluxd answers a 170021 peer below its last
    /// checkpoint.
    Compact,
    /// Answers `getheaders` with a `headers` frame that announces one header and carries ten
    /// bytes.
    Truncated,
}

/// A peer listening on loopback, and what it saw.
struct TestPeer {
    addr: SocketAddr,
    /// The `version` of each client that connected.
    versions: Arc<Mutex<Vec<VersionMessage>>>,
    /// Pongs that came back with the nonce of the peer's ping.
    pongs: Arc<AtomicU32>,
}

impl TestPeer {
    fn target(&self) -> String {
        self.addr.to_string()
    }
}

fn spawn_peer(blocks: Vec<Block>, mode: Mode) -> TestPeer {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    let versions = Arc::new(Mutex::new(Vec::new()));
    let pongs = Arc::new(AtomicU32::new(0));
    let blocks = Arc::new(blocks);
    let (seen, answered) = (versions.clone(), pongs.clone());
    // The thread ends with the test binary.
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(
                    stream,
                    blocks.clone(),
                    mode,
                    seen.clone(),
                    answered.clone(),
                ));
            }
        });
    });
    TestPeer {
        addr,
        versions,
        pongs,
    }
}

fn peer_version(start_height: usize) -> VersionMessage {
    VersionMessage {
        version: 170_021,
        services: ServiceFlags(5),
        timestamp: 1_764_547_200,
        receiver: NetAddress::new("127.0.0.1:40000".parse().unwrap(), ServiceFlags::NONE),
        sender: NetAddress::new("0.0.0.0:0".parse().unwrap(), ServiceFlags(5)),
        nonce: 0x5eed,
        user_agent: PEER_USER_AGENT.as_bytes().to_vec(),
        start_height: i32::try_from(start_height).unwrap(),
        relay: Some(true),
    }
}

async fn serve(
    stream: tokio::net::TcpStream,
    blocks: Arc<Vec<Block>>,
    mode: Mode,
    versions: Arc<Mutex<Vec<VersionMessage>>>,
    pongs: Arc<AtomicU32>,
) {
    let tip = blocks.len() - 1;
    let (read_half, write_half) = stream.into_split();
    if let Mode::Foreign(magic) = mode {
        let mut writer = MessageWriter::new(write_half, magic);
        let _ = writer
            .send(&NetworkMessage::Version(peer_version(tip)), LONG)
            .await;
        tokio::time::sleep(LONG).await;
        return;
    }
    if mode == Mode::Mute {
        tokio::time::sleep(LONG).await;
        return;
    }
    let mut reader = MessageReader::new(read_half, DEVNET_MAGIC);
    let mut writer = MessageWriter::new(write_half, DEVNET_MAGIC);
    // fluxd's inbound side: the client's version first; another network's magic is a fatal
    // frame, and the connection is dropped without a word.
    let Ok(Received::Message(NetworkMessage::Version(theirs))) = reader.next(LONG, LONG).await
    else {
        return;
    };
    versions.lock().unwrap().push(theirs);
    for message in [
        NetworkMessage::Version(peer_version(tip)),
        NetworkMessage::Verack,
    ] {
        if writer.send(&message, LONG).await.is_err() {
            return;
        }
    }
    let index: HashMap<BlockHash, usize> = blocks
        .iter()
        .enumerate()
        .map(|(height, block)| (block.hash(), height))
        .collect();
    let mut ping_nonce = 0x1000u64;
    // Requests that arrived while the peer waited for a pong, answered in order afterwards (a
    // client may send its next `getheaders` before the reply to the last one, as fluxd allows).
    let mut queued: VecDeque<NetworkMessage> = VecDeque::new();
    loop {
        let message = match queued.pop_front() {
            Some(message) => message,
            None => match reader.next(LONG, LONG).await {
                Ok(Received::Message(message)) => message,
                Ok(_) => continue,
                Err(_) => return,
            },
        };
        match message {
            NetworkMessage::GetHeaders(_) if mode == Mode::Compact => {
                let compact = blocks[1..]
                    .iter()
                    .map(|block| CompactHeader::from_header(&block.header))
                    .collect();
                let _ = writer
                    .send(&NetworkMessage::CompactHeaders(compact), LONG)
                    .await;
            }
            NetworkMessage::GetHeaders(_) if mode == Mode::Truncated => {
                let mut frame = Vec::new();
                flux_tx::p2p::frame::encode_frame(
                    DEVNET_MAGIC,
                    flux_tx::p2p::Command::new("headers").unwrap(),
                    &[[1u8].as_slice(), &[0; 10]].concat(),
                    &mut frame,
                )
                .unwrap();
                let _ = writer.send_raw(&frame, LONG).await;
            }
            NetworkMessage::GetHeaders(request) if mode == Mode::Honest => {
                ping_nonce += 1;
                let noise = [
                    NetworkMessage::Ping(ping_nonce),
                    NetworkMessage::Inv(vec![Inventory::Block(BlockHash([9; 32]))]),
                ];
                for message in noise {
                    if writer.send(&message, LONG).await.is_err() {
                        return;
                    }
                }
                loop {
                    match reader.next(LONG, LONG).await {
                        Ok(Received::Message(NetworkMessage::Pong(nonce)))
                            if nonce == ping_nonce =>
                        {
                            pongs.fetch_add(1, Ordering::SeqCst);
                            break;
                        }
                        Ok(Received::Message(other)) => queued.push_back(other),
                        Ok(_) => {}
                        Err(_) => return,
                    }
                }
                // fluxd starts after the first locator hash on its chain, else after genesis.
                let start = request
                    .locator
                    .iter()
                    .find_map(|hash| index.get(hash))
                    .copied()
                    .unwrap_or(0);
                let end = (start + 1 + 160).min(blocks.len());
                let batch = blocks[start + 1..end]
                    .iter()
                    .map(|block| block.header.clone())
                    .collect();
                if writer
                    .send(&NetworkMessage::Headers(batch), LONG)
                    .await
                    .is_err()
                {
                    return;
                }
            }
            // fluxd serves the blocks of its chain and says nothing about others.
            NetworkMessage::GetData(items) => {
                for item in items {
                    if let Inventory::Block(hash) = item
                        && let Some(height) = index.get(&hash)
                    {
                        let block = NetworkMessage::Block(blocks[*height].clone());
                        if writer.send(&block, LONG).await.is_err() {
                            return;
                        }
                    }
                }
            }
            NetworkMessage::Ping(nonce) => {
                let _ = writer.send(&NetworkMessage::Pong(nonce), LONG).await;
            }
            _ => {}
        }
    }
}

/// `flux peer TARGET --network devnet ARGS...`.
fn flux_peer_devnet(target: &str, args: &[&str]) -> std::process::Output {
    let mut all = vec!["peer", target, "--network", "devnet"];
    all.extend_from_slice(args);
    flux(&all)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// The line `flux peer ... headers` must print for an accepted header at `height`.
fn ok_line(header: &BlockHeader, height: u32) -> String {
    let era = if height >= PON_HEIGHT { "pon" } else { "pow" };
    format!(
        "{height} {} {era} {} {:08x} ok",
        header.hash(),
        header.time,
        header.bits.0
    )
}

/// Runs `flux` with `args`, checks it exits with `code` having printed nothing on stdout, and
/// returns its stderr.
fn stderr_of_exit(args: &[&str], code: i32) -> String {
    let out = flux(args);
    assert_eq!(out.status.code(), Some(code), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty(), "{}", text(&out.stdout));
    text(&out.stderr)
}

#[test]
fn the_handshake_is_printed_as_one_json_object() {
    let peer = spawn_peer(chain()[..3].to_vec(), Mode::Honest);
    let out = flux_peer_devnet(&peer.target(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    let json: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["peer"], peer.target());
    assert_eq!(json["network"], "devnet");
    assert_eq!(json["version"], 170_021);
    assert_eq!(json["services"], "0000000000000005");
    assert_eq!(
        json["service_names"],
        serde_json::json!(["NODE_NETWORK", "NODE_BLOOM"])
    );
    assert_eq!(json["user_agent"], PEER_USER_AGENT);
    assert_eq!(json["start_height"], 2);
    assert_eq!(json["relay"], true);
    assert_eq!(json["timestamp"], 1_764_547_200);
    assert!(json["time_offset"].as_i64().unwrap() < 0, "{json}");
    assert_eq!(json["addr_recv"], "127.0.0.1:40000");
    // What the tool says it sent is what the peer received.
    let received = peer.versions.lock().unwrap()[0].clone();
    assert_eq!(received.version, 170_020, "full headers, not cmpheaders");
    assert_eq!(received.services, ServiceFlags::NONE);
    assert_eq!(received.relay, Some(false));
    assert_eq!(received.receiver.socket_addr(), peer.addr);
    let sent = &json["sent"];
    assert_eq!(sent["version"], 170_020);
    assert_eq!(sent["services"], "0000000000000000");
    assert_eq!(sent["relay"], false);
    assert_eq!(sent["start_height"], 0);
    assert_eq!(
        sent["user_agent"].as_str().unwrap().as_bytes(),
        received.user_agent
    );
}

#[test]
fn headers_across_the_switch_to_proof_of_node_are_all_ok() {
    let chain = chain();
    let tip = chain.len() - 1;
    let peer = spawn_peer(chain.to_vec(), Mode::Honest);
    // More than the chain holds: two getheaders (160, then the short rest), ending at the tip.
    let out = flux_peer_devnet(&peer.target(), &["headers", "--count", "1000"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let expected: Vec<String> = (1..=tip)
        .map(|height| ok_line(&chain[height].header, u32::try_from(height).unwrap()))
        .collect();
    assert_eq!(text(&out.stdout).lines().collect::<Vec<_>>(), expected);
    assert!(text(&out.stdout).contains(" pon "));
    assert!(
        text(&out.stderr).contains(&format!(
            "{tip} headers, 0 invalid; stopped: the peer's tip"
        )),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(peer.pongs.load(Ordering::SeqCst), 2, "one ping per request");

    // From a block the caller names with its height, for a count that ends mid-batch.
    let from = 240;
    let out = flux_peer_devnet(
        &peer.target(),
        &[
            "headers",
            "--from",
            &chain[from].hash().to_string(),
            "--from-height",
            &from.to_string(),
            "--count",
            "15",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let expected: Vec<String> = (from + 1..=from + 15)
        .map(|height| ok_line(&chain[height].header, u32::try_from(height).unwrap()))
        .collect();
    assert_eq!(text(&out.stdout).lines().collect::<Vec<_>>(), expected);

    // The same headers checked as a devnet of 1-second slots: their PON hashes are another
    // network's, and the tool says which setting to look at.
    let out = flux_peer_devnet(
        &peer.target(),
        &["--slot-secs", "1", "headers", "--count", "1000"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("(high-hash)"), "{stdout}");
    assert!(
        stdout
            .lines()
            .filter(|line| line.contains("invalid"))
            .all(|line| line.contains(" pon ")),
        "{stdout}"
    );
    assert!(
        text(&out.stderr).contains("hint: a devnet's PON hashes depend on its slot length"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn without_from_height_the_height_is_read_from_the_peers_block() {
    let chain = chain();
    let peer = spawn_peer(chain.to_vec(), Mode::Honest);
    // 200 is pushed as two bytes (c8 00: the top bit needs a sign byte), 5 as OP_5.
    for from in [200usize, 5] {
        let out = flux_peer_devnet(
            &peer.target(),
            &[
                "headers",
                "--from",
                &chain[from].hash().to_string(),
                "--count",
                "3",
            ],
        );
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        assert!(
            text(&out.stderr).contains(&format!(
                "peer: block {} is at height {from} (its coinbase)",
                chain[from].hash()
            )),
            "{}",
            text(&out.stderr)
        );
        let expected: Vec<String> = (from + 1..=from + 3)
            .map(|height| ok_line(&chain[height].header, u32::try_from(height).unwrap()))
            .collect();
        assert_eq!(text(&out.stdout).lines().collect::<Vec<_>>(), expected);
    }

    // A block the peer does not have: fluxd sends nothing.
    let unknown = BlockHash([0x44; 32]);
    let out = flux_peer_devnet(
        &peer.target(),
        &["--timeout", "1", "headers", "--from", &unknown.to_string()],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains(&format!("the peer sent no block {unknown} within 1s")),
        "{}",
        text(&out.stderr)
    );

    // A peer that serves block 200 with another block's transactions.
    let mut swapped = chain.to_vec();
    swapped[200].transactions = chain[201].transactions.clone();
    let liar = spawn_peer(swapped, Mode::Honest);
    let out = flux_peer_devnet(
        &liar.target(),
        &["headers", "--from", &chain[200].hash().to_string()],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("does not match its header's merkle root"),
        "{}",
        text(&out.stderr)
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn a_header_that_breaks_a_rule_is_printed_with_it_and_the_exit_code_is_1() {
    let chain = chain();
    // A proof-of-work header with one solution bit flipped, served as the peer's tip.
    let mut broken = chain[..=6].to_vec();
    if let BlockProof::Work { solution, .. } = &mut broken[6].header.proof {
        solution[10] ^= 0x01;
    }
    let peer = spawn_peer(broken.clone(), Mode::Honest);
    let out = flux_peer_devnet(&peer.target(), &["headers"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 6, "{stdout}");
    for height in 1..=5 {
        assert_eq!(
            lines[height - 1],
            ok_line(&chain[height].header, height as u32)
        );
    }
    let prefix = format!(
        "6 {} pow {} {:08x} invalid: ",
        broken[6].hash(),
        broken[6].header.time,
        broken[6].header.bits.0
    );
    assert!(lines[5].starts_with(&prefix), "{}", lines[5]);
    assert!(lines[5].ends_with("(invalid-solution)"), "{}", lines[5]);
    assert!(text(&out.stderr).contains("6 headers, 1 invalid"));

    // A proof-of-node signature longer than DER allows: the signature is not hashed, so the
    // chain still links and the download goes on past it.
    let mut oversized = chain.to_vec();
    let bad = 252;
    if let BlockProof::Node { signature, .. } = &mut oversized[bad].header.proof {
        signature.resize(80, 0);
    }
    assert_eq!(oversized[bad].hash(), chain[bad].hash());
    let peer = spawn_peer(oversized, Mode::Honest);
    let out = flux_peer_devnet(
        &peer.target(),
        &[
            "headers",
            "--from",
            &chain[245].hash().to_string(),
            "--from-height",
            "245",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), chain.len() - 1 - 245, "{stdout}");
    for (offset, line) in lines.iter().enumerate() {
        let height = 246 + offset;
        if height == bad {
            assert!(line.ends_with("(bad-pon-sig-size)"), "{line}");
            assert!(line.contains(" pon "), "{line}");
        } else {
            assert_eq!(*line, ok_line(&chain[height].header, height as u32));
        }
    }

    // A header whose parent is not the previous one ends the download.
    let mut unlinked = chain[..=8].to_vec();
    unlinked[4].header.prev_block = BlockHash([0x11; 32]);
    let peer = spawn_peer(unlinked.clone(), Mode::Honest);
    let out = flux_peer_devnet(&peer.target(), &["headers"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{stdout}");
    assert!(
        lines[3].ends_with(&format!(
            "invalid: its parent {} is not the previous header {} (bad-prevblk)",
            BlockHash([0x11; 32]),
            chain[3].hash()
        )),
        "{}",
        lines[3]
    );
    assert!(text(&out.stderr).contains("did not follow"));
}

#[test]
fn a_download_that_ends_early_leaves_no_reply_behind_for_the_next_request() {
    // The download asks for the second batch before it checks the first; the first breaks
    // its chain at height 5, so the reply to that second request is never used.
    let mut blocks = chain().to_vec();
    blocks[5].header.prev_block = BlockHash([7; 32]);
    let peer = spawn_peer(blocks.clone(), Mode::Honest);
    let devnet = flux_consensus::Devnet::default();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let timeouts = Timeouts::all(Duration::from_secs(30));
        let mut client = PeerClient::connect(&devnet, &peer.target(), timeouts)
            .await
            .expect("handshake");
        let summary = client
            .get_headers(&devnet, Start::Genesis, 400, |_| {})
            .await
            .expect("a download that ends at the broken link");
        assert_eq!(summary.end, DownloadEnd::BrokenLink);
        assert_eq!(summary.received, 5);
        // Each later request gets its own reply, not the one left unread.
        let after_200 = client
            .request_headers(vec![blocks[200].hash()])
            .await
            .expect("headers after 200");
        assert_eq!(after_200[0].prev_block, blocks[200].hash());
        assert_eq!(after_200.len(), blocks.len() - 201);
        let block = client
            .request_block(blocks[3].hash())
            .await
            .expect("block 3");
        assert_eq!(block.hash(), blocks[3].hash());
        client.close().await;
    });
}

#[test]
fn a_peer_on_another_network_is_named_and_exits_2() {
    // fluxd's answer to another network's magic: it hangs up without a word.
    let devnet_peer = spawn_peer(chain()[..3].to_vec(), Mode::Honest);
    let stderr = stderr_of_exit(&["peer", &devnet_peer.target(), "--network", "main"], 2);
    assert!(
        stderr.contains("closed the connection during the handshake")
            && stderr.contains("--network"),
        "{stderr}"
    );

    // A peer that speaks first, in testnet's magic, is named.
    let testnet_peer = spawn_peer(
        Vec::from([chain()[0].clone()]),
        Mode::Foreign(TESTNET_MAGIC),
    );
    let stderr = stderr_of_exit(&["peer", &testnet_peer.target(), "--network", "devnet"], 2);
    assert!(
        stderr.contains("is on test") && stderr.contains("(--network test)"),
        "{stderr}"
    );
}

#[test]
fn a_closed_port_is_refused_with_exit_2() {
    let addr = common::free_loopback_addr();
    let stderr = stderr_of_exit(
        &["peer", &addr.to_string(), "--network", "devnet", "headers"],
        2,
    );
    assert!(
        stderr.contains(&format!("connection to {addr} refused")),
        "{stderr}"
    );
}

#[test]
fn a_peer_that_never_answers_times_out_with_exit_2() {
    let mute = spawn_peer(chain()[..3].to_vec(), Mode::Mute);
    let stderr = stderr_of_exit(
        &[
            "peer",
            &mute.target(),
            "--network",
            "devnet",
            "--timeout",
            "1",
        ],
        2,
    );
    assert!(
        stderr.contains("did not complete the handshake within 1s"),
        "{stderr}"
    );

    // A node in initial block download: a handshake, then silence on getheaders.
    let syncing = spawn_peer(chain()[..3].to_vec(), Mode::SilentAfterHandshake);
    let stderr = stderr_of_exit(
        &[
            "peer",
            &syncing.target(),
            "--network",
            "devnet",
            "headers",
            "--timeout",
            "1",
        ],
        2,
    );
    assert!(
        stderr.contains("did not answer getheaders within 1s"),
        "{stderr}"
    );
}

#[test]
fn a_reply_that_cannot_be_verified_or_read_is_an_error() {
    for (mode, expected) in [
        (Mode::Compact, "answered with cmpheaders"),
        (Mode::Truncated, "headers message that does not decode"),
    ] {
        let peer = spawn_peer(chain()[..5].to_vec(), mode);
        let out = flux_peer_devnet(&peer.target(), &["headers"]);
        assert_eq!(out.status.code(), Some(2), "{mode:?}");
        let stderr = text(&out.stderr);
        assert!(stderr.contains(expected), "{mode:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{mode:?}");
    }
}

#[test]
fn a_start_block_the_peer_does_not_have_is_an_error() {
    let peer = spawn_peer(chain()[..10].to_vec(), Mode::Honest);
    let unknown = BlockHash([0x33; 32]);
    let stderr = stderr_of_exit(
        &[
            "peer",
            &peer.target(),
            "--network",
            "devnet",
            "headers",
            "--from",
            &unknown.to_string(),
            "--from-height",
            "5",
        ],
        2,
    );
    assert!(
        stderr.contains(&format!("does not have block {unknown}")),
        "{stderr}"
    );
}

#[test]
fn unusable_arguments_exit_2_before_connecting() {
    let addr = common::free_loopback_addr().to_string();
    for (args, expected) in [
        (vec!["peer", &addr, "--network", "moon"], "unknown network"),
        (
            vec![
                "peer",
                &addr,
                "headers",
                "--from",
                "zz",
                "--from-height",
                "1",
            ],
            "is not a block hash",
        ),
        // A height without the block it belongs to.
        (
            vec!["peer", &addr, "headers", "--from-height", "7"],
            "--from",
        ),
        (
            vec!["peer", &addr, "--network", "main", "--slot-secs", "1"],
            "devnet only",
        ),
        (vec!["peer", "no-port-here"], "cannot resolve"),
    ] {
        let out = flux(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = text(&out.stderr);
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
}

#[test]
fn a_real_flux_node_is_read_across_the_switch_to_proof_of_node() {
    let dir = tempfile::tempdir().unwrap();
    // 1-s slots (the shared node's default), no apps to run.
    let node = common::node::Node::start(&dir.path().join("node"), &["--app-runtime", "none"]);
    let p2p = node.p2p;
    // Past the switch: the node mines to 249, then its fluxnodes sign. Ten signed headers: with
    // the devnet's easy PON target a header checked with the wrong slot length still passes
    // about half the time, so fewer would hide a wrong --slot-secs.
    let wanted = u64::from(PON_HEIGHT + 10);
    node.wait_for(
        &format!("height {wanted}"),
        Duration::from_secs(180),
        |node| node.height() >= wanted,
    );
    let height = node.height();

    let out = flux_peer_devnet(&p2p.to_string(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let json: Value = serde_json::from_str(&text(&out.stdout)).unwrap();
    assert_eq!(json["version"], 170_021);
    assert_eq!(json["services"], "0000000000000001");
    assert!(
        json["user_agent"]
            .as_str()
            .unwrap()
            .starts_with("/flux-rs:"),
        "{json}"
    );
    assert!(json["start_height"].as_u64().unwrap() >= height, "{json}");

    // Every header to `height`, as the node's RPC names them; its slots are 1 s long.
    let out = flux_peer_devnet(
        &p2p.to_string(),
        &[
            "--slot-secs",
            "1",
            "headers",
            "--count",
            &height.to_string(),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len() as u64, height);
    for (index, line) in lines.iter().enumerate() {
        let at = index + 1;
        let hash = node.hash_at(at as u64).unwrap();
        let era = if at >= PON_HEIGHT as usize {
            "pon"
        } else {
            "pow"
        };
        let fields: Vec<&str> = line.split(' ').collect();
        assert_eq!(fields[0], at.to_string(), "{line}");
        assert_eq!(fields[1], hash, "{line}");
        assert_eq!(fields[2], era, "{line}");
        assert_eq!(fields[5..], ["ok"], "{line}");
    }

    // From block 100 without its height: the node serves the block, its coinbase says 100.
    let from = node.hash_at(100).unwrap();
    let out = flux_peer_devnet(
        &p2p.to_string(),
        &["headers", "--from", &from, "--count", "2"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("is at height 100 (its coinbase)"));
    assert!(
        text(&out.stdout).starts_with("101 "),
        "{}",
        text(&out.stdout)
    );
}
