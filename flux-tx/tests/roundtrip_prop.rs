//! Property tests: every encodable type decodes back to itself from its own encoding (every
//! transaction version and fluxnode layout, headers of both kinds, blocks, amounts and hashes),
//! block merkle roots follow the definition (checked by a test-side tree, itself checked on the
//! genesis blocks), and arbitrary bytes never make a decoder panic.

use flux_tx::block::{BlockProof, merkle_root};
use flux_tx::encode::{FluxDecode, FluxEncode};
use flux_tx::fluxnode::{
    CONFIRM_TX_TYPE, CollateralSigner, Delegates, FluxnodeConfirm, FluxnodeStart, FluxnodeTx,
    START_TX_TYPE,
};
use flux_tx::transaction::{
    JoinSplit, JoinSplitBundle, OutputDescription, SaplingBundle, SpendDescription, StandardTx,
};
use flux_tx::transaction::{OVERWINTER_VERSION_GROUP_ID, SAPLING_VERSION_GROUP_ID};
use flux_tx::{
    Amount, Block, BlockHash, BlockHeader, MAX_MONEY, MerkleRoot, OutPoint, SaplingRoot, Script,
    Transaction, TxBody, TxIn, TxOut, Txid,
};
use proptest::collection::vec;
use proptest::prelude::*;
use sha2::{Digest, Sha256};

mod common;

fn round_trip<T: FluxEncode + FluxDecode + PartialEq + core::fmt::Debug>(value: &T) {
    let bytes = value.encoded();
    let back = T::decode_exact(&bytes).expect("own encoding decodes");
    assert_eq!(&back, value);
    assert_eq!(back.encoded(), bytes);
}

/// A value of a fixed-size type decoded from exactly its size in random bytes.
fn fixed<T: FluxDecode + core::fmt::Debug>(size: usize) -> impl Strategy<Value = T> {
    vec(any::<u8>(), size).prop_map(|bytes| T::decode_exact(&bytes).expect("fixed-size type"))
}

fn hash32() -> impl Strategy<Value = [u8; 32]> {
    any::<[u8; 32]>()
}

fn outpoint() -> impl Strategy<Value = OutPoint> {
    (hash32(), any::<u32>()).prop_map(|(h, index)| OutPoint {
        txid: Txid(h),
        index,
    })
}

fn script() -> impl Strategy<Value = Script> {
    vec(any::<u8>(), 0..60).prop_map(Script::from)
}

fn txin() -> impl Strategy<Value = TxIn> {
    (outpoint(), script(), any::<u32>()).prop_map(|(prevout, script_sig, sequence)| TxIn {
        prevout,
        script_sig,
        sequence,
    })
}

fn txout() -> impl Strategy<Value = TxOut> {
    (any::<i64>(), script()).prop_map(|(value, script_pubkey)| TxOut {
        value,
        script_pubkey,
    })
}

fn pubkey() -> impl Strategy<Value = Vec<u8>> {
    vec(any::<u8>(), 0..=65)
}

fn join_splits(groth: bool) -> impl Strategy<Value = Option<JoinSplitBundle>> {
    let size = if groth { 1698 } else { JoinSplit::SIZE_PHGR };
    let description = vec(any::<u8>(), size).prop_map(move |bytes| {
        // A one-JoinSplit v2/v4 body parses the description with the right proof format.
        let mut tx = vec![
            if groth { 4 } else { 2 },
            0,
            0,
            if groth { 0x80 } else { 0 },
        ];
        if groth {
            tx.extend_from_slice(&SAPLING_VERSION_GROUP_ID.to_le_bytes());
        }
        tx.extend_from_slice(&[0, 0, 0, 0, 0, 0]); // no vin, vout; lock time
        if groth {
            tx.extend_from_slice(&[0; 4 + 8]); // expiry, valueBalance
            tx.extend_from_slice(&[0, 0]); // no spends, outputs
        }
        tx.push(1);
        tx.extend_from_slice(&bytes);
        tx.extend_from_slice(&[0; 96]);
        let parsed = Transaction::decode_exact(&tx).expect("one joinsplit");
        parsed
            .standard()
            .unwrap()
            .join_splits
            .clone()
            .unwrap()
            .join_splits[0]
            .clone()
    });
    prop_oneof![
        Just(None),
        (vec(description, 1..3), hash32(), vec(any::<u8>(), 64)).prop_map(
            |(join_splits, pub_key, signature)| Some(JoinSplitBundle {
                join_splits,
                pub_key,
                signature: signature.try_into().unwrap(),
            })
        ),
    ]
}

fn sapling() -> impl Strategy<Value = SaplingBundle> {
    (
        any::<i64>(),
        vec(fixed::<SpendDescription>(SpendDescription::SIZE), 0..2),
        vec(fixed::<OutputDescription>(OutputDescription::SIZE), 0..2),
        vec(any::<u8>(), 64),
    )
        .prop_map(|(value_balance, spends, outputs, sig)| {
            let binding_sig =
                (!spends.is_empty() || !outputs.is_empty()).then(|| sig.try_into().unwrap());
            SaplingBundle {
                value_balance,
                spends,
                outputs,
                binding_sig,
            }
        })
}

