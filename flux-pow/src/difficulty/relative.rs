//! The difficulty fluxd reports in its RPC answers (`getblock`, `getblockheader`,
//! `getinfo`, `getmininginfo`): how many times harder a block's target is than the network's
//! easiest one. It is a display value only; consensus compares 256-bit targets.

use super::{Compact, U256};

/// fluxd's `GetDifficulty` (`GetDifficultyINTERNAL`, `rpc/blockchain.cpp:32-72`): the ratio of
/// `pow_limit` to the target of `bits`, computed as the daemon does from the two compact forms
/// (the limit rounded to its own compact value first) in a double, one byte of exponent at a
/// time.
///
/// A block at the limit has difficulty 1. A zero mantissa, which no valid header carries,
/// divides by zero as in the daemon and gives infinity.
///
/// ```
/// use flux_pow::Network;
/// use flux_pow::difficulty::{Compact, DifficultyParams, relative_difficulty};
///
/// let limit = DifficultyParams::for_network(Network::Mainnet).pow_limit;
/// // The mainnet genesis block carries the limit itself.
/// assert_eq!(relative_difficulty(Compact(0x1f07_ffff), limit), 1.0);
/// // Two bytes of exponent less and twice the mantissa: 65536 / 2 times harder.
/// assert_eq!(relative_difficulty(Compact(0x1d0f_fffe), limit), 32_768.0);
/// ```
pub fn relative_difficulty(bits: Compact, pow_limit: U256) -> f64 {
    let limit = Compact::from_target(pow_limit).0;
    let mut shift = (bits.0 >> 24) & 0xff;
    let limit_shift = (limit >> 24) & 0xff;
    let mut difficulty = f64::from(limit & 0x00ff_ffff) / f64::from(bits.0 & 0x00ff_ffff);
    while shift < limit_shift {
        difficulty *= 256.0;
        shift += 1;
    }
    while shift > limit_shift {
        difficulty /= 256.0;
        shift -= 1;
    }
    difficulty
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Network;
    use crate::difficulty::DifficultyParams;

    fn limit(network: Network) -> U256 {
        DifficultyParams::for_network(network).pow_limit
    }

    /// `target` as a double: exact for the few significant bits a compact value has.
    fn as_f64(target: U256) -> f64 {
        target
            .to_be_bytes()
            .iter()
            .fold(0.0, |value, byte| value * 256.0 + f64::from(*byte))
    }

    #[test]
    fn genesis_difficulties() {
        // Mainnet and regtest genesis blocks carry their network's compact limit (0007ff..ff,
        // 0f0f0f..0f): difficulty 1, as fluxd's `getblock 0` reports.
        assert_eq!(
            relative_difficulty(Compact(0x1f07_ffff), limit(Network::Mainnet)),
            1.0
        );
        assert_eq!(
            relative_difficulty(Compact(0x200f_0f0f), limit(Network::Regtest)),
            1.0
        );
        // The testnet genesis (0x2007ffff) is harder than testnet's 0effff..ff limit: same
        // exponent, so the ratio of the mantissas.
        assert_eq!(
            relative_difficulty(Compact(0x2007_ffff), limit(Network::Testnet)),
            983_039.0 / 524_287.0
        );
    }

    #[test]
    fn equals_the_ratio_of_the_targets() {
        // An independent route: divide the 256-bit targets themselves. The daemon's byte-wise
        // shifting only loses what a double cannot hold.
        let pow_limit = limit(Network::Mainnet);
        let compact_limit = Compact::from_target(pow_limit).target();
        for bits in [
            0x1f07_ffff,
            0x1e0f_ffff,
            0x1d01_2345,
            0x1c0f_0aa7,
            0x1b7f_ffff,
        ] {
            let expected = as_f64(compact_limit) / as_f64(Compact(bits).target());
            let got = relative_difficulty(Compact(bits), pow_limit);
            assert!(
                (got - expected).abs() <= expected * 1e-15,
                "{bits:08x}: {got} vs {expected}"
            );
        }
        // Easier than the limit (only regtest-style bits reach it): below 1.
        let easy = relative_difficulty(Compact(0x2100_ffff), pow_limit);
        assert!(easy < 1.0 && easy > 0.0, "{easy}");
    }

    #[test]
    fn zero_mantissa_divides_by_zero() {
        assert_eq!(
            relative_difficulty(Compact(0x1d00_0000), limit(Network::Mainnet)),
            f64::INFINITY
        );
    }
}
