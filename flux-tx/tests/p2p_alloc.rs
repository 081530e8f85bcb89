//! Every hostile length in a P2P payload is refused before memory is reserved for it: a global
//! allocator records the largest single allocation made on the test's thread while a message
//! decodes, and each lying count or length must leave it below the size of a few decoded items.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use flux_tx::encode::write_compact_size;
use flux_tx::p2p::frame::checksum;
use flux_tx::p2p::{MessageError, decode_message};

/// The system allocator, recording the largest request made on the current thread.
struct LargestAllocation;

thread_local! {
    static LARGEST: Cell<usize> = const { Cell::new(0) };
}

fn record(size: usize) {
    // `try_with` because the allocator also runs while thread-locals are being torn down.
    let _ = LARGEST.try_with(|largest| largest.set(largest.get().max(size)));
}

// SAFETY: every call is forwarded unchanged to `System`, which upholds the `GlobalAlloc`
// contract; recording a size touches a `const`-initialised thread-local and never allocates.
unsafe impl GlobalAlloc for LargestAllocation {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        record(layout.size());
        // SAFETY: the caller's layout is passed on as received.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System.alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        record(new_size);
        // SAFETY: `ptr` came from `System` with `layout`; the caller guarantees `new_size`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: LargestAllocation = LargestAllocation;

/// Room for one decoded item (a `BlockHeader` is under 200 bytes); every lying length below
/// claims at least 36 000 bytes.
const SMALL: usize = 1024;

const MAINNET: [u8; 4] = [0x24, 0xe9, 0x27, 0x64];

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

fn count(value: u64) -> Vec<u8> {
    let mut out = Vec::new();
    write_compact_size(&mut out, value);
    out
}

/// Decodes `bytes`, which must fail, and returns the largest allocation made meanwhile.
fn largest_allocation_while_refusing(bytes: &[u8]) -> usize {
    LARGEST.with(|largest| largest.set(0));
    let result = decode_message(MAINNET, bytes);
    let largest = LARGEST.with(Cell::get);
    assert!(
        matches!(result, Err(MessageError::Payload { .. })),
        "{result:?}"
    );
    largest
}

#[test]
fn lying_counts_and_lengths_allocate_nothing_large() {
    // A PoW header prefix (140 bytes) whose solution claims MAX_SIZE bytes.
    let mut lying_header = vec![4, 0, 0, 0];
    lying_header.extend_from_slice(&[0; 136]);
    lying_header.extend_from_slice(&count(0x0200_0000));
    let mut headers = count(1);
    headers.extend_from_slice(&lying_header);
    let mut block = lying_header.clone();
    block.truncate(140);
    block.extend_from_slice(&count(0));
    block.extend_from_slice(&count(0x0200_0000));

    // A header with an empty solution and a nonce, as `cmpctblock` starts.
    let mut lying_block_prefix = block[..140].to_vec();
    lying_block_prefix.push(0);
    lying_block_prefix.extend_from_slice(&[0; 8]);

    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("inv", vec![0xfe, 0xff, 0xff, 0xff, 0xff]),
        ("inv", count(50_001)),
        ("inv", count(50_000)),
        ("getdata", count(50_000)),
        ("notfound", count(50_000)),
        ("addr", count(1000)),
        ("addr", count(1001)),
        ("headers", count(160)),
        ("headers", headers),
        ("cmpheaders", count(2000)),
        ("getheaders", [vec![0; 4], count(0x0200_0000)].concat()),
        ("getblocks", [vec![0; 4], count(65_536)].concat()),
        ("block", block),
        ("alert", count(0x0200_0000)),
        ("reject", count(0x0200_0000)),
        ("version", [vec![0; 80], count(0x0200_0000)].concat()),
        (
            "cmpctblock",
            [lying_block_prefix.clone(), count(65_535)].concat(),
        ),
        (
            "cmpctblock",
            [lying_block_prefix.clone(), count(0), count(65_535)].concat(),
        ),
        ("getblocktxn", [vec![0; 32], count(65_535)].concat()),
        ("filterload", count(0x0200_0000)),
        ("filteradd", count(0x0200_0000)),
        ("blocktxn", [vec![0; 32], count(0x0200_0000)].concat()),
        (
            "merkleblock",
            [
                lying_block_prefix[..141].to_vec(),
                vec![0; 4],
                count(0x0200_0000),
            ]
            .concat(),
        ),
    ];
    for (command, payload) in cases {
        let bytes = frame(command, &payload);
        let largest = largest_allocation_while_refusing(&bytes);
        assert!(
            largest <= SMALL,
            "{command} {}: a {largest}-byte allocation before refusing",
            hex::encode(&payload[..payload.len().min(12)])
        );
    }
}
