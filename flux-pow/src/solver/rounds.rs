//! The rounds of Wagner's algorithm over the bucketed layout: generating the leaves, the `k - 1`
//! collision rounds, the final round, and expanding final candidates back into leaf indices.

use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use rayon::prelude::*;

use super::layout::{
    Chunk, Level, MAX_BUCKET_ROWS, Part, Shape, Staging, TreeEntry, get_bits, shift_left_into,
};
use crate::equihash::{EquihashParams, base_state};

/// What the parallel rounds share: the shape, the cancel hook and the counters.
pub(crate) struct RoundContext<'a> {
    pub shape: Shape,
    pub cancel: &'a (dyn Fn() -> bool + Sync),
    pub cancelled: AtomicBool,
    pub dropped_rows: AtomicU64,
    /// Rows discarded because their remaining hash was all zero (duplicate subtrees).
    pub zero_rows: AtomicU64,
}

impl RoundContext<'_> {
    fn should_stop(&self) -> bool {
        if self.cancelled.load(Ordering::Relaxed) {
            return true;
        }
        if (self.cancel)() {
            self.cancelled.store(true, Ordering::Relaxed);
            return true;
        }
        false
    }
}

/// Turns the per-producer chunk lists (`[producer][destination part]`) into a level
/// (`[part][producer]`).
fn transpose(outputs: Vec<Vec<Chunk>>, parts: usize) -> Level {
    let mut level = Level {
        parts: (0..parts).map(|_| Part::default()).collect(),
    };
    for producer in outputs {
        for (part, chunk) in level.parts.iter_mut().zip(producer) {
            part.chunks.push(chunk);
        }
    }
    level
}

/// Level 0: one row per leaf index, bucketed on the first digit.
///
/// Each producer hashes a contiguous range of hash indices `g` (aligned to 16 so that a ZelHash
/// prefix-sum group never straddles two producers), so every BLAKE2b output is computed once.
pub(crate) fn generate(ctx: &RoundContext<'_>, params: &EquihashParams, input: &[u8]) -> Level {
    let shape = ctx.shape;
    let base = base_state(params, input);
    let per_hash = params.indices_per_hash_output();
    let slice_len = params.hash_slice_len();
    let digest_len = params.hash_output_len();
    let twist = params.twist();
    let hash_count = shape.leaves.div_ceil(per_hash);
    let producers = shape.parts as u32;
    let per_producer = hash_count.div_ceil(producers).div_ceil(16) * 16;
    let words = shape.words(0);
    let leaf_bits = (shape.k + 1) * shape.cbl;

    let outputs: Vec<Vec<Chunk>> = (0..producers)
        .into_par_iter()
        .map(|producer| {
            let first = producer * per_producer;
            let last = (first + per_producer).min(hash_count);
            let mut staging = Staging::default();
            let mut twist_sum = [0u32; 16];
            let mut stored = [0u32; 8];
            for g in first..last {
                if g % 1024 == 0 && ctx.should_stop() {
                    break;
                }
                let mut state = base.clone();
                state.update(&g.to_le_bytes());
                let digest = state.finalize();
                let mut bytes = [0u8; 64];
                bytes[..digest_len].copy_from_slice(digest.as_bytes());
                if twist {
                    // fluxd `GenerateHash` (equihash.cpp:64-86): the running word-wise sum of the
                    // plain hashes of the aligned group of 16, low 3 bits of every 16th byte cleared.
                    if g % 16 == 0 {
                        twist_sum = [0; 16];
                    }
                    for (sum, chunk) in twist_sum.iter_mut().zip(bytes.chunks_exact(4)) {
                        let word = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
                        *sum = sum.wrapping_add(word);
                    }
                    for (chunk, sum) in bytes.chunks_exact_mut(4).zip(twist_sum) {
                        chunk.copy_from_slice(&sum.to_le_bytes());
                    }
                    for byte in bytes.iter_mut().skip(15).step_by(16) {
                        *byte &= 0xF8;
                    }
                }
                for r in 0..per_hash {
                    let index = g * per_hash + r;
                    if index >= shape.leaves {
                        break;
                    }
                    let slice = &bytes[r as usize * slice_len..(r as usize + 1) * slice_len];
                    let mut slice_words = [0u32; 8];
                    for (word, chunk) in slice_words.iter_mut().zip(slice.chunks(4)) {
                        let mut be = [0u8; 4];
                        be[..chunk.len()].copy_from_slice(chunk);
                        *word = u32::from_be_bytes(be);
                    }
                    // Bits past the k+1 digits (125,4: the last 3 of 128) are not part of the leaf.
                    let tail_word = (leaf_bits / 32) as usize;
                    if !leaf_bits.is_multiple_of(32) {
                        slice_words[tail_word] &= !(u32::MAX >> (leaf_bits % 32));
                    }
                    for word in slice_words.iter_mut().skip(leaf_bits.div_ceil(32) as usize) {
                        *word = 0;
                    }
                    let bucket = get_bits(&slice_words, 0, shape.bucket_bits);
                    shift_left_into(&slice_words, shape.bucket_bits, &mut stored[..words]);
                    staging.buckets.push(bucket);
                    staging.hashes.extend_from_slice(&stored[..words]);
                    staging.trees.push(TreeEntry::leaf(index));
                }
            }
            staging.into_chunks(&shape, words)
        })
        .collect();
    transpose(outputs, shape.parts)
}

