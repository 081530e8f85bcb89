//! Targets and difficulty exactly as fluxd computes them: compact `nBits` (`arith_uint256.cpp`),
//! `CheckProofOfWork` (`pow.cpp:258-280`), block work (`pow.cpp:282-304`), the next required
//! `nBits` by height (`pon/pon-fork.cpp:22-42`, `pow.cpp:21-218`, `pon/pon.cpp:95-195`: Digishield,
//! LWMA, LWMA3, the 144,5 reset, the ZelHash ramp, proof of node) and the Equihash parameter sets
//! a height accepts (`validEHparameterList`, `chainparams.cpp:818-866`), and the difficulty the
//! RPC reports ([`relative_difficulty`], `GetDifficulty`).
//!
//! The daemon's integer quirks are reproduced on purpose, not fixed: 256-bit arithmetic wraps,
//! `*=` with a 64-bit argument truncates it to 32 bits, int64 division truncates toward zero, and
//! the fork-window comparisons are unsigned (so the ZelHash ramp multiplier wraps to 0xFFFFFFFF at
//! mainnet height 372572).
//!
//! ```
//! use flux_pow::difficulty::{Compact, DifficultyParams, HeaderInfo, next_work_required};
//! use flux_pow::{BlockHeight, Network};
//!
//! let params = DifficultyParams::for_network(Network::Mainnet);
//! // powLimit 0007ff..ff is compact 0x1f07ffff.
//! assert_eq!(Compact::from_target(params.pow_limit), Compact(0x1f07_ffff));
//!
//! // 100 LWMA3-era blocks exactly on the 120 s target keep the target (up to truncation).
//! let chain: Vec<HeaderInfo> = (0..100)
//!     .map(|i| HeaderInfo {
//!         height: BlockHeight(300_000 + i),
//!         time: 1_600_000_000 + 120 * i64::from(i),
//!         bits: Compact(0x1c0f_ffff),
//!         version: 4,
//!     })
//!     .collect();
//! let next = next_work_required(&params, &chain, None).unwrap();
//! assert_eq!(next, Compact(0x1c0f_fffe));
//! ```

mod relative;
mod u256;

use alloc::vec::Vec;
use core::fmt;

pub use relative::relative_difficulty;
pub use u256::U256;

use crate::equihash::EquihashParams;
use crate::units::{BlockHeight, Network};
use crate::upgrades::{NetworkUpgrade, ProofOfNodeStart};

/// First block version of the proof-of-node header layout (`PON_VERSION`, `primitives/block.h:31`).
pub const PON_VERSION: i32 = 100;

/// A compact target (`nBits`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Compact(pub u32);

/// The hex digits of the raw `nBits` (`{:08x}` gives fluxd's `bits` field).
impl fmt::LowerHex for Compact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::LowerHex::fmt(&self.0, f)
    }
}

/// A compact target decoded by `SetCompact`, with its two flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodedCompact {
    /// The value (as the daemon computes it even when a flag is set).
    pub target: U256,
    /// The sign bit was set on a non-zero mantissa.
    pub negative: bool,
    /// The value does not fit in 256 bits.
    pub overflow: bool,
}

impl Compact {
    /// `arith_uint256::SetCompact`: the value and the negative/overflow flags.
    pub fn decode(self) -> DecodedCompact {
        let size = self.0 >> 24;
        let mut word = self.0 & 0x007f_ffff;
        let target = if size <= 3 {
            word >>= 8 * (3 - size);
            U256::from_u64(u64::from(word))
        } else {
            U256::from_u64(u64::from(word)).shift_left(8 * (size - 3))
        };
        // Both flags look at the already-shifted mantissa, as the daemon does.
        let negative = word != 0 && (self.0 & 0x0080_0000) != 0;
        let overflow =
            word != 0 && (size > 34 || (word > 0xff && size > 33) || (word > 0xffff && size > 32));
        DecodedCompact {
            target,
            negative,
            overflow,
        }
    }

    /// The target of a compact value, ignoring the flags (what `SetCompact` leaves in the number).
    pub fn target(self) -> U256 {
        self.decode().target
    }

