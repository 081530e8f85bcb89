//! The reference node: a devnet that mines, validates, stores and serves a Flux chain with every
//! flux-rs crate.
//!
//! - [`state`]: the chain (flux-consensus, in redb), a mempool, and the books kept from the chain;
//! - [`operators`]: three fluxnodes, one per tier, registered and kept confirmed through real
//!   START/CONFIRM transactions;
//! - [`economy`]: a Titan pool (flux-nodes) and parallel-asset accrual (flux-parallel) fed by each
//!   block's payouts;
//! - [`rpc`] and [`methods`]: the fluxd-compatible JSON-RPC subset;
//! - [`p2p`]: fluxd's peer-to-peer protocol: header-first sync, relay, serving peers, bans;
//! - [`sync`]: following another node through its RPC instead (`--follow-rpc`);
//! - [`apps`]: an app spec deployed with flux-apps on the devnet's fluxnodes once they run;
//! - [`run`]: the loop that ties them together.
//!
//! The node logs and prints its live summary on stderr, like a daemon in the foreground.
#![allow(clippy::print_stderr)]

pub mod apps;
pub mod economy;
pub mod methods;
pub mod operators;
pub mod p2p;
pub mod prebuilt;
pub mod rpc;
pub mod rpc_auth;
pub mod state;
pub mod sync;
pub mod wallet;

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
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
use rpc::{Params, RpcError};
use state::{NodeState, StateError};

/// What `flux node` was asked to do.
#[derive(Debug, Clone)]
pub struct NodeConfig {
    /// Where the chain store lives (created if missing).
    pub data_dir: PathBuf,
    /// Where the JSON-RPC server listens (loopback).
    pub rpc_bind: SocketAddr,
    /// Where the peer-to-peer listener binds (`None`: no listener).
    pub p2p_listen: Option<SocketAddr>,
    /// Peers to keep connected over the peer-to-peer protocol.
    pub connect: Vec<SocketAddr>,
    /// Limits and timings of the peer-to-peer side.
    pub p2p_limits: p2p::P2pLimits,
    /// Whether this node makes blocks (mines, then mints under proof of node); a node that only
    /// follows its peers does not.
    pub produce: bool,
    /// Another node to follow through its JSON-RPC instead of the peer-to-peer protocol.
    pub follow_rpc: Option<SocketAddr>,
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
    /// The devnet this node runs (its proof-of-node slot length; every node of one devnet must
    /// use the same).
    pub devnet: Devnet,
    /// A `user:password` the RPC accepts besides the cookie it writes into the data directory.
    pub rpc_user: Option<(String, String)>,
    /// Who may call the RPC (loopback when empty; needed to bind any other address).
    pub rpc_allow: Vec<rpc_auth::AllowedRange>,
    /// Connection and timing limits of the RPC server.
    pub rpc_limits: rpc::ServeLimits,
    /// The credentials for the node `follow_rpc` follows (its cookie file's content, or
    /// `user:password`).
    pub follow_rpc_credentials: Option<String>,
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
    /// The RPC would listen beyond loopback with nobody named who may call it.
    #[error(
        "refusing to serve RPC on {0}, which is not a loopback address, without --rpc-allow-ip naming who may call it"
    )]
    RpcExposed(SocketAddr),
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

