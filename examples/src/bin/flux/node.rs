//! `flux node --devnet`: the reference node (see `examples::node`).
//!
//! Prints a summary line on stderr every few seconds; stops on Ctrl-C (or at `--stop-at`), exit 0.
//! Exit 2 for unusable arguments, 1 when the node fails.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

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
    /// Follow the node whose JSON-RPC listens here instead of mining.
    #[arg(long)]
    connect: Option<SocketAddr>,
    /// Milliseconds between mined blocks once the fluxnodes run.
    #[arg(long, default_value_t = 1000)]
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
    /// The FluxOS app spec to deploy (default: examples/data/devnet_app.json, built into the
    /// binary, whose image is built from /bin/busybox).
    #[arg(long)]
    app: Option<PathBuf>,
    /// A fluxnode's own Docker engine, `URL[,tls=DIR]` (unix://, tcp://, https:// with mutual TLS);
    /// repeat it: the first fluxnode in payment order runs on the first engine, and so on.
    #[arg(long, value_parser = apps::parse_engine)]
    app_engine: Vec<EngineAddress>,
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
    let config = NodeConfig {
        data_dir: args.datadir,
        rpc_bind: args.rpc_bind,
        connect: args.connect,
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
