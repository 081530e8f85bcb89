//! libFuzzer target: `flux_fuzz::tx::check_transaction`.
#![cfg_attr(fuzzing, no_main)]
#[cfg(fuzzing)]
libfuzzer_sys::fuzz_target!(|data: &[u8]| flux_fuzz::tx::check_transaction(data));
#[cfg(not(fuzzing))]
fn main() {}
