//! Every message as a typed value ([`NetworkMessage`]), its payload codec, and the whole-frame
//! codec built on [`super::frame`].

use alloc::vec::Vec;

use super::address::TimestampedAddress;
use super::bloom::{FilterLoad, decode_filter_add};
use super::compact_block::{BlockTransactions, BlockTransactionsRequest, CompactBlock};
use super::frame::{Command, FrameError, FrameStatus, decode_frame, encode_frame};
use super::headers::{
    CompactHeader, LocatorRequest, decode_compact_headers, decode_headers, encode_compact_headers,
    encode_headers,
};
use super::inventory::Inventory;
use super::merkle_block::MerkleBlock;
use super::payload::{PayloadError, read_capped_list};
use super::reject::RejectMessage;
use super::version::{SendCompact, VersionMessage};
use crate::block::{Block, BlockHeader};
use crate::encode::{DecodeError, FluxDecode, FluxEncode, read_bytes, write_bytes, write_list};
use crate::transaction::Transaction;

/// The most items one `inv`, `getdata` or `notfound` may list (`MAX_INV_SZ`, `net.h:51`).
pub const MAX_INV_SZ: usize = 50_000;

/// The most addresses one `addr` may carry (`main.cpp:7353`, `MAX_ADDR_TO_SEND`, `net.h:53`).
pub const MAX_ADDR_TO_SEND: usize = 1000;

/// An `alert` (`CAlert`), relayed by fluxd to every new peer and checked against the network's
/// alert key. The signed body is kept as bytes: its layout is versioned and only its signature
/// matters to a relay.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Alert {
    /// `vchMsg`: the serialized `CUnsignedAlert`.
    pub payload: Vec<u8>,
    /// `vchSig`: the alert key's signature of `payload`.
    pub signature: Vec<u8>,
}

/// A P2P message: one variant per command fluxd sends or acts on. Any other command is kept as
/// [`NetworkMessage::Unknown`], which a node reads and ignores as fluxd ignores unknown
/// commands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetworkMessage {
    /// `version`: opens the handshake.
    Version(VersionMessage),
    /// `verack`: accepts the peer's `version`.
    Verack,
    /// `ping`: a keepalive; answer with a `pong` carrying the same nonce.
    Ping(u64),
    /// `pong`: the answer to a `ping`.
    Pong(u64),
    /// `addr`: known peer addresses (at most [`MAX_ADDR_TO_SEND`]).
    Addr(Vec<TimestampedAddress>),
    /// `getaddr`: asks for `addr`.
    GetAddr,
    /// `inv`: announces items (at most [`MAX_INV_SZ`]).
    Inv(Vec<Inventory>),
    /// `getdata`: requests items (at most [`MAX_INV_SZ`]).
    GetData(Vec<Inventory>),
    /// `notfound`: requested items the peer cannot serve.
    NotFound(Vec<Inventory>),
    /// `getheaders`: asks for `headers` (or `cmpheaders`) after a locator.
    GetHeaders(LocatorRequest),
    /// `getblocks`: asks for an `inv` of up to 500 blocks after a locator.
    GetBlocks(LocatorRequest),
    /// `headers`: up to [`super::MAX_HEADERS_RESULTS`] full headers.
    Headers(Vec<BlockHeader>),
    /// `cmpheaders` (Flux only): up to [`super::MAX_COMPACT_HEADERS_RESULTS`] compact headers.
    CompactHeaders(Vec<CompactHeader>),
    /// `block`: a whole block.
    Block(Block),
    /// `tx`: one transaction.
    Tx(Transaction),
    /// `cmpctblock` (BIP152): a block as its header, short transaction ids and a few full
    /// transactions.
    CompactBlock(CompactBlock),
    /// `getblocktxn` (BIP152): asks for transactions of a compact block.
    GetBlockTxn(BlockTransactionsRequest),
    /// `blocktxn` (BIP152): the transactions a `getblocktxn` asked for.
    BlockTxn(BlockTransactions),
    /// `merkleblock`: a header and a partial merkle tree, for bloom-filtering peers.
    MerkleBlock(MerkleBlock),
    /// `mempool`: asks for an `inv` of the peer's mempool.
    MemPool,
    /// `reject`: the peer refused a message.
    Reject(RejectMessage),
    /// `sendheaders` (BIP130): announce new blocks with `headers` rather than `inv`.
    SendHeaders,
    /// `sendcmpct` (BIP152): compact-block preferences.
    SendCompact(SendCompact),
    /// `alert`: a signed network alert.
    Alert(Alert),
    /// `filterload` (BIP37): a light client's bloom filter.
    FilterLoad(FilterLoad),
    /// `filteradd` (BIP37): one element to add to the loaded filter (at most
    /// [`super::bloom::MAX_FILTER_ADD_SIZE`] bytes).
    FilterAdd(Vec<u8>),
    /// `filterclear` (BIP37): drop the loaded filter.
    FilterClear,
    /// Any other command, with its payload unread. Build it only for commands without a variant
    /// of their own: the bytes of a typed command decode as that variant.
    Unknown {
        /// The command.
        command: Command,
        /// The payload.
        payload: Vec<u8>,
    },
}

