//! Block headers and blocks (`primitives/block.h`): the proof-of-work layout (nonce and Equihash
//! solution) below version 100 and the proof-of-node layout (collateral and signature) from
//! version 100 (`PON_VERSION`), the block hash, and the merkle root with the daemon's mutation
//! check (`CBlock::BuildMerkleTree`, `primitives/block.cpp:36-80`).

use alloc::vec::Vec;

use flux_pow::difficulty::Compact;

use crate::encode::{
    DecodeError, FluxDecode, FluxEncode, read_array, read_bytes, read_list, write_bytes, write_list,
};
use crate::hash::{BlockHash, MerkleRoot, SaplingRoot, Txid};
use crate::keys::sha256d;
use crate::transaction::{MIN_TX_SIZE, OutPoint, Transaction};

/// First header version of the proof-of-node layout (`CBlockHeader::PON_VERSION`).
pub const PON_VERSION: i32 = 100;

/// Bytes of a PoW header before the solution (`CBlockHeader::HEADER_SIZE`): what Equihash hashes.
pub const POW_HEADER_PREFIX_SIZE: usize = 140;

/// The part of the header that proves the block.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum BlockProof {
    /// Proof of work (version < 100).
    Work {
        /// `nNonce`.
        nonce: [u8; 32],
        /// `nSolution`: the Equihash solution in its minimal encoding.
        solution: Vec<u8>,
    },
    /// Proof of node (version >= 100).
    Node {
        /// `nodesCollateral`: the collateral of the node that made the block.
        collateral: OutPoint,
        /// `vchBlockSig`: the node's signature (not part of the hash).
        signature: Vec<u8>,
    },
}

/// A block header (`CBlockHeader`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BlockHeader {
    /// `nVersion`: below 100 proof of work, from 100 proof of node.
    pub version: i32,
    /// `hashPrevBlock`.
    pub prev_block: BlockHash,
    /// `hashMerkleRoot`.
    pub merkle_root: MerkleRoot,
    /// `hashFinalSaplingRoot`.
    pub final_sapling_root: SaplingRoot,
    /// `nTime`.
    pub time: u32,
    /// `nBits`: the compact target the block's proof must meet.
    pub bits: Compact,
    /// Nonce and solution, or collateral and signature, as the version says.
    pub proof: BlockProof,
}

/// The fields every header layout starts with, version through `nBits` (108 bytes): shared by
/// the full header and the `cmpheaders` entry of the p2p codecs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct HeaderPrefix {
    pub(crate) version: i32,
    pub(crate) prev_block: BlockHash,
    pub(crate) merkle_root: MerkleRoot,
    pub(crate) final_sapling_root: SaplingRoot,
    pub(crate) time: u32,
    pub(crate) bits: Compact,
}

impl HeaderPrefix {
    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        self.version.flux_encode(out);
        self.prev_block.flux_encode(out);
        self.merkle_root.flux_encode(out);
        self.final_sapling_root.flux_encode(out);
        self.time.flux_encode(out);
        self.bits.0.flux_encode(out);
    }

    pub(crate) fn decode(input: &mut &[u8]) -> Result<HeaderPrefix, DecodeError> {
        Ok(HeaderPrefix {
            version: i32::flux_decode(input)?,
            prev_block: BlockHash::flux_decode(input)?,
            merkle_root: MerkleRoot::flux_decode(input)?,
            final_sapling_root: SaplingRoot::flux_decode(input)?,
            time: u32::flux_decode(input)?,
            bits: Compact(u32::flux_decode(input)?),
        })
    }

    /// The layout the version selects (`nVersion >= 100`: proof of node).
    pub(crate) fn is_proof_of_node(&self) -> bool {
        self.version >= PON_VERSION
    }
}

impl BlockHeader {
    /// The version-through-bits fields.
    pub(crate) fn prefix(&self) -> HeaderPrefix {
        HeaderPrefix {
            version: self.version,
            prev_block: self.prev_block,
            merkle_root: self.merkle_root,
            final_sapling_root: self.final_sapling_root,
            time: self.time,
            bits: self.bits,
        }
    }

    /// A header from its prefix and its proof.
    pub(crate) fn from_prefix(prefix: HeaderPrefix, proof: BlockProof) -> BlockHeader {
        BlockHeader {
            version: prefix.version,
            prev_block: prefix.prev_block,
            merkle_root: prefix.merkle_root,
            final_sapling_root: prefix.final_sapling_root,
            time: prefix.time,
            bits: prefix.bits,
            proof,
        }
    }

    /// `true` for the proof-of-node layout.
    pub fn is_proof_of_node(&self) -> bool {
        self.version >= PON_VERSION
    }

    fn encode_common(&self, out: &mut Vec<u8>) {
        self.prefix().encode(out);
    }

    fn encode_with(&self, out: &mut Vec<u8>, with_signature: bool) {
        self.encode_common(out);
        match &self.proof {
            BlockProof::Work { nonce, solution } => {
                out.extend_from_slice(nonce);
                write_bytes(out, solution);
            }
            BlockProof::Node {
                collateral,
                signature,
            } => {
                collateral.flux_encode(out);
                if with_signature {
                    write_bytes(out, signature);
                }
            }
        }
    }

