//! The 24-byte frame around every message (`CMessageHeader`, `protocol.h:24-67`): network magic,
//! a NUL-padded 12-byte command, the payload length and the first four bytes of the payload's
//! double SHA-256.
//!
//! [`decode_frame`] works on whatever prefix of a stream has arrived so far: it asks for more
//! bytes ([`FrameStatus::NeedMoreBytes`]) until a whole frame is there, and fails as soon as the
//! bytes already seen prove the frame can never be valid (a wrong magic, or a declared length
//! above [`MAX_PROTOCOL_MESSAGE_LENGTH`]), so a reader never buffers a payload it will reject.

use alloc::vec::Vec;
use core::fmt;

use crate::keys::sha256d;

/// Bytes of the frame header (`CMessageHeader::HEADER_SIZE`).
pub const FRAME_HEADER_SIZE: usize = 24;

/// Bytes of the command field (`CMessageHeader::COMMAND_SIZE`).
pub const COMMAND_SIZE: usize = 12;

/// The largest payload fluxd accepts; a peer that announces more is disconnected
/// (`MAX_PROTOCOL_MESSAGE_LENGTH`, `net.h:55`, enforced at `net.cpp:629-632`).
pub const MAX_PROTOCOL_MESSAGE_LENGTH: u32 = 2 * 1024 * 1024;

/// Why a string cannot be a command name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CommandError {
    /// More than [`COMMAND_SIZE`] bytes.
    #[error("a command is at most {COMMAND_SIZE} bytes; {0:?} is longer")]
    TooLong(alloc::string::String),
    /// A byte outside printable ASCII (0x20-0x7E), which fluxd refuses in a command.
    #[error("a command is printable ASCII; {0:?} is not")]
    NotPrintable(alloc::string::String),
}

/// A message command: up to 12 printable ASCII bytes (`CMessageHeader::pchCommand` without its
/// NUL padding). Only valid commands can be built, so every `Command` encodes to a header field
/// fluxd accepts (`CMessageHeader::IsValid`, `protocol.cpp:54-82`).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Command {
    bytes: [u8; COMMAND_SIZE],
    len: u8,
}

impl Command {
    /// A command from its name.
    ///
    /// # Errors
    ///
    /// [`CommandError`] if the name is longer than 12 bytes or not printable ASCII.
    pub fn new(name: &str) -> Result<Command, CommandError> {
        if name.len() > COMMAND_SIZE {
            return Err(CommandError::TooLong(name.into()));
        }
        if !name.bytes().all(|byte| (0x20..=0x7e).contains(&byte)) {
            return Err(CommandError::NotPrintable(name.into()));
        }
        let mut bytes = [0u8; COMMAND_SIZE];
        bytes[..name.len()].copy_from_slice(name.as_bytes());
        Ok(Command {
            bytes,
            len: name.len() as u8,
        })
    }

    /// A command for a name known to be valid at compile time.
    pub(crate) const fn from_static(name: &'static str) -> Command {
        let source = name.as_bytes();
        assert!(source.len() <= COMMAND_SIZE);
        let mut bytes = [0u8; COMMAND_SIZE];
        let mut at = 0;
        while at < source.len() {
            assert!(source[at] >= 0x20 && source[at] <= 0x7e);
            bytes[at] = source[at];
            at += 1;
        }
        Command {
            bytes,
            len: source.len() as u8,
        }
    }

    /// Reads the header field: printable ASCII, then NUL padding only. `None` for anything else,
    /// which fluxd drops as "ERRORS IN HEADER" (`main.cpp:8556-8560`).
    pub fn from_field(field: &[u8; COMMAND_SIZE]) -> Option<Command> {
        let len = field
            .iter()
            .position(|&byte| byte == 0)
            .unwrap_or(COMMAND_SIZE);
        let (name, padding) = field.split_at(len);
        let valid = name.iter().all(|byte| (0x20..=0x7e).contains(byte))
            && padding.iter().all(|&byte| byte == 0);
        valid.then_some(Command {
            bytes: *field,
            len: len as u8,
        })
    }

    /// The name, e.g. `"version"`.
    pub fn as_str(&self) -> &str {
        // Construction admits printable ASCII only, which is UTF-8.
        core::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or_default()
    }

    /// The 12-byte header field: the name and NUL padding.
    pub const fn to_field(&self) -> [u8; COMMAND_SIZE] {
        self.bytes
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Command({:?})", self.as_str())
    }
}

impl core::str::FromStr for Command {
    type Err = CommandError;

    fn from_str(name: &str) -> Result<Command, CommandError> {
        Command::new(name)
    }
}

/// The first four bytes of the payload's double SHA-256 (`CMessageHeader::nChecksum`).
pub fn checksum(payload: &[u8]) -> [u8; 4] {
    let hash = sha256d(payload);
    [hash[0], hash[1], hash[2], hash[3]]
}

