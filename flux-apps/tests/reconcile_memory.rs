//! The reconcile loop over in-memory engines: convergence, idempotence, scale-down, expiry, the
//! crash restart ladder (on tokio's paused clock, so the delays are checked exactly), injected
//! faults, unreachable nodes, rolling updates and foreign containers.
#![cfg(feature = "runtime")]

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use flux_apps::placement::{Node, PlacementPolicy, Tier};
use flux_apps::reconcile::{
    Action, AppDeployment, ComponentTemplate, Context, Controller, MountTemplate, NodeHandle,
    ReconcileConfig, ReconcileError, cleanup, error_policy, reconcile, reset_error_backoff,
    sweep_orphans,
};
use flux_apps::runtime::memory::MemoryRuntime;
use flux_apps::runtime::{
    ContainerRuntime, ContainerSpec, ContainerState, NetworkSpec, ObservedContainer,
    ObservedResource, Operation, RuntimeError, VolumeSpec,
};
use flux_pow::BlockHeight;

const OWNER: &str = "flux-rs-test";
const RESYNC: Duration = Duration::from_secs(60);

fn config() -> ReconcileConfig {
    ReconcileConfig {
        resync: RESYNC,
        ..ReconcileConfig::default()
    }
}

fn node(i: u8) -> Node {
    Node::new(
        format!("node{i}"),
        IpAddr::V4(Ipv4Addr::new(10, i, 0, 1)),
        Tier::Stratus,
    )
}

fn engines(count: u8) -> Vec<Arc<MemoryRuntime>> {
    (0..count)
        .map(|i| Arc::new(MemoryRuntime::with_any_image(format!("node{i}"), OWNER)))
        .collect()
}

fn context_with<R: ContainerRuntime>(
    runtimes: Vec<Arc<R>>,
    config: ReconcileConfig,
) -> Arc<Context<R>> {
    let handles = runtimes
        .into_iter()
        .enumerate()
        .map(|(i, runtime)| NodeHandle {
            node: node(u8::try_from(i).expect("few nodes")),
            runtime,
        })
        .collect();
    Arc::new(Context::new(handles, PlacementPolicy::with_seed(3), config).expect("unique ids"))
}

fn context(engines: &[Arc<MemoryRuntime>]) -> Arc<Context<MemoryRuntime>> {
    context_with(engines.to_vec(), config())
}

/// An app with one web component (with data) and one sidecar.
fn app(name: &str, instances: u32, version: &str) -> AppDeployment {
    let mut web = ComponentTemplate::new("web", "img/web:1");
    web.env.push(format!("VERSION={version}"));
    web.mounts.push(MountTemplate {
        component: None,
        sub: None,
        target: "/data".into(),
    });
    let sidecar = ComponentTemplate::new("side", "img/side:1");
    AppDeployment::new(name, instances, vec![web, sidecar])
}

/// The ids of the nodes on which every container of `app` runs from its current spec.
fn ready_nodes(engines: &[Arc<MemoryRuntime>], app: &AppDeployment) -> Vec<String> {
    engines
        .iter()
        .enumerate()
        .filter(|(i, engine)| {
            let containers = engine.containers();
            let ip = node(u8::try_from(*i).expect("few nodes")).ip;
            app.container_specs(ip).iter().all(|spec| {
                containers.get(&spec.name).is_some_and(|c| {
                    c.state.is_running() && c.spec.fingerprint() == spec.fingerprint()
                })
            })
        })
        .map(|(_, engine)| engine.endpoint().to_owned())
        .collect()
}

/// The ids of the nodes holding anything (container, network, volume) of `app`.
fn nodes_with_app(engines: &[Arc<MemoryRuntime>], app: &str) -> Vec<String> {
    engines
        .iter()
        .filter(|engine| {
            engine.containers().values().any(|c| c.spec.app == app)
                || engine
                    .networks()
                    .iter()
                    .any(|n| n.ends_with(&format!("_{app}")))
                || engine
                    .volumes()
                    .iter()
                    .any(|v| v.contains(&format!("_{app}_")))
        })
        .map(|engine| engine.endpoint().to_owned())
        .collect()
}

fn mutations(engines: &[Arc<MemoryRuntime>]) -> Vec<u64> {
    engines.iter().map(|e| e.mutation_count()).collect()
}

fn failed_nodes(error: &ReconcileError) -> Vec<String> {
    match error {
        ReconcileError::Runtime(failures) => {
            let mut nodes: Vec<String> = failures.iter().map(|f| f.node.clone()).collect();
            nodes.sort();
            nodes.dedup();
            nodes
        }
        other => panic!("unexpected error {other}"),
    }
}

