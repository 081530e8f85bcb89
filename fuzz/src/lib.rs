//! Fuzz harnesses for flux-rs.
//!
//! Each `fuzz_targets/<name>.rs` is a thin libFuzzer entry point that calls one `check_*` function
//! of this library, so the same checks also run under plain `cargo test` (see `tests/`) and cannot
//! rot. Run one with `cargo fuzz run <name>` from the repository root (needs a nightly toolchain and
//! `cargo install cargo-fuzz`).

pub mod address;
pub mod app;
pub mod equihash;
pub mod p2p;
pub mod parallel;
pub mod pon;
pub mod tx;

/// xorshift64*: deterministic pseudo-random inputs for the `tests/` that replay each check over many
/// byte strings, without a dependency and with the same sequence on every run.
#[derive(Debug, Clone)]
pub struct Rng(pub u64);

impl Rng {
    /// The next pseudo-random 64-bit value (the seed must not be zero).
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Pseudo-random bytes of a pseudo-random length from 0 to `max_len`.
    pub fn bytes(&mut self, max_len: usize) -> Vec<u8> {
        let len = (self.next_u64() as usize) % (max_len + 1);
        (0..len).map(|_| self.next_u64() as u8).collect()
    }
}
