//! The Equihash hash function: the personalized BLAKE2b base state, the hash for a hash index
//! `g` (with the ZelHash twist), the slice belonging to a solution index and its expansion into
//! collision digits.
//!
//! Mirrors fluxd `src/crypto/equihash.cpp:33-135` (`InitialiseState`, `GenerateHash`,
//! `ExpandArray`) and `:779-783` (how `IsValidSolution` picks the slice of index `i`).

use super::params::{EquihashParams, MAX_DIGITS, MAX_HASH_OUTPUT_LEN};

/// The BLAKE2b parameters of a set: no key, no salt, digest length
/// [`EquihashParams::hash_output_len`], personalization [`EquihashParams::personalization`]
/// (fluxd `InitialiseState`, `equihash.cpp:33-50`).
pub fn blake2b_params(params: &EquihashParams) -> blake2b_simd::Params {
    let mut blake = blake2b_simd::Params::new();
    blake
        .hash_length(params.hash_output_len())
        .personal(&params.personalization());
    blake
}

/// The BLAKE2b state after absorbing `input` (in a block: the 140 header bytes `I || V`,
/// version through nonce). Every hash of the solution continues from a copy of it.
pub fn base_state(params: &EquihashParams, input: &[u8]) -> blake2b_simd::State {
    let mut state = blake2b_params(params).to_state();
    state.update(input);
    state
}

/// A BLAKE2b output of a parameter set ([`EquihashParams::hash_output_len`] bytes, at most 64).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct HashOutput {
    bytes: [u8; MAX_HASH_OUTPUT_LEN],
    len: u8,
}

impl HashOutput {
    /// The digest bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }
}

impl core::fmt::Debug for HashOutput {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("HashOutput(")?;
        for byte in self.as_bytes() {
            write!(f, "{byte:02x}")?;
        }
        f.write_str(")")
    }
}

/// The running word-wise sum behind the ZelHash twist (`GenerateHash`, `equihash.cpp:64-86`).
///
/// The twisted hash of `g` is the wrapping sum, as 16 little-endian `u32` words, of the plain
/// hashes of every `g2` from `g & !15` to `g`, with the low 3 bits of bytes 15, 31, 47 and 63
/// cleared. A solver that walks `g` upwards can [`add`](Self::add) each plain hash and
/// [`finish`](Self::finish) at every step, resetting at multiples of 16.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TwistAccumulator {
    words: [u32; 16],
}

impl TwistAccumulator {
    /// An accumulator at zero: the state at the start of each aligned group of 16.
    pub const fn new() -> Self {
        TwistAccumulator { words: [0; 16] }
    }

    /// Adds a 64-byte plain hash, word by word, wrapping mod 2^32. Shorter inputs are treated
    /// as zero-padded (only 64-byte digests are twisted in practice).
    pub fn add(&mut self, plain_hash: &[u8]) {
        let mut padded = [0u8; 64];
        let len = plain_hash.len().min(64);
        padded[..len].copy_from_slice(&plain_hash[..len]);
        for (word, chunk) in self.words.iter_mut().zip(padded.chunks_exact(4)) {
            let value = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
            *word = word.wrapping_add(value);
        }
    }

    /// The twisted 64-byte hash: the sum serialized little-endian, bytes 15, 31, 47 and 63
    /// masked with `0xF8` (the unused low bits of each 16-byte slice, `equihash.cpp:83`).
    pub fn finish(&self) -> HashOutput {
        let mut bytes = [0u8; MAX_HASH_OUTPUT_LEN];
        for (chunk, word) in bytes.chunks_exact_mut(4).zip(self.words) {
            chunk.copy_from_slice(&word.to_le_bytes());
        }
        for byte in bytes.iter_mut().skip(15).step_by(16) {
            *byte &= 0xF8;
        }
        HashOutput { bytes, len: 64 }
    }
}

/// The Equihash hash function of one parameter set over one input (`I || V`).
///
/// ```
/// use flux_pow::equihash::{EquihashParams, EquihashState};
/// let state = EquihashState::new(&EquihashParams::ZELHASH, &[0u8; 140]);
/// assert_eq!(state.hash(17).as_bytes().len(), 64);
/// assert_eq!(state.index_slice(70).len(), 16);
/// ```
#[derive(Clone)]
pub struct EquihashState {
    params: EquihashParams,
    base: blake2b_simd::State,
}

impl core::fmt::Debug for EquihashState {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("EquihashState")
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}

impl EquihashState {
    /// Absorbs `input` into the personalized BLAKE2b state of `params`.
    pub fn new(params: &EquihashParams, input: &[u8]) -> Self {
        EquihashState {
            params: *params,
            base: base_state(params, input),
        }
    }

    /// The parameter set.
    pub fn params(&self) -> &EquihashParams {
        &self.params
    }

