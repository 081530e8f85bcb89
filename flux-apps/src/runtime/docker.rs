//! [`ContainerRuntime`] over a Docker engine through bollard, and an image build helper.
//!
//! Containers are created the way FluxOS creates them (`appDockerCreate`, apps.md §5.3): ports
//! published on TCP and UDP, `NanoCPUs`, `Memory` and `MemorySwap = memory + 2000 MiB`,
//! `nofile=100000`, restart policy `no` (the reconcile loop restarts), the `fluxnode.service` extra
//! host, `json-file` logs capped at 20 MB, one bridge network per app, no entrypoint override.
//! Differences, on purpose: data lives in named Docker volumes instead of loop-mounted ext4 files
//! (no root needed on the host), and Docker picks each app network's subnet.
//!
//! Nothing is ever pulled: images must exist on the engine ([`DockerEngine::build_image`] builds
//! one from a [`BuildContext`], for example [`BuildContext::busybox_httpd`]).
//!
//! One engine may stand for several simulated nodes: give each node's runtime a
//! [`DockerRuntime::scoped`] suffix, a host port offset and/or its own host IP, so that names and
//! host ports do not collide.

use std::collections::HashMap;
use std::io;
use std::net::IpAddr;
use std::path::Path;

use bollard::Docker;
use bollard::errors::Error as DockerError;
use bollard::models::{
    ContainerCreateBody, ContainerSummaryStateEnum, HostConfig, HostConfigLogConfig,
    Mount as DockerMount, MountType, NetworkCreateRequest, PortBinding, ResourcesUlimits,
    RestartPolicy, RestartPolicyNameEnum, VolumeCreateRequest,
};
use bollard::query_parameters::{
    BuildImageOptionsBuilder, CreateContainerOptionsBuilder, ListContainersOptionsBuilder,
    ListNetworksOptionsBuilder, ListVolumesOptionsBuilder, RemoveContainerOptionsBuilder,
    RemoveVolumeOptionsBuilder,
};
use futures_util::StreamExt;

use super::address::EngineAddress;
use super::{
    ContainerRuntime, ContainerSpec, ContainerState, LABEL_APP, LABEL_COMPONENT, LABEL_OWNER,
    LABEL_SPEC_HASH, NetworkSpec, ObservedContainer, ObservedResource, RuntimeError, VolumeSpec,
};

/// The `nofile` ulimit FluxOS gives app containers.
pub const FLUXOS_NOFILE: i64 = 100_000;

/// Label holding the scope of a [`DockerRuntime::scoped`] runtime.
pub const LABEL_SCOPE: &str = "io.flux-rs.scope";
/// Label holding the logical (unscoped) name of a container, network or volume.
pub const LABEL_NAME: &str = "io.flux-rs.name";

/// Seconds bollard waits for one engine request.
const REQUEST_TIMEOUT_SECS: u64 = 60;

/// A connection to one Docker engine. Cloning shares the connection.
#[derive(Debug, Clone)]
pub struct DockerEngine {
    docker: Docker,
    endpoint: String,
}

fn unreachable(endpoint: &str, error: &DockerError) -> RuntimeError {
    RuntimeError::Unreachable {
        endpoint: endpoint.to_owned(),
        message: error.to_string(),
    }
}

