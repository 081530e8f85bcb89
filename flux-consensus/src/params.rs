//! Network parameters behind one trait: upgrades with their heights, activation block hashes and
//! branch ids, the Equihash schedule and difficulty constants, the money tables, ports, message
//! start bytes, checkpoints and the genesis block (fluxd `src/chainparams.cpp`).
//!
//! [`Mainnet`], [`Testnet`] and [`Regtest`] are the daemon's three networks. [`Devnet`] is a local
//! network of this SDK (no daemon counterpart): proof of work with Equihash 48,5 at an easy fixed
//! target, fluxnodes from block 1, mainnet's launch subsidy, then proof of node in short slots
//! from height 250. Each is one [`Network`] value, and
//! every table below has an arm of its own for each of the four, so a network's value for any
//! parameter is found by its own name in one place:
//!
//! | parameters | table |
//! |---|---|
//! | upgrade activation heights, branch ids, protocol versions, activation hashes | [`NetworkUpgrade::activation_height`], [`NetworkUpgrade::branch_id`], [`NetworkUpgrade::protocol_version`], [`NetworkUpgrade::activation_block_hash`] |
//! | when blocks become proof of node | [`ProofOfNodeStart::for_network`] |
//! | `powLimit` / PON limits, spacing, difficulty windows, Equihash epochs | [`DifficultyParams::for_network`] |
//! | subsidy schedule, exchange / foundation / swap-pool funds | [`flux_nodes::SubsidyParams::for_network`] |
//! | tier collaterals and their transition windows | [`flux_nodes::TierExt::transition_window`] |
//! | address and WIF prefixes | [`flux_tx::address::pubkey_hash_prefix`], [`flux_tx::address::script_hash_prefix`], [`flux_tx::keys::wif_prefix`] |
//! | genesis block, ports, message start bytes, checkpoints, fund scripts, payments start | the [`NetworkParams`] impl of [`Mainnet`], [`Testnet`], [`Regtest`], [`Devnet`] |

use core::fmt;
use core::num::NonZeroU32;
use std::sync::OnceLock;

use flux_nodes::{RewardSplit, Tier, TierExt};

use crate::check::pon::EmergencyKeys;
use flux_pow::difficulty::{
    Compact, DEVNET_SLOT_SECONDS, DifficultyError, DifficultyParams, HeaderInfo, U256,
    next_work_required,
};
use flux_pow::{BlockHeight, EquihashParams, Network, NetworkUpgrade, ProofOfNodeStart};
use flux_tx::block::BlockProof;
use flux_tx::{Amount, Block, BlockHash, BlockHeader, FluxDecode, MerkleRoot, SaplingRoot, Script};

/// How many ancestors (the parent included) the difficulty rules read: LWMA and LWMA3 reach 60
/// blocks below the parent (`pow.cpp:133-218`).
pub const DIFFICULTY_WINDOW: u32 = 61;

/// Blocks before a coinbase output may be spent (`COINBASE_MATURITY`, `consensus/consensus.h`).
pub const COINBASE_MATURITY: u32 = 100;

/// Everything the validation rules and the chain state need to know about a network.
///
/// The trait is object safe: a node keeps a `Box<dyn NetworkParams>` chosen at run time.
pub trait NetworkParams: Send + Sync + fmt::Debug {
    /// The network's name (`main`, `test`, `regtest`, `devnet`).
    fn name(&self) -> &'static str;

    /// The network these parameters belong to: the key of every per-network table of the lower
    /// crates (upgrades, difficulty, subsidy, collaterals, address prefixes).
    fn network(&self) -> Network;

    /// The height at which `upgrade` activates, or `None` if it never does.
    fn activation_height(&self, upgrade: NetworkUpgrade) -> Option<BlockHeight> {
        upgrade.activation_height(self.network())
    }

    /// Whether `upgrade`'s rules apply at `height` (`NetworkUpgradeActive`).
    fn is_active(&self, upgrade: NetworkUpgrade, height: BlockHeight) -> bool {
        self.activation_height(upgrade)
            .is_some_and(|at| height >= at)
    }

    /// The newest upgrade active at `height` (`CurrentEpoch`).
    fn current_upgrade(&self, height: BlockHeight) -> NetworkUpgrade {
        NetworkUpgrade::ALL
            .iter()
            .rev()
            .copied()
            .find(|upgrade| self.is_active(*upgrade, height))
            .unwrap_or(NetworkUpgrade::Base)
    }

