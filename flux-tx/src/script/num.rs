//! Script numbers (`CScriptNum`, fluxd `src/script/script.h`): little-endian sign-magnitude
//! integers with the sign in the top bit of the last byte.
//!
//! Operands of numeric opcodes are at most 4 bytes (5 for `OP_CHECKLOCKTIMEVERIFY`); results are
//! kept as `i64` and may exceed 4 bytes, but cannot be used as operands again.

use alloc::vec::Vec;

/// Why bytes are not a usable script number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ScriptNumError {
    /// More bytes than the operand limit (`script number overflow`).
    #[error("script number of {length} bytes exceeds the {max} allowed")]
    Overflow {
        /// Encoded length.
        length: usize,
        /// The limit in force (4, or 5 for `OP_CHECKLOCKTIMEVERIFY`).
        max: usize,
    },
    /// Under `SCRIPT_VERIFY_MINIMALDATA`, a number with a superfluous trailing byte
    /// (`non-minimally encoded script number`).
    #[error("script number is not minimally encoded")]
    NonMinimal,
}

/// Default operand size limit (`CScriptNum::nDefaultMaxNumSize`).
pub const DEFAULT_MAX_NUM_SIZE: usize = 4;

/// Decodes a script number (`CScriptNum(vch, fRequireMinimal, nMaxNumSize)`).
///
/// # Errors
/// [`ScriptNumError::Overflow`] above `max_size` bytes; [`ScriptNumError::NonMinimal`] when
/// `require_minimal` and the last byte only carries a sign that the previous byte could hold.
pub fn decode(bytes: &[u8], require_minimal: bool, max_size: usize) -> Result<i64, ScriptNumError> {
    if bytes.len() > max_size {
        return Err(ScriptNumError::Overflow {
            length: bytes.len(),
            max: max_size,
        });
    }
    check_minimal(bytes, require_minimal)?;
    let Some((&last, _)) = bytes.split_last() else {
        return Ok(0);
    };
    // At most 8 bytes fit in an i64; callers never pass more than 5.
    let mut magnitude: i64 = 0;
    for (i, &byte) in bytes.iter().enumerate().take(8) {
        magnitude |= i64::from(byte) << (8 * i);
    }
    if last & 0x80 != 0 {
        let sign_bit = 0x80i64 << (8 * (bytes.len() - 1));
        Ok(-(magnitude & !sign_bit))
    } else {
        Ok(magnitude)
    }
}

fn check_minimal(bytes: &[u8], require_minimal: bool) -> Result<(), ScriptNumError> {
    if !require_minimal {
        return Ok(());
    }
    match bytes {
        [] => Ok(()),
        [.., last] if last & 0x7f != 0 => Ok(()),
        // The last byte is 0x00 or 0x80: allowed only if the byte before needs its top bit.
        [.., before, _] if before & 0x80 != 0 => Ok(()),
        _ => Err(ScriptNumError::NonMinimal),
    }
}

/// Encodes a number minimally (`CScriptNum::serialize`): zero is the empty array.
pub fn encode(value: i64) -> Vec<u8> {
    let mut out = Vec::new();
    if value == 0 {
        return out;
    }
    let negative = value < 0;
    let mut magnitude = value.unsigned_abs();
    while magnitude > 0 {
        out.push((magnitude & 0xff) as u8);
        magnitude >>= 8;
    }
    let last = out.len() - 1;
    if out[last] & 0x80 != 0 {
        out.push(if negative { 0x80 } else { 0 });
    } else if negative {
        out[last] |= 0x80;
    }
    out
}

/// Clamps to `i32` like `CScriptNum::getint`.
pub const fn to_i32_saturating(value: i64) -> i32 {
    if value > i32::MAX as i64 {
        i32::MAX
    } else if value < i32::MIN as i64 {
        i32::MIN
    } else {
        value as i32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_encodings() {
        // The BIP62 examples: 127 fits one byte, 128 needs a sign byte, -1 is 0x81.
        assert_eq!(encode(0), Vec::<u8>::new());
        assert_eq!(encode(127), [0x7f]);
        assert_eq!(encode(128), [0x80, 0x00]);
        assert_eq!(encode(-1), [0x81]);
        assert_eq!(encode(-128), [0x80, 0x80]);
        assert_eq!(encode(256), [0x00, 0x01]);
        assert_eq!(decode(&[0x80, 0x80], true, 4), Ok(-128));
    }

    #[test]
    fn minimal_rules() {
        assert_eq!(decode(&[0x00], true, 4), Err(ScriptNumError::NonMinimal));
        assert_eq!(decode(&[0x80], true, 4), Err(ScriptNumError::NonMinimal));
        assert_eq!(
            decode(&[0x01, 0x00], true, 4),
            Err(ScriptNumError::NonMinimal)
        );
        assert_eq!(decode(&[0x01, 0x00], false, 4), Ok(1));
        // Negative zero is zero when minimality is not required.
        assert_eq!(decode(&[0x80], false, 4), Ok(0));
        assert_eq!(
            decode(&[1, 2, 3, 4, 5], false, 4),
            Err(ScriptNumError::Overflow { length: 5, max: 4 })
        );
        assert_eq!(
            decode(&[0xff, 0xff, 0xff, 0xff, 0x7f], true, 5),
            Ok(0x7f_ffff_ffff)
        );
    }

    #[test]
    fn round_trip_over_the_operand_range() {
        for value in [
            -0x7fff_ffff_i64,
            -65_536,
            -255,
            -1,
            0,
            1,
            16,
            255,
            65_535,
            0x7fff_ffff,
        ] {
            assert_eq!(decode(&encode(value), true, 4), Ok(value));
        }
    }
}
