//! A testnet chain mined from genesis past Acadia, block by block with the library's solver,
//! most blocks four times faster than the 60 s spacing: Digishield, LWMA and LWMA3 retarget
//! through the chain, the Equihash 144,5 fade window holds `powLimit`, a block more than two
//! spacings after its parent takes `powLimit` (the testnet min-difficulty rule), and the
//! consensus branch id changes at LWMA (height 70) and is first committed to by transactions at
//! Acadia (210), when the Sapling format becomes valid.
//!
//! A second test mines fluxd's own testnet difficulty chain (the daemon's bits for given block
//! times) and requires the chain to accept every block of it.
//!
//! The devnet tests never see any of this: the devnet's difficulty is fixed and its upgrades are
//! all active from block 1.
#![cfg(all(feature = "store", feature = "miner"))]
#![allow(clippy::print_stderr)]

mod common;

use std::time::Instant;

use common::MinedChain;
use flux_consensus::{
    AcceptOutcome, BlockError, HeaderError, NetworkParams, Testnet, TransactionError,
    TxValidationError,
};
use flux_pow::difficulty::{Compact, U256};
use flux_pow::{BlockHeight, Network, NetworkUpgrade};
use flux_tx::address::Address;
use flux_tx::builder::{Utxo, build_p2pkh};
use flux_tx::keys::PrivateKey;
use flux_tx::sighash::{SIGHASH_ALL, SignedInput};
use flux_tx::sign::{p2pkh_script_sig, sign_input};
use flux_tx::transaction::TxBody;
use flux_tx::{Amount, OutPoint, Script, Transaction};

/// `nPowTargetSpacing` of testnet (`chainparams.cpp`, `CTestNetParams`).
const SPACING: i64 = 60;
/// The time between most blocks: a quarter of the spacing, so that the retargets make the
/// blocks harder.
const FAST: i64 = SPACING / 4;
/// A late block: more than twice the spacing after its parent, so it may (and must) carry
/// `powLimit` (`pow.cpp:58-70`; `nPowAllowMinDifficultyBlocksAfterHeight` is 0 on testnet).
const LATE: i64 = 2 * SPACING + 1;
/// How much harder than `powLimit` the test lets a block become before it makes the next one
/// late: it bounds the solver's work (a `powLimit` block takes about 17 Equihash 48,5
/// solutions, a block at this bound about 140). On testnet LWMA3 puts the block after a
/// `powLimit` one at about 6.3 times its difficulty: its 67 % floor, `prev * 67 / 100`, wraps
/// modulo 2^256 as in the daemon (`pow.cpp:175-218`), so the bound must stay above that.
const MAX_DIFFICULTY: u64 = 8;
/// Every block at a multiple of this height is late as well, so that each era sees the
/// min-difficulty rule.
const LATE_EVERY: u32 = 25;
/// Testnet's upgrade heights (`chainparams.cpp:362-406`), written out so that a change of the
/// table shows up here as well as in the blocks.
const LWMA: u32 = 70;
const EQUIHASH_144_5: u32 = 140;
const ACADIA: u32 = 210;
/// The daemon's branch id of every upgrade from LWMA on (`upgrades.cpp:24-66`).
const FLUX_BRANCH_ID: u32 = 0x76b8_09bb;

/// The first block Digishield retargets: its parent has the 17 ancestors the average reads.
const FIRST_DIGISHIELD: u32 = 18;
/// The Equihash fade window's blocks, held at `powLimit` (`pow.cpp:31-35`: the parent's height
/// is in `eh_epoch_1_end() .. eh_epoch_1_end() + 60`, with `eh_epoch_1_end()` = 140 + 10 - 1).
const FADE_WINDOW: std::ops::RangeInclusive<u32> = 150..=210;
/// The block that spends a mature coinbase with a v4 transaction before Acadia, and is refused.
const EARLY_SPEND: u32 = 150;
/// The block that spends one with a v4 transaction under each branch id after Acadia.
const SPEND: u32 = 215;
/// The last block mined: past Acadia, below Kamiooka (280), the fluxnode payments (350) and
/// testnet's checkpoint at 320.
const LAST: u32 = 240;

