//! `flux multisig ...`: P2SH multisig wallets and the partial-signature flow of the SSP wallet
//! and utxo-lib (flux-tx's `builder::multisig`).
//!
//! Output contracts:
//! - `flux multisig address M PUBKEY... [--network N]` prints the P2SH address, then
//!   `redeem_script: <hex>`.
//! - `flux multisig create --redeem-script HEX --input TXID:N... --pay ADDRESS=FLUX...
//!   [--change-amount FLUX] --height H` prints the unsigned spend's hex (every slot `OP_0`;
//!   change, if any, goes back to the multisig address).
//! - `flux multisig sign HEX --redeem-script HEX --amount FLUX... --key -|@FILE --height H
//!   [--network N]` adds the key's signature to every input (one `--amount` per input, the value
//!   it spends) and prints the partial hex, then `signatures: <have>/<required>` per input.
//! - `flux multisig combine HEX HEX` prints the merged partial hex.
//! - `flux multisig finalize HEX` prints the spendable hex (exit 1 when signatures are
//!   missing).
//!
//! Private keys come from a file or standard input only. Bad input: stderr, exit 2.

use std::process::ExitCode;

use clap::Subcommand;
use flux_tx::address::Address;
use flux_tx::builder::multisig::{
    MultisigError, MultisigScript, combine, finalize, sign_input, signature_counts, unsigned_spend,
};
use flux_tx::keys::PublicKey;
use flux_tx::{
    Amount, BlockHeight, FluxDecode, FluxEncode, Network, NetworkUpgrade, OutPoint, Transaction,
    TxOut, Txid,
};

use crate::input::{argument_text, hex_argument};
use crate::keys::NetworkArg;
use crate::secret_key::read_private_key;
use crate::wallet_output::{finish, usage_error};

/// Subcommands of `flux multisig`.
#[derive(Debug, Subcommand)]
pub enum MultisigCommand {
    /// The P2SH address and redeem script of M of the given public keys.
    Address {
        /// Signatures required.
        required: usize,
        /// The public keys (hex), in script order.
        #[arg(required = true)]
        pubkeys: Vec<String>,
        /// The network of the address.
        #[arg(long, value_enum, default_value = "main")]
        network: NetworkArg,
    },
    /// An unsigned spend of multisig outputs.
    Create {
        /// The redeem script (hex).
        #[arg(long)]
        redeem_script: String,
        /// An output of the multisig to spend, `TXID:N`.
        #[arg(long = "input", required = true)]
        inputs: Vec<String>,
        /// A payment, `ADDRESS=FLUX`.
        #[arg(long = "pay", required = true)]
        payments: Vec<String>,
        /// Change back to the multisig address, in FLUX.
        #[arg(long)]
        change_amount: Option<String>,
        /// The height the spend is for (its expiry is 20 blocks later).
        #[arg(long)]
        height: u32,
        /// The network.
        #[arg(long, value_enum, default_value = "main")]
        network: NetworkArg,
    },
    /// Add a signature to every input of a partial spend.
    Sign {
        /// The partial spend's hex (`-` or `@FILE` allowed).
        hex: String,
        /// The redeem script (hex).
        #[arg(long)]
        redeem_script: String,
        /// The value each input spends, in FLUX, in input order.
        #[arg(long = "amount", required = true)]
        amounts: Vec<String>,
        /// The signing key (WIF): `-` or `@FILE`.
        #[arg(long)]
        key: String,
        /// The height the spend is for (picks the signatures' branch id).
        #[arg(long)]
        height: u32,
        /// The network.
        #[arg(long, value_enum, default_value = "main")]
        network: NetworkArg,
    },
    /// Merge two partial spends of the same transaction.
    Combine {
        /// The first partial spend's hex.
        first: String,
        /// The second partial spend's hex.
        second: String,
    },
    /// The spendable transaction from a partial spend with enough signatures.
    Finalize {
        /// The partial spend's hex.
        hex: String,
    },
}

fn decode_tx(argument: &str) -> Result<Transaction, String> {
    let bytes = hex_argument(argument, "transaction").map_err(|e| e.to_string())?;
    Transaction::decode_exact(&bytes).map_err(|e| format!("transaction: {e}"))
}

fn redeem(argument: &str) -> Result<MultisigScript, String> {
    let bytes = hex_argument(argument, "redeem script").map_err(|e| e.to_string())?;
    MultisigScript::from_redeem_script(&bytes).map_err(|e| format!("redeem script: {e}"))
}

fn amount(text: &str) -> Result<Amount, String> {
    text.parse().map_err(|e| format!("amount {text:?}: {e}"))
}

