//! P2SH multisig: m-of-n redeem scripts and their t3 addresses, and spending P2SH multisig
//! outputs with signatures gathered from several parties, in the form the SSP wallet and
//! Flux's utxo-lib exchange.
//!
//! A partly signed transaction is an ordinary transaction whose P2SH inputs carry
//! `OP_0 <slot 1> … <slot n> <redeem script>`: one slot per key of the redeem script, in the
//! script's key order, holding that key's signature (DER plus hash-type byte) or an empty push
//! (`OP_0`) while it is missing (utxo-lib's `buildIncomplete`: the multisig stack with `OP_0`
//! for absent signatures, then the redeem script). Each signer adds its signature to its slot
//! ([`sign_input`]), two partial transactions merge slot by slot in either order ([`combine`]),
//! and [`finalize`] keeps the first `m` signatures in key order, which is what
//! `OP_CHECKMULTISIG` reads (`OP_0 <sig>…<sig> <redeem script>`).
//!
//! Signatures commit to the transaction without any scriptSig (ZIP-243 for v4), so signing one
//! input never invalidates another's signatures.
//!
//! ```
//! use flux_tx::builder::multisig::{MultisigScript, combine, finalize, sign_input, unsigned_spend};
//! use flux_tx::keys::PrivateKey;
//! use flux_tx::sign::verify_input;
//! use flux_tx::script::VerifyFlags;
//! use flux_tx::{Amount, BlockHeight, Network, NetworkUpgrade, OutPoint, TxOut, Txid};
//!
//! let keys: Vec<PrivateKey> =
//!     (1..=3).map(|b| PrivateKey::from_secret_bytes([b; 32], true).unwrap()).collect();
//! let wallet = MultisigScript::new(2, keys.iter().map(|k| k.public_key()).collect())?;
//! let address = wallet.address(Network::Mainnet);
//! assert!(address.to_string().starts_with("t3"));
//!
//! let amount = Amount::from_flux(50).unwrap();
//! let outpoint = OutPoint { txid: Txid([4; 32]), index: 0 };
//! let to = TxOut::new(Amount::from_flux(49).unwrap(), address.script_pubkey());
//! let height = BlockHeight(2_100_000);
//! let unsigned = unsigned_spend(&[(outpoint, &wallet)], vec![to], height)?;
//!
//! // Two owners sign their copies independently, then the copies are merged.
//! let branch = NetworkUpgrade::branch_id_at(Network::Mainnet, height);
//! let mut first = unsigned.clone();
//! sign_input(&mut first, 0, &wallet, amount, &keys[2], branch)?;
//! let mut second = unsigned.clone();
//! sign_input(&mut second, 0, &wallet, amount, &keys[0], branch)?;
//! let tx = finalize(&combine(&first, &second)?)?;
//! verify_input(&tx, 0, address.script_pubkey().as_bytes(), amount.zat(), VerifyFlags::P2SH, branch)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use alloc::vec::Vec;

use flux_pow::{BlockHeight, Network};

use crate::address::Address;
use crate::amount::Amount;
use crate::builder::sapling_transaction;
use crate::keys::{PrivateKey, PublicKey};
use crate::outpoint::OutPoint;
use crate::script::Script;
use crate::script::instruction::{Instruction, Instructions};
use crate::script::standard::{ScriptTemplate, classify, multisig, p2sh, push_data};
use crate::sighash::{SIGHASH_ALL, SighashError, SignedInput};
use crate::transaction::{Transaction, TxBody, TxOut};

/// `MAX_SCRIPT_ELEMENT_SIZE`: a redeem script is pushed as one element, so at most 520 bytes
/// (15 compressed keys).
pub const MAX_REDEEM_SCRIPT_SIZE: usize = 520;
/// The most keys a P2SH multisig may list (`OP_CHECKMULTISIG` counts up to 20, the 520-byte
/// push limit allows 15 compressed keys; utxo-lib and fluxd's `createmultisig` stop at 16 and
/// the size rule decides).
pub const MAX_KEYS: usize = 16;

