//! Property tests: `verify` never panics on arbitrary bytes, the minimal encoding round-trips,
//! and the digit-based verifier agrees, error kind included, with a byte-row port of fluxd's
//! `IsValidSolution` on mutations of real solutions.

use flux_pow::equihash::{
    EquihashParams, EquihashState, PowError, indices_from_minimal, minimal_from_indices,
    solution_from_indices, solution_indices, verify, verify_indices,
};
use proptest::prelude::*;
use serde_json::Value;

mod common;
use common::vectors;

fn hex(value: &Value) -> Vec<u8> {
    hex::decode(value.as_str().unwrap()).unwrap()
}

/// Valid solutions of every parameter set: (params, input, indices).
fn valid_solutions() -> Vec<(EquihashParams, Vec<u8>, Vec<u32>)> {
    let mut out = Vec::new();
    let zel = vectors("generated_zelhash_vectors.json");
    for set in zel["valid"].as_array().unwrap() {
        let params =
            EquihashParams::from_solution_len(hex(&set["solutions"][0]["soln_hex"]).len()).unwrap();
        for solution in set["solutions"].as_array().unwrap() {
            let indices = solution_indices(&params, &hex(&solution["soln_hex"])).unwrap();
            out.push((params, hex(&set["input_hex"]), indices));
        }
    }
    let fluxd = vectors("fluxd_equihash_vectors.json");
    for set in fluxd["solver_vectors"].as_array().unwrap().iter().take(3) {
        for solution in set["solutions"].as_array().unwrap() {
            let indices = solution_indices(&EquihashParams::EH96_5, &hex(&solution["soln_hex"]));
            out.push((
                EquihashParams::EH96_5,
                hex(&set["hashed_prefix_hex"]),
                indices.unwrap(),
            ));
        }
    }
    let genesis = vectors("genesis.json");
    for network in ["main", "regtest"] {
        let g = &genesis["networks"][network];
        let solution = hex(&g["solution_hex"]);
        let params = EquihashParams::from_solution_len(solution.len()).unwrap();
        out.push((
            params,
            hex(&g["header_140_hex"]),
            solution_indices(&params, &solution).unwrap(),
        ));
    }
    out
}

/// fluxd `IsValidSolution` on byte rows, as written in `equihash.cpp:765-813`: rows of
/// `ExpandArray`ed hashes followed by big-endian indices, compared and merged breadth-first.
fn reference_verify(
    params: &EquihashParams,
    input: &[u8],
    indices: &[u32],
) -> Result<(), PowError> {
    let state = EquihashState::new(params, input);
    let cb = params.collision_byte_length();
    let mut rows: Vec<(Vec<u8>, Vec<u8>)> = indices
        .iter()
        .map(|&i| {
            let mut leaf = vec![0u8; 64];
            let len = state
                .leaf_digits(i)
                .write_expanded(params, &mut leaf)
                .unwrap();
            leaf.truncate(len);
            (leaf, i.to_be_bytes().to_vec())
        })
        .collect();
    let mut level = 0;
    while rows.len() > 1 {
        level += 1;
        let mut next = Vec::new();
        for pair in rows.chunks(2) {
            let (a, b) = (&pair[0], &pair[1]);
            if a.0[..cb] != b.0[..cb] {
                return Err(PowError::Collision { level });
            }
            if b.1 < a.1 {
                return Err(PowError::IndexOrder { level });
            }
            let distinct = a.1.chunks(4).all(|x| b.1.chunks(4).all(|y| x != y));
            if !distinct {
                return Err(PowError::DuplicateIndex { level });
            }
            let hash: Vec<u8> = a.0[cb..]
                .iter()
                .zip(&b.0[cb..])
                .map(|(x, y)| x ^ y)
                .collect();
            let mut merged = a.1.clone();
            merged.extend_from_slice(&b.1);
            next.push((hash, merged));
        }
        rows = next;
    }
    if rows[0].0.iter().all(|&b| b == 0) {
        Ok(())
    } else {
        Err(PowError::NonZeroFinalXor)
    }
}

#[derive(Debug, Clone)]
enum Mutation {
    Swap(usize, usize),
    Copy(usize, usize),
    Set(usize, u32),
    ReverseRange(usize, usize),
}

