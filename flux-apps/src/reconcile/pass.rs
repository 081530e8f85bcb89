//! One reconcile pass over one app, as the phases the [module documentation](super) lists: look at
//! every engine, place, remove where the app no longer belongs, then converge each placed node
//! within the rolling-update allowance. [`Pass`] carries what the phases share: the app, the
//! context, the pass's clock reading, the failures collected so far, the status being built and
//! the earliest moment something (a restart backoff, a rollout pause) wants the app looked at again.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use tokio::time::Instant;

use super::{
    Action, AppDeployment, AppOnNode, AppStatus, ContainerOnNode, Context, Failures,
    ReconcileError, RestartRecord, belongs_to, cleanup, lock, note_install_result,
    remove_from_node,
};
use crate::placement::AppPlacement;
use crate::runtime::{
    ContainerRuntime, ContainerSpec, ContainerState, ObservedContainer, RuntimeError,
};

/// What every node's engine answered about the app's containers (`Err`: it did not answer).
pub(super) type Observed = BTreeMap<String, Result<Vec<ObservedContainer>, RuntimeError>>;

/// How one placed node stands before this pass changes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NodeReadiness {
    Ready,
    /// Every container runs, some from an older spec.
    Outdated,
    /// Some container is missing or not running.
    Unavailable,
}

/// A placed, reachable node: what it should run, what it runs, and how it stands.
struct NodePlan {
    node: String,
    desired: Vec<ContainerSpec>,
    observed: Vec<ObservedContainer>,
    readiness: NodeReadiness,
}

/// How many outdated instances this pass may still replace, and whether it replaced one.
struct Rollout {
    budget: usize,
    replaced_any: bool,
}

/// What the pass does about one desired container after looking at the existing one.
enum ContainerStep {
    /// Create it (and the app's network and volumes first, once per node) and start it.
    Create,
    /// Leave it as it is; the node is not ready because of it.
    NotReady,
    /// Leave it as it is; it does not change the node's readiness.
    Unchanged,
    /// It was restarted just now, which counts the node as ready again (as before the split
    /// into phases: the restart resets the node's readiness, whatever earlier containers said).
    Restarted,
}

/// The state one reconcile pass of one app shares between its phases.
pub(super) struct Pass<'a, R> {
    app: &'a AppDeployment,
    ctx: &'a Context<R>,
    /// One clock reading for the whole pass, so that every phase judges time alike.
    now: Instant,
    failures: Failures,
    status: AppStatus,
    wake_at: Option<Instant>,
}

impl<'a, R: ContainerRuntime> Pass<'a, R> {
    pub(super) fn new(app: &'a AppDeployment, ctx: &'a Context<R>) -> Self {
        Pass {
            app,
            ctx,
            now: Instant::now(),
            failures: Failures::default(),
            status: AppStatus::default(),
            wake_at: None,
        }
    }

    /// Phase 1: an app whose `expires_at` height is reached is removed everywhere. `None` when
    /// the app lives on.
    pub(super) async fn remove_if_expired(&self) -> Option<Result<Action, ReconcileError>> {
        let height = *lock(&self.ctx.height);
        let (Some(expires), Some(height)) = (self.app.expires_at, height) else {
            return None;
        };
        if height < expires {
            return None;
        }
        let result = cleanup(&self.app.name, self.ctx).await;
        let status = AppStatus {
            wanted: self.app.instances(),
            expired: true,
            last_error: result.as_ref().err().map(ToString::to_string),
            ..AppStatus::default()
        };
        self.ctx.set_status(&self.app.name, status);
        Some(result.map(|()| Action::await_change()))
    }

