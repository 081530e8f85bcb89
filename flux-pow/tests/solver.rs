//! The solver against real data: the solver vectors in `shared/vectors` (it must find exactly the
//! listed solutions) and solutions it finds for every Flux parameter set verifying.
#![cfg(feature = "solver")]

use std::ops::ControlFlow;

use flux_pow::equihash::{EquihashParams, verify};
use flux_pow::solver::{SolveOptions, Solver, SolverError, solve, solve_all};

const FLUXD_VECTORS: &str = "fluxd_equihash_vectors.json";
const GENERATED_VECTORS: &str = "generated_zelhash_vectors.json";

mod common;
use common::vectors as load;

fn params_of(vector: &serde_json::Value) -> EquihashParams {
    let n = vector["n"].as_u64().unwrap() as u32;
    let k = vector["k"].as_u64().unwrap() as u32;
    *EquihashParams::ALL
        .iter()
        .find(|p| p.n() == n && p.k() == k)
        .unwrap_or_else(|| panic!("no parameter set {n},{k}"))
}

fn listed_indices(vector: &serde_json::Value) -> Vec<Vec<u32>> {
    let mut listed: Vec<Vec<u32>> = vector["solutions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            s["indices"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i.as_u64().unwrap() as u32)
                .collect()
        })
        .collect();
    listed.sort();
    listed
}

fn found_indices(params: &EquihashParams, input: &[u8]) -> Vec<Vec<u32>> {
    indices_of(params, solve_all(params, input).unwrap())
}

fn indices_of(params: &EquihashParams, solutions: Vec<Vec<u8>>) -> Vec<Vec<u32>> {
    let mut found: Vec<Vec<u32>> = solutions
        .iter()
        .map(|s| flux_pow::equihash::solution_indices(params, s).unwrap())
        .collect();
    found.sort();
    found
}

fn found_by(solver: &mut Solver, input: &[u8]) -> Vec<Vec<u32>> {
    let mut solutions = Vec::new();
    let report = solver.solve(input, &SolveOptions::default(), |solution| {
        solutions.push(solution.to_vec());
        ControlFlow::Continue(())
    });
    assert!(!report.cancelled);
    indices_of(solver.params(), solutions)
}

#[test]
fn finds_exactly_the_fluxd_solver_vectors() {
    let vectors = load(FLUXD_VECTORS);
    let solver_vectors = vectors["solver_vectors"].as_array().unwrap();
    assert_eq!(solver_vectors.len(), 11);
    for vector in solver_vectors {
        let params = params_of(vector);
        let input = hex::decode(vector["hashed_prefix_hex"].as_str().unwrap()).unwrap();
        assert_eq!(
            found_indices(&params, &input),
            listed_indices(vector),
            "fluxd equihash_tests.cpp line {}",
            vector["src_line"]
        );
    }
}

/// One [`Solver`] per parameter set, reused from vector to vector: the memory an earlier solve
/// left behind (stale rows and tree entries) must not change what a later one finds.
#[test]
fn finds_exactly_the_generated_zelhash_and_144_5_solutions() {
    let vectors = load(GENERATED_VECTORS);
    let valid = vectors["valid"].as_array().unwrap();
    assert!(valid.iter().any(|v| v["n"] == 125) && valid.iter().any(|v| v["n"] == 144));
    let mut solvers: Vec<Solver> = Vec::new();
    for vector in valid {
        let params = params_of(vector);
        assert_eq!(params.twist(), vector["twist"].as_bool().unwrap());
        let input = hex::decode(vector["input_hex"].as_str().unwrap()).unwrap();
        let solver = match solvers.iter().position(|s| *s.params() == params) {
            Some(at) => &mut solvers[at],
            None => {
                solvers.push(Solver::new(&params).unwrap());
                solvers.last_mut().unwrap()
            }
        };
        assert_eq!(
            found_by(solver, &input),
            listed_indices(vector),
            "{},{} nonce {}",
            vector["n"],
            vector["k"],
            vector["nonce"]
        );
    }
}

