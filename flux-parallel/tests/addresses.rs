//! Per-chain addresses: EIP-55's published examples, keys with known addresses, cross-checks
//! between encodings, and one test per error variant.

use flux_parallel::address::TRON_VERSION_BYTE;
use flux_parallel::{AddressError, Chain, ChainAddress};

mod common;

const EVM_CHAINS: [Chain; 5] = [
    Chain::Ethereum,
    Chain::Bsc,
    Chain::Avalanche,
    Chain::Polygon,
    Chain::Base,
];

fn secp_public_key(secret_hex: &str) -> secp256k1::PublicKey {
    let mut secret = [0u8; 32];
    hex::decode_to_slice(secret_hex, &mut secret).unwrap();
    let secret = secp256k1::SecretKey::from_secret_bytes(secret).unwrap();
    secp256k1::PublicKey::from_secret_key(&secret)
}

/// RFC 8032 section 7.1, test 1.
const RFC8032_SECRET: &str = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
const RFC8032_PUBLIC: &str = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";

fn rfc8032_public() -> [u8; 32] {
    let mut public = [0u8; 32];
    hex::decode_to_slice(RFC8032_PUBLIC, &mut public).unwrap();
    public
}

#[test]
fn eip55_published_examples_are_valid_and_normal() {
    let data = common::data_json("eip55.json");
    for address in data["checksummed"].as_array().unwrap() {
        let address = address.as_str().unwrap();
        for chain in EVM_CHAINS {
            let parsed = ChainAddress::parse(chain, address).unwrap();
            assert_eq!(parsed.as_str(), address);
        }
        // The same bytes in lower case carry no checksum: accepted and normalised.
        let lower = format!("0x{}", address[2..].to_ascii_lowercase());
        assert_eq!(
            ChainAddress::parse(Chain::Ethereum, &lower)
                .unwrap()
                .as_str(),
            address
        );
    }
}

#[test]
fn eip55_flipping_the_case_of_one_letter_breaks_the_checksum() {
    let data = common::data_json("eip55.json");
    let mut checked = 0;
    for address in data["checksummed"].as_array().unwrap() {
        let address = address.as_str().unwrap();
        let mixed = address[2..].bytes().any(|b| b.is_ascii_lowercase())
            && address[2..].bytes().any(|b| b.is_ascii_uppercase());
        if !mixed {
            continue;
        }
        for (i, c) in address.char_indices().skip(2) {
            if !c.is_ascii_alphabetic() {
                continue;
            }
            let mut flipped = address.to_owned();
            let swapped = if c.is_ascii_uppercase() {
                c.to_ascii_lowercase()
            } else {
                c.to_ascii_uppercase()
            };
            flipped.replace_range(i..=i, &swapped.to_string());
            assert_eq!(
                ChainAddress::parse(Chain::Ethereum, &flipped),
                Err(AddressError::BadChecksum),
                "{flipped}"
            );
            checked += 1;
        }
    }
    assert!(checked > 40);
}

#[test]
fn evm_addresses_of_known_keys_compressed_and_uncompressed() {
    let data = common::data_json("eip55.json");
    for case in data["derived"].as_array().unwrap() {
        let key = secp_public_key(case["secret_hex"].as_str().unwrap());
        let expected = case["evm"].as_str().unwrap();
        for bytes in [
            key.serialize().to_vec(),
            key.serialize_uncompressed().to_vec(),
        ] {
            for chain in EVM_CHAINS {
                let derived = ChainAddress::from_public_key(chain, &bytes).unwrap();
                assert_eq!(derived.as_str(), expected);
            }
        }
    }
}

#[test]
fn tron_address_is_base58check_of_0x41_and_the_evm_bytes() {
    for secret in ["01", "02", "2a", "ff"] {
        let key = secp_public_key(&format!("{secret:0>64}"));
        let evm = ChainAddress::from_public_key(Chain::Ethereum, &key.serialize()).unwrap();
        let tron = ChainAddress::from_public_key(Chain::Tron, &key.serialize()).unwrap();
        // Second way: decode the Tron text with flux-tx's independent Base58Check.
        let decoded = flux_tx::base58::decode_check(tron.as_str()).unwrap();
        assert_eq!(decoded[0], TRON_VERSION_BYTE);
        assert_eq!(
            hex::encode(&decoded[1..]),
            evm.as_str()[2..].to_ascii_lowercase()
        );
        assert!(tron.as_str().starts_with('T') && tron.as_str().len() == 34);
        assert_eq!(
            ChainAddress::parse(Chain::Tron, tron.as_str()).unwrap(),
            tron
        );
    }
}

