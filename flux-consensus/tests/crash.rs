//! Durability: a child process appends blocks to a store and is killed with SIGKILL at
//! pseudo-random moments; after each kill the store reopens consistent, holding every block whose
//! `accept_block` had returned (the child reports each one after the call returns).
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use common::{key, list_snapshot, script_of};
use flux_consensus::{Chain, Devnet};
use flux_pow::{BlockHeight, Network};
use flux_tx::address::Address;
use flux_tx::builder::{Utxo, build_p2pkh};
use flux_tx::{Amount, BlockHash, OutPoint};

const CHILD_ENV: &str = "FLUX_CONSENSUS_CRASH_CHILD";
const TEST_NAME: &str = "kill_9_at_random_moments_loses_nothing_committed";

/// The child: mine on the store's tip forever, spending a mature coinbase in every other block
/// so that blocks also remove coins and write undo data.
fn child(path: &str) {
    let mut chain = Chain::open(path, Devnet::default()).expect("child opens the store");
    let miner = key(1);
    let miner_script = script_of(&miner);
    let address = Address::from_public_key(&miner.public_key(), Network::Devnet);
    let mut stdout = std::io::stdout();
    loop {
        let height = BlockHeight(chain.tip().0.0 + 1);
        let template = chain.block_template(height).unwrap().unwrap();
        let mut transactions = Vec::new();
        let mut fees = Amount::ZERO;
        if height.0 > 101 && height.0.is_multiple_of(2) {
            let source = chain
                .block_hash(BlockHeight(height.0 - 100))
                .unwrap()
                .unwrap();
            let coinbase = chain
                .block(&source)
                .unwrap()
                .unwrap()
                .transactions
                .remove(0);
            let output = &coinbase.outputs()[0];
            let utxo = Utxo {
                outpoint: OutPoint {
                    txid: coinbase.txid(),
                    index: 0,
                },
                amount: output.amount().unwrap(),
                script_pubkey: output.script_pubkey.clone(),
            };
            if output.value > 20_000 && chain.utxo(&utxo.outpoint).unwrap().is_some() {
                let pay = Amount::from_zat(output.value / 2).unwrap();
                let fee = Amount::from_zat(10_000).unwrap();
                let tx = build_p2pkh(
                    &miner,
                    &[utxo],
                    &[(address, pay)],
                    fee,
                    &address,
                    Network::Devnet,
                    height,
                )
                .unwrap();
                fees = chain.validate_transaction(&tx).unwrap();
                transactions.push(tx);
            }
        }
        let mut all =
            vec![template.coinbase_transaction(&miner_script, fees, &height.0.to_le_bytes())];
        all.extend(transactions);
        let block = flux_consensus::devnet::solve(template.block(template.min_time, all)).unwrap();
        chain
            .accept_block_at(&block, i64::from(block.header.time))
            .unwrap();
        writeln!(stdout, "committed {} {}", height.0, block.hash()).unwrap();
        stdout.flush().unwrap();
    }
}

/// How long one round may take to see its blocks committed: far more than the fraction of a
/// second an idle machine needs, so that only a stuck child fails the test.
const ROUND_TIMEOUT: Duration = Duration::from_secs(180);

/// Waits until the child has reported `needed` commits on `receiver`, moving each into
/// `committed`. Panics with the round's progress when the child exits or `ROUND_TIMEOUT` passes.
fn wait_for_commits(
    round: u32,
    receiver: &Receiver<(u32, BlockHash)>,
    committed: &mut Vec<(u32, BlockHash)>,
    needed: usize,
) {
    let start = Instant::now();
    let mut seen = 0;
    while seen < needed {
        let left = ROUND_TIMEOUT.saturating_sub(start.elapsed());
        match receiver.recv_timeout(left) {
            Ok(commit) => {
                committed.push(commit);
                seen += 1;
            }
            Err(RecvTimeoutError::Timeout) => panic!(
                "round {round}: the child committed {seen} of {needed} blocks in {} s \
                 (highest height {:?})",
                ROUND_TIMEOUT.as_secs(),
                committed.iter().map(|(height, _)| *height).max()
            ),
            Err(RecvTimeoutError::Disconnected) => {
                panic!("round {round}: the child exited after {seen} of {needed} commits")
            }
        }
    }
}

