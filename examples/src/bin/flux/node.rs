//! `flux node --devnet`: the reference node (see `examples::node`).
//!
//! Prints a summary line on stderr every few seconds; stops on Ctrl-C (or at `--stop-at`), exit 0.
//! Exit 2 for unusable arguments, 1 when the node fails.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use crate::rpc::read_secret;
use clap::Args;
use examples::node::apps::{self, RuntimeChoice};
use examples::node::{NodeConfig, run};
use examples::shutdown_signal;
use flux_apps::runtime::address::EngineAddress;

/// Arguments of `flux node`.
#[derive(Debug, Args)]
pub struct NodeArgs {
    /// Run the devnet (the only network this node mines or follows).
    #[arg(long, required = true)]
    devnet: bool,
    /// Directory of the chain store (created if missing).
    #[arg(long, default_value = "flux-devnet")]
    datadir: PathBuf,
    /// Address of the JSON-RPC server (keep it on loopback).
    #[arg(long, default_value = "127.0.0.1:36124")]
    rpc_bind: SocketAddr,
    /// Where the peer-to-peer listener binds (fluxd's wire, the devnet's magic; default: the
    /// devnet's port 36125 on loopback).
    #[arg(
        long,
        value_name = "ADDR",
        default_value = "127.0.0.1:36125",
        conflicts_with = "no_listen"
    )]
    listen: SocketAddr,
    /// Accept no peers (only dial the --connect ones).
    #[arg(long)]
    no_listen: bool,
    /// A peer to keep connected over the peer-to-peer protocol, HOST:PORT; repeatable. A node
    /// given peers follows them and makes no blocks unless --produce says so.
    #[arg(long, value_name = "HOST:PORT", value_parser = parse_peer)]
    connect: Vec<SocketAddr>,
    /// Make blocks (mine, then mint under proof of node) even with --connect peers.
    #[arg(long, conflicts_with = "no_produce")]
    produce: bool,
    /// Make no blocks even without peers (serve and relay only).
    #[arg(long)]
    no_produce: bool,
    /// Most peer connections, in and out together.
    #[arg(long, default_value_t = 64)]
    max_peers: usize,
    /// Seconds of silence that end a peer connection, and that a started message may take to
    /// arrive whole (fluxd: 360).
    #[arg(long, default_value_t = 360)]
    peer_timeout_secs: u64,
    /// Seconds a misbehaving peer's address stays banned (fluxd's -bantime).
    #[arg(long, default_value_t = 86_400)]
    ban_time_secs: u64,
    /// Ban misbehaving loopback peers too (fluxd only disconnects them).
    #[arg(long)]
    ban_loopback_peers: bool,
    /// Follow the node whose JSON-RPC listens here (instead of peers) and make no blocks.
    #[arg(long, value_name = "ADDR", conflicts_with = "connect")]
    follow_rpc: Option<SocketAddr>,
    /// The RPC credentials of the node --follow-rpc follows: its cookie file
    /// (`DATADIR/.cookie`) or a file holding `user:password`.
    #[arg(long, value_name = "FILE", requires = "follow_rpc")]
    follow_rpc_cookie: Option<PathBuf>,
    /// A user the RPC accepts besides the cookie it writes into the data directory; the password
    /// is read from --rpc-password-file (never from the command line).
    #[arg(long, requires = "rpc_password_file")]
    rpc_user: Option<String>,
    /// The file holding --rpc-user's password (its first line).
    #[arg(long, value_name = "FILE", requires = "rpc_user")]
    rpc_password_file: Option<PathBuf>,
    /// Who may call the RPC: an address or ADDRESS/PREFIX, repeatable (default: loopback only;
    /// required to bind any other address).
    #[arg(long, value_name = "RANGE")]
    rpc_allow_ip: Vec<String>,
    /// Milliseconds a request may take to arrive whole before its connection is dropped.
    #[arg(long, default_value_t = 30_000)]
    rpc_timeout_ms: u64,
    /// RPC connections served at once (more are closed on arrival).
    #[arg(long, default_value_t = 64)]
    rpc_max_connections: usize,
    /// Milliseconds between mined blocks once the fluxnodes run, until proof of node starts at
    /// height 250 (from there a block comes per slot that has an eligible node).
    #[arg(long, default_value_t = 250)]
    block_interval_ms: u64,
    /// Stop once the tip reaches this height.
    #[arg(long)]
    stop_at: Option<u32>,
    /// Milliseconds between summary lines.
    #[arg(long, default_value_t = 2000)]
    status_interval_ms: u64,
    /// Where the app runs once the fluxnodes are confirmed: Docker when reachable (auto), docker,
    /// memory, or none.
    #[arg(long, value_enum, default_value = "auto")]
    app_runtime: RuntimeChoice,
    /// Seconds per proof-of-node slot once the devnet reaches its PON height (250). Every node of
    /// one devnet must use the same length: it is part of each block's PON hash.
    #[arg(long, default_value_t = flux_pow::difficulty::DEVNET_SLOT_SECONDS as u32)]
    slot_secs: u32,
    /// The FluxOS app spec to deploy (default: examples/data/devnet_app.json, built into the
    /// binary, whose image is built from /bin/busybox).
    #[arg(long)]
    app: Option<PathBuf>,
    /// A fluxnode's own Docker engine, `URL[,tls=DIR]` (unix://, tcp://, https:// with mutual TLS);
    /// repeat it: the first fluxnode in payment order runs on the first engine, and so on.
    #[arg(long, value_parser = apps::parse_engine)]
    app_engine: Vec<EngineAddress>,
}

