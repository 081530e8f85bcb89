//! The devnet's app: a FluxOS spec deployed through flux-apps' reconcile loop on the devnet's
//! fluxnodes (one simulated node per confirmed fluxnode, at the IP its CONFIRM announced), on the
//! local Docker engine when one is reachable and `/bin/busybox` can build the image, otherwise on
//! the in-memory runtime (with a printed notice).
//!
//! Or, as on Flux, every node with a Docker engine of its own ([`EngineNode`], `--engine` of
//! `flux app run` and `--app-engine` of `flux node`): a local socket, a TCP engine, or a TCP
//! engine with mutual TLS.

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use flux_apps::placement::{Node, PlacementPolicy};
use flux_apps::reconcile::{AppDeployment, Context, Controller, NodeHandle, ReconcileConfig};
use flux_apps::runtime::ContainerRuntime;
use flux_apps::runtime::address::{EngineAddress, TlsFiles};
use flux_apps::runtime::docker::{BuildContext, DockerEngine, DockerRuntime};
use flux_apps::runtime::memory::MemoryRuntime;
use flux_apps::spec::{AppSpec, ValidationOptions};
use flux_nodes::Tier;
use flux_nodes::list::FluxnodeList;
use flux_pow::BlockHeight;

/// The demo spec every devnet runs unless told otherwise.
pub const DEFAULT_SPEC: &str = include_str!("../../data/devnet_app.json");

/// The image the default spec runs, built from `/bin/busybox` (nothing can be pulled).
pub const DEVNET_IMAGE: &str = "flux-rs-devnet/hello:1";

/// The FluxOS (mainnet) height app specs are validated at: FluxOS's spec rules follow the
/// mainnet's height, which the devnet's own heights say nothing about.
pub const FLUXOS_RULES_HEIGHT: BlockHeight = BlockHeight(2_800_000);

/// What the default image's web server answers.
pub const DEVNET_GREETING: &str = "hello from the flux-rs devnet\n";

/// Which container runtime hosts the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RuntimeChoice {
    /// Docker when reachable, otherwise in memory.
    Auto,
    /// The local Docker engine (fail if unreachable).
    Docker,
    /// In memory, touching nothing.
    Memory,
    /// No app.
    None,
}

/// Why the app could not be deployed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AppHostError {
    /// The spec is not valid for FluxOS.
    #[error("app spec: {0}")]
    Spec(String),
    /// Docker was required but is not usable.
    #[error("docker: {0}")]
    Docker(String),
    /// The nodes could not be set up for placement.
    #[error("placement: {0}")]
    Placement(String),
}

type Status = Box<dyn Fn() -> String + Send + Sync>;
type EngineLines = Box<dyn Fn() -> Vec<(String, String)> + Send + Sync>;
type HeightSink = Box<dyn Fn(BlockHeight) + Send + Sync>;
type Stop = Pin<Box<dyn Future<Output = Result<usize, String>> + Send>>;

/// A deployed app and its reconcile loop.
pub struct AppHost {
    /// The app's name.
    pub name: String,
    /// `docker` or `memory`.
    pub runtime: &'static str,
    status: Status,
    engines: EngineLines,
    set_height: HeightSink,
    stop: Option<Stop>,
}

impl std::fmt::Debug for AppHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppHost")
            .field("name", &self.name)
            .field("runtime", &self.runtime)
            .finish_non_exhaustive()
    }
}

impl AppHost {
    /// The app's status line (`3/3 ready`, …).
    pub fn status(&self) -> String {
        (self.status)()
    }

    /// One line per node's engine, by node id: its address and what the loop last saw there
    /// (`up, hello 1/1 running`, `no answer for 4s: …`).
    pub fn engine_lines(&self) -> Vec<(String, String)> {
        (self.engines)()
    }

    /// Tells the loop the chain height (expiry is checked against it).
    pub fn set_height(&self, height: BlockHeight) {
        (self.set_height)(height);
    }

    /// Stops the loop and removes every container, network and volume it made; returns how many
    /// orphaned objects the final sweep removed.
    ///
    /// # Errors
    /// The cleanup error, after a few tries.
    pub async fn shutdown(mut self) -> Result<usize, String> {
        match self.stop.take() {
            Some(cleanup) => cleanup.await,
            None => Ok(0),
        }
    }
}

