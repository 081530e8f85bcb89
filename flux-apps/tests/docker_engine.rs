//! The reconcile loop on the local Docker engine: an app of 3 instances on 3 simulated nodes (one
//! per loopback address), each answering HTTP; a killed container comes back; a new image is
//! rolled out one instance at a time; deleting the app removes every container, network and
//! volume it made.
//!
//! Without a reachable engine (or without `/bin/busybox`, Debian's busybox-static) the test prints
//! a `SKIPPED:` line and returns; with `FLUX_REQUIRE_DOCKER=1` (as in CI) it fails instead.
#![cfg(feature = "docker")]
#![allow(clippy::print_stderr)]

use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use flux_apps::placement::{Node, PlacementPolicy, Tier};
use flux_apps::reconcile::{
    AppDeployment, ComponentTemplate, Context, Controller, NodeHandle, ReconcileConfig,
};
use flux_apps::runtime::docker::{BuildContext, DockerEngine, DockerRuntime};
use flux_apps::runtime::{LABEL_OWNER, PortMapping};

mod common;
use common::docker::{http_get, skip_without_docker};

const IMAGE: &str = "flux-rs-test/busybox-httpd:1";
const IMAGE_V2: &str = "flux-rs-test/busybox-httpd:2";
const PORT: u16 = 31_080;

/// The local engine, or `None` after saying why the test cannot run here (a failure under
/// `FLUX_REQUIRE_DOCKER=1`).
async fn engine_or_skip() -> Option<DockerEngine> {
    let reason = if !Path::new("/bin/busybox").exists() {
        "no /bin/busybox (apt-get install busybox-static)".to_owned()
    } else {
        match DockerEngine::local().await {
            Ok(engine) => return Some(engine),
            Err(error) => format!("no Docker engine reachable: {error}"),
        }
    };
    skip_without_docker("the Docker engine test", &reason);
    None
}

