//! The minimal solution encoding: indices packed as big-endian `(cbl + 1)`-bit fields, MSB
//! first, no padding (fluxd `GetIndicesFromMinimal` / `GetMinimalFromIndices`,
//! `src/crypto/equihash.cpp:208-239`). This is the `nSolution` of a block header.

use alloc::vec::Vec;

use super::error::{EncodingError, PowError};
use super::params::EquihashParams;

fn check_index_bits(index_bits: u32) -> Result<(), EncodingError> {
    if (8..=32).contains(&index_bits) {
        Ok(())
    } else {
        Err(EncodingError::IndexBitLength { bits: index_bits })
    }
}

/// Unpacks `minimal` into `out` (which must have room for exactly `len*8/index_bits` values);
/// `index_bits` in `8..=32`. Never allocates.
pub(crate) fn unpack_into(index_bits: u32, minimal: &[u8], out: &mut [u32]) {
    let mask = if index_bits == 32 {
        u64::from(u32::MAX)
    } else {
        (1u64 << index_bits) - 1
    };
    let mut acc: u64 = 0;
    let mut acc_bits = 0u32;
    let mut slots = out.iter_mut();
    for &byte in minimal {
        acc = (acc << 8) | u64::from(byte);
        acc_bits += 8;
        if acc_bits >= index_bits {
            acc_bits -= index_bits;
            match slots.next() {
                Some(slot) => *slot = ((acc >> acc_bits) & mask) as u32,
                None => return,
            }
            acc &= (1u64 << acc_bits) - 1;
        }
    }
}

/// Decodes a minimal encoding with `index_bits`-bit fields into the indices.
///
/// # Errors
///
/// [`EncodingError::IndexBitLength`] unless `8 <= index_bits <= 32`; [`EncodingError::Length`]
/// if the bytes are not a whole number of fields (fluxd would silently drop the rest; every
/// supported parameter set has an exact fit).
pub fn indices_from_minimal(index_bits: u32, minimal: &[u8]) -> Result<Vec<u32>, EncodingError> {
    check_index_bits(index_bits)?;
    let bits = minimal.len().saturating_mul(8);
    if !bits.is_multiple_of(index_bits as usize) {
        return Err(EncodingError::Length { bits, index_bits });
    }
    let mut indices = alloc::vec![0u32; bits / index_bits as usize];
    unpack_into(index_bits, minimal, &mut indices);
    Ok(indices)
}

/// Encodes indices as `index_bits`-bit big-endian fields, concatenated MSB first.
///
/// # Errors
///
/// [`EncodingError::IndexBitLength`] unless `8 <= index_bits <= 32`; [`EncodingError::Length`]
/// if the fields do not fill whole bytes; [`EncodingError::IndexOutOfRange`] if an index needs
/// more than `index_bits` bits.
pub fn minimal_from_indices(index_bits: u32, indices: &[u32]) -> Result<Vec<u8>, EncodingError> {
    check_index_bits(index_bits)?;
    let bits = indices.len().saturating_mul(index_bits as usize);
    if !bits.is_multiple_of(8) {
        return Err(EncodingError::Length { bits, index_bits });
    }
    let mut out = Vec::with_capacity(bits / 8);
    let mut acc: u64 = 0;
    let mut acc_bits = 0u32;
    for &index in indices {
        if index_bits < 32 && index >> index_bits != 0 {
            return Err(EncodingError::IndexOutOfRange { index, index_bits });
        }
        acc = (acc << index_bits) | u64::from(index);
        acc_bits += index_bits;
        while acc_bits >= 8 {
            acc_bits -= 8;
            out.push((acc >> acc_bits) as u8);
        }
        acc &= (1u64 << acc_bits) - 1;
    }
    Ok(out)
}

/// The indices of an `nSolution` of `params`, in solution order.
///
/// # Errors
///
/// [`PowError::SolutionLength`] if `solution` is not [`EquihashParams::solution_len`] bytes.
pub fn solution_indices(params: &EquihashParams, solution: &[u8]) -> Result<Vec<u32>, PowError> {
    if solution.len() != params.solution_len() {
        return Err(PowError::SolutionLength {
            expected: params.solution_len(),
            actual: solution.len(),
        });
    }
    let mut indices = alloc::vec![0u32; params.indices_per_solution()];
    unpack_into(params.index_bit_length(), solution, &mut indices);
    Ok(indices)
}

/// The `nSolution` bytes for `2^k` indices of `params`.
///
/// # Errors
///
/// [`PowError::IndexCount`] unless there are exactly `2^k` indices;
/// [`PowError::IndexOutOfRange`] if one does not fit in `cbl + 1` bits.
pub fn solution_from_indices(
    params: &EquihashParams,
    indices: &[u32],
) -> Result<Vec<u8>, PowError> {
    check_solution_indices(params, indices)?;
    minimal_from_indices(params.index_bit_length(), indices).map_err(|_| PowError::IndexCount {
        expected: params.indices_per_solution(),
        actual: indices.len(),
    })
}

/// Checks the count and the range of indices given as numbers.
pub(crate) fn check_solution_indices(
    params: &EquihashParams,
    indices: &[u32],
) -> Result<(), PowError> {
    if indices.len() != params.indices_per_solution() {
        return Err(PowError::IndexCount {
            expected: params.indices_per_solution(),
            actual: indices.len(),
        });
    }
    let limit = params.index_limit();
    match indices.iter().find(|&&index| index >= limit) {
        Some(&index) => Err(PowError::IndexOutOfRange { index, limit }),
        None => Ok(()),
    }
}
