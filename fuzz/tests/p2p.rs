//! Replays the P2P frame check over real messages (the mainnet genesis block as `block`, a
//! `headers` and a `ping`), their truncations and single-byte mutations, and pseudo-random input.

use flux_fuzz::Rng;
use flux_fuzz::p2p::check_p2p_frame;
use flux_tx::encode::FluxDecode;
use flux_tx::p2p::{CompactBlock, NetworkMessage, PrefilledTransaction, ShortTxId};
use flux_tx::{Block, Transaction};

const GENESIS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/vectors/genesis.json"
);
const MAINNET: [u8; 4] = [0x24, 0xe9, 0x27, 0x64];

fn seed_frames() -> Vec<Vec<u8>> {
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(GENESIS).unwrap()).unwrap();
    let block_hex = json["networks"]["main"]["block_hex"].as_str().unwrap();
    let block = Block::decode_exact(&hex::decode(block_hex).unwrap()).unwrap();
    let coinbase: Transaction = block.transactions[0].clone();
    let compact = CompactBlock {
        header: block.header.clone(),
        nonce: 7,
        short_ids: vec![ShortTxId([1; 6])],
        prefilled: vec![PrefilledTransaction {
            index_delta: 0,
            transaction: coinbase.clone(),
        }],
    };
    [
        NetworkMessage::CompactBlock(compact),
        NetworkMessage::Headers(vec![block.header.clone()]),
        NetworkMessage::Block(block),
        NetworkMessage::Tx(coinbase),
        NetworkMessage::Ping(0x0123_4567_89ab_cdef),
        NetworkMessage::Verack,
    ]
    .iter()
    .map(|message| message.encode_frame(MAINNET).unwrap())
    .collect()
}

#[test]
fn real_frames_and_their_mutations() {
    let mut rng = Rng(0x7a_0018);
    for frame in seed_frames() {
        check_p2p_frame(&frame);
        for _ in 0..300 {
            let mut mutated = frame.clone();
            let at = (rng.next_u64() as usize) % mutated.len();
            mutated[at] = rng.next_u64() as u8;
            check_p2p_frame(&mutated);
            let cut = (rng.next_u64() as usize) % mutated.len();
            check_p2p_frame(&mutated[..cut]);
        }
    }
}

#[test]
fn pseudo_random_inputs() {
    let mut rng = Rng(0x0bad_5eed);
    for _ in 0..3000 {
        let mut data = MAINNET.to_vec();
        data.extend_from_slice(&rng.bytes(300));
        check_p2p_frame(&data);
        check_p2p_frame(&data[4..]);
    }
}
