//! Difficulty against the daemon's own numbers: the compact-encoding, chain-work and Digishield
//! vectors of `fluxd_pow_vectors.json`, the LWMA/gtest cases, and the seven chains of
//! `difficulty_chains.json` whose every nBits came from fluxd's difficulty code.

use flux_pow::difficulty::{
    Compact, DifficultyError, DifficultyParams, HeaderInfo, U256, block_proof, check_proof_of_work,
    checked_target, digishield, next_work_required,
};
use flux_pow::{BlockHeight, Network};
use proptest::prelude::*;

const POW_VECTORS: &str = "fluxd_pow_vectors.json";
const CHAINS: &str = "difficulty_chains.json";

mod common;
use common::vectors as load;

fn bits(text: &str) -> Compact {
    Compact(u32::from_str_radix(text, 16).unwrap())
}

fn target(hex_text: &str) -> U256 {
    let bytes: [u8; 32] = hex::decode(hex_text).unwrap().try_into().unwrap();
    U256::from_be_bytes(bytes)
}

fn network(name: &str) -> Network {
    name.parse().unwrap()
}

#[test]
fn compact_vectors_of_arith_uint256_tests() {
    let vectors = load(POW_VECTORS);
    for v in vectors["compact_vectors"].as_array().unwrap() {
        if let Some(compact) = v["compact"].as_str() {
            let decoded = bits(compact).decode();
            assert_eq!(decoded.negative, v["negative"].as_bool().unwrap(), "{v}");
            assert_eq!(decoded.overflow, v["overflow"].as_bool().unwrap(), "{v}");
            if let Some(value) = v["value_hex"].as_str() {
                assert_eq!(decoded.target, target(value), "{v}");
            }
            if let Some(again) = v["get_compact"].as_str() {
                assert_eq!(Compact::from_target(decoded.target), bits(again), "{v}");
            }
        } else {
            let value = target(v["value_hex"].as_str().unwrap());
            assert_eq!(
                Compact::from_target(value),
                bits(v["get_compact"].as_str().unwrap())
            );
        }
    }
}

#[test]
fn pow_limits_and_their_compact_forms() {
    let vectors = load(POW_VECTORS);
    for (name, limits) in vectors["pow_limits"].as_object().unwrap() {
        let params = DifficultyParams::for_network(network(name));
        for (field, value) in [
            ("powLimit", params.pow_limit),
            ("ponLimit", params.pon_limit),
            ("ponStartLimit", params.pon_start_limit),
        ] {
            assert_eq!(
                value,
                target(limits[field].as_str().unwrap()),
                "{name} {field}"
            );
            let compact = limits[format!("{field}_compact")].as_str().unwrap();
            assert_eq!(Compact::from_target(value), bits(compact), "{name} {field}");
        }
    }
}

#[test]
fn block_proof_vectors() {
    let vectors = load(POW_VECTORS);
    for v in vectors["block_proof_vectors"].as_array().unwrap() {
        let work = block_proof(
            bits(v["bits"].as_str().unwrap()),
            v["version"].as_i64().unwrap() as i32,
        );
        let expected = format!("{:0>64}", v["work_hex"].as_str().unwrap());
        assert_eq!(work.to_string(), expected, "{v}");
    }
    assert_eq!(block_proof(Compact(0x0180_0000), 4), U256::ZERO);
}

#[test]
fn digishield_unit_vectors_with_flux_spacing() {
    let vectors = load(POW_VECTORS);
    let params = DifficultyParams::for_network(Network::Mainnet);
    for v in vectors["digishield_unit_vectors"].as_array().unwrap() {
        let next = digishield(
            &params,
            bits(v["bnAvg_bits"].as_str().unwrap()).target(),
            v["last_mtp"].as_i64().unwrap(),
            v["first_mtp"].as_i64().unwrap(),
        );
        assert_eq!(
            next,
            bits(v["result_flux_mainnet_T120"].as_str().unwrap()),
            "{}",
            v["name"]
        );
    }
}

