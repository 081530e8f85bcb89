//! secp256k1 keys as fluxd uses them: private keys with their compression flag, WIF encoding,
//! public keys in compressed (33-byte) or uncompressed (65-byte) form, and HASH160.
//!
//! Mirrors fluxd `src/key.{h,cpp}`, `src/pubkey.{h,cpp}` and `src/key_io.cpp:173-200`
//! (`DecodeSecret`/`EncodeSecret`).

use alloc::string::String;
use core::fmt;
use core::str::FromStr;

use ripemd::Ripemd160;
use sha2::{Digest, Sha256};

use crate::base58::{self, Base58Error};
use flux_pow::Network;

/// RIPEMD-160 of SHA-256 (`Hash160`, `hash.h`): the hash inside P2PKH and P2SH scripts.
pub fn hash160(data: &[u8]) -> [u8; 20] {
    Ripemd160::digest(Sha256::digest(data)).into()
}

/// SHA-256 of SHA-256 (`Hash`, `hash.h`), in internal byte order.
pub fn sha256d(data: &[u8]) -> [u8; 32] {
    Sha256::digest(Sha256::digest(data)).into()
}

/// The WIF version byte of each network (`base58Prefixes[SECRET_KEY]`, `chainparams.cpp:204,438,673`).
pub const fn wif_prefix(network: Network) -> u8 {
    match network {
        Network::Mainnet => 0x80,
        Network::Testnet => 0xef,
        Network::Regtest => 0xef,
        Network::Devnet => 0xef,
    }
}

/// Why a private or public key was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The WIF string is not valid Base58Check.
    #[error("invalid WIF encoding: {0}")]
    Base58(#[from] Base58Error),
    /// The WIF payload is neither 33 bytes (uncompressed) nor 34 bytes ending in 0x01 (compressed).
    #[error(
        "WIF payload of {length} bytes is neither 33 (uncompressed) nor 34 ending in 0x01 (compressed)"
    )]
    WifLength {
        /// Decoded payload length, version byte included.
        length: usize,
    },
    /// The WIF version byte is not the secret-key prefix of the expected network.
    #[error(
        "WIF version byte {found:#04x} is not {expected:#04x}, the {network} secret-key prefix"
    )]
    WifNetwork {
        /// The version byte found.
        found: u8,
        /// The version byte the network uses.
        expected: u8,
        /// The network asked for.
        network: Network,
    },
    /// The WIF version byte belongs to no Flux network.
    #[error(
        "WIF version byte {found:#04x} is not a Flux secret-key prefix (0x80 main, 0xef test/regtest)"
    )]
    WifUnknownPrefix {
        /// The version byte found.
        found: u8,
    },
    /// The 32 secret bytes are zero or not below the curve order.
    #[error("secret key is zero or not below the secp256k1 curve order")]
    SecretOutOfRange,
    /// Public-key bytes are not a valid compressed (33) or uncompressed (65) curve point.
    #[error("invalid public key: not a valid {length}-byte secp256k1 point encoding")]
    InvalidPublicKey {
        /// The length of the rejected encoding.
        length: usize,
    },
}

/// A secp256k1 public key together with the form (compressed or not) it is serialized in;
/// the form changes its HASH160 and hence its address.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PublicKey {
    key: secp256k1::PublicKey,
    compressed: bool,
}

impl PublicKey {
    /// Parses a 33-byte compressed or 65-byte uncompressed public key (`CPubKey::IsFullyValid`).
    ///
    /// # Errors
    /// [`KeyError::InvalidPublicKey`] for any other length, prefix or a point off the curve.
    pub fn from_slice(bytes: &[u8]) -> Result<PublicKey, KeyError> {
        let compressed = match (bytes.len(), bytes.first()) {
            (33, Some(0x02 | 0x03)) => true,
            (65, Some(0x04)) => false,
            _ => {
                return Err(KeyError::InvalidPublicKey {
                    length: bytes.len(),
                });
            }
        };
        let key =
            secp256k1::PublicKey::from_slice(bytes).map_err(|_| KeyError::InvalidPublicKey {
                length: bytes.len(),
            })?;
        Ok(PublicKey { key, compressed })
    }

