//! P2P messages on concrete bytes: the mainnet genesis block inside `block`, `headers` and
//! `cmpheaders` frames, a `version` laid out field by field as fluxd's `PushVersion` writes it,
//! a proof-of-node header, and every length cap refusing before it allocates.

use flux_tx::encode::{DecodeError, FluxDecode, FluxEncode, write_compact_size};
use flux_tx::p2p::frame::{FRAME_HEADER_SIZE, checksum};
use flux_tx::p2p::{
    BlockTransactions, BlockTransactionsRequest, Command, CompactBlock, CompactHeader,
    CompactProof, FilterLoad, FrameError, Inventory, LocatorRequest, MerkleBlock, MessageError,
    MessageStatus, NetAddress, NetworkMessage, PayloadError, PrefilledTransaction, RejectCode,
    RejectMessage, SendCompact, ServiceFlags, ShortTxId, VersionMessage, decode_message,
};
use flux_tx::{Block, BlockHash, BlockHeader, BlockProof, OutPoint, Txid};

mod common;

const MAINNET: [u8; 4] = [0x24, 0xe9, 0x27, 0x64];
const GENESIS_HASH: &str = "00052461a5006c2e3b74ce48992a08695607912d5604c3eb8da25749b0900444";

fn genesis_block_bytes() -> Vec<u8> {
    let json = common::vectors::json("genesis.json");
    hex::decode(json["networks"]["main"]["block_hex"].as_str().unwrap()).unwrap()
}

/// Decodes a whole frame that must be exactly `bytes`, and checks that it re-encodes to them.
fn decode_whole(bytes: &[u8]) -> NetworkMessage {
    match decode_message(MAINNET, bytes) {
        Ok(MessageStatus::Complete { message, frame_len }) => {
            assert_eq!(frame_len, bytes.len());
            assert_eq!(message.encode_frame(MAINNET).unwrap(), bytes);
            message
        }
        other => panic!("expected a whole message, got {other:?}"),
    }
}

fn frame(command: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = MAINNET.to_vec();
    let mut field = [0u8; 12];
    field[..command.len()].copy_from_slice(command.as_bytes());
    out.extend_from_slice(&field);
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(&checksum(payload));
    out.extend_from_slice(payload);
    out
}

fn payload_error(bytes: &[u8]) -> PayloadError {
    match decode_message(MAINNET, bytes) {
        Err(MessageError::Payload { source, .. }) => source,
        other => panic!("expected a payload error, got {other:?}"),
    }
}

#[test]
fn verack_is_the_well_known_frame() {
    let bytes = hex::decode("24e9276476657261636b000000000000000000005df6e0e2").unwrap();
    assert_eq!(decode_whole(&bytes), NetworkMessage::Verack);
    // An empty message with a payload is malformed, not silently accepted.
    assert!(matches!(
        payload_error(&frame("verack", &[0])),
        PayloadError::UnexpectedPayload { len: 1, .. }
    ));
}

