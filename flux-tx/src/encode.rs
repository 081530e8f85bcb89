//! Consensus byte encoding, written by hand as the daemon's `serialize.h` lays bytes out: little-
//! endian integers, canonical compactsize length prefixes, and nothing else. Serde never touches
//! these bytes.
//!
//! Decoding reads from a byte slice that it advances (`&mut &[u8]`), and never allocates more
//! than the input could hold: every length prefix is checked against the bytes that remain (each
//! element needs at least its minimum size) and against the daemon's `MAX_SIZE` before anything
//! is reserved. Arbitrary input gives a [`DecodeError`], never a panic.
//!
//! ```
//! use flux_tx::encode::{FluxDecode, FluxEncode, read_compact_size, write_compact_size};
//!
//! let mut bytes = Vec::new();
//! write_compact_size(&mut bytes, 0x1234);
//! assert_eq!(bytes, [0xfd, 0x34, 0x12]);
//! assert_eq!(read_compact_size(&mut &bytes[..]), Ok(0x1234));
//! // 0xfd followed by a value below 0xfd is not canonical, as in fluxd.
//! assert!(read_compact_size(&mut &[0xfd, 0x10, 0x00][..]).is_err());
//! assert_eq!(u32::decode_exact(&7u32.encoded()), Ok(7));
//! ```

use alloc::vec::Vec;

/// The largest length prefix the daemon accepts (`MAX_SIZE`, `serialize.h:32`).
pub const MAX_SIZE: u64 = 0x0200_0000;

/// Why bytes could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The input ended inside a field.
    #[error("unexpected end of data: {needed} more bytes needed, {remaining} left")]
    UnexpectedEnd {
        /// Bytes the field needs.
        needed: usize,
        /// Bytes that were left.
        remaining: usize,
    },
    /// A compactsize used a longer form than its value needs (`"non-canonical ReadCompactSize()"`).
    #[error("non-canonical compactsize: {value} written with a {width}-byte form")]
    NonCanonicalCompactSize {
        /// The value.
        value: u64,
        /// Bytes of the form used (3, 5 or 9).
        width: usize,
    },
    /// A compactsize above `MAX_SIZE` (`"ReadCompactSize(): size too large"`).
    #[error("length prefix {value} is above the daemon's limit of {MAX_SIZE}")]
    SizeTooLarge {
        /// The value.
        value: u64,
    },
    /// A count that more elements than the remaining bytes could hold.
    #[error("{what}: {count} items announced but only {remaining} bytes remain")]
    CountExceedsData {
        /// What was being counted.
        what: &'static str,
        /// The announced count.
        count: u64,
        /// Bytes left in the input.
        remaining: usize,
    },
    /// A field that has a hard size limit is larger.
    #[error("{what} is {len} bytes, more than the {max} allowed")]
    FieldTooLong {
        /// The field.
        what: &'static str,
        /// Its announced length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A `bool` byte other than 0 or 1 (it would not re-encode to the same byte).
    #[error("boolean byte {0:#04x} is neither 0 nor 1")]
    InvalidBool(u8),
    /// The overwintered flag with a version / version group the daemon rejects
    /// (`"Unknown transaction format"`).
    #[error("unknown transaction format: version {version}, version group id {group_id:#010x}")]
    UnknownTransactionFormat {
        /// `nVersion` without the flag.
        version: i32,
        /// `nVersionGroupId`.
        group_id: u32,
    },
    /// A v6 fluxnode START whose internal version is neither the normal nor the P2SH layout.
    #[error("fluxnode start with internal version {0:#x}: neither the normal nor the P2SH layout")]
    UnknownFluxnodeLayout(i32),
    /// Bytes left over after a value that should fill the input.
    #[error("{0} bytes left over after the value")]
    TrailingBytes(usize),
}

/// Types with a consensus byte encoding.
pub trait FluxEncode {
    /// Appends the encoding to `out`.
    fn flux_encode(&self, out: &mut Vec<u8>);

    /// The encoding as a new vector.
    fn encoded(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.flux_encode(&mut out);
        out
    }
}

