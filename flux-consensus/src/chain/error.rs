//! Why the chain did not accept a block or a transaction: a rule broken, or the store failed,
//! as two arms of one type so a caller never takes a disk failure for an invalid block.

use crate::check::utxo::UtxoCheckError;
use crate::error::{BlockError, HeaderError, TransactionError};
use crate::store::StoreError;

/// Why [`Chain::accept_block`](super::Chain::accept_block) did not accept a block: the block is
/// invalid (the rule it breaks), or the store failed (nothing is known about the block; not the
/// peer's fault).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AcceptBlockError {
    /// The block, or during a reorganisation a block of its branch, breaks a rule.
    #[error("{0}")]
    Invalid(#[from] BlockError),
    /// The store failed (disk, corruption).
    #[error("chain store: {0}")]
    Store(#[from] StoreError),
}

impl AcceptBlockError {
    /// fluxd's peer penalty: the rule's for an invalid block, 0 for a store failure.
    pub fn misbehavior_score(&self) -> u32 {
        match self {
            AcceptBlockError::Invalid(error) => error.misbehavior_score(),
            AcceptBlockError::Store(_) => 0,
        }
    }

    /// The rule broken, `None` for a store failure.
    pub fn invalid(&self) -> Option<&BlockError> {
        match self {
            AcceptBlockError::Invalid(error) => Some(error),
            AcceptBlockError::Store(_) => None,
        }
    }
}

impl From<HeaderError> for AcceptBlockError {
    fn from(error: HeaderError) -> Self {
        AcceptBlockError::Invalid(error.into())
    }
}

/// Why a transaction cannot be accepted on top of the tip.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TxValidationError {
    /// It breaks a consensus rule.
    #[error("{0}")]
    Invalid(#[from] TransactionError),
    /// The store failed.
    #[error("chain store: {0}")]
    Store(#[from] StoreError),
}

impl From<UtxoCheckError<StoreError>> for TxValidationError {
    fn from(error: UtxoCheckError<StoreError>) -> TxValidationError {
        match error {
            UtxoCheckError::Invalid(error) => TxValidationError::Invalid(error),
            UtxoCheckError::View(error) => TxValidationError::Store(error),
        }
    }
}
