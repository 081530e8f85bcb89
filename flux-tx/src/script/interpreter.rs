//! The script interpreter: `EvalScript` and `VerifyScript` of fluxd `src/script/interpreter.cpp`.
//!
//! Flux's interpreter is Bitcoin's of 2015 minus `OP_CODESEPARATOR` (disabled, so the script code
//! a signature commits to is always the whole executing script and no `FindAndDelete` happens),
//! with strict DER signatures always enforced (`interpreter.cpp:190-205`; `SCRIPT_VERIFY_DERSIG`
//! does not exist) and `OP_CHECKLOCKTIMEVERIFY` behind its flag. Signature hashing and key
//! checks are delegated to a [`SignatureChecker`], so the interpreter stays transaction-agnostic.
//!
//! Each failure is a [`ScriptError`] variant named after the daemon's `SCRIPT_ERR_*` code. Two
//! deliberate refinements: numbers that are too long or non-minimal are
//! [`ScriptError::ScriptNumOverflow`]/[`ScriptError::NonMinimalScriptNum`] (the daemon throws and
//! reports `SCRIPT_ERR_UNKNOWN_ERROR`), and a high-S signature under `LOW_S` is
//! [`ScriptError::SigHighS`] (the daemon's `IsLowDERSignature` returns false without setting an
//! error, also leaving `SCRIPT_ERR_UNKNOWN_ERROR`). Validity is identical.

use alloc::vec;
use alloc::vec::Vec;

use ripemd::Ripemd160;
use sha2::{Digest, Sha256};

use super::instruction::{Instruction, Instructions, is_push_only};
use super::num::{self, DEFAULT_MAX_NUM_SIZE, ScriptNumError};
use super::opcodes::*;
use crate::keys::{hash160, sha256d};

/// Largest script `EvalScript` runs (`MAX_SCRIPT_SIZE`, `script.h:27`).
pub const MAX_SCRIPT_SIZE: usize = 10_000;
/// Largest stack element (`MAX_SCRIPT_ELEMENT_SIZE`, `script.h:24`).
pub const MAX_SCRIPT_ELEMENT_SIZE: usize = 520;
/// Most non-push opcodes per script, `CHECKMULTISIG` keys included (`interpreter.cpp:277`).
pub const MAX_OPS_PER_SCRIPT: usize = 201;
/// Most public keys in one `CHECKMULTISIG` (`interpreter.cpp:856`).
pub const MAX_PUBKEYS_PER_MULTISIG: i32 = 20;
/// Most elements on the main and alt stacks together (`interpreter.cpp:942`).
pub const MAX_STACK_SIZE: usize = 1000;
/// Lock times below this are block heights, at or above it Unix times (`script.h:31`).
pub const LOCKTIME_THRESHOLD: i64 = 500_000_000;

/// Script verification flags (`interpreter.h:36-95`). Combine with `|`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct VerifyFlags(pub u32);

impl VerifyFlags {
    /// No optional rule.
    pub const NONE: VerifyFlags = VerifyFlags(0);
    /// Evaluate P2SH redeem scripts (BIP16).
    pub const P2SH: VerifyFlags = VerifyFlags(1 << 0);
    /// Defined hash types and canonical public keys in checksig operations.
    pub const STRICTENC: VerifyFlags = VerifyFlags(1 << 1);
    /// Signatures' S must be at most half the curve order (BIP62 rule 5).
    pub const LOW_S: VerifyFlags = VerifyFlags(1 << 3);
    /// The extra `CHECKMULTISIG` argument must be empty (BIP62 rule 7).
    pub const NULLDUMMY: VerifyFlags = VerifyFlags(1 << 4);
    /// scriptSig must be push-only (BIP62 rule 2).
    pub const SIGPUSHONLY: VerifyFlags = VerifyFlags(1 << 5);
    /// Minimal pushes and minimal script numbers (BIP62 rules 3 and 4).
    pub const MINIMALDATA: VerifyFlags = VerifyFlags(1 << 6);
    /// Executing `OP_NOP1`, `OP_NOP3`..`OP_NOP10` fails.
    pub const DISCOURAGE_UPGRADABLE_NOPS: VerifyFlags = VerifyFlags(1 << 7);
    /// Exactly one stack element must remain (BIP62 rule 6; needs `P2SH`).
    pub const CLEANSTACK: VerifyFlags = VerifyFlags(1 << 8);
    /// `OP_NOP2` is `OP_CHECKLOCKTIMEVERIFY` (BIP65).
    pub const CHECKLOCKTIMEVERIFY: VerifyFlags = VerifyFlags(1 << 9);

    /// Flags every block must satisfy (`MANDATORY_SCRIPT_VERIFY_FLAGS`, `script/standard.h:40`).
    pub const MANDATORY: VerifyFlags = VerifyFlags::P2SH;
    /// Flags the mempool enforces (`STANDARD_SCRIPT_VERIFY_FLAGS`, `script/standard.h:47-55`).
    pub const STANDARD: VerifyFlags = VerifyFlags(
        VerifyFlags::P2SH.0
            | VerifyFlags::STRICTENC.0
            | VerifyFlags::MINIMALDATA.0
            | VerifyFlags::NULLDUMMY.0
            | VerifyFlags::DISCOURAGE_UPGRADABLE_NOPS.0
            | VerifyFlags::CLEANSTACK.0
            | VerifyFlags::CHECKLOCKTIMEVERIFY.0
            | VerifyFlags::LOW_S.0,
    );

