//! `flux pow verify` and `flux pow solve`: output contracts and exit codes on the real genesis
//! headers in shared/vectors.

mod common;
use common::flux;

use flux_pow::equihash::{EquihashParams, verify};

const GENESIS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/vectors/genesis.json"
);

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// `(n, k, header_140_hex, solution_hex)` of a network's genesis block.
fn genesis(network: &str) -> (String, String, String, String) {
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(GENESIS).unwrap()).unwrap();
    let block = &json["networks"][network];
    let field = |key: &str| block[key].as_str().unwrap().to_owned();
    (
        block["equihash"]["n"].to_string(),
        block["equihash"]["k"].to_string(),
        field("header_140_hex"),
        field("solution_hex"),
    )
}

#[test]
fn genesis_solutions_verify() {
    for network in ["main", "test", "regtest"] {
        let (n, k, header, solution) = genesis(network);
        let out = flux(&["pow", "verify", &n, &k, &header, &solution]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{network}: {}",
            text(&out.stderr)
        );
        assert_eq!(text(&out.stdout), "valid\n");
    }
}

#[test]
fn a_flipped_bit_is_invalid_with_a_reason() {
    let (n, k, header, solution) = genesis("main");
    let mut bytes = hex::decode(&solution).unwrap();
    bytes[100] ^= 0x04;
    let out = flux(&["pow", "verify", &n, &k, &header, &hex::encode(bytes)]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(stdout.starts_with("invalid: "), "{stdout}");
    assert!(stdout.len() > "invalid: \n".len());
}

#[test]
fn unusable_input_exits_2_with_a_message() {
    let (n, k, header, solution) = genesis("main");
    let cases: [Vec<&str>; 5] = [
        vec!["pow", "verify", &n, &k, "zz", &solution],
        vec!["pow", "verify", &n, &k, &header[..200], &solution],
        vec!["pow", "verify", &n, &k, &header, &solution[..100]],
        vec!["pow", "verify", "201", "9", &header, &solution],
        vec!["pow", "solve", "48", "5", "00"],
    ];
    for args in cases {
        let out = flux(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(text(&out.stderr).starts_with("error: "), "{args:?}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn solve_prints_solutions_that_verify() {
    // The regtest genesis header (48,5): solve it again and find its own solution among them.
    let (_, _, header, genesis_solution) = genesis("regtest");
    let out = flux(&["pow", "solve", "48", "5", &header]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let header_bytes = hex::decode(&header).unwrap();
    let solutions: Vec<String> = text(&out.stdout).lines().map(str::to_owned).collect();
    assert!(solutions.contains(&genesis_solution), "{solutions:?}");
    for solution in &solutions {
        let bytes = hex::decode(solution).unwrap();
        assert_eq!(
            verify(&EquihashParams::EH48_5, &header_bytes, &bytes),
            Ok(())
        );
    }
    assert!(text(&out.stderr).contains("solution(s) in"));

    let one = flux(&["pow", "solve", "48", "5", &header, "--max-solutions", "1"]);
    assert_eq!(text(&one.stdout).lines().count(), 1);
}

#[test]
fn random_headers_report_a_rate() {
    let out = flux(&["pow", "solve", "96", "5", "--random", "--nonces", "3"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let summary = text(&out.stdout);
    assert!(summary.starts_with("solved 3 headers: "), "{summary}");
    assert!(summary.trim_end().ends_with("solutions/s)"), "{summary}");
    assert_eq!(text(&out.stderr).matches("all verified").count(), 3);
}
