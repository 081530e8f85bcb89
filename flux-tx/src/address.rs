//! Transparent Flux addresses: `t1…` pay-to-public-key-hash and `t3…` pay-to-script-hash
//! (testnet/regtest: `tm…` and `t2…`), Base58Check with the daemon's two-byte prefixes.
//!
//! Prefixes: fluxd `src/chainparams.cpp:200-202` (main), `:434-436` (test), `:671-672`
//! (regtest); encoding and decoding: `src/key_io.cpp` (`DestinationEncoder`,
//! `DecodeDestination`). Testnet and regtest share their prefixes, so an address string cannot
//! tell them apart; [`Address::parse_any`] reports such addresses as [`Network::Testnet`].

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use crate::base58::{self, Base58Error};
use crate::keys::{PublicKey, hash160};
use crate::script::standard::{self, ScriptTemplate, classify};
use flux_pow::Network;

/// What an address pays to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Payload {
    /// HASH160 of a serialized public key (`CKeyID`): a P2PKH output.
    PubKeyHash([u8; 20]),
    /// HASH160 of a redeem script (`CScriptID`): a P2SH output.
    ScriptHash([u8; 20]),
}

/// A transparent address on one network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Address {
    network: Network,
    payload: Payload,
}

/// Why an address string was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AddressError {
    /// Not valid Base58Check.
    #[error("invalid address encoding: {0}")]
    Base58(#[from] Base58Error),
    /// The payload is not a 2-byte prefix and a 20-byte hash.
    #[error("address payload of {length} bytes is not a 2-byte prefix and a 20-byte hash")]
    Length {
        /// Decoded length without the checksum.
        length: usize,
    },
    /// The prefix is a valid Flux prefix, but of another network than the one asked for.
    #[error("address is for the {found} network, not {expected}")]
    WrongNetwork {
        /// The network the prefix belongs to (testnet for the shared test/regtest prefixes).
        found: Network,
        /// The network asked for.
        expected: Network,
    },
    /// The prefix is not a Flux transparent-address prefix on any network.
    #[error("prefix {prefix:02x?} is not a Flux transparent-address prefix (t1/t3/tm/t2)")]
    UnknownPrefix {
        /// The two prefix bytes found.
        prefix: [u8; 2],
    },
}

/// The two-byte P2PKH prefix of `network` (`base58Prefixes[PUBKEY_ADDRESS]`,
/// `chainparams.cpp:200,434,669`): `t1…` on mainnet, `tm…` elsewhere. The devnet uses the test
/// networks' prefixes, so its addresses can never be mistaken for mainnet ones.
pub const fn pubkey_hash_prefix(network: Network) -> [u8; 2] {
    match network {
        Network::Mainnet => [0x1c, 0xb8],
        Network::Testnet => [0x1d, 0x25],
        Network::Regtest => [0x1d, 0x25],
        Network::Devnet => [0x1d, 0x25],
    }
}

/// The two-byte P2SH prefix of `network` (`base58Prefixes[SCRIPT_ADDRESS]`): `t3…` on mainnet,
/// `t2…` elsewhere (the devnet included, as for [`pubkey_hash_prefix`]).
pub const fn script_hash_prefix(network: Network) -> [u8; 2] {
    match network {
        Network::Mainnet => [0x1c, 0xbd],
        Network::Testnet => [0x1c, 0xba],
        Network::Regtest => [0x1c, 0xba],
        Network::Devnet => [0x1c, 0xba],
    }
}

impl Address {
    /// An address paying `payload` on `network`.
    pub const fn new(network: Network, payload: Payload) -> Address {
        Address { network, payload }
    }

    /// The P2PKH address of a public key, in the key's own form (compressed or not).
    pub fn from_public_key(key: &PublicKey, network: Network) -> Address {
        Address::new(network, Payload::PubKeyHash(key.pubkey_hash()))
    }

    /// The P2SH address of a redeem script (`CScriptID(script)`).
    pub fn from_redeem_script(redeem_script: &[u8], network: Network) -> Address {
        Address::new(network, Payload::ScriptHash(hash160(redeem_script)))
    }

    /// The address an output script pays to (`ExtractDestination`, `script/standard.cpp:201-229`):
    /// P2PKH and P2SH scripts, and bare public-key scripts (`<key> OP_CHECKSIG`, whose key's
    /// HASH160 is the address when the key's length fits its prefix byte, `CPubKey::IsValid`).
    /// `None` for multisig, null data and non-standard scripts, which have no single address.
    pub fn from_script(script: &crate::script::Script, network: Network) -> Option<Address> {
        Address::from_script_bytes(script.as_bytes(), network)
    }

    /// [`Address::from_script`] over raw script bytes.
    pub fn from_script_bytes(script: &[u8], network: Network) -> Option<Address> {
        let payload = match classify(script) {
            ScriptTemplate::PubKeyHash(hash) => Payload::PubKeyHash(hash),
            ScriptTemplate::ScriptHash(hash) => Payload::ScriptHash(hash),
            ScriptTemplate::PubKey(key) => {
                let expected_len = match key[0] {
                    0x02 | 0x03 => 33,
                    0x04 | 0x06 | 0x07 => 65,
                    _ => return None,
                };
                if key.len() != expected_len {
                    return None;
                }
                Payload::PubKeyHash(hash160(&key))
            }
            _ => return None,
        };
        Some(Address::new(network, payload))
    }

    /// The network the address belongs to.
    pub const fn network(&self) -> Network {
        self.network
    }

