//! The reconcile loop over three real Docker engines, one per fluxnode as on Flux: three extra
//! daemons (one of them reached over TCP with mutual TLS when the `docker-tls` feature is on) run
//! a 2-instance app; one daemon is killed with SIGKILL, and after the unreachable grace the
//! instance must answer HTTP again on a surviving engine while the other instance never stops
//! answering; the daemon comes back with its old container, which the loop removes (and never a
//! container someone else owns); an app deleted while a daemon is down is cleaned from it when it
//! returns.
//!
//! It prints what it measured: the time from the kill to two instances answering again, from
//! the daemon's return to its stale container's removal, and a converged pass over three real
//! engines.
//!
//! It needs root, `/usr/sbin/dockerd`, `/bin/busybox` (busybox-static), the `docker` and
//! `openssl` commands; without them, or when the daemons cannot start, it prints `SKIPPED:` and
//! returns (a failure under `FLUX_REQUIRE_DOCKER=1`, as in CI).
#![cfg(feature = "docker")]
#![allow(clippy::print_stderr)]

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use flux_apps::placement::{Node, PlacementPolicy, Tier};
use flux_apps::reconcile::{
    AppDeployment, ComponentTemplate, Context, Controller, NodeHandle, ReconcileConfig, reconcile,
};
use flux_apps::runtime::docker::{BuildContext, DockerEngine, DockerRuntime};
use flux_apps::runtime::{ContainerRuntime, ContainerSpec, PortMapping};

mod common;
use common::daemons::{Cluster, preflight};
use common::docker::{http_get, skip_without_docker};

const IMAGE: &str = "flux-rs-test/busybox-httpd:cluster";
const IMAGE_V2: &str = "flux-rs-test/busybox-httpd:cluster-v2";
const PORT: u16 = 31_180;
/// The port of the second app (rolling update, slow and failing engines).
const PORT_ROLL: u16 = 31_181;
const ROLL: &str = "roll";
const APP: &str = "hello";
const GRACE: Duration = Duration::from_secs(3);
const WHAT: &str = "the three-engine cluster test";

/// Whether the instance on `ip` answers, off the async workers (the probe blocks).
async fn answers(ip: IpAddr) -> bool {
    body(ip, PORT).await.is_some()
}

/// The response of the instance on `ip:port`, if it answers.
async fn body(ip: IpAddr, port: u16) -> Option<String> {
    tokio::task::spawn_blocking(move || http_get(ip, port))
        .await
        .ok()
        .flatten()
}

/// The index of node `e<N>`.
fn index(node: &str) -> usize {
    node[1..].parse().expect("node id e<N>")
}

/// How many of `nodes` answer on `port` with a body containing `text`.
async fn answering(ips: &[IpAddr], nodes: &[String], port: u16, text: &str) -> usize {
    let mut count = 0;
    for node in nodes {
        if body(ips[index(node)], port)
            .await
            .is_some_and(|b| b.contains(text))
        {
            count += 1;
        }
    }
    count
}

