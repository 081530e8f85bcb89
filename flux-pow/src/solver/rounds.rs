//! The rounds of Wagner's algorithm over the bucketed layout: generating the leaves, the `k - 1`
//! collision rounds, the final round, and expanding final candidates back into leaf indices.

use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use rayon::prelude::*;

use super::lanes::{BatchHasher, LANES};
use super::layout::{
    BufferPool, Chunk, Level, MAX_BUCKET_ROWS, MAX_KEY_BITS, MAX_WORDS, Part, Shape,
    keep_leading_bits, low_mask,
};
use crate::equihash::EquihashParams;

/// What the parallel rounds share: the shape, the cancel hook and the counters.
pub(crate) struct RoundContext<'a> {
    pub shape: Shape,
    pub cancel: &'a (dyn Fn() -> bool + Sync),
    pub cancelled: AtomicBool,
    pub dropped_rows: AtomicU64,
    /// Rows discarded because their remaining hash was all zero (duplicate subtrees).
    pub zero_rows: AtomicU64,
    /// Rows discarded because their two subtrees share a row of the level below.
    pub overlapping_rows: AtomicU64,
    /// Pages and staging areas reused from one part, level and solve to the next.
    pub pool: &'a BufferPool,
}

impl RoundContext<'_> {
    pub(crate) fn should_stop(&self) -> bool {
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

/// The word masks that keep the first `bits` bits of a row (and clear its tree entry).
fn hash_masks<const N: usize>(bits: u32) -> [u32; N] {
    let mut masks = [u32::MAX; N];
    keep_leading_bits(&mut masks, bits);
    masks
}

/// The top `bits` (at most 32) bits of `word`.
#[inline(always)]
fn leading_bits(word: u32, bits: u32) -> u32 {
    (u64::from(word) << bits >> 32) as u32
}

/// The word at bit offset `shift` (below 32) of the MSB-first pair `high`, `low`.
#[inline(always)]
fn word_shifted_left(high: u32, low: u32, shift: u32) -> u32 {
    (((u64::from(high) << 32) | u64::from(low)) << shift >> 32) as u32
}

/// Level 0: one row per leaf index, bucketed on the first digit.
///
/// Producer `p` hashes the hash indices `g` from `p * hashes_per_producer` on (a multiple of 16,
/// so a ZelHash prefix-sum group never straddles two producers); every BLAKE2b output is computed
/// once. Its rows' tree entries are leaf indices relative to `p * leaves_per_producer`.
pub(crate) fn generate(ctx: &RoundContext<'_>, params: &EquihashParams, input: &[u8]) -> Level {
    macro_rules! by_width {
        ($($w:literal)*) => {
            match ctx.shape.words(0) {
                $($w => generate_rows::<$w>(ctx, params, input),)*
                _ => unsupported_width(ctx),
            }
        };
    }
    by_width!(1 2 3 4 5 6 7 8)
}

/// What a round returns for a row width [`Shape::new`] rejects (never reached): an empty level,
/// with the solve marked as abandoned.
fn unsupported_width(ctx: &RoundContext<'_>) -> Level {
    ctx.cancelled.store(true, Ordering::Relaxed);
    Level::default()
}

fn generate_rows<const W: usize>(
    ctx: &RoundContext<'_>,
    params: &EquihashParams,
    input: &[u8],
) -> Level {
    let shape = ctx.shape;
    let hasher = BatchHasher::new(params, input);
    let per_hash = shape.indices_per_hash;
    let slice_len = params.hash_slice_len();
    let digest_len = params.hash_output_len();
    let twist = params.twist();
    let hash_count = shape.leaves.div_ceil(per_hash);
    let kept_masks =
        hash_masks::<{ MAX_WORDS + 1 }>((shape.k + 1) * shape.cbl - shape.dropped_bits);

    let outputs: Vec<Vec<Chunk>> = (0..shape.parts as u32)
        .into_par_iter()
        .map(|producer| {
            let mut staging = ctx.pool.take_staging();
            let first = producer * shape.hashes_per_producer;
            let last = (first + shape.hashes_per_producer).min(hash_count);
            let first_leaf = producer * shape.leaves_per_producer;
            staging.reserve(&shape, shape.leaves_per_producer as usize, W);
            let mut twist_sum = [0u32; 16];
            let mut batch_start = first;
            while batch_start < last {
                if batch_start.is_multiple_of(1024) && ctx.should_stop() {
                    break;
                }
                let batch = hasher.hash_lanes(batch_start);
                for (lane, words) in batch.iter().enumerate() {
                    let g = batch_start + lane as u32;
                    if g >= last {
                        break;
                    }
                    // The output as 16 little-endian words, zero past the digest length.
                    let mut hash = [0u32; 16];
                    for (pair, word) in hash.chunks_exact_mut(2).zip(words) {
                        pair[0] = *word as u32;
                        pair[1] = (word >> 32) as u32;
                    }
                    if digest_len < 64 {
                        let (full, partial) = (digest_len / 4, digest_len % 4);
                        if partial > 0 {
                            hash[full] &= (1u32 << (partial * 8)) - 1;
                        }
                        hash[full + usize::from(partial > 0)..].fill(0);
                    }
                    if twist {
                        // fluxd `GenerateHash` (equihash.cpp:64-86): the running word-wise sum of
                        // the plain hashes of the aligned group of 16, with the low 3 bits of
                        // every 16th byte (the top byte of every 4th word) cleared.
                        if g.is_multiple_of(16) {
                            twist_sum = [0; 16];
                        }
                        for (sum, word) in twist_sum.iter_mut().zip(hash) {
                            *sum = sum.wrapping_add(word);
                        }
                        // One whole-word mask: clearing the bits with byte-wide stores (what
                        // the compiler makes of a masked `step_by` loop) stalls every later
                        // read of those words on store forwarding.
                        hash = core::array::from_fn(|i| twist_sum[i] & TWIST_KEEP[i]);
                    }
                    // The output as bytes, followed by zeros that the last slice's words may
                    // run into (they are masked off below).
                    let mut bytes = [0u8; 64 + SLICE_PADDING];
                    for (chunk, word) in bytes.chunks_exact_mut(4).zip(hash) {
                        chunk.copy_from_slice(&word.to_le_bytes());
                    }
                    for r in 0..per_hash {
                        let index = g * per_hash + r;
                        if index >= shape.leaves {
                            break;
                        }
                        // The slice as MSB-first words; only the first W + 1 can reach the row.
                        // Slices need not start on a word (200,9: 25 bytes each), so each word is
                        // one unaligned big-endian load.
                        let first_byte = r as usize * slice_len;
                        let mut slice_words = [0u32; MAX_WORDS + 1];
                        for (i, word) in slice_words.iter_mut().take(W + 1).enumerate() {
                            let at = first_byte + 4 * i;
                            *word = bytes
                                .get(at..at + 4)
                                .and_then(|be| be.try_into().ok())
                                .map_or(0, u32::from_be_bytes);
                        }
                        // Bits past the k+1 digits (125,4: the last 3 of 128) are not part of the
                        // leaf; the dropped tail of the last digit is not stored.
                        for (word, mask) in slice_words.iter_mut().zip(kept_masks).take(W + 1) {
                            *word &= mask;
                        }
                        let bucket = leading_bits(slice_words[0], shape.bucket_bits);
                        let mut row: [u32; W] = core::array::from_fn(|t| {
                            word_shifted_left(slice_words[t], slice_words[t + 1], shape.bucket_bits)
                        });
                        row[W - 1] |= index - first_leaf;
                        staging.push(bucket, row);
                    }
                }
                batch_start += LANES as u32;
            }
            let chunks = staging.drain_into_chunks::<W>(&shape, ctx.pool);
            ctx.pool.give_staging(staging);
            chunks
        })
        .collect();
    transpose(outputs, shape.parts)
}

/// Zero bytes after a hash output: the words of its last slice read up to `4 * (MAX_WORDS + 1)`
/// bytes from the slice's first byte, past the output's end.
const SLICE_PADDING: usize = 4 * (MAX_WORDS + 1);

/// The bits of each word of a ZelHash group sum that are kept: all but the low three bits of
/// every 16th byte, which is the top byte of every 4th little-endian word.
const TWIST_KEEP: [u32; 16] = {
    let mut keep = [u32::MAX; 16];
    let mut word = 3;
    while word < 16 {
        keep[word] = !0x0700_0000;
        word += 4;
    }
    keep
};

/// "No row" in the recent rows and chain links of [`BucketScratch`]: one past the last slot.
const NO_ROW: u16 = MAX_BUCKET_ROWS as u16;

/// Earlier rows per key paired with every row without a branch; keys with more rows (a few
/// percent of rows meet one) take a slow path.
const CHAIN_DEPTH: usize = 4;

/// Entries of the per-key tables: every key of [`MAX_KEY_BITS`] bits.
const KEY_SLOTS: usize = 1 << MAX_KEY_BITS;

/// Pairs collected before they are handed out; a power of two for the same reason.
const PAIR_BATCH: usize = 1024;

/// How many buckets ahead [`BucketScratch::load`] asks for the rows it will read.
const PREFETCH_DISTANCE: usize = 2;

/// A bucket's rows as [`BucketScratch::load`] leaves them: a full table of
/// [`MAX_BUCKET_ROWS`] rows (only the loaded ones meaningful), so that a slot index masked to
/// the table's size needs no bounds check.
type BucketRows<const W: usize> = [[u32; W]; MAX_BUCKET_ROWS];

/// No recent rows: [`BucketScratch`] keeps the [`CHAIN_DEPTH`] (four) most recent rows seen
/// with a key in one word, the most recent in the low 16 bits, [`NO_ROW`] where there are fewer.
const NO_RECENT_ROWS: u64 = 0x0001_0001_0001_0001 * NO_ROW as u64;

/// How many of the [`CHAIN_DEPTH`] entries of a key's recent rows (see [`NO_RECENT_ROWS`]) hold
/// a row: they fill from the low end, and an entry holding a row (below [`NO_ROW`]) differs
/// from [`NO_ROW`], so this counts the entries from the highest one that differs down.
#[inline(always)]
fn recent_rows(recent: u64) -> usize {
    let filled_bits = u64::BITS - (recent ^ NO_RECENT_ROWS).leading_zeros();
    filled_bits.div_ceil(16) as usize
}

/// The producer of every loaded row of a bucket (see [`BucketScratch::load`]).
type Origins = [u8; MAX_BUCKET_ROWS];

/// Whether two rows of a loaded bucket at a level above 0, with tree entries `left` and `right`
/// (their last words; `tree_mask` keeps the entry) and producers `origins[a]`, `origins[b]`, are
/// built on a common row of the level below. Their pair would repeat every leaf index of that
/// row; fluxd's `DistinctIndices` rejects any solution through it. Without this check most of
/// 200,9's final candidates are such trees (tromp's solver skips them the same way).
#[inline(always)]
fn share_a_child(origins: &Origins, a: usize, b: usize, left: u32, right: u32) -> bool {
    let (left_bucket, l0, l1) = Shape::pair_children(left);
    let (right_bucket, r0, r1) = Shape::pair_children(right);
    origins[a % MAX_BUCKET_ROWS] == origins[b % MAX_BUCKET_ROWS]
        && left_bucket == right_bucket
        && (l0 == r0 || l1 == r1 || l0 == r1 || l1 == r0)
}

/// The check of [`share_a_child`] for one round, set up once: not at level 0, whose rows are
/// distinct leaves.
#[derive(Clone, Copy)]
struct OverlapCheck {
    /// Whether the rows are above level 0.
    enabled: bool,
    /// The tree entry bits of a row's last word.
    tree_mask: u32,
}

impl OverlapCheck {
    fn for_level(shape: &Shape, level: u32) -> OverlapCheck {
        OverlapCheck {
            enabled: level > 0,
            tree_mask: low_mask(shape.tree_bits(level)),
        }
    }

    /// Whether loaded rows `a` and `b` share a child ([`share_a_child`]); such pairs are
    /// counted in the context.
    #[inline(always)]
    fn overlapping<const W: usize>(
        self,
        ctx: &RoundContext<'_>,
        rows: &BucketRows<W>,
        origins: &Origins,
        a: usize,
        b: usize,
    ) -> bool {
        let entry = |row: usize| rows[row % MAX_BUCKET_ROWS][W - 1] & self.tree_mask;
        let overlap = self.enabled && share_a_child(origins, a, b, entry(a), entry(b));
        if overlap {
            ctx.overlapping_rows.fetch_add(1, Ordering::Relaxed);
        }
        overlap
    }
}

/// Writes the candidate pairs of row `b` with each of its key's recent rows (see
/// [`NO_RECENT_ROWS`]) to `out` (four entries), as `a << 16 | b`, the most recent first.
#[inline(always)]
fn write_candidates(out: &mut [u32], recent: u64, b: u16) {
    #[cfg(target_arch = "x86_64")]
    if let Some(out) = out.first_chunk_mut::<CHAIN_DEPTH>() {
        use core::arch::x86_64::{
            _mm_cvtsi64_si128, _mm_set1_epi16, _mm_storeu_si128, _mm_unpacklo_epi16,
        };
        // Interleaving the four 16-bit rows with `b` gives the four little-endian words
        // `a << 16 | b` at once.
        // SAFETY: SSE2 is part of every x86-64 CPU (the target's baseline), and `out` is four
        // writable `u32`s (16 bytes), all the unaligned store requires.
        #[allow(unsafe_code)]
        unsafe {
            let pairs =
                _mm_unpacklo_epi16(_mm_set1_epi16(b as i16), _mm_cvtsi64_si128(recent as i64));
            _mm_storeu_si128(out.as_mut_ptr().cast(), pairs);
        }
        return;
    }
    for (i, pair) in out.iter_mut().take(CHAIN_DEPTH).enumerate() {
        *pair = (((recent >> (16 * i)) as u32 & 0xFFFF) << 16) | u32::from(b);
    }
}

/// Per-thread scratch space for processing one bucket.
struct BucketScratch {
    /// Room for [`MAX_BUCKET_ROWS`] rows of up to [`MAX_WORDS`] words.
    rows: Vec<u32>,
    /// Rows loaded into `rows`.
    loaded: usize,
    /// Per loaded row, the producer (chunk) it came from: the part of the level below its tree
    /// entry points into.
    origins: Box<[u8; MAX_BUCKET_ROWS]>,
    /// Per collision key, the last [`CHAIN_DEPTH`] rows seen with it (see [`NO_RECENT_ROWS`]).
    recent_with_key: Box<[u64; KEY_SLOTS]>,
    /// Per row, the previous row with the same key (followed only past the recent ones). A
    /// power of two long, like every table here, so a masked index needs no bounds check.
    previous_with_key: Box<[u16; MAX_BUCKET_ROWS]>,
    /// Colliding pairs not handed out yet, `a << 16 | b`, and room for one row's candidates
    /// past a full batch.
    pairs: Box<[u32; PAIR_BATCH + CHAIN_DEPTH]>,
}

impl Default for BucketScratch {
    fn default() -> BucketScratch {
        BucketScratch {
            rows: vec![0; MAX_BUCKET_ROWS * MAX_WORDS],
            loaded: 0,
            origins: Box::new([0; MAX_BUCKET_ROWS]),
            recent_with_key: Box::new([NO_RECENT_ROWS; KEY_SLOTS]),
            previous_with_key: Box::new([NO_ROW; MAX_BUCKET_ROWS]),
            pairs: Box::new([0; PAIR_BATCH + CHAIN_DEPTH]),
        }
    }
}

/// The table of `W`-word rows at the start of `words` (`MAX_BUCKET_ROWS * MAX_WORDS` words).
fn bucket_rows<const W: usize>(words: &[u32]) -> Option<&BucketRows<W>> {
    let (rows, _) = words.get(..MAX_BUCKET_ROWS * W)?.as_chunks::<W>();
    rows.try_into().ok()
}

impl BucketScratch {
    /// Gathers local bucket `bucket` of `part` (segments from every producer, in order), and
    /// stores the tree entries (`tree_bits` bits) of its rows in the part's trees (see
    /// [`Part::take_tree_pages`]) while they are at hand. `first` is the number of rows of the
    /// part's earlier buckets; returns that of this bucket. Rows beyond [`MAX_BUCKET_ROWS`] are
    /// dropped and counted.
    fn load<const W: usize>(
        &mut self,
        ctx: &RoundContext<'_>,
        part: &mut Part,
        bucket: usize,
        first: usize,
        tree_bits: u32,
    ) -> usize {
        let (table, _) = self.rows[..MAX_BUCKET_ROWS * W].as_chunks_mut::<W>();
        let mut loaded = 0;
        let mut wanted = 0;
        for (producer, chunk) in part.chunks.iter().enumerate() {
            let start = chunk.starts[bucket] as usize;
            let end = chunk.starts[bucket + 1] as usize;
            wanted += end.saturating_sub(start);
            let copied = chunk.rows.copy_rows::<W>(start, end, &mut table[loaded..]);
            // At most 256 parts (`MAX_PART_LOG2`), so a producer fits a byte.
            self.origins[loaded..loaded + copied].fill(producer as u8);
            loaded += copied;
            // Each chunk is read bucket after bucket, 64 streams at once: more than the
            // hardware prefetchers follow.
            if let Some(&after) = chunk.starts.get(bucket + PREFETCH_DISTANCE + 1) {
                let ahead = chunk.starts[bucket + PREFETCH_DISTANCE] as usize;
                chunk.rows.prefetch_rows::<W>(ahead, after as usize);
            }
        }
        part.write_trees::<W>(first, &table[..loaded], tree_bits);
        if wanted > loaded {
            ctx.dropped_rows
                .fetch_add((wanted - loaded) as u64, Ordering::Relaxed);
        }
        self.loaded = loaded;
        wanted
    }

    /// Loads the buckets of `part` one after another and calls `each(self, local bucket)` after
    /// each load, writing the part's tree entries (`tree_bits` bits) on the way; the part's
    /// rows go back to the pool at the end. Stops early once the solve is cancelled.
    fn for_each_bucket<const W: usize>(
        &mut self,
        ctx: &RoundContext<'_>,
        part: &mut Part,
        tree_bits: u32,
        mut each: impl FnMut(&mut BucketScratch, usize),
    ) {
        part.take_tree_pages(ctx.pool);
        let mut first = 0;
        for local in 0..ctx.shape.buckets_per_part {
            if local % 256 == 0 && ctx.should_stop() {
                break;
            }
            first += self.load::<W>(ctx, part, local, first, tree_bits);
            each(self, local);
        }
        part.give_back_rows(ctx.pool);
    }

    /// Calls `pair(rows, a, b)` for every pair of loaded rows whose collision keys (the first
    /// `key_bits` bits, at most [`MAX_KEY_BITS`]) are equal, `a < b` in local order, in the order
    /// of `b` and, for each `b`, from the latest `a` back. No sorting is needed: every key keeps
    /// its last [`CHAIN_DEPTH`] rows packed in one word, and all of them are written as
    /// candidate pairs at once, of which as many count as the key has rows; only a key with more
    /// rows follows the older ones through a per-row chain. The number of earlier rows sharing a
    /// key is random, and a loop over them would mispredict once per row. Pairs are handed out
    /// in batches.
    fn for_each_pair<const W: usize>(
        &mut self,
        key_bits: u32,
        mut pair: impl FnMut(&BucketRows<W>, &Origins, usize, usize),
    ) {
        let BucketScratch {
            rows,
            loaded,
            origins,
            recent_with_key,
            previous_with_key,
            pairs,
        } = self;
        let Some(rows) = bucket_rows::<W>(rows) else {
            return;
        };
        let key_bits = key_bits.min(MAX_KEY_BITS);
        recent_with_key[..1 << key_bits].fill(NO_RECENT_ROWS);
        let mut hand_out = |pairs: &[u32]| {
            for &packed in pairs {
                let a = (packed >> 16) as usize % MAX_BUCKET_ROWS;
                let b = packed as usize % MAX_BUCKET_ROWS;
                pair(rows, origins, a, b);
            }
        };
        let mut found = 0;
        for (b, row) in rows.iter().enumerate().take(*loaded) {
            if found > PAIR_BATCH - CHAIN_DEPTH {
                hand_out(&pairs[..found]);
                found = 0;
            }
            let key = leading_bits(row[0], key_bits) as usize % KEY_SLOTS;
            let recent = recent_with_key[key];
            let at = found % PAIR_BATCH;
            write_candidates(&mut pairs[at..at + CHAIN_DEPTH], recent, b as u16);
            let earlier = recent_rows(recent);
            found += earlier;
            // All four recent rows taken: older ones may follow the chain.
            if earlier == CHAIN_DEPTH {
                let oldest_recent = (recent >> (16 * (CHAIN_DEPTH - 1))) as u16;
                let mut a = previous_with_key[usize::from(oldest_recent) % MAX_BUCKET_ROWS];
                while a != NO_ROW {
                    if found == PAIR_BATCH {
                        hand_out(&pairs[..PAIR_BATCH]);
                        found = 0;
                    }
                    pairs[found % PAIR_BATCH] = (u32::from(a) << 16) | b as u32;
                    found += 1;
                    a = previous_with_key[usize::from(a) % MAX_BUCKET_ROWS];
                }
            }
            previous_with_key[b % MAX_BUCKET_ROWS] = recent as u16;
            recent_with_key[key] = (recent << 16) | b as u64;
        }
        hand_out(&pairs[..found]);
    }
}

/// A collision round: level `level` in, level `level + 1` out. Each part's rows are reduced to
/// their tree entries as soon as that part is done, so the level in and the level out only partly
/// coexist.
pub(crate) fn collide(ctx: &RoundContext<'_>, input: &mut Level, level: u32) -> Level {
    macro_rules! by_widths {
        ($(($i:literal, $o:literal))*) => {
            match (ctx.shape.words(level), ctx.shape.words(level + 1)) {
                $(($i, $o) => collide_rows::<$i, $o>(ctx, input, level),)*
                _ => unsupported_width(ctx),
            }
        };
    }
    by_widths!(
        (1, 1)(1, 2)(2, 1)(2, 2)(2, 3)(3, 2)(3, 3)(3, 4)(4, 3)(4, 4)(4, 5)(5, 4)(5, 5)(5, 6)(6, 5)(
            6, 6
        )(6, 7)(7, 6)(7, 7)(7, 8)(8, 7)(8, 8)
    )
}

fn collide_rows<const WI: usize, const WO: usize>(
    ctx: &RoundContext<'_>,
    input: &mut Level,
    level: u32,
) -> Level {
    let shape = ctx.shape;
    let masks = hash_masks::<WI>(shape.hash_bits(level));
    let (key_bits, bucket_bits, digit_bits) = (shape.key_bits(), shape.bucket_bits, shape.cbl);
    let tree_bits = shape.tree_bits(level);
    let overlap = OverlapCheck::for_level(&shape, level);
    let outputs: Vec<Vec<Chunk>> = input
        .parts
        .par_iter_mut()
        .map_init(BucketScratch::default, |bucket, part| {
            let mut staging = ctx.pool.take_staging();
            let part_rows: usize = part.chunks.iter().map(|c| c.rows.rows()).sum();
            // A round outputs about as many rows as it reads.
            staging.reserve(&shape, part_rows + part_rows / 16 + 1024, WO);
            bucket.for_each_bucket::<WI>(ctx, part, tree_bits, |bucket, local| {
                bucket.for_each_pair::<WI>(key_bits, |rows, origins, a, b| {
                    // One word of padding: the shifted-out tail of the last word reads it.
                    let mut xor = [0u32; MAX_WORDS + 1];
                    let mut any = 0;
                    for i in 0..WI {
                        xor[i] = (rows[a][i] ^ rows[b][i]) & masks[i];
                        any |= xor[i];
                    }
                    // Two subtrees whose whole remaining hash cancels are, but for a 2^-50
                    // chance, the same leaf set reached twice; every solution through them
                    // repeats an index (fluxd's DistinctIndices would reject it), and keeping
                    // them makes later rounds explode on 200,9.
                    if any == 0 {
                        ctx.zero_rows.fetch_add(1, Ordering::Relaxed);
                        return;
                    }
                    if overlap.overlapping(ctx, rows, origins, a, b) {
                        return;
                    }
                    // The collided digit is at most 25 bits (Shape::new), so the next
                    // digit's bucket lies in the first two words and the rest of the row
                    // moves by less than a word.
                    let next_bucket =
                        leading_bits(word_shifted_left(xor[0], xor[1], key_bits), bucket_bits);
                    let mut next: [u32; WO] =
                        core::array::from_fn(|t| word_shifted_left(xor[t], xor[t + 1], digit_bits));
                    next[WO - 1] |= Shape::pair_entry(local, a, b);
                    staging.push(next_bucket, next);
                });
            });
            let chunks = staging.drain_into_chunks::<WO>(&shape, ctx.pool);
            ctx.pool.give_staging(staging);
            chunks
        })
        .collect();
    transpose(outputs, shape.parts)
}

/// The final round: pairs of level `k - 1` rows whose stored remaining digits are equal. Returns
/// them as `(part, pair entry)` over level `k - 1`, in a deterministic order. Rows that differ
/// only in the dropped tail of the last digit are among them; expansion and verification reject
/// those.
pub(crate) fn final_round(ctx: &RoundContext<'_>, input: &mut Level) -> Vec<(usize, u32)> {
    macro_rules! by_width {
        ($($w:literal)*) => {
            match ctx.shape.words(ctx.shape.k - 1) {
                $($w => final_rows::<$w>(ctx, input),)*
                _ => {
                    unsupported_width(ctx);
                    Vec::new()
                }
            }
        };
    }
    by_width!(1 2 3 4 5 6 7 8)
}

fn final_rows<const W: usize>(ctx: &RoundContext<'_>, input: &mut Level) -> Vec<(usize, u32)> {
    let shape = ctx.shape;
    let level = shape.k - 1;
    let final_key_bits = shape.hash_bits(level).clamp(shape.key_bits(), MAX_KEY_BITS);
    let masks = hash_masks::<W>(shape.hash_bits(level));
    let tree_bits = shape.tree_bits(level);
    let overlap = OverlapCheck::for_level(&shape, level);
    let per_part: Vec<Vec<(usize, u32)>> = input
        .parts
        .par_iter_mut()
        .enumerate()
        .map_init(BucketScratch::default, |scratch, (part_index, part)| {
            let mut found = Vec::new();
            scratch.for_each_bucket::<W>(ctx, part, tree_bits, |scratch, local| {
                // Chaining on more than the digit's own key bits (any leading stored bits will
                // do: the pairs wanted agree on all of them) leaves fewer pairs to compare.
                scratch.for_each_pair::<W>(final_key_bits, |rows, origins, a, b| {
                    let differ =
                        (0..W).fold(0, |acc, i| acc | ((rows[a][i] ^ rows[b][i]) & masks[i]));
                    if differ != 0 {
                        return;
                    }
                    if !overlap.overlapping(ctx, rows, origins, a, b) {
                        found.push((part_index, Shape::pair_entry(local, a, b)));
                    }
                });
            });
            found
        })
        .collect();
    per_part.into_iter().flatten().collect()
}

/// Expands the tree entry `entry` of a row at level `level` whose chunk was written by producer
/// `producer` into its `2^level` leaf indices, in the canonical order fluxd requires (at every
/// node the subtree with the smaller first index comes first). Returns `None` if an entry points
/// outside its level (never for entries the rounds wrote).
pub(crate) fn expand(
    shape: &Shape,
    levels: &[Level],
    level: usize,
    producer: usize,
    entry: u32,
    out: &mut Vec<u32>,
) -> Option<()> {
    if level == 0 {
        let first = u32::try_from(producer)
            .ok()?
            .checked_mul(shape.leaves_per_producer)?;
        out.push(first.checked_add(entry)?);
        return Some(());
    }
    let (bucket, left, right) = Shape::pair_children(entry);
    let part = levels.get(level - 1)?.parts.get(producer)?;
    let (left_producer, left) = part.tree(bucket, left)?;
    let (right_producer, right) = part.tree(bucket, right)?;
    let start = out.len();
    expand(shape, levels, level - 1, left_producer, left, out)?;
    let middle = out.len();
    expand(shape, levels, level - 1, right_producer, right, out)?;
    if out[middle] < out[start] {
        out[start..].rotate_left(middle - start);
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leading_bits_read_msb_first() {
        assert_eq!(leading_bits(0x8000_0001, 1), 1);
        assert_eq!(leading_bits(0xF123_4567, 12), 0xF12);
        assert_eq!(leading_bits(0xF123_4567, 32), 0xF123_4567);
        assert_eq!(leading_bits(u32::MAX, 0), 0);
    }

    /// Every pair with equal keys, found by brute force, against the chained search, for
    /// buckets whose chains are short (the branch-free path) and long (the slow path).
    #[test]
    fn chained_pairs_are_exactly_the_pairs_with_equal_keys() {
        let mut scratch = BucketScratch::default();
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        for (rows, key_bits) in [(0, 4), (1, 4), (40, 9), (1024, 9), (700, 2), (2048, 0)] {
            let words: Vec<u32> = (0..rows)
                .map(|_| {
                    state = state
                        .wrapping_mul(6_364_136_223_846_793_005)
                        .wrapping_add(1);
                    (state >> 32) as u32
                })
                .collect();
            scratch.rows[..rows].copy_from_slice(&words);
            scratch.loaded = rows;
            let mut chained = Vec::new();
            scratch.for_each_pair::<1>(key_bits, |table, _, a, b| {
                assert!(a < b && b < rows);
                assert_eq!(table[b][0], words[b]);
                chained.push((a, b));
            });
            chained.sort_unstable();
            let key = |word: u32| leading_bits(word, key_bits);
            let mut brute = Vec::new();
            for b in 0..words.len() {
                for a in 0..b {
                    if key(words[a]) == key(words[b]) {
                        brute.push((a, b));
                    }
                }
            }
            brute.sort_unstable();
            assert!(
                chained == brute,
                "{rows} rows, {key_bits} key bits: pairs differ"
            );
        }
    }

    /// The recent rows of a key are counted from none to four, whatever rows they are
    /// (row 0 and the last row included).
    #[test]
    fn recent_rows_are_counted_as_they_fill() {
        for rows in [[0u16, 0, 0, 0], [2047, 5, 2047, 0], [1, 2, 3, 4]] {
            let mut recent = NO_RECENT_ROWS;
            assert_eq!(recent_rows(recent), 0);
            for (count, &row) in rows.iter().enumerate() {
                recent = (recent << 16) | u64::from(row);
                assert_eq!(recent_rows(recent), count + 1, "{recent:016x}");
            }
            // A fifth row pushes the oldest out: still four.
            recent = (recent << 16) | 9;
            assert_eq!(recent_rows(recent), 4);
        }
    }

    /// Each recent row is paired with `b`, the most recent first, whatever the row numbers
    /// (the SIMD form on x86-64 against the formula).
    #[test]
    fn candidates_pair_each_recent_row_with_the_new_one() {
        let recent = 0x0800_0007_1234_FFFFu64;
        let mut out = [0u32; 5];
        write_candidates(&mut out, recent, 0x0ABC);
        assert_eq!(
            out,
            [0xFFFF_0ABC, 0x1234_0ABC, 0x0007_0ABC, 0x0800_0ABC, 0],
            "{out:08x?}"
        );
        let mut state = 0x1234_5678_9ABC_DEF1u64;
        for _ in 0..1000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let b = (state >> 48) as u16;
            write_candidates(&mut out, state, b);
            for (i, &pair) in out.iter().take(4).enumerate() {
                assert_eq!(pair >> 16, ((state >> (16 * i)) & 0xFFFF) as u32);
                assert_eq!(pair & 0xFFFF, u32::from(b));
            }
        }
    }

    /// Two rows share a child only if they come from the same producer and bucket and have a
    /// slot in common, on either side.
    #[test]
    fn rows_share_a_child_only_through_a_common_slot_of_one_producers_bucket() {
        let mut origins: Origins = [0; MAX_BUCKET_ROWS];
        origins[1] = 3;
        origins[2] = 3;
        origins[3] = 4;
        let entry = Shape::pair_entry;
        // Slots (5, 9) of bucket 7 against every way of sharing one of them.
        for other in [
            entry(7, 5, 12),
            entry(7, 2, 9),
            entry(7, 9, 30),
            entry(7, 1, 5),
        ] {
            assert!(share_a_child(&origins, 1, 2, entry(7, 5, 9), other));
        }
        // Disjoint slots; the same slots in another bucket; the same entry from another producer.
        assert!(!share_a_child(
            &origins,
            1,
            2,
            entry(7, 5, 9),
            entry(7, 6, 8)
        ));
        assert!(!share_a_child(
            &origins,
            1,
            2,
            entry(7, 5, 9),
            entry(6, 5, 9)
        ));
        assert!(!share_a_child(
            &origins,
            1,
            3,
            entry(7, 5, 9),
            entry(7, 5, 9)
        ));
    }

    #[test]
    fn shifted_word_takes_its_tail_from_the_next_word() {
        assert_eq!(word_shifted_left(0x0000_0001, 0x8000_0000, 31), 0xC000_0000);
        assert_eq!(word_shifted_left(0x1234_5678, 0x9ABC_DEF0, 0), 0x1234_5678);
        assert_eq!(word_shifted_left(0x1234_5678, 0x9ABC_DEF0, 16), 0x5678_9ABC);
        assert_eq!(word_shifted_left(0xFFFF_FFFF, 0, 25), 0xFE00_0000);
    }
}
