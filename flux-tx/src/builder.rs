//! Building a signed transparent transaction: spend P2PKH outputs of one key, pay a list of
//! addresses, leave a fee, and return the change (fluxnode START and CONFIRM transactions are
//! built in [`fluxnode`]). The result is a v4 (Sapling) transaction, as
//! fluxd's wallet makes them, signed with `SIGHASH_ALL` under the consensus branch id of the
//! height it is built for.
//!
//! ```
//! use flux_tx::address::Address;
//! use flux_tx::builder::{Utxo, build_p2pkh};
//! use flux_tx::keys::PrivateKey;
//! use flux_tx::{Amount, BlockHeight, Network, OutPoint, Txid};
//!
//! let key = PrivateKey::from_secret_bytes([1; 32], true).unwrap();
//! let mine = Address::from_public_key(&key.public_key(), Network::Mainnet);
//! let utxo = Utxo {
//!     outpoint: OutPoint { txid: Txid([7; 32]), index: 0 },
//!     amount: Amount::from_flux(10).unwrap(),
//!     script_pubkey: mine.script_pubkey(),
//! };
//! let friend = Address::from_public_key(
//!     &PrivateKey::from_secret_bytes([2; 32], true).unwrap().public_key(),
//!     Network::Mainnet,
//! );
//! let tx = build_p2pkh(
//!     &key,
//!     &[utxo],
//!     &[(friend, Amount::from_flux(3).unwrap())],
//!     Amount::from_zat(10_000).unwrap(),
//!     &mine,
//!     Network::Mainnet,
//!     BlockHeight(1_600_000),
//! )
//! .unwrap();
//! assert_eq!(tx.outputs().len(), 2); // payment and change
//! assert_eq!(tx.outputs()[1].value, 700_000_000 - 10_000);
//! ```

pub mod fluxnode;
pub mod multisig;
pub mod payment;

use alloc::vec::Vec;

use flux_pow::{BlockHeight, Network, NetworkUpgrade};

use crate::address::Address;
use crate::amount::Amount;
use crate::keys::PrivateKey;
use crate::script::Script;
use crate::sighash::{PrecomputedDigests, SIGHASH_ALL, SighashError, SignedInput};
use crate::sign::{SEQUENCE_FINAL, p2pkh_script_sig, sign_input_with};
use crate::transaction::{
    OutPoint, SAPLING_TX_VERSION, SAPLING_VERSION_GROUP_ID, SaplingBundle, StandardTx, Transaction,
    TxBody, TxIn, TxOut,
};

/// Blocks after which a built transaction expires (`DEFAULT_TX_EXPIRY_DELTA` of the daemon).
pub const EXPIRY_DELTA: u32 = 20;

/// An output the key can spend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Utxo {
    /// Where it is.
    pub outpoint: OutPoint,
    /// Its value.
    pub amount: Amount,
    /// Its locking script (must be the key's P2PKH script).
    pub script_pubkey: Script,
}

/// Why no transaction could be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// Nothing to spend.
    #[error("no outputs to spend")]
    NoInputs,
    /// Nothing to pay.
    #[error("no payments")]
    NoPayments,
    /// A UTXO is not locked to the signing key's P2PKH address.
    #[error("UTXO {index} is not a P2PKH output of the signing key")]
    ForeignUtxo {
        /// Its position in the list.
        index: usize,
    },
    /// The inputs, or the payments plus fee, add up beyond `MAX_MONEY`.
    #[error("amounts add up beyond 440000000 FLUX")]
    AmountOverflow,
    /// The inputs do not cover payments and fee.
    #[error("inputs hold {available} but payments and fee need {needed}")]
    InsufficientFunds {
        /// Sum of the inputs.
        available: Amount,
        /// Payments plus fee.
        needed: Amount,
    },
    /// The signature hash could not be computed.
    #[error("signing failed: {0}")]
    Sighash(#[from] SighashError),
}

