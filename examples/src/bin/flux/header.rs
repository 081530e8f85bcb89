//! `flux header ...`: block header checks (flux-consensus).
//!
//! Output contract of `flux header verify <HEADER_HEX> --network <NET> --height <H>
//! [--node-pubkey HEX]`: the header, as serialized, is checked as a header of height `H` would be
//! on its own: version and era; for proof of work the Equihash parameter set of that height, the
//! solution, and the hash against the target from `nBits`; for proof of node (version >= 100) the
//! signature's size, the PON hash (collateral, parent, slot) against the target from `nBits` and
//! the limit in force at `H`, an emergency block's signature set, and, given the operator key of
//! the node (`--node-pubkey`), the block signature. `<HEADER_HEX>` may be `-` or `@FILE` (see
//! `input.rs`). It prints `valid <hash>` (exit 0), with ` (signature not checked)` appended for a
//! proof-of-node header verified without `--node-pubkey`, or `invalid: <reason>` (exit 1). Bad
//! hex, a header that does not decode or has trailing bytes, a key that is not hex, and an unknown
//! network are reported on stderr with exit code 2.

use std::process::ExitCode;

use clap::Subcommand;
use flux_consensus::check::header::check_header_for_height;
use flux_consensus::check::pon::check_pon_signature;
use flux_consensus::params::by_name;
use flux_pow::BlockHeight;
use flux_tx::{BlockHeader, FluxDecode};

use crate::input::hex_argument;

/// Subcommands of `flux header`.
#[derive(Debug, Subcommand)]
pub enum HeaderCommand {
    /// Verify a serialized block header for its height: Equihash (proof of work) or the PON hash
    /// and signature (proof of node) for its era, and the target from bits.
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
        /// The operator public key (hex) of the fluxnode that produced a proof-of-node header: the
        /// key its START announced. Without it the block signature is not checked.
        #[arg(long)]
        node_pubkey: Option<String>,
    },
}

/// Runs one `flux header` subcommand.
pub fn run(command: HeaderCommand) -> ExitCode {
    match command {
        HeaderCommand::Verify {
            header,
            network,
            height,
            node_pubkey,
        } => verify(&header, &network, height, node_pubkey.as_deref()),
    }
}

fn verify(header_hex: &str, network: &str, height: u32, node_pubkey: Option<&str>) -> ExitCode {
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
    let node_key = match node_pubkey.map(hex::decode).transpose() {
        Ok(key) => key,
        Err(error) => {
            eprintln!("--node-pubkey is not hex: {error}");
            return ExitCode::from(2);
        }
    };
    let checked =
        check_header_for_height(params.as_ref(), &header, BlockHeight(height)).and_then(|()| {
            match &node_key {
                Some(key) if header.is_proof_of_node() => {
                    check_pon_signature(params.as_ref(), &header, key)
                }
                _ => Ok(()),
            }
        });
    match checked {
        Ok(()) if header.is_proof_of_node() && node_key.is_none() => {
            println!("valid {} (signature not checked)", header.hash());
            ExitCode::SUCCESS
        }
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
