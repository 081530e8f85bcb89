//! The fluxd peer-to-peer wire protocol as typed values, with hand-written encoding beside the
//! consensus codecs: the frame ([`frame`]), every message a fluxd peer sends or handles
//! ([`NetworkMessage`]), and their parts (addresses, inventory, the handshake, header sync,
//! BIP152 compact blocks, BIP37 filters and `merkleblock`, `reject`).
//!
//! Nothing here does I/O. [`decode_message`] reads whatever prefix of a stream has arrived and
//! answers with a message, a request for more bytes ([`MessageStatus::NeedMoreBytes`]), or an
//! error that says whether the frame can be skipped or the peer must be dropped
//! ([`MessageError::skippable_len`]). Every list length is checked against fluxd's limit and
//! against the bytes present before anything is allocated, and no input makes a decoder panic.
//! The network magic comes from the caller (`NetworkParams::message_start()` in
//! `flux-consensus`).
//!
//! # Limits
//!
//! | what | limit | fluxd |
//! |---|---|---|
//! | payload | [`MAX_PROTOCOL_MESSAGE_LENGTH`] = 2 MiB | `net.h:55`, `net.cpp:629-632` |
//! | `inv`, `getdata`, `notfound` items | [`MAX_INV_SZ`] = 50 000 | `net.h:51`, `main.cpp:7453, 7518` |
//! | `addr` entries | [`MAX_ADDR_TO_SEND`] = 1000 | `main.cpp:7353` |
//! | `headers` entries | [`MAX_HEADERS_RESULTS`] = 160 | `main.h:107`, `main.cpp:7820` |
//! | `cmpheaders` entries | [`MAX_COMPACT_HEADERS_RESULTS`] = 2000 | `main.cpp:7877` |
//! | user agent | [`MAX_USER_AGENT_LENGTH`] = 256 bytes | `net.h:57`, `main.cpp:7150` |
//! | `reject` command, reason | 12, [`MAX_REJECT_REASON_LENGTH`] = 111 bytes | `main.cpp:8471`, `main.h:122` |
//! | BIP152 short ids, prefilled, indexes | [`MAX_COMPACT_BLOCK_ITEMS`] = 65 535 | `blockencodings.h` |
//! | `filterload` filter, hash functions | 36 000 bytes, 50 | `bloom.h:18-19` (fluxd scores 100) |
//! | `filteradd` element | 520 bytes | `main.cpp:8442` (fluxd scores 100) |
//! | any other length prefix | the bytes present, and `MAX_SIZE` | `serialize.h` |
//!
//! fluxd reads `notfound` without looking at it; the `inv` limit is applied to it too.
//!
//! # Example: a handshake reply and a ping, read from a stream
//!
//! ```
//! use flux_tx::p2p::{MessageStatus, NetworkMessage, decode_message};
//!
//! const MAINNET: [u8; 4] = [0x24, 0xe9, 0x27, 0x64];
//! // `verack` (empty payload, checksum 5df6e0e2), then the first 20 bytes of a `ping` frame.
//! let bytes = hex::decode(concat!(
//!     "24e92764", "76657261636b000000000000", "00000000", "5df6e0e2",
//!     "24e92764", "70696e670000000000000000", "08000000",
//! ))
//! .unwrap();
//!
//! let MessageStatus::Complete { message, frame_len } = decode_message(MAINNET, &bytes)? else {
//!     panic!("a whole verack is there");
//! };
//! assert_eq!(message, NetworkMessage::Verack);
//! let rest = &bytes[frame_len..];
//! // The ping's header has not fully arrived: the reader is told to wait.
//! assert_eq!(
//!     decode_message(MAINNET, rest)?,
//!     MessageStatus::NeedMoreBytes { needed: 4 }
//! );
//!
//! // Answering a ping: the pong carries the same nonce.
//! let ping = NetworkMessage::Ping(0x0123_4567_89ab_cdef).encode_frame(MAINNET)?;
//! let MessageStatus::Complete { message: NetworkMessage::Ping(nonce), .. } =
//!     decode_message(MAINNET, &ping)?
//! else {
//!     panic!("a ping");
//! };
//! let pong = NetworkMessage::Pong(nonce).encode_frame(MAINNET)?;
//! assert_eq!(&pong[4..8], b"pong");
//! assert_eq!(&pong[24..], &nonce.to_le_bytes());
//!
//! // A frame for another network is refused before its payload is read.
//! let testnet = [0xfa, 0x1a, 0xf9, 0xbf];
//! assert!(decode_message(testnet, &ping).is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod address;
pub mod bloom;
pub mod compact_block;
pub mod frame;
pub mod headers;
pub mod inventory;
pub mod merkle_block;
pub mod message;
mod payload;
pub mod reject;
pub mod version;

pub use address::{NetAddress, ServiceFlags, TimestampedAddress};
pub use bloom::FilterLoad;
pub use compact_block::{
    BlockTransactions, BlockTransactionsRequest, CompactBlock, MAX_COMPACT_BLOCK_ITEMS,
    PrefilledTransaction, ShortTxId,
};
pub use frame::{
    Command, CommandError, FrameError, FrameStatus, MAX_PROTOCOL_MESSAGE_LENGTH, RawFrame,
    decode_frame,
};
pub use headers::{
    CompactHeader, CompactProof, LocatorRequest, MAX_COMPACT_HEADERS_RESULTS, MAX_HEADERS_RESULTS,
};
pub use inventory::Inventory;
pub use merkle_block::MerkleBlock;
pub use message::{
    Alert, MAX_ADDR_TO_SEND, MAX_INV_SZ, MessageError, MessageStatus, NetworkMessage,
    decode_message,
};
pub use payload::PayloadError;
pub use reject::{MAX_REJECT_REASON_LENGTH, RejectCode, RejectMessage};
pub use version::{MAX_USER_AGENT_LENGTH, PROTOCOL_VERSION, SendCompact, VersionMessage};
