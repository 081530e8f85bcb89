//! Fixtures shared by the integration tests: the shared test vectors (`shared/vectors`, beside
//! the workspace) and the blocks decoded from them.
#![allow(dead_code)]

use std::path::PathBuf;

use flux_tx::{Block, FluxDecode};

/// The path of a file of the shared test vectors.
pub fn vector_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/vectors")
        .join(name)
}

/// A JSON file of the shared test vectors, parsed.
pub fn vector_json(name: &str) -> serde_json::Value {
    let path = vector_path(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// The genesis block of `network` (`main`, `test` or `regtest` in `genesis.json`), decoded.
pub fn genesis_block(network: &str) -> Block {
    let json = vector_json("genesis.json");
    let hex = json["networks"][network]["block_hex"]
        .as_str()
        .unwrap_or_else(|| panic!("genesis.json has no {network} block"));
    Block::decode_exact(&hex::decode(hex).expect("hex")).expect("the genesis block decodes")
}
