//! Container runtimes: the [`ContainerRuntime`] trait the reconcile loop drives, the runtime-level
//! model of what should run ([`ContainerSpec`], [`NetworkSpec`], [`VolumeSpec`]) and of what runs
//! ([`ObservedContainer`]), and FluxOS's Docker names (apps.md §5.1).
//!
//! Two implementations: [`memory::MemoryRuntime`] (in-process, with injected faults, for tests) and,
//! with the `docker` feature, [`docker::DockerRuntime`] (bollard; a local socket or a remote
//! `tcp://` engine, with mutual TLS under the `docker-tls` feature); [`address::EngineAddress`]
//! says where one engine listens.
//!
//! **Ownership.** Every runtime is created with an owner string. Everything it creates carries the
//! label [`LABEL_OWNER`] with that value, it lists only what carries it, and it refuses to remove
//! anything else ([`RuntimeError::NotOwned`]), so cleanup never touches a container that FluxOS, a
//! user or another controller made, even one with a FluxOS-style name.

use core::fmt;
use core::future::Future;
use std::collections::BTreeMap;

pub mod address;
#[cfg(feature = "docker")]
pub mod docker;
pub mod memory;

/// Label holding the owner of a container, network or volume.
pub const LABEL_OWNER: &str = "io.flux-rs.owner";
/// Label holding the app name.
pub const LABEL_APP: &str = "io.flux-rs.app";
/// Label holding the component name.
pub const LABEL_COMPONENT: &str = "io.flux-rs.component";
/// Label holding [`ContainerSpec::fingerprint`], to detect spec changes.
pub const LABEL_SPEC_HASH: &str = "io.flux-rs.spec-hash";

/// FluxOS's identifier of an app or `component_app` pair: `flux` is prepended unless the name
/// already starts with `flux` or `zel`; two legacy apps get `zel` (`S/dockerService.js:45-57`).
pub fn app_identifier(name: &str) -> String {
    if name.starts_with("zel") || name.starts_with("flux") {
        name.to_owned()
    } else if name == "KadenaChainWebNode" || name == "FoldingAtHomeB" {
        format!("zel{name}")
    } else {
        format!("flux{name}")
    }
}

/// The Docker container name of a component: `flux<component>_<app>` for v4+ specs, or the app's
/// identifier for v1–3 specs (`component` `None`).
pub fn container_name(app: &str, component: Option<&str>) -> String {
    match component {
        Some(component) => app_identifier(&format!("{component}_{app}")),
        None => app_identifier(app),
    }
}

/// The Docker network of an app: `fluxDockerNetwork_<app>`.
pub fn network_name(app: &str) -> String {
    format!("fluxDockerNetwork_{app}")
}

/// The Docker volume holding a component's data. FluxOS loop-mounts an ext4 file of `hdd` GB at
/// `~/zelflux/ZelApps/flux<component>_<app>`; a named Docker volume with the same base name needs
/// no root on the host. Sub-directories of the mount syntax (`m:<sub>:…`) get their own volume
/// `<base>_<sub>`.
pub fn volume_name(container: &str, sub: Option<&str>) -> String {
    match sub {
        Some(sub) => format!("{container}_{sub}"),
        None => format!("{container}_appdata"),
    }
}

/// A host port published to a container port, on TCP and UDP as FluxOS does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PortMapping {
    /// Port on the host (the spec's `ports`).
    pub host_port: u16,
    /// Port in the container (the spec's `containerPorts`).
    pub container_port: u16,
}

/// A volume mounted into a container.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Mount {
    /// Volume name (see [`volume_name`]).
    pub volume: String,
    /// Absolute path in the container.
    pub target: String,
}

