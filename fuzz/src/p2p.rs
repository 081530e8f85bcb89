//! P2P frames and messages (flux-tx `p2p`): arbitrary bytes never panic the frame reader or a
//! payload decoder, and whatever decodes re-encodes to exactly the bytes of its frame.

use flux_tx::p2p::frame::{FRAME_HEADER_SIZE, checksum};
use flux_tx::p2p::{MessageStatus, decode_message};

/// Mainnet's magic (`chainparams.cpp:175-178`); the reader only compares it, so one network
/// covers them all.
const MAGIC: [u8; 4] = [0x24, 0xe9, 0x27, 0x64];

fn check_stream(data: &[u8]) {
    match decode_message(MAGIC, data) {
        Ok(MessageStatus::Complete { message, frame_len }) => {
            assert!(frame_len <= data.len(), "a frame lies within its input");
            let encoded = message
                .encode_frame(MAGIC)
                .expect("a decoded payload is within the size limit");
            assert_eq!(
                encoded,
                &data[..frame_len],
                "decode then encode must give the frame's bytes"
            );
        }
        Ok(MessageStatus::NeedMoreBytes { needed }) => {
            assert!(needed > 0, "asking for more means asking for something");
        }
        Err(error) => {
            if let Some(skip) = error.skippable_len() {
                assert!(
                    skip <= data.len(),
                    "a skippable frame lies within its input"
                );
            }
        }
    }
}

/// Decodes `data` as the front of a stream, then again with the magic and checksum fields
/// rewritten to be correct, so the fuzzer reaches every payload decoder instead of stopping at
/// the checksum.
pub fn check_p2p_frame(data: &[u8]) {
    check_stream(data);
    if data.len() < FRAME_HEADER_SIZE {
        return;
    }
    let mut sealed = data.to_vec();
    sealed[..4].copy_from_slice(&MAGIC);
    let declared = u32::from_le_bytes([data[16], data[17], data[18], data[19]]) as usize;
    let end = FRAME_HEADER_SIZE.saturating_add(declared).min(sealed.len());
    let sum = checksum(&sealed[FRAME_HEADER_SIZE..end]);
    sealed[20..24].copy_from_slice(&sum);
    check_stream(&sealed);
}
