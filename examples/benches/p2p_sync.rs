//! Syncing a long devnet chain: how fast headers and blocks are taken in, by validation alone and
//! over loopback from a node that holds the chain.
//!
//! A measured bench (`harness = false`), not criterion: one sample is a whole chain of at least
//! 10,000 blocks (seconds to minutes), so criterion's minimum of ten samples plus its warm-up
//! would hold two shared cores for a quarter of an hour per mode, and its statistics add little
//! to a handful of runs whose modes differ by orders of magnitude. Each mode runs
//! `FLUX_BENCH_RUNS` times (default 3) and prints the median, min and max rate with the load
//! average around it, since the machine is shared.
//!
//! The chain (`FLUX_BENCH_HEIGHT` blocks, default 10,000) is built once with
//! [`examples::node::prebuilt::build_devnet_chain`] and cached under the cargo target directory,
//! keyed by height; the build time is printed when it is built.
//!
//! Modes:
//! - `headers: validation alone`: `check_header_for_height` and the link to the previous header,
//!   over every header held in memory;
//! - `blocks: validation alone`: `Chain::accept_block` of every block into a fresh store (full
//!   validation, durable commits);
//! - `headers: serving alone` and `headers: codec alone`: where the wire's time goes, the
//!   serving node's `headers_after` over the stored chain (160 a call, as it answers
//!   `getheaders`), and framing plus decoding those `headers` messages;
//! - `headers: over loopback`: the researcher's client ([`examples::p2p::client`], on
//!   [`examples::p2p::wire`] and [`examples::p2p::handshake`]) handshakes with a node serving
//!   the chain (`flux node` in this process, not producing) and downloads every header with
//!   `getheaders` (160 a reply), checking each as in the first mode; from the connect to the last
//!   header;
//! - `blocks: over loopback`: a second node, with an empty store, syncs the whole chain from the
//!   first over P2P (headers first, then `getdata`, blocks in flight); from its start until it
//!   returns at the chain's height (its `stop_at`, polled every 250 ms).
//!
//! The nodes run on one tokio runtime in this process and log on stderr; the figures go to
//! stdout, with each mode's time per item against validation alone. Words after `--`
//! (`cargo bench -p examples --bench p2p_sync -- loopback`) pick the modes whose names hold one.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use examples::node::p2p::peer::headers_after;
use examples::node::prebuilt::{CHAIN_FILE, build_devnet_chain};
use examples::node::{NodeConfig, apps, p2p, rpc, run};
use examples::p2p::client::{PeerClient, Start, Timeouts};
use flux_consensus::check::header::check_header_for_height;
use flux_consensus::{AcceptOutcome, Chain, Devnet, NetworkParams};
use flux_pow::BlockHeight;
use flux_tx::p2p::{
    LocatorRequest, MAX_HEADERS_RESULTS, MessageStatus, NetworkMessage, PROTOCOL_VERSION,
    decode_message,
};
use flux_tx::{Block, BlockHash, BlockHeader};
use tokio::net::TcpStream;

/// Marks a cached chain directory as complete (written after the build returns).
const COMPLETE_MARK: &str = "complete";

fn env_u32(name: &str, default: u32) -> u32 {
    match std::env::var(name) {
        Ok(value) => value
            .parse()
            .unwrap_or_else(|_| panic!("{name}={value} is not a count")),
        Err(_) => default,
    }
}

/// The cargo target directory this bench was built in (`<target>/<profile>/deps/<bench>`).
fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the bench's own path");
    exe.ancestors()
        .nth(3)
        .map(Path::to_path_buf)
        .unwrap_or_else(std::env::temp_dir)
}

