//! The fluxd RPC methods the reference node answers, over its [`NodeState`].

use std::sync::{Arc, Mutex, PoisonError};

use flux_consensus::{TransactionError, TxValidationError};
use flux_nodes::Tier;
use flux_pow::BlockHeight;
use flux_pow::difficulty::{U256, relative_difficulty};
use flux_tx::address::Address;
use flux_tx::{Block, BlockHash, FluxDecode, FluxEncode, Transaction, Txid};
use serde_json::{Value, json};

use super::rpc::{Params, RpcError, code};
use super::state::{MempoolError, NodeState};
use crate::fluxd_json::{self, ChainPosition, MinedIn, TxDetail};
use flux_pow::Network;

/// Every method this node answers.
pub const METHODS: [&str; 10] = [
    "getblockcount",
    "getbestblockhash",
    "getblockhash",
    "getblock",
    "getblockheader",
    "getrawtransaction",
    "sendrawtransaction",
    "getfluxnodecount",
    "listfluxnodes",
    "getblocksubsidy",
];

fn store_error(error: impl std::fmt::Display) -> RpcError {
    RpcError::new(code::INVALID_REQUEST, format!("chain store: {error}"))
}

fn parse_hash(text: &str, name: &str) -> Result<[u8; 32], RpcError> {
    let bytes = hex::decode(text)
        .ok()
        .filter(|bytes| bytes.len() == 32)
        .ok_or_else(|| {
            RpcError::new(
                code::INVALID_PARAMETER,
                format!(
                    "{name} must be of length 64 (not {}, for '{text}')",
                    text.len()
                ),
            )
        })?;
    let mut hash = [0u8; 32];
    // Display order is reversed.
    for (slot, byte) in hash.iter_mut().zip(bytes.iter().rev()) {
        *slot = *byte;
    }
    Ok(hash)
}

fn chainwork_hex(work: U256) -> String {
    hex::encode(work.to_be_bytes())
}

/// Answers RPC calls from a shared node state.
#[derive(Debug, Clone)]
pub struct Methods {
    state: Arc<Mutex<NodeState>>,
}

impl Methods {
    /// Methods over `state`.
    pub fn new(state: Arc<Mutex<NodeState>>) -> Self {
        Methods { state }
    }

    /// Answers one call.
    ///
    /// # Errors
    /// fluxd's error for the call.
    pub fn call(&self, method: &str, params: Params<'_>) -> Result<Value, RpcError> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        match method {
            "getblockcount" => Ok(json!(state.chain().tip().0.0)),
            "getbestblockhash" => Ok(json!(state.chain().tip().1.to_string())),
            "getblockhash" => {
                let height = params.integer(0, "height")?;
                let out_of_range =
                    || RpcError::new(code::INVALID_PARAMETER, "Block height out of range");
                let height = u32::try_from(height).map_err(|_| out_of_range())?;
                let hash = state
                    .chain()
                    .block_hash(BlockHeight(height))
                    .map_err(store_error)?
                    .ok_or_else(out_of_range)?;
                Ok(json!(hash.to_string()))
            }
            "getblock" => getblock(&state, params),
            "getblockheader" => getblockheader(&state, params),
            "getrawtransaction" => getrawtransaction(&state, params),
            "sendrawtransaction" => sendrawtransaction(&mut state, params),
            "getfluxnodecount" => Ok(getfluxnodecount(&state)),
            "listfluxnodes" => listfluxnodes(&state),
            "getblocksubsidy" => {
                let tip = state.chain().tip().0.0;
                let height = params
                    .optional_integer(0, "height")?
                    .unwrap_or(i64::from(tip));
                let height = u32::try_from(height).map_err(|_| {
                    RpcError::new(code::INVALID_PARAMETER, "Block height out of range")
                })?;
                let split = state.chain().params().reward_split(BlockHeight(height));
                Ok(json!({"miner": fluxd_json::amount(split.subsidy.zat())}))
            }
            other => Err(RpcError::method_not_found(other)),
        }
    }
}

/// Resolves a block parameter that is a hash or (as fluxd's getblock allows) a height.
fn block_hash_param(state: &NodeState, params: Params<'_>) -> Result<BlockHash, RpcError> {
    let text = match params.0.first() {
        Some(Value::Number(number)) => number.to_string(),
        _ => params.string(0, "blockhash")?.to_owned(),
    };
    if text.len() != 64
        && let Ok(height) = text.parse::<u32>()
    {
        return state
            .chain()
            .block_hash(BlockHeight(height))
            .map_err(store_error)?
            .ok_or_else(|| RpcError::new(code::INVALID_PARAMETER, "Block height out of range"));
    }
    Ok(BlockHash(parse_hash(&text, "blockhash")?))
}

