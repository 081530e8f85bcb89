//! `flux app validate|canonical|price`: output contracts and exit codes on the shared app-spec
//! vectors (FluxOS v8.17.0 verdicts, canonical strings and prices). `flux app run` on the local
//! Docker engine with a busybox image built here: instances answer HTTP, SIGINT stops it with
//! exit 0 and nothing left behind; a missing image is refused. Without Docker (or
//! `/bin/busybox`) the run tests print a `SKIPPED:` line and return, unless `FLUX_REQUIRE_DOCKER=1`.
//!
//! `flux app run --engine … --engine …` across three extra Docker daemons, one per node (one of
//! them `https://` with mutual TLS): each engine runs one instance that answers HTTP on its
//! node's address, stderr carries a line per engine, a SIGKILLed daemon shows up as silent on its
//! line, and Ctrl-C removes everything from every engine that still answers, exiting 1 with the
//! silent engine named.
#![allow(clippy::print_stderr)]

use std::io::Read;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use flux_apps::runtime::ContainerRuntime;
use flux_apps::runtime::docker::{BuildContext, DockerEngine, DockerRuntime};

mod common;
use common::docker::{http_get, skip_without_docker};
use common::flux;

// Extra Docker daemons, one per node, shared with flux-apps' engine-cluster test.
#[path = "../../flux-apps/tests/common/daemons.rs"]
mod daemons;
use daemons::{Cluster, KillOnDrop};

const VALID: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/vectors/app_specs.json"
);
const INVALID: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/vectors/app_specs_invalid.json"
);

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

fn load(path: &str) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Writes one spec to a temporary file and returns its path.
fn spec_file(dir: &tempfile::TempDir, name: &str, spec: &serde_json::Value) -> PathBuf {
    let path = dir.path().join(format!("{name}.json"));
    std::fs::write(&path, serde_json::to_string(spec).unwrap()).unwrap();
    path
}

#[test]
fn real_specs_validate_canonicalise_and_price_like_fluxos() {
    let dir = tempfile::tempdir().unwrap();
    let vectors = load(VALID);
    for entry in vectors["specs"].as_array().unwrap() {
        let id = entry["id"].as_str().unwrap();
        let eval = &entry["evaluation"];
        let height = eval["height"].to_string();
        let path = spec_file(&dir, id, &entry["spec"]);
        let path = path.to_str().unwrap();

        let out = flux(&["app", "validate", path, "--height", &height]);
        if eval["valid"].as_bool().unwrap() {
            assert_eq!(out.status.code(), Some(0), "{id}: {}", text(&out.stdout));
            assert_eq!(text(&out.stdout), "valid\n");
        } else {
            assert_eq!(out.status.code(), Some(1), "{id}");
            let first = text(&out.stdout)
                .lines()
                .next()
                .unwrap_or_default()
                .to_owned();
            assert_eq!(first, eval["error"].as_str().unwrap(), "{id}");
        }

        let out = flux(&["app", "canonical", path]);
        assert_eq!(out.status.code(), Some(0), "{id}");
        assert_eq!(
            text(&out.stdout),
            format!("{}\n", eval["canonical_json"].as_str().unwrap()),
            "{id}"
        );

        let out = flux(&["app", "price", path, "--height", &height, "--json"]);
        assert_eq!(out.status.code(), Some(0), "{id}: {}", text(&out.stderr));
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(
            json["price_per_month_flux"], eval["price_per_month_flux"],
            "{id}"
        );
        assert_eq!(
            json["min_registration_fee_flux"], eval["min_registration_fee_flux"],
            "{id}"
        );
    }
}

#[test]
fn mutations_exit_1_with_the_fluxos_message_first() {
    let dir = tempfile::tempdir().unwrap();
    let vectors = load(INVALID);
    for case in vectors["cases"].as_array().unwrap() {
        let id = case["id"].as_str().unwrap();
        let height = case["height"].to_string();
        let path = spec_file(&dir, id, &case["spec"]);
        let path = path.to_str().unwrap();
        let out = flux(&["app", "validate", path, "--height", &height]);
        let strict = flux(&["app", "validate", path, "--height", &height, "--strict"]);
        if case["expected"]["valid"].as_bool().unwrap() {
            assert_eq!(out.status.code(), Some(0), "{id}: {}", text(&out.stdout));
            let strict_code = if id.contains("_ACCEPTED") { 1 } else { 0 };
            assert_eq!(strict.status.code(), Some(strict_code), "{id}");
        } else {
            assert_eq!(out.status.code(), Some(1), "{id}");
            let stdout = text(&out.stdout);
            assert_eq!(
                stdout.lines().next(),
                case["expected"]["error"].as_str(),
                "{id}"
            );
            assert_eq!(strict.status.code(), Some(1), "{id}");
        }
    }
}