/// The confirmed fluxnodes as placement nodes: id from the collateral, IP from the CONFIRM.
pub fn fluxnode_hosts(list: &FluxnodeList) -> Vec<Node> {
    let mut hosts = Vec::new();
    for tier in Tier::ALL {
        for node in list.payment_order(tier) {
            let host = node
                .ip
                .rsplit_once(':')
                .map_or(node.ip.as_str(), |(host, _)| host);
            let Ok(ip) = host.parse::<IpAddr>() else {
                continue;
            };
            let id = format!(
                "{}-{}",
                &node.collateral.txid.to_string()[..8],
                node.collateral.index
            );
            hosts.push(Node::new(id, ip, tier));
        }
    }
    hosts
}

/// The loop's tuning for hosted apps: a 2 s resync and a 1 s pause between rolling-update steps;
/// the rest (the 120 s unreachable grace among them) as flux-apps' defaults.
pub fn host_config() -> ReconcileConfig {
    ReconcileConfig {
        resync: Duration::from_secs(2),
        rollout_pause: Duration::from_secs(1),
        ..ReconcileConfig::default()
    }
}

/// Starts the reconcile loop for `app` on `handles` (labelled `runtime` in status lines) with
/// [`host_config`]: see [`start_loop_with`].
///
/// # Errors
/// [`AppHostError::Placement`] when two handles share a node id.
pub fn start_loop<R: ContainerRuntime>(
    app: AppDeployment,
    handles: Vec<NodeHandle<R>>,
    runtime: &'static str,
) -> Result<AppHost, AppHostError> {
    start_loop_with(app, handles, runtime, host_config())
}

/// Starts the reconcile loop for `app` on `handles` (labelled `runtime` in status lines): FluxOS's
/// placement with a fixed seed and the given tuning.
///
/// # Errors
/// [`AppHostError::Placement`] when two handles share a node id.
pub fn start_loop_with<R: ContainerRuntime>(
    app: AppDeployment,
    handles: Vec<NodeHandle<R>>,
    runtime: &'static str,
    config: ReconcileConfig,
) -> Result<AppHost, AppHostError> {
    let ctx = Context::new(handles, PlacementPolicy::with_seed(1), config)
        .map_err(|error| AppHostError::Placement(error.to_string()))?;
    let controller = Arc::new(Controller::new(Arc::new(ctx)));
    let name = app.name.clone();
    controller.apply(app);
    let running = controller.spawn();
    let status_of = Arc::clone(&controller);
    let status_name = name.clone();
    let heights = Arc::clone(&controller);
    let engines_of = Arc::clone(&controller);
    let cleanup = Box::pin(async move {
        // A loop that panicked has nothing left to stop; the cleanup below still runs.
        let _ = running.stop().await;
        let mut last_error = String::new();
        // A pass may race a container's removal; a few tries settle it.
        for attempt in 0..5u64 {
            match controller.remove_everything().await {
                Ok(removed) => return Ok(removed),
                Err(error) => last_error = error.to_string(),
            }
            tokio::time::sleep(Duration::from_millis(200 * (attempt + 1))).await;
        }
        Err(last_error)
    });
    Ok(AppHost {
        name,
        runtime,
        status: Box::new(move || {
            status_of
                .context()
                .status(&status_name)
                .map_or_else(|| "starting".to_owned(), |status| status.to_string())
        }),
        engines: Box::new(move || {
            let ctx = engines_of.context();
            let views = ctx.engines();
            ctx.nodes()
                .iter()
                .map(|(id, handle)| {
                    let seen = views
                        .get(id)
                        .map_or_else(|| "not asked yet".to_owned(), ToString::to_string);
                    (id.clone(), format!("{}: {seen}", handle.runtime.endpoint()))
                })
                .collect()
        }),
        set_height: Box::new(move |height| heights.context().set_height(height)),
        stop: Some(cleanup),
    })
}

/// Parses, validates (FluxOS's verdict at the FluxOS `height`) and converts the spec.
///
/// # Errors
/// [`AppHostError::Spec`] naming every violation.
pub fn deployment_of(spec_json: &str, height: BlockHeight) -> Result<AppDeployment, AppHostError> {
    let spec =
        AppSpec::from_fluxos_json(spec_json).map_err(|e| AppHostError::Spec(e.to_string()))?;
    let violations = spec.validate(height, &ValidationOptions::fluxos());
    if !violations.is_empty() {
        let reasons: Vec<String> = violations.iter().map(ToString::to_string).collect();
        return Err(AppHostError::Spec(reasons.join("; ")));
    }
    AppDeployment::from_spec(&spec).map_err(|e| AppHostError::Spec(e.to_string()))
}

