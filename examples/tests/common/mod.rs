//! What every CLI test shares: running the `flux` binary built for this test run.

use std::process::{Command, Output};

/// Runs `flux` with `args` and returns its exit status and output.
pub fn flux(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_flux"))
        .args(args)
        .output()
        .expect("the flux binary runs")
}