/// One container that should exist: everything needed to create it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerSpec {
    /// Container name (see [`container_name`]).
    pub name: String,
    /// App it belongs to.
    pub app: String,
    /// Component it runs.
    pub component: String,
    /// Image reference; it must exist on the engine (nothing is pulled).
    pub image: String,
    /// Hostname in the container (FluxOS: the component name).
    pub hostname: String,
    /// Network to attach to, if any.
    pub network: Option<String>,
    /// Published ports.
    pub ports: Vec<PortMapping>,
    /// Environment, `KEY=value`.
    pub env: Vec<String>,
    /// Command (no entrypoint override, as in FluxOS).
    pub cmd: Vec<String>,
    /// Volumes to mount.
    pub mounts: Vec<Mount>,
    /// CPU limit in billionths of a CPU (`NanoCPUs`).
    pub nano_cpus: u64,
    /// Memory limit in MiB (`Memory`); 0 for none.
    pub memory_mib: u64,
    /// Swap on top of memory in MiB (FluxOS: 2000, so `MemorySwap = ram + 2000`).
    pub swap_mib: u64,
    /// Extra labels; the ownership labels are added by the runtime.
    pub labels: BTreeMap<String, String>,
}

impl ContainerSpec {
    /// A stable fingerprint of everything that defines the container (16 hex digits of FNV-1a 64
    /// over a length-prefixed encoding). A running container whose [`LABEL_SPEC_HASH`] differs is
    /// out of date. Not a security hash: it only detects changes.
    pub fn fingerprint(&self) -> String {
        let mut hasher = Fnv64::new();
        hasher.field(self.name.as_bytes());
        hasher.field(self.app.as_bytes());
        hasher.field(self.component.as_bytes());
        hasher.field(self.image.as_bytes());
        hasher.field(self.hostname.as_bytes());
        hasher.field(self.network.as_deref().unwrap_or("\u{0}").as_bytes());
        hasher.count(self.ports.len());
        for port in &self.ports {
            hasher.field(&port.host_port.to_le_bytes());
            hasher.field(&port.container_port.to_le_bytes());
        }
        for list in [&self.env, &self.cmd] {
            hasher.count(list.len());
            list.iter().for_each(|item| hasher.field(item.as_bytes()));
        }
        hasher.count(self.mounts.len());
        for mount in &self.mounts {
            hasher.field(mount.volume.as_bytes());
            hasher.field(mount.target.as_bytes());
        }
        hasher.field(&self.nano_cpus.to_le_bytes());
        hasher.field(&self.memory_mib.to_le_bytes());
        hasher.field(&self.swap_mib.to_le_bytes());
        hasher.count(self.labels.len());
        for (key, value) in &self.labels {
            hasher.field(key.as_bytes());
            hasher.field(value.as_bytes());
        }
        format!("{:016x}", hasher.0)
    }

    /// The labels to put on the container: the extra labels plus owner, app, component and
    /// fingerprint.
    pub fn all_labels(&self, owner: &str) -> BTreeMap<String, String> {
        let mut labels = self.labels.clone();
        labels.insert(LABEL_OWNER.to_owned(), owner.to_owned());
        labels.insert(LABEL_APP.to_owned(), self.app.clone());
        labels.insert(LABEL_COMPONENT.to_owned(), self.component.clone());
        labels.insert(LABEL_SPEC_HASH.to_owned(), self.fingerprint());
        labels
    }
}

struct Fnv64(u64);

impl Fnv64 {
    fn new() -> Self {
        Fnv64(0xcbf2_9ce4_8422_2325)
    }

    fn bytes(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 ^= u64::from(byte);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    fn count(&mut self, n: usize) {
        self.bytes(&(n as u64).to_le_bytes());
    }

    fn field(&mut self, bytes: &[u8]) {
        self.count(bytes.len());
        self.bytes(bytes);
    }
}

/// A network that should exist.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NetworkSpec {
    /// Network name (see [`network_name`]).
    pub name: String,
    /// App it belongs to.
    pub app: String,
}

/// A volume that should exist.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct VolumeSpec {
    /// Volume name (see [`volume_name`]).
    pub name: String,
    /// App it belongs to.
    pub app: String,
}

/// The state of a container as the engine reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ContainerState {
    /// Created, never started.
    Created,
    /// Running.
    Running,
    /// Paused.
    Paused,
    /// Restarting (Docker's own restart policy; FluxOS sets none).
    Restarting,
    /// Stopped, with its exit code.
    Exited(i64),
    /// Dead (failed removal).
    Dead,
    /// Being removed.
    Removing,
}

