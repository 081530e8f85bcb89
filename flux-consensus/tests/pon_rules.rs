//! The proof-of-node header rules that need no fluxnode list, each against a header that breaks
//! only that rule, with the PON hash pinned to the value derived in `shared/spec/pon.md` §10
//! (outside this code) for the inputs of fluxd's `gtest/test_pon.cpp`.

use flux_consensus::check::pon::{
    EMERGENCY_COLLATERAL, MAX_EMERGENCY_SIGNATURE_SIZE, MAX_PON_SIGNATURE_SIZE,
    check_pon_signature, check_pon_signature_size, check_pon_target, check_pon_target_for_height,
    check_pon_time_after_parent, header_pon_hash, is_emergency_block, test_bypass_collateral,
};
use flux_consensus::{HeaderError, Mainnet, NetworkParams, Regtest, Testnet};
use flux_pow::BlockHeight;
use flux_pow::difficulty::{Compact, DifficultyError};
use flux_tx::{BlockHash, BlockHeader, BlockProof, MerkleRoot, OutPoint, SaplingRoot, Txid};

/// `uint256S("0x1234567890abcdef" x4)` and `uint256S("0xfedcba0987654321" x4)` in internal order,
/// as in `test_pon.cpp:242-246`.
fn test_pon_inputs() -> (OutPoint, BlockHash) {
    let collateral: [u8; 32] = hex::decode("efcdab9078563412".repeat(4))
        .unwrap()
        .try_into()
        .unwrap();
    let prev: [u8; 32] = hex::decode("2143658709badcfe".repeat(4))
        .unwrap()
        .try_into()
        .unwrap();
    (
        OutPoint {
            txid: Txid(collateral),
            index: 1,
        },
        BlockHash(prev),
    )
}

fn pon_header(collateral: OutPoint, prev: BlockHash, time: u32, bits: u32) -> BlockHeader {
    BlockHeader {
        version: 100,
        prev_block: prev,
        merkle_root: MerkleRoot([3; 32]),
        final_sapling_root: SaplingRoot::ZERO,
        time,
        bits: Compact(bits),
        proof: BlockProof::Node {
            collateral,
            signature: vec![0x30; 71],
        },
    }
}

#[test]
fn genesis_times_are_the_genesis_blocks() {
    let networks: [Box<dyn NetworkParams>; 4] = [
        Box::new(Mainnet),
        Box::new(Testnet),
        Box::new(Regtest),
        Box::new(flux_consensus::Devnet::default()),
    ];
    for params in networks {
        assert_eq!(
            params.genesis_time(),
            params.genesis_block().header.time,
            "{}",
            params.name()
        );
    }
}

#[test]
fn pon_hash_counts_slots_from_the_network_genesis() {
    let (collateral, prev) = test_pon_inputs();
    // Slot 12345 on mainnet: 12345 * 30 s after its genesis time 1516980000 (+29 s stays in it).
    for offset in [0, 29] {
        let header = pon_header(
            collateral,
            prev,
            1_516_980_000 + 12_345 * 30 + offset,
            0x200f_ffff,
        );
        assert_eq!(
            header_pon_hash(&Mainnet, &header).unwrap().to_string(),
            "76e69d3f0102d0bda77b2de3ecb7f80f8f57b780f0a95f93f1d714479125d02a"
        );
    }
    let next_slot = pon_header(collateral, prev, 1_516_980_000 + 12_346 * 30, 0x200f_ffff);
    assert_ne!(
        header_pon_hash(&Mainnet, &next_slot).unwrap().to_string(),
        "76e69d3f0102d0bda77b2de3ecb7f80f8f57b780f0a95f93f1d714479125d02a"
    );
    // Testnet counts from its own genesis (1582228940).
    let header = pon_header(collateral, prev, 1_582_228_940 + 12_345 * 30, 0x200f_ffff);
    assert_eq!(
        header_pon_hash(&Testnet, &header).unwrap().to_string(),
        "76e69d3f0102d0bda77b2de3ecb7f80f8f57b780f0a95f93f1d714479125d02a"
    );
}