    /// What the address pays to.
    pub const fn payload(&self) -> &Payload {
        &self.payload
    }

    /// The output script paying this address (`GetScriptForDestination`): 25 bytes for P2PKH,
    /// 23 for P2SH.
    pub fn script_pubkey(&self) -> crate::script::Script {
        crate::script::Script::from(self.script_pubkey_bytes())
    }

    /// [`Address::script_pubkey`] as raw bytes.
    pub fn script_pubkey_bytes(&self) -> Vec<u8> {
        match &self.payload {
            Payload::PubKeyHash(hash) => standard::p2pkh(hash),
            Payload::ScriptHash(hash) => standard::p2sh(hash),
        }
    }

    /// Parses an address that must belong to `network` (`DecodeDestination` with that network's
    /// parameters).
    ///
    /// # Errors
    /// [`AddressError::WrongNetwork`] for an address of another network, and everything
    /// [`Address::parse_any`] rejects.
    pub fn parse(s: &str, network: Network) -> Result<Address, AddressError> {
        let (payload, found) = Self::decode(s)?;
        let same_prefixes = pubkey_hash_prefix(found) == pubkey_hash_prefix(network);
        if !same_prefixes {
            return Err(AddressError::WrongNetwork {
                found,
                expected: network,
            });
        }
        Ok(Address::new(network, payload))
    }

    /// Parses an address of any Flux network (mainnet, or testnet for the prefixes testnet and
    /// regtest share).
    ///
    /// # Errors
    /// [`AddressError::Base58`], [`AddressError::Length`] or [`AddressError::UnknownPrefix`].
    pub fn parse_any(s: &str) -> Result<Address, AddressError> {
        let (payload, network) = Self::decode(s)?;
        Ok(Address::new(network, payload))
    }

    fn decode(s: &str) -> Result<(Payload, Network), AddressError> {
        let data = base58::decode_check(s)?;
        if data.len() != 22 {
            return Err(AddressError::Length { length: data.len() });
        }
        let prefix = [data[0], data[1]];
        let mut hash = [0u8; 20];
        hash.copy_from_slice(&data[2..]);
        for network in [Network::Mainnet, Network::Testnet] {
            if prefix == pubkey_hash_prefix(network) {
                return Ok((Payload::PubKeyHash(hash), network));
            }
            if prefix == script_hash_prefix(network) {
                return Ok((Payload::ScriptHash(hash), network));
            }
        }
        Err(AddressError::UnknownPrefix { prefix })
    }

    /// The Base58Check string (`EncodeDestination`).
    pub fn encode(&self) -> String {
        let (prefix, hash) = match &self.payload {
            Payload::PubKeyHash(hash) => (pubkey_hash_prefix(self.network), hash),
            Payload::ScriptHash(hash) => (script_hash_prefix(self.network), hash),
        };
        let mut data = Vec::with_capacity(22);
        data.extend_from_slice(&prefix);
        data.extend_from_slice(hash);
        base58::encode_check(&data)
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.encode())
    }
}

impl core::str::FromStr for Address {
    type Err = AddressError;

    /// Same as [`Address::parse_any`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Address::parse_any(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_give_the_documented_leading_characters() {
        for network in Network::ALL {
            for payload in [
                Payload::PubKeyHash([0; 20]),
                Payload::PubKeyHash([0xff; 20]),
            ] {
                let s = Address::new(network, payload).encode();
                let want = if network == Network::Mainnet {
                    "t1"
                } else {
                    "tm"
                };
                assert!(s.starts_with(want), "{network} {s}");
            }
            for payload in [
                Payload::ScriptHash([0; 20]),
                Payload::ScriptHash([0xff; 20]),
            ] {
                let s = Address::new(network, payload).encode();
                let want = if network == Network::Mainnet {
                    "t3"
                } else {
                    "t2"
                };
                assert!(s.starts_with(want), "{network} {s}");
            }
        }
    }

    #[test]
    fn script_round_trip_and_non_standard_scripts_have_no_address() {
        let address = Address::new(Network::Mainnet, Payload::ScriptHash([9; 20]));
        let script = address.script_pubkey_bytes();
        assert_eq!(script.len(), 23);
        assert_eq!(
            Address::from_script_bytes(&script, Network::Mainnet),
            Some(address)
        );
        assert_eq!(
            Address::from_script_bytes(&script[..22], Network::Mainnet),
            None
        );
        assert_eq!(
            Address::from_script_bytes(&[0x6a, 0x01, 0x00], Network::Mainnet),
            None
        );
    }

    #[test]
    fn wrong_network_and_unknown_prefix_are_typed() {
        let main = Address::new(Network::Mainnet, Payload::PubKeyHash([1; 20])).encode();
        assert_eq!(
            Address::parse(&main, Network::Regtest),
            Err(AddressError::WrongNetwork {
                found: Network::Mainnet,
                expected: Network::Regtest
            })
        );
        let test = Address::new(Network::Testnet, Payload::PubKeyHash([1; 20])).encode();
        assert_eq!(
            Address::parse(&test, Network::Regtest).unwrap().network(),
            Network::Regtest
        );
        let mut bitcoin = alloc::vec![0x00, 0x00];
        bitcoin.extend_from_slice(&[1; 20]);
        assert_eq!(
            Address::parse_any(&base58::encode_check(&bitcoin)),
            Err(AddressError::UnknownPrefix { prefix: [0, 0] })
        );
        assert_eq!(
            Address::parse_any(&base58::encode_check(&[0x1c, 0xb8, 1])),
            Err(AddressError::Length { length: 3 })
        );
    }
}
