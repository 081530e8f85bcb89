//! The bucketed, fixed-width memory layout of the solver's lists.
//!
//! A list ("level") of the Wagner tree holds one row per partial solution. A row is a fixed
//! number of `u32` words (the same for every row of a level) holding two things:
//!
//! * its **hash bits**: the digits not yet collided on, as one MSB-first bit string starting at
//!   the top of the first word. The top `bucket_bits` bits of the next digit (the **bucket**) are
//!   not stored: rows are grouped by bucket (offset tables), so the position says it. The last
//!   `dropped_bits` bits of the last digit are not kept either (see [`Shape::dropped_bits`]);
//! * its **tree entry**, in the low bits of the last word: at level 0 the leaf index relative to
//!   the first index its producer hashed, above it the two children as `(local bucket, slot,
//!   slot)` in the level below, whose part is the producer of the row's chunk.
//!
//! The buckets are split into `parts` contiguous ranges ("parts"), which are the units of
//! parallel work. A round processes each part on its own thread and writes its output into one
//! chunk per destination part, so no two threads ever write to the same memory and no row is a
//! separate allocation. Level `L + 1`'s part `q` is the list of chunks `q` written by every part of
//! level `L`, in producer order; a bucket is the concatenation of its segments in those chunks.
//!
//! As the next round reads a part, bucket by bucket, it copies each row's tree entry (one `u32`)
//! aside; once the part is done its rows are dropped: the tree entries are all the end of the
//! solve needs to expand final candidates.
//!
//! Row and tree buffers are lists of fixed-size pages from one pool, whatever the width of their
//! rows: the pages a consumed part gives back become the next level's rows, and a
//! [`crate::solver::Solver`] keeps them for its next solve, so no memory is mapped and zeroed by
//! the kernel twice.

use alloc::boxed::Box;
use alloc::vec::Vec;
use std::sync::{Mutex, MutexGuard, PoisonError};

use super::prefetch::prefetch;
use crate::equihash::EquihashParams;

/// Bits of a slot (a row's position inside its bucket) in a tree entry.
pub(crate) const SLOT_BITS: u32 = 11;

/// A bucket never holds more rows than this. Buckets average 1024 rows (see
/// [`Shape::bucket_bits`]; the standard deviation is 32), so this is never reached in practice;
/// rows beyond it would be dropped and counted in [`crate::solver::SolveReport::dropped_rows`].
pub(crate) const MAX_BUCKET_ROWS: usize = 1 << SLOT_BITS;

/// The longest collision key a round chains a bucket's rows on: the part of a digit below its
/// bucket (9 bits or fewer for every shape), or the final round's longer key.
pub(crate) const MAX_KEY_BITS: u32 = 12;

/// The widest row, in words.
pub(crate) const MAX_WORDS: usize = 8;

/// log2 of the average bucket size the shape aims for.
const TARGET_BUCKET_LOG2: u32 = 10;

/// log2 of the number of parts a level is split into, unless the tree entries need more (see
/// [`Shape::new`]). Every producer writes one stream per part and every bucket is gathered from
/// one segment per producer, so the fewer parts the less bookkeeping a row costs (200,9: 4.95 G
/// instructions a nonce with 16 parts, 5.17 G with 64); 16 still leave a two- or four-core
/// machine enough units to balance.
const PART_LOG2: u32 = 4;

/// log2 of the most parts a level is split into: a producer must fit the byte that
/// [`crate::solver`]'s rounds keep per row.
const MAX_PART_LOG2: u32 = 8;

/// Hash bits the final round compares (beyond the bucket) at most. Dropping the rest of the last
/// digit makes every row narrower; the price is about `2^(cbl + 10 - 32)` extra final candidates
/// (8 for 125,4), which expansion and [`crate::equihash::verify_indices`] reject.
const FINAL_COMPARE_BITS: u32 = 32;