/// The chain of `height` blocks in a node data directory, built on first use.
fn cached_chain(height: u32) -> PathBuf {
    let devnet = Devnet::default();
    let base = target_dir().join("bench-chains");
    let dir = base.join(format!("devnet-{}s-{height}", devnet.slot_seconds().get()));
    if dir.join(COMPLETE_MARK).exists() {
        return dir;
    }
    let partial = base.join(format!("devnet-{height}.partial"));
    let _ = std::fs::remove_dir_all(&partial);
    eprintln!(
        "building a {height}-block devnet chain in {}",
        partial.display()
    );
    let load_before = load_average();
    let mut last_report = Instant::now();
    let built = build_devnet_chain(&partial, devnet, height, |at, _| {
        if last_report.elapsed() >= Duration::from_secs(30) {
            eprintln!("  ... height {}", at.0);
            last_report = Instant::now();
        }
    })
    .expect("the devnet chain builds");
    println!(
        "build: {height} blocks in {:.1} s ({:.0} blocks/s; signed by tier {:?}; tip time {}; load {} -> {})",
        built.elapsed.as_secs_f64(),
        f64::from(built.added) / built.elapsed.as_secs_f64(),
        built.signed_by_tier,
        built.tip_time,
        load_before,
        load_average(),
    );
    std::fs::write(partial.join(COMPLETE_MARK), b"").expect("mark the chain complete");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::rename(&partial, &dir).expect("move the chain into the cache");
    dir
}

/// Every block of the stored chain, genesis excluded, lowest first.
fn read_blocks(data_dir: &Path) -> Vec<Block> {
    let chain = Chain::open(data_dir.join(CHAIN_FILE), Devnet::default()).expect("open the chain");
    let (tip, _) = chain.tip();
    (1..=tip.0)
        .map(|height| {
            let hash = chain
                .block_hash(BlockHeight(height))
                .expect("read")
                .expect("a block at every height");
            chain.block(&hash).expect("read").expect("stored")
        })
        .collect()
}

/// The 1-minute load average (`/proc/loadavg`), or `?` where there is none.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|text| text.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".to_owned())
}

/// Runs `sample` (which returns how many items it took in and the time that took) `runs` times,
/// prints the rate and returns its median.
fn measure(name: &str, unit: &str, runs: u32, mut sample: impl FnMut() -> (u64, Duration)) -> f64 {
    let load_before = load_average();
    let mut rates = Vec::new();
    let mut items = 0;
    for _ in 0..runs {
        let (count, took) = sample();
        items = count;
        rates.push(count as f64 / took.as_secs_f64());
    }
    rates.sort_by(f64::total_cmp);
    let median = rates[rates.len() / 2];
    println!(
        "{name}: {items} {unit}, median {median:.0} {unit}/s (min {:.0}, max {:.0}) over {runs} runs; load {load_before} -> {}",
        rates[0],
        rates[rates.len() - 1],
        load_average(),
    );
    median
}

/// How much longer an item takes over the wire than by validation alone, from the two median
/// rates.
fn compare(what: &str, alone: Option<f64>, over_wire: Option<f64>) {
    if let (Some(alone), Some(over_wire)) = (alone, over_wire) {
        println!(
            "{what}: {:.1} us each by validation alone, {:.1} us over loopback ({:+.0}%)",
            1e6 / alone,
            1e6 / over_wire,
            (alone / over_wire - 1.0) * 100.0
        );
    }
}

/// The stateless header checks and the link to the previous header, as a syncing node runs them
/// on each header it receives.
fn validate_headers(params: &Devnet, genesis: &BlockHeader, headers: &[BlockHeader]) {
    let mut previous = genesis.hash();
    for (index, header) in headers.iter().enumerate() {
        let height = BlockHeight(index as u32 + 1);
        assert_eq!(header.prev_block, previous, "header {} links", height.0);
        check_header_for_height(params, header, height).expect("a valid header");
        previous = header.hash();
    }
}

/// The replies a node on `chain` gives a client asking for every header after genesis, 160 at a
/// time.
fn serve_all_headers(chain: &Chain, genesis: BlockHash) -> Vec<Vec<BlockHeader>> {
    let mut batches = Vec::new();
    let mut previous = genesis;
    loop {
        let request = LocatorRequest {
            version: PROTOCOL_VERSION,
            locator: vec![previous],
            stop: BlockHash([0; 32]),
        };
        let batch = headers_after(chain, &request, MAX_HEADERS_RESULTS);
        let full = batch.len() == MAX_HEADERS_RESULTS;
        if let Some(last) = batch.last() {
            previous = last.hash();
        }
        batches.push(batch);
        if !full {
            return batches;
        }
    }
}