    /// The 140 bytes Equihash hashes (version through nonce) of a proof-of-work header.
    pub fn pow_prefix(&self) -> Option<[u8; POW_HEADER_PREFIX_SIZE]> {
        let BlockProof::Work { nonce, .. } = &self.proof else {
            return None;
        };
        let mut bytes = Vec::with_capacity(POW_HEADER_PREFIX_SIZE);
        self.encode_common(&mut bytes);
        bytes.extend_from_slice(nonce);
        bytes.try_into().ok()
    }

    /// The Equihash solution of a proof-of-work header.
    pub fn solution(&self) -> Option<&[u8]> {
        match &self.proof {
            BlockProof::Work { solution, .. } => Some(solution),
            BlockProof::Node { .. } => None,
        }
    }

    /// The block hash: double SHA-256 of the `SER_GETHASH` encoding (the whole header for proof
    /// of work; without the signature for proof of node).
    pub fn hash(&self) -> BlockHash {
        let mut bytes = Vec::with_capacity(POW_HEADER_PREFIX_SIZE + 1347);
        self.encode_with(&mut bytes, false);
        BlockHash(sha256d(&bytes))
    }
}

impl FluxEncode for BlockHeader {
    fn flux_encode(&self, out: &mut Vec<u8>) {
        self.encode_with(out, true);
    }
}

impl FluxDecode for BlockHeader {
    fn flux_decode(input: &mut &[u8]) -> Result<BlockHeader, DecodeError> {
        let prefix = HeaderPrefix::decode(input)?;
        let proof = if prefix.is_proof_of_node() {
            BlockProof::Node {
                collateral: OutPoint::flux_decode(input)?,
                signature: read_bytes(input, "block signature")?,
            }
        } else {
            BlockProof::Work {
                nonce: read_array(input)?,
                solution: read_bytes(input, "Equihash solution")?,
            }
        };
        Ok(BlockHeader::from_prefix(prefix, proof))
    }
}

/// A block: header and transactions (`CBlock`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Block {
    /// The header.
    pub header: BlockHeader,
    /// The transactions, coinbase first.
    pub transactions: Vec<Transaction>,
}

impl Block {
    /// The block hash (of the header).
    pub fn hash(&self) -> BlockHash {
        self.header.hash()
    }

    /// The merkle root of the transactions' ids and whether the tree is mutated (see
    /// [`merkle_root`]).
    pub fn compute_merkle_root(&self) -> (MerkleRoot, bool) {
        let txids: Vec<Txid> = self.transactions.iter().map(Transaction::txid).collect();
        merkle_root(&txids)
    }
}

impl FluxEncode for Block {
    fn flux_encode(&self, out: &mut Vec<u8>) {
        self.header.flux_encode(out);
        write_list(out, &self.transactions);
    }
}

impl FluxDecode for Block {
    fn flux_decode(input: &mut &[u8]) -> Result<Block, DecodeError> {
        Ok(Block {
            header: BlockHeader::flux_decode(input)?,
            transactions: read_list(input, MIN_TX_SIZE, "transactions")?,
        })
    }
}

/// The merkle root of `txids` as `CBlock::BuildMerkleTree` computes it (an odd last node pairs
/// with itself), and the mutation flag: `true` when, at some level, the list has an even length
/// and its last two hashes are equal. Such a tree has the same root as one with a transaction
/// repeated (CVE-2012-2459), so the daemon treats a mutated block as invalid rather than caching
/// it as a bad block. An empty list gives the zero root.
pub fn merkle_root(txids: &[Txid]) -> (MerkleRoot, bool) {
    let mut level: Vec<[u8; 32]> = txids.iter().map(|txid| txid.0).collect();
    let mut mutated = false;
    while level.len() > 1 {
        let size = level.len();
        if size.is_multiple_of(2) && level[size - 1] == level[size - 2] {
            mutated = true;
        }
        level = level
            .chunks(2)
            .map(|pair| {
                let left = pair[0];
                let right = pair.get(1).copied().unwrap_or(left);
                let mut both = [0u8; 64];
                both[..32].copy_from_slice(&left);
                both[32..].copy_from_slice(&right);
                sha256d(&both)
            })
            .collect();
    }
    (
        MerkleRoot(level.first().copied().unwrap_or([0; 32])),
        mutated,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merkle_mutation_is_flagged_only_for_a_duplicated_even_tail() {
        let a = Txid([1; 32]);
        let b = Txid([2; 32]);
        let c = Txid([3; 32]);
        let (root_abc, mutated) = merkle_root(&[a, b, c]);
        assert!(!mutated);
        // Repeating the odd last transaction gives the same root, flagged.
        assert_eq!(merkle_root(&[a, b, c, c]), (root_abc, true));
        assert_eq!(merkle_root(&[a]), (MerkleRoot(a.0), false));
        assert_eq!(merkle_root(&[]), (MerkleRoot::ZERO, false));
    }
}