/// Per-thread scratch space for processing one bucket.
#[derive(Default)]
struct BucketScratch {
    hashes: Vec<u32>,
    keys: Vec<u16>,
    order: Vec<u16>,
    counts: Vec<u16>,
}

impl BucketScratch {
    /// Gathers local bucket `bucket` of `part` (segments from every producer, in order) and sorts
    /// its rows by collision key. Returns the number of rows.
    fn load(&mut self, ctx: &RoundContext<'_>, part: &Part, bucket: usize, words: usize) -> usize {
        self.hashes.clear();
        for chunk in &part.chunks {
            let start = chunk.starts[bucket] as usize;
            let end = chunk.starts[bucket + 1] as usize;
            self.hashes
                .extend_from_slice(&chunk.hashes[start * words..end * words]);
        }
        let mut rows = self.hashes.len() / words.max(1);
        if rows > MAX_BUCKET_ROWS {
            ctx.dropped_rows
                .fetch_add((rows - MAX_BUCKET_ROWS) as u64, Ordering::Relaxed);
            rows = MAX_BUCKET_ROWS;
            self.hashes.truncate(rows * words);
        }
        // Counting sort on the key (the rest of the current digit, at most 9 bits).
        let key_bits = ctx.shape.key_bits();
        let bins = 1usize << key_bits;
        self.counts.clear();
        self.counts.resize(bins + 1, 0);
        self.keys.clear();
        for row in 0..rows {
            let key = get_bits(&self.hashes[row * words..], 0, key_bits) as u16;
            self.keys.push(key);
            self.counts[usize::from(key) + 1] += 1;
        }
        for bin in 0..bins {
            self.counts[bin + 1] += self.counts[bin];
        }
        self.order.clear();
        self.order.resize(rows, 0);
        for (row, &key) in self.keys.iter().enumerate() {
            let slot = &mut self.counts[usize::from(key)];
            self.order[usize::from(*slot)] = row as u16;
            *slot += 1;
        }
        rows
    }

    /// Calls `pair(a, b)` for every pair of rows with equal keys (`a < b` in local order).
    fn for_each_pair(&self, mut pair: impl FnMut(usize, usize)) {
        let mut run_start = 0;
        while run_start < self.order.len() {
            let key = self.keys[usize::from(self.order[run_start])];
            let mut run_end = run_start + 1;
            while run_end < self.order.len() && self.keys[usize::from(self.order[run_end])] == key {
                run_end += 1;
            }
            for x in run_start..run_end {
                for y in x + 1..run_end {
                    let (a, b) = (usize::from(self.order[x]), usize::from(self.order[y]));
                    pair(a.min(b), a.max(b));
                }
            }
            run_start = run_end;
        }
    }
}