impl DockerEngine {
    /// Connects to the engine at `url`: `unix:///var/run/docker.sock` (or a bare socket path), or
    /// `tcp://host:port` / `http://host:port` (plain HTTP; use `DockerEngine::connect_tls` (feature `docker-tls`) for
    /// TLS). The API version is negotiated down to the engine's, and the engine is pinged.
    ///
    /// # Errors
    ///
    /// [`RuntimeError::Unreachable`] when the URL is unusable or the engine does not answer.
    pub async fn connect(url: &str) -> Result<Self, RuntimeError> {
        let connected = if let Some(path) = url.strip_prefix("unix://") {
            Docker::connect_with_unix(path, REQUEST_TIMEOUT_SECS, bollard::API_DEFAULT_VERSION)
        } else if url.starts_with('/') {
            Docker::connect_with_unix(url, REQUEST_TIMEOUT_SECS, bollard::API_DEFAULT_VERSION)
        } else if url.starts_with("tcp://") || url.starts_with("http://") {
            Docker::connect_with_http(url, REQUEST_TIMEOUT_SECS, bollard::API_DEFAULT_VERSION)
        } else {
            return Err(RuntimeError::Unreachable {
                endpoint: url.to_owned(),
                message:
                    "unsupported engine URL: use unix://PATH, tcp://HOST:PORT or http://HOST:PORT"
                        .into(),
            });
        };
        let docker = connected.map_err(|error| unreachable(url, &error))?;
        DockerEngine::ready(docker, url).await
    }

    /// Connects to the local engine the way the `docker` CLI does (`DOCKER_HOST`, else the default
    /// socket).
    ///
    /// # Errors
    ///
    /// [`RuntimeError::Unreachable`] when no engine answers.
    pub async fn local() -> Result<Self, RuntimeError> {
        let endpoint =
            std::env::var("DOCKER_HOST").unwrap_or_else(|_| "unix:///var/run/docker.sock".into());
        let docker = Docker::connect_with_local_defaults()
            .map_err(|error| unreachable(&endpoint, &error))?;
        DockerEngine::ready(docker, &endpoint).await
    }

    /// Connects to a remote engine over TLS with a client certificate (`docker --tlsverify`).
    ///
    /// # Errors
    ///
    /// [`RuntimeError::Unreachable`] when the files cannot be read or the engine does not answer.
    #[cfg(feature = "docker-tls")]
    pub async fn connect_tls(
        url: &str,
        key: &Path,
        cert: &Path,
        ca: &Path,
    ) -> Result<Self, RuntimeError> {
        let docker = Docker::connect_with_ssl(
            url,
            key,
            cert,
            ca,
            REQUEST_TIMEOUT_SECS,
            bollard::API_DEFAULT_VERSION,
        )
        .map_err(|error| unreachable(url, &error))?;
        DockerEngine::ready(docker, url).await
    }

    /// Connects to the engine at `address`: [`DockerEngine::connect`] for sockets and plain TCP,
    /// `DockerEngine::connect_tls` (feature `docker-tls`) when the address carries client
    /// certificates.
    ///
    /// # Errors
    ///
    /// [`RuntimeError::Unreachable`] when the engine does not answer, the certificates cannot be
    /// read, or the address needs TLS and the crate was built without `docker-tls`.
    pub async fn connect_to(address: &EngineAddress) -> Result<Self, RuntimeError> {
        match address.tls() {
            None => DockerEngine::connect(address.url()).await,
            #[cfg(feature = "docker-tls")]
            Some(tls) => {
                DockerEngine::connect_tls(address.url(), &tls.key, &tls.cert, &tls.ca).await
            }
            #[cfg(not(feature = "docker-tls"))]
            Some(_) => Err(RuntimeError::Unreachable {
                endpoint: address.url().to_owned(),
                message: "this build has no TLS support (flux-apps feature `docker-tls`)".into(),
            }),
        }
    }

    async fn ready(docker: Docker, endpoint: &str) -> Result<Self, RuntimeError> {
        let docker = docker
            .negotiate_version()
            .await
            .map_err(|error| unreachable(endpoint, &error))?;
        docker
            .ping()
            .await
            .map_err(|error| unreachable(endpoint, &error))?;
        Ok(DockerEngine {
            docker,
            endpoint: endpoint.to_owned(),
        })
    }

    /// The bollard client.
    pub fn docker(&self) -> &Docker {
        &self.docker
    }

