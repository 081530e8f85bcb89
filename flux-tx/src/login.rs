//! Logging in to FluxOS with a ZelID (Flux ID): the login phrase a node hands out, its
//! signature by the ZelID's key, and the checks the node applies before it accepts the login
//! (`ZelBack/src/services/idService.js`, `loginPhrase` and `verifyLogin`).
//!
//! - A phrase is the node's clock in milliseconds (13 digits) followed by random lower-case
//!   base-36 text; FluxOS makes it at least 40 characters long.
//! - The wallet signs it with bitcoinjs-message (the Bitcoin message magic), compressed or
//!   uncompressed key alike; the ZelID is the key's `1…` address (or the key itself in hex).
//! - The node accepts the login when the ZelID is a base58 `1…` string of 25 to 34 characters,
//!   the phrase is at least 40 characters, its timestamp at most 15 minutes old and not in the
//!   future, and the signature verifies (`signatureVerifier.verifySignature`). It also requires
//!   that it issued the phrase itself (its `activeLoginPhrases` collection), which only the node
//!   knows.
//!
//! ```
//! use flux_tx::keys::PrivateKey;
//! use flux_tx::login::{check_login, login_phrase, sign_login, zelid};
//!
//! let key = PrivateKey::from_secret_bytes([3; 32], false)?; // an uncompressed ZelID key
//! let now = 1_764_547_300_000;
//! let phrase = login_phrase(now, [7; 32]);
//! let signature = sign_login(&key, &phrase);
//! let id = zelid(&key.public_key());
//! assert!(id.starts_with('1'));
//! assert_eq!(check_login(&id, &phrase, &signature, now + 60_000), Ok(()));
//! // Sixteen minutes later the phrase is stale.
//! assert!(check_login(&id, &phrase, &signature, now + 16 * 60_000).is_err());
//! # Ok::<(), flux_tx::keys::KeyError>(())
//! ```

use alloc::string::String;

use crate::base58;
use crate::keys::{PrivateKey, PublicKey};
use crate::message::{MessageError, MessageMagic, sign_message, verify_message};

/// How long a login phrase is accepted after its timestamp: 15 minutes (`900000` ms).
pub const LOGIN_PHRASE_VALIDITY_MS: u64 = 900_000;
/// The shortest phrase FluxOS accepts.
pub const MIN_PHRASE_LENGTH: usize = 40;

/// Why FluxOS would refuse a login; the messages are FluxOS's own.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LoginError {
    /// No ZelID given.
    #[error("No Flux ID is specified")]
    NoZelId,
    /// Not a `1…` base58 string of 25 to 34 characters (ETH `0x…` IDs are not handled here).
    #[error("Flux ID is not valid")]
    InvalidZelId,
    /// Empty phrase.
    #[error("No message is specified")]
    NoMessage,
    /// Shorter than 40 characters, or its timestamp is stale or in the future.
    #[error("Signed message is not valid")]
    InvalidMessage,
    /// The signature does not verify for the ZelID.
    #[error("Invalid signature")]
    InvalidSignature(MessageError),
}

/// A login phrase as FluxOS makes one: `timestamp_ms` then the 32 random bytes as two groups
/// of 25 base-36 digits, 63 characters in all (FluxOS appends four `Math.random()` draws in
/// base 36; the caller supplies real randomness).
pub fn login_phrase(timestamp_ms: u64, random: [u8; 32]) -> String {
    let mut phrase = alloc::format!("{timestamp_ms:013}");
    for half in random.chunks_exact(16) {
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(half);
        let mut value = u128::from_be_bytes(bytes);
        let mut digits = [0u8; 25];
        for digit in digits.iter_mut().rev() {
            *digit = b"0123456789abcdefghijklmnopqrstuvwxyz"[(value % 36) as usize];
            value /= 36;
        }
        // 36^25 > 2^128, so 25 digits hold every value; all ASCII.
        phrase.extend(digits.iter().map(|&d| char::from(d)));
    }
    phrase
}

/// The ZelID of a key: its bitcoin-style `1…` address (version byte 0x00), in the key's form.
pub fn zelid(key: &PublicKey) -> String {
    let mut payload = [0u8; 21];
    payload[1..].copy_from_slice(&key.pubkey_hash());
    base58::encode_check(&payload)
}

/// Signs a login phrase as a ZelID wallet does (Bitcoin message magic, Base64).
pub fn sign_login(key: &PrivateKey, phrase: &str) -> String {
    sign_message(key, phrase.as_bytes(), MessageMagic::Bitcoin).to_base64()
}

