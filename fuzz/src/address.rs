//! Addresses, WIF keys, message signatures and scripts (flux-tx): parsing arbitrary input must
//! never panic, and whatever parses must re-encode to the same text or bytes.

use flux_tx::address::Address;
use flux_tx::keys::PrivateKey;
use flux_tx::message;
use flux_tx::script::instruction::Instruction;
use flux_tx::script::interpreter::{NoTransaction, VerifyFlags, eval_script, verify_script};
use flux_tx::script::{Instructions, standard};

/// The ASCII whitespace fluxd's Base58 decoder skips around a string.
fn trim_c_space(s: &str) -> &str {
    s.trim_matches(|c| matches!(c, ' ' | '\t' | '\n' | '\x0b' | '\x0c' | '\r'))
}

/// Parses `data` as an address, a WIF key and a message-verification triple; anything that parses
/// must re-encode to the input (surrounding whitespace aside).
pub fn check_address_parse(data: &[u8]) {
    let Ok(text) = core::str::from_utf8(data) else {
        return;
    };
    if let Ok(address) = Address::parse_any(text) {
        assert_eq!(
            address.to_string(),
            trim_c_space(text),
            "address re-encodes to its input"
        );
        assert_eq!(
            Address::from_script_bytes(&address.script_pubkey_bytes(), address.network()),
            Some(address),
            "an address's script pays the address"
        );
    }
    if let Ok((key, network)) = PrivateKey::from_wif_any(text) {
        assert_eq!(
            key.to_wif(network),
            trim_c_space(text),
            "WIF re-encodes to its input"
        );
    }
    let mut parts = text.splitn(3, '\n');
    if let (Some(signer), Some(signature), Some(message)) =
        (parts.next(), parts.next(), parts.next())
    {
        let _ = message::verify_message(signer, signature, message);
    }
}

/// Parses `data` as a script: instructions must re-serialize to the same bytes, classification
/// must agree with address extraction, and evaluation must not panic.
pub fn check_script(data: &[u8]) {
    let mut rebuilt = Vec::with_capacity(data.len());
    let mut complete = true;
    for instruction in Instructions::new(data) {
        match instruction {
            Ok(Instruction::Push {
                opcode,
                data: pushed,
            }) => {
                rebuilt.push(opcode);
                match opcode {
                    0x4c => rebuilt.push(pushed.len() as u8),
                    0x4d => rebuilt.extend_from_slice(&(pushed.len() as u16).to_le_bytes()),
                    0x4e => rebuilt.extend_from_slice(&(pushed.len() as u32).to_le_bytes()),
                    _ => {}
                }
                rebuilt.extend_from_slice(pushed);
            }
            Ok(Instruction::Op(opcode)) => rebuilt.push(opcode),
            Err(_) => {
                complete = false;
                break;
            }
        }
    }
    if complete {
        assert_eq!(rebuilt, data, "instructions re-serialize to the script");
    }
    let template = standard::classify(data);
    let address = Address::from_script_bytes(data, flux_tx::Network::Mainnet);
    if matches!(
        template,
        standard::ScriptTemplate::PubKeyHash(_) | standard::ScriptTemplate::ScriptHash(_)
    ) {
        assert!(address.is_some(), "P2PKH and P2SH scripts have an address");
    }
    let mut stack = Vec::new();
    let _ = eval_script(&mut stack, data, VerifyFlags::STANDARD, &NoTransaction);
    // Split the input into a scriptSig and a scriptPubKey to reach the P2SH path too.
    let split = data.first().map_or(0, |&b| usize::from(b)).min(data.len());
    let _ = verify_script(
        &data[..split],
        &data[split..],
        VerifyFlags::STANDARD,
        &NoTransaction,
    );
}
