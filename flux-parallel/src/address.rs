//! Addresses on the parallel-asset chains: parse and validate them, or derive them from a public
//! key, with one error variant per way an address can be wrong.
//!
//! | kind | text | derived from |
//! |---|---|---|
//! | Kadena | `k:` + 64 lowercase hex digits | the 32-byte ed25519 public key itself |
//! | EVM (Ethereum, BSC, Avalanche, Polygon, Base) | `0x` + 40 hex digits, EIP-55 mixed case | last 20 bytes of Keccak-256 of the 64-byte uncompressed secp256k1 key (without its `04`) |
//! | Tron | Base58Check(`0x41` ‖ those 20 bytes), double-SHA-256 checksum | the same 20 bytes as EVM |
//! | Solana | Base58 of the 32-byte ed25519 public key | the key itself |
//! | Ergo | Base58(`0x01` ‖ 33-byte compressed secp256k1 key ‖ first 4 bytes of Blake2b-256 of the rest) | mainnet pay-to-public-key |
//! | Algorand | Base32(key ‖ last 4 bytes of SHA-512/256(key)), 58 characters | the 32-byte ed25519 key |
//!
//! EVM addresses written all in lower or all in upper case carry no checksum (EIP-55: "backwards
//! compatible"); they are accepted and normalised to the checksummed form. Mixed case must match
//! the checksum exactly.

use core::fmt;

use sha2::{Digest, Sha256, Sha512_256};
use sha3::Keccak256;

use crate::chain::{AddressKind, Chain};
use crate::codec::{self, Base32Error, MAX_ENCODED_LEN};

/// Tron's address version byte (`0x41`, the reason every Tron address starts with `T`).
pub const TRON_VERSION_BYTE: u8 = 0x41;
/// Ergo mainnet pay-to-public-key prefix: network `0x00` + address type 1.
pub const ERGO_MAINNET_P2PK_PREFIX: u8 = 0x01;
/// Ergo mainnet pay-to-script-hash prefix: network `0x00` + address type 2.
pub const ERGO_MAINNET_P2SH_PREFIX: u8 = 0x02;
/// Ergo mainnet pay-to-script prefix: network `0x00` + address type 3.
pub const ERGO_MAINNET_P2S_PREFIX: u8 = 0x03;

/// Why a text is not a valid address on a chain, or a key cannot give one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AddressError {
    /// The address is empty.
    #[error("empty address")]
    Empty,
    /// The address is longer than anything this chain could use.
    #[error("address of {length} characters is too long (at most {MAX_ENCODED_LEN})")]
    TooLong {
        /// Its length in bytes.
        length: usize,
    },
    /// The address does not start with the chain's prefix.
    #[error("missing prefix: {chain} addresses start with {expected:?}")]
    MissingPrefix {
        /// The chain.
        chain: Chain,
        /// The prefix it needs.
        expected: &'static str,
    },
    /// The address has the wrong number of characters.
    #[error("wrong length: {chain} addresses have {expected} characters, this one has {found}")]
    WrongLength {
        /// The chain.
        chain: Chain,
        /// The length required.
        expected: usize,
        /// The length given.
        found: usize,
    },
    /// A character that the chain's alphabet does not contain.
    #[error("bad character {character:?} at position {position} (not in the {alphabet} alphabet)")]
    BadCharacter {
        /// Byte offset of the character in the address.
        position: usize,
        /// The character.
        character: char,
        /// The alphabet expected (`hex`, `lowercase hex`, `base58`, `base32`).
        alphabet: &'static str,
    },
    /// The decoded address has the wrong number of bytes.
    #[error(
        "wrong decoded length: {chain} addresses decode to {expected} bytes, this one to {found}"
    )]
    WrongDecodedLength {
        /// The chain.
        chain: Chain,
        /// The byte length required.
        expected: usize,
        /// The byte length found.
        found: usize,
    },
    /// The checksum embedded in the address does not match its contents (a typo or a truncated
    /// copy).
    #[error("bad checksum: the address is mistyped or corrupted")]
    BadChecksum,
    /// Base32 whose last character carries non-zero bits past the data: not canonical.
    #[error("non-canonical base32: the last character has non-zero padding bits")]
    NonCanonicalEncoding,
    /// The version or prefix byte is not the one of this chain's mainnet.
    #[error("wrong prefix byte 0x{found:02x}: expected {expected}")]
    WrongPrefixByte {
        /// The byte found.
        found: u8,
        /// What was expected, in words.
        expected: &'static str,
    },
    /// The key inside the address (Kadena, Ergo P2PK) is not a point of its curve.
    #[error("the address holds a {curve} public key that is not a valid curve point")]
    InvalidEmbeddedKey {
        /// `ed25519` or `secp256k1`.
        curve: &'static str,
    },
    /// A public key of the wrong length for the chain's curve.
    #[error("wrong public key length: {chain} needs {expected}, got {found} bytes")]
    WrongKeyLength {
        /// The chain.
        chain: Chain,
        /// The lengths accepted, in words.
        expected: &'static str,
        /// The length given.
        found: usize,
    },
    /// Bytes of the right length that are not a public key on the chain's curve.
    #[error("not a valid {curve} public key")]
    InvalidPublicKey {
        /// `ed25519` or `secp256k1`.
        curve: &'static str,
    },
}

