//! BLAKE2b for many hash indices at once: the level-0 hashes of a solve differ only in the
//! 4-byte index `g` at the end of the input, so the state after the input's complete 128-byte
//! blocks is computed once (a "midstate"), and the last block is compressed for several `g` side
//! by side, one `g` per SIMD lane. On x86-64 with AVX2 (detected at run time) four lanes share
//! each 256-bit register; elsewhere a portable form of the same compression runs lane by lane.
//!
//! This is an independent implementation of RFC 7693 for this one shape of input; a unit test
//! checks it against `blake2b_simd` for every parameter set and many input lengths.

use crate::equihash::{EquihashParams, EquihashState};

/// BLAKE2b initialisation vector (RFC 7693 section 2.6).
const IV: [u64; 8] = [
    0x6a09_e667_f3bc_c908,
    0xbb67_ae85_84ca_a73b,
    0x3c6e_f372_fe94_f82b,
    0xa54f_f53a_5f1d_36f1,
    0x510e_527f_ade6_82d1,
    0x9b05_688c_2b3e_6c1f,
    0x1f83_d9ab_fb41_bd6b,
    0x5be0_cd19_137e_2179,
];

/// Message schedule (RFC 7693 section 2.7); rounds 10 and 11 reuse rows 0 and 1.
const SIGMA: [[usize; 16]; 12] = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
    [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
    [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
    [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
    [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
    [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
    [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
    [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
    [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
    [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0],
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
    [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
];

/// Hash indices compressed side by side.
pub(crate) const LANES: usize = 8;

/// The Equihash BLAKE2b state of one input, up to its last block.
#[derive(Debug, Clone)]
pub(crate) struct Midstate {
    /// Chaining value after every complete block but the last.
    h: [u64; 8],
    /// The last block without the index: the input's tail, zero-padded.
    block: [u64; 16],
    /// Byte offset of `le32(g)` inside the last block.
    index_offset: usize,
    /// Bytes hashed in all (input and index): the counter of the last block.
    total_len: u128,
}

impl Midstate {
    /// The midstate for `input`, or `None` if `le32(g)` would not fit in the same block as the
    /// input's tail (a tail of more than 124 bytes): those inputs take the ordinary path.
    pub fn new(params: &EquihashParams, input: &[u8]) -> Option<Midstate> {
        let mut param_block = [0u8; 64];
        param_block[0] = params.hash_output_len() as u8;
        param_block[2] = 1; // fanout
        param_block[3] = 1; // depth
        param_block[48..].copy_from_slice(&params.personalization());
        let mut h = IV;
        for (word, bytes) in h.iter_mut().zip(param_block.chunks_exact(8)) {
            *word ^= le_u64(bytes);
        }
        // Every complete block is compressed except the one that will hold the index: the
        // final block is never empty, and the index always makes it so.
        let full_blocks = input.len() / 128;
        let tail = &input[full_blocks * 128..];
        if tail.len() > 124 {
            return None;
        }
        for (number, chunk) in input.chunks_exact(128).enumerate() {
            let mut m = [0u64; 16];
            for (word, bytes) in m.iter_mut().zip(chunk.chunks_exact(8)) {
                *word = le_u64(bytes);
            }
            let counter = (number as u128 + 1) * 128;
            let mut lanes = [[0u64; 8]; 1];
            compress::<1>(&h, &[m; 1], counter, false, &mut lanes);
            h = lanes[0];
        }
        let mut bytes = [0u8; 128];
        bytes[..tail.len()].copy_from_slice(tail);
        let mut block = [0u64; 16];
        for (word, chunk) in block.iter_mut().zip(bytes.chunks_exact(8)) {
            *word = le_u64(chunk);
        }
        Some(Midstate {
            h,
            block,
            index_offset: tail.len(),
            total_len: input.len() as u128 + 4,
        })
    }

    /// The last block with `le32(g)` in place.
    fn block_for(&self, g: u32) -> [u64; 16] {
        core::array::from_fn(|word| self.block_word(g, word))
    }

    /// Word `word` of the last block with `le32(g)` in place.
    #[inline(always)]
    fn block_word(&self, g: u32, word: usize) -> u64 {
        let index_word = self.index_offset / 8;
        let shift = (self.index_offset % 8) * 8;
        let index = u64::from(g);
        let base = self.block[word % 16];
        if word == index_word {
            base | index << shift
        } else if word == index_word + 1 && shift > 32 {
            base | index >> (64 - shift)
        } else {
            base
        }
    }

    /// The plain (untwisted) hashes of `first_g .. first_g + LANES`, as the 8 little-endian
    /// words of each BLAKE2b output (bytes past the digest length are not part of the hash).
    pub fn hash_lanes(&self, first_g: u32) -> [[u64; 8]; LANES] {
        let mut out = [[0u64; 8]; LANES];
        #[cfg(target_arch = "x86_64")]
        {
            if std::is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU supports AVX2 (checked just above), the only requirement of a
                // `#[target_feature]` function.
                #[allow(unsafe_code)]
                unsafe {
                    compress_avx2(self, first_g, &mut out);
                }
                return out;
            }
        }
        let blocks: [[u64; 16]; LANES] =
            core::array::from_fn(|lane| self.block_for(first_g.wrapping_add(lane as u32)));
        compress::<LANES>(&self.h, &blocks, self.total_len, true, &mut out);
        out
    }

    /// Whether the last block is zero past its first [`SHORT_TAIL_WORDS`] words, index
    /// included: the case of every block header (140 bytes: a 12-byte tail and the index).
    fn short_tail(&self) -> bool {
        self.index_offset + 4 <= 8 * SHORT_TAIL_WORDS
            && self.block[SHORT_TAIL_WORDS..].iter().all(|&word| word == 0)
    }

    /// The words of the last block that hold (part of) `le32(g)`: the index may straddle two.
    fn index_words(&self) -> (usize, usize) {
        let word = self.index_offset / 8;
        let straddles = self.index_offset % 8 > 4;
        (word, if straddles { word + 1 } else { word })
    }
}

/// Words of a last block that [`Midstate::short_tail`] allows to be non-zero.
const SHORT_TAIL_WORDS: usize = 2;

/// The plain hashes of one input's hash indices, [`LANES`] at a time: from a [`Midstate`] where
/// the input's last block has room for the index, one BLAKE2b call at a time otherwise.
#[derive(Debug, Clone)]
pub(crate) enum BatchHasher {
    /// The input's tail leaves room for `le32(g)` in its last block.
    Midstate(Midstate),
    /// Any other input.
    OneAtATime(EquihashState),
}

impl BatchHasher {
    /// The hasher for `input` under `params`.
    pub fn new(params: &EquihashParams, input: &[u8]) -> BatchHasher {
        match Midstate::new(params, input) {
            Some(midstate) => BatchHasher::Midstate(midstate),
            None => BatchHasher::OneAtATime(EquihashState::new(params, input)),
        }
    }

    /// The plain hashes of `first_g, first_g + 1, ..` (wrapping), as the 8 little-endian words
    /// of each 64-byte BLAKE2b output; words past the digest length are not part of the hash.
    pub fn hash_lanes(&self, first_g: u32) -> [[u64; 8]; LANES] {
        match self {
            BatchHasher::Midstate(midstate) => midstate.hash_lanes(first_g),
            BatchHasher::OneAtATime(state) => core::array::from_fn(|lane| {
                let hash = state.plain_hash(first_g.wrapping_add(lane as u32));
                let mut bytes = [0u8; 64];
                bytes[..hash.as_bytes().len()].copy_from_slice(hash.as_bytes());
                core::array::from_fn(|word| le_u64(&bytes[8 * word..]))
            }),
        }
    }
}

/// The final-block compression for [`LANES`] messages as `LANES / 4` groups of four, one
/// message per 64-bit lane of a 256-bit register. Written with explicit intrinsics: AVX2 has 16
/// registers, too few for the compiler to keep eight lanes of the state in them, and its
/// auto-vectorised form of [`compress`] ran slower than a scalar BLAKE2b.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn compress_avx2(midstate: &Midstate, first_g: u32, out: &mut [[u64; 8]; LANES]) {
    let short_tail = midstate.short_tail();
    for (group, outputs) in out.chunks_exact_mut(4).enumerate() {
        let g = first_g.wrapping_add(4 * group as u32);
        if short_tail {
            avx2::compress_final_4::<true>(midstate, g, outputs);
        } else {
            avx2::compress_final_4::<false>(midstate, g, outputs);
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use core::arch::x86_64::{
        __m256i, _mm256_add_epi64, _mm256_or_si256, _mm256_set_epi64x, _mm256_set1_epi64x,
        _mm256_setzero_si256, _mm256_shuffle_epi8, _mm256_shuffle_epi32, _mm256_srli_epi64,
        _mm256_storeu_si256, _mm256_xor_si256,
    };

    use super::{IV, Midstate, SHORT_TAIL_WORDS, SIGMA};

    /// Four lanes of one state word.
    type Lanes = __m256i;

    #[inline]
    #[target_feature(enable = "avx2")]
    fn splat(word: u64) -> Lanes {
        _mm256_set1_epi64x(word as i64)
    }

    /// Each lane rotated right by 32 bits: its two halves swapped.
    #[inline]
    #[target_feature(enable = "avx2")]
    fn rotate_right_32(x: Lanes) -> Lanes {
        _mm256_shuffle_epi32::<0b10_11_00_01>(x)
    }

    /// Each lane rotated right by `BYTES` whole bytes: byte `i` of a lane takes byte
    /// `(i + BYTES) % 8` (the byte shuffle indexes within each 128-bit half).
    #[inline]
    #[target_feature(enable = "avx2")]
    fn rotate_right_bytes<const BYTES: usize>(x: Lanes) -> Lanes {
        let low_word = const {
            let mut order = 0u64;
            let mut byte = 0;
            while byte < 8 {
                order |= (((byte + BYTES) % 8) as u64) << (8 * byte);
                byte += 1;
            }
            order
        };
        let high_word = low_word + 0x0808_0808_0808_0808;
        let order = _mm256_set_epi64x(
            high_word as i64,
            low_word as i64,
            high_word as i64,
            low_word as i64,
        );
        _mm256_shuffle_epi8(x, order)
    }

    /// Each lane rotated right by 63 bits, that is left by one.
    #[inline]
    #[target_feature(enable = "avx2")]
    fn rotate_right_63(x: Lanes) -> Lanes {
        _mm256_or_si256(_mm256_srli_epi64::<63>(x), _mm256_add_epi64(x, x))
    }

    /// The G function (RFC 7693 section 3.1) on four lanes.
    #[inline]
    #[target_feature(enable = "avx2")]
    fn mix(v: &mut [Lanes; 16], [a, b, c, d]: [usize; 4], x: Lanes, y: Lanes) {
        v[a] = _mm256_add_epi64(_mm256_add_epi64(v[a], v[b]), x);
        v[d] = rotate_right_32(_mm256_xor_si256(v[d], v[a]));
        v[c] = _mm256_add_epi64(v[c], v[d]);
        v[b] = rotate_right_bytes::<3>(_mm256_xor_si256(v[b], v[c]));
        v[a] = _mm256_add_epi64(_mm256_add_epi64(v[a], v[b]), y);
        v[d] = rotate_right_bytes::<2>(_mm256_xor_si256(v[d], v[a]));
        v[c] = _mm256_add_epi64(v[c], v[d]);
        v[b] = rotate_right_63(_mm256_xor_si256(v[b], v[c]));
    }

    /// One round (G on the columns, then on the diagonals) per message schedule row `$s`. A
    /// macro, not a function: a function this size is not inlined, and the state must stay in
    /// registers across rounds.
    macro_rules! rounds {
        ($v:ident, $m:ident, $($s:literal)*) => {$({
            let s = &SIGMA[$s];
            mix(&mut $v, [0, 4, 8, 12], $m[s[0]], $m[s[1]]);
            mix(&mut $v, [1, 5, 9, 13], $m[s[2]], $m[s[3]]);
            mix(&mut $v, [2, 6, 10, 14], $m[s[4]], $m[s[5]]);
            mix(&mut $v, [3, 7, 11, 15], $m[s[6]], $m[s[7]]);
            mix(&mut $v, [0, 5, 10, 15], $m[s[8]], $m[s[9]]);
            mix(&mut $v, [1, 6, 11, 12], $m[s[10]], $m[s[11]]);
            mix(&mut $v, [2, 7, 8, 13], $m[s[12]], $m[s[13]]);
            mix(&mut $v, [3, 4, 9, 14], $m[s[14]], $m[s[15]]);
        })*};
    }

    /// The compression of the final block of `midstate` for the four indices `first_g ..
    /// first_g + 4`, into `out` (four outputs). Only the words holding the index differ
    /// between the four blocks: the others are one broadcast each. With `SHORT_TAIL` (only for
    /// a midstate whose [`Midstate::short_tail`] holds) the words past the first
    /// [`SHORT_TAIL_WORDS`] are the constant zero, so the compiler drops the 168 of the 192
    /// message additions that would add them, and the registers they would hold.
    #[target_feature(enable = "avx2")]
    pub(super) fn compress_final_4<const SHORT_TAIL: bool>(
        midstate: &Midstate,
        first_g: u32,
        out: &mut [[u64; 8]],
    ) {
        let (low_word, high_word) = midstate.index_words();
        let m: [Lanes; 16] = core::array::from_fn(|word| {
            if SHORT_TAIL && word >= SHORT_TAIL_WORDS {
                _mm256_setzero_si256()
            } else if word == low_word || word == high_word {
                let word_of =
                    |lane: u32| midstate.block_word(first_g.wrapping_add(lane), word) as i64;
                _mm256_set_epi64x(word_of(3), word_of(2), word_of(1), word_of(0))
            } else {
                splat(midstate.block[word])
            }
        });
        let h = &midstate.h;
        let counter = midstate.total_len;
        let mut v: [Lanes; 16] = core::array::from_fn(|i| match i {
            0..8 => splat(h[i]),
            12 => splat(IV[4] ^ counter as u64),
            13 => splat(IV[5] ^ (counter >> 64) as u64),
            14 => splat(!IV[6]),
            _ => splat(IV[i - 8]),
        });
        // Spelled out round by round so that every message index is a constant.
        rounds!(v, m, 0 1 2 3 4 5 6 7 8 9 10 11);
        // Stored word by word, then read lane by lane: cheaper than extracting each lane.
        let mut words = [[0u64; 4]; 8];
        for (i, stored) in words.iter_mut().enumerate() {
            let word = _mm256_xor_si256(splat(h[i]), _mm256_xor_si256(v[i], v[i + 8]));
            // SAFETY: `stored` is 32 writable bytes; the unaligned store has no other
            // requirement.
            #[allow(unsafe_code)]
            unsafe {
                _mm256_storeu_si256(stored.as_mut_ptr().cast(), word);
            }
        }
        for (lane, lane_out) in out.iter_mut().enumerate() {
            for (word_out, word) in lane_out.iter_mut().zip(&words) {
                *word_out = word[lane % 4];
            }
        }
    }
}

fn le_u64(bytes: &[u8]) -> u64 {
    let mut word = [0u8; 8];
    word.copy_from_slice(&bytes[..8]);
    u64::from_le_bytes(word)
}

/// One BLAKE2b compression (`last`: of the final block) for `L` messages from the same chaining
/// value `h`, lane-major inside each state word so that every step is one SIMD operation over
/// the lanes.
#[inline(always)]
fn compress<const L: usize>(
    h: &[u64; 8],
    blocks: &[[u64; 16]; L],
    counter: u128,
    last: bool,
    out: &mut [[u64; 8]; L],
) {
    let mut m = [[0u64; L]; 16];
    for (lane, block) in blocks.iter().enumerate() {
        for (word, value) in block.iter().enumerate() {
            m[word][lane] = *value;
        }
    }
    let mut v = [[0u64; L]; 16];
    for i in 0..8 {
        v[i] = [h[i]; L];
        v[i + 8] = [IV[i]; L];
    }
    v[12] = [IV[4] ^ counter as u64; L];
    v[13] = [IV[5] ^ (counter >> 64) as u64; L];
    if last {
        v[14] = [!IV[6]; L];
    }
    for s in &SIGMA {
        mix(&mut v, 0, 4, 8, 12, &m[s[0]], &m[s[1]]);
        mix(&mut v, 1, 5, 9, 13, &m[s[2]], &m[s[3]]);
        mix(&mut v, 2, 6, 10, 14, &m[s[4]], &m[s[5]]);
        mix(&mut v, 3, 7, 11, 15, &m[s[6]], &m[s[7]]);
        mix(&mut v, 0, 5, 10, 15, &m[s[8]], &m[s[9]]);
        mix(&mut v, 1, 6, 11, 12, &m[s[10]], &m[s[11]]);
        mix(&mut v, 2, 7, 8, 13, &m[s[12]], &m[s[13]]);
        mix(&mut v, 3, 4, 9, 14, &m[s[14]], &m[s[15]]);
    }
    for (lane, lane_out) in out.iter_mut().enumerate() {
        for i in 0..8 {
            lane_out[i] = h[i] ^ v[i][lane] ^ v[i + 8][lane];
        }
    }
}

/// The G function (RFC 7693 section 3.1) on every lane.
#[inline(always)]
fn mix<const L: usize>(
    v: &mut [[u64; L]; 16],
    a: usize,
    b: usize,
    c: usize,
    d: usize,
    x: &[u64; L],
    y: &[u64; L],
) {
    for lane in 0..L {
        v[a][lane] = v[a][lane].wrapping_add(v[b][lane]).wrapping_add(x[lane]);
        v[d][lane] = (v[d][lane] ^ v[a][lane]).rotate_right(32);
        v[c][lane] = v[c][lane].wrapping_add(v[d][lane]);
        v[b][lane] = (v[b][lane] ^ v[c][lane]).rotate_right(24);
        v[a][lane] = v[a][lane].wrapping_add(v[b][lane]).wrapping_add(y[lane]);
        v[d][lane] = (v[d][lane] ^ v[a][lane]).rotate_right(16);
        v[c][lane] = v[c][lane].wrapping_add(v[d][lane]);
        v[b][lane] = (v[b][lane] ^ v[c][lane]).rotate_right(63);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::equihash::EquihashState;

    #[test]
    fn lanes_match_blake2b_simd_and_the_portable_form_for_every_set_and_input_length() {
        for params in EquihashParams::ALL {
            for len in [
                0usize, 1, 5, 12, 13, 100, 101, 124, 125, 127, 128, 129, 134, 140, 252, 256, 300,
            ] {
                let input: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
                let Some(mid) = Midstate::new(&params, &input) else {
                    assert!(len % 128 > 124, "{params} len {len}");
                    continue;
                };
                // A header (140 bytes: a 12-byte tail) and other short tails take the form
                // that leaves out the zero words of the last block.
                assert_eq!(mid.short_tail(), len % 128 + 4 <= 16, "{params} len {len}");
                let state = EquihashState::new(&params, &input);
                for first_g in [0u32, 8, 0x0123_4567, u32::MAX - 7] {
                    let lanes = mid.hash_lanes(first_g);
                    // The portable compression, which the SIMD one replaces on x86-64, agrees.
                    let blocks: [[u64; 16]; LANES] = core::array::from_fn(|lane| {
                        mid.block_for(first_g.wrapping_add(lane as u32))
                    });
                    let mut portable = [[0u64; 8]; LANES];
                    compress::<LANES>(&mid.h, &blocks, mid.total_len, true, &mut portable);
                    assert_eq!(lanes, portable, "{params} len {len} g {first_g}");
                    for (lane, words) in lanes.iter().enumerate() {
                        let mut bytes = [0u8; 64];
                        for (chunk, word) in bytes.chunks_exact_mut(8).zip(words) {
                            chunk.copy_from_slice(&word.to_le_bytes());
                        }
                        let expected = state.plain_hash(first_g + lane as u32);
                        assert_eq!(
                            &bytes[..params.hash_output_len()],
                            expected.as_bytes(),
                            "{params} len {len} g {first_g}+{lane}"
                        );
                    }
                }
            }
        }
    }
}
