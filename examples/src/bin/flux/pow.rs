//! `flux pow ...`: verify and solve Equihash (flux-pow).
//!
//! Output contracts:
//! - `flux pow verify <N> <K> <HEADER140_HEX> <SOLUTION_HEX>` prints `valid` (exit 0) or
//!   `invalid: <reason>` (exit 1).
//! - `flux pow solve <N> <K> <HEADER140_HEX> [--max-solutions M] [--nonces C]` prints each
//!   solution as hex (the minimal `nSolution` bytes, without the compactsize prefix) on its own
//!   line on stdout; progress and timing go to stderr, one line per nonce (with the wall time
//!   of each phase: hashing, the collision rounds, the final round, the candidate checks). With `--nonces C` it
//!   solves C headers: the given one, then the same with the little-endian `u32` at header bytes
//!   108..112 (the first nonce word) counted up by 1, 2, .. (the way tromp's solvers step their
//!   nonce, so both can be run on the same headers). `--max-solutions` counts per header.
//! - `flux pow solve <N> <K> --random [--nonces C]` solves C random headers, verifies every
//!   solution, and prints one summary line on stdout:
//!   `solved <C> headers: <S> solutions in <T> s (<R> solutions/s)`.
//! - `--threads T` (either form) solves on T threads instead of one per core.
//! - When standard output is closed early (`flux pow solve ... | head -1`), the solve stops and
//!   the command exits 0 without a word: the reader has all it asked for.
//!
//! Every hex argument may be `-` or `@FILE` (see `input.rs`). Unusable input (an unknown
//! parameter set, bad hex, an unreadable file, a header that is not 140 bytes) is reported on
//! stderr with exit code 2.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::io::{ErrorKind, Write};
use std::ops::ControlFlow;
use std::process::ExitCode;
use std::time::Instant;

use clap::Subcommand;
use flux_pow::equihash::{EquihashParams, verify};
use flux_pow::solver::{SolveOptions, Solver};

use crate::input::hex_argument;

/// Length of the header prefix (version through nonce) that Equihash hashes.
const HEADER_PREFIX_LEN: usize = 140;

/// Subcommands of `flux pow`.
#[derive(Debug, Subcommand)]
pub enum PowCommand {
    /// Verify an Equihash solution for a 140-byte header prefix.
    Verify {
        /// Equihash n (200, 144, 125, 96 or 48).
        n: u32,
        /// Equihash k (9, 5, 4, 5 or 5).
        k: u32,
        /// The 140 header bytes before the solution, as hex; `-` reads it from standard input,
        /// `@FILE` from FILE.
        header: String,
        /// The solution (without its compactsize length), as hex; `-` reads it from standard
        /// input, `@FILE` from FILE.
        solution: String,
    },
    /// Solve a header prefix, or random ones with --random.
    Solve {
        /// Equihash n (200, 144, 125, 96 or 48).
        n: u32,
        /// Equihash k (9, 5, 4, 5 or 5).
        k: u32,
        /// The 140 header bytes before the solution, as hex (omit with --random); `-` reads it
        /// from standard input, `@FILE` from FILE.
        #[arg(required_unless_present = "random", conflicts_with = "random")]
        header: Option<String>,
        /// Stop after this many solutions.
        #[arg(long)]
        max_solutions: Option<usize>,
        /// Solve random headers instead and report the solution rate.
        #[arg(long)]
        random: bool,
        /// How many headers to solve: random ones with --random, otherwise the given header
        /// and the next ones with its first nonce word (bytes 108..112, little-endian) counted
        /// up.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
        nonces: u32,
        /// Solver threads (default: one per core).
        #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
        threads: Option<u16>,
    },
}

/// Runs one `flux pow` subcommand.
pub fn run(command: PowCommand) -> ExitCode {
    let outcome = match command {
        PowCommand::Verify {
            n,
            k,
            header,
            solution,
        } => run_verify(n, k, &header, &solution),
        PowCommand::Solve {
            n,
            k,
            header,
            max_solutions,
            random,
            nonces,
            threads,
        } => solver(n, k, threads).and_then(|solver| {
            if random {
                run_random(solver, nonces)
            } else {
                let header = header.as_deref().unwrap_or_default();
                run_solve(solver, header, nonces, max_solutions)
            }
        }),
    };
    outcome.unwrap_or_else(|message| {
        note(format_args!("error: {message}"));
        ExitCode::from(2)
    })
}

