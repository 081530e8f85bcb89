//! libFuzzer target: `flux_fuzz::p2p::check_p2p_frame`.
#![cfg_attr(fuzzing, no_main)]
#[cfg(fuzzing)]
libfuzzer_sys::fuzz_target!(|data: &[u8]| flux_fuzz::p2p::check_p2p_frame(data));
#[cfg(not(fuzzing))]
fn main() {}
