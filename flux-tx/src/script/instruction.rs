//! Reading a script one instruction at a time (`CScript::GetOp`, fluxd `src/script/script.h:488-535`).

use super::opcodes::{OP_16, OP_PUSHDATA1, OP_PUSHDATA2, OP_PUSHDATA4};

/// One script instruction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Instruction<'a> {
    /// A data push (opcodes `0x00`..=`OP_PUSHDATA4`): the opcode used and the bytes pushed.
    Push {
        /// The push opcode (a direct length, or `OP_PUSHDATA1/2/4`).
        opcode: u8,
        /// The pushed bytes.
        data: &'a [u8],
    },
    /// Any other opcode.
    Op(u8),
}

impl Instruction<'_> {
    /// The opcode byte.
    pub const fn opcode(&self) -> u8 {
        match *self {
            Instruction::Push { opcode, .. } | Instruction::Op(opcode) => opcode,
        }
    }
}

/// A push whose length prefix runs past the end of the script.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("truncated push at script offset {offset}")]
pub struct TruncatedPushError {
    /// Offset of the push opcode.
    pub offset: usize,
}

/// Iterates over the instructions of a script; yields one error and stops at a truncated push.
#[derive(Debug, Clone)]
pub struct Instructions<'a> {
    script: &'a [u8],
    position: usize,
    failed: bool,
}

impl<'a> Instructions<'a> {
    /// Starts reading `script`.
    pub const fn new(script: &'a [u8]) -> Instructions<'a> {
        Instructions {
            script,
            position: 0,
            failed: false,
        }
    }

    /// Byte offset of the next instruction.
    pub const fn position(&self) -> usize {
        self.position
    }

    fn read(&mut self) -> Option<Result<Instruction<'a>, TruncatedPushError>> {
        let start = self.position;
        let opcode = *self.script.get(start)?;
        let rest = &self.script[start + 1..];
        if opcode > OP_PUSHDATA4 {
            self.position = start + 1;
            return Some(Ok(Instruction::Op(opcode)));
        }
        let (length_bytes, length) = match opcode {
            OP_PUSHDATA1 => match rest {
                [n, ..] => (1, usize::from(*n)),
                _ => return Some(Err(TruncatedPushError { offset: start })),
            },
            OP_PUSHDATA2 => match rest {
                [a, b, ..] => (2, usize::from(u16::from_le_bytes([*a, *b]))),
                _ => return Some(Err(TruncatedPushError { offset: start })),
            },
            OP_PUSHDATA4 => match rest {
                [a, b, c, d, ..] => (4, u32::from_le_bytes([*a, *b, *c, *d]) as usize),
                _ => return Some(Err(TruncatedPushError { offset: start })),
            },
            direct => (0, usize::from(direct)),
        };
        let body = &rest[length_bytes..];
        if body.len() < length {
            return Some(Err(TruncatedPushError { offset: start }));
        }
        self.position = start + 1 + length_bytes + length;
        Some(Ok(Instruction::Push {
            opcode,
            data: &body[..length],
        }))
    }
}

impl<'a> Iterator for Instructions<'a> {
    type Item = Result<Instruction<'a>, TruncatedPushError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let item = self.read();
        if matches!(item, Some(Err(_))) {
            self.failed = true;
        }
        item
    }
}

/// Whether the script contains only pushes and `OP_1NEGATE`..`OP_16` (`CScript::IsPushOnly`:
/// every opcode `<= OP_16`, so `OP_RESERVED` counts as a push) and parses completely.
pub fn is_push_only(script: &[u8]) -> bool {
    Instructions::new(script).all(|i| matches!(i, Ok(i) if i.opcode() <= OP_16))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_push_form() {
        let script = [
            0x01, 0xaa, 0x4c, 0x01, 0xbb, 0x4d, 0x01, 0x00, 0xcc, 0x4e, 1, 0, 0, 0, 0xdd, 0xac,
        ];
        let ops: Vec<_> = Instructions::new(&script)
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(ops.len(), 5);
        assert_eq!(
            ops[1],
            Instruction::Push {
                opcode: OP_PUSHDATA1,
                data: &[0xbb]
            }
        );
        assert_eq!(
            ops[3],
            Instruction::Push {
                opcode: OP_PUSHDATA4,
                data: &[0xdd]
            }
        );
        assert_eq!(ops[4], Instruction::Op(0xac));
    }

    #[test]
    fn truncated_pushes_fail_once() {
        for script in [
            &[0x02, 0xaa][..],
            &[0x4c],
            &[0x4d, 0x01],
            &[0x4e, 5, 0, 0, 0, 1],
        ] {
            let mut iter = Instructions::new(script);
            assert_eq!(iter.next(), Some(Err(TruncatedPushError { offset: 0 })));
            assert_eq!(iter.next(), None);
        }
        assert!(!is_push_only(&[0x02, 0xaa]));
        assert!(is_push_only(&[0x00, 0x50, 0x60]));
        assert!(!is_push_only(&[0x61]));
    }
}
