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

#[test]
fn threads_flag_solves_the_same_set() {
    let (_, _, header, genesis_solution) = genesis("regtest");
    let sets: Vec<Vec<String>> = ["1", "2"]
        .iter()
        .map(|threads| {
            let out = flux(&["pow", "solve", "48", "5", &header, "--threads", threads]);
            assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
            assert!(
                text(&out.stderr).contains(&format!("on {threads} threads")),
                "{}",
                text(&out.stderr)
            );
            let mut set: Vec<String> = text(&out.stdout).lines().map(str::to_owned).collect();
            set.sort();
            set
        })
        .collect();
    assert!(sets[0].contains(&genesis_solution));
    assert_eq!(sets[0], sets[1]);

    let zero = flux(&["pow", "solve", "48", "5", &header, "--threads", "0"]);
    assert_eq!(zero.status.code(), Some(2));
    assert!(zero.stdout.is_empty());
}

/// With a header, `--nonces C` solves it and the next C - 1 headers, the first nonce word
/// (bytes 108..112, little-endian) counted up: every solution printed verifies against one of
/// them, and each header's line says which.
#[test]
fn nonces_count_up_the_first_nonce_word() {
    let (_, _, header, genesis_solution) = genesis("regtest");
    // Nonce words 23 to 25 have no solution, 26 and 27 have some.
    let out = flux(&["pow", "solve", "48", "5", &header, "--nonces", "6"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    // The regtest genesis nonce word is 22 (0x16).
    for word in 22..28 {
        assert!(stderr.contains(&format!("nonce word {word}: ")), "{stderr}");
    }
    let headers: Vec<Vec<u8>> = (0u8..6)
        .map(|step| {
            let mut bytes = hex::decode(&header).unwrap();
            bytes[108] += step;
            bytes
        })
        .collect();
    let solutions: Vec<String> = text(&out.stdout).lines().map(str::to_owned).collect();
    assert!(solutions.contains(&genesis_solution));
    let mut later_headers = 0;
    for solution in &solutions {
        let bytes = hex::decode(solution).unwrap();
        let position = headers
            .iter()
            .position(|h| verify(&EquihashParams::EH48_5, h, &bytes).is_ok())
            .unwrap_or_else(|| panic!("{solution} verifies against none of the headers"));
        later_headers += usize::from(position > 0);
    }
    assert!(later_headers > 0, "{solutions:?}");
}

/// `flux pow solve ... | head -1`: once the reader has gone, the solve stops and the command
/// exits 0 with nothing on stderr but its progress lines.
#[test]
fn a_closed_stdout_ends_the_solve_quietly() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    let (_, _, header, _) = genesis("regtest");
    // Far more solution lines than a pipe holds, so the solver is still writing when the
    // reader goes away.
    let mut child = Command::new(env!("CARGO_BIN_EXE_flux"))
        .args(["pow", "solve", "48", "5", &header, "--nonces", "20000"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert_eq!(
        first.trim().len(),
        2 * EquihashParams::EH48_5.solution_len()
    );
    // The reader is dropped above: standard output is closed.
    let out = child.wait_with_output().unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr
            .lines()
            .all(|line| line.starts_with("solving equihash") || line.starts_with("nonce word ")),
        "{stderr}"
    );
    assert!(
        stderr.matches("nonce word ").count() < 20000,
        "it never stopped"
    );
}
