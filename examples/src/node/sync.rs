//! Following another node over its JSON-RPC: find the last block both chains share, then fetch
//! and validate every block after it in order (a heavier remote branch reorganises this node).

use std::sync::{Arc, Mutex, PoisonError};

use flux_pow::BlockHeight;

use super::state::{NodeState, StateError};
use crate::fluxd_rpc::{FluxdClient, RpcClientError};

/// Blocks fetched per sync round before the state is settled and the summary can print.
pub const BATCH: u32 = 500;

/// Why a sync round failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SyncError {
    /// The peer did not answer as a node should (unreachable, refused, or a malformed answer).
    #[error("{0}")]
    Peer(#[from] RpcClientError),
    /// A block from the peer breaks a consensus rule: the peer is on another chain or lying.
    #[error("block {height} from the peer is invalid: {error}")]
    InvalidBlock {
        /// Its height on the peer.
        height: u32,
        /// The rule it breaks, or the local store's failure.
        error: flux_consensus::AcceptBlockError,
    },
    /// The local store or books failed.
    #[error("{0}")]
    State(#[from] StateError),
    /// The local store failed.
    #[error("chain store: {0}")]
    Store(#[from] flux_consensus::StoreError),
}

fn lock(state: &Mutex<NodeState>) -> std::sync::MutexGuard<'_, NodeState> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One round: fetch and accept up to [`BATCH`] blocks the peer has beyond the last common block.
/// Returns how many blocks were accepted.
///
/// # Errors
/// [`SyncError`].
pub async fn sync_once(
    state: &Arc<Mutex<NodeState>>,
    client: &FluxdClient,
) -> Result<u32, SyncError> {
    let remote_height = client.block_count().await?;
    let local_height = lock(state).chain().tip().0.0;
    // Walk down from the lower tip until both chains agree (genesis always does).
    let mut common = local_height.min(remote_height);
    loop {
        let local = lock(state).chain().block_hash(BlockHeight(common))?;
        let remote = client.block_hash(common).await?;
        if local == Some(remote) || common == 0 {
            break;
        }
        common -= 1;
    }
    if remote_height <= common {
        return Ok(0);
    }
    let last = remote_height.min(common.saturating_add(BATCH));
    let mut accepted = 0;
    for height in common + 1..=last {
        let hash = client.block_hash(height).await?;
        let block = client.raw_block(&hash).await?;
        let mut guard = lock(state);
        guard
            .accept_block(&block)
            .map_err(|error| SyncError::InvalidBlock { height, error })?;
        accepted += 1;
    }
    lock(state).settle()?;
    Ok(accepted)
}
