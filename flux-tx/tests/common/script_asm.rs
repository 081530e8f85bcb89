//! fluxd's test-data notation for scripts and verification flags (`ParseScript`,
//! `ParseScriptFlags`), shared by flux-tx's daemon-vector tests and, through `#[path]`,
//! flux-consensus's transaction-vector test.

use flux_tx::script::interpreter::VerifyFlags;
use flux_tx::script::opcodes;

/// `ParseScript` (fluxd `src/core_read.cpp`): numbers, `0x` raw bytes, quoted pushes and opcode
/// names with or without `OP_`.
pub fn parse_asm(text: &str) -> Vec<u8> {
    let mut script = Vec::new();
    for word in text.split([' ', '\t', '\n']).filter(|w| !w.is_empty()) {
        let is_number = word.bytes().all(|b| b.is_ascii_digit())
            || (word.len() > 1
                && word.starts_with('-')
                && word[1..].bytes().all(|b| b.is_ascii_digit()));
        if is_number {
            let n: i64 = word.parse().unwrap_or(if word.starts_with('-') {
                i64::MIN
            } else {
                i64::MAX
            });
            match n {
                0 => script.push(opcodes::OP_0),
                -1 => script.push(opcodes::OP_1NEGATE),
                1..=16 => script.push(opcodes::OP_1 + n as u8 - 1),
                _ => push(&mut script, &flux_tx::script::num::encode(n)),
            }
        } else if let Some(raw) = word.strip_prefix("0x").filter(|r| !r.is_empty()) {
            script.extend(hex::decode(raw).unwrap_or_else(|_| panic!("bad hex {word}")));
        } else if word.len() >= 2 && word.starts_with('\'') && word.ends_with('\'') {
            push(&mut script, &word.as_bytes()[1..word.len() - 1]);
        } else {
            script.push(opcode_by_name(word).unwrap_or_else(|| panic!("unknown opcode {word}")));
        }
    }
    script
}

fn push(script: &mut Vec<u8>, data: &[u8]) {
    match data.len() {
        len @ 0..=75 => script.push(len as u8),
        len @ 76..=255 => script.extend_from_slice(&[opcodes::OP_PUSHDATA1, len as u8]),
        len @ 256..=65_535 => {
            script.push(opcodes::OP_PUSHDATA2);
            script.extend_from_slice(&(len as u16).to_le_bytes());
        }
        len => {
            script.push(opcodes::OP_PUSHDATA4);
            script.extend_from_slice(&(len as u32).to_le_bytes());
        }
    }
    script.extend_from_slice(data);
}

/// Names `ParseScript` knows: every opcode from `OP_NOP` to `OP_NOP10` plus `OP_RESERVED`.
fn opcode_by_name(word: &str) -> Option<u8> {
    let name = if word.starts_with("OP_") {
        word.to_owned()
    } else {
        format!("OP_{word}")
    };
    (opcodes::OP_NOP..=opcodes::OP_NOP10)
        .chain([opcodes::OP_RESERVED])
        .find(|&op| opcodes::name(op) == name)
        // OP_NOP2 is named OP_CHECKLOCKTIMEVERIFY, but the tests also use the old name.
        .or_else(|| (name == "OP_NOP2").then_some(opcodes::OP_NOP2))
}

pub fn parse_flags(text: &str) -> VerifyFlags {
    text.split(',')
        .filter(|w| !w.is_empty())
        .fold(VerifyFlags::NONE, |flags, word| {
            flags
                | match word {
                    "NONE" => VerifyFlags::NONE,
                    "P2SH" => VerifyFlags::P2SH,
                    "STRICTENC" => VerifyFlags::STRICTENC,
                    "LOW_S" => VerifyFlags::LOW_S,
                    "SIGPUSHONLY" => VerifyFlags::SIGPUSHONLY,
                    "MINIMALDATA" => VerifyFlags::MINIMALDATA,
                    "NULLDUMMY" => VerifyFlags::NULLDUMMY,
                    "DISCOURAGE_UPGRADABLE_NOPS" => VerifyFlags::DISCOURAGE_UPGRADABLE_NOPS,
                    "CLEANSTACK" => VerifyFlags::CLEANSTACK,
                    "CHECKLOCKTIMEVERIFY" => VerifyFlags::CHECKLOCKTIMEVERIFY,
                    other => panic!("unknown verification flag {other}"),
                }
        })
}