impl ContainerState {
    /// True for [`ContainerState::Running`].
    pub const fn is_running(self) -> bool {
        matches!(self, ContainerState::Running)
    }
}

impl fmt::Display for ContainerState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ContainerState::Created => f.write_str("created"),
            ContainerState::Running => f.write_str("running"),
            ContainerState::Paused => f.write_str("paused"),
            ContainerState::Restarting => f.write_str("restarting"),
            ContainerState::Exited(code) => write!(f, "exited ({code})"),
            ContainerState::Dead => f.write_str("dead"),
            ContainerState::Removing => f.write_str("removing"),
        }
    }
}

/// A container the runtime owns, as observed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedContainer {
    /// Container name (the logical name given in [`ContainerSpec::name`]).
    pub name: String,
    /// App label.
    pub app: String,
    /// Component label.
    pub component: String,
    /// Fingerprint label of the spec it was created from.
    pub spec_hash: String,
    /// State.
    pub state: ContainerState,
}

/// A network or volume the runtime owns, as observed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObservedResource {
    /// Name (logical).
    pub name: String,
    /// App label.
    pub app: String,
}

/// What a runtime operation can fail with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RuntimeError {
    /// The engine could not be reached or did not answer.
    #[error("container engine {endpoint} unreachable: {message}")]
    Unreachable {
        /// Engine address.
        endpoint: String,
        /// What failed.
        message: String,
    },
    /// The object does not exist.
    #[error("{kind} {name} not found")]
    NotFound {
        /// `container`, `network`, `volume` or `image`.
        kind: &'static str,
        /// Its name.
        name: String,
    },
    /// An object with this name exists and belongs to someone else; it is left alone.
    #[error("{kind} {name} exists but is not owned by this controller; refusing to touch it")]
    NotOwned {
        /// `container`, `network` or `volume`.
        kind: &'static str,
        /// Its name.
        name: String,
    },
    /// The image is not on the engine and this runtime never pulls.
    #[error(
        "image {image} is not present on the engine (nothing is pulled: build or load it first)"
    )]
    ImageMissing {
        /// Image reference.
        image: String,
    },
    /// The engine refused the request.
    #[error("engine error {status}: {message}")]
    Engine {
        /// HTTP status.
        status: u16,
        /// Engine message.
        message: String,
    },
    /// An image build failed.
    #[error("image build failed: {0}")]
    Build(String),
    /// A fault injected by [`memory::MemoryRuntime`].
    #[error("injected fault in {0}")]
    Injected(Operation),
}

impl RuntimeError {
    /// True when retrying later may succeed (the engine was unreachable or the fault transient).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            RuntimeError::Unreachable { .. } | RuntimeError::Injected(_)
        )
    }
}

/// The operations of [`ContainerRuntime`], for fault injection and call counting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Operation {
    /// [`ContainerRuntime::list_containers`].
    ListContainers,
    /// [`ContainerRuntime::create_container`].
    CreateContainer,
    /// [`ContainerRuntime::start_container`].
    StartContainer,
    /// [`ContainerRuntime::remove_container`].
    RemoveContainer,
    /// [`ContainerRuntime::list_networks`].
    ListNetworks,
    /// [`ContainerRuntime::ensure_network`].
    EnsureNetwork,
    /// [`ContainerRuntime::remove_network`].
    RemoveNetwork,
    /// [`ContainerRuntime::list_volumes`].
    ListVolumes,
    /// [`ContainerRuntime::ensure_volume`].
    EnsureVolume,
    /// [`ContainerRuntime::remove_volume`].
    RemoveVolume,
    /// [`ContainerRuntime::image_exists`].
    ImageExists,
}

