//! The driver: runs [`reconcile`] for every app when it is due, one pass per app at a time,
//! [`error_policy`] on failures and panics, and [`cleanup`] for deleted apps.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::{
    Action, AppDeployment, Context, ReconcileError, cleanup, error_policy, lock, reconcile,
    reset_error_backoff, sweep_orphans,
};
use crate::runtime::ContainerRuntime;

#[derive(Debug, Clone)]
enum Work {
    Reconcile(Arc<AppDeployment>),
    Cleanup(String),
}

#[derive(Debug, Default)]
struct Queue {
    apps: BTreeMap<String, Arc<AppDeployment>>,
    /// Apps deleted and not yet cleaned up.
    deleted: BTreeSet<String>,
    /// When each app (or deleted app) is due next; absent means waiting for a change.
    due: BTreeMap<String, Instant>,
    in_flight: BTreeSet<String>,
}

/// A controller's loop running on a task of its own ([`Controller::spawn`]).
#[derive(Debug)]
pub struct RunningController {
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl RunningController {
    /// Stops the loop and waits for the passes in flight to finish.
    ///
    /// # Errors
    /// The task's [`tokio::task::JoinError`] if the loop itself panicked or was aborted.
    pub async fn stop(self) -> Result<(), tokio::task::JoinError> {
        // The loop may already have ended; then there is nobody to tell.
        let _ = self.stop.send(());
        self.task.await
    }
}

/// Keeps a set of apps reconciled. Cheap to share: wrap it in an `Arc` and call
/// [`Controller::apply`] / [`Controller::delete`] from anywhere while [`Controller::run`] runs.
#[derive(Debug)]
pub struct Controller<R> {
    ctx: Arc<Context<R>>,
    queue: Mutex<Queue>,
    wake: Notify,
}

impl<R: ContainerRuntime> Controller<R> {
    /// A controller with no apps over `ctx`.
    pub fn new(ctx: Arc<Context<R>>) -> Self {
        Controller {
            ctx,
            queue: Mutex::new(Queue::default()),
            wake: Notify::new(),
        }
    }

    /// The shared context (nodes, status, placement).
    pub fn context(&self) -> &Arc<Context<R>> {
        &self.ctx
    }

    /// Adds or replaces an app; it is reconciled at once.
    pub fn apply(&self, app: AppDeployment) {
        let mut queue = lock(&self.queue);
        queue.deleted.remove(&app.name);
        queue.due.insert(app.name.clone(), Instant::now());
        queue.apps.insert(app.name.clone(), Arc::new(app));
        drop(queue);
        self.wake.notify_one();
    }

    /// Deletes an app; its containers, network and volumes are removed at once (and retried with
    /// backoff until done).
    pub fn delete(&self, name: &str) {
        let mut queue = lock(&self.queue);
        if queue.apps.remove(name).is_some() || queue.due.contains_key(name) {
            queue.deleted.insert(name.to_owned());
            queue.due.insert(name.to_owned(), Instant::now());
        }
        drop(queue);
        self.wake.notify_one();
    }

    /// The names of the apps it keeps running.
    pub fn apps(&self) -> Vec<String> {
        lock(&self.queue).apps.keys().cloned().collect()
    }

    /// True while deleted apps still wait for their cleanup to succeed.
    pub fn cleanup_pending(&self) -> bool {
        !lock(&self.queue).deleted.is_empty()
    }

    fn take_due(&self, now: Instant) -> Vec<(String, Work)> {
        let mut queue = lock(&self.queue);
        let ready: Vec<String> = queue
            .due
            .iter()
            .filter(|(name, at)| **at <= now && !queue.in_flight.contains(*name))
            .map(|(name, _)| name.clone())
            .collect();
        let mut work = Vec::new();
        for name in ready {
            queue.due.remove(&name);
            let item = if queue.deleted.contains(&name) {
                Work::Cleanup(name.clone())
            } else if let Some(app) = queue.apps.get(&name) {
                Work::Reconcile(Arc::clone(app))
            } else {
                continue;
            };
            queue.in_flight.insert(name.clone());
            work.push((name, item));
        }
        work
    }

    fn next_due(&self) -> Option<Instant> {
        let queue = lock(&self.queue);
        queue
            .due
            .iter()
            .filter(|(name, _)| !queue.in_flight.contains(*name))
            .map(|(_, at)| *at)
            .min()
    }

    async fn run_work(ctx: Arc<Context<R>>, work: Work) -> Result<Action, ReconcileError> {
        match work {
            Work::Reconcile(app) => reconcile(app, ctx).await,
            Work::Cleanup(name) => cleanup(&name, &ctx).await.map(|()| Action::await_change()),
        }
    }