    /// `arith_uint256::GetCompact(false)`: never emits the sign bit.
    pub fn from_target(target: U256) -> Compact {
        let mut size = target.bits().div_ceil(8);
        let mut compact = if size <= 3 {
            (target.low_u64() << (8 * (3 - size))) as u32
        } else {
            target.shift_right(8 * (size - 3)).low_u64() as u32
        };
        if compact & 0x0080_0000 != 0 {
            compact >>= 8;
            size += 1;
        }
        Compact(compact | (size << 24))
    }
}

impl fmt::Display for Compact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:08x}", self.0)
    }
}

/// Why a proof of work or a difficulty computation was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DifficultyError {
    /// `nBits` has the sign bit set (`CheckProofOfWork`: "nBits below minimum work").
    NegativeTarget(Compact),
    /// `nBits` decodes to zero.
    ZeroTarget(Compact),
    /// `nBits` does not fit in 256 bits.
    OverflowingTarget(Compact),
    /// The target is easier than the network's limit.
    TargetAboveLimit(Compact),
    /// The block hash is above the target (`CheckProofOfWork`: "hash doesn't match nBits").
    HashAboveTarget,
    /// The ancestor window handed in does not reach back far enough.
    MissingAncestor {
        /// The height that is needed but not in the window.
        height: i64,
    },
    /// The ancestor window is empty, out of order or has a gap.
    BadAncestorWindow,
}

impl fmt::Display for DifficultyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DifficultyError::NegativeTarget(bits) => write!(f, "nBits {bits} is negative"),
            DifficultyError::ZeroTarget(bits) => write!(f, "nBits {bits} is a zero target"),
            DifficultyError::OverflowingTarget(bits) => {
                write!(f, "nBits {bits} overflows 256 bits")
            }
            DifficultyError::TargetAboveLimit(bits) => {
                write!(
                    f,
                    "nBits {bits} is easier than the network's proof-of-work limit"
                )
            }
            DifficultyError::HashAboveTarget => write!(f, "block hash is above the target"),
            DifficultyError::MissingAncestor { height } => write!(
                f,
                "the difficulty needs the block at height {height}, which the ancestor window does not hold"
            ),
            DifficultyError::BadAncestorWindow => write!(
                f,
                "the ancestor window must be non-empty, ascending and without gaps"
            ),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for DifficultyError {}

/// The devnet's default slot length in seconds (`nPonTargetSpacing` is 30 s on fluxd's
/// networks): short, so a local devnet shows proof-of-node blocks every few seconds.
pub const DEVNET_SLOT_SECONDS: i64 = 4;

/// The difficulty constants of a network (`chainparams.cpp`, `consensus/params.h`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DifficultyParams {
    /// The network.
    pub network: Network,
    /// `powLimit`: the easiest proof-of-work target.
    pub pow_limit: U256,
    /// `ponLimit`: the easiest proof-of-node target once the PON window has filled.
    pub pon_limit: U256,
    /// `ponStartLimit`: the target of the first PON window.
    pub pon_start_limit: U256,
    /// `nPowTargetSpacing` (seconds).
    pub pow_target_spacing: i64,
    /// `nPonTargetSpacing` (seconds).
    pub pon_target_spacing: i64,
    /// `nPonDifficultyWindow`.
    pub pon_window: i64,
    /// `nDigishieldAveragingWindow`.
    pub digishield_window: i64,
    /// `nDigishieldMaxAdjustUp` (percent).
    pub digishield_max_adjust_up: i64,
    /// `nDigishieldMaxAdjustDown` (percent).
    pub digishield_max_adjust_down: i64,
    /// `nZawyLWMAAveragingWindow`.
    pub lwma_window: i64,
    /// `nPowAllowMinDifficultyBlocksAfterHeight` (testnet, regtest: 0).
    pub min_difficulty_after: Option<i64>,
    /// `eh_epoch_fade_length`.
    pub eh_fade_length: i64,
    /// Equihash sets of the three epochs (`eh_epoch_1/2/3`).
    pub eh_epochs: [EquihashParams; 3],
    /// `CheckProofOfWork` and `CheckProofOfNode` accept anything on regtest (`pow.cpp:266`,
    /// `pon/pon.cpp:28-30`).
    pub skip_pow_check: bool,
    /// Every proof-of-work block carries `powLimit` and the target never moves (the devnet, whose
    /// fast local miner would otherwise make its own chain harder; Bitcoin's
    /// `fPowNoRetargeting`). fluxd has no such network: false for its three.
    pub pow_no_retargeting: bool,
    /// LWMA's activation height (`UPGRADE_LWMA`), `None` where it never activates.
    pub lwma: Option<BlockHeight>,
    /// Equihash 144,5's activation height (`UPGRADE_EQUI144_5`).
    pub equi144_5: Option<BlockHeight>,
    /// Acadia's activation height (`UPGRADE_ACADIA`, LWMA3).
    pub acadia: Option<BlockHeight>,
    /// Kamiooka's activation height (`UPGRADE_KAMIOOKA`, ZelHash).
    pub kamiooka: Option<BlockHeight>,
    /// When blocks become proof of node (`IsPONActive`).
    pub pon: ProofOfNodeStart,
}

