//! `flux app ...`: FluxOS app specs (flux-apps).
//!
//! Output contracts:
//! - `flux app validate <SPEC.json> [--height H] [--strict]` prints `valid` (exit 0), or every
//!   violated rule on its own line (exit 1), FluxOS's message first where FluxOS has one.
//! - `flux app canonical <SPEC.json>` prints the exact string FluxOS signs and hashes.
//! - `flux app price <SPEC.json> [--height H] --json` prints one JSON object with
//!   `price_per_month_flux`, `min_registration_fee_flux`, their cents and the height.
//!
//! - `flux app run <SPEC.json> [--nodes N] [--owner O] [--height H]` runs the spec on the local
//!   Docker engine: one simulated node per loopback address 127.0.0.11, .12, … (each instance
//!   publishes the spec's ports on its own address), reconciled until Ctrl-C (SIGINT) or SIGTERM,
//!   with a status line on stderr; then everything it made is removed and it exits 0 (1 when the
//!   cleanup failed). The spec's placement rules (geolocation, `nodes`, static IP, one synced
//!   instance per /16) are not applied to the simulated nodes. Images are never pulled: a repotag missing from the engine is an error
//!   (exit 2) before anything is created.
//! - `flux app run <SPEC.json> --engine URL [--engine URL …] [--tls-dir DIR]` or
//!   `--node NAME=URL[,tier=T][,ip=A][,tls=DIR] …` runs it across real engines instead, one
//!   fluxnode per engine (`e0`, `e1`, … for `--engine`), with one instance per node and the
//!   nodes' tier capacity; `unix://`, `tcp://`/`http://` and `https://` (mutual TLS, client
//!   certificates `ca.pem`, `cert.pem`, `key.pem` from `--tls-dir` or `tls=`) engines. Every
//!   engine must answer and hold the images at the start (exit 2 otherwise). Stderr shows the
//!   app's line and one line per engine (`engine e1 unix:///…: up, hello 1/1 running`, or
//!   `no answer for 7s: …`); an engine silent for `--unreachable-grace` seconds loses its
//!   instances to the others. On Ctrl-C everything is removed from every engine that still
//!   answers; exit 1 names the engines that could not be cleaned.
//!
//! A file that cannot be read or is not JSON, or a spec FluxOS cannot format at all
//! (`canonical`, `price`, `run`), is reported on stderr with exit code 2.

use std::io::IsTerminal as _;
use std::net::{IpAddr, Ipv4Addr};
use std::process::ExitCode;
use std::time::Duration;

use clap::Subcommand;
use examples::node::apps::{
    AppHost, EngineNode, docker_handles, engine_handles, host_config, start_loop, start_loop_with,
};
use examples::shutdown_signal;
use flux_apps::placement::{GeoConstraints, Node, Tier};
use flux_apps::reconcile::{AppDeployment, NodeHandle, ReconcileConfig};
use flux_apps::runtime::ContainerRuntime;
use flux_apps::runtime::docker::DockerEngine;
use flux_apps::spec::price::{price_per_period, registration_fee, to_cents};
use flux_apps::spec::{AppSpec, Report, ValidationOptions, check_json};
use flux_pow::BlockHeight;

/// Height used when `--height` is not given: FluxOS's rules as of the vectors (after every fork).
const DEFAULT_HEIGHT: u32 = 2_800_000;

