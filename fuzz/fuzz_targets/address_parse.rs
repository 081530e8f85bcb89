//! libFuzzer target: address, WIF and message-signature parsing (`flux_fuzz::address::check_address_parse`).
#![cfg_attr(fuzzing, no_main)]
#[cfg(fuzzing)]
libfuzzer_sys::fuzz_target!(|data: &[u8]| flux_fuzz::address::check_address_parse(data));
#[cfg(not(fuzzing))]
fn main() {}
