//! The on-disk layout of the chain state (redb tables) and the byte encodings of its records.
//!
//! Every record is hand-encoded little-endian, like the consensus bytes, so the file format does
//! not depend on a serialization framework's choices.

use flux_nodes::list::{ConfirmEvent, StartEvent};
use flux_nodes::{BlockChanges, Tier};
use flux_pow::difficulty::U256;
use flux_tx::encode::{FluxDecode, FluxEncode};
use flux_tx::{Amount, BlockHash, BlockHeight, OutPoint, Script, TxOut, Txid};
use redb::TableDefinition;

use crate::check::utxo::Coin;

/// Block hash → the block's consensus bytes (every stored block, on any branch).
pub(crate) const BLOCKS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("blocks");
/// Block hash → [`IndexEntry`].
pub(crate) const INDEX: TableDefinition<&[u8], &[u8]> = TableDefinition::new("block_index");
/// Height → block hash of the best chain.
pub(crate) const MAIN: TableDefinition<u32, &[u8]> = TableDefinition::new("main_chain");
/// Outpoint (txid ‖ index) → [`Coin`].
pub(crate) const UTXOS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("utxos");
/// Block hash → [`UndoRecord`] of a connected block.
pub(crate) const UNDO: TableDefinition<&[u8], &[u8]> = TableDefinition::new("undo");
/// Txid → block hash ‖ position, for best-chain transactions.
pub(crate) const TX_INDEX: TableDefinition<&[u8], &[u8]> = TableDefinition::new("tx_index");
/// Collateral outpoint → the node public key its latest START announced (CONFIRM signatures
/// verify against it).
pub(crate) const NODE_KEYS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("node_keys");
/// Collateral outpoint → the delegate keys the collateral's latest UPDATE START stored
/// (`FluxnodeCache::GetDelegates`): [`encode_delegates`] of the list.
pub(crate) const DELEGATES: TableDefinition<&[u8], &[u8]> = TableDefinition::new("delegates");
/// Named values: `tip` (block hash), `network` (name).
pub(crate) const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");

/// Why the chain store failed: I/O, a redb error, or a record that does not decode.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// redb reported an error.
    #[error("database: {0}")]
    Database(#[from] redb::Error),
    /// A record is malformed: the file is corrupt or was written by something else.
    #[error("corrupt record: {0}")]
    Corrupt(String),
    /// The file belongs to another network.
    #[error("the store holds network {found}, not {expected}")]
    WrongNetwork {
        /// The network asked for.
        expected: String,
        /// The network in the file.
        found: String,
    },
}

macro_rules! redb_error {
    ($($kind:ty),*) => {$(
        impl From<$kind> for StoreError {
            fn from(error: $kind) -> StoreError {
                StoreError::Database(error.into())
            }
        }
    )*};
}
redb_error!(
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);

impl From<redb::SetDurabilityError> for StoreError {
    fn from(error: redb::SetDurabilityError) -> StoreError {
        StoreError::Database(error.into())
    }
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

/// A little-endian reader over a record.
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    what: &'static str,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8], what: &'static str) -> Reader<'a> {
        Reader { bytes, what }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], StoreError> {
        if self.bytes.len() < n {
            return Err(corrupt(self.what));
        }
        let (head, tail) = self.bytes.split_at(n);
        self.bytes = tail;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], StoreError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn u8(&mut self) -> Result<u8, StoreError> {
        Ok(self.array::<1>()?[0])
    }

    fn u32(&mut self) -> Result<u32, StoreError> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    fn i64(&mut self) -> Result<i64, StoreError> {
        Ok(i64::from_le_bytes(self.array()?))
    }

    /// A length-prefixed byte string, the length checked against what is left before use.
    fn bytes(&mut self) -> Result<&'a [u8], StoreError> {
        let len = self.u32()? as usize;
        self.take(len)
    }

    fn finish(&self) -> Result<(), StoreError> {
        if self.bytes.is_empty() {
            Ok(())
        } else {
            Err(corrupt(self.what))
        }
    }
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
    out.extend_from_slice(bytes);
}

/// An outpoint as a table key: txid bytes then the index big-endian, so one transaction's
/// outputs sort together.
pub(crate) fn outpoint_key(outpoint: &OutPoint) -> [u8; 36] {
    let mut key = [0u8; 36];
    key[..32].copy_from_slice(&outpoint.txid.0);
    key[32..].copy_from_slice(&outpoint.index.to_be_bytes());
    key
}

