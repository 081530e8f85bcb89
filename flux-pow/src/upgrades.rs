//! Flux network upgrades: which rules are active at which height on each network, and the
//! consensus branch id each one commits to in signature hashes.
//!
//! This table is the single source of upgrade heights for every flux-rs crate: the Equihash
//! schedule, the sighash branch id, the subsidy and node rules all key off it.
//!
//! Mirrors fluxd `src/consensus/params.h:24-40` (the `UpgradeIndex` order),
//! `src/consensus/upgrades.cpp:12-66` (`NetworkUpgradeInfo`: branch ids and names) and
//! `src/chainparams.cpp` (activation heights and protocol versions: main `:109-158`, test
//! `:362-406`, regtest `:569-611`).

use crate::units::{BlockHeight, Network};

/// A network upgrade, in activation order (fluxd `Consensus::UpgradeIndex`).
///
/// `UPGRADE_TESTDUMMY` is left out: it never activates on any Flux network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum NetworkUpgrade {
    /// The chain at launch (`BASE_SPROUT`): Equihash 200,9, Digishield difficulty.
    Base,
    /// Zawy LWMA difficulty (`UPGRADE_LWMA`).
    Lwma,
    /// Equihash 144,5 "ZelProof" (`UPGRADE_EQUI144_5`).
    Equihash144_5,
    /// Acadia (`UPGRADE_ACADIA`): Overwinter/Sapling transaction formats, LWMA3 difficulty.
    Acadia,
    /// Kamiooka (`UPGRADE_KAMIOOKA`): ZelHash (Equihash 125,4 with the twist).
    Kamiooka,
    /// Kamata (`UPGRADE_KAMATA`): deterministic fluxnodes.
    Kamata,
    /// Flux (`UPGRADE_FLUX`): the rebrand, exchange/foundation/swap-pool funding.
    Flux,
    /// Halving (`UPGRADE_HALVING`): the first halving and the V2 collateral transition.
    Halving,
    /// P2SH nodes (`UPGRADE_P2SHNODES`): multisig-collateral fluxnodes (tx version 6).
    P2shNodes,
    /// Proof of Node (`UPGRADE_PON`): blocks are produced by fluxnodes, 30 s spacing.
    ProofOfNode,
}

/// The consensus branch id of every upgrade from LWMA on (`upgrades.cpp:24-66`): Flux never
/// changed it after the first upgrade, unlike Zcash.
pub const FLUX_BRANCH_ID: u32 = 0x76b8_09bb;

impl NetworkUpgrade {
    /// Every upgrade, in activation order.
    pub const ALL: [NetworkUpgrade; 10] = [
        NetworkUpgrade::Base,
        NetworkUpgrade::Lwma,
        NetworkUpgrade::Equihash144_5,
        NetworkUpgrade::Acadia,
        NetworkUpgrade::Kamiooka,
        NetworkUpgrade::Kamata,
        NetworkUpgrade::Flux,
        NetworkUpgrade::Halving,
        NetworkUpgrade::P2shNodes,
        NetworkUpgrade::ProofOfNode,
    ];