    /// Whether every flag of `other` is set.
    pub const fn contains(self, other: VerifyFlags) -> bool {
        self.0 & other.0 == other.0
    }
}

impl core::ops::BitOr for VerifyFlags {
    type Output = VerifyFlags;
    fn bitor(self, rhs: VerifyFlags) -> VerifyFlags {
        VerifyFlags(self.0 | rhs.0)
    }
}

/// Why a script failed (`ScriptError_t`, `script/script_error.h`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ScriptError {
    /// The script ended with an empty stack or a false top element (`SCRIPT_ERR_EVAL_FALSE`).
    #[error("script evaluated to false")]
    EvalFalse,
    /// `OP_RETURN` was executed (`SCRIPT_ERR_OP_RETURN`).
    #[error("OP_RETURN was executed")]
    OpReturn,
    /// Script longer than 10,000 bytes (`SCRIPT_ERR_SCRIPT_SIZE`).
    #[error("script is longer than 10000 bytes")]
    ScriptSize,
    /// A push of more than 520 bytes (`SCRIPT_ERR_PUSH_SIZE`).
    #[error("push of more than 520 bytes")]
    PushSize,
    /// More than 201 non-push opcodes (`SCRIPT_ERR_OP_COUNT`).
    #[error("more than 201 non-push opcodes")]
    OpCount,
    /// More than 1000 stack elements (`SCRIPT_ERR_STACK_SIZE`).
    #[error("more than 1000 stack elements")]
    StackSize,
    /// `CHECKMULTISIG` signature count negative or above the key count (`SCRIPT_ERR_SIG_COUNT`).
    #[error("CHECKMULTISIG signature count out of range")]
    SigCount,
    /// `CHECKMULTISIG` key count negative or above 20 (`SCRIPT_ERR_PUBKEY_COUNT`).
    #[error("CHECKMULTISIG public key count out of range")]
    PubkeyCount,
    /// `OP_VERIFY` on false (`SCRIPT_ERR_VERIFY`).
    #[error("OP_VERIFY failed")]
    Verify,
    /// `OP_EQUALVERIFY` on unequal elements (`SCRIPT_ERR_EQUALVERIFY`).
    #[error("OP_EQUALVERIFY failed")]
    EqualVerify,
    /// `OP_CHECKMULTISIGVERIFY` failed (`SCRIPT_ERR_CHECKMULTISIGVERIFY`).
    #[error("OP_CHECKMULTISIGVERIFY failed")]
    CheckMultisigVerify,
    /// `OP_CHECKSIGVERIFY` failed (`SCRIPT_ERR_CHECKSIGVERIFY`).
    #[error("OP_CHECKSIGVERIFY failed")]
    CheckSigVerify,
    /// `OP_NUMEQUALVERIFY` failed (`SCRIPT_ERR_NUMEQUALVERIFY`).
    #[error("OP_NUMEQUALVERIFY failed")]
    NumEqualVerify,
    /// An undefined or reserved opcode was executed, or a push is truncated (`SCRIPT_ERR_BAD_OPCODE`).
    #[error("bad or truncated opcode")]
    BadOpcode,
    /// A disabled opcode appears, executed or not (`SCRIPT_ERR_DISABLED_OPCODE`).
    #[error("disabled opcode")]
    DisabledOpcode,
    /// Too few stack elements for an operation (`SCRIPT_ERR_INVALID_STACK_OPERATION`).
    #[error("operation needs more stack elements")]
    InvalidStackOperation,
    /// `OP_FROMALTSTACK` on an empty alt stack (`SCRIPT_ERR_INVALID_ALTSTACK_OPERATION`).
    #[error("OP_FROMALTSTACK on an empty alt stack")]
    InvalidAltstackOperation,
    /// `IF`/`ELSE`/`ENDIF` do not pair up (`SCRIPT_ERR_UNBALANCED_CONDITIONAL`).
    #[error("unbalanced conditional")]
    UnbalancedConditional,
    /// `OP_CHECKLOCKTIMEVERIFY` on a negative lock time (`SCRIPT_ERR_NEGATIVE_LOCKTIME`).
    #[error("negative lock time")]
    NegativeLockTime,
    /// `OP_CHECKLOCKTIMEVERIFY` not satisfied by the transaction (`SCRIPT_ERR_UNSATISFIED_LOCKTIME`).
    #[error("lock time requirement not satisfied")]
    UnsatisfiedLockTime,
    /// Under `STRICTENC`, a hash type other than ALL/NONE/SINGLE (± ANYONECANPAY) (`SCRIPT_ERR_SIG_HASHTYPE`).
    #[error("undefined signature hash type")]
    SigHashType,
    /// A non-empty signature that is not strict DER (`SCRIPT_ERR_SIG_DER`, BIP66).
    #[error("signature is not strict DER")]
    SigDer,
    /// Under `MINIMALDATA`, a push that a shorter opcode could do (`SCRIPT_ERR_MINIMALDATA`).
    #[error("non-minimal data push")]
    MinimalData,
    /// scriptSig is not push-only (`SCRIPT_ERR_SIG_PUSHONLY`).
    #[error("scriptSig is not push-only")]
    SigPushOnly,
    /// Under `LOW_S`, S above half the curve order (`SCRIPT_ERR_SIG_HIGH_S`).
    #[error("signature S value is above half the curve order")]
    SigHighS,
    /// Under `NULLDUMMY`, a non-empty extra `CHECKMULTISIG` argument (`SCRIPT_ERR_SIG_NULLDUMMY`).
    #[error("CHECKMULTISIG dummy argument is not empty")]
    SigNullDummy,
    /// Under `STRICTENC`, a public key that is not 33/65 bytes with a valid prefix (`SCRIPT_ERR_PUBKEYTYPE`).
    #[error("public key is neither compressed nor uncompressed")]
    PubkeyType,
    /// Under `CLEANSTACK`, more than one element left (`SCRIPT_ERR_CLEANSTACK`).
    #[error("stack not clean after evaluation")]
    CleanStack,
    /// Under `DISCOURAGE_UPGRADABLE_NOPS`, an upgradable NOP was executed.
    #[error("upgradable NOP executed")]
    DiscourageUpgradableNops,
    /// A numeric operand longer than allowed (the daemon throws: `SCRIPT_ERR_UNKNOWN_ERROR`).
    #[error("numeric operand too long")]
    ScriptNumOverflow,
    /// Under `MINIMALDATA`, a numeric operand not minimally encoded (daemon: `SCRIPT_ERR_UNKNOWN_ERROR`).
    #[error("numeric operand not minimally encoded")]
    NonMinimalScriptNum,
}