#[test]
fn tron_usdt_contract_address() {
    // The USDT TRC-20 contract, published by Tether and Tronscan as TR7NHq... = 41a614f8...
    let address = ChainAddress::parse(Chain::Tron, "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t").unwrap();
    let decoded = flux_tx::base58::decode_check(address.as_str()).unwrap();
    assert_eq!(
        hex::encode(decoded),
        "41a614f803b6fd780986a42c78ec9c7f77e6ded13c"
    );
}

#[test]
fn ed25519_chains_from_the_rfc8032_key() {
    let mut secret = [0u8; 32];
    hex::decode_to_slice(RFC8032_SECRET, &mut secret).unwrap();
    // Two ways to the public key: the RFC's value and dalek's derivation from the secret.
    let derived = ed25519_dalek::SigningKey::from_bytes(&secret).verifying_key();
    assert_eq!(derived.to_bytes(), rfc8032_public());
    let public = rfc8032_public();

    let kadena = ChainAddress::from_public_key(Chain::Kadena, &public).unwrap();
    assert_eq!(kadena.as_str(), format!("k:{RFC8032_PUBLIC}"));
    assert_eq!(
        ChainAddress::parse(Chain::Kadena, kadena.as_str()).unwrap(),
        kadena
    );

    let solana = ChainAddress::from_public_key(Chain::Solana, &public).unwrap();
    assert_eq!(flux_tx::base58::decode(solana.as_str()).unwrap(), public);
    assert_eq!(
        ChainAddress::parse(Chain::Solana, solana.as_str()).unwrap(),
        solana
    );

    let algorand = ChainAddress::from_public_key(Chain::Algorand, &public).unwrap();
    assert_eq!(algorand.as_str().len(), 58);
    assert_eq!(
        ChainAddress::parse(Chain::Algorand, algorand.as_str()).unwrap(),
        algorand
    );
}

#[test]
fn well_known_solana_and_algorand_addresses() {
    // Solana's system program is 32 zero bytes; the SPL token program id is 06ddf6e1...
    let system = ChainAddress::parse(Chain::Solana, "11111111111111111111111111111111").unwrap();
    assert_eq!(flux_tx::base58::decode(system.as_str()).unwrap(), [0u8; 32]);
    let token =
        ChainAddress::parse(Chain::Solana, "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA").unwrap();
    assert_eq!(
        hex::encode(flux_tx::base58::decode(token.as_str()).unwrap()),
        "06ddf6e1d765a193d9cbe146ceeb79ac1cb485ed5f5b37913a8cf5857eff00a9"
    );
    // Algorand's zero address (32 zero bytes), as every Algorand SDK spells it.
    let zero = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAY5HFKQ";
    assert!(ChainAddress::parse(Chain::Algorand, zero).is_ok());
    let wrong = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAY5HFKA";
    assert_eq!(
        ChainAddress::parse(Chain::Algorand, wrong),
        Err(AddressError::BadChecksum)
    );
}

#[test]
fn ergo_p2pk_holds_the_compressed_key() {
    let key = secp_public_key(&format!("{:0>64}", "03"));
    let ergo = ChainAddress::from_public_key(Chain::Ergo, &key.serialize_uncompressed()).unwrap();
    let bytes = flux_tx::base58::decode(ergo.as_str()).unwrap();
    assert_eq!(bytes.len(), 38);
    assert_eq!(bytes[0], 0x01);
    assert_eq!(&bytes[1..34], &key.serialize()[..]);
    // Mainnet P2PK addresses start with 9.
    assert!(ergo.as_str().starts_with('9'));
    assert_eq!(
        ChainAddress::parse(Chain::Ergo, ergo.as_str()).unwrap(),
        ergo
    );
    // Any corrupted checksum byte is caught.
    let mut corrupted = bytes.clone();
    corrupted[37] ^= 1;
    let text = flux_tx::base58::encode(&corrupted);
    assert_eq!(
        ChainAddress::parse(Chain::Ergo, &text),
        Err(AddressError::BadChecksum)
    );
}