/// Polls `done` every 50 ms for up to `limit`; how long it took, or `None`.
async fn wait_for<F, Fut>(limit: Duration, mut done: F) -> Option<Duration>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    while start.elapsed() < limit {
        if done().await {
            return Some(start.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    None
}

/// Whether `app` is placed on `count` nodes and each of them answers on `port` with `text`.
async fn placed_and_answering<R: ContainerRuntime>(
    ctx: &Context<R>,
    ips: &[IpAddr],
    app: &str,
    (port, text): (u16, &str),
    count: usize,
) -> bool {
    let nodes = ctx.status(app).map(|s| s.nodes).unwrap_or_default();
    nodes.len() == count && answering(ips, &nodes, port, text).await == count
}

/// The containers of the app this test's owner has on one engine (`None`: no answer).
async fn owned_on(runtime: &DockerRuntime) -> Option<usize> {
    let listed = runtime.list_containers().await.ok()?;
    Some(listed.iter().filter(|c| c.app == APP).count())
}

/// A container with this app's label made by someone else, never started: the loop must leave
/// it alone on every engine, through kills and restarts.
fn foreign_spec() -> ContainerSpec {
    let mut spec = AppDeployment::new(APP, 1, vec![ComponentTemplate::new("web", IMAGE)])
        .container_specs(IpAddr::from([127, 0, 0, 1]))
        .remove(0);
    spec.name = "fluxweb_hello-foreign".into();
    spec.ports.clear();
    spec.network = None;
    spec.mounts.clear();
    spec
}

/// Each engine as the test's node, and as someone else's runtime.
struct Engines {
    handles: Vec<NodeHandle<DockerRuntime>>,
    foreign: Vec<DockerRuntime>,
}

/// The three engines' nodes with the test's owner, and one runtime per engine owned by someone
/// else.
fn nodes_of(cluster: &Cluster, engines: Vec<DockerEngine>, owner: &str) -> Engines {
    let mut handles = Vec::new();
    let mut foreign = Vec::new();
    for (daemon, engine) in cluster.daemons.iter().zip(engines) {
        let node = Node::new(format!("e{}", daemon.index), daemon.host_ip, Tier::Stratus);
        handles.push(NodeHandle {
            node,
            runtime: Arc::new(
                DockerRuntime::new(engine.clone(), owner)
                    .bind_host_ip(daemon.host_ip)
                    .nofile_limit(None),
            ),
        });
        foreign.push(DockerRuntime::new(engine, "someone-else").nofile_limit(None));
    }
    Engines { handles, foreign }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_survive_losing_an_engine_and_stale_ones_go_when_it_returns() {
    let tls = cfg!(feature = "docker-tls");
    if let Err(reason) = preflight(tls) {
        skip_without_docker(WHAT, &reason);
        return;
    }
    let busybox = Path::new("/bin/busybox");
    let images = BuildContext::busybox_httpd(busybox, "hello from a cluster\n")
        .and_then(|v1| BuildContext::busybox_httpd(busybox, "version two\n").map(|v2| (v1, v2)));
    let (v1, v2) = images.expect("read /bin/busybox");
    let started =
        Cluster::start_connected(3, tls.then_some(2), &[(&v1, IMAGE), (&v2, IMAGE_V2)]).await;
    let (mut cluster, engines) = match started {
        Ok(started) => started,
        Err(reason) => {
            skip_without_docker(WHAT, &format!("extra Docker daemons cannot run: {reason}"));
            return;
        }
    };
    let owner = format!("flux-rs-cluster-{}", std::process::id());
    let engines = nodes_of(&cluster, engines, &owner);
    for foreign in &engines.foreign {
        foreign
            .create_container(&foreign_spec())
            .await
            .expect("create the foreign container");
    }
    let ips: Vec<IpAddr> = cluster.daemons.iter().map(|d| d.host_ip).collect();
    let probes: Vec<Arc<DockerRuntime>> = engines
        .handles
        .iter()
        .map(|h| Arc::clone(&h.runtime))
        .collect();
    let config = ReconcileConfig {
        resync: Duration::from_millis(250),
        unreachable_grace: GRACE,
        error_backoff_base: Duration::from_millis(250),
        error_backoff_max: Duration::from_secs(2),
        rollout_pause: Duration::from_secs(1),
        engine_timeout: Duration::from_secs(5),
        ..ReconcileConfig::default()
    };
    let ctx = Arc::new(
        Context::new(engines.handles, PlacementPolicy::with_seed(3), config).expect("context"),
    );
    let controller = Arc::new(Controller::new(Arc::clone(&ctx)));
    let mut web = ComponentTemplate::new("web", IMAGE);
    web.ports.push(PortMapping {
        host_port: PORT,
        container_port: 80,
    });
    let app = AppDeployment::new(APP, 2, vec![web]);
    controller.apply(app.clone());
    let running = controller.spawn();

    // Two instances on two engines, each answering on its engine's address.
    let placed = || {
        ctx.status(APP)
            .map(|status| status.nodes)
            .unwrap_or_default()
    };
    let serving = |nodes: Vec<String>| {
        let ips = ips.clone();
        async move { nodes.len() == 2 && answering(&ips, &nodes, PORT, "hello").await == 2 }
    };
    let started = wait_for(Duration::from_secs(60), || serving(placed())).await;
    assert!(
        started.is_some(),
        "two instances never answered: {:?}",
        ctx.status(APP)
    );
    eprintln!("two instances answering after {started:?}");

    // A converged pass over three real engines (the loop is paused so passes do not overlap).
    running.stop().await.expect("stop the loop");
    let app = Arc::new(app);
    let mut times = Vec::new();
    for _ in 0..20 {
        let start = Instant::now();
        reconcile(Arc::clone(&app), Arc::clone(&ctx))
            .await
            .expect("a converged pass succeeds");
        times.push(start.elapsed());
    }
    times.sort();
    eprintln!(
        "converged pass over 3 real engines: median {:?}, max {:?}",
        times[times.len() / 2],
        times[times.len() - 1]
    );
    let running = controller.spawn();

    // Kill an engine that runs an instance (the TLS one when it does).
    let before: Vec<usize> = placed()
        .iter()
        .map(|n| n[1..].parse().expect("id"))
        .collect();
    let victim = if before.contains(&2) { 2 } else { before[0] };
    let survivor = *before.iter().find(|i| **i != victim).expect("two nodes");
    let killed_at = Instant::now();
    cluster.daemons[victim].kill();
    eprintln!(
        "killed daemon e{victim} ({})",
        cluster.daemons[victim].address
    );

    // The instance that never went down keeps answering, and the lost one comes back elsewhere.
    let mut survivor_misses = 0;
    let mut recovered = None;
    while killed_at.elapsed() < GRACE + Duration::from_secs(30) {
        if !answers(ips[survivor]).await {
            survivor_misses += 1;
        }
        let nodes = placed();
        if !nodes.contains(&format!("e{victim}")) && serving(nodes).await {
            recovered = Some(killed_at.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let recovered = recovered.unwrap_or_else(|| {
        panic!(
            "two instances did not answer again after e{victim} died: {:?}",
            ctx.status(APP)
        )
    });
    eprintln!(
        "engine death to 2 instances answering again: {recovered:?} (grace {GRACE:?}, goal grace + 5 s)"
    );
    assert!(recovered >= GRACE, "moved before the grace ended");
    assert_eq!(
        survivor_misses, 0,
        "the surviving instance stopped answering"
    );

    // The daemon returns with the old container; the loop removes it, and only it.
    cluster.daemons[victim]
        .restart()
        .expect("restart the daemon");
    let restarted = Instant::now();
    let answered = wait_for(Duration::from_secs(60), || async {
        owned_on(&probes[victim]).await.is_some()
    })
    .await
    .unwrap_or_else(|| {
        panic!(
            "e{victim} did not come back: {}",
            cluster.daemons[victim].log_tail()
        )
    });
    let mut most = 0;
    let mut removed = None;
    while restarted.elapsed() < Duration::from_secs(60) {
        let mut total = 0;
        for probe in &probes {
            total += owned_on(probe).await.unwrap_or(0);
        }
        most = most.max(total);
        if owned_on(&probes[victim]).await == Some(0) {
            removed = Some(restarted.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let removed = removed.expect("the stale container was never removed");
    eprintln!(
        "restarted e{victim} answered after {answered:?}; its stale container was gone {:?} after \
         the restart; most containers of the app seen at once: {most}",
        removed
    );
    assert!(most <= 3, "more than one excess container: {most}");
    let mut total = 0;
    for probe in &probes {
        total += owned_on(probe).await.expect("every engine answers");
    }
    assert_eq!(total, 2, "exactly two instances after the engine returned");
    assert!(serving(placed()).await, "both instances answer");
    for daemon in &cluster.daemons {
        assert!(
            daemon
                .container_names()
                .contains(&"fluxweb_hello-foreign".to_owned()),
            "the foreign container on e{} was touched",
            daemon.index
        );
    }

    // An app deleted while an engine is down is cleaned from that engine when it returns.
    let down = index(&placed()[0]);
    cluster.daemons[down].kill();
    controller.delete(APP);
    let others: Vec<usize> = (0..3).filter(|i| *i != down).collect();
    let cleaned = wait_for(Duration::from_secs(30), || async {
        for i in &others {
            if owned_on(&probes[*i]).await != Some(0) {
                return false;
            }
        }
        true
    })
    .await;
    assert!(
        cleaned.is_some(),
        "the reachable engines kept the deleted app"
    );
    assert!(
        controller.cleanup_pending(),
        "cleanup cannot be done while e{down} is down"
    );
    cluster.daemons[down].restart().expect("restart the daemon");
    let returned = Instant::now();
    let cleaned = wait_for(Duration::from_secs(60), || async {
        let containers = owned_on(&probes[down]).await;
        let networks = probes[down].list_networks().await.map(|n| n.len()).ok();
        containers == Some(0) && networks == Some(0) && !controller.cleanup_pending()
    })
    .await;
    eprintln!(
        "deleted while e{down} was down: cleaned from it {:?} after its restart",
        cleaned.map(|_| returned.elapsed())
    );
    if cleaned.is_none() {
        panic!(
            "e{down} kept the deleted app after it returned: containers {:?}, networks {:?}, \
             cleanup pending {}, engines {:?}; daemon log: {}",
            probes[down].list_containers().await,
            probes[down].list_networks().await,
            controller.cleanup_pending(),
            ctx.engines(),
            cluster.daemons[down].log_tail()
        );
    }

    // A rolling update across engines: never more than max_unavailable (1) of 2 instances down.
    let mut roll = ComponentTemplate::new("web", IMAGE);
    roll.ports.push(PortMapping {
        host_port: PORT_ROLL,
        container_port: 80,
    });
    controller.apply(AppDeployment::new(ROLL, 2, vec![roll.clone()]));
    let roll_nodes = || ctx.status(ROLL).map(|s| s.nodes).unwrap_or_default();
    let up = wait_for(Duration::from_secs(60), || {
        placed_and_answering(&ctx, &ips, ROLL, (PORT_ROLL, "hello"), 2)
    })
    .await;
    assert!(
        up.is_some(),
        "the second app never ran: {:?}",
        ctx.status(ROLL)
    );
    roll.image = IMAGE_V2.into();
    controller.apply(AppDeployment::new(ROLL, 2, vec![roll.clone()]));
    let rollout = Instant::now();
    let mut fewest = 2;
    loop {
        let nodes = roll_nodes();
        let old = answering(&ips, &nodes, PORT_ROLL, "hello").await;
        let new = answering(&ips, &nodes, PORT_ROLL, "version two").await;
        fewest = fewest.min(old + new);
        if new == 2 {
            break;
        }
        assert!(
            rollout.elapsed() < Duration::from_secs(60),
            "the rollout did not finish: {:?}",
            ctx.status(ROLL)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    eprintln!(
        "rolling update across engines took {:?}; fewest instances answering at once: {fewest} of 2",
        rollout.elapsed()
    );
    assert!(fewest >= 1, "more than max_unavailable instances were down");

    // A slow engine (its daemon stopped with SIGSTOP: it accepts connections and never answers)
    // counts as silent after the engine timeout, then its instance moves after the grace.
    let slow = index(&roll_nodes()[0]);
    cluster.daemons[slow].signal("STOP");
    let stopped = Instant::now();
    let moved = wait_for(Duration::from_secs(60), || async {
        let nodes = roll_nodes();
        !nodes.contains(&format!("e{slow}"))
            && nodes.len() == 2
            && answering(&ips, &nodes, PORT_ROLL, "version two").await == 2
    })
    .await;
    cluster.daemons[slow].signal("CONT");
    eprintln!(
        "engine stopped (SIGSTOP) to 2 other instances answering: {:?} (engine timeout 5 s, grace {GRACE:?})",
        moved.map(|_| stopped.elapsed())
    );
    assert!(
        moved.is_some(),
        "the slow engine kept its instance: {:?}",
        ctx.status(ROLL)
    );
    let resumed = wait_for(Duration::from_secs(30), || async {
        probes[slow]
            .list_containers()
            .await
            .is_ok_and(|all| all.iter().all(|c| c.app != ROLL))
    })
    .await;
    assert!(
        resumed.is_some(),
        "e{slow} kept its stale copy after it resumed"
    );

    // An engine that errors on every create: its image is gone (untagged; the running container
    // keeps its copy), then a spec change makes the rolling update recreate every instance.
    // After `install_failure_limit` failed passes the node is excluded and the instance moves.
    // Placement keeps an instance where it runs; the broken engine must be one the app prefers,
    // or the failed create alone would send the instance back to a preferred engine. A fresh
    // deployment lands on the preferred ones.
    controller.delete(ROLL);
    let removed = wait_for(Duration::from_secs(30), || async {
        !controller.cleanup_pending()
    })
    .await;
    assert!(removed.is_some(), "the second app was not removed");
    controller.apply(AppDeployment::new(ROLL, 2, vec![roll.clone()]));
    let up = wait_for(Duration::from_secs(60), || {
        placed_and_answering(&ctx, &ips, ROLL, (PORT_ROLL, "version two"), 2)
    })
    .await;
    assert!(
        up.is_some(),
        "the second app never ran again: {:?}",
        ctx.status(ROLL)
    );
    let broken = index(&roll_nodes()[0]);
    let others: Vec<String> = (0..3)
        .filter(|i| *i != broken)
        .map(|i| format!("e{i}"))
        .collect();
    probes[broken]
        .engine()
        .remove_image(IMAGE_V2)
        .await
        .expect("remove the image");
    roll.env.push("GENERATION=3".into());
    controller.apply(AppDeployment::new(ROLL, 2, vec![roll.clone()]));
    let broke = Instant::now();
    let rehomed = wait_for(Duration::from_secs(60), || async {
        let status = ctx.status(ROLL).unwrap_or_default();
        let mut nodes = status.nodes.clone();
        nodes.sort();
        status.excluded == [format!("e{broken}")]
            && nodes == others
            && status.ready == 2
            && status.outdated == 0
            && answering(&ips, &nodes, PORT_ROLL, "version two").await == 2
    })
    .await;
    eprintln!(
        "engine failing every create to 2 updated instances answering elsewhere: {:?}",
        rehomed.map(|_| broke.elapsed())
    );
    assert!(
        rehomed.is_some(),
        "the failing engine kept the instance: {:?}",
        ctx.status(ROLL)
    );
    controller.delete(ROLL);
    let cleaned = wait_for(Duration::from_secs(30), || async {
        !controller.cleanup_pending()
    })
    .await;
    assert!(cleaned.is_some(), "the second app was not removed");

    running.stop().await.expect("stop the loop");
    controller
        .remove_everything()
        .await
        .expect("nothing left to remove");
    let mut kept = BTreeSet::new();
    for daemon in &cluster.daemons {
        kept.extend(daemon.container_names());
    }
    assert_eq!(
        kept.into_iter().collect::<Vec<_>>(),
        ["fluxweb_hello-foreign"],
        "only the foreign containers remain"
    );
    drop(cluster);
}
