//! Standard output-script templates: classify (`Solver`, fluxd `src/script/standard.cpp:66-176`),
//! check standardness (`IsStandard`, `:182-199`) and build (`GetScriptForDestination`,
//! `GetScriptForMultisig`).
//!
//! Classification follows the daemon's template matcher exactly, quirks included: a 20-byte
//! P2PKH hash or a 33..=65-byte key may be pushed with any push opcode, multisig key pushes are
//! only length-checked, and `OP_RETURN` followed by any single instruction whose push data is at
//! most 80 bytes (even a non-push opcode) is null data.

use alloc::vec::Vec;

use super::instruction::{Instruction, Instructions};
use super::interpreter::is_pay_to_script_hash;
use super::opcodes::*;

/// Largest `OP_RETURN` payload relayed by default (`MAX_OP_RETURN_RELAY`, `standard.h:29`): 80
/// data bytes, not script bytes.
pub const MAX_OP_RETURN_RELAY: usize = 80;
/// Largest standard bare multisig (`IsStandard`: "up to x-of-3").
pub const MAX_STANDARD_MULTISIG_KEYS: usize = 3;

/// The template an output script matches (`txnouttype` with its solutions).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ScriptTemplate {
    /// `<pubkey> OP_CHECKSIG` (`TX_PUBKEY`); the key is any 33..=65-byte push.
    PubKey(Vec<u8>),
    /// `OP_DUP OP_HASH160 <20 bytes> OP_EQUALVERIFY OP_CHECKSIG` (`TX_PUBKEYHASH`).
    PubKeyHash([u8; 20]),
    /// `OP_HASH160 <20 bytes> OP_EQUAL` (`TX_SCRIPTHASH`).
    ScriptHash([u8; 20]),
    /// `OP_m <pubkey>… OP_n OP_CHECKMULTISIG` with 1 ≤ m ≤ n (`TX_MULTISIG`).
    Multisig {
        /// Signatures required (m).
        required: u8,
        /// The n public keys, as pushed.
        keys: Vec<Vec<u8>>,
    },
    /// `OP_RETURN [small push]` (`TX_NULL_DATA`): provably unspendable, carries data.
    NullData(Vec<u8>),
    /// Anything else (`TX_NONSTANDARD`).
    NonStandard,
}

/// Why a standard script could not be built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TemplateError {
    /// Multisig needs 1 ≤ m ≤ n ≤ 16 keys (`EncodeOP_N` range; the daemon's RPC caps n at 16).
    #[error("multisig needs 1 <= required ({required}) <= keys ({keys}) <= 16")]
    MultisigCounts {
        /// m.
        required: usize,
        /// n.
        keys: usize,
    },
    /// A multisig key is not a 33- or 65-byte public key encoding.
    #[error("multisig key {index} is {length} bytes, not 33 or 65")]
    MultisigKeyLength {
        /// Position of the key.
        index: usize,
        /// Its length.
        length: usize,
    },
    /// `OP_RETURN` data above [`MAX_OP_RETURN_RELAY`] bytes would not be relayed.
    #[error("OP_RETURN data of {length} bytes exceeds the {MAX_OP_RETURN_RELAY}-byte relay limit")]
    NullDataTooLong {
        /// The data length.
        length: usize,
    },
}

/// Classifies an output script (`Solver`).
pub fn classify(script: &[u8]) -> ScriptTemplate {
    if is_pay_to_script_hash(script) {
        let mut hash = [0u8; 20];
        hash.copy_from_slice(&script[2..22]);
        return ScriptTemplate::ScriptHash(hash);
    }
    let Ok(ops) = Instructions::new(script).collect::<Result<Vec<_>, _>>() else {
        return ScriptTemplate::NonStandard;
    };
    fn data<'a>(instruction: &Instruction<'a>) -> &'a [u8] {
        match instruction {
            Instruction::Push { data, .. } => data,
            Instruction::Op(_) => &[],
        }
    }
    match ops.as_slice() {
        [key, Instruction::Op(OP_CHECKSIG)] if (33..=65).contains(&data(key).len()) => {
            ScriptTemplate::PubKey(data(key).to_vec())
        }
        [
            Instruction::Op(OP_DUP),
            Instruction::Op(OP_HASH160),
            hash,
            Instruction::Op(OP_EQUALVERIFY),
            Instruction::Op(OP_CHECKSIG),
        ] if data(hash).len() == 20 => {
            let mut h = [0u8; 20];
            h.copy_from_slice(data(hash));
            ScriptTemplate::PubKeyHash(h)
        }
        [Instruction::Op(OP_RETURN)] => ScriptTemplate::NullData(Vec::new()),
        [Instruction::Op(OP_RETURN), payload] if data(payload).len() <= MAX_OP_RETURN_RELAY => {
            ScriptTemplate::NullData(data(payload).to_vec())
        }
        [first, middle @ .., last, Instruction::Op(OP_CHECKMULTISIG)] => {
            match (
                small_int_value(first.opcode()),
                small_int_value(last.opcode()),
            ) {
                (Some(m), Some(n))
                    if m >= 1
                        && m <= n
                        && usize::from(n) == middle.len()
                        && middle.iter().all(|k| (33..=65).contains(&data(k).len())) =>
                {
                    ScriptTemplate::Multisig {
                        required: m,
                        keys: middle.iter().map(|k| data(k).to_vec()).collect(),
                    }
                }
                _ => ScriptTemplate::NonStandard,
            }
        }
        _ => ScriptTemplate::NonStandard,
    }
}

