//! Messages over a byte stream: a reader that frames and decodes what a peer sends, never holding
//! more than one frame (at most 2 MiB of payload) plus one read chunk, and a writer.
//!
//! What the reader does with a bad frame follows fluxd (`net.cpp:610-700`,
//! `main.cpp:8548-8610`): another network's magic or a length over the limit ends the connection
//! ([`WireError::Fatal`]); a malformed command or a wrong checksum drops the frame
//! ([`Received::Dropped`]); a payload that is not the message its command names is reported with
//! its command ([`Received::Malformed`]) so the caller can answer `reject`.

use std::time::Duration;

use flux_tx::p2p::frame::FRAME_HEADER_SIZE;
use flux_tx::p2p::{
    Command, FrameError, MessageError, MessageStatus, NetworkMessage, PayloadError, decode_message,
};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Bytes asked of the socket per read.
const READ_CHUNK: usize = 64 * 1024;

/// What the reader got from the peer.
#[derive(Debug)]
#[expect(
    clippy::large_enum_variant,
    reason = "one per frame, matched at once; boxing would allocate for every message"
)]
pub enum Received {
    /// A whole, well-formed message.
    Message(NetworkMessage),
    /// A frame fluxd drops without a word (malformed command, wrong checksum); reading goes on.
    Dropped(FrameError),
    /// A frame whose payload is not the message its command names; fluxd answers `reject`
    /// (`REJECT_MALFORMED`) and reads on.
    Malformed {
        /// The frame's command.
        command: Command,
        /// What is wrong with the payload.
        error: PayloadError,
    },
}

/// Why the reader or the writer stopped: after any of these the connection is done.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WireError {
    /// The peer closed the connection (between frames, or `mid_frame`).
    #[error("the peer closed the connection{}", if *.mid_frame { " in the middle of a message" } else { "" })]
    Closed {
        /// Whether part of a frame had arrived.
        mid_frame: bool,
    },
    /// Nothing arrived for the idle timeout.
    #[error("the peer sent nothing for {0:?}")]
    Idle(Duration),
    /// A frame had started but was not whole within the message timeout (a stalling peer).
    #[error("the peer stalled in the middle of a message for {0:?}")]
    Stalled(Duration),
    /// A frame that ends the connection: another network's magic, or a length above the limit.
    #[error("{0}")]
    Fatal(FrameError),
    /// Writing did not finish within the timeout (the peer does not read).
    #[error("the peer did not take a message within {0:?}")]
    SendTimeout(Duration),
    /// A message this side built is too large to send (a bug, never the peer's doing).
    #[error("cannot frame an outgoing message: {0}")]
    Encode(FrameError),
    /// The socket failed.
    #[error("socket: {0}")]
    Io(#[from] std::io::Error),
}

/// Reads the messages of one network (its magic) from a stream.
#[derive(Debug)]
pub struct MessageReader<R> {
    inner: R,
    magic: [u8; 4],
    buffer: Vec<u8>,
    scratch: Box<[u8]>,
    received_bytes: u64,
}

impl<R: AsyncRead + Unpin> MessageReader<R> {
    /// A reader for the network whose message start is `magic`.
    pub fn new(inner: R, magic: [u8; 4]) -> MessageReader<R> {
        MessageReader {
            inner,
            magic,
            buffer: Vec::new(),
            scratch: vec![0; READ_CHUNK].into_boxed_slice(),
            received_bytes: 0,
        }
    }

    /// Bytes received so far.
    pub fn received_bytes(&self) -> u64 {
        self.received_bytes
    }