    /// The name fluxd reports for the upgrade (`NetworkUpgradeInfo[].strName`).
    pub const fn name(self) -> &'static str {
        match self {
            NetworkUpgrade::Base => "Base",
            NetworkUpgrade::Lwma => "LWMA",
            NetworkUpgrade::Equihash144_5 => "Equihash 144/5",
            NetworkUpgrade::Acadia => "Acadia",
            NetworkUpgrade::Kamiooka => "Kamiooka",
            NetworkUpgrade::Kamata => "Kamata",
            NetworkUpgrade::Flux => "Flux",
            NetworkUpgrade::Halving => "Halving",
            NetworkUpgrade::P2shNodes => "P2SHNodes",
            NetworkUpgrade::ProofOfNode => "PON",
        }
    }

    /// The consensus branch id committed to by v3/v4 signature hashes while this upgrade is the
    /// newest active one (`NetworkUpgradeInfo[].nBranchId`).
    pub const fn branch_id(self) -> u32 {
        match self {
            NetworkUpgrade::Base => 0,
            _ => FLUX_BRANCH_ID,
        }
    }

    /// The height at which the upgrade activates on `network`, or `None` if it never does there
    /// (`NO_ACTIVATION_HEIGHT`). `Base` is always active, at height 0.
    ///
    /// Regtest leaves every upgrade unactivated unless fluxd is started with `-nuparams`; this
    /// table gives the defaults.
    pub const fn activation_height(self, network: Network) -> Option<BlockHeight> {
        let height = match network {
            Network::Mainnet => match self {
                NetworkUpgrade::Base => 0,
                NetworkUpgrade::Lwma => 125_000,
                NetworkUpgrade::Equihash144_5 => 125_100,
                NetworkUpgrade::Acadia => 250_000,
                NetworkUpgrade::Kamiooka => 372_500,
                NetworkUpgrade::Kamata => 558_000,
                NetworkUpgrade::Flux => 835_554,
                NetworkUpgrade::Halving => 1_076_532,
                NetworkUpgrade::P2shNodes => 1_549_500,
                NetworkUpgrade::ProofOfNode => 2_020_000,
            },
            Network::Testnet => match self {
                NetworkUpgrade::Base => 0,
                NetworkUpgrade::Lwma => 70,
                NetworkUpgrade::Equihash144_5 => 140,
                NetworkUpgrade::Acadia => 210,
                NetworkUpgrade::Kamiooka => 280,
                NetworkUpgrade::Kamata => 350,
                NetworkUpgrade::Flux => 420,
                NetworkUpgrade::Halving => 520,
                NetworkUpgrade::P2shNodes => 600,
                NetworkUpgrade::ProofOfNode => 800,
            },
            Network::Regtest => match self {
                NetworkUpgrade::Base => 0,
                _ => return None,
            },
            // The SDK's devnet: every rule up to deterministic fluxnodes from block 1 (v4
            // Sapling-format transactions, fluxnode START/CONFIRM), then proof of node once its
            // three fluxnodes can be confirmed (premine mature at 101, collaterals 100 deep at
            // 201, START and CONFIRM right after). Flux, Halving and P2SHNodes never activate.
            Network::Devnet => match self {
                NetworkUpgrade::Base => 0,
                NetworkUpgrade::Lwma
                | NetworkUpgrade::Equihash144_5
                | NetworkUpgrade::Acadia
                | NetworkUpgrade::Kamiooka
                | NetworkUpgrade::Kamata => 1,
                NetworkUpgrade::ProofOfNode => 250,
                NetworkUpgrade::Flux | NetworkUpgrade::Halving | NetworkUpgrade::P2shNodes => {
                    return None;
                }
            },
        };
        Some(BlockHeight(height))
    }

    /// The minimum peer protocol version once the upgrade is active (`nProtocolVersion`).
    ///
    /// Acadia's is 170006 on regtest and 170007 elsewhere, as in fluxd.
    pub const fn protocol_version(self, network: Network) -> u32 {
        match self {
            NetworkUpgrade::Base | NetworkUpgrade::Lwma | NetworkUpgrade::Equihash144_5 => 170_002,
            NetworkUpgrade::Acadia => match network {
                Network::Mainnet => 170_007,
                Network::Testnet => 170_007,
                Network::Regtest => 170_006,
                Network::Devnet => 170_007,
            },
            NetworkUpgrade::Kamiooka => 170_012,
            NetworkUpgrade::Kamata => 170_016,
            NetworkUpgrade::Flux => 170_017,
            NetworkUpgrade::Halving => 170_018,
            NetworkUpgrade::P2shNodes => 170_019,
            NetworkUpgrade::ProofOfNode => 170_020,
        }
    }

    /// The hash of the first block of the upgrade, in display (byte-reversed) hex, where fluxd
    /// pins one (`hashActivationBlock`; only mainnet Acadia to P2SHNodes do).
    pub const fn activation_block_hash(self, network: Network) -> Option<&'static str> {
        match (network, self) {
            (Network::Mainnet, NetworkUpgrade::Acadia) => {
                Some("0000001d65fa78f2f6c172a51b5aca59ee1927e51f728647fca21b180becfe59")
            }
            (Network::Mainnet, NetworkUpgrade::Kamiooka) => {
                Some("00000052e2ac144c2872ff641c646e41dac166ac577bc9b0837f501aba19de4a")
            }
            (Network::Mainnet, NetworkUpgrade::Kamata) => {
                Some("000000a33d38f37f586b843a9c8cf6d1ff1269e6114b34604cabcd14c44268d4")
            }
            (Network::Mainnet, NetworkUpgrade::Flux) => {
                Some("000000ce99aa6765bdaae673cdf41f661ff20a116eb6f2fe0843488d8061f193")
            }
            (Network::Mainnet, NetworkUpgrade::Halving) => {
                Some("000000111f8643ce24d9753dbc324220877299075a8a6102da61ef4460296325")
            }
            (Network::Mainnet, NetworkUpgrade::P2shNodes) => {
                Some("00000009f9178347f3dea495a089400050c3388e07f9c871fb1ebddcab1f8044")
            }
            _ => None,
        }
    }

    /// Whether the upgrade's rules apply to a block at `height` on `network`
    /// (`NetworkUpgradeActive`).
    pub const fn is_active(self, network: Network, height: BlockHeight) -> bool {
        match self.activation_height(network) {
            Some(activation) => height.0 >= activation.0,
            None => false,
        }
    }

    /// The newest upgrade active at `height` (`CurrentEpoch`).
    pub fn current(network: Network, height: BlockHeight) -> NetworkUpgrade {
        NetworkUpgrade::ALL
            .iter()
            .rev()
            .copied()
            .find(|upgrade| upgrade.is_active(network, height))
            .unwrap_or(NetworkUpgrade::Base)
    }

    /// The consensus branch id for a transaction mined at `height` (`CurrentEpochBranchId`).
    pub fn branch_id_at(network: Network, height: BlockHeight) -> u32 {
        NetworkUpgrade::current(network, height).branch_id()
    }
}

