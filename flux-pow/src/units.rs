//! Chain-wide units shared by every flux-rs crate: the network a value belongs to and block
//! heights. They live in the lowest crate so that `flux-tx` and the crates above it re-export the
//! very same types instead of defining their own.

use core::fmt;

/// A Flux network. Per-network constants (address prefixes, upgrade heights, difficulty
/// parameters) are keyed by this enum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
pub enum Network {
    /// The production network (`fluxd` `-main`, the default).
    Mainnet,
    /// The public test network (`fluxd -testnet`).
    Testnet,
    /// The local regression-test network (`fluxd -regtest`).
    Regtest,
    /// The SDK's own local development network (no daemon counterpart): the network the reference
    /// node runs with `flux node --devnet`. Every per-network table has a row of its own for it.
    Devnet,
}

impl Network {
    /// Every network, in a fixed order.
    pub const ALL: [Network; 4] = [
        Network::Mainnet,
        Network::Testnet,
        Network::Regtest,
        Network::Devnet,
    ];

    /// The name `fluxd` uses for the network (`main`, `test`, `regtest`), and `devnet` for the
    /// SDK's own.
    pub const fn name(self) -> &'static str {
        match self {
            Network::Mainnet => "main",
            Network::Testnet => "test",
            Network::Regtest => "regtest",
            Network::Devnet => "devnet",
        }
    }
}

impl fmt::Display for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Error returned when a network name is not one of `main`, `test`, `regtest`, `devnet` (or the
/// long forms `mainnet`, `testnet`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct UnknownNetworkError;

impl fmt::Display for UnknownNetworkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("unknown network: expected main, test, regtest or devnet")
    }
}

#[cfg(feature = "std")]
impl std::error::Error for UnknownNetworkError {}

impl core::str::FromStr for Network {
    type Err = UnknownNetworkError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "main" | "mainnet" => Ok(Network::Mainnet),
            "test" | "testnet" => Ok(Network::Testnet),
            "regtest" => Ok(Network::Regtest),
            "devnet" => Ok(Network::Devnet),
            _ => Err(UnknownNetworkError),
        }
    }
}

/// A fluxnode tier (fluxd's `Tier` enum: CUMULUS 1, NIMBUS 2, STRATUS 3; FluxOS's `basic`,
/// `super`, `bamf`).
///
/// One type for every crate: the collateral and payouts of a tier live in `flux-nodes`, its app
/// capacity in `flux-apps`, its parallel-asset share in `flux-parallel`. The enum is deliberately
/// exhaustive: a fourth tier must make every `match` on it fail to compile rather than fall into a
/// catch-all arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
pub enum Tier {
    /// The smallest tier (formerly BASIC).
    Cumulus,
    /// The middle tier (formerly SUPER).
    Nimbus,
    /// The largest tier (formerly BAMF); Titan pools run these.
    Stratus,
}

impl Tier {
    /// All tiers, smallest first (the daemon's payout order of tiers in the coinbase).
    pub const ALL: [Tier; 3] = [Tier::Cumulus, Tier::Nimbus, Tier::Stratus];

    /// The daemon's number for the tier (`Tier` in `fluxnode/fluxnode.h`).
    pub const fn number(self) -> u8 {
        match self {
            Tier::Cumulus => 1,
            Tier::Nimbus => 2,
            Tier::Stratus => 3,
        }
    }

    /// The tier with the daemon's number, if any.
    pub const fn from_number(number: u8) -> Option<Tier> {
        match number {
            1 => Some(Tier::Cumulus),
            2 => Some(Tier::Nimbus),
            3 => Some(Tier::Stratus),
            _ => None,
        }
    }

    /// Lower-case name (`cumulus`, `nimbus`, `stratus`).
    pub const fn name(self) -> &'static str {
        match self {
            Tier::Cumulus => "cumulus",
            Tier::Nimbus => "nimbus",
            Tier::Stratus => "stratus",
        }
    }

    /// The name the tier had before the 2021 rename, which FluxOS still uses in its app-spec
    /// fields and APIs (`basic`, `super`, `bamf`).
    pub const fn former_name(self) -> &'static str {
        match self {
            Tier::Cumulus => "basic",
            Tier::Nimbus => "super",
            Tier::Stratus => "bamf",
        }
    }
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A tier name that is not one of the three (or their former names).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownTierError(pub alloc::string::String);

impl fmt::Display for UnknownTierError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown tier {:?}: use cumulus, nimbus or stratus (or basic, super, bamf)",
            self.0
        )
    }
}

