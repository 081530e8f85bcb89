//! Scripts: the byte container, opcodes, script numbers, instruction parsing, standard templates
//! and the interpreter.

use alloc::vec::Vec;
use core::fmt;

pub mod instruction;
pub mod interpreter;
pub mod num;
pub mod opcodes;
pub mod standard;

pub use instruction::{Instruction, Instructions};
pub use interpreter::{ScriptError, SignatureChecker, VerifyFlags, verify_script};
pub use standard::ScriptTemplate;

/// A script (`CScript`): raw bytes, not necessarily well-formed, exactly as serialized inside
/// transactions (without the compact-size length prefix).
#[derive(Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Script(Vec<u8>);

impl Script {
    /// The empty script.
    pub const fn new() -> Script {
        Script(Vec::new())
    }

    /// The script's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The script's bytes, by value.
    pub fn into_bytes(self) -> Vec<u8> {
        self.0
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the script has no bytes.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The script's instructions (`CScript::GetOp` in a loop).
    pub fn instructions(&self) -> Instructions<'_> {
        Instructions::new(&self.0)
    }

    /// The standard template the script matches (`Solver`).
    pub fn template(&self) -> ScriptTemplate {
        standard::classify(&self.0)
    }

    /// Whether the script is `OP_HASH160 <20 bytes> OP_EQUAL` (`IsPayToScriptHash`).
    pub fn is_pay_to_script_hash(&self) -> bool {
        interpreter::is_pay_to_script_hash(&self.0)
    }

    /// Whether the script only pushes data (`IsPushOnly`).
    pub fn is_push_only(&self) -> bool {
        instruction::is_push_only(&self.0)
    }
}

impl From<Vec<u8>> for Script {
    fn from(bytes: Vec<u8>) -> Script {
        Script(bytes)
    }
}

impl From<&[u8]> for Script {
    fn from(bytes: &[u8]) -> Script {
        Script(bytes.to_vec())
    }
}

impl AsRef<[u8]> for Script {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Script {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Script(")?;
        for byte in &self.0 {
            write!(f, "{byte:02x}")?;
        }
        f.write_str(")")
    }
}
