//! `flux titan ...`: Titan staking pools (flux-nodes).
//!
//! - `flux titan simulate --stakes FILE [--blocks N] [--json]` reads a stakes file (JSON; the
//!   format is documented in `flux_nodes::titan::file`, a sample is
//!   `examples/data/titan_stakes.json`), registers every stake, and accrues N blocks (default
//!   2880, one day of 30-second proof-of-node blocks) from the file's `start_height` (or its
//!   earliest stake), the pool's full Stratus nodes being paid the network's Stratus payout in
//!   turn. It prints each stake's payout and the pool's received rewards, operator and redeem
//!   fees and the carried remainder, which add up exactly.
//!
//!   Text output: one summary block, then one line per stake in fill order:
//!   `stake <id> <term> <principal> <status>: payout <p> (accrued <a>, redeemed <r>,
//!   reinvested <i>, forfeited <f>)`. JSON output (`--json`): an object whose amounts are
//!   strings of zatoshis (they can exceed 2^53).
//!
//! Exit codes: 0 success; 2 unusable input (unreadable file, bad JSON, an amount that is not
//! FLUX, a stake the pool refuses, such as one below the 50 FLUX minimum, or an event the pool
//! refuses), with `error: <FILE>: <reason>` on stderr.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Subcommand;
use flux_nodes::titan::file::Simulation;
use flux_nodes::titan::{SimulationReport, Stake, StakeStatus, TitanPool};
use serde_json::{Value, json};

/// Blocks simulated when `--blocks` is not given: one day of 30-second blocks.
const DEFAULT_BLOCKS: u32 = 2_880;

/// Subcommands of `flux titan`.
#[derive(Debug, Subcommand)]
pub enum TitanCommand {
    /// Accrue a stakes file's pool for N blocks and print every stake's payout.
    Simulate {
        /// The JSON stakes file (terms, stakes, optional pool rules and events).
        #[arg(long, value_name = "FILE")]
        stakes: PathBuf,
        /// How many blocks to accrue.
        #[arg(long, default_value_t = DEFAULT_BLOCKS, value_parser = clap::value_parser!(u32).range(1..))]
        blocks: u32,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

/// Runs one `flux titan` subcommand.
pub fn run(command: TitanCommand) -> ExitCode {
    match command {
        TitanCommand::Simulate {
            stakes,
            blocks,
            json,
        } => simulate(&stakes, blocks, json),
    }
}

fn unusable(path: &Path, reason: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {}: {reason}", path.display());
    ExitCode::from(2)
}

fn simulate(path: &Path, blocks: u32, json: bool) -> ExitCode {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) => return unusable(path, format!("cannot read: {error}")),
    };
    let simulation = match Simulation::from_json(&text) {
        Ok(simulation) => simulation,
        Err(error) => return unusable(path, error),
    };
    let Simulation {
        mut pool,
        from,
        rotation,
        events,
    } = simulation;
    let report = match pool.simulate(from, blocks, rotation, &events) {
        Ok(report) => report,
        Err(error) => return unusable(path, error),
    };
    if json {
        println!("{}", to_json(&pool, &report, blocks));
    } else {
        print!("{}", to_text(&pool, &report, blocks));
    }
    ExitCode::SUCCESS
}

fn status_name(status: StakeStatus) -> String {
    match status {
        StakeStatus::Waiting => "waiting".into(),
        StakeStatus::Locked => "locked".into(),
        StakeStatus::Matured { at } => format!("matured at {at}"),
        StakeStatus::Exited { at } => format!("exited at {at}"),
    }
}

fn term_name<'a>(pool: &'a TitanPool, stake: &Stake) -> &'a str {
    pool.term_of(stake).map_or("?", |term| term.name.as_str())
}

fn to_text(pool: &TitanPool, report: &SimulationReport, blocks: u32) -> String {
    let totals = report.totals;
    let mut out = format!(
        "titan simulation: heights {}..={} ({blocks} blocks), {} running node(s), paid in {} block(s)\n\
         received:     {}\n\
         to stakers:   {}\n\
         operator fee: {}\n\
         redeem fees:  {}\n\
         remainder:    {} (carried to the next block)\n\
         conserved:    {}\n",
        report.from,
        report.to,
        report.running_nodes,
        report.paid_blocks,
        totals.received,
        totals.to_stakers,
        totals.operator_fees,
        totals.redeem_fees,
        totals.carry,
        if totals.is_conserved() { "yes" } else { "NO" },
    );
    for stake in pool.stakes() {
        let payout = stake
            .earned()
            .map_or_else(|| "overflow".to_owned(), |a| a.to_string());
        out.push_str(&format!(
            "stake {} {} {} {}: payout {payout} (accrued {}, redeemed {}, reinvested {}, forfeited {})\n",
            stake.id,
            term_name(pool, stake),
            stake.principal,
            status_name(stake.status),
            stake.accrued,
            stake.redeemed,
            stake.reinvested,
            stake.forfeited,
        ));
    }
    out
}

fn to_json(pool: &TitanPool, report: &SimulationReport, blocks: u32) -> Value {
    let zat = |amount: flux_tx::Amount| amount.zat().to_string();
    let totals = report.totals;
    let stakes: Vec<Value> = pool
        .stakes()
        .iter()
        .map(|stake| {
            json!({
                "id": stake.id.0,
                "term": term_name(pool, stake),
                "initial_zat": zat(stake.initial),
                "principal_zat": zat(stake.principal),
                "lock_start": stake.lock_start.0,
                "maturity": stake.maturity.0,
                "status": status_name(stake.status),
                "earning_blocks": stake.earning_blocks,
                "payout_zat": stake.earned().map(zat),
                "accrued_zat": zat(stake.accrued),
                "redeemed_zat": zat(stake.redeemed),
                "reinvested_zat": zat(stake.reinvested),
                "forfeited_zat": zat(stake.forfeited),
                "redeem_fees_zat": zat(stake.redeem_fees),
            })
        })
        .collect();
    json!({
        "from": report.from.0,
        "to": report.to.0,
        "blocks": blocks,
        "paid_blocks": report.paid_blocks,
        "running_nodes": report.running_nodes,
        "received_zat": zat(totals.received),
        "to_stakers_zat": zat(totals.to_stakers),
        "operator_fees_zat": zat(totals.operator_fees),
        "redeem_fees_zat": zat(totals.redeem_fees),
        "remainder_zat": zat(totals.carry),
        "conserved": totals.is_conserved(),
        "stakes": stakes,
    })
}
