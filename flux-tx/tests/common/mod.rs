//! A transparent-only transaction implementing the sighash and verification views, shared by
//! the integration tests.
#![allow(dead_code)]

pub mod script_asm;
pub mod vectors;

use flux_tx::sighash::SighashTransaction;
use flux_tx::sign::VerifiableTransaction;

#[derive(Clone, Debug)]
pub struct Input {
    pub txid: [u8; 32],
    pub index: u32,
    pub script_sig: Vec<u8>,
    pub sequence: u32,
}

/// A transparent-only transaction: enough to exercise every sighash field.
#[derive(Clone, Debug)]
pub struct Tx {
    pub version: i32,
    pub overwintered: bool,
    pub group: u32,
    pub inputs: Vec<Input>,
    pub outputs: Vec<(i64, Vec<u8>)>,
    pub lock_time: u32,
    pub expiry: u32,
}

impl SighashTransaction for Tx {
    fn version(&self) -> i32 {
        self.version
    }
    fn is_overwintered(&self) -> bool {
        self.overwintered
    }
    fn version_group_id(&self) -> u32 {
        self.group
    }
    fn input_count(&self) -> usize {
        self.inputs.len()
    }
    fn input_prevout(&self, index: usize) -> ([u8; 32], u32) {
        (self.inputs[index].txid, self.inputs[index].index)
    }
    fn input_sequence(&self, index: usize) -> u32 {
        self.inputs[index].sequence
    }
    fn output_count(&self) -> usize {
        self.outputs.len()
    }
    fn output(&self, index: usize) -> (i64, &[u8]) {
        (self.outputs[index].0, &self.outputs[index].1)
    }
    fn lock_time(&self) -> u32 {
        self.lock_time
    }
    fn expiry_height(&self) -> u32 {
        self.expiry
    }
    fn value_balance(&self) -> i64 {
        0
    }
    fn join_split_count(&self) -> usize {
        0
    }
    fn write_join_splits(&self, _: &mut Vec<u8>) {}
    fn join_split_pub_key(&self) -> [u8; 32] {
        [0; 32]
    }
    fn shielded_spend_count(&self) -> usize {
        0
    }
    fn write_shielded_spends_for_sighash(&self, _: &mut Vec<u8>) {}
    fn shielded_output_count(&self) -> usize {
        0
    }
    fn write_shielded_outputs(&self, _: &mut Vec<u8>) {}
}

impl VerifiableTransaction for Tx {
    fn input_script_sig(&self, index: usize) -> &[u8] {
        &self.inputs[index].script_sig
    }
}

fn compact_size(out: &mut Vec<u8>, n: usize) {
    match n {
        0..=0xfc => out.push(n as u8),
        0xfd..=0xffff => {
            out.push(0xfd);
            out.extend_from_slice(&(n as u16).to_le_bytes());
        }
        _ => {
            out.push(0xfe);
            out.extend_from_slice(&(n as u32).to_le_bytes());
        }
    }
}

impl Tx {
    /// Serialization of a version-1 transaction (no JoinSplit field), for its txid.
    pub fn serialize_v1(&self) -> Vec<u8> {
        assert_eq!((self.version, self.overwintered), (1, false));
        let mut out = Vec::new();
        out.extend_from_slice(&self.version.to_le_bytes());
        compact_size(&mut out, self.inputs.len());
        for input in &self.inputs {
            out.extend_from_slice(&input.txid);
            out.extend_from_slice(&input.index.to_le_bytes());
            compact_size(&mut out, input.script_sig.len());
            out.extend_from_slice(&input.script_sig);
            out.extend_from_slice(&input.sequence.to_le_bytes());
        }
        compact_size(&mut out, self.outputs.len());
        for (value, script) in &self.outputs {
            out.extend_from_slice(&value.to_le_bytes());
            compact_size(&mut out, script.len());
            out.extend_from_slice(script);
        }
        out.extend_from_slice(&self.lock_time.to_le_bytes());
        out
    }
}