#[test]
fn every_error_names_what_is_wrong() {
    let evm = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
    assert_eq!(
        ChainAddress::parse(Chain::Base, ""),
        Err(AddressError::Empty)
    );
    assert!(matches!(
        ChainAddress::parse(Chain::Base, &"1".repeat(500)),
        Err(AddressError::TooLong { length: 500 })
    ));
    assert!(matches!(
        ChainAddress::parse(Chain::Ethereum, &evm[2..]),
        Err(AddressError::MissingPrefix { expected: "0x", .. })
    ));
    assert!(matches!(
        ChainAddress::parse(Chain::Ethereum, &evm[..41]),
        Err(AddressError::WrongLength {
            expected: 42,
            found: 41,
            ..
        })
    ));
    let bad_char = format!("{}g{}", &evm[..10], &evm[11..]);
    assert_eq!(
        ChainAddress::parse(Chain::Polygon, &bad_char),
        Err(AddressError::BadCharacter {
            position: 10,
            character: 'g',
            alphabet: "hex"
        })
    );
    let kadena = format!("k:{RFC8032_PUBLIC}");
    assert!(matches!(
        ChainAddress::parse(Chain::Kadena, &kadena[2..]),
        Err(AddressError::MissingPrefix { expected: "k:", .. })
    ));
    assert_eq!(
        ChainAddress::parse(
            Chain::Kadena,
            &kadena.to_ascii_uppercase().replacen("K:", "k:", 1)
        ),
        Err(AddressError::BadCharacter {
            position: 2,
            character: 'D',
            alphabet: "lowercase hex"
        })
    );
    // y = 2 is not the y-coordinate of any ed25519 point.
    let off_curve = format!("k:02{}", "0".repeat(62));
    assert_eq!(
        ChainAddress::parse(Chain::Kadena, &off_curve),
        Err(AddressError::InvalidEmbeddedKey { curve: "ed25519" })
    );
    assert!(matches!(
        ChainAddress::parse(Chain::Tron, "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6T"),
        Err(AddressError::BadChecksum)
    ));
    assert_eq!(
        ChainAddress::parse(Chain::Tron, "TR7NHqjeKQxGTCi0q8ZY4pL8otSzgjLj6t"),
        Err(AddressError::BadCharacter {
            position: 15,
            character: '0',
            alphabet: "base58"
        })
    );
    // A Bitcoin-style version byte in a Tron-shaped address.
    let bitcoin_like = flux_tx::base58::encode_check(&[0u8; 21]);
    assert!(matches!(
        ChainAddress::parse(Chain::Tron, &bitcoin_like),
        Err(AddressError::WrongPrefixByte { found: 0, .. })
    ));
    assert!(matches!(
        ChainAddress::parse(Chain::Solana, "1111111111111111111111111111111"),
        Err(AddressError::WrongDecodedLength {
            expected: 32,
            found: 31,
            ..
        })
    ));
    assert!(matches!(
        ChainAddress::from_public_key(Chain::Ethereum, &[2u8; 32]),
        Err(AddressError::WrongKeyLength { found: 32, .. })
    ));
    assert_eq!(
        ChainAddress::from_public_key(Chain::Ethereum, &[9u8; 33]),
        Err(AddressError::InvalidPublicKey { curve: "secp256k1" })
    );
    assert!(matches!(
        ChainAddress::from_public_key(Chain::Solana, &[1u8; 33]),
        Err(AddressError::WrongKeyLength { found: 33, .. })
    ));
    // Messages say what to fix.
    let message = ChainAddress::parse(Chain::Polygon, &bad_char)
        .unwrap_err()
        .to_string();
    assert!(message.contains("position 10"), "{message}");
}
