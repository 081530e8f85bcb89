//! libFuzzer target: `flux_fuzz::pon::check_pon_block`.
#![cfg_attr(fuzzing, no_main)]
#[cfg(fuzzing)]
libfuzzer_sys::fuzz_target!(|data: &[u8]| flux_fuzz::pon::check_pon_block(data));
#[cfg(not(fuzzing))]
fn main() {}