/// One Docker runtime per node on `engine`, each publishing its ports on the node's own IP and
/// labelling what it makes with `owner` (so cleanup never touches anything else).
pub fn docker_handles(
    engine: &DockerEngine,
    hosts: &[Node],
    owner: &str,
) -> Vec<NodeHandle<DockerRuntime>> {
    hosts
        .iter()
        .map(|node| NodeHandle {
            node: node.clone(),
            runtime: Arc::new(
                DockerRuntime::new(engine.clone(), owner)
                    .scoped(node.id.clone())
                    .bind_host_ip(node.ip)
                    // Local hosts often cap nofile below FluxOS's 100,000.
                    .nofile_limit(None),
            ),
        })
        .collect()
}

async fn docker_host(
    app: AppDeployment,
    hosts: &[Node],
    owner: &str,
    build_default_image: bool,
) -> Result<AppHost, AppHostError> {
    let engine = DockerEngine::local()
        .await
        .map_err(|e| AppHostError::Docker(format!("no engine reachable: {e}")))?;
    if build_default_image {
        let busybox = Path::new("/bin/busybox");
        let context = BuildContext::busybox_httpd(busybox, DEVNET_GREETING).map_err(|e| {
            AppHostError::Docker(format!(
                "cannot read {} to build {DEVNET_IMAGE} (apt-get install busybox-static): {e}",
                busybox.display()
            ))
        })?;
        engine
            .build_image(&context, DEVNET_IMAGE)
            .await
            .map_err(|e| AppHostError::Docker(format!("cannot build {DEVNET_IMAGE}: {e}")))?;
    }
    let handles = docker_handles(&engine, hosts, owner);
    start_loop(app, handles, "docker")
}

/// The app on engines of their own: fluxnode `i` (payment order) runs on `engines[i]`, keeping
/// its id, IP and tier; fluxnodes beyond the engines host nothing. The default image is built on
/// every engine when the default spec runs.
async fn engines_host(
    app: AppDeployment,
    hosts: &[Node],
    engines: &[EngineAddress],
    owner: &str,
    build_default_image: bool,
) -> Result<AppHost, AppHostError> {
    if hosts.len() > engines.len() {
        eprintln!(
            "node: {} fluxnodes, {} app engine(s): the fluxnodes after the first {} host no app",
            hosts.len(),
            engines.len(),
            engines.len()
        );
    }
    let pairs: Vec<(Node, EngineAddress)> =
        hosts.iter().cloned().zip(engines.iter().cloned()).collect();
    let handles = engine_handles(&pairs, owner).await?;
    if build_default_image {
        let busybox = Path::new("/bin/busybox");
        let context = BuildContext::busybox_httpd(busybox, DEVNET_GREETING)
            .map_err(|e| AppHostError::Docker(format!("cannot read {}: {e}", busybox.display())))?;
        for handle in &handles {
            handle
                .runtime
                .engine()
                .build_image(&context, DEVNET_IMAGE)
                .await
                .map_err(|e| {
                    AppHostError::Docker(format!(
                        "cannot build {DEVNET_IMAGE} on {}: {e}",
                        handle.runtime.endpoint()
                    ))
                })?;
        }
    }
    start_loop(app, handles, "docker")
}

/// Deploys `spec_json` (the default spec when `None`) on `hosts` with the chosen runtime, or on
/// `engines` (one per fluxnode, Docker whatever `choice` says) when there are any. Returns `None`
/// for [`RuntimeChoice::None`].
///
/// # Errors
/// [`AppHostError`] for an invalid spec, or Docker failing when it was asked for explicitly.
pub async fn deploy(
    choice: RuntimeChoice,
    spec_json: Option<&str>,
    hosts: &[Node],
    engines: &[EngineAddress],
    owner: &str,
) -> Result<Option<AppHost>, AppHostError> {
    if choice == RuntimeChoice::None {
        return Ok(None);
    }
    let app = deployment_of(spec_json.unwrap_or(DEFAULT_SPEC), FLUXOS_RULES_HEIGHT)?;
    if !engines.is_empty() {
        return engines_host(app, hosts, engines, owner, spec_json.is_none())
            .await
            .map(Some);
    }
    let docker = match choice {
        RuntimeChoice::Docker => {
            Some(docker_host(app.clone(), hosts, owner, spec_json.is_none()).await?)
        }
        RuntimeChoice::Auto => {
            match docker_host(app.clone(), hosts, owner, spec_json.is_none()).await {
                Ok(host) => Some(host),
                Err(error) => {
                    eprintln!("node: {error}; running the app on the in-memory runtime instead");
                    None
                }
            }
        }
        _ => None,
    };
    if let Some(host) = docker {
        return Ok(Some(host));
    }
    let handles = hosts
        .iter()
        .map(|node| NodeHandle {
            node: node.clone(),
            runtime: Arc::new(MemoryRuntime::with_any_image(node.id.clone(), owner)),
        })
        .collect();
    start_loop(app, handles, "memory").map(Some)
}