/// Derived sizes of one solve.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Shape {
    /// Collision bit length `n / (k + 1)`.
    pub cbl: u32,
    /// `k`.
    pub k: u32,
    /// Bits of each digit used as the bucket number.
    pub bucket_bits: u32,
    /// log2 of the number of parts.
    pub part_bits: u32,
    /// Number of parts (units of parallel work).
    pub parts: usize,
    /// Buckets per part.
    pub buckets_per_part: usize,
    /// Number of leaves, `2^(cbl + 1)`.
    pub leaves: u32,
    /// Trailing bits of the last digit that are never stored.
    pub dropped_bits: u32,
    /// Indices served by one BLAKE2b output.
    pub indices_per_hash: u32,
    /// Hash indices `g` per level-0 producer (a multiple of 16: ZelHash groups stay whole).
    pub hashes_per_producer: u32,
    /// Leaf indices per level-0 producer.
    pub leaves_per_producer: u32,
    /// Bits of a level-0 tree entry (a leaf index relative to its producer's first).
    pub leaf_entry_bits: u32,
}

impl Shape {
    /// The shape for a parameter set, or `None` if the layout cannot address it (a collision
    /// length above 25 bits, which no Flux parameter set has, or rows wider than [`MAX_WORDS`]).
    pub fn new(params: &EquihashParams) -> Option<Shape> {
        let cbl = params.collision_bit_length();
        let k = params.k();
        let bucket_bits = (cbl + 1).saturating_sub(TARGET_BUCKET_LOG2).min(cbl);
        if bucket_bits > 16 || cbl > 25 {
            return None;
        }
        // A pair entry holds the local bucket and two slots in 32 bits: buckets with more
        // local bits than that (125,4's 16 bucket bits) need more, smaller parts.
        let part_bits = PART_LOG2
            .max((bucket_bits + 2 * SLOT_BITS).saturating_sub(32))
            .min(bucket_bits);
        if part_bits > MAX_PART_LOG2 {
            return None;
        }
        let parts = 1u32 << part_bits;
        let leaves = 1u32 << (cbl + 1);
        let indices_per_hash = params.indices_per_hash_output();
        let hash_count = leaves.div_ceil(indices_per_hash);
        let hashes_per_producer = hash_count.div_ceil(parts).div_ceil(16) * 16;
        let leaves_per_producer = hashes_per_producer * indices_per_hash;
        let shape = Shape {
            cbl,
            k,
            bucket_bits,
            part_bits,
            parts: parts as usize,
            buckets_per_part: 1 << (bucket_bits - part_bits),
            leaves,
            dropped_bits: (2 * cbl - bucket_bits).saturating_sub(FINAL_COMPARE_BITS),
            indices_per_hash,
            hashes_per_producer,
            leaves_per_producer,
            leaf_entry_bits: u32::BITS - (leaves_per_producer - 1).leading_zeros(),
        };
        // The rounds are compiled for rows of 1 to MAX_WORDS words, each round's output at most
        // one word narrower or wider than its input.
        let fits = (0..k).all(|level| {
            let words = shape.words(level);
            let next = shape.words((level + 1).min(k - 1));
            shape.tree_bits(level) <= 32
                && shape.key_bits() <= MAX_KEY_BITS
                && (1..=MAX_WORDS).contains(&words)
                && words.abs_diff(next) <= 1
        });
        fits.then_some(shape)
    }

    /// Bits of the collision key inside a bucket: the rest of the current digit.
    pub fn key_bits(&self) -> u32 {
        self.cbl - self.bucket_bits
    }

    /// Length in bits of the stored hash string at `level` (bucket and dropped bits excluded).
    pub fn hash_bits(&self, level: u32) -> u32 {
        (self.k + 1 - level) * self.cbl - self.bucket_bits - self.dropped_bits
    }

    /// Bits of a tree entry at `level`.
    pub fn tree_bits(&self, level: u32) -> u32 {
        if level == 0 {
            self.leaf_entry_bits
        } else {
            self.bucket_bits - self.part_bits + 2 * SLOT_BITS
        }
    }

    /// Words per row at `level`.
    pub fn words(&self, level: u32) -> usize {
        (self.hash_bits(level) + self.tree_bits(level)).div_ceil(32) as usize
    }