    /// The engine's address.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Builds an image tagged `tag` from a build context (the engine's classic builder; nothing is
    /// pulled, so every `FROM` must be `scratch` or a local image).
    ///
    /// # Errors
    ///
    /// [`RuntimeError::Build`] with the builder's message, or the engine error.
    pub async fn build_image(&self, context: &BuildContext, tag: &str) -> Result<(), RuntimeError> {
        let archive = context
            .to_tar()
            .map_err(|error| RuntimeError::Build(error.to_string()))?;
        let options = BuildImageOptionsBuilder::new()
            .t(tag)
            .rm(true)
            .forcerm(true)
            .pull("false")
            .build();
        let mut stream = self.docker.build_image(
            options,
            None,
            Some(bollard::body_full(bytes::Bytes::from(archive))),
        );
        while let Some(item) = stream.next().await {
            let info = item.map_err(|error| self.map_error(&error, "image", tag))?;
            if let Some(detail) = info.error_detail {
                return Err(RuntimeError::Build(detail.message.unwrap_or_default()));
            }
        }
        Ok(())
    }

    /// Removes an image (for test cleanup). A missing image succeeds.
    ///
    /// # Errors
    ///
    /// The engine error.
    pub async fn remove_image(&self, tag: &str) -> Result<(), RuntimeError> {
        let options = bollard::query_parameters::RemoveImageOptionsBuilder::new()
            .force(true)
            .build();
        match self.docker.remove_image(tag, Some(options), None).await {
            Ok(_) => Ok(()),
            Err(error) => match self.map_error(&error, "image", tag) {
                RuntimeError::NotFound { .. } => Ok(()),
                other => Err(other),
            },
        }
    }

    fn map_error(&self, error: &DockerError, kind: &'static str, name: &str) -> RuntimeError {
        match error {
            DockerError::DockerResponseServerError {
                status_code: 404,
                message,
            } => {
                if message.contains("No such image") {
                    RuntimeError::ImageMissing {
                        image: name.to_owned(),
                    }
                } else {
                    RuntimeError::NotFound {
                        kind,
                        name: name.to_owned(),
                    }
                }
            }
            DockerError::DockerResponseServerError {
                status_code,
                message,
            } => RuntimeError::Engine {
                status: *status_code,
                message: message.clone(),
            },
            DockerError::DockerStreamError { error } => RuntimeError::Build(error.clone()),
            other => unreachable(&self.endpoint, other),
        }
    }
}

/// The files of an image build context, written as a tar archive for the engine.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuildContext {
    files: Vec<(String, Vec<u8>, u32)>,
}

impl BuildContext {
    /// An empty context.
    pub fn new() -> Self {
        BuildContext::default()
    }

    /// Adds a file at `path` (relative, `/`-separated) with Unix `mode`.
    pub fn file(
        mut self,
        path: impl Into<String>,
        contents: impl Into<Vec<u8>>,
        mode: u32,
    ) -> Self {
        self.files.push((path.into(), contents.into(), mode));
        self
    }

    /// Adds the `Dockerfile`.
    pub fn dockerfile(self, contents: &str) -> Self {
        self.file("Dockerfile", contents.as_bytes().to_vec(), 0o644)
    }

    /// A context for a tiny web server image: `FROM scratch`, a static busybox binary at
    /// `/bin/busybox`, and `index_html` served by `busybox httpd` on port 80.
    ///
    /// # Errors
    ///
    /// The I/O error reading `busybox` (Debian's `busybox-static` installs it at `/bin/busybox`).
    pub fn busybox_httpd(busybox: &Path, index_html: &str) -> io::Result<Self> {
        let binary = std::fs::read(busybox)?;
        Ok(BuildContext::new()
            .dockerfile(
                "FROM scratch\nCOPY busybox /bin/busybox\nCOPY www/ /www/\nEXPOSE 80\n\
                 CMD [\"/bin/busybox\", \"httpd\", \"-f\", \"-p\", \"80\", \"-h\", \"/www\"]\n",
            )
            .file("busybox", binary, 0o755)
            .file("www/index.html", index_html.as_bytes().to_vec(), 0o644))
    }

