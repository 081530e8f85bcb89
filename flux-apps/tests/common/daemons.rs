//! Extra Docker daemons for the tests that need several real engines (one per fluxnode, as on
//! Flux). Each daemon gets its own data root, exec root, socket, pid file, address pool and an
//! empty config file (the machine's `/etc/docker/daemon.json` names a data root and would clash),
//! no default bridge and no iptables rules, so it leaves the machine's own engine and firewall
//! alone. One of them can listen on TCP with mutual TLS, with certificates made for the run by
//! the `openssl` command (Debian's `openssl` package; see `generate_tls`).
//!
//! [`Cluster`] tears everything down when dropped, also when a test fails half-way: containers
//! and networks through each daemon's API (the `docker` CLI), then the daemons (SIGTERM, then
//! SIGKILL), the containerd shims they left, the mounts under the run's directory, the directory.
// Each test crate that includes this file uses only part of it.
#![allow(dead_code)]

use std::fs;
use std::io::Write as _;
use std::net::{IpAddr, Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use flux_apps::runtime::address::{EngineAddress, TlsFiles};
use flux_apps::runtime::docker::{BuildContext, DockerEngine};

/// Where the daemon binary is on Debian (`docker.io`).
const DOCKERD: &str = "/usr/sbin/dockerd";

/// How long a daemon may take to answer after it was started.
const START_LIMIT: Duration = Duration::from_secs(60);

/// How many times a daemon is started before it counts as unable to start.
const START_ATTEMPTS: u32 = 3;

/// How long a daemon may take to stop after SIGTERM before it is killed.
const STOP_LIMIT: Duration = Duration::from_secs(20);

/// What the cluster needs from the machine, or why it cannot run here.
pub fn preflight(with_tls: bool) -> Result<(), String> {
    if !Path::new(DOCKERD).exists() {
        return Err(format!("no {DOCKERD} (apt-get install docker.io)"));
    }
    let status = fs::read_to_string("/proc/self/status").unwrap_or_default();
    let root = status
        .lines()
        .find_map(|line| line.strip_prefix("Uid:"))
        .and_then(|ids| ids.split_whitespace().next())
        == Some("0");
    if !root {
        return Err("extra Docker daemons need root".into());
    }
    if !Path::new("/bin/busybox").exists() {
        return Err("no /bin/busybox (apt-get install busybox-static)".into());
    }
    if with_tls && !command_works("openssl", &["version"]) {
        return Err("no openssl command for the TLS engine's certificates".into());
    }
    if !command_works("docker", &["--version"]) {
        return Err("no docker command (used to tear the daemons' objects down)".into());
    }
    Ok(())
}

fn command_works(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

fn run(program: &str, args: &[&str], dir: &Path) -> Result<(), String> {
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .map_err(|e| format!("{program}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{program} {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// A CA, a server certificate for `ip` and a client certificate, as Docker's "protect the daemon
/// socket" guide makes them, in `dir`: `ca.pem`, `server-cert.pem`, `server-key.pem`, and the
/// client's `cert.pem`, `key.pem` (the names [`TlsFiles::in_dir`] reads). P-256 keys, one day.
///
/// The `openssl` command rather than a certificate crate: the test needs three certificates, the
/// command is one Debian package away in CI, and the workspace gains no dependency (rcgen would
/// bring its own crypto backend beside the one bollard's rustls already builds).
fn generate_tls(dir: &Path, ip: IpAddr) -> Result<(), String> {
    fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let key = |name: &str| {
        run(
            "openssl",
            &[
                "genpkey",
                "-algorithm",
                "EC",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-out",
                name,
            ],
            dir,
        )
    };
    key("ca-key.pem")?;
    run(
        "openssl",
        &[
            "req",
            "-x509",
            "-new",
            "-key",
            "ca-key.pem",
            "-days",
            "1",
            "-subj",
            "/CN=flux-rs test CA",
            "-out",
            "ca.pem",
        ],
        dir,
    )?;
    let extensions = [
        (
            "server",
            format!("subjectAltName=IP:{ip}\nextendedKeyUsage=serverAuth\n"),
        ),
        ("client", "extendedKeyUsage=clientAuth\n".to_owned()),
    ];
    for (role, ext) in extensions {
        let (key_file, cert_file) = match role {
            "server" => ("server-key.pem", "server-cert.pem"),
            _ => ("key.pem", "cert.pem"),
        };
        key(key_file)?;
        let csr = format!("{role}.csr");
        let ext_file = format!("{role}.ext");
        fs::write(dir.join(&ext_file), ext).map_err(|e| e.to_string())?;
        run(
            "openssl",
            &[
                "req",
                "-new",
                "-key",
                key_file,
                "-subj",
                &format!("/CN=flux-rs test {role}"),
                "-out",
                &csr,
            ],
            dir,
        )?;
        run(
            "openssl",
            &[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca-key.pem",
                "-CAcreateserial",
                "-days",
                "1",
                "-extfile",
                &ext_file,
                "-out",
                cert_file,
            ],
            dir,
        )?;
    }
    Ok(())
}

/// One extra daemon.
pub struct Daemon {
    /// Its index in the cluster.
    pub index: usize,
    /// How the tests reach it.
    pub address: EngineAddress,
    /// The loopback address its containers publish their ports on (the node's IP).
    pub host_ip: IpAddr,
    root: PathBuf,
    args: Vec<String>,
    child: Option<Child>,
    /// `docker` CLI arguments that reach this daemon (`-H …` and TLS flags).
    cli: Vec<String>,
}

impl Daemon {
    fn spawn(&mut self) -> Result<(), String> {
        let log = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.root.join("dockerd.log"))
            .map_err(|e| e.to_string())?;
        let err = log.try_clone().map_err(|e| e.to_string())?;
        let child = Command::new(DOCKERD)
            .args(&self.args)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(err)
            .spawn()
            .map_err(|e| format!("cannot start {DOCKERD}: {e}"))?;
        self.child = Some(child);
        Ok(())
    }

    /// Waits until the daemon answers and returns a connection to it. A daemon that gives up
    /// while starting is started again, up to [`START_ATTEMPTS`] times in all.
    pub async fn connect(&mut self) -> Result<DockerEngine, String> {
        let start = Instant::now();
        let mut attempts = 1;
        loop {
            if let Some(child) = &mut self.child
                && let Ok(Some(status)) = child.try_wait()
            {
                self.child = None;
                if attempts >= START_ATTEMPTS {
                    return Err(format!(
                        "daemon {} exited ({status}) while starting, {attempts} times: {}",
                        self.index,
                        self.log_tail()
                    ));
                }
                attempts += 1;
                self.wait_for_old_containerd();
                self.spawn()?;
            }
            match DockerEngine::connect_to(&self.address).await {
                Ok(engine) => return Ok(engine),
                Err(error) if start.elapsed() > START_LIMIT => {
                    return Err(format!(
                        "daemon {} did not answer within {START_LIMIT:?}: {error}; {}",
                        self.index,
                        self.log_tail()
                    ));
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }

    /// The last lines of the daemon's log, for error messages.
    pub fn log_tail(&self) -> String {
        let log = fs::read_to_string(self.root.join("dockerd.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(8)..].join("\n")
    }

    /// Kills the daemon with SIGKILL (its containerd goes with it; container processes and
    /// their shims stay, as after a crash) and reaps it.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            // `Child::kill` is SIGKILL on Unix.
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Sends the daemon `signal` (`STOP`, `CONT`, …) with the `kill` command.
    pub fn signal(&self, signal: &str) {
        if let Some(child) = &self.child {
            let _ = Command::new("kill")
                .args([&format!("-{signal}"), &child.id().to_string()])
                .status();
        }
    }

    /// Starts the daemon again with the same data root (its old containers are still there).
    pub fn restart(&mut self) -> Result<(), String> {
        self.kill();
        self.wait_for_old_containerd();
        self.spawn()
    }

    /// Waits (up to 10 s) until the containerd of the previous run has left the process table.
    /// Right after a SIGKILL it can linger as a zombie for a moment, and dockerd, seeing its pid
    /// in `exec-root/containerd/containerd.pid` alive, then waits for it instead of starting a
    /// new one, and gives up ("timeout waiting for containerd to start").
    fn wait_for_old_containerd(&self) {
        let pid_file = self.root.join("exec/containerd/containerd.pid");
        let Some(pid) = fs::read_to_string(pid_file)
            .ok()
            .and_then(|text| text.trim().parse::<u32>().ok())
        else {
            return;
        };
        let start = Instant::now();
        while Path::new(&format!("/proc/{pid}")).exists()
            && start.elapsed() < Duration::from_secs(10)
        {
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Container names on the daemon (all of them, any owner), through the `docker` CLI.
    pub fn container_names(&self) -> Vec<String> {
        self.docker_lines(&["ps", "-a", "--format", "{{.Names}}"])
    }

    fn docker_lines(&self, args: &[&str]) -> Vec<String> {
        Command::new("docker")
            .args(&self.cli)
            .args(args)
            .output()
            .map(|out| {
                String::from_utf8_lossy(&out.stdout)
                    .lines()
                    .filter(|l| !l.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Removes every container and user-defined network on the daemon, so that stopping it
    /// leaves no bridge interface on the host.
    fn empty(&self) {
        let ids = self.docker_lines(&["ps", "-aq"]);
        if !ids.is_empty() {
            let _ = Command::new("docker")
                .args(&self.cli)
                .args(["rm", "-f"])
                .args(&ids)
                .output();
        }
        let _ = Command::new("docker")
            .args(&self.cli)
            .args(["network", "prune", "-f"])
            .output();
    }

    /// SIGTERM, then SIGKILL after [`STOP_LIMIT`].
    fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let start = Instant::now();
        while start.elapsed() < STOP_LIMIT {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// Several extra daemons and the directory that holds all of their state.
pub struct Cluster {
    /// The daemons.
    pub daemons: Vec<Daemon>,
    root: PathBuf,
    /// The first octet after `10.` of each daemon's address pool.
    pools: Vec<u32>,
}

impl Cluster {
    /// Starts `count` daemons; daemon `tls_index`, if any, listens on TCP with mutual TLS only,
    /// the others on a unix socket. Every daemon's containers publish on a loopback address of
    /// their own (127.77.x.1, .2, …, x from the process id so parallel runs do not meet).
    ///
    /// # Errors
    ///
    /// Why a daemon could not be set up or started (with the end of its log).
    pub async fn start(count: usize, tls_index: Option<usize>) -> Result<Cluster, String> {
        let pid = std::process::id();
        let root = std::env::temp_dir().join(format!("flux-rs-engines-{pid}"));
        let _ = fs::remove_dir_all(&root);
        fs::create_dir_all(&root).map_err(|e| format!("{}: {e}", root.display()))?;
        let mut cluster = Cluster {
            daemons: Vec::new(),
            root: root.clone(),
            pools: Vec::new(),
        };
        let subnet = u8::try_from(pid % 250).unwrap_or(0) + 1;
        // Address pools 10.P.0.0/16 apart per daemon and per run, clear of the usual 172.x pools.
        let pool_base = 100 + (pid % 40) * 3;
        for index in 0..count {
            let dir = root.join(format!("e{index}"));
            fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
            let config = dir.join("daemon.json");
            fs::File::create(&config)
                .and_then(|mut file| file.write_all(b"{}\n"))
                .map_err(|e| e.to_string())?;
            let pool = pool_base + index as u32;
            cluster.pools.push(pool);
            let octet = u8::try_from(index + 1).unwrap_or(u8::MAX);
            let host_ip = IpAddr::V4(Ipv4Addr::new(127, 77, subnet, octet));
            let path = |name: &str| dir.join(name).display().to_string();
            let mut args: Vec<String> = vec![
                "--config-file".into(),
                path("daemon.json"),
                "--data-root".into(),
                path("data"),
                "--exec-root".into(),
                path("exec"),
                "--pidfile".into(),
                path("dockerd.pid"),
                "--bridge".into(),
                "none".into(),
                "--iptables=false".into(),
                "--ip6tables=false".into(),
                "--ip-forward=false".into(),
                "--ip-masq=false".into(),
                "--default-address-pool".into(),
                format!("base=10.{pool}.0.0/16,size=24"),
                "--log-level".into(),
                "warn".into(),
            ];
            let (address, cli) = if tls_index == Some(index) {
                let tls_dir = dir.join("tls");
                generate_tls(&tls_dir, host_ip)?;
                let port = TcpListener::bind((host_ip, 0))
                    .and_then(|listener| listener.local_addr())
                    .map_err(|e| format!("no free port on {host_ip}: {e}"))?
                    .port();
                let url = format!("tcp://{host_ip}:{port}");
                let file = |name: &str| tls_dir.join(name).display().to_string();
                args.extend([
                    "--tlsverify".into(),
                    "--tlscacert".into(),
                    file("ca.pem"),
                    "--tlscert".into(),
                    file("server-cert.pem"),
                    "--tlskey".into(),
                    file("server-key.pem"),
                    "-H".into(),
                    url.clone(),
                ]);
                let cli = vec![
                    "--tlsverify".into(),
                    "--tlscacert".into(),
                    file("ca.pem"),
                    "--tlscert".into(),
                    file("cert.pem"),
                    "--tlskey".into(),
                    file("key.pem"),
                    "-H".into(),
                    url.clone(),
                ];
                let address = EngineAddress::new(&url, Some(TlsFiles::in_dir(&tls_dir)))
                    .map_err(|e| e.to_string())?;
                (address, cli)
            } else {
                let url = format!("unix://{}", path("docker.sock"));
                args.extend(["-H".into(), url.clone()]);
                let address = EngineAddress::new(&url, None).map_err(|e| e.to_string())?;
                (address, vec!["-H".into(), url])
            };
            let mut daemon = Daemon {
                index,
                address,
                host_ip,
                root: dir,
                args,
                child: None,
                cli,
            };
            daemon.spawn()?;
            cluster.daemons.push(daemon);
        }
        Ok(cluster)
    }

    /// [`Cluster::start`], then waits for every daemon to answer and builds `images` (context,
    /// tag) in each; the connections come in the daemons' order.
    ///
    /// # Errors
    ///
    /// Why a daemon could not start, answer or build (the cluster is torn down).
    pub async fn start_connected(
        count: usize,
        tls_index: Option<usize>,
        images: &[(&BuildContext, &str)],
    ) -> Result<(Cluster, Vec<DockerEngine>), String> {
        let mut cluster = Cluster::start(count, tls_index).await?;
        let mut engines = Vec::new();
        for daemon in &mut cluster.daemons {
            let engine = daemon.connect().await?;
            for (context, tag) in images {
                engine
                    .build_image(context, tag)
                    .await
                    .map_err(|e| format!("build {tag} on {}: {e}", daemon.address))?;
            }
            engines.push(engine);
        }
        Ok((cluster, engines))
    }

    /// For a test without an async runtime of its own: [`preflight`], a tokio runtime, and
    /// [`Cluster::start_connected`] on it; `Err` says why the test cannot run here.
    ///
    /// # Errors
    ///
    /// What the machine lacks, or why a daemon could not start, answer or build.
    pub fn start_blocking(
        count: usize,
        tls_index: Option<usize>,
        images: &[(&BuildContext, &str)],
    ) -> Result<(tokio::runtime::Runtime, Cluster, Vec<DockerEngine>), String> {
        preflight(tls_index.is_some())?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| format!("no tokio runtime: {e}"))?;
        let (cluster, engines) =
            runtime.block_on(Cluster::start_connected(count, tls_index, images))?;
        Ok((runtime, cluster, engines))
    }

    /// Processes whose command line names the cluster's directory (the shims of containers that
    /// outlived a killed daemon) and their children (the containers' first processes), by pid.
    fn leftover_processes(&self) -> Vec<u32> {
        let needle = self.root.display().to_string();
        let own = std::process::id();
        let Ok(entries) = fs::read_dir("/proc") else {
            return Vec::new();
        };
        let pids: Vec<u32> = entries
            .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
            .filter(|pid| *pid != own)
            .collect();
        let shims: Vec<u32> = pids
            .iter()
            .copied()
            .filter(|pid| {
                fs::read(format!("/proc/{pid}/cmdline"))
                    .is_ok_and(|cmdline| String::from_utf8_lossy(&cmdline).contains(&needle))
            })
            .collect();
        let parent = |pid: u32| -> Option<u32> {
            // /proc/PID/stat: "pid (comm) state ppid …"; comm may hold spaces, so split after ')'.
            let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            stat.rsplit_once(')')?
                .1
                .split_whitespace()
                .nth(1)?
                .parse()
                .ok()
        };
        let mut leftovers = shims.clone();
        leftovers.extend(
            pids.iter()
                .copied()
                .filter(|pid| parent(*pid).is_some_and(|ppid| shims.contains(&ppid))),
        );
        leftovers
    }

    /// Bridge interfaces holding an address of the cluster's pools: the networks of a daemon that
    /// could not be asked to remove them (it was down when the test ended).
    fn leftover_bridges(&self) -> Vec<String> {
        let Ok(out) = Command::new("ip")
            .args(["-o", "-4", "addr", "show"])
            .output()
        else {
            return Vec::new();
        };
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|line| {
                // "33: br-57c7df118116    inet 10.107.0.1/24 brd … scope global br-…"
                let mut fields = line.split_whitespace();
                let name = fields.nth(1)?;
                let address = fields.nth(1)?;
                let pool = address
                    .strip_prefix("10.")?
                    .split('.')
                    .next()?
                    .parse()
                    .ok()?;
                (name.starts_with("br-") && self.pools.contains(&pool)).then(|| name.to_owned())
            })
            .collect()
    }

    /// Mount points under the cluster's directory, deepest first.
    fn mounts(&self) -> Vec<String> {
        let needle = self.root.display().to_string();
        let mountinfo = fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
        let mut points: Vec<String> = mountinfo
            .lines()
            .filter_map(|line| line.split(' ').nth(4))
            .filter(|point| point.starts_with(&needle))
            .map(str::to_owned)
            .collect();
        points.sort_by_key(|point| std::cmp::Reverse(point.len()));
        points.dedup();
        points
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for daemon in &mut self.daemons {
            // A test that failed while the daemon was stopped (SIGSTOP) leaves it so.
            daemon.signal("CONT");
            if daemon.child.is_some() {
                daemon.empty();
            }
            daemon.stop();
        }
        for pid in self.leftover_processes() {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
        }
        for bridge in self.leftover_bridges() {
            let _ = Command::new("ip")
                .args(["link", "delete", &bridge])
                .status();
        }
        for point in self.mounts() {
            let _ = Command::new("umount").args(["-l", &point]).status();
        }
        if let Err(error) = fs::remove_dir_all(&self.root) {
            // Nothing else can be done from a destructor; say what was left.
            let _ = writeln!(
                std::io::stderr(),
                "cannot remove {}: {error}",
                self.root.display()
            );
        }
    }
}

/// A child process (a `flux` command under test) killed when dropped, so a failing test leaves
/// none behind.
pub struct KillOnDrop(pub Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}