/// A peer given as `HOST:PORT` (a name is resolved once, at start).
fn parse_peer(text: &str) -> Result<SocketAddr, String> {
    use std::net::ToSocketAddrs;
    text.to_socket_addrs()
        .map_err(|error| format!("'{text}' is not a reachable HOST:PORT: {error}"))?
        .next()
        .ok_or_else(|| format!("'{text}' resolves to no address"))
}

/// Runs `flux node`.
pub fn run_node(args: NodeArgs) -> ExitCode {
    let app_spec = match &args.app {
        Some(path) => match std::fs::read_to_string(path) {
            Ok(text) => Some(text),
            Err(error) => {
                eprintln!("error: cannot read {}: {error}", path.display());
                return ExitCode::from(2);
            }
        },
        None => None,
    };
    let devnet = match flux_consensus::Devnet::with_slot_seconds(args.slot_secs) {
        Ok(devnet) => devnet,
        Err(error) => {
            eprintln!("error: --slot-secs: {error}");
            return ExitCode::from(2);
        }
    };
    let mut rpc_allow = Vec::new();
    for range in &args.rpc_allow_ip {
        match examples::node::rpc_auth::AllowedRange::parse(range) {
            Ok(range) => rpc_allow.push(range),
            Err(error) => {
                eprintln!("error: {error}");
                return ExitCode::from(2);
            }
        }
    }
    let rpc_user = match (&args.rpc_user, &args.rpc_password_file) {
        (Some(user), Some(path)) => match read_secret(path, "--rpc-password-file") {
            Ok(password) => Some((user.clone(), password)),
            Err(message) => {
                eprintln!("error: {message}");
                return ExitCode::from(2);
            }
        },
        _ => None,
    };
    let follow_rpc_credentials = match &args.follow_rpc_cookie {
        Some(path) => match read_secret(path, "--follow-rpc-cookie") {
            Ok(credentials) => Some(credentials),
            Err(message) => {
                eprintln!("error: {message}");
                return ExitCode::from(2);
            }
        },
        None => None,
    };
    if !args.rpc_bind.ip().is_loopback() && rpc_allow.is_empty() {
        eprintln!(
            "error: --rpc-bind {} is not a loopback address: name who may call it with --rpc-allow-ip",
            args.rpc_bind
        );
        return ExitCode::from(2);
    }
    if args.rpc_max_connections == 0 || args.rpc_timeout_ms == 0 {
        eprintln!("error: --rpc-max-connections and --rpc-timeout-ms must be positive");
        return ExitCode::from(2);
    }
    if args.max_peers == 0 || args.peer_timeout_secs == 0 {
        eprintln!("error: --max-peers and --peer-timeout-secs must be positive");
        return ExitCode::from(2);
    }
    let follows = !args.connect.is_empty() || args.follow_rpc.is_some();
    if args.produce && args.follow_rpc.is_some() {
        eprintln!("error: a node following another's RPC (--follow-rpc) makes no blocks");
        return ExitCode::from(2);
    }
    let produce = args.produce || !(follows || args.no_produce);
    let config = NodeConfig {
        rpc_user,
        rpc_allow,
        rpc_limits: examples::node::rpc::ServeLimits {
            max_connections: args.rpc_max_connections,
            request_timeout: Duration::from_millis(args.rpc_timeout_ms),
        },
        follow_rpc_credentials,
        devnet,
        data_dir: args.datadir,
        rpc_bind: args.rpc_bind,
        p2p_listen: (!args.no_listen).then_some(args.listen),
        connect: args.connect,
        p2p_limits: examples::node::p2p::P2pLimits {
            max_peers: args.max_peers,
            peer_timeout: Duration::from_secs(args.peer_timeout_secs),
            ban_time: Duration::from_secs(args.ban_time_secs),
            ban_loopback: args.ban_loopback_peers,
        },
        produce,
        follow_rpc: args.follow_rpc,
        block_interval: Duration::from_millis(args.block_interval_ms),
        stop_at: args.stop_at,
        status_interval: Duration::from_millis(args.status_interval_ms),
        app_runtime: args.app_runtime,
        app_spec,
        app_engines: args.app_engine,
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(async {
        // Listening before the node starts means an early Ctrl-C still stops it cleanly.
        let signal = shutdown_signal()?;
        run(config, signal).await.map_err(|error| error.to_string())
    });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
