//! Header rules: the semantic ones need nothing but the header (and, for the Equihash schedule,
//! its height); the contextual ones read the ancestors (`CheckBlockHeader`,
//! `ContextualCheckBlockHeader`, fluxd `main.cpp:5318-5601`, `pow.cpp:220-280`).

use flux_pow::difficulty::{HeaderInfo, check_proof_of_work};
use flux_pow::{BlockHeight, EquihashParams};
use flux_tx::block::POW_HEADER_PREFIX_SIZE;
use flux_tx::{BlockHash, BlockHeader};

use crate::error::HeaderError;
use crate::params::NetworkParams;

/// The lowest block version (`MIN_BLOCK_VERSION`, `consensus/consensus.h`).
pub const MIN_BLOCK_VERSION: i32 = 4;

/// `version-too-low` (`main.cpp:5325`): `nVersion` is at least 4.
///
/// # Errors
///
/// [`HeaderError::VersionTooLow`].
pub fn check_version(header: &BlockHeader) -> Result<(), HeaderError> {
    if header.version < MIN_BLOCK_VERSION {
        return Err(HeaderError::VersionTooLow {
            version: header.version,
        });
    }
    Ok(())
}

/// `CheckEquihashSolution` (`pow.cpp:220-256`, called at `main.cpp:5347`): the parameter set
/// follows from the solution length alone, and the solution must verify over the 140-byte
/// header prefix.
///
/// # Errors
///
/// [`HeaderError::UnsupportedSolutionSize`], [`HeaderError::InvalidSolution`], or
/// [`HeaderError::NotProofOfWork`] for a proof-of-node header.
pub fn check_equihash_solution(header: &BlockHeader) -> Result<EquihashParams, HeaderError> {
    let (Some(prefix), Some(solution)) = (header.pow_prefix(), header.solution()) else {
        return Err(HeaderError::NotProofOfWork);
    };
    let params = EquihashParams::from_solution_len(solution.len()).ok_or(
        HeaderError::UnsupportedSolutionSize {
            len: solution.len(),
        },
    )?;
    debug_assert_eq!(prefix.len(), POW_HEADER_PREFIX_SIZE);
    flux_pow::verify(&params, &prefix, solution).map_err(HeaderError::InvalidSolution)?;
    Ok(params)
}

/// `CheckProofOfWork` (`pow.cpp:258-280`, called at `main.cpp:5352`): `nBits` is a positive
/// target no easier than `powLimit`, and the block hash is at most that target. Regtest skips it,
/// as the daemon does.
///
/// # Errors
///
/// [`HeaderError::HighHash`].
pub fn check_proof_of_work_target(
    params: &dyn NetworkParams,
    header: &BlockHeader,
) -> Result<(), HeaderError> {
    check_proof_of_work(
        &params.difficulty_params(),
        header.hash().as_bytes(),
        header.bits,
    )
    .map_err(HeaderError::HighHash)
}

/// `time-too-new` (`main.cpp:5356-5378`): at most [`NetworkParams::max_future_drift`] ahead of
/// the clock: 2 hours while the chain tip is below LWMA's activation, then 360 s (300 s for
/// proof-of-node headers).
///
/// The daemon compares the *active chain's* height, not the header's, with LWMA's activation;
/// `tip_height` is that height.
///
/// # Errors
///
/// [`HeaderError::TimeTooNew`].
pub fn check_future_time(
    params: &dyn NetworkParams,
    header: &BlockHeader,
    tip_height: BlockHeight,
    now: i64,
) -> Result<(), HeaderError> {
    let allowed_drift = params.max_future_drift(tip_height, header.is_proof_of_node());
    let time = i64::from(header.time);
    if time > now + allowed_drift {
        return Err(HeaderError::TimeTooNew {
            time,
            now,
            allowed_drift,
        });
    }
    Ok(())
}