#[cfg(feature = "std")]
impl std::error::Error for UnknownTierError {}

impl core::str::FromStr for Tier {
    type Err = UnknownTierError;

    /// Either name, any case, surrounding white space ignored.
    fn from_str(text: &str) -> Result<Tier, UnknownTierError> {
        let trimmed = text.trim();
        Tier::ALL
            .into_iter()
            .find(|tier| {
                tier.name().eq_ignore_ascii_case(trimmed)
                    || tier.former_name().eq_ignore_ascii_case(trimmed)
            })
            .ok_or_else(|| UnknownTierError(alloc::string::ToString::to_string(text)))
    }
}

/// The height of a block in the chain; the genesis block is at height 0.
///
/// `fluxd` stores heights as a signed `int`, but no valid height is negative, so this type is
/// unsigned and every step that could leave the range is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(transparent))]
pub struct BlockHeight(pub u32);

impl BlockHeight {
    /// The genesis block's height.
    pub const GENESIS: BlockHeight = BlockHeight(0);
    /// The largest height `fluxd` can represent (`int` is 32-bit signed there).
    pub const MAX: BlockHeight = BlockHeight(i32::MAX as u32);

    /// Returns the height as a plain integer.
    pub const fn get(self) -> u32 {
        self.0
    }

    /// The next height, or `None` past [`BlockHeight::MAX`].
    pub const fn next(self) -> Option<BlockHeight> {
        self.checked_add(1)
    }

    /// The previous height, or `None` at genesis.
    pub const fn previous(self) -> Option<BlockHeight> {
        match self.0.checked_sub(1) {
            Some(h) => Some(BlockHeight(h)),
            None => None,
        }
    }

    /// `self + blocks`, or `None` past [`BlockHeight::MAX`].
    pub const fn checked_add(self, blocks: u32) -> Option<BlockHeight> {
        match self.0.checked_add(blocks) {
            Some(h) if h <= BlockHeight::MAX.0 => Some(BlockHeight(h)),
            _ => None,
        }
    }

    /// `self - blocks`, or `None` below genesis.
    pub const fn checked_sub(self, blocks: u32) -> Option<BlockHeight> {
        match self.0.checked_sub(blocks) {
            Some(h) => Some(BlockHeight(h)),
            None => None,
        }
    }

    /// The number of blocks from `earlier` to `self`, or `None` if `earlier` is above `self`.
    pub const fn blocks_since(self, earlier: BlockHeight) -> Option<u32> {
        self.0.checked_sub(earlier.0)
    }
}

impl fmt::Display for BlockHeight {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl From<u32> for BlockHeight {
    fn from(height: u32) -> Self {
        BlockHeight(height)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn height_arithmetic_is_checked() {
        assert_eq!(BlockHeight(5).checked_add(3), Some(BlockHeight(8)));
        assert_eq!(BlockHeight::MAX.next(), None);
        assert_eq!(BlockHeight::GENESIS.previous(), None);
        assert_eq!(BlockHeight(10).blocks_since(BlockHeight(4)), Some(6));
        assert_eq!(BlockHeight(4).blocks_since(BlockHeight(10)), None);
    }

    #[test]
    fn tier_names_old_and_new_parse() {
        assert_eq!("BAMF".parse::<Tier>(), Ok(Tier::Stratus));
        assert_eq!(" nimbus ".parse::<Tier>(), Ok(Tier::Nimbus));
        assert_eq!("Basic".parse::<Tier>(), Ok(Tier::Cumulus));
        let error = "titan".parse::<Tier>().unwrap_err();
        assert_eq!(error, UnknownTierError("titan".into()));
        assert!(alloc::format!("{error}").contains("cumulus"));
        for tier in Tier::ALL {
            assert_eq!(tier.name().parse::<Tier>(), Ok(tier));
            assert_eq!(Tier::from_number(tier.number()), Some(tier));
        }
        assert_eq!(Tier::from_number(0), None);
        assert_eq!(Tier::from_number(4), None);
        // fluxd's numbers, fixed by the START/CONFIRM wire format and the deterministic list.
        assert_eq!(Tier::Cumulus.number(), 1);
        assert_eq!(Tier::Stratus.number(), 3);
    }

    #[test]
    fn network_names_round_trip() {
        for network in Network::ALL {
            assert_eq!(network.name().parse::<Network>(), Ok(network));
        }
        assert_eq!("mainnet".parse::<Network>(), Ok(Network::Mainnet));
        assert!("bitcoin".parse::<Network>().is_err());
    }
}