/// Why bytes are not a frame. The variants that carry `frame_len` leave the stream usable: fluxd
/// drops such a frame and reads on, so a reader discards `frame_len` bytes and continues; the
/// others mean fluxd disconnects.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FrameError {
    /// The frame starts with another network's magic (or is not a frame at all); fluxd stops
    /// reading and disconnects (`main.cpp:8548-8553`).
    #[error(
        "network magic {found:02x?} is not this network's {expected:02x?}: the peer is on another network"
    )]
    WrongMagic {
        /// The caller's network magic.
        expected: [u8; 4],
        /// The first four bytes of the frame.
        found: [u8; 4],
    },
    /// The declared payload length is above the limit; fluxd disconnects (`net.cpp:629-632`).
    #[error(
        "declared payload of {len} bytes is above the {MAX_PROTOCOL_MESSAGE_LENGTH}-byte limit: disconnect the peer"
    )]
    PayloadTooLarge {
        /// The declared (or, when encoding, the actual) length.
        len: u64,
    },
    /// The command field has a byte outside printable ASCII, or something after its NUL padding
    /// starts; fluxd drops the frame (`main.cpp:8556-8560`).
    #[error("malformed command field {field:02x?}: skip the {frame_len}-byte frame")]
    MalformedCommand {
        /// The raw command field.
        field: [u8; COMMAND_SIZE],
        /// Bytes of the whole frame, header included.
        frame_len: usize,
    },
    /// The payload does not hash to the declared checksum; fluxd drops the frame
    /// (`main.cpp:8566-8576`).
    #[error(
        "{command} payload checksum is {computed:02x?}, the header says {declared:02x?}: skip the {frame_len}-byte frame"
    )]
    ChecksumMismatch {
        /// The frame's command.
        command: Command,
        /// The checksum in the header.
        declared: [u8; 4],
        /// The checksum of the payload received.
        computed: [u8; 4],
        /// Bytes of the whole frame, header included.
        frame_len: usize,
    },
}

impl FrameError {
    /// Bytes to discard before reading on when the frame can be skipped, or `None` when the
    /// connection should be dropped.
    pub fn skippable_len(&self) -> Option<usize> {
        match self {
            FrameError::MalformedCommand { frame_len, .. }
            | FrameError::ChecksumMismatch { frame_len, .. } => Some(*frame_len),
            FrameError::WrongMagic { .. } | FrameError::PayloadTooLarge { .. } => None,
        }
    }
}

/// A checked frame borrowed from the input: its command and its payload, whose checksum matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawFrame<'a> {
    /// The command.
    pub command: Command,
    /// The payload.
    pub payload: &'a [u8],
}

impl RawFrame<'_> {
    /// Bytes of the frame on the wire, header included.
    pub fn frame_len(&self) -> usize {
        FRAME_HEADER_SIZE + self.payload.len()
    }
}

/// What [`decode_frame`] found at the front of the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameStatus<'a> {
    /// A whole, checked frame; it occupies the first [`RawFrame::frame_len`] bytes of the input.
    Complete(RawFrame<'a>),
    /// The input holds the start of a frame that may still be valid; at least `needed` more
    /// bytes must arrive before it can be decoded.
    NeedMoreBytes {
        /// Minimum number of further bytes.
        needed: usize,
    },
}

/// Decodes the frame at the front of `input` for the network whose magic is `magic`
/// (`CChainParams::MessageStart()`). Bytes after the frame are left alone.
///
/// # Errors
///
/// [`FrameError`]; see [`FrameError::skippable_len`] for which errors end the connection.
pub fn decode_frame<'a>(magic: [u8; 4], input: &'a [u8]) -> Result<FrameStatus<'a>, FrameError> {
    let seen_magic = input.len().min(4);
    if input[..seen_magic] != magic[..seen_magic] {
        // Even a prefix shorter than the magic can already rule the frame out; `found` is then
        // zero-padded.
        let mut found = [0u8; 4];
        found[..seen_magic].copy_from_slice(&input[..seen_magic]);
        return Err(FrameError::WrongMagic {
            expected: magic,
            found,
        });
    }
    let Some(header) = input.get(..FRAME_HEADER_SIZE) else {
        return Ok(FrameStatus::NeedMoreBytes {
            needed: FRAME_HEADER_SIZE - input.len(),
        });
    };
    let mut field = [0u8; COMMAND_SIZE];
    field.copy_from_slice(&header[4..16]);
    let len = u32::from_le_bytes([header[16], header[17], header[18], header[19]]);
    let declared = [header[20], header[21], header[22], header[23]];
    if len > MAX_PROTOCOL_MESSAGE_LENGTH {
        return Err(FrameError::PayloadTooLarge {
            len: u64::from(len),
        });
    }
    // The cap above keeps this far from overflow on every target.
    let frame_len = FRAME_HEADER_SIZE + len as usize;
    let Some(payload) = input.get(FRAME_HEADER_SIZE..frame_len) else {
        return Ok(FrameStatus::NeedMoreBytes {
            needed: frame_len - input.len(),
        });
    };
    let Some(command) = Command::from_field(&field) else {
        return Err(FrameError::MalformedCommand { field, frame_len });
    };
    let computed = checksum(payload);
    if computed != declared {
        return Err(FrameError::ChecksumMismatch {
            command,
            declared,
            computed,
            frame_len,
        });
    }
    Ok(FrameStatus::Complete(RawFrame { command, payload }))
}

