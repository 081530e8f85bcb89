//! `flux header ...`: block header checks (flux-consensus).
//!
//! Output contract of `flux header verify <HEADER_HEX> --network <NET> --height <H>`: the header
//! (version through the Equihash solution, as serialized) is checked as a header of height `H`
//! would be on its own: version, the proof-of-work era, the Equihash parameter set of that height,
//! the solution, and the hash against the target from `nBits`. `<HEADER_HEX>` may be `-` or
//! `@FILE` (see `input.rs`). It prints `valid <hash>` (exit 0)
//! or `invalid: <reason>` (exit 1). Bad hex, a header that does not decode or has trailing bytes,
//! and an unknown network are reported on stderr with exit code 2.

use std::process::ExitCode;

use clap::Subcommand;
use flux_consensus::check::header::check_header_for_height;
use flux_consensus::params::by_name;
use flux_pow::BlockHeight;
use flux_tx::{BlockHeader, FluxDecode};

use crate::input::hex_argument;

/// Subcommands of `flux header`.
#[derive(Debug, Subcommand)]
pub enum HeaderCommand {
    /// Verify a serialized block header for its height: Equihash for its era and target from bits.
    Verify {
        /// The serialized header (140 bytes, the solution's compactsize length, the solution), as
        /// hex; `-` reads it from standard input, `@FILE` from FILE.
        header: String,
        /// The network: main, test, regtest or devnet.
        #[arg(long, default_value = "main")]
        network: String,
        /// The height the header claims (it picks the Equihash parameter set and the era).
        #[arg(long)]
        height: u32,
    },
}

/// Runs one `flux header` subcommand.
pub fn run(command: HeaderCommand) -> ExitCode {
    match command {
        HeaderCommand::Verify {
            header,
            network,
            height,
        } => verify(&header, &network, height),
    }
}

fn verify(header_hex: &str, network: &str, height: u32) -> ExitCode {
    let Some(params) = by_name(network) else {
        eprintln!("unknown network {network:?}: expected main, test, regtest or devnet");
        return ExitCode::from(2);
    };
    let bytes = match hex_argument(header_hex, "the header") {
        Ok(bytes) => bytes,
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::from(2);
        }
    };
    let header = match BlockHeader::decode_exact(&bytes) {
        Ok(header) => header,
        Err(error) => {
            eprintln!("the {} bytes are not a block header: {error}", bytes.len());
            return ExitCode::from(2);
        }
    };
    match check_header_for_height(params.as_ref(), &header, BlockHeight(height)) {
        Ok(()) => {
            println!("valid {}", header.hash());
            ExitCode::SUCCESS
        }
        Err(reason) => {
            println!("invalid: {reason}");
            ExitCode::from(1)
        }
    }
}