    fn finish(&self, name: &str, work: &Work, result: Result<Action, ReconcileError>) {
        let action = match (&result, work) {
            (Ok(action), _) => {
                reset_error_backoff(name, &self.ctx);
                *action
            }
            (Err(error), Work::Reconcile(app)) => {
                error_policy(Arc::clone(app), error, Arc::clone(&self.ctx))
            }
            (Err(error), Work::Cleanup(_)) => {
                let placeholder = Arc::new(AppDeployment::new(name, 0, Vec::new()));
                error_policy(placeholder, error, Arc::clone(&self.ctx))
            }
        };
        let mut queue = lock(&self.queue);
        queue.in_flight.remove(name);
        if let Work::Cleanup(_) = work
            && result.is_ok()
            && queue.deleted.remove(name)
        {
            return;
        }
        // An `apply`/`delete` that arrived during the pass already scheduled it for now.
        if !queue.due.contains_key(name)
            && let Some(delay) = action.requeue_after()
        {
            queue.due.insert(name.to_owned(), Instant::now() + delay);
        }
    }

    /// Runs every app that is due now once, concurrently, and waits for them. Returns the results by
    /// app name. Useful in tests and for one-shot tools; [`Controller::run`] is the long-running
    /// form.
    pub async fn run_due(&self) -> BTreeMap<String, Result<Action, ReconcileError>> {
        let mut tasks = JoinSet::new();
        for (name, work) in self.take_due(Instant::now()) {
            let ctx = Arc::clone(&self.ctx);
            tasks.spawn(async move {
                let result = Self::run_work(ctx, work.clone()).await;
                (name, work, result)
            });
        }
        let mut results = BTreeMap::new();
        while let Some(joined) = tasks.join_next().await {
            if let Ok((name, work, result)) = joined {
                self.finish(&name, &work, result.clone());
                results.insert(name, result);
            }
        }
        results
    }

    /// Runs [`Controller::run`] on a new task until [`RunningController::stop`].
    pub fn spawn(self: &Arc<Self>) -> RunningController {
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let controller = Arc::clone(self);
        let task = tokio::spawn(async move {
            controller
                .run(async {
                    let _ = stopped.await;
                })
                .await;
        });
        RunningController { stop, task }
    }

    /// Runs the loop until `shutdown` completes, then waits for the passes in flight. A panicking
    /// pass is reported as [`ReconcileError::Panicked`] and requeued with backoff.
    pub async fn run<F: Future<Output = ()>>(&self, shutdown: F) {
        let mut tasks: JoinSet<(String, Work, Result<Action, ReconcileError>)> = JoinSet::new();
        // Task id → (name, work), to requeue after a panic.
        let mut running: BTreeMap<tokio::task::Id, (String, Work)> = BTreeMap::new();
        tokio::pin!(shutdown);
        loop {
            for (name, work) in self.take_due(Instant::now()) {
                let ctx = Arc::clone(&self.ctx);
                let (task_name, task_work) = (name.clone(), work.clone());
                let handle = tasks.spawn(async move {
                    let result = Self::run_work(ctx, task_work.clone()).await;
                    (task_name, task_work, result)
                });
                running.insert(handle.id(), (name, work));
            }
            let sleep_until = self
                .next_due()
                .unwrap_or_else(|| Instant::now() + Duration::from_secs(3600));
            tokio::select! {
                () = &mut shutdown => break,
                Some(joined) = tasks.join_next_with_id(), if !tasks.is_empty() => {
                    match joined {
                        Ok((id, (name, work, result))) => {
                            running.remove(&id);
                            self.finish(&name, &work, result);
                        }
                        Err(error) => {
                            if let Some((name, work)) = running.remove(&error.id()) {
                                let message = if error.is_panic() {
                                    let payload = error.into_panic();
                                    payload
                                        .downcast_ref::<&str>()
                                        .map(|s| (*s).to_owned())
                                        .or_else(|| payload.downcast_ref::<String>().cloned())
                                        .unwrap_or_default()
                                } else {
                                    "cancelled".to_owned()
                                };
                                let app = name.clone();
                                self.finish(&name, &work, Err(ReconcileError::Panicked { app, message }));
                            }
                        }
                    }
                }
                () = tokio::time::sleep_until(sleep_until) => {}
                () = self.wake.notified() => {}
            }
        }
        while let Some(joined) = tasks.join_next_with_id().await {
            if let Ok((id, (name, work, result))) = joined {
                running.remove(&id);
                self.finish(&name, &work, result);
            }
        }
    }

    /// Removes every app this controller runs (and anything else it owns on the engines), for a
    /// clean shutdown. Idempotent.
    ///
    /// # Errors
    ///
    /// The first pass that failed; call again to finish.
    pub async fn remove_everything(&self) -> Result<usize, ReconcileError> {
        let names: Vec<String> = {
            let mut queue = lock(&self.queue);
            let names = queue.apps.keys().cloned().collect();
            queue.apps.clear();
            queue.due.clear();
            queue.deleted.clear();
            names
        };
        let mut first_error = None;
        for name in &names {
            if let Err(error) = cleanup(name, &self.ctx).await {
                first_error.get_or_insert(error);
            }
        }
        let swept = sweep_orphans(&BTreeSet::new(), &self.ctx).await;
        match (first_error, swept) {
            (Some(error), _) | (None, Err(error)) => Err(error),
            (None, Ok(removed)) => Ok(removed),
        }
    }
}
