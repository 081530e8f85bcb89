//! Examples for flux-rs: the `flux` command-line tool (`src/bin/flux`) that gathers every crate's
//! command-line entry points, the reference node ([`node`]) that composes all crates, and the
//! fluxd-shaped JSON view of transactions and blocks both of them print ([`fluxd_json`]), a
//! typed async client for the fluxd RPC calls a wallet makes ([`fluxd_rpc`]), and fluxd's
//! peer-to-peer protocol over TCP ([`p2p`]).

pub mod fluxd_json;
pub mod fluxd_rpc;
pub mod node;
pub mod p2p;

/// Listens for Ctrl-C (SIGINT) and, on Unix, SIGTERM from now on; the future completes on the
/// first of them. Registering before anything is started means an early Ctrl-C still stops and
/// cleans up (`flux app run`, `flux node`).
pub fn shutdown_signal() -> Result<impl std::future::Future<Output = ()>, String> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut interrupt = signal(SignalKind::interrupt())
            .map_err(|e| format!("cannot listen for Ctrl-C: {e}"))?;
        let mut terminate = signal(SignalKind::terminate())
            .map_err(|e| format!("cannot listen for SIGTERM: {e}"))?;
        Ok(async move {
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = terminate.recv() => {}
            }
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            // If the handler cannot be installed, stop at once rather than never.
            let _ = tokio::signal::ctrl_c().await;
        })
    }
}
