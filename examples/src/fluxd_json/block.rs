//! `blockheaderToJSON` and `blockToJSON` (`rpc/blockchain.cpp`).

use flux_pow::Network;
use flux_tx::{Block, BlockHash, BlockHeader, BlockProof, FluxEncode};
use serde_json::{Map, Value, json};

use super::ChainPosition;
use super::transaction::{outpoint_short, transaction};

/// What `blockToJSON` lists under `tx` (`getblock` verbosity 1 or 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxDetail {
    /// The txids.
    Ids,
    /// Each transaction as [`transaction`] shows it.
    Full,
}

fn header_fields(
    header: &BlockHeader,
    position: Option<&ChainPosition<'_>>,
    value: &mut Map<String, Value>,
) {
    value.insert("hash".into(), json!(header.hash().to_string()));
    if let Some(position) = position {
        value.insert("confirmations".into(), json!(position.confirmations));
        value.insert("height".into(), json!(position.height));
    }
    value.insert("version".into(), json!(header.version));
    value.insert("merkleroot".into(), json!(header.merkle_root.to_string()));
    value.insert(
        "finalsaplingroot".into(),
        json!(header.final_sapling_root.to_string()),
    );
    value.insert("time".into(), json!(header.time));
    match &header.proof {
        BlockProof::Work { nonce, solution } => {
            let mut display = *nonce;
            display.reverse();
            value.insert("type".into(), json!("POW"));
            value.insert("nonce".into(), json!(hex::encode(display)));
            value.insert("solution".into(), json!(hex::encode(solution)));
        }
        BlockProof::Node {
            collateral,
            signature,
        } => {
            value.insert("type".into(), json!("PON"));
            value.insert("collateral".into(), json!(outpoint_short(collateral)));
            value.insert("blocksig".into(), json!(hex::encode(signature)));
        }
    }
    value.insert("bits".into(), json!(format!("{:08x}", header.bits)));
    if let Some(position) = position {
        value.insert("difficulty".into(), json!(position.difficulty));
        value.insert("chainwork".into(), json!(position.chainwork));
    }
    // fluxd shows the previous block when there is one: in a chain, every block above the
    // genesis; on its own, a header that names one.
    let has_previous = match position {
        Some(position) => position.height > 0,
        None => header.prev_block != BlockHash::ZERO,
    };
    if has_previous {
        value.insert(
            "previousblockhash".into(),
            json!(header.prev_block.to_string()),
        );
    }
    if let Some(next) = position.and_then(|position| position.next) {
        value.insert("nextblockhash".into(), json!(next));
    }
}

/// `blockheaderToJSON` (`getblockheader` with `verbose` true).
pub fn block_header(header: &BlockHeader, position: Option<&ChainPosition<'_>>) -> Value {
    let mut value = Map::new();
    header_fields(header, position, &mut value);
    Value::Object(value)
}

/// `blockToJSON`: the header's fields, the block's size and its transactions as `detail`
/// says, addresses with `network`'s prefixes.
pub fn block(
    block: &Block,
    position: Option<&ChainPosition<'_>>,
    network: Network,
    detail: TxDetail,
) -> Value {
    let mut value = Map::new();
    header_fields(&block.header, position, &mut value);
    value.insert("size".into(), json!(block.encoded().len()));
    let txs: Vec<Value> = block
        .transactions
        .iter()
        .map(|tx| match detail {
            TxDetail::Full => transaction(tx, network, None),
            TxDetail::Ids => json!(tx.txid().to_string()),
        })
        .collect();
    value.insert("tx".into(), Value::Array(txs));
    Value::Object(value)
}
