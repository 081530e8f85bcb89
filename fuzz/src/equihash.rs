//! The Equihash verifier and the compact-bits decoder (flux-pow) on arbitrary input: never a
//! panic, and the verdict agrees with the index-level verifier.

use flux_pow::Network;
use flux_pow::difficulty::{Compact, DifficultyParams, block_proof, check_proof_of_work};
use flux_pow::equihash::{EquihashParams, solution_indices, verify, verify_indices};

/// The first byte picks a parameter set (small ones reach the deep rules quickly, as zebra's
/// `equihash_fuzz` does with 96,5), the next 140 bytes are the header prefix, the rest the
/// solution. Whatever `verify` says, `verify_indices` on the decoded indices must say the same.
pub fn check_verify(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let params = match selector % 4 {
        0 => EquihashParams::EH48_5,
        1 => EquihashParams::EH96_5,
        2 => EquihashParams::ZELHASH,
        _ => EquihashParams::EH144_5,
    };
    let (input, solution) = rest.split_at(rest.len().min(140));
    let verdict = verify(&params, input, solution);
    if let Ok(indices) = solution_indices(&params, solution) {
        assert_eq!(verify_indices(&params, input, &indices), verdict);
    } else {
        assert!(verdict.is_err(), "a solution of the wrong length verified");
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