    /// The context as a tar archive.
    ///
    /// # Errors
    ///
    /// An I/O error from the archive writer (for example a path too long for the header).
    pub fn to_tar(&self) -> io::Result<Vec<u8>> {
        let mut builder = tar::Builder::new(Vec::new());
        for (path, contents, mode) in &self.files {
            let mut header = tar::Header::new_gnu();
            header.set_size(contents.len() as u64);
            header.set_mode(*mode);
            header.set_mtime(0);
            header.set_cksum();
            builder.append_data(&mut header, path, contents.as_slice())?;
        }
        builder.into_inner()
    }
}

/// One node's view of a Docker engine: an owner, and optionally a scope, host IP and port offset
/// when several simulated nodes share the engine.
#[derive(Debug, Clone)]
pub struct DockerRuntime {
    engine: DockerEngine,
    owner: String,
    scope: Option<String>,
    host_ip: Option<IpAddr>,
    port_offset: u16,
    nofile: Option<i64>,
}

impl DockerRuntime {
    /// A runtime that stamps and manages objects with owner `owner`. Host ports bind on every
    /// interface, as in FluxOS.
    pub fn new(engine: DockerEngine, owner: impl Into<String>) -> Self {
        DockerRuntime {
            engine,
            owner: owner.into(),
            scope: None,
            host_ip: None,
            port_offset: 0,
            nofile: Some(FLUXOS_NOFILE),
        }
    }

    /// The `nofile` ulimit of the containers: FluxOS's 100,000 by default; `None` keeps the
    /// engine's default. Hosts whose hard limit is lower (containers then fail to start with
    /// "error setting rlimit type 7") need a lower value or `None`.
    pub fn nofile_limit(mut self, limit: Option<i64>) -> Self {
        self.nofile = limit;
        self
    }

    /// Names become `<name>.<scope>` on the engine and listing sees only this scope, so several
    /// simulated nodes can share one engine.
    pub fn scoped(mut self, scope: impl Into<String>) -> Self {
        self.scope = Some(scope.into());
        self
    }

    /// Binds published ports on this host address only (for example `127.0.0.1`).
    pub fn bind_host_ip(mut self, ip: IpAddr) -> Self {
        self.host_ip = Some(ip);
        self
    }

    /// Adds `offset` to every host port (simulated nodes on one host).
    pub fn host_port_offset(mut self, offset: u16) -> Self {
        self.port_offset = offset;
        self
    }

    /// The engine.
    pub fn engine(&self) -> &DockerEngine {
        &self.engine
    }

    /// The name an object called `logical` has on the engine.
    pub fn engine_name(&self, logical: &str) -> String {
        match &self.scope {
            Some(scope) => format!("{logical}.{scope}"),
            None => logical.to_owned(),
        }
    }

    /// The host port a spec's `port` is published on.
    pub fn host_port(&self, port: u16) -> Option<u16> {
        port.checked_add(self.port_offset)
    }

    fn ownership_labels(&self, logical: &str, app: &str) -> HashMap<String, String> {
        let mut labels = HashMap::new();
        labels.insert(LABEL_OWNER.to_owned(), self.owner.clone());
        labels.insert(LABEL_APP.to_owned(), app.to_owned());
        labels.insert(LABEL_NAME.to_owned(), logical.to_owned());
        if let Some(scope) = &self.scope {
            labels.insert(LABEL_SCOPE.to_owned(), scope.clone());
        }
        labels
    }

    fn owns(&self, labels: Option<&HashMap<String, String>>) -> bool {
        let Some(labels) = labels else { return false };
        labels.get(LABEL_OWNER) == Some(&self.owner)
            && labels.get(LABEL_SCOPE) == self.scope.as_ref()
    }

    fn owner_filter(&self) -> HashMap<String, Vec<String>> {
        let mut filters = HashMap::new();
        filters.insert(
            "label".to_owned(),
            vec![format!("{LABEL_OWNER}={}", self.owner)],
        );
        filters
    }