/// A difficulty era: the blocks one algorithm retargets.
struct Era {
    name: &'static str,
    blocks: std::ops::RangeInclusive<u32>,
    /// Blocks whose bits differ from their parent's and are harder than `powLimit`.
    moved: u32,
    /// Late blocks, which took `powLimit`.
    late: u32,
    /// Whether the era's bits have been checked against a block that breaks them.
    probed: bool,
    /// The hardest target of the era's blocks.
    hardest: U256,
}

impl Era {
    fn new(name: &'static str, blocks: std::ops::RangeInclusive<u32>) -> Era {
        Era {
            name,
            blocks,
            moved: 0,
            late: 0,
            probed: false,
            hardest: U256::MAX,
        }
    }
}

/// The branch id signatures commit to at `height` on testnet: the launch's (0) below LWMA,
/// Flux's from LWMA on.
fn expected_branch_id(height: u32) -> u32 {
    if height < LWMA { 0 } else { FLUX_BRANCH_ID }
}

/// `tx` (one input spending `utxo`, signed by `key`) signed again under `branch_id`.
fn resigned(tx: &Transaction, utxo: &Utxo, key: &PrivateKey, branch_id: u32) -> Transaction {
    let signed = SignedInput {
        index: 0,
        script_code: utxo.script_pubkey.as_bytes(),
        amount: utxo.amount.zat(),
    };
    let signature = sign_input(tx, signed, SIGHASH_ALL as u8, branch_id, key).unwrap();
    let mut tx = tx.clone();
    let TxBody::Standard(body) = &mut tx.body else {
        panic!("a P2PKH payment is a standard transaction");
    };
    body.inputs[0].script_sig =
        Script::from(p2pkh_script_sig(&signature, &key.public_key().to_bytes()));
    tx
}

/// A v4 payment of half of block 1's coinbase back to the miner, built by the wallet builder
/// for `height` on testnet, with the input it spends.
fn payment(net: &MinedChain, height: u32) -> (Transaction, Utxo) {
    let utxo = net.coinbase_utxo(1);
    let to = Address::from_public_key(&net.miner.public_key(), Network::Testnet);
    let half = Amount::from_zat(utxo.amount.zat() / 2).unwrap();
    let tx = build_p2pkh(
        &net.miner,
        std::slice::from_ref(&utxo),
        &[(to, half)],
        Amount::from_zat(10_000).unwrap(),
        &to,
        Network::Testnet,
        BlockHeight(height),
    )
    .unwrap();
    (tx, utxo)
}

/// Checks that the chain enforces the next block's bits both ways: a block on time may not take
/// `powLimit` when the rules ask for more (not even exactly two spacings after its parent), and
/// a late block must take `powLimit`, not the retargeted bits. Leaves the tip unchanged.
fn probe_bits(net: &mut MinedChain, on_time_bits: Compact, limit_bits: Compact) {
    let tip = net.chain.tip();
    let parent = net.tip_header();
    for gap in [FAST, 2 * SPACING] {
        let easy = net.mine_block(parent.time + gap, limit_bits, Vec::new(), Amount::ZERO);
        assert_eq!(
            net.accept(&easy),
            Err(BlockError::Header(HeaderError::BadDiffBits {
                expected: on_time_bits.0,
                got: limit_bits.0,
            })),
            "a block {gap} s after its parent keeps the retargeted bits"
        );
    }
    let hard = net.mine_block(parent.time + LATE, on_time_bits, Vec::new(), Amount::ZERO);
    assert_eq!(
        net.accept(&hard),
        Err(BlockError::Header(HeaderError::BadDiffBits {
            expected: limit_bits.0,
            got: on_time_bits.0,
        })),
        "a late block takes powLimit"
    );
    assert_eq!(net.chain.tip(), tip);
}

/// The last block of fluxd's testnet difficulty chain mined below: testnet's checkpoint at 320
/// names a block of the real testnet.
const LAST_DAEMON_BLOCK: u32 = 319;

