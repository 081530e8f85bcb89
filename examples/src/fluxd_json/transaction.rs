//! `TxToJSON` (`rpc/rawtransaction.cpp:151-300`): a transaction, and the block that holds it.

use flux_nodes::Tier;
use flux_pow::Network;
use flux_tx::address::Address;
use flux_tx::fluxnode::FluxnodeTx;
use flux_tx::script::standard::{ScriptTemplate, classify};
use flux_tx::transaction::SAPLING_TX_VERSION;
use flux_tx::{OutPoint, Transaction};
use serde_json::{Map, Value, json};

use super::ChainPosition;
use super::amount::amount;

/// The block a transaction was mined in, for the fields `TxToJSON` adds after it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MinedIn<'a> {
    /// The block's hash in display hex.
    pub block_hash: &'a str,
    /// The block's time.
    pub block_time: u32,
    /// Where the block sits.
    pub position: ChainPosition<'a>,
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

/// `COutPoint::ToString`: the first ten hex digits of the txid and the index.
pub(super) fn outpoint_short(outpoint: &OutPoint) -> String {
    let txid = outpoint.txid.to_string();
    format!("COutPoint({}, {})", &txid[..10], outpoint.index)
}

/// `TierToString` (`fluxnode/fluxnode.cpp:69-80`) of a CONFIRM's benchmark tier.
/// A tier as fluxd's RPC spells it (`CUMULUS`, `NIMBUS`, `STRATUS`).
pub fn tier_word(tier: Tier) -> String {
    tier.name().to_ascii_uppercase()
}

/// A CONFIRM's benchmark tier byte as fluxd prints it.
fn tier_text(number: i8) -> String {
    match u8::try_from(number).ok().and_then(Tier::from_number) {
        Some(tier) => tier_word(tier),
        None if number == 0 => "NONE".to_owned(),
        None => format!("UNKNOWN TIER ({number})"),
    }
}

fn fluxnode_fields(value: &mut Map<String, Value>, node: &FluxnodeTx) {
    let kind = match node {
        FluxnodeTx::Start(_) => "Starting a fluxnode",
        FluxnodeTx::Confirm(_) => "Confirming a fluxnode",
        FluxnodeTx::Untyped(_) => "No type (Error)",
    };
    let collateral = node.collateral();
    value.insert("type".into(), json!(kind));
    value.insert(
        "collateral_output".into(),
        json!(outpoint_short(&collateral)),
    );
    value.insert(
        "collateral".into(),
        json!(format!(
            "COutPoint({}, {})",
            collateral.txid, collateral.index
        )),
    );
    value.insert("txhash".into(), json!(collateral.txid.to_string()));
    // `GetTxIndex` is a string in fluxd.
    value.insert("outidx".into(), json!(collateral.index.to_string()));
    match node {
        FluxnodeTx::Start(start) => {
            value.insert("sigtime".into(), json!(start.sig_time));
            value.insert("ip".into(), json!(""));
            if let Some(version) = start.internal_version {
                value.insert("fluxnode_upgraded_tx_version".into(), json!(version));
            }
        }
        FluxnodeTx::Confirm(confirm) => {
            value.insert("sigtime".into(), json!(confirm.sig_time));
            value.insert("ip".into(), json!(String::from_utf8_lossy(&confirm.ip)));
            value.insert("update_type".into(), json!(confirm.update_type));
            value.insert(
                "benchmark_tier".into(),
                json!(tier_text(confirm.benchmark_tier)),
            );
            value.insert(
                "benchmark_sigtime".into(),
                json!(confirm.benchmark_sig_time),
            );
        }
        FluxnodeTx::Untyped(_) => {}
    }
}

/// `TxToJSON`: the transaction, with `network`'s address prefixes, and `mined` when it is in a
/// block.
pub fn transaction(tx: &Transaction, network: Network, mined: Option<MinedIn<'_>>) -> Value {
    let mut value = Map::new();
    value.insert("txid".into(), json!(tx.txid().to_string()));
    value.insert("version".into(), json!(tx.version));
    if let Some(node) = tx.fluxnode() {
        fluxnode_fields(&mut value, node);
    }
    if let Some(standard) = tx.standard() {
        value.insert("overwintered".into(), json!(tx.overwintered));
        if tx.overwintered {
            value.insert(
                "versiongroupid".into(),
                json!(format!("{:08x}", tx.version_group_id)),
            );
        }
        value.insert("locktime".into(), json!(standard.lock_time));
        if tx.overwintered {
            value.insert("expiryheight".into(), json!(standard.expiry_height));
        }
        let vin: Vec<Value> = standard
            .inputs
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
        let vout: Vec<Value> = standard
            .outputs
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
                    "value": amount(output.value),
                    "valueZat": output.value,
                    "valueSat": output.value,
                    "n": n,
                    "scriptPubKey": script,
                })
            })
            .collect();
        value.insert("vout".into(), Value::Array(vout));
        if tx.overwintered && tx.version >= SAPLING_TX_VERSION {
            let balance = standard.sapling.value_balance;
            value.insert("valueBalance".into(), amount(balance));
            value.insert("valueBalanceZat".into(), json!(balance));
        }
    }
    if let Some(mined) = mined {
        value.insert("blockhash".into(), json!(mined.block_hash));
        value.insert("height".into(), json!(mined.position.height));
        value.insert("confirmations".into(), json!(mined.position.confirmations));
        value.insert("time".into(), json!(mined.block_time));
        value.insert("blocktime".into(), json!(mined.block_time));
    }
    Value::Object(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn benchmark_tiers_read_as_fluxd_names_them() {
        assert_eq!(tier_text(1), "CUMULUS");
        assert_eq!(tier_text(2), "NIMBUS");
        assert_eq!(tier_text(3), "STRATUS");
        assert_eq!(tier_text(0), "NONE");
        assert_eq!(tier_text(7), "UNKNOWN TIER (7)");
    }
}