    /// The consensus branch id signatures commit to at `height` (`CurrentEpochBranchId`).
    fn branch_id_at(&self, height: BlockHeight) -> u32 {
        self.current_upgrade(height).branch_id()
    }

    /// The pinned hash of an upgrade's first block (`hashActivationBlock`), if any. The daemon
    /// declares these but never reads them (`consensus/params.h:81`), so they are informational.
    fn activation_block_hash(&self, upgrade: NetworkUpgrade) -> Option<BlockHash> {
        upgrade.activation_block_hash(self.network()).map(hash)
    }

    /// The difficulty constants (`powLimit`, spacing, windows, Equihash epochs).
    fn difficulty_params(&self) -> DifficultyParams {
        DifficultyParams::for_network(self.network())
    }

    /// The Equihash parameter sets a block at `height` may use (`validEHparameterList`).
    fn equihash_params_at(&self, height: BlockHeight) -> Vec<EquihashParams> {
        self.difficulty_params().equihash_params_at(height)
    }

    /// The `nBits` required of the block after the last of `ancestors` (an ascending, gap-free
    /// window ending at the parent, at most [`DIFFICULTY_WINDOW`] long or reaching genesis)
    /// (`GetNextWorkRequiredByFork`).
    ///
    /// # Errors
    ///
    /// [`DifficultyError`] when the window cannot answer.
    fn next_work_required(
        &self,
        ancestors: &[HeaderInfo],
        new_block_time: Option<i64>,
    ) -> Result<Compact, DifficultyError> {
        next_work_required(&self.difficulty_params(), ancestors, new_block_time)
    }

    /// The genesis block.
    fn genesis_block(&self) -> Block;

    /// The genesis block's hash (`hashGenesisBlock`).
    fn genesis_hash(&self) -> BlockHash;

    /// The genesis block's `nTime`: proof-of-node slots count from it (`GetSlotFromTime`).
    fn genesis_time(&self) -> u32;

    /// How long a proof-of-node slot lasts (`nPonTargetSpacing`): 30 s on fluxd's networks.
    fn pon_slot_seconds(&self) -> NonZeroU32 {
        u32::try_from(self.difficulty_params().pon_target_spacing)
            .ok()
            .and_then(NonZeroU32::new)
            .unwrap_or(NonZeroU32::MIN)
    }

    /// Who may sign emergency blocks (`vecEmergencyPublicKeys`, `nEmergencyMinSignatures`).
    fn emergency_keys(&self) -> EmergencyKeys;

    /// The peer-to-peer port (`nDefaultPort`).
    fn default_port(&self) -> u16;

    /// The RPC port (`nRPCPort`, `chainparamsbase.cpp`).
    fn rpc_port(&self) -> u16;

    /// The four bytes that start every peer-to-peer message (`pchMessageStart`).
    fn message_start(&self) -> [u8; 4];

    /// The lowest protocol version a peer may speak whatever the height (`MIN_PEER_PROTO_VERSION`,
    /// `version.h:13-25`); the upgrade in force may raise it
    /// ([`NetworkUpgrade::protocol_version`]).
    fn min_peer_protocol_version(&self) -> u32;

    /// Known-good block hashes by height (`checkpointData`).
    fn checkpoints(&self) -> Vec<(BlockHeight, BlockHash)>;

    /// The first height whose coinbase must pay the fluxnodes (`nStartFluxnodePaymentsHeight`).
    fn fluxnode_payments_start(&self) -> BlockHeight;

    /// Whether fluxnode START/CONFIRM transactions are valid at `height` (Kamata,
    /// `IsFluxnodeTransactionsActive`).
    fn fluxnode_transactions_active(&self, height: BlockHeight) -> bool {
        self.is_active(NetworkUpgrade::Kamata, height)
    }

    /// How far ahead of the clock a header's time may be (`CheckBlockHeader`, `main.cpp:5356-5378`):
    /// 2 hours while the active chain's tip is below LWMA's activation, then 360 s (300 s for a
    /// proof-of-node header).
    fn max_future_drift(&self, tip_height: BlockHeight, proof_of_node: bool) -> i64 {
        if !self.is_active(NetworkUpgrade::Lwma, tip_height) {
            2 * 60 * 60
        } else if proof_of_node {
            300
        } else {
            360
        }
    }

    /// How many blocks below the active tip a fork may start (`GetMaxReorgDepth`,
    /// `main.cpp:8983-8989`): `MAX_REORG_LENGTH` (40), or 5000 while the tip is between heights
    /// 2,020,000 and 2,025,000 (the proof-of-node stabilisation).
    fn max_reorg_depth(&self, tip_height: BlockHeight) -> u32 {
        if (2_020_000..=2_025_000).contains(&tip_height.0) {
            5000
        } else {
            40
        }
    }

