//! What the CLI tests share: running the `flux` binary built for this test run, and, for the tests
//! that need Docker or whose apps serve HTTP, flux-apps' test rules (`docker`).
// Each test binary compiles this module and uses only part of it.
#![allow(dead_code)]

use std::process::{Command, Output};

// One rule for every Docker test of the workspace (when a missing engine fails or skips) and one
// HTTP probe: the file flux-apps' own Docker tests use.
#[path = "../../../flux-apps/tests/common/docker.rs"]
pub mod docker;

/// Runs `flux` with `args` and returns its exit status and output.
pub fn flux(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_flux"))
        .args(args)
        .output()
        .expect("the flux binary runs")
}