const VERSION: Command = Command::from_static("version");
const VERACK: Command = Command::from_static("verack");
const PING: Command = Command::from_static("ping");
const PONG: Command = Command::from_static("pong");
const ADDR: Command = Command::from_static("addr");
const GETADDR: Command = Command::from_static("getaddr");
const INV: Command = Command::from_static("inv");
const GETDATA: Command = Command::from_static("getdata");
const NOTFOUND: Command = Command::from_static("notfound");
const GETHEADERS: Command = Command::from_static("getheaders");
const GETBLOCKS: Command = Command::from_static("getblocks");
const HEADERS: Command = Command::from_static("headers");
const CMPHEADERS: Command = Command::from_static("cmpheaders");
const BLOCK: Command = Command::from_static("block");
const TX: Command = Command::from_static("tx");
const CMPCTBLOCK: Command = Command::from_static("cmpctblock");
const GETBLOCKTXN: Command = Command::from_static("getblocktxn");
const BLOCKTXN: Command = Command::from_static("blocktxn");
const MERKLEBLOCK: Command = Command::from_static("merkleblock");
const MEMPOOL: Command = Command::from_static("mempool");
const REJECT: Command = Command::from_static("reject");
const SENDHEADERS: Command = Command::from_static("sendheaders");
const SENDCMPCT: Command = Command::from_static("sendcmpct");
const ALERT: Command = Command::from_static("alert");
const FILTERLOAD: Command = Command::from_static("filterload");
const FILTERADD: Command = Command::from_static("filteradd");
const FILTERCLEAR: Command = Command::from_static("filterclear");

impl NetworkMessage {
    /// The command the message travels under.
    pub fn command(&self) -> Command {
        match self {
            NetworkMessage::Version(_) => VERSION,
            NetworkMessage::Verack => VERACK,
            NetworkMessage::Ping(_) => PING,
            NetworkMessage::Pong(_) => PONG,
            NetworkMessage::Addr(_) => ADDR,
            NetworkMessage::GetAddr => GETADDR,
            NetworkMessage::Inv(_) => INV,
            NetworkMessage::GetData(_) => GETDATA,
            NetworkMessage::NotFound(_) => NOTFOUND,
            NetworkMessage::GetHeaders(_) => GETHEADERS,
            NetworkMessage::GetBlocks(_) => GETBLOCKS,
            NetworkMessage::Headers(_) => HEADERS,
            NetworkMessage::CompactHeaders(_) => CMPHEADERS,
            NetworkMessage::Block(_) => BLOCK,
            NetworkMessage::Tx(_) => TX,
            NetworkMessage::CompactBlock(_) => CMPCTBLOCK,
            NetworkMessage::GetBlockTxn(_) => GETBLOCKTXN,
            NetworkMessage::BlockTxn(_) => BLOCKTXN,
            NetworkMessage::MerkleBlock(_) => MERKLEBLOCK,
            NetworkMessage::MemPool => MEMPOOL,
            NetworkMessage::Reject(_) => REJECT,
            NetworkMessage::SendHeaders => SENDHEADERS,
            NetworkMessage::SendCompact(_) => SENDCMPCT,
            NetworkMessage::Alert(_) => ALERT,
            NetworkMessage::FilterLoad(_) => FILTERLOAD,
            NetworkMessage::FilterAdd(_) => FILTERADD,
            NetworkMessage::FilterClear => FILTERCLEAR,
            NetworkMessage::Unknown { command, .. } => *command,
        }
    }

