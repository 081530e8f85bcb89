//! Signed messages: the compact, recoverable 65-byte signatures of fluxd `signmessage` /
//! `verifymessage` and of FluxOS app owners (ZelID, bitcoinjs-message), in Base64.
//!
//! Two message magics are in use on Flux:
//! - the daemon's [`MessageMagic::Flux`], `"Zelcash Signed Message:\n"` (fluxd `src/main.cpp:125`),
//!   used by `signmessage`/`verifymessage` (`src/rpc/misc.cpp:400-452`,
//!   `src/wallet/rpcwallet.cpp:713`) with `t1` addresses;
//! - FluxOS's [`MessageMagic::Bitcoin`], `"Bitcoin Signed Message:\n"`, used by bitcoinjs-message
//!   to check app-owner signatures against `1…` (ZelID) addresses or hex public keys
//!   (FluxOS `ZelBack/src/services/signatureVerifier.js`).
//!
//! Both hash `compactsize(len(magic)) ‖ magic ‖ compactsize(len(message)) ‖ message` with double
//! SHA-256 (`CHashWriter << strMessageMagic << strMessage`). The signature's first byte is
//! `27 + recovery id + 4 if the key is compressed` (`CKey::SignCompact`, `key.cpp:231-244`).

use alloc::string::String;
use alloc::vec::Vec;

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use secp256k1::ecdsa::{RecoverableSignature, RecoveryId};

use crate::address::{Address, AddressError, Payload};
use crate::base58;
use crate::keys::{PrivateKey, PublicKey, hash160, sha256d};

/// Size of a compact recoverable signature (`CPubKey::COMPACT_SIGNATURE_SIZE`).
pub const COMPACT_SIGNATURE_SIZE: usize = 65;

/// Which prefix the signed message is hashed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MessageMagic {
    /// fluxd's `strMessageMagic`, `"Zelcash Signed Message:\n"` (`main.cpp:125`).
    Flux,
    /// bitcoinjs-message's default prefix, `"Bitcoin Signed Message:\n"`, which FluxOS uses for
    /// app-owner (ZelID) signatures.
    Bitcoin,
}

impl MessageMagic {
    /// The magic string, without its length prefix.
    pub const fn as_str(self) -> &'static str {
        match self {
            MessageMagic::Flux => "Zelcash Signed Message:\n",
            MessageMagic::Bitcoin => "Bitcoin Signed Message:\n",
        }
    }
}

/// Why a message signature did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MessageError {
    /// The signature is not Base64.
    #[error("signature is not valid base64")]
    Base64,
    /// The decoded signature is not 65 bytes.
    #[error("signature is {length} bytes, a compact signature has 65")]
    SignatureLength {
        /// Decoded length.
        length: usize,
    },
    /// bitcoinjs-message accepts header bytes 27..=42 only.
    #[error("signature header byte {header} is outside 27..=42")]
    HeaderOutOfRange {
        /// The first signature byte.
        header: u8,
    },
    /// A bitcoinjs-message native-segwit (bech32) header; FluxOS owners are base58 addresses.
    #[error("signature header {header} is for a native segwit (bech32) address, not a base58 one")]
    SegwitHeader {
        /// The first signature byte.
        header: u8,
    },
    /// No public key can be recovered from the signature and message.
    #[error("no public key can be recovered from this signature and message")]
    Unrecoverable,
    /// A key was recovered, but its hash is not the address's: wrong key, message or magic.
    #[error("the signature was made by another key than the address's (or over another message)")]
    WrongSigner,
    /// The address is not a Flux or bitcoin base58 address, nor a hex public key.
    #[error("invalid signing address: {0}")]
    Address(#[from] AddressError),
    /// A `t3` address: a script, not a key, cannot sign (`verifymessage`: "Address does not refer to key").
    #[error("address is a script (P2SH) address and does not refer to a key")]
    NotAKeyAddress,
    /// The address-like string given as a public key is not a valid public key.
    #[error("owner is neither a base58 address nor a valid hex public key")]
    InvalidOwner,
}

/// A 65-byte compact recoverable signature.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct MessageSignature([u8; COMPACT_SIGNATURE_SIZE]);

/// Base64 with canonical encoding and lenient decoding padding, as wallets emit either.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

impl MessageSignature {
    /// Wraps 65 signature bytes.
    pub const fn from_bytes(bytes: [u8; COMPACT_SIGNATURE_SIZE]) -> MessageSignature {
        MessageSignature(bytes)
    }

    /// The 65 bytes: header, then r and s big-endian.
    pub const fn as_bytes(&self) -> &[u8; COMPACT_SIGNATURE_SIZE] {
        &self.0
    }

