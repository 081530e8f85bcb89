//! The reconcile loop, kube-rs style: [`reconcile`] compares one app's desired state with what the
//! engines run and makes the changes, returning when to look again ([`Action`]); [`error_policy`]
//! turns a failure into a requeue with exponential backoff; [`Controller`] drives both for many
//! apps and never runs one app twice at once.
//!
//! What one [`reconcile`] pass does:
//!
//! 1. an expired app (its `expires_at` reached, see [`Context::set_height`]) is removed everywhere;
//! 2. every node's engine is asked what the app runs there (engines that do not answer keep their
//!    instances for [`ReconcileConfig::unreachable_grace`], then the instance is placed elsewhere;
//!    an engine that does not answer is an error of the app only if it held one of its instances);
//! 3. [`crate::placement`] keeps the instances that still pass every rule and picks nodes for the
//!    missing ones;
//! 4. nodes that should not run the app any more lose its containers, network and volumes; a node
//!    where installing or (re)starting the app failed in
//!    [`ReconcileConfig::install_failure_limit`] passes in a row is excluded for the app for
//!    [`ReconcileConfig::install_failure_cooldown`], so the instance moves to another node;
//! 5. on each placed node, missing containers are created and started, stopped ones are restarted
//!    after FluxOS's crash backoff (0 s, 30 s, 5 min, 15 min, 30 min, reset after 10 min of stable
//!    running, `cfg:129-130`), and containers built from an older spec are replaced one node at a
//!    time (a rolling update: at most [`ReconcileConfig::max_unavailable`] instances down, counting
//!    crashed, missing and unreachable instances).
//!
//! Applying a pass to a converged app changes nothing (no engine mutation), and every runtime error
//! is collected and returned after the other nodes were handled, so one broken engine never stops
//! the others and never crashes the loop.

mod controller;
pub mod desired;
mod engines;
mod pass;

use core::fmt;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use flux_pow::BlockHeight;
use tokio::time::Instant;

pub use controller::{Controller, RunningController};
pub use desired::{AppDeployment, ComponentTemplate, DeploymentError, MountTemplate};
pub use engines::EngineView;

use crate::placement::{Cluster, Node, PlacementError, PlacementPolicy, Shortfall};
use crate::runtime::{ContainerRuntime, ObservedContainer, RuntimeError};
use pass::{Observed, Pass};

/// What to do after a reconcile: look again after a delay, or wait for a change of the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Action {
    requeue_after: Option<Duration>,
}

impl Action {
    /// Reconcile again after `delay`.
    pub const fn requeue(delay: Duration) -> Self {
        Action {
            requeue_after: Some(delay),
        }
    }

    /// Reconcile again only when the app changes.
    pub const fn await_change() -> Self {
        Action {
            requeue_after: None,
        }
    }

    /// The delay, if any.
    pub const fn requeue_after(&self) -> Option<Duration> {
        self.requeue_after
    }
}

/// A ladder of waits between restarts of a crashed container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackoffPolicy {
    /// Wait before the n-th restart of a crash series; the last step repeats.
    pub steps: Vec<Duration>,
    /// Running this long since the last restart ends the crash series.
    pub stable_after: Duration,
}

impl BackoffPolicy {
    /// FluxOS's ladder: 0, 30 s, 5 min, 15 min, 30 min; reset after 10 min stable (`cfg:129-130`).
    pub fn fluxos() -> Self {
        BackoffPolicy {
            steps: [0, 30, 300, 900, 1800]
                .into_iter()
                .map(Duration::from_secs)
                .collect(),
            stable_after: Duration::from_secs(600),
        }
    }

    /// The wait before restart number `attempt` (0-based) of a series.
    pub fn delay(&self, attempt: u32) -> Duration {
        let index = usize::try_from(attempt)
            .unwrap_or(usize::MAX)
            .min(self.steps.len().saturating_sub(1));
        self.steps.get(index).copied().unwrap_or(Duration::ZERO)
    }
}

