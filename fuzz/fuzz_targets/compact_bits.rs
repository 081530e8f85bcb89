//! libFuzzer target: compact nBits, targets and proof-of-work checks (`flux_fuzz::equihash::check_compact`).
#![cfg_attr(fuzzing, no_main)]
#[cfg(fuzzing)]
libfuzzer_sys::fuzz_target!(|data: &[u8]| flux_fuzz::equihash::check_compact(data));
#[cfg(not(fuzzing))]
fn main() {}