#[test]
fn genesis_block_travels_in_block_headers_and_cmpheaders() {
    let block_bytes = genesis_block_bytes();
    let NetworkMessage::Block(block) = decode_whole(&frame("block", &block_bytes)) else {
        panic!("a block");
    };
    let genesis_hash: BlockHash = GENESIS_HASH.parse().unwrap();
    assert_eq!(block.hash(), genesis_hash);

    // `headers`: the header followed by a zero transaction count.
    let header_bytes = block.header.encoded();
    assert_eq!(header_bytes.len(), 1487);
    let mut payload = vec![1];
    payload.extend_from_slice(&header_bytes);
    payload.push(0);
    let NetworkMessage::Headers(headers) = decode_whole(&frame("headers", &payload)) else {
        panic!("headers");
    };
    assert_eq!(headers, std::slice::from_ref(&block.header));
    // A headers entry that claims transactions cannot be re-encoded as sent.
    *payload.last_mut().unwrap() = 1;
    assert_eq!(
        payload_error(&frame("headers", &payload)),
        PayloadError::HeaderWithTransactions { index: 0, count: 1 }
    );

    // `cmpheaders`: 140 bytes up to the nonce, then the block hash instead of the solution.
    let compact = CompactHeader::from_header(&block.header);
    let compact_bytes = compact.encoded();
    assert_eq!(compact_bytes.len(), 172);
    assert_eq!(compact_bytes[..140], header_bytes[..140]);
    assert_eq!(compact_bytes[140..], genesis_hash.0);
    let mut payload = vec![1];
    payload.extend_from_slice(&compact_bytes);
    let NetworkMessage::CompactHeaders(entries) = decode_whole(&frame("cmpheaders", &payload))
    else {
        panic!("cmpheaders");
    };
    assert_eq!(entries[0].block_hash(), genesis_hash);
    assert_eq!(entries[0].to_header(), None);

    // The getheaders a client sends from genesis, and the inv announcing the block.
    let request = NetworkMessage::GetHeaders(LocatorRequest {
        version: 170_020,
        locator: vec![genesis_hash],
        stop: BlockHash::ZERO,
    });
    let bytes = request.encode_frame(MAINNET).unwrap();
    assert_eq!(bytes.len(), FRAME_HEADER_SIZE + 4 + 1 + 32 + 32);
    assert_eq!(&bytes[4..16], b"getheaders\0\0");
    assert_eq!(decode_whole(&bytes), request);
    let inv = NetworkMessage::Inv(vec![Inventory::Block(genesis_hash)]);
    let bytes = inv.encode_frame(MAINNET).unwrap();
    assert_eq!(&bytes[24..29], [1, 2, 0, 0, 0]);
    assert_eq!(decode_whole(&bytes), inv);
}

#[test]
fn version_as_fluxd_writes_it() {
    // fluxd's PushVersion (`net.cpp:456-470`): version, services, time, addrYou, addrMe (no
    // time field), nonce, strSubVersion, height, relay.
    let payload = hex::decode(concat!(
        "25980200",                           // 170021
        "0500000000000000",                   // NODE_NETWORK | NODE_BLOOM
        "4026306900000000",                   // 1764763200
        "0100000000000000",                   // addrYou: services
        "00000000000000000000ffffcb007107",   // ::ffff:203.0.113.7
        "3efd",                               // port 16125, big-endian
        "0500000000000000",                   // addrMe: services
        "00000000000000000000ffff00000000",   // ::ffff:0.0.0.0
        "0000",                               // port 0
        "8877665544332211",                   // nonce
        "11",                                 // 17 bytes of user agent
        "2f4d616769634265616e3a392e302e362f", // "/MagicBean:9.0.6/"
        "200b2000",                           // start height 2100000
        "01",                                 // relay
    ))
    .unwrap();
    let NetworkMessage::Version(version) = decode_whole(&frame("version", &payload)) else {
        panic!("version");
    };
    assert_eq!(version.version, 170_021);
    assert_eq!(
        version.services,
        ServiceFlags::NETWORK | ServiceFlags::BLOOM
    );
    assert_eq!(version.timestamp, 1_764_763_200);
    assert_eq!(
        version.receiver.socket_addr(),
        "203.0.113.7:16125".parse().unwrap()
    );
    assert_eq!(version.sender.services, ServiceFlags(5));
    assert_eq!(version.nonce, 0x1122_3344_5566_7788);
    assert_eq!(version.user_agent_str(), Some("/MagicBean:9.0.6/"));
    assert_eq!(version.start_height, 2_100_000);
    assert_eq!(version.relay, Some(true));

    // Without the relay byte (BIP37's "absent means true").
    let short = &payload[..payload.len() - 1];
    let NetworkMessage::Version(without_relay) = decode_whole(&frame("version", short)) else {
        panic!("version");
    };
    assert_eq!(without_relay.relay, None);
    assert!(without_relay.relays_transactions());

    // A 257-byte user agent is refused before it is copied.
    let mut long = payload[..80].to_vec();
    long.extend_from_slice(&[0xfd, 0x01, 0x01]);
    long.extend_from_slice(&[b'a'; 257]);
    long.extend_from_slice(&[0; 5]);
    assert_eq!(
        payload_error(&frame("version", &long)),
        PayloadError::Decode(DecodeError::FieldTooLong {
            what: "user agent",
            len: 257,
            max: 256
        })
    );
}

