//! An in-process [`ContainerRuntime`] for fast tests: containers are records, "running" is a flag,
//! and faults can be injected per operation.
//!
//! It follows the same contract as the Docker runtime: names are unique, everything created is
//! stamped with the owner, only owned objects are listed or removed, and images must be present
//! (see [`MemoryRuntime::add_image`]) unless the runtime was made with
//! [`MemoryRuntime::with_any_image`].

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Mutex, MutexGuard, PoisonError};

use super::{
    ContainerRuntime, ContainerSpec, ContainerState, NetworkSpec, ObservedContainer,
    ObservedResource, Operation, RuntimeError, VolumeSpec,
};

/// A container as the in-memory engine keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryContainer {
    /// The spec it was created from.
    pub spec: ContainerSpec,
    /// Owner label.
    pub owner: String,
    /// Current state.
    pub state: ContainerState,
    /// How many times it was started.
    pub starts: u32,
}

#[derive(Debug, Default)]
struct State {
    containers: BTreeMap<String, MemoryContainer>,
    /// name → (owner, app)
    networks: BTreeMap<String, (String, String)>,
    volumes: BTreeMap<String, (String, String)>,
    images: Option<BTreeSet<String>>,
    faults: HashMap<Operation, Fault>,
    calls: BTreeMap<Operation, u64>,
}

#[derive(Debug, Clone, Copy)]
enum Fault {
    Times(u32),
    Always,
}

/// The in-memory runtime. Cheap to create; share it behind an `Arc`.
#[derive(Debug)]
pub struct MemoryRuntime {
    endpoint: String,
    owner: String,
    state: Mutex<State>,
}

impl MemoryRuntime {
    /// An empty engine named `endpoint`, owned by `owner`, with no images.
    pub fn new(endpoint: impl Into<String>, owner: impl Into<String>) -> Self {
        MemoryRuntime {
            endpoint: endpoint.into(),
            owner: owner.into(),
            state: Mutex::new(State {
                images: Some(BTreeSet::new()),
                ..State::default()
            }),
        }
    }

    /// An empty engine on which every image exists.
    pub fn with_any_image(endpoint: impl Into<String>, owner: impl Into<String>) -> Self {
        let runtime = MemoryRuntime::new(endpoint, owner);
        runtime.lock().images = None;
        runtime
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic in a test thread must not hide the state from the assertions that follow.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Makes an image present.
    pub fn add_image(&self, image: impl Into<String>) {
        if let Some(images) = &mut self.lock().images {
            images.insert(image.into());
        }
    }

    /// Makes the next `times` calls of `operation` fail with [`RuntimeError::Injected`].
    pub fn fail_next(&self, operation: Operation, times: u32) {
        self.lock().faults.insert(operation, Fault::Times(times));
    }

    /// Makes every call of `operation` fail until [`MemoryRuntime::clear_faults`].
    pub fn fail_always(&self, operation: Operation) {
        self.lock().faults.insert(operation, Fault::Always);
    }

    /// Removes every injected fault.
    pub fn clear_faults(&self) {
        self.lock().faults.clear();
    }

    /// Simulates a crash: the container stops with `exit_code`. Returns false if it does not exist.
    pub fn crash(&self, name: &str, exit_code: i64) -> bool {
        match self.lock().containers.get_mut(name) {
            Some(container) => {
                container.state = ContainerState::Exited(exit_code);
                true
            }
            None => false,
        }
    }

    /// Adds a container that belongs to `owner` (for example another controller or FluxOS itself).
    pub fn insert_foreign(&self, spec: ContainerSpec, owner: impl Into<String>) {
        let name = spec.name.clone();
        let container = MemoryContainer {
            spec,
            owner: owner.into(),
            state: ContainerState::Running,
            starts: 1,
        };
        self.lock().containers.insert(name, container);
    }

    /// Every container, owned or not.
    pub fn containers(&self) -> BTreeMap<String, MemoryContainer> {
        self.lock().containers.clone()
    }

    /// Names of every network, owned or not.
    pub fn networks(&self) -> Vec<String> {
        self.lock().networks.keys().cloned().collect()
    }

    /// Names of every volume, owned or not.
    pub fn volumes(&self) -> Vec<String> {
        self.lock().volumes.keys().cloned().collect()
    }

    /// How many times each operation was called (failed calls included).
    pub fn calls(&self) -> BTreeMap<Operation, u64> {
        self.lock().calls.clone()
    }

    /// How many calls changed (or tried to change) the engine's state.
    pub fn mutation_count(&self) -> u64 {
        self.lock()
            .calls
            .iter()
            .filter(|(op, _)| op.is_mutation())
            .map(|(_, n)| n)
            .sum()
    }

    /// Counts the call and applies an injected fault, if any.
    fn enter(&self, operation: Operation) -> Result<MutexGuard<'_, State>, RuntimeError> {
        let mut state = self.lock();
        *state.calls.entry(operation).or_insert(0) += 1;
        match state.faults.get(&operation).copied() {
            Some(Fault::Always) => Err(RuntimeError::Injected(operation)),
            Some(Fault::Times(n)) if n > 0 => {
                if n == 1 {
                    state.faults.remove(&operation);
                } else {
                    state.faults.insert(operation, Fault::Times(n - 1));
                }
                Err(RuntimeError::Injected(operation))
            }
            _ => Ok(state),
        }
    }

