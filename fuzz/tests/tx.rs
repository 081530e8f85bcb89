//! Replays the transaction and block fuzz checks over the genesis blocks (whole, truncated and
//! with single bytes changed) and over pseudo-random inputs.

use flux_fuzz::Rng;
use flux_fuzz::tx::{check_block, check_fluxnode_transaction, check_header, check_transaction};

const GENESIS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/vectors/genesis.json"
);

#[test]
fn genesis_blocks_and_their_mutations() {
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(GENESIS).unwrap()).unwrap();
    let mut rng = Rng(0x7a_0001);
    for network in ["main", "test", "regtest"] {
        let block = hex::decode(json["networks"][network]["block_hex"].as_str().unwrap()).unwrap();
        let header = hex::decode(
            json["networks"][network]["header_full_hex"]
                .as_str()
                .unwrap(),
        )
        .unwrap();
        check_block(&block);
        check_header(&header);
        check_transaction(&block[header.len() + 1..]);
        for _ in 0..300 {
            let mut mutated = block.clone();
            let at = (rng.next_u64() as usize) % mutated.len();
            mutated[at] = rng.next_u64() as u8;
            check_block(&mutated);
            let cut = (rng.next_u64() as usize) % mutated.len();
            check_block(&mutated[..cut]);
            check_transaction(&mutated[header.len() + 1..]);
        }
    }
}

#[test]
fn pseudo_random_inputs() {
    let mut rng = Rng(0x0bad_5eed);
    for _ in 0..3000 {
        let data = rng.bytes(300);
        check_transaction(&data);
        check_fluxnode_transaction(&data);
        check_header(&data);
        check_block(&data);
    }
}