fn target_from_hex(hex: &str) -> U256 {
    let mut bytes = [0u8; 32];
    for (i, byte) in bytes.iter_mut().enumerate() {
        let pair = &hex[2 * i..2 * i + 2];
        *byte = u8::from_str_radix(pair, 16).unwrap_or(0);
    }
    U256::from_be_bytes(bytes)
}

/// An activation height as fluxd's difficulty formulas read it: `NO_ACTIVATION_HEIGHT` is -1,
/// and several comparisons (`eh_epoch_*_end`, the fork windows) do arithmetic on it.
fn raw_height(activation: Option<BlockHeight>) -> i64 {
    activation.map_or(-1, |height| i64::from(height.0))
}

impl DifficultyParams {
    /// The difficulty constants of `network`: one row per network (fluxd `chainparams.cpp`:
    /// main `:109-158`, test `:362-406`, regtest `:569-611`; the devnet is the SDK's own).
    /// Upgrade heights come from [`NetworkUpgrade::activation_height`].
    pub fn for_network(network: Network) -> DifficultyParams {
        let activation = |upgrade: NetworkUpgrade| upgrade.activation_height(network);
        let lwma = activation(NetworkUpgrade::Lwma);
        let equi144_5 = activation(NetworkUpgrade::Equihash144_5);
        let acadia = activation(NetworkUpgrade::Acadia);
        let kamiooka = activation(NetworkUpgrade::Kamiooka);
        let pon = ProofOfNodeStart::for_network(network);
        match network {
            Network::Mainnet => DifficultyParams {
                network,
                pow_limit: target_from_hex(
                    "0007ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
                ),
                pon_limit: target_from_hex(
                    "0fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
                ),
                pon_start_limit: target_from_hex(
                    "000bffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
                ),
                pow_target_spacing: 120,
                pon_target_spacing: 30,
                pon_window: 30,
                digishield_window: 17,
                digishield_max_adjust_up: 16,
                digishield_max_adjust_down: 32,
                lwma_window: 60,
                min_difficulty_after: None,
                eh_fade_length: 11,
                eh_epochs: [
                    EquihashParams::EH200_9,
                    EquihashParams::EH144_5,
                    EquihashParams::ZELHASH,
                ],
                skip_pow_check: false,
                pow_no_retargeting: false,
                lwma,
                equi144_5,
                acadia,
                kamiooka,
                pon,
            },
            Network::Testnet => DifficultyParams {
                network,
                pow_limit: target_from_hex(
                    "0effffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
                ),
                pon_limit: target_from_hex(
                    "0fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
                ),
                pon_start_limit: target_from_hex(
                    "7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
                ),
                pow_target_spacing: 60,
                pon_target_spacing: 30,
                pon_window: 60,
                digishield_window: 17,
                digishield_max_adjust_up: 16,
                digishield_max_adjust_down: 32,
                lwma_window: 60,
                min_difficulty_after: Some(0),
                eh_fade_length: 10,
                eh_epochs: [EquihashParams::EH48_5; 3],
                skip_pow_check: false,
                pow_no_retargeting: false,
                lwma,
                equi144_5,
                acadia,
                kamiooka,
                pon,
            },
            Network::Regtest => DifficultyParams {
                network,
                pow_limit: target_from_hex(
                    "0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f",
                ),
                pon_limit: target_from_hex(
                    "0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f",
                ),
                pon_start_limit: target_from_hex(
                    "7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
                ),
                pow_target_spacing: 120,
                pon_target_spacing: 30,
                pon_window: 60,
                digishield_window: 17,
                digishield_max_adjust_up: 0,
                digishield_max_adjust_down: 0,
                lwma_window: 60,
                min_difficulty_after: Some(0),
                eh_fade_length: 11,
                eh_epochs: [
                    EquihashParams::EH48_5,
                    EquihashParams::EH48_5,
                    EquihashParams::ZELHASH,
                ],
                skip_pow_check: true,
                pow_no_retargeting: false,
                lwma,
                equi144_5,
                acadia,
                kamiooka,
                pon,
            },
            // The SDK's devnet: Equihash 48,5 at a fixed easy target (`powLimit` 7fffff00..,
            // compact 0x207fffff, about every other solution is a block), 120 s spacing; from its
            // PON height a node's PON hash meets the target about every other slot (`ponLimit`
            // and `ponStartLimit` 7fffff00.., so with three nodes 7 slots in 8 have a block),
            // retargeted over 10 blocks of short slots (`DEVNET_SLOT_SECONDS`; a devnet may run
            // with another slot length, see `flux_consensus::Devnet`).
            Network::Devnet => DifficultyParams {
                network,
                pow_limit: target_from_hex(
                    "7fffff0000000000000000000000000000000000000000000000000000000000",
                ),
                pon_limit: target_from_hex(
                    "7fffff0000000000000000000000000000000000000000000000000000000000",
                ),
                pon_start_limit: target_from_hex(
                    "7fffff0000000000000000000000000000000000000000000000000000000000",
                ),
                pow_target_spacing: 120,
                pon_target_spacing: DEVNET_SLOT_SECONDS,
                pon_window: 10,
                digishield_window: 17,
                digishield_max_adjust_up: 16,
                digishield_max_adjust_down: 32,
                lwma_window: 60,
                min_difficulty_after: None,
                eh_fade_length: 11,
                eh_epochs: [EquihashParams::EH48_5; 3],
                skip_pow_check: false,
                pow_no_retargeting: true,
                lwma,
                equi144_5,
                acadia,
                kamiooka,
                pon,
            },
        }
    }

