//! `reject` (`main.cpp:8466-8488`): the command refused, a code, a reason and, for blocks and
//! transactions, the hash of the item.

use alloc::vec::Vec;
use core::fmt;

use super::frame::COMMAND_SIZE;
use super::payload::PayloadError;
use crate::encode::{FluxDecode, FluxEncode, read_array, read_bytes_max, write_bytes};

/// The longest reason fluxd sends or reads (`MAX_REJECT_MESSAGE_LENGTH`, `main.h:122`).
pub const MAX_REJECT_REASON_LENGTH: usize = 111;

/// A reject code (`consensus/validation.h:14-21`). Codes outside the named ones are kept as
/// they came.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RejectCode(pub u8);

impl RejectCode {
    /// `REJECT_MALFORMED`: the message could not be parsed.
    pub const MALFORMED: RejectCode = RejectCode(0x01);
    /// `REJECT_INVALID`: the block or transaction breaks a consensus rule.
    pub const INVALID: RejectCode = RejectCode(0x10);
    /// `REJECT_OBSOLETE`: the peer's protocol version is too old.
    pub const OBSOLETE: RejectCode = RejectCode(0x11);
    /// `REJECT_DUPLICATE`: already seen (e.g. a second `version`).
    pub const DUPLICATE: RejectCode = RejectCode(0x12);
    /// `REJECT_NONSTANDARD`: valid but not relayed by policy.
    pub const NONSTANDARD: RejectCode = RejectCode(0x40);
    /// `REJECT_DUST`: an output below the dust threshold.
    pub const DUST: RejectCode = RejectCode(0x41);
    /// `REJECT_INSUFFICIENTFEE`: the fee is too low.
    pub const INSUFFICIENT_FEE: RejectCode = RejectCode(0x42);
    /// `REJECT_CHECKPOINT`: conflicts with a checkpoint.
    pub const CHECKPOINT: RejectCode = RejectCode(0x43);
}

impl fmt::Debug for RejectCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RejectCode({:#04x})", self.0)
    }
}

/// The `reject` message.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RejectMessage {
    /// The command of the refused message, e.g. `b"block"` (at most 12 bytes; raw, since
    /// fluxd echoes whatever command it received).
    pub message: Vec<u8>,
    /// Why.
    pub code: RejectCode,
    /// A human-readable reason, e.g. `b"bad-diffbits"` (at most
    /// [`MAX_REJECT_REASON_LENGTH`] bytes).
    pub reason: Vec<u8>,
    /// The hash of the refused block or transaction; fluxd sends one exactly for `block` and
    /// `tx`.
    pub hash: Option<[u8; 32]>,
}

impl RejectMessage {
    /// The refused command as text, when it is UTF-8.
    pub fn message_str(&self) -> Option<&str> {
        core::str::from_utf8(&self.message).ok()
    }

    /// The reason as text, when it is UTF-8.
    pub fn reason_str(&self) -> Option<&str> {
        core::str::from_utf8(&self.reason).ok()
    }

    pub(crate) fn encode_payload(&self, out: &mut Vec<u8>) {
        write_bytes(out, &self.message);
        self.code.0.flux_encode(out);
        write_bytes(out, &self.reason);
        if let Some(hash) = &self.hash {
            out.extend_from_slice(hash);
        }
    }

    pub(crate) fn decode_payload(input: &mut &[u8]) -> Result<RejectMessage, PayloadError> {
        let message = read_bytes_max(input, COMMAND_SIZE, "rejected command")?;
        let code = RejectCode(u8::flux_decode(input)?);
        let reason = read_bytes_max(input, MAX_REJECT_REASON_LENGTH, "reject reason")?;
        // fluxd reads the hash for `block` and `tx` only; taking it whenever bytes remain keeps
        // a reject about any other command byte-exact too.
        let hash = if input.is_empty() {
            None
        } else {
            Some(read_array(input)?)
        };
        Ok(RejectMessage {
            message,
            code,
            reason,
            hash,
        })
    }
}