/// fluxd's own difficulty over a testnet chain (`difficulty_chains.json`, chain `test_full`: each
/// block's bits computed by the daemon's `pow.cpp` for random block times): every block is mined
/// with the vector's time and bits and the chain must accept it, through the min-difficulty
/// rule, Digishield, LWMA, the 144,5 fade window, LWMA3 with its wrapping clamps and the start
/// of the ZelHash ramp. Bits the chain computed differently from the daemon would refuse a block.
#[test]
fn the_daemons_testnet_difficulty_chain_is_accepted() {
    let started = Instant::now();
    let vectors = common::vectors::json("difficulty_chains.json");
    let blocks = vectors["chains"]
        .as_array()
        .unwrap()
        .iter()
        .find(|chain| chain["name"] == "test_full")
        .unwrap()["blocks"]
        .as_array()
        .unwrap();
    let field = |height: u32, index: usize| -> i64 {
        let block = &blocks[height as usize];
        assert_eq!(block[0].as_u64(), Some(u64::from(height)));
        match block[index].as_str() {
            Some(hex) => i64::from_str_radix(hex, 16).unwrap(),
            None => block[index].as_i64().unwrap(),
        }
    };
    let mut net = MinedChain::open(Testnet);
    let genesis = net.tip_header();
    assert_eq!(
        (genesis.time, i64::from(genesis.bits.0)),
        (field(0, 1), field(0, 2))
    );

    let limit_bits = Compact::from_target(Testnet.difficulty_params().pow_limit);
    let mut retargeted = 0;
    for height in 1..=LAST_DAEMON_BLOCK {
        let time = field(height, 1);
        let bits = Compact(u32::try_from(field(height, 2)).unwrap());
        assert_eq!(field(height, 3), 4);
        let parent = net.tip_header();
        if time <= parent.time + 2 * SPACING {
            // Not late: the template, which knows no block time, agrees with the daemon.
            assert_eq!(net.template().bits, bits, "template bits at {height}");
        }
        if bits != limit_bits {
            retargeted += 1;
        }
        let block = net.mine_block(time, bits, Vec::new(), Amount::ZERO);
        assert_eq!(
            net.accept(&block),
            Ok(AcceptOutcome::Extended {
                height: BlockHeight(height)
            }),
            "the daemon's block {height}"
        );
    }
    assert!(retargeted >= 20, "only {retargeted} blocks above powLimit");
    eprintln!(
        "{LAST_DAEMON_BLOCK} blocks of the daemon's chain, {retargeted} above powLimit, {} nonces, {:.1} s",
        net.nonces_tried,
        started.elapsed().as_secs_f64()
    );
}

