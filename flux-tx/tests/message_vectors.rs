//! Message signatures checked against the real signed FluxOS app message in
//! `shared/vectors/app_specs.json` (a ZelID owner signing with bitcoinjs-message).

use flux_tx::message::{
    MessageError, MessageMagic, MessageSignature, message_hash, sign_message, verify_message,
};
use flux_tx::{Network, address::Address, keys::PrivateKey};

mod common;

struct SignedMessage {
    owner: String,
    signature: String,
    signed_string: String,
}

fn signed_app_messages() -> Vec<SignedMessage> {
    let json = common::vectors::json("app_specs.json");
    json["specs"]
        .as_array()
        .expect("specs array")
        .iter()
        .filter_map(|spec| {
            let message = spec.get("message")?;
            let signed_string = message.get("signed_string")?.as_str()?.to_owned();
            let signature = message.get("signature")?.as_str()?.to_owned();
            let owner = spec["spec"]["owner"].as_str()?.to_owned();
            Some(SignedMessage {
                owner,
                signature,
                signed_string,
            })
        })
        .collect()
}

#[test]
fn real_fluxos_owner_signature_verifies() {
    let messages = signed_app_messages();
    assert!(
        !messages.is_empty(),
        "app_specs.json has at least one signed message"
    );
    for m in &messages {
        assert_eq!(
            verify_message(&m.owner, &m.signature, &m.signed_string),
            Ok(()),
            "{}",
            m.owner
        );
    }
}

#[test]
fn tampered_real_signature_is_rejected() {
    for m in signed_app_messages() {
        let mut tampered = m.signed_string.clone();
        tampered.push('0');
        assert_eq!(
            verify_message(&m.owner, &m.signature, &tampered),
            Err(MessageError::WrongSigner)
        );
        // Flip one bit of s: either nothing is recoverable or another key is.
        let mut bytes = *MessageSignature::from_base64(&m.signature)
            .unwrap()
            .as_bytes();
        bytes[64] ^= 1;
        let flipped = MessageSignature::from_bytes(bytes).to_base64();
        assert!(verify_message(&m.owner, &flipped, &m.signed_string).is_err());
    }
}

#[test]
fn daemon_magic_is_length_prefixed() {
    // CHashWriter << strMessageMagic writes compactsize(24) before the 24 magic bytes.
    let mut data = vec![24u8];
    data.extend_from_slice(b"Zelcash Signed Message:\n");
    data.push(2);
    data.extend_from_slice(b"hi");
    use sha2::Digest;
    let want: [u8; 32] = sha2::Sha256::digest(sha2::Sha256::digest(&data)).into();
    assert_eq!(message_hash(MessageMagic::Flux, b"hi"), want);
}

#[test]
fn flux_sign_verify_round_trip_on_every_network() {
    let key = PrivateKey::from_secret_bytes([0x11; 32], true).unwrap();
    for network in Network::ALL {
        let address = Address::from_public_key(&key.public_key(), network).to_string();
        let signature = sign_message(&key, b"flux", MessageMagic::Flux).to_base64();
        assert_eq!(verify_message(&address, &signature, "flux"), Ok(()));
        assert_eq!(
            verify_message(&address, &signature, "flux "),
            Err(MessageError::WrongSigner)
        );
    }
}

#[test]
fn hex_public_key_owner_uses_its_hash() {
    let key = PrivateKey::from_secret_bytes([0x12; 32], true).unwrap();
    let signature = sign_message(&key, b"owner", MessageMagic::Bitcoin).to_base64();
    assert_eq!(
        verify_message(&key.public_key().to_string(), &signature, "owner"),
        Ok(())
    );
}