    /// Whether blocks at `height` are proof of node (`IsPONActive`).
    fn is_pon_active(&self, height: BlockHeight) -> bool {
        ProofOfNodeStart::for_network(self.network()).is_active(height)
    }

    /// The subsidy of the block at `height` and its split (miner, tiers, funds), from the
    /// network's row of `flux-nodes`' tables.
    fn reward_split(&self, height: BlockHeight) -> RewardSplit {
        flux_nodes::reward_split(self.network(), height)
    }

    /// The scripts the one-off exchange, foundation and swap-pool coinbase outputs must pay
    /// (`strExchangeFundingAddress`, `strFoundationFundingAddress`, `strSwapPoolAddress`); `None`
    /// for a fund the network does not enforce.
    fn fund_scripts(&self) -> FundScripts {
        FundScripts::default()
    }

    /// The tier a collateral of `amount` gives at `height`, if any (`CheckFluxnodeTxInput`).
    fn tier_of_collateral(&self, height: BlockHeight, amount: Amount) -> Option<Tier> {
        Tier::from_collateral(self.network(), height, amount)
    }
}

/// Where the one-off fund outputs of the coinbase go (see [`NetworkParams::fund_scripts`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FundScripts {
    /// The exchange funding output's script.
    pub exchange: Option<Script>,
    /// The foundation funding output's script.
    pub foundation: Option<Script>,
    /// The swap pool outputs' script.
    pub swap_pool: Option<Script>,
    /// The dev fund's script (`strDevFundAddress`), which every proof-of-node coinbase pays.
    pub dev_fund: Option<Script>,
}

fn fund_scripts(
    network: Network,
    exchange: &str,
    foundation: &str,
    swap_pool: &str,
    dev_fund: &str,
) -> FundScripts {
    // The addresses are the daemon's constants; the tests parse every one of them.
    let script = |address: &str| {
        flux_tx::address::Address::parse(address, network)
            .ok()
            .map(|address| address.script_pubkey())
    };
    FundScripts {
        exchange: script(exchange),
        foundation: script(foundation),
        swap_pool: script(swap_pool),
        dev_fund: script(dev_fund),
    }
}

fn hash(hex: &str) -> BlockHash {
    // Every caller passes a 64-digit literal of this file; a typo fails the tests, never a user.
    hex.parse().unwrap_or(BlockHash::ZERO)
}

fn genesis_from_hex(hex_text: &str) -> Block {
    let text = hex_text.trim();
    let bytes: Vec<u8> = (0..text.len() / 2)
        .filter_map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok())
        .collect();
    // The embedded files are the daemon's genesis blocks; the tests decode and hash each one.
    Block::decode_exact(&bytes).unwrap_or_else(|_| empty_block())
}

fn empty_block() -> Block {
    Block {
        header: BlockHeader {
            version: 4,
            prev_block: BlockHash::ZERO,
            merkle_root: MerkleRoot::ZERO,
            final_sapling_root: SaplingRoot::ZERO,
            time: 0,
            bits: Compact(0),
            proof: BlockProof::Work {
                nonce: [0; 32],
                solution: Vec::new(),
            },
        },
        transactions: Vec::new(),
    }
}

/// The production network (fluxd `CMainParams`, `chainparams.cpp:82-300`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Mainnet;

/// The public test network (fluxd `CTestNetParams`, `chainparams.cpp:334-520`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Testnet;

/// The regression-test network (fluxd `CRegTestParams`, `chainparams.cpp:538-700`): proof of
/// work is not checked (`pow.cpp:266`), every upgrade is off unless fluxd is started with
/// `-nuparams`, and `IsPONActive` is true from height 0 (its activation is -1).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Regtest;

