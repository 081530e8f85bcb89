//! `ConnectBlock` and `DisconnectBlock`: applying a block to the best chain's state inside a
//! write transaction (its contextual rules, spends, payouts, undo record and indexes) and taking
//! the tip block off again with its undo record.

use std::collections::HashMap;

use flux_nodes::list::BlockUndo;
use flux_nodes::{BlockChanges, FluxnodeList};
use flux_pow::BlockHeight;
use flux_tx::fluxnode::FluxnodeTx;
use flux_tx::{Amount, Block, BlockHash, BlockProof, OutPoint, Transaction};
use redb::WriteTransaction;

use super::AcceptBlockError;
use super::tables::{get_block, node_key, stored_delegates};
use super::view::UtxoTable;
use crate::check::block::{
    check_block_for_height, check_coinbase_amount, check_dev_fund_payout, check_fluxnode_payouts,
    required_payouts,
};
use crate::check::pon::check_pon_block_signer;
use crate::check::transaction::{
    check_benchmark_tier, check_confirm_signature, check_fluxnode_collateral, check_inputs,
    check_start_signature_with_delegates, delegates_stored_by,
};
use crate::check::utxo::{Coin, UtxoCheckError, UtxoView};
use crate::error::{BlockError, TransactionError};
use crate::params::NetworkParams;
use crate::store::{
    BLOCKS, DELEGATES, MAIN, NODE_KEYS, StoreError, TX_INDEX, UNDO, UTXOS, UndoRecord, decode_coin,
    decode_delegates, decode_undo, encode_coin, encode_delegates, encode_tx_location, encode_undo,
    outpoint_key,
};

/// Why connecting a block failed: a block broke a rule (the reorganisation marks it invalid),
/// or the store failed (nothing is known about the block).
pub(super) enum ConnectFailure {
    /// `block` breaks the rule `error`.
    Invalid {
        /// The block that broke it.
        block: BlockHash,
        /// The rule.
        error: Box<BlockError>,
    },
    /// The store failed.
    Store(StoreError),
}

impl From<StoreError> for ConnectFailure {
    fn from(error: StoreError) -> Self {
        ConnectFailure::Store(error)
    }
}

impl From<redb::TableError> for ConnectFailure {
    fn from(error: redb::TableError) -> Self {
        ConnectFailure::Store(error.into())
    }
}

impl From<redb::StorageError> for ConnectFailure {
    fn from(error: redb::StorageError) -> Self {
        ConnectFailure::Store(error.into())
    }
}

impl From<ConnectFailure> for AcceptBlockError {
    fn from(failure: ConnectFailure) -> Self {
        match failure {
            ConnectFailure::Invalid { error, .. } => AcceptBlockError::Invalid(*error),
            ConnectFailure::Store(error) => AcceptBlockError::Store(error),
        }
    }
}

/// `ConnectBlock` (`main.cpp:3791-4200`) for a block whose parent is the store's best tip inside
/// `txn`: the contextual block and transaction rules, the fluxnode payouts, every spend, the
/// coinbase amount, then the UTXO set, the transaction index, the undo record and the best chain
/// are updated and the fluxnode list advanced. On error the list is unchanged (the caller aborts
/// `txn`).
pub(super) fn connect_block(
    params: &dyn NetworkParams,
    txn: &WriteTransaction,
    list: &mut FluxnodeList,
    block: &Block,
    hash: BlockHash,
    height: BlockHeight,
) -> Result<BlockUndo, ConnectFailure> {
    let connection = Connection {
        params,
        txn,
        block,
        hash,
        height,
    };
    connection.check_signer(list)?;
    check_block_for_height(params, block, height).map_err(|error| connection.invalid(error))?;
    connection.check_against_utxos(list)?;
    connection.check_confirms(list)?;
    connection.check_starts()?;
    let mut record = UndoRecord::default();
    let spends = connection.spend_and_create(&mut record)?;
    check_coinbase_amount(params, &block.transactions[0], height, spends.fees)
        .map_err(|error| connection.invalid(error))?;
    connection.record_node_keys(&mut record)?;
    connection.record_delegates(&mut record)?;
    record.changes = connection.list_changes(&spends.collateral_amounts)?;
    connection.write_records(&record)?;
    list.apply_block(height, &record.changes)
        .map_err(|error| connection.invalid(BlockError::FluxnodeList(error)))
}