    /// Decodes a Base64 signature.
    ///
    /// # Errors
    /// [`MessageError::Base64`] or [`MessageError::SignatureLength`].
    pub fn from_base64(s: &str) -> Result<MessageSignature, MessageError> {
        // 65 bytes are 88 Base64 characters; refuse long input before decoding it.
        if s.len() > 128 {
            return Err(MessageError::SignatureLength {
                length: s.len() * 3 / 4,
            });
        }
        let bytes = BASE64.decode(s.trim()).map_err(|_| MessageError::Base64)?;
        let array: [u8; COMPACT_SIGNATURE_SIZE] =
            bytes
                .as_slice()
                .try_into()
                .map_err(|_| MessageError::SignatureLength {
                    length: bytes.len(),
                })?;
        Ok(MessageSignature(array))
    }

    /// The Base64 form `signmessage` prints.
    pub fn to_base64(&self) -> String {
        BASE64.encode(self.0)
    }

    /// Recovers the signing key the way fluxd does (`CPubKey::RecoverCompact`, `pubkey.cpp:35-53`):
    /// any header byte is accepted, `(header - 27) & 3` is the recovery id and bit 2 of
    /// `header - 27` the compression flag.
    ///
    /// # Errors
    /// [`MessageError::Unrecoverable`].
    pub fn recover(&self, digest: [u8; 32]) -> Result<PublicKey, MessageError> {
        let flags = self.0[0].wrapping_sub(27);
        self.recover_with(digest, flags & 3, flags & 4 != 0)
    }

    fn recover_with(
        &self,
        digest: [u8; 32],
        recovery_id: u8,
        compressed: bool,
    ) -> Result<PublicKey, MessageError> {
        let recovery_id = RecoveryId::try_from(i32::from(recovery_id))
            .map_err(|_| MessageError::Unrecoverable)?;
        let signature = RecoverableSignature::from_compact(&self.0[1..], recovery_id)
            .map_err(|_| MessageError::Unrecoverable)?;
        let key = signature
            .recover(secp256k1::Message::from_digest(digest))
            .map_err(|_| MessageError::Unrecoverable)?;
        Ok(PublicKey::new(key, compressed))
    }
}

impl core::fmt::Debug for MessageSignature {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "MessageSignature({})", self.to_base64())
    }
}

fn push_compact_size(out: &mut Vec<u8>, n: usize) {
    crate::encode::write_compact_size(out, n as u64);
}

/// The digest a message signature commits to: double SHA-256 of the length-prefixed magic and
/// the length-prefixed message.
pub fn message_hash(magic: MessageMagic, message: &[u8]) -> [u8; 32] {
    let magic = magic.as_str().as_bytes();
    let mut data = Vec::with_capacity(magic.len() + message.len() + 10);
    push_compact_size(&mut data, magic.len());
    data.extend_from_slice(magic);
    push_compact_size(&mut data, message.len());
    data.extend_from_slice(message);
    sha256d(&data)
}

/// Signs `message` like `signmessage` (RFC 6979 nonce, header `27 + recid + 4·compressed`).
pub fn sign_message(key: &PrivateKey, message: &[u8], magic: MessageMagic) -> MessageSignature {
    let digest = message_hash(magic, message);
    let signature = RecoverableSignature::sign_ecdsa_recoverable(
        secp256k1::Message::from_digest(digest),
        key.inner(),
    );
    let (recovery_id, compact) = signature.serialize_compact();
    let mut bytes = [0u8; COMPACT_SIGNATURE_SIZE];
    bytes[0] = 27 + recovery_id.to_u8() + if key.is_compressed() { 4 } else { 0 };
    bytes[1..].copy_from_slice(&compact);
    MessageSignature(bytes)
}

/// Verifies a daemon-style signature (`verifymessage`, `rpc/misc.cpp:425-452`) against a Flux
/// transparent address.
///
/// # Errors
/// [`MessageError::NotAKeyAddress`] for a P2SH address, [`MessageError::Unrecoverable`] or
/// [`MessageError::WrongSigner`].
pub fn verify_flux_message(
    address: &Address,
    signature: &MessageSignature,
    message: &[u8],
) -> Result<(), MessageError> {
    let Payload::PubKeyHash(expected) = address.payload() else {
        return Err(MessageError::NotAKeyAddress);
    };
    let key = signature.recover(message_hash(MessageMagic::Flux, message))?;
    if key.pubkey_hash() == *expected {
        Ok(())
    } else {
        Err(MessageError::WrongSigner)
    }
}