    /// Phase 2: records which engines answered. An engine that did not answer is marked
    /// unavailable for placement; it is this app's failure only if it held one of the app's
    /// `previous` instances. Returns the silent nodes still within their grace period, which keep
    /// their instances.
    pub(super) fn note_reachability(
        &mut self,
        observed: &Observed,
        previous: &[String],
    ) -> BTreeSet<String> {
        let mut within_grace = BTreeSet::new();
        let mut since = lock(&self.ctx.unreachable_since);
        let mut cluster = lock(&self.ctx.cluster);
        for (id, listed) in observed {
            match listed {
                Ok(_) => {
                    since.remove(id);
                    cluster.set_available(id, self.ctx.nodes[id].node.available);
                }
                Err(error) => {
                    // A dead engine elsewhere must not push every app into error backoff.
                    if previous.contains(id) {
                        self.failures.push(id, "list containers", error.clone());
                    }
                    let down_since = *since.entry(id.clone()).or_insert(self.now);
                    cluster.set_available(id, false);
                    let grace_ends = down_since + self.ctx.config.unreachable_grace;
                    if grace_ends > self.now {
                        within_grace.insert(id.clone());
                        // The instance moves when the grace ends: look again right then.
                        if previous.contains(id) {
                            self.wake_at =
                                Some(self.wake_at.map_or(grace_ends, |w| w.min(grace_ends)));
                        }
                    }
                }
            }
        }
        within_grace
    }

    /// Phase 3: the nodes where install kept failing sit out their cooldown; the others are
    /// placed, keeping `current` instances that still pass every rule.
    pub(super) fn place(&mut self, current: &[String]) -> AppPlacement {
        let excluded = self.excluded_nodes();
        let request = if excluded.is_empty() {
            Cow::Borrowed(&self.app.placement)
        } else {
            let mut request = self.app.placement.clone();
            request.excluded.extend(excluded.iter().cloned());
            Cow::Owned(request)
        };
        let current: Vec<&str> = current.iter().map(String::as_str).collect();
        let placement = lock(&self.ctx.cluster).place(&request, &current);
        self.status.wanted = self.app.instances();
        self.status.nodes.clone_from(&placement.nodes);
        self.status.shortfall.clone_from(&placement.shortfall);
        self.status.excluded = excluded;
        placement
    }

    /// The nodes in their install-failure cooldown for this app; forgets records that expired.
    fn excluded_nodes(&self) -> Vec<String> {
        let mut installs = lock(&self.ctx.installs);
        installs.retain(|_, record| {
            record.consecutive_failures > 0 || record.excluded_until.is_some_and(|t| t > self.now)
        });
        installs
            .iter()
            .filter(|(key, record)| {
                key.app == self.app.name && record.excluded_until.is_some_and(|t| t > self.now)
            })
            .map(|(key, _)| key.node.clone())
            .collect()
    }

    /// Phase 4: nodes that should not run the app any more lose its containers, network and
    /// volumes (including nodes where only the network or volumes were made before a create
    /// failed).
    pub(super) async fn remove_unplaced(&mut self, observed: &Observed, placement: &AppPlacement) {
        let placed: BTreeSet<&str> = placement.nodes.iter().map(String::as_str).collect();
        for (id, listed) in observed {
            let here = AppOnNode::new(&self.app.name, id);
            let has_infrastructure = lock(&self.ctx.infrastructure).contains(&here);
            if let Ok(containers) = listed
                && !placed.contains(id.as_str())
                && (!containers.is_empty() || has_infrastructure)
            {
                let before = self.failures.0.len();
                let runtime = &self.ctx.nodes[id].runtime;
                remove_from_node(
                    &self.app.name,
                    id,
                    &**runtime,
                    containers,
                    &mut self.failures,
                )
                .await;
                // Only this app's history on this node: other apps there keep their crash ladders.
                lock(&self.ctx.restarts).retain(|key, _| {
                    key.node != *id || !belongs_to(&key.container, &self.app.name)
                });
                if self.failures.0.len() == before {
                    lock(&self.ctx.infrastructure).remove(&here);
                }
            }
        }
    }

