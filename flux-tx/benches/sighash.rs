//! Signature-hash and signing throughput: ZIP-243 (v4) sighash of one input of a 2-in/2-out
//! P2PKH transaction, with and without precomputed digests, the legacy algorithm for
//! comparison, and a full sign + verify of one input.

use criterion::{Criterion, criterion_group, criterion_main};
use flux_tx::keys::PrivateKey;
use flux_tx::script::interpreter::VerifyFlags;
use flux_tx::script::standard;
use flux_tx::sighash::{
    PrecomputedDigests, SIGHASH_ALL, SighashTransaction, SignedInput, signature_hash,
    signature_hash_with,
};
use flux_tx::sign::{VerifiableTransaction, p2pkh_script_sig, sign_input, verify_input};
use flux_tx::transaction::SAPLING_VERSION_GROUP_ID;
use std::hint::black_box;

const FLUX_BRANCH: u32 = 0x76b8_09bb;

/// A transparent 2-in/2-out transaction.
struct Tx {
    overwintered: bool,
    prevouts: [([u8; 32], u32); 2],
    script_sigs: [Vec<u8>; 2],
    outputs: [(i64, Vec<u8>); 2],
}

impl SighashTransaction for Tx {
    fn version(&self) -> i32 {
        if self.overwintered { 4 } else { 1 }
    }
    fn is_overwintered(&self) -> bool {
        self.overwintered
    }
    fn version_group_id(&self) -> u32 {
        if self.overwintered {
            SAPLING_VERSION_GROUP_ID
        } else {
            0
        }
    }
    fn input_count(&self) -> usize {
        2
    }
    fn input_prevout(&self, index: usize) -> ([u8; 32], u32) {
        self.prevouts[index]
    }
    fn input_sequence(&self, _: usize) -> u32 {
        0xffff_ffff
    }
    fn output_count(&self) -> usize {
        2
    }
    fn output(&self, index: usize) -> (i64, &[u8]) {
        (self.outputs[index].0, &self.outputs[index].1)
    }
    fn lock_time(&self) -> u32 {
        0
    }
    fn expiry_height(&self) -> u32 {
        2_000_020
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
        &self.script_sigs[index]
    }
}

fn bench(c: &mut Criterion) {
    let key = PrivateKey::from_secret_bytes([7; 32], true).unwrap();
    let script = standard::p2pkh(&key.public_key().pubkey_hash());
    let mut tx = Tx {
        overwintered: true,
        prevouts: [([1; 32], 0), ([2; 32], 1)],
        script_sigs: [Vec::new(), Vec::new()],
        outputs: [(100_000_000, script.clone()), (49_990_000, script.clone())],
    };
    let input = SignedInput {
        index: 1,
        script_code: &script,
        amount: 50_000_000,
    };

    c.bench_function("sighash_v4_2in_2out", |b| {
        b.iter(|| signature_hash(black_box(&tx), Some(input), SIGHASH_ALL, FLUX_BRANCH))
    });
    let digests = PrecomputedDigests::new(&tx);
    c.bench_function("sighash_v4_2in_2out_precomputed", |b| {
        b.iter(|| {
            signature_hash_with(
                black_box(&tx),
                Some(input),
                SIGHASH_ALL,
                FLUX_BRANCH,
                Some(&digests),
            )
        })
    });
    let legacy = Tx {
        overwintered: false,
        ..Tx {
            script_sigs: [Vec::new(), Vec::new()],
            ..clone_tx(&tx)
        }
    };
    c.bench_function("sighash_v1_2in_2out", |b| {
        b.iter(|| signature_hash(black_box(&legacy), Some(input), SIGHASH_ALL, FLUX_BRANCH))
    });

    c.bench_function("sign_input_v4", |b| {
        b.iter(|| sign_input(black_box(&tx), input, 1, FLUX_BRANCH, &key))
    });
    let signature = sign_input(&tx, input, 1, FLUX_BRANCH, &key).unwrap();
    tx.script_sigs[1] = p2pkh_script_sig(&signature, &key.public_key().to_bytes());
    c.bench_function("verify_p2pkh_input_v4", |b| {
        b.iter(|| {
            verify_input(
                black_box(&tx),
                1,
                &script,
                50_000_000,
                VerifyFlags::STANDARD,
                FLUX_BRANCH,
            )
        })
    });
}

fn clone_tx(tx: &Tx) -> Tx {
    Tx {
        overwintered: tx.overwintered,
        prevouts: tx.prevouts,
        script_sigs: tx.script_sigs.clone(),
        outputs: tx.outputs.clone(),
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
