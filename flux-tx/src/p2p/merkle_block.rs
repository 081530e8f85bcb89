//! `merkleblock` (`CMerkleBlock`, `merkleblock.h`): a block header and a partial merkle tree
//! proving which of its transactions matched a peer's bloom filter. fluxd sends it in answer to
//! a `getdata` for [`super::Inventory::FilteredBlock`] (`main.cpp:7000-7017`).

use alloc::vec::Vec;

use super::payload::{PayloadError, read_capped_count};
use crate::block::BlockHeader;
use crate::encode::{FluxDecode, FluxEncode, read_bytes, write_bytes, write_compact_size};

/// A `merkleblock` message.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MerkleBlock {
    /// The block header.
    pub header: BlockHeader,
    /// How many transactions the block holds.
    pub total_transactions: u32,
    /// The hashes of the partial tree, depth first.
    pub hashes: Vec<[u8; 32]>,
    /// The tree's flag bits, packed eight to a byte, least significant bit first.
    pub flags: Vec<u8>,
}

impl MerkleBlock {
    pub(crate) fn encode_payload(&self, out: &mut Vec<u8>) {
        self.header.flux_encode(out);
        self.total_transactions.flux_encode(out);
        write_compact_size(out, self.hashes.len() as u64);
        for hash in &self.hashes {
            out.extend_from_slice(hash);
        }
        write_bytes(out, &self.flags);
    }

    pub(crate) fn decode_payload(input: &mut &[u8]) -> Result<MerkleBlock, PayloadError> {
        let header = BlockHeader::flux_decode(input)?;
        let total_transactions = u32::flux_decode(input)?;
        let count = read_capped_count(input, usize::MAX, 32, "merkle hashes")?;
        let mut hashes = Vec::with_capacity(count);
        for _ in 0..count {
            hashes.push(<[u8; 32]>::flux_decode(input)?);
        }
        Ok(MerkleBlock {
            header,
            total_transactions,
            hashes,
            flags: read_bytes(input, "merkle flag bits")?,
        })
    }
}