#[test]
fn every_violation_is_listed_one_per_line() {
    let dir = tempfile::tempdir().unwrap();
    let vectors = load(INVALID);
    let mut spec = vectors["cases"][0]["spec"].clone();
    spec["instances"] = 500.into();
    spec["contacts"] = serde_json::json!(["a", "b", "c", "d", "e", "f"]);
    let path = spec_file(&dir, "many", &spec);
    let out = flux(&["app", "validate", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(
        lines.contains(&"Maximum number of instances is 100"),
        "{stdout}"
    );
    assert!(lines.contains(&"Flux App name is too long. Maximum 32 characters allowed"));
    assert!(lines.contains(&"Too many contacts defined. Maximum of 5 allowed."));
}

#[test]
fn unusable_input_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let not_json = dir.path().join("bad.json");
    std::fs::write(&not_json, "{ not json").unwrap();
    let not_json = not_json.to_str().unwrap();
    let missing = dir.path().join("missing.json");
    let missing = missing.to_str().unwrap();
    for args in [
        vec!["app", "validate", not_json],
        vec!["app", "validate", missing],
        vec!["app", "canonical", not_json],
        vec!["app", "price", missing, "--json"],
    ] {
        let out = flux(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(text(&out.stderr).starts_with("error: "), "{args:?}");
        assert!(out.stdout.is_empty());
    }
}

const RUN_IMAGE: &str = "flux-rs-cli-test/busybox-httpd:1";
const RUN_PORT: u16 = 31_090;

/// True when Docker and busybox are there; otherwise says why (a failure under
/// `FLUX_REQUIRE_DOCKER=1`).
fn docker_or_skip() -> bool {
    let reason = if !Path::new("/bin/busybox").exists() {
        "no /bin/busybox (apt-get install busybox-static)".to_owned()
    } else {
        match Command::new("docker")
            .args(["info", "--format", "{{.ServerVersion}}"])
            .output()
        {
            Ok(out) if out.status.success() => return true,
            Ok(out) => format!(
                "no Docker engine reachable: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ),
            Err(error) => format!("no docker CLI: {error}"),
        }
    };
    skip_without_docker("the flux app run test", &reason);
    false
}

/// Builds a FROM-scratch image serving `body` with busybox httpd (nothing is pulled), through the
/// same engine API `flux app run` uses.
fn build_image(tag: &str, body: &str) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let engine = DockerEngine::local().await.expect("engine");
        let context = BuildContext::busybox_httpd(Path::new("/bin/busybox"), body).unwrap();
        engine
            .build_image(&context, tag)
            .await
            .expect("image build");
    });
}

fn run_spec(repotag: &str) -> serde_json::Value {
    named_run_spec("clihello", repotag, RUN_PORT)
}

fn named_run_spec(name: &str, repotag: &str, port: u16) -> serde_json::Value {
    serde_json::json!({
        "version": 8, "name": name, "description": "flux app run test",
        "owner": "1CbErtneaX2QVyUfwU7JGB7VzvPgrgc3uC",
        "compose": [{
            "name": "web", "description": "busybox httpd", "repotag": repotag,
            "ports": [port], "domains": [""], "environmentParameters": [], "commands": [],
            "containerPorts": [80], "containerData": "r:/data", "cpu": 0.1, "ram": 100, "hdd": 1,
            "repoauth": ""
        }],
        "instances": 3, "contacts": [], "geolocation": [], "expire": 22000, "nodes": [],
        "staticip": false, "enterprise": ""
    })
}