    fn logical_name(&self, labels: Option<&HashMap<String, String>>, engine_name: &str) -> String {
        labels
            .and_then(|l| l.get(LABEL_NAME).cloned())
            .unwrap_or_else(|| {
                let name = engine_name.trim_start_matches('/');
                match &self.scope {
                    Some(scope) => name
                        .strip_suffix(&format!(".{scope}"))
                        .unwrap_or(name)
                        .to_owned(),
                    None => name.to_owned(),
                }
            })
    }

    fn create_body(&self, spec: &ContainerSpec) -> Result<ContainerCreateBody, RuntimeError> {
        let mut labels: HashMap<String, String> =
            spec.all_labels(&self.owner).into_iter().collect();
        labels.extend(self.ownership_labels(&spec.name, &spec.app));
        labels.insert(LABEL_COMPONENT.to_owned(), spec.component.clone());
        let mut exposed = Vec::new();
        let mut bindings = HashMap::new();
        for mapping in &spec.ports {
            let host_port =
                self.host_port(mapping.host_port)
                    .ok_or_else(|| RuntimeError::Engine {
                        status: 400,
                        message: format!(
                            "host port {} + offset {} exceeds 65535",
                            mapping.host_port, self.port_offset
                        ),
                    })?;
            for protocol in ["tcp", "udp"] {
                let key = format!("{}/{protocol}", mapping.container_port);
                exposed.push(key.clone());
                bindings.insert(
                    key,
                    Some(vec![PortBinding {
                        host_ip: self.host_ip.map(|ip| ip.to_string()),
                        host_port: Some(host_port.to_string()),
                    }]),
                );
            }
        }
        let memory = i64::try_from(spec.memory_mib.saturating_mul(1024 * 1024)).unwrap_or(i64::MAX);
        let swap = i64::try_from(
            spec.memory_mib
                .saturating_add(spec.swap_mib)
                .saturating_mul(1024 * 1024),
        )
        .unwrap_or(i64::MAX);
        let mounts = spec
            .mounts
            .iter()
            .map(|mount| DockerMount {
                target: Some(mount.target.clone()),
                source: Some(self.engine_name(&mount.volume)),
                typ: Some(MountType::VOLUME),
                read_only: Some(false),
                ..DockerMount::default()
            })
            .collect();
        let mut log_options = HashMap::new();
        log_options.insert("max-size".to_owned(), "20m".to_owned());
        log_options.insert("max-file".to_owned(), "1".to_owned());
        let host_config = HostConfig {
            nano_cpus: (spec.nano_cpus > 0)
                .then(|| i64::try_from(spec.nano_cpus).unwrap_or(i64::MAX)),
            memory: (spec.memory_mib > 0).then_some(memory),
            memory_swap: (spec.memory_mib > 0).then_some(swap),
            port_bindings: Some(bindings),
            restart_policy: Some(RestartPolicy {
                name: Some(RestartPolicyNameEnum::NO),
                maximum_retry_count: None,
            }),
            network_mode: spec
                .network
                .as_deref()
                .map(|network| self.engine_name(network)),
            mounts: Some(mounts),
            ulimits: self.nofile.map(|limit| {
                vec![ResourcesUlimits {
                    name: Some("nofile".into()),
                    soft: Some(limit),
                    hard: Some(limit),
                }]
            }),
            extra_hosts: Some(vec!["fluxnode.service:169.254.43.43".into()]),
            log_config: Some(HostConfigLogConfig {
                typ: Some("json-file".into()),
                config: Some(log_options),
            }),
            ..HostConfig::default()
        };
        Ok(ContainerCreateBody {
            image: Some(spec.image.clone()),
            hostname: Some(spec.hostname.clone()),
            env: Some(spec.env.clone()),
            cmd: (!spec.cmd.is_empty()).then(|| spec.cmd.clone()),
            exposed_ports: Some(exposed),
            labels: Some(labels),
            tty: Some(false),
            host_config: Some(host_config),
            ..ContainerCreateBody::default()
        })
    }
}