#[test]
fn testnet_chain_retargets_and_crosses_the_upgrades() {
    let started = Instant::now();
    let params = Testnet;
    for (upgrade, height) in [
        (NetworkUpgrade::Lwma, LWMA),
        (NetworkUpgrade::Equihash144_5, EQUIHASH_144_5),
        (NetworkUpgrade::Acadia, ACADIA),
    ] {
        assert_eq!(params.activation_height(upgrade), Some(BlockHeight(height)));
    }
    let pow_limit = params.difficulty_params().pow_limit;
    let limit_bits = Compact::from_target(pow_limit);
    let hardest_allowed = pow_limit.checked_div_u64(MAX_DIFFICULTY).unwrap();

    let mut net = MinedChain::open(params);
    let mut eras = [
        Era::new("Digishield", FIRST_DIGISHIELD..=LWMA - 1),
        Era::new("LWMA", LWMA..=*FADE_WINDOW.start() - 1),
        Era::new("LWMA3", *FADE_WINDOW.end() + 1..=LAST),
    ];
    let mut branch_ids_seen = Vec::new();

    for height in 1..=LAST {
        let parent = net.tip_header();
        let on_time_bits = net.required_bits(parent.time + FAST);

        // The template knows no block time: its bits are those of a block on time.
        let template = net.template();
        assert_eq!(template.height, BlockHeight(height));
        assert_eq!(template.bits, on_time_bits, "template bits at {height}");
        assert_eq!(
            template.branch_id,
            expected_branch_id(height),
            "at {height}"
        );
        assert_eq!(template.sapling_coinbase, height >= ACADIA, "at {height}");
        if branch_ids_seen.last() != Some(&template.branch_id) {
            branch_ids_seen.push(template.branch_id);
        }

        if height < FIRST_DIGISHIELD || FADE_WINDOW.contains(&height) {
            assert_eq!(on_time_bits, limit_bits, "block {height} is at powLimit");
        }
        let era = eras.iter_mut().find(|era| era.blocks.contains(&height));
        if let Some(era) = era
            && !era.probed
            && on_time_bits != limit_bits
        {
            probe_bits(&mut net, on_time_bits, limit_bits);
            era.probed = true;
        }

        let late = height.is_multiple_of(LATE_EVERY) || on_time_bits.target() < hardest_allowed;
        let time = if late {
            parent.time + LATE
        } else {
            parent.time + FAST
        };
        let bits = net.required_bits(time);
        if late {
            assert_eq!(bits, limit_bits, "the late block {height} takes powLimit");
        } else {
            assert_eq!(bits, on_time_bits);
        }

        let mut transactions = Vec::new();
        let mut fees = Amount::ZERO;
        if height == EARLY_SPEND {
            // Block 1's coinbase is mature, but the v4 format is not valid before Acadia.
            let (tx, _) = payment(&net, height);
            assert!(matches!(
                net.chain.validate_transaction(&tx),
                Err(TxValidationError::Invalid(
                    TransactionError::OverwinterNotActive
                ))
            ));
        }
        if height == SPEND {
            let (right, utxo) = payment(&net, height);
            // What a wallet signs that still uses the branch id of the blocks before LWMA.
            let stale_branch_id =
                NetworkUpgrade::branch_id_at(Network::Testnet, BlockHeight(LWMA - 1));
            assert_eq!(stale_branch_id, 0);
            assert_eq!(
                resigned(&right, &utxo, &net.miner, FLUX_BRANCH_ID),
                right,
                "re-signing changes nothing but the branch id"
            );
            let wrong = resigned(&right, &utxo, &net.miner, stale_branch_id);
            assert_ne!(wrong, right);
            assert!(matches!(
                net.chain.validate_transaction(&wrong),
                Err(TxValidationError::Invalid(TransactionError::Script(_)))
            ));
            let fee = net.chain.validate_transaction(&right).unwrap();
            assert_eq!(fee, Amount::from_zat(10_000).unwrap());

            let tip = net.chain.tip();
            let refused = net.mine_block(time, bits, vec![wrong.clone()], fee);
            match net.accept(&refused) {
                Err(BlockError::Transaction {
                    index: 1,
                    txid,
                    error: TransactionError::Script(_),
                }) => assert_eq!(txid, wrong.txid()),
                other => panic!("a block with the stale signature: {other:?}"),
            }
            assert_eq!(net.chain.tip(), tip);
            assert!(net.chain.utxo(&utxo.outpoint).unwrap().is_some());
            transactions.push(right);
            fees = fee;
        }

        let block = net.mine_block(time, bits, transactions, fees);
        assert_eq!(
            net.accept(&block),
            Ok(AcceptOutcome::Extended {
                height: BlockHeight(height)
            }),
            "block {height}"
        );
        assert_eq!(net.chain.tip(), (BlockHeight(height), block.hash()));
        assert_eq!(net.tip_header().bits, bits);

        if let Some(era) = eras.iter_mut().find(|era| era.blocks.contains(&height)) {
            if bits.target() < era.hardest {
                era.hardest = bits.target();
            }
            if late {
                era.late += 1;
            } else if bits != parent.bits && bits.target() < pow_limit {
                era.moved += 1;
            }
        }
    }

    // The spent coinbase output is gone and the payment's outputs are in the UTXO set.
    let spend_block = net
        .chain
        .block(&net.chain.block_hash(BlockHeight(SPEND)).unwrap().unwrap())
        .unwrap()
        .unwrap();
    let payment_tx = &spend_block.transactions[1];
    assert!(
        net.chain
            .utxo(&payment_tx.inputs()[0].prevout)
            .unwrap()
            .is_none()
    );
    for index in 0..2 {
        let outpoint = OutPoint {
            txid: payment_tx.txid(),
            index,
        };
        assert!(net.chain.utxo(&outpoint).unwrap().is_some());
    }
    assert_eq!(branch_ids_seen, [0, FLUX_BRANCH_ID]);
    for era in &eras {
        eprintln!(
            "{}: {} blocks retargeted harder, {} late, at most {} times powLimit's difficulty",
            era.name,
            era.moved,
            era.late,
            pow_limit.checked_div(era.hardest).unwrap().low_u64()
        );
        assert!(era.probed, "{}: no block above powLimit to probe", era.name);
        assert!(
            era.moved >= 5,
            "{}: only {} blocks moved the bits",
            era.name,
            era.moved
        );
        assert!(
            era.late >= 1,
            "{}: the min-difficulty rule never ran",
            era.name
        );
    }
    eprintln!(
        "{LAST} blocks, {} nonces, {:.1} s",
        net.nonces_tried,
        started.elapsed().as_secs_f64()
    );
}