/// Why a multisig script, spend or signature step failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MultisigError {
    /// Not 1 ≤ m ≤ n ≤ 16.
    #[error("multisig needs 1 <= required ({required}) <= keys ({keys}) <= 16")]
    Counts {
        /// m.
        required: usize,
        /// n.
        keys: usize,
    },
    /// The redeem script is over 520 bytes and could not be pushed.
    #[error("redeem script of {length} bytes exceeds the 520-byte push limit")]
    RedeemScriptTooLarge {
        /// Its length.
        length: usize,
    },
    /// A redeem script that is not `OP_m <key>… OP_n OP_CHECKMULTISIG` over valid keys.
    #[error("not a multisig redeem script")]
    NotMultisig,
    /// The input index is out of range.
    #[error("input {index} does not exist")]
    NoSuchInput {
        /// The index.
        index: usize,
    },
    /// The input's scriptSig is not `OP_0 <slots> <redeem script>` for this redeem script.
    #[error("input {index} is not a partly signed spend of this multisig")]
    NotPartial {
        /// The input.
        index: usize,
    },
    /// The key is not one of the redeem script's.
    #[error("the signing key is not a key of the redeem script")]
    ForeignKey,
    /// The two transactions differ in more than their scriptSigs.
    #[error("the partial transactions are not the same transaction")]
    DifferentTransactions,
    /// Both transactions hold a different signature in the same slot.
    #[error("input {input} holds two different signatures for key {key}")]
    ConflictingSignatures {
        /// The input.
        input: usize,
        /// The key's position in the redeem script.
        key: usize,
    },
    /// An input has fewer than `m` signatures.
    #[error("input {input} has {have} of the {required} signatures it needs")]
    NotEnoughSignatures {
        /// The input.
        input: usize,
        /// Signatures present.
        have: usize,
        /// Signatures required.
        required: usize,
    },
    /// No inputs or no outputs.
    #[error("a spend needs inputs and outputs")]
    Empty,
    /// The signature hash could not be computed.
    #[error("signing failed: {0}")]
    Sighash(#[from] SighashError),
}

/// An m-of-n multisig redeem script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MultisigScript {
    required: usize,
    keys: Vec<PublicKey>,
    script: Script,
}

impl MultisigScript {
    /// `m` of `keys`, in the given order (the order is part of the script and the address;
    /// fluxd's `createmultisig` and utxo-lib keep the caller's order).
    ///
    /// # Errors
    /// [`MultisigError::Counts`] or [`MultisigError::RedeemScriptTooLarge`].
    pub fn new(required: usize, keys: Vec<PublicKey>) -> Result<MultisigScript, MultisigError> {
        let counts = MultisigError::Counts {
            required,
            keys: keys.len(),
        };
        if required == 0 || required > keys.len() || keys.len() > MAX_KEYS {
            return Err(counts);
        }
        let bytes: Vec<Vec<u8>> = keys.iter().map(PublicKey::to_bytes).collect();
        let refs: Vec<&[u8]> = bytes.iter().map(Vec::as_slice).collect();
        let script = multisig(required, &refs).map_err(|_| counts)?;
        if script.len() > MAX_REDEEM_SCRIPT_SIZE {
            return Err(MultisigError::RedeemScriptTooLarge {
                length: script.len(),
            });
        }
        Ok(MultisigScript {
            required,
            keys,
            script: Script::from(script),
        })
    }

