//! Script opcodes (fluxd `src/script/script.h`, `enum opcodetype`).
//!
//! Flux keeps Bitcoin's opcode table as of 2015: `OP_NOP2` is `OP_CHECKLOCKTIMEVERIFY`, there is no
//! `OP_CHECKSEQUENCEVERIFY`, and `OP_CODESEPARATOR` is disabled with the splice, bitwise and
//! multiplication opcodes (`interpreter.cpp:281-298`).

#![allow(missing_docs)] // The constants are the daemon's opcode names; each is its own documentation.

/// Push an empty array (false).
pub const OP_0: u8 = 0x00;
pub const OP_FALSE: u8 = OP_0;
/// Next byte is the push length.
pub const OP_PUSHDATA1: u8 = 0x4c;
/// Next two bytes (little endian) are the push length.
pub const OP_PUSHDATA2: u8 = 0x4d;
/// Next four bytes (little endian) are the push length.
pub const OP_PUSHDATA4: u8 = 0x4e;
pub const OP_1NEGATE: u8 = 0x4f;
pub const OP_RESERVED: u8 = 0x50;
pub const OP_1: u8 = 0x51;
pub const OP_TRUE: u8 = OP_1;
pub const OP_2: u8 = 0x52;
pub const OP_3: u8 = 0x53;
pub const OP_16: u8 = 0x60;
pub const OP_NOP: u8 = 0x61;
pub const OP_VER: u8 = 0x62;
pub const OP_IF: u8 = 0x63;
pub const OP_NOTIF: u8 = 0x64;
pub const OP_VERIF: u8 = 0x65;
pub const OP_VERNOTIF: u8 = 0x66;
pub const OP_ELSE: u8 = 0x67;
pub const OP_ENDIF: u8 = 0x68;
pub const OP_VERIFY: u8 = 0x69;
pub const OP_RETURN: u8 = 0x6a;
pub const OP_TOALTSTACK: u8 = 0x6b;
pub const OP_FROMALTSTACK: u8 = 0x6c;
pub const OP_2DROP: u8 = 0x6d;
pub const OP_2DUP: u8 = 0x6e;
pub const OP_3DUP: u8 = 0x6f;
pub const OP_2OVER: u8 = 0x70;
pub const OP_2ROT: u8 = 0x71;
pub const OP_2SWAP: u8 = 0x72;
pub const OP_IFDUP: u8 = 0x73;
pub const OP_DEPTH: u8 = 0x74;
pub const OP_DROP: u8 = 0x75;
pub const OP_DUP: u8 = 0x76;
pub const OP_NIP: u8 = 0x77;
pub const OP_OVER: u8 = 0x78;
pub const OP_PICK: u8 = 0x79;
pub const OP_ROLL: u8 = 0x7a;
pub const OP_ROT: u8 = 0x7b;
pub const OP_SWAP: u8 = 0x7c;
pub const OP_TUCK: u8 = 0x7d;
pub const OP_CAT: u8 = 0x7e;
pub const OP_SUBSTR: u8 = 0x7f;
pub const OP_LEFT: u8 = 0x80;
pub const OP_RIGHT: u8 = 0x81;
pub const OP_SIZE: u8 = 0x82;
pub const OP_INVERT: u8 = 0x83;
pub const OP_AND: u8 = 0x84;
pub const OP_OR: u8 = 0x85;
pub const OP_XOR: u8 = 0x86;
pub const OP_EQUAL: u8 = 0x87;
pub const OP_EQUALVERIFY: u8 = 0x88;
pub const OP_RESERVED1: u8 = 0x89;
pub const OP_RESERVED2: u8 = 0x8a;
pub const OP_1ADD: u8 = 0x8b;
pub const OP_1SUB: u8 = 0x8c;
pub const OP_2MUL: u8 = 0x8d;
pub const OP_2DIV: u8 = 0x8e;
pub const OP_NEGATE: u8 = 0x8f;
pub const OP_ABS: u8 = 0x90;
pub const OP_NOT: u8 = 0x91;
pub const OP_0NOTEQUAL: u8 = 0x92;
pub const OP_ADD: u8 = 0x93;
pub const OP_SUB: u8 = 0x94;
pub const OP_MUL: u8 = 0x95;
pub const OP_DIV: u8 = 0x96;
pub const OP_MOD: u8 = 0x97;
pub const OP_LSHIFT: u8 = 0x98;
pub const OP_RSHIFT: u8 = 0x99;
pub const OP_BOOLAND: u8 = 0x9a;
pub const OP_BOOLOR: u8 = 0x9b;
pub const OP_NUMEQUAL: u8 = 0x9c;
pub const OP_NUMEQUALVERIFY: u8 = 0x9d;
pub const OP_NUMNOTEQUAL: u8 = 0x9e;
pub const OP_LESSTHAN: u8 = 0x9f;
pub const OP_GREATERTHAN: u8 = 0xa0;
pub const OP_LESSTHANOREQUAL: u8 = 0xa1;
pub const OP_GREATERTHANOREQUAL: u8 = 0xa2;
pub const OP_MIN: u8 = 0xa3;
pub const OP_MAX: u8 = 0xa4;
pub const OP_WITHIN: u8 = 0xa5;
pub const OP_RIPEMD160: u8 = 0xa6;
pub const OP_SHA1: u8 = 0xa7;
pub const OP_SHA256: u8 = 0xa8;
pub const OP_HASH160: u8 = 0xa9;
pub const OP_HASH256: u8 = 0xaa;
pub const OP_CODESEPARATOR: u8 = 0xab;
pub const OP_CHECKSIG: u8 = 0xac;
pub const OP_CHECKSIGVERIFY: u8 = 0xad;
pub const OP_CHECKMULTISIG: u8 = 0xae;
pub const OP_CHECKMULTISIGVERIFY: u8 = 0xaf;
pub const OP_NOP1: u8 = 0xb0;
pub const OP_NOP2: u8 = 0xb1;
pub const OP_CHECKLOCKTIMEVERIFY: u8 = OP_NOP2;
pub const OP_NOP3: u8 = 0xb2;
pub const OP_NOP10: u8 = 0xb9;
pub const OP_INVALIDOPCODE: u8 = 0xff;