/// Mainnet checkpoints (`chainparams.cpp:257-282`; the vectors are `checkpoints.json`).
const MAIN_CHECKPOINTS: [(u32, &str); 25] = [
    (
        0,
        "00052461a5006c2e3b74ce48992a08695607912d5604c3eb8da25749b0900444",
    ),
    (
        5500,
        "0000000e7724f8bace09dd762657169c10622af4a6a8e959152cd00b9119848e",
    ),
    (
        35000,
        "000000004646dd797644b9c67aff320961e95c311b4f26985424b720d09fcaa5",
    ),
    (
        70000,
        "00000001edcf7768ed39fac55414e53a78d077b1b41fccdaf9307d7bc219626a",
    ),
    (
        94071,
        "00000005ec83876bc5288badf0971ae83ac7c6a286851f7b22a75a03e73b401a",
    ),
    (
        277649,
        "00000004a53f9271d05071a052b3738b46663f3335d14b6aea965a3cb70c0cc8",
    ),
    (
        400000,
        "000000390342f0e52443ad79b43e5d85b78bf519667aeb3aa980d76caeda0369",
    ),
    (
        530000,
        "0000004b4459ec6904e8116d178c357b0f25a7d45c5c5836ce3714791f1ed124",
    ),
    (
        600000,
        "000000dea4478401e6ab95f6d05ade810115411e95e75fab9fd94a44df4b1e1d",
    ),
    (
        700000,
        "0000000845ef03939225cc592773fd7aef54b5232fc42790c46ef6f11ee3e8d4",
    ),
    (
        800000,
        "000000451b73f495b2f6ad38bd89d15495551fc15c2078ad7af3d54d06422cc6",
    ),
    (
        900000,
        "000001e1ad2bb5e3cabb09559b6e65b871bf1d2a51bcc141ce45fc4cbd1d9cd8",
    ),
    (
        1000000,
        "0000001a80e7f30d21fb14116cd01d51e1fad8ac84cc960896f4691a57368a47",
    ),
    (
        1040000,
        "00000007f3b465bd4b0e161e43c05a3d946144330e33ea3a91cb952e6ef86b7d",
    ),
    (
        1040577,
        "000000071fe89682ac260bc0a49621344eb28ae01659c9e7ce86e3762e45f52d",
    ),
    (
        1042126,
        "0000000295e4663178fd9e533787e74206645910a2bfb61938db5f67796eaad0",
    ),
    (
        1060000,
        "0000000fd721d8d381c4b24a4f78fc036955d7a0f98d2765b8c7badad8b66c1b",
    ),
    (
        1442798,
        "0000000cc561fecb2ecfd22ba7af09450ca8cf270f407ce8b948195ff2aa0d13",
    ),
    (
        1518503,
        "0000000dba41dc84c52a3933af49d316fff49a76b49d42bd5b6d20c4e451a0ef",
    ),
    (
        1791720,
        "0000000abc7bd62a213e0dab43c9c01220b031a568fdfb5c2ef89e6b30054bdc",
    ),
    (
        2020500,
        "af2a1bd59c61f64860b4b45bd65358743fda40d8420564b58c39df45be7da97c",
    ),
    (
        2021000,
        "d2dcec473e809575e30ec2c0f400758120f5121b8268f90cdb8a7dbefe285b0d",
    ),
    (
        2021500,
        "fa98471f31ffc1366330bababc090ad5cb6bd23c25bb3b61d1e1ed07a77d6126",
    ),
    (
        2022000,
        "40a060546a56eb7fab0fd33ab3e6de834ff0d5273847d4f231a9addecfc44f61",
    ),
    (
        2029000,
        "4856dc788a973db4cc537465c9ef80288e1eb065898993d72371b1ee48c248b4",
    ),
];

/// Testnet's emergency keys, which regtest shares (`chainparams.cpp:513-518, 718-722`).
const TEST_EMERGENCY_KEYS: [&str; 4] = [
    "029a1c55fa7e69dd99087f7ca799797052ae21327b94159e60b8cc5704eb188583",
    "023c806b01f35a18b42b08f23f5c7e8490801a7da8fd6f6e77708d9f26f22c423e",
    "02615c78e21078c21a63cb21cc4d29eaa148d97c3dcbe7be5d9d4dda4e969bb05a",
    "033d301dc7ef7ab653da36da1285063ea9be1448d601e3c9f99185476b9d4ae1d1",
];

/// Testnet checkpoints (`chainparams.cpp:473-474`).
const TEST_CHECKPOINTS: [(u32, &str); 2] = [
    (
        0,
        "0042202a64a929fc25cc10e68615ddbe38007b1b40da08acd3f530f83c79b9d1",
    ),
    (
        320,
        "0237bf16aba912b0c68933809a7e7fe9553ddff1bc0782d2463fc5d161af1c46",
    ),
];

fn checkpoint_list(list: &[(u32, &str)]) -> Vec<(BlockHeight, BlockHash)> {
    list.iter()
        .map(|(height, hex)| (BlockHeight(*height), hash(hex)))
        .collect()
}

