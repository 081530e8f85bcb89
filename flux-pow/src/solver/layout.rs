//! The bucketed, fixed-width memory layout of the solver's lists.
//!
//! A list ("level") of the Wagner tree holds one row per partial solution. Each row is split
//! into three pieces that are stored apart so that the bulky part can be freed early:
//!
//! * its **bucket**: the top `bucket_bits` bits of the digit the next round collides on. It is
//!   never stored: rows are grouped by bucket (offset tables), so the position says it;
//! * its **hash words**: the remaining digits as one MSB-first bit string, packed into a fixed
//!   number of `u32` words (all rows of a level have the same width). They are only needed by the
//!   next round and are dropped as soon as a part has been processed;
//! * its **tree entry** (5 bytes): at level 0 the leaf index, above it the two children as
//!   `(bucket, local position, local position)` in the level below. These stay until the end,
//!   when the few final candidates are expanded back into leaf indices.
//!
//! The buckets are split into `part_count` contiguous ranges ("parts"), which are the units of
//! parallel work. A round processes each part on its own thread and writes its output into one
//! chunk per destination part, so no two threads ever write to the same memory and no row is a
//! separate allocation. Level `L + 1`'s part `q` is the list of chunks `q` written by every part of
//! level `L`; a bucket is the concatenation of its segments in those chunks, in producer order.

use alloc::vec::Vec;

/// A bucket never holds more rows than this: local positions in tree entries have 12 bits.
/// Buckets average 1024 rows (see [`Shape::bucket_bits`]), so this is never reached in practice;
/// rows beyond it would be dropped and counted in [`crate::solver::SolveReport::dropped_rows`].
pub(crate) const MAX_BUCKET_ROWS: usize = 1 << 12;

/// log2 of the average bucket size the shape aims for.
const TARGET_BUCKET_LOG2: u32 = 10;

/// log2 of the number of parts a level is split into (at most).
const PART_LOG2: u32 = 5;

/// Derived sizes of one solve.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Shape {
    /// Collision bit length `n / (k + 1)`.
    pub cbl: u32,
    /// `k`.
    pub k: u32,
    /// Bits of each digit used as the bucket number.
    pub bucket_bits: u32,
    /// Number of buckets, `2^bucket_bits`.
    pub buckets: usize,
    /// Number of parts (units of parallel work).
    pub parts: usize,
    /// Buckets per part.
    pub buckets_per_part: usize,
    /// Number of leaves, `2^(cbl + 1)`.
    pub leaves: u32,
}

impl Shape {
    /// The shape for a parameter set, or `None` if the layout cannot address it (a collision
    /// length above 25 bits, which no Flux parameter set has).
    pub fn new(cbl: u32, k: u32) -> Option<Shape> {
        let bucket_bits = (cbl + 1).saturating_sub(TARGET_BUCKET_LOG2).min(cbl);
        if bucket_bits > 16 || cbl > 25 {
            return None;
        }
        let part_bits = bucket_bits.min(PART_LOG2);
        Some(Shape {
            cbl,
            k,
            bucket_bits,
            buckets: 1 << bucket_bits,
            parts: 1 << part_bits,
            buckets_per_part: 1 << (bucket_bits - part_bits),
            leaves: 1 << (cbl + 1),
        })
    }

    /// Bits of the collision key inside a bucket: the rest of the current digit.
    pub fn key_bits(&self) -> u32 {
        self.cbl - self.bucket_bits
    }

    /// Length in bits of the stored hash string at `level` (bucket bits excluded).
    pub fn stored_bits(&self, level: u32) -> u32 {
        (self.k + 1 - level) * self.cbl - self.bucket_bits
    }

    /// Hash words per row at `level`.
    pub fn words(&self, level: u32) -> usize {
        self.stored_bits(level).div_ceil(32) as usize
    }
}

/// A 40-bit tree entry: a leaf index, or `(bucket << 24) | (left << 12) | right`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct TreeEntry([u8; 5]);

