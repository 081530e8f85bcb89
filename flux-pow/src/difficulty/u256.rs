//! A 256-bit unsigned integer with the arithmetic of fluxd's `arith_uint256`: every operation wraps
//! modulo 2^256 and division truncates, because consensus depends on those exact results.

use core::cmp::Ordering;
use core::fmt;

/// An unsigned 256-bit integer (`arith_uint256`), four little-endian 64-bit limbs.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct U256([u64; 4]);

impl U256 {
    /// Zero.
    pub const ZERO: U256 = U256([0; 4]);
    /// One.
    pub const ONE: U256 = U256([1, 0, 0, 0]);
    /// 2^256 - 1.
    pub const MAX: U256 = U256([u64::MAX; 4]);

    /// The value of a `u64`.
    pub const fn from_u64(value: u64) -> U256 {
        U256([value, 0, 0, 0])
    }

    /// Reads 32 big-endian bytes (the display order of targets).
    pub fn from_be_bytes(bytes: [u8; 32]) -> U256 {
        let mut limbs = [0u64; 4];
        for (i, limb) in limbs.iter_mut().enumerate() {
            let start = 32 - 8 * (i + 1);
            let mut word = [0u8; 8];
            word.copy_from_slice(&bytes[start..start + 8]);
            *limb = u64::from_be_bytes(word);
        }
        U256(limbs)
    }

    /// Reads 32 little-endian bytes: a hash in internal byte order, as `UintToArith256` reads it.
    pub fn from_le_bytes(bytes: [u8; 32]) -> U256 {
        let mut reversed = bytes;
        reversed.reverse();
        U256::from_be_bytes(reversed)
    }

    /// The 32 big-endian bytes.
    pub fn to_be_bytes(self) -> [u8; 32] {
        let mut out = [0u8; 32];
        for (i, limb) in self.0.iter().enumerate() {
            let start = 32 - 8 * (i + 1);
            out[start..start + 8].copy_from_slice(&limb.to_be_bytes());
        }
        out
    }

    /// The 32 little-endian bytes (internal byte order of a `uint256`).
    pub fn to_le_bytes(self) -> [u8; 32] {
        let mut out = self.to_be_bytes();
        out.reverse();
        out
    }

    /// `true` for zero.
    pub fn is_zero(self) -> bool {
        self.0 == [0; 4]
    }

    /// Number of significant bits (`arith_uint256::bits`).
    pub fn bits(self) -> u32 {
        for i in (0..4).rev() {
            if self.0[i] != 0 {
                return 64 * i as u32 + (64 - self.0[i].leading_zeros());
            }
        }
        0
    }

    /// The low 64 bits (`GetLow64`).
    pub fn low_u64(self) -> u64 {
        self.0[0]
    }

    /// `self << shift`, bits above 2^256 dropped.
    #[must_use]
    pub fn shift_left(self, shift: u32) -> U256 {
        if shift >= 256 {
            return U256::ZERO;
        }
        let words = (shift / 64) as usize;
        let bits = shift % 64;
        let mut out = [0u64; 4];
        for i in (words..4).rev() {
            let mut value = self.0[i - words] << bits;
            if bits > 0 && i > words {
                value |= self.0[i - words - 1] >> (64 - bits);
            }
            out[i] = value;
        }
        U256(out)
    }

    /// `self >> shift`.
    #[must_use]
    pub fn shift_right(self, shift: u32) -> U256 {
        if shift >= 256 {
            return U256::ZERO;
        }
        let words = (shift / 64) as usize;
        let bits = shift % 64;
        let mut out = [0u64; 4];
        for (i, limb) in out.iter_mut().enumerate().take(4 - words) {
            let mut value = self.0[i + words] >> bits;
            if bits > 0 && i + words + 1 < 4 {
                value |= self.0[i + words + 1] << (64 - bits);
            }
            *limb = value;
        }
        U256(out)
    }

    /// `self + other` modulo 2^256.
    #[must_use]
    pub fn wrapping_add(self, other: U256) -> U256 {
        let mut out = [0u64; 4];
        let mut carry = false;
        for (i, limb) in out.iter_mut().enumerate() {
            let (sum, c1) = self.0[i].overflowing_add(other.0[i]);
            let (sum, c2) = sum.overflowing_add(u64::from(carry));
            *limb = sum;
            carry = c1 || c2;
        }
        U256(out)
    }