#[test]
fn handshake_extras_and_reject_on_fluxd_bytes() {
    // fluxd after verack: sendheaders (empty) and sendcmpct(false, 1) (`main.cpp:7286-7297`).
    assert_eq!(
        decode_whole(&frame("sendheaders", &[])),
        NetworkMessage::SendHeaders
    );
    let sendcmpct = hex::decode("000100000000000000").unwrap();
    assert_eq!(
        decode_whole(&frame("sendcmpct", &sendcmpct)),
        NetworkMessage::SendCompact(SendCompact {
            announce: false,
            version: 1
        })
    );

    // The reject fluxd sends for an invalid block (`main.cpp:8014-8015`).
    let mut payload = vec![5];
    payload.extend_from_slice(b"block");
    payload.push(0x10);
    payload.push(12);
    payload.extend_from_slice(b"bad-diffbits");
    payload.extend_from_slice(&[0xab; 32]);
    let reject = RejectMessage {
        message: b"block".to_vec(),
        code: RejectCode::INVALID,
        reason: b"bad-diffbits".to_vec(),
        hash: Some([0xab; 32]),
    };
    assert_eq!(
        decode_whole(&frame("reject", &payload)),
        NetworkMessage::Reject(reject)
    );
    // A reject about the version carries no hash.
    let mut payload = vec![7];
    payload.extend_from_slice(b"version");
    payload.push(0x11);
    payload.push(0);
    assert!(matches!(
        decode_whole(&frame("reject", &payload)),
        NetworkMessage::Reject(RejectMessage { hash: None, .. })
    ));
    // A command above 12 bytes and a reason above 111 are refused.
    let mut payload = vec![13];
    payload.extend_from_slice(b"thirteen-long");
    assert!(matches!(
        payload_error(&frame("reject", &payload)),
        PayloadError::Decode(DecodeError::FieldTooLong { max: 12, .. })
    ));
    let mut payload = vec![2, b't', b'x', 0x40, 112];
    payload.extend_from_slice(&[b'r'; 112]);
    assert!(matches!(
        payload_error(&frame("reject", &payload)),
        PayloadError::Decode(DecodeError::FieldTooLong { max: 111, .. })
    ));
}

#[test]
fn proof_of_node_header_in_headers_and_cmpheaders() {
    // pon.md §2: 108 common bytes, the collateral outpoint, then the signature.
    let header = BlockHeader {
        version: 100,
        prev_block: BlockHash([0x11; 32]),
        merkle_root: flux_tx::MerkleRoot([0x22; 32]),
        final_sapling_root: flux_tx::SaplingRoot([0x33; 32]),
        time: 1_750_000_000,
        bits: flux_tx::Compact(0x200f_ffff),
        proof: BlockProof::Node {
            collateral: OutPoint {
                txid: Txid([0x44; 32]),
                index: 1,
            },
            signature: vec![0x30; 71],
        },
    };
    let header_bytes = header.encoded();
    assert_eq!(header_bytes.len(), 144 + 1 + 71);
    let mut payload = vec![1];
    payload.extend_from_slice(&header_bytes);
    payload.push(0);
    assert_eq!(
        decode_whole(&frame("headers", &payload)),
        NetworkMessage::Headers(vec![header.clone()])
    );
    // In `cmpheaders` a proof-of-node entry is the same bytes, and its hash is computed.
    let compact = CompactHeader::from_header(&header);
    assert_eq!(compact.encoded(), header_bytes);
    assert!(matches!(compact.proof, CompactProof::Node { .. }));
    assert_eq!(compact.block_hash(), header.hash());
    assert_eq!(compact.to_header(), Some(header));
}