    /// Appends the payload (the bytes after the frame header).
    pub fn encode_payload(&self, out: &mut Vec<u8>) {
        match self {
            NetworkMessage::Version(version) => version.encode_payload(out),
            NetworkMessage::Verack
            | NetworkMessage::GetAddr
            | NetworkMessage::MemPool
            | NetworkMessage::SendHeaders
            | NetworkMessage::FilterClear => {}
            NetworkMessage::Ping(nonce) | NetworkMessage::Pong(nonce) => nonce.flux_encode(out),
            NetworkMessage::Addr(addresses) => write_list(out, addresses),
            NetworkMessage::Inv(items)
            | NetworkMessage::GetData(items)
            | NetworkMessage::NotFound(items) => write_list(out, items),
            NetworkMessage::GetHeaders(request) | NetworkMessage::GetBlocks(request) => {
                request.encode_payload(out);
            }
            NetworkMessage::Headers(headers) => encode_headers(headers, out),
            NetworkMessage::CompactHeaders(headers) => encode_compact_headers(headers, out),
            NetworkMessage::Block(block) => block.flux_encode(out),
            NetworkMessage::Tx(tx) => tx.flux_encode(out),
            NetworkMessage::CompactBlock(block) => block.encode_payload(out),
            NetworkMessage::GetBlockTxn(request) => request.encode_payload(out),
            NetworkMessage::BlockTxn(transactions) => transactions.encode_payload(out),
            NetworkMessage::MerkleBlock(block) => block.encode_payload(out),
            NetworkMessage::Reject(reject) => reject.encode_payload(out),
            NetworkMessage::SendCompact(send) => send.encode_payload(out),
            NetworkMessage::Alert(alert) => {
                write_bytes(out, &alert.payload);
                write_bytes(out, &alert.signature);
            }
            NetworkMessage::FilterLoad(filter) => filter.encode_payload(out),
            NetworkMessage::FilterAdd(data) => write_bytes(out, data),
            NetworkMessage::Unknown { payload, .. } => out.extend_from_slice(payload),
        }
    }

    /// The payload as a new vector.
    pub fn payload(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode_payload(&mut out);
        out
    }

    /// Decodes the payload of a message received under `command`. The payload must hold exactly
    /// one message: bytes left over are an error. fluxd itself stops reading where its parser
    /// stops, but every message it sends is exact, and only an exact parse re-encodes to the
    /// bytes that were received.
    ///
    /// # Errors
    ///
    /// [`PayloadError`] naming the malformed field or the exceeded limit.
    pub fn decode_payload(
        command: Command,
        payload: &[u8],
    ) -> Result<NetworkMessage, PayloadError> {
        let mut input = payload;
        let message = Self::decode_fields(command, &mut input)?;
        if !input.is_empty() {
            return Err(DecodeError::TrailingBytes(input.len()).into());
        }
        Ok(message)
    }

    fn decode_fields(command: Command, input: &mut &[u8]) -> Result<NetworkMessage, PayloadError> {
        Ok(match command.as_str() {
            "version" => NetworkMessage::Version(VersionMessage::decode_payload(input)?),
            "verack" => expect_empty(command, input, NetworkMessage::Verack)?,
            "ping" => NetworkMessage::Ping(u64::flux_decode(input)?),
            "pong" => NetworkMessage::Pong(u64::flux_decode(input)?),
            "addr" => NetworkMessage::Addr(read_capped_list(
                input,
                MAX_ADDR_TO_SEND,
                TimestampedAddress::SIZE,
                "addr",
            )?),
            "getaddr" => expect_empty(command, input, NetworkMessage::GetAddr)?,
            "inv" => NetworkMessage::Inv(read_inventory(input, "inv")?),
            "getdata" => NetworkMessage::GetData(read_inventory(input, "getdata")?),
            "notfound" => NetworkMessage::NotFound(read_inventory(input, "notfound")?),
            "getheaders" => NetworkMessage::GetHeaders(LocatorRequest::decode_payload(input)?),
            "getblocks" => NetworkMessage::GetBlocks(LocatorRequest::decode_payload(input)?),
            "headers" => NetworkMessage::Headers(decode_headers(input)?),
            "cmpheaders" => NetworkMessage::CompactHeaders(decode_compact_headers(input)?),
            "block" => NetworkMessage::Block(Block::flux_decode(input)?),
            "tx" => NetworkMessage::Tx(Transaction::flux_decode(input)?),
            "cmpctblock" => NetworkMessage::CompactBlock(CompactBlock::decode_payload(input)?),
            "getblocktxn" => {
                NetworkMessage::GetBlockTxn(BlockTransactionsRequest::decode_payload(input)?)
            }
            "blocktxn" => NetworkMessage::BlockTxn(BlockTransactions::decode_payload(input)?),
            "merkleblock" => NetworkMessage::MerkleBlock(MerkleBlock::decode_payload(input)?),
            "mempool" => expect_empty(command, input, NetworkMessage::MemPool)?,
            "reject" => NetworkMessage::Reject(RejectMessage::decode_payload(input)?),
            "sendheaders" => expect_empty(command, input, NetworkMessage::SendHeaders)?,
            "sendcmpct" => NetworkMessage::SendCompact(SendCompact::decode_payload(input)?),
            "alert" => NetworkMessage::Alert(Alert {
                payload: read_bytes(input, "alert payload")?,
                signature: read_bytes(input, "alert signature")?,
            }),
            "filterload" => NetworkMessage::FilterLoad(FilterLoad::decode_payload(input)?),
            "filteradd" => NetworkMessage::FilterAdd(decode_filter_add(input)?),
            "filterclear" => expect_empty(command, input, NetworkMessage::FilterClear)?,
            _ => {
                let payload = input.to_vec();
                *input = &[];
                NetworkMessage::Unknown { command, payload }
            }
        })
    }

