//! A multi-core Equihash solver (Wagner's algorithm) for every parameter set [`EquihashParams`]
//! can describe with a collision length of at most 25 bits: 200,9, 144,5, 125,4 (ZelHash, with
//! its twist), 96,5 and 48,5.
//!
//! The lists of the Wagner tree live in a bucketed, fixed-width layout (see `layout.rs`): rows are
//! grouped by the top bits of the digit the next round collides on, each row is a few `u32` words
//! holding the remaining hash bits and the row's tree entry, and no row is an allocation of its
//! own. Each level is split into parts that rayon processes in parallel; once the next level has
//! consumed a part, only its tree entries (4 bytes a row) are kept.
//!
//! [`solve`] is a one-off; a [`Solver`] keeps its memory from one solve to the next, as a miner
//! trying nonce after nonce wants.
//!
//! Every solution handed out has passed [`verify_indices`] (fluxd's own rules: collisions, index
//! order, distinct indices, zero final XOR) and is reported once, however many tree paths lead to
//! it.
//!
//! ```
//! use core::ops::ControlFlow;
//! use flux_pow::equihash::{EquihashParams, verify};
//! use flux_pow::solver::{solve, SolveOptions};
//!
//! let params = EquihashParams::EH48_5;
//! let mut found = Vec::new();
//! for nonce in 0u8..8 {
//!     let mut header = [0u8; 140];
//!     header[108] = nonce;
//!     let report = solve(&params, &header, &SolveOptions::default(), |solution| {
//!         found.push((header, solution.to_vec()));
//!         ControlFlow::Continue(())
//!     })
//!     .unwrap();
//!     assert!(!report.cancelled);
//! }
//! assert!(!found.is_empty());
//! for (header, solution) in &found {
//!     assert_eq!(verify(&params, header, solution), Ok(()));
//! }
//! ```

mod lanes;
mod layout;
mod prefetch;
mod rounds;

use alloc::collections::BTreeSet;
use alloc::vec::Vec;
use core::ops::ControlFlow;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use core::time::Duration;
use std::time::Instant;

use crate::equihash::{EquihashParams, solution_from_indices, verify_indices};
use layout::{Level, Shape};
use rayon::prelude::*;
use rounds::RoundContext;

/// Options of one [`solve`] call.
#[derive(Clone, Copy, Default)]
pub struct SolveOptions<'a> {
    /// Stop once this many solutions have been handed to the callback (`None`: all of them).
    pub max_solutions: Option<usize>,
    /// Polled between units of work; returning `true` abandons the solve (a miner uses it when a
    /// new block arrives). The report then has `cancelled` set.
    pub cancel: Option<&'a (dyn Fn() -> bool + Sync)>,
}

impl core::fmt::Debug for SolveOptions<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SolveOptions")
            .field("max_solutions", &self.max_solutions)
            .field("cancel", &self.cancel.map(|_| "<hook>"))
            .finish()
    }
}

/// What one [`solve`] call did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SolveReport {
    /// Solutions handed to the callback, in the order they were handed out.
    pub solutions: usize,
    /// Final-round candidates (pairs whose stored last digits collide), valid or not. The solver
    /// does not store the last few bits of the last digit, so a handful of these are pairs that
    /// only agree on the stored bits; verification rejects them.
    pub candidates: usize,
    /// Candidates rejected because an index repeats or the tree is not in canonical order.
    pub invalid_candidates: usize,
    /// Candidates that were another tree path to a solution already reported.
    pub duplicate_candidates: usize,
    /// Rows dropped because a bucket overflowed its fixed capacity (a few solutions may be lost;
    /// zero in practice for the Flux parameter sets).
    pub dropped_rows: u64,
    /// Intermediate rows discarded because both subtrees cancelled completely (the same leaves
    /// reached twice: anything built on them repeats an index).
    pub duplicate_subtrees: u64,
    /// Intermediate rows (and final candidates) discarded because their two subtrees were built
    /// on a common row of the level below, so share its leaves.
    pub overlapping_subtrees: u64,
    /// The search ended early: the cancel hook fired, the callback asked to stop, or
    /// `max_solutions` was reached.
    pub cancelled: bool,
    /// Wall time of each phase, in order: generating the leaves (hashing), the `k - 1`
    /// collision rounds, the final round, then expanding and checking the final candidates.
    /// Empty phases of a cancelled solve are missing.
    pub phase_times: Vec<Duration>,
}