/// Tuning of the reconcile loop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReconcileConfig {
    /// How often a converged app is looked at again.
    pub resync: Duration,
    /// Crash restart ladder.
    pub restart_backoff: BackoffPolicy,
    /// First requeue delay after a failed reconcile; doubles per consecutive failure.
    pub error_backoff_base: Duration,
    /// Longest requeue delay after failures.
    pub error_backoff_max: Duration,
    /// Pause between two nodes of a rolling update (FluxOS: 5 s between components).
    pub rollout_pause: Duration,
    /// Most instances of an app that may be down at once because of a rolling update.
    pub max_unavailable: u32,
    /// How long a node whose engine does not answer keeps its instances.
    pub unreachable_grace: Duration,
    /// After this many consecutive passes in which installing or starting an app failed on a
    /// node, the app leaves that node and is placed elsewhere (0: never).
    pub install_failure_limit: u32,
    /// How long such a node stays excluded for that app.
    pub install_failure_cooldown: Duration,
    /// How long a pass waits for an engine to list its containers before counting it as not
    /// answering, so that one hung engine cannot hold up every other node's pass.
    pub engine_timeout: Duration,
}

impl Default for ReconcileConfig {
    fn default() -> Self {
        ReconcileConfig {
            resync: Duration::from_secs(30),
            restart_backoff: BackoffPolicy::fluxos(),
            error_backoff_base: Duration::from_secs(1),
            error_backoff_max: Duration::from_secs(300),
            rollout_pause: Duration::from_secs(5),
            max_unavailable: 1,
            unreachable_grace: Duration::from_secs(120),
            install_failure_limit: 3,
            install_failure_cooldown: Duration::from_secs(600),
            engine_timeout: Duration::from_secs(10),
        }
    }
}

/// A node and the engine that runs its containers.
#[derive(Debug)]
pub struct NodeHandle<R> {
    /// What placement knows about the node.
    pub node: Node,
    /// Its engine.
    pub runtime: Arc<R>,
}

/// One runtime operation that failed on a node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeFailure {
    /// Node id.
    pub node: String,
    /// What was being done, for example `create fluxweb_app`.
    pub action: String,
    /// The runtime's error.
    pub error: RuntimeError,
}

impl fmt::Display for NodeFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "node {}: {}: {}", self.node, self.action, self.error)
    }
}

/// Why a reconcile did not complete.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReconcileError {
    /// Runtime operations failed; everything else in the pass was applied.
    #[error("{} runtime operation(s) failed, first: {}", .0.len(), .0.first().map(ToString::to_string).unwrap_or_default())]
    Runtime(Vec<NodeFailure>),
    /// The reconcile task panicked; the loop goes on.
    #[error("reconcile of {app} panicked: {message}")]
    Panicked {
        /// App name.
        app: String,
        /// Panic message, if it was a string.
        message: String,
    },
}

/// What the loop knows about one app after its latest pass.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AppStatus {
    /// Instances wanted.
    pub wanted: u32,
    /// Nodes chosen for it.
    pub nodes: Vec<String>,
    /// Instances whose every container runs the current spec.
    pub ready: u32,
    /// Instances still running an older spec.
    pub outdated: u32,
    /// Containers waiting for their next restart.
    pub backing_off: u32,
    /// Set when placement could not find enough nodes.
    pub shortfall: Option<Shortfall>,
    /// The app expired and was removed.
    pub expired: bool,
    /// The latest error, if the latest pass failed.
    pub last_error: Option<String>,
    /// Nodes the app avoids for now after repeated install failures there.
    pub excluded: Vec<String>,
}