    /// Phase 5a: how each placed node that answered stands.
    fn assess(&self, observed: &Observed, placement: &AppPlacement) -> Vec<NodePlan> {
        let mut plans = Vec::new();
        for id in &placement.nodes {
            let Some(Ok(containers)) = observed.get(id) else {
                continue;
            };
            let handle = &self.ctx.nodes[id];
            let desired = self.app.container_specs(handle.node.ip);
            let by_name: HashMap<&str, &ObservedContainer> =
                containers.iter().map(|c| (c.name.as_str(), c)).collect();
            let mut readiness = NodeReadiness::Ready;
            for spec in &desired {
                match by_name.get(spec.name.as_str()) {
                    Some(c) if c.state.is_running() || c.state == ContainerState::Paused => {
                        if c.spec_hash != spec.fingerprint() && readiness == NodeReadiness::Ready {
                            readiness = NodeReadiness::Outdated;
                        }
                    }
                    _ => readiness = NodeReadiness::Unavailable,
                }
            }
            if containers
                .iter()
                .any(|c| !desired.iter().any(|d| d.name == c.name))
                && readiness == NodeReadiness::Ready
            {
                readiness = NodeReadiness::Outdated;
            }
            plans.push(NodePlan {
                node: id.clone(),
                desired,
                observed: containers.clone(),
                readiness,
            });
        }
        plans
    }

    /// Phase 5b: how many outdated instances may be replaced now. Instances already down
    /// (unavailable, or placed on a node that did not answer) use up `max_unavailable` first, and
    /// successive steps of a rolling update are at least `rollout_pause` apart however often the
    /// app is reconciled, so a replaced instance gets that long to come up before the next goes.
    fn rollout(
        &mut self,
        observed: &Observed,
        placement: &AppPlacement,
        plans: &[NodePlan],
    ) -> Rollout {
        let unreachable_placed = placement
            .nodes
            .iter()
            .filter(|id| matches!(observed.get(*id), Some(Err(_))))
            .count();
        let unavailable = plans
            .iter()
            .filter(|plan| plan.readiness == NodeReadiness::Unavailable)
            .count()
            + unreachable_placed;
        let mut budget = usize::try_from(self.ctx.config.max_unavailable)
            .unwrap_or(usize::MAX)
            .saturating_sub(unavailable);
        let next_step = lock(&self.ctx.rollout_steps)
            .get(&self.app.name)
            .map(|last| *last + self.ctx.config.rollout_pause);
        let rolling = plans
            .iter()
            .any(|plan| plan.readiness == NodeReadiness::Outdated);
        if let Some(due) = next_step.filter(|due| rolling && *due > self.now) {
            budget = 0;
            self.wake_at = Some(due);
        }
        Rollout {
            budget,
            replaced_any: false,
        }
    }

    /// Phase 5: converges every placed node that answered; returns whether an outdated instance
    /// was replaced.
    pub(super) async fn converge(&mut self, observed: &Observed, placement: &AppPlacement) -> bool {
        let plans = self.assess(observed, placement);
        let mut rollout = self.rollout(observed, placement, &plans);
        for plan in plans {
            self.converge_node(plan, &mut rollout).await;
        }
        rollout.replaced_any
    }