    /// `self - other` modulo 2^256.
    #[must_use]
    pub fn wrapping_sub(self, other: U256) -> U256 {
        self.wrapping_add(other.complement().wrapping_add(U256::ONE))
    }

    /// Bitwise complement (`~`).
    #[must_use]
    pub fn complement(self) -> U256 {
        U256(self.0.map(|limb| !limb))
    }

    /// `self * other` modulo 2^256.
    #[must_use]
    pub fn wrapping_mul(self, other: U256) -> U256 {
        let mut out = [0u64; 4];
        for i in 0..4 {
            let mut carry: u128 = 0;
            for j in 0..4 - i {
                let cur =
                    u128::from(out[i + j]) + u128::from(self.0[i]) * u128::from(other.0[j]) + carry;
                out[i + j] = cur as u64;
                carry = cur >> 64;
            }
        }
        U256(out)
    }

    /// `self * factor` modulo 2^256 (`operator*=(uint32_t)`).
    #[must_use]
    pub fn wrapping_mul_u32(self, factor: u32) -> U256 {
        self.wrapping_mul(U256::from_u64(u64::from(factor)))
    }

    /// `self / divisor`, truncating; `None` for a zero divisor (where `arith_uint256` throws).
    pub fn checked_div(self, divisor: U256) -> Option<U256> {
        if divisor.is_zero() {
            return None;
        }
        if self < divisor {
            return Some(U256::ZERO);
        }
        // Binary long division, like `base_uint::operator/=`.
        let mut remainder = self;
        let mut quotient = U256::ZERO;
        let shift = self.bits() - divisor.bits();
        let mut shifted = divisor.shift_left(shift);
        for bit in (0..=shift).rev() {
            if remainder >= shifted {
                remainder = remainder.wrapping_sub(shifted);
                quotient.0[(bit / 64) as usize] |= 1 << (bit % 64);
            }
            shifted = shifted.shift_right(1);
        }
        Some(quotient)
    }

    /// `self / divisor` for a non-zero `u64` divisor; `None` for zero.
    pub fn checked_div_u64(self, divisor: u64) -> Option<U256> {
        self.checked_div(U256::from_u64(divisor))
    }
}

impl Ord for U256 {
    fn cmp(&self, other: &U256) -> Ordering {
        for i in (0..4).rev() {
            match self.0[i].cmp(&other.0[i]) {
                Ordering::Equal => continue,
                unequal => return unequal,
            }
        }
        Ordering::Equal
    }
}

impl PartialOrd for U256 {
    fn partial_cmp(&self, other: &U256) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Debug for U256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "U256({self})")
    }
}

/// 64 hex digits, big-endian (the daemon's `GetHex` of a target).
impl fmt::Display for U256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for limb in self.0.iter().rev() {
            write!(f, "{limb:016x}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_wraps_and_divides_like_arith_uint256() {
        assert_eq!(U256::MAX.wrapping_add(U256::ONE), U256::ZERO);
        assert_eq!(U256::ZERO.wrapping_sub(U256::ONE), U256::MAX);
        let big = U256::ONE.shift_left(255);
        assert_eq!(big.wrapping_mul_u32(2), U256::ZERO);
        assert_eq!(big.bits(), 256);
        assert_eq!(big.shift_right(255), U256::ONE);
        let x = U256::from_u64(u64::MAX).wrapping_mul(U256::from_u64(u64::MAX));
        assert_eq!(x.checked_div_u64(u64::MAX), Some(U256::from_u64(u64::MAX)));
        assert_eq!(x.checked_div(U256::ZERO), None);
        assert_eq!(
            U256::from_u64(7).checked_div_u64(2),
            Some(U256::from_u64(3))
        );
        let bytes: [u8; 32] = core::array::from_fn(|i| i as u8);
        assert_eq!(U256::from_be_bytes(bytes).to_be_bytes(), bytes);
        assert_eq!(U256::from_le_bytes(bytes).to_le_bytes(), bytes);
        assert_eq!(
            U256::from_u64(0x1234).to_string(),
            alloc::format!("{:064x}", 0x1234)
        );
    }
}