fn cached_genesis(cell: &'static OnceLock<Block>, hex_text: &'static str) -> Block {
    cell.get_or_init(|| genesis_from_hex(hex_text)).clone()
}

static MAIN_GENESIS: OnceLock<Block> = OnceLock::new();
static TEST_GENESIS: OnceLock<Block> = OnceLock::new();
static REGTEST_GENESIS: OnceLock<Block> = OnceLock::new();

impl NetworkParams for Mainnet {
    fn name(&self) -> &'static str {
        "main"
    }
    fn network(&self) -> Network {
        Network::Mainnet
    }
    fn genesis_block(&self) -> Block {
        cached_genesis(&MAIN_GENESIS, include_str!("genesis/main.hex"))
    }
    fn genesis_hash(&self) -> BlockHash {
        hash("00052461a5006c2e3b74ce48992a08695607912d5604c3eb8da25749b0900444")
    }
    fn genesis_time(&self) -> u32 {
        1_516_980_000
    }
    /// `chainparams.cpp:242-253`: 2 of 4.
    fn emergency_keys(&self) -> EmergencyKeys {
        EmergencyKeys {
            public_keys: &[
                "025ee73f72d6996f94fe6ec9fac3f9ba6dcb947ed46dfbda530fc73ff99c667a4e",
                "026f4281124d10eb90589831bac405d715ad79051ac5243d21c322d2abf2fd81e2",
                "03083d65c2f57cfe4d1c34eb575bd9d836f5111dd0de86405d48211bf42ea30403",
                "03674c29f348124e998fd838228a3ff050ca26fe0c13ad98698585cbbf796b461e",
            ],
            min_signatures: 2,
            verify: true,
        }
    }
    fn default_port(&self) -> u16 {
        16125
    }
    fn rpc_port(&self) -> u16 {
        16124
    }
    fn message_start(&self) -> [u8; 4] {
        [0x24, 0xe9, 0x27, 0x64]
    }
    // fluxd `version.h`: `MIN_PEER_PROTO_VERSION` on mainnet.
    fn min_peer_protocol_version(&self) -> u32 {
        170_002
    }
    fn checkpoints(&self) -> Vec<(BlockHeight, BlockHash)> {
        checkpoint_list(&MAIN_CHECKPOINTS)
    }
    fn fluxnode_payments_start(&self) -> BlockHeight {
        BlockHeight(560_000)
    }
    /// `chainparams.cpp:292-306`.
    fn fund_scripts(&self) -> FundScripts {
        fund_scripts(
            Network::Mainnet,
            "t3PMbbA5YBMrjSD3dD16SSdXKuKovwmj6tS",
            "t3XjYMBvwxnXVv9jqg4CgokZ3f7kAoXPQL8",
            "t3ThbWogDoAjGuS6DEnmN1GWJBRbVjSUK4T",
            "t3hPu1YDeGUCp8m7BQCnnNUmRMJBa5RadyA",
        )
    }
}

impl NetworkParams for Testnet {
    fn name(&self) -> &'static str {
        "test"
    }
    fn network(&self) -> Network {
        Network::Testnet
    }
    fn genesis_block(&self) -> Block {
        cached_genesis(&TEST_GENESIS, include_str!("genesis/test.hex"))
    }
    fn genesis_hash(&self) -> BlockHash {
        hash("0042202a64a929fc25cc10e68615ddbe38007b1b40da08acd3f530f83c79b9d1")
    }
    fn genesis_time(&self) -> u32 {
        1_582_228_940
    }
    /// `chainparams.cpp:513-522`: 2 of 4.
    fn emergency_keys(&self) -> EmergencyKeys {
        EmergencyKeys {
            public_keys: &TEST_EMERGENCY_KEYS,
            min_signatures: 2,
            verify: true,
        }
    }
    fn default_port(&self) -> u16 {
        26125
    }
    fn rpc_port(&self) -> u16 {
        26124
    }
    fn message_start(&self) -> [u8; 4] {
        [0xfa, 0x1a, 0xf9, 0xbf]
    }
    // fluxd `version.h`: testnet raises the floor to Kamata's version.
    fn min_peer_protocol_version(&self) -> u32 {
        170_016
    }
    fn checkpoints(&self) -> Vec<(BlockHeight, BlockHash)> {
        checkpoint_list(&TEST_CHECKPOINTS)
    }
    fn fluxnode_payments_start(&self) -> BlockHeight {
        BlockHeight(350)
    }
    /// `chainparams.cpp:485-499`.
    fn fund_scripts(&self) -> FundScripts {
        fund_scripts(
            Network::Testnet,
            "tmRucHD85zgSigtA4sJJBDbPkMUJDcw5XDE",
            "tmRucHD85zgSigtA4sJJBDbPkMUJDcw5XDE",
            "tmRucHD85zgSigtA4sJJBDbPkMUJDcw5XDE",
            "t2GoxS2SRmLQDnTyWePHjKD3izvFsKUAjrH",
        )
    }
}

