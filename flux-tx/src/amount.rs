//! Amounts of FLUX in zatoshis (1 FLUX = 10^8 zatoshis), always within `0..=MAX_MONEY`
//! (`MoneyRange`, `amount.h:31-32`). The only way to build one checks the range, and arithmetic
//! is checked: an overflow is a `None`, never a wrap.

use alloc::string::String;
use core::fmt;
use core::str::FromStr;

/// Zatoshis per FLUX (`COIN`).
pub const COIN: i64 = 100_000_000;

/// The largest amount any output or sum may hold: 440,000,000 FLUX (`MAX_MONEY`, `amount.h:31`).
pub const MAX_MONEY: i64 = 440_000_000 * COIN;

mod guarded {
    /// An amount of zatoshis in `0..=MAX_MONEY`.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
    pub struct Amount(i64);

    impl Amount {
        /// The zatoshis if they are in `0..=MAX_MONEY`.
        pub const fn from_zat(zat: i64) -> Option<Amount> {
            if zat >= 0 && zat <= super::MAX_MONEY {
                Some(Amount(zat))
            } else {
                None
            }
        }

        /// The amount in zatoshis.
        pub const fn zat(self) -> i64 {
            self.0
        }
    }
}

pub use guarded::Amount;

/// Why text is not an amount.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AmountError {
    /// Not a decimal number of FLUX.
    #[error(
        "{0:?} is not an amount: write FLUX as digits with at most one '.', e.g. 1.5 or 1.5 FLUX"
    )]
    Malformed(String),
    /// More than eight decimals (below one zatoshi).
    #[error("{0:?} has more than 8 decimals; the smallest unit is 0.00000001 FLUX")]
    TooPrecise(String),
    /// Above `MAX_MONEY` (or negative).
    #[error("{0:?} is outside 0 to 440000000 FLUX")]
    OutOfRange(String),
}

impl Amount {
    /// Zero FLUX.
    pub const ZERO: Amount = match Amount::from_zat(0) {
        Some(zero) => zero,
        None => panic!("zero is in range"),
    };
    /// `MAX_MONEY`.
    pub const MAX: Amount = match Amount::from_zat(MAX_MONEY) {
        Some(max) => max,
        None => panic!("MAX_MONEY is in range"),
    };

    /// Whole FLUX, if in range.
    pub const fn from_flux(flux: i64) -> Option<Amount> {
        match flux.checked_mul(COIN) {
            Some(zat) => Amount::from_zat(zat),
            None => None,
        }
    }

    /// `self + other` if the sum stays within `MAX_MONEY`.
    pub const fn checked_add(self, other: Amount) -> Option<Amount> {
        // Both are at most MAX_MONEY, so the i64 sum cannot overflow.
        Amount::from_zat(self.zat() + other.zat())
    }

    /// `self - other` if it is not negative.
    pub const fn checked_sub(self, other: Amount) -> Option<Amount> {
        Amount::from_zat(self.zat() - other.zat())
    }

    /// `self * factor` if within range.
    pub const fn checked_mul(self, factor: i64) -> Option<Amount> {
        match self.zat().checked_mul(factor) {
            Some(zat) => Amount::from_zat(zat),
            None => None,
        }
    }

    /// The sum of `amounts`, or `None` if any partial sum leaves the range.
    pub fn checked_sum(amounts: impl IntoIterator<Item = Amount>) -> Option<Amount> {
        amounts
            .into_iter()
            .try_fold(Amount::ZERO, Amount::checked_add)
    }
}

/// `1.23456789 FLUX`: whole FLUX, then the decimals with trailing zeros dropped (at least one).
impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let whole = self.zat() / COIN;
        let fraction = self.zat() % COIN;
        let mut decimals = alloc::format!("{fraction:08}");
        while decimals.len() > 1 && decimals.ends_with('0') {
            decimals.pop();
        }
        write!(f, "{whole}.{decimals} FLUX")
    }
}

/// Parses `1.5`, `1.50000000 FLUX`, `440000000` (no sign, no exponent, at most 8 decimals).
impl FromStr for Amount {
    type Err = AmountError;

    fn from_str(text: &str) -> Result<Amount, AmountError> {
        let trimmed = text.trim();
        let number = trimmed.strip_suffix("FLUX").map_or(trimmed, str::trim_end);
        let malformed = || AmountError::Malformed(text.into());
        let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
        let digits_only = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if (whole.is_empty() && fraction.is_empty())
            || !digits_only(whole)
            || !digits_only(fraction)
        {
            return Err(malformed());
        }
        if fraction.len() > 8 {
            return Err(AmountError::TooPrecise(text.into()));
        }
        let out_of_range = || AmountError::OutOfRange(text.into());
        // More than 9 whole digits is above MAX_MONEY; checking first keeps the parse in range.
        if whole.trim_start_matches('0').len() > 9 {
            return Err(out_of_range());
        }
        let whole: i64 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| malformed())?
        };
        let fraction_zat: i64 = alloc::format!("{fraction:0<8}")
            .parse()
            .map_err(|_| malformed())?;
        whole
            .checked_mul(COIN)
            .and_then(|zat| zat.checked_add(fraction_zat))
            .and_then(Amount::from_zat)
            .ok_or_else(out_of_range)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_and_checked_arithmetic() {
        assert_eq!(Amount::from_zat(-1), None);
        assert_eq!(Amount::from_zat(MAX_MONEY + 1), None);
        assert_eq!(Amount::MAX.checked_add(Amount::from_zat(1).unwrap()), None);
        assert_eq!(Amount::ZERO.checked_sub(Amount::from_zat(1).unwrap()), None);
        assert_eq!(Amount::from_flux(1).unwrap().zat(), COIN);
        assert_eq!(Amount::from_zat(5).unwrap().checked_mul(i64::MAX), None);
        let parts = [Amount::MAX, Amount::from_zat(1).unwrap()];
        assert_eq!(Amount::checked_sum(parts), None);
    }

    #[test]
    fn parse_and_format() {
        let amount: Amount = "1.23456789 FLUX".parse().unwrap();
        assert_eq!(amount.zat(), 123_456_789);
        assert_eq!(amount.to_string(), "1.23456789 FLUX");
        assert_eq!("75".parse::<Amount>().unwrap().to_string(), "75.0 FLUX");
        assert_eq!(".5".parse::<Amount>().unwrap().zat(), 50_000_000);
        assert_eq!("440000000".parse::<Amount>().unwrap(), Amount::MAX);
        assert!(matches!(
            "440000000.00000001".parse::<Amount>(),
            Err(AmountError::OutOfRange(_))
        ));
        assert!(matches!(
            "99999999999999999999".parse::<Amount>(),
            Err(AmountError::OutOfRange(_))
        ));
        assert!(matches!(
            "1.000000001".parse::<Amount>(),
            Err(AmountError::TooPrecise(_))
        ));
        for bad in ["", ".", "-1", "1e8", "1.2.3", "one", "+1"] {
            assert!(
                matches!(bad.parse::<Amount>(), Err(AmountError::Malformed(_))),
                "{bad}"
            );
        }
    }
}
