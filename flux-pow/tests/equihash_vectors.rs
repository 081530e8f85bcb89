//! Equihash against every vector in `shared/vectors`: fluxd's own unit-test vectors, solutions
//! made by fluxd's solver for 125,4 (ZelHash) and 144,5, and the three genesis blocks.

use flux_pow::equihash::{
    EquihashParams, EquihashState, PowError, expand_digits, indices_from_minimal,
    minimal_from_indices, solution_from_indices, solution_indices, verify, verify_indices,
};
use serde_json::Value;

mod common;
use common::vectors;

fn hex(value: &Value) -> Vec<u8> {
    hex::decode(value.as_str().expect("hex string")).expect("valid hex")
}

fn indices(value: &Value) -> Vec<u32> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|i| u32::try_from(i.as_u64().unwrap()).unwrap())
        .collect()
}

fn params_for(n: u64, k: u64) -> EquihashParams {
    EquihashParams::ALL
        .into_iter()
        .find(|p| u64::from(p.n()) == n && u64::from(p.k()) == k)
        .unwrap_or_else(|| panic!("no parameter set {n},{k}"))
}

/// The rule a vector's `reason` names, as our error kind.
fn reason_matches(reason: &str, error: PowError) -> bool {
    matches!(
        (reason, error),
        ("collision", PowError::Collision { .. })
            | ("order", PowError::IndexOrder { .. })
            | ("duplicate", PowError::DuplicateIndex { .. })
            | ("nonzero", PowError::NonZeroFinalXor)
            | ("bad-length", PowError::SolutionLength { .. })
    )
}

#[test]
fn fluxd_solver_vectors_verify_and_round_trip() {
    let file = vectors("fluxd_equihash_vectors.json");
    let mut checked = 0;
    for set in file["solver_vectors"].as_array().unwrap() {
        let params = params_for(set["n"].as_u64().unwrap(), set["k"].as_u64().unwrap());
        assert_eq!(
            params.personalization().to_vec(),
            hex(&set["personalization"])
        );
        let input = hex(&set["hashed_prefix_hex"]);
        for solution in set["solutions"].as_array().unwrap() {
            let expected_indices = indices(&solution["indices"]);
            let minimal = hex(&solution["soln_hex"]);
            assert_eq!(
                solution_indices(&params, &minimal).unwrap(),
                expected_indices
            );
            assert_eq!(
                solution_from_indices(&params, &expected_indices).unwrap(),
                minimal
            );
            assert_eq!(verify(&params, &input, &minimal), Ok(()));
            assert_eq!(verify_indices(&params, &input, &expected_indices), Ok(()));
            checked += 1;
        }
    }
    assert!(checked >= 26, "only {checked} solver solutions");
}

#[test]
fn fluxd_validator_vectors_give_the_expected_verdict_and_rule() {
    let file = vectors("fluxd_equihash_vectors.json");
    let cases = file["validator_vectors"].as_array().unwrap();
    assert_eq!(cases.len(), 10);
    for case in cases {
        let params = params_for(case["n"].as_u64().unwrap(), case["k"].as_u64().unwrap());
        let mut input = case["input_utf8"].as_str().unwrap().as_bytes().to_vec();
        input.extend_from_slice(&hex(&case["nonce_hex"]));
        let minimal = hex(&case["soln_hex"]);
        assert_eq!(
            solution_indices(&params, &minimal).unwrap(),
            indices(&case["indices"])
        );
        let result = verify(&params, &input, &minimal);
        let name = case["comment"].as_str().unwrap();
        if case["expected"].as_bool().unwrap() {
            assert_eq!(result, Ok(()), "{name}");
        } else {
            let reason = case["reason"].as_str().unwrap();
            let error = result.expect_err(name);
            assert!(
                reason_matches(reason, error),
                "{name}: expected {reason}, got {error:?}"
            );
        }
    }
}

#[test]
fn fluxd_minimal_representation_vectors() {
    let file = vectors("fluxd_equihash_vectors.json");
    for case in file["minimal_representation_vectors"].as_array().unwrap() {
        let bits = u32::try_from(case["index_bits"].as_u64().unwrap()).unwrap();
        let expected = indices(&case["indices"]);
        let minimal = hex(&case["minimal_hex"]);
        assert_eq!(
            indices_from_minimal(bits, &minimal).unwrap(),
            expected,
            "{}",
            case["name"]
        );
        assert_eq!(
            minimal_from_indices(bits, &expected).unwrap(),
            minimal,
            "{}",
            case["name"]
        );
    }
}

#[test]
fn generated_zelhash_and_144_5_solutions_verify() {
    let file = vectors("generated_zelhash_vectors.json");
    let mut checked = 0;
    for set in file["valid"].as_array().unwrap() {
        let params = params_for(set["n"].as_u64().unwrap(), set["k"].as_u64().unwrap());
        assert_eq!(
            params.personalization().to_vec(),
            hex(&set["personalization_hex"])
        );
        assert_eq!(params.twist(), set["twist"].as_bool().unwrap());
        let input = hex(&set["input_hex"]);
        assert_eq!(input.len(), 140);
        for solution in set["solutions"].as_array().unwrap() {
            let expected_indices = indices(&solution["indices"]);
            let minimal = hex(&solution["soln_hex"]);
            assert_eq!(
                solution_indices(&params, &minimal).unwrap(),
                expected_indices
            );
            assert_eq!(
                solution_from_indices(&params, &expected_indices).unwrap(),
                minimal
            );
            assert_eq!(verify(&params, &input, &minimal), Ok(()));
            checked += 1;
        }
    }
    assert_eq!(checked, 13);
}