impl NetworkParams for Regtest {
    fn name(&self) -> &'static str {
        "regtest"
    }
    fn network(&self) -> Network {
        Network::Regtest
    }
    fn genesis_block(&self) -> Block {
        cached_genesis(&REGTEST_GENESIS, include_str!("genesis/regtest.hex"))
    }
    fn genesis_hash(&self) -> BlockHash {
        hash("01998760a88dc2b5715f69d2f18c1d90e0b604612242d9099eaff3048dd1e0ce")
    }
    fn genesis_time(&self) -> u32 {
        1_296_688_602
    }
    /// `chainparams.cpp:715-722`: testnet's keys, 1 signature, none verified
    /// (`emergencyblock.cpp:82-86`).
    fn emergency_keys(&self) -> EmergencyKeys {
        EmergencyKeys {
            public_keys: &TEST_EMERGENCY_KEYS,
            min_signatures: 1,
            verify: false,
        }
    }
    fn default_port(&self) -> u16 {
        26126
    }
    fn rpc_port(&self) -> u16 {
        26124
    }
    fn message_start(&self) -> [u8; 4] {
        [0xaa, 0xe8, 0x3f, 0x5f]
    }
    // fluxd builds regtest with the mainnet floor.
    fn min_peer_protocol_version(&self) -> u32 {
        170_002
    }
    fn checkpoints(&self) -> Vec<(BlockHeight, BlockHash)> {
        vec![(
            BlockHeight(0),
            hash("01998760a88dc2b5715f69d2f18c1d90e0b604612242d9099eaff3048dd1e0ce"),
        )]
    }
    fn fluxnode_payments_start(&self) -> BlockHeight {
        BlockHeight(100)
    }
    /// `chainparams.cpp:687-701`.
    fn fund_scripts(&self) -> FundScripts {
        fund_scripts(
            Network::Regtest,
            "tmRucHD85zgSigtA4sJJBDbPkMUJDcw5XDE",
            "t2DFGpj2tciojsGKKrGVwQ92hUwAxWQQgJ9",
            "t2Dsexh4v5g2dpL2LLCsR1p9TshMm63jSBM",
            "t2GoxS2SRmLQDnTyWePHjKD3izvFsKUAjrH",
        )
    }
}

/// A local development network of this SDK (no daemon counterpart), [`Network::Devnet`], for a
/// node that mines its own blocks in well under a second, then hands block production to its
/// fluxnodes. Its rows in the lower crates' tables:
///
/// - Difficulty (`flux-pow`): Equihash 48,5 at a fixed target, `powLimit` `7fffff00…` (compact
///   [`Devnet::POW_LIMIT_BITS`]): about every other solution is a block. There is no retargeting
///   (every proof-of-work block's `nBits` is exactly that), as on Bitcoin's regtest, so a fast
///   local miner never makes the chain harder.
/// - Proof of node from height [`Devnet::PON_HEIGHT`]: blocks are signed by a fluxnode whose PON
///   hash for the parent and the slot meets the target (`ponLimit` = `ponStartLimit` =
///   `7fffff00…`, retargeted over 10 blocks), in slots of [`Devnet::slot_seconds`] seconds
///   (default [`DEVNET_SLOT_SECONDS`], fluxd's networks use 30). The slot length is part of
///   the PON hash, so every node of one devnet must use the same.
/// - Upgrades (`flux-pow`): LWMA through Kamata are active from height 1 (v4 Sapling-format
///   transactions committing to Flux's branch id, fluxnode START/CONFIRM); Flux, Halving and
///   P2SH nodes never activate; proof of node at [`Devnet::PON_HEIGHT`], which also switches the
///   fluxnode timing to fluxd's PON constants (START expires after 240 blocks, confirmations after
///   640, updates after 500, DoS removal after 720).
/// - Addresses and keys (`flux-tx`): the test networks' prefixes, `tm…` (P2PKH), `t2…` (P2SH)
///   and WIF version 0xef, so a devnet address is never a valid mainnet one.
/// - Money (`flux-nodes`): mainnet's launch schedule (block 1 pays the 13,020,000 FLUX premine
///   that funds collaterals, then the slow start toward 150 FLUX at 5000), V1 collaterals
///   10,000 / 25,000 / 100,000 FLUX at every height, tiers paid 3.75 % / 6.25 % / 15 % of the
///   subsidy, no one-off fund outputs; from the PON height mainnet's PON schedule (14 FLUX,
///   1 / 3.5 / 9 to the tiers, the rest and the fees to [`Devnet::DEV_FUND_ADDRESS`]).
/// - A collateral must be 100 blocks deep before its START (as everywhere): fund it from the
///   block-1 premine once that is mature (height 101), START from height 201.
/// - The coinbase must pay the fluxnodes from height [`Devnet::FLUXNODE_PAYMENTS_START`].
/// - Block times may run up to two hours ahead of the clock at every height (the daemon allows
///   360 s after LWMA), so a fast local miner is never refused for outrunning the median time.
/// - Its genesis block is the mainnet genesis coinbase in a header of its own (time
///   [`Devnet::GENESIS_TIME`], the devnet bits), solved with 48,5.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Devnet {
    slot_seconds: NonZeroU32,
}