#[test]
fn the_pon_hash_must_meet_the_target() {
    let (collateral, prev) = test_pon_inputs();
    let mut time = 1_516_980_000 + 12_345 * 30;
    let header = pon_header(collateral, prev, time, 0x200f_ffff);
    let hash = header_pon_hash(&Mainnet, &header).unwrap();
    // The pinned hash 76e6.. is above ponLimit 0x0fffff00..: rejected with high-hash.
    assert_eq!(
        check_pon_target(&Mainnet, &header),
        Err(HeaderError::PonHighHash(DifficultyError::HashAboveTarget))
    );
    assert!(hash.0[31] >= 0x10);
    assert_eq!(
        HeaderError::PonHighHash(DifficultyError::HashAboveTarget).misbehavior_score(),
        50
    );
    // A later slot whose hash is under the limit (about one slot in 16) is accepted.
    let accepted = loop {
        time += 30;
        let candidate = pon_header(collateral, prev, time, 0x200f_ffff);
        if header_pon_hash(&Mainnet, &candidate).unwrap().0[31] < 0x0f {
            break candidate;
        }
    };
    assert_eq!(check_pon_target(&Mainnet, &accepted), Ok(()));
    // In the first window after activation only the start limit 0x1f0bffff is allowed.
    // With its height (ContextualCheckBlockHeader), the first window after activation only
    // allows the start limit 0x1f0bffff: bad-pon-header, scored 100.
    let early = check_pon_target_for_height(&Mainnet, &accepted, BlockHeight(2_020_010));
    assert_eq!(
        early,
        Err(HeaderError::PonBadHeader(
            DifficultyError::TargetAboveLimit(Compact(0x200f_ffff))
        ))
    );
    assert_eq!(early.unwrap_err().misbehavior_score(), 100);
    assert_eq!(
        check_pon_target_for_height(&Mainnet, &accepted, BlockHeight(2_020_030)),
        Ok(())
    );
    // An emergency block is signed by the multisig keys instead: no hash check.
    let mut emergency = header.clone();
    emergency.proof = BlockProof::Node {
        collateral: EMERGENCY_COLLATERAL,
        signature: vec![0; 200],
    };
    assert!(is_emergency_block(&emergency));
    assert_eq!(check_pon_target(&Mainnet, &emergency), Ok(()));
    // Regtest checks nothing (pon.cpp:28-30).
    assert_eq!(check_pon_target(&Regtest, &header), Ok(()));
}

#[test]
fn signature_sizes() {
    let (collateral, prev) = test_pon_inputs();
    let sized = |collateral: OutPoint, len: usize| {
        let mut header = pon_header(collateral, prev, 1_600_000_000, 0x200f_ffff);
        header.proof = BlockProof::Node {
            collateral,
            signature: vec![0x30; len],
        };
        header
    };
    assert_eq!(
        check_pon_signature_size(&sized(collateral, MAX_PON_SIGNATURE_SIZE)),
        Ok(())
    );
    let too_long = HeaderError::PonSignatureTooLarge { len: 74, max: 73 };
    assert_eq!(
        check_pon_signature_size(&sized(collateral, 74)),
        Err(too_long.clone())
    );
    assert_eq!(too_long.misbehavior_score(), 100);
    assert!(too_long.to_string().contains("bad-pon-sig-size"));
    // An emergency block carries a set of signatures: up to 512 bytes.
    assert_eq!(
        check_pon_signature_size(&sized(EMERGENCY_COLLATERAL, MAX_EMERGENCY_SIGNATURE_SIZE)),
        Ok(())
    );
    assert_eq!(
        check_pon_signature_size(&sized(EMERGENCY_COLLATERAL, 513)),
        Err(HeaderError::PonSignatureTooLarge { len: 513, max: 512 })
    );
}

#[test]
fn time_strictly_after_the_parent() {
    let (collateral, prev) = test_pon_inputs();
    let header = pon_header(collateral, prev, 1_600_000_000, 0x200f_ffff);
    assert_eq!(check_pon_time_after_parent(&header, 1_599_999_999), Ok(()));
    for parent_time in [1_600_000_000, 1_600_000_001] {
        assert_eq!(
            check_pon_time_after_parent(&header, parent_time),
            Err(HeaderError::PonTimeNotAfterParent {
                time: 1_600_000_000,
                parent_time,
            })
        );
    }
}