    /// Reads a redeem script back.
    ///
    /// # Errors
    /// [`MultisigError::NotMultisig`] unless it is a multisig script over valid keys that
    /// [`MultisigScript::new`] would write the same way.
    pub fn from_redeem_script(script: &[u8]) -> Result<MultisigScript, MultisigError> {
        let ScriptTemplate::Multisig { required, keys } = classify(script) else {
            return Err(MultisigError::NotMultisig);
        };
        let keys = keys
            .iter()
            .map(|key| PublicKey::from_slice(key))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| MultisigError::NotMultisig)?;
        let parsed = MultisigScript::new(usize::from(required), keys)?;
        if parsed.script.as_bytes() != script {
            return Err(MultisigError::NotMultisig);
        }
        Ok(parsed)
    }

    /// Signatures required (m).
    pub fn required(&self) -> usize {
        self.required
    }

    /// The keys, in script order.
    pub fn keys(&self) -> &[PublicKey] {
        &self.keys
    }

    /// The redeem script.
    pub fn redeem_script(&self) -> &Script {
        &self.script
    }

    /// The P2SH address (t3 on mainnet).
    pub fn address(&self, network: Network) -> Address {
        Address::from_redeem_script(self.script.as_bytes(), network)
    }

    /// The P2SH output script (`OP_HASH160 <hash> OP_EQUAL`).
    pub fn script_pubkey(&self) -> Script {
        Script::from(p2sh(&crate::keys::hash160(self.script.as_bytes())))
    }

    /// The scriptSig of an input no one has signed: every slot `OP_0`.
    pub fn empty_script_sig(&self) -> Script {
        self.script_sig(&alloc::vec![None; self.keys.len()])
    }

    fn script_sig(&self, slots: &[Option<Vec<u8>>]) -> Script {
        let mut script = Vec::with_capacity(1 + slots.len() * 73 + self.script.len() + 3);
        push_data(&mut script, &[]);
        for slot in slots {
            push_data(&mut script, slot.as_deref().unwrap_or(&[]));
        }
        push_data(&mut script, self.script.as_bytes());
        Script::from(script)
    }

    /// The signature slots of a partly signed scriptSig (`None` for `OP_0`), one per key.
    ///
    /// # Errors
    /// `None` unless `script_sig` is `OP_0 <n pushes> <this redeem script>`.
    pub fn slots(&self, script_sig: &[u8]) -> Option<Vec<Option<Vec<u8>>>> {
        let mut pushes = Vec::with_capacity(self.keys.len() + 2);
        for instruction in Instructions::new(script_sig) {
            match instruction.ok()? {
                Instruction::Push { data, .. } => pushes.push(data),
                Instruction::Op(_) => return None,
            }
        }
        let (dummy, rest) = pushes.split_first()?;
        let (redeem, slots) = rest.split_last()?;
        if !dummy.is_empty() || *redeem != self.script.as_bytes() || slots.len() != self.keys.len()
        {
            return None;
        }
        Some(
            slots
                .iter()
                .map(|slot| (!slot.is_empty()).then(|| slot.to_vec()))
                .collect(),
        )
    }
}

/// An unsigned v4 transaction spending P2SH multisig outputs (each input's scriptSig holds
/// empty slots and its redeem script), expiring [`EXPIRY_DELTA`](crate::builder::EXPIRY_DELTA) blocks after `height`, as
/// fluxd's wallet sets it (the signatures' branch id is given at signing).
///
/// # Errors
/// [`MultisigError::Empty`].
pub fn unsigned_spend(
    inputs: &[(OutPoint, &MultisigScript)],
    outputs: Vec<TxOut>,
    height: BlockHeight,
) -> Result<Transaction, MultisigError> {
    if inputs.is_empty() || outputs.is_empty() {
        return Err(MultisigError::Empty);
    }
    let inputs = inputs
        .iter()
        .map(|(prevout, script)| (*prevout, script.empty_script_sig()))
        .collect();
    Ok(sapling_transaction(inputs, outputs, height))
}

fn slots_of(
    tx: &Transaction,
    index: usize,
    script: &MultisigScript,
) -> Result<Vec<Option<Vec<u8>>>, MultisigError> {
    let input = tx
        .inputs()
        .get(index)
        .ok_or(MultisigError::NoSuchInput { index })?;
    script
        .slots(input.script_sig.as_bytes())
        .ok_or(MultisigError::NotPartial { index })
}

fn set_script_sig(tx: &mut Transaction, index: usize, script_sig: Script) {
    if let TxBody::Standard(body) = &mut tx.body
        && let Some(input) = body.inputs.get_mut(index)
    {
        input.script_sig = script_sig;
    }
}

/// Adds `key`'s `SIGHASH_ALL` signature to input `index` (spending `amount` locked to
/// `script`'s P2SH address) under `consensus_branch_id`, in the key's slot.
///
/// # Errors
/// [`MultisigError::ForeignKey`], [`MultisigError::NoSuchInput`],
/// [`MultisigError::NotPartial`] or [`MultisigError::Sighash`].
pub fn sign_input(
    tx: &mut Transaction,
    index: usize,
    script: &MultisigScript,
    amount: Amount,
    key: &PrivateKey,
    consensus_branch_id: u32,
) -> Result<(), MultisigError> {
    let public = key.public_key();
    let slot = script
        .keys
        .iter()
        .position(|k| *k == public)
        .ok_or(MultisigError::ForeignKey)?;
    let mut slots = slots_of(tx, index, script)?;
    let signature = crate::sign::sign_input(
        &*tx,
        SignedInput {
            index,
            script_code: script.script.as_bytes(),
            amount: amount.zat(),
        },
        SIGHASH_ALL as u8,
        consensus_branch_id,
        key,
    )?;
    slots[slot] = Some(signature);
    set_script_sig(tx, index, script.script_sig(&slots));
    Ok(())
}

