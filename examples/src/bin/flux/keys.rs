//! `flux address ...` and `flux message ...`: keys, addresses and signed messages (flux-tx).
//!
//! Output contracts:
//! - `flux address <WIF|PUBKEY_HEX> [--network N]` prints the P2PKH address on the first line;
//!   for a WIF key a second line `compressed: true|false`.
//! - `flux message sign <WIF> <MESSAGE>` prints the Base64 signature.
//! - `flux message verify <ADDRESS> <SIGNATURE> <MESSAGE>` prints `valid` (exit 0) or
//!   `invalid: <reason>` (exit 1).
//!
//! The key of `flux address` and the address of `flux message verify` may be `-` or `@FILE`
//! (see `input.rs`). Unusable input (bad WIF, hex, Base64 or address, an unreadable file) is
//! reported on stderr with exit code 2.

use std::process::ExitCode;

use clap::{Subcommand, ValueEnum};
use flux_tx::Network;
use flux_tx::address::Address;
use flux_tx::keys::{PrivateKey, PublicKey};
use flux_tx::message::{self, MessageError, MessageMagic};

use crate::input::argument_text;

/// Network names accepted by `--network`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum NetworkArg {
    /// Mainnet (t1/t3 addresses, WIF prefix 0x80).
    Main,
    /// Testnet (tm/t2 addresses, WIF prefix 0xef).
    Test,
    /// Regtest (same prefixes as testnet).
    Regtest,
    /// The SDK's devnet (same prefixes as testnet).
    Devnet,
}

impl From<NetworkArg> for Network {
    fn from(arg: NetworkArg) -> Network {
        match arg {
            NetworkArg::Main => Network::Mainnet,
            NetworkArg::Test => Network::Testnet,
            NetworkArg::Regtest => Network::Regtest,
            NetworkArg::Devnet => Network::Devnet,
        }
    }
}

/// Message magic accepted by `--magic`.
#[derive(Debug, Clone, Copy, ValueEnum, Default)]
pub enum MagicArg {
    /// fluxd signmessage ("Zelcash Signed Message:\n").
    #[default]
    Flux,
    /// FluxOS / ZelID app-owner signatures ("Bitcoin Signed Message:\n").
    Bitcoin,
}

/// The `flux address` arguments.
#[derive(Debug, clap::Args)]
pub struct AddressArgs {
    /// A WIF private key or a hex public key (33 or 65 bytes); `-` reads it from standard input,
    /// `@FILE` from FILE.
    key: String,
    /// Network of the address; by default the WIF key's own network, or main for a public key.
    #[arg(long, value_enum)]
    network: Option<NetworkArg>,
}

/// Subcommands of `flux message`.
#[derive(Debug, Subcommand)]
pub enum MessageCommand {
    /// Sign a message with a WIF key; prints the Base64 compact signature.
    Sign {
        /// The WIF private key (any network).
        wif: String,
        /// The message.
        message: String,
        /// Message magic: flux (fluxd signmessage) or bitcoin (FluxOS app owners).
        #[arg(long, value_enum, default_value_t)]
        magic: MagicArg,
    },
    /// Verify a Base64 signature; prints `valid` or `invalid: <reason>`.
    Verify {
        /// A Flux t1/tm address (fluxd verifymessage), a 1... ZelID or a hex public key (FluxOS);
        /// `-` reads it from standard input, `@FILE` from FILE.
        address: String,
        /// The Base64 signature.
        signature: String,
        /// The message.
        message: String,
    },
}

fn usage_error(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(2)
}

/// Runs `flux address`.
pub fn run_address(args: AddressArgs) -> ExitCode {
    let requested = args.network.map(Network::from);
    let key_text = match argument_text(&args.key) {
        Ok(text) => text,
        Err(error) => return usage_error(error),
    };
    let is_hex =
        key_text.chars().all(|c| c.is_ascii_hexdigit()) && matches!(key_text.len(), 66 | 130);
    if is_hex {
        let key: PublicKey = match key_text.parse() {
            Ok(key) => key,
            Err(error) => return usage_error(error),
        };
        let network = requested.unwrap_or(Network::Mainnet);
        println!("{}", Address::from_public_key(&key, network));
        return ExitCode::SUCCESS;
    }
    let (key, network) = match requested {
        Some(network) => match PrivateKey::from_wif(&key_text, network) {
            Ok(key) => (key, network),
            Err(error) => return usage_error(error),
        },
        None => match PrivateKey::from_wif_any(&key_text) {
            Ok(found) => found,
            Err(error) => {
                return usage_error(format_args!(
                    "{error} (expected a WIF key or a 66/130-digit hex public key)"
                ));
            }
        },
    };
    println!("{}", Address::from_public_key(&key.public_key(), network));
    println!("compressed: {}", key.is_compressed());
    ExitCode::SUCCESS
}

/// Runs one `flux message` subcommand.
pub fn run_message(command: MessageCommand) -> ExitCode {
    match command {
        MessageCommand::Sign {
            wif,
            message,
            magic,
        } => {
            let key = match PrivateKey::from_wif_any(&wif) {
                Ok((key, _)) => key,
                Err(error) => return usage_error(error),
            };
            let magic = match magic {
                MagicArg::Flux => MessageMagic::Flux,
                MagicArg::Bitcoin => MessageMagic::Bitcoin,
            };
            println!(
                "{}",
                message::sign_message(&key, message.as_bytes(), magic).to_base64()
            );
            ExitCode::SUCCESS
        }
        MessageCommand::Verify {
            address,
            signature,
            message,
        } => {
            let address = match argument_text(&address) {
                Ok(text) => text,
                Err(error) => return usage_error(error),
            };
            match message::verify_message(&address, &signature, &message) {
                Ok(()) => {
                    println!("valid");
                    ExitCode::SUCCESS
                }
                Err(
                    error @ (MessageError::WrongSigner
                    | MessageError::Unrecoverable
                    | MessageError::HeaderOutOfRange { .. }
                    | MessageError::SegwitHeader { .. }),
                ) => {
                    println!("invalid: {error}");
                    ExitCode::from(1)
                }
                Err(error) => usage_error(error),
            }
        }
    }
}