pub(crate) fn encode_coin(coin: &Coin) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + coin.output.script_pubkey.len());
    out.extend_from_slice(&coin.height.0.to_le_bytes());
    out.push(u8::from(coin.is_coinbase));
    out.extend_from_slice(&coin.output.value.to_le_bytes());
    put_bytes(&mut out, coin.output.script_pubkey.as_bytes());
    out
}

fn read_coin(reader: &mut Reader<'_>) -> Result<Coin, StoreError> {
    let height = reader.u32()?;
    let is_coinbase = reader.u8()? != 0;
    let value = reader.i64()?;
    let script = reader.bytes()?;
    Ok(Coin {
        output: TxOut {
            value,
            script_pubkey: Script::from(script),
        },
        height: BlockHeight(height),
        is_coinbase,
    })
}

pub(crate) fn decode_coin(bytes: &[u8]) -> Result<Coin, StoreError> {
    let mut reader = Reader::new(bytes, "coin");
    let coin = read_coin(&mut reader)?;
    reader.finish()?;
    Ok(coin)
}

/// Whether a stored block passed full validation when connected or is only header-checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BlockStatus {
    /// Header and context-free body checks passed; not (or no longer) known to connect.
    Stored = 0,
    /// Failed full validation: never connect it or a descendant.
    Invalid = 2,
}

/// What the store keeps per block besides its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct IndexEntry {
    pub(crate) height: u32,
    pub(crate) prev: BlockHash,
    /// Cumulative work up to and including the block.
    pub(crate) chain_work: U256,
    pub(crate) time: u32,
    pub(crate) bits: u32,
    pub(crate) version: i32,
    pub(crate) status: BlockStatus,
}

pub(crate) fn encode_index(entry: &IndexEntry) -> Vec<u8> {
    let mut out = Vec::with_capacity(81);
    out.extend_from_slice(&entry.height.to_le_bytes());
    out.extend_from_slice(&entry.prev.0);
    out.extend_from_slice(&entry.chain_work.to_be_bytes());
    out.extend_from_slice(&entry.time.to_le_bytes());
    out.extend_from_slice(&entry.bits.to_le_bytes());
    out.extend_from_slice(&entry.version.to_le_bytes());
    out.push(entry.status as u8);
    out
}

pub(crate) fn decode_index(bytes: &[u8]) -> Result<IndexEntry, StoreError> {
    let mut reader = Reader::new(bytes, "block index entry");
    let entry = IndexEntry {
        height: reader.u32()?,
        prev: BlockHash(reader.array()?),
        chain_work: U256::from_be_bytes(reader.array()?),
        time: reader.u32()?,
        bits: reader.u32()?,
        version: reader.u32()? as i32,
        status: match reader.u8()? {
            0 => BlockStatus::Stored,
            2 => BlockStatus::Invalid,
            _ => return Err(corrupt("block status")),
        },
    };
    reader.finish()?;
    Ok(entry)
}

/// What disconnecting a block needs: the coins its transactions spent (in spending order) and
/// its fluxnode list changes (replayed when the list is rebuilt on open).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct UndoRecord {
    pub(crate) spent: Vec<(OutPoint, Coin)>,
    pub(crate) changes: BlockChanges,
    /// For each START of the block, in order: its collateral and the node key stored for it
    /// before the block (restored on disconnect).
    pub(crate) node_keys_before: Vec<(OutPoint, Option<Vec<u8>>)>,
    /// For each START of the block that stored delegates, in order: its collateral and the
    /// delegate keys stored for it before the block.
    pub(crate) delegates_before: Vec<(OutPoint, Option<Vec<Vec<u8>>>)>,
}

/// A list of delegate keys as the delegates table stores it: a count byte, then each key with a
/// one-byte length (fluxd allows at most four 33-byte keys).
pub(crate) fn encode_delegates(keys: &[Vec<u8>]) -> Vec<u8> {
    let mut out = vec![keys.len() as u8];
    for key in keys {
        out.push(key.len() as u8);
        out.extend_from_slice(key);
    }
    out
}

/// The inverse of [`encode_delegates`].
pub(crate) fn decode_delegates(bytes: &[u8]) -> Result<Vec<Vec<u8>>, StoreError> {
    let mut reader = Reader::new(bytes, "delegate keys");
    let count = reader.u8()?;
    let mut keys = Vec::with_capacity(usize::from(count.min(16)));
    for _ in 0..count {
        let len = usize::from(reader.u8()?);
        keys.push(reader.take(len)?.to_vec());
    }
    reader.finish()?;
    Ok(keys)
}

fn put_outpoint(out: &mut Vec<u8>, outpoint: &OutPoint) {
    out.extend_from_slice(&outpoint.txid.0);
    out.extend_from_slice(&outpoint.index.to_le_bytes());
}