#[test]
fn finds_nothing_where_fluxd_found_nothing() {
    let vectors = load(GENERATED_VECTORS);
    let template = hex::decode(vectors["valid"][0]["input_hex"].as_str().unwrap()).unwrap();
    for entry in vectors["nonces_without_solution"].as_array().unwrap() {
        let params = params_of(entry);
        let mut input = template.clone();
        // The nonce is the last 32 bytes of the 140-byte prefix, little-endian.
        let nonce = entry["nonce"].as_u64().unwrap();
        input[108..].fill(0);
        input[108..116].copy_from_slice(&nonce.to_le_bytes());
        assert_eq!(solve_all(&params, &input).unwrap(), Vec::<Vec<u8>>::new());
    }
}

#[test]
fn solutions_of_200_9_verify() {
    let params = EquihashParams::EH200_9;
    let mut total = 0;
    for nonce in 0u8..2 {
        let mut header = [0u8; 140];
        header[0] = 4;
        header[108] = nonce;
        for solution in solve_all(&params, &header).unwrap() {
            assert_eq!(verify(&params, &header, &solution), Ok(()));
            // Flipping any bit breaks it.
            let mut broken = solution.clone();
            broken[7] ^= 0x10;
            assert!(verify(&params, &header, &broken).is_err());
            total += 1;
        }
    }
    assert!(total > 0, "two 200,9 nonces gave no solution at all");
}

/// The fluxd solver vector with the most solutions: its parameter set, input and the vector.
fn fluxd_vector_with_most_solutions() -> (EquihashParams, Vec<u8>, serde_json::Value) {
    let vectors = load(FLUXD_VECTORS);
    let vector = vectors["solver_vectors"]
        .as_array()
        .unwrap()
        .iter()
        .max_by_key(|v| v["solutions"].as_array().unwrap().len())
        .unwrap()
        .clone();
    let input = hex::decode(vector["hashed_prefix_hex"].as_str().unwrap()).unwrap();
    (params_of(&vector), input, vector)
}

#[test]
fn max_solutions_and_the_callback_stop_early() {
    let (params, input, vector) = fluxd_vector_with_most_solutions();
    assert!(vector["solutions"].as_array().unwrap().len() >= 2);

    let options = SolveOptions {
        max_solutions: Some(1),
        ..SolveOptions::default()
    };
    let mut handed = 0;
    let report = solve(&params, &input, &options, |_| {
        handed += 1;
        ControlFlow::Continue(())
    })
    .unwrap();
    assert_eq!((handed, report.solutions, report.cancelled), (1, 1, true));

    let mut handed = 0;
    let report = solve(&params, &input, &SolveOptions::default(), |_| {
        handed += 1;
        ControlFlow::Break(())
    })
    .unwrap();
    assert_eq!((handed, report.solutions, report.cancelled), (1, 1, true));
}

#[test]
fn the_cancel_hook_abandons_the_search() {
    let cancel = || true;
    let options = SolveOptions {
        cancel: Some(&cancel),
        ..SolveOptions::default()
    };
    let report = solve(&EquihashParams::ZELHASH, &[0u8; 140], &options, |_| {
        panic!("a cancelled solve handed out a solution")
    })
    .unwrap();
    assert!(report.cancelled);
    assert_eq!(report.solutions, 0);
}

/// A solve abandoned half-way leaves rows and tree entries of several levels behind; the same
/// solver must still find exactly a vector's solutions afterwards.
#[test]
fn a_solver_reused_after_a_cancelled_solve_finds_exactly_the_listed_solutions() {
    let (params, input, vector) = fluxd_vector_with_most_solutions();
    assert_eq!(params, EquihashParams::EH96_5);
    let mut solver = Solver::new(&params).unwrap();
    // 96,5 polls the hook about 26 times while hashing and 16 times per collision round (once
    // per part): these stop it while hashing, in the first round and in the third.
    for polls_before_cancel in [3, 34, 66] {
        let polls = std::sync::atomic::AtomicUsize::new(0);
        let cancel =
            || polls.fetch_add(1, std::sync::atomic::Ordering::Relaxed) >= polls_before_cancel;
        let options = SolveOptions {
            cancel: Some(&cancel),
            ..SolveOptions::default()
        };
        let mut other = input.clone();
        other[0] ^= 1;
        assert!(
            solver
                .solve(&other, &options, |_| ControlFlow::Continue(()))
                .cancelled
        );
        assert_eq!(found_by(&mut solver, &input), listed_indices(&vector));
    }
}

