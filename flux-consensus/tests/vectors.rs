//! Real data: the daemon's three genesis blocks, checkpoints and upgrade activation hashes, and
//! the difficulty retargets of `difficulty_chains.json`.

mod common;

use common::vectors;
use flux_consensus::check::header::{
    check_equihash_solution, check_future_time, check_header_for_height, check_proof_of_work_target,
};
use flux_consensus::params::by_name;
use flux_consensus::{HeaderError, Mainnet, NetworkParams, Regtest, Testnet};
use flux_pow::difficulty::{Compact, HeaderInfo};
use flux_pow::{BlockHeight, EquihashParams, NetworkUpgrade};
use flux_tx::{BlockHash, BlockProof, FluxDecode, FluxEncode};

fn networks() -> [(&'static str, Box<dyn NetworkParams>); 3] {
    [
        ("main", Box::new(Mainnet)),
        ("test", Box::new(Testnet)),
        ("regtest", Box::new(Regtest)),
    ]
}

#[test]
fn the_three_genesis_blocks_are_the_daemons_and_open_as_genesis() {
    let genesis = vectors::json("genesis.json");
    let checkpoints = vectors::json("checkpoints.json");
    for (name, params) in networks() {
        let vector = &genesis["networks"][name];
        let bytes = hex::decode(vector["block_hex"].as_str().unwrap()).unwrap();
        let block = params.genesis_block();
        assert_eq!(block.encoded(), bytes, "{name}");
        assert_eq!(flux_tx::Block::decode_exact(&bytes).unwrap(), block);
        let expected: BlockHash = vector["expected_hash"].as_str().unwrap().parse().unwrap();
        assert_eq!(block.hash(), expected, "{name}");
        assert_eq!(params.genesis_hash(), expected, "{name}");
        let first = &checkpoints[name]["checkpoints"][0];
        assert_eq!(first["height"], 0);
        assert_eq!(first["hash"].as_str().unwrap(), expected.to_string());
        assert_eq!(params.checkpoints()[0], (BlockHeight(0), expected));

        #[cfg(feature = "store")]
        {
            let dir = tempfile::tempdir().unwrap();
            let chain = flux_consensus::Chain::open_boxed(
                dir.path().join("c.redb"),
                by_name(name).unwrap(),
            )
            .unwrap();
            assert_eq!(chain.tip(), (BlockHeight(0), expected), "{name}");
            assert_eq!(chain.block(&expected).unwrap().unwrap(), block);
            assert_eq!(chain.block_hash(BlockHeight(0)).unwrap(), Some(expected));
        }
    }
}

#[test]
fn every_checkpoint_and_activation_hash_matches_the_vectors() {
    let checkpoints = vectors::json("checkpoints.json");
    for (name, params) in networks() {
        let listed: Vec<(BlockHeight, BlockHash)> = checkpoints[name]["checkpoints"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    BlockHeight(c["height"].as_u64().unwrap() as u32),
                    c["hash"].as_str().unwrap().parse().unwrap(),
                )
            })
            .collect();
        assert_eq!(params.checkpoints(), listed, "{name}");
    }
    let mut pinned = 0;
    for activation in checkpoints["main_network_upgrade_activation_blocks"]
        .as_array()
        .unwrap()
    {
        let upgrade = NetworkUpgrade::ALL
            .into_iter()
            .find(|u| {
                format!(
                    "UPGRADE_{}",
                    u.name().to_uppercase().replace(['/', ' '], "")
                ) == activation["upgrade"]
                    .as_str()
                    .unwrap()
                    .replace('_', "")
                    .replacen("UPGRADE", "UPGRADE_", 1)
            })
            .unwrap_or_else(|| panic!("{}", activation["upgrade"]));
        let height = BlockHeight(activation["height"].as_u64().unwrap() as u32);
        assert_eq!(Mainnet.activation_height(upgrade), Some(height));
        let hash: BlockHash = activation["hash"].as_str().unwrap().parse().unwrap();
        assert_eq!(Mainnet.activation_block_hash(upgrade), Some(hash));
        assert_eq!(Mainnet.branch_id_at(height), 0x76b8_09bb);
        pinned += 1;
    }
    assert_eq!(pinned, 6);
    assert_eq!(Mainnet.branch_id_at(BlockHeight(124_999)), 0);
}