    /// The whole frame (header and payload) for the network whose magic is `magic`.
    ///
    /// # Errors
    ///
    /// [`FrameError::PayloadTooLarge`] when the payload is above
    /// [`super::MAX_PROTOCOL_MESSAGE_LENGTH`], which no peer accepts.
    pub fn encode_frame(&self, magic: [u8; 4]) -> Result<Vec<u8>, FrameError> {
        let payload = self.payload();
        let mut out = Vec::new();
        encode_frame(magic, self.command(), &payload, &mut out)?;
        Ok(out)
    }
}

/// A message whose command carries no payload, provided none came.
fn expect_empty(
    command: Command,
    input: &[u8],
    message: NetworkMessage,
) -> Result<NetworkMessage, PayloadError> {
    if input.is_empty() {
        Ok(message)
    } else {
        Err(PayloadError::UnexpectedPayload {
            command,
            len: input.len(),
        })
    }
}

fn read_inventory(input: &mut &[u8], what: &'static str) -> Result<Vec<Inventory>, PayloadError> {
    read_capped_list(input, MAX_INV_SZ, Inventory::SIZE, what)
}

/// Why the front of a stream is not a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MessageError {
    /// The frame itself is bad.
    #[error(transparent)]
    Frame(#[from] FrameError),
    /// The frame is sound but its payload is not the message its command names; fluxd answers
    /// `reject` (`REJECT_MALFORMED`) and reads on (`main.cpp:8582-8610`).
    #[error("{command} payload: {source}; skip the {frame_len}-byte frame")]
    Payload {
        /// The frame's command.
        command: Command,
        /// Bytes of the whole frame, header included.
        frame_len: usize,
        /// What is wrong with the payload.
        source: PayloadError,
    },
}

impl MessageError {
    /// Bytes to discard before reading on when the frame can be skipped, or `None` when the
    /// connection should be dropped.
    pub fn skippable_len(&self) -> Option<usize> {
        match self {
            MessageError::Frame(frame) => frame.skippable_len(),
            MessageError::Payload { frame_len, .. } => Some(*frame_len),
        }
    }
}

/// What [`decode_message`] found at the front of the input.
#[derive(Debug, Clone, PartialEq, Eq)]
#[expect(
    clippy::large_enum_variant,
    reason = "returned by value once per frame and matched at once; boxing would allocate for every message"
)]
pub enum MessageStatus {
    /// A message, decoded from the first `frame_len` bytes of the input.
    Complete {
        /// The message.
        message: NetworkMessage,
        /// Bytes the frame occupied.
        frame_len: usize,
    },
    /// The input holds the start of a frame; at least `needed` more bytes must arrive.
    NeedMoreBytes {
        /// Minimum number of further bytes.
        needed: usize,
    },
}

/// Decodes the message framed at the front of `input` for the network whose magic is `magic`.
/// Bytes after the frame are left alone.
///
/// # Errors
///
/// [`MessageError`]; [`MessageError::skippable_len`] tells a reader whether to skip the frame
/// or drop the connection.
pub fn decode_message(magic: [u8; 4], input: &[u8]) -> Result<MessageStatus, MessageError> {
    let raw = match decode_frame(magic, input)? {
        FrameStatus::Complete(raw) => raw,
        FrameStatus::NeedMoreBytes { needed } => {
            return Ok(MessageStatus::NeedMoreBytes { needed });
        }
    };
    let frame_len = raw.frame_len();
    match NetworkMessage::decode_payload(raw.command, raw.payload) {
        Ok(message) => Ok(MessageStatus::Complete { message, frame_len }),
        Err(source) => Err(MessageError::Payload {
            command: raw.command,
            frame_len,
            source,
        }),
    }
}