/// `bad-fork-prior-to-maxreorgdepth` (`main.cpp:5484-5489`): a block whose parent is at least
/// [`NetworkParams::max_reorg_depth`] blocks below the active tip is refused.
///
/// # Errors
///
/// [`HeaderError::ForkTooDeep`].
pub fn check_reorg_depth(
    params: &dyn NetworkParams,
    tip_height: BlockHeight,
    parent_height: BlockHeight,
) -> Result<(), HeaderError> {
    let depth = tip_height.0.saturating_sub(parent_height.0);
    let max = params.max_reorg_depth(tip_height);
    if depth >= max {
        return Err(HeaderError::ForkTooDeep {
            parent_height: parent_height.0,
            depth,
            max,
        });
    }
    Ok(())
}

/// `bad-equihash-solution-size` (`main.cpp:5491-5553`): the solution's parameter set is one the
/// height accepts (`validEHparameterList`); the daemon's testnet exception below height 321 is
/// kept.
///
/// # Errors
///
/// [`HeaderError::SolutionSizeNotForHeight`].
pub fn check_solution_size_for_height(
    params: &dyn NetworkParams,
    header: &BlockHeader,
    height: BlockHeight,
) -> Result<(), HeaderError> {
    let Some(solution) = header.solution() else {
        return Ok(());
    };
    let len = solution.len();
    let testnet_exception = params.name() == "test" && height.0 <= 320;
    let allowed = params
        .equihash_params_at(height)
        .iter()
        .any(|set| set.solution_len() == len);
    if allowed || testnet_exception || len == 0 {
        return Ok(());
    }
    Err(HeaderError::SolutionSizeNotForHeight {
        len,
        height: height.0,
    })
}

/// `premature-pon-block` / `not-pon-block` (`main.cpp:5509-5545`): proof-of-work layout before
/// proof of node, proof-of-node layout after.
///
/// # Errors
///
/// [`HeaderError::WrongProofKind`].
pub fn check_proof_kind(
    params: &dyn NetworkParams,
    header: &BlockHeader,
    height: BlockHeight,
) -> Result<(), HeaderError> {
    if params.is_pon_active(height) != header.is_proof_of_node() {
        return Err(HeaderError::WrongProofKind { height: height.0 });
    }
    Ok(())
}

/// Everything a header must satisfy on its own, given the height it claims: the version and the
/// era; for proof of work the Equihash parameter set of that height, the solution and the
/// target; for proof of node the rules of [`crate::check::pon::check_pon_header_for_height`]
/// (everything but the signer, which needs the fluxnode list). This is what a light client
/// checks for each header it is handed.
///
/// The network's genesis header skips the era and parameter-set rules, as
/// `ContextualCheckBlockHeader` returns early for `hashGenesisBlock` (`main.cpp:5476`): the
/// testnet genesis carries a 200,9 solution in a 48,5 era and the regtest genesis is a
/// proof-of-work block where proof of node is active from height 0.
///
/// # Errors
///
/// The [`HeaderError`] of the first rule broken.
pub fn check_header_for_height(
    params: &dyn NetworkParams,
    header: &BlockHeader,
    height: BlockHeight,
) -> Result<(), HeaderError> {
    check_version(header)?;
    let genesis = height == BlockHeight::GENESIS && header.hash() == params.genesis_hash();
    if !genesis {
        check_proof_kind(params, header, height)?;
    }
    if header.is_proof_of_node() {
        return crate::check::pon::check_pon_header_for_height(params, header, height);
    }
    if !genesis {
        check_solution_size_for_height(params, header, height)?;
    }
    check_equihash_solution(header)?;
    check_proof_of_work_target(params, header)
}

/// `bad-diffbits` (`main.cpp:5553-5559`): `nBits` equals `GetNextWorkRequiredByFork` of the
/// ancestors (an ascending window ending at the parent, see
/// [`crate::params::DIFFICULTY_WINDOW`]).
///
/// # Errors
///
/// [`HeaderError::BadDiffBits`], or [`HeaderError::Difficulty`] when the window is too short.
pub fn check_difficulty_bits(
    params: &dyn NetworkParams,
    header: &BlockHeader,
    ancestors: &[HeaderInfo],
) -> Result<(), HeaderError> {
    let expected = params
        .next_work_required(ancestors, Some(i64::from(header.time)))
        .map_err(HeaderError::Difficulty)?;
    if expected != header.bits {
        return Err(HeaderError::BadDiffBits {
            expected: expected.0,
            got: header.bits.0,
        });
    }
    Ok(())
}