/// A block being connected at `height` inside `txn`, with one method per phase.
struct Connection<'a> {
    params: &'a dyn NetworkParams,
    txn: &'a WriteTransaction,
    block: &'a Block,
    hash: BlockHash,
    height: BlockHeight,
}

/// What spending a block's inputs yielded.
struct Spends {
    /// The sum of its transactions' fees.
    fees: Amount,
    /// The collateral amount of each fluxnode transaction, by collateral.
    collateral_amounts: HashMap<OutPoint, Amount>,
}

impl Connection<'_> {
    fn invalid(&self, error: BlockError) -> ConnectFailure {
        ConnectFailure::Invalid {
            block: self.hash,
            error: Box::new(error),
        }
    }

    fn invalid_tx(
        &self,
        index: usize,
        tx: &Transaction,
        error: TransactionError,
    ) -> ConnectFailure {
        self.invalid(BlockError::Transaction {
            index,
            txid: tx.txid(),
            error,
        })
    }

    fn utxo_check_failed(
        &self,
        index: usize,
        tx: &Transaction,
        error: UtxoCheckError<StoreError>,
    ) -> ConnectFailure {
        match error {
            UtxoCheckError::Invalid(error) => self.invalid_tx(index, tx, error),
            UtxoCheckError::View(error) => ConnectFailure::Store(error),
        }
    }

    /// `bad-pon-block`: a proof-of-node block is signed by the operator key of the node its
    /// collateral names, in the list as the parent left it (`ConnectBlock` ->
    /// `ContextualCheckBlock` with the signature flag, `main.cpp:3818`).
    fn check_signer(&self, list: &FluxnodeList) -> Result<(), ConnectFailure> {
        let BlockProof::Node { collateral, .. } = &self.block.header.proof else {
            return Ok(());
        };
        let operator_key = match list.get(collateral) {
            Some(_) => node_key(&self.txn.open_table(NODE_KEYS)?, collateral)?,
            None => None,
        };
        check_pon_block_signer(self.params, &self.block.header, operator_key.as_deref())
            .map_err(|error| self.invalid(error.into()))
    }

    /// `bad-txns-BIP30` (no transaction may overwrite one with unspent outputs) and the
    /// fluxnode payouts, against the UTXO set before the block.
    fn check_against_utxos(&self, list: &FluxnodeList) -> Result<(), ConnectFailure> {
        let utxos = self.txn.open_table(UTXOS)?;
        let view = UtxoTable(&utxos);
        for tx in &self.block.transactions {
            let txid = tx.txid();
            for index in 0..tx.outputs().len() as u32 {
                if view.coin(&OutPoint { txid, index })?.is_some() {
                    return Err(self.invalid(BlockError::OverwritesTransaction(txid)));
                }
            }
        }
        let required = required_payouts(self.params, list, &view, self.height)?;
        let coinbase = &self.block.transactions[0];
        check_fluxnode_payouts(coinbase, &required)
            .and_then(|()| check_dev_fund_payout(self.params, coinbase, self.height, &required))
            .map_err(|e| self.invalid(e))
    }

    /// Each CONFIRM's signature and benchmark tier. The key is the one of the START before this
    /// block (the daemon reads the fluxnode cache as it was before the block; a START and its
    /// CONFIRM never share one).
    fn check_confirms(&self, list: &FluxnodeList) -> Result<(), ConnectFailure> {
        let keys = self.txn.open_table(NODE_KEYS)?;
        for (index, tx) in self.block.transactions.iter().enumerate() {
            if let Some(FluxnodeTx::Confirm(confirm)) = tx.fluxnode() {
                let key = node_key(&keys, &confirm.collateral)?;
                check_confirm_signature(tx, key.as_deref())
                    .map_err(|e| self.invalid_tx(index, tx, e))?;
                let tier = list.get(&confirm.collateral).map(|node| node.tier);
                check_benchmark_tier(tx, tier).map_err(|e| self.invalid_tx(index, tx, e))?;
            }
        }
        Ok(())
    }

    /// Each START's signature with the delegate keys stored for its collateral before this block
    /// (`CheckFluxnodeTxSignatures`, `fluxnode.cpp:87-150`, reading the cache as the parent left
    /// it): a START signed as a delegate needs them; the context-free rules could not decide it.
    fn check_starts(&self) -> Result<(), ConnectFailure> {
        let table = self.txn.open_table(DELEGATES)?;
        for (index, tx) in self.block.transactions.iter().enumerate() {
            if let Some(FluxnodeTx::Start(start)) = tx.fluxnode() {
                let stored = stored_delegates(&table, &start.collateral)?;
                check_start_signature_with_delegates(tx, stored.as_deref())
                    .map_err(|e| self.invalid_tx(index, tx, e))?;
            }
        }
        Ok(())
    }

    /// Stores the delegate keys each UPDATE START sets (an empty list erases them,
    /// `main.cpp:3973-3982`), keeping what it replaces in `record`.
    fn record_delegates(&self, record: &mut UndoRecord) -> Result<(), ConnectFailure> {
        let mut table = self.txn.open_table(DELEGATES)?;
        for tx in &self.block.transactions {
            let (Some(keys), Some(FluxnodeTx::Start(start))) =
                (delegates_stored_by(tx), tx.fluxnode())
            else {
                continue;
            };
            let key = outpoint_key(&start.collateral);
            let before = if keys.is_empty() {
                table.remove(key.as_slice())?
            } else {
                table.insert(key.as_slice(), encode_delegates(keys).as_slice())?
            }
            .map(|old| decode_delegates(old.value()))
            .transpose()?;
            record.delegates_before.push((start.collateral, before));
        }
        Ok(())
    }

    /// Transaction by transaction: the input and collateral rules against the UTXO set as the
    /// block's earlier transactions left it, then its spends taken out (into `record`) and its
    /// outputs added.
    fn spend_and_create(&self, record: &mut UndoRecord) -> Result<Spends, ConnectFailure> {
        let branch_id = self.params.branch_id_at(self.height);
        let mut utxos = self.txn.open_table(UTXOS)?;
        let mut spends = Spends {
            fees: Amount::ZERO,
            collateral_amounts: HashMap::new(),
        };
        for (index, tx) in self.block.transactions.iter().enumerate() {
            let txid = tx.txid();
            {
                let view = UtxoTable(&utxos);
                let fee = check_inputs(tx, &view, self.height, branch_id)
                    .map_err(|e| self.utxo_check_failed(index, tx, e))?;
                spends.fees = spends.fees.checked_add(fee).ok_or_else(|| {
                    self.invalid_tx(index, tx, TransactionError::InputValuesOutOfRange)
                })?;
                let collateral = check_fluxnode_collateral(self.params, tx, &view, self.height)
                    .map_err(|e| self.utxo_check_failed(index, tx, e))?;
                if let (Some(amount), Some(node)) = (collateral, tx.fluxnode()) {
                    spends.collateral_amounts.insert(node.collateral(), amount);
                }
            }
            if index > 0 {
                for input in tx.inputs() {
                    let key = outpoint_key(&input.prevout);
                    let removed = utxos
                        .remove(key.as_slice())?
                        .map(|bytes| decode_coin(bytes.value()));
                    match removed {
                        Some(coin) => record.spent.push((input.prevout, coin?)),
                        None => {
                            return Err(self.invalid_tx(
                                index,
                                tx,
                                TransactionError::MissingOrSpent(input.prevout),
                            ));
                        }
                    }
                }
            }
            for (output_index, output) in tx.outputs().iter().enumerate() {
                let coin = Coin {
                    output: output.clone(),
                    height: self.height,
                    is_coinbase: index == 0,
                };
                let key = outpoint_key(&OutPoint {
                    txid,
                    index: output_index as u32,
                });
                utxos.insert(key.as_slice(), encode_coin(&coin).as_slice())?;
            }
        }
        Ok(spends)
    }

    /// Stores the node key each START announces, keeping the key it replaces in `record`.
    fn record_node_keys(&self, record: &mut UndoRecord) -> Result<(), ConnectFailure> {
        let mut keys = self.txn.open_table(NODE_KEYS)?;
        for tx in &self.block.transactions {
            if let Some(FluxnodeTx::Start(start)) = tx.fluxnode() {
                let key = outpoint_key(&start.collateral);
                let before = keys
                    .insert(key.as_slice(), start.node_pubkey.as_slice())?
                    .map(|old| old.value().to_vec());
                record.node_keys_before.push((start.collateral, before));
            }
        }
        Ok(())
    }

    /// The block's fluxnode list changes (STARTs with their collateral amounts, CONFIRMs,
    /// spent collaterals).
    fn list_changes(
        &self,
        collateral_amounts: &HashMap<OutPoint, Amount>,
    ) -> Result<BlockChanges, ConnectFailure> {
        BlockChanges::from_block(self.params.network(), self.height, self.block, |outpoint| {
            collateral_amounts.get(outpoint).copied()
        })
        .map_err(|error| self.invalid(BlockError::FluxnodeList(error)))
    }

    /// The transaction index, the undo record and the best chain's entry for the block.
    fn write_records(&self, record: &UndoRecord) -> Result<(), ConnectFailure> {
        let mut tx_index = self.txn.open_table(TX_INDEX)?;
        for (position, tx) in self.block.transactions.iter().enumerate() {
            tx_index.insert(
                tx.txid().0.as_slice(),
                encode_tx_location(&self.hash, position as u32).as_slice(),
            )?;
        }
        self.txn
            .open_table(UNDO)?
            .insert(self.hash.0.as_slice(), encode_undo(record).as_slice())?;
        self.txn
            .open_table(MAIN)?
            .insert(self.height.0, self.hash.0.as_slice())?;
        Ok(())
    }
}

