//! Verification time per parameter set on real solutions (the three genesis blocks and the
//! fluxd-generated 125,4 / 144,5 vectors), with zcash's `equihash` crate verifying the same 200,9
//! genesis solutions in the same run.
//!
//! `cargo bench -p flux-pow --bench verify`

#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use flux_pow::equihash::{EquihashParams, verify};

const GENESIS: &str = "genesis.json";
const GENERATED: &str = "generated_zelhash_vectors.json";

#[path = "../tests/common/mod.rs"]
mod common;
use common::vectors as load;

fn hex_field(value: &serde_json::Value, key: &str) -> Vec<u8> {
    hex::decode(value[key].as_str().expect("hex field")).expect("hex")
}

/// `(input, solution)` of the first generated vector with parameters `n`.
fn generated(n: u64) -> (Vec<u8>, Vec<u8>) {
    let vectors = load(GENERATED);
    let vector = vectors["valid"]
        .as_array()
        .expect("valid list")
        .iter()
        .find(|v| v["n"] == n)
        .expect("a vector with these parameters");
    let solution = hex_field(&vector["solutions"][0], "soln_hex");
    (hex_field(vector, "input_hex"), solution)
}

fn verify_each_set(c: &mut Criterion) {
    let genesis = load(GENESIS);
    let main = &genesis["networks"]["main"];
    let (main_header, main_solution) = (
        hex_field(main, "header_140_hex"),
        hex_field(main, "solution_hex"),
    );
    let regtest = &genesis["networks"]["regtest"];
    let (regtest_header, regtest_solution) = (
        hex_field(regtest, "header_140_hex"),
        hex_field(regtest, "solution_hex"),
    );
    let (zel_input, zel_solution) = generated(125);
    let (eh144_input, eh144_solution) = generated(144);

    let mut group = c.benchmark_group("verify");
    for (name, params, input, solution) in [
        (
            "200_9_flux",
            EquihashParams::EH200_9,
            &main_header,
            &main_solution,
        ),
        (
            "144_5_flux",
            EquihashParams::EH144_5,
            &eh144_input,
            &eh144_solution,
        ),
        (
            "125_4_flux",
            EquihashParams::ZELHASH,
            &zel_input,
            &zel_solution,
        ),
        (
            "48_5_flux",
            EquihashParams::EH48_5,
            &regtest_header,
            &regtest_solution,
        ),
    ] {
        assert_eq!(verify(&params, input, solution), Ok(()), "{name}");
        group.bench_function(name, |b| {
            b.iter(|| verify(&params, black_box(input), black_box(solution)))
        });
    }
    // zcash's crate splits the 140 bytes into the 108-byte header and the 32-byte nonce.
    let (prefix, nonce) = main_header.split_at(108);
    assert!(equihash::is_valid_solution(200, 9, prefix, nonce, &main_solution).is_ok());
    group.bench_function("200_9_zcash_equihash_crate", |b| {
        b.iter(|| {
            equihash::is_valid_solution(
                200,
                9,
                black_box(prefix),
                black_box(nonce),
                black_box(&main_solution),
            )
        })
    });
    group.finish();
}

criterion_group!(benches, verify_each_set);
criterion_main!(benches);