impl From<ScriptNumError> for ScriptError {
    fn from(error: ScriptNumError) -> ScriptError {
        match error {
            ScriptNumError::Overflow { .. } => ScriptError::ScriptNumOverflow,
            ScriptNumError::NonMinimal => ScriptError::NonMinimalScriptNum,
        }
    }
}

/// What the interpreter needs from the spending transaction (`BaseSignatureChecker`).
pub trait SignatureChecker {
    /// Whether `signature` (DER plus a trailing hash-type byte) is valid for `public_key` over the
    /// transaction's signature hash with `script_code` (`TransactionSignatureChecker::CheckSig`).
    fn check_sig(&self, signature: &[u8], public_key: &[u8], script_code: &[u8]) -> bool;
    /// Whether the transaction satisfies an `OP_CHECKLOCKTIMEVERIFY` lock time
    /// (`TransactionSignatureChecker::CheckLockTime`).
    fn check_lock_time(&self, lock_time: i64) -> bool;
}

/// A checker for scripts outside any transaction: every signature and lock time fails
/// (`BaseSignatureChecker`).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoTransaction;

impl SignatureChecker for NoTransaction {
    fn check_sig(&self, _: &[u8], _: &[u8], _: &[u8]) -> bool {
        false
    }
    fn check_lock_time(&self, _: i64) -> bool {
        false
    }
}

/// Strict DER with a trailing hash-type byte (`IsValidSignatureEncoding`, `interpreter.cpp:97-157`,
/// BIP66).
pub fn is_valid_signature_encoding(sig: &[u8]) -> bool {
    let len = sig.len();
    if !(9..=73).contains(&len) || sig[0] != 0x30 || usize::from(sig[1]) != len - 3 {
        return false;
    }
    let len_r = usize::from(sig[3]);
    if 5 + len_r >= len {
        return false;
    }
    let len_s = usize::from(sig[5 + len_r]);
    if len_r + len_s + 7 != len {
        return false;
    }
    if sig[2] != 0x02 || len_r == 0 || sig[4] & 0x80 != 0 {
        return false;
    }
    if len_r > 1 && sig[4] == 0x00 && sig[5] & 0x80 == 0 {
        return false;
    }
    if sig[len_r + 4] != 0x02 || len_s == 0 || sig[len_r + 6] & 0x80 != 0 {
        return false;
    }
    !(len_s > 1 && sig[len_r + 6] == 0x00 && sig[len_r + 7] & 0x80 == 0)
}

/// Whether a DER signature (hash type already removed) has S at most half the order
/// (`CPubKey::CheckLowS`, `pubkey.cpp:123-131`).
pub fn is_low_s(der: &[u8]) -> bool {
    match secp256k1::ecdsa::Signature::from_der(der) {
        Ok(signature) => {
            let mut normalized = signature;
            normalized.normalize_s();
            normalized == signature
        }
        Err(_) => false,
    }
}

fn is_defined_hash_type(sig: &[u8]) -> bool {
    match sig.last() {
        Some(&hash_type) => matches!(hash_type & !0x80, 1..=3),
        None => false,
    }
}

/// The signature checks of `CHECKSIG`/`CHECKMULTISIG` (`CheckSignatureEncoding`,
/// `interpreter.cpp:190-205`): strict DER always, low S and defined hash type by flag. An empty
/// signature passes (it is a compact way to fail the check).
///
/// # Errors
/// [`ScriptError::SigDer`], [`ScriptError::SigHighS`] or [`ScriptError::SigHashType`].
pub fn check_signature_encoding(sig: &[u8], flags: VerifyFlags) -> Result<(), ScriptError> {
    if sig.is_empty() {
        return Ok(());
    }
    if !is_valid_signature_encoding(sig) {
        return Err(ScriptError::SigDer);
    }
    if flags.contains(VerifyFlags::LOW_S) && !is_low_s(&sig[..sig.len() - 1]) {
        return Err(ScriptError::SigHighS);
    }
    if flags.contains(VerifyFlags::STRICTENC) && !is_defined_hash_type(sig) {
        return Err(ScriptError::SigHashType);
    }
    Ok(())
}

