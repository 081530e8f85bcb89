//! Fixtures shared by the integration tests: keys and mainnet addresses from one-byte seeds,
//! reward events, claim signatures in the daemon's format, and the data files under
//! `tests/data`. Each test file uses some of them.
#![allow(dead_code)]

use flux_parallel::{ClaimRequest, RewardEvent, Role, UnixTime};
use flux_pow::{BlockHeight, Network};
use flux_tx::address::Address;
use flux_tx::keys::PrivateKey;
use flux_tx::message::{MessageMagic, sign_message};

/// The compressed key whose secret is 32 bytes of `seed`.
pub fn key(seed: u8) -> PrivateKey {
    PrivateKey::from_secret_bytes([seed; 32], true).expect("a seed below the curve order")
}

/// The mainnet P2PKH address of [`key`]`(seed)`.
pub fn address(seed: u8) -> Address {
    address_of(&key(seed))
}

/// The mainnet P2PKH address of `key`.
pub fn address_of(key: &PrivateKey) -> Address {
    Address::from_public_key(&key.public_key(), Network::Mainnet)
}

/// A reward of `flux_zats` paid to `recipient` at `height` and `time`.
pub fn event(
    height: u32,
    time: u64,
    recipient: Address,
    role: Role,
    flux_zats: u64,
) -> RewardEvent {
    RewardEvent {
        height: BlockHeight(height),
        time: UnixTime(time),
        recipient,
        role,
        flux_zats,
    }
}

/// The base64 signature of `request`'s message by `key`, as `fluxd signmessage` makes it.
pub fn sign_claim(request: &ClaimRequest, key: &PrivateKey) -> String {
    sign_message(key, request.message().as_bytes(), MessageMagic::Flux).to_base64()
}

/// A JSON file of `tests/data`, parsed.
pub fn data_json(name: &str) -> serde_json::Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}