/// When a network's blocks become proof of node (`IsPONActive`, fluxd `src/pon/pon.cpp`).
///
/// fluxd compares a height with the PON upgrade's raw activation height, so an upgrade left at
/// `NO_ACTIVATION_HEIGHT` (-1) reads as active from genesis even though `NetworkUpgradeActive`
/// says it never activates: that is regtest. The SDK's devnet switches at its own PON upgrade
/// height, like mainnet and testnet. Formulas that count blocks from the activation (the PON subsidy reductions, the PON
/// difficulty window) use the raw height, -1 included; [`ProofOfNodeStart::raw_activation`] gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum ProofOfNodeStart {
    /// Blocks from this height on are proof of node (the PON upgrade's activation height).
    At(BlockHeight),
    /// The PON upgrade is left at `NO_ACTIVATION_HEIGHT` (-1) and `IsPONActive` is true at every
    /// height (fluxd regtest).
    UnactivatedUpgrade,
    /// No block is ever proof of node.
    Never,
}

impl ProofOfNodeStart {
    /// The network's proof-of-node start: the PON upgrade's activation where the network
    /// activates it, fluxd's raw-comparison quirk on regtest.
    pub const fn for_network(network: Network) -> ProofOfNodeStart {
        let activation = NetworkUpgrade::ProofOfNode.activation_height(network);
        match network {
            Network::Mainnet | Network::Testnet | Network::Devnet => match activation {
                Some(height) => ProofOfNodeStart::At(height),
                None => ProofOfNodeStart::Never,
            },
            Network::Regtest => ProofOfNodeStart::UnactivatedUpgrade,
        }
    }

    /// Whether a block at `height` is proof of node (`IsPONActive`).
    pub const fn is_active(self, height: BlockHeight) -> bool {
        match self {
            ProofOfNodeStart::At(start) => height.0 >= start.0,
            ProofOfNodeStart::UnactivatedUpgrade => true,
            ProofOfNodeStart::Never => false,
        }
    }

    /// The activation height as fluxd's formulas read it (`-1` for an unactivated upgrade), or
    /// `None` when no block is ever proof of node.
    pub const fn raw_activation(self) -> Option<i64> {
        match self {
            ProofOfNodeStart::At(start) => Some(start.0 as i64),
            ProofOfNodeStart::UnactivatedUpgrade => Some(-1),
            ProofOfNodeStart::Never => None,
        }
    }
}