/// Appends a frame holding `payload` under `command` for the network whose magic is `magic`.
///
/// # Errors
///
/// [`FrameError::PayloadTooLarge`] for a payload fluxd would refuse, so no frame that a peer
/// disconnects over is ever written.
pub fn encode_frame(
    magic: [u8; 4],
    command: Command,
    payload: &[u8],
    out: &mut Vec<u8>,
) -> Result<(), FrameError> {
    let len = u32::try_from(payload.len())
        .ok()
        .filter(|&len| len <= MAX_PROTOCOL_MESSAGE_LENGTH)
        .ok_or(FrameError::PayloadTooLarge {
            len: payload.len() as u64,
        })?;
    out.reserve(FRAME_HEADER_SIZE + payload.len());
    out.extend_from_slice(&magic);
    out.extend_from_slice(&command.to_field());
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&checksum(payload));
    out.extend_from_slice(payload);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAINNET: [u8; 4] = [0x24, 0xe9, 0x27, 0x64];

    #[test]
    fn empty_payload_checksum_is_the_well_known_one() {
        // SHA256d("") starts 5d f6 e0 e2, the checksum of every empty message in every
        // Bitcoin-derived network.
        assert_eq!(checksum(&[]), [0x5d, 0xf6, 0xe0, 0xe2]);
    }

    #[test]
    fn command_field_rules_match_fluxd() {
        assert_eq!(
            Command::from_field(b"verack\0\0\0\0\0\0").unwrap().as_str(),
            "verack"
        );
        assert_eq!(Command::from_field(&[0; 12]).unwrap().as_str(), "");
        assert_eq!(
            Command::from_field(b"abcdefghijkl").unwrap().as_str(),
            "abcdefghijkl"
        );
        // Something after the first NUL, and a control byte, are both malformed.
        assert!(Command::from_field(b"ver\0ack\0\0\0\0\0").is_none());
        assert!(Command::from_field(b"ver\nack\0\0\0\0\0").is_none());
        assert!(Command::from_field(b"ver\x7fack\0\0\0\0\0").is_none());
        assert!(matches!(
            Command::new("thirteen-long"),
            Err(CommandError::TooLong(_))
        ));
        assert!(matches!(
            Command::new("t\u{e9}"),
            Err(CommandError::NotPrintable(_))
        ));
    }

    #[test]
    fn partial_input_asks_for_more_and_bad_prefixes_fail_early() {
        let mut frame = Vec::new();
        encode_frame(
            MAINNET,
            Command::from_static("ping"),
            &7u64.to_le_bytes(),
            &mut frame,
        )
        .unwrap();
        for cut in 0..frame.len() {
            assert_eq!(
                decode_frame(MAINNET, &frame[..cut]),
                Ok(FrameStatus::NeedMoreBytes {
                    needed: if cut < FRAME_HEADER_SIZE {
                        FRAME_HEADER_SIZE - cut
                    } else {
                        frame.len() - cut
                    }
                })
            );
        }
        assert!(matches!(
            decode_frame(MAINNET, &[0x24, 0xe9, 0x28]),
            Err(FrameError::WrongMagic { .. })
        ));
        let mut oversized = frame[..FRAME_HEADER_SIZE].to_vec();
        oversized[16..20].copy_from_slice(&(MAX_PROTOCOL_MESSAGE_LENGTH + 1).to_le_bytes());
        assert_eq!(
            decode_frame(MAINNET, &oversized),
            Err(FrameError::PayloadTooLarge {
                len: u64::from(MAX_PROTOCOL_MESSAGE_LENGTH) + 1
            })
        );
    }

    #[test]
    fn corrupt_frames_are_skippable() {
        let mut frame = Vec::new();
        encode_frame(
            MAINNET,
            Command::from_static("ping"),
            &7u64.to_le_bytes(),
            &mut frame,
        )
        .unwrap();
        frame.extend_from_slice(b"next");
        match decode_frame(MAINNET, &frame) {
            Ok(FrameStatus::Complete(raw)) => {
                assert_eq!(raw.command.as_str(), "ping");
                assert_eq!(raw.frame_len(), 32);
            }
            other => panic!("unexpected {other:?}"),
        }
        let mut bad_sum = frame.clone();
        bad_sum[FRAME_HEADER_SIZE] ^= 1;
        let error = decode_frame(MAINNET, &bad_sum).unwrap_err();
        assert!(matches!(error, FrameError::ChecksumMismatch { .. }));
        assert_eq!(error.skippable_len(), Some(32));
        let mut bad_command = frame;
        bad_command[4] = 0x01;
        let error = decode_frame(MAINNET, &bad_command).unwrap_err();
        assert!(matches!(error, FrameError::MalformedCommand { .. }));
        assert_eq!(error.skippable_len(), Some(32));
    }
}
