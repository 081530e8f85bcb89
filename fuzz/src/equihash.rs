//! The Equihash verifier and the compact-bits decoder (flux-pow) on arbitrary input: never a
//! panic, and the verdict agrees with an Equihash verifier written from fluxd's definition that
//! shares no code with flux-pow's (its own BLAKE2b leaves and ZelHash twist).

use flux_pow::Network;
use flux_pow::difficulty::{Compact, DifficultyParams, block_proof, check_proof_of_work};
use flux_pow::equihash::{EquihashParams, PowError, solution_indices, verify};

/// The byte-row port of fluxd's `IsValidSolution` that flux-pow's property tests use too (one
/// copy, so the fuzz targets and the tests hold the library to the same reference).
#[path = "../../flux-pow/tests/common/equihash_reference.rs"]
pub mod reference;

/// The parameter set a selector byte picks: small ones reach the deep rules quickly, as zebra's
/// `equihash_fuzz` does with 96,5.
pub fn params_of(selector: u8) -> EquihashParams {
    match selector % 4 {
        0 => EquihashParams::EH48_5,
        1 => EquihashParams::EH96_5,
        2 => EquihashParams::ZELHASH,
        _ => EquihashParams::EH144_5,
    }
}

/// The first byte picks a parameter set ([`params_of`]), the next 140 bytes are the header
/// prefix, the rest the solution. A solution of the wrong length must be refused as such; one of
/// the right length must get the reference's verdict, error kind and level included. Returns
/// whether the solution had the right length (so replays can count how many reached the
/// reference).
pub fn check_verify(data: &[u8]) -> bool {
    let Some((&selector, rest)) = data.split_first() else {
        return false;
    };
    let params = params_of(selector);
    let (input, solution) = rest.split_at(rest.len().min(140));
    let verdict = verify(&params, input, solution);
    match solution_indices(&params, solution) {
        Ok(indices) => {
            assert_eq!(verdict, reference::verify(&params, input, &indices));
            true
        }
        Err(_) => {
            assert_eq!(
                verdict,
                Err(PowError::SolutionLength {
                    expected: params.solution_len(),
                    actual: solution.len(),
                })
            );
            false
        }
    }
}

/// Decodes four bytes as `nBits` and checks a 32-byte hash against it on every network; the
/// compact form must survive a decode/encode/decode round trip.
pub fn check_compact(data: &[u8]) {
    let Some(bits) = data.get(..4) else {
        return;
    };
    let compact = Compact(u32::from_le_bytes([bits[0], bits[1], bits[2], bits[3]]));
    let target = compact.target();
    assert_eq!(Compact::from_target(target).target(), target);
    let mut hash = [0u8; 32];
    let tail = &data[4..];
    hash[..tail.len().min(32)].copy_from_slice(&tail[..tail.len().min(32)]);
    for network in Network::ALL {
        let _ = check_proof_of_work(&DifficultyParams::for_network(network), &hash, compact);
    }
    let _ = block_proof(compact, 4);
}
