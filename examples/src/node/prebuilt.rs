//! A long devnet chain built in minutes instead of the hours the node's clock would take: the
//! same blocks the node makes (proof-of-work blocks from the real solver up to the proof-of-node
//! switch, the operators' START/CONFIRM transactions on the node's schedule, then blocks signed by
//! the devnet's fluxnodes), dated on a synthetic clock instead of the wall clock.
//!
//! Every block goes through [`NodeState`] and so through the chain's full validation, so the
//! stored chain is valid by the rules a node syncing it applies. Benchmarks and tests use it to
//! get a node holding thousands of blocks.
//!
//! The synthetic clock: proof-of-work blocks are one devnet slot apart; each proof-of-node block
//! is dated at the start of the first slot after its parent's in which one of the fluxnodes'
//! PON hash meets the target (fluxd's minter runs once per slot, so a slot with no eligible node
//! has no block). The first block is dated so that the whole chain, at its expected pace, ends
//! before the clock; a block that would still be dated after the clock is refused with
//! [`PrebuiltError::PastTheClock`] rather than stored ahead of time.

use std::path::Path;
use std::sync::Mutex;
use std::time::Instant;

use flux_consensus::check::pon::slot_of_time;
use flux_consensus::devnet::solve;
use flux_consensus::{Chain, Devnet, NetworkParams};
use flux_nodes::Tier;
use flux_pow::BlockHeight;
use flux_tx::Block;
use flux_tx::pon::Slot;

use super::operators::OPERATORS;
use super::state::NodeState;
use super::{
    NodeError, accept_own_block, assemble_pon_block, assemble_pow_block, eligible_nodes, lock, now,
    queue_operator_transactions,
};

/// The chain file inside a node's data directory (the one `flux node --data-dir` opens).
pub const CHAIN_FILE: &str = "chain.redb";

/// How many slots after its parent's a proof-of-node block is looked for before giving up: with
/// the devnet's three fluxnodes confirmed, seven slots in eight have an eligible node, so a
/// thousand empty slots in a row means the nodes are gone, not unlucky.
pub const MAX_EMPTY_SLOTS: u32 = 1_000;

/// Why a chain could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PrebuiltError {
    /// The data directory could not be created.
    #[error("cannot create the data directory {path}: {source}")]
    DataDir {
        /// The directory.
        path: String,
        /// The error.
        source: std::io::Error,
    },
    /// Opening the store, assembling, solving or accepting a block failed.
    #[error("{0}")]
    Node(#[from] NodeError),
    /// No fluxnode could sign the block at `height` in [`MAX_EMPTY_SLOTS`] slots after its
    /// parent's.
    #[error(
        "no devnet fluxnode is eligible to sign block {height} in the {slots} slots after its parent's: the operators' nodes are not confirmed"
    )]
    NoEligibleNode {
        /// The height of the block looked for.
        height: u32,
        /// How many slots were tried.
        slots: u32,
    },
    /// The next block would be dated after the clock, which a syncing node would refuse or hold
    /// back.
    #[error(
        "block {height} would be dated {time}, {ahead} s after the clock: build fewer blocks, or on a devnet with shorter slots"
    )]
    PastTheClock {
        /// The block's height.
        height: u32,
        /// Its time.
        time: u32,
        /// How far ahead of the clock that is.
        ahead: u32,
    },
}

/// What [`build_devnet_chain`] stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltChain {
    /// The tip's height.
    pub height: BlockHeight,
    /// The tip's time.
    pub tip_time: u32,
    /// How many blocks this call added (the store may have held some already).
    pub added: u32,
    /// How many of the added blocks each tier's fluxnode signed, in [`OPERATORS`] order.
    pub signed_by_tier: Vec<(Tier, u32)>,
    /// How long the call took.
    pub elapsed: std::time::Duration,
}

