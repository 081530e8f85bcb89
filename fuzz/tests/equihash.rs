//! Replays the Equihash and compact-bits fuzz checks over the real genesis solutions (and their
//! one-bit mutations) and over pseudo-random inputs.

use flux_fuzz::Rng;
use flux_fuzz::equihash::{check_compact, check_verify, params_of};

const GENESIS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/vectors/genesis.json"
);

#[test]
fn real_solutions_and_their_mutations() {
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(GENESIS).unwrap()).unwrap();
    let regtest = &json["networks"]["regtest"];
    let header = hex::decode(regtest["header_140_hex"].as_str().unwrap()).unwrap();
    let solution = hex::decode(regtest["solution_hex"].as_str().unwrap()).unwrap();
    let mut data = vec![0u8]; // selector 0: 48,5
    data.extend_from_slice(&header);
    data.extend_from_slice(&solution);
    assert!(check_verify(&data));
    for bit in 0..solution.len() * 8 {
        let mut mutated = data.clone();
        mutated[1 + 140 + bit / 8] ^= 1 << (bit % 8);
        assert!(check_verify(&mutated), "bit {bit}");
    }
}

/// Pseudo-random headers with solutions of the selected set's length three times in four (a
/// random length almost never matches, and only a matching one reaches the reference), and of a
/// random length otherwise.
#[test]
fn pseudo_random_inputs() {
    let mut rng = Rng(0xe9_1ba5_u64);
    let cases = 2000;
    let mut compared = 0;
    for _ in 0..cases {
        let selector = rng.next_u64() as u8;
        let mut data = vec![selector];
        data.extend((0..140).map(|_| rng.next_u64() as u8));
        let solution = if rng.next_u64().is_multiple_of(4) {
            rng.bytes(120)
        } else {
            let len = params_of(selector).solution_len();
            (0..len).map(|_| rng.next_u64() as u8).collect()
        };
        data.extend_from_slice(&solution);
        if check_verify(&data) {
            compared += 1;
        }
        check_compact(&data);
        let short = rng.bytes(260);
        check_verify(&short);
        check_compact(&short);
    }
    // Most cases must reach the reference comparison, not just the length check.
    assert!(
        compared * 2 > cases,
        "{compared} of {cases} reached the reference"
    );
}
