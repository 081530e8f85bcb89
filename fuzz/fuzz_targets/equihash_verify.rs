//! libFuzzer target: the Equihash verifier with small parameters (`flux_fuzz::equihash::check_verify`).
#![cfg_attr(fuzzing, no_main)]
#[cfg(fuzzing)]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    flux_fuzz::equihash::check_verify(data);
});
#[cfg(not(fuzzing))]
fn main() {}