    fn digishield_timespan(&self) -> i64 {
        self.digishield_window * self.pow_target_spacing
    }

    /// `eh_epoch_1_end()`: computed as `unsigned long` from the raw activation height, so a
    /// disabled upgrade (-1) takes part in the arithmetic as fluxd's does.
    fn eh_epoch_1_end(&self) -> u64 {
        (raw_height(self.equi144_5) + self.eh_fade_length - 1) as u64
    }

    /// `eh_epoch_2_end()`, unsigned like [`DifficultyParams::eh_epoch_1_end`].
    fn eh_epoch_2_end(&self) -> u64 {
        (raw_height(self.kamiooka) + self.eh_fade_length - 1) as u64
    }

    /// `IsPONActive(height)` (see [`ProofOfNodeStart`] for regtest's raw comparison).
    pub fn is_pon_active(&self, height: BlockHeight) -> bool {
        self.pon.is_active(height)
    }

    /// `NetworkUpgradeActive`: a disabled upgrade is never active.
    fn upgrade_active(activation: Option<BlockHeight>, height: i64) -> bool {
        activation.is_some_and(|at| height >= i64::from(at.0))
    }

    /// The Equihash parameter sets a PoW block at `height` may use, the upcoming one first
    /// (`validEHparameterList`): two inside a fade window, one otherwise.
    pub fn equihash_params_at(&self, height: BlockHeight) -> Vec<EquihashParams> {
        let current = i64::from(height.0);
        let modified = (current - self.eh_fade_length).max(0);
        let [epoch1, epoch2, epoch3] = self.eh_epochs;
        if Self::upgrade_active(self.kamiooka, modified) {
            alloc::vec![epoch3]
        } else if Self::upgrade_active(self.kamiooka, current) {
            alloc::vec![epoch3, epoch2]
        } else if Self::upgrade_active(self.equi144_5, modified) {
            alloc::vec![epoch2]
        } else if Self::upgrade_active(self.equi144_5, current) {
            alloc::vec![epoch2, epoch1]
        } else {
            alloc::vec![epoch1]
        }
    }
}

