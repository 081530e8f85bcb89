//! Lock terms: how long a stake is locked, the weight of its share and how much principal the
//! term accepts.

use flux_tx::Amount;

use super::error::TitanError;
use super::params::MAX_APR_BPS;

/// A lock term: how long stakes are locked, their APR (the weight of their share) and how much
/// principal the term accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockTerm {
    /// The term's name, e.g. `3m`; stake requests refer to it.
    pub name: String,
    /// The lock length in blocks (at least 1).
    pub blocks: u32,
    /// The APR in basis points (780 = 7.8 %), at most [`MAX_APR_BPS`].
    pub apr_bps: u32,
    /// The most principal the term holds at once from stakes not yet matured or exited.
    pub cap: Amount,
}

impl LockTerm {
    /// A term named `name` of `blocks` blocks at `apr_bps` basis points, holding at most `cap`.
    pub fn new(name: impl Into<String>, blocks: u32, apr_bps: u32, cap: Amount) -> LockTerm {
        LockTerm {
            name: name.into(),
            blocks,
            apr_bps,
            cap,
        }
    }
}

impl LockTerm {
    /// Checks the term on its own: at least one block, an APR of at most [`MAX_APR_BPS`].
    ///
    /// # Errors
    ///
    /// [`TitanError::EmptyTerm`] or [`TitanError::AprOutOfRange`].
    pub fn validate(&self) -> Result<(), TitanError> {
        if self.blocks == 0 {
            return Err(TitanError::EmptyTerm(self.name.clone()));
        }
        if self.apr_bps > MAX_APR_BPS {
            return Err(TitanError::AprOutOfRange {
                name: self.name.clone(),
                apr_bps: self.apr_bps,
            });
        }
        Ok(())
    }
}
