//! What the CLI tests share: running the `flux` binary built for this test run, and, for the tests
//! that need Docker or whose apps serve HTTP, flux-apps' test rules (`docker`).
// Each test binary compiles this module and uses only part of it.
#![allow(dead_code)]

use std::process::{Command, Output};

// One rule for every Docker test of the workspace (when a missing engine fails or skips) and one
// HTTP probe: the file flux-apps' own Docker tests use.
#[path = "../../../flux-apps/tests/common/docker.rs"]
pub mod docker;

/// A `flux node` process driven over its RPC.
pub mod node;

/// Runs `flux` with `args` and returns its exit status and output.
pub fn flux(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_flux"))
        .args(args)
        .output()
        .expect("the flux binary runs")
}

/// A loopback address with a port that was free a moment ago (for a process to bind).
pub fn free_loopback_addr() -> std::net::SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
}

/// A child process killed and reaped when the test drops it (a failing test included).
pub struct KillOnDrop(pub std::process::Child);

impl std::ops::Deref for KillOnDrop {
    type Target = std::process::Child;
    fn deref(&self) -> &std::process::Child {
        &self.0
    }
}

impl std::ops::DerefMut for KillOnDrop {
    fn deref_mut(&mut self) -> &mut std::process::Child {
        &mut self.0
    }
}

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
