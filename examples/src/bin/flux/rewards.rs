//! `flux rewards`: the reward calculator of flux-nodes.
//!
//! Output contracts:
//! - `flux rewards --tier T --nodes N [--height H] [--network NET]` prints a two-column table, one
//!   `label  value` row per figure.
//! - With `--json`, one JSON object: `network`, `tier`, `nodes`, `height`, `flux_per_block` (what the
//!   whole tier receives per block), `blocks_per_day`, `flux_per_node_per_day`,
//!   `flux_per_node_per_year`, `collateral_flux`, `apr_percent` (FLUX only) and
//!   `apr_with_parallel_assets_percent` (parallel assets counted at par).
//!
//! An unknown tier, a node count of zero or a height where the tier earns nothing is reported on
//! stderr with exit code 2.

use std::process::ExitCode;

use clap::Args;
use flux_nodes::{RewardEstimate, Tier};
use flux_tx::{BlockHeight, COIN, Network, NetworkUpgrade};

use crate::keys::NetworkArg;

/// Arguments of `flux rewards`.
#[derive(Debug, Args)]
pub struct RewardsArgs {
    /// Node tier: cumulus, nimbus or stratus (or the old names basic, super, bamf).
    #[arg(long)]
    tier: String,
    /// Nodes of the tier sharing its payouts.
    #[arg(long)]
    nodes: u32,
    /// Height at which the schedule is read; by default the network's proof-of-node activation
    /// (the current era of the schedule).
    #[arg(long)]
    height: Option<u32>,
    /// Network whose schedule is used.
    #[arg(long, value_enum, default_value = "main")]
    network: NetworkArg,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    json: bool,
}

/// Runs `flux rewards`.
pub fn run(args: RewardsArgs) -> ExitCode {
    match estimate(&args) {
        Ok(estimate) => {
            let network = Network::from(args.network);
            if args.json {
                println!("{}", to_json(network, &estimate));
            } else {
                print!("{}", to_table(network, &estimate));
            }
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

fn estimate(args: &RewardsArgs) -> Result<RewardEstimate, String> {
    let tier: Tier = args.tier.parse().map_err(|e| format!("{e}"))?;
    let network = Network::from(args.network);
    let height = match args.height {
        Some(height) => BlockHeight(height),
        None => NetworkUpgrade::ProofOfNode
            .activation_height(network)
            .unwrap_or(BlockHeight(0)),
    };
    RewardEstimate::new(network, tier, args.nodes, height).map_err(|e| e.to_string())
}

fn flux(amount: flux_tx::Amount) -> f64 {
    amount.zat() as f64 / COIN as f64
}

fn to_json(network: Network, e: &RewardEstimate) -> serde_json::Value {
    serde_json::json!({
        "network": network.name(),
        "tier": e.tier.name(),
        "nodes": e.nodes,
        "height": e.height.0,
        "flux_per_block": flux(e.tier_payout_per_block),
        "blocks_per_day": e.blocks_per_day,
        "flux_per_node_per_day": e.flux_per_node_per_day,
        "flux_per_node_per_year": e.flux_per_node_per_year,
        "collateral_flux": flux(e.collateral),
        "apr_percent": e.apr_percent,
        "apr_with_parallel_assets_percent": e.apr_with_parallel_assets_percent,
    })
}

fn to_table(network: Network, e: &RewardEstimate) -> String {
    let rows = [
        ("network", network.name().to_owned()),
        ("tier", e.tier.name().to_owned()),
        ("nodes", e.nodes.to_string()),
        ("height", e.height.0.to_string()),
        (
            "FLUX per block to the tier",
            e.tier_payout_per_block.to_string(),
        ),
        ("blocks per day", format!("{:.0}", e.blocks_per_day)),
        (
            "FLUX per node per day",
            format!("{:.4}", e.flux_per_node_per_day),
        ),
        (
            "FLUX per node per year",
            format!("{:.2}", e.flux_per_node_per_year),
        ),
        ("collateral", e.collateral.to_string()),
        ("APR (FLUX)", format!("{:.2} %", e.apr_percent)),
        (
            "APR with parallel assets",
            format!("{:.2} %", e.apr_with_parallel_assets_percent),
        ),
    ];
    let width = rows.iter().map(|(label, _)| label.len()).max().unwrap_or(0);
    rows.iter()
        .map(|(label, value)| format!("{label:<width$}  {value}\n"))
        .collect()
}