impl core::fmt::Display for NetworkUpgrade {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mainnet_epochs_follow_the_activation_heights() {
        let main = Network::Mainnet;
        assert_eq!(
            NetworkUpgrade::current(main, BlockHeight(124_999)),
            NetworkUpgrade::Base
        );
        assert_eq!(
            NetworkUpgrade::current(main, BlockHeight(125_000)),
            NetworkUpgrade::Lwma
        );
        assert_eq!(
            NetworkUpgrade::current(main, BlockHeight(372_500)),
            NetworkUpgrade::Kamiooka
        );
        assert_eq!(
            NetworkUpgrade::current(main, BlockHeight(2_019_999)),
            NetworkUpgrade::P2shNodes
        );
        assert_eq!(
            NetworkUpgrade::current(main, BlockHeight(2_020_000)),
            NetworkUpgrade::ProofOfNode
        );
        assert_eq!(NetworkUpgrade::branch_id_at(main, BlockHeight(0)), 0);
        assert_eq!(
            NetworkUpgrade::branch_id_at(main, BlockHeight(1_000_000)),
            0x76b8_09bb
        );
    }

    #[test]
    fn activation_heights_increase_on_every_network() {
        for network in Network::ALL {
            let heights: alloc::vec::Vec<u32> = NetworkUpgrade::ALL
                .iter()
                .filter_map(|u| u.activation_height(network))
                .map(BlockHeight::get)
                .collect();
            // The devnet switches on LWMA .. Kamata together at block 1; fluxd's networks
            // space every upgrade apart.
            let increasing = match network {
                Network::Devnet => heights.windows(2).all(|w| w[0] <= w[1]),
                _ => heights.windows(2).all(|w| w[0] < w[1]),
            };
            assert!(increasing, "{network}: {heights:?}");
        }
    }

    #[test]
    fn proof_of_node_start_agrees_with_the_upgrade_table() {
        for network in Network::ALL {
            let start = ProofOfNodeStart::for_network(network);
            match NetworkUpgrade::ProofOfNode.activation_height(network) {
                Some(height) => assert_eq!(start, ProofOfNodeStart::At(height), "{network}"),
                // Regtest's quirk: never activated, yet every block is proof of node.
                None if network == Network::Regtest => {
                    assert!(start.is_active(BlockHeight::GENESIS));
                    assert_eq!(start.raw_activation(), Some(-1));
                }
                None => assert!(!start.is_active(BlockHeight::MAX), "{network}"),
            }
        }
        let main = ProofOfNodeStart::for_network(Network::Mainnet);
        assert!(!main.is_active(BlockHeight(2_019_999)));
        assert!(main.is_active(BlockHeight(2_020_000)));
    }

    #[test]
    fn devnet_has_fluxnodes_from_block_one_and_proof_of_node_from_250() {
        let devnet = Network::Devnet;
        assert_eq!(
            NetworkUpgrade::current(devnet, BlockHeight(0)),
            NetworkUpgrade::Base
        );
        assert_eq!(
            NetworkUpgrade::current(devnet, BlockHeight(1)),
            NetworkUpgrade::Kamata
        );
        assert_eq!(
            NetworkUpgrade::current(devnet, BlockHeight(249)),
            NetworkUpgrade::Kamata
        );
        assert_eq!(
            NetworkUpgrade::current(devnet, BlockHeight(250)),
            NetworkUpgrade::ProofOfNode
        );
        let start = ProofOfNodeStart::for_network(devnet);
        assert!(!start.is_active(BlockHeight(249)));
        assert!(start.is_active(BlockHeight(250)));
        assert_eq!(
            NetworkUpgrade::branch_id_at(devnet, BlockHeight(1)),
            FLUX_BRANCH_ID
        );
    }

    #[test]
    fn regtest_stays_at_base_without_nuparams() {
        assert_eq!(
            NetworkUpgrade::current(Network::Regtest, BlockHeight(1_000_000)),
            NetworkUpgrade::Base
        );
    }
}