#[test]
fn real_genesis_headers_verify_for_their_era_and_fail_when_touched() {
    // Mainnet and testnet genesis: Equihash 200,9 (testnet's is allowed by the daemon's
    // exception for its first 320 blocks).
    for params in [&Mainnet as &dyn NetworkParams, &Testnet] {
        let header = params.genesis_block().header;
        assert_eq!(
            check_header_for_height(params, &header, BlockHeight(0)),
            Ok(())
        );
        assert_eq!(
            check_equihash_solution(&header),
            Ok(EquihashParams::EH200_9)
        );
    }
    // A 200,9 solution is not a ZelHash-era solution.
    let main = Mainnet.genesis_block().header;
    assert!(matches!(
        check_header_for_height(&Mainnet, &main, BlockHeight(400_000)),
        Err(HeaderError::SolutionSizeNotForHeight {
            len: 1344,
            height: 400_000
        })
    ));
    // Regtest genesis: 48,5; its hash is below its target although regtest skips the check.
    let regtest = Regtest.genesis_block().header;
    assert_eq!(
        check_equihash_solution(&regtest),
        Ok(EquihashParams::EH48_5)
    );
    assert_eq!(check_proof_of_work_target(&Regtest, &regtest), Ok(()));

    // time-too-new: 2 hours while the tip is below LWMA's activation, 360 s after.
    let now = i64::from(main.time) - 361;
    assert_eq!(
        check_future_time(&Mainnet, &main, BlockHeight(0), now),
        Ok(())
    );
    assert_eq!(
        check_future_time(&Mainnet, &main, BlockHeight(125_000), now),
        Err(HeaderError::TimeTooNew {
            time: i64::from(main.time),
            now,
            allowed_drift: 360
        })
    );
    assert!(check_future_time(&Mainnet, &main, BlockHeight(0), now - 7200).is_err());

    let mut touched = main.clone();
    touched.time += 1;
    assert!(matches!(
        check_header_for_height(&Mainnet, &touched, BlockHeight(0)),
        Err(HeaderError::InvalidSolution(_))
    ));
    let mut truncated = main.clone();
    if let BlockProof::Work { solution, .. } = &mut truncated.proof {
        solution.pop();
    }
    assert!(matches!(
        check_header_for_height(&Mainnet, &truncated, BlockHeight(0)),
        Err(HeaderError::SolutionSizeNotForHeight { .. })
    ));
    let mut easier = main;
    easier.bits = Compact(0x2007_ffff);
    assert!(matches!(
        check_proof_of_work_target(&Mainnet, &easier),
        Err(HeaderError::HighHash(_))
    ));
}

#[test]
fn difficulty_retargets_from_ancestors_match_the_daemon() {
    let chains = vectors::json("difficulty_chains.json");
    let mut checked = 0;
    for chain in chains["chains"].as_array().unwrap() {
        let params = by_name(chain["network"].as_str().unwrap()).unwrap();
        let blocks: Vec<HeaderInfo> = chain["blocks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| HeaderInfo {
                height: BlockHeight(b[0].as_u64().unwrap() as u32),
                time: b[1].as_i64().unwrap(),
                bits: Compact(u32::from_str_radix(b[2].as_str().unwrap(), 16).unwrap()),
                version: b[3].as_i64().unwrap() as i32,
            })
            .collect();
        let first = chain["first_checked_index"].as_u64().unwrap() as usize;
        for i in first..blocks.len() {
            let start = i.saturating_sub(flux_consensus::params::DIFFICULTY_WINDOW as usize);
            let next = params
                .next_work_required(&blocks[start..i], Some(blocks[i].time))
                .unwrap();
            assert_eq!(next, blocks[i].bits, "{} block {i}", chain["name"]);
            checked += 1;
        }
    }
    assert!(checked > 2000, "{checked}");
}
