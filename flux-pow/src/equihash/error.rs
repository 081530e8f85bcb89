//! Equihash errors: one variant per rule of fluxd's `IsValidSolution` and of the minimal
//! solution encoding.

use core::fmt;

/// Why an Equihash solution is invalid. One variant per rule of fluxd
/// `Equihash::IsValidSolution` (`src/crypto/equihash.cpp:765-813`), reported in the daemon's
/// order: length, then level by level and pair by pair collision, order, duplicate; then the
/// final XOR.
///
/// `level` counts tree levels from 1 (pairs of leaves) to `k` (the root).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PowError {
    /// The solution is not `2^k * (cbl + 1) / 8` bytes long (`equihash.cpp:768`).
    SolutionLength {
        /// The length the parameter set requires.
        expected: usize,
        /// The length given.
        actual: usize,
    },
    /// A solution given as indices does not have `2^k` of them.
    IndexCount {
        /// `2^k`.
        expected: usize,
        /// The number given.
        actual: usize,
    },
    /// An index given as a number does not fit the `cbl + 1` bits of the encoding.
    IndexOutOfRange {
        /// The offending index.
        index: u32,
        /// One past the largest encodable index, `2^(cbl + 1)`.
        limit: u32,
    },
    /// Two sibling subtrees do not collide on the level's `cbl`-bit digit (`equihash.cpp:790`).
    Collision {
        /// The tree level (1-based).
        level: u32,
    },
    /// A right subtree's index list sorts before its left sibling's (`equihash.cpp:796`).
    IndexOrder {
        /// The tree level (1-based).
        level: u32,
    },
    /// Two sibling subtrees share an index (`DistinctIndices`, `equihash.cpp:800`).
    DuplicateIndex {
        /// The tree level (1-based).
        level: u32,
    },
    /// The XOR of all leaves is not zero in its last digit (`IsZero`, `equihash.cpp:812`).
    NonZeroFinalXor,
}

impl fmt::Display for PowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PowError::SolutionLength { expected, actual } => write!(
                f,
                "equihash solution is {actual} bytes, the parameter set needs {expected}"
            ),
            PowError::IndexCount { expected, actual } => {
                write!(
                    f,
                    "equihash solution has {actual} indices, the parameter set needs {expected}"
                )
            }
            PowError::IndexOutOfRange { index, limit } => {
                write!(
                    f,
                    "equihash index {index} does not fit the encoding (limit {limit})"
                )
            }
            PowError::Collision { level } => {
                write!(f, "equihash subtrees do not collide at level {level}")
            }
            PowError::IndexOrder { level } => {
                write!(
                    f,
                    "equihash index tree is not in canonical order at level {level}"
                )
            }
            PowError::DuplicateIndex { level } => {
                write!(
                    f,
                    "equihash solution repeats an index (found at level {level})"
                )
            }
            PowError::NonZeroFinalXor => f.write_str("equihash leaves do not XOR to zero"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for PowError {}

/// Why indices cannot be packed into, or bytes unpacked from, the minimal encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EncodingError {
    /// Index fields must be 8 to 32 bits wide (fluxd asserts both bounds in `ExpandArray` and
    /// `GetIndicesFromMinimal`).
    IndexBitLength {
        /// The width asked for.
        bits: u32,
    },
    /// The bytes (or the indices) do not make a whole number of fields (or bytes).
    Length {
        /// The total number of bits given.
        bits: usize,
        /// The field width, which must divide it (decoding) or whose multiple must be a whole
        /// number of bytes (encoding).
        index_bits: u32,
    },
    /// An index does not fit in the field width.
    IndexOutOfRange {
        /// The offending index.
        index: u32,
        /// The field width in bits.
        index_bits: u32,
    },
}

impl fmt::Display for EncodingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EncodingError::IndexBitLength { bits } => {
                write!(f, "index width {bits} bits is outside 8..=32")
            }
            EncodingError::Length { bits, index_bits } => write!(
                f,
                "{bits} bits do not split into whole {index_bits}-bit indices and bytes"
            ),
            EncodingError::IndexOutOfRange { index, index_bits } => {
                write!(f, "index {index} does not fit in {index_bits} bits")
            }
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for EncodingError {}