/// A node on `data_dir` that makes no blocks, listening for peers on `listen` and dialling
/// `connect`, stopping at `stop_at`.
fn node_config(
    data_dir: &Path,
    listen: Option<SocketAddr>,
    connect: Vec<SocketAddr>,
    stop_at: Option<u32>,
) -> NodeConfig {
    NodeConfig {
        data_dir: data_dir.to_path_buf(),
        rpc_bind: SocketAddr::from(([127, 0, 0, 1], 0)),
        p2p_listen: listen,
        connect,
        p2p_limits: p2p::P2pLimits::default(),
        produce: false,
        follow_rpc: None,
        block_interval: Duration::from_secs(1),
        stop_at,
        // Only the line each node prints when it stops.
        status_interval: Duration::from_secs(24 * 3600),
        app_runtime: apps::RuntimeChoice::None,
        app_spec: None,
        devnet: Devnet::default(),
        rpc_user: None,
        rpc_allow: Vec::new(),
        rpc_limits: rpc::ServeLimits::default(),
        follow_rpc_credentials: None,
        app_engines: Vec::new(),
    }
}

/// A loopback address whose port was free a moment ago.
fn free_loopback_addr() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
}

/// Waits until something listens on `addr` (the node binds its P2P port once its store is open
/// and its books are caught up).
async fn wait_for_listener(addr: SocketAddr) {
    let deadline = Instant::now() + Duration::from_secs(300);
    while TcpStream::connect(addr).await.is_err() {
        assert!(Instant::now() < deadline, "nothing listens on {addr}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Downloads the `count` headers after genesis from `peer` with the researcher's client
/// ([`PeerClient::get_headers`]: `getheaders` from the last header received, each header checked
/// as [`validate_headers`] does); returns how many came.
async fn download_headers(peer: SocketAddr, devnet: &Devnet, count: u32) -> u64 {
    let mut client = PeerClient::connect(devnet, &peer.to_string(), Timeouts::default())
        .await
        .expect("connect and handshake");
    let summary = client
        .get_headers(devnet, Start::Genesis, count, |checked| {
            assert!(
                checked.fault.is_none(),
                "header {}: {:?}",
                checked.height.0,
                checked.fault
            );
        })
        .await
        .expect("the headers");
    client.close().await;
    assert_eq!(summary.invalid, 0);
    u64::from(summary.received)
}

fn main() {
    // `cargo bench --bench p2p_sync -- loopback` runs the modes whose name holds a word given.
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|arg| !arg.starts_with('-'))
        .collect();
    let selected = |mode: &str| filters.is_empty() || filters.iter().any(|f| mode.contains(f));
    let height = env_u32("FLUX_BENCH_HEIGHT", 10_000);
    let runs = env_u32("FLUX_BENCH_RUNS", 3).max(1);
    let devnet = Devnet::default();
    let data_dir = cached_chain(height);
    let blocks = read_blocks(&data_dir);
    assert_eq!(blocks.len(), height as usize, "the cached chain's height");
    let headers: Vec<BlockHeader> = blocks.iter().map(|block| block.header.clone()).collect();
    let genesis = flux_consensus::NetworkParams::genesis_block(&devnet).header;
    println!(
        "chain: {height} blocks ({} mined, {} signed), {} bytes of headers, {} bytes of blocks",
        headers.iter().filter(|h| !h.is_proof_of_node()).count(),
        headers.iter().filter(|h| h.is_proof_of_node()).count(),
        headers
            .iter()
            .map(|h| flux_tx::FluxEncode::encoded(h).len())
            .sum::<usize>(),
        blocks
            .iter()
            .map(|b| flux_tx::FluxEncode::encoded(b).len())
            .sum::<usize>(),
    );

    let mode = "headers: validation alone";
    let headers_alone = selected(mode).then(|| {
        measure(mode, "headers", runs, || {
            let started = Instant::now();
            validate_headers(&devnet, &genesis, &headers);
            (headers.len() as u64, started.elapsed())
        })
    });

    let mode = "blocks: validation alone";
    let blocks_alone = selected(mode).then(|| {
        measure(mode, "blocks", runs, || {
            let dir = tempfile::tempdir().expect("temporary directory");
            let started = Instant::now();
            let mut chain = Chain::open(dir.path().join(CHAIN_FILE), devnet).expect("open");
            for (index, block) in blocks.iter().enumerate() {
                let outcome = chain.accept_block(block).expect("a valid block");
                assert_eq!(
                    outcome,
                    AcceptOutcome::Extended {
                        height: BlockHeight(index as u32 + 1)
                    }
                );
            }
            (blocks.len() as u64, started.elapsed())
        })
    });

    let mode = "headers: serving alone";
    let serving = selected(mode).then(|| {
        let chain = Chain::open(data_dir.join(CHAIN_FILE), devnet).expect("open the chain");
        measure(mode, "headers", runs, || {
            let started = Instant::now();
            let batches = serve_all_headers(&chain, genesis.hash());
            let took = started.elapsed();
            let count = batches.iter().map(Vec::len).sum::<usize>();
            assert_eq!(count, headers.len(), "every header served");
            (count as u64, took)
        })
    });

    let mode = "headers: codec alone";
    let codec = selected(mode).then(|| {
        let batches: Vec<Vec<BlockHeader>> = headers
            .chunks(MAX_HEADERS_RESULTS)
            .map(<[BlockHeader]>::to_vec)
            .collect();
        let magic = devnet.message_start();
        measure(mode, "headers", runs, || {
            let started = Instant::now();
            let mut count = 0;
            for batch in &batches {
                let frame = NetworkMessage::Headers(batch.clone())
                    .encode_frame(magic)
                    .expect("frame");
                match decode_message(magic, &frame) {
                    Ok(MessageStatus::Complete {
                        message: NetworkMessage::Headers(decoded),
                        ..
                    }) => count += decoded.len(),
                    other => panic!("a headers message decodes: {other:?}"),
                }
            }
            (count as u64, started.elapsed())
        })
    });
    if let (Some(serving), Some(codec)) = (serving, codec) {
        println!(
            "headers: serving {:.1} us + codec {:.1} us each",
            1e6 / serving,
            1e6 / codec
        );
    }

    let headers_mode = "headers: over loopback";
    let blocks_mode = "blocks: over loopback";
    if !selected(headers_mode) && !selected(blocks_mode) {
        compare("headers", headers_alone, None);
        return;
    }
    // The node serving the chain, from a copy of the cached store (it writes its RPC cookie
    // beside it).
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let served_dir = tempfile::tempdir().expect("temporary directory");
    std::fs::copy(
        data_dir.join(CHAIN_FILE),
        served_dir.path().join(CHAIN_FILE),
    )
    .expect("copy the chain");
    let server_addr = free_loopback_addr();
    let (stop_server, server_stopped) = tokio::sync::oneshot::channel::<()>();
    let server = runtime.spawn(run(
        node_config(served_dir.path(), Some(server_addr), Vec::new(), None),
        async {
            let _ = server_stopped.await;
        },
    ));
    let starting = Instant::now();
    runtime.block_on(wait_for_listener(server_addr));
    println!(
        "serving node: listening {:.2} s after its start (store opened, books caught up over {height} blocks)",
        starting.elapsed().as_secs_f64()
    );
    let tip = blocks.last().map(Block::hash).expect("a tip");

    let headers_over_wire = selected(headers_mode).then(|| {
        measure(headers_mode, "headers", runs, || {
            let started = Instant::now();
            let count = runtime.block_on(download_headers(server_addr, &devnet, height));
            let took = started.elapsed();
            assert_eq!(count, u64::from(height), "every header came");
            (count, took)
        })
    });

    let blocks_over_wire = selected(blocks_mode).then(|| {
        measure(blocks_mode, "blocks", runs, || {
            let dir = tempfile::tempdir().expect("temporary directory");
            let config = node_config(dir.path(), None, vec![server_addr], Some(height));
            let started = Instant::now();
            runtime
                .block_on(run(config, std::future::pending()))
                .expect("the syncing node");
            let took = started.elapsed();
            let synced =
                Chain::open(dir.path().join(CHAIN_FILE), devnet).expect("open the synced store");
            assert_eq!(synced.tip(), (BlockHeight(height), tip), "the synced tip");
            (u64::from(height), took)
        })
    });

    let _ = stop_server.send(());
    runtime
        .block_on(server)
        .expect("the serving node's task")
        .expect("the serving node");
    compare("headers", headers_alone, headers_over_wire);
    compare("blocks", blocks_alone, blocks_over_wire);
}