fn even_chain(count: u32, first_height: u32, first_time: i64, nbits: Compact) -> Vec<HeaderInfo> {
    (0..count)
        .map(|i| HeaderInfo {
            height: BlockHeight(first_height + i),
            time: first_time + 120 * i64::from(i),
            bits: nbits,
            version: 4,
        })
        .collect()
}

#[test]
fn lwma_replacement_vector_and_gtest_difficulty_averaging() {
    let vectors = load(POW_VECTORS);
    let replacement = &vectors["lwma_unit_vector"]["replacement"];
    // 100 blocks at heights 0..99 on the 120 s target; LWMA and LWMA3 both give 1d00fffe. Put the
    // same chain where each algorithm is the one mainnet dispatches to.
    for (first, key) in [
        (130_000u32, "LWMACalculateNextWorkRequired"),
        (260_000, "Lwma3CalculateNextWorkRequired"),
    ] {
        let params = DifficultyParams::for_network(Network::Mainnet);
        let chain = even_chain(100, first, 1_269_211_443, Compact(0x1d00_ffff));
        let next = next_work_required(&params, &chain, None).unwrap();
        assert_eq!(next, bits(replacement[key].as_str().unwrap()), "{key}");
    }

    let averaging = &vectors["gtest_difficulty_averaging"];
    let params = DifficultyParams::for_network(Network::Mainnet);
    let mut chain = even_chain(35, 0, 1_269_211_443, Compact(0x1e7f_ffff));
    let case_a = next_work_required(&params, &chain, None).unwrap();
    assert_eq!(
        case_a,
        bits(
            averaging["case_A_even_spacing"]["next_bits"]
                .as_str()
                .unwrap()
        )
    );
    chain[34].time += 1;
    let case_b = next_work_required(&params, &chain, None).unwrap();
    assert_eq!(
        case_b,
        bits(
            averaging["case_B_last_time_plus_1"]["next_bits"]
                .as_str()
                .unwrap()
        )
    );
    chain[34].bits = Compact(0x1e0f_ffff);
    let case_c = next_work_required(&params, &chain, None).unwrap();
    assert_eq!(
        case_c,
        bits(
            averaging["case_C_last_bits_0x1e0fffff"]["next_bits"]
                .as_str()
                .unwrap()
        )
    );
}

#[test]
fn every_block_of_the_fluxd_generated_chains() {
    let chains = load(CHAINS);
    let mut checked = 0;
    for chain in chains["chains"].as_array().unwrap() {
        let name = chain["name"].as_str().unwrap();
        let params = DifficultyParams::for_network(network(chain["network"].as_str().unwrap()));
        let blocks: Vec<HeaderInfo> = chain["blocks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| HeaderInfo {
                height: BlockHeight(b[0].as_u64().unwrap() as u32),
                time: b[1].as_i64().unwrap(),
                bits: bits(b[2].as_str().unwrap()),
                version: b[3].as_i64().unwrap() as i32,
            })
            .collect();
        let first_checked = chain["first_checked_index"].as_u64().unwrap() as usize;
        for i in first_checked..blocks.len() {
            let next = next_work_required(&params, &blocks[..i], Some(blocks[i].time))
                .unwrap_or_else(|e| panic!("{name} block {}: {e}", blocks[i].height));
            assert_eq!(next, blocks[i].bits, "{name} height {}", blocks[i].height);
            checked += 1;
        }
    }
    assert!(checked > 2000, "only {checked} blocks checked");
}

#[test]
fn proof_of_work_rules() {
    let main = DifficultyParams::for_network(Network::Mainnet);
    let limit = Compact(0x1f07_ffff);
    assert_eq!(check_proof_of_work(&main, &[0; 32], limit), Ok(()));
    let mut hash = [0u8; 32];
    hash[31] = 0x08; // 0008...: just above the 0007ff.. limit.
    assert_eq!(
        check_proof_of_work(&main, &hash, limit),
        Err(DifficultyError::HashAboveTarget)
    );
    assert_eq!(
        checked_target(Compact(0x2000_ffff), main.pow_limit),
        Err(DifficultyError::TargetAboveLimit(Compact(0x2000_ffff)))
    );
    assert_eq!(
        checked_target(Compact(0x04923456), main.pow_limit),
        Err(DifficultyError::NegativeTarget(Compact(0x04923456)))
    );
    assert_eq!(
        checked_target(Compact(0xff12_3456), main.pow_limit),
        Err(DifficultyError::OverflowingTarget(Compact(0xff12_3456)))
    );
    assert_eq!(
        checked_target(Compact(0), main.pow_limit),
        Err(DifficultyError::ZeroTarget(Compact(0)))
    );
    // Regtest accepts any hash, as fluxd does.
    let regtest = DifficultyParams::for_network(Network::Regtest);
    assert_eq!(check_proof_of_work(&regtest, &[0xff; 32], limit), Ok(()));
}

