//! The reference node: a devnet that mines, validates, stores and serves a Flux chain with every
//! flux-rs crate.
//!
//! - [`state`]: the chain (flux-consensus, in redb), a mempool, and the books kept from the chain;
//! - [`operators`]: three fluxnodes, one per tier, registered and kept confirmed through real
//!   START/CONFIRM transactions;
//! - [`economy`]: a Titan pool (flux-nodes) and parallel-asset accrual (flux-parallel) fed by each
//!   block's payouts;
//! - [`rpc`] and [`methods`]: the fluxd-compatible JSON-RPC subset;
//! - [`sync`]: following another node (`--connect`) through that RPC;
//! - [`apps`]: an app spec deployed with flux-apps on the devnet's fluxnodes once they run;
//! - [`run`]: the loop that ties them together.
//!
//! The node logs and prints its live summary on stderr, like a daemon in the foreground.
#![allow(clippy::print_stderr)]

pub mod apps;
pub mod economy;
pub mod methods;
pub mod operators;
pub mod rpc;
pub mod state;
pub mod sync;
pub mod wallet;

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use flux_consensus::devnet::{MineError, solve};
use flux_consensus::{AcceptBlockError, Chain, Devnet, StoreError};
use flux_nodes::Tier;
use flux_pow::BlockHeight;
use flux_tx::Block;
use serde_json::Value;
use tokio::net::TcpListener;

use methods::Methods;
use operators::{MINER, OPERATORS};
use rpc::{Params, RpcClient, RpcError};
use state::{NodeState, StateError};

/// What `flux node` was asked to do.
#[derive(Debug, Clone)]
pub struct NodeConfig {
    /// Where the chain store lives (created if missing).
    pub data_dir: PathBuf,
    /// Where the JSON-RPC server listens (loopback).
    pub rpc_bind: SocketAddr,
    /// Another node to follow instead of mining.
    pub connect: Option<SocketAddr>,
    /// Time between mined blocks once the fluxnodes run (before that, blocks are mined back to
    /// back so the devnet reaches its steady state quickly).
    pub block_interval: Duration,
    /// Stop after the tip reaches this height.
    pub stop_at: Option<u32>,
    /// Time between summary lines.
    pub status_interval: Duration,
    /// Where the app runs once the fluxnodes are confirmed (mining node only).
    pub app_runtime: apps::RuntimeChoice,
    /// The app spec (FluxOS JSON); `None` runs [`apps::DEFAULT_SPEC`].
    pub app_spec: Option<String>,
    /// Docker engines of the fluxnodes, one each in payment order (empty: `app_runtime` decides).
    pub app_engines: Vec<flux_apps::runtime::address::EngineAddress>,
}

/// Why the node stopped with an error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NodeError {
    /// The data directory or RPC socket could not be set up.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The error.
        source: std::io::Error,
    },
    /// The chain store failed.
    #[error("chain store: {0}")]
    Store(#[from] StoreError),
    /// The node's books failed.
    #[error("{0}")]
    State(#[from] StateError),
    /// A block this node mined was rejected by its own chain: a waiting transaction broke a block
    /// rule the mempool does not check.
    #[error("own block rejected ({dropped} waiting transactions dropped): {error}")]
    OwnBlock {
        /// The rule the block broke, or the store's failure.
        error: AcceptBlockError,
        /// How many waiting transactions were dropped.
        dropped: usize,
    },
    /// Mining failed.
    #[error("mining: {0}")]
    Mine(#[from] MineError),
    /// The app could not be deployed.
    #[error("{0}")]
    App(#[from] apps::AppHostError),
}

fn now() -> u32 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            u32::try_from(elapsed.as_secs()).unwrap_or(u32::MAX)
        })
}

fn lock(state: &Mutex<NodeState>) -> std::sync::MutexGuard<'_, NodeState> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Whether every operator's node is confirmed: the devnet has reached its steady state.
fn all_nodes_confirmed(state: &NodeState) -> bool {
    let list = state.chain().fluxnode_list();
    OPERATORS
        .iter()
        .all(|operator| list.confirmed_count(operator.tier) > 0)
}

