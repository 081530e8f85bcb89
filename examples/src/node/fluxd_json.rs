//! The JSON views of fluxd's RPC answers (`src/rpc/blockchain.cpp` `blockToJSON`,
//! `blockheaderToJSON`; `src/rpc/rawtransaction.cpp` `TxToJSON`), for the reference node's
//! JSON-RPC endpoint.
//!
//! Field names, types and number formats are fluxd's; fields that need data this SDK does not
//! keep (script `asm`, shielded descriptions' proofs, `valueSat` of JoinSplits) are left out
//! rather than faked.

use flux_pow::Network;
use flux_tx::address::Address;
use flux_tx::fluxnode::FluxnodeTx;
use flux_tx::script::standard::{ScriptTemplate, classify};
use flux_tx::{Block, BlockHeader, BlockProof, FluxEncode, Transaction};
use serde_json::{Map, Value, json};

/// Where a block sits in the node's best chain.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChainPosition<'a> {
    /// The block's height.
    pub height: u32,
    /// Blocks on top of it plus one (fluxd's `confirmations`; -1 when not in the best chain).
    pub confirmations: i64,
    /// The next block's hash, when there is one in the best chain.
    pub next: Option<&'a str>,
    /// The cumulative work up to it, as 64 hex digits.
    pub chainwork: &'a str,
    /// fluxd's `GetDifficulty` of the block's bits.
    pub difficulty: f64,
}

/// FLUX amounts as fluxd's `ValueFromAmount` prints them: a JSON number with 8 decimals.
pub fn value_from_zat(zat: i64) -> Value {
    let sign = if zat < 0 { "-" } else { "" };
    let abs = zat.unsigned_abs();
    let text = format!("{sign}{}.{:08}", abs / 100_000_000, abs % 100_000_000);
    // A fixed-point decimal of at most 19 digits always parses as a JSON number.
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

fn script_type(template: &ScriptTemplate) -> &'static str {
    match template {
        ScriptTemplate::PubKey(_) => "pubkey",
        ScriptTemplate::PubKeyHash(_) => "pubkeyhash",
        ScriptTemplate::ScriptHash(_) => "scripthash",
        ScriptTemplate::Multisig { .. } => "multisig",
        ScriptTemplate::NullData(_) => "nulldata",
        _ => "nonstandard",
    }
}

