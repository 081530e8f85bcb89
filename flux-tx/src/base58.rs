//! Base58 and Base58Check, as fluxd encodes addresses and WIF keys (`src/base58.cpp`).
//!
//! Decoding follows the daemon: leading and trailing ASCII whitespace is skipped
//! (`base58.cpp:20,47`), every leading `1` is one leading zero byte, and Base58Check takes the
//! last four bytes as the first four bytes of the double SHA-256 of the rest (`base58.cpp:117-131`).

use alloc::string::String;
use alloc::vec::Vec;

use sha2::{Digest, Sha256};

/// The Bitcoin Base58 alphabet (`base58.cpp:16`): no `0`, `O`, `I` or `l`.
const ALPHABET: &[u8; 58] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/// Longest Base58 string [`decode`] accepts. Flux payloads are at most 78 bytes (extended keys),
/// about 107 characters; capping the input bounds the quadratic decode loop on hostile input.
pub const MAX_BASE58_LEN: usize = 1024;

/// Why a Base58 or Base58Check string was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Base58Error {
    /// A character outside the Base58 alphabet (`0`, `O`, `I`, `l`, punctuation, inner spaces...).
    #[error("invalid base58 character {character:?} at position {position}")]
    InvalidCharacter {
        /// The offending character.
        character: char,
        /// Its byte offset in the input.
        position: usize,
    },
    /// The input is longer than [`MAX_BASE58_LEN`].
    #[error("base58 string of {length} characters is longer than the {MAX_BASE58_LEN} accepted")]
    TooLong {
        /// The input length in bytes.
        length: usize,
    },
    /// Base58Check payload shorter than its 4-byte checksum.
    #[error("base58check data of {length} bytes is shorter than its 4-byte checksum")]
    TooShortForChecksum {
        /// Decoded length in bytes.
        length: usize,
    },
    /// The 4-byte checksum does not match the double SHA-256 of the payload.
    #[error("base58check checksum mismatch (mistyped or truncated string?)")]
    BadChecksum,
}