#[test]
fn the_operator_key_signs_the_block() {
    use flux_tx::keys::PrivateKey;
    use flux_tx::pon::sign_block;
    let (collateral, prev) = test_pon_inputs();
    let operator = PrivateKey::from_secret_bytes([21; 32], true).unwrap();
    let mut header = pon_header(collateral, prev, 1_600_000_000, 0x200f_ffff);
    header.proof = BlockProof::Node {
        collateral,
        signature: sign_block(&header, &operator),
    };
    let public = operator.public_key().to_bytes();
    assert_eq!(check_pon_signature(&Mainnet, &header, &public), Ok(()));
    // The collateral's owner, or any other key, is not the operator.
    let stranger = PrivateKey::from_secret_bytes([22; 32], true).unwrap();
    let refused = check_pon_signature(&Mainnet, &header, &stranger.public_key().to_bytes());
    assert_eq!(refused, Err(HeaderError::PonBadSignature));
    assert!(refused.unwrap_err().to_string().contains("bad-pon-block"));
    // A signature moved onto another block does not verify either.
    let mut moved = header.clone();
    moved.time += 30;
    assert_eq!(
        check_pon_signature(&Mainnet, &moved, &public),
        Err(HeaderError::PonBadSignature)
    );
}

#[test]
fn the_test_networks_bypass_collateral() {
    // uint256S("544553544e4f44" + 50 zeros): the raw bytes end in "DONTSET" (pon.md section 6).
    let bypass = test_bypass_collateral(flux_pow::Network::Testnet).unwrap();
    assert_eq!(
        hex::encode(bypass.txid.0),
        format!("{}444f4e54534554", "00".repeat(25))
    );
    assert_eq!(bypass.index, 0);
    assert_eq!(test_bypass_collateral(flux_pow::Network::Mainnet), None);
    assert_eq!(test_bypass_collateral(flux_pow::Network::Devnet), None);
    let (_, prev) = test_pon_inputs();
    let unsigned = pon_header(bypass, prev, 1_600_000_000, 0x200f_ffff);
    assert_eq!(check_pon_signature(&Testnet, &unsigned, &[]), Ok(()));
    assert_eq!(check_pon_signature(&Regtest, &unsigned, &[]), Ok(()));
    assert_eq!(
        check_pon_signature(&Mainnet, &unsigned, &[]),
        Err(HeaderError::PonBadSignature)
    );
}

mod emergency {
    use super::*;
    use flux_consensus::check::pon::{EmergencyBlockError, EmergencyKeys, check_emergency_block};
    use flux_tx::keys::PrivateKey;

    const HEIGHT: BlockHeight = BlockHeight(2_030_000);

    fn keys() -> Vec<PrivateKey> {
        (31..35)
            .map(|seed| PrivateKey::from_secret_bytes([seed; 32], true).unwrap())
            .collect()
    }

    /// A 2-of-4 key set of keys this test holds (mainnet's are fluxd's own, unknown here).
    fn key_set(keys: &[PrivateKey]) -> EmergencyKeys {
        let hex: Vec<&'static str> = keys
            .iter()
            .map(|key| &*Box::leak(hex::encode(key.public_key().to_bytes()).into_boxed_str()))
            .collect();
        EmergencyKeys {
            public_keys: Box::leak(hex.into_boxed_slice()),
            min_signatures: 2,
            verify: true,
        }
    }

    fn unsigned() -> BlockHeader {
        let (_, prev) = test_pon_inputs();
        let mut header = pon_header(EMERGENCY_COLLATERAL, prev, 1_700_000_000, 0x200f_ffff);
        header.proof = BlockProof::Node {
            collateral: EMERGENCY_COLLATERAL,
            signature: Vec::new(),
        };
        header
    }

    /// `EncodeMultiSig`: CompactSize(count), then CompactSize(len) ‖ DER for each.
    fn with_set(header: &BlockHeader, signatures: &[Vec<u8>]) -> BlockHeader {
        let mut set = vec![signatures.len() as u8];
        for signature in signatures {
            set.push(signature.len() as u8);
            set.extend_from_slice(signature);
        }
        let mut signed = header.clone();
        signed.proof = BlockProof::Node {
            collateral: EMERGENCY_COLLATERAL,
            signature: set,
        };
        signed
    }