    /// Brings one node to the app's spec: stale containers go, missing ones are created, stopped
    /// ones restart on the crash ladder, outdated ones are replaced if the rollout allows it.
    async fn converge_node(&mut self, plan: NodePlan, rollout: &mut Rollout) {
        let runtime = &self.ctx.nodes[&plan.node].runtime;
        let replace_outdated = match plan.readiness {
            NodeReadiness::Outdated if rollout.budget > 0 => {
                rollout.budget -= 1;
                rollout.replaced_any = true;
                lock(&self.ctx.rollout_steps).insert(self.app.name.clone(), self.now);
                true
            }
            NodeReadiness::Outdated => {
                self.status.outdated += 1;
                false
            }
            NodeReadiness::Ready | NodeReadiness::Unavailable => false,
        };
        let mut node_ready = true;
        let failures_before = self.failures.0.len();
        // Containers of the app that no longer belong to its spec (a removed component).
        for stale in plan
            .observed
            .iter()
            .filter(|c| !plan.desired.iter().any(|d| d.name == c.name))
        {
            if (replace_outdated || plan.readiness == NodeReadiness::Unavailable)
                && let Err(error) = runtime.remove_container(&stale.name).await
            {
                self.failures.push(
                    &plan.node,
                    format!("remove container {}", stale.name),
                    error,
                );
            }
        }
        let mut infrastructure_ready = false;
        for spec in &plan.desired {
            let key = ContainerOnNode::new(&plan.node, &spec.name);
            let step = match plan.observed.iter().find(|c| c.name == spec.name) {
                None => ContainerStep::Create,
                Some(existing) => {
                    self.settle_existing(&**runtime, &key, spec, existing, replace_outdated)
                        .await
                }
            };
            match step {
                ContainerStep::Create => {}
                ContainerStep::NotReady => {
                    node_ready = false;
                    continue;
                }
                ContainerStep::Unchanged => continue,
                ContainerStep::Restarted => {
                    node_ready = true;
                    continue;
                }
            }
            if !infrastructure_ready {
                if !self.ensure_infrastructure(&**runtime, &plan.node).await {
                    node_ready = false;
                    break;
                }
                infrastructure_ready = true;
            }
            if !self.create_and_start(&**runtime, key, spec).await {
                node_ready = false;
            }
        }
        if node_ready {
            self.status.ready += 1;
        }
        note_install_result(
            self.ctx,
            &self.app.name,
            &plan.node,
            self.failures.0.len() > failures_before,
            self.now,
        );
    }

    /// Decides about a container the node already has: replace it when outdated and the rollout
    /// allows it, recreate it when dead (or down and outdated), leave it when it runs, restart it
    /// on the crash ladder when it stopped.
    async fn settle_existing(
        &mut self,
        runtime: &R,
        key: &ContainerOnNode,
        spec: &ContainerSpec,
        existing: &ObservedContainer,
        replace_outdated: bool,
    ) -> ContainerStep {
        let outdated = existing.spec_hash != spec.fingerprint();
        if outdated && replace_outdated {
            if let Err(error) = runtime.remove_container(&existing.name).await {
                self.failures.push(
                    &key.node,
                    format!("remove outdated container {}", existing.name),
                    error,
                );
                return ContainerStep::NotReady;
            }
            lock(&self.ctx.restarts).remove(key);
            return ContainerStep::Create;
        }
        if matches!(
            existing.state,
            ContainerState::Dead | ContainerState::Removing
        ) || (outdated && !existing.state.is_running())
        {
            // Dead, or down and outdated anyway: recreate from the current spec.
            if let Err(error) = runtime.remove_container(&existing.name).await {
                self.failures.push(
                    &key.node,
                    format!("remove stopped container {}", existing.name),
                    error,
                );
                return ContainerStep::NotReady;
            }
            return ContainerStep::Create;
        }
        if existing.state.is_running()
            || matches!(
                existing.state,
                ContainerState::Paused | ContainerState::Restarting
            )
        {
            return if outdated {
                ContainerStep::NotReady
            } else {
                ContainerStep::Unchanged
            };
        }
        // Stopped or never started.
        self.restart_on_ladder(runtime, key, spec).await
    }

    /// Restarts a stopped container once FluxOS's crash ladder allows it.
    async fn restart_on_ladder(
        &mut self,
        runtime: &R,
        key: &ContainerOnNode,
        spec: &ContainerSpec,
    ) -> ContainerStep {
        let backoff = &self.ctx.config.restart_backoff;
        let due = {
            let mut restarts = lock(&self.ctx.restarts);
            let record = restarts.entry(key.clone()).or_insert(RestartRecord {
                attempts: 0,
                last_start: self.now,
                down_since: None,
            });
            if record.down_since.is_none() {
                if self.now.duration_since(record.last_start) >= backoff.stable_after {
                    record.attempts = 0;
                }
                record.down_since = Some(self.now);
            }
            record.down_since.unwrap_or(self.now) + backoff.delay(record.attempts)
        };
        if due > self.now {
            self.status.backing_off += 1;
            self.wake_at = Some(self.wake_at.map_or(due, |w| w.min(due)));
            return ContainerStep::NotReady;
        }
        match runtime.start_container(&spec.name).await {
            Ok(()) => {
                let mut restarts = lock(&self.ctx.restarts);
                if let Some(record) = restarts.get_mut(key) {
                    record.attempts = record.attempts.saturating_add(1);
                    record.last_start = self.now;
                    record.down_since = None;
                }
                ContainerStep::Restarted
            }
            Err(error) => {
                self.failures
                    .push(&key.node, format!("restart container {}", spec.name), error);
                ContainerStep::NotReady
            }
        }
    }

