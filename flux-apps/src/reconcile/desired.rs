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

/// Why a FluxOS spec cannot be turned into an [`AppDeployment`].
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum DeploymentError {
    /// A v8 enterprise spec: its components are encrypted for Arcane nodes only.
    #[error("app {0} is an enterprise app: its components are encrypted and cannot be run here")]
    Enterprise(String),
    /// The spec has no component.
    #[error("app {0} has no component to run")]
    NoComponents(String),
    /// `instances` is not a whole number of at least 1.
    #[error("app {app}: instances {value} is not a whole number of at least 1")]
    Instances {
        /// App name.
        app: String,
        /// The value.
        value: f64,
    },
    /// A port is not a whole number in 1..=65535, or the public and container port lists
    /// differ in length.
    #[error("component {component}: {message}")]
    Ports {
        /// Component name.
        component: String,
        /// What is wrong.
        message: String,
    },
    /// CPU, RAM or disk out of range.
    #[error("component {component}: {error}")]
    Resources {
        /// Component name.
        component: String,
        /// The resource error.
        error: crate::placement::ResourceError,
    },
    /// The `containerData` mount syntax does not parse.
    #[error("component {component}: containerData: {message}")]
    Mount {
        /// Component name.
        component: String,
        /// What is wrong.
        message: String,
    },
    /// File mounts (`f:`/`cf:`) need a file on the host, which named Docker volumes cannot give.
    #[error("component {component}: file mounts (f:/cf:) are not supported, only directories")]
    FileMount {
        /// Component name.
        component: String,
    },
}

fn port_number(value: f64, component: &str) -> Result<u16, DeploymentError> {
    if value.fract() == 0.0 && (1.0..=65_535.0).contains(&value) {
        // Whole and in range, so exact.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let port = value as u16;
        Ok(port)
    } else {
        Err(DeploymentError::Ports {
            component: component.to_owned(),
            message: format!("port {value} is not a whole number in 1..=65535"),
        })
    }
}

