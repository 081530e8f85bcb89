//! Transparent payments as fluxd's wallet makes them (`CWallet::CreateTransaction`,
//! `wallet/wallet.cpp`): choose coins, pay addresses and `OP_RETURN` data, compute the fee from
//! the signed size and a fee rate, return change unless it would be dust, and sign a v4
//! (Sapling-format) transaction with the ZIP-243 sighash.
//!
//! The daemon's numbers:
//! - fee rates are zatoshis per 1000 bytes, and a fee is `rate * size / 1000`, at least the rate
//!   itself when that rounds to zero (`CFeeRate::GetFee`, `amount.cpp:21-29`);
//! - the wallet's fallback rate is 1000 zat/kB (`CWallet::minTxFee`, `wallet.cpp:52`), never
//!   below the relay minimum of 100 zat/kB (`DEFAULT_MIN_RELAY_TX_FEE`, `main.h:80`;
//!   `GetMinimumFee`, `wallet.cpp:3767-3787`);
//! - an output is dust below `3 * GetFee(serialized output + 148)` at the relay rate (54 zat for
//!   a P2PKH or P2SH output), `OP_RETURN` outputs never (`GetDustThreshold`,
//!   `primitives/transaction.h:572-587`); dust change is left to the fee
//!   (`wallet.cpp:3586-3591`);
//! - the expiry height is the height plus `DEFAULT_TX_EXPIRY_DELTA` = 20 blocks
//!   (`CreateNewContextualCMutableTransaction`, `main.cpp:8950-8956`). fluxd keeps 20 blocks in
//!   every era, so a transaction expires after about 40 minutes before the PON upgrade
//!   (120-second blocks) and about 10 minutes after it (30-second blocks).
//!
//! Two choices differ from the daemon, which randomises both: coins are taken largest first
//! (fluxd's `SelectCoinsMinConf` runs a randomised knapsack), and the change output comes last
//! (fluxd inserts it at a random position).
//!
//! ```
//! use flux_tx::address::Address;
//! use flux_tx::builder::Utxo;
//! use flux_tx::builder::payment::{FeeRate, Payment, PaymentRequest, build_payment};
//! use flux_tx::keys::PrivateKey;
//! use flux_tx::{Amount, BlockHeight, FluxEncode, Network, OutPoint, Txid};
//!
//! let key = PrivateKey::from_secret_bytes([1; 32], true)?;
//! let mine = Address::from_public_key(&key.public_key(), Network::Mainnet);
//! let utxos: Vec<Utxo> = [3u8, 9].iter().map(|&n| Utxo {
//!     outpoint: OutPoint { txid: Txid([n; 32]), index: 0 },
//!     amount: Amount::from_flux(i64::from(n)).unwrap(),
//!     script_pubkey: mine.script_pubkey(),
//! }).collect();
//! let friend = Address::from_public_key(&PrivateKey::from_secret_bytes([2; 32], true)?.public_key(), Network::Mainnet);
//! let built = build_payment(&key, &PaymentRequest {
//!     utxos,
//!     payments: vec![Payment::To(friend, Amount::from_flux(5).unwrap()), Payment::Data(b"invoice 42".to_vec())],
//!     change_to: mine,
//!     fee_rate: FeeRate::WALLET_DEFAULT,
//!     network: Network::Mainnet,
//!     height: BlockHeight(2_100_000),
//! })?;
//! // One 9 FLUX coin was enough; the fee covers 1000 zat per kB of the signed transaction
//! // (as in fluxd, the fee of the previous pass is kept when re-signing shrank the size).
//! assert_eq!(built.tx.inputs().len(), 1);
//! assert!(built.fee.zat() >= 1000 * built.tx.encoded().len() as i64 / 1000);
//! assert_eq!(built.tx.standard().unwrap().expiry_height, 2_100_020);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use alloc::vec::Vec;

use flux_pow::{BlockHeight, Network};

use crate::address::Address;
use crate::amount::Amount;
use crate::builder::{BuildError, EXPIRY_DELTA, Utxo, build_p2pkh_outputs};
use crate::encode::FluxEncode;
use crate::keys::PrivateKey;
use crate::script::Script;
use crate::script::standard::{TemplateError, null_data};
use crate::transaction::{Transaction, TxOut};

/// A fee rate in zatoshis per 1000 bytes (`CFeeRate`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FeeRate(pub i64);

impl FeeRate {
    /// `DEFAULT_MIN_RELAY_TX_FEE`: the relay minimum, and the rate dust is measured at.
    pub const MIN_RELAY: FeeRate = FeeRate(100);
    /// `CWallet::minTxFee`: the wallet's rate when no fee is set and none can be estimated.
    pub const WALLET_DEFAULT: FeeRate = FeeRate(1000);

    /// `CFeeRate::GetFee`: `rate * size / 1000`, or the rate itself if that is zero.
    pub fn fee(self, size: usize) -> Option<Amount> {
        let size = i64::try_from(size).ok()?;
        let mut fee = self.0.checked_mul(size)? / 1000;
        if fee == 0 && self.0 > 0 {
            fee = self.0;
        }
        Amount::from_zat(fee)
    }
}

/// `CTxOut::GetDustThreshold` at `relay`: zero for an unspendable (`OP_RETURN`) output.
pub fn dust_threshold(output: &TxOut, relay: FeeRate) -> Amount {
    if output.script_pubkey.as_bytes().first() == Some(&crate::script::opcodes::OP_RETURN) {
        return Amount::ZERO;
    }
    let size = output.encoded().len() + 148;
    relay
        .fee(size)
        .and_then(|fee| fee.checked_mul(3))
        .unwrap_or(Amount::ZERO)
}

