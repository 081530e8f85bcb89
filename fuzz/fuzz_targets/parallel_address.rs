//! Fuzz target: parallel-asset address parsing/derivation and snapshot import (flux-parallel).
#![cfg_attr(fuzzing, no_main)]
#[cfg(fuzzing)]
libfuzzer_sys::fuzz_target!(|data: &[u8]| flux_fuzz::parallel::check_parallel_address(data));
#[cfg(not(fuzzing))]
fn main() {}