    /// The next frame. The first byte of it must come within `idle`; once a frame has started,
    /// the rest must come within `stall` (a peer cannot hold the node by sending half a message).
    ///
    /// # Errors
    ///
    /// [`WireError`]; the connection is done after any of them.
    pub async fn next(&mut self, idle: Duration, stall: Duration) -> Result<Received, WireError> {
        let mut frame_deadline = None;
        loop {
            if !self.buffer.is_empty() {
                match decode_message(self.magic, &self.buffer) {
                    Ok(MessageStatus::Complete { message, frame_len }) => {
                        self.buffer.drain(..frame_len);
                        return Ok(Received::Message(message));
                    }
                    Ok(MessageStatus::NeedMoreBytes { .. }) => {}
                    Err(MessageError::Frame(error)) => match error.skippable_len() {
                        Some(frame_len) => {
                            self.buffer.drain(..frame_len);
                            return Ok(Received::Dropped(error));
                        }
                        None => return Err(WireError::Fatal(error)),
                    },
                    Err(MessageError::Payload {
                        command,
                        frame_len,
                        source,
                    }) => {
                        self.buffer.drain(..frame_len);
                        return Ok(Received::Malformed {
                            command,
                            error: source,
                        });
                    }
                    Err(other) => {
                        // A future kind of error: the frame boundary is unknown, so the
                        // stream cannot be read on.
                        return Err(WireError::Io(std::io::Error::other(other.to_string())));
                    }
                }
            }
            let mid_frame = !self.buffer.is_empty();
            let wait = if mid_frame {
                let deadline =
                    *frame_deadline.get_or_insert_with(|| tokio::time::Instant::now() + stall);
                deadline.saturating_duration_since(tokio::time::Instant::now())
            } else {
                idle
            };
            let read = tokio::time::timeout(wait, self.read_chunk()).await;
            match read {
                Err(_) if mid_frame => return Err(WireError::Stalled(stall)),
                Err(_) => return Err(WireError::Idle(idle)),
                Ok(Ok(0)) => return Err(WireError::Closed { mid_frame }),
                Ok(Ok(_)) => {
                    if frame_deadline.is_none() {
                        frame_deadline = Some(tokio::time::Instant::now() + stall);
                    }
                }
                Ok(Err(error)) => return Err(WireError::Io(error)),
            }
        }
    }

    /// Reads at most one chunk, never more than the frame being read still needs beyond the
    /// header: the buffer stays within one frame plus one chunk. The bytes land in a scratch
    /// buffer first, so a read cancelled by a timeout leaves the frame buffer as it was.
    async fn read_chunk(&mut self) -> std::io::Result<usize> {
        let start = self.buffer.len();
        let want = if start < FRAME_HEADER_SIZE {
            FRAME_HEADER_SIZE - start
        } else {
            READ_CHUNK
        };
        let got = self.inner.read(&mut self.scratch[..want]).await?;
        self.buffer.extend_from_slice(&self.scratch[..got]);
        self.received_bytes += got as u64;
        Ok(got)
    }
}

/// Writes the messages of one network to a stream.
#[derive(Debug)]
pub struct MessageWriter<W> {
    inner: W,
    magic: [u8; 4],
    sent_bytes: u64,
}

impl<W: AsyncWrite + Unpin> MessageWriter<W> {
    /// A writer for the network whose message start is `magic`.
    pub fn new(inner: W, magic: [u8; 4]) -> MessageWriter<W> {
        MessageWriter {
            inner,
            magic,
            sent_bytes: 0,
        }
    }

    /// Bytes sent so far.
    pub fn sent_bytes(&self) -> u64 {
        self.sent_bytes
    }

    /// Frames and sends `message`; the peer must take it within `timeout`.
    ///
    /// # Errors
    ///
    /// [`WireError`]; the connection is done after any of them.
    pub async fn send(
        &mut self,
        message: &NetworkMessage,
        timeout: Duration,
    ) -> Result<(), WireError> {
        let frame = message
            .encode_frame(self.magic)
            .map_err(WireError::Encode)?;
        self.send_raw(&frame, timeout).await
    }

    /// Sends bytes as they are (an already framed message, or a test's deliberately bad one).
    ///
    /// # Errors
    ///
    /// [`WireError`].
    pub async fn send_raw(&mut self, bytes: &[u8], timeout: Duration) -> Result<(), WireError> {
        let write = async {
            self.inner.write_all(bytes).await?;
            self.inner.flush().await
        };
        tokio::time::timeout(timeout, write)
            .await
            .map_err(|_| WireError::SendTimeout(timeout))??;
        self.sent_bytes += bytes.len() as u64;
        Ok(())
    }