/// A validated address on one chain, kept in its normal form (EIP-55 case for EVM chains, the
/// text as given otherwise, since the other encodings have one spelling per address).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChainAddress {
    chain: Chain,
    text: String,
}

impl ChainAddress {
    /// Parses and validates `text` as an address on `chain`.
    ///
    /// # Errors
    /// The [`AddressError`] naming the first rule the text breaks.
    pub fn parse(chain: Chain, text: &str) -> Result<ChainAddress, AddressError> {
        if text.is_empty() {
            return Err(AddressError::Empty);
        }
        if text.len() > MAX_ENCODED_LEN {
            return Err(AddressError::TooLong { length: text.len() });
        }
        let normal = match chain.address_kind() {
            AddressKind::KadenaK => parse_kadena(text)?,
            AddressKind::Evm => parse_evm(chain, text)?,
            AddressKind::Tron => parse_tron(text)?,
            AddressKind::Solana => parse_solana(text)?,
            AddressKind::Ergo => parse_ergo(text)?,
            AddressKind::Algorand => parse_algorand(text)?,
        };
        Ok(ChainAddress {
            chain,
            text: normal,
        })
    }

    /// Derives the address that `public_key` controls on `chain`: a 32-byte ed25519 key for
    /// Kadena, Solana and Algorand; a 33-byte compressed or 65-byte uncompressed secp256k1 key
    /// for the EVM chains, Tron and Ergo (pay-to-public-key).
    ///
    /// # Errors
    /// [`AddressError::WrongKeyLength`] or [`AddressError::InvalidPublicKey`].
    pub fn from_public_key(chain: Chain, public_key: &[u8]) -> Result<ChainAddress, AddressError> {
        let text = match chain.address_kind() {
            AddressKind::KadenaK => format!("k:{}", hex::encode(ed25519_key(chain, public_key)?)),
            AddressKind::Solana => codec::base58_encode(&ed25519_key(chain, public_key)?),
            AddressKind::Algorand => algorand_text(&ed25519_key(chain, public_key)?),
            AddressKind::Evm => eip55(&evm_bytes(&secp256k1_key(chain, public_key)?)),
            AddressKind::Tron => tron_text(&evm_bytes(&secp256k1_key(chain, public_key)?)),
            AddressKind::Ergo => {
                let key = secp256k1_key(chain, public_key)?;
                ergo_text(ERGO_MAINNET_P2PK_PREFIX, &key.serialize())
            }
        };
        Ok(ChainAddress { chain, text })
    }

    /// The chain the address belongs to.
    pub fn chain(&self) -> Chain {
        self.chain
    }

