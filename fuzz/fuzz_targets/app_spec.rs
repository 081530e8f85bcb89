//! libFuzzer target: `flux_fuzz::app::check_app_spec`.
#![cfg_attr(fuzzing, no_main)]
#[cfg(fuzzing)]
libfuzzer_sys::fuzz_target!(|data: &[u8]| flux_fuzz::app::check_app_spec(data));
#[cfg(not(fuzzing))]
fn main() {}