/// Whether an output script is standard for relay (`IsStandard`): any template but
/// non-standard, with bare multisig limited to x-of-3.
pub fn is_standard(script: &[u8]) -> bool {
    match classify(script) {
        ScriptTemplate::NonStandard => false,
        ScriptTemplate::Multisig { keys, .. } => keys.len() <= MAX_STANDARD_MULTISIG_KEYS,
        _ => true,
    }
}

/// Appends a push of `data` with the shortest push opcode (`CScript::operator<<(vector)`).
pub(crate) fn push_data(script: &mut Vec<u8>, data: &[u8]) {
    // `CScript::operator<<(vector)`: the shortest push opcode for the length.
    match data.len() {
        len @ 0..=75 => script.push(len as u8),
        len @ 76..=255 => script.extend_from_slice(&[OP_PUSHDATA1, len as u8]),
        len @ 256..=65_535 => {
            script.push(OP_PUSHDATA2);
            script.extend_from_slice(&(len as u16).to_le_bytes());
        }
        len => {
            script.push(OP_PUSHDATA4);
            script.extend_from_slice(&(len as u32).to_le_bytes());
        }
    }
    script.extend_from_slice(data);
}

/// `OP_DUP OP_HASH160 <hash> OP_EQUALVERIFY OP_CHECKSIG`.
pub fn p2pkh(pubkey_hash: &[u8; 20]) -> Vec<u8> {
    let mut script = Vec::with_capacity(25);
    script.extend_from_slice(&[OP_DUP, OP_HASH160]);
    push_data(&mut script, pubkey_hash);
    script.extend_from_slice(&[OP_EQUALVERIFY, OP_CHECKSIG]);
    script
}

/// `OP_HASH160 <hash> OP_EQUAL`.
pub fn p2sh(script_hash: &[u8; 20]) -> Vec<u8> {
    let mut script = Vec::with_capacity(23);
    script.push(OP_HASH160);
    push_data(&mut script, script_hash);
    script.push(OP_EQUAL);
    script
}

/// `<pubkey> OP_CHECKSIG`.
pub fn p2pk(public_key: &[u8]) -> Vec<u8> {
    let mut script = Vec::with_capacity(public_key.len() + 2);
    push_data(&mut script, public_key);
    script.push(OP_CHECKSIG);
    script
}

/// `OP_m <key>… OP_n OP_CHECKMULTISIG` (`GetScriptForMultisig`), also the redeem script of a
/// P2SH multisig address.
///
/// # Errors
/// [`TemplateError::MultisigCounts`] unless 1 ≤ m ≤ n ≤ 16; [`TemplateError::MultisigKeyLength`]
/// for a key that is not 33 or 65 bytes.
pub fn multisig(required: usize, keys: &[&[u8]]) -> Result<Vec<u8>, TemplateError> {
    let counts = TemplateError::MultisigCounts {
        required,
        keys: keys.len(),
    };
    if required == 0 || required > keys.len() || keys.len() > 16 {
        return Err(counts);
    }
    if let Some((index, key)) = keys
        .iter()
        .enumerate()
        .find(|(_, k)| !matches!(k.len(), 33 | 65))
    {
        return Err(TemplateError::MultisigKeyLength {
            index,
            length: key.len(),
        });
    }
    let mut script = Vec::with_capacity(3 + keys.len() * 34);
    script.push(small_int_opcode(required as u8).ok_or(counts)?);
    for key in keys {
        push_data(&mut script, key);
    }
    script.push(small_int_opcode(keys.len() as u8).ok_or(counts)?);
    script.push(OP_CHECKMULTISIG);
    Ok(script)
}

