//! One newtype per hash role. All are 32 bytes in the daemon's internal order (the order they are
//! hashed and serialized in) and display, like `uint256::GetHex`, reversed.

use alloc::string::String;
use core::fmt;
use core::str::FromStr;

use crate::encode::{DecodeError, FluxDecode, FluxEncode, read_array};

/// Why text is not a 32-byte hash.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HashParseError {
    /// Not 64 hexadecimal digits.
    #[error("a hash is 64 hex digits; got {0:?}")]
    Malformed(String),
}

/// Reversed hex of internal-order bytes.
fn write_reversed_hex(bytes: &[u8; 32], f: &mut fmt::Formatter<'_>) -> fmt::Result {
    for byte in bytes.iter().rev() {
        write!(f, "{byte:02x}")?;
    }
    Ok(())
}

/// Internal-order bytes of reversed hex.
fn parse_reversed_hex(text: &str) -> Result<[u8; 32], HashParseError> {
    let malformed = || HashParseError::Malformed(text.into());
    if text.len() != 64 {
        return Err(malformed());
    }
    let mut bytes = [0u8; 32];
    hex::decode_to_slice(text, &mut bytes).map_err(|_| malformed())?;
    bytes.reverse();
    Ok(bytes)
}

macro_rules! hash_newtype {
    ($($(#[$doc:meta])* $name:ident;)*) => {$(
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
        pub struct $name(pub [u8; 32]);

        impl $name {
            /// The all-zero hash (`uint256()`, e.g. the genesis block's parent).
            pub const ZERO: $name = $name([0; 32]);

            /// The bytes in internal order.
            pub const fn as_bytes(&self) -> &[u8; 32] {
                &self.0
            }

            /// `true` for the all-zero hash.
            pub fn is_zero(&self) -> bool {
                self.0 == [0; 32]
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write_reversed_hex(&self.0, f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}(", stringify!($name))?;
                write_reversed_hex(&self.0, f)?;
                write!(f, ")")
            }
        }

        impl FromStr for $name {
            type Err = HashParseError;

            fn from_str(text: &str) -> Result<$name, HashParseError> {
                parse_reversed_hex(text).map($name)
            }
        }

        impl FluxEncode for $name {
            fn flux_encode(&self, out: &mut alloc::vec::Vec<u8>) {
                out.extend_from_slice(&self.0);
            }
        }

        impl FluxDecode for $name {
            fn flux_decode(input: &mut &[u8]) -> Result<$name, DecodeError> {
                read_array(input).map($name)
            }
        }

        #[cfg(feature = "serde")]
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        #[cfg(feature = "serde")]
        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<$name, D::Error> {
                let text = <alloc::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    )*};
}

hash_newtype! {
    /// A block hash: double SHA-256 of the header (PoW) or of the header without its signature
    /// (proof of node).
    BlockHash;
    /// A transaction id: double SHA-256 of the transaction's encoding (for fluxnode
    /// transactions, without their signatures).
    Txid;
    /// The merkle root of a block's transaction ids.
    MerkleRoot;
    /// `hashFinalSaplingRoot`: the Sapling note commitment tree root after the block.
    SaplingRoot;
    /// A fluxnode's proof-of-node hash for one parent block and slot (`GetPONHash`): the
    /// number it must bring under the target to produce the block.
    PonHash;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_reversed_and_parses_back() {
        let mut bytes = [0u8; 32];
        bytes[0] = 0xab;
        let hash = Txid(bytes);
        let text = hash.to_string();
        assert!(text.ends_with("ab") && text.starts_with("00"));
        assert_eq!(text.parse::<Txid>().unwrap(), hash);
        assert!("xyz".parse::<BlockHash>().is_err());
        assert!(format!("{:?}", hash).starts_with("Txid(00"));
    }
}