/// Verifies a bitcoinjs-message signature as FluxOS does for app owners: the recovered key's
/// HASH160 must equal the 20 bytes after the version byte of the base58 owner address. The
/// version byte itself is not checked, as in bitcoinjs-message (`verify`: `decode(address).slice(1)`).
///
/// Headers 27..=34 are P2PKH (compressed from 31); 35..=38 are P2SH-wrapped segwit keys, whose
/// script hash `HASH160(0x00 0x14 ‖ HASH160(key))` is compared instead.
///
/// # Errors
/// [`MessageError::HeaderOutOfRange`], [`MessageError::SegwitHeader`],
/// [`MessageError::Unrecoverable`] or [`MessageError::WrongSigner`].
pub fn verify_bitcoin_message(
    expected_hash: &[u8; 20],
    signature: &MessageSignature,
    message: &[u8],
) -> Result<(), MessageError> {
    let header = signature.0[0];
    let flags = match header.checked_sub(27) {
        Some(flags @ 0..=15) => flags,
        _ => return Err(MessageError::HeaderOutOfRange { header }),
    };
    if flags & 12 == 12 {
        return Err(MessageError::SegwitHeader { header });
    }
    let compressed = flags & 12 != 0;
    let key = signature.recover_with(
        message_hash(MessageMagic::Bitcoin, message),
        flags & 3,
        compressed,
    )?;
    let key_hash = key.pubkey_hash();
    let actual = if flags & 8 != 0 {
        let mut redeem = [0u8; 22];
        redeem[1] = 0x14;
        redeem[2..].copy_from_slice(&key_hash);
        hash160(&redeem)
    } else {
        key_hash
    };
    if actual == *expected_hash {
        Ok(())
    } else {
        Err(MessageError::WrongSigner)
    }
}

/// Verifies a Base64 message signature against a signer given as a string, choosing the scheme
/// from the signer's form:
/// - a Flux `t1`/`tm` address: the daemon's `verifymessage` ([`MessageMagic::Flux`]);
/// - any other 21-byte base58check address (a `1…` ZelID): FluxOS/bitcoinjs-message
///   ([`MessageMagic::Bitcoin`]);
/// - longer than 36 characters: a hex public key, turned into its HASH160 as FluxOS does
///   (`signatureVerifier.js`: `pubKeyToAddr`), then [`MessageMagic::Bitcoin`].
///
/// # Errors
/// A [`MessageError`] naming why the signature does not hold.
pub fn verify_message(
    signer: &str,
    signature_base64: &str,
    message: &str,
) -> Result<(), MessageError> {
    let signature = MessageSignature::from_base64(signature_base64)?;
    let message = message.as_bytes();
    if signer.len() > 36 {
        let key: PublicKey = signer.parse().map_err(|_| MessageError::InvalidOwner)?;
        return verify_bitcoin_message(&hash160(&key.to_bytes()), &signature, message);
    }
    match Address::parse_any(signer) {
        Ok(address) => verify_flux_message(&address, &signature, message),
        Err(AddressError::Length { length: 21 }) => {
            let data = base58::decode_check(signer).map_err(AddressError::from)?;
            let mut hash = [0u8; 20];
            hash.copy_from_slice(&data[1..]);
            verify_bitcoin_message(&hash, &signature, message)
        }
        Err(error) => Err(error.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flux_pow::Network;

    fn key(compressed: bool) -> PrivateKey {
        PrivateKey::from_secret_bytes([0x42; 32], compressed).unwrap()
    }

    #[test]
    fn flux_round_trip_for_both_key_forms() {
        for compressed in [true, false] {
            let key = key(compressed);
            let address = Address::from_public_key(&key.public_key(), Network::Mainnet);
            let signature = sign_message(&key, b"hello flux", MessageMagic::Flux);
            assert_eq!(signature.as_bytes()[0] >= 31, compressed);
            let b64 = signature.to_base64();
            assert_eq!(
                verify_message(&address.to_string(), &b64, "hello flux"),
                Ok(())
            );
            assert_eq!(
                verify_message(&address.to_string(), &b64, "hello flux!"),
                Err(MessageError::WrongSigner)
            );
        }
    }

    #[test]
    fn magic_matters() {
        let key = key(true);
        let address = Address::from_public_key(&key.public_key(), Network::Mainnet);
        let signature = sign_message(&key, b"m", MessageMagic::Bitcoin);
        assert_eq!(
            verify_flux_message(&address, &signature, b"m"),
            Err(MessageError::WrongSigner)
        );
        assert_eq!(
            verify_bitcoin_message(&key.public_key().pubkey_hash(), &signature, b"m"),
            Ok(())
        );
    }

    #[test]
    fn bad_signatures_are_typed() {
        assert_eq!(
            MessageSignature::from_base64("***"),
            Err(MessageError::Base64)
        );
        assert_eq!(
            MessageSignature::from_base64("AAAA"),
            Err(MessageError::SignatureLength { length: 3 })
        );
        let key = key(true);
        let mut signature = sign_message(&key, b"m", MessageMagic::Bitcoin);
        signature.0[0] = 26;
        assert_eq!(
            verify_bitcoin_message(&[0; 20], &signature, b"m"),
            Err(MessageError::HeaderOutOfRange { header: 26 })
        );
        let script = Address::new(Network::Mainnet, Payload::ScriptHash([0; 20]));
        assert_eq!(
            verify_flux_message(&script, &signature, b"m"),
            Err(MessageError::NotAKeyAddress)
        );
    }
}
