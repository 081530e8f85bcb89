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

use crate::accrual::{RewardEvent, Role, Tier, UnixTime};

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

/// The file's name of a role: `miner`, or the tier's lower-case name.
fn role_name(role: Role) -> &'static str {
    match role {
        Role::Miner => "miner",
        Role::Node(tier) => tier.name(),
    }
}

/// The role named exactly (lower case) as [`role_name`] writes it. The tiers' former names
/// (basic, super, bamf) and other spellings that [`Tier`]'s `FromStr` accepts are refused, so
/// the file format stays what it was.
fn role_from_name(name: &str) -> Option<Role> {
    if name == "miner" {
        return Some(Role::Miner);
    }
    Tier::ALL
        .into_iter()
        .find(|tier| tier.name() == name)
        .map(Role::Node)
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
    let role = match role_from_name(&view.role) {
        Some(role) => role,
        None => {
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
        let role = role_name(event.role);
        out.push_str(&format!(
            "{{\"height\":{},\"time\":{},\"recipient\":\"{}\",\"role\":\"{}\",\"zats\":{}}}\n",
            event.height, event.time, event.recipient, role, event.flux_zats
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const RECIPIENT: &str = "t1boxWWuUs3dVUFeUMiPqCdwD4QtL1AMx9G";

    fn line(role: &str) -> String {
        format!(
            "{{\"height\":1000000,\"time\":1640995200,\"recipient\":\"{RECIPIENT}\",\"role\":\"{role}\",\"zats\":562500000}}\n"
        )
    }

    #[test]
    fn every_role_round_trips_with_its_lower_case_name() {
        let text: String = ["miner", "cumulus", "nimbus", "stratus"].map(line).concat();
        let events = parse_reward_events(&text).unwrap();
        let roles: Vec<Role> = events.iter().map(|event| event.role).collect();
        assert_eq!(
            roles,
            [
                Role::Miner,
                Role::Node(Tier::Cumulus),
                Role::Node(Tier::Nimbus),
                Role::Node(Tier::Stratus)
            ]
        );
        assert_eq!(events[0].height, BlockHeight(1_000_000));
        assert_eq!(write_reward_events(&events), text);
    }

    #[test]
    fn former_and_capitalised_tier_names_are_not_roles() {
        for role in ["bamf", "basic", "super", "Stratus", " nimbus", "node"] {
            assert!(
                matches!(
                    parse_reward_events(&line(role)),
                    Err(RewardsFileError::Role {
                        line: 1,
                        event: 0,
                        ..
                    })
                ),
                "{role:?}"
            );
        }
    }
}