impl AppDeployment {
    /// The deployment of a FluxOS spec: one container per component (the spec itself for v1–3,
    /// named `flux<app>`), FluxOS's port mappings, environment, commands, resources and
    /// `containerData` mounts (directories become named volumes), and `instances` instances (3 for
    /// v1–2, as FluxOS assumes). Tiered specs run with their base resources. The placement
    /// request carries the spec's geolocation, `nodes` (binding before v8, preferred from v8),
    /// static IP and whether a component syncs its data (`r:`/`g:`/`s:`); the expiry is left to
    /// the caller.
    ///
    /// # Errors
    ///
    /// [`DeploymentError`] naming the component and field that cannot be run.
    pub fn from_spec(spec: &crate::spec::AppSpec) -> Result<AppDeployment, DeploymentError> {
        use crate::spec::AppSpec;
        use crate::spec::mount::{ContainerData, ExtraMount};

        let name = spec.name().to_owned();
        if spec.is_enterprise() {
            return Err(DeploymentError::Enterprise(name));
        }
        let instances_value = spec.instances().unwrap_or(3.0);
        if instances_value.fract() != 0.0 || !(1.0..=f64::from(u32::MAX)).contains(&instances_value)
        {
            return Err(DeploymentError::Instances {
                app: name,
                value: instances_value,
            });
        }
        // Whole and in range, so exact.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let instances = instances_value as u32;

        // v1–3 ports live at the top level.
        let legacy_ports: Option<(Vec<f64>, Vec<f64>)> = match spec {
            AppSpec::V1(s) => Some((vec![s.port], vec![s.container_port])),
            AppSpec::V2(s) => Some((
                spec.ports(),
                s.container_ports
                    .iter()
                    .map(|p| crate::spec::js::string_to_number(p))
                    .collect(),
            )),
            AppSpec::V3(s) => Some((
                spec.ports(),
                s.container_ports
                    .iter()
                    .map(|p| crate::spec::js::string_to_number(p))
                    .collect(),
            )),
            _ => None,
        };

        let views = spec.components();
        if views.is_empty() {
            return Err(DeploymentError::NoComponents(name));
        }
        let mut components = Vec::with_capacity(views.len());
        let mut synced = false;
        for (index, view) in views.iter().enumerate() {
            let component = view.name.to_owned();
            let (public, private): (Vec<f64>, Vec<f64>) = match (&legacy_ports, view.compose_ports)
            {
                (_, Some((public, private))) => (public.to_vec(), private.to_vec()),
                (Some((public, private)), None) => (public.clone(), private.clone()),
                (None, None) => (Vec::new(), Vec::new()),
            };
            if public.len() != private.len() {
                return Err(DeploymentError::Ports {
                    component,
                    message: format!(
                        "{} public ports but {} container ports",
                        public.len(),
                        private.len()
                    ),
                });
            }
            let mut ports = Vec::with_capacity(public.len());
            for (host, container) in public.iter().zip(&private) {
                ports.push(PortMapping {
                    host_port: port_number(*host, &component)?,
                    container_port: port_number(*container, &component)?,
                });
            }
            let resources =
                Resources::from_spec(view.cpu, view.ram, view.hdd).map_err(|error| {
                    DeploymentError::Resources {
                        component: component.clone(),
                        error,
                    }
                })?;
            let mut mounts = Vec::new();
            if !view.container_data.is_empty() {
                let data = ContainerData::parse(view.container_data, index).map_err(|message| {
                    DeploymentError::Mount {
                        component: component.clone(),
                        message,
                    }
                })?;
                synced |= data.sync.is_some();
                mounts.push(MountTemplate {
                    component: None,
                    sub: None,
                    target: data.target,
                });
                for extra in data.extra {
                    let template = match extra {
                        ExtraMount::Dir { name, target } => MountTemplate {
                            component: None,
                            sub: Some(name),
                            target,
                        },
                        ExtraMount::Component { index, target } => MountTemplate {
                            component: Some(index),
                            sub: None,
                            target,
                        },
                        ExtraMount::ComponentDir {
                            index,
                            name,
                            target,
                        } => MountTemplate {
                            component: Some(index),
                            sub: Some(name),
                            target,
                        },
                        _ => return Err(DeploymentError::FileMount { component }),
                    };
                    mounts.push(template);
                }
            }
            components.push(ComponentTemplate {
                name: component,
                image: view.repotag.to_owned(),
                ports,
                env: view.environment.to_vec(),
                cmd: view.commands.to_vec(),
                mounts,
                cpu_millis: resources.cpu_millis,
                ram_mb: resources.ram_mb,
                hdd_gb: resources.hdd_gb,
            });
        }
        let mut deployment = AppDeployment::new(name, instances, components);
        deployment.legacy_naming = spec.version() <= 3;
        let placement = &mut deployment.placement;
        placement.geolocation = crate::placement::GeoConstraints::parse(spec.geolocation());
        placement.static_ip = spec.staticip();
        placement.targets = spec
            .nodes()
            .iter()
            .filter_map(|entry| crate::placement::NodeTarget::parse(entry))
            .collect();
        placement.target_mode = if spec.version() >= 8 {
            crate::placement::TargetMode::Preferred
        } else {
            crate::placement::TargetMode::Required
        };
        placement.synced = synced;
        Ok(deployment)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::AppSpec;

    const V8: &str = r#"{"version":8,"name":"myapp","description":"d","owner":"1CbErtneaX2QVyUfwU7JGB7VzvPgrgc3uC",
      "compose":[
        {"name":"db","description":"","repotag":"postgres:16","ports":[],"domains":[],"environmentParameters":["A=1"],
         "commands":[],"containerPorts":[],"containerData":"/var/lib/pg","cpu":0.5,"ram":500,"hdd":5,"repoauth":""},
        {"name":"web","description":"","repotag":"nginx:1.27","ports":[31000,31001],"domains":["",""],"environmentParameters":[],
         "commands":["--x"],"containerPorts":[80,443],"containerData":"r:/data|m:logs:/logs|0:/db","cpu":0.15,"ram":100,"hdd":1,"repoauth":""}],
      "instances":4,"contacts":[],"geolocation":[],"expire":22000,"nodes":[],"staticip":false,"enterprise":""}"#;