#[tokio::test]
async fn converges_to_n_instances_on_distinct_nodes() {
    let engines = engines(5);
    let ctx = context(&engines);
    let hello = app("hello", 3, "a");
    let action = reconcile(Arc::new(hello.clone()), Arc::clone(&ctx))
        .await
        .expect("first pass");
    assert_eq!(action, Action::requeue(RESYNC));
    let ready = ready_nodes(&engines, &hello);
    assert_eq!(ready.len(), 3, "{ready:?}");
    assert_eq!(nodes_with_app(&engines, "hello"), ready);
    let status = ctx.status("hello").expect("status");
    assert_eq!((status.wanted, status.ready, status.outdated), (3, 3, 0));
    assert_eq!(status.nodes.len(), 3);
    assert_eq!(status.to_string(), "3/3 ready");
    for id in &ready {
        let engine = engines.iter().find(|e| e.endpoint() == id).expect("engine");
        assert_eq!(
            engine.networks(),
            vec!["fluxDockerNetwork_hello".to_owned()]
        );
        assert_eq!(
            engine.volumes(),
            vec!["fluxweb_hello_appdata".to_owned()],
            "one volume for the web component's data"
        );
        let containers = engine.containers();
        assert_eq!(containers.len(), 2);
        assert!(
            containers
                .values()
                .all(|c| c.starts == 1 && c.owner == OWNER)
        );
    }
}

#[tokio::test]
async fn a_second_pass_on_a_converged_app_mutates_nothing() {
    let engines = engines(4);
    let ctx = context(&engines);
    let hello = Arc::new(app("hello", 3, "a"));
    reconcile(Arc::clone(&hello), Arc::clone(&ctx))
        .await
        .expect("first pass");
    let before = mutations(&engines);
    assert!(before.iter().sum::<u64>() > 0);
    for _ in 0..3 {
        let action = reconcile(Arc::clone(&hello), Arc::clone(&ctx))
            .await
            .expect("later pass");
        assert_eq!(action, Action::requeue(RESYNC));
    }
    assert_eq!(mutations(&engines), before, "a converged app was touched");
    // The placement did not move either.
    assert_eq!(ready_nodes(&engines, &hello).len(), 3);
}

#[tokio::test]
async fn excess_instances_are_removed_with_their_network_and_volumes() {
    let engines = engines(5);
    let ctx = context(&engines);
    reconcile(Arc::new(app("hello", 4, "a")), Arc::clone(&ctx))
        .await
        .expect("four instances");
    let four = nodes_with_app(&engines, "hello");
    assert_eq!(four.len(), 4);

    let one = app("hello", 1, "a");
    reconcile(Arc::new(one.clone()), Arc::clone(&ctx))
        .await
        .expect("scale down");
    let left = nodes_with_app(&engines, "hello");
    assert_eq!(left.len(), 1, "{left:?}");
    assert_eq!(ready_nodes(&engines, &one), left);
    // The oldest instance is kept.
    assert_eq!(left[0], ctx.status("hello").expect("status").nodes[0]);
    assert!(four.contains(&left[0]));
}

#[tokio::test]
async fn an_expired_app_is_removed_everywhere() {
    let engines = engines(4);
    let ctx = context(&engines);
    let mut hello = app("hello", 3, "a");
    hello.expires_at = Some(BlockHeight(1_000));
    let hello = Arc::new(hello);
    ctx.set_height(BlockHeight(999));
    reconcile(Arc::clone(&hello), Arc::clone(&ctx))
        .await
        .expect("before expiry");
    assert_eq!(ready_nodes(&engines, &hello).len(), 3);

    ctx.set_height(BlockHeight(1_000));
    let action = reconcile(Arc::clone(&hello), Arc::clone(&ctx))
        .await
        .expect("expiry pass");
    assert_eq!(action, Action::await_change());
    assert!(nodes_with_app(&engines, "hello").is_empty());
    let status = ctx.status("hello").expect("status");
    assert!(status.expired);
    assert_eq!(status.to_string(), "expired, removed");
    assert!(ctx.with_cluster(|c| c.placement_of("hello")).is_empty());
    // Staying expired changes nothing more.
    let before = mutations(&engines);
    reconcile(Arc::clone(&hello), Arc::clone(&ctx))
        .await
        .expect("again");
    assert_eq!(mutations(&engines), before);
}

/// Reconciles and returns the requeue delay.
async fn pass(app: &Arc<AppDeployment>, ctx: &Arc<Context<MemoryRuntime>>) -> Duration {
    reconcile(Arc::clone(app), Arc::clone(ctx))
        .await
        .expect("pass")
        .requeue_after()
        .expect("requeues")
}

