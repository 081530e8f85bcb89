//! Accepting a block: the lookup of the block and its parent, the header and body rules, storing
//! it, then extending the tip, keeping it on a side branch, or switching to its branch.

use std::time::{SystemTime, UNIX_EPOCH};

use flux_pow::BlockHeight;
use flux_pow::difficulty::block_proof;
use flux_tx::{Block, BlockHash, BlockHeader};
use redb::WriteTransaction;

use super::connect::connect_block;
use super::tables::{
    BytesTable, ancestor_window, get_block, get_index, main_hash_at, put_index, set_tip,
};
use super::{AcceptBlockError, AcceptOutcome, Chain, Tip};
use crate::check::block::check_block_body;
use crate::check::header::{
    check_checkpoint, check_difficulty_bits, check_equihash_solution, check_future_time,
    check_proof_kind, check_proof_of_work_target, check_reorg_depth,
    check_solution_size_for_height, check_time_after_median, check_version,
};
use crate::check::pon::{
    check_emergency_block, check_pon_difficulty_bits, check_pon_signature_size, check_pon_target,
    check_pon_target_for_height, check_pon_time_after_parent, header_pon_hash,
};
use crate::error::{BlockError, HeaderError};
use crate::params::DIFFICULTY_WINDOW;
use crate::store::{BLOCKS, BlockStatus, INDEX, IndexEntry, StoreError, encode_block};

fn now_seconds() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs() as i64)
}

impl Chain {
    /// Validates `block` fully and adds it: it becomes the tip, switches the best chain to its
    /// branch, or is stored on a lighter branch. The clock for the future-time rule is the system
    /// clock.
    ///
    /// # Errors
    ///
    /// [`AcceptBlockError::Invalid`] with the [`BlockError`] of the first rule the block (or,
    /// during a reorganisation, a block of its branch) breaks; the store is then unchanged, except
    /// that a failing branch block is marked invalid. [`AcceptBlockError::Store`] when the store
    /// fails; the store is then as before the call.
    pub fn accept_block(&mut self, block: &Block) -> Result<AcceptOutcome, AcceptBlockError> {
        self.accept_block_at(block, now_seconds())
    }

    /// [`Chain::accept_block`] with the clock given (seconds since 1970).
    ///
    /// # Errors
    ///
    /// As [`Chain::accept_block`].
    pub fn accept_block_at(
        &mut self,
        block: &Block,
        now: i64,
    ) -> Result<AcceptOutcome, AcceptBlockError> {
        let hash = block.hash();
        let txn = self.db.begin_write().map_err(StoreError::from)?;
        let known = {
            let index = txn.open_table(INDEX).map_err(StoreError::from)?;
            get_index(&index, &hash)?
        };
        if let Some(known) = known {
            return self.accept_known_block(txn, block, hash, known);
        }
        let entry = {
            let index = txn.open_table(INDEX).map_err(StoreError::from)?;
            let parent = valid_parent(&index, hash, &block.header)?;
            self.check_header(&index, &block.header, hash, &parent, now)?;
            // CheckBlock.
            check_block_body(block)?;
            child_entry(&parent, &block.header)
        };
        store_block(&txn, hash, block, &entry)?;

        if !self.beats_tip(&txn, &block.header, &entry)? {
            txn.commit().map_err(StoreError::from)?;
            return Ok(AcceptOutcome::SideChain {
                height: BlockHeight(entry.height),
            });
        }
        if block.header.prev_block == self.tip.hash {
            return self.extend_tip(txn, block, hash, entry);
        }
        self.reorganize(txn, block, hash, entry)
    }

