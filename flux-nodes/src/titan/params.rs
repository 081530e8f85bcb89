//! The rules of a pool ([`PoolParams`]), Titan's published figures and what a pool may allow a
//! locked stake ([`EarlyExit`]).

use flux_tx::Amount;

use super::error::TitanError;
use crate::tier::{Tier, TierExt};

/// Basis points in one (100 %).
pub const BPS_PER_UNIT: u32 = 10_000;

/// The highest APR a term may have, in basis points (500 %). The bound keeps the weighted
/// shares within 128-bit arithmetic.
pub const MAX_APR_BPS: u32 = 50_000;

/// The smallest stake Titan accepts, in FLUX (Flux overview 2022; Titan staking guide).
pub const MIN_STAKE_FLUX: i64 = 50;

/// The largest single stake Titan accepts, in FLUX (Titan staking guide: "10,000 FLUX per
/// individual stake").
pub const MAX_STAKE_FLUX: i64 = 10_000;

/// The smallest reward balance that may be redeemed before maturity, in FLUX (Titan staking
/// guide).
pub const REDEEM_MINIMUM_FLUX: i64 = 50;

/// The operator fee of [`PoolParams::titan`], in basis points (10 %). Flux publishes no fee
/// figure, only the resulting APRs; this default is a choice.
pub const DEFAULT_OPERATOR_FEE_BPS: u32 = 1_000;

/// What a locked stake may do before its maturity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EarlyExit {
    /// The collateral stays locked until maturity (the Titan staking guide).
    #[default]
    Forbidden,
    /// The principal is released at once; the unredeemed rewards are forfeited to the carry and
    /// shared among the remaining stakers in the next block.
    ForfeitRewards,
}

/// The rules of a pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolParams {
    /// The smallest stake.
    pub min_stake: Amount,
    /// The largest single stake.
    pub max_stake: Amount,
    /// The collateral of one node the pool runs (Stratus: 40,000 FLUX).
    pub node_collateral: Amount,
    /// The operator's share of the rewards received, in basis points (at most 10,000).
    pub operator_fee_bps: u32,
    /// The smallest reward balance a locked stake may redeem.
    pub redeem_minimum: Amount,
    /// The fee of one redemption (at most `redeem_minimum`); a smaller balance pays only what
    /// it has.
    pub redeem_fee: Amount,
    /// Whether a locked stake may leave early.
    pub early_exit: EarlyExit,
}

impl PoolParams {
    /// Titan's published rules: 50 to 10,000 FLUX per stake, Stratus nodes (40,000 FLUX),
    /// rewards redeemable from 50 FLUX, no early exit; plus this crate's choices of a 10 %
    /// operator fee ([`DEFAULT_OPERATOR_FEE_BPS`]) and no redeem fee (the guide only says
    /// "small").
    pub fn titan() -> PoolParams {
        let flux = |n: i64| Amount::from_flux(n).unwrap_or(Amount::ZERO);
        PoolParams {
            min_stake: flux(MIN_STAKE_FLUX),
            max_stake: flux(MAX_STAKE_FLUX),
            node_collateral: flux(Tier::Stratus.v2_collateral_flux()),
            operator_fee_bps: DEFAULT_OPERATOR_FEE_BPS,
            redeem_minimum: flux(REDEEM_MINIMUM_FLUX),
            redeem_fee: Amount::ZERO,
            early_exit: EarlyExit::Forbidden,
        }
    }
}

impl Default for PoolParams {
    fn default() -> PoolParams {
        PoolParams::titan()
    }
}

impl PoolParams {
    /// Checks that the rules are consistent: an operator fee of at most 100 %, a node
    /// collateral above 0, a minimum stake not above the maximum and a redeem fee not above
    /// the redeem minimum.
    ///
    /// # Errors
    ///
    /// [`TitanError::FeeOutOfRange`] or [`TitanError::InvalidParams`].
    pub fn validate(&self) -> Result<(), TitanError> {
        if self.operator_fee_bps > BPS_PER_UNIT {
            return Err(TitanError::FeeOutOfRange(self.operator_fee_bps));
        }
        if self.node_collateral == Amount::ZERO {
            return Err(TitanError::InvalidParams(
                "the node collateral must be above 0",
            ));
        }
        if self.min_stake > self.max_stake {
            return Err(TitanError::InvalidParams(
                "the minimum stake is above the maximum stake",
            ));
        }
        if self.redeem_fee > self.redeem_minimum {
            return Err(TitanError::InvalidParams(
                "the redeem fee is above the redeem minimum",
            ));
        }
        Ok(())
    }
}