#[tokio::test(start_paused = true)]
async fn a_crashed_container_restarts_on_the_fluxos_ladder() {
    let engines = engines(1);
    let ctx = context(&engines);
    let solo = Arc::new(app("solo", 1, "a"));
    pass(&solo, &ctx).await;
    let engine = &engines[0];
    let web = "fluxweb_solo";
    let starts = |engine: &MemoryRuntime| engine.containers()[web].starts;
    assert_eq!(starts(engine), 1);

    // First crash: restarted at once.
    tokio::time::advance(Duration::from_secs(5)).await;
    assert!(engine.crash(web, 1));
    assert_eq!(pass(&solo, &ctx).await, RESYNC);
    assert_eq!(starts(engine), 2);
    assert!(engine.containers()[web].state.is_running());

    // Crash again soon: 30 s, then 5 min, then 15 min, then 30 min, and 30 min from then on.
    for (step, wait) in [30u64, 300, 900, 1800, 1800].into_iter().enumerate() {
        let wait = Duration::from_secs(wait);
        tokio::time::advance(Duration::from_secs(1)).await;
        assert!(engine.crash(web, 1));
        let before = starts(engine);
        let delay = pass(&solo, &ctx).await;
        assert_eq!(delay, wait.min(RESYNC), "step {step}");
        assert_eq!(starts(engine), before, "restarted too early at step {step}");
        let status = ctx.status("solo").expect("status");
        assert_eq!((status.ready, status.backing_off), (0, 1));
        assert_eq!(status.to_string(), "0/1 ready, 1 in restart backoff");

        // One second before the step is due: still down, and told to come back in 1 s.
        tokio::time::advance(wait - Duration::from_secs(1)).await;
        assert_eq!(
            pass(&solo, &ctx).await,
            Duration::from_secs(1),
            "step {step}"
        );
        assert_eq!(starts(engine), before);
        tokio::time::advance(Duration::from_secs(1)).await;
        assert_eq!(pass(&solo, &ctx).await, RESYNC, "step {step}");
        assert_eq!(starts(engine), before + 1, "not restarted at step {step}");
    }

    // Ten minutes of stable running end the series: the next crash restarts at once.
    tokio::time::advance(Duration::from_secs(600)).await;
    assert!(engine.crash(web, 1));
    let before = starts(engine);
    assert_eq!(pass(&solo, &ctx).await, RESYNC);
    assert_eq!(starts(engine), before + 1);
}

#[tokio::test]
async fn failing_creates_are_reported_while_other_nodes_converge() {
    let engines = engines(3);
    let ctx = context(&engines);
    let hello = Arc::new(app("hello", 3, "a"));
    engines[0].fail_next(Operation::CreateContainer, 2);
    engines[1].fail_next(Operation::StartContainer, 1);

    let error = reconcile(Arc::clone(&hello), Arc::clone(&ctx))
        .await
        .expect_err("faults are reported");
    assert_eq!(failed_nodes(&error), vec!["node0", "node1"]);
    assert!(error.to_string().contains("injected fault"), "{error}");
    assert_eq!(ready_nodes(&engines, &hello), vec!["node2"]);
    let status = ctx.status("hello").expect("status");
    assert_eq!(status.ready, 1);
    assert!(status.last_error.is_some());

    // The first pass used up both of node0's injected failures (web, then the sidecar) and
    // node1's failed start; the next pass finishes both nodes.
    reconcile(Arc::clone(&hello), Arc::clone(&ctx))
        .await
        .expect("converged");
    assert_eq!(engines[0].calls()[&Operation::CreateContainer], 4);
    assert_eq!(ready_nodes(&engines, &hello).len(), 3);
    assert_eq!(ctx.status("hello").expect("status").last_error, None);
}

#[tokio::test]
async fn error_policy_backs_off_exponentially_and_resets() {
    let engines = engines(1);
    let ctx = context_with(
        engines.clone(),
        ReconcileConfig {
            error_backoff_base: Duration::from_secs(1),
            error_backoff_max: Duration::from_secs(60),
            ..config()
        },
    );
    let hello = Arc::new(app("hello", 1, "a"));
    let error = ReconcileError::Runtime(Vec::new());
    let delays: Vec<u64> = (0..9)
        .map(|_| {
            error_policy(Arc::clone(&hello), &error, Arc::clone(&ctx))
                .requeue_after()
                .expect("requeue")
                .as_secs()
        })
        .collect();
    assert_eq!(delays, vec![1, 2, 4, 8, 16, 32, 60, 60, 60]);
    // Many more failures never overflow.
    for _ in 0..100 {
        error_policy(Arc::clone(&hello), &error, Arc::clone(&ctx));
    }
    reset_error_backoff("hello", &ctx);
    let again = error_policy(Arc::clone(&hello), &error, Arc::clone(&ctx));
    assert_eq!(again, Action::requeue(Duration::from_secs(1)));
    // Each app has its own count.
    let other = Arc::new(app("other", 1, "a"));
    let first = error_policy(other, &error, Arc::clone(&ctx));
    assert_eq!(first, Action::requeue(Duration::from_secs(1)));
}