fn apply(indices: &mut [u32], mutation: &Mutation, limit: u32) {
    let n = indices.len();
    match *mutation {
        Mutation::Swap(a, b) => indices.swap(a % n, b % n),
        Mutation::Copy(a, b) => indices[b % n] = indices[a % n],
        Mutation::Set(a, value) => indices[a % n] = value % limit,
        Mutation::ReverseRange(a, b) => {
            let (lo, hi) = ((a % n).min(b % n), (a % n).max(b % n));
            indices[lo..=hi].reverse();
        }
    }
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::Swap(a, b)),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::Copy(a, b)),
        (any::<usize>(), any::<u32>()).prop_map(|(a, v)| Mutation::Set(a, v)),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::ReverseRange(a, b)),
    ]
}

#[test]
fn reference_accepts_every_valid_solution() {
    for (params, input, indices) in valid_solutions() {
        assert_eq!(
            reference_verify(&params, &input, &indices),
            Ok(()),
            "{params}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn verify_never_panics_on_arbitrary_bytes(
        set in 0usize..5,
        input in proptest::collection::vec(any::<u8>(), 0..200),
        solution in proptest::collection::vec(any::<u8>(), 0..120),
        exact_length in any::<bool>(),
    ) {
        let params = EquihashParams::ALL[set];
        let mut solution = solution;
        if exact_length && params.solution_len() <= 120 {
            solution.resize(params.solution_len(), 0);
        }
        let result = verify(&params, &input, &solution);
        if solution.len() != params.solution_len() {
            prop_assert_eq!(result, Err(PowError::SolutionLength {
                expected: params.solution_len(),
                actual: solution.len(),
            }));
        }
    }

    #[test]
    fn arbitrary_parameter_sets_never_panic(
        n in 0u32..600,
        k in 0u32..20,
        twist in any::<bool>(),
        input in proptest::collection::vec(any::<u8>(), 0..16),
        seed in any::<u64>(),
    ) {
        if let Some(params) = EquihashParams::new(n, k, *b"ZcashPoW", twist) {
            // Keep the 2^k-leaf trees small enough to run many cases.
            prop_assume!(params.k() <= 9);
            let limit = params.index_limit();
            let indices: Vec<u32> = (0..params.indices_per_solution() as u64)
                .map(|i| (seed.wrapping_mul(i + 1).rotate_left(17) as u32) % limit)
                .collect();
            let minimal = solution_from_indices(&params, &indices).unwrap();
            prop_assert_eq!(minimal.len(), params.solution_len());
            prop_assert_eq!(solution_indices(&params, &minimal).unwrap(), indices.clone());
            prop_assert_eq!(
                verify(&params, &input, &minimal),
                reference_verify(&params, &input, &indices)
            );
        }
    }

    #[test]
    fn minimal_encoding_round_trips(
        bits in 8u32..=32,
        raw in proptest::collection::vec(any::<u32>(), 0..64),
    ) {
        let mask = if bits == 32 { u32::MAX } else { (1 << bits) - 1 };
        let mut indices: Vec<u32> = raw.iter().map(|i| i & mask).collect();
        // Whole bytes: 8 indices always fill a whole number of bytes.
        indices.truncate(indices.len() / 8 * 8);
        let minimal = minimal_from_indices(bits, &indices).unwrap();
        prop_assert_eq!(minimal.len() * 8, indices.len() * bits as usize);
        prop_assert_eq!(indices_from_minimal(bits, &minimal).unwrap(), indices);
    }

    #[test]
    fn minimal_decoding_round_trips(
        set in 0usize..5,
        bytes in proptest::collection::vec(any::<u8>(), 1344),
    ) {
        let params = EquihashParams::ALL[set];
        let solution = &bytes[..params.solution_len()];
        let indices = solution_indices(&params, solution).unwrap();
        prop_assert!(indices.iter().all(|&i| i < params.index_limit()));
        prop_assert_eq!(solution_from_indices(&params, &indices).unwrap(), solution.to_vec());
    }

    #[test]
    fn mutated_solutions_fail_like_fluxd(
        pick in any::<prop::sample::Index>(),
        mutations in proptest::collection::vec(mutation(), 1..4),
    ) {
        let solutions = valid_solutions();
        let (params, input, mut indices) = pick.get(&solutions).clone();
        for m in &mutations {
            apply(&mut indices, m, params.index_limit());
        }
        let expected = reference_verify(&params, &input, &indices);
        prop_assert_eq!(verify_indices(&params, &input, &indices), expected);
        let minimal = solution_from_indices(&params, &indices).unwrap();
        prop_assert_eq!(verify(&params, &input, &minimal), expected);
    }
}