fn position<'a>(
    state: &NodeState,
    hash: &BlockHash,
    next: &'a mut String,
    work: &'a mut String,
) -> Result<ChainPosition<'a>, RpcError> {
    let chain = state.chain();
    let not_found = || RpcError::new(code::INVALID_ADDRESS_OR_KEY, "Block not found");
    let height = chain
        .block_height(hash)
        .map_err(store_error)?
        .ok_or_else(not_found)?;
    let (tip_height, _) = chain.tip();
    let in_best = chain.is_in_best_chain(hash).map_err(store_error)?;
    let confirmations = if in_best {
        i64::from(tip_height.0) - i64::from(height.0) + 1
    } else {
        -1
    };
    *next = match chain
        .block_hash(BlockHeight(height.0 + 1))
        .map_err(store_error)?
    {
        Some(next_hash) if in_best => next_hash.to_string(),
        _ => String::new(),
    };
    *work = chain
        .chain_work(hash)
        .map_err(store_error)?
        .map(chainwork_hex)
        .unwrap_or_default();
    let header = chain
        .header(hash)
        .map_err(store_error)?
        .ok_or_else(not_found)?;
    Ok(ChainPosition {
        height: height.0,
        confirmations,
        next: (!next.is_empty()).then_some(next.as_str()),
        chainwork: work.as_str(),
        difficulty: relative_difficulty(header.bits, chain.params().difficulty_params().pow_limit),
    })
}

fn getblock(state: &NodeState, params: Params<'_>) -> Result<Value, RpcError> {
    let hash = block_hash_param(state, params)?;
    let verbosity = params.optional_integer(1, "verbosity")?.unwrap_or(1);
    let block: Block = state
        .chain()
        .block(&hash)
        .map_err(store_error)?
        .ok_or_else(|| RpcError::new(code::INVALID_ADDRESS_OR_KEY, "Block not found"))?;
    if verbosity == 0 {
        return Ok(json!(hex::encode(block.encoded())));
    }
    let (mut next, mut work) = (String::new(), String::new());
    let position = position(state, &hash, &mut next, &mut work)?;
    let detail = if verbosity >= 2 {
        TxDetail::Full
    } else {
        TxDetail::Ids
    };
    Ok(fluxd_json::block(
        &block,
        Some(&position),
        Network::Devnet,
        detail,
    ))
}

fn getblockheader(state: &NodeState, params: Params<'_>) -> Result<Value, RpcError> {
    let hash = BlockHash(parse_hash(params.string(0, "hash")?, "hash")?);
    let verbose = params.optional_integer(1, "verbose")?.unwrap_or(1) != 0;
    let header = state
        .chain()
        .header(&hash)
        .map_err(store_error)?
        .ok_or_else(|| RpcError::new(code::INVALID_ADDRESS_OR_KEY, "Block not found"))?;
    if !verbose {
        return Ok(json!(hex::encode(header.encoded())));
    }
    let (mut next, mut work) = (String::new(), String::new());
    let position = position(state, &hash, &mut next, &mut work)?;
    Ok(fluxd_json::block_header(&header, Some(&position)))
}

/// `getrawtransaction` verbose: the raw hex, then `TxToJSON`'s fields.
fn with_hex(tx: &Transaction, mut view: Value) -> Value {
    if let Value::Object(fields) = &mut view {
        fields.insert("hex".into(), json!(hex::encode(tx.encoded())));
    }
    view
}

fn getrawtransaction(state: &NodeState, params: Params<'_>) -> Result<Value, RpcError> {
    let txid = Txid(parse_hash(params.string(0, "txid")?, "txid")?);
    let verbose = params.optional_integer(1, "verbose")?.unwrap_or(0) != 0;
    let missing = || {
        RpcError::new(
            code::INVALID_ADDRESS_OR_KEY,
            "No information available about transaction",
        )
    };
    if let Some(tx) = state.mempool_transaction(&txid) {
        return Ok(if verbose {
            with_hex(tx, fluxd_json::transaction(tx, Network::Devnet, None))
        } else {
            json!(hex::encode(tx.encoded()))
        });
    }
    let location = state
        .chain()
        .transaction(&txid)
        .map_err(store_error)?
        .ok_or_else(missing)?;
    if !verbose {
        return Ok(json!(hex::encode(location.transaction.encoded())));
    }
    let (mut next, mut work) = (String::new(), String::new());
    let position = position(state, &location.block_hash, &mut next, &mut work)?;
    let time = state
        .chain()
        .header(&location.block_hash)
        .map_err(store_error)?
        .map_or(0, |header| header.time);
    let block_hash = location.block_hash.to_string();
    let mined = MinedIn {
        block_hash: &block_hash,
        block_time: time,
        position,
    };
    Ok(with_hex(
        &location.transaction,
        fluxd_json::transaction(&location.transaction, Network::Devnet, Some(mined)),
    ))
}