    fn sign(header: &BlockHeader, key: &PrivateKey) -> Vec<u8> {
        flux_tx::pon::sign_block(header, key)
    }

    fn refused(reason: EmergencyBlockError) -> Result<(), HeaderError> {
        Err(HeaderError::EmergencyBlock(reason))
    }

    #[test]
    fn two_distinct_keys_are_enough() {
        let keys = keys();
        let set = key_set(&keys);
        let header = unsigned();
        let both = with_set(&header, &[sign(&header, &keys[2]), sign(&header, &keys[0])]);
        assert_eq!(check_emergency_block(&Mainnet, &set, &both, HEIGHT), Ok(()));
        // A bad signature ahead of two good ones is skipped, as fluxd only counts the good.
        let noisy = with_set(
            &header,
            &[
                vec![0x30; 70],
                sign(&header, &keys[1]),
                sign(&header, &keys[3]),
            ],
        );
        assert_eq!(
            check_emergency_block(&Mainnet, &set, &noisy, HEIGHT),
            Ok(())
        );
        // A block that is not an emergency block is not this rule's business.
        let (collateral, prev) = test_pon_inputs();
        let ordinary = pon_header(collateral, prev, 1_700_000_000, 0x200f_ffff);
        assert_eq!(
            check_emergency_block(&Mainnet, &set, &ordinary, HEIGHT),
            Ok(())
        );
    }

    #[test]
    fn one_key_twice_counts_once() {
        let keys = keys();
        let set = key_set(&keys);
        let header = unsigned();
        let twice = with_set(&header, &[sign(&header, &keys[0]), sign(&header, &keys[0])]);
        let result = check_emergency_block(&Mainnet, &set, &twice, HEIGHT);
        assert_eq!(
            result,
            refused(EmergencyBlockError::NotEnoughValidSignatures { valid: 1, min: 2 })
        );
        assert_eq!(result.unwrap_err().misbehavior_score(), 100);
    }

    #[test]
    fn too_few_too_many_and_strangers() {
        let keys = keys();
        let set = key_set(&keys);
        let header = unsigned();
        let one = with_set(&header, &[sign(&header, &keys[0])]);
        assert_eq!(
            check_emergency_block(&Mainnet, &set, &one, HEIGHT),
            refused(EmergencyBlockError::TooFewSignatures { count: 1, min: 2 })
        );
        let five: Vec<Vec<u8>> = (0..5).map(|i| sign(&header, &keys[i % 4])).collect();
        assert_eq!(
            check_emergency_block(&Mainnet, &set, &with_set(&header, &five), HEIGHT),
            refused(EmergencyBlockError::TooManySignatures { count: 5, keys: 4 })
        );
        let stranger = PrivateKey::from_secret_bytes([99; 32], true).unwrap();
        let foreign = with_set(
            &header,
            &[sign(&header, &stranger), sign(&header, &keys[0])],
        );
        assert_eq!(
            check_emergency_block(&Mainnet, &set, &foreign, HEIGHT),
            refused(EmergencyBlockError::NotEnoughValidSignatures { valid: 1, min: 2 })
        );
        // Signatures made for another block do not count.
        let mut other = header.clone();
        other.time += 1;
        let moved = with_set(&header, &[sign(&other, &keys[0]), sign(&other, &keys[1])]);
        assert_eq!(
            check_emergency_block(&Mainnet, &set, &moved, HEIGHT),
            refused(EmergencyBlockError::NotEnoughValidSignatures { valid: 0, min: 2 })
        );
        // An empty or undecodable set has no signatures at all.
        assert_eq!(
            check_emergency_block(&Mainnet, &set, &header, HEIGHT),
            refused(EmergencyBlockError::TooFewSignatures { count: 0, min: 2 })
        );
    }

    #[test]
    fn an_oversized_signature_is_refused_only_before_the_threshold() {
        let keys = keys();
        let set = key_set(&keys);
        let header = unsigned();
        let mut oversized = sign(&header, &keys[0]);
        oversized.resize(74, 0);
        let first = with_set(&header, &[oversized.clone(), sign(&header, &keys[1])]);
        assert_eq!(
            check_emergency_block(&Mainnet, &set, &first, HEIGHT),
            refused(EmergencyBlockError::OversizedSignature { len: 74 })
        );
        // After two valid signatures fluxd stops looking.
        let last = with_set(
            &header,
            &[sign(&header, &keys[0]), sign(&header, &keys[1]), oversized],
        );
        assert_eq!(check_emergency_block(&Mainnet, &set, &last, HEIGHT), Ok(()));
    }