impl fmt::Display for AppStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.expired {
            return f.write_str("expired, removed");
        }
        write!(f, "{}/{} ready", self.ready, self.wanted)?;
        if self.outdated > 0 {
            write!(f, ", {} updating", self.outdated)?;
        }
        if self.backing_off > 0 {
            write!(f, ", {} in restart backoff", self.backing_off)?;
        }
        if let Some(shortfall) = &self.shortfall {
            write!(f, ", {shortfall}")?;
        }
        if !self.excluded.is_empty() {
            write!(
                f,
                ", avoiding {} after repeated install failures",
                self.excluded.join(", ")
            )?;
        }
        if let Some(error) = &self.last_error {
            write!(f, ", error: {error}")?;
        }
        Ok(())
    }
}

/// Install failures of one app on one node.
#[derive(Debug, Clone, Copy, Default)]
struct InstallRecord {
    consecutive_failures: u32,
    excluded_until: Option<Instant>,
}

/// Where one container of an app stands on the crash ladder.
#[derive(Debug, Clone, Copy)]
struct RestartRecord {
    attempts: u32,
    last_start: Instant,
    down_since: Option<Instant>,
}

/// An app on a node: the key of install records and of the network and volume bookkeeping.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct AppOnNode {
    app: String,
    node: String,
}

impl AppOnNode {
    fn new(app: &str, node: &str) -> Self {
        AppOnNode {
            app: app.to_owned(),
            node: node.to_owned(),
        }
    }
}

/// A container on a node: the key of crash-restart records.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct ContainerOnNode {
    node: String,
    container: String,
}

impl ContainerOnNode {
    fn new(node: &str, container: &str) -> Self {
        ContainerOnNode {
            node: node.to_owned(),
            container: container.to_owned(),
        }
    }
}

/// Shared state of the loop: the nodes, placement, restart and error history, app status.
pub struct Context<R> {
    config: ReconcileConfig,
    nodes: BTreeMap<String, NodeHandle<R>>,
    cluster: Mutex<Cluster>,
    restarts: Mutex<HashMap<ContainerOnNode, RestartRecord>>,
    failures: Mutex<HashMap<String, u32>>,
    unreachable_since: Mutex<HashMap<String, Instant>>,
    installs: Mutex<HashMap<AppOnNode, InstallRecord>>,
    /// Where an app's network or volumes may exist.
    infrastructure: Mutex<BTreeSet<AppOnNode>>,
    height: Mutex<Option<BlockHeight>>,
    status: Mutex<BTreeMap<String, AppStatus>>,
    /// app → when its rolling update last replaced an instance.
    rollout_steps: Mutex<HashMap<String, Instant>>,
    /// node → what the latest pass saw of its engine.
    engines: Mutex<BTreeMap<String, EngineView>>,
    /// app → the moment a failed pass must be retried by at the latest (the end of a silent
    /// engine's grace, a restart backoff), whatever the error backoff says.
    retry_by: Mutex<HashMap<String, Instant>>,
}