/// Why [`solve`] could not run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SolverError {
    /// The parameter set's collision length (or row width) is beyond what the bucketed layout
    /// addresses.
    UnsupportedParams {
        /// `n` of the set.
        n: u32,
        /// `k` of the set.
        k: u32,
    },
    /// The operating system would not start the solver's own worker threads
    /// ([`Solver::with_threads`]).
    ThreadPool {
        /// The number of threads asked for.
        threads: usize,
    },
}

impl core::fmt::Display for SolverError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            SolverError::UnsupportedParams { n, k } => write!(
                f,
                "equihash {n},{k} is not supported by the solver (collision length above 25 bits or rows too wide)"
            ),
            SolverError::ThreadPool { threads } => write!(
                f,
                "could not start {threads} solver threads (ask for fewer, or for 0 to share rayon's global pool)"
            ),
        }
    }
}

impl std::error::Error for SolverError {}

/// Runs Wagner's algorithm over `input` (`I || V`: for a block, the 140 header bytes version
/// through nonce) on all rayon threads and hands each verified solution (its minimal `nSolution` bytes, without the
/// compactsize prefix) to `on_solution`, which may stop the search with `ControlFlow::Break`.
///
/// Each call takes the solve's memory from the allocator anew (whether the kernel maps and zeroes
/// it again depends on what the allocator kept from earlier calls); to solve many inputs, keep a
/// [`Solver`], which reuses its own.
///
/// # Errors
///
/// [`SolverError::UnsupportedParams`] for a collision length above 25 bits (or `(k + 1)` digits
/// too wide for a row of the layout).
pub fn solve(
    params: &EquihashParams,
    input: &[u8],
    options: &SolveOptions<'_>,
    on_solution: impl FnMut(&[u8]) -> ControlFlow<()>,
) -> Result<SolveReport, SolverError> {
    Ok(Solver::new(params)?.solve(input, options, on_solution))
}

/// A solver for one parameter set that keeps its working memory from one solve to the next: a
/// miner trying nonce after nonce pays for mapping it (and the kernel for zeroing it) once.
///
/// Between solves it holds as much memory as one solve needed at its peak (about 1.4 GiB for
/// 125,4); drop it to give that back.
///
/// ```
/// use core::ops::ControlFlow;
/// use flux_pow::equihash::{EquihashParams, verify};
/// use flux_pow::solver::{SolveOptions, Solver};
///
/// let params = EquihashParams::EH48_5;
/// let mut solver = Solver::new(&params).unwrap();
/// let mut solutions = 0;
/// for nonce in 0u8..8 {
///     let mut header = [0u8; 140];
///     header[108] = nonce;
///     solver.solve(&header, &SolveOptions::default(), |solution| {
///         assert_eq!(verify(&params, &header, solution), Ok(()));
///         solutions += 1;
///         ControlFlow::Continue(())
///     });
/// }
/// assert!(solutions > 0);
/// ```
pub struct Solver {
    params: EquihashParams,
    shape: Shape,
    pool: layout::BufferPool,
    /// The solver's own worker threads ([`Solver::with_threads`]); `None`: rayon's global pool.
    threads: Option<rayon::ThreadPool>,
}

impl core::fmt::Debug for Solver {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Solver")
            .field("params", &self.params)
            .field("threads", &self.threads())
            .finish_non_exhaustive()
    }
}

impl Solver {
    /// A solver for `params`; it allocates nothing until the first solve.
    ///
    /// # Errors
    ///
    /// [`SolverError::UnsupportedParams`] for a collision length above 25 bits (or `(k + 1)`
    /// digits too wide for a row of the layout).
    pub fn new(params: &EquihashParams) -> Result<Solver, SolverError> {
        let shape = Shape::new(params).ok_or(SolverError::UnsupportedParams {
            n: params.n(),
            k: params.k(),
        })?;
        Ok(Solver {
            params: *params,
            shape,
            pool: layout::BufferPool::default(),
            threads: None,
        })
    }