/// Subcommands of `flux app`.
#[derive(Debug, Subcommand)]
pub enum AppCommand {
    /// Validate a spec file as a FluxOS node would (or stricter with --strict).
    Validate {
        /// The spec JSON file.
        spec: String,
        /// Block height the rules apply at.
        #[arg(long, default_value_t = DEFAULT_HEIGHT)]
        height: u32,
        /// Also reject what FluxOS wrongly accepts.
        #[arg(long)]
        strict: bool,
    },
    /// Print the canonical JSON string FluxOS signs and hashes.
    Canonical {
        /// The spec JSON file.
        spec: String,
    },
    /// Price per period and minimum registration fee in FLUX.
    Price {
        /// The spec JSON file.
        spec: String,
        /// Block height of the registration.
        #[arg(long, default_value_t = DEFAULT_HEIGHT)]
        height: u32,
        /// Print one JSON object (the only output format).
        #[arg(long)]
        json: bool,
    },
    /// Run the spec on Docker engines (the local one, or one per node) until Ctrl-C, then remove
    /// everything it made.
    Run {
        /// The spec JSON file.
        spec: String,
        /// Simulated nodes on the local engine (loopback addresses 127.0.0.11 upwards); default:
        /// the spec's instances.
        #[arg(long, conflicts_with_all = ["engine", "node"])]
        nodes: Option<u8>,
        /// A node's own engine: unix:///PATH, tcp://HOST:PORT, http://HOST:PORT or
        /// https://HOST:PORT (mutual TLS); repeat for each node (named e0, e1, …).
        #[arg(long, conflicts_with = "node")]
        engine: Vec<String>,
        /// A named node, `NAME=URL[,tier=cumulus|nimbus|stratus][,ip=A][,tls=DIR]`; repeatable.
        #[arg(long)]
        node: Vec<String>,
        /// Client certificates (ca.pem, cert.pem, key.pem) for https:// engines given with
        /// --engine.
        #[arg(long)]
        tls_dir: Option<std::path::PathBuf>,
        /// Seconds an engine may stay silent before its instances are started elsewhere.
        #[arg(long, default_value_t = 120)]
        unreachable_grace: u64,
        /// Owner label of everything created (default: `flux-cli-<pid>`).
        #[arg(long)]
        owner: Option<String>,
        /// Block height the spec is validated at.
        #[arg(long, default_value_t = DEFAULT_HEIGHT)]
        height: u32,
    },
    /// Sign a register/update message, print it, its hash and the unsigned payment.
    Register(crate::app_register::RegisterArgs),
}

/// Runs one `flux app` subcommand.
pub fn run(command: AppCommand) -> ExitCode {
    let outcome = match command {
        AppCommand::Validate {
            spec,
            height,
            strict,
        } => run_validate(&spec, height, strict),
        AppCommand::Canonical { spec } => run_canonical(&spec),
        AppCommand::Price { spec, height, json } => run_price(&spec, height, json),
        AppCommand::Run {
            spec,
            nodes,
            engine,
            node,
            tls_dir,
            unreachable_grace,
            owner,
            height,
        } => {
            let engines = engine
                .iter()
                .enumerate()
                .map(|(i, url)| EngineNode::from_url(i, url, tls_dir.as_deref()))
                .chain(
                    node.iter()
                        .enumerate()
                        .map(|(i, text)| EngineNode::parse(i, text)),
                )
                .collect::<Result<Vec<_>, _>>();
            match engines {
                Ok(engines) if engines.is_empty() => run_local(&spec, nodes, owner, height),
                Ok(engines) => run_engines(
                    &spec,
                    engines,
                    owner,
                    height,
                    Duration::from_secs(unreachable_grace),
                ),
                Err(message) => Err(message),
            }
        }
        AppCommand::Register(args) => crate::app_register::run(args),
    };
    outcome.unwrap_or_else(|message| {
        eprintln!("error: {message}");
        ExitCode::from(2)
    })
}

fn load(path: &str, height: u32, options: &ValidationOptions) -> Result<Report, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    check_json(&text, BlockHeight(height), options).map_err(|e| format!("{path} is not JSON: {e}"))
}

fn formatted(path: &str, height: u32) -> Result<AppSpec, String> {
    let report = load(path, height, &ValidationOptions::fluxos())?;
    report.spec.ok_or_else(|| {
        let reasons: Vec<String> = report.violations.iter().map(ToString::to_string).collect();
        format!("FluxOS cannot format {path}: {}", reasons.join("; "))
    })
}

fn run_validate(path: &str, height: u32, strict: bool) -> Result<ExitCode, String> {
    let options = if strict {
        ValidationOptions::strict()
    } else {
        ValidationOptions::fluxos()
    };
    let report = load(path, height, &options)?;
    if report.is_valid() {
        println!("valid");
        return Ok(ExitCode::SUCCESS);
    }
    for violation in &report.violations {
        println!("{violation}");
    }
    Ok(ExitCode::from(1))
}