    /// Makes the app's network and volumes on a node before its first container there; false
    /// when one of them failed (every volume is still tried).
    async fn ensure_infrastructure(&mut self, runtime: &R, node: &str) -> bool {
        lock(&self.ctx.infrastructure).insert(AppOnNode::new(&self.app.name, node));
        let network = self.app.network();
        if let Err(error) = runtime.ensure_network(&network).await {
            self.failures
                .push(node, format!("create network {}", network.name), error);
            return false;
        }
        let mut volumes_ok = true;
        for volume in self.app.volumes() {
            if let Err(error) = runtime.ensure_volume(&volume).await {
                self.failures
                    .push(node, format!("create volume {}", volume.name), error);
                volumes_ok = false;
            }
        }
        volumes_ok
    }

    /// Creates and starts one container, starting its crash ladder afresh; false on failure.
    async fn create_and_start(
        &mut self,
        runtime: &R,
        key: ContainerOnNode,
        spec: &ContainerSpec,
    ) -> bool {
        let started = match runtime.create_container(spec).await {
            Ok(()) => runtime.start_container(&spec.name).await,
            Err(error) => Err(error),
        };
        match started {
            Ok(()) => {
                lock(&self.ctx.restarts).insert(
                    key,
                    RestartRecord {
                        attempts: 0,
                        last_start: self.now,
                        down_since: None,
                    },
                );
                true
            }
            Err(error) => {
                self.failures.push(
                    &key.node,
                    format!("create and start container {}", spec.name),
                    error,
                );
                false
            }
        }
    }

    /// Phase 6: records the status and says when to look again: after the resync period, sooner
    /// while a rolling update goes on, and no later than the earliest backoff or rollout wake-up.
    pub(super) fn finish(mut self, replaced_any: bool) -> Result<Action, ReconcileError> {
        let config = &self.ctx.config;
        let mut delay = config.resync;
        if replaced_any || self.status.outdated > 0 {
            delay = delay.min(config.rollout_pause);
        }
        if let Some(wake) = self.wake_at {
            delay = delay.min(wake.saturating_duration_since(self.now));
        }
        self.status.last_error = self.failures.0.first().map(ToString::to_string);
        self.ctx.set_status(&self.app.name, self.status);
        let mut retry_by = lock(&self.ctx.retry_by);
        match self.wake_at.filter(|_| !self.failures.0.is_empty()) {
            Some(wake) => retry_by.insert(self.app.name.clone(), wake),
            None => retry_by.remove(&self.app.name),
        };
        drop(retry_by);
        self.failures.into_result(Action::requeue(delay))
    }
}

/// The app's current instances: the previous placement first (oldest first) where the node still
/// runs containers of the app or is silent within its grace period, then other nodes that run
/// containers of it.
pub(super) fn current_instances(
    previous: &[String],
    observed: &Observed,
    within_grace: &BTreeSet<String>,
) -> Vec<String> {
    let mut current: Vec<String> = previous
        .iter()
        .filter(|id| match observed.get(*id) {
            Some(Ok(containers)) => !containers.is_empty(),
            Some(Err(_)) => within_grace.contains(*id),
            None => false,
        })
        .cloned()
        .collect();
    for (id, listed) in observed {
        if let Ok(containers) = listed
            && !containers.is_empty()
            && !current.contains(id)
        {
            current.push(id.clone());
        }
    }
    current
}
