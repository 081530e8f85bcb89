//! `flux fluxnode ...`: fluxnode START and CONFIRM transactions (flux-tx's builders).
//!
//! Output contracts:
//! - `flux fluxnode start --collateral TXID:N --node-pubkey HEX --sig-time T --height H
//!   [--network N] [--redeem-script HEX | --collateral-pubkey HEX] [--delegate PUBKEY]...
//!   [--remove-delegates | --as-delegate] (--key -|@FILE | --unsigned)` prints the START's hex on
//!   one line; with `--unsigned` the unsigned START (empty signature) for another signer, and the
//!   text to sign (the txid) on a second line `sign: <txid>`.
//! - `flux fluxnode sign HEX --key -|@FILE` signs an unsigned START with a collateral, redeem
//!   script or delegate key and prints the signed hex.
//! - `flux fluxnode confirm --collateral TXID:N --node-key -|@FILE --ip IP --sig-time T
//!   --benchmark-key -|@FILE --tier N --benchmark-sig-time T [--update] [--tx-version 5|6]`
//!   prints the CONFIRM's hex.
//!
//! The version and internal version follow fluxd's RPCs for the height's network upgrades (PON
//! decides between the legacy and the bit-based internal versions, and allows delegates).
//! Private keys come from a file or standard input only. Bad input: a message on stderr, exit 2.

use std::process::ExitCode;

use clap::Subcommand;
use flux_tx::builder::fluxnode::{
    BenchmarkAttestation, CollateralOwner, DelegateRole, StartTemplate, UnsignedStart,
    build_confirm_version,
};
use flux_tx::fluxnode::UpdateType;
use flux_tx::keys::PublicKey;
use flux_tx::{
    BlockHeight, FluxDecode, FluxEncode, Network, NetworkUpgrade, OutPoint, Script, Tier,
    Transaction, Txid,
};

use crate::input::{argument_text, hex_argument};
use crate::keys::NetworkArg;
use crate::secret_key::read_private_key;
use crate::wallet_output::finish;

/// Subcommands of `flux fluxnode`.
#[derive(Debug, Subcommand)]
pub enum FluxnodeCommand {
    /// Build (and sign) a START; prints its hex.
    Start(StartArgs),
    /// Sign an unsigned START made with `start --unsigned`; prints the signed hex.
    Sign {
        /// The unsigned START's hex (`-` or `@FILE` for standard input or a file).
        hex: String,
        /// The signing key (WIF): `-` reads it from standard input, `@FILE` from FILE.
        #[arg(long)]
        key: String,
    },
    /// Build and sign a CONFIRM (as the node and its benchmark daemon make it); prints its hex.
    Confirm(ConfirmArgs),
}

/// The `flux fluxnode start` arguments.
#[derive(Debug, clap::Args)]
pub struct StartArgs {
    /// The collateral output, `TXID:N` (txid in display hex).
    #[arg(long)]
    collateral: String,
    /// The node's public key (hex), which will sign its CONFIRMs.
    #[arg(long)]
    node_pubkey: String,
    /// `sigTime` (Unix seconds).
    #[arg(long)]
    sig_time: u32,
    /// The height the START is for: picks the internal version (legacy before PON).
    #[arg(long)]
    height: u32,
    /// The network.
    #[arg(long, value_enum, default_value = "main")]
    network: NetworkArg,
    /// A P2SH collateral's multisig redeem script (hex).
    #[arg(long, conflicts_with = "collateral_pubkey")]
    redeem_script: Option<String>,
    /// A P2PKH collateral's public key (hex); by default the signing key's.
    #[arg(long)]
    collateral_pubkey: Option<String>,
    /// A delegate public key (compressed hex) the START stores; up to four.
    #[arg(long = "delegate")]
    delegates: Vec<String>,
    /// An UPDATE with no keys: removes the node's delegates.
    #[arg(long, conflicts_with_all = ["delegates", "as_delegate"])]
    remove_delegates: bool,
    /// The START is signed by a delegate key stored earlier.
    #[arg(long, conflicts_with = "delegates")]
    as_delegate: bool,
    /// The signing key (WIF): `-` reads it from standard input, `@FILE` from FILE.
    #[arg(
        long,
        required_unless_present = "unsigned",
        conflicts_with = "unsigned"
    )]
    key: Option<String>,
    /// Print the unsigned START for another signer.
    #[arg(long)]
    unsigned: bool,
}

/// The `flux fluxnode confirm` arguments.
#[derive(Debug, clap::Args)]
pub struct ConfirmArgs {
    /// The collateral output, `TXID:N`.
    #[arg(long)]
    collateral: String,
    /// The node key (WIF): `-` or `@FILE`.
    #[arg(long)]
    node_key: String,
    /// The node's IP and port as it announces them.
    #[arg(long)]
    ip: String,
    /// `sigTime`.
    #[arg(long)]
    sig_time: u32,
    /// The benchmark key (WIF): `-` or `@FILE`.
    #[arg(long)]
    benchmark_key: String,
    /// The benchmarked tier: 1 Cumulus, 2 Nimbus, 3 Stratus.
    #[arg(long)]
    tier: u8,
    /// `benchmarkSigTime`.
    #[arg(long)]
    benchmark_sig_time: u32,
    /// An update confirmation (default: the initial one).
    #[arg(long)]
    update: bool,
    /// The START's transaction version (5 or 6).
    #[arg(long, default_value_t = 5)]
    tx_version: i32,
}