/// What the difficulty rules read of a block: its height, time, bits and version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeaderInfo {
    /// Block height.
    pub height: BlockHeight,
    /// `nTime`.
    pub time: i64,
    /// `nBits`.
    pub bits: Compact,
    /// `nVersion` (>= 100: proof of node).
    pub version: i32,
}

/// `CheckProofOfWork(hash, bits)`: the target is valid and at most `powLimit`, and the hash (in
/// internal byte order, read as a little-endian number) is at most the target. On regtest every
/// hash passes, as in the daemon.
///
/// # Errors
///
/// One [`DifficultyError`] per rule.
pub fn check_proof_of_work(
    params: &DifficultyParams,
    hash: &[u8; 32],
    bits: Compact,
) -> Result<(), DifficultyError> {
    if params.skip_pow_check {
        return Ok(());
    }
    let target = checked_target(bits, params.pow_limit)?;
    if U256::from_le_bytes(*hash) > target {
        return Err(DifficultyError::HashAboveTarget);
    }
    Ok(())
}

/// `CheckProofOfNode(hash, nBits, height)` (`pon/pon.cpp:26-60`): the target of `bits` is
/// valid and at most the PON limit in force, and the PON hash (internal byte order, read as a
/// little-endian number) is at most the target. On regtest every hash passes, as in fluxd.
///
/// The limit is `ponStartLimit` during the first PON difficulty window (`height < activation +
/// nPonDifficultyWindow`) and `ponLimit` after it. Without a height (`None` or 0, as
/// `CheckBlockHeader` calls it), or on a network that never switches to proof of node, the
/// looser of the two applies.
///
/// # Errors
///
/// One [`DifficultyError`] per rule: [`DifficultyError::NegativeTarget`],
/// [`DifficultyError::ZeroTarget`], [`DifficultyError::OverflowingTarget`],
/// [`DifficultyError::TargetAboveLimit`], [`DifficultyError::HashAboveTarget`].
pub fn check_proof_of_node(
    params: &DifficultyParams,
    pon_hash: &[u8; 32],
    bits: Compact,
    height: Option<BlockHeight>,
) -> Result<(), DifficultyError> {
    if params.skip_pow_check {
        return Ok(());
    }
    let looser = if params.pon_limit > params.pon_start_limit {
        params.pon_limit
    } else {
        params.pon_start_limit
    };
    let limit = match (height, params.pon.raw_activation()) {
        (Some(height), Some(activation)) if height.0 > 0 => {
            if i64::from(height.0) >= activation + params.pon_window {
                params.pon_limit
            } else {
                params.pon_start_limit
            }
        }
        _ => looser,
    };
    let target = checked_target(bits, limit)?;
    if U256::from_le_bytes(*pon_hash) > target {
        return Err(DifficultyError::HashAboveTarget);
    }
    Ok(())
}

/// The target of `bits` if it is positive, fits, and is at most `limit`.
///
/// # Errors
///
/// [`DifficultyError::NegativeTarget`], [`DifficultyError::ZeroTarget`],
/// [`DifficultyError::OverflowingTarget`] or [`DifficultyError::TargetAboveLimit`].
pub fn checked_target(bits: Compact, limit: U256) -> Result<U256, DifficultyError> {
    let decoded = bits.decode();
    if decoded.negative {
        return Err(DifficultyError::NegativeTarget(bits));
    }
    if decoded.overflow {
        return Err(DifficultyError::OverflowingTarget(bits));
    }
    if decoded.target.is_zero() {
        return Err(DifficultyError::ZeroTarget(bits));
    }
    if decoded.target > limit {
        return Err(DifficultyError::TargetAboveLimit(bits));
    }
    Ok(decoded.target)
}