#[test]
fn every_list_cap_refuses_before_reading_items() {
    // A count of 2^32-1 is beyond the daemon's MAX_SIZE for any compactsize.
    let huge = [0xfe, 0xff, 0xff, 0xff, 0xff];
    assert_eq!(
        payload_error(&frame("inv", &huge)),
        PayloadError::Decode(DecodeError::SizeTooLarge { value: 0xffff_ffff })
    );
    // One above each message's own limit, with no items behind it.
    for (command, max) in [
        ("inv", 50_000u32),
        ("getdata", 50_000),
        ("notfound", 50_000),
        ("addr", 1000),
        ("headers", 160),
        ("cmpheaders", 2000),
    ] {
        let mut count = Vec::new();
        write_compact_size(&mut count, u64::from(max) + 1);
        assert_eq!(
            payload_error(&frame(command, &count)),
            PayloadError::TooManyItems {
                what: command,
                count: u64::from(max) + 1,
                max: max as usize
            },
            "{command}"
        );
    }
    // At the limit, a count the payload cannot hold is refused too.
    let mut at_limit = Vec::new();
    write_compact_size(&mut at_limit, 50_000);
    at_limit.extend_from_slice(&[0; 36]);
    assert!(matches!(
        payload_error(&frame("inv", &at_limit)),
        PayloadError::Decode(DecodeError::CountExceedsData { count: 50_000, .. })
    ));
    // The locator has no limit of its own; the payload bounds it.
    let mut locator = 170_021i32.to_le_bytes().to_vec();
    locator.extend_from_slice(&[0xfe, 0, 0, 1, 0]);
    assert!(matches!(
        payload_error(&frame("getheaders", &locator)),
        PayloadError::Decode(DecodeError::CountExceedsData { .. })
    ));
}

#[test]
fn frames_from_another_network_or_too_large_end_the_connection() {
    let ping = NetworkMessage::Ping(1).encode_frame(MAINNET).unwrap();
    let testnet = [0xfa, 0x1a, 0xf9, 0xbf];
    let error = decode_message(testnet, &ping).unwrap_err();
    assert!(matches!(
        error,
        MessageError::Frame(FrameError::WrongMagic { found: MAINNET, .. })
    ));
    assert_eq!(error.skippable_len(), None);

    // A header announcing 2 MiB + 1 is refused before any payload arrives.
    let mut header = ping[..FRAME_HEADER_SIZE].to_vec();
    header[16..20].copy_from_slice(&(2 * 1024 * 1024 + 1u32).to_le_bytes());
    assert!(matches!(
        decode_message(MAINNET, &header),
        Err(MessageError::Frame(FrameError::PayloadTooLarge { .. }))
    ));
    // Exactly 2 MiB is allowed: the reader is asked for the rest.
    header[16..20].copy_from_slice(&(2 * 1024 * 1024u32).to_le_bytes());
    assert_eq!(
        decode_message(MAINNET, &header),
        Ok(MessageStatus::NeedMoreBytes {
            needed: 2 * 1024 * 1024
        })
    );
    let oversized = NetworkMessage::Unknown {
        command: Command::new("bigblob").unwrap(),
        payload: vec![0; 2 * 1024 * 1024 + 1],
    };
    assert!(matches!(
        oversized.encode_frame(MAINNET),
        Err(FrameError::PayloadTooLarge { .. })
    ));
}

