//! Property tests for the P2P messages: every message type round-trips through a whole frame
//! and through a stream cut at any point; arbitrary payloads under every command and mutated
//! frames never panic, and whatever decodes re-encodes to the same bytes.
//!
//! The strategies build valid messages (lists within fluxd's limits, strings within theirs), so
//! every generated case reaches the round-trip assertion; `round_trip_share_is_measured` runs
//! the same strategy through a counting runner and requires that share to be 100%, and measures
//! how many byte-mutated frames still decode.

use std::cell::Cell;

use flux_tx::p2p::frame::{FRAME_HEADER_SIZE, checksum};
use flux_tx::p2p::{
    Alert, BlockTransactions, BlockTransactionsRequest, Command, CompactBlock, CompactHeader,
    CompactProof, FilterLoad, Inventory, LocatorRequest, MerkleBlock, MessageStatus, NetAddress,
    NetworkMessage, PrefilledTransaction, RejectCode, RejectMessage, SendCompact, ServiceFlags,
    ShortTxId, TimestampedAddress, VersionMessage, decode_message,
};
use flux_tx::transaction::{OVERWINTER_VERSION_GROUP_ID, SAPLING_VERSION_GROUP_ID};
use flux_tx::transaction::{SaplingBundle, StandardTx};
use flux_tx::{
    Block, BlockHash, BlockHeader, BlockProof, MerkleRoot, OutPoint, SaplingRoot, Script,
    Transaction, TxBody, TxIn, TxOut, Txid,
};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

const MAINNET: [u8; 4] = [0x24, 0xe9, 0x27, 0x64];

/// Every command with a typed variant, for the arbitrary-payload property.
const TYPED_COMMANDS: [&str; 27] = [
    "version",
    "verack",
    "ping",
    "pong",
    "addr",
    "getaddr",
    "inv",
    "getdata",
    "notfound",
    "getheaders",
    "getblocks",
    "headers",
    "cmpheaders",
    "block",
    "tx",
    "cmpctblock",
    "getblocktxn",
    "blocktxn",
    "merkleblock",
    "mempool",
    "reject",
    "sendheaders",
    "sendcmpct",
    "alert",
    "filterload",
    "filteradd",
    "filterclear",
];

fn hash32() -> impl Strategy<Value = [u8; 32]> {
    any::<[u8; 32]>()
}

fn outpoint() -> impl Strategy<Value = OutPoint> {
    (hash32(), any::<u32>()).prop_map(|(hash, index)| OutPoint {
        txid: Txid(hash),
        index,
    })
}

fn net_address() -> impl Strategy<Value = NetAddress> {
    (any::<u64>(), any::<[u8; 16]>(), any::<u16>()).prop_map(|(services, ip, port)| NetAddress {
        services: ServiceFlags(services),
        ip: ip.into(),
        port,
    })
}

fn version() -> impl Strategy<Value = VersionMessage> {
    (
        (any::<i32>(), any::<u64>(), any::<i64>()),
        (net_address(), net_address(), any::<u64>()),
        vec(any::<u8>(), 0..=256),
        any::<i32>(),
        proptest::option::of(any::<bool>()),
    )
        .prop_map(
            |(
                (version, services, timestamp),
                (receiver, sender, nonce),
                user_agent,
                height,
                relay,
            )| {
                VersionMessage {
                    version,
                    services: ServiceFlags(services),
                    timestamp,
                    receiver,
                    sender,
                    nonce,
                    user_agent,
                    start_height: height,
                    relay,
                }
            },
        )
}

