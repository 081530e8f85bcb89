//! Syncing a long devnet chain: how fast headers and blocks are taken in, by validation alone and
//! (once the node speaks P2P) over loopback from a node that holds the chain.
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
//!   validation, durable commits).
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use examples::node::prebuilt::{CHAIN_FILE, build_devnet_chain};
use flux_consensus::check::header::check_header_for_height;
use flux_consensus::{AcceptOutcome, Chain, Devnet};
use flux_pow::BlockHeight;
use flux_tx::{Block, BlockHeader};

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

/// Runs `sample` (which returns how many items it took in and the time that took) `runs` times
/// and prints the rate.
fn measure(name: &str, unit: &str, runs: u32, mut sample: impl FnMut() -> (u64, Duration)) {
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

fn main() {
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

    measure("headers: validation alone", "headers", runs, || {
        let started = Instant::now();
        validate_headers(&devnet, &genesis, &headers);
        (headers.len() as u64, started.elapsed())
    });

    measure("blocks: validation alone", "blocks", runs, || {
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
    });
}
