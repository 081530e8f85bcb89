//! Header sync: the block locator request of `getheaders` and `getblocks`
//! (`primitives/block.h:257-276`), the `headers` reply (`main.cpp:7814-7866`) and Flux's
//! `cmpheaders` reply of compact headers (`primitives/block.h:201-250`, `main.cpp:7868-7993`).

use alloc::vec::Vec;
use flux_pow::difficulty::Compact;

use super::payload::{PayloadError, read_capped_count};
use crate::block::{BlockHeader, BlockProof, HeaderPrefix};
use crate::encode::{
    FluxDecode, FluxEncode, read_array, read_bytes, read_compact_size, read_count, write_bytes,
    write_compact_size,
};
use crate::hash::{BlockHash, MerkleRoot, SaplingRoot};
use crate::transaction::OutPoint;

/// The most headers one `headers` message may carry (`MAX_HEADERS_RESULTS`, `main.h:107`;
/// Bitcoin allows 2000).
pub const MAX_HEADERS_RESULTS: usize = 160;

/// The most entries one `cmpheaders` message may carry (`main.cpp:7877`).
pub const MAX_COMPACT_HEADERS_RESULTS: usize = 2000;

/// The smallest `headers` entry: a proof-of-work header with an empty solution (140 bytes and
/// its one-byte length) and the one-byte transaction count.
const MIN_HEADERS_ENTRY_SIZE: usize = 142;

/// The smallest `cmpheaders` entry: a proof-of-node header with an empty signature.
const MIN_COMPACT_HEADER_SIZE: usize = 108 + 36 + 1;

/// The payload of `getheaders` and `getblocks`: "send what follows the first of these hashes
/// that is on your best chain, up to `stop`".
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LocatorRequest {
    /// The sender's protocol version, written first by `CBlockLocator`; fluxd ignores it.
    pub version: i32,
    /// Block hashes from the sender's tip back towards genesis, densest near the tip. Empty asks
    /// for the single header named by `stop` (`getheaders` only).
    pub locator: Vec<BlockHash>,
    /// The last block wanted; zero for as many as the reply may hold.
    pub stop: BlockHash,
}

impl LocatorRequest {
    pub(crate) fn encode_payload(&self, out: &mut Vec<u8>) {
        self.version.flux_encode(out);
        write_compact_size(out, self.locator.len() as u64);
        for hash in &self.locator {
            hash.flux_encode(out);
        }
        self.stop.flux_encode(out);
    }

    /// fluxd caps the locator only by the payload size, so the count is checked against the
    /// bytes that remain before anything is allocated.
    pub(crate) fn decode_payload(input: &mut &[u8]) -> Result<LocatorRequest, PayloadError> {
        let version = i32::flux_decode(input)?;
        let count = read_count(input, 32, "locator hashes")?;
        let mut locator = Vec::with_capacity(count);
        for _ in 0..count {
            locator.push(BlockHash::flux_decode(input)?);
        }
        Ok(LocatorRequest {
            version,
            locator,
            stop: BlockHash::flux_decode(input)?,
        })
    }
}

pub(crate) fn encode_headers(headers: &[BlockHeader], out: &mut Vec<u8>) {
    write_compact_size(out, headers.len() as u64);
    for header in headers {
        header.flux_encode(out);
        // Each entry is a `CBlock` without transactions.
        write_compact_size(out, 0);
    }
}

/// fluxd reads and ignores each entry's transaction count (`main.cpp:7827`); every fluxd writes
/// 0, and a header with transactions attached cannot be re-encoded as received, so a non-zero
/// count is refused.
pub(crate) fn decode_headers(input: &mut &[u8]) -> Result<Vec<BlockHeader>, PayloadError> {
    let count = read_capped_count(
        input,
        MAX_HEADERS_RESULTS,
        MIN_HEADERS_ENTRY_SIZE,
        "headers",
    )?;
    let mut headers = Vec::with_capacity(count);
    for _ in 0..count {
        headers.push(BlockHeader::flux_decode(input)?);
        let transactions = read_compact_size(input)?;
        if transactions != 0 {
            return Err(PayloadError::HeaderWithTransactions {
                index: headers.len() - 1,
                count: transactions,
            });
        }
    }
    Ok(headers)
}

/// How a compact header proves its block.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CompactProof {
    /// A proof-of-work header without its Equihash solution; the sender vouches for the hash,
    /// which cannot be recomputed, and the receiver trusts it only below a checkpoint.
    Work {
        /// `nNonce`.
        nonce: [u8; 32],
        /// The block hash as the sender computed it.
        block_hash: BlockHash,
    },
    /// A proof-of-node header, exactly as in `headers`.
    Node {
        /// The collateral of the node that made the block.
        collateral: OutPoint,
        /// The node's signature (not part of the hash).
        signature: Vec<u8>,
    },
}