    /// The tree entry of a pair of slots of local bucket `local_bucket`.
    pub fn pair_entry(local_bucket: usize, left: usize, right: usize) -> u32 {
        ((local_bucket as u32) << (2 * SLOT_BITS)) | ((left as u32) << SLOT_BITS) | right as u32
    }

    /// `(local bucket, left slot, right slot)` of a pair entry.
    pub fn pair_children(entry: u32) -> (usize, usize, usize) {
        let slot_mask = (1u32 << SLOT_BITS) - 1;
        (
            (entry >> (2 * SLOT_BITS)) as usize,
            ((entry >> SLOT_BITS) & slot_mask) as usize,
            (entry & slot_mask) as usize,
        )
    }
}

/// The mask of the low `bits` bits of a word.
pub(crate) fn low_mask(bits: u32) -> u32 {
    if bits >= 32 {
        u32::MAX
    } else {
        (1u32 << bits) - 1
    }
}

/// Words in a page: every row and tree buffer of a solve is built from pages of this one size,
/// so memory a level gives back fits any later level (and, through a [`crate::solver::Solver`],
/// the next nonce) whatever its row width, and is never faulted in twice.
pub(crate) const PAGE_WORDS: usize = 1024;

/// A fixed-size block of a paged buffer.
pub(crate) type Page = Box<[u32; PAGE_WORDS]>;

/// Rows of `W` words kept in pages of [`PAGE_WORDS`] words: row `i` is row `i % (PAGE_WORDS / W)`
/// of page `i / (PAGE_WORDS / W)` (a row never straddles two pages). Every accessor takes the
/// width the buffer was taken with.
#[derive(Debug, Default)]
pub(crate) struct PagedRows {
    pages: Vec<Page>,
    rows: usize,
}

impl PagedRows {
    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Row `index` for writing (it must be below [`PagedRows::rows`]).
    #[inline(always)]
    pub fn row_mut<const W: usize>(&mut self, index: usize) -> &mut [u32; W] {
        let per_page = PAGE_WORDS / W;
        let (page_rows, _) = self.pages[index / per_page].as_chunks_mut::<W>();
        &mut page_rows[index % per_page]
    }

    /// The address of row `index` (null if it does not exist), for a cache hint.
    #[inline(always)]
    pub fn row_address<const W: usize>(&self, index: usize) -> *const u32 {
        let per_page = PAGE_WORDS / W;
        match self.pages.get(index / per_page) {
            Some(page) => page[(index % per_page) * W..].as_ptr(),
            None => core::ptr::null(),
        }
    }

    /// Row `index`, if it exists.
    pub fn row<const W: usize>(&self, index: usize) -> Option<&[u32; W]> {
        if index >= self.rows {
            return None;
        }
        let per_page = PAGE_WORDS / W;
        let (page_rows, _) = self.pages.get(index / per_page)?.as_chunks::<W>();
        page_rows.get(index % per_page)
    }

    /// The rows in order.
    #[cfg(test)]
    pub fn iter<const W: usize>(&self) -> impl Iterator<Item = &[u32; W]> {
        self.pages
            .iter()
            .flat_map(|page| page.as_chunks::<W>().0)
            .take(self.rows)
    }

    /// Rows `start..end` (those that exist) as runs that each lie in one page:
    /// `(page, first row within the page, rows)`. Borrows nothing, so a caller may write to the
    /// pages it walks.
    #[inline(always)]
    fn page_runs<const W: usize>(
        &self,
        start: usize,
        end: usize,
    ) -> impl Iterator<Item = (usize, usize, usize)> + use<W> {
        let per_page = PAGE_WORDS / W;
        let end = end.min(self.rows);
        let mut index = start;
        core::iter::from_fn(move || {
            if index >= end {
                return None;
            }
            let offset = index % per_page;
            let count = (per_page - offset).min(end - index);
            let run = (index / per_page, offset, count);
            index += count;
            Some(run)
        })
    }

