//! Blocks and transactions on real data: the three genesis blocks decode, re-encode byte for
//! byte, and give the daemon's merkle roots and block hashes; the builder's transactions verify
//! with the script interpreter; malformed and random bytes give errors, never panics.

use flux_pow::equihash::{EquihashParams, verify};
use flux_tx::address::Address;
use flux_tx::builder::{BuildError, Utxo, build_p2pkh};
use flux_tx::encode::{DecodeError, FluxDecode, FluxEncode};
use flux_tx::keys::PrivateKey;
use flux_tx::script::interpreter::VerifyFlags;
use flux_tx::sign::verify_input;
use flux_tx::{
    Amount, Block, BlockHash, BlockHeader, BlockHeight, MerkleRoot, Network, NetworkUpgrade,
    OutPoint, Transaction, Txid,
};

mod common;

fn genesis() -> serde_json::Value {
    common::vectors::json("genesis.json")
}

#[test]
fn genesis_blocks_round_trip_and_hash_like_the_daemon() {
    let json = genesis();
    let coinbase_txid: Txid = json["coinbase_txid"].as_str().unwrap().parse().unwrap();
    for network in ["main", "test", "regtest"] {
        let vector = &json["networks"][network];
        let bytes = hex::decode(vector["block_hex"].as_str().unwrap()).unwrap();
        let block = Block::decode_exact(&bytes).unwrap();
        assert_eq!(block.encoded(), bytes, "{network}: re-encoding");

        let expected_hash: BlockHash = vector["expected_hash"].as_str().unwrap().parse().unwrap();
        assert_eq!(block.hash(), expected_hash, "{network}");
        let expected_root: MerkleRoot = vector["merkle_root"].as_str().unwrap().parse().unwrap();
        assert_eq!(
            block.compute_merkle_root(),
            (expected_root, false),
            "{network}"
        );
        assert_eq!(block.header.merkle_root, expected_root);
        assert_eq!(block.transactions.len(), 1);
        assert_eq!(block.transactions[0].txid(), coinbase_txid);
        assert!(block.transactions[0].is_coinbase());
        assert_eq!(block.header.time as u64, vector["time"].as_u64().unwrap());

        // The header alone, and the 140-byte Equihash input it yields.
        let header_bytes = hex::decode(vector["header_full_hex"].as_str().unwrap()).unwrap();
        let header = BlockHeader::decode_exact(&header_bytes).unwrap();
        assert_eq!(header, block.header);
        let prefix = header.pow_prefix().unwrap();
        assert_eq!(
            hex::encode(prefix),
            vector["header_140_hex"].as_str().unwrap()
        );
        let params = EquihashParams::from_solution_len(header.solution().unwrap().len()).unwrap();
        assert_eq!(verify(&params, &prefix, header.solution().unwrap()), Ok(()));
    }
    let coinbase = hex::decode(json["coinbase_tx_hex"].as_str().unwrap()).unwrap();
    let tx = Transaction::decode_exact(&coinbase).unwrap();
    assert_eq!(tx.encoded(), coinbase);
    assert_eq!(tx.txid(), coinbase_txid);
    assert_eq!(tx.outputs()[0].amount(), Some(Amount::ZERO));
}

#[test]
fn truncated_and_padded_blocks_are_errors() {
    let json = genesis();
    let bytes = hex::decode(json["networks"]["main"]["block_hex"].as_str().unwrap()).unwrap();
    for cut in [0, 1, 80, 140, 141, 500, bytes.len() - 1] {
        assert!(
            matches!(
                Block::decode_exact(&bytes[..cut]),
                Err(DecodeError::UnexpectedEnd { .. } | DecodeError::CountExceedsData { .. })
            ),
            "cut at {cut}"
        );
    }
    let mut padded = bytes.clone();
    padded.push(0);
    assert_eq!(
        Block::decode_exact(&padded),
        Err(DecodeError::TrailingBytes(1))
    );
    // A transaction count the remaining bytes cannot hold is refused before allocating.
    let header_len = hex::decode(
        json["networks"]["main"]["header_full_hex"]
            .as_str()
            .unwrap(),
    )
    .unwrap()
    .len();
    let mut lying = bytes[..header_len].to_vec();
    lying.extend_from_slice(&[0xfe, 0xff, 0xff, 0xff, 0x01]);
    assert!(Block::decode_exact(&lying).is_err());
}

#[test]
fn built_transactions_verify_and_round_trip() {
    let key = PrivateKey::from_secret_bytes([0x42; 32], true).unwrap();
    let network = Network::Mainnet;
    let mine = Address::from_public_key(&key.public_key(), network);
    let other = Address::from_public_key(
        &PrivateKey::from_secret_bytes([0x43; 32], true)
            .unwrap()
            .public_key(),
        network,
    );
    let utxos: Vec<Utxo> = (0..2u8)
        .map(|i| Utxo {
            outpoint: OutPoint {
                txid: Txid([i + 1; 32]),
                index: u32::from(i),
            },
            amount: Amount::from_flux(5).unwrap(),
            script_pubkey: mine.script_pubkey(),
        })
        .collect();
    let height = BlockHeight(1_700_000);
    let fee = Amount::from_zat(1_000).unwrap();
    let tx = build_p2pkh(
        &key,
        &utxos,
        &[(other, Amount::from_flux(7).unwrap())],
        fee,
        &mine,
        network,
        height,
    )
    .unwrap();
    assert!(tx.is_sapling_v4());
    assert_eq!(Transaction::decode_exact(&tx.encoded()).unwrap(), tx);
    let branch = NetworkUpgrade::branch_id_at(network, height);
    for (index, utxo) in utxos.iter().enumerate() {
        verify_input(
            &tx,
            index,
            utxo.script_pubkey.as_bytes(),
            utxo.amount.zat(),
            VerifyFlags::STANDARD,
            branch,
        )
        .unwrap();
        // The signature commits to the amount and the branch id.
        assert!(
            verify_input(
                &tx,
                index,
                utxo.script_pubkey.as_bytes(),
                1,
                VerifyFlags::STANDARD,
                branch
            )
            .is_err()
        );
        assert!(
            verify_input(
                &tx,
                index,
                utxo.script_pubkey.as_bytes(),
                utxo.amount.zat(),
                VerifyFlags::STANDARD,
                0
            )
            .is_err()
        );
    }
    let paid: i64 = tx.outputs().iter().map(|o| o.value).sum();
    assert_eq!(paid + fee.zat(), 10 * flux_tx::COIN);

    assert_eq!(
        build_p2pkh(
            &key,
            &utxos,
            &[(other, Amount::from_flux(11).unwrap())],
            fee,
            &mine,
            network,
            height
        ),
        Err(BuildError::InsufficientFunds {
            available: Amount::from_flux(10).unwrap(),
            needed: Amount::from_zat(11 * flux_tx::COIN + 1_000).unwrap(),
        })
    );
    let mut foreign = utxos.clone();
    foreign[1].script_pubkey = other.script_pubkey();
    assert_eq!(
        build_p2pkh(
            &key,
            &foreign,
            &[(other, Amount::from_flux(1).unwrap())],
            fee,
            &mine,
            network,
            height
        ),
        Err(BuildError::ForeignUtxo { index: 1 })
    );
}