    #[test]
    fn a_truncated_set_keeps_what_was_read() {
        let keys = keys();
        let set = key_set(&keys);
        let header = unsigned();
        // Three announced, two complete, the third cut short: the two are enough for fluxd.
        let mut cut = with_set(
            &header,
            &[
                sign(&header, &keys[0]),
                sign(&header, &keys[1]),
                vec![0x30; 70],
            ],
        );
        if let BlockProof::Node { signature, .. } = &mut cut.proof {
            signature.truncate(signature.len() - 10);
        }
        assert_eq!(check_emergency_block(&Mainnet, &set, &cut, HEIGHT), Ok(()));
    }

    #[test]
    fn only_once_proof_of_node_is_active() {
        let keys = keys();
        let set = key_set(&keys);
        let header = unsigned();
        let both = with_set(&header, &[sign(&header, &keys[0]), sign(&header, &keys[1])]);
        assert_eq!(
            check_emergency_block(&Mainnet, &set, &both, BlockHeight(2_019_999)),
            refused(EmergencyBlockError::BeforeProofOfNode)
        );
    }

    #[test]
    fn network_key_tables() {
        for params in [&Mainnet as &dyn NetworkParams, &Testnet] {
            let set = params.emergency_keys();
            assert_eq!((set.public_keys.len(), set.min_signatures), (4, 2));
            assert!(set.verify);
            for key in set.public_keys {
                let bytes = hex::decode(key).unwrap();
                assert!(
                    flux_tx::keys::PublicKey::from_slice(&bytes).is_ok(),
                    "{key}"
                );
            }
        }
        // Regtest: testnet's keys, one signature, nothing verified.
        let regtest = Regtest.emergency_keys();
        assert_eq!(regtest.public_keys, Testnet.emergency_keys().public_keys);
        assert_eq!((regtest.min_signatures, regtest.verify), (1, false));
        let header = unsigned();
        let garbage = with_set(&header, &[vec![1, 2, 3]]);
        assert_eq!(
            check_emergency_block(&Regtest, &regtest, &garbage, BlockHeight(1)),
            Ok(())
        );
        // The devnet has no emergency signers.
        let devnet = flux_consensus::Devnet::default().emergency_keys();
        assert!(devnet.public_keys.is_empty());
    }
}

/// The dev fund of a proof-of-node coinbase, with pon.md §7's mainnet table (fluxd's numbers):
/// 14 FLUX blocks, tiers 1 / 3.5 / 9, dev fund 0.5 FLUX in year 0 and 0.45 FLUX in year 1.
mod dev_fund {
    use super::*;
    use flux_consensus::BlockError;
    use flux_consensus::RequiredPayout;
    use flux_consensus::check::block::{check_dev_fund_output, check_dev_fund_payout};
    use flux_tx::transaction::{StandardTx, TxBody, TxIn};
    use flux_tx::{Amount, Script, Transaction, TxOut};

    const PON: BlockHeight = BlockHeight(2_020_000);

    fn dev_script() -> Script {
        flux_tx::address::Address::parse(
            "t3hPu1YDeGUCp8m7BQCnnNUmRMJBa5RadyA",
            flux_pow::Network::Mainnet,
        )
        .unwrap()
        .script_pubkey()
    }

    fn other_script(seed: u8) -> Script {
        Script::from(flux_tx::script::standard::p2pkh(&[seed; 20]))
    }

    fn coinbase(outputs: Vec<(i64, Script)>) -> Transaction {
        Transaction {
            overwintered: false,
            version: 1,
            version_group_id: 0,
            body: TxBody::Standard(StandardTx {
                inputs: vec![TxIn {
                    prevout: OutPoint::NULL,
                    script_sig: Script::from(vec![3, 1, 2, 3]),
                    sequence: u32::MAX,
                }],
                outputs: outputs
                    .into_iter()
                    .map(|(value, script)| TxOut {
                        value,
                        script_pubkey: script,
                    })
                    .collect(),
                lock_time: 0,
                expiry_height: 0,
                sapling: Default::default(),
                join_splits: None,
            }),
        }
    }