fn run_canonical(path: &str) -> Result<ExitCode, String> {
    let spec = formatted(path, DEFAULT_HEIGHT)?;
    println!("{}", spec.canonical_json());
    Ok(ExitCode::SUCCESS)
}

fn run_price(path: &str, height: u32, json: bool) -> Result<ExitCode, String> {
    if !json {
        return Err("only --json output is supported".to_owned());
    }
    let spec = formatted(path, height)?;
    let price = price_per_period(&spec, BlockHeight(height));
    let fee = registration_fee(&spec, BlockHeight(height));
    let out = serde_json::json!({
        "height": height,
        "version": spec.version(),
        "price_per_month_flux": price,
        "min_registration_fee_flux": fee,
        "price_per_month_cents": to_cents(price),
        "min_registration_fee_cents": to_cents(fee),
    });
    println!("{out}");
    Ok(ExitCode::SUCCESS)
}

/// First simulated node address: 127.0.0.11 (the loopback /8 answers on every address on Linux).
const FIRST_NODE_OCTET: u8 = 11;

/// The valid spec at `path` as a deployment whose location rules are dropped: nodes given on the
/// command line (or simulated) have no location, no static IP, are not the spec's `nodes` and
/// may share one /16, so only the instance count, one instance per node and tier capacity hold.
fn runnable(path: &str, height: u32) -> Result<AppDeployment, String> {
    let report = load(path, height, &ValidationOptions::fluxos())?;
    let Some(spec) = report.spec.filter(|_| report.violations.is_empty()) else {
        let reasons: Vec<String> = report.violations.iter().map(ToString::to_string).collect();
        return Err(format!(
            "{path} is not a valid app spec: {}",
            reasons.join("; ")
        ));
    };
    let mut app = AppDeployment::from_spec(&spec).map_err(|e| format!("cannot run {path}: {e}"))?;
    let rules = &mut app.placement;
    rules.geolocation = GeoConstraints::default();
    rules.targets.clear();
    rules.static_ip = false;
    rules.synced = false;
    Ok(app)
}

fn async_runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))
}

fn run_local(
    path: &str,
    nodes: Option<u8>,
    owner: Option<String>,
    height: u32,
) -> Result<ExitCode, String> {
    let app = runnable(path, height)?;
    let nodes = match nodes {
        Some(n) => n,
        None => u8::try_from(app.instances()).unwrap_or(u8::MAX),
    };
    let last = u16::from(FIRST_NODE_OCTET) + u16::from(nodes);
    if nodes == 0 || last > 255 {
        return Err(format!(
            "--nodes must be 1..={}, got {nodes}",
            255 - FIRST_NODE_OCTET
        ));
    }
    let owner = owner.unwrap_or_else(|| format!("flux-cli-{}", std::process::id()));
    async_runtime()?.block_on(serve(app, nodes, owner))
}

fn run_engines(
    path: &str,
    engines: Vec<EngineNode>,
    owner: Option<String>,
    height: u32,
    grace: Duration,
) -> Result<ExitCode, String> {
    let app = runnable(path, height)?;
    let owner = owner.unwrap_or_else(|| format!("flux-cli-{}", std::process::id()));
    async_runtime()?.block_on(serve_engines(app, engines, owner, grace))
}

/// Every image of `app` on every engine, or an error naming what is missing where.
async fn check_images<R: ContainerRuntime>(
    app: &AppDeployment,
    handles: &[NodeHandle<R>],
) -> Result<(), String> {
    let mut missing = Vec::new();
    for handle in handles {
        for component in &app.components {
            let present = handle
                .runtime
                .image_exists(&component.image)
                .await
                .map_err(|e| format!("cannot inspect image {}: {e}", component.image))?;
            if !present {
                missing.push(format!(
                    "image {} of component {} is not on the engine of {} ({})",
                    component.image,
                    component.name,
                    handle.node.id,
                    handle.runtime.endpoint()
                ));
            }
        }
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{}; nothing is pulled: build or load it first (docker build / docker load)",
            missing.join("; ")
        ))
    }
}

