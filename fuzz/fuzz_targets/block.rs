//! libFuzzer target: `flux_fuzz::tx::check_block`.
#![cfg_attr(fuzzing, no_main)]
#[cfg(fuzzing)]
libfuzzer_sys::fuzz_target!(|data: &[u8]| flux_fuzz::tx::check_block(data));
#[cfg(not(fuzzing))]
fn main() {}