#[tokio::test(start_paused = true)]
async fn the_controller_survives_an_engine_that_always_fails() {
    let engines = engines(4);
    // node1's engine answers lists but every start fails, forever.
    engines[1].fail_always(Operation::StartContainer);
    let ctx = context_with(
        engines.clone(),
        ReconcileConfig {
            resync: Duration::from_secs(10),
            ..config()
        },
    );
    let controller = Arc::new(Controller::new(Arc::clone(&ctx)));
    let apps: Vec<AppDeployment> = ["alpha", "beta", "gamma"]
        .into_iter()
        .map(|name| app(name, 3, "a"))
        .collect();
    for app in &apps {
        controller.apply(app.clone());
    }
    let running = controller.spawn();
    // Ten simulated minutes.
    for _ in 0..600 {
        tokio::time::advance(Duration::from_secs(1)).await;
        tokio::task::yield_now().await;
    }
    running.stop().await.expect("the loop never panics");

    // Every app placed on node1 failed there three passes in a row, left it for the spare node
    // and runs its 3 instances; node1 is left clean and still excluded (10 min cooldown).
    let mut moved = 0;
    for app in &apps {
        let status = ctx.status(&app.name).expect("status");
        assert_eq!(status.ready, 3, "{}: {status}", app.name);
        assert_eq!(status.last_error, None, "{}: {status}", app.name);
        assert!(!status.nodes.contains(&"node1".to_owned()));
        assert_eq!(ready_nodes(&engines, app), vec!["node0", "node2", "node3"]);
        if status.excluded == vec!["node1"] {
            moved += 1;
        } else {
            assert!(status.excluded.is_empty(), "{}: {status}", app.name);
        }
    }
    assert!(moved > 0, "no app was ever placed on node1");
    assert!(engines[1].containers().is_empty());
    assert!(engines[1].networks().is_empty() && engines[1].volumes().is_empty());
    // Three failed passes per app at most, each starting two containers: no hammering.
    let starts_on_node1 = engines[1].calls()[&Operation::StartContainer];
    assert!(
        starts_on_node1 <= 3 * 3 * 2,
        "{starts_on_node1} start attempts on node1"
    );
}

#[tokio::test(start_paused = true)]
async fn a_node_that_keeps_failing_an_app_hands_it_to_another_node() {
    let engines = engines(4);
    let ctx = context(&engines);
    let hello = Arc::new(app("hello", 3, "a"));
    pass(&hello, &ctx).await;
    let placed = ctx.status("hello").expect("status").nodes;
    let spare = ["node0", "node1", "node2", "node3"]
        .into_iter()
        .find(|n| !placed.iter().any(|p| p == n))
        .expect("one spare node");
    let broken_id = placed[0].clone();
    let broken = engines
        .iter()
        .find(|e| e.endpoint() == broken_id)
        .expect("engine");
    // Its web container crashes and can never start again.
    broken.fail_always(Operation::StartContainer);
    broken.crash("fluxweb_hello", 137);
    for attempt in 1..=3 {
        let error = reconcile(Arc::clone(&hello), Arc::clone(&ctx))
            .await
            .expect_err("restart fails");
        assert_eq!(
            failed_nodes(&error),
            vec![broken_id.clone()],
            "pass {attempt}"
        );
        assert_eq!(ctx.status("hello").expect("status").nodes, placed);
        // The first restart is immediate; later ones wait on the ladder, so step past it.
        tokio::time::advance(Duration::from_secs(1)).await;
    }
    // Three failures in a row: the node is excluded and the instance moves.
    reconcile(Arc::clone(&hello), Arc::clone(&ctx))
        .await
        .expect("moved");
    let status = ctx.status("hello").expect("status");
    assert_eq!(status.excluded, vec![broken_id.clone()]);
    assert!(status.nodes.iter().any(|n| n == spare), "{status}");
    assert!(!status.nodes.contains(&broken_id));
    assert_eq!(status.ready, 3);
    assert!(status.to_string().contains("avoiding"), "{status}");
    assert!(broken.containers().is_empty() && broken.networks().is_empty());
    // After the cooldown the node may be used again, but nothing moves back.
    tokio::time::advance(Duration::from_secs(600)).await;
    let before = mutations(&engines);
    reconcile(Arc::clone(&hello), Arc::clone(&ctx))
        .await
        .expect("steady");
    assert_eq!(mutations(&engines), before);
    assert!(ctx.status("hello").expect("status").excluded.is_empty());
}

