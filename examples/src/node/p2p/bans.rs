//! Who may not connect, and for how long: fluxd's ban list (`CNode::Ban`, `net.cpp:523-560`).
//! A peer whose misbehaviour score reaches the threshold is banned by IP address for the ban
//! time (`-banscore` 100, `-bantime` 86400 s, `main.cpp:3090-3103`). fluxd never bans a local
//! (loopback) address, it only disconnects it (`main.cpp:8725-8737`); a node may be told to ban
//! those too, so a single-host devnet can be tested.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// fluxd's `-banscore` default: the score at which a peer is disconnected and banned.
pub const BAN_THRESHOLD: u32 = 100;

/// fluxd's `-bantime` default.
pub const DEFAULT_BAN_TIME: Duration = Duration::from_secs(86_400);

/// What a misbehaving peer's new score calls for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Under the threshold: keep talking.
    Keep,
    /// At or over it, from an address fluxd does not ban: disconnect only.
    Disconnect,
    /// At or over it: disconnect and refuse the address until the ban ends.
    Ban,
}

/// The ban list.
#[derive(Debug)]
pub struct BanList {
    until: HashMap<IpAddr, SystemTime>,
    ban_time: Duration,
    ban_loopback: bool,
}

fn unix_seconds(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

impl BanList {
    /// An empty list banning for `ban_time`; `ban_loopback` also bans loopback addresses.
    pub fn new(ban_time: Duration, ban_loopback: bool) -> BanList {
        BanList {
            until: HashMap::new(),
            ban_time,
            ban_loopback,
        }
    }

    /// What a peer at `ip` whose score is now `score` gets; a ban is recorded at once.
    pub fn judge(&mut self, ip: IpAddr, score: u32, now: SystemTime) -> Verdict {
        if score < BAN_THRESHOLD {
            return Verdict::Keep;
        }
        if ip.is_loopback() && !self.ban_loopback {
            return Verdict::Disconnect;
        }
        self.until.insert(ip, now + self.ban_time);
        Verdict::Ban
    }

    /// Whether `ip` is banned at `now` (an expired ban is forgotten).
    pub fn is_banned(&mut self, ip: IpAddr, now: SystemTime) -> bool {
        match self.until.get(&ip) {
            Some(until) if *until > now => true,
            Some(_) => {
                self.until.remove(&ip);
                false
            }
            None => false,
        }
    }

    /// The bans in force at `now`: address and end, in seconds since 1970 (`listbanned`).
    pub fn list(&self, now: SystemTime) -> Vec<(IpAddr, u64)> {
        let mut bans: Vec<_> = self
            .until
            .iter()
            .filter(|(_, until)| **until > now)
            .map(|(ip, until)| (*ip, unix_seconds(*until)))
            .collect();
        bans.sort();
        bans
    }

    /// Lifts every ban (`clearbanned`).
    pub fn clear(&mut self) {
        self.until.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REMOTE: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 7));
    const LOOPBACK: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

    #[test]
    fn a_score_of_one_hundred_bans_for_the_ban_time() {
        let start = UNIX_EPOCH + Duration::from_secs(1_000_000);
        let mut bans = BanList::new(DEFAULT_BAN_TIME, false);
        assert_eq!(bans.judge(REMOTE, 99, start), Verdict::Keep);
        assert!(!bans.is_banned(REMOTE, start));
        assert_eq!(bans.judge(REMOTE, 100, start), Verdict::Ban);
        assert!(bans.is_banned(REMOTE, start + Duration::from_secs(86_399)));
        assert_eq!(bans.list(start), vec![(REMOTE, 1_086_400)]);
        assert!(!bans.is_banned(REMOTE, start + Duration::from_secs(86_400)));
        assert!(bans.list(start + Duration::from_secs(86_400)).is_empty());
    }

    #[test]
    fn loopback_peers_are_only_disconnected_unless_asked() {
        let now = UNIX_EPOCH + Duration::from_secs(5);
        let mut fluxd_like = BanList::new(DEFAULT_BAN_TIME, false);
        assert_eq!(fluxd_like.judge(LOOPBACK, 100, now), Verdict::Disconnect);
        assert!(!fluxd_like.is_banned(LOOPBACK, now));
        let mut strict = BanList::new(DEFAULT_BAN_TIME, true);
        assert_eq!(strict.judge(LOOPBACK, 120, now), Verdict::Ban);
        assert!(strict.is_banned(LOOPBACK, now));
        strict.clear();
        assert!(!strict.is_banned(LOOPBACK, now));
    }
}