    fn owned_resources(&self, map: &BTreeMap<String, (String, String)>) -> Vec<ObservedResource> {
        map.iter()
            .filter(|(_, (owner, _))| *owner == self.owner)
            .map(|(name, (_, app))| ObservedResource {
                name: name.clone(),
                app: app.clone(),
            })
            .collect()
    }

    fn remove_resource(
        &self,
        map: &mut BTreeMap<String, (String, String)>,
        kind: &'static str,
        name: &str,
    ) -> Result<(), RuntimeError> {
        match map.get(name) {
            None => Ok(()),
            Some((owner, _)) if *owner != self.owner => Err(RuntimeError::NotOwned {
                kind,
                name: name.to_owned(),
            }),
            Some(_) => {
                map.remove(name);
                Ok(())
            }
        }
    }
}

impl ContainerRuntime for MemoryRuntime {
    fn endpoint(&self) -> &str {
        &self.endpoint
    }

    fn owner(&self) -> &str {
        &self.owner
    }

    async fn list_containers(&self) -> Result<Vec<ObservedContainer>, RuntimeError> {
        let state = self.enter(Operation::ListContainers)?;
        Ok(state
            .containers
            .values()
            .filter(|container| container.owner == self.owner)
            .map(|container| ObservedContainer {
                name: container.spec.name.clone(),
                app: container.spec.app.clone(),
                component: container.spec.component.clone(),
                spec_hash: container.spec.fingerprint(),
                state: container.state,
            })
            .collect())
    }

    async fn create_container(&self, spec: &ContainerSpec) -> Result<(), RuntimeError> {
        let mut state = self.enter(Operation::CreateContainer)?;
        if let Some(images) = &state.images
            && !images.contains(&spec.image)
        {
            return Err(RuntimeError::ImageMissing {
                image: spec.image.clone(),
            });
        }
        if let Some(existing) = state.containers.get(&spec.name) {
            return Err(if existing.owner == self.owner {
                RuntimeError::Engine {
                    status: 409,
                    message: format!("container name {} is in use", spec.name),
                }
            } else {
                RuntimeError::NotOwned {
                    kind: "container",
                    name: spec.name.clone(),
                }
            });
        }
        if let Some(network) = &spec.network
            && !state.networks.contains_key(network)
        {
            return Err(RuntimeError::NotFound {
                kind: "network",
                name: network.clone(),
            });
        }
        for mount in &spec.mounts {
            if !state.volumes.contains_key(&mount.volume) {
                return Err(RuntimeError::NotFound {
                    kind: "volume",
                    name: mount.volume.clone(),
                });
            }
        }
        let container = MemoryContainer {
            spec: spec.clone(),
            owner: self.owner.clone(),
            state: ContainerState::Created,
            starts: 0,
        };
        state.containers.insert(spec.name.clone(), container);
        Ok(())
    }

