//! Equihash parameter sets as data: `(n, k)`, the BLAKE2b personalization tag and the ZelHash
//! twist, plus every size derived from them (fluxd `src/crypto/equihash.h:166-180`).

/// The largest BLAKE2b digest any parameter set asks for (BLAKE2b's maximum, 64 bytes).
pub const MAX_HASH_OUTPUT_LEN: usize = 64;

/// The largest number of collision digits (`k + 1`) a supported parameter set has.
pub const MAX_DIGITS: usize = 16;

/// An Equihash parameter set: `n`, `k`, the 8-byte BLAKE2b personalization tag and whether the
/// ZelHash "twist" applies.
///
/// Only checked values exist: use the constants ([`EquihashParams::EH200_9`], ...) or
/// [`EquihashParams::new`], which rejects sets the verifier cannot handle, so no method of this
/// type and no function taking it can panic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EquihashParams {
    n: u32,
    k: u32,
    personalization_tag: [u8; 8],
    twist: bool,
}

impl EquihashParams {
    /// Equihash 200,9 with `"ZcashPoW"`: mainnet blocks 0 to 125 110, and both genesis blocks of
    /// mainnet and testnet. 1344-byte solutions.
    pub const EH200_9: EquihashParams = EquihashParams::known(200, 9, *b"ZcashPoW", false);
    /// Equihash 144,5 with `"ZelProof"` (no twist): mainnet blocks 125 100 to 372 510. 100-byte
    /// solutions.
    pub const EH144_5: EquihashParams = EquihashParams::known(144, 5, *b"ZelProof", false);
    /// ZelHash: Equihash 125,4 with `"ZelProof"` and the twist (fluxd `equihash.cpp:774`):
    /// mainnet blocks from 372 500 until Proof of Node. 52-byte solutions.
    pub const ZELHASH: EquihashParams = EquihashParams::known(125, 4, *b"ZelProof", true);
    /// Equihash 96,5 with `"ZcashPoW"`: the daemon's unit-test set. 68-byte solutions.
    pub const EH96_5: EquihashParams = EquihashParams::known(96, 5, *b"ZcashPoW", false);
    /// Equihash 48,5 with `"ZcashPoW"`: testnet and regtest blocks (and the regtest genesis).
    /// 36-byte solutions.
    pub const EH48_5: EquihashParams = EquihashParams::known(48, 5, *b"ZcashPoW", false);

    /// Every parameter set fluxd accepts in a block (`CheckEquihashSolution`, `pow.cpp:226-233`).
    pub const ALL: [EquihashParams; 5] = [
        EquihashParams::EH200_9,
        EquihashParams::EH144_5,
        EquihashParams::ZELHASH,
        EquihashParams::EH96_5,
        EquihashParams::EH48_5,
    ];

    const fn known(n: u32, k: u32, personalization_tag: [u8; 8], twist: bool) -> Self {
        EquihashParams {
            n,
            k,
            personalization_tag,
            twist,
        }
    }

    /// Builds a parameter set, or `None` if the verifier cannot handle it.
    ///
    /// Accepted: `1 <= k <= 15`, `n <= 512`, `n` a multiple of `k + 1`, a collision length
    /// `n / (k + 1)` of 8 to 30 bits (fluxd's `ExpandArray` needs at least 8 and indices of
    /// `cbl + 1` bits must fit in a `u32`), a whole number of solution bytes, a BLAKE2b digest of
    /// at most 64 bytes, and the twist only
    /// with a 64-byte digest (its word-wise sum is defined over 16 `u32` words).
    ///
    /// The constants cover every set Flux uses; this exists for experiments and for tests that
    /// check e.g. that 125,4 without the twist rejects a ZelHash solution.
    pub const fn new(n: u32, k: u32, personalization_tag: [u8; 8], twist: bool) -> Option<Self> {
        if k == 0 || k >= 16 || n > 512 || !n.is_multiple_of(k + 1) {
            return None;
        }
        let cbl = n / (k + 1);
        if cbl < 8 || cbl > 30 {
            return None;
        }
        if !((1u32 << k) * (cbl + 1)).is_multiple_of(8) {
            return None;
        }
        let params = EquihashParams {
            n,
            k,
            personalization_tag,
            twist,
        };
        if params.hash_output_len() > MAX_HASH_OUTPUT_LEN {
            return None;
        }
        if twist && params.hash_output_len() != 64 {
            return None;
        }
        Some(params)
    }

    /// The parameter set whose solutions are `solution_len` bytes long, as fluxd picks it from
    /// the size alone (`pow.cpp:226-233`): 1344 → 200,9, 100 → 144,5, 68 → 96,5, 52 → 125,4
    /// (ZelHash), 36 → 48,5. `None` for any other size.
    pub const fn from_solution_len(solution_len: usize) -> Option<Self> {
        match solution_len {
            1344 => Some(EquihashParams::EH200_9),
            100 => Some(EquihashParams::EH144_5),
            68 => Some(EquihashParams::EH96_5),
            52 => Some(EquihashParams::ZELHASH),
            36 => Some(EquihashParams::EH48_5),
            _ => None,
        }
    }

    /// `n`, the length in bits of each index's hash string.
    pub const fn n(&self) -> u32 {
        self.n
    }

    /// `k`: a solution has `2^k` indices and the tree `k` levels.
    pub const fn k(&self) -> u32 {
        self.k
    }

    /// The 8-byte ASCII BLAKE2b personalization tag (`ZcashPoW` or `ZelProof`).
    pub const fn personalization_tag(&self) -> [u8; 8] {
        self.personalization_tag
    }