/// `TxToJSON` of fluxd for a transaction, with its block context when it is mined.
pub fn transaction(
    tx: &Transaction,
    network: Network,
    mined: Option<(&str, u32, ChainPosition<'_>)>,
) -> Value {
    let bytes = tx.encoded();
    let mut value = Map::new();
    value.insert("hex".into(), json!(hex::encode(&bytes)));
    value.insert("txid".into(), json!(tx.txid().to_string()));
    value.insert("version".into(), json!(tx.version));
    value.insert("overwintered".into(), json!(tx.overwintered));
    if tx.overwintered {
        value.insert(
            "versiongroupid".into(),
            json!(format!("{:08x}", tx.version_group_id)),
        );
    }
    if let Some(standard) = tx.standard() {
        value.insert("locktime".into(), json!(standard.lock_time));
        if tx.overwintered {
            value.insert("expiryheight".into(), json!(standard.expiry_height));
        }
    }
    let vin: Vec<Value> = tx
        .inputs()
        .iter()
        .map(|input| {
            if tx.is_coinbase() {
                json!({
                    "coinbase": hex::encode(input.script_sig.as_bytes()),
                    "sequence": input.sequence,
                })
            } else {
                json!({
                    "txid": input.prevout.txid.to_string(),
                    "vout": input.prevout.index,
                    "scriptSig": {"hex": hex::encode(input.script_sig.as_bytes())},
                    "sequence": input.sequence,
                })
            }
        })
        .collect();
    value.insert("vin".into(), Value::Array(vin));
    let vout: Vec<Value> = tx
        .outputs()
        .iter()
        .enumerate()
        .map(|(n, output)| {
            let template = classify(output.script_pubkey.as_bytes());
            let mut script = json!({
                "hex": hex::encode(output.script_pubkey.as_bytes()),
                "type": script_type(&template),
            });
            if let Some(address) = Address::from_script(&output.script_pubkey, network) {
                script["reqSigs"] = json!(1);
                script["addresses"] = json!([address.to_string()]);
            }
            json!({
                "value": value_from_zat(output.value),
                "valueZat": output.value,
                "n": n,
                "scriptPubKey": script,
            })
        })
        .collect();
    value.insert("vout".into(), Value::Array(vout));
    if let Some(node) = tx.fluxnode() {
        let (kind, collateral) = match node {
            FluxnodeTx::Start(start) => ("start", start.collateral),
            FluxnodeTx::Confirm(confirm) => ("confirm", confirm.collateral),
            FluxnodeTx::Untyped(_) => ("unknown", node.collateral()),
        };
        value.insert("type".into(), json!(kind));
        value.insert(
            "collateral_output_txhash".into(),
            json!(collateral.txid.to_string()),
        );
        value.insert("collateral_output_index".into(), json!(collateral.index));
        if let FluxnodeTx::Confirm(confirm) = node {
            value.insert("ip".into(), json!(String::from_utf8_lossy(&confirm.ip)));
            value.insert("benchmark_tier".into(), json!(confirm.benchmark_tier));
            value.insert("update_type".into(), json!(confirm.update_type));
            value.insert("sigtime".into(), json!(confirm.sig_time));
        }
    }
    if let Some((block_hash, block_time, position)) = mined {
        value.insert("blockhash".into(), json!(block_hash));
        value.insert("height".into(), json!(position.height));
        value.insert("confirmations".into(), json!(position.confirmations));
        value.insert("time".into(), json!(block_time));
        value.insert("blocktime".into(), json!(block_time));
    }
    Value::Object(value)
}

fn header_fields(header: &BlockHeader, position: &ChainPosition<'_>) -> Map<String, Value> {
    let mut value = Map::new();
    value.insert("hash".into(), json!(header.hash().to_string()));
    value.insert("confirmations".into(), json!(position.confirmations));
    value.insert("height".into(), json!(position.height));
    value.insert("version".into(), json!(header.version));
    value.insert("merkleroot".into(), json!(header.merkle_root.to_string()));
    value.insert(
        "finalsaplingroot".into(),
        json!(header.final_sapling_root.to_string()),
    );
    value.insert("time".into(), json!(header.time));
    value.insert("bits".into(), json!(format!("{:08x}", header.bits)));
    value.insert("difficulty".into(), json!(position.difficulty));
    value.insert("chainwork".into(), json!(position.chainwork));
    match &header.proof {
        BlockProof::Work { nonce, solution } => {
            let mut display = *nonce;
            display.reverse();
            value.insert("nonce".into(), json!(hex::encode(display)));
            value.insert("solution".into(), json!(hex::encode(solution)));
        }
        BlockProof::Node {
            collateral,
            signature,
        } => {
            value.insert(
                "collateral".into(),
                json!(format!(
                    "COutPoint({}, {})",
                    collateral.txid, collateral.index
                )),
            );
            value.insert("blocksig".into(), json!(hex::encode(signature)));
        }
    }
    if position.height > 0 {
        value.insert(
            "previousblockhash".into(),
            json!(header.prev_block.to_string()),
        );
    }
    if let Some(next) = position.next {
        value.insert("nextblockhash".into(), json!(next));
    }
    value
}

/// `blockheaderToJSON` of fluxd (`getblockheader` with `verbose` true).
pub fn block_header(header: &BlockHeader, position: &ChainPosition<'_>) -> Value {
    Value::Object(header_fields(header, position))
}

/// `blockToJSON` of fluxd: verbosity 1 lists txids, 2 the decoded transactions.
pub fn block(
    block: &Block,
    position: &ChainPosition<'_>,
    network: Network,
    verbosity: u8,
) -> Value {
    let mut value = header_fields(&block.header, position);
    value.insert("size".into(), json!(block.encoded().len()));
    let txs: Vec<Value> = block
        .transactions
        .iter()
        .map(|tx| {
            if verbosity >= 2 {
                transaction(tx, network, None)
            } else {
                json!(tx.txid().to_string())
            }
        })
        .collect();
    value.insert("tx".into(), Value::Array(txs));
    Value::Object(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_print_with_eight_decimals() {
        assert_eq!(value_from_zat(150_0000_0000).to_string(), "150.0");
        assert_eq!(value_from_zat(1).to_string(), "1e-8");
        assert_eq!(value_from_zat(-2_5000_0000).to_string(), "-2.5");
    }
}
