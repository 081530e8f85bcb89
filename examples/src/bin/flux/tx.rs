//! `flux tx decode <HEX>` and `flux block decode <HEX>`: decode consensus bytes (flux-tx) and print
//! one JSON object on stdout.
//!
//! Output: the JSON view fluxd's RPC gives (`examples::fluxd_json`, the same view the reference
//! node serves), plus the fields this decoder has always printed that fluxd has no counterpart
//! for. Contract (fields are added, not renamed, except where fluxd's name replaced ours):
//! - transaction: fluxd's `TxToJSON` fields (`txid`, `version`, `overwintered`, `versiongroupid`,
//!   `locktime`, `expiryheight`, `vin`, `vout` with `value` printed as `150.00000000`,
//!   `valueZat`, `scriptPubKey`; `valueBalance`, `valueBalanceZat`; for fluxnode transactions
//!   `type`, `collateral`, `txhash`, `outidx`, `sigtime`, `ip`, …), and `size`, `coinbase`,
//!   `inputs` (`txid`, `vout`, `script_sig_hex`, `sequence`), `outputs` (`n`, `value_zat`,
//!   `value_flux`, `script_pubkey_hex`, `address` or null), `sapling_spends`,
//!   `sapling_outputs`, `join_splits`, and for fluxnode transactions a `fluxnode` object with
//!   its raw fields, keys and signatures in hex (`type` start|confirm|unknown and the type's
//!   fields);
//! - block: fluxd's `blockToJSON` fields without those that need a chain (`hash`, `version`,
//!   `merkleroot`, `finalsaplingroot`, `time`, `type` POW|PON, `nonce` and `solution` or
//!   `collateral` and `blocksig`, `bits`, `previousblockhash`, `size`, `tx` as txids), and
//!   `merkle_root`, `merkle_root_matches`, `merkle_mutated`, `proof` (work|node),
//!   `solution_size` (work), `transactions` (each as above).
//!
//! `<HEX>` may be `-` or `@FILE` (see `input.rs`). Bad hex, an unreadable file or bytes that do
//! not decode: the reason on stderr, exit code 2.

use std::process::ExitCode;

use clap::{Args, ValueEnum};
use examples::fluxd_json::{self, TxDetail, amount_text};
use flux_tx::address::Address;
use flux_tx::fluxnode::{CollateralSigner, FluxnodeTx};
use flux_tx::{Block, BlockProof, FluxDecode, FluxEncode, Network, OutPoint, Transaction};
use serde_json::{Value, json};

use crate::input::hex_argument;

/// Networks for address rendering.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum AddressNetwork {
    /// Mainnet (t1/t3).
    Main,
    /// Testnet and regtest (tm/t2).
    Test,
}

/// Arguments of `flux tx decode` and `flux block decode`.
#[derive(Debug, Args)]
pub struct DecodeArgs {
    /// The consensus bytes as hex; `-` reads them from standard input, `@FILE` from FILE (a
    /// block may be larger than a command-line argument can be).
    hex: String,
    /// Which network's address prefixes to render output addresses with.
    #[arg(long, value_enum, default_value = "main")]
    network: AddressNetwork,
}

/// `flux tx ...`.
#[derive(Debug, clap::Subcommand)]
pub enum TxCommand {
    /// Decode a raw transaction and print it as JSON.
    Decode(DecodeArgs),
}

/// `flux block ...`.
#[derive(Debug, clap::Subcommand)]
pub enum BlockCommand {
    /// Decode a raw block and print it as JSON.
    Decode(DecodeArgs),
}

fn network(arg: AddressNetwork) -> Network {
    match arg {
        AddressNetwork::Main => Network::Mainnet,
        AddressNetwork::Test => Network::Testnet,
    }
}

