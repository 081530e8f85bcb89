//! `flux supply`: the coins emitted up to a height from the consensus rules alone (flux-nodes'
//! `supply`), by recipient class, and the share locked as fluxnode collateral.
//!
//! Output contracts:
//! - `flux supply --height H [--network NET] [--nodes-cumulus N --nodes-nimbus N
//!   --nodes-stratus N]` prints a two-column table, one `label  value` row per class, in FLUX.
//! - With `--json`, one JSON object: `network`, `height`, and in FLUX (eight decimals, as fluxd
//!   prints amounts) `premine_flux`, `miners_flux`, `cumulus_flux`, `nimbus_flux`,
//!   `stratus_flux`, `dev_fund_flux`, `exchange_fund_flux`, `foundation_fund_flux`,
//!   `swap_pool_flux` and `total_flux`; with node counts also `locked_in_nodes_flux` (each tier's
//!   nodes times its collateral at `H`) and `locked_in_nodes_percent` (of `total_flux`).
//!
//! - With `--chart FILE.svg`, the same report, and an SVG line chart of each class's cumulative
//!   emission from block 1 to `H` (both eras), the PON activation and every reduction marked
//!   with a labelled vertical line (`proof of node 2020000`, `reduction 1`, ...).
//!
//! The classes assume every tier has a node from the network's fluxnode payments start
//! (`nStartFluxnodePaymentsHeight`) on. A height above the largest block height, or an unknown
//! network, is reported on stderr with exit code 2.

use std::process::ExitCode;

use clap::Args;
use examples::fluxd_json::{self, amount_text};
use flux_consensus::params::for_network;
use flux_nodes::supply::{Emission, emitted};
use flux_nodes::{Tier, TierExt};
use flux_tx::{Amount, BlockHeight, Network};
use serde_json::{Map, Value, json};

use crate::keys::NetworkArg;

/// Arguments of `flux supply`.
#[derive(Debug, Args)]
pub struct SupplyArgs {
    /// The height the emission runs to (inclusive).
    #[arg(long)]
    height: u32,
    /// Network whose rules are summed.
    #[arg(long, value_enum, default_value = "main")]
    network: NetworkArg,
    /// Cumulus nodes, for the collateral they lock.
    #[arg(long)]
    nodes_cumulus: Option<u64>,
    /// Nimbus nodes, for the collateral they lock.
    #[arg(long)]
    nodes_nimbus: Option<u64>,
    /// Stratus nodes, for the collateral they lock.
    #[arg(long)]
    nodes_stratus: Option<u64>,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    json: bool,
    /// Also draw the cumulative emission of each class from block 1 to the height as an SVG
    /// chart, with the proof-of-node activation and every subsidy reduction marked.
    #[arg(long, value_name = "FILE.svg")]
    chart: Option<std::path::PathBuf>,
}

/// One figure of the report.
enum Figure {
    Text(String),
    Height(u32),
    Flux(Amount),
    Percent(f64),
}

/// Runs `flux supply`.
pub fn run(args: SupplyArgs) -> ExitCode {
    if let Some(path) = &args.chart {
        let network = Network::from(args.network);
        let payments_start = for_network(network).fluxnode_payments_start();
        let drawn = if args.height > BlockHeight::MAX.0 {
            Err(format!(
                "height {} is above the largest block height",
                args.height
            ))
        } else {
            crate::supply_chart::draw(path, network, BlockHeight(args.height), payments_start)
        };
        if let Err(message) = drawn {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    }
    match report(&args) {
        Ok(rows) => {
            if args.json {
                let view: Map<String, Value> = rows
                    .into_iter()
                    .map(|(key, figure)| {
                        let value = match figure {
                            Figure::Text(text) => json!(text),
                            Figure::Height(height) => json!(height),
                            Figure::Flux(amount) => fluxd_json::amount(amount.zat()),
                            Figure::Percent(percent) => json!(percent),
                        };
                        (key.to_owned(), value)
                    })
                    .collect();
                println!("{}", fluxd_json::to_text_pretty(&Value::Object(view)));
            } else {
                for (key, figure) in rows {
                    let value = match figure {
                        Figure::Text(text) => text,
                        Figure::Height(height) => height.to_string(),
                        Figure::Flux(amount) => format!("{} FLUX", amount_text(amount.zat())),
                        Figure::Percent(percent) => format!("{percent:.4} %"),
                    };
                    let label = key.trim_end_matches("_flux").replace('_', " ");
                    println!("{label:<24} {value}");
                }
            }
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

/// The report as `(JSON key, figure)` rows, in output order.
fn report(args: &SupplyArgs) -> Result<Vec<(&'static str, Figure)>, String> {
    let network = Network::from(args.network);
    let height = BlockHeight(args.height);
    if height > BlockHeight::MAX {
        return Err(format!(
            "height {} is above the largest block height {}",
            args.height,
            BlockHeight::MAX
        ));
    }
    let params = for_network(network);
    let emission = emitted(network, height, params.fluxnode_payments_start())
        .map_err(|error| error.to_string())?;
    let total = emission
        .total()
        .ok_or("the total emission leaves the amount range")?;
    let mut rows = vec![
        ("network", Figure::Text(network.name().to_owned())),
        ("height", Figure::Height(height.0)),
    ];
    rows.extend(classes(&emission).map(|(key, amount)| (key, Figure::Flux(amount))));
    rows.push(("total_flux", Figure::Flux(total)));
    let counts = [args.nodes_cumulus, args.nodes_nimbus, args.nodes_stratus];
    if counts.iter().any(Option::is_some) {
        let locked = locked(network, height, counts)?;
        rows.push(("locked_in_nodes_flux", Figure::Flux(locked)));
        let percent = if total.zat() == 0 {
            0.0
        } else {
            locked.zat() as f64 * 100.0 / total.zat() as f64
        };
        rows.push(("locked_in_nodes_percent", Figure::Percent(percent)));
    }
    Ok(rows)
}

fn classes(emission: &Emission) -> impl Iterator<Item = (&'static str, Amount)> {
    let [cumulus, nimbus, stratus] = emission.tiers;
    [
        ("premine_flux", emission.premine),
        ("miners_flux", emission.miners),
        ("cumulus_flux", cumulus),
        ("nimbus_flux", nimbus),
        ("stratus_flux", stratus),
        ("dev_fund_flux", emission.dev_fund),
        ("exchange_fund_flux", emission.exchange_fund),
        ("foundation_fund_flux", emission.foundation_fund),
        ("swap_pool_flux", emission.swap_pool),
    ]
    .into_iter()
}

/// Each tier's nodes times the collateral a new node of the tier locks at `height` (the newer
/// one inside a transition window).
fn locked(
    network: Network,
    height: BlockHeight,
    counts: [Option<u64>; 3],
) -> Result<Amount, String> {
    let mut zat: i128 = 0;
    for (tier, count) in Tier::ALL.into_iter().zip(counts) {
        let Some(count) = count else { continue };
        let collateral = tier
            .collaterals(network, height)
            .last()
            .copied()
            .ok_or_else(|| format!("{tier} has no collateral at height {height}"))?;
        zat += i128::from(collateral.zat()) * i128::from(count);
    }
    i64::try_from(zat)
        .ok()
        .and_then(Amount::from_zat)
        .ok_or_else(|| "the node counts lock more than the amount range".to_owned())
}