async fn serve_engines(
    app: AppDeployment,
    engines: Vec<EngineNode>,
    owner: String,
    grace: Duration,
) -> Result<ExitCode, String> {
    let nodes: Vec<_> = engines
        .iter()
        .map(|engine| (engine.node(), engine.address.clone()))
        .collect();
    let handles = engine_handles(&nodes, &owner)
        .await
        .map_err(|e| e.to_string())?;
    check_images(&app, &handles).await?;
    let signal = shutdown_signal()?;
    let name = app.name.clone();
    let config = ReconcileConfig {
        unreachable_grace: grace,
        ..host_config()
    };
    let host = start_loop_with(app, handles, "docker", config)
        .map_err(|e| format!("cannot set up the nodes: {e}"))?;
    eprintln!(
        "running {name} on {} engine(s) (owner {owner}); Ctrl-C to stop",
        engines.len()
    );
    show_until(signal, &host, &name, true).await;
    finish(host, &owner).await
}

/// Prints the app's status line, and with `per_engine` one line per engine, whenever they change
/// (redrawn in place on a terminal), until `signal`.
async fn show_until(
    signal: impl std::future::Future<Output = ()>,
    host: &AppHost,
    name: &str,
    per_engine: bool,
) {
    tokio::pin!(signal);
    let live = std::io::stderr().is_terminal();
    let mut shown: Vec<String> = Vec::new();
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    loop {
        tokio::select! {
            () = &mut signal => break,
            _ = tick.tick() => {
                let mut lines = vec![format!("{name}: {}", host.status())];
                if per_engine {
                    lines.extend(
                        host.engine_lines()
                            .into_iter()
                            .map(|(node, line)| format!("engine {node} {line}")),
                    );
                }
                if lines == shown {
                    continue;
                }
                if live {
                    // Back to the first line of the block drawn last time, then redraw it.
                    if shown.len() > 1 {
                        eprint!("\x1b[{}A", shown.len() - 1);
                    }
                    let block: Vec<String> =
                        lines.iter().map(|line| format!("\r\x1b[K{line}")).collect();
                    eprint!("{}", block.join("\n"));
                } else {
                    for (i, line) in lines.iter().enumerate() {
                        if shown.get(i) != Some(line) {
                            eprintln!("{line}");
                        }
                    }
                }
                shown = lines;
            }
        }
    }
    if live {
        eprintln!();
    }
}

/// Stops the loop and removes what it made; exit 0, or 1 when something could not be removed.
async fn finish(host: AppHost, owner: &str) -> Result<ExitCode, String> {
    eprintln!("stopping: removing everything {owner} made");
    match host.shutdown().await {
        Ok(removed) => {
            eprintln!("cleaned up ({removed} orphaned object(s) swept); done");
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => {
            eprintln!(
                "error: cleanup incomplete (every engine that answered was cleaned): {error}"
            );
            Ok(ExitCode::from(1))
        }
    }
}

async fn serve(app: AppDeployment, nodes: u8, owner: String) -> Result<ExitCode, String> {
    let engine = DockerEngine::local()
        .await
        .map_err(|e| format!("no Docker engine reachable: {e}"))?;
    let hosts: Vec<Node> = (0..nodes)
        .map(|i| {
            let ip = IpAddr::V4(Ipv4Addr::new(127, 0, 0, FIRST_NODE_OCTET + i));
            Node::new(format!("node{i}"), ip, Tier::Stratus)
        })
        .collect();
    let handles = docker_handles(&engine, &hosts, &owner);
    // Nothing is pulled: every image must already be on the engine (one engine for every node).
    check_images(&app, &handles[..1]).await?;
    let signal = shutdown_signal()?;
    let name = app.name.clone();
    let host =
        start_loop(app, handles, "docker").map_err(|e| format!("cannot set up the nodes: {e}"))?;
    eprintln!(
        "running {name} on {nodes} simulated node(s) 127.0.0.{FIRST_NODE_OCTET}.. (owner {owner}); Ctrl-C to stop"
    );
    show_until(signal, &host, &name, false).await;
    finish(host, &owner).await
}