fn is_c_space(byte: u8) -> bool {
    // C `isspace` in the "C" locale, as base58.cpp uses it.
    matches!(byte, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// Encodes bytes as Base58 (`EncodeBase58`).
pub fn encode(data: &[u8]) -> String {
    let zeros = data.iter().take_while(|&&b| b == 0).count();
    // log(256) / log(58) < 1.38, rounded up.
    let mut digits: Vec<u8> = Vec::with_capacity((data.len() - zeros) * 138 / 100 + 1);
    for &byte in &data[zeros..] {
        let mut carry = u32::from(byte);
        for digit in digits.iter_mut() {
            carry += u32::from(*digit) << 8;
            *digit = (carry % 58) as u8;
            carry /= 58;
        }
        while carry > 0 {
            digits.push((carry % 58) as u8);
            carry /= 58;
        }
    }
    let mut out = String::with_capacity(zeros + digits.len());
    out.extend(core::iter::repeat_n('1', zeros));
    out.extend(
        digits
            .iter()
            .rev()
            .map(|&d| char::from(ALPHABET[usize::from(d)])),
    );
    out
}

/// Decodes a Base58 string (`DecodeBase58`), skipping surrounding whitespace like fluxd.
///
/// # Errors
/// [`Base58Error::InvalidCharacter`] for a character outside the alphabet (inner whitespace
/// included), [`Base58Error::TooLong`] above [`MAX_BASE58_LEN`].
pub fn decode(input: &str) -> Result<Vec<u8>, Base58Error> {
    let bytes = input.as_bytes();
    if bytes.len() > MAX_BASE58_LEN {
        return Err(Base58Error::TooLong {
            length: bytes.len(),
        });
    }
    let start = bytes
        .iter()
        .position(|&b| !is_c_space(b))
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|&b| !is_c_space(b))
        .map_or(start, |p| p + 1);
    let trimmed = &bytes[start..end];

    let zeros = trimmed.iter().take_while(|&&b| b == b'1').count();
    // log(58) / log(256) < 0.733, rounded up.
    let mut number: Vec<u8> = Vec::with_capacity(trimmed.len() * 733 / 1000 + 1);
    for (offset, &byte) in trimmed.iter().enumerate().skip(zeros) {
        let value = ALPHABET.iter().position(|&a| a == byte).ok_or_else(|| {
            let position = start + offset;
            Base58Error::InvalidCharacter {
                character: input[position..].chars().next().unwrap_or('\u{fffd}'),
                position,
            }
        })?;
        let mut carry = value as u32;
        for limb in number.iter_mut() {
            carry += u32::from(*limb) * 58;
            *limb = carry as u8;
            carry >>= 8;
        }
        while carry > 0 {
            number.push(carry as u8);
            carry >>= 8;
        }
    }
    let mut out = Vec::with_capacity(zeros + number.len());
    out.resize(zeros, 0);
    out.extend(number.iter().rev());
    Ok(out)
}

/// The first four bytes of the double SHA-256 of `data`.
fn checksum(data: &[u8]) -> [u8; 4] {
    let twice = Sha256::digest(Sha256::digest(data));
    [twice[0], twice[1], twice[2], twice[3]]
}

/// Encodes `payload` followed by its 4-byte checksum as Base58 (`EncodeBase58Check`).
pub fn encode_check(payload: &[u8]) -> String {
    let mut data = Vec::with_capacity(payload.len() + 4);
    data.extend_from_slice(payload);
    data.extend_from_slice(&checksum(payload));
    encode(&data)
}

/// Decodes a Base58Check string and returns the payload without its checksum
/// (`DecodeBase58Check`).
///
/// # Errors
/// Everything [`decode`] rejects, plus [`Base58Error::TooShortForChecksum`] and
/// [`Base58Error::BadChecksum`].
pub fn decode_check(input: &str) -> Result<Vec<u8>, Base58Error> {
    let mut data = decode(input)?;
    if data.len() < 4 {
        return Err(Base58Error::TooShortForChecksum { length: data.len() });
    }
    let payload_len = data.len() - 4;
    if checksum(&data[..payload_len]) != data[payload_len..] {
        return Err(Base58Error::BadChecksum);
    }
    data.truncate(payload_len);
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leading_zeros_are_leading_ones() {
        assert_eq!(encode(&[0, 0, 1]), "112");
        assert_eq!(decode("112").unwrap(), [0, 0, 1]);
        assert_eq!(encode(&[]), "");
        assert_eq!(decode("").unwrap(), Vec::<u8>::new());
    }

    #[test]
    fn bitcoin_wiki_example_decodes() {
        // "Hello World!" is the classic Base58 example (draft-msporny-base58, section 5).
        assert_eq!(encode(b"Hello World!"), "2NEpo7TZRRrLZSi2U");
        assert_eq!(decode("2NEpo7TZRRrLZSi2U").unwrap(), b"Hello World!");
    }

    #[test]
    fn surrounding_whitespace_is_skipped_but_inner_is_not() {
        assert_eq!(decode(" \t\n\x0b\x0c\r 112 \r\n").unwrap(), [0, 0, 1]);
        assert!(matches!(
            decode("1 12"),
            Err(Base58Error::InvalidCharacter { position: 1, .. })
        ));
        assert!(matches!(
            decode("0"),
            Err(Base58Error::InvalidCharacter { character: '0', .. })
        ));
        assert!(matches!(
            decode("é"),
            Err(Base58Error::InvalidCharacter {
                character: 'é', ..
            })
        ));
    }

    #[test]
    fn checksum_errors_are_typed() {
        let good = encode_check(b"flux");
        assert_eq!(decode_check(&good).unwrap(), b"flux");
        let mut bad = good.into_bytes();
        let last = bad.len() - 1;
        bad[last] = if bad[last] == b'2' { b'3' } else { b'2' };
        let bad = String::from_utf8(bad).unwrap();
        assert_eq!(decode_check(&bad), Err(Base58Error::BadChecksum));
        assert_eq!(
            decode_check("111"),
            Err(Base58Error::TooShortForChecksum { length: 3 })
        );
    }
}