async fn wait_until(limit: Duration, mut done: impl FnMut() -> bool) -> Option<Duration> {
    let start = Instant::now();
    while start.elapsed() < limit {
        if done() {
            return Some(start.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    None
}

fn docker_names(filter: &str, kind: &str) -> Vec<String> {
    let args: Vec<&str> = match kind {
        "container" => vec!["ps", "-a", "--filter", filter, "--format", "{{.Names}}"],
        "network" => vec!["network", "ls", "--filter", filter, "--format", "{{.Name}}"],
        _ => vec!["volume", "ls", "--filter", filter, "--format", "{{.Name}}"],
    };
    let out = Command::new("docker")
        .args(&args)
        .output()
        .expect("docker CLI");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .filter(|l| !l.is_empty())
        .collect()
}

/// Removes every container, network and volume labelled with the test's owner when dropped, so a
/// run that fails half-way does not leave instances holding the test's addresses for the next run.
/// After a passing run there is nothing left to remove.
struct Leftovers(String);

impl Drop for Leftovers {
    fn drop(&mut self) {
        for (kind, remove) in [
            ("container", ["rm", "-f"].as_slice()),
            ("network", ["network", "rm"].as_slice()),
            ("volume", ["volume", "rm", "-f"].as_slice()),
        ] {
            let names = docker_names(&self.0, kind);
            if !names.is_empty() {
                let _ = Command::new("docker").args(remove).args(&names).output();
            }
        }
    }
}

/// When a container was created, as seconds since midnight UTC (the test runs in well under a day;
/// a rollout across midnight would fail the spacing check, not pass it wrongly).
fn created_seconds(container: &str) -> f64 {
    let out = Command::new("docker")
        .args(["inspect", "--format", "{{.Created}}", container])
        .output()
        .expect("docker inspect");
    let text = String::from_utf8_lossy(&out.stdout);
    // 2026-12-01T03:40:01.123456789Z
    let time = text
        .trim()
        .split('T')
        .nth(1)
        .unwrap_or_default()
        .trim_end_matches('Z');
    let mut parts = time.split(':');
    let mut field = || {
        parts
            .next()
            .and_then(|p| p.parse::<f64>().ok())
            .unwrap_or(f64::NAN)
    };
    let (hours, minutes, seconds) = (field(), field(), field());
    assert!(
        seconds.is_finite(),
        "unreadable creation time {text:?} of {container}"
    );
    hours * 3600.0 + minutes * 60.0 + seconds
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_instances_answer_http_recover_and_clean_up() {
    let Some(engine) = engine_or_skip().await else {
        return;
    };
    let context = BuildContext::busybox_httpd(Path::new("/bin/busybox"), "hello from flux-rs\n")
        .expect("read busybox");
    engine
        .build_image(&context, IMAGE)
        .await
        .expect("build the image");
    let context_v2 = BuildContext::busybox_httpd(Path::new("/bin/busybox"), "version two\n")
        .expect("read busybox");
    engine
        .build_image(&context_v2, IMAGE_V2)
        .await
        .expect("build the second image");

    let owner = format!("flux-rs-test-{}", std::process::id());
    let _leftovers = Leftovers(format!("label={LABEL_OWNER}={owner}"));
    let ips: Vec<IpAddr> = (11..14)
        .map(|last| IpAddr::V4(Ipv4Addr::new(127, 0, 0, last)))
        .collect();
    let nodes = ips
        .iter()
        .enumerate()
        .map(|(i, ip)| NodeHandle {
            node: Node::new(format!("node{i}"), *ip, Tier::Stratus),
            runtime: Arc::new(
                DockerRuntime::new(engine.clone(), owner.clone())
                    .scoped(format!("node{i}"))
                    .bind_host_ip(*ip)
                    // This machine's hard nofile limit (20,000) is below FluxOS's 100,000.
                    .nofile_limit(None),
            ),
        })
        .collect();
    let config = ReconcileConfig {
        resync: Duration::from_millis(200),
        // The loop counts an instance as up once its container runs; busybox httpd needs a moment
        // more before it answers, longer on a loaded CI host. The pause between rolling-update
        // steps covers that, so "at most one instance silent" holds at the HTTP level too.
        rollout_pause: Duration::from_secs(2),
        max_unavailable: 1,
        ..ReconcileConfig::default()
    };
    let ctx = Context::new(nodes, PlacementPolicy::with_seed(7), config).expect("context");
    let controller = Arc::new(Controller::new(Arc::new(ctx)));
    let mut web = ComponentTemplate::new("web", IMAGE);
    web.ports.push(PortMapping {
        host_port: PORT,
        container_port: 80,
    });
    controller.apply(AppDeployment::new("hello", 3, vec![web.clone()]));

    let running = controller.spawn();

    let all_answer = || ips.iter().all(|ip| http_get(*ip, PORT).is_some());
    let took = wait_until(Duration::from_secs(60), all_answer).await;
    assert!(took.is_some(), "three instances did not answer HTTP");
    let body = http_get(ips[0], PORT).unwrap_or_default();
    assert!(body.contains("hello from flux-rs"), "{body}");

    // Kill one container behind the loop's back: it must come back.
    let owner_filter = format!("label={LABEL_OWNER}={owner}");
    let victim = docker_names(&owner_filter, "container")
        .into_iter()
        .find(|name| name.ends_with(".node0"))
        .expect("node0 runs a container");
    let killed = Command::new("docker")
        .args(["kill", &victim])
        .output()
        .expect("docker kill");
    assert!(killed.status.success());
    let restored = wait_until(Duration::from_secs(20), || http_get(ips[0], PORT).is_some()).await;
    eprintln!("killed container answered again after {restored:?}");
    assert!(restored.is_some(), "the killed instance was not restored");

    // Rolling update to a new image: each instance is replaced and serves the new body, one at a
    // time (never more than one instance silent or half-way).
    let before_update = docker_names(&owner_filter, "container");
    let mut web_v2 = web;
    web_v2.image = IMAGE_V2.to_owned();
    controller.apply(AppDeployment::new("hello", 3, vec![web_v2]));
    let started = Instant::now();
    let mut updated_at: Vec<Option<Duration>> = vec![None; ips.len()];
    let mut most_down = 0;
    let rolled = wait_until(Duration::from_secs(30), || {
        let bodies: Vec<Option<String>> = ips.iter().map(|ip| http_get(*ip, PORT)).collect();
        let down = bodies.iter().filter(|b| b.is_none()).count();
        most_down = most_down.max(down);
        for (slot, body) in updated_at.iter_mut().zip(&bodies) {
            let new = body.as_deref().is_some_and(|b| b.contains("version two"));
            if new && slot.is_none() {
                *slot = Some(started.elapsed());
            }
            // Once updated, an instance never goes back to the old content.
            assert!(
                slot.is_none() || body.as_deref().is_none_or(|b| !b.contains("hello from")),
                "an updated instance serves the old body again"
            );
        }
        updated_at.iter().all(Option::is_some)
    })
    .await;
    eprintln!(
        "rolled out in {rolled:?}; instances updated at {updated_at:?}; most down at once {most_down}"
    );
    assert!(
        rolled.is_some(),
        "the new image was not rolled out everywhere"
    );
    assert!(most_down <= 1, "{most_down} instances down at once");
    // The replacements happened one pass apart: creation times at least most of a rollout pause
    // apart (HTTP sampling alone cannot tell, a half-replaced instance may hold a request open).
    let after_update = docker_names(&owner_filter, "container");
    let mut created: Vec<f64> = after_update
        .iter()
        .map(|name| created_seconds(name))
        .collect();
    created.sort_by(f64::total_cmp);
    eprintln!("new containers created at {created:?} (seconds of the day)");
    assert!(
        created.windows(2).all(|pair| pair[1] - pair[0] >= 0.5),
        "instances were replaced together: {created:?}"
    );
    assert_eq!(after_update.len(), 3, "{after_update:?}");
    let status = controller.context().status("hello").expect("status");
    assert_eq!((status.ready, status.outdated), (3, 0), "{status}");
    assert_eq!(before_update.len(), 3);

    controller.delete("hello");
    let cleaned = wait_until(Duration::from_secs(30), || {
        !controller.cleanup_pending() && docker_names(&owner_filter, "container").is_empty()
    })
    .await;
    let _ = running.stop().await;
    assert!(cleaned.is_some(), "containers left behind");
    assert!(
        docker_names(&owner_filter, "network").is_empty(),
        "networks left behind"
    );
    assert!(
        docker_names(&owner_filter, "volume").is_empty(),
        "volumes left behind"
    );
    let _ = engine.remove_image(IMAGE).await;
    let _ = engine.remove_image(IMAGE_V2).await;
}