fn owned(owner: &str, kind: &str) -> Vec<String> {
    let filter = format!("label=io.flux-rs.owner={owner}");
    let args: Vec<&str> = match kind {
        "container" => vec!["ps", "-a", "--filter", &filter, "--format", "{{.Names}}"],
        "network" => vec![
            "network",
            "ls",
            "--filter",
            &filter,
            "--format",
            "{{.Name}}",
        ],
        _ => vec!["volume", "ls", "--filter", &filter, "--format", "{{.Name}}"],
    };
    let out = Command::new("docker").args(&args).output().expect("docker");
    text(&out.stdout).lines().map(str::to_owned).collect()
}

/// Starts `flux app run SPEC --owner OWNER` with stderr collected as it comes (to see the status
/// line).
fn spawn_run(
    spec: &Path,
    owner: &str,
) -> (
    std::process::Child,
    Arc<Mutex<String>>,
    std::thread::JoinHandle<()>,
) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_flux"))
        .args(["app", "run", spec.to_str().unwrap(), "--owner", owner])
        .stderr(Stdio::piped())
        .spawn()
        .expect("flux app run starts");
    let (stderr, reader) = collect_stderr(&mut child);
    (child, stderr, reader)
}

/// Sends SIGINT and waits (at most a minute) for the exit.
fn interrupt(child: &mut std::process::Child) -> std::process::ExitStatus {
    let signalled = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(signalled.success());
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "flux app run did not stop on SIGINT"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn app_run_serves_until_sigint_then_removes_everything() {
    if !docker_or_skip() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    build_image(RUN_IMAGE, "hello from flux app run\n");
    let spec = spec_file(&dir, "clihello", &run_spec(RUN_IMAGE));
    let owner = format!("flux-cli-test-{}", std::process::id());
    let (mut child, stderr, reader) = spawn_run(&spec, &owner);
    // Three instances on 127.0.0.11-13.
    let ips: Vec<IpAddr> = (11..14)
        .map(|last| IpAddr::V4(Ipv4Addr::new(127, 0, 0, last)))
        .collect();
    let started = Instant::now();
    let mut answering = false;
    while started.elapsed() < Duration::from_secs(60) {
        let bodies: Vec<Option<String>> = ips.iter().map(|ip| http_get(*ip, RUN_PORT)).collect();
        let ready_shown = stderr.lock().unwrap().contains("clihello: 3/3 ready");
        let all_answer = bodies.iter().all(|b| {
            b.as_deref()
                .is_some_and(|b| b.contains("hello from flux app run"))
        });
        if ready_shown && all_answer {
            answering = true;
            break;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("flux app run exited early with {status}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let containers = owned(&owner, "container");
    let status = interrupt(&mut child);
    reader.join().unwrap();
    let stderr = stderr.lock().unwrap().clone();
    eprintln!("{stderr}");
    assert!(
        answering,
        "three instances did not answer HTTP with a 3/3 ready status line"
    );
    assert_eq!(containers.len(), 3, "{containers:?}");
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("done"), "{stderr}");
    assert!(
        owned(&owner, "container").is_empty(),
        "containers left behind"
    );
    assert!(owned(&owner, "network").is_empty(), "networks left behind");
    assert!(owned(&owner, "volume").is_empty(), "volumes left behind");
    let _ = Command::new("docker").args(["rmi", RUN_IMAGE]).output();
}

#[test]
fn app_run_refuses_an_image_that_is_not_on_the_engine() {
    if !docker_or_skip() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let spec = spec_file(&dir, "absent", &run_spec("flux-rs-cli-test/never-built:1"));
    let out = flux(&["app", "run", spec.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("flux-rs-cli-test/never-built:1") && stderr.contains("nothing is pulled"),
        "{stderr}"
    );
}

#[test]
fn app_run_without_an_engine_exits_2_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let spec = spec_file(&dir, "noengine", &run_spec(RUN_IMAGE));
    let socket = dir.path().join("no-docker.sock");
    let out = Command::new(env!("CARGO_BIN_EXE_flux"))
        .args(["app", "run", spec.to_str().unwrap()])
        .env("DOCKER_HOST", format!("unix://{}", socket.display()))
        .output()
        .expect("flux runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("no Docker engine reachable"), "{stderr}");
}

#[test]
fn app_run_refuses_an_invalid_spec_before_touching_docker() {
    let dir = tempfile::tempdir().unwrap();
    let mut spec = run_spec(RUN_IMAGE);
    spec["compose"][0]["ports"] = serde_json::json!([22]);
    let path = spec_file(&dir, "badport", &spec);
    let out = flux(&["app", "run", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("Assigned port 22 is not allowed for Flux Apps"),
        "{stderr}"
    );
}

#[test]
fn an_early_sigint_still_cleans_up() {
    if !docker_or_skip() {
        return;
    }
    // Its own image, app name and port: it runs alongside the other run test.
    let image = "flux-rs-cli-test/busybox-httpd:early";
    build_image(image, "early\n");
    let dir = tempfile::tempdir().unwrap();
    let spec = spec_file(&dir, "cliearly", &named_run_spec("cliearly", image, 31_091));
    let owner = format!("flux-cli-early-{}", std::process::id());
    let (mut child, stderr, reader) = spawn_run(&spec, &owner);
    // Interrupt as soon as it says it runs, while the first containers are being made.
    let deadline = Instant::now() + Duration::from_secs(30);
    while !stderr.lock().unwrap().contains("Ctrl-C to stop") {
        assert!(Instant::now() < deadline, "flux app run did not start");
        std::thread::sleep(Duration::from_millis(10));
    }
    let status = interrupt(&mut child);
    reader.join().unwrap();
    let stderr = stderr.lock().unwrap().clone();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(owned(&owner, "container").is_empty(), "{stderr}");
    assert!(owned(&owner, "network").is_empty(), "{stderr}");
    assert!(owned(&owner, "volume").is_empty(), "{stderr}");
    let _ = Command::new("docker").args(["rmi", image]).output();
}

/// The image, port and name of the test across three extra Docker daemons (`--engine`).
const ENGINES_IMAGE: &str = "flux-rs-cli-test/busybox-httpd:engines";
const ENGINES_PORT: u16 = 31_190;
const ENGINES_TEST: &str = "the flux app run --engine test";

/// Polls `done` every 100 ms for up to `limit`.
fn wait_until(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

/// The process's stderr, collected as it comes, and the thread that collects it.
fn collect_stderr(
    child: &mut std::process::Child,
) -> (Arc<Mutex<String>>, std::thread::JoinHandle<()>) {
    let stderr = Arc::new(Mutex::new(String::new()));
    let mut pipe = child.stderr.take().expect("piped stderr");
    let sink = Arc::clone(&stderr);
    let reader = std::thread::spawn(move || {
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
    (stderr, reader)
}

#[test]
fn app_run_across_engines_shows_each_and_cleans_every_reachable_one() {
    let context =
        BuildContext::busybox_httpd(Path::new("/bin/busybox"), "hello engines\n").unwrap();
    let (runtime, mut cluster, engines) =
        match Cluster::start_blocking(3, Some(2), &[(&context, ENGINES_IMAGE)]) {
            Ok(started) => started,
            Err(reason) => {
                skip_without_docker(
                    ENGINES_TEST,
                    &format!("extra Docker daemons cannot run: {reason}"),
                );
                return;
            }
        };
    let dir = tempfile::tempdir().unwrap();
    let spec_path = spec_file(
        &dir,
        "cliengines",
        &named_run_spec("cliengines", ENGINES_IMAGE, ENGINES_PORT),
    );
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
    let (stderr, _reader) = collect_stderr(&mut child);
    let mut run = KillOnDrop(child);

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
    let serving = wait_until(Duration::from_secs(60), || {
        ips.iter().all(|ip| http_get(*ip, ENGINES_PORT).is_some())
    });
    let seen = stderr.lock().unwrap().clone();
    assert!(serving, "not every engine's instance answered:\n{seen}");
    for (i, daemon) in cluster.daemons.iter().enumerate() {
        let line = format!(
            "engine e{i} {}",
            daemon.address.url().replacen("tcp://", "https://", 1)
        );
        assert!(
            wait_until(Duration::from_secs(10), || stderr
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
        wait_until(Duration::from_secs(20), || {
            stderr
                .lock()
                .unwrap()
                .lines()
                .any(|l| l.starts_with("engine e0 ") && l.contains("no answer for"))
        }),
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
        wait_until(Duration::from_secs(60), || {
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
