//! `flux app register SPEC.json --key -|@FILE --height H`: what a wallet sends FluxOS to register
//! (or, with `--update`, update) an app, and the payment that makes it take effect.
//!
//! Output contract, one `name: value` line each:
//! - `message:` the JSON FluxOS's `/apps/appregister` takes: `type`, `version` 1, the spec in
//!   FluxOS's canonical form, the millisecond `timestamp` and the Base64 `signature` over
//!   `type + version + JSON.stringify(spec) + timestamp`;
//! - `hash:` the message hash FluxOS stores (SHA-256 hex of the signed string and signature);
//! - `fee:` the minimum registration fee flux-apps computes for the height, in FLUX;
//! - `address:` the app payment address FluxOS deploys to at that height
//!   (`deploymentInformation`: `t1LUs6…`, `t3aGJv…` from 1,300,000, `t3NryfAQ…` from
//!   1,670,000);
//! - `payment:` an unsigned v4 transaction without inputs (for a wallet to fund and sign, like
//!   fluxd's `createrawtransaction` + `fundrawtransaction`) paying the fee to the address, with
//!   the hash as ASCII in an `OP_RETURN` output, expiring 20 blocks after the height.
//!
//! The signature uses the Bitcoin message magic, the only one FluxOS's `signatureVerifier.js`
//! checks app messages with; `--magic zelcash` signs with fluxd's magic instead (ZelID and the
//! node-message helpers accept it; FluxOS refuses it for app messages). The key must be the
//! spec owner's (checked before anything is printed). Bad input: stderr, exit 2.

use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use clap::ValueEnum;
use flux_apps::registration::{AppMessage, MESSAGE_VERSION, MessageKind};
use flux_apps::spec::price::{registration_fee, to_cents};
use flux_apps::spec::{ValidationOptions, check_json, message_hash};
use flux_tx::address::Address;
use flux_tx::builder::payment::expiry_height;
use flux_tx::message::{MessageMagic, sign_message};
use flux_tx::script::standard::null_data;
use flux_tx::transaction::{
    SAPLING_TX_VERSION, SAPLING_VERSION_GROUP_ID, SaplingBundle, StandardTx, Transaction, TxBody,
};
use flux_tx::{Amount, BlockHeight, FluxEncode, Network, Script, TxOut};

use crate::secret_key::read_private_key;

/// The message magic of the owner signature.
#[derive(Debug, Clone, Copy, Default, ValueEnum)]
pub enum RegisterMagic {
    /// "Bitcoin Signed Message:\n" (bitcoinjs-message), what FluxOS verifies.
    #[default]
    Bitcoin,
    /// "Zelcash Signed Message:\n" (fluxd signmessage).
    Zelcash,
}

/// The `flux app register` arguments.
#[derive(Debug, clap::Args)]
pub struct RegisterArgs {
    /// The spec JSON file.
    spec: String,
    /// The owner's key (WIF): `-` reads it from standard input, `@FILE` from FILE.
    #[arg(long)]
    key: String,
    /// The height the registration is for (rules, price, payment address, expiry).
    #[arg(long)]
    height: u32,
    /// Milliseconds since the Unix epoch (default: now).
    #[arg(long)]
    timestamp: Option<u64>,
    /// An update of a registered app (`fluxappupdate`; the fee printed is the registration fee,
    /// which an update at least pays up to the previous spec's unused share).
    #[arg(long)]
    update: bool,
    /// The signature's message magic.
    #[arg(long, value_enum, default_value_t)]
    magic: RegisterMagic,
}

/// `deploymentInformation`'s address for `height` (`ZelBack/config/default.js:226-230`).
pub fn payment_address(height: u32) -> &'static str {
    if height >= 1_670_000 {
        "t3NryfAQLGeFs9jEoeqsxmBN2QLRaRKFLUX"
    } else if height >= 1_300_000 {
        "t3aGJvdtd8NR6GrnqnRuVEzH6MbrXuJFLUX"
    } else {
        "t1LUs6quf7TB2zVZmexqPQdnqmrFMGZGjV6"
    }
}

/// Runs `flux app register`; `Err` is a usage error (exit 2).
pub fn run(args: RegisterArgs) -> Result<ExitCode, String> {
    let text = std::fs::read_to_string(&args.spec)
        .map_err(|error| format!("cannot read {}: {error}", args.spec))?;
    let height = BlockHeight(args.height);
    let report = check_json(&text, height, &ValidationOptions::fluxos())
        .map_err(|error| format!("{} is not JSON: {error}", args.spec))?;
    let spec = match report.spec {
        Some(spec) if report.violations.is_empty() => spec,
        _ => {
            let reasons: Vec<String> = report.violations.iter().map(ToString::to_string).collect();
            return Err(format!("spec is not valid: {}", reasons.join("; ")));
        }
    };
    let (key, _) = read_private_key(&args.key, "--key")?;
    let timestamp_ms = match args.timestamp {
        Some(ms) => ms,
        None => SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_err(|e| format!("clock: {e}"))?
            .as_millis()
            .try_into()
            .map_err(|_| "clock beyond u64 milliseconds".to_owned())?,
    };
    let kind = if args.update {
        MessageKind::Update
    } else {
        MessageKind::Register
    };
    // Signed with the Bitcoin magic, the owner check is FluxOS's own.
    let message = AppMessage::sign(kind, spec, timestamp_ms, &key);
    message
        .verify(message.spec.owner())
        .map_err(|error| format!("the key is not the spec owner's: {error}"))?;
    let canonical = message.spec.canonical_json();
    let signature = match args.magic {
        RegisterMagic::Bitcoin => message.signature.clone(),
        RegisterMagic::Zelcash => {
            sign_message(&key, message.signed_string().as_bytes(), MessageMagic::Flux).to_base64()
        }
    };
    let hash = message_hash(
        kind.type_name(),
        MESSAGE_VERSION,
        &canonical,
        timestamp_ms,
        &signature,
    );
    let fee_flux = registration_fee(&message.spec, height);
    let fee = Amount::from_zat(to_cents(fee_flux).saturating_mul(1_000_000))
        .ok_or_else(|| format!("fee {fee_flux} FLUX is out of range"))?;
    let address = Address::parse(payment_address(args.height), Network::Mainnet)
        .map_err(|e| format!("payment address: {e}"))?;
    let data = Script::from(null_data(hash.as_bytes()).map_err(|e| e.to_string())?);
    let payment = Transaction {
        overwintered: true,
        version: SAPLING_TX_VERSION,
        version_group_id: SAPLING_VERSION_GROUP_ID,
        body: TxBody::Standard(StandardTx {
            inputs: Vec::new(),
            outputs: vec![
                TxOut::new(fee, address.script_pubkey()),
                TxOut::new(Amount::ZERO, data),
            ],
            lock_time: 0,
            expiry_height: expiry_height(height),
            sapling: SaplingBundle::default(),
            join_splits: None,
        }),
    };
    // The spec is embedded verbatim: its canonical string is what was signed and hashed.
    let message_json = format!(
        "{{\"type\":{},\"version\":{MESSAGE_VERSION},\"appSpecification\":{canonical},\"timestamp\":{timestamp_ms},\"signature\":{}}}",
        serde_json::Value::from(kind.type_name()),
        serde_json::Value::from(signature.as_str()),
    );
    println!("message: {message_json}");
    println!("hash: {hash}");
    println!("fee: {fee}");
    println!("address: {address}");
    println!("payment: {}", hex::encode(payment.encoded()));
    Ok(ExitCode::SUCCESS)
}
