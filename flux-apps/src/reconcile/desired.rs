//! The desired state of an app at runtime level: its components as containers, how many
//! instances, where they may run, and until which height.

use std::collections::BTreeMap;
use std::net::IpAddr;

use flux_pow::BlockHeight;

use crate::placement::{Demand, PlacementRequest, Resources};
use crate::runtime::{
    ContainerSpec, Mount, NetworkSpec, PortMapping, VolumeSpec, container_name, network_name,
    volume_name,
};

/// FluxOS gives every container 2000 MiB of swap on top of its memory (`MemorySwap = ram + 2000`).
pub const SWAP_MIB: u64 = 2000;

/// Where a component's mount comes from (apps.md §5.4).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MountTemplate {
    /// Index of the component whose data it is (`None`: this component). FluxOS allows only lower
    /// indices.
    pub component: Option<usize>,
    /// Sub-directory name (`m:<sub>`/`c:<N>:<sub>`), or `None` for the primary `appdata`.
    pub sub: Option<String>,
    /// Absolute path in the container.
    pub target: String,
}

/// One component of an app, as a container template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComponentTemplate {
    /// Component name (v4+), or the app name for v1–3 specs.
    pub name: String,
    /// Image reference (`repotag`); must exist on every engine.
    pub image: String,
    /// Published ports.
    pub ports: Vec<PortMapping>,
    /// Environment, `KEY=value`.
    pub env: Vec<String>,
    /// Command.
    pub cmd: Vec<String>,
    /// Volumes.
    pub mounts: Vec<MountTemplate>,
    /// CPU, in millicores.
    pub cpu_millis: u32,
    /// Memory, in MB (FluxOS passes it to Docker as MiB).
    pub ram_mb: u32,
    /// Disk, in GB (accounting only: a Docker volume has no size).
    pub hdd_gb: u32,
}

impl ComponentTemplate {
    /// A component with an image and nothing else; resources default to FluxOS's minimum
    /// (0.1 CPU, 100 MB, 1 GB).
    pub fn new(name: impl Into<String>, image: impl Into<String>) -> Self {
        ComponentTemplate {
            name: name.into(),
            image: image.into(),
            ports: Vec::new(),
            env: Vec::new(),
            cmd: Vec::new(),
            mounts: Vec::new(),
            cpu_millis: 100,
            ram_mb: 100,
            hdd_gb: 1,
        }
    }
}

/// An app as the reconcile loop runs it.
#[derive(Debug, Clone, PartialEq)]
pub struct AppDeployment {
    /// App name.
    pub name: String,
    /// Components in compose order.
    pub components: Vec<ComponentTemplate>,
    /// Placement rules; `placement.app` and `placement.instances` are the app's.
    pub placement: PlacementRequest,
    /// The app expires at this height (its containers are removed from then on).
    pub expires_at: Option<BlockHeight>,
    /// v1–3 spec: containers are named after the app only (`flux<app>`).
    pub legacy_naming: bool,
}

impl AppDeployment {
    /// An app with `instances` instances of `components`; the placement demand is the sum of the
    /// components' resources and the ports are theirs.
    pub fn new(
        name: impl Into<String>,
        instances: u32,
        components: Vec<ComponentTemplate>,
    ) -> Self {
        let name = name.into();
        let mut total = Resources::default();
        let mut ports = Vec::new();
        for component in &components {
            let own = Resources::new(component.cpu_millis, component.ram_mb, component.hdd_gb);
            total = total
                .checked_add(own)
                .unwrap_or(Resources::new(u32::MAX, u32::MAX, u32::MAX));
            ports.extend(component.ports.iter().map(|p| p.host_port));
        }
        let mut placement = PlacementRequest::new(name.clone(), instances, Demand::Fixed(total));
        placement.ports = ports;
        AppDeployment {
            name,
            components,
            placement,
            expires_at: None,
            legacy_naming: false,
        }
    }

    /// How many instances should run.
    pub fn instances(&self) -> u32 {
        self.placement.instances
    }

    /// The container name of component `index`.
    pub fn container_name(&self, index: usize) -> Option<String> {
        let component = self.components.get(index)?;
        Some(if self.legacy_naming {
            container_name(&self.name, None)
        } else {
            container_name(&self.name, Some(&component.name))
        })
    }

    /// The app's network.
    pub fn network(&self) -> NetworkSpec {
        NetworkSpec {
            name: network_name(&self.name),
            app: self.name.clone(),
        }
    }

    /// The volumes the app needs on a node.
    pub fn volumes(&self) -> Vec<VolumeSpec> {
        let mut names = std::collections::BTreeSet::new();
        for (index, component) in self.components.iter().enumerate() {
            for mount in &component.mounts {
                if let Some(name) = self.volume_for(index, mount) {
                    names.insert(name);
                }
            }
        }
        names
            .into_iter()
            .map(|name| VolumeSpec {
                name,
                app: self.name.clone(),
            })
            .collect()
    }

    fn volume_for(&self, index: usize, mount: &MountTemplate) -> Option<String> {
        let owner = mount.component.unwrap_or(index);
        Some(volume_name(
            &self.container_name(owner)?,
            mount.sub.as_deref(),
        ))
    }

    /// The containers of one instance on a node with public IP `node_ip`, in compose order.
    /// FluxOS adds `FLUX_NODE_HOST_IP` and `FLUX_APP_NAME` after the spec's environment.
    pub fn container_specs(&self, node_ip: IpAddr) -> Vec<ContainerSpec> {
        let network = network_name(&self.name);
        self.components
            .iter()
            .enumerate()
            .filter_map(|(index, component)| {
                let name = self.container_name(index)?;
                let mut env = component.env.clone();
                env.push(format!("FLUX_NODE_HOST_IP={node_ip}"));
                env.push(format!("FLUX_APP_NAME={}", self.name));
                let mounts = component
                    .mounts
                    .iter()
                    .filter_map(|mount| {
                        Some(Mount {
                            volume: self.volume_for(index, mount)?,
                            target: mount.target.clone(),
                        })
                    })
                    .collect();
                Some(ContainerSpec {
                    name,
                    app: self.name.clone(),
                    component: component.name.clone(),
                    image: component.image.clone(),
                    hostname: component.name.clone(),
                    network: Some(network.clone()),
                    ports: component.ports.clone(),
                    env,
                    // FluxOS strips `--privileged` from commands (`appDockerCreate`).
                    cmd: component
                        .cmd
                        .iter()
                        .filter(|arg| *arg != "--privileged")
                        .cloned()
                        .collect(),
                    mounts,
                    nano_cpus: u64::from(component.cpu_millis) * 1_000_000,
                    memory_mib: u64::from(component.ram_mb),
                    swap_mib: SWAP_MIB,
                    labels: BTreeMap::new(),
                })
            })
            .collect()
    }
}