/// Builds and signs a v4 transaction spending `utxos` (all P2PKH of `key`), paying `payments`,
/// leaving `fee`, and sending any change to `change_to`, for inclusion at `height` on `network`
/// (which picks the consensus branch id the signatures commit to; testnet and regtest addresses
/// look alike, so the network is not taken from them).
///
/// # Errors
///
/// One [`BuildError`] per reason.
pub fn build_p2pkh(
    key: &PrivateKey,
    utxos: &[Utxo],
    payments: &[(Address, Amount)],
    fee: Amount,
    change_to: &Address,
    network: Network,
    height: BlockHeight,
) -> Result<Transaction, BuildError> {
    if utxos.is_empty() {
        return Err(BuildError::NoInputs);
    }
    if payments.is_empty() {
        return Err(BuildError::NoPayments);
    }
    check_own_utxos(key, utxos, network)?;
    let available = Amount::checked_sum(utxos.iter().map(|utxo| utxo.amount))
        .ok_or(BuildError::AmountOverflow)?;
    let needed = Amount::checked_sum(payments.iter().map(|(_, amount)| *amount))
        .and_then(|paid| paid.checked_add(fee))
        .ok_or(BuildError::AmountOverflow)?;
    let change = available
        .checked_sub(needed)
        .ok_or(BuildError::InsufficientFunds { available, needed })?;

    let mut outputs: Vec<TxOut> = payments
        .iter()
        .map(|(address, amount)| TxOut::new(*amount, address.script_pubkey()))
        .collect();
    if change > Amount::ZERO {
        outputs.push(TxOut::new(change, change_to.script_pubkey()));
    }
    build_p2pkh_outputs(key, utxos, outputs, network, height)
}

/// The key's public key, after checking every UTXO is locked to its P2PKH script.
fn check_own_utxos(
    key: &PrivateKey,
    utxos: &[Utxo],
    network: Network,
) -> Result<crate::keys::PublicKey, BuildError> {
    let public_key = key.public_key();
    let own_script = Address::from_public_key(&public_key, network).script_pubkey();
    if let Some(index) = utxos
        .iter()
        .position(|utxo| utxo.script_pubkey != own_script)
    {
        return Err(BuildError::ForeignUtxo { index });
    }
    Ok(public_key)
}

/// A v4 (Sapling-format) transparent transaction as fluxd's wallet starts one
/// (`CreateNewContextualCMutableTransaction`): final sequences, no lock time, expiry
/// [`EXPIRY_DELTA`] blocks after `height`.
pub(crate) fn sapling_transaction(
    inputs: Vec<(OutPoint, Script)>,
    outputs: Vec<TxOut>,
    height: BlockHeight,
) -> Transaction {
    Transaction {
        overwintered: true,
        version: SAPLING_TX_VERSION,
        version_group_id: SAPLING_VERSION_GROUP_ID,
        body: TxBody::Standard(StandardTx {
            inputs: inputs
                .into_iter()
                .map(|(prevout, script_sig)| TxIn {
                    prevout,
                    script_sig,
                    sequence: SEQUENCE_FINAL,
                })
                .collect(),
            outputs,
            lock_time: 0,
            expiry_height: height.0.saturating_add(EXPIRY_DELTA),
            sapling: SaplingBundle::default(),
            join_splits: None,
        }),
    }
}

/// Signs a v4 transaction spending `utxos` (P2PKH of `key`) to `outputs` as they are, for
/// `height` on `network` (expiry [`EXPIRY_DELTA`] blocks later).
pub(crate) fn build_p2pkh_outputs(
    key: &PrivateKey,
    utxos: &[Utxo],
    outputs: Vec<TxOut>,
    network: Network,
    height: BlockHeight,
) -> Result<Transaction, BuildError> {
    if utxos.is_empty() {
        return Err(BuildError::NoInputs);
    }
    let public_key = check_own_utxos(key, utxos, network)?;
    let inputs = utxos
        .iter()
        .map(|utxo| (utxo.outpoint, Script::new()))
        .collect();
    let mut tx = sapling_transaction(inputs, outputs, height);

    let branch_id = NetworkUpgrade::branch_id_at(network, height);
    // ZIP-243's transaction-wide digests do not depend on the (still empty) scriptSigs.
    let precomputed = PrecomputedDigests::new(&tx);
    let public_key_bytes = public_key.to_bytes();
    let mut script_sigs = Vec::with_capacity(utxos.len());
    for (index, utxo) in utxos.iter().enumerate() {
        let signed = SignedInput {
            index,
            script_code: utxo.script_pubkey.as_bytes(),
            amount: utxo.amount.zat(),
        };
        let signature = sign_input_with(
            &tx,
            signed,
            SIGHASH_ALL as u8,
            branch_id,
            key,
            Some(&precomputed),
        )?;
        script_sigs.push(p2pkh_script_sig(&signature, &public_key_bytes));
    }
    if let TxBody::Standard(body) = &mut tx.body {
        for (input, script_sig) in body.inputs.iter_mut().zip(script_sigs) {
            input.script_sig = Script::from(script_sig);
        }
    }
    Ok(tx)
}