/// First loopback address given to an engine node whose IP is not known (127.0.0.11, .12, …).
const FIRST_LOOPBACK_NODE: u8 = 11;

/// A fluxnode with a Docker engine of its own: `--engine URL` or
/// `--node NAME=URL[,tier=T][,ip=A][,tls=DIR]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineNode {
    /// Node id (placement, status lines).
    pub name: String,
    /// Where its engine listens.
    pub address: EngineAddress,
    /// Its tier (tier capacity and tiered specs): stratus unless given.
    pub tier: Tier,
    /// Its public IP: given, else the host of a TCP engine when that is an IP, else a loopback
    /// address of its own (127.0.0.11 upwards by position), so that two nodes never share an IP
    /// and thus an app's host ports.
    pub ip: IpAddr,
}

impl EngineNode {
    /// Node `e<index>` on the engine at `url`; an `https://` engine takes its client
    /// certificates from `tls_dir` (`ca.pem`, `cert.pem`, `key.pem`).
    ///
    /// # Errors
    /// An unusable URL, or `https://` without certificates.
    pub fn from_url(index: usize, url: &str, tls_dir: Option<&Path>) -> Result<Self, String> {
        let tls = tls_dir
            .filter(|_| url.starts_with("https://"))
            .map(TlsFiles::in_dir);
        let address = EngineAddress::new(url, tls).map_err(|e| e.to_string())?;
        EngineNode::with_defaults(format!("e{index}"), address, index, None, None)
    }

    /// A node from `NAME=URL[,tier=T][,ip=A][,tls=DIR]`; `index` is its position (for its
    /// loopback address when it has no IP).
    ///
    /// # Errors
    /// A malformed description, an unknown tier, a bad IP or URL.
    pub fn parse(index: usize, text: &str) -> Result<Self, String> {
        let (name, rest) = text
            .split_once('=')
            .filter(|(name, _)| !name.is_empty())
            .ok_or_else(|| format!("--node {text}: expected NAME=URL[,tier=T][,ip=A][,tls=DIR]"))?;
        let mut parts = rest.split(',');
        let url = parts.next().unwrap_or_default();
        let (mut tier, mut ip, mut tls) = (None, None, None);
        for part in parts {
            match part.split_once('=') {
                Some(("tier", value)) => {
                    tier = Some(
                        value
                            .parse::<Tier>()
                            .map_err(|e| format!("--node {name}: {e}"))?,
                    );
                }
                Some(("ip", value)) => {
                    ip = Some(
                        value
                            .parse::<IpAddr>()
                            .map_err(|e| format!("--node {name}: ip {value}: {e}"))?,
                    );
                }
                Some(("tls", value)) => tls = Some(TlsFiles::in_dir(&PathBuf::from(value))),
                _ => {
                    return Err(format!(
                        "--node {name}: unknown option {part} (tier=, ip=, tls=)"
                    ));
                }
            }
        }
        let address = EngineAddress::new(url, tls).map_err(|e| format!("--node {name}: {e}"))?;
        EngineNode::with_defaults(name.to_owned(), address, index, tier, ip)
    }

    fn with_defaults(
        name: String,
        address: EngineAddress,
        index: usize,
        tier: Option<Tier>,
        ip: Option<IpAddr>,
    ) -> Result<Self, String> {
        let ip = match ip.or_else(|| address.host().and_then(|h| h.parse().ok())) {
            Some(ip) => ip,
            None => {
                let octet = u8::try_from(index)
                    .ok()
                    .and_then(|i| i.checked_add(FIRST_LOOPBACK_NODE))
                    .ok_or_else(|| format!("node {name}: too many nodes without an ip="))?;
                IpAddr::V4(Ipv4Addr::new(127, 0, 0, octet))
            }
        };
        Ok(EngineNode {
            name,
            address,
            tier: tier.unwrap_or(Tier::Stratus),
            ip,
        })
    }