/// One `cmpheaders` entry (`CCompactBlockHeader`). The layout follows `version` as a full
/// header's does: below 100 nonce and block hash, from 100 collateral and signature.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CompactHeader {
    /// `nVersion`; it decides the layout of `proof`.
    pub version: i32,
    /// `hashPrevBlock`.
    pub prev_block: BlockHash,
    /// `hashMerkleRoot`.
    pub merkle_root: MerkleRoot,
    /// `hashFinalSaplingRoot`.
    pub final_sapling_root: SaplingRoot,
    /// `nTime`.
    pub time: u32,
    /// `nBits`.
    pub bits: Compact,
    /// The layout-dependent tail.
    pub proof: CompactProof,
}

impl CompactHeader {
    /// The compact form of `header`, as fluxd builds it for `cmpheaders`: the solution of a
    /// proof-of-work header is replaced by its block hash.
    pub fn from_header(header: &BlockHeader) -> CompactHeader {
        let proof = match &header.proof {
            BlockProof::Work { nonce, .. } => CompactProof::Work {
                nonce: *nonce,
                block_hash: header.hash(),
            },
            BlockProof::Node {
                collateral,
                signature,
            } => CompactProof::Node {
                collateral: *collateral,
                signature: signature.clone(),
            },
        };
        CompactHeader::from_prefix(header.prefix(), proof)
    }

    fn prefix(&self) -> HeaderPrefix {
        HeaderPrefix {
            version: self.version,
            prev_block: self.prev_block,
            merkle_root: self.merkle_root,
            final_sapling_root: self.final_sapling_root,
            time: self.time,
            bits: self.bits,
        }
    }

    fn from_prefix(prefix: HeaderPrefix, proof: CompactProof) -> CompactHeader {
        CompactHeader {
            version: prefix.version,
            prev_block: prefix.prev_block,
            merkle_root: prefix.merkle_root,
            final_sapling_root: prefix.final_sapling_root,
            time: prefix.time,
            bits: prefix.bits,
            proof,
        }
    }

    /// The block hash: the sender's claim for proof of work, computed for proof of node.
    pub fn block_hash(&self) -> BlockHash {
        match &self.proof {
            CompactProof::Work { block_hash, .. } => *block_hash,
            CompactProof::Node {
                collateral,
                signature,
            } => self.node_header(*collateral, signature).hash(),
        }
    }

    /// The full header, which only a proof-of-node entry carries; `None` for proof of work.
    pub fn to_header(&self) -> Option<BlockHeader> {
        match &self.proof {
            CompactProof::Work { .. } => None,
            CompactProof::Node {
                collateral,
                signature,
            } => Some(self.node_header(*collateral, signature)),
        }
    }

    fn node_header(&self, collateral: OutPoint, signature: &[u8]) -> BlockHeader {
        BlockHeader::from_prefix(
            self.prefix(),
            BlockProof::Node {
                collateral,
                signature: signature.to_vec(),
            },
        )
    }
}

impl FluxEncode for CompactHeader {
    fn flux_encode(&self, out: &mut Vec<u8>) {
        self.prefix().encode(out);
        match &self.proof {
            CompactProof::Work { nonce, block_hash } => {
                out.extend_from_slice(nonce);
                block_hash.flux_encode(out);
            }
            CompactProof::Node {
                collateral,
                signature,
            } => {
                collateral.flux_encode(out);
                write_bytes(out, signature);
            }
        }
    }
}

impl FluxDecode for CompactHeader {
    fn flux_decode(input: &mut &[u8]) -> Result<CompactHeader, crate::encode::DecodeError> {
        let prefix = HeaderPrefix::decode(input)?;
        let proof = if prefix.is_proof_of_node() {
            CompactProof::Node {
                collateral: OutPoint::flux_decode(input)?,
                signature: read_bytes(input, "block signature")?,
            }
        } else {
            CompactProof::Work {
                nonce: read_array(input)?,
                block_hash: BlockHash::flux_decode(input)?,
            }
        };
        Ok(CompactHeader::from_prefix(prefix, proof))
    }
}

pub(crate) fn encode_compact_headers(headers: &[CompactHeader], out: &mut Vec<u8>) {
    write_compact_size(out, headers.len() as u64);
    for header in headers {
        header.flux_encode(out);
    }
}

pub(crate) fn decode_compact_headers(
    input: &mut &[u8],
) -> Result<Vec<CompactHeader>, PayloadError> {
    let count = read_capped_count(
        input,
        MAX_COMPACT_HEADERS_RESULTS,
        MIN_COMPACT_HEADER_SIZE,
        "cmpheaders",
    )?;
    let mut headers = Vec::with_capacity(count);
    for _ in 0..count {
        headers.push(CompactHeader::flux_decode(input)?);
    }
    Ok(headers)
}