    /// This solver with `threads` worker threads of its own instead of rayon's global pool (as
    /// many threads as cores), for a miner that leaves cores to other work or runs several
    /// solvers side by side. `0` goes back to the global pool. The solutions found do not depend
    /// on the number of threads.
    ///
    /// ```
    /// use flux_pow::equihash::EquihashParams;
    /// use flux_pow::solver::Solver;
    ///
    /// let solver = Solver::new(&EquihashParams::EH48_5).unwrap().with_threads(1).unwrap();
    /// assert_eq!(solver.threads(), 1);
    /// ```
    ///
    /// # Errors
    ///
    /// [`SolverError::ThreadPool`] if the threads cannot be started.
    pub fn with_threads(mut self, threads: usize) -> Result<Solver, SolverError> {
        self.threads = match threads {
            0 => None,
            _ => Some(
                rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .thread_name(|index| format!("equihash-{index}"))
                    .build()
                    .map_err(|_| SolverError::ThreadPool { threads })?,
            ),
        };
        Ok(self)
    }

    /// The number of threads a solve runs on.
    pub fn threads(&self) -> usize {
        self.threads.as_ref().map_or_else(
            rayon::current_num_threads,
            rayon::ThreadPool::current_num_threads,
        )
    }

    /// The parameter set this solver solves.
    pub fn params(&self) -> &EquihashParams {
        &self.params
    }

    /// As [`solve`], with this solver's parameter set and threads, reusing the memory of earlier
    /// solves.
    pub fn solve(
        &mut self,
        input: &[u8],
        options: &SolveOptions<'_>,
        mut on_solution: impl FnMut(&[u8]) -> ControlFlow<()>,
    ) -> SolveReport {
        let search = || search(&self.params, self.shape, &self.pool, input, options);
        let found = match &self.threads {
            Some(threads) => threads.install(search),
            None => search(),
        };
        let mut report = found.report;
        // The callback runs on the caller's thread, in the candidates' (deterministic) order.
        let mut seen: BTreeSet<&[u32]> = BTreeSet::new();
        for candidate in &found.candidates {
            let indices = match candidate {
                Candidate::Valid(indices) => indices,
                Candidate::Invalid => {
                    report.invalid_candidates += 1;
                    continue;
                }
                Candidate::Unchecked => continue,
            };
            if !seen.insert(indices) {
                report.duplicate_candidates += 1;
                continue;
            }
            let Ok(solution) = solution_from_indices(&self.params, indices) else {
                report.invalid_candidates += 1;
                continue;
            };
            report.solutions += 1;
            let stop = on_solution(&solution).is_break()
                || options
                    .max_solutions
                    .is_some_and(|max| report.solutions >= max);
            if stop {
                report.cancelled = true;
                break;
            }
        }
        report
    }
}

/// A final-round candidate after [`check_candidate`].
enum Candidate {
    /// Its leaf indices, in canonical order; they pass [`verify_indices`].
    Valid(Vec<u32>),
    /// It repeats an index, or fails verification.
    Invalid,
    /// Not checked: the solve was cancelled first.
    Unchecked,
}

/// What the parallel part of a solve found: every final candidate, checked, in a deterministic
/// order, and the report's counters so far.
struct Search {
    candidates: Vec<Candidate>,
    report: SolveReport,
}