    /// Asks for the cache lines of rows `start..end` (those that exist) ahead of their use.
    #[inline(always)]
    pub fn prefetch_rows<const W: usize>(&self, start: usize, end: usize) {
        /// Words in a cache line.
        const LINE_WORDS: usize = 16;
        for (page, offset, count) in self.page_runs::<W>(start, end) {
            let Some(page) = self.pages.get(page) else {
                break;
            };
            let words = &page[offset * W..(offset + count) * W];
            for line in words.chunks(LINE_WORDS) {
                prefetch(line.as_ptr());
            }
            // The last row may start a line the stride above stepped over.
            prefetch(words[words.len() - 1..].as_ptr());
        }
    }

    /// Copies rows `start..end` (those that exist, as far as `out` has room) to the start of
    /// `out`. Returns the number of rows copied.
    pub fn copy_rows<const W: usize>(
        &self,
        start: usize,
        end: usize,
        out: &mut [[u32; W]],
    ) -> usize {
        let end = end.min(start.saturating_add(out.len()));
        let mut copied = 0;
        for (page, offset, count) in self.page_runs::<W>(start, end) {
            let Some(page) = self.pages.get(page) else {
                break;
            };
            let (page_rows, _) = page.as_chunks::<W>();
            out[copied..copied + count].copy_from_slice(&page_rows[offset..offset + count]);
            copied += count;
        }
        copied
    }
}

/// The rows one producer wrote for one part, grouped by bucket.
#[derive(Debug, Default)]
pub(crate) struct Chunk {
    /// `starts[b]..starts[b + 1]`: rows of the part's local bucket `b` (length buckets/part + 1).
    pub starts: Vec<u32>,
    /// The rows; emptied once the part has been processed.
    pub rows: PagedRows,
}

/// One part of a level: a contiguous range of buckets, as chunks from every producer.
#[derive(Debug, Default)]
pub(crate) struct Part {
    pub chunks: Vec<Chunk>,
    /// One tree entry per row (rows of one word), bucket after bucket, each bucket's in slot
    /// order: written as the next round reads the part (so in one sequential pass).
    pub trees: PagedRows,
}

impl Part {
    /// Makes room for one tree entry per row (pages from `pool`), to be filled in with
    /// [`Part::write_trees`] as the next round reads the rows.
    pub fn take_tree_pages(&mut self, pool: &BufferPool) {
        let rows = self.chunks.iter().map(|chunk| chunk.rows.rows()).sum();
        let trees = pool.take_rows::<1>(rows);
        pool.give_rows(core::mem::replace(&mut self.trees, trees));
    }

    /// Stores the tree entries (the low `tree_bits` bits of the last word) of `rows`, the rows
    /// of a bucket from slot 0 on, at `first` (the number of rows of the part's earlier buckets).
    #[inline(always)]
    pub fn write_trees<const W: usize>(&mut self, first: usize, rows: &[[u32; W]], tree_bits: u32) {
        let mask = low_mask(tree_bits);
        let mut source = rows.iter();
        for (page, offset, count) in self.trees.page_runs::<1>(first, first + rows.len()) {
            let Some(page) = self.trees.pages.get_mut(page) else {
                break;
            };
            for (entry, row) in page[offset..offset + count].iter_mut().zip(source.by_ref()) {
                *entry = row[W - 1] & mask;
            }
        }
    }

    /// Hands the pages of every chunk's rows back to `pool` (the next round has consumed their
    /// hash bits; their tree entries are kept).
    pub fn give_back_rows(&mut self, pool: &BufferPool) {
        for chunk in &mut self.chunks {
            pool.give_rows(core::mem::take(&mut chunk.rows));
        }
    }

    /// The producer and tree entry of the row at slot `slot` of local bucket `bucket`, if it
    /// exists.
    pub fn tree(&self, bucket: usize, slot: usize) -> Option<(usize, u32)> {
        let mut first = 0usize;
        let mut producer = None;
        let mut before = 0usize;
        for (index, chunk) in self.chunks.iter().enumerate() {
            let start = *chunk.starts.get(bucket)? as usize;
            let len = (*chunk.starts.get(bucket + 1)? as usize).checked_sub(start)?;
            first += start;
            if producer.is_none() {
                if slot < before + len {
                    producer = Some(index);
                }
                before += len;
            }
        }
        let &[entry] = self.trees.row::<1>(first.checked_add(slot)?)?;
        Some((producer?, entry))
    }
}

