//! Differential test against librustzcash (`zcash_primitives`): Flux's v4 transactions are Zcash
//! Sapling transactions (same header, version group id `0x892f2085`, same branch id `0x76b809bb`
//! as Zcash's Sapling), so an independent implementation must agree with flux-tx on their
//! encoding, their txid and every ZIP-243 signature hash, amount field included.
//!
//! The random transactions are transparent only (Sapling spends and outputs hold curve points that
//! random bytes are not, so librustzcash would refuse to parse them), and every value stays within
//! Zcash's `MAX_MONEY` (21 M ZEC), the cap of librustzcash's `Zatoshis`; Flux's own cap is higher.

use flux_tx::sighash::{
    SIGHASH_ALL, SIGHASH_ANYONECANPAY, SIGHASH_NONE, SIGHASH_SINGLE, SignedInput, signature_hash,
};
use flux_tx::transaction::{SAPLING_VERSION_GROUP_ID, StandardTx};
use flux_tx::{FluxDecode, FluxEncode, OutPoint, Script, Transaction, TxBody, TxIn, TxOut, Txid};
use proptest::collection::vec;
use proptest::prelude::*;
use zcash_primitives::transaction::sighash::{
    PrecomputedSighashData, SignableInput as ZcashSignableInput,
};
use zcash_primitives::transaction::{
    Authorization as ZcashAuthorization, Authorized as ZcashAuthorized,
    Transaction as ZcashTransaction, TransactionData,
};
use zcash_protocol::consensus::BranchId;
use zcash_protocol::value::Zatoshis;
use zcash_transparent::address::Script as ZcashScript;
use zcash_transparent::bundle as zcash_bundle;
use zcash_transparent::sighash::{
    SighashType, SignableInput as ZcashTransparentInput, TransparentAuthorizingContext,
};

/// Flux's consensus branch id from LWMA on, which is Zcash's Sapling branch id.
const FLUX_BRANCH_ID: u32 = 0x76b8_09bb;

/// Zcash's `MAX_MONEY`, the largest value librustzcash's `Zatoshis` holds.
const ZCASH_MAX_MONEY: i64 = 21_000_000 * 100_000_000;

/// Every hash type a standard signature uses.
const HASH_TYPES: [u32; 6] = [
    SIGHASH_ALL,
    SIGHASH_NONE,
    SIGHASH_SINGLE,
    SIGHASH_ALL | SIGHASH_ANYONECANPAY,
    SIGHASH_NONE | SIGHASH_ANYONECANPAY,
    SIGHASH_SINGLE | SIGHASH_ANYONECANPAY,
];

/// librustzcash's sighash entry point wants a transparent authorization that can list the spent
/// outputs (ZIP-244 commits to them); ZIP-243 never reads them, so this one holds none.
#[derive(Debug)]
struct SighashOnly;

impl zcash_bundle::Authorization for SighashOnly {
    type ScriptSig = ZcashScript;
}

impl TransparentAuthorizingContext for SighashOnly {
    fn input_amounts(&self) -> Vec<Zatoshis> {
        Vec::new()
    }

    fn input_scriptpubkeys(&self) -> Vec<ZcashScript> {
        Vec::new()
    }
}

/// A parsed transaction with [`SighashOnly`] in place of its transparent signatures' type.
struct ForSighash;

impl ZcashAuthorization for ForSighash {
    type TransparentAuth = SighashOnly;
    type SaplingAuth = <ZcashAuthorized as ZcashAuthorization>::SaplingAuth;
    type OrchardAuth = <ZcashAuthorized as ZcashAuthorization>::OrchardAuth;
}

fn for_sighash(tx: ZcashTransaction) -> TransactionData<ForSighash> {
    tx.into_data().map_bundles(
        |bundle| {
            bundle.map(|bundle| zcash_bundle::Bundle {
                vin: bundle
                    .vin
                    .iter()
                    .map(|input| {
                        zcash_bundle::TxIn::from_parts(
                            input.prevout().clone(),
                            input.script_sig().clone(),
                            input.sequence(),
                        )
                    })
                    .collect(),
                vout: bundle.vout,
                authorization: SighashOnly,
            })
        },
        |sapling| sapling,
        |orchard| orchard,
    )
}

fn script() -> impl Strategy<Value = Script> {
    vec(any::<u8>(), 0..80).prop_map(Script::from)
}