/// `CTxOut::IsDust` at the relay minimum.
pub fn is_dust(output: &TxOut) -> bool {
    output.value < dust_threshold(output, FeeRate::MIN_RELAY).zat()
}

/// The expiry height fluxd's wallet gives a transaction built for `height`.
pub const fn expiry_height(height: BlockHeight) -> u32 {
    height.0.saturating_add(EXPIRY_DELTA)
}

/// One output the payer asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payment {
    /// Pay an address (t1 or t3).
    To(Address, Amount),
    /// An `OP_RETURN` output of zero value carrying up to 80 bytes.
    Data(Vec<u8>),
}

/// What to pay and with what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentRequest {
    /// The coins the key may spend (P2PKH of the key).
    pub utxos: Vec<Utxo>,
    /// The outputs, in order.
    pub payments: Vec<Payment>,
    /// Where change goes.
    pub change_to: Address,
    /// The fee rate (at least [`FeeRate::MIN_RELAY`] is charged).
    pub fee_rate: FeeRate,
    /// The network (picks the signatures' branch id with the height).
    pub network: Network,
    /// The height the transaction is for.
    pub height: BlockHeight,
}

/// A built payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltPayment {
    /// The signed transaction.
    pub tx: Transaction,
    /// Its fee (including any dust change left to it).
    pub fee: Amount,
    /// The position of the change output, if there is one.
    pub change_index: Option<usize>,
}

/// Why a payment could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PaymentError {
    /// A payment output would be dust ("Transaction amount too small").
    #[error("payment {index} of {amount} is below the dust threshold {threshold}")]
    Dust {
        /// Its position.
        index: usize,
        /// Its amount.
        amount: Amount,
        /// The threshold.
        threshold: Amount,
    },
    /// An `OP_RETURN` payload over 80 bytes.
    #[error("OP_RETURN data: {0}")]
    Data(#[from] TemplateError),
    /// A fee rate below zero.
    #[error("fee rate {0} zat/kB is negative")]
    NegativeFeeRate(i64),
    /// Building or signing failed (no coins, not enough funds, foreign coins, overflow).
    #[error(transparent)]
    Build(#[from] BuildError),
}

/// Builds and signs the payment (see the module documentation for the rules).
///
/// # Errors
/// [`PaymentError`]; [`BuildError::InsufficientFunds`] when the coins cannot cover payments and
/// fee.
pub fn build_payment(
    key: &PrivateKey,
    request: &PaymentRequest,
) -> Result<BuiltPayment, PaymentError> {
    if request.fee_rate.0 < 0 {
        return Err(PaymentError::NegativeFeeRate(request.fee_rate.0));
    }
    let rate = request.fee_rate.max(FeeRate::MIN_RELAY);
    let mut outputs = Vec::with_capacity(request.payments.len() + 1);
    for (index, payment) in request.payments.iter().enumerate() {
        let output = match payment {
            Payment::To(address, amount) => TxOut::new(*amount, address.script_pubkey()),
            Payment::Data(data) => TxOut::new(Amount::ZERO, Script::from(null_data(data)?)),
        };
        if is_dust(&output) {
            return Err(PaymentError::Dust {
                index,
                amount: Amount::from_zat(output.value).unwrap_or(Amount::ZERO),
                threshold: dust_threshold(&output, FeeRate::MIN_RELAY),
            });
        }
        outputs.push(output);
    }
    if outputs.is_empty() {
        return Err(BuildError::NoPayments.into());
    }
    let paid = Amount::checked_sum(outputs.iter().filter_map(TxOut::amount))
        .ok_or(BuildError::AmountOverflow)?;
    let mut coins = request.utxos.clone();
    coins.sort_by(|a, b| b.amount.cmp(&a.amount).then(a.outpoint.cmp(&b.outpoint)));

    // fluxd's loop: start with no fee, sign, measure, raise the fee to what the size needs.
    let mut fee = Amount::ZERO;
    loop {
        let target = paid.checked_add(fee).ok_or(BuildError::AmountOverflow)?;
        let selected = select_largest_first(&coins, target)?;
        let available = Amount::checked_sum(selected.iter().map(|u| u.amount))
            .ok_or(BuildError::AmountOverflow)?;
        let mut change = available.checked_sub(target).unwrap_or(Amount::ZERO);
        let mut all = outputs.clone();
        let change_output = TxOut::new(change, request.change_to.script_pubkey());
        let change_index = if change > Amount::ZERO && !is_dust(&change_output) {
            all.push(change_output);
            Some(all.len() - 1)
        } else {
            change = Amount::ZERO;
            None
        };
        let tx = build_p2pkh_outputs(key, selected, all, request.network, request.height)?;
        let needed = rate
            .fee(tx.encoded().len())
            .ok_or(BuildError::AmountOverflow)?;
        if fee >= needed {
            let total_fee = available
                .checked_sub(paid)
                .and_then(|rest| rest.checked_sub(change))
                .ok_or(BuildError::AmountOverflow)?;
            return Ok(BuiltPayment {
                tx,
                fee: total_fee,
                change_index,
            });
        }
        fee = needed;
    }
}

/// The fewest largest coins whose sum reaches `target`.
fn select_largest_first(coins: &[Utxo], target: Amount) -> Result<&[Utxo], BuildError> {
    let mut sum = Amount::ZERO;
    for (count, coin) in coins.iter().enumerate() {
        sum = sum
            .checked_add(coin.amount)
            .ok_or(BuildError::AmountOverflow)?;
        if sum >= target {
            return Ok(&coins[..=count]);
        }
    }
    if coins.is_empty() {
        return Err(BuildError::NoInputs);
    }
    Err(BuildError::InsufficientFunds {
        available: sum,
        needed: target,
    })
}