#[test]
fn unknown_commands_are_kept_and_malformed_payloads_are_skippable() {
    // A command fluxd does not know (BIP157's getcfilters) is kept; a node reads and ignores it.
    let bytes = frame("getcfilters", &[0x55; 33]);
    let NetworkMessage::Unknown { command, payload } = decode_whole(&bytes) else {
        panic!("unknown");
    };
    assert_eq!(command.as_str(), "getcfilters");
    assert_eq!(payload, [0x55; 33]);

    // A ping with trailing bytes, and a truncated tx, are payload errors the reader skips.
    let bytes = frame("ping", &[0; 9]);
    let error = decode_message(MAINNET, &bytes).unwrap_err();
    assert_eq!(error.skippable_len(), Some(bytes.len()));
    assert!(matches!(
        error,
        MessageError::Payload {
            source: PayloadError::Decode(DecodeError::TrailingBytes(1)),
            ..
        }
    ));
    let block = genesis_block_bytes();
    let tx = &block[1488..];
    assert!(matches!(
        decode_whole(&frame("tx", tx)),
        NetworkMessage::Tx(_)
    ));
    assert!(matches!(
        payload_error(&frame("tx", &tx[..tx.len() - 1])),
        PayloadError::Decode(DecodeError::UnexpectedEnd { .. })
    ));
    assert_eq!(Block::decode_exact(&block).unwrap().encoded(), block);
}

#[test]
fn net_address_round_trips_ipv6() {
    let address = NetAddress::new("[2001:db8::1]:26125".parse().unwrap(), ServiceFlags::NONE);
    assert_eq!(NetAddress::decode_exact(&address.encoded()), Ok(address));
    assert_eq!(address.socket_addr().to_string(), "[2001:db8::1]:26125");
    let version = VersionMessage {
        version: 170_020,
        services: ServiceFlags::NONE,
        timestamp: 0,
        receiver: address,
        sender: address,
        nonce: 0,
        user_agent: Vec::new(),
        start_height: 0,
        relay: Some(false),
    };
    let bytes = NetworkMessage::Version(version)
        .encode_frame(MAINNET)
        .unwrap();
    assert_eq!(
        bytes.len(),
        FRAME_HEADER_SIZE + 4 + 8 + 8 + 26 + 26 + 8 + 1 + 4 + 1
    );
}

#[test]
fn compact_block_messages_on_the_genesis_block() {
    let block = Block::decode_exact(&genesis_block_bytes()).unwrap();
    let genesis_hash = block.hash();
    // fluxd's `CBlockHeaderAndShortTxIDs(block)`: the coinbase prefilled at position 0, a short
    // id for every other transaction (none here).
    let compact = CompactBlock {
        header: block.header.clone(),
        nonce: 0x0102_0304_0506_0708,
        short_ids: vec![ShortTxId([1, 2, 3, 4, 5, 6])],
        prefilled: vec![PrefilledTransaction {
            index_delta: 0,
            transaction: block.transactions[0].clone(),
        }],
    };
    let bytes = NetworkMessage::CompactBlock(compact.clone())
        .encode_frame(MAINNET)
        .unwrap();
    let payload = &bytes[FRAME_HEADER_SIZE..];
    assert_eq!(payload[..1487], block.header.encoded());
    assert_eq!(payload[1487..1495], 0x0102_0304_0506_0708u64.to_le_bytes());
    assert_eq!(payload[1495..1502], [1, 1, 2, 3, 4, 5, 6]);
    assert_eq!(payload[1502..1504], [1, 0]);
    assert_eq!(ShortTxId([1, 2, 3, 4, 5, 6]).to_u64(), 0x0605_0403_0201);
    assert_eq!(decode_whole(&bytes), NetworkMessage::CompactBlock(compact));

    // getblocktxn positions are absolute in Flux and kept as written.
    let request = BlockTransactionsRequest {
        block_hash: genesis_hash,
        indexes: vec![1, 3, 0xffff],
    };
    let bytes = NetworkMessage::GetBlockTxn(request.clone())
        .encode_frame(MAINNET)
        .unwrap();
    assert_eq!(bytes[FRAME_HEADER_SIZE + 32..], [3, 1, 3, 0xfd, 0xff, 0xff]);
    assert_eq!(decode_whole(&bytes), NetworkMessage::GetBlockTxn(request));
    let mut too_far = genesis_hash.0.to_vec();
    too_far.extend_from_slice(&[1, 0xfe, 0, 0, 1, 0]);
    assert_eq!(
        payload_error(&frame("getblocktxn", &too_far)),
        PayloadError::IndexOutOfRange {
            what: "requested index",
            value: 0x1_0000
        }
    );
    let mut too_many = genesis_hash.0.to_vec();
    write_compact_size(&mut too_many, 0x1_0000);
    assert!(matches!(
        payload_error(&frame("getblocktxn", &too_many)),
        PayloadError::TooManyItems { max: 65_535, .. }
    ));

    let reply = NetworkMessage::BlockTxn(BlockTransactions {
        block_hash: genesis_hash,
        transactions: block.transactions.clone(),
    });
    assert_eq!(decode_whole(&reply.encode_frame(MAINNET).unwrap()), reply);

    // merkleblock for a one-transaction block: the txid is the root, one flag bit set.
    let merkle = NetworkMessage::MerkleBlock(MerkleBlock {
        header: block.header.clone(),
        total_transactions: 1,
        hashes: vec![block.header.merkle_root.0],
        flags: vec![1],
    });
    let bytes = merkle.encode_frame(MAINNET).unwrap();
    assert_eq!(
        bytes[FRAME_HEADER_SIZE + 1487..FRAME_HEADER_SIZE + 1492],
        [1, 0, 0, 0, 1]
    );
    assert_eq!(decode_whole(&bytes), merkle);
}

