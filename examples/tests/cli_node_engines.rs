//! `flux node --devnet --app-engine …`: each of the devnet's three fluxnodes runs the devnet app
//! on a Docker engine of its own (three extra daemons, one reached with mutual TLS), the
//! instance answering at the IP the fluxnode's CONFIRM announced; Ctrl-C removes them from every
//! engine. Skips like the other Docker tests (a failure under `FLUX_REQUIRE_DOCKER=1`).
#![allow(clippy::print_stderr)]

use std::net::IpAddr;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use flux_apps::runtime::ContainerRuntime;
use flux_apps::runtime::docker::{DockerEngine, DockerRuntime};

mod common;
use common::docker::{http_get, skip_without_docker};

#[path = "../../flux-apps/tests/common/daemons.rs"]
mod daemons;
use daemons::{Cluster, KillOnDrop};

const WHAT: &str = "the flux node --app-engine test";
/// The devnet app's port (examples/data/devnet_app.json).
const APP_PORT: u16 = 31_600;

#[test]
fn each_fluxnode_runs_the_app_on_its_own_engine() {
    let (runtime, cluster, engines) = match Cluster::start_blocking(3, Some(1), &[]) {
        Ok(started) => started,
        Err(reason) => {
            skip_without_docker(WHAT, &format!("extra Docker daemons cannot run: {reason}"));
            return;
        }
    };
    let dir = tempfile::tempdir().unwrap();
    let port = common::free_loopback_addr().port();
    let mut args: Vec<String> = vec![
        "node".into(),
        "--devnet".into(),
        "--block-interval-ms".into(),
        "200".into(),
        "--no-listen".into(),
        "--rpc-bind".into(),
        format!("127.0.0.1:{port}"),
        "--datadir".into(),
        dir.path().join("chain").display().to_string(),
    ];
    for daemon in &cluster.daemons {
        let engine = match daemon.address.tls() {
            Some(tls) => format!(
                "{},tls={}",
                daemon.address.url(),
                tls.ca.parent().expect("certificate directory").display()
            ),
            None => daemon.address.url().to_owned(),
        };
        args.extend(["--app-engine".into(), engine]);
    }
    let child = Command::new(env!("CARGO_BIN_EXE_flux"))
        .args(&args)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("flux node starts");
    let mut node = KillOnDrop(child);
    let owner = format!("flux-devnet-{}", node.0.id());

    // The fluxnodes announce 127.0.0.21, .22, .23; each instance answers there.
    let start = Instant::now();
    for last in [21, 22, 23] {
        let ip = IpAddr::from([127, 0, 0, last]);
        while !http_get(ip, APP_PORT).is_some_and(|r| r.contains("hello from the flux-rs devnet")) {
            assert!(
                start.elapsed() < Duration::from_secs(240),
                "no app instance answers on {ip}"
            );
            std::thread::sleep(Duration::from_millis(250));
        }
    }
    let per_engine = |engines: &[DockerEngine]| {
        runtime.block_on(async {
            let mut counts = Vec::new();
            for engine in engines {
                let mine = DockerRuntime::new(engine.clone(), owner.clone());
                counts.push(mine.list_containers().await.expect("list").len());
            }
            counts
        })
    };
    assert_eq!(per_engine(&engines), [1, 1, 1], "one instance per engine");

    let signalled = Command::new("kill")
        .args(["-INT", &node.0.id().to_string()])
        .status()
        .expect("kill");
    assert!(signalled.success());
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = node.0.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the node did not stop on SIGINT");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success(), "{status}");
    assert_eq!(
        per_engine(&engines),
        [0, 0, 0],
        "the node's containers outlived it"
    );
    drop(node);
    drop(cluster);
}