    /// A block whose hash is already stored. A proof-of-node block's signature is not part of its
    /// hash, so the copy may differ from the stored one: off the best chain the new signature
    /// replaces the stored one (fluxd `main.cpp:5756-5764`; a branch that failed on a bad
    /// signature can then be connected). A stored block heavier than the tip (its branch failed
    /// to connect for such a reason) is tried again, as `ActivateBestChain` would.
    fn accept_known_block(
        &mut self,
        txn: WriteTransaction,
        block: &Block,
        hash: BlockHash,
        known: IndexEntry,
    ) -> Result<AcceptOutcome, AcceptBlockError> {
        if known.status == BlockStatus::Invalid {
            return Err(BlockError::KnownInvalid(hash).into());
        }
        let on_best_chain = main_hash_at(&txn, BlockHeight(known.height))? == Some(hash);
        if on_best_chain {
            return Ok(AcceptOutcome::AlreadyKnown);
        }
        let stored = get_block(&txn.open_table(BLOCKS).map_err(StoreError::from)?, &hash)?;
        let resigned = block.header.is_proof_of_node() && stored.header.proof != block.header.proof;
        if resigned {
            txn.open_table(BLOCKS)
                .map_err(StoreError::from)?
                .insert(hash.0.as_slice(), encode_block(block).as_slice())
                .map_err(StoreError::from)?;
        }
        if self.beats_tip(&txn, &block.header, &known)? {
            return self.reorganize(txn, block, hash, known);
        }
        if resigned {
            txn.commit().map_err(StoreError::from)?;
        }
        Ok(AcceptOutcome::AlreadyKnown)
    }

    /// Whether a block with `header` and index `entry` should become the tip: more work than the
    /// tip, or, for two proof-of-node blocks at one height with equal work, the lower PON hash
    /// (`CBlockIndexWorkComparator`, `main.cpp:149-187`: `uint256::operator<`, a `memcmp` of the
    /// raw bytes, not the numeric order of the target check). Equal hashes keep the block that
    /// came first, the tip.
    fn beats_tip(
        &self,
        txn: &WriteTransaction,
        header: &BlockHeader,
        entry: &IndexEntry,
    ) -> Result<bool, StoreError> {
        if entry.chain_work != self.tip.chain_work {
            return Ok(entry.chain_work > self.tip.chain_work);
        }
        if !header.is_proof_of_node() || entry.height != self.tip.height.0 {
            return Ok(false);
        }
        let tip = get_block(&txn.open_table(BLOCKS)?, &self.tip.hash)?;
        let params = self.params.as_ref();
        Ok(
            match (
                header_pon_hash(params, header),
                header_pon_hash(params, &tip.header),
            ) {
                (Some(candidate), Some(tip)) => candidate.0 < tip.0,
                _ => false,
            },
        )
    }

    /// `CheckBlockHeader` and `ContextualCheckBlockHeader` for a header whose parent is `parent`.
    fn check_header(
        &self,
        index: &impl BytesTable,
        header: &BlockHeader,
        hash: BlockHash,
        parent: &IndexEntry,
        now: i64,
    ) -> Result<(), AcceptBlockError> {
        let params = self.params.as_ref();
        let height = BlockHeight(parent.height + 1);

        // CheckBlockHeader.
        check_version(header)?;
        check_proof_kind(params, header, height)?;
        if header.is_proof_of_node() {
            return self.check_pon_header(index, header, hash, parent, now);
        }
        check_equihash_solution(header)?;
        check_proof_of_work_target(params, header)?;
        check_future_time(params, header, self.tip.height, now)?;

        // ContextualCheckBlockHeader.
        check_reorg_depth(params, self.tip.height, BlockHeight(parent.height))?;
        check_solution_size_for_height(params, header, height)?;
        let window = ancestor_window(index, header.prev_block, DIFFICULTY_WINDOW)?;
        check_difficulty_bits(params, header, &window)?;
        check_time_after_median(header, &window)?;
        self.check_checkpoints(height, hash)?;
        Ok(())
    }