/// `OP_1`..`OP_16` for `n` in 1..=16, `OP_0` for 0 (`CScript::EncodeOP_N`).
pub const fn small_int_opcode(n: u8) -> Option<u8> {
    match n {
        0 => Some(OP_0),
        1..=16 => Some(OP_1 + n - 1),
        _ => None,
    }
}

/// The value of `OP_0`..`OP_16` (`CScript::DecodeOP_N`).
pub const fn small_int_value(opcode: u8) -> Option<u8> {
    match opcode {
        OP_0 => Some(0),
        OP_1..=OP_16 => Some(opcode - OP_1 + 1),
        _ => None,
    }
}

/// The daemon's name for an opcode (`GetOpName`, `script.cpp`), as used in script ASM.
pub const fn name(opcode: u8) -> &'static str {
    match opcode {
        OP_0 => "0",
        OP_PUSHDATA1 => "OP_PUSHDATA1",
        OP_PUSHDATA2 => "OP_PUSHDATA2",
        OP_PUSHDATA4 => "OP_PUSHDATA4",
        OP_1NEGATE => "-1",
        OP_RESERVED => "OP_RESERVED",
        0x51 => "1",
        0x52 => "2",
        0x53 => "3",
        0x54 => "4",
        0x55 => "5",
        0x56 => "6",
        0x57 => "7",
        0x58 => "8",
        0x59 => "9",
        0x5a => "10",
        0x5b => "11",
        0x5c => "12",
        0x5d => "13",
        0x5e => "14",
        0x5f => "15",
        0x60 => "16",
        OP_NOP => "OP_NOP",
        OP_VER => "OP_VER",
        OP_IF => "OP_IF",
        OP_NOTIF => "OP_NOTIF",
        OP_VERIF => "OP_VERIF",
        OP_VERNOTIF => "OP_VERNOTIF",
        OP_ELSE => "OP_ELSE",
        OP_ENDIF => "OP_ENDIF",
        OP_VERIFY => "OP_VERIFY",
        OP_RETURN => "OP_RETURN",
        OP_TOALTSTACK => "OP_TOALTSTACK",
        OP_FROMALTSTACK => "OP_FROMALTSTACK",
        OP_2DROP => "OP_2DROP",
        OP_2DUP => "OP_2DUP",
        OP_3DUP => "OP_3DUP",
        OP_2OVER => "OP_2OVER",
        OP_2ROT => "OP_2ROT",
        OP_2SWAP => "OP_2SWAP",
        OP_IFDUP => "OP_IFDUP",
        OP_DEPTH => "OP_DEPTH",
        OP_DROP => "OP_DROP",
        OP_DUP => "OP_DUP",
        OP_NIP => "OP_NIP",
        OP_OVER => "OP_OVER",
        OP_PICK => "OP_PICK",
        OP_ROLL => "OP_ROLL",
        OP_ROT => "OP_ROT",
        OP_SWAP => "OP_SWAP",
        OP_TUCK => "OP_TUCK",
        OP_CAT => "OP_CAT",
        OP_SUBSTR => "OP_SUBSTR",
        OP_LEFT => "OP_LEFT",
        OP_RIGHT => "OP_RIGHT",
        OP_SIZE => "OP_SIZE",
        OP_INVERT => "OP_INVERT",
        OP_AND => "OP_AND",
        OP_OR => "OP_OR",
        OP_XOR => "OP_XOR",
        OP_EQUAL => "OP_EQUAL",
        OP_EQUALVERIFY => "OP_EQUALVERIFY",
        OP_RESERVED1 => "OP_RESERVED1",
        OP_RESERVED2 => "OP_RESERVED2",
        OP_1ADD => "OP_1ADD",
        OP_1SUB => "OP_1SUB",
        OP_2MUL => "OP_2MUL",
        OP_2DIV => "OP_2DIV",
        OP_NEGATE => "OP_NEGATE",
        OP_ABS => "OP_ABS",
        OP_NOT => "OP_NOT",
        OP_0NOTEQUAL => "OP_0NOTEQUAL",
        OP_ADD => "OP_ADD",
        OP_SUB => "OP_SUB",
        OP_MUL => "OP_MUL",
        OP_DIV => "OP_DIV",
        OP_MOD => "OP_MOD",
        OP_LSHIFT => "OP_LSHIFT",
        OP_RSHIFT => "OP_RSHIFT",
        OP_BOOLAND => "OP_BOOLAND",
        OP_BOOLOR => "OP_BOOLOR",
        OP_NUMEQUAL => "OP_NUMEQUAL",
        OP_NUMEQUALVERIFY => "OP_NUMEQUALVERIFY",
        OP_NUMNOTEQUAL => "OP_NUMNOTEQUAL",
        OP_LESSTHAN => "OP_LESSTHAN",
        OP_GREATERTHAN => "OP_GREATERTHAN",
        OP_LESSTHANOREQUAL => "OP_LESSTHANOREQUAL",
        OP_GREATERTHANOREQUAL => "OP_GREATERTHANOREQUAL",
        OP_MIN => "OP_MIN",
        OP_MAX => "OP_MAX",
        OP_WITHIN => "OP_WITHIN",
        OP_RIPEMD160 => "OP_RIPEMD160",
        OP_SHA1 => "OP_SHA1",
        OP_SHA256 => "OP_SHA256",
        OP_HASH160 => "OP_HASH160",
        OP_HASH256 => "OP_HASH256",
        OP_CODESEPARATOR => "OP_CODESEPARATOR",
        OP_CHECKSIG => "OP_CHECKSIG",
        OP_CHECKSIGVERIFY => "OP_CHECKSIGVERIFY",
        OP_CHECKMULTISIG => "OP_CHECKMULTISIG",
        OP_CHECKMULTISIGVERIFY => "OP_CHECKMULTISIGVERIFY",
        OP_NOP1 => "OP_NOP1",
        OP_CHECKLOCKTIMEVERIFY => "OP_CHECKLOCKTIMEVERIFY",
        OP_NOP3 => "OP_NOP3",
        0xb3 => "OP_NOP4",
        0xb4 => "OP_NOP5",
        0xb5 => "OP_NOP6",
        0xb6 => "OP_NOP7",
        0xb7 => "OP_NOP8",
        0xb8 => "OP_NOP9",
        OP_NOP10 => "OP_NOP10",
        OP_INVALIDOPCODE => "OP_INVALIDOPCODE",
        _ => "OP_UNKNOWN",
    }
}