/// Runs one `flux multisig` subcommand.
pub fn run(command: MultisigCommand) -> ExitCode {
    let result = match command {
        MultisigCommand::Address {
            required,
            pubkeys,
            network,
        } => address(required, &pubkeys, network.into()),
        MultisigCommand::Create {
            redeem_script,
            inputs,
            payments,
            change_amount,
            height,
            network,
        } => create(
            &redeem_script,
            &inputs,
            &payments,
            change_amount.as_deref(),
            height,
            network.into(),
        ),
        MultisigCommand::Sign {
            hex,
            redeem_script,
            amounts,
            key,
            height,
            network,
        } => sign(&hex, &redeem_script, &amounts, &key, height, network.into()),
        MultisigCommand::Combine { first, second } => decode_tx(&first)
            .and_then(|a| decode_tx(&second).map(|b| (a, b)))
            .and_then(|(a, b)| combine(&a, &b).map_err(|e| e.to_string()))
            .map(|tx| vec![hex::encode(tx.encoded())]),
        MultisigCommand::Finalize { hex } => {
            let tx = match decode_tx(&hex) {
                Ok(tx) => tx,
                Err(message) => return usage_error(message),
            };
            return match finalize(&tx) {
                Ok(tx) => {
                    println!("{}", hex::encode(tx.encoded()));
                    ExitCode::SUCCESS
                }
                Err(error @ MultisigError::NotEnoughSignatures { .. }) => {
                    println!("incomplete: {error}");
                    ExitCode::from(1)
                }
                Err(error) => usage_error(error),
            };
        }
    };
    finish(result)
}

fn address(required: usize, pubkeys: &[String], network: Network) -> Result<Vec<String>, String> {
    let keys = pubkeys
        .iter()
        .map(|k| {
            let text = argument_text(k).map_err(|e| e.to_string())?;
            text.parse::<PublicKey>()
                .map_err(|e| format!("public key {text:?}: {e}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let script = MultisigScript::new(required, keys).map_err(|e| e.to_string())?;
    Ok(vec![
        script.address(network).to_string(),
        format!(
            "redeem_script: {}",
            hex::encode(script.redeem_script().as_bytes())
        ),
    ])
}

fn create(
    redeem_script: &str,
    inputs: &[String],
    payments: &[String],
    change_amount: Option<&str>,
    height: u32,
    network: Network,
) -> Result<Vec<String>, String> {
    let script = redeem(redeem_script)?;
    let outpoints = inputs
        .iter()
        .map(|text| {
            let (txid, index) = text
                .split_once(':')
                .ok_or_else(|| format!("input {text:?} is not TXID:N"))?;
            Ok(OutPoint {
                txid: txid
                    .parse::<Txid>()
                    .map_err(|e| format!("input txid: {e}"))?,
                index: index.parse().map_err(|e| format!("input index: {e}"))?,
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    let mut outputs = payments
        .iter()
        .map(|text| {
            let (to, value) = text
                .split_once('=')
                .ok_or_else(|| format!("payment {text:?} is not ADDRESS=FLUX"))?;
            let to = Address::parse(to, network).map_err(|e| format!("address {to:?}: {e}"))?;
            Ok(TxOut::new(amount(value)?, to.script_pubkey()))
        })
        .collect::<Result<Vec<_>, String>>()?;
    if let Some(change) = change_amount {
        outputs.push(TxOut::new(amount(change)?, script.script_pubkey()));
    }
    let inputs: Vec<(OutPoint, &MultisigScript)> =
        outpoints.into_iter().map(|o| (o, &script)).collect();
    let tx = unsigned_spend(&inputs, outputs, BlockHeight(height)).map_err(|e| e.to_string())?;
    Ok(vec![hex::encode(tx.encoded())])
}

fn sign(
    hex: &str,
    redeem_script: &str,
    amounts: &[String],
    key: &str,
    height: u32,
    network: Network,
) -> Result<Vec<String>, String> {
    let mut tx = decode_tx(hex)?;
    let script = redeem(redeem_script)?;
    if amounts.len() != tx.inputs().len() {
        return Err(format!(
            "{} --amount values for {} inputs",
            amounts.len(),
            tx.inputs().len()
        ));
    }
    let (key, _) = read_private_key(key, "--key")?;
    let branch = NetworkUpgrade::branch_id_at(network, BlockHeight(height));
    for (index, value) in amounts.iter().enumerate() {
        sign_input(&mut tx, index, &script, amount(value)?, &key, branch)
            .map_err(|e| e.to_string())?;
    }
    let mut lines = vec![hex::encode(tx.encoded())];
    for count in signature_counts(&tx).into_iter().flatten() {
        lines.push(format!("signatures: {}/{}", count.0, count.1));
    }
    Ok(lines)
}