/// A list of the tree: `parts[q]` holds buckets `q * buckets_per_part ..`.
#[derive(Debug, Default)]
pub(crate) struct Level {
    pub parts: Vec<Part>,
}

impl Level {
    /// Hands every page of the level back to `pool`.
    pub fn recycle(self, pool: &BufferPool) {
        for part in self.parts {
            pool.give_rows(part.trees);
            for chunk in part.chunks {
                pool.give_rows(chunk.rows);
            }
        }
    }
}

/// Idle pages and staging areas kept for reuse: the pages of a consumed part become the chunks
/// of the next level, and those of a finished solve the next solve's, so memory is mapped and
/// faulted in once (the first nonce), not once per level and nonce. A pool never holds more pages
/// than were live at once.
#[derive(Debug, Default)]
pub(crate) struct BufferPool {
    idle: Mutex<PoolState>,
}

#[derive(Debug, Default)]
struct PoolState {
    pages: Vec<Page>,
    /// Staging areas not in use.
    staging: Vec<Staging>,
}

impl BufferPool {
    fn state(&self) -> MutexGuard<'_, PoolState> {
        // A panic elsewhere cannot leave the pool inconsistent: recover it.
        self.idle.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Room for `rows` rows of `W` words: idle pages first, new ones for the rest. Reused pages
    /// keep their stale contents (callers write every row before reading it).
    pub fn take_rows<const W: usize>(&self, rows: usize) -> PagedRows {
        let needed = rows.div_ceil(PAGE_WORDS / W);
        let mut pages = Vec::with_capacity(needed);
        {
            let mut state = self.state();
            let from = state.pages.len().saturating_sub(needed);
            pages.extend(state.pages.drain(from..));
        }
        pages.resize_with(needed, || Box::new([0; PAGE_WORDS]));
        PagedRows { pages, rows }
    }

    /// Hands the pages of `rows` back for reuse.
    pub fn give_rows(&self, rows: PagedRows) {
        if !rows.pages.is_empty() {
            self.state().pages.extend(rows.pages);
        }
    }

    /// Idle pages, in words.
    #[cfg(test)]
    pub fn idle_words(&self) -> usize {
        self.state().pages.len() * PAGE_WORDS
    }

    /// An empty staging area (reused from an earlier part when one is idle).
    pub fn take_staging(&self) -> Staging {
        self.state().staging.pop().unwrap_or_default()
    }

    /// Hands a staging area back for the next part.
    pub fn give_staging(&self, staging: Staging) {
        self.state().staging.push(staging);
    }
}

/// Rows a producer emitted in arbitrary order, before they are grouped into chunks: one stream
/// per destination part, so that grouping a stream by bucket writes into that part's chunk alone
/// (a few hundred KiB that stay in cache and in the TLB) instead of all over the level. Reused
/// from one part to the next (through the [`BufferPool`]), so its buffers are allocated once per
/// thread and solve.
#[derive(Debug, Default)]
pub(crate) struct Staging {
    streams: Vec<Stream>,
    /// Bits of a global bucket below its part: the local bucket.
    part_shift: u32,
    /// The local bucket's bits of a global bucket.
    local_mask: u32,
    counts: Vec<u32>,
}

/// How far past the end of a staging stream a push asks for the line it will soon write (eight
/// lines): a producer writes 16 to 64 streams at once, more than the hardware prefetchers
/// follow, and without the hint every new line of a stream is a miss that stalls the stores
/// behind it.
const STAGING_PREFETCH_WORDS: usize = 128;

/// The staged rows bound for one destination part, each as its local bucket followed by the
/// row's words: one sequence of writes per destination, and one capacity check per row.
#[derive(Debug, Default)]
struct Stream {
    records: Vec<u32>,
}