impl Default for Devnet {
    fn default() -> Devnet {
        Devnet {
            slot_seconds: NonZeroU32::new(DEVNET_SLOT_SECONDS as u32).unwrap_or(NonZeroU32::MIN),
        }
    }
}

/// A devnet slot length out of range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a devnet slot must last 1 to {max} seconds, not {seconds}", max = Devnet::MAX_SLOT_SECONDS)]
pub struct SlotLengthError {
    /// The length asked for.
    pub seconds: u32,
}

impl Devnet {
    /// The longest devnet slot: an hour (a slot longer than the 2-hour future drift would let
    /// no block through).
    pub const MAX_SLOT_SECONDS: u32 = 3600;
    /// The first proof-of-node height (the devnet's `UPGRADE_PON`).
    pub const PON_HEIGHT: BlockHeight = BlockHeight(250);
    /// Where the dev-fund share of every proof-of-node coinbase goes (`strDevFundAddress`): the
    /// devnet P2PKH address of the key the reference node derives for its `dev-fund` label.
    pub const DEV_FUND_ADDRESS: &'static str = DEVNET_DEV_FUND_ADDRESS;

    /// A devnet whose proof-of-node slots last `seconds`.
    ///
    /// # Errors
    ///
    /// [`SlotLengthError`] for 0 or more than [`Devnet::MAX_SLOT_SECONDS`].
    pub fn with_slot_seconds(seconds: u32) -> Result<Devnet, SlotLengthError> {
        match NonZeroU32::new(seconds) {
            Some(slot_seconds) if seconds <= Devnet::MAX_SLOT_SECONDS => {
                Ok(Devnet { slot_seconds })
            }
            _ => Err(SlotLengthError { seconds }),
        }
    }

    /// How long a proof-of-node slot lasts on this devnet.
    pub fn slot_seconds(&self) -> NonZeroU32 {
        self.slot_seconds
    }

    /// Compact form of the devnet `powLimit`; every devnet block carries it.
    pub const POW_LIMIT_BITS: Compact = Compact(0x207f_ffff);
    /// `nTime` of the devnet genesis block (2025-12-01 00:00:00 UTC).
    pub const GENESIS_TIME: u32 = 1_764_547_200;
    /// First height whose coinbase pays the fluxnodes.
    pub const FLUXNODE_PAYMENTS_START: u32 = 2;
    /// The nonce (last byte first, as serialized) that solves the devnet genesis header.
    pub const GENESIS_NONCE: [u8; 32] = DEVNET_GENESIS_NONCE;
    /// The 48,5 solution of the devnet genesis header.
    pub const GENESIS_SOLUTION: [u8; 36] = DEVNET_GENESIS_SOLUTION;

    /// The devnet genesis header before it is solved (nonce zero, no solution): what
    /// [`Devnet::GENESIS_NONCE`] and [`Devnet::GENESIS_SOLUTION`] were searched for.
    pub fn unsolved_genesis() -> Block {
        let main = Mainnet.genesis_block();
        let mut block = Block {
            header: BlockHeader {
                version: 4,
                prev_block: BlockHash::ZERO,
                merkle_root: main.header.merkle_root,
                final_sapling_root: SaplingRoot::ZERO,
                time: Devnet::GENESIS_TIME,
                bits: Devnet::POW_LIMIT_BITS,
                proof: BlockProof::Work {
                    nonce: [0; 32],
                    solution: Vec::new(),
                },
            },
            transactions: main.transactions,
        };
        block.header.merkle_root = block.compute_merkle_root().0;
        block
    }
}