/// Types decodable from consensus bytes.
pub trait FluxDecode: Sized {
    /// Decodes one value from the front of `input` and advances it past the value.
    ///
    /// # Errors
    ///
    /// A [`DecodeError`] naming what is wrong.
    fn flux_decode(input: &mut &[u8]) -> Result<Self, DecodeError>;

    /// Decodes a value that must fill `bytes` exactly.
    ///
    /// # Errors
    ///
    /// As [`FluxDecode::flux_decode`], or [`DecodeError::TrailingBytes`].
    fn decode_exact(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut input = bytes;
        let value = Self::flux_decode(&mut input)?;
        if input.is_empty() {
            Ok(value)
        } else {
            Err(DecodeError::TrailingBytes(input.len()))
        }
    }
}

/// Takes `n` bytes off the front of `input`.
///
/// # Errors
///
/// [`DecodeError::UnexpectedEnd`] if fewer remain.
pub fn take<'a>(input: &mut &'a [u8], n: usize) -> Result<&'a [u8], DecodeError> {
    if input.len() < n {
        return Err(DecodeError::UnexpectedEnd {
            needed: n,
            remaining: input.len(),
        });
    }
    let (head, tail) = input.split_at(n);
    *input = tail;
    Ok(head)
}

/// Reads a fixed-size byte array.
///
/// # Errors
///
/// [`DecodeError::UnexpectedEnd`].
pub fn read_array<const N: usize>(input: &mut &[u8]) -> Result<[u8; N], DecodeError> {
    let mut out = [0u8; N];
    out.copy_from_slice(take(input, N)?);
    Ok(out)
}

macro_rules! le_integer {
    ($($ty:ty),*) => {$(
        impl FluxEncode for $ty {
            fn flux_encode(&self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
        }

        impl FluxDecode for $ty {
            fn flux_decode(input: &mut &[u8]) -> Result<Self, DecodeError> {
                Ok(<$ty>::from_le_bytes(read_array(input)?))
            }
        }
    )*};
}

le_integer!(u8, i8, u16, u32, i32, u64, i64);

impl FluxEncode for bool {
    fn flux_encode(&self, out: &mut Vec<u8>) {
        out.push(u8::from(*self));
    }
}

impl FluxDecode for bool {
    fn flux_decode(input: &mut &[u8]) -> Result<Self, DecodeError> {
        match u8::flux_decode(input)? {
            0 => Ok(false),
            1 => Ok(true),
            other => Err(DecodeError::InvalidBool(other)),
        }
    }
}

impl<const N: usize> FluxEncode for [u8; N] {
    fn flux_encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self);
    }
}

impl<const N: usize> FluxDecode for [u8; N] {
    fn flux_decode(input: &mut &[u8]) -> Result<Self, DecodeError> {
        read_array(input)
    }
}

/// Appends a compactsize (`WriteCompactSize`).
pub fn write_compact_size(out: &mut Vec<u8>, value: u64) {
    match value {
        0..=0xfc => out.push(value as u8),
        0xfd..=0xffff => {
            out.push(0xfd);
            out.extend_from_slice(&(value as u16).to_le_bytes());
        }
        0x1_0000..=0xffff_ffff => {
            out.push(0xfe);
            out.extend_from_slice(&(value as u32).to_le_bytes());
        }
        _ => {
            out.push(0xff);
            out.extend_from_slice(&value.to_le_bytes());
        }
    }
}

/// Reads a canonical compactsize no larger than [`MAX_SIZE`] (`ReadCompactSize`).
///
/// # Errors
///
/// [`DecodeError::UnexpectedEnd`], [`DecodeError::NonCanonicalCompactSize`] or
/// [`DecodeError::SizeTooLarge`].
pub fn read_compact_size(input: &mut &[u8]) -> Result<u64, DecodeError> {
    let (value, width, minimum) = match u8::flux_decode(input)? {
        0xfd => (u64::from(u16::flux_decode(input)?), 3, 0xfd),
        0xfe => (u64::from(u32::flux_decode(input)?), 5, 0x1_0000),
        0xff => (u64::flux_decode(input)?, 9, 0x1_0000_0000),
        small => return Ok(u64::from(small)),
    };
    if value < minimum {
        return Err(DecodeError::NonCanonicalCompactSize { value, width });
    }
    if value > MAX_SIZE {
        return Err(DecodeError::SizeTooLarge { value });
    }
    Ok(value)
}

