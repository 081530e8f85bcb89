//! `flux app run --engine … --engine …` across three extra Docker daemons, one per node (one of
//! them `https://` with mutual TLS): each engine runs one instance that answers HTTP on its
//! node's address, stderr carries a line per engine, a SIGKILLed daemon shows up as silent
//! on its line, and Ctrl-C removes everything from every engine that still answers, exiting 1
//! with the silent engine named. Skips like the other Docker tests (a failure under
//! `FLUX_REQUIRE_DOCKER=1`).
#![allow(clippy::print_stderr)]

use std::io::Read;
use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use flux_apps::runtime::ContainerRuntime;
use flux_apps::runtime::docker::{BuildContext, DockerRuntime};

mod common;
use common::docker::{http_get, skip_without_docker};

#[path = "../../flux-apps/tests/common/daemons.rs"]
mod daemons;
use daemons::{Cluster, preflight};

const IMAGE: &str = "flux-rs-cli-test/busybox-httpd:engines";
const PORT: u16 = 31_190;
const WHAT: &str = "the flux app run --engine test";

fn spec() -> serde_json::Value {
    serde_json::json!({
        "version": 8, "name": "cliengines", "description": "flux app run --engine test",
        "owner": "1CbErtneaX2QVyUfwU7JGB7VzvPgrgc3uC",
        "compose": [{
            "name": "web", "description": "busybox httpd", "repotag": IMAGE,
            "ports": [PORT], "domains": [""], "environmentParameters": [], "commands": [],
            "containerPorts": [80], "containerData": "/data", "cpu": 0.1, "ram": 100, "hdd": 1,
            "repoauth": ""
        }],
        "instances": 3, "contacts": [], "geolocation": [], "expire": 22000, "nodes": [],
        "staticip": false, "enterprise": ""
    })
}

/// Polls `done` every 100 ms for up to `limit`.
fn wait_for(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

/// The process's stderr, collected as it comes.
fn collect_stderr(child: &mut Child) -> Arc<Mutex<String>> {
    let stderr = Arc::new(Mutex::new(String::new()));
    let mut pipe = child.stderr.take().expect("piped stderr");
    let sink = Arc::clone(&stderr);
    std::thread::spawn(move || {
        let mut buffer = [0u8; 1024];
        while let Ok(n) = pipe.read(&mut buffer) {
            if n == 0 {
                break;
            }
            sink.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&buffer[..n]));
        }
    });
    stderr
}

/// Kills the child on drop, so a failing test leaves no `flux app run` behind.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

#[test]
fn app_run_across_engines_shows_each_and_cleans_every_reachable_one() {
    if let Err(reason) = preflight(true) {
        skip_without_docker(WHAT, &reason);
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let started = runtime.block_on(async {
        let mut cluster = Cluster::start(3, Some(2)).await?;
        let context = BuildContext::busybox_httpd(Path::new("/bin/busybox"), "hello engines\n")
            .map_err(|e| e.to_string())?;
        let mut engines = Vec::new();
        for daemon in &mut cluster.daemons {
            let engine = daemon.connect().await?;
            engine
                .build_image(&context, IMAGE)
                .await
                .map_err(|e| e.to_string())?;
            engines.push(engine);
        }
        Ok::<_, String>((cluster, engines))
    });
    let (mut cluster, engines) = match started {
        Ok(started) => started,
        Err(reason) => {
            skip_without_docker(WHAT, &format!("extra Docker daemons cannot run: {reason}"));
            return;
        }
    };
    let dir = tempfile::tempdir().unwrap();
    let spec_path = dir.path().join("cliengines.json");
    std::fs::write(&spec_path, spec().to_string()).unwrap();
    let owner = format!("flux-cli-engines-{}", std::process::id());
    let mut args: Vec<String> = vec![
        "app".into(),
        "run".into(),
        spec_path.display().to_string(),
        "--owner".into(),
        owner.clone(),
        "--unreachable-grace".into(),
        "2".into(),
    ];
    for daemon in &cluster.daemons {
        let url = match daemon.address.tls() {
            Some(tls) => {
                let dir = tls.ca.parent().expect("certificate directory");
                args.extend(["--tls-dir".into(), dir.display().to_string()]);
                daemon.address.url().replacen("tcp://", "https://", 1)
            }
            None => daemon.address.url().to_owned(),
        };
        args.extend(["--engine".into(), url]);
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_flux"))
        .args(&args)
        .stderr(Stdio::piped())
        .spawn()
        .expect("flux app run starts");
    let stderr = collect_stderr(&mut child);
    let mut run = Running(child);

    // Where each node publishes: a socket engine's node gets 127.0.0.11 + its position, a TCP
    // engine's node the engine's host.
    let ips: Vec<IpAddr> = cluster
        .daemons
        .iter()
        .map(|d| match d.address.host() {
            Some(host) => host.parse().expect("an IP host"),
            None => IpAddr::V4(Ipv4Addr::new(
                127,
                0,
                0,
                11 + u8::try_from(d.index).unwrap(),
            )),
        })
        .collect();
    let serving = wait_for(Duration::from_secs(60), || {
        ips.iter().all(|ip| http_get(*ip, PORT).is_some())
    });
    let seen = stderr.lock().unwrap().clone();
    assert!(serving, "not every engine's instance answered:\n{seen}");
    for (i, daemon) in cluster.daemons.iter().enumerate() {
        let line = format!(
            "engine e{i} {}",
            daemon.address.url().replacen("tcp://", "https://", 1)
        );
        assert!(
            wait_for(Duration::from_secs(10), || stderr
                .lock()
                .unwrap()
                .lines()
                .any(
                    |l| l.starts_with(&line) && l.contains("cliengines 1/1 running")
                )),
            "no running line for e{i}:\n{}",
            stderr.lock().unwrap()
        );
    }

    // A daemon dies: its line says so.
    cluster.daemons[0].kill();
    assert!(
        wait_for(Duration::from_secs(20), || stderr
            .lock()
            .unwrap()
            .lines()
            .any(
                |l| l.starts_with("engine e0 ") && l.contains("no answer for")
            )),
        "e0's line never showed it silent:\n{}",
        stderr.lock().unwrap()
    );

    // Ctrl-C: the two engines that answer are emptied; e0 cannot be, and the exit says so.
    let signalled = Command::new("kill")
        .args(["-INT", &run.0.id().to_string()])
        .status()
        .expect("kill");
    assert!(signalled.success());
    let mut status = None;
    assert!(
        wait_for(Duration::from_secs(60), || {
            status = run.0.try_wait().unwrap();
            status.is_some()
        }),
        "flux app run did not stop on SIGINT"
    );
    let seen = stderr.lock().unwrap().clone();
    assert_eq!(status.and_then(|s| s.code()), Some(1), "{seen}");
    assert!(seen.contains("cleanup incomplete"), "{seen}");
    assert!(
        seen.contains("node e0"),
        "the silent engine is named:\n{seen}"
    );
    runtime.block_on(async {
        for (i, engine) in engines.iter().enumerate().skip(1) {
            let mine = DockerRuntime::new(engine.clone(), owner.clone());
            let containers = mine.list_containers().await.expect("list");
            let networks = mine.list_networks().await.expect("list");
            assert!(
                containers.is_empty() && networks.is_empty(),
                "e{i} kept {containers:?} {networks:?}"
            );
        }
    });
    drop(run);
    drop(cluster);
}
