//! `flux pow ...`: verify and solve Equihash (flux-pow).
//!
//! Output contracts:
//! - `flux pow verify <N> <K> <HEADER140_HEX> <SOLUTION_HEX>` prints `valid` (exit 0) or
//!   `invalid: <reason>` (exit 1).
//! - `flux pow solve <N> <K> <HEADER140_HEX> [--max-solutions M]` prints each solution as hex
//!   (the minimal `nSolution` bytes, without the compactsize prefix) on its own line on stdout;
//!   progress and timing go to stderr.
//! - `flux pow solve <N> <K> --random [--nonces C]` solves C random headers, verifies every
//!   solution, and prints one summary line on stdout:
//!   `solved <C> headers: <S> solutions in <T> s (<R> solutions/s)`.
//!
//! Every hex argument may be `-` or `@FILE` (see `input.rs`). Unusable input (an unknown
//! parameter set, bad hex, an unreadable file, a header that is not 140 bytes) is reported on
//! stderr with exit code 2.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::ops::ControlFlow;
use std::process::ExitCode;
use std::time::Instant;

use clap::Subcommand;
use flux_pow::equihash::{EquihashParams, verify};
use flux_pow::solver::{SolveOptions, Solver, solve};

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
        /// How many random headers to solve with --random.
        #[arg(long, default_value_t = 1, requires = "random")]
        nonces: u32,
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
        } => {
            if random {
                run_random(n, k, nonces)
            } else {
                run_solve(n, k, header.as_deref().unwrap_or_default(), max_solutions)
            }
        }
    };
    outcome.unwrap_or_else(|message| {
        eprintln!("error: {message}");
        ExitCode::from(2)
    })
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
    Ok(match verify(&params, &header, &solution) {
        Ok(()) => {
            println!("valid");
            ExitCode::SUCCESS
        }
        Err(reason) => {
            println!("invalid: {reason}");
            ExitCode::from(1)
        }
    })
}

fn run_solve(
    n: u32,
    k: u32,
    header: &str,
    max_solutions: Option<usize>,
) -> Result<ExitCode, String> {
    let params = params(n, k)?;
    let header = header_prefix(header)?;
    let options = SolveOptions {
        max_solutions,
        ..SolveOptions::default()
    };
    eprintln!(
        "solving equihash {n},{k} on {} cores",
        std::thread::available_parallelism().map_or(1, |c| c.get())
    );
    let started = Instant::now();
    let report = solve(&params, &header, &options, |solution| {
        println!("{}", hex::encode(solution));
        ControlFlow::Continue(())
    })
    .map_err(|e| e.to_string())?;
    eprintln!(
        "{} solution(s) in {:.3} s ({} candidates, {} invalid, {} duplicate)",
        report.solutions,
        started.elapsed().as_secs_f64(),
        report.candidates,
        report.invalid_candidates,
        report.duplicate_candidates
    );
    Ok(ExitCode::SUCCESS)
}

fn run_random(n: u32, k: u32, nonces: u32) -> Result<ExitCode, String> {
    let params = params(n, k)?;
    if nonces == 0 {
        return Err("--nonces must be at least 1".to_owned());
    }
    // Random headers need no cryptographic quality; std's per-process random hasher keys are enough.
    let seed = RandomState::new();
    // One solver for every header: its memory is mapped once, as a miner's would be.
    let mut solver = Solver::new(&params).map_err(|e| e.to_string())?;
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
                eprintln!("solver bug: a solution failed verification: {reason}");
                return Ok(ExitCode::from(1));
            }
        }
        total += solutions.len();
        eprintln!(
            "header {}/{nonces}: {} solution(s), all verified, in {:.3} s",
            round + 1,
            solutions.len(),
            one.elapsed().as_secs_f64()
        );
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "solved {nonces} headers: {total} solutions in {seconds:.3} s ({:.3} solutions/s)",
        total as f64 / seconds
    );
    Ok(ExitCode::SUCCESS)
}