fn container_state(
    state: Option<&ContainerSummaryStateEnum>,
    status: Option<&str>,
) -> ContainerState {
    match state {
        Some(ContainerSummaryStateEnum::CREATED) => ContainerState::Created,
        Some(ContainerSummaryStateEnum::RUNNING) => ContainerState::Running,
        Some(ContainerSummaryStateEnum::PAUSED) => ContainerState::Paused,
        Some(ContainerSummaryStateEnum::RESTARTING) => ContainerState::Restarting,
        Some(ContainerSummaryStateEnum::REMOVING | ContainerSummaryStateEnum::STOPPING) => {
            ContainerState::Removing
        }
        Some(ContainerSummaryStateEnum::DEAD) => ContainerState::Dead,
        // "Exited (137) 2 seconds ago"
        _ => {
            let code = status
                .and_then(|s| {
                    s.split_once('(')?
                        .1
                        .split_once(')')
                        .map(|(code, _)| code.trim().parse().ok())
                })
                .flatten()
                .unwrap_or(-1);
            ContainerState::Exited(code)
        }
    }
}

impl ContainerRuntime for DockerRuntime {
    fn endpoint(&self) -> &str {
        &self.engine.endpoint
    }

    fn owner(&self) -> &str {
        &self.owner
    }

    async fn list_containers(&self) -> Result<Vec<ObservedContainer>, RuntimeError> {
        let options = ListContainersOptionsBuilder::new()
            .all(true)
            .filters(&self.owner_filter())
            .build();
        let summaries = self
            .engine
            .docker
            .list_containers(Some(options))
            .await
            .map_err(|error| self.engine.map_error(&error, "container", "*"))?;
        Ok(summaries
            .into_iter()
            .filter(|summary| self.owns(summary.labels.as_ref()))
            .map(|summary| {
                let labels = summary.labels.as_ref();
                let label =
                    |key: &str| labels.and_then(|l| l.get(key).cloned()).unwrap_or_default();
                let engine_name = summary
                    .names
                    .as_ref()
                    .and_then(|n| n.first().cloned())
                    .unwrap_or_default();
                ObservedContainer {
                    name: self.logical_name(labels, &engine_name),
                    app: label(LABEL_APP),
                    component: label(LABEL_COMPONENT),
                    spec_hash: label(LABEL_SPEC_HASH),
                    state: container_state(summary.state.as_ref(), summary.status.as_deref()),
                }
            })
            .collect())
    }

    async fn create_container(&self, spec: &ContainerSpec) -> Result<(), RuntimeError> {
        let body = self.create_body(spec)?;
        let name = self.engine_name(&spec.name);
        let options = CreateContainerOptionsBuilder::new().name(&name).build();
        match self
            .engine
            .docker
            .create_container(Some(options), body)
            .await
        {
            Ok(_) => Ok(()),
            Err(error) => Err(
                match self.engine.map_error(&error, "container", &spec.image) {
                    RuntimeError::Engine { status: 409, .. } => {
                        match self.engine.docker.inspect_container(&name, None).await {
                            Ok(existing)
                                if !self.owns(
                                    existing.config.as_ref().and_then(|c| c.labels.as_ref()),
                                ) =>
                            {
                                RuntimeError::NotOwned {
                                    kind: "container",
                                    name: spec.name.clone(),
                                }
                            }
                            _ => RuntimeError::Engine {
                                status: 409,
                                message: format!("container name {name} is in use"),
                            },
                        }
                    }
                    other => other,
                },
            ),
        }
    }

    async fn start_container(&self, name: &str) -> Result<(), RuntimeError> {
        match self
            .engine
            .docker
            .start_container(&self.engine_name(name), None)
            .await
        {
            Ok(()) => Ok(()),
            Err(error) => match self.engine.map_error(&error, "container", name) {
                // 304: already running.
                RuntimeError::Engine { status: 304, .. } => Ok(()),
                other => Err(other),
            },
        }
    }