fn inventory() -> impl Strategy<Value = Inventory> {
    // Mostly the four typed kinds, sometimes any other number.
    let kind = prop_oneof![4 => 1..=3u32, 1 => Just(11u32), 2 => any::<u32>()];
    (kind, hash32()).prop_map(|(kind, hash)| Inventory::from_parts(kind, hash))
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
        (hash32(), hash32(), hash32()),
        any::<u32>(),
        any::<u32>(),
    )
        .prop_map(
            |((version, proof), (prev, merkle, sapling), time, bits)| BlockHeader {
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

fn compact_header() -> impl Strategy<Value = CompactHeader> {
    (header(), hash32()).prop_map(|(header, claimed)| {
        let mut compact = CompactHeader::from_header(&header);
        // A sender's claimed hash is not checked by the codec: any 32 bytes travel.
        if let CompactProof::Work { block_hash, .. } = &mut compact.proof {
            *block_hash = BlockHash(claimed);
        }
        compact
    })
}

/// Transparent transactions of versions 1 to 4; the shielded and fluxnode layouts are covered
/// by `roundtrip_prop.rs`, and a `tx` payload is exactly a transaction's encoding.
fn transaction() -> impl Strategy<Value = Transaction> {
    let input = (outpoint(), vec(any::<u8>(), 0..40), any::<u32>()).prop_map(
        |(prevout, script, sequence)| TxIn {
            prevout,
            script_sig: Script::from(script),
            sequence,
        },
    );
    let output = (any::<i64>(), vec(any::<u8>(), 0..40)).prop_map(|(value, script)| TxOut {
        value,
        script_pubkey: Script::from(script),
    });
    (
        1..=4i32,
        vec(input, 0..3),
        vec(output, 0..3),
        any::<u32>(),
        any::<u32>(),
    )
        .prop_map(|(version, inputs, outputs, lock_time, expiry)| {
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
                    sapling: SaplingBundle::default(),
                    join_splits: None,
                }),
            }
        })
}

fn compact_block() -> impl Strategy<Value = CompactBlock> {
    let prefilled =
        (any::<u16>(), transaction()).prop_map(|(index_delta, transaction)| PrefilledTransaction {
            index_delta,
            transaction,
        });
    (
        header(),
        any::<u64>(),
        vec(any::<[u8; 6]>().prop_map(ShortTxId), 0..10),
        vec(prefilled, 0..3),
    )
        .prop_map(|(header, nonce, short_ids, prefilled)| CompactBlock {
            header,
            nonce,
            short_ids,
            prefilled,
        })
}

fn locator() -> impl Strategy<Value = LocatorRequest> {
    (any::<i32>(), vec(hash32(), 0..12), hash32()).prop_map(|(version, hashes, stop)| {
        LocatorRequest {
            version,
            locator: hashes.into_iter().map(BlockHash).collect(),
            stop: BlockHash(stop),
        }
    })
}

fn reject() -> impl Strategy<Value = RejectMessage> {
    (
        vec(any::<u8>(), 0..=12),
        any::<u8>(),
        vec(any::<u8>(), 0..=111),
        proptest::option::of(hash32()),
    )
        .prop_map(|(message, code, reason, hash)| RejectMessage {
            message,
            code: RejectCode(code),
            reason,
            hash,
        })
}

/// Commands without a typed variant: an `x` keeps them apart from every typed command.
fn unknown() -> impl Strategy<Value = NetworkMessage> {
    ("x[ -~]{0,11}", vec(any::<u8>(), 0..200)).prop_map(|(name, payload)| NetworkMessage::Unknown {
        command: Command::new(&name).expect("printable ASCII of at most 12 bytes"),
        payload,
    })
}