#[test]
fn generated_invalid_solutions_fail_on_the_named_rule() {
    let file = vectors("generated_zelhash_vectors.json");
    let cases = file["invalid"].as_array().unwrap();
    assert_eq!(cases.len(), 23);
    for case in cases {
        let name = case["description"].as_str().unwrap();
        let mut params = params_for(case["n"].as_u64().unwrap(), case["k"].as_u64().unwrap());
        // The implementation-mistake cases name the deviation in their description.
        if name.contains("WITHOUT the twist") {
            params =
                EquihashParams::new(params.n(), params.k(), params.personalization_tag(), false)
                    .unwrap();
        } else if name.contains("'ZcashPoW'") {
            params =
                EquihashParams::new(params.n(), params.k(), *b"ZcashPoW", params.twist()).unwrap();
        }
        let input = hex(&case["input_hex"]);
        let minimal = hex(&case["soln_hex"]);
        let reason = case["reason"].as_str().unwrap();
        assert!(!case["expected_valid"].as_bool().unwrap());
        let error = verify(&params, &input, &minimal).expect_err(name);
        assert!(
            reason_matches(reason, error),
            "{name}: expected {reason}, got {error:?}"
        );
    }
}

#[test]
fn zelhash_twist_intermediates() {
    let file = vectors("generated_zelhash_vectors.json");
    let twist = &file["twist_hashes"];
    let input = hex(&twist["input_hex"]);
    let state = EquihashState::new(&EquihashParams::ZELHASH, &input);
    for entry in twist["entries"].as_array().unwrap() {
        let g = u32::try_from(entry["g"].as_u64().unwrap()).unwrap();
        assert_eq!(
            state.plain_hash(g).as_bytes(),
            hex(&entry["plain_blake2b"]),
            "g={g}"
        );
        assert_eq!(state.hash(g).as_bytes(), hex(&entry["twisted"]), "g={g}");
    }
    for leaf in file["leaf_expansion"].as_array().unwrap() {
        let index = u32::try_from(leaf["index"].as_u64().unwrap()).unwrap();
        assert_eq!(
            state.hash_index_of(index),
            u32::try_from(leaf["g"].as_u64().unwrap()).unwrap()
        );
        let slice = state.index_slice(index);
        assert_eq!(slice.as_bytes(), hex(&leaf["slice_hex"]));
        let digits = expand_digits(&EquihashParams::ZELHASH, slice.as_bytes());
        let mut expanded = [0u8; 64];
        let written = digits
            .write_expanded(&EquihashParams::ZELHASH, &mut expanded)
            .unwrap();
        assert_eq!(&expanded[..written], hex(&leaf["leaf_hex"]));
        assert_eq!(state.leaf_digits(index), digits);
    }
}

#[test]
fn genesis_blocks_verify_from_their_header_bytes() {
    let file = vectors("genesis.json");
    for (network, expected) in [
        ("main", EquihashParams::EH200_9),
        ("test", EquihashParams::EH200_9),
        ("regtest", EquihashParams::EH48_5),
    ] {
        let genesis = &file["networks"][network];
        let header = hex(&genesis["header_140_hex"]);
        let full = hex(&genesis["header_full_hex"]);
        let solution = hex(&genesis["solution_hex"]);
        assert_eq!(header.len(), 140);
        assert_eq!(&full[..140], &header[..]);
        assert!(full.ends_with(&solution));
        let params = EquihashParams::from_solution_len(solution.len()).unwrap();
        assert_eq!(params, expected, "{network}");
        assert_eq!(
            params.personalization().to_vec(),
            hex(&genesis["equihash"]["personalization_hex"])
        );
        assert_eq!(verify(&params, &header, &solution), Ok(()), "{network}");
    }
}

/// librustzcash's `all_bits_matter`: no valid solution survives flipping any one of its bits.
#[test]
fn flipping_any_solution_bit_is_rejected() {
    let zelhash = vectors("generated_zelhash_vectors.json");
    let genesis = vectors("genesis.json");
    let mut cases: Vec<(EquihashParams, Vec<u8>, Vec<u8>)> = Vec::new();
    for set in zelhash["valid"].as_array().unwrap() {
        let params = params_for(set["n"].as_u64().unwrap(), set["k"].as_u64().unwrap());
        let solution = &set["solutions"][0];
        cases.push((params, hex(&set["input_hex"]), hex(&solution["soln_hex"])));
    }
    for network in ["main", "regtest"] {
        let g = &genesis["networks"][network];
        let solution = hex(&g["solution_hex"]);
        let params = EquihashParams::from_solution_len(solution.len()).unwrap();
        cases.push((params, hex(&g["header_140_hex"]), solution));
    }
    for (params, input, solution) in cases {
        assert_eq!(verify(&params, &input, &solution), Ok(()));
        for bit in 0..solution.len() * 8 {
            let mut flipped = solution.clone();
            flipped[bit / 8] ^= 0x80 >> (bit % 8);
            assert!(
                verify(&params, &input, &flipped).is_err(),
                "{params}: bit {bit} flipped"
            );
        }
    }
}