fn standard_tx() -> impl Strategy<Value = Transaction> {
    let transparent = (
        vec(txin(), 0..3),
        vec(txout(), 0..3),
        any::<u32>(),
        any::<u32>(),
    );
    (
        transparent,
        1..=4i32,
        sapling(),
        join_splits(false),
        join_splits(true),
    )
        .prop_map(
            |((inputs, outputs, lock_time, expiry), version, sapling, phgr, groth)| {
                let (overwintered, group) = match version {
                    3 => (true, OVERWINTER_VERSION_GROUP_ID),
                    4 => (true, SAPLING_VERSION_GROUP_ID),
                    _ => (false, 0),
                };
                Transaction {
                    overwintered,
                    version,
                    version_group_id: group,
                    body: TxBody::Standard(StandardTx {
                        inputs,
                        outputs,
                        lock_time,
                        expiry_height: if overwintered { expiry } else { 0 },
                        sapling: if version == 4 {
                            sapling
                        } else {
                            SaplingBundle::default()
                        },
                        join_splits: match version {
                            1 => None,
                            4 => groth,
                            _ => phgr,
                        },
                    }),
                }
            },
        )
}

fn delegates() -> impl Strategy<Value = Delegates> {
    (0..3i8, 0..3i8, vec(pubkey(), 0..4)).prop_map(|(version, kind, keys)| Delegates {
        version,
        kind,
        starting_keys: if version == 1 && kind == 1 {
            keys
        } else {
            Vec::new()
        },
    })
}

fn fluxnode_tx() -> impl Strategy<Value = Transaction> {
    let start = (
        prop_oneof![
            Just(None),
            Just(Some(1)),
            Just(Some(2)),
            Just(Some(0x101)),
            Just(Some(0x102))
        ],
        outpoint(),
        pubkey(),
        script(),
        pubkey(),
        any::<u32>(),
        vec(any::<u8>(), 0..80),
        proptest::option::of(delegates()),
    )
        .prop_map(
            |(
                internal_version,
                collateral,
                collateral_key,
                redeem,
                node_pubkey,
                sig_time,
                sig,
                delegates,
            )| {
                let p2sh = internal_version.is_some_and(|v| v & 2 != 0);
                let has_delegates = internal_version.is_some_and(|v| v & 0x100 != 0);
                FluxnodeTx::Start(FluxnodeStart {
                    internal_version,
                    collateral,
                    signer: if p2sh {
                        CollateralSigner::P2sh(redeem)
                    } else {
                        CollateralSigner::PubKey(collateral_key)
                    },
                    node_pubkey,
                    sig_time,
                    sig,
                    delegates: if has_delegates { delegates } else { None },
                })
            },
        );
    let confirm = (
        outpoint(),
        any::<(u32, i8, u32, i8)>(),
        vec(any::<u8>(), 0..30),
        vec(any::<u8>(), 0..80),
        vec(any::<u8>(), 0..80),
    )
        .prop_map(
            |(collateral, (sig_time, tier, bench_time, update), ip, sig, benchmark_sig)| {
                FluxnodeTx::Confirm(FluxnodeConfirm {
                    collateral,
                    sig_time,
                    benchmark_tier: tier,
                    benchmark_sig_time: bench_time,
                    update_type: update,
                    ip,
                    sig,
                    benchmark_sig,
                })
            },
        );
    let untyped = any::<i8>()
        .prop_filter("not START/CONFIRM", |t| {
            *t != START_TX_TYPE && *t != CONFIRM_TX_TYPE
        })
        .prop_map(FluxnodeTx::Untyped);
    (prop_oneof![start, confirm, untyped], any::<bool>()).prop_map(|(node, upgradeable)| {
        let version = match &node {
            FluxnodeTx::Start(start) if start.internal_version.is_some() => 6,
            FluxnodeTx::Start(_) => 5,
            _ if upgradeable => 6,
            _ => 5,
        };
        Transaction {
            overwintered: false,
            version,
            version_group_id: 0,
            body: TxBody::Fluxnode(node),
        }
    })
}

fn transaction() -> impl Strategy<Value = Transaction> {
    prop_oneof![standard_tx(), fluxnode_tx()]
}

fn header() -> impl Strategy<Value = BlockHeader> {
    let work = (hash32(), vec(any::<u8>(), 0..120))
        .prop_map(|(nonce, solution)| (4, BlockProof::Work { nonce, solution }));
    let node = (outpoint(), vec(any::<u8>(), 0..80)).prop_map(|(collateral, signature)| {
        (
            100,
            BlockProof::Node {
                collateral,
                signature,
            },
        )
    });
    (
        prop_oneof![work, node],
        hash32(),
        hash32(),
        hash32(),
        any::<u32>(),
        any::<u32>(),
    )
        .prop_map(
            |((version, proof), prev, merkle, sapling, time, bits)| BlockHeader {
                version,
                prev_block: BlockHash(prev),
                merkle_root: MerkleRoot(merkle),
                final_sapling_root: SaplingRoot(sapling),
                time,
                bits: flux_tx::Compact(bits),
                proof,
            },
        )
}

