//! Strict Base58 and RFC 4648 Base32 for the other chains' addresses.
//!
//! fluxd's Base58 decoder (`src/base58.cpp`, mirrored by `flux-tx`) skips surrounding whitespace;
//! Tron, Solana and Ergo wallets do not, and an address pasted with a space is one a user should
//! be told about. These decoders therefore accept nothing but alphabet characters and report the
//! position of the first one that is not.

/// The Bitcoin Base58 alphabet, shared by Tron, Solana and Ergo.
const BASE58_ALPHABET: &[u8; 58] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/// The RFC 4648 Base32 alphabet Algorand uses (upper case, no padding).
const BASE32_ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// Longest text any decoder here accepts; every address is far shorter, and the cap keeps the
/// quadratic Base58 loop cheap on hostile input.
pub(crate) const MAX_ENCODED_LEN: usize = 128;

/// A character outside the alphabet, with its byte position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BadCharacter {
    pub position: usize,
    pub character: char,
}

fn first_bad_character(text: &str, valid: impl Fn(u8) -> bool) -> Option<BadCharacter> {
    text.char_indices()
        .find(|&(_, c)| !c.is_ascii() || !valid(c as u8))
        .map(|(position, character)| BadCharacter {
            position,
            character,
        })
}

/// Encodes bytes as Base58 (the same codec fluxd uses for t-addresses).
pub(crate) fn base58_encode(data: &[u8]) -> String {
    flux_tx::base58::encode(data)
}

/// Decodes Base58 strictly: unlike fluxd's decoder, surrounding whitespace is an error. The caller
/// has capped the length at [`MAX_ENCODED_LEN`].
pub(crate) fn base58_decode(text: &str) -> Result<Vec<u8>, BadCharacter> {
    if let Some(bad) = first_bad_character(text, |b| BASE58_ALPHABET.contains(&b)) {
        return Err(bad);
    }
    // Every character is in the alphabet and the text is far below flux-tx's length cap, so the
    // shared decoder cannot fail; map its error anyway rather than assume.
    flux_tx::base58::decode(text).map_err(|_| BadCharacter {
        position: 0,
        character: text.chars().next().unwrap_or('\u{fffd}'),
    })
}

/// Encodes bytes as unpadded RFC 4648 Base32.
pub(crate) fn base32_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(5) * 8);
    let mut buffer: u32 = 0;
    let mut bits = 0u32;
    for &byte in data {
        buffer = (buffer << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(BASE32_ALPHABET[((buffer >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(BASE32_ALPHABET[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// Why Base32 text was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Base32Error {
    BadCharacter(BadCharacter),
    /// The final character carries bits past the end of the data; canonical encoders write zeros.
    NonZeroPadding,
}

/// Decodes unpadded RFC 4648 Base32, rejecting non-canonical trailing bits.
pub(crate) fn base32_decode(text: &str) -> Result<Vec<u8>, Base32Error> {
    if let Some(bad) = first_bad_character(text, |b| BASE32_ALPHABET.contains(&b)) {
        return Err(Base32Error::BadCharacter(bad));
    }
    let mut out = Vec::with_capacity(text.len() * 5 / 8);
    let mut buffer: u32 = 0;
    let mut bits = 0u32;
    for byte in text.bytes() {
        let value = BASE32_ALPHABET.iter().position(|&a| a == byte).unwrap_or(0) as u32;
        buffer = (buffer << 5) | value;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
        buffer &= (1 << bits) - 1;
    }
    if buffer != 0 {
        return Err(Base32Error::NonZeroPadding);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base58_known_values() {
        // Values from the Base58 draft (draft-msporny-base58) and Bitcoin's base58_encode_decode.json.
        assert_eq!(base58_encode(b"Hello World!"), "2NEpo7TZRRrLZSi2U");
        assert_eq!(base58_encode(&[0, 0, 0x28, 0x7f, 0xb4, 0xcd]), "11233QC4");
        assert_eq!(
            base58_decode("11233QC4").unwrap(),
            [0, 0, 0x28, 0x7f, 0xb4, 0xcd]
        );
        assert_eq!(base58_encode(&[]), "");
        assert_eq!(
            base58_decode("12O4"),
            Err(BadCharacter {
                position: 2,
                character: 'O'
            })
        );
    }

    #[test]
    fn base32_rfc4648_vectors() {
        // RFC 4648 section 10, without the padding.
        for (plain, encoded) in [
            ("", ""),
            ("f", "MY"),
            ("fo", "MZXQ"),
            ("foo", "MZXW6"),
            ("foob", "MZXW6YQ"),
            ("fooba", "MZXW6YTB"),
            ("foobar", "MZXW6YTBOI"),
        ] {
            assert_eq!(base32_encode(plain.as_bytes()), encoded);
            assert_eq!(base32_decode(encoded).unwrap(), plain.as_bytes());
        }
        assert_eq!(base32_decode("MZ"), Err(Base32Error::NonZeroPadding));
        assert!(matches!(
            base32_decode("MY1"),
            Err(Base32Error::BadCharacter(BadCharacter { position: 2, .. }))
        ));
    }
}