fn read_outpoint(reader: &mut Reader<'_>) -> Result<OutPoint, StoreError> {
    Ok(OutPoint {
        txid: Txid(reader.array()?),
        index: reader.u32()?,
    })
}

pub(crate) fn encode_undo(record: &UndoRecord) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&(record.spent.len() as u32).to_le_bytes());
    for (outpoint, coin) in &record.spent {
        put_outpoint(&mut out, outpoint);
        put_bytes(&mut out, &encode_coin(coin));
    }
    let changes = &record.changes;
    out.extend_from_slice(&(changes.starts.len() as u32).to_le_bytes());
    for start in &changes.starts {
        put_outpoint(&mut out, &start.collateral);
        out.push(start.tier.number());
        out.extend_from_slice(&start.collateral_amount.zat().to_le_bytes());
    }
    out.extend_from_slice(&(changes.confirms.len() as u32).to_le_bytes());
    for confirm in &changes.confirms {
        put_outpoint(&mut out, &confirm.collateral);
        put_bytes(&mut out, confirm.ip.as_bytes());
        out.push(u8::from(confirm.update));
    }
    out.extend_from_slice(&(changes.spent.len() as u32).to_le_bytes());
    for outpoint in &changes.spent {
        put_outpoint(&mut out, outpoint);
    }
    out.extend_from_slice(&(record.node_keys_before.len() as u32).to_le_bytes());
    for (collateral, key) in &record.node_keys_before {
        put_outpoint(&mut out, collateral);
        match key {
            Some(key) => {
                out.push(1);
                put_bytes(&mut out, key);
            }
            None => out.push(0),
        }
    }
    out.extend_from_slice(&(record.delegates_before.len() as u32).to_le_bytes());
    for (collateral, keys) in &record.delegates_before {
        put_outpoint(&mut out, collateral);
        match keys {
            Some(keys) => {
                out.push(1);
                put_bytes(&mut out, &encode_delegates(keys));
            }
            None => out.push(0),
        }
    }
    out
}

/// A count read from a record, capped by the bytes left (each item takes at least `min_size`).
fn count(reader: &mut Reader<'_>, min_size: usize) -> Result<usize, StoreError> {
    let n = reader.u32()? as usize;
    if n.saturating_mul(min_size) > reader.bytes.len() {
        return Err(corrupt(reader.what));
    }
    Ok(n)
}

pub(crate) fn decode_undo(bytes: &[u8]) -> Result<UndoRecord, StoreError> {
    let mut reader = Reader::new(bytes, "undo record");
    let mut record = UndoRecord::default();
    for _ in 0..count(&mut reader, 40)? {
        let outpoint = read_outpoint(&mut reader)?;
        let coin = decode_coin(reader.bytes()?)?;
        record.spent.push((outpoint, coin));
    }
    for _ in 0..count(&mut reader, 45)? {
        let collateral = read_outpoint(&mut reader)?;
        let tier = Tier::from_number(reader.u8()?).ok_or_else(|| corrupt("tier"))?;
        let collateral_amount =
            Amount::from_zat(reader.i64()?).ok_or_else(|| corrupt("collateral amount"))?;
        record.changes.starts.push(StartEvent {
            collateral,
            tier,
            collateral_amount,
        });
    }
    for _ in 0..count(&mut reader, 41)? {
        let collateral = read_outpoint(&mut reader)?;
        let ip = String::from_utf8(reader.bytes()?.to_vec()).map_err(|_| corrupt("ip"))?;
        let update = reader.u8()? != 0;
        record.changes.confirms.push(ConfirmEvent {
            collateral,
            ip,
            update,
        });
    }
    for _ in 0..count(&mut reader, 36)? {
        record.changes.spent.push(read_outpoint(&mut reader)?);
    }
    for _ in 0..count(&mut reader, 37)? {
        let collateral = read_outpoint(&mut reader)?;
        let key = match reader.u8()? {
            0 => None,
            1 => Some(reader.bytes()?.to_vec()),
            _ => return Err(corrupt("node key flag")),
        };
        record.node_keys_before.push((collateral, key));
    }
    // Stores written before delegates were kept end here.
    if !reader.bytes.is_empty() {
        for _ in 0..count(&mut reader, 37)? {
            let collateral = read_outpoint(&mut reader)?;
            let keys = match reader.u8()? {
                0 => None,
                1 => Some(decode_delegates(reader.bytes()?)?),
                _ => return Err(corrupt("delegates flag")),
            };
            record.delegates_before.push((collateral, keys));
        }
    }
    reader.finish()?;
    Ok(record)
}