fn sha256d(data: &[u8]) -> [u8; 32] {
    Sha256::digest(Sha256::digest(data)).into()
}

/// The merkle root by its definition, sharing no code with flux-tx: hash the concatenation of
/// each pair of nodes with SHA-256d, pairing an odd last node with a copy of itself, until one node
/// is left (zero for no leaves). The flag says whether some level of even length ended in two
/// equal nodes (the CVE-2012-2459 mutation).
fn reference_merkle_root(leaves: &[[u8; 32]]) -> ([u8; 32], bool) {
    if leaves.is_empty() {
        return ([0; 32], false);
    }
    let mut level = leaves.to_vec();
    let mut mutated = false;
    while level.len() > 1 {
        let last = level[level.len() - 1];
        if level.len() % 2 == 1 {
            level.push(last);
        } else if level[level.len() - 2] == last {
            mutated = true;
        }
        level = level
            .chunks_exact(2)
            .map(|pair| sha256d(&[pair[0], pair[1]].concat()))
            .collect();
    }
    (level[0], mutated)
}

/// The reference tree against outside data: each genesis block's merkle root in
/// `shared/vectors/genesis.json` (one transaction each, so the root is the coinbase's SHA-256d),
/// with the txid hashed here from the coinbase's bytes.
#[test]
fn reference_merkle_root_matches_the_genesis_blocks() {
    let json = common::vectors::json("genesis.json");
    let coinbase = hex::decode(json["coinbase_tx_hex"].as_str().unwrap()).unwrap();
    let (root, mutated) = reference_merkle_root(&[sha256d(&coinbase)]);
    assert!(!mutated);
    let mut display = root;
    display.reverse();
    for network in ["main", "test", "regtest"] {
        let expected = json["networks"][network]["merkle_root"].as_str().unwrap();
        assert_eq!(hex::encode(display), expected, "{network}");
        let block_hex = json["networks"][network]["block_hex"].as_str().unwrap();
        let block = Block::decode_exact(&hex::decode(block_hex).unwrap()).unwrap();
        assert_eq!(block.compute_merkle_root(), (MerkleRoot(root), false));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Leaves drawn from a pool of three, so that odd levels, repeated leaves and mutated trees
    /// all come up.
    #[test]
    fn merkle_root_follows_the_definition(picks in vec(0usize..3, 0..12)) {
        let pool = [[0x11; 32], [0x22; 32], sha256d(b"flux")];
        let leaves: Vec<[u8; 32]> = picks.iter().map(|&i| pool[i]).collect();
        let txids: Vec<Txid> = leaves.iter().copied().map(Txid).collect();
        let (root, mutated) = merkle_root(&txids);
        prop_assert_eq!((root.0, mutated), reference_merkle_root(&leaves));
    }

    #[test]
    fn transactions_round_trip(tx in transaction()) {
        round_trip(&tx);
        // The txid never depends on fluxnode signatures.
        if let TxBody::Fluxnode(FluxnodeTx::Confirm(confirm)) = &tx.body {
            let mut resigned = tx.clone();
            let mut changed = confirm.clone();
            changed.sig.push(1);
            resigned.body = TxBody::Fluxnode(FluxnodeTx::Confirm(changed));
            prop_assert_eq!(resigned.txid(), tx.txid());
        }
    }

    #[test]
    fn blocks_and_headers_round_trip(header in header(), txs in vec(transaction(), 0..4)) {
        round_trip(&header);
        let block = Block { header, transactions: txs };
        round_trip(&block);
        let (root, mutated) = block.compute_merkle_root();
        let txids: Vec<[u8; 32]> = block.transactions.iter().map(|tx| tx.txid().0).collect();
        prop_assert_eq!((root.0, mutated), reference_merkle_root(&txids));
    }

    #[test]
    fn small_types_round_trip(outpoint in outpoint(), input in txin(), output in txout(), h in hash32()) {
        round_trip(&outpoint);
        round_trip(&input);
        round_trip(&output);
        round_trip(&Txid(h));
        round_trip(&BlockHash(h));
        prop_assert_eq!(Txid(h).to_string().parse::<Txid>().unwrap(), Txid(h));
    }

    #[test]
    fn amounts_format_and_parse_back(zat in 0..=MAX_MONEY) {
        let amount = Amount::from_zat(zat).unwrap();
        prop_assert_eq!(amount.to_string().parse::<Amount>().unwrap(), amount);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in vec(any::<u8>(), 0..600)) {
        let _ = Transaction::decode_exact(&bytes);
        let _ = Block::decode_exact(&bytes);
        let _ = BlockHeader::decode_exact(&bytes);
        let _ = OutPoint::decode_exact(&bytes);
    }

    #[test]
    fn mutated_encodings_never_panic(tx in transaction(), position in any::<usize>(), byte in any::<u8>()) {
        let mut bytes = tx.encoded();
        if !bytes.is_empty() {
            let at = position % bytes.len();
            bytes[at] = byte;
        }
        if let Ok(decoded) = Transaction::decode_exact(&bytes) {
            prop_assert_eq!(decoded.encoded(), bytes);
        }
    }
}
