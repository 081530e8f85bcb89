//! Equihash solution verification, rule for rule as fluxd `Equihash::IsValidSolution`
//! (`src/crypto/equihash.cpp:765-813`).
//!
//! Instead of byte rows, each leaf is kept as its `k + 1` collision digits (`u32`s): comparing
//! the first `ceil(cbl/8)` bytes of two rows, as fluxd does, is comparing their next digit, and
//! the XOR of rows is the XOR of digits. A node's index list is always the contiguous run of
//! solution indices below it (the merge puts the left list first once the order rule holds), so
//! no index lists are copied.

use alloc::vec::Vec;

use super::error::PowError;
use super::hash::{EquihashState, TwistAccumulator, expand_digits, slice_of};
use super::minimal::{check_solution_indices, unpack_into};
use super::params::EquihashParams;

/// Verifies an Equihash solution.
///
/// `input` is what BLAKE2b absorbs before each hash index: in a block, the 140 header bytes
/// version through nonce (`I || V`, `pow.cpp:242-249`). `solution` is the minimal encoding (the
/// header's `nSolution`, without its CompactSize prefix).
///
/// Never panics; any input is rejected with the first rule it breaks, in fluxd's order.
///
/// # Errors
///
/// [`PowError::SolutionLength`], then per level and pair [`PowError::Collision`],
/// [`PowError::IndexOrder`], [`PowError::DuplicateIndex`], then [`PowError::NonZeroFinalXor`].
///
/// ```
/// use flux_pow::equihash::{verify, EquihashParams, PowError};
/// let err = verify(&EquihashParams::ZELHASH, &[0u8; 140], &[0u8; 51]).unwrap_err();
/// assert_eq!(err, PowError::SolutionLength { expected: 52, actual: 51 });
/// ```
pub fn verify(params: &EquihashParams, input: &[u8], solution: &[u8]) -> Result<(), PowError> {
    if solution.len() != params.solution_len() {
        return Err(PowError::SolutionLength {
            expected: params.solution_len(),
            actual: solution.len(),
        });
    }
    let mut indices = alloc::vec![0u32; params.indices_per_solution()];
    unpack_into(params.index_bit_length(), solution, &mut indices);
    verify_tree(params, input, &indices)
}

/// Verifies a solution given as its `2^k` indices in solution order (what a solver produces
/// before encoding it).
///
/// # Errors
///
/// [`PowError::IndexCount`] or [`PowError::IndexOutOfRange`] if the indices cannot be a
/// solution's, otherwise as [`verify`].
pub fn verify_indices(
    params: &EquihashParams,
    input: &[u8],
    indices: &[u32],
) -> Result<(), PowError> {
    check_solution_indices(params, indices)?;
    verify_tree(params, input, indices)
}

fn verify_tree(params: &EquihashParams, input: &[u8], indices: &[u32]) -> Result<(), PowError> {
    let state = EquihashState::new(params, input);
    let digit_count = params.digit_count();
    let mut digits = alloc::vec![0u32; indices.len() * digit_count];
    leaf_digits(&state, indices, &mut digits);

    // fluxd checks `DistinctIndices` pair by pair; when no index repeats anywhere that check can
    // never fail, so the quadratic scan only runs for solutions that do repeat one.
    let any_duplicate = {
        let mut sorted: Vec<u32> = indices.to_vec();
        sorted.sort_unstable();
        sorted.windows(2).any(|pair| pair[0] == pair[1])
    };

    let mut nodes = indices.len();
    for level in 0..params.k() as usize {
        let width = 1usize << level;
        for parent in 0..nodes / 2 {
            let (left, right) = (2 * parent, 2 * parent + 1);
            let level_number = level as u32 + 1;
            if digits[left * digit_count + level] != digits[right * digit_count + level] {
                return Err(PowError::Collision {
                    level: level_number,
                });
            }
            let left_indices = &indices[left * width..(left + 1) * width];
            let right_indices = &indices[right * width..(right + 1) * width];
            if right_indices < left_indices {
                return Err(PowError::IndexOrder {
                    level: level_number,
                });
            }
            if any_duplicate
                && left_indices
                    .iter()
                    .any(|index| right_indices.contains(index))
            {
                return Err(PowError::DuplicateIndex {
                    level: level_number,
                });
            }
            for digit in level + 1..digit_count {
                digits[parent * digit_count + digit] =
                    digits[left * digit_count + digit] ^ digits[right * digit_count + digit];
            }
        }
        nodes /= 2;
    }
    if digits[digit_count - 1] != 0 {
        return Err(PowError::NonZeroFinalXor);
    }
    Ok(())
}

/// Fills `digits` (`k + 1` per index) with the leaves of `indices`.
fn leaf_digits(state: &EquihashState, indices: &[u32], digits: &mut [u32]) {
    let params = *state.params();
    let per_hash = params.indices_per_hash_output();
    let digit_count = params.digit_count();
    let mut store = |slot: usize, index: u32, hash: &super::hash::HashOutput| {
        let slice = slice_of(&params, hash, index % per_hash);
        let leaf = expand_digits(&params, slice.as_bytes());
        digits[slot * digit_count..(slot + 1) * digit_count].copy_from_slice(leaf.as_slice());
    };

    if !params.twist() {
        let mut cached: Option<(u32, super::hash::HashOutput)> = None;
        for (slot, &index) in indices.iter().enumerate() {
            let g = index / per_hash;
            let hash = match cached {
                Some((cached_g, hash)) if cached_g == g => hash,
                _ => state.plain_hash(g),
            };
            cached = Some((g, hash));
            store(slot, index, &hash);
        }
        return;
    }

    // Twisted: the hash of `g` is a prefix sum over its aligned group of 16, so walk each group
    // once, upwards, snapshotting the sum at every `g` a leaf needs. At most 16 BLAKE2b calls
    // per distinct group instead of up to 16 per index.
    let mut order: Vec<(u32, u32)> = indices
        .iter()
        .enumerate()
        .map(|(slot, &index)| (index / per_hash, slot as u32))
        .collect();
    order.sort_unstable();
    let mut acc = TwistAccumulator::new();
    let mut next_g: Option<u32> = None;
    for &(g, slot) in &order {
        let start = g & !15;
        let mut cursor = match next_g {
            Some(cursor) if cursor > start && cursor <= g + 1 => cursor,
            _ => {
                acc = TwistAccumulator::new();
                start
            }
        };
        while cursor <= g {
            acc.add(state.plain_hash(cursor).as_bytes());
            cursor += 1;
        }
        next_g = Some(cursor);
        let index = indices[slot as usize];
        store(slot as usize, index, &acc.finish());
    }
}