/// `TXID:N`, the txid in display hex.
fn parse_outpoint(text: &str) -> Result<OutPoint, String> {
    let (txid, index) = text
        .split_once(':')
        .ok_or_else(|| format!("collateral {text:?} is not TXID:N"))?;
    let txid: Txid = txid
        .parse()
        .map_err(|error| format!("collateral txid: {error}"))?;
    let index = index
        .parse()
        .map_err(|error| format!("collateral index {index:?}: {error}"))?;
    Ok(OutPoint { txid, index })
}

fn parse_pubkey(argument: &str, what: &str) -> Result<PublicKey, String> {
    let text = argument_text(argument).map_err(|e| e.to_string())?;
    text.parse().map_err(|error| format!("{what}: {error}"))
}

/// Runs one `flux fluxnode` subcommand.
pub fn run(command: FluxnodeCommand) -> ExitCode {
    let result = match command {
        FluxnodeCommand::Start(args) => start(args),
        FluxnodeCommand::Sign { hex, key } => sign(&hex, &key),
        FluxnodeCommand::Confirm(args) => confirm(args),
    };
    finish(result)
}

fn start(args: StartArgs) -> Result<Vec<String>, String> {
    let network = Network::from(args.network);
    let collateral = parse_outpoint(&args.collateral)?;
    let node_public_key = parse_pubkey(&args.node_pubkey, "node public key")?;
    let key = match &args.key {
        Some(argument) => Some(read_private_key(argument, "--key")?.0),
        None => None,
    };
    let owner = if let Some(script) = &args.redeem_script {
        CollateralOwner::P2sh(Script::from(
            hex_argument(script, "redeem script").map_err(|e| e.to_string())?,
        ))
    } else if let Some(public) = &args.collateral_pubkey {
        CollateralOwner::PubKey(parse_pubkey(public, "collateral public key")?)
    } else if let (Some(key), false) = (&key, args.as_delegate) {
        CollateralOwner::PubKey(key.public_key())
    } else {
        return Err(
            "give --collateral-pubkey or --redeem-script (the signing key is not the owner's)"
                .into(),
        );
    };
    let delegates = if args.as_delegate {
        DelegateRole::Signing
    } else if args.remove_delegates {
        DelegateRole::Update(Vec::new())
    } else if args.delegates.is_empty() {
        DelegateRole::None
    } else {
        DelegateRole::Update(
            args.delegates
                .iter()
                .map(|d| parse_pubkey(d, "delegate"))
                .collect::<Result<_, _>>()?,
        )
    };
    let pon_active = NetworkUpgrade::ProofOfNode
        .activation_height(network)
        .is_some_and(|at| BlockHeight(args.height) >= at);
    let unsigned = StartTemplate {
        collateral,
        owner,
        node_public_key,
        sig_time: args.sig_time,
        delegates,
        pon_active,
    }
    .build()
    .map_err(|e| e.to_string())?;
    match key {
        None => Ok(vec![
            hex::encode(unsigned.transaction().encoded()),
            format!("sign: {}", unsigned.message()),
        ]),
        Some(key) => {
            let tx = unsigned.sign(&key).map_err(|e| e.to_string())?;
            Ok(vec![hex::encode(tx.encoded())])
        }
    }
}

fn sign(hex: &str, key: &str) -> Result<Vec<String>, String> {
    let bytes = hex_argument(hex, "START").map_err(|e| e.to_string())?;
    let tx = Transaction::decode_exact(&bytes).map_err(|e| format!("START: {e}"))?;
    let unsigned = UnsignedStart::from_transaction(tx).map_err(|e| e.to_string())?;
    let (key, _) = read_private_key(key, "--key")?;
    let tx = unsigned.sign(&key).map_err(|e| e.to_string())?;
    Ok(vec![hex::encode(tx.encoded())])
}

fn confirm(args: ConfirmArgs) -> Result<Vec<String>, String> {
    let collateral = parse_outpoint(&args.collateral)?;
    let tier = Tier::from_number(args.tier)
        .ok_or_else(|| format!("tier {} is not 1, 2 or 3", args.tier))?;
    let (node_key, _) = read_private_key(&args.node_key, "--node-key")?;
    let (benchmark_key, _) = read_private_key(&args.benchmark_key, "--benchmark-key")?;
    let update_type = if args.update {
        UpdateType::UpdateConfirm
    } else {
        UpdateType::InitialConfirm
    };
    let tx = build_confirm_version(
        args.tx_version,
        collateral,
        &node_key,
        update_type,
        args.sig_time,
        &args.ip,
        &BenchmarkAttestation {
            key: &benchmark_key,
            tier,
            sig_time: args.benchmark_sig_time,
        },
    )
    .map_err(|e| e.to_string())?;
    Ok(vec![hex::encode(tx.encoded())])
}