/// Extends the devnet chain stored in `data_dir` (created, with its genesis block, if missing)
/// to `height`, calling `on_block` with each block once the chain has accepted it.
///
/// A store already at or past `height` is left as it is.
///
/// # Errors
/// [`PrebuiltError`] when the store cannot be opened, a block cannot be made or is refused, no
/// fluxnode can sign for too long, or the chain would run past the clock.
pub fn build_devnet_chain(
    data_dir: &Path,
    devnet: Devnet,
    height: u32,
    mut on_block: impl FnMut(BlockHeight, &Block),
) -> Result<BuiltChain, PrebuiltError> {
    let started = Instant::now();
    std::fs::create_dir_all(data_dir).map_err(|source| PrebuiltError::DataDir {
        path: data_dir.display().to_string(),
        source,
    })?;
    let chain = Chain::open(data_dir.join(CHAIN_FILE), devnet).map_err(NodeError::from)?;
    let state = Mutex::new(NodeState::new(chain).map_err(NodeError::from)?);
    let slot_seconds = devnet.slot_seconds().get();
    let mut signed_by_tier: Vec<(Tier, u32)> = OPERATORS.iter().map(|op| (op.tier, 0)).collect();
    let first = lock(&state).chain().tip().0.0 + 1;
    let mut parent_time = tip_time(&lock(&state))?;
    if first == 1 {
        // Date genesis's child so the chain, at its expected pace, ends before the clock.
        let span = expected_span(&devnet, first, height);
        parent_time = parent_time.max(now().saturating_sub(span));
    }
    for next in first..=height {
        let (block, tier) = if devnet.is_pon_active(BlockHeight(next)) {
            let (block, tier) = next_pon_block(&state, &devnet, next, parent_time)?;
            (block, Some(tier))
        } else {
            let time = parent_time.saturating_add(slot_seconds);
            refuse_past_the_clock(next, time)?;
            let unsolved = assemble_pow_block(&mut lock(&state), time)?;
            (solve(unsolved).map_err(NodeError::from)?, None)
        };
        accept_own_block(&state, &block).map_err(PrebuiltError::from)?;
        if let Some(tier) = tier
            && let Some(count) = signed_by_tier.iter_mut().find(|(t, _)| *t == tier)
        {
            count.1 += 1;
        }
        parent_time = block.header.time;
        on_block(BlockHeight(next), &block);
    }
    let guard = lock(&state);
    Ok(BuiltChain {
        height: guard.chain().tip().0,
        tip_time: tip_time(&guard)?,
        added: height.saturating_sub(first - 1),
        signed_by_tier,
        elapsed: started.elapsed(),
    })
}

/// The proof-of-node block at `next`: dated at the first slot after the parent's in which one of
/// the fluxnodes is eligible, carrying the operators' transactions signed at that time.
fn next_pon_block(
    state: &Mutex<NodeState>,
    devnet: &Devnet,
    next: u32,
    parent_time: u32,
) -> Result<(Block, Tier), PrebuiltError> {
    let mut guard = lock(state);
    let template = guard
        .chain()
        .block_template(BlockHeight(next))
        .map_err(NodeError::from)?
        .ok_or_else(|| {
            NodeError::from(flux_consensus::StoreError::Corrupt(
                "no template for the next height".into(),
            ))
        })?;
    let genesis_time = devnet.genesis_time();
    let spacing = devnet.slot_seconds();
    let parent_slot = slot_of_time(devnet, parent_time).0;
    for offset in 1..=MAX_EMPTY_SLOTS {
        let slot = Slot(parent_slot.saturating_add(offset));
        let Some(time) = slot.start_time(genesis_time, spacing) else {
            break;
        };
        if eligible_nodes(&guard, &template, time).is_empty() {
            continue;
        }
        refuse_past_the_clock(next, time)?;
        queue_operator_transactions(&mut guard, BlockHeight(next), time);
        return match assemble_pon_block(&guard, time)? {
            Some(minted) => Ok(minted),
            // `eligible_nodes` just found a signer on the same template and time.
            None => Err(PrebuiltError::NoEligibleNode {
                height: next,
                slots: offset,
            }),
        };
    }
    Err(PrebuiltError::NoEligibleNode {
        height: next,
        slots: MAX_EMPTY_SLOTS,
    })
}

/// How long blocks `first..=last` are expected to span: a slot per proof-of-work block, and a
/// slot and a half per proof-of-node block (seven slots in eight have a signer once the three
/// fluxnodes run, about 1.14 slots a block; the rest is margin so the chain ends before the clock).
fn expected_span(devnet: &Devnet, first: u32, last: u32) -> u32 {
    let slot = u64::from(devnet.slot_seconds().get());
    let span: u64 = (first..=last)
        .map(|height| {
            if devnet.is_pon_active(BlockHeight(height)) {
                slot * 3 / 2
            } else {
                slot
            }
        })
        .sum();
    u32::try_from(span).unwrap_or(u32::MAX)
}

fn refuse_past_the_clock(height: u32, time: u32) -> Result<(), PrebuiltError> {
    let clock = now();
    if time > clock {
        return Err(PrebuiltError::PastTheClock {
            height,
            time,
            ahead: time - clock,
        });
    }
    Ok(())
}

fn tip_time(state: &NodeState) -> Result<u32, PrebuiltError> {
    let (_, hash) = state.chain().tip();
    let block = state
        .chain()
        .block(&hash)
        .map_err(NodeError::from)?
        .ok_or_else(|| {
            NodeError::from(flux_consensus::StoreError::Corrupt(format!(
                "the tip {hash} is not stored"
            )))
        })?;
    Ok(block.header.time)
}