    async fn remove_container(&self, name: &str) -> Result<(), RuntimeError> {
        let engine_name = self.engine_name(name);
        let inspected = match self
            .engine
            .docker
            .inspect_container(&engine_name, None)
            .await
        {
            Ok(inspected) => inspected,
            Err(error) => {
                return match self.engine.map_error(&error, "container", name) {
                    RuntimeError::NotFound { .. } => Ok(()),
                    other => Err(other),
                };
            }
        };
        if !self.owns(
            inspected
                .config
                .as_ref()
                .and_then(|config| config.labels.as_ref()),
        ) {
            return Err(RuntimeError::NotOwned {
                kind: "container",
                name: name.to_owned(),
            });
        }
        let options = RemoveContainerOptionsBuilder::new()
            .force(true)
            .v(false)
            .build();
        match self
            .engine
            .docker
            .remove_container(&engine_name, Some(options))
            .await
        {
            Ok(()) => Ok(()),
            Err(error) => match self.engine.map_error(&error, "container", name) {
                RuntimeError::NotFound { .. } => Ok(()),
                // 409: removal already in progress.
                RuntimeError::Engine { status: 409, .. } => Ok(()),
                other => Err(other),
            },
        }
    }

    async fn list_networks(&self) -> Result<Vec<ObservedResource>, RuntimeError> {
        let options = ListNetworksOptionsBuilder::new()
            .filters(&self.owner_filter())
            .build();
        let networks = self
            .engine
            .docker
            .list_networks(Some(options))
            .await
            .map_err(|error| self.engine.map_error(&error, "network", "*"))?;
        Ok(networks
            .into_iter()
            .filter(|network| self.owns(network.labels.as_ref()))
            .map(|network| {
                let labels = network.labels.as_ref();
                ObservedResource {
                    name: self.logical_name(labels, network.name.as_deref().unwrap_or_default()),
                    app: labels
                        .and_then(|l| l.get(LABEL_APP).cloned())
                        .unwrap_or_default(),
                }
            })
            .collect())
    }

    async fn ensure_network(&self, spec: &NetworkSpec) -> Result<(), RuntimeError> {
        let name = self.engine_name(&spec.name);
        match self.engine.docker.inspect_network(&name, None).await {
            Ok(existing) if self.owns(existing.labels.as_ref()) => return Ok(()),
            Ok(_) => {
                return Err(RuntimeError::NotOwned {
                    kind: "network",
                    name: spec.name.clone(),
                });
            }
            Err(error) => match self.engine.map_error(&error, "network", &spec.name) {
                RuntimeError::NotFound { .. } => {}
                other => return Err(other),
            },
        }
        let request = NetworkCreateRequest {
            name,
            driver: Some("bridge".into()),
            labels: Some(self.ownership_labels(&spec.name, &spec.app)),
            ..NetworkCreateRequest::default()
        };
        self.engine
            .docker
            .create_network(request)
            .await
            .map(|_| ())
            .map_err(|error| self.engine.map_error(&error, "network", &spec.name))
    }

    async fn remove_network(&self, name: &str) -> Result<(), RuntimeError> {
        let engine_name = self.engine_name(name);
        match self.engine.docker.inspect_network(&engine_name, None).await {
            Ok(existing) if self.owns(existing.labels.as_ref()) => {}
            Ok(_) => {
                return Err(RuntimeError::NotOwned {
                    kind: "network",
                    name: name.to_owned(),
                });
            }
            Err(error) => {
                return match self.engine.map_error(&error, "network", name) {
                    RuntimeError::NotFound { .. } => Ok(()),
                    other => Err(other),
                };
            }
        }
        match self.engine.docker.remove_network(&engine_name).await {
            Ok(()) => Ok(()),
            Err(error) => match self.engine.map_error(&error, "network", name) {
                RuntimeError::NotFound { .. } => Ok(()),
                other => Err(other),
            },
        }
    }