/// `GetBlockProof`: the expected number of hashes for a block, `2^256 / (target + 1)`; a fixed
/// 2^40 for proof-of-node blocks; zero for invalid bits.
pub fn block_proof(bits: Compact, version: i32) -> U256 {
    if version >= PON_VERSION {
        return U256::ONE.shift_left(40);
    }
    let decoded = bits.decode();
    if decoded.negative || decoded.overflow || decoded.target.is_zero() {
        return U256::ZERO;
    }
    // 2^256 does not fit, so compute (~target / (target + 1)) + 1 as the daemon does.
    let divisor = decoded.target.wrapping_add(U256::ONE);
    match decoded.target.complement().checked_div(divisor) {
        Some(quotient) => quotient.wrapping_add(U256::ONE),
        // target + 1 wrapped to zero: target was 2^256 - 1, whose proof is 1.
        None => U256::ONE,
    }
}

/// Read access to a contiguous ascending window of ancestors ending at `pindexLast`.
struct Window<'a> {
    blocks: &'a [HeaderInfo],
    first_height: i64,
}

impl<'a> Window<'a> {
    fn new(blocks: &'a [HeaderInfo]) -> Result<Window<'a>, DifficultyError> {
        let first = blocks.first().ok_or(DifficultyError::BadAncestorWindow)?;
        let contiguous = blocks
            .windows(2)
            .all(|pair| pair[1].height.0.checked_sub(pair[0].height.0) == Some(1));
        if !contiguous {
            return Err(DifficultyError::BadAncestorWindow);
        }
        Ok(Window {
            blocks,
            first_height: i64::from(first.height.0),
        })
    }

    fn last(&self) -> &HeaderInfo {
        // Non-empty by construction.
        &self.blocks[self.blocks.len() - 1]
    }

    fn last_height(&self) -> i64 {
        i64::from(self.last().height.0)
    }

    /// The block at `height`: `Ok(None)` below genesis, an error when the window is too short.
    fn get(&self, height: i64) -> Result<Option<&HeaderInfo>, DifficultyError> {
        if height < 0 {
            return Ok(None);
        }
        if height < self.first_height {
            return Err(DifficultyError::MissingAncestor { height });
        }
        usize::try_from(height - self.first_height)
            .ok()
            .and_then(|index| self.blocks.get(index))
            .map(Some)
            .ok_or(DifficultyError::MissingAncestor { height })
    }

    fn require(&self, height: i64) -> Result<&HeaderInfo, DifficultyError> {
        self.get(height)?
            .ok_or(DifficultyError::MissingAncestor { height })
    }

    /// `GetMedianTimePast`: the median of the times of the block and up to 10 ancestors.
    fn median_time_past(&self, height: i64) -> Result<i64, DifficultyError> {
        let mut times = Vec::with_capacity(11);
        for h in (height - 10..=height).rev() {
            match self.get(h)? {
                Some(block) => times.push(block.time),
                None => break,
            }
        }
        times.sort_unstable();
        Ok(times[times.len() / 2])
    }
}

/// The `nBits` required of the block after the last one of `ancestors`
/// (`GetNextWorkRequiredByFork`). `ancestors` is an ascending, gap-free window ending at the parent;
/// it must reach back 61 blocks (or to genesis) for proof of work, 30-60 for proof of node.
/// `new_block_time` is the new block's `nTime` (only the testnet/regtest minimum-difficulty rule
/// reads it; `None` when unknown, as for a template).
///
/// # Errors
///
/// [`DifficultyError::BadAncestorWindow`] or [`DifficultyError::MissingAncestor`] when the window
/// cannot answer.
pub fn next_work_required(
    params: &DifficultyParams,
    ancestors: &[HeaderInfo],
    new_block_time: Option<i64>,
) -> Result<Compact, DifficultyError> {
    let window = Window::new(ancestors)?;
    let next_height = window.last_height() + 1;
    let pon_next = u32::try_from(next_height)
        .map(BlockHeight)
        .is_ok_and(|height| params.is_pon_active(height));
    if pon_next {
        next_pon_work(params, &window)
    } else {
        next_pow_work(params, &window, new_block_time)
    }
}

/// `GetNextWorkRequired` (`pow.cpp:21-97`).
fn next_pow_work(
    params: &DifficultyParams,
    window: &Window<'_>,
    new_block_time: Option<i64>,
) -> Result<Compact, DifficultyError> {
    let pow_limit = Compact::from_target(params.pow_limit);
    if params.pow_no_retargeting {
        return Ok(pow_limit);
    }
    let last = window.last();
    let height = window.last_height();
    // C++ compares the int height with an unsigned long: the height converts to unsigned.
    let unsigned_height = height as u64;

    let e1 = params.eh_epoch_1_end();
    if unsigned_height > e1.wrapping_sub(1) && unsigned_height < e1.wrapping_add(61) {
        return Ok(pow_limit);
    }
    let e2 = params.eh_epoch_2_end();
    if unsigned_height > e2.wrapping_sub(1) && unsigned_height < e2.wrapping_add(64) {
        let full = lwma3(params, window)?.target();
        // `targetStep *= (unsigned long)`: truncated to uint32 by `operator*=(uint32_t)`.
        let multiplier = e2.wrapping_add(61).wrapping_sub(unsigned_height) as u32;
        let step = full.shift_right(5).wrapping_mul_u32(multiplier);
        let mut ramped = full.wrapping_add(step);
        if ramped > params.pow_limit {
            ramped = params.pow_limit;
        }
        return Ok(Compact::from_target(ramped));
    }

    if let (Some(after), Some(time)) = (params.min_difficulty_after, new_block_time)
        && height >= after
        && time > last.time + params.pow_target_spacing * 2
    {
        return Ok(pow_limit);
    }

    let mut total = U256::ZERO;
    for h in (height - params.digishield_window + 1..=height).rev() {
        match window.get(h)? {
            Some(block) => total = total.wrapping_add(block.bits.target()),
            None => return Ok(pow_limit),
        }
    }
    let first_height = height - params.digishield_window;
    if window.get(first_height)?.is_none() {
        return Ok(pow_limit);
    }
    let average = total
        .checked_div_u64(params.digishield_window as u64)
        .unwrap_or(U256::ZERO);

    let next_height = height + 1;
    if next_height < raw_height(params.lwma) {
        let last_mtp = window.median_time_past(height)?;
        let first_mtp = window.median_time_past(first_height)?;
        Ok(digishield(params, average, last_mtp, first_mtp))
    } else if next_height < raw_height(params.acadia) {
        lwma(params, window)
    } else {
        lwma3(params, window)
    }
}

/// `DigishieldCalculateNextWorkRequired` (`pow.cpp:99-131`).
pub fn digishield(
    params: &DifficultyParams,
    average: U256,
    last_median_time: i64,
    first_median_time: i64,
) -> Compact {
    let span = params.digishield_timespan();
    let mut actual = last_median_time - first_median_time;
    // i64 `/` truncates toward zero, like C++.
    actual = span + (actual - span) / 4;
    let min = span * (100 - params.digishield_max_adjust_up) / 100;
    let max = span * (100 + params.digishield_max_adjust_down) / 100;
    actual = actual.clamp(min, max);
    let mut next = average
        .checked_div_u64(span as u64)
        .unwrap_or(U256::ZERO)
        .wrapping_mul_u32(actual as u32);
    if next > params.pow_limit {
        next = params.pow_limit;
    }
    Compact::from_target(next)
}

/// `k * N` of the LWMA algorithms, and `k`.
fn lwma_constants(params: &DifficultyParams) -> (i64, i64) {
    let n = params.lwma_window;
    let k = n * (n + 1) * params.pow_target_spacing / 2;
    (k, k * n)
}

/// `LWMACalculateNextWorkRequired` (`pow.cpp:133-173`), mainnet blocks 125000..=249999.
fn lwma(params: &DifficultyParams, window: &Window<'_>) -> Result<Compact, DifficultyError> {
    const FTL: i64 = 360;
    let t_spacing = params.pow_target_spacing;
    let (k, kn) = lwma_constants(params);
    let height = window.last_height();
    let mut weighted: i64 = 0;
    let mut sum = U256::ZERO;
    for (j, h) in (height - params.lwma_window + 1..=height).enumerate() {
        let block = window.require(h)?;
        let previous = window.require(h - 1)?;
        let solvetime = (block.time - previous.time).clamp(-FTL, 6 * t_spacing);
        weighted += solvetime * (j as i64 + 1);
        sum = sum.wrapping_add(
            block
                .bits
                .target()
                .checked_div_u64(kn as u64)
                .unwrap_or(U256::ZERO),
        );
    }
    if weighted < k / 10 {
        weighted = k / 10;
    }
    let mut next = U256::from_u64(weighted as u64).wrapping_mul(sum);
    if next > params.pow_limit {
        next = params.pow_limit;
    }
    Ok(Compact::from_target(next))
}

/// `Lwma3CalculateNextWorkRequired` (`pow.cpp:175-218`), mainnet blocks from 250000.
fn lwma3(params: &DifficultyParams, window: &Window<'_>) -> Result<Compact, DifficultyError> {
    let t_spacing = params.pow_target_spacing;
    let (_, kn) = lwma_constants(params);
    let height = window.last_height();
    if height < params.lwma_window {
        return Ok(Compact::from_target(params.pow_limit));
    }
    let mut previous_time = window.require(height - params.lwma_window)?.time;
    let mut weighted: i64 = 0;
    let mut sum = U256::ZERO;
    for (j, h) in (height - params.lwma_window + 1..=height).enumerate() {
        let block = window.require(h)?;
        let this_time = if block.time > previous_time {
            block.time
        } else {
            previous_time + 1
        };
        let solvetime = (6 * t_spacing).min(this_time - previous_time);
        previous_time = this_time;
        weighted += solvetime * (j as i64 + 1);
        sum = sum.wrapping_add(
            block
                .bits
                .target()
                .checked_div_u64(kn as u64)
                .unwrap_or(U256::ZERO),
        );
    }
    let previous = window.last().bits.target();
    let hundred = U256::from_u64(100);
    let upper = previous
        .wrapping_mul_u32(150)
        .checked_div(hundred)
        .unwrap_or(U256::ZERO);
    let lower = previous
        .wrapping_mul_u32(67)
        .checked_div(hundred)
        .unwrap_or(U256::ZERO);
    let mut next = U256::from_u64(weighted as u64).wrapping_mul(sum);
    if next > upper {
        next = upper;
    }
    if lower > next {
        next = lower;
    }
    if next > params.pow_limit {
        next = params.pow_limit;
    }
    Ok(Compact::from_target(next))
}

/// `GetNextPONWorkRequired` (`pon/pon.cpp:95-195`).
fn next_pon_work(
    params: &DifficultyParams,
    window: &Window<'_>,
) -> Result<Compact, DifficultyError> {
    let start_limit = Compact::from_target(params.pon_start_limit);
    let pon_limit = Compact::from_target(params.pon_limit);
    let last = window.last();
    let next_height = window.last_height() + 1;
    // Only reached where `IsPONActive` holds, so the network has a PON start.
    let Some(activation) = params.pon.raw_activation() else {
        return Ok(last.bits);
    };
    if next_height < activation {
        return Ok(last.bits);
    }
    if next_height < activation + params.pon_window {
        return Ok(start_limit);
    }
    let first_height = window.last_height() - (params.pon_window - 1);
    let first = match window.get(first_height)? {
        Some(block) if i64::from(block.height.0) >= activation => block,
        _ => return Ok(start_limit),
    };
    let mut actual = last.time - first.time;
    let target_span = (params.pon_window - 1) * params.pon_target_spacing;
    if target_span <= 0 {
        return Ok(pon_limit);
    }
    actual = actual.max(target_span * 4 / 5).min(target_span * 5 / 4);
    let decoded = last.bits.decode();
    if decoded.negative || decoded.overflow || decoded.target.is_zero() {
        return Ok(pon_limit);
    }
    let mut next = decoded
        .target
        .checked_div_u64(target_span as u64)
        .unwrap_or(U256::ZERO)
        .wrapping_mul_u32(actual as u32);
    if next > params.pon_limit {
        next = params.pon_limit;
    }
    if next.is_zero() {
        next = params.pon_limit;
    }
    Ok(Compact::from_target(next))
}