#[test]
fn unsupported_parameter_sets_are_an_error() {
    let params = EquihashParams::new(208, 7, *b"ZcashPoW", false).unwrap();
    let err = solve(&params, &[0u8; 140], &SolveOptions::default(), |_| {
        ControlFlow::Continue(())
    })
    .unwrap_err();
    assert_eq!(err, SolverError::UnsupportedParams { n: 208, k: 7 });
    assert!(err.to_string().contains("208,7"));
    assert_eq!(Solver::new(&params).unwrap_err(), err);
}

const TROMP_SOLUTIONS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/tromp_solutions.json"
);

/// Tromp's solution sets (another implementation, see the file's `source`): the main and test
/// genesis headers and eight nonces of a pattern header on 200,9, four on 144,5, as
/// `(params, header, sorted solutions in hex)`.
fn tromp_vectors() -> Vec<(EquihashParams, Vec<u8>, Vec<String>)> {
    let text = std::fs::read_to_string(TROMP_SOLUTIONS).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    json["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|vector| {
            let header = hex::decode(vector["header_140_hex"].as_str().unwrap()).unwrap();
            let mut solutions: Vec<String> = vector["solutions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s.as_str().unwrap().to_owned())
                .collect();
            solutions.sort();
            (params_of(vector), header, solutions)
        })
        .collect()
}

/// Solves `input` with `solver`: the solutions as sorted hex, and the report.
fn hex_solutions(
    solver: &mut Solver,
    input: &[u8],
) -> (Vec<String>, flux_pow::solver::SolveReport) {
    let mut solutions = Vec::new();
    let report = solver.solve(input, &SolveOptions::default(), |solution| {
        solutions.push(hex::encode(solution));
        ControlFlow::Continue(())
    });
    assert!(!report.cancelled);
    solutions.sort();
    (solutions, report)
}

/// 200,9 and 144,5: exactly Tromp's solutions on every header. On 200,9 most final candidates
/// used to repeat an index (hundreds to thousands a nonce, each expanded and hashed); the rounds
/// now drop pairs built on a common row, so only a few candidates are left to reject.
#[test]
fn finds_exactly_tromps_200_9_and_144_5_solutions() {
    let vectors = tromp_vectors();
    assert!(vectors.iter().any(|(p, ..)| *p == EquihashParams::EH200_9));
    assert!(vectors.iter().any(|(p, ..)| *p == EquihashParams::EH144_5));
    let mut solvers: Vec<Solver> = Vec::new();
    let mut found = 0;
    for (params, header, expected) in &vectors {
        let solver = match solvers.iter().position(|s| s.params() == params) {
            Some(at) => &mut solvers[at],
            None => {
                solvers.push(Solver::new(params).unwrap());
                solvers.last_mut().unwrap()
            }
        };
        let (solutions, report) = hex_solutions(solver, header);
        assert_eq!(
            &solutions,
            expected,
            "{params} {}",
            hex::encode(&header[108..112])
        );
        let rejected = report.candidates - report.solutions;
        assert!(rejected <= 16, "{params}: {rejected} candidates rejected");
        found += solutions.len();
    }
    assert!(found >= 20, "{found}");
}

