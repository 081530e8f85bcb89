//! The chain state the contextual rules read: unspent outputs ([`Coin`]) behind a [`UtxoView`].
//!
//! The view is how the rules stay apart from any storage: the chain (`chain::Chain`) answers it from
//! its redb tables (feature `store`), a light client or a test from a `HashMap`. A lookup may fail
//! (a disk, a network); such a failure is the view's own error and never a rule violation, so the
//! rules that read a view return a [`UtxoCheckError`], which keeps the two apart.

use core::convert::Infallible;
use std::collections::HashMap;

use flux_tx::{BlockHeight, OutPoint, TxOut};

use crate::error::TransactionError;

/// An unspent output and where it came from (`CCoins`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coin {
    /// The output.
    pub output: TxOut,
    /// Height of the block that created it.
    pub height: BlockHeight,
    /// Whether it is a coinbase output (subject to maturity).
    pub is_coinbase: bool,
}

/// Read access to a UTXO set: the contextual transaction rules' view of the chain state.
pub trait UtxoView {
    /// Why a lookup failed (the storage's error; [`Infallible`] for an in-memory set).
    type Error;

    /// The unspent output at `outpoint`, `None` when there is none.
    ///
    /// # Errors
    ///
    /// [`UtxoView::Error`] when the set could not be read; the rules pass it on untouched.
    fn coin(&self, outpoint: &OutPoint) -> Result<Option<Coin>, Self::Error>;
}

impl UtxoView for HashMap<OutPoint, Coin> {
    type Error = Infallible;

    fn coin(&self, outpoint: &OutPoint) -> Result<Option<Coin>, Infallible> {
        Ok(self.get(outpoint).cloned())
    }
}

impl<V: UtxoView + ?Sized> UtxoView for &V {
    type Error = V::Error;

    fn coin(&self, outpoint: &OutPoint) -> Result<Option<Coin>, V::Error> {
        (**self).coin(outpoint)
    }
}

/// Why a transaction rule that reads a [`UtxoView`] did not pass: the transaction breaks the
/// rule, or the view could not answer (then nothing is known about the transaction).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UtxoCheckError<E> {
    /// The transaction breaks a consensus rule.
    #[error("{0}")]
    Invalid(#[from] TransactionError),
    /// The view failed; not the transaction's fault.
    #[error("utxo view: {0}")]
    View(E),
}

impl UtxoCheckError<Infallible> {
    /// The rule broken: a view that cannot fail leaves no other case.
    pub fn into_invalid(self) -> TransactionError {
        match self {
            UtxoCheckError::Invalid(error) => error,
            UtxoCheckError::View(never) => match never {},
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::transaction::{check_fluxnode_collateral, check_inputs};
    use crate::params::Regtest;
    use flux_pow::BlockHeight;
    use flux_tx::fluxnode::{CollateralSigner, FluxnodeStart, FluxnodeTx};
    use flux_tx::transaction::{StandardTx, TxBody, TxIn};
    use flux_tx::{Script, Transaction, Txid};

    /// A view whose every lookup fails, like a store whose disk is gone.
    struct BrokenView;

    impl UtxoView for BrokenView {
        type Error = &'static str;

        fn coin(&self, _: &OutPoint) -> Result<Option<Coin>, &'static str> {
            Err("disk gone")
        }
    }

    fn spend(prevout: OutPoint) -> Transaction {
        Transaction {
            overwintered: false,
            version: 1,
            version_group_id: 0,
            body: TxBody::Standard(StandardTx {
                inputs: vec![TxIn {
                    prevout,
                    script_sig: Script::from(vec![0x51]),
                    sequence: u32::MAX,
                }],
                outputs: vec![TxOut::new(
                    flux_tx::Amount::from_zat(1).unwrap(),
                    Script::from(vec![0x51]),
                )],
                lock_time: 0,
                expiry_height: 0,
                sapling: Default::default(),
                join_splits: None,
            }),
        }
    }

    #[test]
    fn a_failing_view_is_reported_apart_from_the_rules() {
        let prevout = OutPoint {
            txid: Txid([7; 32]),
            index: 0,
        };
        let tx = spend(prevout);
        let height = BlockHeight(200);
        assert_eq!(
            check_inputs(&tx, &BrokenView, height, 0),
            Err(UtxoCheckError::View("disk gone"))
        );
        // The same spend against an in-memory set that lacks the coin breaks a rule.
        let empty: HashMap<OutPoint, Coin> = HashMap::new();
        assert_eq!(
            check_inputs(&tx, &empty, height, 0).map_err(UtxoCheckError::into_invalid),
            Err(TransactionError::MissingOrSpent(prevout))
        );
    }

    #[test]
    fn a_start_whose_collateral_cannot_be_read_is_not_called_invalid() {
        let collateral = OutPoint {
            txid: Txid([9; 32]),
            index: 1,
        };
        let start = Transaction {
            overwintered: true,
            version: flux_tx::fluxnode::FLUXNODE_TX_UPGRADEABLE_VERSION,
            version_group_id: 0,
            body: TxBody::Fluxnode(FluxnodeTx::Start(FluxnodeStart {
                internal_version: None,
                collateral,
                signer: CollateralSigner::PubKey(vec![2; 33]),
                node_pubkey: vec![3; 33],
                sig_time: 0,
                sig: Vec::new(),
                delegates: None,
            })),
        };
        let height = BlockHeight(300);
        assert_eq!(
            check_fluxnode_collateral(&Regtest, &start, &BrokenView, height),
            Err(UtxoCheckError::View("disk gone"))
        );
        let empty: HashMap<OutPoint, Coin> = HashMap::new();
        assert_eq!(
            check_fluxnode_collateral(&Regtest, &start, &empty, height),
            Err(UtxoCheckError::Invalid(
                TransactionError::FluxnodeBadCollateral(collateral)
            ))
        );
    }
}