/// `IsCompressedOrUncompressedPubKey` under `STRICTENC` (`interpreter.cpp:67-89, 207-212`).
fn check_pubkey_encoding(key: &[u8], flags: VerifyFlags) -> Result<(), ScriptError> {
    let canonical = match key.first() {
        Some(0x04) => key.len() == 65,
        Some(0x02 | 0x03) => key.len() == 33,
        _ => false,
    };
    if flags.contains(VerifyFlags::STRICTENC) && !canonical {
        return Err(ScriptError::PubkeyType);
    }
    Ok(())
}

/// Whether `opcode` is the shortest way to push `data` (`CheckMinimalPush`, `interpreter.cpp:214-235`).
fn is_minimal_push(data: &[u8], opcode: u8) -> bool {
    match data {
        [] => opcode == OP_0,
        [n @ 1..=16] => opcode == OP_1 + n - 1,
        [0x81] => opcode == OP_1NEGATE,
        _ if data.len() <= 75 => usize::from(opcode) == data.len(),
        _ if data.len() <= 255 => opcode == OP_PUSHDATA1,
        _ if data.len() <= 65_535 => opcode == OP_PUSHDATA2,
        _ => true,
    }
}

/// Script truth (`CastToBool`): any non-zero byte, except a lone sign bit at the end.
pub fn cast_to_bool(element: &[u8]) -> bool {
    match element.iter().position(|&b| b != 0) {
        None => false,
        Some(i) => !(i == element.len() - 1 && element[i] == 0x80),
    }
}

fn is_disabled(opcode: u8) -> bool {
    matches!(
        opcode,
        OP_CAT
            | OP_SUBSTR
            | OP_LEFT
            | OP_RIGHT
            | OP_INVERT
            | OP_AND
            | OP_OR
            | OP_XOR
            | OP_2MUL
            | OP_2DIV
            | OP_MUL
            | OP_DIV
            | OP_MOD
            | OP_LSHIFT
            | OP_RSHIFT
            | OP_CODESEPARATOR
    )
}

/// Whether `script` is the P2SH template `OP_HASH160 <20 bytes> OP_EQUAL`
/// (`CScript::IsPayToScriptHash`).
pub fn is_pay_to_script_hash(script: &[u8]) -> bool {
    script.len() == 23 && script[0] == OP_HASH160 && script[1] == 0x14 && script[22] == OP_EQUAL
}

type Stack = Vec<Vec<u8>>;

fn top(stack: &Stack, depth: usize) -> Result<&Vec<u8>, ScriptError> {
    stack
        .len()
        .checked_sub(depth)
        .and_then(|i| stack.get(i))
        .ok_or(ScriptError::InvalidStackOperation)
}

fn need(stack: &Stack, n: usize) -> Result<(), ScriptError> {
    if stack.len() < n {
        Err(ScriptError::InvalidStackOperation)
    } else {
        Ok(())
    }
}

fn pop(stack: &mut Stack) -> Result<Vec<u8>, ScriptError> {
    stack.pop().ok_or(ScriptError::InvalidStackOperation)
}

fn pop_num(stack: &mut Stack, minimal: bool) -> Result<i64, ScriptError> {
    let element = pop(stack)?;
    Ok(num::decode(&element, minimal, DEFAULT_MAX_NUM_SIZE)?)
}

fn bool_element(value: bool) -> Vec<u8> {
    if value { vec![1] } else { Vec::new() }
}

