//! `flux parallel ...`: parallel-asset addresses and snapshots (flux-parallel).
//!
//! - `flux parallel address <CHAIN> <KEY_HEX|ADDRESS>` prints the normal form of an address on
//!   CHAIN: derived when the second argument is a public key in hex (64 hex digits on Kadena,
//!   Solana and Algorand; 66 or 130 on the EVM chains, Tron and Ergo), validated otherwise; the
//!   second argument may be `-` or `@FILE` (see `input.rs`). Exit 1
//!   with `invalid: <reason>` when the address or key is invalid, 2 for an unknown chain.
//! - `flux parallel snapshot --from-rewards FILE --height H [--json|--csv]` accrues the reward
//!   events of FILE (JSON array or JSON lines, see `flux_parallel::rewards_file`) up to height H
//!   under the mainnet schedule and prints the snapshot with its commitment (JSON by default).
//!   Events are applied in height order (a stable sort keeps the file's order within a block).
//! - `flux parallel verify-snapshot FILE` re-imports a CSV or JSON snapshot and checks its
//!   commitment: prints `valid: <commitment>` (exit 0) or `invalid: <reason>` (exit 1).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;
use flux_parallel::rewards_file::parse_reward_events;
use flux_parallel::{AddressKind, Chain, ChainAddress, Ledger, Schedule, Snapshot};
use flux_pow::BlockHeight;

use crate::input::argument_text;

/// Subcommands of `flux parallel`.
#[derive(Debug, Subcommand)]
pub enum ParallelCommand {
    /// Derive an address from a public key (hex) or validate and normalise an address.
    Address {
        /// kadena, ethereum, bsc, tron, solana, avalanche, ergo, polygon, algorand or base.
        chain: Chain,
        /// A public key as hex, or an address on the chain; `-` reads it from standard input,
        /// `@FILE` from FILE.
        key_or_address: String,
    },
    /// Accrue a rewards file up to a height and print the snapshot with its commitment.
    Snapshot {
        /// JSON array or JSON lines of reward events.
        #[arg(long = "from-rewards", value_name = "FILE")]
        from_rewards: PathBuf,
        /// Snapshot height: events above it are left out.
        #[arg(long)]
        height: u32,
        /// Print JSON (the default).
        #[arg(long, conflicts_with = "csv")]
        json: bool,
        /// Print CSV.
        #[arg(long)]
        csv: bool,
    },
    /// Re-import a CSV or JSON snapshot and verify its commitment.
    VerifySnapshot {
        /// The snapshot file.
        file: PathBuf,
    },
}

/// Runs one `flux parallel` subcommand.
pub fn run(command: ParallelCommand) -> ExitCode {
    match command {
        ParallelCommand::Address {
            chain,
            key_or_address,
        } => address(chain, &key_or_address),
        ParallelCommand::Snapshot {
            from_rewards,
            height,
            json: _,
            csv,
        } => snapshot(&from_rewards, height, csv),
        ParallelCommand::VerifySnapshot { file } => verify_snapshot(&file),
    }
}

/// Hex lengths of the public keys a chain derives addresses from.
fn key_hex_lengths(chain: Chain) -> &'static [usize] {
    match chain.address_kind() {
        AddressKind::KadenaK | AddressKind::Solana | AddressKind::Algorand => &[64],
        _ => &[66, 130],
    }
}

fn address(chain: Chain, argument: &str) -> ExitCode {
    let input = match argument_text(argument) {
        Ok(text) => text,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    let input = input.as_str();
    let is_key = key_hex_lengths(chain).contains(&input.len())
        && input.bytes().all(|b| b.is_ascii_hexdigit());
    let result = if is_key {
        // Cannot fail: even length and hex digits only, checked above.
        let Ok(key) = hex::decode(input) else {
            eprintln!("error: public key is not hex");
            return ExitCode::from(2);
        };
        ChainAddress::from_public_key(chain, &key)
    } else {
        ChainAddress::parse(chain, input)
    };
    match result {
        Ok(address) => {
            println!("{address}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            println!("invalid: {error}");
            ExitCode::from(1)
        }
    }
}

fn read(path: &PathBuf) -> Result<String, ExitCode> {
    std::fs::read_to_string(path).map_err(|error| {
        eprintln!("error: cannot read {}: {error}", path.display());
        ExitCode::from(2)
    })
}

fn snapshot(path: &PathBuf, height: u32, csv: bool) -> ExitCode {
    let text = match read(path) {
        Ok(text) => text,
        Err(code) => return code,
    };
    let mut events = match parse_reward_events(&text) {
        Ok(events) => events,
        Err(error) => {
            eprintln!("error: {}: {error}", path.display());
            return ExitCode::from(2);
        }
    };
    events.sort_by_key(|event| event.height);
    let height = BlockHeight(height);
    let mut ledger = Ledger::new(Schedule::mainnet());
    for event in events.iter().filter(|event| event.height <= height) {
        if let Err(error) = ledger.apply(event) {
            eprintln!("error: event at height {}: {error}", event.height);
            return ExitCode::from(2);
        }
    }
    if let Err(error) = ledger.advance_to(height) {
        eprintln!("error: {error}");
        return ExitCode::from(2);
    }
    let snapshot = ledger.snapshot();
    if csv {
        print!("{}", snapshot.to_csv());
    } else {
        println!("{}", snapshot.to_json());
    }
    ExitCode::SUCCESS
}

fn verify_snapshot(path: &PathBuf) -> ExitCode {
    let text = match read(path) {
        Ok(text) => text,
        Err(code) => return code,
    };
    let result = if text.trim_start().starts_with('{') {
        Snapshot::from_json(&text)
    } else {
        Snapshot::from_csv(&text)
    };
    match result {
        Ok(snapshot) => {
            println!("valid: {}", snapshot.commitment_hex());
            ExitCode::SUCCESS
        }
        Err(error) => {
            println!("invalid: {error}");
            ExitCode::from(1)
        }
    }
}