impl Staging {
    /// Makes room for about `rows` rows of `words` words in the (empty) staging area, spread
    /// evenly over `shape`'s parts. A too-small buffer is replaced, not grown: growing would copy
    /// (and fault in) its stale contents. The slack covers the random spread of rows over the
    /// parts and lets the next round's slightly larger parts fit too; a stream that still runs
    /// out grows like any `Vec`.
    pub fn reserve(&mut self, shape: &Shape, rows: usize, words: usize) {
        self.part_shift = shape.bucket_bits - shape.part_bits;
        self.local_mask = low_mask(self.part_shift);
        self.streams.resize_with(shape.parts, Stream::default);
        let per_stream = rows / shape.parts;
        let wanted = per_stream + per_stream / 8 + 64;
        // A replacement gets more slack still, so that the next, slightly larger part does
        // not replace it again.
        let replacement = wanted + wanted / 8;
        for stream in &mut self.streams {
            if stream.records.capacity() < wanted * (words + 1) {
                stream.records = Vec::with_capacity(replacement * (words + 1));
            }
        }
    }

    /// Stages one row for global bucket `bucket` (after [`Staging::reserve`]).
    #[inline(always)]
    pub fn push<const W: usize>(&mut self, bucket: u32, row: [u32; W]) {
        let part = (bucket >> self.part_shift) as usize;
        let local = bucket & self.local_mask;
        if let Some(stream) = self.streams.get_mut(part) {
            let mut record = [local; MAX_WORDS + 1];
            record[1..=W].copy_from_slice(&row);
            stream.records.extend_from_slice(&record[..=W]);
            prefetch(
                stream
                    .records
                    .as_ptr()
                    .wrapping_add(stream.records.len() + STAGING_PREFETCH_WORDS),
            );
        }
    }

    /// Groups each stream's rows by bucket (a stable counting sort) into one chunk per
    /// destination part, its pages taken from `pool`. Leaves the staging area empty.
    pub fn drain_into_chunks<const W: usize>(
        &mut self,
        shape: &Shape,
        pool: &BufferPool,
    ) -> Vec<Chunk> {
        let mut chunks = Vec::with_capacity(shape.parts);
        for part in 0..shape.parts {
            let Some(stream) = self.streams.get_mut(part) else {
                chunks.push(Chunk {
                    starts: vec![0; shape.buckets_per_part + 1],
                    ..Chunk::default()
                });
                continue;
            };
            // counts[b + 1] counts bucket b; then counts[b] becomes bucket b's next free slot.
            self.counts.clear();
            self.counts.resize(shape.buckets_per_part + 1, 0);
            let records = stream.records.chunks_exact(W + 1);
            let mut rows = pool.take_rows::<W>(records.len());
            // The rows will land all over the chunk, each line a miss: while counting, ask for
            // the chunk's lines in order, about as fast as the counting reads the stream.
            let rows_per_line = (16 / W).max(1);
            for (index, record) in records.enumerate() {
                self.counts[record[0] as usize + 1] += 1;
                if index % rows_per_line == 0 {
                    prefetch(rows.row_address::<W>(index));
                }
            }
            let mut starts = Vec::with_capacity(shape.buckets_per_part + 1);
            let mut total = 0u32;
            starts.push(0);
            for count in &mut self.counts[1..] {
                total += *count;
                starts.push(total);
            }
            self.counts[..shape.buckets_per_part]
                .copy_from_slice(&starts[..shape.buckets_per_part]);
            for record in stream.records.chunks_exact(W + 1) {
                let next = &mut self.counts[record[0] as usize];
                rows.row_mut::<W>(*next as usize)
                    .copy_from_slice(&record[1..]);
                *next += 1;
            }
            stream.records.clear();
            chunks.push(Chunk { starts, rows });
        }
        chunks
    }
}

