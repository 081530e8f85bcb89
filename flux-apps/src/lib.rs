//! Flux apps: FluxOS app specs, validation, pricing, placement and a kube-style reconcile loop that
//! keeps N instances running over a `ContainerRuntime` (Docker through bollard, or in memory).
//!
//! * [`spec`]: app specifications v1–8 as FluxOS formats, validates, hashes and prices them;
//! * [`placement`]: which nodes run an app's instances;
//! * [`registration`]: signed register/update messages, fees, owner-only updates, expiry;
//! * `reconcile` and `runtime` (feature `runtime`/`docker`): keeping the instances running.
//!
//! ```
//! use flux_apps::spec::{check_json, BlockHeight, ValidationOptions};
//!
//! let json = r#"{"version":3,"name":"hello","description":"hi","owner":"1CbErtneaX2QVyUfwU7JGB7VzvPgrgc3uC",
//!   "repotag":"nginx:latest","ports":["31001"],"domains":[""],"enviromentParameters":[],"commands":[],
//!   "containerPorts":["80"],"containerData":"/data","cpu":0.1,"ram":100,"hdd":1,"tiered":false,"instances":3}"#;
//! let report = check_json(json, BlockHeight(2_800_000), &ValidationOptions::fluxos())?;
//! assert!(report.is_valid());
//!
//! // Port 22 is banned, and FluxOS says so in its own words.
//! let bad = json.replace("31001", "22");
//! let report = check_json(&bad, BlockHeight(2_800_000), &ValidationOptions::fluxos())?;
//! assert_eq!(report.violations[0].to_string(), "Assigned port 22 is not allowed for Flux Apps");
//! # Ok::<(), serde_json::Error>(())
//! ```

// The README's example runs as a doc test as well, so the page crates.io shows cannot go stale.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

pub mod placement;
#[cfg(feature = "runtime")]
pub mod reconcile;
pub mod registration;
#[cfg(feature = "runtime")]
pub mod runtime;
pub mod spec;