/// The rounds and the checking of their final candidates, on the current rayon pool.
fn search(
    params: &EquihashParams,
    shape: Shape,
    pool: &layout::BufferPool,
    input: &[u8],
    options: &SolveOptions<'_>,
) -> Search {
    let never: &(dyn Fn() -> bool + Sync) = &|| false;
    let ctx = RoundContext {
        shape,
        cancel: options.cancel.unwrap_or(never),
        cancelled: AtomicBool::new(false),
        dropped_rows: AtomicU64::new(0),
        zero_rows: AtomicU64::new(0),
        overlapping_rows: AtomicU64::new(0),
        pool,
    };

    let mut phase_times = Vec::with_capacity(params.k() as usize + 2);
    let mut phase_start = Instant::now();
    let mut phase_done = || {
        let now = Instant::now();
        phase_times.push(now - phase_start);
        phase_start = now;
    };
    let mut levels: Vec<Level> = Vec::with_capacity(params.k() as usize);
    levels.push(rounds::generate(&ctx, params, input));
    phase_done();
    for level in 0..params.k() - 1 {
        let next = match levels.last_mut() {
            Some(current) => rounds::collide(&ctx, current, level),
            None => break,
        };
        levels.push(next);
        phase_done();
    }
    let finals = match levels.last_mut() {
        Some(last) => rounds::final_round(&ctx, last),
        None => Vec::new(),
    };
    phase_done();
    // Most 200,9 candidates repeat an index; expanding and checking them one after another
    // would leave all but one core idle for a large share of the solve.
    let candidates: Vec<Candidate> = finals
        .par_iter()
        .map_init(Vec::new, |indices, &(producer, entry)| {
            if ctx.should_stop() {
                return Candidate::Unchecked;
            }
            check_candidate(params, &shape, &levels, input, producer, entry, indices)
        })
        .collect();
    phase_done();
    for level in levels {
        level.recycle(pool);
    }
    Search {
        candidates,
        report: SolveReport {
            candidates: finals.len(),
            dropped_rows: ctx.dropped_rows.load(Ordering::Relaxed),
            duplicate_subtrees: ctx.zero_rows.load(Ordering::Relaxed),
            overlapping_subtrees: ctx.overlapping_rows.load(Ordering::Relaxed),
            cancelled: ctx.cancelled.load(Ordering::Relaxed),
            phase_times,
            ..SolveReport::default()
        },
    }
}

/// Expands a final candidate (`entry` of a pair over the last level's part `producer`) into
/// `indices` and checks it: first for a repeated index, which is cheap to find and what most
/// invalid candidates have, then with [`verify_indices`], which hashes every leaf.
fn check_candidate(
    params: &EquihashParams,
    shape: &Shape,
    levels: &[Level],
    input: &[u8],
    producer: usize,
    entry: u32,
    indices: &mut Vec<u32>,
) -> Candidate {
    indices.clear();
    if rounds::expand(shape, levels, levels.len(), producer, entry, indices).is_none()
        || repeats_an_index(indices)
        || verify_indices(params, input, indices).is_err()
    {
        return Candidate::Invalid;
    }
    Candidate::Valid(indices.clone())
}

/// Whether any index of `indices` occurs twice.
fn repeats_an_index(indices: &[u32]) -> bool {
    let mut sorted = indices.to_vec();
    sorted.sort_unstable();
    sorted.windows(2).any(|pair| pair[0] == pair[1])
}

/// The plain (untwisted) BLAKE2b outputs of hash indices `first, first + 1, ..` of `input`, one
/// per element of `out`, computed the way the solver's first round computes them: the input's
/// complete 128-byte blocks once, then the last block for eight indices side by side (four per
/// register on CPUs with AVX2). `out[i]` receives `H(first + i)` (as
/// [`EquihashState::plain_hash`](crate::equihash::EquihashState::plain_hash)), zero past the
/// digest length. This is the hashing floor of the solver, and a building block for other
/// solvers.
///
/// ```
/// use flux_pow::equihash::{EquihashParams, EquihashState};
/// use flux_pow::solver::plain_hashes;
///
/// let params = EquihashParams::ZELHASH;
/// let input = [7u8; 140];
/// let mut out = [[0u8; 64]; 10];
/// plain_hashes(&params, &input, 100, &mut out);
/// let state = EquihashState::new(&params, &input);
/// assert_eq!(&out[3][..], state.plain_hash(103).as_bytes());
/// ```
pub fn plain_hashes(params: &EquihashParams, input: &[u8], first: u32, out: &mut [[u8; 64]]) {
    let digest_len = params.hash_output_len();
    let hasher = lanes::BatchHasher::new(params, input);
    for (batch, hashes) in out.chunks_mut(lanes::LANES).enumerate() {
        let g = first.wrapping_add((batch * lanes::LANES) as u32);
        for (hash, words) in hashes.iter_mut().zip(hasher.hash_lanes(g)) {
            for (bytes, word) in hash.chunks_exact_mut(8).zip(words) {
                bytes.copy_from_slice(&word.to_le_bytes());
            }
            hash[digest_len..].fill(0);
        }
    }
}