/// `GetMedianTimePast` of the last block of `ancestors`: the median of its time and up to ten
/// of its ancestors' (`chain.h`). `None` for an empty window.
pub fn median_time_past(ancestors: &[HeaderInfo]) -> Option<i64> {
    let start = ancestors.len().saturating_sub(11);
    let mut times: Vec<i64> = ancestors[start..].iter().map(|a| a.time).collect();
    if times.is_empty() {
        return None;
    }
    times.sort_unstable();
    Some(times[times.len() / 2])
}

/// `time-too-old` (`main.cpp:5562-5572`): a proof-of-work block's time is after the median
/// time past of its parent (a proof-of-node block's after its parent's time).
///
/// # Errors
///
/// [`HeaderError::TimeTooOld`].
pub fn check_time_after_median(
    header: &BlockHeader,
    ancestors: &[HeaderInfo],
) -> Result<(), HeaderError> {
    let floor = if header.is_proof_of_node() {
        ancestors.last().map(|parent| parent.time)
    } else {
        median_time_past(ancestors)
    };
    let Some(median_time_past) = floor else {
        return Ok(());
    };
    let time = i64::from(header.time);
    if time <= median_time_past {
        return Err(HeaderError::TimeTooOld {
            time,
            median_time_past,
        });
    }
    Ok(())
}

/// `CheckBlockAgaintCheckpoint` (`main.cpp:5582`, `checkpoints.cpp`): at a checkpointed height
/// the hash must be the checkpoint's.
///
/// # Errors
///
/// [`HeaderError::CheckpointMismatch`].
pub fn check_checkpoint(
    params: &dyn NetworkParams,
    height: BlockHeight,
    hash: BlockHash,
) -> Result<(), HeaderError> {
    for (at, expected) in params.checkpoints() {
        if at == height && expected != hash {
            return Err(HeaderError::CheckpointMismatch {
                height: height.0,
                hash,
                expected,
            });
        }
    }
    Ok(())
}

/// What a header contributes to the difficulty rules.
pub fn header_info(header: &BlockHeader, height: BlockHeight) -> HeaderInfo {
    HeaderInfo {
        height,
        time: i64::from(header.time),
        bits: header.bits,
        version: header.version,
    }
}

/// Why a header chain is rejected: the index of the first bad header and its rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("header {index} (height {height}): {error}")]
pub struct HeaderChainError {
    /// Position in the slice.
    pub index: usize,
    /// Its height.
    pub height: u32,
    /// The rule.
    pub error: HeaderChainRule,
}

/// The rule a header of a chain breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HeaderChainRule {
    /// It does not name the previous header as its parent.
    #[error("does not link to the previous header")]
    NotLinked,
    /// A header rule.
    #[error("{0}")]
    Header(#[from] HeaderError),
}