fn txin() -> impl Strategy<Value = TxIn> {
    (any::<[u8; 32]>(), any::<u32>(), script(), any::<u32>()).prop_map(
        |(txid, index, script_sig, sequence)| TxIn {
            prevout: OutPoint {
                txid: Txid(txid),
                index,
            },
            script_sig,
            sequence,
        },
    )
}

fn txout() -> impl Strategy<Value = TxOut> {
    (0..=ZCASH_MAX_MONEY, script()).prop_map(|(value, script_pubkey)| TxOut {
        value,
        script_pubkey,
    })
}

/// A transparent v4 (Sapling-format) transaction with 1 to 4 inputs and 0 to 4 outputs, so that
/// `SIGHASH_SINGLE` meets inputs both with and without an output at their index.
fn v4_transaction() -> impl Strategy<Value = Transaction> {
    (
        vec(txin(), 1..5),
        vec(txout(), 0..5),
        any::<u32>(),
        any::<u32>(),
    )
        .prop_map(|(inputs, outputs, lock_time, expiry_height)| Transaction {
            overwintered: true,
            version: 4,
            version_group_id: SAPLING_VERSION_GROUP_ID,
            body: TxBody::Standard(StandardTx {
                inputs,
                outputs,
                lock_time,
                expiry_height,
                sapling: Default::default(),
                join_splits: None,
            }),
        })
}

/// librustzcash's ZIP-243 digest of input `index`.
fn zcash_digest(
    precomputed: &PrecomputedSighashData<ForSighash>,
    index: usize,
    hash_type: u32,
    script_code: &[u8],
    amount: i64,
) -> [u8; 32] {
    let bundle = precomputed
        .tx()
        .transparent_bundle()
        .expect("transaction has inputs");
    // librustzcash builds scripts by reading their encoding: a CompactSize length (one byte
    // below 253, which every script here is), then the bytes.
    let mut encoded = vec![u8::try_from(script_code.len()).expect("short script")];
    encoded.extend_from_slice(script_code);
    let script_code = ZcashScript::read(&encoded[..]).expect("a script");
    let input = ZcashTransparentInput::from_parts(
        bundle,
        SighashType::parse(hash_type as u8).expect("standard hash type"),
        index,
        &script_code,
        &script_code,
        Zatoshis::from_nonnegative_i64(amount).expect("amount within Zcash's MAX_MONEY"),
    )
    .expect("input index in range");
    *precomputed
        .signature_hash(&ZcashSignableInput::Transparent(input))
        .as_ref()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn v4_encoding_and_txid_match_librustzcash(tx in v4_transaction()) {
        let bytes = tx.encoded();
        let parsed = ZcashTransaction::read(&bytes[..], BranchId::Sapling)
            .expect("librustzcash parses flux-tx's v4 encoding");
        let mut rewritten = Vec::new();
        parsed.write(&mut rewritten).expect("write to a Vec");
        prop_assert_eq!(&rewritten, &bytes);
        let txid = parsed.txid();
        prop_assert_eq!(txid.as_ref(), &tx.txid().0);
        prop_assert_eq!(Transaction::decode_exact(&rewritten).expect("decodes"), tx);
    }

    #[test]
    fn zip243_digests_match_librustzcash(
        tx in v4_transaction(),
        script_codes in vec(vec(any::<u8>(), 0..80), 4),
        amounts in vec(0..=ZCASH_MAX_MONEY, 4),
    ) {
        let bytes = tx.encoded();
        let parsed = ZcashTransaction::read(&bytes[..], BranchId::Sapling).expect("parses");
        prop_assert_eq!(u32::from(parsed.consensus_branch_id()), FLUX_BRANCH_ID);
        let precomputed = PrecomputedSighashData::new(for_sighash(parsed));
        for index in 0..tx.inputs().len() {
            for hash_type in HASH_TYPES {
                let input = SignedInput {
                    index,
                    script_code: &script_codes[index],
                    amount: amounts[index],
                };
                let ours = signature_hash(&tx, Some(input), hash_type, FLUX_BRANCH_ID)
                    .expect("index in range");
                let theirs =
                    zcash_digest(&precomputed, index, hash_type, &script_codes[index], amounts[index]);
                prop_assert_eq!(ours, theirs, "input {} hash type {:#x}", index, hash_type);
            }
        }
    }
}