    /// Whether hash outputs get the ZelHash twist (prefix sums over aligned groups of 16).
    pub const fn twist(&self) -> bool {
        self.twist
    }

    /// The full 16-byte BLAKE2b personalization: the tag, then `le32(n)`, then `le32(k)`
    /// (`equihash.cpp:33-50`).
    pub const fn personalization(&self) -> [u8; 16] {
        let n = self.n.to_le_bytes();
        let k = self.k.to_le_bytes();
        let t = self.personalization_tag;
        [
            t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7], n[0], n[1], n[2], n[3], k[0], k[1],
            k[2], k[3],
        ]
    }

    /// Collision bit length `n / (k + 1)`: the width of each digit compared per level.
    pub const fn collision_bit_length(&self) -> u32 {
        self.n / (self.k + 1)
    }

    /// Collision byte length `ceil(cbl / 8)`: the bytes fluxd compares per level.
    pub const fn collision_byte_length(&self) -> usize {
        (self.collision_bit_length() as usize).div_ceil(8)
    }

    /// Bits per index in the minimal encoding: `cbl + 1`.
    pub const fn index_bit_length(&self) -> u32 {
        self.collision_bit_length() + 1
    }

    /// One past the largest valid index: `2^(cbl + 1)`.
    pub const fn index_limit(&self) -> u32 {
        1u32 << self.index_bit_length()
    }

    /// Indices per solution: `2^k`.
    pub const fn indices_per_solution(&self) -> usize {
        1usize << self.k
    }

    /// Solution length in bytes: `2^k * (cbl + 1) / 8` (`equihash.h:159-161`).
    pub const fn solution_len(&self) -> usize {
        self.indices_per_solution() * self.index_bit_length() as usize / 8
    }

    /// Indices served by one BLAKE2b output: `512 / n`.
    pub const fn indices_per_hash_output(&self) -> u32 {
        512 / self.n
    }

    /// Bytes of the hash output that belong to one index: `ceil(n / 8)` (16 for 125,4, not 15).
    pub const fn hash_slice_len(&self) -> usize {
        (self.n as usize).div_ceil(8)
    }

    /// BLAKE2b digest length `(512 / n) * ceil(n / 8)`. It is part of the BLAKE2b parameter
    /// block, so a different length is a different hash, not a truncation.
    pub const fn hash_output_len(&self) -> usize {
        self.indices_per_hash_output() as usize * self.hash_slice_len()
    }

    /// Number of collision digits per index: `k + 1`.
    pub const fn digit_count(&self) -> usize {
        self.k as usize + 1
    }
}

impl core::fmt::Display for EquihashParams {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Equihash {},{}", self.n, self.k)?;
        if self.twist {
            f.write_str(" (ZelHash)")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_sizes_match_the_daemon_table() {
        // (params, hash output, slice, cbl, collision bytes, indices/solution, solution bytes)
        let table = [
            (EquihashParams::EH200_9, 50, 25, 20, 3, 512, 1344),
            (EquihashParams::EH144_5, 54, 18, 24, 3, 32, 100),
            (EquihashParams::ZELHASH, 64, 16, 25, 4, 16, 52),
            (EquihashParams::EH96_5, 60, 12, 16, 2, 32, 68),
            (EquihashParams::EH48_5, 60, 6, 8, 1, 32, 36),
        ];
        for (p, out, slice, cbl, cb, count, len) in table {
            assert_eq!(p.hash_output_len(), out, "{p}");
            assert_eq!(p.hash_slice_len(), slice, "{p}");
            assert_eq!(p.collision_bit_length(), cbl, "{p}");
            assert_eq!(p.collision_byte_length(), cb, "{p}");
            assert_eq!(p.indices_per_solution(), count, "{p}");
            assert_eq!(p.solution_len(), len, "{p}");
            assert_eq!(EquihashParams::from_solution_len(len), Some(p));
            assert!(p.hash_output_len() <= MAX_HASH_OUTPUT_LEN && p.digit_count() <= MAX_DIGITS);
            assert_eq!(
                EquihashParams::new(p.n(), p.k(), p.personalization_tag(), p.twist()),
                Some(p)
            );
        }
        assert_eq!(EquihashParams::from_solution_len(0), None);
    }

    #[test]
    fn personalization_bytes() {
        assert_eq!(
            EquihashParams::ZELHASH.personalization(),
            *b"ZelProof}\0\0\0\x04\0\0\0"
        );
        assert_eq!(
            EquihashParams::EH200_9.personalization(),
            *b"ZcashPoW\xc8\0\0\0\x09\0\0\0"
        );
    }

    #[test]
    fn unusable_sets_are_rejected() {
        assert_eq!(EquihashParams::new(0, 0, *b"ZcashPoW", false), None);
        assert_eq!(EquihashParams::new(200, 0, *b"ZcashPoW", false), None);
        assert_eq!(EquihashParams::new(201, 9, *b"ZcashPoW", false), None);
        assert_eq!(EquihashParams::new(14, 1, *b"ZcashPoW", false), None);
        assert_eq!(EquihashParams::new(200, 9, *b"ZcashPoW", true), None);
        assert_eq!(EquihashParams::new(1024, 3, *b"ZcashPoW", false), None);
        // 512/22 = 23 slices of 3 bytes: a 69-byte digest, which BLAKE2b cannot produce.
        assert_eq!(EquihashParams::new(22, 1, *b"ZcashPoW", false), None);
    }
}