/// Validates a chain of headers starting at `first_height` on top of `parent_window` (the
/// ancestors of the first header, ascending and ending at its parent; empty when the first
/// header is genesis): linkage, difficulty bits and median time past sequentially, and the
/// expensive Equihash and target checks of every header in parallel (rayon) with the feature
/// `parallel`, one after the other without it. Both report the same header and rule.
///
/// # Errors
///
/// The [`HeaderChainError`] of the lowest bad header.
pub fn validate_header_chain(
    params: &dyn NetworkParams,
    headers: &[BlockHeader],
    first_height: BlockHeight,
    parent_window: &[HeaderInfo],
) -> Result<(), HeaderChainError> {
    let height_of = |index: usize| BlockHeight(first_height.0.saturating_add(index as u32));
    let failure = |index: usize, error: HeaderChainRule| HeaderChainError {
        index,
        height: height_of(index).0,
        error,
    };

    // The proof checks are independent per header (over all cores with `parallel`); the
    // linkage, difficulty and median-time pass is sequential and runs beside them. The failure
    // with the lowest index wins, as in a sequential scan.
    let proofs = || first_proof_failure(params, headers, first_height);
    let context = || {
        let mut window: Vec<HeaderInfo> = parent_window.to_vec();
        let keep = crate::params::DIFFICULTY_WINDOW as usize;
        let mut previous_hash = None;
        for (index, header) in headers.iter().enumerate() {
            if let Some(previous) = previous_hash
                && header.prev_block != previous
            {
                return Some((index, HeaderChainRule::NotLinked));
            }
            if !window.is_empty() {
                let checked = check_difficulty_bits(params, header, &window)
                    .and_then(|()| check_time_after_median(header, &window));
                if let Err(error) = checked {
                    return Some((index, HeaderChainRule::Header(error)));
                }
            }
            window.push(header_info(header, height_of(index)));
            if window.len() > keep {
                window.remove(0);
            }
            previous_hash = Some(header.hash());
        }
        None
    };
    #[cfg(feature = "parallel")]
    let (proof_failure, context_failure) = rayon::join(proofs, context);
    #[cfg(not(feature = "parallel"))]
    let (proof_failure, context_failure) = (proofs(), context());
    match [proof_failure, context_failure]
        .into_iter()
        .flatten()
        .min_by_key(|(index, _)| *index)
    {
        Some((index, error)) => Err(failure(index, error)),
        None => Ok(()),
    }
}

/// The lowest-index header of `headers` (the first at `first_height`) whose proof of work fails,
/// checking them over all cores.
#[cfg(feature = "parallel")]
fn first_proof_failure(
    params: &dyn NetworkParams,
    headers: &[BlockHeader],
    first_height: BlockHeight,
) -> Option<(usize, HeaderChainRule)> {
    use rayon::prelude::*;
    headers
        .par_iter()
        .enumerate()
        .filter_map(|(index, header)| proof_failure(params, header, first_height, index))
        .min_by_key(|(index, _)| *index)
}

/// The first header of `headers` (the first at `first_height`) whose proof of work fails.
#[cfg(not(feature = "parallel"))]
fn first_proof_failure(
    params: &dyn NetworkParams,
    headers: &[BlockHeader],
    first_height: BlockHeight,
) -> Option<(usize, HeaderChainRule)> {
    headers
        .iter()
        .enumerate()
        .find_map(|(index, header)| proof_failure(params, header, first_height, index))
}

/// The proof-of-work failure of header `index`, if any.
fn proof_failure(
    params: &dyn NetworkParams,
    header: &BlockHeader,
    first_height: BlockHeight,
    index: usize,
) -> Option<(usize, HeaderChainRule)> {
    let height = BlockHeight(first_height.0.saturating_add(index as u32));
    check_header_for_height(params, header, height)
        .err()
        .map(|error| (index, HeaderChainRule::Header(error)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::Mainnet;
    use flux_tx::BlockProof;

    /// Runs under either setting of `parallel`: the sequential fallback must name the same header
    /// as the parallel scan.
    #[test]
    fn a_header_chain_names_its_lowest_bad_header() {
        let genesis = Mainnet.genesis_block().header;
        assert_eq!(
            validate_header_chain(
                &Mainnet,
                std::slice::from_ref(&genesis),
                BlockHeight(0),
                &[]
            ),
            Ok(())
        );

        // Two copies of genesis: the second does not link to the first.
        let error = validate_header_chain(
            &Mainnet,
            &[genesis.clone(), genesis.clone()],
            BlockHeight(0),
            &[],
        )
        .unwrap_err();
        assert_eq!((error.index, error.error), (1, HeaderChainRule::NotLinked));

        // A broken solution at index 0 comes before the broken link at index 1.
        let mut broken = genesis.clone();
        if let BlockProof::Work { solution, .. } = &mut broken.proof {
            solution[0] ^= 0x80;
        }
        let error =
            validate_header_chain(&Mainnet, &[broken, genesis], BlockHeight(0), &[]).unwrap_err();
        assert_eq!((error.index, error.height), (0, 0));
        assert!(
            matches!(
                error.error,
                HeaderChainRule::Header(HeaderError::InvalidSolution(_))
            ),
            "{error}"
        );
    }
}