/// The transaction with every scriptSig emptied: what two partial copies must share.
fn without_script_sigs(tx: &Transaction) -> Transaction {
    let mut bare = tx.clone();
    if let TxBody::Standard(body) = &mut bare.body {
        for input in &mut body.inputs {
            input.script_sig = Script::new();
        }
    }
    bare
}

/// Reads the redeem script an input's partial scriptSig ends with.
fn input_script(tx: &Transaction, index: usize) -> Result<MultisigScript, MultisigError> {
    let script_sig = tx.inputs()[index].script_sig.as_bytes();
    let last = Instructions::new(script_sig)
        .filter_map(Result::ok)
        .last()
        .ok_or(MultisigError::NotPartial { index })?;
    match last {
        Instruction::Push { data, .. } => MultisigScript::from_redeem_script(data)
            .map_err(|_| MultisigError::NotPartial { index }),
        Instruction::Op(_) => Err(MultisigError::NotPartial { index }),
    }
}

/// Merges two partly signed copies of one transaction, slot by slot; the result is the same
/// whichever copy comes first. Inputs that are not partial multisig spends must be identical.
///
/// # Errors
/// [`MultisigError::DifferentTransactions`], [`MultisigError::ConflictingSignatures`].
pub fn combine(a: &Transaction, b: &Transaction) -> Result<Transaction, MultisigError> {
    if without_script_sigs(a) != without_script_sigs(b) {
        return Err(MultisigError::DifferentTransactions);
    }
    let mut merged = a.clone();
    for index in 0..a.inputs().len() {
        let (sig_a, sig_b) = (&a.inputs()[index].script_sig, &b.inputs()[index].script_sig);
        if sig_a == sig_b {
            continue;
        }
        let script = input_script(a, index)?;
        let (slots_a, slots_b) = (slots_of(a, index, &script)?, slots_of(b, index, &script)?);
        let mut slots = Vec::with_capacity(slots_a.len());
        for (key, (x, y)) in slots_a.into_iter().zip(slots_b).enumerate() {
            slots.push(match (x, y) {
                (Some(x), Some(y)) if x != y => {
                    return Err(MultisigError::ConflictingSignatures { input: index, key });
                }
                (x, y) => x.or(y),
            });
        }
        set_script_sig(&mut merged, index, script.script_sig(&slots));
    }
    Ok(merged)
}

/// The spendable transaction: each partial multisig input becomes `OP_0 <sig>…<sig> <redeem
/// script>` with its first `m` signatures in key order. Inputs that are not partial multisig
/// spends are left as they are.
///
/// # Errors
/// [`MultisigError::NotEnoughSignatures`].
pub fn finalize(tx: &Transaction) -> Result<Transaction, MultisigError> {
    let mut done = tx.clone();
    for index in 0..tx.inputs().len() {
        let Ok(script) = input_script(tx, index) else {
            continue;
        };
        let Ok(slots) = slots_of(tx, index, &script) else {
            continue;
        };
        let signatures: Vec<&[u8]> = slots.iter().flatten().map(Vec::as_slice).collect();
        if signatures.len() < script.required {
            return Err(MultisigError::NotEnoughSignatures {
                input: index,
                have: signatures.len(),
                required: script.required,
            });
        }
        let script_sig = crate::sign::p2sh_multisig_script_sig(
            &signatures[..script.required],
            script.script.as_bytes(),
        );
        set_script_sig(&mut done, index, Script::from(script_sig));
    }
    Ok(done)
}

/// How many signatures each input's slots hold (`None` for an input that is not a partial
/// multisig spend).
pub fn signature_counts(tx: &Transaction) -> Vec<Option<(usize, usize)>> {
    (0..tx.inputs().len())
        .map(|index| {
            let script = input_script(tx, index).ok()?;
            let slots = slots_of(tx, index, &script).ok()?;
            Some((slots.iter().flatten().count(), script.required))
        })
        .collect()
}
