//! What every payload decoder shares: the payload error and the capped list readers, which
//! refuse a count above fluxd's limit, or above what the remaining bytes could hold, before
//! allocating.

use alloc::vec::Vec;

use super::frame::Command;
use crate::encode::{DecodeError, FluxDecode, read_compact_size};

/// Why a payload does not decode as the message its command names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PayloadError {
    /// A field is malformed, or the payload ends early or runs on past the message.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// A list announces more items than fluxd allows in one message; the sender misbehaves
    /// (fluxd scores +20 for `inv`, `getdata`, `addr`, `headers` and `cmpheaders`).
    #[error("{what}: {count} items announced, more than the {max} one message may carry")]
    TooManyItems {
        /// The list.
        what: &'static str,
        /// The announced count.
        count: u64,
        /// The limit.
        max: usize,
    },
    /// A `headers` entry claims transactions; every fluxd writes 0 there.
    #[error("headers entry {index} claims {count} transactions; a headers entry has none")]
    HeaderWithTransactions {
        /// Position of the entry.
        index: usize,
        /// The transaction count it claims.
        count: u64,
    },
    /// A transaction position above the 16 bits fluxd keeps (`"index overflowed 16-bit
    /// bounds"`).
    #[error("{what} {value} does not fit in 16 bits")]
    IndexOutOfRange {
        /// The field.
        what: &'static str,
        /// The value read.
        value: u64,
    },
    /// A command this crate knows to have an empty payload came with bytes.
    #[error("{command} carries no payload, but {len} bytes came with it")]
    UnexpectedPayload {
        /// The command.
        command: Command,
        /// Bytes of the payload.
        len: usize,
    },
}

/// Reads a list count no larger than `max`, then checks it against the bytes left (each item
/// needs at least `min_item_size`), so that a lying count is refused before any allocation.
pub(crate) fn read_capped_count(
    input: &mut &[u8],
    max: usize,
    min_item_size: usize,
    what: &'static str,
) -> Result<usize, PayloadError> {
    let count = read_compact_size(input)?;
    if count > max as u64 {
        return Err(PayloadError::TooManyItems { what, count, max });
    }
    // `read_compact_size` caps the count at MAX_SIZE, so it fits in usize; the product
    // saturates.
    let count = count as usize;
    let remaining = input.len();
    if count.saturating_mul(min_item_size) > remaining {
        return Err(DecodeError::CountExceedsData {
            what,
            count: count as u64,
            remaining,
        }
        .into());
    }
    Ok(count)
}

pub(crate) fn read_capped_list<T: FluxDecode>(
    input: &mut &[u8],
    max: usize,
    min_item_size: usize,
    what: &'static str,
) -> Result<Vec<T>, PayloadError> {
    let count = read_capped_count(input, max, min_item_size, what)?;
    let mut items = Vec::with_capacity(count);
    for _ in 0..count {
        items.push(T::flux_decode(input)?);
    }
    Ok(items)
}