/// Solves `input` and returns every solution (minimal encoding), sorted: the form the vector
/// tests compare against.
///
/// # Errors
///
/// As [`solve`].
pub fn solve_all(params: &EquihashParams, input: &[u8]) -> Result<Vec<Vec<u8>>, SolverError> {
    let mut solutions = Vec::new();
    solve(params, input, &SolveOptions::default(), |solution| {
        solutions.push(solution.to_vec());
        ControlFlow::Continue(())
    })?;
    solutions.sort();
    Ok(solutions)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The batched hashes are BLAKE2b's, for every parameter set, inputs with and without room
    /// for the index in their last block, and batches that end part-way.
    #[test]
    fn plain_hashes_match_one_at_a_time_hashing() {
        for params in EquihashParams::ALL {
            for len in [0usize, 100, 124, 125, 140, 256] {
                let input: Vec<u8> = (0..len).map(|i| (i * 31 + 5) as u8).collect();
                let state = crate::equihash::EquihashState::new(&params, &input);
                for (first, count) in [(0u32, 8usize), (13, 13), (u32::MAX - 2, 5)] {
                    let mut out = vec![[0xAAu8; 64]; count];
                    plain_hashes(&params, &input, first, &mut out);
                    for (offset, hash) in out.iter().enumerate() {
                        let expected = state.plain_hash(first.wrapping_add(offset as u32));
                        let digest_len = expected.as_bytes().len();
                        assert_eq!(&hash[..digest_len], expected.as_bytes(), "{params} {len}");
                        assert!(hash[digest_len..].iter().all(|&b| b == 0), "{params} {len}");
                    }
                }
            }
        }
    }

    #[test]
    fn a_repeated_index_is_found_wherever_it_is() {
        assert!(!repeats_an_index(&[]));
        assert!(!repeats_an_index(&[5, 1, 9, 3]));
        assert!(repeats_an_index(&[5, 1, 9, 5]));
        assert!(repeats_an_index(&[0, 0]));
        let mut many: Vec<u32> = (0..512).map(|i| i * 3).collect();
        assert!(!repeats_an_index(&many));
        many[400] = many[17];
        assert!(repeats_an_index(&many));
    }

    /// A miner moves its solver to a worker thread.
    #[test]
    fn a_solver_can_move_between_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Solver>();
    }

    /// A reused solver takes the pages of earlier solves back: what it holds between solves stays
    /// near one solve's peak instead of growing with every nonce.
    #[test]
    fn a_reused_solver_holds_one_solves_memory() {
        let params = EquihashParams::EH96_5;
        let mut solver = Solver::new(&params).unwrap();
        let mut held = Vec::new();
        for nonce in 0u8..6 {
            let mut header = [0u8; 140];
            header[108] = nonce;
            let report = solver.solve(&header, &SolveOptions::default(), |_| {
                ControlFlow::Continue(())
            });
            assert!(!report.cancelled);
            held.push(solver.pool.idle_words());
        }
        let first = held[0];
        // 2^17 leaves of 3-word rows (1.5 MiB) at the very least.
        assert!(first >= 3 << 17, "{held:?}");
        // A solve's peak follows its row counts, which differ from nonce to nonce by a few
        // percent (more with fewer, larger parts); memory that is not taken back would add a
        // whole solve's worth every nonce.
        assert!(
            held.iter().all(|&words| words <= first + first / 10),
            "{held:?}"
        );
    }
}