/// One input per parameter set with an outside reference for its solutions: fluxd's vectors
/// (96,5), the generated ZelHash vectors (125,4), Tromp's (200,9 and 144,5) and the regtest
/// genesis (48,5, whose own solution must be among them), as `(params, input, expected)`;
/// `None` where only the genesis solution is known.
fn one_input_per_parameter_set() -> Vec<(EquihashParams, Vec<u8>, Vec<String>)> {
    let mut inputs = Vec::new();
    let (params, input, vector) = fluxd_vector_with_most_solutions();
    let to_hex = |params: &EquihashParams, indices: Vec<Vec<u32>>| -> Vec<String> {
        let mut hex: Vec<String> = indices
            .iter()
            .map(|i| hex::encode(flux_pow::equihash::solution_from_indices(params, i).unwrap()))
            .collect();
        hex.sort();
        hex
    };
    inputs.push((params, input, to_hex(&params, listed_indices(&vector))));
    let generated = load(GENERATED_VECTORS);
    let zelhash = generated["valid"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["n"] == 125)
        .unwrap();
    let params = params_of(zelhash);
    let input = hex::decode(zelhash["input_hex"].as_str().unwrap()).unwrap();
    inputs.push((params, input, to_hex(&params, listed_indices(zelhash))));
    for wanted in [EquihashParams::EH200_9, EquihashParams::EH144_5] {
        let tromp = tromp_vectors()
            .into_iter()
            .find(|(p, _, solutions)| *p == wanted && solutions.len() >= 2)
            .unwrap();
        inputs.push(tromp);
    }
    inputs
}

/// The regtest genesis (48,5): its header and its solution in hex.
fn regtest_genesis() -> (Vec<u8>, String) {
    let genesis = load("genesis.json");
    let block = &genesis["networks"]["regtest"];
    (
        hex::decode(block["header_140_hex"].as_str().unwrap()).unwrap(),
        block["solution_hex"].as_str().unwrap().to_owned(),
    )
}

/// A solver on threads of its own, one or two, finds exactly what the outside references list,
/// on every parameter set.
#[test]
fn a_solver_on_its_own_threads_finds_the_same_solutions_on_every_parameter_set() {
    let inputs = one_input_per_parameter_set();
    for threads in [1, 2] {
        for (params, input, expected) in &inputs {
            let mut solver = Solver::new(params).unwrap().with_threads(threads).unwrap();
            assert_eq!(solver.threads(), threads);
            let (solutions, _) = hex_solutions(&mut solver, input);
            assert_eq!(&solutions, expected, "{params} on {threads} threads");
        }
        let (header, genesis_solution) = regtest_genesis();
        let mut solver = Solver::new(&EquihashParams::EH48_5)
            .unwrap()
            .with_threads(threads)
            .unwrap();
        let (solutions, _) = hex_solutions(&mut solver, &header);
        assert!(
            solutions.contains(&genesis_solution),
            "48,5 on {threads} threads"
        );
        let on_all_cores = solve_all(&EquihashParams::EH48_5, &header).unwrap();
        assert_eq!(
            solutions,
            on_all_cores.iter().map(hex::encode).collect::<Vec<_>>()
        );
    }
    // 0 goes back to rayon's global pool.
    let solver = Solver::new(&EquihashParams::EH48_5)
        .unwrap()
        .with_threads(0)
        .unwrap();
    assert_eq!(solver.threads(), rayon::current_num_threads());
}

/// On every parameter set the rounds drop pairs whose two subtrees were built on a common row
/// (they would repeat its indices), and what is left is still exactly the listed solutions.
#[test]
fn pairs_built_on_a_common_row_are_dropped_on_every_parameter_set() {
    let mut inputs = one_input_per_parameter_set();
    let (header, _) = regtest_genesis();
    let genesis_set: Vec<String> = solve_all(&EquihashParams::EH48_5, &header)
        .unwrap()
        .iter()
        .map(hex::encode)
        .collect();
    inputs.push((EquihashParams::EH48_5, header, genesis_set));
    for (params, input, expected) in inputs {
        let mut solver = Solver::new(&params).unwrap();
        let (solutions, report) = hex_solutions(&mut solver, &input);
        assert_eq!(solutions, expected, "{params}");
        assert!(report.overlapping_subtrees > 0, "{params}: {report:?}");
    }
}