    /// The proof-of-node path of `CheckBlockHeader` and `ContextualCheckBlockHeader`
    /// (`main.cpp:5318-5601`), in fluxd's order. The signer needs the fluxnode list the parent
    /// left and is checked when the block is connected.
    fn check_pon_header(
        &self,
        index: &impl BytesTable,
        header: &BlockHeader,
        hash: BlockHash,
        parent: &IndexEntry,
        now: i64,
    ) -> Result<(), AcceptBlockError> {
        let params = self.params.as_ref();
        let height = BlockHeight(parent.height + 1);

        // CheckBlockHeader.
        check_pon_signature_size(header)?;
        check_pon_target(params, header)?;
        check_future_time(params, header, self.tip.height, now)?;

        // ContextualCheckBlockHeader.
        check_reorg_depth(params, self.tip.height, BlockHeight(parent.height))?;
        check_pon_target_for_height(params, header, height)?;
        check_emergency_block(params, &params.emergency_keys(), header, height)?;
        let window = ancestor_window(index, header.prev_block, DIFFICULTY_WINDOW)?;
        check_pon_difficulty_bits(params, header, &window)?;
        check_pon_time_after_parent(header, parent.time)?;
        self.check_checkpoints(height, hash)?;
        Ok(())
    }

    fn check_checkpoints(&self, height: BlockHeight, hash: BlockHash) -> Result<(), HeaderError> {
        check_checkpoint(self.params.as_ref(), height, hash)?;
        // `GetLastCheckpoint` only knows checkpoints the node has reached.
        let last_reached = self
            .params
            .checkpoints()
            .into_iter()
            .map(|(at, _)| at)
            .filter(|at| *at <= self.tip.height)
            .max();
        if let Some(checkpoint) = last_reached
            && height < checkpoint
        {
            return Err(HeaderError::ForkBeforeCheckpoint {
                height: height.0,
                checkpoint: checkpoint.0,
            });
        }
        Ok(())
    }

    /// Connects `block` (already stored in `txn`) on the tip and commits.
    fn extend_tip(
        &mut self,
        txn: WriteTransaction,
        block: &Block,
        hash: BlockHash,
        entry: IndexEntry,
    ) -> Result<AcceptOutcome, AcceptBlockError> {
        let height = BlockHeight(entry.height);
        let undo = connect_block(
            self.params.as_ref(),
            &txn,
            &mut self.list,
            block,
            hash,
            height,
        )?;
        if let Err(error) = set_tip(&txn, &hash).and_then(|()| Ok(txn.commit()?)) {
            // Not committed: put the list back as the store has it.
            let _ = self.list.undo_block(undo);
            return Err(error.into());
        }
        self.list_undo.push(undo);
        self.tip = Tip {
            height,
            hash,
            chain_work: entry.chain_work,
        };
        Ok(AcceptOutcome::Extended { height })
    }
}

/// The index entry of the block's parent, which must be stored and not invalid.
fn valid_parent(
    index: &impl BytesTable,
    hash: BlockHash,
    header: &BlockHeader,
) -> Result<IndexEntry, AcceptBlockError> {
    let Some(parent) = get_index(index, &header.prev_block)? else {
        if header.prev_block == BlockHash::ZERO {
            return Err(BlockError::NotGenesis(hash).into());
        }
        return Err(BlockError::UnknownParent(header.prev_block).into());
    };
    if parent.status == BlockStatus::Invalid {
        return Err(BlockError::InvalidParent(header.prev_block).into());
    }
    Ok(parent)
}

/// The index entry of a child of `parent` with `header`: its height and cumulative work.
fn child_entry(parent: &IndexEntry, header: &BlockHeader) -> IndexEntry {
    IndexEntry {
        height: parent.height + 1,
        prev: header.prev_block,
        chain_work: parent
            .chain_work
            .wrapping_add(block_proof(header.bits, header.version)),
        time: header.time,
        bits: header.bits.0,
        version: header.version,
        status: BlockStatus::Stored,
    }
}

/// Stores a header- and body-checked block with its index entry.
fn store_block(
    txn: &WriteTransaction,
    hash: BlockHash,
    block: &Block,
    entry: &IndexEntry,
) -> Result<(), StoreError> {
    txn.open_table(BLOCKS)?
        .insert(hash.0.as_slice(), encode_block(block).as_slice())?;
    put_index(txn, &hash, entry)
}