    /// Wraps a secp256k1 key, to be serialized compressed or not.
    pub const fn new(key: secp256k1::PublicKey, compressed: bool) -> PublicKey {
        PublicKey { key, compressed }
    }

    /// The underlying secp256k1 key.
    pub const fn inner(&self) -> &secp256k1::PublicKey {
        &self.key
    }

    /// Whether the key serializes to 33 bytes (`CPubKey::IsCompressed`).
    pub const fn is_compressed(&self) -> bool {
        self.compressed
    }

    /// The serialized key: 33 bytes if compressed, 65 otherwise.
    pub fn to_bytes(&self) -> alloc::vec::Vec<u8> {
        if self.compressed {
            self.key.serialize().to_vec()
        } else {
            self.key.serialize_uncompressed().to_vec()
        }
    }

    /// HASH160 of the serialized key (`CPubKey::GetID`), the payload of its t1 address.
    pub fn pubkey_hash(&self) -> [u8; 20] {
        hash160(&self.to_bytes())
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({self})")
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for byte in self.to_bytes() {
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

impl FromStr for PublicKey {
    type Err = KeyError;

    /// Parses a hex public key (66 or 130 hex digits).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bytes = hex::decode(s).map_err(|_| KeyError::InvalidPublicKey {
            length: s.len() / 2,
        })?;
        PublicKey::from_slice(&bytes)
    }
}

/// A secp256k1 private key with the flag saying whether its public key is used compressed
/// (`CKey`: `keydata` + `fCompressed`).
#[derive(Clone, PartialEq, Eq)]
pub struct PrivateKey {
    secret: secp256k1::SecretKey,
    compressed: bool,
}

impl PrivateKey {
    /// Builds a key from its 32 secret bytes (`CKey::Set`).
    ///
    /// # Errors
    /// [`KeyError::SecretOutOfRange`] if the bytes are zero or not below the curve order.
    pub fn from_secret_bytes(secret: [u8; 32], compressed: bool) -> Result<PrivateKey, KeyError> {
        let secret = secp256k1::SecretKey::from_secret_bytes(secret)
            .map_err(|_| KeyError::SecretOutOfRange)?;
        Ok(PrivateKey { secret, compressed })
    }

    /// The 32 secret bytes.
    pub fn secret_bytes(&self) -> [u8; 32] {
        self.secret.to_secret_bytes()
    }

    /// The underlying secp256k1 secret key.
    pub const fn inner(&self) -> &secp256k1::SecretKey {
        &self.secret
    }

    /// Whether the matching public key is serialized compressed.
    pub const fn is_compressed(&self) -> bool {
        self.compressed
    }

    /// The matching public key, in this key's form (`CKey::GetPubKey`).
    pub fn public_key(&self) -> PublicKey {
        PublicKey::new(
            secp256k1::PublicKey::from_secret_key(&self.secret),
            self.compressed,
        )
    }

    /// Decodes a WIF string for `network` (`DecodeSecret`, `key_io.cpp:173-187`).
    ///
    /// # Errors
    /// [`KeyError::Base58`], [`KeyError::WifLength`], [`KeyError::WifNetwork`] or
    /// [`KeyError::SecretOutOfRange`].
    pub fn from_wif(wif: &str, network: Network) -> Result<PrivateKey, KeyError> {
        let (key, found) = Self::decode_wif(wif)?;
        let expected = wif_prefix(network);
        if found != expected {
            return Err(KeyError::WifNetwork {
                found,
                expected,
                network,
            });
        }
        Ok(key)
    }

    /// Decodes a WIF string of any Flux network and returns the key with the network its prefix
    /// names. Testnet, regtest and the devnet share their prefix; such keys are reported as
    /// [`Network::Testnet`].
    ///
    /// # Errors
    /// As [`PrivateKey::from_wif`], with [`KeyError::WifUnknownPrefix`] for a foreign prefix.
    pub fn from_wif_any(wif: &str) -> Result<(PrivateKey, Network), KeyError> {
        let (key, found) = Self::decode_wif(wif)?;
        let network = match found {
            0x80 => Network::Mainnet,
            0xef => Network::Testnet,
            _ => return Err(KeyError::WifUnknownPrefix { found }),
        };
        Ok((key, network))
    }