impl Operation {
    /// True for operations that change the engine's state.
    pub const fn is_mutation(self) -> bool {
        !matches!(
            self,
            Operation::ListContainers
                | Operation::ListNetworks
                | Operation::ListVolumes
                | Operation::ImageExists
        )
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// One container engine as the reconcile loop sees it. Implementations must be idempotent where
/// documented, so that a reconcile can be retried after any failure.
pub trait ContainerRuntime: Send + Sync + 'static {
    /// A human-readable address of the engine (for logs and errors).
    fn endpoint(&self) -> &str;

    /// The owner label value this runtime stamps and filters on.
    fn owner(&self) -> &str;

    /// Every container this runtime owns, running or not.
    fn list_containers(
        &self,
    ) -> impl Future<Output = Result<Vec<ObservedContainer>, RuntimeError>> + Send;

    /// Creates (does not start) a container. Fails if the name is taken.
    fn create_container(
        &self,
        spec: &ContainerSpec,
    ) -> impl Future<Output = Result<(), RuntimeError>> + Send;

    /// Starts a created or stopped container. Starting a running one succeeds.
    fn start_container(&self, name: &str) -> impl Future<Output = Result<(), RuntimeError>> + Send;

    /// Kills and removes a container this runtime owns. Removing a missing one succeeds; a foreign
    /// one gives [`RuntimeError::NotOwned`].
    fn remove_container(&self, name: &str)
    -> impl Future<Output = Result<(), RuntimeError>> + Send;

    /// Every network this runtime owns.
    fn list_networks(
        &self,
    ) -> impl Future<Output = Result<Vec<ObservedResource>, RuntimeError>> + Send;

    /// Creates the network unless this runtime already owns one of that name.
    fn ensure_network(
        &self,
        spec: &NetworkSpec,
    ) -> impl Future<Output = Result<(), RuntimeError>> + Send;

    /// Removes an owned network; a missing one succeeds.
    fn remove_network(&self, name: &str) -> impl Future<Output = Result<(), RuntimeError>> + Send;

    /// Every volume this runtime owns.
    fn list_volumes(
        &self,
    ) -> impl Future<Output = Result<Vec<ObservedResource>, RuntimeError>> + Send;

    /// Creates the volume unless this runtime already owns one of that name.
    fn ensure_volume(
        &self,
        spec: &VolumeSpec,
    ) -> impl Future<Output = Result<(), RuntimeError>> + Send;

    /// Removes an owned volume; a missing one succeeds.
    fn remove_volume(&self, name: &str) -> impl Future<Output = Result<(), RuntimeError>> + Send;

    /// Whether the image is present on the engine.
    fn image_exists(&self, image: &str) -> impl Future<Output = Result<bool, RuntimeError>> + Send;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fluxos_names() {
        assert_eq!(container_name("myapp", Some("web")), "fluxweb_myapp");
        assert_eq!(container_name("myapp", None), "fluxmyapp");
        assert_eq!(
            container_name("KadenaChainWebNode", None),
            "zelKadenaChainWebNode"
        );
        assert_eq!(container_name("FoldingAtHomeB", None), "zelFoldingAtHomeB");
        assert_eq!(network_name("myapp"), "fluxDockerNetwork_myapp");
    }

    #[test]
    fn fingerprint_tracks_every_field() {
        let base = ContainerSpec {
            name: "fluxweb_app".into(),
            app: "app".into(),
            component: "web".into(),
            image: "img:1".into(),
            hostname: "web".into(),
            network: Some(network_name("app")),
            ports: vec![PortMapping {
                host_port: 31000,
                container_port: 80,
            }],
            env: vec!["A=1".into()],
            cmd: vec![],
            mounts: vec![],
            nano_cpus: 100_000_000,
            memory_mib: 100,
            swap_mib: 2000,
            labels: BTreeMap::new(),
        };
        let fp = base.fingerprint();
        assert_eq!(fp.len(), 16);
        assert_eq!(fp, base.clone().fingerprint());
        let mut changed = base.clone();
        changed.env = vec!["A=2".into()];
        assert_ne!(changed.fingerprint(), fp);
        let mut changed = base.clone();
        changed.image = "img:2".into();
        assert_ne!(changed.fingerprint(), fp);
        // Moving an item between lists changes the fingerprint (length prefixes).
        let mut moved = base.clone();
        moved.env = vec![];
        moved.cmd = vec!["A=1".into()];
        assert_ne!(moved.fingerprint(), fp);
    }
}
