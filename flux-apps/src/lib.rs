//! Flux apps: FluxOS app specs, validation, pricing, placement and a kube-style reconcile loop that
//! keeps N instances running over a `ContainerRuntime` (Docker through bollard, or in memory).
//!
//! This crate is being built under issue 6.

pub mod placement;
#[cfg(feature = "runtime")]
pub mod reconcile;
#[cfg(feature = "runtime")]
pub mod runtime;