fn sendrawtransaction(state: &mut NodeState, params: Params<'_>) -> Result<Value, RpcError> {
    let text = params.string(0, "hexstring")?;
    let decode_failed = || RpcError::new(code::DESERIALIZATION_ERROR, "TX decode failed");
    let bytes = hex::decode(text).map_err(|_| decode_failed())?;
    let tx = Transaction::decode_exact(&bytes).map_err(|_| decode_failed())?;
    match state.submit_transaction(tx) {
        Ok(txid) => Ok(json!(txid.to_string())),
        Err(MempoolError::AlreadyInChain) => Err(RpcError::new(
            code::VERIFY_ALREADY_IN_CHAIN,
            "transaction already in block chain",
        )),
        Err(MempoolError::Invalid(TxValidationError::Invalid(
            error @ TransactionError::MissingOrSpent(_),
        ))) => Err(RpcError::new(
            code::VERIFY_REJECTED,
            format!("Missing inputs: {error}"),
        )),
        Err(error) => Err(RpcError::new(code::VERIFY_REJECTED, error.to_string())),
    }
}

fn getfluxnodecount(state: &NodeState) -> Value {
    let list = state.chain().fluxnode_list();
    let counts: Vec<usize> = Tier::ALL
        .iter()
        .map(|tier| list.confirmed_count(*tier))
        .collect();
    let total: usize = counts.iter().sum();
    let ipv4 = list
        .nodes()
        .filter(|node| node.status == flux_nodes::NodeStatus::Confirmed)
        .filter(|node| {
            node.ip
                .rsplit_once(':')
                .map_or(node.ip.as_str(), |(host, _)| host)
                .parse::<std::net::Ipv4Addr>()
                .is_ok()
        })
        .count();
    json!({
        "total": total,
        "stable": total,
        "basic-enabled": counts[0],
        "super-enabled": counts[1],
        "bamf-enabled": counts[2],
        "cumulus-enabled": counts[0],
        "nimbus-enabled": counts[1],
        "stratus-enabled": counts[2],
        "ipv4": ipv4,
        "ipv6": 0,
        "onion": 0,
    })
}

fn listfluxnodes(state: &NodeState) -> Result<Value, RpcError> {
    let chain = state.chain();
    let list = chain.fluxnode_list();
    let mut out = Vec::new();
    for tier in Tier::ALL {
        for (rank, node) in list.payment_order(tier).enumerate() {
            let coin = chain.utxo(&node.collateral).map_err(store_error)?;
            let payment_address = coin
                .as_ref()
                .and_then(|coin| Address::from_script(&coin.output.script_pubkey, Network::Devnet))
                .map(|address| address.to_string())
                .unwrap_or_default();
            // fluxd prints 0 for a height (and its time) that has not happened yet.
            let height_or_zero = |height: Option<BlockHeight>| height.map_or(0, BlockHeight::get);
            let time_at = |height: Option<BlockHeight>| -> Result<u32, RpcError> {
                let Some(height) = height.filter(|height| *height > BlockHeight::GENESIS) else {
                    return Ok(0);
                };
                let Some(hash) = chain.block_hash(height).map_err(store_error)? else {
                    return Ok(0);
                };
                Ok(chain
                    .header(&hash)
                    .map_err(store_error)?
                    .map_or(0, |h| h.time))
            };
            out.push(json!({
                "collateral": format!("COutPoint({}, {})", node.collateral.txid, node.collateral.index),
                "txhash": node.collateral.txid.to_string(),
                "outidx": node.collateral.index,
                "ip": node.ip,
                "network": "ipv4",
                "added_height": node.added_height.get(),
                "confirmed_height": height_or_zero(node.confirmed_height),
                "last_confirmed_height": height_or_zero(node.last_confirmed_height),
                "last_paid_height": height_or_zero(node.last_paid_height),
                "tier": fluxd_json::tier_word(tier),
                "payment_address": payment_address,
                "activesince": time_at(node.confirmed_height)?,
                "lastpaid": time_at(node.last_paid_height)?,
                "amount": fluxd_json::amount(node.collateral_amount.zat()),
                "rank": rank,
            }));
        }
    }
    Ok(Value::Array(out))
}