/// FluxOS's checks of a login (`verifyLogin`), at the node's clock `now_ms`, except that the
/// node issued the phrase.
///
/// # Errors
/// The [`LoginError`] FluxOS would answer with.
pub fn check_login(
    zelid: &str,
    phrase: &str,
    signature_base64: &str,
    now_ms: u64,
) -> Result<(), LoginError> {
    if zelid.is_empty() {
        return Err(LoginError::NoZelId);
    }
    let base58_alphabet =
        |c: char| c.is_ascii_alphanumeric() && !matches!(c, '0' | 'O' | 'I' | 'l');
    if !zelid.starts_with('1')
        || !zelid.chars().all(base58_alphabet)
        || !(25..=34).contains(&zelid.len())
    {
        return Err(LoginError::InvalidZelId);
    }
    if phrase.is_empty() {
        return Err(LoginError::NoMessage);
    }
    if phrase.len() < MIN_PHRASE_LENGTH {
        return Err(LoginError::InvalidMessage);
    }
    // `+message.substring(0, 13)`: FluxOS lets a non-number (NaN) through this comparison and
    // then finds no such issued phrase; it is refused here already.
    let stamp: u64 = phrase
        .get(..13)
        .filter(|digits| digits.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|digits| digits.parse().ok())
        .ok_or(LoginError::InvalidMessage)?;
    if stamp < now_ms.saturating_sub(LOGIN_PHRASE_VALIDITY_MS) || stamp > now_ms {
        return Err(LoginError::InvalidMessage);
    }
    verify_message(zelid, signature_base64, phrase).map_err(LoginError::InvalidSignature)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(compressed: bool) -> PrivateKey {
        PrivateKey::from_secret_bytes([0x42; 32], compressed).unwrap()
    }

    #[test]
    fn phrases_have_fluxos_shape() {
        let phrase = login_phrase(1_565_356_121_335, [0xff; 32]);
        // FluxOS's own example: 1565356121335e9obp7h17bykbbvub0ts488wnnmd12fe1pq88mq0v.
        assert_eq!(&phrase[..13], "1565356121335");
        assert_eq!(phrase.len(), 63);
        // 2^128 - 1 in base 36, computed outside this code (Python big integers).
        assert_eq!(&phrase[13..38], "f5lxx1zz5pnorynqglhzmsp33");
        let zero = login_phrase(1_565_356_121_335, [0; 32]);
        assert_eq!(zero, alloc::format!("1565356121335{}", "0".repeat(50)));
    }

    #[test]
    fn fluxos_checks_in_order() {
        let now = 1_765_000_000_000u64;
        let phrase = login_phrase(now, [9; 32]);
        assert!(phrase.len() >= MIN_PHRASE_LENGTH);
        for compressed in [true, false] {
            let k = key(compressed);
            let id = zelid(&k.public_key());
            let signature = sign_login(&k, &phrase);
            assert_eq!(check_login(&id, &phrase, &signature, now), Ok(()));
            assert_eq!(
                check_login(&id, &phrase, &signature, now + LOGIN_PHRASE_VALIDITY_MS),
                Ok(())
            );
            assert_eq!(
                check_login(&id, &phrase, &signature, now + LOGIN_PHRASE_VALIDITY_MS + 1),
                Err(LoginError::InvalidMessage)
            );
            assert_eq!(
                check_login(&id, &phrase, &signature, now - 1),
                Err(LoginError::InvalidMessage)
            );
            // The hex public key works as the signer too (`pubKeyToAddr`).
            let hex_key = hex::encode(k.public_key().to_bytes());
            assert!(verify_message(&hex_key, &signature, &phrase).is_ok());
            // The other form of the same key is another ZelID.
            let other = zelid(&key(!compressed).public_key());
            assert!(matches!(
                check_login(&other, &phrase, &signature, now),
                Err(LoginError::InvalidSignature(_))
            ));
        }
        let k = key(true);
        let id = zelid(&k.public_key());
        let signature = sign_login(&k, &phrase);
        assert_eq!(
            check_login("", &phrase, &signature, now),
            Err(LoginError::NoZelId)
        );
        assert_eq!(
            check_login("t1abc", &phrase, &signature, now),
            Err(LoginError::InvalidZelId)
        );
        assert_eq!(
            check_login(&id, "", &signature, now),
            Err(LoginError::NoMessage)
        );
        assert_eq!(
            check_login(&id, &phrase[..39], &signature, now),
            Err(LoginError::InvalidMessage)
        );
        // A Zelcash-magic signature is not what FluxOS verifies logins with.
        let zelcash = sign_message(&k, phrase.as_bytes(), MessageMagic::Flux).to_base64();
        assert!(matches!(
            check_login(&id, &phrase, &zelcash, now),
            Err(LoginError::InvalidSignature(_))
        ));
    }
}
