//! The transaction that makes a Titan stake (Flux docs, `docs/fluxnodes/titan-node-staking.md`,
//! as summarised in `shared/spec/titan_parallel.md`): a payment of at least 50 and at most
//! 10,000 FLUX to the Titan multisig (P2SH) address, with the stake's reference in an
//! `OP_RETURN` output; the stake is active after about 30 confirmations.
//!
//! The reference and the lock-up (3, 6 or 12 months; the longer, the lower Titan's fee) are
//! chosen in the Titan app, which hands the wallet the reference to embed: the public
//! documentation defines no byte format for it, so this builder carries the bytes it is given
//! (1 to 80, the `OP_RETURN` limit) and checks what the documentation does define: the amount
//! range and that the destination is a multisig (P2SH) address. The per-FluxID limit of 40,000
//! FLUX is Titan's own bookkeeping and cannot be checked from one transaction.
//!
//! ```
//! use flux_nodes::titan::stake_payment::{TitanStake, build_stake_payment};
//! use flux_tx::address::Address;
//! use flux_tx::builder::Utxo;
//! use flux_tx::builder::payment::FeeRate;
//! use flux_tx::keys::PrivateKey;
//! use flux_tx::{Amount, BlockHeight, Network, OutPoint, Txid};
//!
//! let key = PrivateKey::from_secret_bytes([1; 32], true)?;
//! let mine = Address::from_public_key(&key.public_key(), Network::Mainnet);
//! let coin = Utxo {
//!     outpoint: OutPoint { txid: Txid([7; 32]), index: 0 },
//!     amount: Amount::from_flux(1_000).unwrap(),
//!     script_pubkey: mine.script_pubkey(),
//! };
//! // Titan's multisig address (any P2SH address here: a 1-of-1 of a made-up key).
//! let titan = Address::from_redeem_script(&[0x51, 0x21, 2, 0x42, 0x42, 0x51, 0xae], Network::Mainnet);
//! let stake = TitanStake {
//!     amount: Amount::from_flux(500).unwrap(),
//!     reference: b"stake 5f3a".to_vec(),
//!     titan_address: titan,
//! };
//! let built = build_stake_payment(&key, &stake, vec![coin], mine, FeeRate::WALLET_DEFAULT, Network::Mainnet, BlockHeight(2_100_000))?;
//! assert_eq!(built.tx.outputs()[0].value, 50_000_000_000);
//! assert_eq!(built.tx.outputs()[1].value, 0); // the OP_RETURN reference
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use flux_pow::{BlockHeight, Network};
use flux_tx::address::{Address, Payload};
use flux_tx::builder::Utxo;
use flux_tx::builder::payment::{
    BuiltPayment, FeeRate, Payment, PaymentError, PaymentRequest, build_payment,
};
use flux_tx::keys::PrivateKey;
use flux_tx::{Amount, COIN};

use super::params::{MAX_STAKE_FLUX, MIN_STAKE_FLUX};

/// The most bytes a stake reference may have: what one `OP_RETURN` output carries
/// (`MAX_OP_RETURN_RELAY` less the opcode and push).
pub const MAX_REFERENCE_LEN: usize = 80;

/// What a staker pays Titan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TitanStake {
    /// The stake: 50 to 10,000 FLUX.
    pub amount: Amount,
    /// The reference the Titan app gave for this stake (1 to 80 bytes).
    pub reference: Vec<u8>,
    /// Titan's multisig address.
    pub titan_address: Address,
}

/// Why a stake payment cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StakePaymentError {
    /// The amount is outside 50 to 10,000 FLUX.
    #[error("a Titan stake is {min} to {max} FLUX, not {amount}", min = MIN_STAKE_FLUX, max = MAX_STAKE_FLUX)]
    AmountOutOfRange {
        /// The amount asked for.
        amount: Amount,
    },
    /// The reference is empty or longer than one `OP_RETURN` output carries.
    #[error("the stake reference must be 1 to {MAX_REFERENCE_LEN} bytes, not {len}")]
    BadReference {
        /// Its length.
        len: usize,
    },
    /// The destination is not a multisig (P2SH) address, as Titan's is.
    #[error("{0} is not a P2SH (multisig) address: Titan's staking address is one")]
    NotMultisigAddress(String),
    /// The payment itself failed (coins, fee, signing).
    #[error(transparent)]
    Payment(#[from] PaymentError),
}

/// Builds and signs the stake payment from `key`'s `utxos`: the stake to Titan first, then the
/// reference in an `OP_RETURN` output, then change to `change_to` (fluxd's wallet rules, see
/// [`flux_tx::builder::payment`]).
///
/// # Errors
/// [`StakePaymentError`].
pub fn build_stake_payment(
    key: &PrivateKey,
    stake: &TitanStake,
    utxos: Vec<Utxo>,
    change_to: Address,
    fee_rate: FeeRate,
    network: Network,
    height: BlockHeight,
) -> Result<BuiltPayment, StakePaymentError> {
    let zat = stake.amount.zat();
    if !(MIN_STAKE_FLUX * COIN..=MAX_STAKE_FLUX * COIN).contains(&zat) {
        return Err(StakePaymentError::AmountOutOfRange {
            amount: stake.amount,
        });
    }
    if stake.reference.is_empty() || stake.reference.len() > MAX_REFERENCE_LEN {
        return Err(StakePaymentError::BadReference {
            len: stake.reference.len(),
        });
    }
    if !matches!(stake.titan_address.payload(), Payload::ScriptHash(_)) {
        return Err(StakePaymentError::NotMultisigAddress(
            stake.titan_address.to_string(),
        ));
    }
    let request = PaymentRequest {
        utxos,
        payments: vec![
            Payment::To(stake.titan_address, stake.amount),
            Payment::Data(stake.reference.clone()),
        ],
        change_to,
        fee_rate,
        network,
        height,
    };
    Ok(build_payment(key, &request)?)
}