impl<R> fmt::Debug for Context<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context")
            .field("config", &self.config)
            .field("nodes", &self.nodes.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Reconcile tasks may panic (the controller survives that); their state stays usable.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<R: ContainerRuntime> Context<R> {
    /// A context over `nodes`.
    ///
    /// # Errors
    ///
    /// [`PlacementError::DuplicateNode`] when two nodes share an id.
    pub fn new(
        nodes: Vec<NodeHandle<R>>,
        policy: PlacementPolicy,
        config: ReconcileConfig,
    ) -> Result<Self, PlacementError> {
        let cluster = Cluster::new(
            nodes.iter().map(|handle| handle.node.clone()).collect(),
            policy,
        )?;
        let nodes = nodes
            .into_iter()
            .map(|handle| (handle.node.id.clone(), handle))
            .collect();
        Ok(Context {
            config,
            nodes,
            cluster: Mutex::new(cluster),
            restarts: Mutex::new(HashMap::new()),
            failures: Mutex::new(HashMap::new()),
            unreachable_since: Mutex::new(HashMap::new()),
            installs: Mutex::new(HashMap::new()),
            infrastructure: Mutex::new(BTreeSet::new()),
            height: Mutex::new(None),
            rollout_steps: Mutex::new(HashMap::new()),
            status: Mutex::new(BTreeMap::new()),
            engines: Mutex::new(BTreeMap::new()),
            retry_by: Mutex::new(HashMap::new()),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &ReconcileConfig {
        &self.config
    }

    /// The node handles, by id.
    pub fn nodes(&self) -> &BTreeMap<String, NodeHandle<R>> {
        &self.nodes
    }

    /// Sets the current chain height, against which `expires_at` is checked.
    pub fn set_height(&self, height: BlockHeight) {
        *lock(&self.height) = Some(height);
    }

    /// The status of one app after its latest pass.
    pub fn status(&self, app: &str) -> Option<AppStatus> {
        lock(&self.status).get(app).cloned()
    }

    /// The status of every app.
    pub fn statuses(&self) -> BTreeMap<String, AppStatus> {
        lock(&self.status).clone()
    }

    /// What the latest pass saw of each node's engine, by node id.
    pub fn engines(&self) -> BTreeMap<String, EngineView> {
        lock(&self.engines).clone()
    }

    /// Runs `f` on the placement state (for example to explain a decision).
    pub fn with_cluster<T>(&self, f: impl FnOnce(&Cluster) -> T) -> T {
        f(&lock(&self.cluster))
    }

    fn set_status(&self, app: &str, status: AppStatus) {
        lock(&self.status).insert(app.to_owned(), status);
    }
}

/// Errors collected during a pass.
#[derive(Default)]
struct Failures(Vec<NodeFailure>);

impl Failures {
    fn push(&mut self, node: &str, action: impl Into<String>, error: RuntimeError) {
        self.0.push(NodeFailure {
            node: node.to_owned(),
            action: action.into(),
            error,
        });
    }

    fn into_result<T>(self, ok: T) -> Result<T, ReconcileError> {
        if self.0.is_empty() {
            Ok(ok)
        } else {
            Err(ReconcileError::Runtime(self.0))
        }
    }
}

/// The engine's containers, or [`RuntimeError::Unreachable`] when it does not answer within
/// `timeout` (a hung engine must not hold up a pass or a cleanup for the client's own, much
/// longer, request timeout).
async fn list_within<R: ContainerRuntime>(
    runtime: &R,
    timeout: std::time::Duration,
) -> Result<Vec<ObservedContainer>, RuntimeError> {
    match tokio::time::timeout(timeout, runtime.list_containers()).await {
        Ok(listed) => listed,
        Err(_) => Err(RuntimeError::Unreachable {
            endpoint: runtime.endpoint().to_owned(),
            message: format!("no answer within {timeout:?}"),
        }),
    }
}

/// Asks every node's engine for the app's containers, concurrently, each within
/// [`ReconcileConfig::engine_timeout`]; records what each engine answered ([`EngineView`]).
/// Nodes that did not answer are `Err`.
async fn observe<R: ContainerRuntime>(app: &str, ctx: &Context<R>) -> Observed {
    let mut tasks = tokio::task::JoinSet::new();
    let timeout = ctx.config.engine_timeout;
    for (id, handle) in &ctx.nodes {
        let runtime = Arc::clone(&handle.runtime);
        let id = id.clone();
        tasks.spawn(async move {
            let listed = list_within(&*runtime, timeout).await;
            (id, listed)
        });
    }
    let mut observed = BTreeMap::new();
    let now = Instant::now();
    while let Some(joined) = tasks.join_next().await {
        if let Ok((id, listed)) = joined {
            let mut engines = lock(&ctx.engines);
            let view = engines
                .entry(id.clone())
                .or_insert_with(|| EngineView::new(ctx.nodes[&id].runtime.endpoint()));
            match &listed {
                Ok(all) => view.answered(all, now),
                Err(error) => view.failed(error, now),
            }
            drop(engines);
            let listed = listed.map(|all| all.into_iter().filter(|c| c.app == app).collect());
            observed.insert(id, listed);
        }
    }
    for id in ctx.nodes.keys() {
        observed.entry(id.clone()).or_insert_with(|| {
            Err(RuntimeError::Unreachable {
                endpoint: id.clone(),
                message: "list task failed".into(),
            })
        });
    }
    observed
}

/// Removes every container, the network and the volumes of `app` from one node.
async fn remove_from_node<R: ContainerRuntime>(
    app: &str,
    node: &str,
    runtime: &R,
    containers: &[ObservedContainer],
    failures: &mut Failures,
) {
    let mut removed_all = true;
    for container in containers {
        if let Err(error) = runtime.remove_container(&container.name).await {
            failures.push(node, format!("remove container {}", container.name), error);
            removed_all = false;
        }
    }
    if !removed_all {
        return;
    }
    match runtime.list_networks().await {
        Ok(networks) => {
            for network in networks.into_iter().filter(|n| n.app == app) {
                if let Err(error) = runtime.remove_network(&network.name).await {
                    failures.push(node, format!("remove network {}", network.name), error);
                }
            }
        }
        Err(error) => failures.push(node, "list networks", error),
    }
    match runtime.list_volumes().await {
        Ok(volumes) => {
            for volume in volumes.into_iter().filter(|v| v.app == app) {
                if let Err(error) = runtime.remove_volume(&volume.name).await {
                    failures.push(node, format!("remove volume {}", volume.name), error);
                }
            }
        }
        Err(error) => failures.push(node, "list volumes", error),
    }
}

/// Removes `app` from every node (its containers, networks and volumes) and forgets its placement.
/// Idempotent: cleaning an app that is gone changes nothing.
///
/// # Errors
///
/// [`ReconcileError::Runtime`] with every operation that failed; call again to finish.
pub async fn cleanup<R: ContainerRuntime>(
    app: &str,
    ctx: &Context<R>,
) -> Result<(), ReconcileError> {
    let observed = observe(app, ctx).await;
    let mut failures = Failures::default();
    for (id, listed) in observed {
        let handle = &ctx.nodes[&id];
        match listed {
            Ok(containers) => {
                remove_from_node(app, &id, &*handle.runtime, &containers, &mut failures).await
            }
            Err(error) => failures.push(&id, "list containers", error),
        }
    }
    lock(&ctx.cluster).release(app);
    lock(&ctx.restarts).retain(|key, _| !belongs_to(&key.container, app));
    lock(&ctx.installs).retain(|key, _| key.app != app);
    lock(&ctx.retry_by).remove(app);
    if failures.0.is_empty() {
        lock(&ctx.infrastructure).retain(|key| key.app != app);
    }
    failures.into_result(())
}

fn belongs_to(container: &str, app: &str) -> bool {
    container.ends_with(&format!("_{app}")) || container == crate::runtime::app_identifier(app)
}

/// Removes from every node what this controller owns but no app in `desired` explains: containers,
/// networks and volumes of deleted apps. Returns how many objects were removed.
///
/// # Errors
///
/// [`ReconcileError::Runtime`] with every operation that failed.
pub async fn sweep_orphans<R: ContainerRuntime>(
    desired: &BTreeSet<String>,
    ctx: &Context<R>,
) -> Result<usize, ReconcileError> {
    let mut failures = Failures::default();
    let mut removed = 0;
    for (id, handle) in &ctx.nodes {
        let runtime = &handle.runtime;
        match list_within(&**runtime, ctx.config.engine_timeout).await {
            Ok(containers) => {
                for container in containers.into_iter().filter(|c| !desired.contains(&c.app)) {
                    match runtime.remove_container(&container.name).await {
                        Ok(()) => removed += 1,
                        Err(error) => {
                            failures.push(id, format!("remove container {}", container.name), error)
                        }
                    }
                }
            }
            Err(error) => {
                failures.push(id, "list containers", error);
                continue;
            }
        }
        if let Ok(networks) = runtime.list_networks().await {
            for network in networks.into_iter().filter(|n| !desired.contains(&n.app)) {
                match runtime.remove_network(&network.name).await {
                    Ok(()) => removed += 1,
                    Err(error) => {
                        failures.push(id, format!("remove network {}", network.name), error)
                    }
                }
            }
        }
        if let Ok(volumes) = runtime.list_volumes().await {
            for volume in volumes.into_iter().filter(|v| !desired.contains(&v.app)) {
                match runtime.remove_volume(&volume.name).await {
                    Ok(()) => removed += 1,
                    Err(error) => {
                        failures.push(id, format!("remove volume {}", volume.name), error)
                    }
                }
            }
        }
    }
    failures.into_result(removed)
}

/// Reconciles one app: see the [module documentation](self), whose steps are the pass's phases.
///
/// # Errors
///
/// [`ReconcileError::Runtime`] when runtime operations failed; everything else in the pass was
/// applied, and [`error_policy`] decides when to try again.
pub async fn reconcile<R: ContainerRuntime>(
    app: Arc<AppDeployment>,
    ctx: Arc<Context<R>>,
) -> Result<Action, ReconcileError> {
    let mut pass = Pass::new(&app, &ctx);
    if let Some(expired) = pass.remove_if_expired().await {
        return expired;
    }
    let observed = observe(&app.name, &ctx).await;
    let previous = lock(&ctx.cluster).placement_of(&app.name);
    let within_grace = pass.note_reachability(&observed, &previous);
    let current = pass::current_instances(&previous, &observed, &within_grace);
    let placement = pass.place(&current);
    pass.remove_unplaced(&observed, &placement).await;
    let replaced_any = pass.converge(&observed, &placement).await;
    pass.finish(replaced_any)
}

/// Counts a pass's install outcome of `app` on `node`; enough failures in a row exclude the node
/// for the cooldown.
fn note_install_result<R>(ctx: &Context<R>, app: &str, node: &str, failed: bool, now: Instant) {
    let limit = ctx.config.install_failure_limit;
    let mut installs = lock(&ctx.installs);
    let key = AppOnNode::new(app, node);
    if !failed {
        installs.remove(&key);
        return;
    }
    if limit == 0 {
        return;
    }
    let record = installs.entry(key).or_default();
    record.consecutive_failures = record.consecutive_failures.saturating_add(1);
    if record.consecutive_failures >= limit {
        record.consecutive_failures = 0;
        record.excluded_until = Some(now + ctx.config.install_failure_cooldown);
    }
}

/// Decides when to retry after a failed reconcile: `error_backoff_base · 2^(n−1)` for the n-th
/// consecutive failure of the app, capped at `error_backoff_max`. [`Controller`] resets the count
/// after a success.
pub fn error_policy<R: ContainerRuntime>(
    app: Arc<AppDeployment>,
    error: &ReconcileError,
    ctx: Arc<Context<R>>,
) -> Action {
    let _ = error;
    let mut failures = lock(&ctx.failures);
    let count = failures.entry(app.name.clone()).or_insert(0);
    *count = count.saturating_add(1);
    let exponent = (*count - 1).min(20);
    let mut delay = ctx
        .config
        .error_backoff_base
        .saturating_mul(1u32 << exponent)
        .min(ctx.config.error_backoff_max);
    // A silent engine's grace ends at a fixed moment; the doubling backoff of its failing passes
    // must not carry the retry past it, or the instance would move that much later.
    if let Some(by) = lock(&ctx.retry_by).get(&app.name) {
        delay = delay.min(by.saturating_duration_since(Instant::now()));
    }
    Action::requeue(delay)
}

/// Forgets the consecutive-failure count of an app (after a successful reconcile).
pub fn reset_error_backoff<R>(app: &str, ctx: &Context<R>) {
    lock(&ctx.failures).remove(app);
}