/// Mines one block on the tip: the operators' transactions and the mempool, the coinbase paying
/// the miner and each tier's next node.
///
/// # Errors
/// [`NodeError`] when the template cannot be built, the solver fails or the chain refuses the
/// block.
pub fn mine_block(state: &Mutex<NodeState>) -> Result<Block, NodeError> {
    let block = {
        let mut guard = lock(state);
        let next = BlockHeight(guard.chain().tip().0.0 + 1);
        let pending = !guard.mempool().is_empty();
        let wanted = operators::next_transactions(
            guard.wallet(),
            guard.chain().fluxnode_list(),
            next,
            now(),
            pending,
        );
        match wanted {
            Ok(txs) => {
                for tx in txs {
                    if let Err(error) = guard.submit_transaction(tx) {
                        eprintln!("node: operator transaction refused: {error}");
                    }
                }
            }
            Err(error) => eprintln!("node: operators: {error}"),
        }
        let template = guard
            .chain()
            .block_template(next)?
            .ok_or_else(|| StoreError::Corrupt("no template for the next height".into()))?;
        let miner = guard
            .wallet()
            .address(MINER)
            .ok_or(StateError::MissingKey(MINER))?;
        let (txs, fees) = guard.block_transactions();
        let mut transactions =
            vec![template.coinbase_transaction(&miner.script_pubkey(), fees, b"flux-rs devnet")];
        transactions.extend(txs);
        template.block(now(), transactions)
    };
    // Solve without holding the lock, so RPC answers while the solver runs.
    let block = solve(block)?;
    let mut guard = lock(state);
    if let Err(error) = guard.accept_block(&block) {
        // A waiting transaction the mempool checks let through but the block rules refuse:
        // drop the waiting transactions so the next block can be mined, and say so.
        let dropped = guard.clear_mempool();
        return Err(NodeError::OwnBlock { error, dropped });
    }
    guard.settle()?;
    Ok(block)
}

/// One line of the live summary, with the app's status when one runs.
pub fn summary_with_app(state: &NodeState, app: &Mutex<Option<apps::AppHost>>) -> String {
    let line = summary_line(state);
    match app.lock().unwrap_or_else(PoisonError::into_inner).as_ref() {
        Some(host) => format!(
            "{line} | app {} on {}: {}",
            host.name,
            host.runtime,
            host.status()
        ),
        None => line,
    }
}

/// One line of the live summary.
pub fn summary_line(state: &NodeState) -> String {
    let (height, hash) = state.chain().tip();
    let list = state.chain().fluxnode_list();
    let nodes: Vec<String> = Tier::ALL
        .iter()
        .map(|tier| format!("{}:{}", &tier.name()[..1], list.confirmed_count(*tier)))
        .collect();
    let payees: Vec<String> = state
        .last_payments()
        .iter()
        .map(|payment| {
            let who = match payment.role {
                economy::PayeeRole::Miner => "miner".to_owned(),
                economy::PayeeRole::Node(tier) => tier.name().to_lowercase(),
            };
            format!("{who} {}", payment.amount)
        })
        .collect();
    let books = state.economy().summary();
    let miner = state.wallet().balance(MINER);
    format!(
        "height {height} {hash:.12} | paid: {} | fluxnodes {} | miner balance {miner} | titan received {} stakers {} fee {}{} | parallel KDA accrued {} ({} addresses) | mempool {}",
        payees.join(", "),
        nodes.join(" "),
        books.titan_received,
        books.titan_to_stakers,
        books.titan_fees,
        if books.titan_conserved {
            ""
        } else {
            " (NOT CONSERVED)"
        },
        books.parallel_kadena_accrued,
        books.parallel_addresses,
        state.mempool().len(),
        height = height.0,
        hash = hash.to_string(),
    )
}