#[test]
fn kill_9_at_random_moments_loses_nothing_committed() {
    if let Ok(path) = std::env::var(CHILD_ENV) {
        child(&path);
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crash.redb");
    let mut committed: Vec<(u32, BlockHash)> = Vec::new();
    // A fixed linear congruential sequence: the kill moments vary from round to round but the
    // test is reproducible.
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next_random = || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        state >> 33
    };
    for round in 0..6 {
        // Each round waits for progress rather than a fixed time, so a busy machine makes the
        // test slower, never red: at least 20 new blocks a round take the six rounds past
        // height 102, where the child's blocks start spending coins. The kill then lands a
        // pseudo-random moment later, anywhere in the next block or so.
        let needed = 20 + (next_random() % 30) as usize;
        let jitter = Duration::from_millis(next_random() % 15);
        let mut process = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", TEST_NAME, "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, &path)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = process.stdout.take().unwrap();
        let (sender, receiver) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            let commits = BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
                .filter_map(|line| {
                    let mut parts = line.strip_prefix("committed ")?.split(' ');
                    let height = parts.next()?.parse::<u32>().ok()?;
                    let hash = parts.next()?.parse::<BlockHash>().ok()?;
                    Some((height, hash))
                });
            for commit in commits {
                if sender.send(commit).is_err() {
                    break;
                }
            }
        });
        let waited = Instant::now();
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            wait_for_commits(round, &receiver, &mut committed, needed);
        }));
        std::thread::sleep(jitter);
        process.kill().unwrap();
        let status = process.wait().unwrap();
        if let Err(panic) = outcome {
            std::panic::resume_unwind(panic);
        }
        assert!(
            !status.success(),
            "round {round}: the child must be killed, not exit"
        );
        // The pipe is closed: the reader sends what the child reported before the kill and
        // stops.
        reader.join().unwrap();
        committed.extend(receiver.try_iter());
        let elapsed = waited.elapsed();

        let chain = Chain::open(&path, Devnet::default()).unwrap();
        let (tip, _) = chain.tip();
        let highest = committed.iter().map(|(h, _)| *h).max().unwrap_or(0);
        assert!(
            tip.0 >= highest,
            "round {round}: tip {tip} below committed {highest}"
        );
        for (height, hash) in &committed {
            assert_eq!(
                chain.block_hash(BlockHeight(*height)).unwrap(),
                Some(*hash),
                "round {round}"
            );
        }
        // The reopened state equals a store that replays its best chain from scratch.
        let replay_dir = tempfile::tempdir().unwrap();
        let mut replay =
            Chain::open(replay_dir.path().join("replay.redb"), Devnet::default()).unwrap();
        for height in 1..=tip.0 {
            let hash = chain.block_hash(BlockHeight(height)).unwrap().unwrap();
            let block = chain.block(&hash).unwrap().unwrap();
            replay
                .accept_block_at(&block, i64::from(block.header.time))
                .unwrap();
        }
        assert_eq!(replay.tip(), chain.tip());
        assert_eq!(
            replay.utxo_set().unwrap(),
            chain.utxo_set().unwrap(),
            "round {round}"
        );
        assert_eq!(
            list_snapshot(replay.fluxnode_list()),
            list_snapshot(chain.fluxnode_list())
        );
        eprintln!(
            "round {round}: killed {} ms after {needed} commits ({} ms in all) at tip {tip}",
            jitter.as_millis(),
            elapsed.as_millis()
        );
    }
    assert!(
        committed.len() > 50,
        "only {} blocks committed",
        committed.len()
    );
    assert!(
        committed.iter().any(|(h, _)| *h > 102),
        "no spending blocks were reached"
    );
}