#[test]
fn limits_are_inclusive() {
    let hash = [9u8; 32];
    let inv = NetworkMessage::Inv(vec![Inventory::Block(BlockHash(hash)); 50_000]);
    let bytes = inv.encode_frame(MAINNET).unwrap();
    assert_eq!(bytes.len(), FRAME_HEADER_SIZE + 3 + 50_000 * 36);
    assert_eq!(decode_whole(&bytes), inv);
    let block = Block::decode_exact(&genesis_block_bytes()).unwrap();
    let headers = NetworkMessage::Headers(vec![block.header.clone(); 160]);
    assert_eq!(
        decode_whole(&headers.encode_frame(MAINNET).unwrap()),
        headers
    );
    let compact = CompactHeader::from_header(&block.header);
    let compact_headers = NetworkMessage::CompactHeaders(vec![compact; 2000]);
    assert_eq!(
        decode_whole(&compact_headers.encode_frame(MAINNET).unwrap()),
        compact_headers
    );
}

#[test]
fn bloom_filter_messages_and_their_limits() {
    // filterload: vData, nHashFuncs, nTweak, nFlags (`bloom.h:76-82`).
    let payload = hex::decode("03b50f010b00000078563412 01".replace(' ', "")).unwrap();
    assert_eq!(
        decode_whole(&frame("filterload", &payload)),
        NetworkMessage::FilterLoad(FilterLoad {
            filter: vec![0xb5, 0x0f, 0x01],
            hash_funcs: 11,
            tweak: 0x1234_5678,
            flags: 1
        })
    );
    let mut too_many_funcs = payload.clone();
    too_many_funcs[4] = 51;
    assert_eq!(
        payload_error(&frame("filterload", &too_many_funcs)),
        PayloadError::TooManyItems {
            what: "bloom hash functions",
            count: 51,
            max: 50
        }
    );
    let mut too_big = Vec::new();
    write_compact_size(&mut too_big, 36_001);
    too_big.extend_from_slice(&[0; 36_010]);
    assert!(matches!(
        payload_error(&frame("filterload", &too_big)),
        PayloadError::Decode(DecodeError::FieldTooLong { max: 36_000, .. })
    ));

    let mut add = vec![0xfd, 0x08, 0x02];
    add.extend_from_slice(&[7; 520]);
    assert_eq!(
        decode_whole(&frame("filteradd", &add)),
        NetworkMessage::FilterAdd(vec![7; 520])
    );
    let mut add = vec![0xfd, 0x09, 0x02];
    add.extend_from_slice(&[7; 521]);
    assert!(matches!(
        payload_error(&frame("filteradd", &add)),
        PayloadError::Decode(DecodeError::FieldTooLong { max: 520, .. })
    ));
    assert_eq!(
        decode_whole(&frame("filterclear", &[])),
        NetworkMessage::FilterClear
    );
}