#[test]
fn equihash_schedule_and_fade_windows() {
    use flux_pow::equihash::EquihashParams as P;
    let main = DifficultyParams::for_network(Network::Mainnet);
    let at = |h: u32| main.equihash_params_at(BlockHeight(h));
    assert_eq!(at(1), vec![P::EH200_9]);
    assert_eq!(at(125_099), vec![P::EH200_9]);
    assert_eq!(at(125_100), vec![P::EH144_5, P::EH200_9]);
    assert_eq!(at(125_110), vec![P::EH144_5, P::EH200_9]);
    assert_eq!(at(125_111), vec![P::EH144_5]);
    assert_eq!(at(372_499), vec![P::EH144_5]);
    assert_eq!(at(372_500), vec![P::ZELHASH, P::EH144_5]);
    assert_eq!(at(372_510), vec![P::ZELHASH, P::EH144_5]);
    assert_eq!(at(372_511), vec![P::ZELHASH]);
    let regtest = DifficultyParams::for_network(Network::Regtest);
    assert_eq!(
        regtest.equihash_params_at(BlockHeight(5_000)),
        vec![P::EH48_5]
    );
}

#[test]
fn short_or_broken_windows_are_errors() {
    let main = DifficultyParams::for_network(Network::Mainnet);
    assert_eq!(
        next_work_required(&main, &[], None),
        Err(DifficultyError::BadAncestorWindow)
    );
    let chain = even_chain(10, 300_000, 1_600_000_000, Compact(0x1c0f_ffff));
    assert!(matches!(
        next_work_required(&main, &chain, None),
        Err(DifficultyError::MissingAncestor { .. })
    ));
    let mut gap = even_chain(70, 300_000, 1_600_000_000, Compact(0x1c0f_ffff));
    gap.remove(30);
    assert_eq!(
        next_work_required(&main, &gap, None),
        Err(DifficultyError::BadAncestorWindow)
    );
}

proptest! {
    #[test]
    fn compact_round_trips_through_its_target(word in 0u32..0x0080_0000, size in 3u32..=32) {
        let compact = Compact((size << 24) | word);
        let target = compact.target();
        // Re-encoding is canonical: decoding it again gives the same number.
        prop_assert_eq!(Compact::from_target(target).target(), target);
    }

    #[test]
    fn any_bits_decode_and_check_without_panicking(raw in any::<u32>(), hash in any::<[u8; 32]>()) {
        let params = DifficultyParams::for_network(Network::Mainnet);
        let _ = check_proof_of_work(&params, &hash, Compact(raw));
        let _ = block_proof(Compact(raw), 4);
    }
}