    /// Closes the write side.
    pub async fn shutdown(&mut self) {
        let _ = self.inner.shutdown().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flux_tx::p2p::Inventory;

    const MAGIC: [u8; 4] = *b"FXdv";
    const LONG: Duration = Duration::from_secs(5);

    async fn read_all(bytes: Vec<u8>) -> Vec<Result<Received, WireError>> {
        let (mut client, server) = tokio::io::duplex(1 << 20);
        client.write_all(&bytes).await.unwrap();
        drop(client);
        let mut reader = MessageReader::new(server, MAGIC);
        let mut out = Vec::new();
        loop {
            let next = reader.next(LONG, LONG).await;
            let done = next.is_err();
            out.push(next);
            if done {
                return out;
            }
        }
    }

    #[tokio::test]
    async fn reads_messages_skips_bad_frames_and_stops_at_a_wrong_magic() {
        let ping = NetworkMessage::Ping(7).encode_frame(MAGIC).unwrap();
        let mut bad_checksum = NetworkMessage::Pong(9).encode_frame(MAGIC).unwrap();
        bad_checksum[20] ^= 1;
        // `inv` with a count of one and no item: a payload error, read past.
        let mut short_inv = Vec::new();
        flux_tx::p2p::frame::encode_frame(
            MAGIC,
            Command::new("inv").unwrap(),
            &[1],
            &mut short_inv,
        )
        .unwrap();
        let inv = NetworkMessage::Inv(vec![Inventory::Block(flux_tx::BlockHash([3; 32]))])
            .encode_frame(MAGIC)
            .unwrap();
        let foreign = NetworkMessage::Verack
            .encode_frame([0x24, 0xe9, 0x27, 0x64])
            .unwrap();
        let stream = [ping, bad_checksum, short_inv, inv, foreign.clone(), foreign].concat();
        let got = read_all(stream).await;
        assert!(matches!(
            got[0],
            Ok(Received::Message(NetworkMessage::Ping(7)))
        ));
        assert!(matches!(
            got[1],
            Ok(Received::Dropped(FrameError::ChecksumMismatch { .. }))
        ));
        assert!(
            matches!(&got[2], Ok(Received::Malformed { command, .. }) if command.as_str() == "inv")
        );
        assert!(matches!(
            got[3],
            Ok(Received::Message(NetworkMessage::Inv(_)))
        ));
        assert!(matches!(
            got[4],
            Err(WireError::Fatal(FrameError::WrongMagic { .. }))
        ));
        assert_eq!(got.len(), 5, "nothing is read after a fatal frame");
    }

    #[tokio::test]
    async fn a_length_over_the_limit_ends_the_connection_before_the_payload_arrives() {
        let mut header = Vec::new();
        header.extend_from_slice(&MAGIC);
        header.extend_from_slice(b"block\0\0\0\0\0\0\0");
        header.extend_from_slice(&u32::MAX.to_le_bytes());
        header.extend_from_slice(&[0; 4]);
        let got = read_all(header).await;
        assert!(matches!(
            got[0],
            Err(WireError::Fatal(FrameError::PayloadTooLarge { len })) if len == u64::from(u32::MAX)
        ));
    }

    #[tokio::test]
    async fn half_a_message_is_a_stall_and_silence_is_idle() {
        let (mut client, server) = tokio::io::duplex(1 << 16);
        let ping = NetworkMessage::Ping(1).encode_frame(MAGIC).unwrap();
        let mut reader = MessageReader::new(server, MAGIC);
        let silent = reader
            .next(Duration::from_millis(50), Duration::from_secs(60))
            .await;
        assert!(matches!(silent, Err(WireError::Idle(_))), "{silent:?}");
        client.write_all(&ping[..10]).await.unwrap();
        let stalled = reader
            .next(Duration::from_secs(60), Duration::from_millis(50))
            .await;
        assert!(matches!(stalled, Err(WireError::Stalled(_))), "{stalled:?}");
    }

    #[tokio::test]
    async fn a_trickled_message_is_read_whole() {
        let (mut client, server) = tokio::io::duplex(16);
        let ping = NetworkMessage::Ping(0x55).encode_frame(MAGIC).unwrap();
        let writer = tokio::spawn(async move {
            for byte in ping {
                client.write_all(&[byte]).await.unwrap();
            }
            client
        });
        let mut reader = MessageReader::new(server, MAGIC);
        let got = reader.next(LONG, LONG).await.unwrap();
        assert!(matches!(got, Received::Message(NetworkMessage::Ping(0x55))));
        assert_eq!(reader.received_bytes(), 32);
        drop(writer.await.unwrap());
    }
}