    fn missing_output(zat: i64) -> Result<(), BlockError> {
        Err(BlockError::MissingDevFundOutput {
            amount: Amount::from_zat(zat).unwrap(),
        })
    }

    #[test]
    fn the_coinbase_pays_the_dev_fund_its_minimum() {
        let paid = coinbase(vec![(50_000_000, dev_script())]);
        assert_eq!(check_dev_fund_output(&Mainnet, &paid, PON), Ok(()));
        let short = coinbase(vec![(49_999_999, dev_script())]);
        assert_eq!(
            check_dev_fund_output(&Mainnet, &short, PON),
            missing_output(50_000_000)
        );
        let elsewhere = coinbase(vec![(50_000_000, other_script(1))]);
        assert_eq!(
            check_dev_fund_output(&Mainnet, &elsewhere, PON),
            missing_output(50_000_000)
        );
        // Year 1: 12.6 FLUX blocks leave 0.45 FLUX.
        let year_one = BlockHeight(2_020_000 + 1_051_200);
        assert_eq!(check_dev_fund_output(&Mainnet, &short, year_one), Ok(()));
        let error = check_dev_fund_output(&Mainnet, &coinbase(Vec::new()), year_one).unwrap_err();
        assert_eq!(error, missing_output(45_000_000).unwrap_err());
        assert!(
            error
                .to_string()
                .contains("tx-coinbase-missing-dev-funding")
        );
        // Before the upgrade there is no such rule, and on regtest the upgrade never activates
        // although every block is proof of node (fluxd's two activation checks disagree).
        assert_eq!(
            check_dev_fund_output(&Mainnet, &coinbase(Vec::new()), BlockHeight(2_019_999)),
            Ok(())
        );
        assert_eq!(
            check_dev_fund_output(&Regtest, &coinbase(Vec::new()), BlockHeight(500)),
            Ok(())
        );
    }

    #[test]
    fn a_tier_without_payee_leaves_its_share_to_the_dev_fund() {
        let payout = |tier, zat, seed| RequiredPayout {
            tier,
            payee: OutPoint {
                txid: Txid([seed; 32]),
                index: 0,
            },
            output: TxOut {
                value: zat,
                script_pubkey: other_script(seed),
            },
        };
        // No Stratus node: 14 - 1 - 3.5 = 9.5 FLUX to the dev fund.
        let required = [
            payout(flux_tx::Tier::Cumulus, 100_000_000, 1),
            payout(flux_tx::Tier::Nimbus, 350_000_000, 2),
        ];
        let full = coinbase(vec![
            (100_000_000, other_script(1)),
            (350_000_000, other_script(2)),
            (950_000_000, dev_script()),
        ]);
        assert_eq!(
            check_dev_fund_payout(&Mainnet, &full, PON, &required),
            Ok(())
        );
        let minimum_only = coinbase(vec![
            (100_000_000, other_script(1)),
            (350_000_000, other_script(2)),
            (50_000_000, dev_script()),
        ]);
        let error = check_dev_fund_payout(&Mainnet, &minimum_only, PON, &required).unwrap_err();
        assert_eq!(
            error,
            BlockError::MissingDevFundPayout {
                amount: Amount::from_zat(950_000_000).unwrap()
            }
        );
        assert_eq!(error.misbehavior_score(), 1);
        // An output that pays a node is not also the dev fund's, even with the dev fund script.
        let shared = [payout(flux_tx::Tier::Cumulus, 1_300_000_000, 9)];
        let mut shared_required = shared.clone();
        shared_required[0].output.script_pubkey = dev_script();
        let one_output = coinbase(vec![(1_300_000_000, dev_script())]);
        assert!(check_dev_fund_payout(&Mainnet, &one_output, PON, &shared_required).is_err());
        // Proof of work blocks pay no dev fund.
        assert_eq!(
            check_dev_fund_payout(&Mainnet, &coinbase(Vec::new()), BlockHeight(2_019_999), &[]),
            Ok(())
        );
    }
}