    /// `H(g) = BLAKE2b(I || V || le32(g))`, never twisted.
    pub fn plain_hash(&self, g: u32) -> HashOutput {
        let mut state = self.base.clone();
        state.update(&g.to_le_bytes());
        let digest = state.finalize();
        let mut bytes = [0u8; MAX_HASH_OUTPUT_LEN];
        let digest = digest.as_bytes();
        bytes[..digest.len()].copy_from_slice(digest);
        HashOutput {
            bytes,
            len: digest.len() as u8,
        }
    }

    /// fluxd's `GenerateHash` for hash index `g`: [`plain_hash`](Self::plain_hash), or for a
    /// twisted set the prefix sum over `g & !15 ..= g` (up to 16 BLAKE2b calls).
    pub fn hash(&self, g: u32) -> HashOutput {
        if !self.params.twist() {
            return self.plain_hash(g);
        }
        let mut acc = TwistAccumulator::new();
        for g2 in (g & !15)..=g {
            acc.add(self.plain_hash(g2).as_bytes());
        }
        acc.finish()
    }

    /// The hash index holding solution index `i`: `i / (512 / n)`.
    pub fn hash_index_of(&self, i: u32) -> u32 {
        i / self.params.indices_per_hash_output()
    }

    /// The collision string of solution index `i`: bytes `r*W .. r*W + W` of
    /// [`hash`](Self::hash)`(i / (512/n))`, where `r = i % (512/n)` and `W = ceil(n/8)`.
    pub fn index_slice(&self, i: u32) -> IndexSlice {
        let per_hash = self.params.indices_per_hash_output();
        slice_of(&self.params, &self.hash(i / per_hash), i % per_hash)
    }

    /// The `k + 1` collision digits of solution index `i` (the leaf fluxd builds for it).
    pub fn leaf_digits(&self, i: u32) -> Digits {
        expand_digits(&self.params, self.index_slice(i).as_bytes())
    }
}

/// Slice `r` of a hash output (`r < 512/n`), as [`EquihashState::index_slice`] takes it.
pub fn slice_of(params: &EquihashParams, hash: &HashOutput, r: u32) -> IndexSlice {
    let width = params.hash_slice_len();
    let start = (r as usize % params.indices_per_hash_output() as usize) * width;
    let mut bytes = [0u8; MAX_HASH_OUTPUT_LEN];
    bytes[..width].copy_from_slice(&hash.bytes[start..start + width]);
    IndexSlice {
        bytes,
        len: width as u8,
    }
}

/// The `ceil(n/8)` hash bytes that belong to one solution index.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct IndexSlice {
    bytes: [u8; MAX_HASH_OUTPUT_LEN],
    len: u8,
}

impl IndexSlice {
    /// The slice bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }

    /// The slice length, `ceil(n/8)`.
    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    /// Whether the slice is empty (never, for a valid parameter set).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl core::fmt::Debug for IndexSlice {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("IndexSlice(")?;
        for byte in self.as_bytes() {
            write!(f, "{byte:02x}")?;
        }
        f.write_str(")")
    }
}

/// The `k + 1` collision digits of one leaf, `cbl` bits each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Digits {
    values: [u32; MAX_DIGITS],
    len: u8,
}

impl Digits {
    /// The digits, most significant (compared first) first.
    pub fn as_slice(&self) -> &[u32] {
        &self.values[..usize::from(self.len)]
    }

    /// The leaf as fluxd stores it: each digit big-endian in `ceil(cbl/8)` bytes
    /// (`ExpandArray(slice, cbl, 0)`), written to `out`; returns the number of bytes written,
    /// or `None` if `out` is too short.
    pub fn write_expanded(&self, params: &EquihashParams, out: &mut [u8]) -> Option<usize> {
        let width = params.collision_byte_length();
        let total = width * self.as_slice().len();
        let out = out.get_mut(..total)?;
        for (chunk, digit) in out.chunks_exact_mut(width).zip(self.as_slice()) {
            chunk.copy_from_slice(&digit.to_be_bytes()[4 - width..]);
        }
        Some(total)
    }
}

/// Splits a slice, read as an MSB-first bit stream, into `k + 1` digits of `cbl` bits
/// (`ExpandArray(slice, cbl, 0)`, `equihash.cpp:91-135`); trailing bits that fill no digit are
/// ignored, as are missing bytes (treated as zero) if `slice` is shorter than `ceil(n/8)`.
pub fn expand_digits(params: &EquihashParams, slice: &[u8]) -> Digits {
    let bit_len = params.collision_bit_length();
    let mask = (1u64 << bit_len) - 1;
    let mut values = [0u32; MAX_DIGITS];
    let count = params.digit_count();
    let mut acc: u64 = 0;
    let mut acc_bits = 0u32;
    let mut bytes = slice.iter();
    for value in values.iter_mut().take(count) {
        while acc_bits < bit_len {
            acc = (acc << 8) | u64::from(bytes.next().copied().unwrap_or(0));
            acc_bits += 8;
        }
        acc_bits -= bit_len;
        *value = ((acc >> acc_bits) & mask) as u32;
        acc &= (1u64 << acc_bits) - 1;
    }
    Digits {
        values,
        len: count as u8,
    }
}