/// Clears every bit of `words` from bit `bits` on (MSB-first).
#[inline(always)]
pub(crate) fn keep_leading_bits(words: &mut [u32], bits: u32) {
    for (index, word) in words.iter_mut().enumerate() {
        let first = index as u32 * 32;
        if first >= bits {
            *word = 0;
        } else if bits - first < 32 {
            *word &= !(u32::MAX >> (bits - first));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leading_bits_are_kept() {
        let mut words = [u32::MAX; 3];
        keep_leading_bits(&mut words, 40);
        assert_eq!(words, [u32::MAX, 0xFF00_0000, 0]);
        let mut words = [u32::MAX; 2];
        keep_leading_bits(&mut words, 64);
        assert_eq!(words, [u32::MAX; 2]);
    }

    #[test]
    fn paged_rows_keep_rows_whole_across_pages() {
        let pool = BufferPool::default();
        // 3-word rows: 341 to a page, so 1000 rows take three pages and rows 341 and 682 start
        // new ones.
        let mut rows = pool.take_rows::<3>(1000);
        assert_eq!(rows.rows(), 1000);
        for i in 0..1000u32 {
            *rows.row_mut::<3>(i as usize) = [i, i + 1, i + 2];
        }
        assert_eq!(rows.row::<3>(682), Some(&[682, 683, 684]));
        assert_eq!(rows.row::<3>(1000), None);
        assert!(rows.iter::<3>().map(|row| row[0]).eq(0..1000));
        let mut out = [[0u32; 3]; 500];
        assert_eq!(rows.copy_rows::<3>(300, 700, &mut out), 400);
        let expected: Vec<[u32; 3]> = (300..700u32).map(|i| [i, i + 1, i + 2]).collect();
        assert_eq!(out[..400], expected[..]);
        // A range past the end stops at the last row, and a short `out` at its end.
        assert_eq!(rows.copy_rows::<3>(998, 1200, &mut out), 2);
        assert_eq!(out[..2], [[998, 999, 1000], [999, 1000, 1001]]);
        assert_eq!(rows.copy_rows::<3>(0, 1000, &mut out[..10]), 10);
        assert_eq!(out[9], [9, 10, 11]);

        pool.give_rows(rows);
        assert_eq!(pool.idle_words(), 3 * PAGE_WORDS);
        // Any width reuses idle pages before allocating.
        let trees = pool.take_rows::<1>(1500);
        assert_eq!(pool.idle_words(), PAGE_WORDS);
        pool.give_rows(trees);
        assert_eq!(pool.idle_words(), 3 * PAGE_WORDS);
    }

    /// Staged rows come out grouped by part and bucket, in the order they were pushed within a
    /// bucket, with every row present once; a stream that outgrows its reservation still works.
    #[test]
    fn staged_rows_are_grouped_by_part_and_bucket_in_push_order() {
        let shape = Shape::new(&EquihashParams::ZELHASH).unwrap();
        let pool = BufferPool::default();
        let mut staging = Staging::default();
        // Far fewer rows reserved than pushed: the streams must grow.
        staging.reserve(&shape, shape.parts, 2);
        let buckets = 1u32 << shape.bucket_bits;
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut pushed = Vec::new();
        for serial in 0..50_000u32 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            // Crowd a few buckets so that some hold many rows.
            let bucket = if serial % 3 == 0 {
                (state as u32) % 8
            } else {
                (state as u32) % buckets
            };
            staging.push(bucket, [bucket, serial]);
            pushed.push((bucket, serial));
        }
        let chunks = staging.drain_into_chunks::<2>(&shape, &pool);
        assert_eq!(chunks.len(), shape.parts);
        let mut seen = Vec::new();
        for (part, chunk) in chunks.iter().enumerate() {
            assert_eq!(chunk.starts.len(), shape.buckets_per_part + 1);
            for local in 0..shape.buckets_per_part {
                let bucket = (part * shape.buckets_per_part + local) as u32;
                let rows: Vec<[u32; 2]> = (chunk.starts[local]..chunk.starts[local + 1])
                    .map(|slot| *chunk.rows.row::<2>(slot as usize).unwrap())
                    .collect();
                assert!(rows.iter().all(|row| row[0] == bucket));
                assert!(rows.windows(2).all(|pair| pair[0][1] < pair[1][1]));
                seen.extend(rows.iter().map(|row| (row[0], row[1])));
            }
            assert_eq!(
                chunk.rows.rows(),
                chunk.starts[shape.buckets_per_part] as usize
            );
        }
        seen.sort_unstable_by_key(|&(_, serial)| serial);
        assert_eq!(seen, pushed);
        // The staging area is left empty for the next part.
        let again = staging.drain_into_chunks::<2>(&shape, &pool);
        assert!(again.iter().all(|chunk| chunk.rows.rows() == 0));
    }

    /// Tree entries written bucket by bucket, as a round reads a part, are found again by
    /// (bucket, slot) with the producer whose chunk holds the slot.
    #[test]
    fn tree_entries_are_found_by_bucket_and_slot() {
        let shape = Shape::new(&EquihashParams::ZELHASH).unwrap();
        let pool = BufferPool::default();
        let mut part = Part::default();
        // Three producers' chunks for part 0; row `[bucket, producer << 16 | serial]`.
        for producer in 0..3u32 {
            let mut staging = Staging::default();
            staging.reserve(&shape, 64, 2);
            for serial in 0..(700 + 300 * producer) {
                let bucket = (serial * 7 + producer) % 5;
                staging.push(bucket, [bucket, producer << 16 | serial]);
            }
            let mut chunks = staging.drain_into_chunks::<2>(&shape, &pool);
            part.chunks.push(chunks.swap_remove(0));
        }
        part.take_tree_pages(&pool);
        let mut first = 0;
        let mut expected = Vec::new();
        for bucket in 0..shape.buckets_per_part {
            let mut rows = Vec::new();
            for (producer, chunk) in part.chunks.iter().enumerate() {
                let range = chunk.starts[bucket]..chunk.starts[bucket + 1];
                for slot in range {
                    rows.push(*chunk.rows.row::<2>(slot as usize).unwrap());
                    expected.push((bucket, rows.len() - 1, producer));
                }
            }
            part.write_trees::<2>(first, &rows, 24);
            first += rows.len();
        }
        part.give_back_rows(&pool);
        assert_eq!(expected.len(), 700 + 1000 + 1300);
        for (bucket, slot, producer) in expected {
            let (found_producer, entry) = part.tree(bucket, slot).unwrap();
            assert_eq!(found_producer, producer);
            assert_eq!(entry >> 16, producer as u32);
            let serial = entry & 0xFFFF;
            assert_eq!((serial * 7 + producer as u32) % 5, bucket as u32);
        }
        assert_eq!(part.tree(0, 5000), None);
    }

    #[test]
    fn tree_entries_round_trip() {
        let entry = Shape::pair_entry(1023, 2047, 17);
        assert_eq!(Shape::pair_children(entry), (1023, 2047, 17));
    }

    #[test]
    fn shapes_of_the_flux_sets_aim_for_1024_rows_per_bucket() {
        for params in EquihashParams::ALL {
            let shape = Shape::new(&params).unwrap();
            let buckets = 1usize << shape.bucket_bits;
            assert!(shape.leaves as usize / buckets <= 1024);
            assert_eq!(shape.parts * shape.buckets_per_part, buckets);
            assert!(shape.leaves_per_producer * shape.parts as u32 >= shape.leaves);
            // A producer fits a byte, and a pair entry (local bucket, two slots) a word.
            assert!(shape.parts <= 256, "{params}");
            assert!(shape.tree_bits(1) <= 32, "{params}");
            // The final round compares at least 32 bits (or every bit there is).
            let last = shape.hash_bits(shape.k - 1);
            assert!(last >= 32 || shape.dropped_bits == 0, "{params}");
        }
        // 125,4: rows of 4, 4, 3 and 2 words (127, 114, 89 and 64 bits).
        let shape = Shape::new(&EquihashParams::ZELHASH).unwrap();
        assert_eq!(
            (0..4).map(|l| shape.words(l)).collect::<Vec<_>>(),
            [4, 4, 3, 2]
        );
        let wide = EquihashParams::new(208, 7, *b"ZcashPoW", false).unwrap();
        assert!(Shape::new(&wide).is_none());
    }
}
