//! Switching the best chain to a heavier branch (`ActivateBestChain`): find the fork, disconnect
//! the best chain down to it, connect the branch, then commit, or put everything back and mark
//! the failing branch block invalid.

use flux_nodes::FluxnodeList;
use flux_nodes::list::BlockUndo;
use flux_pow::BlockHeight;
use flux_tx::{Block, BlockHash};
use redb::{ReadableTable, WriteTransaction};

use super::connect::{ConnectFailure, connect_block, disconnect_block};
use super::tables::{get_block, put_index, require_index, set_tip};
use super::{AcceptBlockError, AcceptOutcome, Chain, Tip};
use crate::error::BlockError;
use crate::params::NetworkParams;
use crate::store::{BLOCKS, BlockStatus, INDEX, IndexEntry, MAIN, StoreError, decode_hash};

/// The blocks a reorganisation takes off and puts on.
struct ReorgPlan<'a> {
    /// The best chain's tip before the switch.
    tip: Tip,
    /// The height of the last block both chains share.
    fork_height: BlockHeight,
    /// The stored branch blocks between the fork and the new block, lowest first.
    branch: Vec<(BlockHash, BlockHeight)>,
    /// The new block, stored in the transaction but not yet connected.
    block: &'a Block,
    hash: BlockHash,
    height: BlockHeight,
}

/// What a switch did so far: the list's undo records taken off and put on, and the blocks
/// disconnected and connected.
#[derive(Default)]
struct ReorgProgress {
    /// The list undo records of the disconnected blocks, tip first.
    popped: Vec<BlockUndo>,
    /// The list undo records of the connected blocks, lowest first.
    applied: Vec<BlockUndo>,
    disconnected: Vec<BlockHash>,
    connected: Vec<BlockHash>,
}

impl Chain {
    /// Switches the best chain to the branch ending at `block` (already stored in `txn`).
    pub(super) fn reorganize(
        &mut self,
        txn: WriteTransaction,
        block: &Block,
        hash: BlockHash,
        entry: IndexEntry,
    ) -> Result<AcceptOutcome, AcceptBlockError> {
        let (fork_height, branch) = find_fork(&txn, &entry)?;
        let plan = ReorgPlan {
            tip: self.tip,
            fork_height,
            branch,
            block,
            hash,
            height: BlockHeight(entry.height),
        };
        let list_before = self.list.clone();
        let mut progress = ReorgProgress::default();
        let result = switch_branch(
            self.params.as_ref(),
            &txn,
            &mut self.list,
            &mut self.list_undo,
            &plan,
            &mut progress,
        )
        .and_then(|()| txn.commit().map_err(|error| StoreError::from(error).into()));
        match result {
            Ok(()) => {
                self.list_undo.extend(progress.applied);
                self.tip = Tip {
                    height: plan.height,
                    hash,
                    chain_work: entry.chain_work,
                };
                Ok(AcceptOutcome::Reorganized {
                    height: plan.height,
                    fork_height,
                    disconnected: progress.disconnected,
                    connected: progress.connected,
                })
            }
            Err(failure) => {
                // The store is unchanged (the transaction is not committed): so must the list
                // and its undo records be.
                self.list = list_before;
                self.list_undo.extend(progress.popped.into_iter().rev());
                // A bad block signature is not committed by the hash: the block may come again
                // properly signed (`accept_known_block` then replaces the stored copy).
                if let ConnectFailure::Invalid { block, error } = &failure
                    && *block != hash
                    && !error.is_signature_failure()
                {
                    self.mark_invalid(block)?;
                }
                Err(failure.into())
            }
        }
    }

    fn mark_invalid(&self, hash: &BlockHash) -> Result<(), StoreError> {
        let txn = self.db.begin_write()?;
        {
            let index = txn.open_table(INDEX)?;
            let mut entry = require_index(&index, hash)?;
            drop(index);
            entry.status = BlockStatus::Invalid;
            put_index(&txn, hash, &entry)?;
        }
        txn.commit()?;
        Ok(())
    }
}

/// The fork below the new block (`entry`): the height of the last best-chain ancestor, and the
/// stored branch blocks above it, lowest first.
fn find_fork(
    txn: &WriteTransaction,
    entry: &IndexEntry,
) -> Result<(BlockHeight, Vec<(BlockHash, BlockHeight)>), AcceptBlockError> {
    let index = txn.open_table(INDEX).map_err(StoreError::from)?;
    let main = txn.open_table(MAIN).map_err(StoreError::from)?;
    let mut branch = Vec::new();
    let mut cursor = entry.prev;
    loop {
        let cursor_entry = require_index(&index, &cursor)?;
        let on_main = match main.get(cursor_entry.height).map_err(StoreError::from)? {
            Some(bytes) => decode_hash(bytes.value())? == cursor,
            None => false,
        };
        if on_main {
            branch.reverse();
            return Ok((BlockHeight(cursor_entry.height), branch));
        }
        if cursor_entry.status == BlockStatus::Invalid {
            return Err(BlockError::InvalidParent(cursor).into());
        }
        branch.push((cursor, BlockHeight(cursor_entry.height)));
        cursor = cursor_entry.prev;
    }
}

/// Disconnects the best chain down to the fork, connects the branch then the new block, and
/// makes it the tip, all inside `txn`.
fn switch_branch(
    params: &dyn NetworkParams,
    txn: &WriteTransaction,
    list: &mut FluxnodeList,
    list_undo: &mut Vec<BlockUndo>,
    plan: &ReorgPlan<'_>,
    progress: &mut ReorgProgress,
) -> Result<(), ConnectFailure> {
    disconnect_to_fork(txn, list, list_undo, plan, progress)?;
    for (branch_hash, branch_height) in &plan.branch {
        let stored = get_block(&txn.open_table(BLOCKS)?, branch_hash)?;
        let undo = connect_block(params, txn, list, &stored, *branch_hash, *branch_height)?;
        progress.applied.push(undo);
        progress.connected.push(*branch_hash);
    }
    let undo = connect_block(params, txn, list, plan.block, plan.hash, plan.height)?;
    progress.applied.push(undo);
    progress.connected.push(plan.hash);
    set_tip(txn, &plan.hash)?;
    Ok(())
}

/// Takes the best chain's blocks off, tip first, down to the fork, undoing each one's fluxnode
/// list changes.
fn disconnect_to_fork(
    txn: &WriteTransaction,
    list: &mut FluxnodeList,
    list_undo: &mut Vec<BlockUndo>,
    plan: &ReorgPlan<'_>,
    progress: &mut ReorgProgress,
) -> Result<(), StoreError> {
    let mut height = plan.tip.height;
    let mut tip_hash = plan.tip.hash;
    while height > plan.fork_height {
        let undo = list_undo
            .pop()
            .ok_or_else(|| StoreError::Corrupt("missing fluxnode list undo".into()))?;
        progress.popped.push(undo.clone());
        let previous = disconnect_block(txn, tip_hash, height)?;
        list.undo_block(undo)
            .map_err(|error| StoreError::Corrupt(format!("fluxnode list undo: {error}")))?;
        progress.disconnected.push(tip_hash);
        tip_hash = previous;
        height = BlockHeight(height.0 - 1);
    }
    Ok(())
}
