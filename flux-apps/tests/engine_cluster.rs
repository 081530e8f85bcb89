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
const PORT: u16 = 31_180;
const APP: &str = "hello";
const GRACE: Duration = Duration::from_secs(3);
const WHAT: &str = "the three-engine cluster test";

/// Whether the instance on `ip` answers, off the async workers (the probe blocks).
async fn answers(ip: IpAddr) -> bool {
    tokio::task::spawn_blocking(move || http_get(ip, PORT).is_some())
        .await
        .unwrap_or(false)
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

/// The three engines' nodes with the test's owner, and one runtime per engine owned by someone
/// else.
struct Engines {
    handles: Vec<NodeHandle<DockerRuntime>>,
    foreign: Vec<DockerRuntime>,
}

async fn connect_all(cluster: &mut Cluster, owner: &str) -> Result<Engines, String> {
    let mut handles = Vec::new();
    let mut foreign = Vec::new();
    let context = BuildContext::busybox_httpd(Path::new("/bin/busybox"), "hello from a cluster\n")
        .map_err(|e| format!("read busybox: {e}"))?;
    for daemon in &mut cluster.daemons {
        let engine: DockerEngine = daemon.connect().await?;
        engine
            .build_image(&context, IMAGE)
            .await
            .map_err(|e| format!("build on {}: {e}", daemon.address))?;
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
    Ok(Engines { handles, foreign })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_survive_losing_an_engine_and_stale_ones_go_when_it_returns() {
    let tls = cfg!(feature = "docker-tls");
    if let Err(reason) = preflight(tls) {
        skip_without_docker(WHAT, &reason);
        return;
    }
    let mut cluster = match Cluster::start(3, tls.then_some(2)).await {
        Ok(cluster) => cluster,
        Err(reason) => {
            skip_without_docker(
                WHAT,
                &format!("extra Docker daemons cannot start: {reason}"),
            );
            return;
        }
    };
    let owner = format!("flux-rs-cluster-{}", std::process::id());
    let engines = match connect_all(&mut cluster, &owner).await {
        Ok(engines) => engines,
        Err(reason) => {
            skip_without_docker(WHAT, &format!("extra Docker daemons cannot run: {reason}"));
            return;
        }
    };
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
        async move {
            if nodes.len() != 2 {
                return false;
            }
            for node in &nodes {
                let index: usize = node[1..].parse().expect("node id e<N>");
                if !answers(ips[index]).await {
                    return false;
                }
            }
            true
        }
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
    let down: usize = placed()[0][1..].parse().expect("id");
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
