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
}

impl Network {
    /// Every network, in a fixed order.
    pub const ALL: [Network; 3] = [Network::Mainnet, Network::Testnet, Network::Regtest];

    /// The name `fluxd` uses for the network (`main`, `test`, `regtest`).
    pub const fn name(self) -> &'static str {
        match self {
            Network::Mainnet => "main",
            Network::Testnet => "test",
            Network::Regtest => "regtest",
        }
    }
}

impl fmt::Display for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Error returned when a network name is not one of `main`, `test`, `regtest` (or their long forms).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct UnknownNetworkError;

impl fmt::Display for UnknownNetworkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("unknown network: expected main, test or regtest")
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
            _ => Err(UnknownNetworkError),
        }
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
    fn network_names_round_trip() {
        for network in Network::ALL {
            assert_eq!(network.name().parse::<Network>(), Ok(network));
        }
        assert_eq!("mainnet".parse::<Network>(), Ok(Network::Mainnet));
        assert!("bitcoin".parse::<Network>().is_err());
    }
}
