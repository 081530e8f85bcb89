//! An Equihash verifier written from fluxd's definition (`src/crypto/equihash.cpp`:
//! `InitialiseState`, `GenerateHash`, `ExpandArray`, `IsValidSolution`), sharing no code with
//! flux-pow's verifier: its own BLAKE2b parameters, its own ZelHash twist, its own bit
//! expansion and byte rows. Only the parameter set's `n`, `k`, tag and twist flag, and the error
//! type for the verdict, come from flux-pow.
//!
//! Used by flux-pow's property tests and, through `#[path]`, by the fuzz replay, so both compare
//! the library with the same outside reference.

use flux_pow::equihash::{EquihashParams, PowError};

/// Bytes of the BLAKE2b output: `(512 / n) * ceil(n / 8)` (the length `InitialiseState` asks for).
fn output_len(n: usize) -> usize {
    (512 / n) * n.div_ceil(8)
}

/// `GenerateHash(base_state, g)`: BLAKE2b personalized with the tag, `le32(n)`, `le32(k)`, over
/// `input || le32(g)`; with the twist, the word-wise (little-endian `u32`) wrapping sum of those
/// hashes for every `g2` from `g` rounded down to a multiple of 16 up to `g`, with the low three
/// bits of every sixteenth byte (15, 31, ...) cleared.
pub fn generate_hash(params: &EquihashParams, input: &[u8], g: u32) -> Vec<u8> {
    let n = params.n() as usize;
    let len = output_len(n);
    let mut personal = [0u8; 16];
    personal[..8].copy_from_slice(&params.personalization_tag());
    personal[8..12].copy_from_slice(&params.n().to_le_bytes());
    personal[12..].copy_from_slice(&params.k().to_le_bytes());
    let plain = |index: u32| {
        let mut state = blake2b_simd::Params::new()
            .hash_length(len)
            .personal(&personal)
            .to_state();
        state.update(input);
        state.update(&index.to_le_bytes());
        state.finalize().as_bytes().to_vec()
    };
    if !params.twist() {
        return plain(g);
    }
    let mut sum = [0u32; 16];
    for g2 in (g & 0xFFFF_FFF0)..=g {
        let hash = plain(g2);
        for (word, bytes) in sum.iter_mut().zip(hash.chunks(4)) {
            let mut le = [0u8; 4];
            le[..bytes.len()].copy_from_slice(bytes);
            *word = word.wrapping_add(u32::from_le_bytes(le));
        }
    }
    let mut out: Vec<u8> = sum.iter().flat_map(|word| word.to_le_bytes()).collect();
    let mut at = 15;
    while at < len {
        out[at] &= 0xF8;
        at += 16;
    }
    out.truncate(len);
    out
}

/// The row fluxd builds for solution index `i`: the `ceil(n/8)`-byte slice `i % (512/n)` of the
/// hash of `i / (512/n)`, cut MSB-first into `k + 1` digits of `n/(k+1)` bits, each written
/// big-endian in `ceil(cbl/8)` bytes (`ExpandArray(slice, cbl, 0)`).
pub fn leaf_row(params: &EquihashParams, input: &[u8], i: u32) -> Vec<u8> {
    let n = params.n() as usize;
    let per_hash = (512 / n) as u32;
    let width = n.div_ceil(8);
    let hash = generate_hash(params, input, i / per_hash);
    let start = (i % per_hash) as usize * width;
    let slice = &hash[start..start + width];
    let cbl = n / (params.k() as usize + 1);
    let digit_bytes = cbl.div_ceil(8);
    let bit = |position: usize| u32::from((slice[position / 8] >> (7 - position % 8)) & 1);
    let mut row = Vec::new();
    for digit in 0..=params.k() as usize {
        let value = (0..cbl).fold(0u32, |acc, b| (acc << 1) | bit(digit * cbl + b));
        row.extend_from_slice(&value.to_be_bytes()[4 - digit_bytes..]);
    }
    row
}

/// fluxd `IsValidSolution` on byte rows (`equihash.cpp:765-813`): rows of expanded hashes
/// followed by big-endian indices, merged breadth-first; each pair must collide on its next
/// `ceil(cbl/8)` bytes, be in order and share no index, and the last row must be all zero.
pub fn verify(params: &EquihashParams, input: &[u8], indices: &[u32]) -> Result<(), PowError> {
    let n = params.n() as usize;
    let collision_bytes = (n / (params.k() as usize + 1)).div_ceil(8);
    let mut rows: Vec<(Vec<u8>, Vec<u8>)> = indices
        .iter()
        .map(|&i| (leaf_row(params, input, i), i.to_be_bytes().to_vec()))
        .collect();
    let mut level = 0;
    while rows.len() > 1 {
        level += 1;
        let mut next = Vec::new();
        for pair in rows.chunks(2) {
            let (a, b) = (&pair[0], &pair[1]);
            if a.0[..collision_bytes] != b.0[..collision_bytes] {
                return Err(PowError::Collision { level });
            }
            if b.1 < a.1 {
                return Err(PowError::IndexOrder { level });
            }
            let distinct = a.1.chunks(4).all(|x| b.1.chunks(4).all(|y| x != y));
            if !distinct {
                return Err(PowError::DuplicateIndex { level });
            }
            let hash: Vec<u8> = a.0[collision_bytes..]
                .iter()
                .zip(&b.0[collision_bytes..])
                .map(|(x, y)| x ^ y)
                .collect();
            let mut merged = a.1.clone();
            merged.extend_from_slice(&b.1);
            next.push((hash, merged));
        }
        rows = next;
    }
    if rows[0].0.iter().all(|&b| b == 0) {
        Ok(())
    } else {
        Err(PowError::NonZeroFinalXor)
    }
}