fn message() -> impl Strategy<Value = NetworkMessage> {
    prop_oneof![
        version().prop_map(NetworkMessage::Version),
        Just(NetworkMessage::Verack),
        any::<u64>().prop_map(NetworkMessage::Ping),
        any::<u64>().prop_map(NetworkMessage::Pong),
        vec(
            (any::<u32>(), net_address())
                .prop_map(|(time, address)| TimestampedAddress { time, address }),
            0..8
        )
        .prop_map(NetworkMessage::Addr),
        Just(NetworkMessage::GetAddr),
        vec(inventory(), 0..8).prop_map(NetworkMessage::Inv),
        vec(inventory(), 0..8).prop_map(NetworkMessage::GetData),
        vec(inventory(), 0..8).prop_map(NetworkMessage::NotFound),
        locator().prop_map(NetworkMessage::GetHeaders),
        locator().prop_map(NetworkMessage::GetBlocks),
        vec(header(), 0..4).prop_map(NetworkMessage::Headers),
        vec(compact_header(), 0..4).prop_map(NetworkMessage::CompactHeaders),
        (header(), vec(transaction(), 0..3)).prop_map(|(header, transactions)| {
            NetworkMessage::Block(Block {
                header,
                transactions,
            })
        }),
        transaction().prop_map(NetworkMessage::Tx),
        compact_block().prop_map(NetworkMessage::CompactBlock),
        (hash32(), vec(any::<u16>(), 0..10)).prop_map(|(hash, indexes)| {
            NetworkMessage::GetBlockTxn(BlockTransactionsRequest {
                block_hash: BlockHash(hash),
                indexes,
            })
        }),
        (hash32(), vec(transaction(), 0..3)).prop_map(|(hash, transactions)| {
            NetworkMessage::BlockTxn(BlockTransactions {
                block_hash: BlockHash(hash),
                transactions,
            })
        }),
        (
            header(),
            any::<u32>(),
            vec(hash32(), 0..6),
            vec(any::<u8>(), 0..4)
        )
            .prop_map(|(header, total_transactions, hashes, flags)| {
                NetworkMessage::MerkleBlock(MerkleBlock {
                    header,
                    total_transactions,
                    hashes,
                    flags,
                })
            }),
        Just(NetworkMessage::MemPool),
        reject().prop_map(NetworkMessage::Reject),
        Just(NetworkMessage::SendHeaders),
        (any::<bool>(), any::<u64>()).prop_map(|(announce, version)| NetworkMessage::SendCompact(
            SendCompact { announce, version }
        )),
        (vec(any::<u8>(), 0..100), vec(any::<u8>(), 0..80)).prop_map(|(payload, signature)| {
            NetworkMessage::Alert(Alert { payload, signature })
        }),
        (
            vec(any::<u8>(), 0..100),
            0..=50u32,
            any::<u32>(),
            any::<u8>()
        )
            .prop_map(
                |(filter, hash_funcs, tweak, flags)| NetworkMessage::FilterLoad(FilterLoad {
                    filter,
                    hash_funcs,
                    tweak,
                    flags
                })
            ),
        vec(any::<u8>(), 0..=520).prop_map(NetworkMessage::FilterAdd),
        Just(NetworkMessage::FilterClear),
        unknown(),
    ]
}