    fn decode_wif(wif: &str) -> Result<(PrivateKey, u8), KeyError> {
        let data = base58::decode_check(wif)?;
        let compressed = match data.len() {
            33 => false,
            34 if data[33] == 1 => true,
            length => return Err(KeyError::WifLength { length }),
        };
        let mut secret = [0u8; 32];
        secret.copy_from_slice(&data[1..33]);
        Ok((PrivateKey::from_secret_bytes(secret, compressed)?, data[0]))
    }

    /// Encodes the key as WIF for `network` (`EncodeSecret`, `key_io.cpp:189-200`).
    pub fn to_wif(&self, network: Network) -> String {
        let mut data = alloc::vec::Vec::with_capacity(34);
        data.push(wif_prefix(network));
        data.extend_from_slice(&self.secret.to_secret_bytes());
        if self.compressed {
            data.push(1);
        }
        base58::encode_check(&data)
    }

    /// Signs a 32-byte digest with a deterministic RFC 6979 nonce (`CKey::Sign`); libsecp256k1
    /// always returns the low-S form, which `SCRIPT_VERIFY_LOW_S` requires.
    pub fn sign_digest(&self, digest: [u8; 32]) -> secp256k1::ecdsa::Signature {
        secp256k1::ecdsa::sign(secp256k1::Message::from_digest(digest), &self.secret)
    }
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print secret material.
        f.debug_struct("PrivateKey")
            .field("public_key", &self.public_key())
            .field("compressed", &self.compressed)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash160_of_empty_input_matches_the_published_digest() {
        // RIPEMD-160(SHA-256("")): SHA-256("") = e3b0c442..., its RIPEMD-160 is b472a266...
        assert_eq!(
            hex::encode(hash160(b"")),
            "b472a266d0bd89c13706a4132ccfb16f7c3b9fcb"
        );
    }

    #[test]
    fn secret_key_one_gives_the_generator_point() {
        let mut secret = [0u8; 32];
        secret[31] = 1;
        let key = PrivateKey::from_secret_bytes(secret, true).unwrap();
        assert_eq!(
            key.public_key().to_string(),
            "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
        );
        let uncompressed = PrivateKey::from_secret_bytes(secret, false).unwrap();
        assert_eq!(uncompressed.public_key().to_bytes().len(), 65);
    }

    #[test]
    fn wif_round_trips_and_checks_network_and_length() {
        let key = PrivateKey::from_secret_bytes([7; 32], true).unwrap();
        let wif = key.to_wif(Network::Mainnet);
        assert_eq!(PrivateKey::from_wif(&wif, Network::Mainnet).unwrap(), key);
        assert_eq!(
            PrivateKey::from_wif_any(&wif).unwrap(),
            (key.clone(), Network::Mainnet)
        );
        assert!(matches!(
            PrivateKey::from_wif(&wif, Network::Testnet),
            Err(KeyError::WifNetwork {
                found: 0x80,
                expected: 0xef,
                ..
            })
        ));
        // A 34-byte payload whose last byte is not 0x01 is not a compressed WIF.
        let mut data = alloc::vec![0x80];
        data.extend_from_slice(&[7; 32]);
        data.push(2);
        assert_eq!(
            PrivateKey::from_wif(&base58::encode_check(&data), Network::Mainnet),
            Err(KeyError::WifLength { length: 34 })
        );
        assert_eq!(
            PrivateKey::from_secret_bytes([0; 32], true),
            Err(KeyError::SecretOutOfRange)
        );
    }

    #[test]
    fn public_key_parsing_rejects_bad_prefixes() {
        let good = "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798";
        assert!(good.parse::<PublicKey>().is_ok());
        let bad = good.replacen("02", "05", 1);
        assert!(bad.parse::<PublicKey>().is_err());
        assert!(PublicKey::from_slice(&[2; 32]).is_err());
    }
}
