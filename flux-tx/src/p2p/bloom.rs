//! BIP37 bloom filters, which light clients load into a peer (`CBloomFilter`, `bloom.h`;
//! `main.cpp:8402-8463`): `filterload`, `filteradd` and the empty `filterclear`. fluxd only
//! receives these; since protocol 170004 a peer that sends one to a node without `NODE_BLOOM`
//! scores 100.

use alloc::vec::Vec;

use super::payload::PayloadError;
use crate::encode::{FluxDecode, FluxEncode, read_bytes_max, write_bytes};

/// The largest filter fluxd accepts (`MAX_BLOOM_FILTER_SIZE`, `bloom.h:18`); a larger one
/// scores 100.
pub const MAX_BLOOM_FILTER_SIZE: usize = 36_000;

/// The most hash functions a filter may use (`MAX_HASH_FUNCS`, `bloom.h:19`); more score 100.
pub const MAX_HASH_FUNCS: u32 = 50;

/// The largest element `filteradd` may add: a script push (`MAX_SCRIPT_ELEMENT_SIZE`); a larger
/// one scores 100 (`main.cpp:8442-8445`).
pub const MAX_FILTER_ADD_SIZE: usize = 520;

/// `filterload`: the filter a light client wants transactions matched against.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FilterLoad {
    /// `vData`: the filter's bit field (at most [`MAX_BLOOM_FILTER_SIZE`] bytes).
    pub filter: Vec<u8>,
    /// `nHashFuncs` (at most [`MAX_HASH_FUNCS`]).
    pub hash_funcs: u32,
    /// `nTweak`: the seed added to every hash function.
    pub tweak: u32,
    /// `nFlags`: how matches update the filter (`BLOOM_UPDATE_*`).
    pub flags: u8,
}

impl FilterLoad {
    pub(crate) fn encode_payload(&self, out: &mut Vec<u8>) {
        write_bytes(out, &self.filter);
        self.hash_funcs.flux_encode(out);
        self.tweak.flux_encode(out);
        self.flags.flux_encode(out);
    }

    /// Filters fluxd would punish (`!IsWithinSizeConstraints()`) are refused here.
    pub(crate) fn decode_payload(input: &mut &[u8]) -> Result<FilterLoad, PayloadError> {
        let filter = read_bytes_max(input, MAX_BLOOM_FILTER_SIZE, "bloom filter")?;
        let hash_funcs = u32::flux_decode(input)?;
        if hash_funcs > MAX_HASH_FUNCS {
            return Err(PayloadError::TooManyItems {
                what: "bloom hash functions",
                count: u64::from(hash_funcs),
                max: MAX_HASH_FUNCS as usize,
            });
        }
        Ok(FilterLoad {
            filter,
            hash_funcs,
            tweak: u32::flux_decode(input)?,
            flags: u8::flux_decode(input)?,
        })
    }
}

pub(crate) fn decode_filter_add(input: &mut &[u8]) -> Result<Vec<u8>, PayloadError> {
    Ok(read_bytes_max(
        input,
        MAX_FILTER_ADD_SIZE,
        "filteradd element",
    )?)
}