/// `tm` address of the secret `sha256d("flux-rs devnet key dev-fund")` (compressed key), the
/// reference node's `dev-fund` wallet key: the devnet's dev fund can be spent on the devnet.
const DEVNET_DEV_FUND_ADDRESS: &str = "tmRSD3DJ1aU3Ae4fFscrhPH92QdS7pLVshV";

const DEVNET_GENESIS_NONCE: [u8; 32] = {
    let mut nonce = [0u8; 32];
    nonce[0] = 3;
    nonce
};
const DEVNET_GENESIS_SOLUTION: [u8; 36] = [
    0, 70, 75, 166, 168, 62, 74, 147, 138, 27, 113, 145, 26, 114, 127, 125, 183, 184, 28, 156, 210,
    169, 164, 223, 251, 47, 195, 93, 224, 165, 53, 71, 14, 206, 189, 142,
];

static DEVNET_GENESIS: OnceLock<Block> = OnceLock::new();

impl NetworkParams for Devnet {
    fn name(&self) -> &'static str {
        "devnet"
    }
    fn network(&self) -> Network {
        Network::Devnet
    }
    /// The devnet's row with this devnet's slot length as `nPonTargetSpacing`.
    fn difficulty_params(&self) -> DifficultyParams {
        let mut params = DifficultyParams::for_network(Network::Devnet);
        params.pon_target_spacing = i64::from(self.slot_seconds.get());
        params
    }
    fn fund_scripts(&self) -> FundScripts {
        let dev_fund = flux_tx::address::Address::parse(DEVNET_DEV_FUND_ADDRESS, Network::Devnet)
            .ok()
            .map(|address| address.script_pubkey());
        FundScripts {
            dev_fund,
            ..FundScripts::default()
        }
    }
    /// Two hours at every height: a devnet miner may make blocks faster than the median time
    /// past advances (about six blocks per second of chain time), running the chain's times
    /// ahead of the clock; the daemon's 360 s would then refuse a burst of a few thousand blocks.
    fn max_future_drift(&self, _tip_height: BlockHeight, _proof_of_node: bool) -> i64 {
        2 * 60 * 60
    }
    fn genesis_block(&self) -> Block {
        DEVNET_GENESIS
            .get_or_init(|| {
                let mut block = Devnet::unsolved_genesis();
                block.header.proof = BlockProof::Work {
                    nonce: DEVNET_GENESIS_NONCE,
                    solution: DEVNET_GENESIS_SOLUTION.to_vec(),
                };
                block
            })
            .clone()
    }
    fn genesis_hash(&self) -> BlockHash {
        self.genesis_block().hash()
    }
    fn genesis_time(&self) -> u32 {
        Devnet::GENESIS_TIME
    }
    /// None: the devnet has no emergency signers, so it has no emergency blocks.
    fn emergency_keys(&self) -> EmergencyKeys {
        EmergencyKeys {
            public_keys: &[],
            min_signatures: 1,
            verify: true,
        }
    }
    fn default_port(&self) -> u16 {
        36125
    }
    fn rpc_port(&self) -> u16 {
        36124
    }
    fn message_start(&self) -> [u8; 4] {
        *b"FXdv"
    }
    // The devnet keeps the mainnet floor; its upgrades raise it.
    fn min_peer_protocol_version(&self) -> u32 {
        170_002
    }
    fn checkpoints(&self) -> Vec<(BlockHeight, BlockHash)> {
        vec![(BlockHeight(0), self.genesis_hash())]
    }
    fn fluxnode_payments_start(&self) -> BlockHeight {
        BlockHeight(Devnet::FLUXNODE_PAYMENTS_START)
    }
}

/// The target of a compact value, for callers that only have the bits.
pub fn target_of(bits: u32) -> U256 {
    Compact(bits).target()
}

/// The parameters of a network.
pub fn for_network(network: Network) -> Box<dyn NetworkParams> {
    match network {
        Network::Mainnet => Box::new(Mainnet),
        Network::Testnet => Box::new(Testnet),
        Network::Regtest => Box::new(Regtest),
        Network::Devnet => Box::new(Devnet::default()),
    }
}

/// The parameters of a network by name: `main`/`mainnet`, `test`/`testnet`, `regtest`, `devnet`.
pub fn by_name(name: &str) -> Option<Box<dyn NetworkParams>> {
    name.parse::<Network>().ok().map(for_network)
}