impl TreeEntry {
    pub fn leaf(index: u32) -> TreeEntry {
        TreeEntry::from_u64(u64::from(index))
    }

    pub fn pair(bucket: u32, left: u16, right: u16) -> TreeEntry {
        TreeEntry::from_u64((u64::from(bucket) << 24) | (u64::from(left) << 12) | u64::from(right))
    }

    fn from_u64(value: u64) -> TreeEntry {
        let b = value.to_le_bytes();
        TreeEntry([b[0], b[1], b[2], b[3], b[4]])
    }

    fn to_u64(self) -> u64 {
        let [a, b, c, d, e] = self.0;
        u64::from_le_bytes([a, b, c, d, e, 0, 0, 0])
    }

    pub fn leaf_index(self) -> u32 {
        self.to_u64() as u32
    }

    /// `(bucket, left, right)` of a pair entry.
    pub fn children(self) -> (u32, usize, usize) {
        let v = self.to_u64();
        (
            (v >> 24) as u32,
            ((v >> 12) & 0xFFF) as usize,
            (v & 0xFFF) as usize,
        )
    }
}

/// The rows one producer wrote for one part, grouped by bucket.
#[derive(Debug, Default)]
pub(crate) struct Chunk {
    /// `starts[b]..starts[b + 1]`: rows of the part's local bucket `b` (length buckets/part + 1).
    pub starts: Vec<u32>,
    /// Hash words, `words` per row; emptied once the part has been processed.
    pub hashes: Vec<u32>,
    /// One tree entry per row; kept until the end.
    pub trees: Vec<TreeEntry>,
}

/// One part of a level: a contiguous range of buckets, as chunks from every producer.
#[derive(Debug, Default)]
pub(crate) struct Part {
    pub chunks: Vec<Chunk>,
}

impl Part {
    /// Drops the hash words (the next round has consumed them); the tree entries stay.
    pub fn release_hashes(&mut self) {
        for chunk in &mut self.chunks {
            chunk.hashes = Vec::new();
        }
    }

    /// The tree entry of the row at `local` in the part's local bucket `bucket`, if it exists.
    pub fn tree(&self, bucket: usize, mut local: usize) -> Option<TreeEntry> {
        for chunk in &self.chunks {
            let start = chunk.starts[bucket] as usize;
            let len = chunk.starts[bucket + 1] as usize - start;
            if local < len {
                return chunk.trees.get(start + local).copied();
            }
            local -= len;
        }
        None
    }
}

/// A list of the tree: `parts[q]` holds buckets `q * buckets_per_part ..`.
#[derive(Debug, Default)]
pub(crate) struct Level {
    pub parts: Vec<Part>,
}

impl Level {
    /// The tree entry of row `local` of global bucket `bucket`.
    pub fn tree(&self, shape: &Shape, bucket: u32, local: usize) -> Option<TreeEntry> {
        let bucket = bucket as usize;
        let part = self.parts.get(bucket / shape.buckets_per_part)?;
        part.tree(bucket % shape.buckets_per_part, local)
    }
}

/// Rows a producer emitted in arbitrary order, before they are grouped into chunks.
#[derive(Debug, Default)]
pub(crate) struct Staging {
    pub buckets: Vec<u32>,
    pub hashes: Vec<u32>,
    pub trees: Vec<TreeEntry>,
}

