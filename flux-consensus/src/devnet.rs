//! Mining on [`Devnet`] (and any network whose blocks use Equihash 48,5 or
//! another set the solver handles): search nonces until a solution's block hash meets the target.

use core::ops::ControlFlow;

use flux_pow::solver::{SolveOptions, Solver, SolverError};
use flux_pow::{BlockHeight, EquihashParams};
use flux_tx::{Block, BlockProof};

use crate::params::{Devnet, NetworkParams};

/// Why a block could not be mined.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MineError {
    /// The header is a proof-of-node header.
    #[error("proof-of-node headers are not mined")]
    NotProofOfWork,
    /// The solver does not handle the parameter set.
    #[error("{0}")]
    Solver(#[from] SolverError),
    /// Every nonce of the search range was tried.
    #[error("no solution met the target in {0} nonces")]
    Exhausted(u64),
}

/// Solves `block` for the devnet: Equihash 48,5, its `nBits` target. The nonce's first eight
/// bytes count up from the value already in the header.
///
/// # Errors
///
/// [`MineError`].
pub fn solve(block: Block) -> Result<Block, MineError> {
    let params = Devnet::default().equihash_params_at(BlockHeight(1));
    solve_with(
        block,
        params.first().copied().unwrap_or(EquihashParams::EH48_5),
        1 << 20,
    )
}

/// Solves `block` with the Equihash set `params`, trying at most `max_nonces` nonces.
///
/// # Errors
///
/// [`MineError`].
pub fn solve_with(
    mut block: Block,
    params: EquihashParams,
    max_nonces: u64,
) -> Result<Block, MineError> {
    let BlockProof::Work { nonce, .. } = &block.header.proof else {
        return Err(MineError::NotProofOfWork);
    };
    let mut counter_bytes = [0u8; 8];
    counter_bytes.copy_from_slice(&nonce[..8]);
    let start = u64::from_le_bytes(counter_bytes);
    let target = block.header.bits.target();
    let mut solver = Solver::new(&params)?;
    for step in 0..max_nonces {
        let mut nonce = match &block.header.proof {
            BlockProof::Work { nonce, .. } => *nonce,
            BlockProof::Node { .. } => return Err(MineError::NotProofOfWork),
        };
        nonce[..8].copy_from_slice(&start.wrapping_add(step).to_le_bytes());
        block.header.proof = BlockProof::Work {
            nonce,
            solution: Vec::new(),
        };
        let Some(prefix) = block.header.pow_prefix() else {
            return Err(MineError::NotProofOfWork);
        };
        let mut found = None;
        let mut candidate = block.header.clone();
        solver.solve(&prefix, &SolveOptions::default(), |solution| {
            candidate.proof = BlockProof::Work {
                nonce,
                solution: solution.to_vec(),
            };
            let hash = flux_pow::difficulty::U256::from_le_bytes(candidate.hash().0);
            if hash <= target {
                found = Some(candidate.proof.clone());
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        });
        if let Some(proof) = found {
            block.header.proof = proof;
            return Ok(block);
        }
    }
    Err(MineError::Exhausted(max_nonces))
}
