//! The handshake: `version` (`net.cpp:456-470`, read at `main.cpp:7106-7250`) and the BIP152
//! `sendcmpct` preference sent after `verack` (`main.cpp:7309-7326`).

use alloc::vec::Vec;

use super::address::{NetAddress, ServiceFlags};
use super::payload::PayloadError;
use crate::encode::{FluxDecode, FluxEncode, read_bytes_max, write_bytes};

/// The protocol version this crate speaks, fluxd's own (`PROTOCOL_VERSION`, `version.h:13`).
pub const PROTOCOL_VERSION: i32 = 170_021;

/// The longest user agent fluxd reads (`MAX_SUBVERSION_LENGTH`, `net.h:57`).
pub const MAX_USER_AGENT_LENGTH: usize = 256;

/// The `version` message.
///
/// fluxd reads every field after `receiver` only if bytes remain, but every fluxd that passes its
/// minimum-version check (170002 and up) sends them all, so this type requires them, keeping
/// `relay` optional as BIP37 peers may omit it. The relay byte must be 0 or 1 (fluxd would read
/// any other value as `true`, but it could not be re-encoded as received).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct VersionMessage {
    /// The sender's protocol version.
    pub version: i32,
    /// The sender's services.
    pub services: ServiceFlags,
    /// The sender's clock, seconds since the Unix epoch; peers feed the offset into adjusted time.
    pub timestamp: i64,
    /// The receiver's address as the sender sees it (`addrYou`; its services are ignored).
    pub receiver: NetAddress,
    /// The sender's own address (`addrMe`), often unroutable.
    pub sender: NetAddress,
    /// A random nonce; a peer that receives its own nonce has connected to itself.
    pub nonce: u64,
    /// `strSubVer`, e.g. `/MagicBean:9.0.6/`: raw bytes, at most [`MAX_USER_AGENT_LENGTH`],
    /// which fluxd neither requires to be UTF-8 nor interprets.
    pub user_agent: Vec<u8>,
    /// The height of the sender's best chain.
    pub start_height: i32,
    /// `fRelay`: `Some(false)` asks not to be sent transactions; `None` (absent) means `true`.
    pub relay: Option<bool>,
}

impl VersionMessage {
    /// The user agent as text, when it is UTF-8.
    pub fn user_agent_str(&self) -> Option<&str> {
        core::str::from_utf8(&self.user_agent).ok()
    }

    /// Whether the sender wants transactions relayed to it (an absent flag means yes).
    pub fn relays_transactions(&self) -> bool {
        self.relay.unwrap_or(true)
    }

    pub(crate) fn encode_payload(&self, out: &mut Vec<u8>) {
        self.version.flux_encode(out);
        self.services.flux_encode(out);
        self.timestamp.flux_encode(out);
        self.receiver.flux_encode(out);
        self.sender.flux_encode(out);
        self.nonce.flux_encode(out);
        write_bytes(out, &self.user_agent);
        self.start_height.flux_encode(out);
        if let Some(relay) = self.relay {
            relay.flux_encode(out);
        }
    }

    pub(crate) fn decode_payload(input: &mut &[u8]) -> Result<VersionMessage, PayloadError> {
        let version = i32::flux_decode(input)?;
        let services = ServiceFlags::flux_decode(input)?;
        let timestamp = i64::flux_decode(input)?;
        let receiver = NetAddress::flux_decode(input)?;
        let sender = NetAddress::flux_decode(input)?;
        let nonce = u64::flux_decode(input)?;
        let user_agent = read_bytes_max(input, MAX_USER_AGENT_LENGTH, "user agent")?;
        let start_height = i32::flux_decode(input)?;
        let relay = if input.is_empty() {
            None
        } else {
            Some(bool::flux_decode(input)?)
        };
        Ok(VersionMessage {
            version,
            services,
            timestamp,
            receiver,
            sender,
            nonce,
            user_agent,
            start_height,
            relay,
        })
    }
}

/// `sendcmpct`: whether the sender wants new blocks announced as BIP152 `cmpctblock`
/// (high-bandwidth mode) and the compact-block version it speaks. fluxd sends
/// `announce = false, version = 1` after `verack` and honours only version 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SendCompact {
    /// High-bandwidth mode: announce new blocks with `cmpctblock` rather than `inv`/`headers`.
    pub announce: bool,
    /// The BIP152 version; fluxd knows only 1.
    pub version: u64,
}

impl SendCompact {
    pub(crate) fn encode_payload(&self, out: &mut Vec<u8>) {
        self.announce.flux_encode(out);
        self.version.flux_encode(out);
    }

    pub(crate) fn decode_payload(input: &mut &[u8]) -> Result<SendCompact, PayloadError> {
        Ok(SendCompact {
            announce: bool::flux_decode(input)?,
            version: u64::flux_decode(input)?,
        })
    }
}
