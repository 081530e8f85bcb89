//! libFuzzer target: script parsing, classification and evaluation (`flux_fuzz::address::check_script`).
#![cfg_attr(fuzzing, no_main)]
#[cfg(fuzzing)]
libfuzzer_sys::fuzz_target!(|data: &[u8]| flux_fuzz::address::check_script(data));
#[cfg(not(fuzzing))]
fn main() {}