impl Staging {
    /// Groups the staged rows by destination part and bucket (a stable counting sort): one chunk
    /// per destination part.
    pub fn into_chunks(self, shape: &Shape, words: usize) -> Vec<Chunk> {
        let mut counts = alloc::vec![0u32; shape.buckets + 1];
        for &bucket in &self.buckets {
            counts[bucket as usize + 1] += 1;
        }
        let mut chunks = Vec::with_capacity(shape.parts);
        for part in 0..shape.parts {
            let first = part * shape.buckets_per_part;
            let mut starts = Vec::with_capacity(shape.buckets_per_part + 1);
            let mut total = 0u32;
            starts.push(0);
            for bucket in first..first + shape.buckets_per_part {
                total += counts[bucket + 1];
                starts.push(total);
            }
            chunks.push(Chunk {
                starts,
                hashes: alloc::vec![0; total as usize * words],
                trees: alloc::vec![TreeEntry::default(); total as usize],
            });
        }
        // Next free slot of every bucket, inside its chunk.
        let mut next: Vec<u32> = Vec::with_capacity(shape.buckets);
        for chunk in &chunks {
            next.extend_from_slice(&chunk.starts[..shape.buckets_per_part]);
        }
        for (row, &bucket) in self.buckets.iter().enumerate() {
            let bucket = bucket as usize;
            let chunk = &mut chunks[bucket / shape.buckets_per_part];
            let slot = next[bucket] as usize;
            next[bucket] += 1;
            chunk.trees[slot] = self.trees[row];
            chunk.hashes[slot * words..(slot + 1) * words]
                .copy_from_slice(&self.hashes[row * words..(row + 1) * words]);
        }
        chunks
    }
}

/// `len <= 32` bits of the MSB-first bit string `words`, starting at bit `start`.
#[inline(always)]
pub(crate) fn get_bits(words: &[u32], start: u32, len: u32) -> u32 {
    if len == 0 {
        return 0;
    }
    let word = (start / 32) as usize;
    let offset = start % 32;
    let high = u64::from(words[word]) << 32;
    let low = words.get(word + 1).copied().map_or(0, u64::from);
    let window = (high | low) << offset;
    (window >> (64 - len)) as u32
}

/// Writes `source` shifted left by `shift` bits into `out` (bits shifted past the end of `source`
/// are zero).
#[inline(always)]
pub(crate) fn shift_left_into(source: &[u32], shift: u32, out: &mut [u32]) {
    let word_shift = (shift / 32) as usize;
    let bit_shift = shift % 32;
    for (t, out_word) in out.iter_mut().enumerate() {
        let high = source.get(t + word_shift).copied().unwrap_or(0);
        let low = source.get(t + word_shift + 1).copied().unwrap_or(0);
        *out_word = if bit_shift == 0 {
            high
        } else {
            (high << bit_shift) | (low >> (32 - bit_shift))
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_window_reads_msb_first() {
        let words = [0x8000_0001, 0xF000_0000];
        assert_eq!(get_bits(&words, 0, 1), 1);
        assert_eq!(get_bits(&words, 31, 5), 0b11111);
        assert_eq!(get_bits(&words, 30, 3), 0b011);
        assert_eq!(get_bits(&words, 36, 4), 0);
        assert_eq!(get_bits(&words, 0, 0), 0);
    }

    #[test]
    fn shift_moves_bits_across_words() {
        let mut out = [0u32; 2];
        // 0x00000001_80000000 << 31 keeps the low bit of word 0 and the high bit of word 1.
        shift_left_into(&[0x0000_0001, 0x8000_0000], 31, &mut out);
        assert_eq!(out, [0xC000_0000, 0]);
        shift_left_into(&[1, 2, 3], 32, &mut out);
        assert_eq!(out, [2, 3]);
    }

    #[test]
    fn tree_entries_round_trip() {
        let pair = TreeEntry::pair(0xFFFF, 4095, 17);
        assert_eq!(pair.children(), (0xFFFF, 4095, 17));
        assert_eq!(TreeEntry::leaf((1 << 26) - 1).leaf_index(), (1 << 26) - 1);
    }

    #[test]
    fn shapes_of_the_flux_sets_aim_for_1024_rows_per_bucket() {
        for (cbl, k) in [(20, 9), (24, 5), (25, 4), (16, 5), (8, 5)] {
            let shape = Shape::new(cbl, k).unwrap();
            assert!(shape.leaves as usize / shape.buckets <= 1024);
            assert_eq!(shape.parts * shape.buckets_per_part, shape.buckets);
        }
        assert!(Shape::new(30, 2).is_none());
    }
}