/// The devnet's row: every proof-of-work block (heights below its PON upgrade at 250) carries
/// compact 0x207fffff (the compact form the devnet's blocks have carried since its genesis),
/// whatever the spacing of its ancestors.
#[test]
fn devnet_proof_of_work_difficulty_never_moves() {
    let params = DifficultyParams::for_network(Network::Devnet);
    assert_eq!(Compact::from_target(params.pow_limit), Compact(0x207f_ffff));
    assert_eq!(Compact(0x207f_ffff).target(), params.pow_limit);
    // Blocks one second apart at a harder target would make LWMA3 move the target on any other
    // network; the devnet answers its fixed bits all the same.
    let fast: Vec<HeaderInfo> = (0..61)
        .map(|i| HeaderInfo {
            height: BlockHeight(100 + i),
            time: 1_764_547_200 + i64::from(i),
            bits: Compact(0x1f07_ffff),
            version: 4,
        })
        .collect();
    assert_eq!(
        next_work_required(&params, &fast, Some(1_764_547_300)),
        Ok(Compact(0x207f_ffff))
    );
    let mut retargeting = params;
    retargeting.pow_no_retargeting = false;
    assert_ne!(
        next_work_required(&retargeting, &fast, Some(1_764_547_300)),
        Ok(Compact(0x207f_ffff)),
        "the same window retargets once the flag is off"
    );
    // Proof of work up to its PON upgrade at 250, proof of node from there.
    assert!(!params.is_pon_active(BlockHeight(249)));
    assert!(params.is_pon_active(BlockHeight(250)));
    for height in [0, 1, 11, 12, 100_000] {
        let sets = params.equihash_params_at(BlockHeight(height));
        assert!(
            sets.iter()
                .all(|set| *set == flux_pow::EquihashParams::EH48_5),
            "devnet height {height}: {sets:?}"
        );
    }
}

/// `CheckProofOfNode` with the limits of pon.md §5 (fluxd `chainparams.cpp:103-106, 356-359`):
/// mainnet ponLimit 0x200fffff, ponStartLimit 0x1f0bffff, window 30 from 2,020,000; testnet's
/// start limit 0x207fffff is looser than its ponLimit; regtest accepts anything.
#[test]
fn proof_of_node_target_check() {
    use flux_pow::difficulty::check_proof_of_node;
    let main = DifficultyParams::for_network(Network::Mainnet);
    let zero = [0u8; 32];
    let at = |h| Some(BlockHeight(h));
    // The first window only takes the start limit, then the ponLimit is allowed.
    for height in [2_020_000, 2_020_029] {
        assert_eq!(
            check_proof_of_node(&main, &zero, Compact(0x200f_ffff), at(height)),
            Err(DifficultyError::TargetAboveLimit(Compact(0x200f_ffff))),
            "height {height}"
        );
        assert_eq!(
            check_proof_of_node(&main, &zero, Compact(0x1f0b_ffff), at(height)),
            Ok(())
        );
    }
    assert_eq!(
        check_proof_of_node(&main, &zero, Compact(0x200f_ffff), at(2_020_030)),
        Ok(())
    );
    // No height (CheckBlockHeader): the looser limit, mainnet's ponLimit.
    assert_eq!(
        check_proof_of_node(&main, &zero, Compact(0x200f_ffff), None),
        Ok(())
    );
    assert_eq!(
        check_proof_of_node(&main, &zero, Compact(0x2010_0000), None),
        Err(DifficultyError::TargetAboveLimit(Compact(0x2010_0000)))
    );
    // The hash is read as a little-endian number against the target.
    // Compact 0x200fffff is the target 0x0fffff followed by 29 zero bytes; a hash equal to it
    // passes, one more fails.
    let mut at_target = [0u8; 32];
    at_target[29..].copy_from_slice(&[0xff, 0xff, 0x0f]);
    assert_eq!(
        check_proof_of_node(&main, &at_target, Compact(0x200f_ffff), None),
        Ok(())
    );
    let mut above = at_target;
    above[0] = 1;
    assert_eq!(
        check_proof_of_node(&main, &above, Compact(0x200f_ffff), None),
        Err(DifficultyError::HashAboveTarget)
    );
    assert_eq!(
        check_proof_of_node(&main, &zero, Compact(0), None),
        Err(DifficultyError::ZeroTarget(Compact(0)))
    );
    // Testnet: without a height its start limit (7fff..) is the looser one.
    let test = DifficultyParams::for_network(Network::Testnet);
    assert_eq!(
        check_proof_of_node(&test, &zero, Compact(0x207f_ffff), None),
        Ok(())
    );
    assert_eq!(
        check_proof_of_node(&test, &zero, Compact(0x207f_ffff), at(800 + 60)),
        Err(DifficultyError::TargetAboveLimit(Compact(0x207f_ffff)))
    );
    // Regtest checks nothing.
    let regtest = DifficultyParams::for_network(Network::Regtest);
    assert_eq!(
        check_proof_of_node(&regtest, &[0xff; 32], Compact(0), None),
        Ok(())
    );
}