/// A collision round: level `level` in, level `level + 1` out. Each part's hash words are freed
/// as soon as that part is done, so the level in and the level out only partly coexist.
pub(crate) fn collide(ctx: &RoundContext<'_>, input: &mut Level, level: u32) -> Level {
    let shape = ctx.shape;
    let words_in = shape.words(level);
    let words_out = shape.words(level + 1);
    let outputs: Vec<Vec<Chunk>> = input
        .parts
        .par_iter_mut()
        .enumerate()
        .map(|(part_index, part)| {
            let mut staging = Staging::default();
            if !ctx.should_stop() {
                let mut scratch = BucketScratch::default();
                let mut xor = [0u32; 8];
                let mut next = [0u32; 8];
                for local in 0..shape.buckets_per_part {
                    if local % 1024 == 1023 && ctx.should_stop() {
                        break;
                    }
                    scratch.load(ctx, part, local, words_in);
                    let bucket = (part_index * shape.buckets_per_part + local) as u32;
                    let hashes = &scratch.hashes;
                    scratch.for_each_pair(|a, b| {
                        let row_a = &hashes[a * words_in..(a + 1) * words_in];
                        let row_b = &hashes[b * words_in..(b + 1) * words_in];
                        for ((x, p), q) in xor.iter_mut().zip(row_a).zip(row_b) {
                            *x = p ^ q;
                        }
                        let xor = &xor[..words_in];
                        // Two subtrees whose whole remaining hash cancels are, but for a 2^-100
                        // chance, the same leaf set reached twice; every solution through them
                        // repeats an index (fluxd's DistinctIndices would reject it), and keeping
                        // them makes later rounds explode on 200,9.
                        if xor.iter().all(|&w| w == 0) {
                            ctx.zero_rows.fetch_add(1, Ordering::Relaxed);
                            return;
                        }
                        let next_bucket = get_bits(xor, shape.key_bits(), shape.bucket_bits);
                        shift_left_into(xor, shape.cbl, &mut next[..words_out]);
                        staging.buckets.push(next_bucket);
                        staging.hashes.extend_from_slice(&next[..words_out]);
                        staging
                            .trees
                            .push(TreeEntry::pair(bucket, a as u16, b as u16));
                    });
                }
            }
            part.release_hashes();
            staging.into_chunks(&shape, words_out)
        })
        .collect();
    transpose(outputs, shape.parts)
}

/// The final round: pairs of level `k - 1` rows whose two remaining digits are equal. Returns
/// them as pair entries over level `k - 1`, in a deterministic order.
pub(crate) fn final_round(ctx: &RoundContext<'_>, input: &mut Level) -> Vec<TreeEntry> {
    let shape = ctx.shape;
    let words = shape.words(shape.k - 1);
    let per_part: Vec<Vec<TreeEntry>> = input
        .parts
        .par_iter_mut()
        .enumerate()
        .map(|(part_index, part)| {
            let mut found = Vec::new();
            if !ctx.should_stop() {
                let mut scratch = BucketScratch::default();
                for local in 0..shape.buckets_per_part {
                    scratch.load(ctx, part, local, words);
                    let bucket = (part_index * shape.buckets_per_part + local) as u32;
                    let hashes = &scratch.hashes;
                    scratch.for_each_pair(|a, b| {
                        if hashes[a * words..(a + 1) * words] == hashes[b * words..(b + 1) * words]
                        {
                            found.push(TreeEntry::pair(bucket, a as u16, b as u16));
                        }
                    });
                }
            }
            part.release_hashes();
            found
        })
        .collect();
    per_part.into_iter().flatten().collect()
}

/// Expands a pair entry over level `level - 1` into its `2^level` leaf indices, in the canonical
/// order fluxd requires (at every node the subtree with the smaller first index comes first).
/// Returns `None` if an entry points outside its level (never for entries the rounds wrote).
pub(crate) fn expand(
    shape: &Shape,
    levels: &[Level],
    level: usize,
    entry: TreeEntry,
    out: &mut Vec<u32>,
) -> Option<()> {
    if level == 0 {
        out.push(entry.leaf_index());
        return Some(());
    }
    let (bucket, left, right) = entry.children();
    let below = levels.get(level - 1)?;
    let left = below.tree(shape, bucket, left)?;
    let right = below.tree(shape, bucket, right)?;
    let start = out.len();
    expand(shape, levels, level - 1, left, out)?;
    let middle = out.len();
    expand(shape, levels, level - 1, right, out)?;
    if out[middle] < out[start] {
        out[start..].rotate_left(middle - start);
    }
    Some(())
}
