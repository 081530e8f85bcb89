//! Checking a loose transaction against the tip (what `sendrawtransaction` needs, without a
//! mempool), phase by phase: the rules without state, finality, the spends, the CONFIRM key, and
//! the fluxnode list.

use flux_nodes::{FluxnodeList, ListError, NodeStatus};
use flux_pow::BlockHeight;
use flux_tx::fluxnode::{FluxnodeTx, UpdateType};
use flux_tx::{Amount, Transaction};
use redb::{ReadTransaction, ReadableDatabase};

use super::tables::{node_key, stored_delegates};
use super::view::UtxoTable;
use super::{Chain, TxValidationError};
use crate::check::transaction::{
    check_benchmark_tier, check_confirm_signature, check_final, check_fluxnode_collateral,
    check_inputs, check_start_signature_with_delegates, check_transaction,
    check_transaction_at_height,
};
use crate::error::TransactionError;
use crate::store::{DELEGATES, NODE_KEYS, StoreError, UTXOS};

impl Chain {
    /// Checks a loose transaction against the tip's UTXO set and fluxnode list as if it were
    /// mined in the next block (what `sendrawtransaction` needs, without a mempool): every
    /// context-free and height rule, finality at the tip's median time past, inputs and scripts,
    /// and for fluxnode transactions the collateral and the list state. Returns the fee.
    ///
    /// # Errors
    ///
    /// [`TxValidationError::Invalid`] naming the rule, or a store failure.
    pub fn validate_transaction(&self, tx: &Transaction) -> Result<Amount, TxValidationError> {
        let height = BlockHeight(self.tip.height.0 + 1);
        self.check_without_state(tx, height)?;
        check_final(tx, height, self.median_time_past()?)?;
        let read = self.db.begin_read().map_err(StoreError::from)?;
        let fee = self.check_spends(&read, tx, height)?;
        self.check_node_signatures(&read, tx)?;
        if let Some(error) = list_refusal(&self.list, tx, height) {
            return Err(TransactionError::FluxnodeList(error).into());
        }
        Ok(fee)
    }

    /// The rules that need no chain state: not a coinbase, the context-free rules and the rules
    /// of the next block's height.
    fn check_without_state(
        &self,
        tx: &Transaction,
        height: BlockHeight,
    ) -> Result<(), TransactionError> {
        if tx.is_coinbase() {
            return Err(TransactionError::LooseCoinbase);
        }
        check_transaction(tx)?;
        check_transaction_at_height(self.params.as_ref(), tx, height)
    }

    /// The inputs (existence, maturity, amounts, scripts) and a fluxnode transaction's
    /// collateral, against the tip's UTXO set. Returns the fee.
    fn check_spends(
        &self,
        read: &ReadTransaction,
        tx: &Transaction,
        height: BlockHeight,
    ) -> Result<Amount, TxValidationError> {
        let params = self.params.as_ref();
        let utxos = read.open_table(UTXOS).map_err(StoreError::from)?;
        let view = UtxoTable(&utxos);
        let fee = check_inputs(tx, &view, height, params.branch_id_at(height))?;
        check_fluxnode_collateral(params, tx, &view, height)?;
        Ok(fee)
    }

    /// A START's signature with the collateral's stored delegates; a CONFIRM's signature by the
    /// key its START announced, and its benchmark tier against the node's.
    fn check_node_signatures(
        &self,
        read: &ReadTransaction,
        tx: &Transaction,
    ) -> Result<(), TxValidationError> {
        if let Some(FluxnodeTx::Start(start)) = tx.fluxnode() {
            let table = read.open_table(DELEGATES).map_err(StoreError::from)?;
            let stored = stored_delegates(&table, &start.collateral)?;
            check_start_signature_with_delegates(tx, stored.as_deref())?;
            return Ok(());
        }
        let Some(FluxnodeTx::Confirm(confirm)) = tx.fluxnode() else {
            return Ok(());
        };
        let keys = read.open_table(NODE_KEYS).map_err(StoreError::from)?;
        let key = node_key(&keys, &confirm.collateral)?;
        check_confirm_signature(tx, key.as_deref())?;
        let tier = self.list.get(&confirm.collateral).map(|node| node.tier);
        check_benchmark_tier(tx, tier)?;
        Ok(())
    }
}

/// Why the fluxnode list would refuse a START or CONFIRM in the next block: a START for a node
/// already in the list, a first CONFIRM for a node not started, or an update CONFIRM the list
/// refuses.
fn list_refusal(list: &FluxnodeList, tx: &Transaction, height: BlockHeight) -> Option<ListError> {
    let node = tx.fluxnode()?;
    match (node, list.get(&node.collateral())) {
        (FluxnodeTx::Start(start), Some(record)) => Some(ListError::AlreadyStarted {
            collateral: start.collateral,
            status: record.status,
        }),
        (FluxnodeTx::Confirm(confirm), record)
            if UpdateType::from_i8(confirm.update_type) == Some(UpdateType::InitialConfirm) =>
        {
            match record {
                Some(r) if r.status == NodeStatus::Started => None,
                _ => Some(ListError::NotStarted(confirm.collateral)),
            }
        }
        (FluxnodeTx::Confirm(confirm), _) => list
            .check_update_confirm(
                height,
                &confirm.collateral,
                &String::from_utf8_lossy(&confirm.ip),
            )
            .err(),
        _ => None,
    }
}