    /// The address in its normal form.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for ChainAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

fn ed25519_key(chain: Chain, key: &[u8]) -> Result<[u8; 32], AddressError> {
    let bytes: [u8; 32] = key.try_into().map_err(|_| AddressError::WrongKeyLength {
        chain,
        expected: "32 bytes (ed25519)",
        found: key.len(),
    })?;
    ed25519_dalek::VerifyingKey::from_bytes(&bytes)
        .map_err(|_| AddressError::InvalidPublicKey { curve: "ed25519" })?;
    Ok(bytes)
}

fn secp256k1_key(chain: Chain, key: &[u8]) -> Result<secp256k1::PublicKey, AddressError> {
    if key.len() != 33 && key.len() != 65 {
        return Err(AddressError::WrongKeyLength {
            chain,
            expected: "33 (compressed) or 65 (uncompressed) bytes (secp256k1)",
            found: key.len(),
        });
    }
    secp256k1::PublicKey::from_slice(key)
        .map_err(|_| AddressError::InvalidPublicKey { curve: "secp256k1" })
}

/// The 20 address bytes shared by the EVM chains and Tron.
fn evm_bytes(key: &secp256k1::PublicKey) -> [u8; 20] {
    let uncompressed = key.serialize_uncompressed();
    let digest = Keccak256::digest(&uncompressed[1..]);
    let mut out = [0u8; 20];
    out.copy_from_slice(&digest[12..]);
    out
}

/// EIP-55: hex digit `i` is upper case when nibble `i` of Keccak-256(lowercase hex) is >= 8.
fn eip55(address: &[u8; 20]) -> String {
    let lower = hex::encode(address);
    let hash = Keccak256::digest(lower.as_bytes());
    let mut out = String::with_capacity(42);
    out.push_str("0x");
    for (i, c) in lower.chars().enumerate() {
        let nibble = (hash[i / 2] >> (if i % 2 == 0 { 4 } else { 0 })) & 0x0f;
        out.push(if nibble >= 8 {
            c.to_ascii_uppercase()
        } else {
            c
        });
    }
    out
}

fn sha256d_checksum(payload: &[u8]) -> [u8; 4] {
    let digest = Sha256::digest(Sha256::digest(payload));
    [digest[0], digest[1], digest[2], digest[3]]
}

fn tron_text(address: &[u8; 20]) -> String {
    let mut bytes = Vec::with_capacity(25);
    bytes.push(TRON_VERSION_BYTE);
    bytes.extend_from_slice(address);
    let checksum = sha256d_checksum(&bytes);
    bytes.extend_from_slice(&checksum);
    codec::base58_encode(&bytes)
}

fn ergo_checksum(body: &[u8]) -> [u8; 4] {
    let digest = blake2::Blake2b256::digest(body);
    [digest[0], digest[1], digest[2], digest[3]]
}

fn ergo_text(prefix: u8, content: &[u8]) -> String {
    let mut bytes = Vec::with_capacity(content.len() + 5);
    bytes.push(prefix);
    bytes.extend_from_slice(content);
    let checksum = ergo_checksum(&bytes);
    bytes.extend_from_slice(&checksum);
    codec::base58_encode(&bytes)
}

fn algorand_checksum(key: &[u8; 32]) -> [u8; 4] {
    let digest = Sha512_256::digest(key);
    [digest[28], digest[29], digest[30], digest[31]]
}

fn algorand_text(key: &[u8; 32]) -> String {
    let mut bytes = Vec::with_capacity(36);
    bytes.extend_from_slice(key);
    bytes.extend_from_slice(&algorand_checksum(key));
    codec::base32_encode(&bytes)
}

fn check_length(chain: Chain, text: &str, expected: usize) -> Result<(), AddressError> {
    if text.len() == expected {
        Ok(())
    } else {
        Err(AddressError::WrongLength {
            chain,
            expected,
            found: text.len(),
        })
    }
}

fn bad_character(offset: usize, bad: codec::BadCharacter, alphabet: &'static str) -> AddressError {
    AddressError::BadCharacter {
        position: offset + bad.position,
        character: bad.character,
        alphabet,
    }
}

fn base58(text: &str) -> Result<Vec<u8>, AddressError> {
    codec::base58_decode(text).map_err(|bad| bad_character(0, bad, "base58"))
}

fn parse_kadena(text: &str) -> Result<String, AddressError> {
    let chain = Chain::Kadena;
    let Some(key_hex) = text.strip_prefix("k:") else {
        return Err(AddressError::MissingPrefix {
            chain,
            expected: "k:",
        });
    };
    check_length(chain, text, 66)?;
    // Kadena account names are case-sensitive strings: `k:ABC...` is a different account from
    // `k:abc...` that no keyset guards, so upper case is an error rather than normalised.
    if let Some((position, character)) = key_hex
        .char_indices()
        .find(|&(_, c)| !matches!(c, '0'..='9' | 'a'..='f'))
    {
        return Err(AddressError::BadCharacter {
            position: 2 + position,
            character,
            alphabet: "lowercase hex",
        });
    }
    let mut key = [0u8; 32];
    hex::decode_to_slice(key_hex, &mut key).map_err(|_| AddressError::WrongDecodedLength {
        chain,
        expected: 32,
        found: key_hex.len() / 2,
    })?;
    ed25519_dalek::VerifyingKey::from_bytes(&key)
        .map_err(|_| AddressError::InvalidEmbeddedKey { curve: "ed25519" })?;
    Ok(text.to_owned())
}

fn parse_evm(chain: Chain, text: &str) -> Result<String, AddressError> {
    let Some(digits) = text.strip_prefix("0x") else {
        return Err(AddressError::MissingPrefix {
            chain,
            expected: "0x",
        });
    };
    if let Some((position, character)) =
        digits.char_indices().find(|&(_, c)| !c.is_ascii_hexdigit())
    {
        return Err(AddressError::BadCharacter {
            position: 2 + position,
            character,
            alphabet: "hex",
        });
    }
    check_length(chain, text, 42)?;
    let mut bytes = [0u8; 20];
    hex::decode_to_slice(digits, &mut bytes).map_err(|_| AddressError::WrongDecodedLength {
        chain,
        expected: 20,
        found: digits.len() / 2,
    })?;
    let checksummed = eip55(&bytes);
    let has_lower = digits.bytes().any(|b| b.is_ascii_lowercase());
    let has_upper = digits.bytes().any(|b| b.is_ascii_uppercase());
    if has_lower && has_upper && checksummed != text {
        return Err(AddressError::BadChecksum);
    }
    Ok(checksummed)
}

fn parse_tron(text: &str) -> Result<String, AddressError> {
    let chain = Chain::Tron;
    let bytes = base58(text)?;
    if bytes.len() != 25 {
        return Err(AddressError::WrongDecodedLength {
            chain,
            expected: 25,
            found: bytes.len(),
        });
    }
    if bytes[0] != TRON_VERSION_BYTE {
        return Err(AddressError::WrongPrefixByte {
            found: bytes[0],
            expected: "0x41 (Tron mainnet)",
        });
    }
    if sha256d_checksum(&bytes[..21]) != bytes[21..] {
        return Err(AddressError::BadChecksum);
    }
    Ok(text.to_owned())
}

fn parse_solana(text: &str) -> Result<String, AddressError> {
    let bytes = base58(text)?;
    if bytes.len() != 32 {
        return Err(AddressError::WrongDecodedLength {
            chain: Chain::Solana,
            expected: 32,
            found: bytes.len(),
        });
    }
    // Program-derived addresses are deliberately off the curve and still valid token owners, so a
    // Solana address is any 32 bytes; only derivation from a key checks the curve.
    Ok(text.to_owned())
}

fn parse_ergo(text: &str) -> Result<String, AddressError> {
    let chain = Chain::Ergo;
    let bytes = base58(text)?;
    if bytes.len() < 6 {
        return Err(AddressError::WrongDecodedLength {
            chain,
            expected: 38,
            found: bytes.len(),
        });
    }
    let (body, checksum) = bytes.split_at(bytes.len() - 4);
    let expected_len = match body[0] {
        ERGO_MAINNET_P2PK_PREFIX => Some(34),
        ERGO_MAINNET_P2SH_PREFIX => Some(25),
        ERGO_MAINNET_P2S_PREFIX => None,
        _ => {
            return Err(AddressError::WrongPrefixByte {
                found: body[0],
                expected: "0x01, 0x02 or 0x03 (Ergo mainnet P2PK, P2SH or P2S)",
            });
        }
    };
    if let Some(expected) = expected_len
        && body.len() != expected
    {
        return Err(AddressError::WrongDecodedLength {
            chain,
            expected: expected + 4,
            found: bytes.len(),
        });
    }
    if ergo_checksum(body) != checksum {
        return Err(AddressError::BadChecksum);
    }
    if body[0] == ERGO_MAINNET_P2PK_PREFIX && secp256k1::PublicKey::from_slice(&body[1..]).is_err()
    {
        return Err(AddressError::InvalidEmbeddedKey { curve: "secp256k1" });
    }
    Ok(text.to_owned())
}

fn parse_algorand(text: &str) -> Result<String, AddressError> {
    let chain = Chain::Algorand;
    check_length(chain, text, 58)?;
    let bytes = codec::base32_decode(text).map_err(|error| match error {
        Base32Error::BadCharacter(bad) => bad_character(0, bad, "base32"),
        Base32Error::NonZeroPadding => AddressError::NonCanonicalEncoding,
    })?;
    let mut key = [0u8; 32];
    key.copy_from_slice(&bytes[..32]);
    if algorand_checksum(&key) != bytes[32..36] {
        return Err(AddressError::BadChecksum);
    }
    Ok(text.to_owned())
}