#[tokio::test(start_paused = true)]
async fn an_unreachable_node_keeps_its_instance_for_the_grace_period_then_loses_it() {
    let engines = engines(4);
    let grace = Duration::from_secs(120);
    let ctx = context_with(
        engines.clone(),
        ReconcileConfig {
            unreachable_grace: grace,
            ..config()
        },
    );
    let hello = Arc::new(app("hello", 3, "a"));
    pass(&hello, &ctx).await;
    let placed = ctx.status("hello").expect("status").nodes;
    let lost = placed[1].clone();
    let lost_engine = engines
        .iter()
        .find(|e| e.endpoint() == lost)
        .expect("engine");
    lost_engine.fail_always(Operation::ListContainers);

    // Within the grace period nothing moves.
    for _ in 0..2 {
        let error = reconcile(Arc::clone(&hello), Arc::clone(&ctx))
            .await
            .expect_err("unreachable node reported");
        assert_eq!(failed_nodes(&error), vec![lost.clone()]);
        assert_eq!(ctx.status("hello").expect("status").nodes, placed);
        assert_eq!(nodes_with_app(&engines, "hello").len(), 3);
        tokio::time::advance(grace / 2 - Duration::from_secs(1)).await;
    }

    // After it, the instance is placed on the spare node.
    tokio::time::advance(Duration::from_secs(2)).await;
    reconcile(Arc::clone(&hello), Arc::clone(&ctx))
        .await
        .expect_err("still unreachable");
    let now_placed = ctx.status("hello").expect("status").nodes;
    assert!(!now_placed.contains(&lost), "{now_placed:?}");
    assert_eq!(now_placed.len(), 3);
    let ready = ready_nodes(&engines, &hello);
    assert_eq!(
        ready.len(),
        4,
        "the unreachable node still runs its old copy"
    );

    // When it answers again, its now surplus copy is removed.
    lost_engine.clear_faults();
    reconcile(Arc::clone(&hello), Arc::clone(&ctx))
        .await
        .expect("reachable again");
    assert_eq!(ready_nodes(&engines, &hello), now_placed_sorted(now_placed));
    assert!(lost_engine.containers().is_empty());
    assert!(lost_engine.networks().is_empty() && lost_engine.volumes().is_empty());
}