/// `OP_RETURN <data>` (an empty `data` still gets its `OP_0` push).
///
/// # Errors
/// [`TemplateError::NullDataTooLong`] above [`MAX_OP_RETURN_RELAY`] bytes.
pub fn null_data(data: &[u8]) -> Result<Vec<u8>, TemplateError> {
    if data.len() > MAX_OP_RETURN_RELAY {
        return Err(TemplateError::NullDataTooLong { length: data.len() });
    }
    let mut script = Vec::with_capacity(data.len() + 3);
    script.push(OP_RETURN);
    push_data(&mut script, data);
    Ok(script)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_scripts_classify_back() {
        assert_eq!(
            classify(&p2pkh(&[1; 20])),
            ScriptTemplate::PubKeyHash([1; 20])
        );
        assert_eq!(
            classify(&p2sh(&[2; 20])),
            ScriptTemplate::ScriptHash([2; 20])
        );
        assert_eq!(
            classify(&p2pk(&[3; 33])),
            ScriptTemplate::PubKey([3; 33].to_vec())
        );
        let keys = [[2u8; 33], [3u8; 33], [4u8; 33]];
        let refs: Vec<&[u8]> = keys.iter().map(|k| &k[..]).collect();
        let script = multisig(2, &refs).unwrap();
        assert_eq!(
            classify(&script),
            ScriptTemplate::Multisig {
                required: 2,
                keys: keys.iter().map(|k| k.to_vec()).collect()
            }
        );
        assert!(is_standard(&script));
        assert_eq!(
            classify(&null_data(b"flux").unwrap()),
            ScriptTemplate::NullData(b"flux".to_vec())
        );
        assert_eq!(classify(&[OP_RETURN]), ScriptTemplate::NullData(Vec::new()));
    }

    #[test]
    fn daemon_template_quirks() {
        // OP_RETURN followed by a non-push opcode is still null data.
        assert_eq!(
            classify(&[OP_RETURN, OP_NOP]),
            ScriptTemplate::NullData(Vec::new())
        );
        // A P2PKH hash pushed with OP_PUSHDATA1 still matches.
        let mut script = vec![OP_DUP, OP_HASH160, OP_PUSHDATA1, 20];
        script.extend_from_slice(&[9; 20]);
        script.extend_from_slice(&[OP_EQUALVERIFY, OP_CHECKSIG]);
        assert_eq!(classify(&script), ScriptTemplate::PubKeyHash([9; 20]));
        // 81 bytes of OP_RETURN data are non-standard; two pushes too.
        let mut long = vec![OP_RETURN, OP_PUSHDATA1, 81];
        long.extend_from_slice(&[0; 81]);
        assert_eq!(classify(&long), ScriptTemplate::NonStandard);
        assert_eq!(
            classify(&[OP_RETURN, 0x00, 0x00]),
            ScriptTemplate::NonStandard
        );
        // 0-of-1 and 2-of-1 multisig do not match; 1-of-4 matches but is not standard.
        let key = [2u8; 33];
        let mut zero = vec![OP_0, 33];
        zero.extend_from_slice(&key);
        zero.extend_from_slice(&[OP_1, OP_CHECKMULTISIG]);
        assert_eq!(classify(&zero), ScriptTemplate::NonStandard);
        let four = multisig(1, &[&key, &key, &key, &key]).unwrap();
        assert!(matches!(
            classify(&four),
            ScriptTemplate::Multisig { required: 1, .. }
        ));
        assert!(!is_standard(&four));
    }

    #[test]
    fn builder_errors() {
        let key = [2u8; 33];
        assert_eq!(
            multisig(0, &[&key]),
            Err(TemplateError::MultisigCounts {
                required: 0,
                keys: 1
            })
        );
        assert_eq!(
            multisig(2, &[&key]),
            Err(TemplateError::MultisigCounts {
                required: 2,
                keys: 1
            })
        );
        assert_eq!(
            multisig(1, &[&key[..32]]),
            Err(TemplateError::MultisigKeyLength {
                index: 0,
                length: 32
            })
        );
        assert_eq!(
            null_data(&[0; 81]),
            Err(TemplateError::NullDataTooLong { length: 81 })
        );
    }
}