    async fn list_volumes(&self) -> Result<Vec<ObservedResource>, RuntimeError> {
        let options = ListVolumesOptionsBuilder::new()
            .filters(&self.owner_filter())
            .build();
        let listed = self
            .engine
            .docker
            .list_volumes(Some(options))
            .await
            .map_err(|error| self.engine.map_error(&error, "volume", "*"))?;
        Ok(listed
            .volumes
            .unwrap_or_default()
            .into_iter()
            .filter(|volume| self.owns(Some(&volume.labels)))
            .map(|volume| ObservedResource {
                name: self.logical_name(Some(&volume.labels), &volume.name),
                app: volume.labels.get(LABEL_APP).cloned().unwrap_or_default(),
            })
            .collect())
    }

    async fn ensure_volume(&self, spec: &VolumeSpec) -> Result<(), RuntimeError> {
        let name = self.engine_name(&spec.name);
        match self.engine.docker.inspect_volume(&name).await {
            Ok(existing) if self.owns(Some(&existing.labels)) => return Ok(()),
            Ok(_) => {
                return Err(RuntimeError::NotOwned {
                    kind: "volume",
                    name: spec.name.clone(),
                });
            }
            Err(error) => match self.engine.map_error(&error, "volume", &spec.name) {
                RuntimeError::NotFound { .. } => {}
                other => return Err(other),
            },
        }
        let request = VolumeCreateRequest {
            name: Some(name),
            labels: Some(self.ownership_labels(&spec.name, &spec.app)),
            ..VolumeCreateRequest::default()
        };
        self.engine
            .docker
            .create_volume(request)
            .await
            .map(|_| ())
            .map_err(|error| self.engine.map_error(&error, "volume", &spec.name))
    }

    async fn remove_volume(&self, name: &str) -> Result<(), RuntimeError> {
        let engine_name = self.engine_name(name);
        match self.engine.docker.inspect_volume(&engine_name).await {
            Ok(existing) if self.owns(Some(&existing.labels)) => {}
            Ok(_) => {
                return Err(RuntimeError::NotOwned {
                    kind: "volume",
                    name: name.to_owned(),
                });
            }
            Err(error) => {
                return match self.engine.map_error(&error, "volume", name) {
                    RuntimeError::NotFound { .. } => Ok(()),
                    other => Err(other),
                };
            }
        }
        let options = RemoveVolumeOptionsBuilder::new().force(false).build();
        match self
            .engine
            .docker
            .remove_volume(&engine_name, Some(options))
            .await
        {
            Ok(()) => Ok(()),
            Err(error) => match self.engine.map_error(&error, "volume", name) {
                RuntimeError::NotFound { .. } => Ok(()),
                other => Err(other),
            },
        }
    }

    async fn image_exists(&self, image: &str) -> Result<bool, RuntimeError> {
        match self.engine.docker.inspect_image(image).await {
            Ok(_) => Ok(true),
            Err(error) => match self.engine.map_error(&error, "image", image) {
                RuntimeError::NotFound { .. } | RuntimeError::ImageMissing { .. } => Ok(false),
                other => Err(other),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exited_status_code_is_parsed() {
        assert_eq!(
            container_state(None, Some("Exited (137) 2 seconds ago")),
            ContainerState::Exited(137)
        );
        assert_eq!(
            container_state(
                Some(&ContainerSummaryStateEnum::RUNNING),
                Some("Up 1 second")
            ),
            ContainerState::Running
        );
    }

    #[test]
    fn build_context_is_a_tar_archive() {
        let archive = BuildContext::new()
            .dockerfile("FROM scratch\n")
            .to_tar()
            .expect("tar");
        let mut reader = tar::Archive::new(archive.as_slice());
        let names: Vec<String> = reader
            .entries()
            .expect("entries")
            .map(|entry| {
                entry
                    .expect("entry")
                    .path()
                    .expect("path")
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        assert_eq!(names, ["Dockerfile"]);
    }
}
