//! What the loop last saw of each node's engine, for status lines (one per engine) and for
//! operators: whether it answered, since when it is silent, and what of this controller's runs
//! there.

use core::fmt;
use std::collections::BTreeMap;
use std::time::Duration;

use tokio::time::Instant;

use crate::runtime::{ObservedContainer, RuntimeError};

/// One engine as the latest pass that asked it saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineView {
    /// The engine's address.
    pub endpoint: String,
    /// When it last answered (`None`: never yet).
    pub last_answer: Option<Instant>,
    /// Since when it does not answer (`None` while it answers).
    pub silent_since: Option<Instant>,
    /// Its latest error, while it does not answer.
    pub error: Option<String>,
    /// app → (containers of it on the engine, of which running), as of its latest answer.
    pub apps: BTreeMap<String, (usize, usize)>,
}

impl EngineView {
    pub(super) fn new(endpoint: &str) -> Self {
        EngineView {
            endpoint: endpoint.to_owned(),
            last_answer: None,
            silent_since: None,
            error: None,
            apps: BTreeMap::new(),
        }
    }

    pub(super) fn answered(&mut self, containers: &[ObservedContainer], now: Instant) {
        self.last_answer = Some(now);
        self.silent_since = None;
        self.error = None;
        self.apps.clear();
        for container in containers {
            let entry = self.apps.entry(container.app.clone()).or_default();
            entry.0 += 1;
            if container.state.is_running() {
                entry.1 += 1;
            }
        }
    }

    pub(super) fn failed(&mut self, error: &RuntimeError, now: Instant) {
        self.silent_since.get_or_insert(now);
        self.error = Some(error.to_string());
    }

    /// How long it has been silent, as of `now`.
    pub fn silent_for(&self, now: Instant) -> Option<Duration> {
        self.silent_since
            .map(|since| now.saturating_duration_since(since))
    }
}

impl fmt::Display for EngineView {
    /// `up, hello 1/1 running` or `no answer for 4s: …`; times are rounded to whole seconds.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(silent) = self.silent_for(Instant::now()) {
            write!(f, "no answer for {}s", silent.as_secs())?;
            if let Some(error) = &self.error {
                write!(f, ": {error}")?;
            }
            return Ok(());
        }
        if self.last_answer.is_none() {
            return f.write_str("not asked yet");
        }
        f.write_str("up")?;
        if self.apps.is_empty() {
            return f.write_str(", nothing running");
        }
        for (app, (containers, running)) in &self.apps {
            write!(f, ", {app} {running}/{containers} running")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::ContainerState;

    fn container(app: &str, state: ContainerState) -> ObservedContainer {
        ObservedContainer {
            name: format!("fluxweb_{app}"),
            app: app.into(),
            component: "web".into(),
            spec_hash: String::new(),
            state,
        }
    }

    #[test]
    fn answers_and_silences_read_as_lines() {
        let now = Instant::now();
        let mut view = EngineView::new("unix:///e0.sock");
        assert_eq!(view.to_string(), "not asked yet");
        view.answered(
            &[
                container("hello", ContainerState::Running),
                container("hello", ContainerState::Exited(137)),
                container("other", ContainerState::Running),
            ],
            now,
        );
        assert_eq!(view.to_string(), "up, hello 1/2 running, other 1/1 running");
        let refused = RuntimeError::Unreachable {
            endpoint: "unix:///e0.sock".into(),
            message: "connection refused".into(),
        };
        view.failed(&refused, now);
        let first = view.silent_since;
        view.failed(&refused, now + Duration::from_secs(3));
        assert_eq!(
            view.silent_since, first,
            "silence counts from the first failure"
        );
        assert!(view.to_string().starts_with("no answer for "));
        assert!(view.to_string().ends_with("connection refused"));
        view.answered(&[], now);
        assert_eq!(view.to_string(), "up, nothing running");
    }
}