    #[test]
    fn a_compose_spec_becomes_containers_with_ports_mounts_and_resources() {
        let spec = AppSpec::from_fluxos_json(V8).expect("formats");
        let app = AppDeployment::from_spec(&spec).expect("deployable");
        assert_eq!(app.instances(), 4);
        assert!(!app.legacy_naming);
        let web = &app.components[1];
        assert_eq!(web.image, "nginx:1.27");
        assert_eq!(
            web.ports,
            vec![
                PortMapping {
                    host_port: 31000,
                    container_port: 80
                },
                PortMapping {
                    host_port: 31001,
                    container_port: 443
                },
            ]
        );
        assert_eq!((web.cpu_millis, web.ram_mb, web.hdd_gb), (150, 100, 1));
        let specs = app.container_specs(IpAddr::from([10, 0, 0, 1]));
        assert_eq!(specs[1].name, "fluxweb_myapp");
        let mounts: Vec<(&str, &str)> = specs[1]
            .mounts
            .iter()
            .map(|m| (m.volume.as_str(), m.target.as_str()))
            .collect();
        assert_eq!(
            mounts,
            vec![
                ("fluxweb_myapp_appdata", "/data"),
                ("fluxweb_myapp_logs", "/logs"),
                ("fluxdb_myapp_appdata", "/db"),
            ]
        );
        assert_eq!(app.placement.ports, vec![31000, 31001]);
        // `r:` syncs the web data: one instance per fault domain.
        assert!(app.placement.synced);
        assert!(!app.placement.static_ip);
        assert!(app.placement.targets.is_empty());
        let pinned = V8
            .replace(r#""nodes":[]"#, r#""nodes":["10.1.2.3"]"#)
            .replace(r#""geolocation":[]"#, r#""geolocation":["acEU"]"#)
            .replace(r#""staticip":false"#, r#""staticip":true"#);
        let app = AppDeployment::from_spec(&AppSpec::from_fluxos_json(&pinned).expect("formats"))
            .expect("deployable");
        assert!(app.placement.static_ip);
        assert_eq!(app.placement.targets.len(), 1);
        assert_eq!(
            app.placement.target_mode,
            crate::placement::TargetMode::Preferred
        );
        assert!(!app.placement.geolocation.is_unrestricted());
    }

    #[test]
    fn unrunnable_specs_are_named() {
        let file = V8.replace(
            "r:/data|m:logs:/logs|0:/db",
            "/data|f:conf.ini:/etc/conf.ini",
        );
        let spec = AppSpec::from_fluxos_json(&file).expect("formats");
        assert_eq!(
            AppDeployment::from_spec(&spec),
            Err(DeploymentError::FileMount {
                component: "web".into()
            })
        );
        let v3 = r#"{"version":3,"name":"hello","description":"hi","owner":"1CbErtneaX2QVyUfwU7JGB7VzvPgrgc3uC",
          "repotag":"nginx:latest","ports":["31001"],"domains":[""],"enviromentParameters":[],"commands":[],
          "containerPorts":["80"],"containerData":"/data","cpu":0.1,"ram":100,"hdd":1,"tiered":false,"instances":3}"#;
        let app = AppDeployment::from_spec(&AppSpec::from_fluxos_json(v3).expect("formats"))
            .expect("deployable");
        assert!(app.legacy_naming);
        assert_eq!(app.container_name(0).as_deref(), Some("fluxhello"));
        assert_eq!(app.components[0].ports[0].host_port, 31001);
    }
}
