//! How a [`Transaction`] presents its fields to the signature-hash algorithms
//! ([`SighashTransaction`]) and to input verification ([`VerifiableTransaction`]).
//!
//! Kept apart from the codec in [`crate::transaction`] so that the layers stay one-way: the codec
//! (which owns the version constants the algorithms read) knows nothing of signing, and the
//! algorithms know the codec only through their traits.

use alloc::vec::Vec;

use crate::encode::FluxEncode;
use crate::sighash::SighashTransaction;
use crate::sign::VerifiableTransaction;
use crate::transaction::Transaction;

impl SighashTransaction for Transaction {
    fn version(&self) -> i32 {
        self.version
    }

    fn is_overwintered(&self) -> bool {
        self.overwintered
    }

    fn version_group_id(&self) -> u32 {
        self.version_group_id
    }

    fn input_count(&self) -> usize {
        self.inputs().len()
    }

    fn input_prevout(&self, index: usize) -> ([u8; 32], u32) {
        self.inputs().get(index).map_or(([0; 32], 0), |input| {
            (input.prevout.txid.0, input.prevout.index)
        })
    }

    fn input_sequence(&self, index: usize) -> u32 {
        self.inputs().get(index).map_or(0, |input| input.sequence)
    }

    fn output_count(&self) -> usize {
        self.outputs().len()
    }

    fn output(&self, index: usize) -> (i64, &[u8]) {
        self.outputs().get(index).map_or((0, &[][..]), |output| {
            (output.value, output.script_pubkey.as_bytes())
        })
    }

    fn lock_time(&self) -> u32 {
        self.standard().map_or(0, |tx| tx.lock_time)
    }

    fn expiry_height(&self) -> u32 {
        self.standard().map_or(0, |tx| tx.expiry_height)
    }

    fn value_balance(&self) -> i64 {
        self.standard().map_or(0, |tx| tx.sapling.value_balance)
    }

    fn join_split_count(&self) -> usize {
        self.standard()
            .and_then(|tx| tx.join_splits.as_ref())
            .map_or(0, |bundle| bundle.join_splits.len())
    }

    fn write_join_splits(&self, out: &mut Vec<u8>) {
        if let Some(bundle) = self.standard().and_then(|tx| tx.join_splits.as_ref()) {
            for join_split in &bundle.join_splits {
                join_split.encode(out);
            }
        }
    }

    fn join_split_pub_key(&self) -> [u8; 32] {
        self.standard()
            .and_then(|tx| tx.join_splits.as_ref())
            .map_or([0; 32], |bundle| bundle.pub_key)
    }

    fn shielded_spend_count(&self) -> usize {
        self.standard().map_or(0, |tx| tx.sapling.spends.len())
    }

    fn write_shielded_spends_for_sighash(&self, out: &mut Vec<u8>) {
        for spend in self.standard().map_or(&[][..], |tx| &tx.sapling.spends) {
            spend.write_without_signature(out);
        }
    }

    fn shielded_output_count(&self) -> usize {
        self.standard().map_or(0, |tx| tx.sapling.outputs.len())
    }

    fn write_shielded_outputs(&self, out: &mut Vec<u8>) {
        for output in self.standard().map_or(&[][..], |tx| &tx.sapling.outputs) {
            output.flux_encode(out);
        }
    }
}

impl VerifiableTransaction for Transaction {
    fn input_script_sig(&self, index: usize) -> &[u8] {
        self.inputs()
            .get(index)
            .map_or(&[][..], |input| input.script_sig.as_bytes())
    }
}