/// The passes of an app whose instance sits on a silent engine fail, and their error backoff
/// doubles; the move at the grace's end must not wait for it.
#[tokio::test(start_paused = true)]
async fn a_silent_engine_loses_its_instance_when_the_grace_ends_whatever_the_error_backoff() {
    let engines = engines(3);
    let grace = Duration::from_secs(20);
    let ctx = context_with(
        engines.clone(),
        ReconcileConfig {
            unreachable_grace: grace,
            // Without a bound the retries would come at 0 s, 15 s and 45 s.
            error_backoff_base: Duration::from_secs(15),
            error_backoff_max: Duration::from_secs(600),
            ..config()
        },
    );
    let controller = Arc::new(Controller::new(Arc::clone(&ctx)));
    controller.apply(app("hello", 2, "a"));
    controller.run_due().await;
    let placed = ctx.status("hello").expect("status").nodes;
    let lost = placed[0].clone();
    engines
        .iter()
        .find(|e| e.endpoint() == lost)
        .expect("engine")
        .fail_always(Operation::ListContainers);
    let start = tokio::time::Instant::now();
    let running = controller.spawn();
    while ctx.status("hello").expect("status").nodes.contains(&lost) {
        assert!(start.elapsed() < Duration::from_secs(120), "never moved");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let moved_after = start.elapsed();
    running.stop().await.expect("loop");
    // The silence is noticed by the next resync pass; the grace runs from there.
    let due = RESYNC + grace;
    assert!(
        moved_after >= due && moved_after <= due + Duration::from_millis(200),
        "moved after {moved_after:?}, expected resync {RESYNC:?} + grace {grace:?}"
    );
    let view = &ctx.engines()[&lost];
    assert!(
        view.silent_since.is_some() && view.error.is_some(),
        "{view:?}"
    );
    assert!(view.to_string().starts_with("no answer for 20s"), "{view}");
}

fn now_placed_sorted(mut nodes: Vec<String>) -> Vec<String> {
    nodes.sort();
    nodes
}

/// What an [`Instrumented`] runtime watches: after each of its mutations, how many instances of
/// `app` are down across every engine.
#[derive(Debug)]
struct Watch {
    all: Arc<Mutex<Vec<Arc<MemoryRuntime>>>>,
    app: AppDeployment,
    max_down: Arc<Mutex<usize>>,
}

/// A memory runtime with test instruments: an optional [`Watch`], and a number of container
/// creations that panic first (a bug in an engine client).
#[derive(Debug)]
struct Instrumented {
    inner: Arc<MemoryRuntime>,
    watch: Option<Watch>,
    panics: std::sync::atomic::AtomicU32,
}

impl Instrumented {
    fn record(&self) {
        let Some(watch) = &self.watch else {
            return;
        };
        let all = watch.all.lock().expect("engines").clone();
        // An instance is down when one of its containers is missing or not running.
        let down = all
            .iter()
            .filter(|engine| {
                let containers = engine.containers();
                let runs_app = containers.values().any(|c| c.spec.app == watch.app.name);
                runs_app
                    && watch.app.components.iter().enumerate().any(|(i, _)| {
                        let name = watch.app.container_name(i).expect("component");
                        !containers.get(&name).is_some_and(|c| c.state.is_running())
                    })
            })
            .count();
        let mut max = watch.max_down.lock().expect("max");
        *max = (*max).max(down);
    }
}

impl ContainerRuntime for Instrumented {
    fn endpoint(&self) -> &str {
        self.inner.endpoint()
    }
    fn owner(&self) -> &str {
        self.inner.owner()
    }
    async fn list_containers(&self) -> Result<Vec<ObservedContainer>, RuntimeError> {
        self.inner.list_containers().await
    }
    async fn create_container(&self, spec: &ContainerSpec) -> Result<(), RuntimeError> {
        let left = self.panics.load(std::sync::atomic::Ordering::SeqCst);
        if left > 0 {
            self.panics
                .store(left - 1, std::sync::atomic::Ordering::SeqCst);
            panic!("engine client bug while creating {}", spec.name);
        }
        let result = self.inner.create_container(spec).await;
        self.record();
        result
    }
    async fn start_container(&self, name: &str) -> Result<(), RuntimeError> {
        let result = self.inner.start_container(name).await;
        self.record();
        result
    }
    async fn remove_container(&self, name: &str) -> Result<(), RuntimeError> {
        let result = self.inner.remove_container(name).await;
        self.record();
        result
    }
    async fn list_networks(&self) -> Result<Vec<ObservedResource>, RuntimeError> {
        self.inner.list_networks().await
    }
    async fn ensure_network(&self, spec: &NetworkSpec) -> Result<(), RuntimeError> {
        self.inner.ensure_network(spec).await
    }
    async fn remove_network(&self, name: &str) -> Result<(), RuntimeError> {
        self.inner.remove_network(name).await
    }
    async fn list_volumes(&self) -> Result<Vec<ObservedResource>, RuntimeError> {
        self.inner.list_volumes().await
    }
    async fn ensure_volume(&self, spec: &VolumeSpec) -> Result<(), RuntimeError> {
        self.inner.ensure_volume(spec).await
    }
    async fn remove_volume(&self, name: &str) -> Result<(), RuntimeError> {
        self.inner.remove_volume(name).await
    }
    async fn image_exists(&self, image: &str) -> Result<bool, RuntimeError> {
        self.inner.image_exists(image).await
    }
}

/// Rolls `from` to `to` over 5 engines with `max_unavailable`; returns the passes it took and the
/// most instances seen down at once.
async fn roll(instances: u32, max_unavailable: u32) -> (usize, usize) {
    let engines = engines(5);
    let all = Arc::new(Mutex::new(engines.clone()));
    let max_down = Arc::new(Mutex::new(0));
    let from = app("hello", instances, "a");
    let to = app("hello", instances, "b");
    let probes = engines
        .iter()
        .map(|engine| {
            Arc::new(Instrumented {
                inner: Arc::clone(engine),
                watch: Some(Watch {
                    all: Arc::clone(&all),
                    app: from.clone(),
                    max_down: Arc::clone(&max_down),
                }),
                panics: std::sync::atomic::AtomicU32::new(0),
            })
        })
        .collect();
    let config = ReconcileConfig {
        max_unavailable,
        rollout_pause: Duration::from_secs(5),
        ..config()
    };
    let ctx = context_with(probes, config);
    reconcile(Arc::new(from.clone()), Arc::clone(&ctx))
        .await
        .expect("first version");
    assert_eq!(ready_nodes(&engines, &from).len(), instances as usize);
    let placed = ctx.status("hello").expect("status").nodes;
    *max_down.lock().expect("max") = 0;

    let to = Arc::new(to);
    let mut passes = 0;
    let mut updated_before = 0;
    loop {
        let action = reconcile(Arc::clone(&to), Arc::clone(&ctx))
            .await
            .expect("rolling pass");
        passes += 1;
        let updated = ready_nodes(&engines, &to).len();
        let outdated = ready_nodes(&engines, &from).len();
        assert_eq!(
            updated + outdated,
            instances as usize,
            "an instance is down"
        );
        assert!(updated - updated_before <= max_unavailable as usize);
        updated_before = updated;
        let status = ctx.status("hello").expect("status");
        assert_eq!(
            status.nodes, placed,
            "a rolling update does not move instances"
        );
        if outdated == 0 {
            break;
        }
        assert_eq!(action, Action::requeue(Duration::from_secs(5)));
        assert_eq!(status.ready + status.outdated, instances);
        assert!(passes < 10, "rollout does not finish");
        // Before the pause has passed, another pass takes nothing more down.
        reconcile(Arc::clone(&to), Arc::clone(&ctx))
            .await
            .expect("pass within the pause");
        assert_eq!(
            ready_nodes(&engines, &to).len(),
            updated,
            "a step within the pause"
        );
        tokio::time::advance(Duration::from_secs(5)).await;
    }
    // Converged: the next pass mutates nothing and goes back to the resync period.
    let before = mutations(&engines);
    let action = reconcile(Arc::clone(&to), Arc::clone(&ctx))
        .await
        .expect("converged");
    assert_eq!(action, Action::requeue(RESYNC));
    assert_eq!(mutations(&engines), before);
    let max = *max_down.lock().expect("max");
    (passes, max)
}

#[tokio::test(start_paused = true)]
async fn a_spec_change_rolls_one_node_at_a_time() {
    let (passes, max_down) = roll(3, 1).await;
    assert_eq!(passes, 3);
    assert_eq!(max_down, 1);
}

#[tokio::test(start_paused = true)]
async fn max_unavailable_two_rolls_two_nodes_per_pass() {
    let (passes, max_down) = roll(4, 2).await;
    assert_eq!(passes, 2);
    assert!(max_down <= 2 && max_down > 0, "{max_down}");
}

#[tokio::test(start_paused = true)]
async fn a_rollout_waits_while_an_instance_is_down() {
    let engines = engines(3);
    let ctx = context(&engines);
    let from = Arc::new(app("hello", 3, "a"));
    pass(&from, &ctx).await;
    // A crash, restarted at once, then a second crash: in restart backoff for 30 s.
    tokio::time::advance(Duration::from_secs(1)).await;
    engines[0].crash("fluxweb_hello", 1);
    pass(&from, &ctx).await;
    engines[0].crash("fluxweb_hello", 1);
    let to = Arc::new(app("hello", 3, "b"));
    pass(&to, &ctx).await;
    // node0 is down, so no healthy node may be taken down; node0 itself is outdated and down
    // anyway, so it is recreated from the new spec at once.
    assert_eq!(ready_nodes(&engines, &to), vec!["node0"]);
    assert_eq!(ready_nodes(&engines, &from), vec!["node1", "node2"]);
    // Rolling steps are a rollout pause (5 s) apart.
    pass(&to, &ctx).await;
    tokio::time::advance(Duration::from_secs(5)).await;
    pass(&to, &ctx).await;
    assert_eq!(ready_nodes(&engines, &to).len(), 3);
}

fn foreign(name: &str, app: &str) -> ContainerSpec {
    let template = AppDeployment::new(app, 1, vec![ComponentTemplate::new("web", "img:1")]);
    let mut spec = template
        .container_specs(IpAddr::V4(Ipv4Addr::LOCALHOST))
        .remove(0);
    spec.name = name.to_owned();
    spec.network = None;
    spec
}

#[tokio::test]
async fn foreign_containers_are_never_touched() {
    let engines = engines(3);
    let ctx = context(&engines);
    // FluxOS's own container of another app, one of an app with the same name as ours, and one
    // of another controller.
    engines[0].insert_foreign(foreign("fluxweb_other", "other"), "fluxos");
    engines[1].insert_foreign(foreign("fluxdb_hello", "hello"), "fluxos");
    engines[2].insert_foreign(foreign("fluxweb_stray", "stray"), "someone-else");
    let snapshot = |engines: &[Arc<MemoryRuntime>]| -> Vec<BTreeMap<String, ContainerState>> {
        engines
            .iter()
            .map(|e| {
                e.containers()
                    .into_iter()
                    .filter(|(_, c)| c.owner != OWNER)
                    .map(|(name, c)| (name, c.state))
                    .collect()
            })
            .collect()
    };
    let before = snapshot(&engines);

    let hello = Arc::new(app("hello", 3, "a"));
    reconcile(Arc::clone(&hello), Arc::clone(&ctx))
        .await
        .expect("deploy");
    assert_eq!(ready_nodes(&engines, &hello).len(), 3);
    // A scale-down, a sweep with nothing desired, and a cleanup.
    reconcile(Arc::new(app("hello", 1, "a")), Arc::clone(&ctx))
        .await
        .expect("scale down");
    cleanup("hello", &ctx).await.expect("cleanup");
    reconcile(Arc::clone(&hello), Arc::clone(&ctx))
        .await
        .expect("deploy again");
    let swept = sweep_orphans(&Default::default(), &ctx)
        .await
        .expect("sweep");
    assert_eq!(
        swept,
        3 * (2 + 1 + 1),
        "2 containers, a network and a volume per node"
    );
    assert_eq!(snapshot(&engines), before);
    assert!(
        engines
            .iter()
            .all(|e| e.containers().values().all(|c| c.owner != OWNER))
    );

    // A foreign container squatting on one of our names is an error, not a takeover.
    engines[0].insert_foreign(foreign("fluxweb_solo", "solo"), "fluxos");
    let solo = Arc::new(app("solo", 3, "a"));
    let error = reconcile(Arc::clone(&solo), Arc::clone(&ctx))
        .await
        .expect_err("name taken");
    assert!(
        matches!(&error, ReconcileError::Runtime(f) if f.iter().any(|f| matches!(f.error, RuntimeError::NotOwned { .. }))),
        "{error}"
    );
    assert_eq!(engines[0].containers()["fluxweb_solo"].owner, "fluxos");
    cleanup("solo", &ctx).await.expect("cleanup solo");
    assert_eq!(engines[0].containers()["fluxweb_solo"].owner, "fluxos");
}

#[tokio::test(start_paused = true)]
async fn removing_one_app_from_a_node_keeps_the_crash_history_of_another() {
    let engines = engines(2);
    let ctx = context(&engines);
    let alpha = Arc::new(app("alpha", 2, "a"));
    let beta = Arc::new(app("beta", 2, "a"));
    pass(&alpha, &ctx).await;
    pass(&beta, &ctx).await;
    // Scaling down keeps the oldest instance, so alpha will leave its second node.
    let left = ctx.status("alpha").expect("status").nodes[1].clone();
    let shared = engines
        .iter()
        .find(|e| e.endpoint() == left)
        .expect("engine");
    // beta crashes twice there: its next restart is 30 s away.
    tokio::time::advance(Duration::from_secs(1)).await;
    shared.crash("fluxweb_beta", 1);
    pass(&beta, &ctx).await;
    shared.crash("fluxweb_beta", 1);
    assert_eq!(pass(&beta, &ctx).await, Duration::from_secs(30));
    // alpha scales down and leaves that node: beta's ladder must not be reset by it.
    pass(&Arc::new(app("alpha", 1, "a")), &ctx).await;
    assert!(!shared.containers().contains_key("fluxweb_alpha"));
    let before = shared.containers()["fluxweb_beta"].starts;
    assert_eq!(pass(&beta, &ctx).await, Duration::from_secs(30));
    assert_eq!(
        shared.containers()["fluxweb_beta"].starts,
        before,
        "beta restarted early: its backoff was forgotten"
    );
}

#[tokio::test]
async fn a_dead_engine_without_instances_of_an_app_is_not_that_apps_error() {
    let engines = engines(4);
    engines[3].fail_always(Operation::ListContainers);
    let ctx = context(&engines);
    let hello = Arc::new(app("hello", 3, "a"));
    // node3 never answered and holds nothing of the app: the app converges without error, so its
    // passes are not slowed down by the error backoff because of a node it does not use.
    let action = reconcile(Arc::clone(&hello), Arc::clone(&ctx))
        .await
        .expect("converges on the live nodes");
    assert_eq!(action, Action::requeue(RESYNC));
    assert_eq!(
        ready_nodes(&engines, &hello),
        vec!["node0", "node1", "node2"]
    );
    assert_eq!(ctx.status("hello").expect("status").last_error, None);
    // Cleanup cannot be sure node3 holds nothing, so it still reports it.
    assert!(cleanup("hello", &ctx).await.is_err());
}

#[tokio::test(start_paused = true)]
async fn an_unreachable_instance_counts_as_down_during_a_rollout() {
    let engines = engines(3);
    let ctx = context(&engines);
    let from = Arc::new(app("hello", 3, "a"));
    pass(&from, &ctx).await;
    engines[2].fail_always(Operation::ListContainers);
    let to = Arc::new(app("hello", 3, "b"));
    // node2 is unreachable but within its grace period: its instance may be down, so no healthy
    // node is taken down for the update.
    for _ in 0..3 {
        reconcile(Arc::clone(&to), Arc::clone(&ctx))
            .await
            .expect_err("node2 unreachable");
        assert!(ready_nodes(&engines, &to).is_empty());
        assert_eq!(ready_nodes(&engines, &from).len(), 3);
    }
    engines[2].clear_faults();
    for _ in 0..3 {
        reconcile(Arc::clone(&to), Arc::clone(&ctx))
            .await
            .expect("rolling");
        tokio::time::advance(Duration::from_secs(5)).await;
    }
    assert_eq!(ready_nodes(&engines, &to).len(), 3);
}

#[tokio::test(start_paused = true)]
async fn a_panicking_pass_is_requeued_and_the_loop_goes_on() {
    let engines = engines(3);
    let runtimes = engines
        .iter()
        .map(|engine| {
            Arc::new(Instrumented {
                inner: Arc::clone(engine),
                watch: None,
                panics: std::sync::atomic::AtomicU32::new(2),
            })
        })
        .collect();
    let ctx = context_with(runtimes, config());
    let controller = Arc::new(Controller::new(Arc::clone(&ctx)));
    let hello = app("hello", 3, "a");
    controller.apply(hello.clone());
    let running = controller.spawn();
    // Six panicking passes, requeued after 1, 2, 4, 8, 16 and 32 s: converged by 63 s.
    for _ in 0..70 {
        tokio::time::advance(Duration::from_secs(1)).await;
        tokio::task::yield_now().await;
    }
    running
        .stop()
        .await
        .expect("the controller itself never panics");
    assert_eq!(ready_nodes(&engines, &hello).len(), 3);
    assert_eq!(ctx.status("hello").expect("status").ready, 3);
}
