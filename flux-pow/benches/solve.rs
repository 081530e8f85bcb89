//! The 125,4 (ZelHash) solver on all cores, against the floor any solver has: the bare BLAKE2b
//! time of the 2^24 hash calls one nonce needs, with `blake2b_simd` one hash at a time and the
//! way the solver hashes ([`flux_pow::solver::plain_hashes`]). A `Solver` kept across nonces (a
//! miner's case) and a fresh one per nonce (`solve`) are both timed. The peak heap of a solver
//! over several nonces is measured with a counting allocator and printed beside the criterion
//! figures.
//!
//! `cargo bench -p flux-pow --features solver --bench solve`

#![allow(missing_docs, clippy::print_stderr)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use flux_pow::equihash::{EquihashParams, base_state};
use flux_pow::solver::{SolveOptions, Solver, plain_hashes, solve};
use rayon::prelude::*;

/// Counts live heap bytes and remembers the high-water mark.
struct PeakAllocator;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded unchanged to the system allocator; the counters only observe.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for PeakAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOCATOR: PeakAllocator = PeakAllocator;

fn header(nonce: u32) -> [u8; 140] {
    let mut header = [0u8; 140];
    header[0] = 4;
    header[1..33].fill(0x5a);
    header[108..112].copy_from_slice(&nonce.to_le_bytes());
    header
}

fn count_solutions(solver: &mut Solver, input: &[u8]) -> usize {
    let mut found = 0;
    solver.solve(input, &SolveOptions::default(), |_| {
        found += 1;
        ControlFlow::Continue(())
    });
    found
}

fn zelhash_solve(c: &mut Criterion) {
    let params = EquihashParams::ZELHASH;

    // Solutions per nonce and peak heap, over a few nonces, outside the timed loop. The solver
    // keeps its memory between nonces, so the peak over all of them is what a miner holds.
    let nonces = 4u32;
    let mut solutions = 0;
    let before = LIVE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let mut solver = Solver::new(&params).expect("125,4 is supported");
    for nonce in 0..nonces {
        solutions += count_solutions(&mut solver, &header(nonce));
    }
    let peak = PEAK.load(Ordering::Relaxed) - before;
    eprintln!(
        "125,4: {:.2} solutions per nonce over {nonces} nonces; peak heap over the {nonces} solves \
         of one solver {} MiB",
        f64::from(solutions as u32) / f64::from(nonces),
        peak >> 20
    );

    let mut group = c.benchmark_group("equihash_125_4");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(30));
    let mut nonce = 100u32;
    group.bench_function("solve_one_nonce_all_cores", |b| {
        b.iter(|| {
            nonce += 1;
            black_box(count_solutions(&mut solver, &header(nonce)))
        })
    });
    drop(solver);
    // The same with a solver made for every nonce (the free `solve`): its memory comes from the
    // allocator each time (glibc keeps the freed 4 KiB pages, so the kernel rarely zeroes them).
    group.bench_function("solve_one_nonce_all_cores_new_solver_each", |b| {
        b.iter(|| {
            nonce += 1;
            let solutions = solve(&params, &header(nonce), &SolveOptions::default(), |_| {
                ControlFlow::Continue(())
            });
            black_box(solutions.expect("125,4 is supported").solutions)
        })
    });

    // The floor: the 2^24 BLAKE2b calls of one nonce (indices_per_hash_output = 4 of the 2^26
    // leaves per call), on all cores, with nothing done with the output.
    let base = base_state(&params, &header(0));
    let calls = params.index_limit() / params.indices_per_hash_output();
    group.bench_function("blake2b_floor_2pow24_calls_all_cores", |b| {
        b.iter(|| {
            (0..calls)
                .into_par_iter()
                .with_min_len(1 << 14)
                .map(|g| {
                    let mut state = base.clone();
                    state.update(&g.to_le_bytes());
                    state.finalize().as_bytes()[0]
                })
                .reduce(|| 0u8, |a, b| a ^ b)
        })
    });
    // The same 2^24 hashes as the solver computes them (midstate, eight indices per batch, AVX2
    // where the CPU has it): the floor of this solver.
    let input = header(0);
    group.bench_function("solver_hashing_2pow24_calls_all_cores", |b| {
        b.iter(|| {
            (0..calls / 1024)
                .into_par_iter()
                .map_init(
                    || vec![[0u8; 64]; 1024],
                    |out, batch| {
                        plain_hashes(&params, &input, batch * 1024, out);
                        out[1023][0]
                    },
                )
                .reduce(|| 0u8, |a, b| a ^ b)
        })
    });
    group.finish();
}

criterion_group!(benches, zelhash_solve);
criterion_main!(benches);
