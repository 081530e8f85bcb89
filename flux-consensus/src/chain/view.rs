//! The redb-backed [`UtxoView`]: the rules read the store's UTXO table through it, and a read
//! failure comes back as the view's [`StoreError`], apart from any rule verdict.

use flux_tx::OutPoint;

use super::tables::BytesTable;
use crate::check::utxo::{Coin, UtxoView};
use crate::store::{StoreError, decode_coin, outpoint_key};

/// The UTXO table of a read or write transaction, as the rules see it.
pub(super) struct UtxoTable<'t, T: BytesTable>(pub(super) &'t T);

impl<T: BytesTable> UtxoView for UtxoTable<'_, T> {
    type Error = StoreError;

    fn coin(&self, outpoint: &OutPoint) -> Result<Option<Coin>, StoreError> {
        get_coin(self.0, outpoint)
    }
}

/// The coin at `outpoint` in a UTXO table.
pub(super) fn get_coin(
    table: &impl BytesTable,
    outpoint: &OutPoint,
) -> Result<Option<Coin>, StoreError> {
    let key = outpoint_key(outpoint);
    match table.get(key.as_slice())? {
        Some(bytes) => Ok(Some(decode_coin(bytes.value())?)),
        None => Ok(None),
    }
}