    async fn start_container(&self, name: &str) -> Result<(), RuntimeError> {
        let mut state = self.enter(Operation::StartContainer)?;
        match state.containers.get_mut(name) {
            None => Err(RuntimeError::NotFound {
                kind: "container",
                name: name.to_owned(),
            }),
            Some(container) if container.owner != self.owner => Err(RuntimeError::NotOwned {
                kind: "container",
                name: name.to_owned(),
            }),
            Some(container) => {
                if !container.state.is_running() {
                    container.state = ContainerState::Running;
                    container.starts += 1;
                }
                Ok(())
            }
        }
    }

    async fn remove_container(&self, name: &str) -> Result<(), RuntimeError> {
        let mut state = self.enter(Operation::RemoveContainer)?;
        match state.containers.get(name) {
            None => Ok(()),
            Some(container) if container.owner != self.owner => Err(RuntimeError::NotOwned {
                kind: "container",
                name: name.to_owned(),
            }),
            Some(_) => {
                state.containers.remove(name);
                Ok(())
            }
        }
    }

    async fn list_networks(&self) -> Result<Vec<ObservedResource>, RuntimeError> {
        let state = self.enter(Operation::ListNetworks)?;
        Ok(self.owned_resources(&state.networks))
    }

    async fn ensure_network(&self, spec: &NetworkSpec) -> Result<(), RuntimeError> {
        let mut state = self.enter(Operation::EnsureNetwork)?;
        match state.networks.get(&spec.name) {
            Some((owner, _)) if *owner != self.owner => Err(RuntimeError::NotOwned {
                kind: "network",
                name: spec.name.clone(),
            }),
            Some(_) => Ok(()),
            None => {
                state
                    .networks
                    .insert(spec.name.clone(), (self.owner.clone(), spec.app.clone()));
                Ok(())
            }
        }
    }

    async fn remove_network(&self, name: &str) -> Result<(), RuntimeError> {
        let mut state = self.enter(Operation::RemoveNetwork)?;
        if state
            .containers
            .values()
            .any(|c| c.spec.network.as_deref() == Some(name))
        {
            return Err(RuntimeError::Engine {
                status: 403,
                message: format!("network {name} has active endpoints"),
            });
        }
        self.remove_resource(&mut state.networks, "network", name)
    }

    async fn list_volumes(&self) -> Result<Vec<ObservedResource>, RuntimeError> {
        let state = self.enter(Operation::ListVolumes)?;
        Ok(self.owned_resources(&state.volumes))
    }

    async fn ensure_volume(&self, spec: &VolumeSpec) -> Result<(), RuntimeError> {
        let mut state = self.enter(Operation::EnsureVolume)?;
        match state.volumes.get(&spec.name) {
            Some((owner, _)) if *owner != self.owner => Err(RuntimeError::NotOwned {
                kind: "volume",
                name: spec.name.clone(),
            }),
            Some(_) => Ok(()),
            None => {
                state
                    .volumes
                    .insert(spec.name.clone(), (self.owner.clone(), spec.app.clone()));
                Ok(())
            }
        }
    }

    async fn remove_volume(&self, name: &str) -> Result<(), RuntimeError> {
        let mut state = self.enter(Operation::RemoveVolume)?;
        if state
            .containers
            .values()
            .any(|c| c.spec.mounts.iter().any(|m| m.volume == name))
        {
            return Err(RuntimeError::Engine {
                status: 409,
                message: format!("volume {name} is in use"),
            });
        }
        self.remove_resource(&mut state.volumes, "volume", name)
    }

    async fn image_exists(&self, image: &str) -> Result<bool, RuntimeError> {
        let state = self.enter(Operation::ImageExists)?;
        Ok(state
            .images
            .as_ref()
            .is_none_or(|images| images.contains(image)))
    }
}