/// Puts the operators' wanted transactions (STARTs, CONFIRMs, collateral funding) in the mempool,
/// signed at `time`.
fn queue_operator_transactions(guard: &mut NodeState, next: BlockHeight, time: u32) {
    let pending = !guard.mempool().is_empty();
    let wanted = operators::next_transactions(
        guard.wallet(),
        guard.chain().fluxnode_list(),
        next,
        time,
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
}

/// Accepts a block this node made; on refusal the waiting transactions are dropped so the next
/// block can be made, and the error says so.
fn accept_own_block(state: &Mutex<NodeState>, block: &Block) -> Result<(), NodeError> {
    let mut guard = lock(state);
    if let Err(error) = guard.accept_block(block) {
        // A waiting transaction the mempool checks let through but the block rules refuse.
        let dropped = guard.clear_mempool();
        return Err(NodeError::OwnBlock { error, dropped });
    }
    guard.settle()?;
    Ok(())
}

/// What one proof-of-node slot gave.
#[derive(Debug)]
pub enum MintOutcome {
    /// The node of `tier` signed `block`, now the tip.
    Minted {
        /// The block.
        block: Box<Block>,
        /// The tier of the node that signed it.
        tier: Tier,
    },
    /// None of the node's fluxnodes is eligible in this slot (or the tip moved while the winner
    /// waited its turn): try again in the next one.
    NoBlock,
}

/// The node's confirmed fluxnodes eligible to sign the block after the tip at `time`: the PON
/// hash of each for the tip and the slot of `time` meets `bits` (`CheckProofOfNode` at the
/// block's height), lowest hash first (fluxd's rank, `pon/pon.cpp:400-443`: `memcmp` order).
fn eligible_nodes(
    guard: &NodeState,
    template: &flux_consensus::BlockTemplate,
    time: u32,
) -> Vec<(
    flux_tx::PonHash,
    &'static operators::Operator,
    flux_tx::OutPoint,
)> {
    let params = guard.chain().params();
    let slot = flux_consensus::check::pon::slot_of_time(params, time);
    let difficulty = params.difficulty_params();
    let list = guard.chain().fluxnode_list();
    let mut eligible: Vec<_> = OPERATORS
        .iter()
        .filter_map(|operator| {
            let collateral = operators::collateral_of(guard.wallet(), operator, template.height)?;
            let confirmed = list
                .get(&collateral)
                .is_some_and(|node| node.status == flux_nodes::list::NodeStatus::Confirmed);
            if !confirmed {
                return None;
            }
            let hash = flux_tx::pon::pon_hash(&collateral, &template.prev_block, slot);
            flux_pow::difficulty::check_proof_of_node(
                &difficulty,
                &hash.0,
                template.bits,
                Some(template.height),
            )
            .ok()?;
            Some((hash, operator, collateral))
        })
        .collect();
    eligible.sort_by_key(|(hash, _, _)| hash.0);
    eligible
}

/// One proof-of-node slot as fluxd's minter runs it (`pon/pon-minter.cpp:105-347`): the node's
/// confirmed fluxnodes compute their PON hash for the tip and the current slot; the eligible
/// one of rank r waits r x 4/30 of a slot (4 s of fluxd's 30), gives up if the slot changed or the
/// tip moved, else builds the block (the remainder and the fees to the dev fund), signs it with
/// its node key and submits it. The devnet's fluxnodes all live in this process, so rank 1
/// always wins.
///
/// # Errors
/// [`NodeError`] when the template cannot be built or the chain refuses the block.
pub fn mint_block(state: &Mutex<NodeState>) -> Result<MintOutcome, NodeError> {
    let (tip, slot_seconds, rank_wait) = {
        let mut guard = lock(state);
        let tip = guard.chain().tip();
        queue_operator_transactions(&mut guard, BlockHeight(tip.0.0 + 1), now());
        let slot_seconds = guard.chain().params().pon_slot_seconds().get();
        let template = guard
            .chain()
            .block_template(BlockHeight(tip.0.0 + 1))?
            .ok_or_else(|| StoreError::Corrupt("no template for the next height".into()))?;
        let time = now().max(template.min_time);
        if eligible_nodes(&guard, &template, time).is_empty() {
            return Ok(MintOutcome::NoBlock);
        }
        (
            tip,
            slot_seconds,
            Duration::from_millis(u64::from(slot_seconds) * 4000 / 30),
        )
    };
    let started_slot = now() / slot_seconds;
    std::thread::sleep(rank_wait);
    let block = {
        let guard = lock(state);
        if guard.chain().tip() != tip || now() / slot_seconds != started_slot {
            return Ok(MintOutcome::NoBlock);
        }
        match assemble_pon_block(&guard, now())? {
            Some(minted) => minted,
            None => return Ok(MintOutcome::NoBlock),
        }
    };
    accept_own_block(state, &block.0)?;
    Ok(MintOutcome::Minted {
        block: Box::new(block.0),
        tier: block.1,
    })
}

/// The proof-of-node block after the tip at `time` (at least the template's earliest time) from
/// the waiting transactions, signed by the best-ranked eligible fluxnode, with that node's tier;
/// `None` when none of the node's fluxnodes is eligible at that time.
fn assemble_pon_block(guard: &NodeState, time: u32) -> Result<Option<(Block, Tier)>, NodeError> {
    let next = BlockHeight(guard.chain().tip().0.0 + 1);
    let template = guard
        .chain()
        .block_template(next)?
        .ok_or_else(|| StoreError::Corrupt("no template for the next height".into()))?;
    let time = time.max(template.min_time);
    let Some((_, operator, collateral)) = eligible_nodes(guard, &template, time).into_iter().next()
    else {
        return Ok(None);
    };
    let node_key = guard
        .wallet()
        .key(operator.node_key)
        .ok_or(StateError::MissingKey(operator.node_key))?;
    let (txs, fees) = guard.block_transactions();
    // Under proof of node the template sends the remainder to the dev fund whatever script
    // is given here.
    let miner = guard
        .wallet()
        .address(MINER)
        .ok_or(StateError::MissingKey(MINER))?;
    let mut transactions =
        vec![template.coinbase_transaction(&miner.script_pubkey(), fees, b"flux-rs devnet")];
    transactions.extend(txs);
    let mut block = template.pon_block(time, collateral, transactions);
    let signature = flux_tx::pon::sign_block(&block.header, node_key);
    if let flux_tx::BlockProof::Node {
        signature: slot, ..
    } = &mut block.header.proof
    {
        *slot = signature;
    }
    Ok(Some((block, operator.tier)))
}

/// Mines one block on the tip: the operators' transactions and the mempool, the coinbase paying
/// the miner and each tier's next node.
///
/// # Errors
/// [`NodeError`] when the template cannot be built, the solver fails or the chain refuses the
/// block.
pub fn mine_block(state: &Mutex<NodeState>) -> Result<Block, NodeError> {
    let block = assemble_pow_block(&mut lock(state), now())?;
    // Solve without holding the lock, so RPC answers while the solver runs.
    let block = solve(block)?;
    accept_own_block(state, &block)?;
    Ok(block)
}

/// The unsolved proof-of-work block after the tip at `time`: the operators' transactions (signed
/// at `time`) and the mempool, the coinbase paying the miner and each tier's next node.
fn assemble_pow_block(guard: &mut NodeState, time: u32) -> Result<Block, NodeError> {
    let next = BlockHeight(guard.chain().tip().0.0 + 1);
    queue_operator_transactions(guard, next, time);
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
    Ok(template.block(time, transactions))
}

/// Runs `produce` (mining or minting a block) off the async workers. A block the node's own chain
/// refuses is reported and the node goes on; any other failure stops it.
async fn produce_on_worker<T: Send + 'static>(
    state: &Arc<Mutex<NodeState>>,
    what: &str,
    produce: fn(&Mutex<NodeState>) -> Result<T, NodeError>,
) -> Result<(), NodeError> {
    let state = Arc::clone(state);
    let produced = tokio::task::spawn_blocking(move || produce(&state))
        .await
        .map_err(|error| NodeError::Io {
            what: what.to_owned(),
            source: std::io::Error::other(error.to_string()),
        })?;
    match produced {
        Ok(_) => Ok(()),
        Err(error @ NodeError::OwnBlock { .. }) => {
            eprintln!("node: {error}");
            Ok(())
        }
        Err(error) => Err(error),
    }
}