/// Runs `script` on `stack` (`EvalScript`, `interpreter.cpp:237-953`).
///
/// # Errors
/// The first [`ScriptError`] the script hits.
pub fn eval_script(
    stack: &mut Stack,
    script: &[u8],
    flags: VerifyFlags,
    checker: &impl SignatureChecker,
) -> Result<(), ScriptError> {
    if script.len() > MAX_SCRIPT_SIZE {
        return Err(ScriptError::ScriptSize);
    }
    let minimal = flags.contains(VerifyFlags::MINIMALDATA);
    let mut exec_stack: Vec<bool> = Vec::new();
    let mut altstack: Stack = Vec::new();
    let mut op_count = 0usize;

    for instruction in Instructions::new(script) {
        let executing = !exec_stack.contains(&false);
        let instruction = instruction.map_err(|_| ScriptError::BadOpcode)?;
        let opcode = instruction.opcode();
        if let Instruction::Push { data, .. } = instruction
            && data.len() > MAX_SCRIPT_ELEMENT_SIZE
        {
            return Err(ScriptError::PushSize);
        }
        // OP_RESERVED and the small integers do not count towards the limit.
        if opcode > OP_16 {
            op_count += 1;
            if op_count > MAX_OPS_PER_SCRIPT {
                return Err(ScriptError::OpCount);
            }
        }
        if is_disabled(opcode) {
            return Err(ScriptError::DisabledOpcode);
        }

        match instruction {
            Instruction::Push { opcode, data } if executing => {
                if minimal && !is_minimal_push(data, opcode) {
                    return Err(ScriptError::MinimalData);
                }
                stack.push(data.to_vec());
            }
            Instruction::Push { .. } => {}
            Instruction::Op(opcode) if executing || (OP_IF..=OP_ENDIF).contains(&opcode) => {
                execute(
                    opcode,
                    stack,
                    &mut altstack,
                    &mut exec_stack,
                    &mut op_count,
                    executing,
                    script,
                    flags,
                    checker,
                )?;
            }
            Instruction::Op(_) => {}
        }

        if stack.len() + altstack.len() > MAX_STACK_SIZE {
            return Err(ScriptError::StackSize);
        }
    }
    if !exec_stack.is_empty() {
        return Err(ScriptError::UnbalancedConditional);
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn execute(
    opcode: u8,
    stack: &mut Stack,
    altstack: &mut Stack,
    exec_stack: &mut Vec<bool>,
    op_count: &mut usize,
    executing: bool,
    script: &[u8],
    flags: VerifyFlags,
    checker: &impl SignatureChecker,
) -> Result<(), ScriptError> {
    let minimal = flags.contains(VerifyFlags::MINIMALDATA);
    match opcode {
        OP_1NEGATE | OP_1..=OP_16 => {
            stack.push(num::encode(i64::from(opcode) - i64::from(OP_1 - 1)));
        }
        OP_NOP => {}
        OP_CHECKLOCKTIMEVERIFY => {
            if !flags.contains(VerifyFlags::CHECKLOCKTIMEVERIFY) {
                if flags.contains(VerifyFlags::DISCOURAGE_UPGRADABLE_NOPS) {
                    return Err(ScriptError::DiscourageUpgradableNops);
                }
                return Ok(());
            }
            // Five bytes, so lock times up to 2^39-1 fit (`interpreter.cpp:357-372`).
            let lock_time = num::decode(top(stack, 1)?, minimal, 5)?;
            if lock_time < 0 {
                return Err(ScriptError::NegativeLockTime);
            }
            if !checker.check_lock_time(lock_time) {
                return Err(ScriptError::UnsatisfiedLockTime);
            }
        }
        OP_NOP1 | OP_NOP3..=OP_NOP10 => {
            if flags.contains(VerifyFlags::DISCOURAGE_UPGRADABLE_NOPS) {
                return Err(ScriptError::DiscourageUpgradableNops);
            }
        }
        OP_IF | OP_NOTIF => {
            let mut value = false;
            if executing {
                let element = stack.pop().ok_or(ScriptError::UnbalancedConditional)?;
                value = cast_to_bool(&element) ^ (opcode == OP_NOTIF);
            }
            exec_stack.push(value);
        }
        OP_ELSE => {
            let last = exec_stack
                .last_mut()
                .ok_or(ScriptError::UnbalancedConditional)?;
            *last = !*last;
        }
        OP_ENDIF => {
            exec_stack.pop().ok_or(ScriptError::UnbalancedConditional)?;
        }
        OP_VERIFY => {
            if !cast_to_bool(top(stack, 1)?) {
                return Err(ScriptError::Verify);
            }
            stack.pop();
        }
        OP_RETURN => return Err(ScriptError::OpReturn),
        OP_TOALTSTACK => altstack.push(pop(stack)?),
        OP_FROMALTSTACK => {
            stack.push(
                altstack
                    .pop()
                    .ok_or(ScriptError::InvalidAltstackOperation)?,
            );
        }
        OP_2DROP => {
            need(stack, 2)?;
            stack.truncate(stack.len() - 2);
        }
        OP_2DUP | OP_3DUP | OP_2OVER => {
            let (count, depth) = match opcode {
                OP_2DUP => (2, 2),
                OP_3DUP => (3, 3),
                _ => (2, 4),
            };
            need(stack, depth)?;
            let start = stack.len() - depth;
            for i in 0..count {
                stack.push(stack[start + i].clone());
            }
        }
        OP_2ROT => {
            need(stack, 6)?;
            let start = stack.len() - 6;
            let moved: Vec<_> = stack.drain(start..start + 2).collect();
            stack.extend(moved);
        }
        OP_2SWAP => {
            need(stack, 4)?;
            let n = stack.len();
            stack.swap(n - 4, n - 2);
            stack.swap(n - 3, n - 1);
        }
        OP_IFDUP => {
            let element = top(stack, 1)?.clone();
            if cast_to_bool(&element) {
                stack.push(element);
            }
        }
        OP_DEPTH => stack.push(num::encode(stack.len() as i64)),
        OP_DROP => {
            pop(stack)?;
        }
        OP_DUP => stack.push(top(stack, 1)?.clone()),
        OP_NIP => {
            need(stack, 2)?;
            stack.remove(stack.len() - 2);
        }
        OP_OVER => stack.push(top(stack, 2)?.clone()),
        OP_PICK | OP_ROLL => {
            need(stack, 2)?;
            let n = num::to_i32_saturating(pop_num(stack, minimal)?);
            if n < 0 || n as usize >= stack.len() {
                return Err(ScriptError::InvalidStackOperation);
            }
            let index = stack.len() - 1 - n as usize;
            let element = if opcode == OP_ROLL {
                stack.remove(index)
            } else {
                stack[index].clone()
            };
            stack.push(element);
        }
        OP_ROT => {
            need(stack, 3)?;
            let n = stack.len();
            stack.swap(n - 3, n - 2);
            stack.swap(n - 2, n - 1);
        }
        OP_SWAP => {
            need(stack, 2)?;
            let n = stack.len();
            stack.swap(n - 2, n - 1);
        }
        OP_TUCK => {
            need(stack, 2)?;
            let element = stack[stack.len() - 1].clone();
            stack.insert(stack.len() - 2, element);
        }
        OP_SIZE => stack.push(num::encode(top(stack, 1)?.len() as i64)),
        OP_EQUAL | OP_EQUALVERIFY => {
            need(stack, 2)?;
            let b = pop(stack)?;
            let a = pop(stack)?;
            let equal = a == b;
            if opcode == OP_EQUALVERIFY {
                if !equal {
                    return Err(ScriptError::EqualVerify);
                }
            } else {
                stack.push(bool_element(equal));
            }
        }
        OP_1ADD | OP_1SUB | OP_NEGATE | OP_ABS | OP_NOT | OP_0NOTEQUAL => {
            need(stack, 1)?;
            let n = pop_num(stack, minimal)?;
            let result = match opcode {
                OP_1ADD => n + 1,
                OP_1SUB => n - 1,
                OP_NEGATE => -n,
                OP_ABS => n.abs(),
                OP_NOT => i64::from(n == 0),
                _ => i64::from(n != 0),
            };
            stack.push(num::encode(result));
        }
        OP_ADD
        | OP_SUB
        | OP_BOOLAND
        | OP_BOOLOR
        | OP_NUMEQUAL
        | OP_NUMEQUALVERIFY
        | OP_NUMNOTEQUAL
        | OP_LESSTHAN
        | OP_GREATERTHAN
        | OP_LESSTHANOREQUAL
        | OP_GREATERTHANOREQUAL
        | OP_MIN
        | OP_MAX => {
            need(stack, 2)?;
            // Both operands are decoded before either is popped, as in the daemon.
            let a = num::decode(top(stack, 2)?, minimal, DEFAULT_MAX_NUM_SIZE)?;
            let b = num::decode(top(stack, 1)?, minimal, DEFAULT_MAX_NUM_SIZE)?;
            let result = match opcode {
                OP_ADD => a + b,
                OP_SUB => a - b,
                OP_BOOLAND => i64::from(a != 0 && b != 0),
                OP_BOOLOR => i64::from(a != 0 || b != 0),
                OP_NUMEQUAL | OP_NUMEQUALVERIFY => i64::from(a == b),
                OP_NUMNOTEQUAL => i64::from(a != b),
                OP_LESSTHAN => i64::from(a < b),
                OP_GREATERTHAN => i64::from(a > b),
                OP_LESSTHANOREQUAL => i64::from(a <= b),
                OP_GREATERTHANOREQUAL => i64::from(a >= b),
                OP_MIN => a.min(b),
                _ => a.max(b),
            };
            stack.truncate(stack.len() - 2);
            if opcode == OP_NUMEQUALVERIFY {
                if result == 0 {
                    stack.push(num::encode(result));
                    return Err(ScriptError::NumEqualVerify);
                }
            } else {
                stack.push(num::encode(result));
            }
        }
        OP_WITHIN => {
            need(stack, 3)?;
            let x = num::decode(top(stack, 3)?, minimal, DEFAULT_MAX_NUM_SIZE)?;
            let min = num::decode(top(stack, 2)?, minimal, DEFAULT_MAX_NUM_SIZE)?;
            let max = num::decode(top(stack, 1)?, minimal, DEFAULT_MAX_NUM_SIZE)?;
            stack.truncate(stack.len() - 3);
            stack.push(bool_element(min <= x && x < max));
        }
        OP_RIPEMD160 | OP_SHA1 | OP_SHA256 | OP_HASH160 | OP_HASH256 => {
            let element = pop(stack)?;
            let hash = match opcode {
                OP_RIPEMD160 => Ripemd160::digest(&element).to_vec(),
                OP_SHA1 => sha1::Sha1::digest(&element).to_vec(),
                OP_SHA256 => Sha256::digest(&element).to_vec(),
                OP_HASH160 => hash160(&element).to_vec(),
                _ => sha256d(&element).to_vec(),
            };
            stack.push(hash);
        }
        OP_CHECKSIG | OP_CHECKSIGVERIFY => {
            need(stack, 2)?;
            let public_key = &stack[stack.len() - 1];
            let signature = &stack[stack.len() - 2];
            check_signature_encoding(signature, flags)?;
            check_pubkey_encoding(public_key, flags)?;
            let success = checker.check_sig(signature, public_key, script);
            stack.truncate(stack.len() - 2);
            if opcode == OP_CHECKSIGVERIFY {
                if !success {
                    stack.push(bool_element(false));
                    return Err(ScriptError::CheckSigVerify);
                }
            } else {
                stack.push(bool_element(success));
            }
        }
        OP_CHECKMULTISIG | OP_CHECKMULTISIGVERIFY => {
            check_multisig(opcode, stack, op_count, script, flags, checker)?;
        }
        _ => return Err(ScriptError::BadOpcode),
    }
    Ok(())
}

/// `OP_CHECKMULTISIG(VERIFY)` (`interpreter.cpp:843-937`).
fn check_multisig(
    opcode: u8,
    stack: &mut Stack,
    op_count: &mut usize,
    script: &[u8],
    flags: VerifyFlags,
    checker: &impl SignatureChecker,
) -> Result<(), ScriptError> {
    let minimal = flags.contains(VerifyFlags::MINIMALDATA);
    let mut i = 1usize;
    let key_count =
        num::to_i32_saturating(num::decode(top(stack, i)?, minimal, DEFAULT_MAX_NUM_SIZE)?);
    if !(0..=MAX_PUBKEYS_PER_MULTISIG).contains(&key_count) {
        return Err(ScriptError::PubkeyCount);
    }
    let mut keys_left = key_count as usize;
    *op_count += keys_left;
    if *op_count > MAX_OPS_PER_SCRIPT {
        return Err(ScriptError::OpCount);
    }
    i += 1;
    let mut key_depth = i;
    i += keys_left;
    let sig_count =
        num::to_i32_saturating(num::decode(top(stack, i)?, minimal, DEFAULT_MAX_NUM_SIZE)?);
    if sig_count < 0 || sig_count > key_count {
        return Err(ScriptError::SigCount);
    }
    let mut sigs_left = sig_count as usize;
    i += 1;
    let mut sig_depth = i;
    i += sigs_left;
    need(stack, i)?;

    let mut success = true;
    while success && sigs_left > 0 {
        let signature = top(stack, sig_depth)?;
        let public_key = top(stack, key_depth)?;
        check_signature_encoding(signature, flags)?;
        check_pubkey_encoding(public_key, flags)?;
        if checker.check_sig(signature, public_key, script) {
            sig_depth += 1;
            sigs_left -= 1;
        }
        key_depth += 1;
        keys_left -= 1;
        // More signatures left than keys: too many have failed already.
        if sigs_left > keys_left {
            success = false;
        }
    }
    // Pop the arguments, then the extra element the original implementation consumes by mistake.
    stack.truncate(stack.len() - (i - 1));
    let dummy = stack.pop().ok_or(ScriptError::InvalidStackOperation)?;
    if flags.contains(VerifyFlags::NULLDUMMY) && !dummy.is_empty() {
        return Err(ScriptError::SigNullDummy);
    }
    if opcode == OP_CHECKMULTISIGVERIFY {
        if !success {
            stack.push(bool_element(false));
            return Err(ScriptError::CheckMultisigVerify);
        }
    } else {
        stack.push(bool_element(success));
    }
    Ok(())
}

/// Verifies that `script_sig` satisfies `script_pubkey`, evaluating a P2SH redeem script under
/// [`VerifyFlags::P2SH`] (`VerifyScript`, `interpreter.cpp:1346-1420`).
///
/// # Errors
/// The first [`ScriptError`] hit; [`ScriptError::EvalFalse`] if the final stack is false.
pub fn verify_script(
    script_sig: &[u8],
    script_pubkey: &[u8],
    flags: VerifyFlags,
    checker: &impl SignatureChecker,
) -> Result<(), ScriptError> {
    if flags.contains(VerifyFlags::SIGPUSHONLY) && !is_push_only(script_sig) {
        return Err(ScriptError::SigPushOnly);
    }
    let mut stack = Vec::new();
    eval_script(&mut stack, script_sig, flags, checker)?;
    let stack_copy = if flags.contains(VerifyFlags::P2SH) {
        stack.clone()
    } else {
        Vec::new()
    };
    eval_script(&mut stack, script_pubkey, flags, checker)?;
    if !stack.last().is_some_and(|top| cast_to_bool(top)) {
        return Err(ScriptError::EvalFalse);
    }

    if flags.contains(VerifyFlags::P2SH) && is_pay_to_script_hash(script_pubkey) {
        if !is_push_only(script_sig) {
            return Err(ScriptError::SigPushOnly);
        }
        stack = stack_copy;
        // Not empty: the P2SH template run on an empty stack would have failed above.
        let redeem_script = pop(&mut stack)?;
        eval_script(&mut stack, &redeem_script, flags, checker)?;
        if !stack.last().is_some_and(|top| cast_to_bool(top)) {
            return Err(ScriptError::EvalFalse);
        }
    }

    // Only after P2SH evaluation: a P2SH spend leaves its inputs on the stack until then.
    // The daemon asserts CLEANSTACK implies P2SH; here CLEANSTACK alone is simply applied.
    if flags.contains(VerifyFlags::CLEANSTACK) && stack.len() != 1 {
        return Err(ScriptError::CleanStack);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(script: &[u8], flags: VerifyFlags) -> Result<Stack, ScriptError> {
        let mut stack = Vec::new();
        eval_script(&mut stack, script, flags, &NoTransaction)?;
        Ok(stack)
    }

    #[test]
    fn arithmetic_and_comparisons() {
        // 2 3 ADD 5 NUMEQUAL
        assert_eq!(
            run(&[0x52, 0x53, OP_ADD, 0x55, OP_NUMEQUAL], VerifyFlags::NONE),
            Ok(vec![vec![1]])
        );
        // 1 0 2 WITHIN -> true; 2 0 2 WITHIN -> false
        assert_eq!(
            run(&[0x51, 0x00, 0x52, OP_WITHIN], VerifyFlags::NONE),
            Ok(vec![vec![1]])
        );
        assert_eq!(
            run(&[0x52, 0x00, 0x52, OP_WITHIN], VerifyFlags::NONE),
            Ok(vec![vec![]])
        );
        // Five-byte operand overflows.
        assert_eq!(
            run(&[0x05, 1, 2, 3, 4, 5, OP_1ADD], VerifyFlags::NONE),
            Err(ScriptError::ScriptNumOverflow)
        );
    }

    #[test]
    fn conditionals_and_disabled_opcodes() {
        // 0 IF RETURN ELSE 7 ENDIF
        assert_eq!(
            run(
                &[0x00, OP_IF, OP_RETURN, OP_ELSE, 0x57, OP_ENDIF],
                VerifyFlags::NONE
            ),
            Ok(vec![vec![7]])
        );
        // A disabled opcode fails even in an unexecuted branch.
        assert_eq!(
            run(&[0x00, OP_IF, OP_CAT, OP_ENDIF], VerifyFlags::NONE),
            Err(ScriptError::DisabledOpcode)
        );
        // OP_VERIF is in the IF..ENDIF range, so it is a bad opcode even when not executed.
        assert_eq!(
            run(&[0x00, OP_IF, OP_VERIF, OP_ENDIF], VerifyFlags::NONE),
            Err(ScriptError::BadOpcode)
        );
        // OP_RESERVED is harmless when not executed.
        assert_eq!(
            run(&[0x00, OP_IF, OP_RESERVED, OP_ENDIF], VerifyFlags::NONE),
            Ok(vec![])
        );
        assert_eq!(
            run(&[0x51, OP_IF], VerifyFlags::NONE),
            Err(ScriptError::UnbalancedConditional)
        );
        assert_eq!(
            run(&[OP_ENDIF], VerifyFlags::NONE),
            Err(ScriptError::UnbalancedConditional)
        );
    }

    #[test]
    fn minimal_data_rules() {
        assert_eq!(
            run(&[0x01, 0x05], VerifyFlags::MINIMALDATA),
            Err(ScriptError::MinimalData)
        );
        assert_eq!(
            run(&[0x4c, 0x01, 0xaa], VerifyFlags::MINIMALDATA),
            Err(ScriptError::MinimalData)
        );
        assert_eq!(run(&[0x01, 0x05], VerifyFlags::NONE), Ok(vec![vec![5]]));
        assert_eq!(
            run(&[0x02, 0x01, 0x00, OP_1ADD], VerifyFlags::MINIMALDATA),
            Err(ScriptError::NonMinimalScriptNum)
        );
    }

    #[test]
    fn der_rules() {
        // A minimal valid shape: 30 06 02 01 01 02 01 01 + hashtype.
        let good = [0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0x01];
        assert!(is_valid_signature_encoding(&good));
        let mut negative_r = good;
        negative_r[4] = 0x81;
        assert!(!is_valid_signature_encoding(&negative_r));
        let mut wrong_total = good;
        wrong_total[1] = 0x07;
        assert!(!is_valid_signature_encoding(&wrong_total));
        assert_eq!(
            check_signature_encoding(&negative_r, VerifyFlags::NONE),
            Err(ScriptError::SigDer)
        );
        let mut bad_type = good;
        bad_type[8] = 0x04;
        assert_eq!(
            check_signature_encoding(&bad_type, VerifyFlags::NONE),
            Ok(())
        );
        assert_eq!(
            check_signature_encoding(&bad_type, VerifyFlags::STRICTENC),
            Err(ScriptError::SigHashType)
        );
        assert_eq!(check_signature_encoding(&[], VerifyFlags::STANDARD), Ok(()));
    }

    #[test]
    fn limits() {
        let big = vec![OP_NOP; MAX_OPS_PER_SCRIPT + 1];
        assert_eq!(run(&big, VerifyFlags::NONE), Err(ScriptError::OpCount));
        let mut push = vec![OP_PUSHDATA2, 0x09, 0x02];
        push.extend(vec![0; 521]);
        assert_eq!(run(&push, VerifyFlags::NONE), Err(ScriptError::PushSize));
        assert_eq!(
            run(&vec![0x00; MAX_SCRIPT_SIZE + 1], VerifyFlags::NONE),
            Err(ScriptError::ScriptSize)
        );
        assert_eq!(
            run(&vec![0x00; 1001], VerifyFlags::NONE),
            Err(ScriptError::StackSize)
        );
    }

    #[test]
    fn p2sh_of_a_trivial_script() {
        // Redeem script OP_1; scriptSig pushes it; scriptPubKey HASH160 <h> EQUAL.
        let redeem = [0x51u8];
        let mut script_pubkey = vec![OP_HASH160, 0x14];
        script_pubkey.extend_from_slice(&hash160(&redeem));
        script_pubkey.push(OP_EQUAL);
        let script_sig = [0x01, 0x51];
        assert_eq!(
            verify_script(
                &script_sig,
                &script_pubkey,
                VerifyFlags::STANDARD,
                &NoTransaction
            ),
            Ok(())
        );
        // Non-push scriptSig under P2SH.
        let script_sig = [0x01, 0x51, OP_NOP];
        assert_eq!(
            verify_script(
                &script_sig,
                &script_pubkey,
                VerifyFlags::P2SH,
                &NoTransaction
            ),
            Err(ScriptError::SigPushOnly)
        );
        // Redeem script OP_0 evaluates false.
        let redeem = [0x00u8];
        let mut script_pubkey = vec![OP_HASH160, 0x14];
        script_pubkey.extend_from_slice(&hash160(&redeem));
        script_pubkey.push(OP_EQUAL);
        assert_eq!(
            verify_script(
                &[0x01, 0x00],
                &script_pubkey,
                VerifyFlags::P2SH,
                &NoTransaction
            ),
            Err(ScriptError::EvalFalse)
        );
        // Without the P2SH flag only the hash is checked.
        assert_eq!(
            verify_script(
                &[0x01, 0x00],
                &script_pubkey,
                VerifyFlags::NONE,
                &NoTransaction
            ),
            Ok(())
        );
    }
}