/// Reads a count of items that each take at least `min_item_size` bytes, rejecting counts the
/// remaining input cannot hold, so that nothing is allocated on a lying prefix.
///
/// # Errors
///
/// As [`read_compact_size`], or [`DecodeError::CountExceedsData`].
pub fn read_count(
    input: &mut &[u8],
    min_item_size: usize,
    what: &'static str,
) -> Result<usize, DecodeError> {
    let count = read_compact_size(input)?;
    let remaining = input.len();
    let fits = usize::try_from(count)
        .ok()
        .and_then(|n| n.checked_mul(min_item_size.max(1)))
        .is_some_and(|bytes| bytes <= remaining);
    if !fits {
        return Err(DecodeError::CountExceedsData {
            what,
            count,
            remaining,
        });
    }
    // The check above bounds the count by the input length, which fits in usize.
    Ok(count as usize)
}

/// Appends a compactsize-prefixed byte string.
pub fn write_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    write_compact_size(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

/// Reads a compactsize-prefixed byte string.
///
/// # Errors
///
/// As [`read_count`].
pub fn read_bytes(input: &mut &[u8], what: &'static str) -> Result<Vec<u8>, DecodeError> {
    let len = read_count(input, 1, what)?;
    Ok(take(input, len)?.to_vec())
}

/// Reads a compactsize-prefixed byte string of at most `max` bytes.
///
/// # Errors
///
/// As [`read_bytes`], or [`DecodeError::FieldTooLong`].
pub fn read_bytes_max(
    input: &mut &[u8],
    max: usize,
    what: &'static str,
) -> Result<Vec<u8>, DecodeError> {
    let bytes = read_bytes(input, what)?;
    if bytes.len() > max {
        return Err(DecodeError::FieldTooLong {
            what,
            len: bytes.len(),
            max,
        });
    }
    Ok(bytes)
}

/// Appends a compactsize count and every item.
pub fn write_list<T: FluxEncode>(out: &mut Vec<u8>, items: &[T]) {
    write_compact_size(out, items.len() as u64);
    for item in items {
        item.flux_encode(out);
    }
}

/// Reads a compactsize count and that many items of at least `min_item_size` bytes each.
///
/// # Errors
///
/// As [`read_count`] and the item decoder.
pub fn read_list<T: FluxDecode>(
    input: &mut &[u8],
    min_item_size: usize,
    what: &'static str,
) -> Result<Vec<T>, DecodeError> {
    let count = read_count(input, min_item_size, what)?;
    let mut items = Vec::with_capacity(count);
    for _ in 0..count {
        items.push(T::flux_decode(input)?);
    }
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_sizes_are_canonical_and_capped() {
        for value in [0u64, 0xfc, 0xfd, 0xffff, 0x1_0000, MAX_SIZE] {
            let mut out = Vec::new();
            write_compact_size(&mut out, value);
            let mut input = &out[..];
            assert_eq!(read_compact_size(&mut input), Ok(value));
            assert!(input.is_empty());
        }
        assert_eq!(
            read_compact_size(&mut &[0xfe, 0xff, 0xff, 0, 0][..]),
            Err(DecodeError::NonCanonicalCompactSize {
                value: 0xffff,
                width: 5
            })
        );
        assert_eq!(
            read_compact_size(&mut &[0xfe, 1, 0, 0, 2][..]),
            Err(DecodeError::SizeTooLarge { value: 0x0200_0001 })
        );
        assert!(matches!(
            read_bytes(&mut &[0xfd, 0x00, 0x10, 1, 2][..], "script"),
            Err(DecodeError::CountExceedsData { .. })
        ));
        assert_eq!(bool::decode_exact(&[2]), Err(DecodeError::InvalidBool(2)));
        assert_eq!(
            u16::decode_exact(&[1, 0, 0]),
            Err(DecodeError::TrailingBytes(1))
        );
    }
}
