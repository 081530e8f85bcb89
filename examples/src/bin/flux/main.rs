//! `flux`: the one command-line tool of flux-rs. Each crate contributes its subcommands in a module
//! of its own beside this file; this file only parses and dispatches.
//!
//! Exit codes are part of the contract: 0 success, 1 a negative verdict (for example an invalid
//! proof of work), 2 unusable input (bad hex, wrong lengths, unreadable files, usage errors).
//!
//! Every argument that takes hex, or a key or address that may be hex, also takes `-` (read from
//! standard input) or `@FILE` (read from FILE), for values longer than the 128 KiB the operating
//! system allows an argument (see `input.rs`).
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod app;
mod app_register;
mod fluxnode;
mod header;
mod input;
mod keys;
mod multisig;
mod node;
mod parallel;
mod peer;
mod pow;
mod rewards;
mod rpc;
mod secret_key;
mod supply;
mod supply_chart;
mod titan;
mod tx;
mod wallet_output;

/// The flux-rs command-line tool.
#[derive(Debug, Parser)]
#[command(
    name = "flux",
    version,
    about = "flux-rs: the Flux network as Rust crates"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Every top-level subcommand; one variant per crate area.
#[derive(Debug, Subcommand)]
enum Command {
    /// Equihash proof of work: verify and solve (flux-pow).
    #[command(subcommand)]
    Pow(pow::PowCommand),
    /// The t1 address of a WIF key or hex public key (flux-tx).
    Address(keys::AddressArgs),
    /// Sign and verify messages like fluxd signmessage/verifymessage (flux-tx).
    #[command(subcommand)]
    Message(keys::MessageCommand),
    /// Transactions: decode raw bytes to JSON (flux-tx).
    #[command(subcommand)]
    Tx(tx::TxCommand),
    /// Blocks: decode raw bytes to JSON (flux-tx).
    #[command(subcommand)]
    Block(tx::BlockCommand),
    /// Block headers: verify proof of work for a height (flux-consensus).
    #[command(subcommand)]
    Header(header::HeaderCommand),
    /// Node rewards: FLUX per block, per node and APR for a tier (flux-nodes).
    Rewards(rewards::RewardsArgs),
    /// The coins emitted up to a height, by recipient class, and the share locked in fluxnodes
    /// (flux-nodes).
    Supply(supply::SupplyArgs),
    /// App specs: validate, canonical JSON and price like FluxOS (flux-apps).
    #[command(subcommand)]
    App(app::AppCommand),
    /// Parallel assets: chain addresses, snapshots from reward events (flux-parallel).
    #[command(subcommand)]
    Parallel(parallel::ParallelCommand),
    /// Titan staking pools: simulate stakes, fees and payouts (flux-nodes).
    #[command(subcommand)]
    Titan(titan::TitanCommand),
    /// The reference node: a devnet that mines, registers fluxnodes and serves JSON-RPC.
    Node(Box<node::NodeArgs>),
    /// Talk to a fluxd-speaking peer: print its handshake, or download and verify headers
    /// (flux-tx's P2P codecs, flux-consensus' header checks).
    Peer(peer::PeerArgs),
    /// One JSON-RPC call to a running node, with the cookie of its data directory by default.
    Rpc(rpc::RpcArgs),
    /// Fluxnode START and CONFIRM transactions: build, sign, print hex (flux-tx).
    #[command(subcommand)]
    Fluxnode(fluxnode::FluxnodeCommand),
    /// P2SH multisig: addresses, partial signatures, combine, finalize (flux-tx).
    #[command(subcommand)]
    Multisig(multisig::MultisigCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Pow(command) => pow::run(command),
        Command::Address(args) => keys::run_address(args),
        Command::Message(command) => keys::run_message(command),
        Command::App(command) => app::run(command),
        Command::Parallel(command) => parallel::run(command),
        Command::Rewards(args) => rewards::run(args),
        Command::Supply(args) => supply::run(args),
        Command::Titan(command) => titan::run(command),
        Command::Node(args) => node::run_node(*args),
        Command::Peer(args) => peer::run(args),
        Command::Rpc(args) => rpc::run(args),
        Command::Tx(command) => tx::run_tx(command),
        Command::Block(command) => tx::run_block(command),
        Command::Header(command) => header::run(command),
        Command::Fluxnode(command) => fluxnode::run(command),
        Command::Multisig(command) => multisig::run(command),
    }
}