/// Writes a line to stderr, ignoring failure: progress is not worth dying over, and a closed
/// stderr must not panic the command as `eprintln!` would.
fn note(line: std::fmt::Arguments<'_>) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// Why a result line could not be written to stdout.
enum Output {
    /// The reader is gone (`| head -1`): stop quietly and successfully.
    Closed,
    /// Any other write error, as a message.
    Failed(String),
}

/// Writes a line to stdout and flushes it, so a pipe's reader sees each solution as it is found.
fn emit(line: std::fmt::Arguments<'_>) -> Result<(), Output> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}")
        .and_then(|()| out.flush())
        .map_err(|error| match error.kind() {
            ErrorKind::BrokenPipe => Output::Closed,
            _ => Output::Failed(format!("cannot write to standard output: {error}")),
        })
}

/// The exit of a command whose output stopped early with `stopped`.
fn stopped_output(stopped: Output) -> Result<ExitCode, String> {
    match stopped {
        Output::Closed => Ok(ExitCode::SUCCESS),
        Output::Failed(message) => Err(message),
    }
}

/// A solver for `n,k` on `threads` threads (all cores without).
fn solver(n: u32, k: u32, threads: Option<u16>) -> Result<Solver, String> {
    let params = params(n, k)?;
    Solver::new(&params)
        .and_then(|solver| solver.with_threads(threads.map_or(0, usize::from)))
        .map_err(|e| e.to_string())
}

fn params(n: u32, k: u32) -> Result<EquihashParams, String> {
    EquihashParams::ALL
        .iter()
        .copied()
        .find(|p| p.n() == n && p.k() == k)
        .ok_or_else(|| {
            let known: Vec<String> = EquihashParams::ALL
                .iter()
                .map(|p| format!("{},{}", p.n(), p.k()))
                .collect();
            format!(
                "no Flux Equihash parameter set {n},{k} (known: {})",
                known.join(" ")
            )
        })
}

fn decode_hex(what: &str, argument: &str) -> Result<Vec<u8>, String> {
    hex_argument(argument, what).map_err(|error| error.to_string())
}

fn header_prefix(text: &str) -> Result<Vec<u8>, String> {
    let header = decode_hex("the header", text)?;
    if header.len() != HEADER_PREFIX_LEN {
        return Err(format!(
            "the header must be the {HEADER_PREFIX_LEN} bytes before the solution; got {} bytes",
            header.len()
        ));
    }
    Ok(header)
}

fn run_verify(n: u32, k: u32, header: &str, solution: &str) -> Result<ExitCode, String> {
    let params = params(n, k)?;
    let header = header_prefix(header)?;
    let solution = decode_hex("the solution", solution)?;
    if solution.len() != params.solution_len() {
        return Err(format!(
            "an {n},{k} solution is {} bytes; got {} bytes",
            params.solution_len(),
            solution.len()
        ));
    }
    let (written, code) = match verify(&params, &header, &solution) {
        Ok(()) => (emit(format_args!("valid")), ExitCode::SUCCESS),
        Err(reason) => (emit(format_args!("invalid: {reason}")), ExitCode::from(1)),
    };
    match written {
        Ok(()) => Ok(code),
        Err(stopped) => stopped_output(stopped).map(|_| code),
    }
}

fn run_solve(
    mut solver: Solver,
    header: &str,
    nonces: u32,
    max_solutions: Option<usize>,
) -> Result<ExitCode, String> {
    let mut header = header_prefix(header)?;
    let options = SolveOptions {
        max_solutions,
        ..SolveOptions::default()
    };
    let (n, k) = (solver.params().n(), solver.params().k());
    note(format_args!(
        "solving equihash {n},{k} on {} threads",
        solver.threads()
    ));
    let first_nonce = nonce_word(&header);
    for offset in 0..nonces {
        header[108..112].copy_from_slice(&first_nonce.wrapping_add(offset).to_le_bytes());
        let started = Instant::now();
        let mut stopped = None;
        let report = solver.solve(&header, &options, |solution| {
            match emit(format_args!("{}", hex::encode(solution))) {
                Ok(()) => ControlFlow::Continue(()),
                Err(output) => {
                    stopped = Some(output);
                    ControlFlow::Break(())
                }
            }
        });
        if let Some(stopped) = stopped {
            return stopped_output(stopped);
        }
        let phases: Vec<String> = report
            .phase_times
            .iter()
            .map(|phase| format!("{:.3}", phase.as_secs_f64()))
            .collect();
        note(format_args!(
            "nonce word {}: {} solution(s) in {:.3} s ({} candidates, {} invalid, {} duplicate; \
             phases {} s)",
            first_nonce.wrapping_add(offset),
            report.solutions,
            started.elapsed().as_secs_f64(),
            report.candidates,
            report.invalid_candidates,
            report.duplicate_candidates,
            phases.join(" ")
        ));
    }
    Ok(ExitCode::SUCCESS)
}

/// The first nonce word of a 140-byte header prefix: bytes 108..112, little-endian.
fn nonce_word(header: &[u8]) -> u32 {
    let mut word = [0u8; 4];
    word.copy_from_slice(&header[108..112]);
    u32::from_le_bytes(word)
}

fn run_random(mut solver: Solver, nonces: u32) -> Result<ExitCode, String> {
    let params = *solver.params();
    // Random headers need no cryptographic quality; std's per-process random hasher keys are enough.
    let seed = RandomState::new();
    // One solver for every header: its memory is mapped once, as a miner's would be.
    let mut total = 0usize;
    let started = Instant::now();
    for round in 0..nonces {
        let mut header = [0u8; HEADER_PREFIX_LEN];
        for (i, chunk) in header.chunks_mut(8).enumerate() {
            let mut hasher = seed.build_hasher();
            hasher.write_u32(round);
            hasher.write_usize(i);
            let bytes = hasher.finish().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
        let one = Instant::now();
        let mut solutions = Vec::new();
        solver.solve(&header, &SolveOptions::default(), |solution| {
            solutions.push(solution.to_vec());
            ControlFlow::Continue(())
        });
        for solution in &solutions {
            if let Err(reason) = verify(&params, &header, solution) {
                note(format_args!(
                    "solver bug: a solution failed verification: {reason}"
                ));
                return Ok(ExitCode::from(1));
            }
        }
        total += solutions.len();
        note(format_args!(
            "header {}/{nonces}: {} solution(s), all verified, in {:.3} s",
            round + 1,
            solutions.len(),
            one.elapsed().as_secs_f64()
        ));
    }
    let seconds = started.elapsed().as_secs_f64();
    match emit(format_args!(
        "solved {nonces} headers: {total} solutions in {seconds:.3} s ({:.3} solutions/s)",
        total as f64 / seconds
    )) {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(stopped) => stopped_output(stopped),
    }
}
