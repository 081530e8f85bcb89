//! Exact pro-rata arithmetic in zatoshis: the largest remainder rule, and the conversions
//! between amounts and the 128-bit integers it computes in.

use core::cmp::Reverse;

use flux_tx::Amount;

use super::error::{TitanError, overflow};
use super::stake::StakeId;

/// One stake's claim on a block's rewards: its earning principal times its term's APR.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Weighted {
    /// The stake's index in the pool's fill order.
    pub(super) index: usize,
    /// The stake's id, which breaks ties of the remainder rule.
    pub(super) id: StakeId,
    /// Earning zatoshis × APR basis points (above 0).
    pub(super) weight: u128,
}

/// An amount's zatoshis as `u128`; amounts in the pool are never negative, and a negative one
/// counts as 0.
pub(super) fn zat_u128(amount: Amount) -> u128 {
    u128::try_from(amount.zat()).unwrap_or(0)
}

/// `zat` zatoshis as an amount, or [`TitanError::Overflow`] naming `what` past `MAX_MONEY`.
pub(super) fn amount_from_u128(zat: u128, what: &'static str) -> Result<Amount, TitanError> {
    i64::try_from(zat)
        .ok()
        .and_then(Amount::from_zat)
        .ok_or(overflow(what))
}

/// Shares `total` in proportion to the weights: the floor of each exact share, then one more
/// zatoshi each to the largest fractional parts, ties to the lower stake id. The shares, in the
/// order of `weighted`, add up to `total` exactly (to nothing when there are no weights).
pub(super) fn largest_remainder(
    total: u128,
    weighted: &[Weighted],
) -> Result<Vec<u128>, TitanError> {
    let sum: u128 = weighted
        .iter()
        .try_fold(0u128, |sum, w| sum.checked_add(w.weight))
        .ok_or(overflow("the pool's weights"))?;
    if sum == 0 {
        return Ok(Vec::new());
    }
    let mut shares = Vec::with_capacity(weighted.len());
    // (fractional part, id, position in `weighted`): the order the left-over zatoshis go in.
    let mut fractions: Vec<(u128, StakeId, usize)> = Vec::with_capacity(weighted.len());
    let mut handed_out: u128 = 0;
    for (position, w) in weighted.iter().enumerate() {
        let exact = total
            .checked_mul(w.weight)
            .ok_or(overflow("a weighted share"))?;
        shares.push(exact / sum);
        handed_out += exact / sum;
        fractions.push((exact % sum, w.id, position));
    }
    let left = usize::try_from(total - handed_out).map_err(|_| overflow("the remainder"))?;
    if left > 0 {
        let key = |&(fraction, id, _): &(u128, StakeId, usize)| (Reverse(fraction), id);
        if left < fractions.len() {
            fractions.select_nth_unstable_by_key(left - 1, key);
        }
        for &(_, _, position) in fractions.iter().take(left) {
            shares[position] += 1;
        }
    }
    Ok(shares)
}
