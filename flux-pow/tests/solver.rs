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
    // 96,5 polls the hook about 26 times while hashing and 64 times per collision round: these
    // stop it while hashing, in the first round and in the third.
    for polls_before_cancel in [3, 60, 200] {
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