pub(crate) fn encode_tx_location(block: &BlockHash, position: u32) -> Vec<u8> {
    let mut out = Vec::with_capacity(36);
    out.extend_from_slice(&block.0);
    out.extend_from_slice(&position.to_le_bytes());
    out
}

pub(crate) fn decode_tx_location(bytes: &[u8]) -> Result<(BlockHash, u32), StoreError> {
    let mut reader = Reader::new(bytes, "transaction location");
    let location = (BlockHash(reader.array()?), reader.u32()?);
    reader.finish()?;
    Ok(location)
}

pub(crate) fn decode_hash(bytes: &[u8]) -> Result<BlockHash, StoreError> {
    let array: [u8; 32] = bytes.try_into().map_err(|_| corrupt("block hash"))?;
    Ok(BlockHash(array))
}

pub(crate) fn decode_block(bytes: &[u8]) -> Result<flux_tx::Block, StoreError> {
    flux_tx::Block::decode_exact(bytes)
        .map_err(|error| StoreError::Corrupt(format!("block: {error}")))
}

/// The header at the front of a stored block, without decoding its transactions.
pub(crate) fn decode_block_header(bytes: &[u8]) -> Result<flux_tx::BlockHeader, StoreError> {
    use flux_tx::FluxDecode;
    let mut input = bytes;
    flux_tx::BlockHeader::flux_decode(&mut input)
        .map_err(|error| StoreError::Corrupt(format!("block header: {error}")))
}

pub(crate) fn encode_block(block: &flux_tx::Block) -> Vec<u8> {
    block.encoded()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn outpoint() -> impl Strategy<Value = OutPoint> {
        (any::<[u8; 32]>(), any::<u32>()).prop_map(|(txid, index)| OutPoint {
            txid: Txid(txid),
            index,
        })
    }

    fn coin() -> impl Strategy<Value = Coin> {
        (
            any::<i64>(),
            proptest::collection::vec(any::<u8>(), 0..80),
            any::<u32>(),
            any::<bool>(),
        )
            .prop_map(|(value, script, height, is_coinbase)| Coin {
                output: TxOut {
                    value,
                    script_pubkey: Script::from(script),
                },
                height: BlockHeight(height),
                is_coinbase,
            })
    }

    proptest! {
        #[test]
        fn undo_records_round_trip(
            spent in proptest::collection::vec((outpoint(), coin()), 0..8),
            starts in proptest::collection::vec((outpoint(), 0usize..3, 0i64..MAX_ZAT), 0..4),
            confirms in proptest::collection::vec((outpoint(), "[0-9.:]{0,20}", any::<bool>()), 0..4),
            spends in proptest::collection::vec(outpoint(), 0..6),
            keys in proptest::collection::vec((outpoint(), proptest::option::of(proptest::collection::vec(any::<u8>(), 33..66))), 0..3),
            delegates in proptest::collection::vec((outpoint(), proptest::option::of(proptest::collection::vec(proptest::collection::vec(any::<u8>(), 33..34), 0..5))), 0..3),
        ) {
            let record = UndoRecord {
                spent,
                changes: BlockChanges {
                    starts: starts.into_iter().map(|(collateral, tier, zat)| StartEvent {
                        collateral,
                        tier: Tier::ALL[tier],
                        collateral_amount: Amount::from_zat(zat).unwrap(),
                    }).collect(),
                    confirms: confirms.into_iter().map(|(collateral, ip, update)| ConfirmEvent {
                        collateral, ip, update,
                    }).collect(),
                    spent: spends,
                },
                node_keys_before: keys,
                delegates_before: delegates,
            };
            prop_assert_eq!(decode_undo(&encode_undo(&record)).unwrap(), record);
        }

        #[test]
        fn index_entries_round_trip(height in any::<u32>(), prev in any::<[u8; 32]>(),
                                    work in any::<[u8; 32]>(), time in any::<u32>(),
                                    bits in any::<u32>(), version in any::<i32>(), invalid in any::<bool>()) {
            let entry = IndexEntry {
                height, prev: BlockHash(prev), chain_work: U256::from_be_bytes(work), time, bits, version,
                status: if invalid { BlockStatus::Invalid } else { BlockStatus::Stored },
            };
            prop_assert_eq!(decode_index(&encode_index(&entry)).unwrap(), entry);
        }

        #[test]
        fn truncated_records_are_errors_not_panics(bytes in proptest::collection::vec(any::<u8>(), 0..120)) {
            let _ = decode_undo(&bytes);
            let _ = decode_index(&bytes);
            let _ = decode_coin(&bytes);
        }
    }

    const MAX_ZAT: i64 = flux_tx::MAX_MONEY;
}
