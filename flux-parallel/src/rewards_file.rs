//! The reward-events file that `flux parallel snapshot --from-rewards` reads.
//!
//! Either a JSON array of event objects, or JSON lines (one object per line; blank lines and
//! lines starting with `#` are skipped). Each object has exactly these fields:
//!
//! ```json
//! {"height": 1000000, "time": 1640995200, "recipient": "t1...", "role": "miner", "zats": 3750000000}
//! ```
//!
//! - `height`: block height (u32); `time`: block time, Unix seconds (u64);
//! - `recipient`: a mainnet Flux transparent address (`t1` or `t3`);
//! - `role`: `miner`, `cumulus`, `nimbus` or `stratus`;
//! - `zats`: the FLUX paid, in zatoshis (integer; 1 FLUX = 100000000).

use flux_pow::{BlockHeight, Network};
use flux_tx::address::Address;

use crate::accrual::{NodeTier, RewardEvent, Role, UnixTime};

/// Why a rewards file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RewardsFileError {
    /// An event is not valid JSON of the expected shape.
    #[error("event {event} (line {line}): {reason}")]
    Json {
        /// 1-based line (JSON lines) or 0 for an array.
        line: usize,
        /// 0-based event index.
        event: usize,
        /// The parser's message.
        reason: String,
    },
    /// The recipient is not a mainnet Flux address.
    #[error(
        "event {event} (line {line}): recipient {recipient:?} is not a mainnet Flux address: {reason}"
    )]
    Recipient {
        /// 1-based line or 0.
        line: usize,
        /// 0-based event index.
        event: usize,
        /// The text given.
        recipient: String,
        /// Why it was rejected.
        reason: String,
    },
    /// The role is none of the four.
    #[error("event {event} (line {line}): unknown role {role:?} (miner, cumulus, nimbus, stratus)")]
    Role {
        /// 1-based line or 0.
        line: usize,
        /// 0-based event index.
        event: usize,
        /// The text given.
        role: String,
    },
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct EventView {
    height: u32,
    time: u64,
    recipient: String,
    role: String,
    zats: u64,
}

fn convert(line: usize, event: usize, view: EventView) -> Result<RewardEvent, RewardsFileError> {
    let recipient = Address::parse(&view.recipient, Network::Mainnet).map_err(|error| {
        RewardsFileError::Recipient {
            line,
            event,
            recipient: view.recipient.clone(),
            reason: error.to_string(),
        }
    })?;
    let role = match view.role.as_str() {
        "miner" => Role::Miner,
        "cumulus" => Role::Node(NodeTier::Cumulus),
        "nimbus" => Role::Node(NodeTier::Nimbus),
        "stratus" => Role::Node(NodeTier::Stratus),
        _ => {
            return Err(RewardsFileError::Role {
                line,
                event,
                role: view.role,
            });
        }
    };
    Ok(RewardEvent {
        height: BlockHeight(view.height),
        time: UnixTime(view.time),
        recipient,
        role,
        flux_zats: view.zats,
    })
}

/// Parses a rewards file (JSON array or JSON lines), keeping the file's order.
///
/// # Errors
/// The first [`RewardsFileError`].
pub fn parse_reward_events(text: &str) -> Result<Vec<RewardEvent>, RewardsFileError> {
    if text.trim_start().starts_with('[') {
        let views: Vec<EventView> =
            serde_json::from_str(text).map_err(|error| RewardsFileError::Json {
                line: error.line(),
                event: 0,
                reason: error.to_string(),
            })?;
        return views
            .into_iter()
            .enumerate()
            .map(|(event, view)| convert(0, event, view))
            .collect();
    }
    let mut events = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let event = events.len();
        let view: EventView =
            serde_json::from_str(trimmed).map_err(|error| RewardsFileError::Json {
                line: index + 1,
                event,
                reason: error.to_string(),
            })?;
        events.push(convert(index + 1, event, view)?);
    }
    Ok(events)
}

/// Writes events as JSON lines, the inverse of [`parse_reward_events`].
pub fn write_reward_events(events: &[RewardEvent]) -> String {
    let mut out = String::new();
    for event in events {
        let role = match event.role {
            Role::Miner => "miner",
            Role::Node(NodeTier::Cumulus) => "cumulus",
            Role::Node(NodeTier::Nimbus) => "nimbus",
            Role::Node(NodeTier::Stratus) => "stratus",
        };
        out.push_str(&format!(
            "{{\"height\":{},\"time\":{},\"recipient\":\"{}\",\"role\":\"{}\",\"zats\":{}}}\n",
            event.height, event.time, event.recipient, role, event.flux_zats
        ));
    }
    out
}
