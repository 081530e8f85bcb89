//! Addresses and WIF keys: a key whose address is public knowledge, the genesis coinbase key
//! from `shared/vectors/genesis.json`, and property round trips.

use flux_tx::address::{Address, AddressError, Payload};
use flux_tx::keys::{PrivateKey, PublicKey, hash160};
use flux_tx::{Network, base58};
use proptest::prelude::*;

mod common;

/// The 65-byte public key paid by the genesis coinbase (`push65 <key> OP_CHECKSIG`).
fn genesis_coinbase_key() -> PublicKey {
    let json = common::vectors::json("genesis.json");
    let tx = hex::decode(json["coinbase_tx_hex"].as_str().unwrap()).unwrap();
    // The single output script is the last 67 bytes before the 4-byte lock time: 0x41 <65> 0xac.
    let script = &tx[tx.len() - 4 - 67..tx.len() - 4];
    assert_eq!((script[0], script[66]), (0x41, 0xac));
    PublicKey::from_slice(&script[1..66]).unwrap()
}

#[test]
fn genesis_key_hash_matches_its_well_known_bitcoin_address() {
    // Flux's genesis coinbase pays Bitcoin's genesis key, whose P2PKH address (version 0x00) is
    // the well-known 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa: this pins HASH160 and Base58Check.
    let key = genesis_coinbase_key();
    assert!(!key.is_compressed());
    let mut payload = vec![0x00];
    payload.extend_from_slice(&hash160(&key.to_bytes()));
    assert_eq!(
        base58::encode_check(&payload),
        "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"
    );

    let flux = Address::from_public_key(&key, Network::Mainnet);
    let text = flux.to_string();
    assert!(text.starts_with("t1"), "{text}");
    assert_eq!(Address::parse(&text, Network::Mainnet), Ok(flux));
    assert_eq!(flux.payload(), &Payload::PubKeyHash(key.pubkey_hash()));

    // The genesis output is a bare public-key script; ExtractDestination gives the key's address.
    let mut p2pk = vec![0x41];
    p2pk.extend_from_slice(&key.to_bytes());
    p2pk.push(0xac);
    let script = flux_tx::Script::from(p2pk);
    assert_eq!(Address::from_script(&script, Network::Mainnet), Some(flux));
    assert_eq!(
        Address::from_script(&flux.script_pubkey(), Network::Mainnet),
        Some(flux)
    );
}

#[test]
fn secret_one_has_its_well_known_wif_and_bitcoin_addresses() {
    // Private key 1 is a standard example: compressed WIF
    // KwDiBf89QgGbjEhKnhXJuH7LrciVrZi3qYjgd9M7rFU73sVHnoWn, uncompressed
    // 5HpHagT65TZzG1PH3CSu63k8DbpvD8s5ip4nEB3kEsreAnchuDf, addresses
    // 1BgGZ9tcN4rm9KBzDn7KprQz87SZ26SAMH and 1EHNa6Q4Jz2uvNExL497mE43ikXhwF6kZm.
    let mut secret = [0u8; 32];
    secret[31] = 1;
    let compressed = PrivateKey::from_secret_bytes(secret, true).unwrap();
    let uncompressed = PrivateKey::from_secret_bytes(secret, false).unwrap();
    assert_eq!(
        compressed.to_wif(Network::Mainnet),
        "KwDiBf89QgGbjEhKnhXJuH7LrciVrZi3qYjgd9M7rFU73sVHnoWn"
    );
    assert_eq!(
        uncompressed.to_wif(Network::Mainnet),
        "5HpHagT65TZzG1PH3CSu63k8DbpvD8s5ip4nEB3kEsreAnchuDf"
    );
    for (key, want) in [
        (&compressed, "1BgGZ9tcN4rm9KBzDn7KprQz87SZ26SAMH"),
        (&uncompressed, "1EHNa6Q4Jz2uvNExL497mE43ikXhwF6kZm"),
    ] {
        let mut payload = vec![0x00];
        payload.extend_from_slice(&key.public_key().pubkey_hash());
        assert_eq!(base58::encode_check(&payload), want);
    }
    assert_eq!(
        PrivateKey::from_wif(
            "KwDiBf89QgGbjEhKnhXJuH7LrciVrZi3qYjgd9M7rFU73sVHnoWn",
            Network::Mainnet
        ),
        Ok(compressed)
    );
}

#[test]
fn every_character_change_of_an_address_is_caught() {
    let address = Address::new(Network::Mainnet, Payload::PubKeyHash([0x5a; 20])).to_string();
    let alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    for (i, original) in address.char_indices() {
        for replacement in alphabet.chars().filter(|&c| c != original) {
            let mut mutated = address.clone();
            mutated.replace_range(i..i + 1, &replacement.to_string());
            assert!(Address::parse_any(&mutated).is_err(), "{mutated}");
        }
    }
    assert!(matches!(
        Address::parse_any("t1"),
        Err(AddressError::Base58(_))
    ));
}

proptest! {
    #[test]
    fn base58_round_trips(data in proptest::collection::vec(any::<u8>(), 0..80)) {
        prop_assert_eq!(base58::decode(&base58::encode(&data)).unwrap(), data.clone());
        prop_assert_eq!(base58::decode_check(&base58::encode_check(&data)).unwrap(), data);
    }

    #[test]
    fn address_round_trips(hash in any::<[u8; 20]>(), script in any::<bool>(), net in 0usize..3) {
        let network = Network::ALL[net];
        let payload = if script { Payload::ScriptHash(hash) } else { Payload::PubKeyHash(hash) };
        let address = Address::new(network, payload);
        prop_assert_eq!(Address::parse(&address.to_string(), network), Ok(address));
        prop_assert_eq!(Address::from_script_bytes(&address.script_pubkey_bytes(), network), Some(address));
    }

    #[test]
    fn wif_round_trips(secret in any::<[u8; 32]>(), compressed in any::<bool>(), net in 0usize..3) {
        let network = Network::ALL[net];
        if let Ok(key) = PrivateKey::from_secret_bytes(secret, compressed) {
            prop_assert_eq!(PrivateKey::from_wif(&key.to_wif(network), network), Ok(key));
        }
    }

    #[test]
    fn base58_decode_never_panics(s in ".{0,120}") {
        let _ = base58::decode_check(&s);
        let _ = Address::parse_any(&s);
        let _ = PrivateKey::from_wif_any(&s);
    }
}