/// The time left until the next slot starts (by the clock), plus a few milliseconds.
fn until_next_slot(slot_seconds: u32) -> Duration {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let slot = Duration::from_secs(u64::from(slot_seconds.max(1)));
    let into = Duration::from_nanos((now.as_nanos() % slot.as_nanos()) as u64);
    slot.saturating_sub(into) + Duration::from_millis(20)
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
    let pon_tip = state.chain().params().is_pon_active(height);
    let era = match state.tip_signer() {
        Some(tier) => format!("PON, signed by the {} node", tier.name().to_lowercase()),
        None if pon_tip => "PON".to_owned(),
        None => "PoW".to_owned(),
    };
    let nodes: Vec<String> = Tier::ALL
        .iter()
        .map(|tier| format!("{}:{}", &tier.name()[..1], list.confirmed_count(*tier)))
        .collect();
    let payees: Vec<String> = state
        .last_payments()
        .iter()
        .map(|payment| {
            let who = match payment.role {
                // Under proof of node the first output is the dev fund's, not a miner's.
                economy::PayeeRole::Miner if pon_tip => "dev fund".to_owned(),
                economy::PayeeRole::Miner => "miner".to_owned(),
                economy::PayeeRole::Node(tier) => tier.name().to_lowercase(),
            };
            format!("{who} {}", payment.amount)
        })
        .collect();
    let books = state.economy().summary();
    let miner = state.wallet().balance(MINER);
    format!(
        "height {height} {hash:.12} | era {era} | paid: {} | fluxnodes {} | miner balance {miner} | titan received {} stakers {} fee {}{} | parallel KDA accrued {} ({} addresses) | mempool {}",
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

/// fluxd's `setgenerate` (turns block making on or off) and `getgenerate`; `None` for any other
/// method.
fn generation_rpc(
    producing: &AtomicBool,
    method: &str,
    params: Params<'_>,
) -> Option<Result<Value, RpcError>> {
    match method {
        "getgenerate" => Some(Ok(Value::Bool(producing.load(Ordering::Relaxed)))),
        "setgenerate" => Some(match params.0.first() {
            Some(Value::Bool(on)) => {
                producing.store(*on, Ordering::Relaxed);
                Ok(Value::Null)
            }
            _ => Err(RpcError::new(
                rpc::code::TYPE_ERROR,
                "setgenerate takes true or false",
            )),
        }),
        _ => None,
    }
}

/// Runs a devnet node until `shutdown` completes (or the tip reaches `stop_at`).
///
/// # Errors
/// [`NodeError`] when the store, the RPC socket or the node's own blocks fail.
pub async fn run(config: NodeConfig, shutdown: impl Future<Output = ()>) -> Result<(), NodeError> {
    if !config.rpc_bind.ip().is_loopback() && config.rpc_allow.is_empty() {
        return Err(NodeError::RpcExposed(config.rpc_bind));
    }
    std::fs::create_dir_all(&config.data_dir).map_err(|source| NodeError::Io {
        what: format!("cannot create {}", config.data_dir.display()),
        source,
    })?;
    let chain = Chain::open(config.data_dir.join("chain.redb"), config.devnet)?;
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
    let access = Arc::new(
        rpc_auth::RpcAccess::start(
            &config.data_dir,
            config.rpc_user.clone(),
            config.rpc_allow.clone(),
        )
        .map_err(|error| NodeError::Io {
            what: "rpc access".into(),
            source: std::io::Error::other(error.to_string()),
        })?,
    );
    eprintln!(
        "node: RPC cookie {}",
        config.data_dir.join(rpc_auth::COOKIE_FILE).display()
    );
    let network = p2p::P2p::new(Arc::clone(&state), config.p2p_limits);
    if let Some(bind) = config.p2p_listen {
        let listener = TcpListener::bind(bind)
            .await
            .map_err(|source| NodeError::Io {
                what: format!("cannot listen for peers on {bind}"),
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| NodeError::Io {
            what: "p2p socket".into(),
            source,
        })?;
        eprintln!("node: P2P on {addr}");
        network.listen(listener);
    }
    network.start_announcer();
    for peer in &config.connect {
        network.add_peer(*peer);
    }
    let methods = Methods::new(Arc::clone(&state));
    let producing = Arc::new(AtomicBool::new(config.produce));
    let handler = {
        let network = Arc::clone(&network);
        let producing = Arc::clone(&producing);
        move |method: &str, params: Params<'_>| -> Result<Value, RpcError> {
            if let Some(answer) = generation_rpc(&producing, method, params) {
                return answer;
            }
            network
                .rpc(method, params)
                .unwrap_or_else(|| methods.call(method, params))
        }
    };
    let (stop_rpc, rpc_stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(rpc::serve(
        listener,
        Arc::new(handler),
        Arc::clone(&access),
        config.rpc_limits,
        async {
            let _ = rpc_stopped.await;
        },
    ));

    let app: Arc<Mutex<Option<apps::AppHost>>> = Arc::new(Mutex::new(None));
    let owner = format!("flux-devnet-{}", std::process::id());
    let work = {
        let state = Arc::clone(&state);
        let producing = Arc::clone(&producing);
        let config = config.clone();
        let app = Arc::clone(&app);
        async move {
            let mut last_status = tokio::time::Instant::now();
            loop {
                let tip = lock(&state).chain().tip().0.0;
                if config.stop_at.is_some_and(|stop| tip >= stop) {
                    return Ok(());
                }
                let wait = match config.follow_rpc {
                    Some(peer) => {
                        let auth = match &config.follow_rpc_credentials {
                            Some(credentials) => crate::fluxd_rpc::Auth::from_credentials(
                                credentials,
                            )
                            .map_err(|reason| NodeError::Io {
                                what: "--follow-rpc-cookie".into(),
                                source: std::io::Error::other(reason),
                            })?,
                            None => crate::fluxd_rpc::Auth::None,
                        };
                        let client =
                            crate::fluxd_rpc::FluxdClient::new(peer, auth).map_err(|error| {
                                NodeError::Io {
                                    what: "--follow-rpc".into(),
                                    source: std::io::Error::other(error.to_string()),
                                }
                            })?;
                        match sync::sync_once(&state, &client).await {
                            Ok(0) => Duration::from_millis(250),
                            Ok(_) => Duration::ZERO,
                            Err(error) => {
                                eprintln!("node: sync from {peer}: {error}");
                                Duration::from_secs(1)
                            }
                        }
                    }
                    // Peers bring the blocks.
                    None if !producing.load(Ordering::Relaxed) => Duration::from_millis(250),
                    None if lock(&state).next_is_proof_of_node() => {
                        produce_on_worker(&state, "minter task", mint_block).await?;
                        // fluxd's minter polls every second; one poll per slot, early in it.
                        until_next_slot(config.devnet.slot_seconds().get())
                    }
                    None => {
                        produce_on_worker(&state, "miner task", mine_block).await?;
                        if all_nodes_confirmed(&lock(&state)) {
                            config.block_interval
                        } else {
                            Duration::ZERO
                        }
                    }
                };
                let deploy_now = producing.load(Ordering::Relaxed)
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
    network.shutdown().await;
    let _ = stop_rpc.send(());
    let _ = server.await;
    access.remove_cookie();
    eprintln!("node: stopped");
    result
}