/// `DisconnectBlock`: removes the best tip (`hash` at `height`) from the UTXO set, the transaction
/// index and the best chain, restoring the coins it spent. Returns its parent's hash.
pub(super) fn disconnect_block(
    txn: &WriteTransaction,
    hash: BlockHash,
    height: BlockHeight,
) -> Result<BlockHash, StoreError> {
    let block = get_block(&txn.open_table(BLOCKS)?, &hash)?;
    let record = match txn.open_table(UNDO)?.remove(hash.0.as_slice())? {
        Some(bytes) => decode_undo(bytes.value())?,
        None => {
            return Err(StoreError::Corrupt(format!(
                "block {hash} has no undo record"
            )));
        }
    };
    let mut utxos = txn.open_table(UTXOS)?;
    let mut tx_index = txn.open_table(TX_INDEX)?;
    for tx in block.transactions.iter().rev() {
        let txid = tx.txid();
        for index in 0..tx.outputs().len() as u32 {
            utxos.remove(outpoint_key(&OutPoint { txid, index }).as_slice())?;
        }
        tx_index.remove(txid.0.as_slice())?;
    }
    for (outpoint, coin) in record.spent.iter().rev() {
        utxos.insert(
            outpoint_key(outpoint).as_slice(),
            encode_coin(coin).as_slice(),
        )?;
    }
    let mut delegates = txn.open_table(DELEGATES)?;
    for (collateral, before) in record.delegates_before.iter().rev() {
        let key = outpoint_key(collateral);
        match before {
            Some(keys) => delegates.insert(key.as_slice(), encode_delegates(keys).as_slice())?,
            None => delegates.remove(key.as_slice())?,
        };
    }
    let mut keys = txn.open_table(NODE_KEYS)?;
    for (collateral, before) in record.node_keys_before.iter().rev() {
        let key = outpoint_key(collateral);
        match before {
            Some(node_key) => keys.insert(key.as_slice(), node_key.as_slice())?,
            None => keys.remove(key.as_slice())?,
        };
    }
    txn.open_table(MAIN)?.remove(height.0)?;
    Ok(block.header.prev_block)
}