/// Runs a devnet node until `shutdown` completes (or the tip reaches `stop_at`).
///
/// # Errors
/// [`NodeError`] when the store, the RPC socket or the node's own blocks fail.
pub async fn run(config: NodeConfig, shutdown: impl Future<Output = ()>) -> Result<(), NodeError> {
    std::fs::create_dir_all(&config.data_dir).map_err(|source| NodeError::Io {
        what: format!("cannot create {}", config.data_dir.display()),
        source,
    })?;
    let chain = Chain::open(config.data_dir.join("chain.redb"), Devnet)?;
    let state = Arc::new(Mutex::new(NodeState::new(chain)?));
    {
        let guard = lock(&state);
        eprintln!(
            "node: devnet store {} at height {}",
            config.data_dir.display(),
            guard.chain().tip().0
        );
    }
    let listener = TcpListener::bind(config.rpc_bind)
        .await
        .map_err(|source| NodeError::Io {
            what: format!("cannot listen on {}", config.rpc_bind),
            source,
        })?;
    let rpc_addr = listener.local_addr().map_err(|source| NodeError::Io {
        what: "rpc socket".into(),
        source,
    })?;
    eprintln!("node: JSON-RPC on http://{rpc_addr}");
    let methods = Methods::new(Arc::clone(&state));
    let handler = move |method: &str, params: Params<'_>| -> Result<Value, RpcError> {
        methods.call(method, params)
    };
    let (stop_rpc, rpc_stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(rpc::serve(listener, Arc::new(handler), async {
        let _ = rpc_stopped.await;
    }));

    let app: Arc<Mutex<Option<apps::AppHost>>> = Arc::new(Mutex::new(None));
    let owner = format!("flux-devnet-{}", std::process::id());
    let work = {
        let state = Arc::clone(&state);
        let config = config.clone();
        let app = Arc::clone(&app);
        async move {
            let mut last_status = tokio::time::Instant::now();
            loop {
                let tip = lock(&state).chain().tip().0.0;
                if config.stop_at.is_some_and(|stop| tip >= stop) {
                    return Ok(());
                }
                let wait = match config.connect {
                    Some(peer) => {
                        let client = RpcClient::new(peer);
                        match sync::sync_once(&state, &client).await {
                            Ok(0) => Duration::from_millis(250),
                            Ok(_) => Duration::ZERO,
                            Err(error) => {
                                eprintln!("node: sync from {peer}: {error}");
                                Duration::from_secs(1)
                            }
                        }
                    }
                    None => {
                        let miner_state = Arc::clone(&state);
                        let mined = tokio::task::spawn_blocking(move || mine_block(&miner_state))
                            .await
                            .map_err(|error| NodeError::Io {
                                what: "miner task".into(),
                                source: std::io::Error::other(error.to_string()),
                            })?;
                        match mined {
                            Ok(_) => {}
                            Err(error @ NodeError::OwnBlock { .. }) => {
                                eprintln!("node: {error}");
                            }
                            Err(error) => return Err(error),
                        }
                        if all_nodes_confirmed(&lock(&state)) {
                            config.block_interval
                        } else {
                            Duration::ZERO
                        }
                    }
                };
                let deploy_now = config.connect.is_none()
                    && app.lock().unwrap_or_else(PoisonError::into_inner).is_none()
                    && config.app_runtime != apps::RuntimeChoice::None
                    && all_nodes_confirmed(&lock(&state));
                if deploy_now {
                    let hosts = apps::fluxnode_hosts(lock(&state).chain().fluxnode_list());
                    let host = apps::deploy(
                        config.app_runtime,
                        config.app_spec.as_deref(),
                        &hosts,
                        &config.app_engines,
                        &owner,
                    )
                    .await?;
                    if let Some(host) = host {
                        eprintln!(
                            "node: app {} deployed on {} fluxnodes ({} runtime)",
                            host.name,
                            hosts.len(),
                            host.runtime
                        );
                        *app.lock().unwrap_or_else(PoisonError::into_inner) = Some(host);
                    }
                }
                if let Some(host) = app.lock().unwrap_or_else(PoisonError::into_inner).as_ref() {
                    host.set_height(lock(&state).chain().tip().0);
                }
                if last_status.elapsed() >= config.status_interval {
                    eprintln!("node: {}", summary_with_app(&lock(&state), &app));
                    last_status = tokio::time::Instant::now();
                }
                tokio::time::sleep(wait).await;
            }
        }
    };
    let result = tokio::select! {
        () = shutdown => Ok(()),
        result = work => result,
    };
    eprintln!("node: {}", summary_with_app(&lock(&state), &app));
    let host = app.lock().unwrap_or_else(PoisonError::into_inner).take();
    if let Some(host) = host {
        let name = host.name.clone();
        match host.shutdown().await {
            Ok(swept) => eprintln!("node: app {name} removed ({swept} orphaned objects swept)"),
            Err(error) => eprintln!("node: app {name} cleanup incomplete: {error}"),
        }
    }
    let _ = stop_rpc.send(());
    let _ = server.await;
    eprintln!("node: stopped");
    result
}