/// Encodes `message` in a frame and decodes it back; `true` once the round-trip assertions
/// have run.
fn check_round_trip(message: &NetworkMessage) -> Result<bool, TestCaseError> {
    let bytes = message.encode_frame(MAINNET).expect("within 2 MiB");
    prop_assert_eq!(&bytes[4..16], &message.command().to_field());
    let status = decode_message(MAINNET, &bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let MessageStatus::Complete {
        message: decoded,
        frame_len,
    } = status
    else {
        return Err(TestCaseError::fail("a whole frame asked for more bytes"));
    };
    prop_assert_eq!(frame_len, bytes.len());
    prop_assert_eq!(&decoded, message);
    prop_assert_eq!(decoded.encode_frame(MAINNET).expect("same size"), bytes);
    Ok(true)
}

/// Decodes a frame that may be malformed; anything that decodes must re-encode to its bytes.
/// `true` when it decoded.
fn check_decodes_or_errs(bytes: &[u8]) -> Result<bool, TestCaseError> {
    match decode_message(MAINNET, bytes) {
        Ok(MessageStatus::Complete { message, frame_len }) => {
            prop_assert_eq!(
                message.encode_frame(MAINNET).expect("decoded within 2 MiB"),
                &bytes[..frame_len]
            );
            Ok(true)
        }
        Ok(MessageStatus::NeedMoreBytes { .. }) | Err(_) => Ok(false),
    }
}

/// A frame around `payload` with a correct checksum, so that the payload decoder is reached.
fn frame(command: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = MAINNET.to_vec();
    out.extend_from_slice(&Command::new(command).unwrap().to_field());
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(&checksum(payload));
    out.extend_from_slice(payload);
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn every_message_round_trips(message in message()) {
        prop_assert!(check_round_trip(&message)?);
    }

    #[test]
    fn a_stream_cut_anywhere_asks_for_the_rest(message in message(), cut in any::<prop::sample::Index>()) {
        let bytes = message.encode_frame(MAINNET).unwrap();
        let at = cut.index(bytes.len());
        let needed = if at < FRAME_HEADER_SIZE { FRAME_HEADER_SIZE - at } else { bytes.len() - at };
        prop_assert_eq!(
            decode_message(MAINNET, &bytes[..at]),
            Ok(MessageStatus::NeedMoreBytes { needed })
        );
        // Bytes of the next frame behind this one are left alone.
        let mut two = bytes.clone();
        two.extend_from_slice(&bytes);
        let status = decode_message(MAINNET, &two).unwrap();
        let whole_first = matches!(status, MessageStatus::Complete { frame_len, .. } if frame_len == bytes.len());
        prop_assert!(whole_first, "the first of two frames is read alone");
    }

    #[test]
    fn arbitrary_payloads_never_panic(which in 0..TYPED_COMMANDS.len(), payload in vec(any::<u8>(), 0..400)) {
        check_decodes_or_errs(&frame(TYPED_COMMANDS[which], &payload))?;
    }

    #[test]
    fn arbitrary_frames_never_panic(bytes in vec(any::<u8>(), 0..200)) {
        // With the right magic in front, so the header checks are exercised too.
        let mut framed = MAINNET.to_vec();
        framed.extend_from_slice(&bytes);
        check_decodes_or_errs(&framed)?;
        check_decodes_or_errs(&bytes)?;
    }
}

/// Flips one payload byte of a valid message and re-seals the checksum, so that the payload
/// decoder sees the mutation.
fn mutated(message: &NetworkMessage, position: usize, byte: u8) -> Vec<u8> {
    let mut payload = message.payload();
    if !payload.is_empty() {
        let at = position % payload.len();
        payload[at] ^= byte | 1;
    }
    frame(message.command().as_str(), &payload)
}

/// A runner configuration for the counting runs: nothing to persist, they only measure.
fn counting_config(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

#[test]
fn round_trip_share_is_measured() {
    const CASES: u32 = 512;
    let generated = Cell::new(0u32);
    let reached = Cell::new(0u32);
    let mut runner = TestRunner::new(counting_config(CASES));
    runner
        .run(&message(), |message| {
            generated.set(generated.get() + 1);
            if check_round_trip(&message)? {
                reached.set(reached.get() + 1);
            }
            Ok(())
        })
        .unwrap();
    assert_eq!(generated.get(), CASES);
    // Every valid message must reach the round-trip assertion.
    assert_eq!(reached.get(), generated.get());

    // Mutated frames: some still decode (and then round-trip), most do not; both happen.
    let tried = Cell::new(0u32);
    let decoded = Cell::new(0u32);
    let mut runner = TestRunner::new(counting_config(CASES));
    runner
        .run(
            &(message(), any::<usize>(), any::<u8>()),
            |(message, position, byte)| {
                tried.set(tried.get() + 1);
                if check_decodes_or_errs(&mutated(&message, position, byte))? {
                    decoded.set(decoded.get() + 1);
                }
                Ok(())
            },
        )
        .unwrap();
    assert!(decoded.get() > 0 && decoded.get() < tried.get());
    if std::env::var_os("FLUX_P2P_PROP_SHARE").is_some() {
        #[allow(clippy::print_stderr)]
        {
            eprintln!(
                "valid messages reaching the round-trip assertion: {}/{}; mutated frames that still decode: {}/{}",
                reached.get(),
                generated.get(),
                decoded.get(),
                tried.get()
            );
        }
    }
}
