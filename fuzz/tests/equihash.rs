//! Replays the Equihash and compact-bits fuzz checks over the real genesis solutions (and their
//! one-bit mutations) and over pseudo-random inputs.

use flux_fuzz::Rng;
use flux_fuzz::equihash::{check_compact, check_verify};

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
    check_verify(&data);
    for bit in 0..solution.len() * 8 {
        let mut mutated = data.clone();
        mutated[1 + 140 + bit / 8] ^= 1 << (bit % 8);
        check_verify(&mutated);
    }
}

#[test]
fn pseudo_random_inputs() {
    let mut rng = Rng(0xe9_1ba5_u64);
    for _ in 0..2000 {
        let data = rng.bytes(260);
        check_verify(&data);
        check_compact(&data);
    }
}