    /// The placement node.
    pub fn node(&self) -> Node {
        Node::new(self.name.clone(), self.ip, self.tier)
    }
}

/// An engine for `flux node --app-engine`: `URL[,tls=DIR]`.
///
/// # Errors
/// A bad URL or option, or `https://` without `tls=`.
pub fn parse_engine(text: &str) -> Result<EngineAddress, String> {
    let (url, options) = text.split_once(',').unwrap_or((text, ""));
    let tls = match options.split_once('=') {
        None if options.is_empty() => None,
        Some(("tls", dir)) => Some(TlsFiles::in_dir(Path::new(dir))),
        _ => return Err(format!("--app-engine {text}: expected URL[,tls=DIR]")),
    };
    EngineAddress::new(url, tls).map_err(|e| format!("--app-engine {text}: {e}"))
}

/// Connects to every node's engine (all must answer) and gives each node a runtime of its own,
/// labelling what it makes with `owner`. Ports are published on the node's IP when that is a
/// loopback address (several engines on one machine), else on every interface, as FluxOS does.
/// The engines' `nofile` default is kept: hosts often cap it below FluxOS's 100,000.
///
/// # Errors
/// [`AppHostError::Docker`] naming every engine that did not answer.
pub async fn engine_handles(
    nodes: &[(Node, EngineAddress)],
    owner: &str,
) -> Result<Vec<NodeHandle<DockerRuntime>>, AppHostError> {
    let mut handles = Vec::new();
    let mut unreachable = Vec::new();
    for (node, address) in nodes {
        match DockerEngine::connect_to(address).await {
            Ok(engine) => {
                let mut runtime = DockerRuntime::new(engine, owner).nofile_limit(None);
                if node.ip.is_loopback() {
                    runtime = runtime.bind_host_ip(node.ip);
                }
                handles.push(NodeHandle {
                    node: node.clone(),
                    runtime: Arc::new(runtime),
                });
            }
            Err(error) => unreachable.push(format!("{} ({address}): {error}", node.id)),
        }
    }
    if unreachable.is_empty() {
        Ok(handles)
    } else {
        Err(AppHostError::Docker(format!(
            "engine(s) not reachable: {}",
            unreachable.join("; ")
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_urls_become_nodes_e0_e1_with_distinct_ips() {
        let socket = EngineNode::from_url(0, "unix:///run/a.sock", None).unwrap();
        assert_eq!(socket.name, "e0");
        assert_eq!(socket.ip, IpAddr::from([127, 0, 0, 11]));
        assert_eq!(socket.tier, Tier::Stratus);
        let tcp = EngineNode::from_url(1, "tcp://10.1.2.3:2375", None).unwrap();
        assert_eq!(tcp.ip, IpAddr::from([10, 1, 2, 3]));
        assert!(tcp.address.tls().is_none());
        let tls = EngineNode::from_url(2, "https://10.1.2.4:2376", Some(Path::new("/c"))).unwrap();
        assert_eq!(tls.address.tls().unwrap().ca, Path::new("/c/ca.pem"));
        assert!(
            EngineNode::from_url(3, "https://10.1.2.4:2376", None)
                .unwrap_err()
                .contains("no certificate directory")
        );
    }

    #[test]
    fn named_nodes_take_tier_ip_and_certificates() {
        let node = EngineNode::parse(
            4,
            "alpha=tcp://engine.example:2376,tier=cumulus,ip=203.0.113.7,tls=/certs",
        )
        .unwrap();
        assert_eq!(node.name, "alpha");
        assert_eq!(node.tier, Tier::Cumulus);
        assert_eq!(node.ip, IpAddr::from([203, 0, 113, 7]));
        assert_eq!(node.address.tls().unwrap().key, Path::new("/certs/key.pem"));
        // A host name is no IP: the node gets a loopback address of its own.
        let named = EngineNode::parse(1, "beta=tcp://engine.example:2375").unwrap();
        assert_eq!(named.ip, IpAddr::from([127, 0, 0, 12]));
        for bad in [
            "=unix:///s",
            "gamma",
            "gamma=unix:///s,tier=huge",
            "gamma=unix:///s,ip=300.1.1.1",
            "gamma=unix:///s,color=blue",
            "gamma=ftp://x",
        ] {
            assert!(EngineNode::parse(0, bad).is_err(), "{bad} accepted");
        }
    }
}