fn print_or_fail<T: FluxDecode>(
    args: &DecodeArgs,
    what: &str,
    render: impl Fn(&T, usize, Network) -> Value,
) -> ExitCode {
    let decoded = hex_argument(&args.hex, &format!("the {what}"))
        .map_err(|error| error.to_string())
        .and_then(|bytes| {
            T::decode_exact(&bytes)
                .map(|value| (value, bytes.len()))
                .map_err(|e| format!("not a valid {what}: {e}"))
        });
    match decoded {
        Ok((value, size)) => {
            let view = render(&value, size, network(args.network));
            println!("{}", fluxd_json::to_text_pretty(&view));
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

/// Runs `flux tx ...`.
pub fn run_tx(command: TxCommand) -> ExitCode {
    match command {
        TxCommand::Decode(args) => print_or_fail::<Transaction>(&args, "transaction", tx_json),
    }
}

/// Runs `flux block ...`.
pub fn run_block(command: BlockCommand) -> ExitCode {
    match command {
        BlockCommand::Decode(args) => print_or_fail::<Block>(&args, "block", block_json),
    }
}

fn outpoint_json(outpoint: &OutPoint) -> Value {
    json!({ "txid": outpoint.txid.to_string(), "vout": outpoint.index })
}

fn fluxnode_json(node: &FluxnodeTx) -> Value {
    match node {
        FluxnodeTx::Start(start) => {
            let mut value = json!({
                "type": "start",
                "internal_version": start.internal_version,
                "collateral": outpoint_json(&start.collateral),
                "node_pubkey_hex": hex::encode(&start.node_pubkey),
                "sig_time": start.sig_time,
                "signature_hex": hex::encode(&start.sig),
                "uses_delegates": start.delegates.is_some(),
            });
            match &start.signer {
                CollateralSigner::PubKey(key) => {
                    value["collateral_pubkey_hex"] = json!(hex::encode(key));
                }
                CollateralSigner::P2sh(script) => {
                    value["redeem_script_hex"] = json!(hex::encode(script.as_bytes()));
                }
            }
            value
        }
        FluxnodeTx::Confirm(confirm) => json!({
            "type": "confirm",
            "collateral": outpoint_json(&confirm.collateral),
            "sig_time": confirm.sig_time,
            "benchmark_tier": confirm.benchmark_tier,
            "benchmark_sig_time": confirm.benchmark_sig_time,
            "update_type": confirm.update_type,
            "ip": String::from_utf8_lossy(&confirm.ip),
            "signature_hex": hex::encode(&confirm.sig),
            "benchmark_signature_hex": hex::encode(&confirm.benchmark_sig),
        }),
        FluxnodeTx::Untyped(kind) => json!({ "type": "unknown", "n_type": kind }),
    }
}

fn tx_json(tx: &Transaction, size: usize, network: Network) -> Value {
    let inputs: Vec<Value> = tx
        .inputs()
        .iter()
        .map(|input| {
            json!({
                "txid": input.prevout.txid.to_string(),
                "vout": input.prevout.index,
                "script_sig_hex": hex::encode(input.script_sig.as_bytes()),
                "sequence": input.sequence,
            })
        })
        .collect();
    let outputs: Vec<Value> = tx
        .outputs()
        .iter()
        .enumerate()
        .map(|(n, output)| {
            json!({
                "n": n,
                "value_zat": output.value,
                "value_flux": amount_text(output.value),
                "script_pubkey_hex": hex::encode(output.script_pubkey.as_bytes()),
                "address": Address::from_script(&output.script_pubkey, network)
                    .map(|address| address.to_string()),
            })
        })
        .collect();
    let standard = tx.standard();
    let mut value = fluxd_json::transaction(tx, network, None);
    value["size"] = json!(size);
    value["coinbase"] = json!(tx.is_coinbase());
    value["inputs"] = json!(inputs);
    value["outputs"] = json!(outputs);
    value["sapling_spends"] = json!(standard.map_or(0, |s| s.sapling.spends.len()));
    value["sapling_outputs"] = json!(standard.map_or(0, |s| s.sapling.outputs.len()));
    value["join_splits"] = json!(
        standard
            .and_then(|s| s.join_splits.as_ref())
            .map_or(0, |bundle| bundle.join_splits.len())
    );
    if let Some(node) = tx.fluxnode() {
        value["fluxnode"] = fluxnode_json(node);
    }
    value
}

fn block_json(block: &Block, size: usize, network: Network) -> Value {
    let header = &block.header;
    let (root, mutated) = block.compute_merkle_root();
    let mut value = fluxd_json::block(block, None, network, TxDetail::Ids);
    value["merkle_root"] = json!(header.merkle_root.to_string());
    value["merkle_root_matches"] = json!(root == header.merkle_root);
    value["merkle_mutated"] = json!(mutated);
    value["size"] = json!(size);
    value["transactions"] = block
        .transactions
        .iter()
        .map(|tx| tx_json(tx, tx.encoded().len(), network))
        .collect();
    match &header.proof {
        BlockProof::Work { solution, .. } => {
            value["proof"] = json!("work");
            value["solution_size"] = json!(solution.len());
        }
        BlockProof::Node {
            collateral,
            signature,
        } => {
            value["proof"] = json!("node");
            // The PON hash depends on the network's genesis time and slot length.
            let params = flux_consensus::params::for_network(network);
            let slot = flux_consensus::check::pon::slot_of_time(params.as_ref(), header.time);
            value["pon"] = json!({
                "collateral": outpoint_json(collateral),
                "signature_hex": hex::encode(signature),
                "slot": slot.0,
                "pon_hash": flux_tx::pon::pon_hash(collateral, &header.prev_block, slot).to_string(),
                "emergency": flux_consensus::check::pon::is_emergency_block(header),
            });
        }
    }
    value
}
