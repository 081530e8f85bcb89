//! `flux app ...`: FluxOS app specs (flux-apps).
//!
//! Output contracts:
//! - `flux app validate <SPEC.json> [--height H] [--strict]` prints `valid` (exit 0), or every
//!   violated rule on its own line (exit 1), FluxOS's message first where FluxOS has one.
//! - `flux app canonical <SPEC.json>` prints the exact string FluxOS signs and hashes.
//! - `flux app price <SPEC.json> [--height H] --json` prints one JSON object with
//!   `price_per_month_flux`, `min_registration_fee_flux`, their cents and the height.
//!
//! A file that cannot be read or is not JSON, or a spec FluxOS cannot format at all
//! (`canonical`, `price`), is reported on stderr with exit code 2.

use std::process::ExitCode;

use clap::Subcommand;
use flux_apps::spec::price::{price_per_period, registration_fee, to_cents};
use flux_apps::spec::{AppSpec, Report, ValidationOptions, check_json};

/// Height used when `--height` is not given: FluxOS's rules as of the vectors (after every fork).
const DEFAULT_HEIGHT: u32 = 2_800_000;

/// Subcommands of `flux app`.
#[derive(Debug, Subcommand)]
pub enum AppCommand {
    /// Validate a spec file as a FluxOS node would (or stricter with --strict).
    Validate {
        /// The spec JSON file.
        spec: String,
        /// Block height the rules apply at.
        #[arg(long, default_value_t = DEFAULT_HEIGHT)]
        height: u32,
        /// Also reject what FluxOS wrongly accepts.
        #[arg(long)]
        strict: bool,
    },
    /// Print the canonical JSON string FluxOS signs and hashes.
    Canonical {
        /// The spec JSON file.
        spec: String,
    },
    /// Price per period and minimum registration fee in FLUX.
    Price {
        /// The spec JSON file.
        spec: String,
        /// Block height of the registration.
        #[arg(long, default_value_t = DEFAULT_HEIGHT)]
        height: u32,
        /// Print one JSON object (the only output format).
        #[arg(long)]
        json: bool,
    },
}

/// Runs one `flux app` subcommand.
pub fn run(command: AppCommand) -> ExitCode {
    let outcome = match command {
        AppCommand::Validate {
            spec,
            height,
            strict,
        } => run_validate(&spec, height, strict),
        AppCommand::Canonical { spec } => run_canonical(&spec),
        AppCommand::Price { spec, height, json } => run_price(&spec, height, json),
    };
    outcome.unwrap_or_else(|message| {
        eprintln!("error: {message}");
        ExitCode::from(2)
    })
}

fn load(path: &str, height: u32, options: &ValidationOptions) -> Result<Report, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    check_json(&text, height, options).map_err(|e| format!("{path} is not JSON: {e}"))
}

fn formatted(path: &str, height: u32) -> Result<AppSpec, String> {
    let report = load(path, height, &ValidationOptions::fluxos())?;
    report.spec.ok_or_else(|| {
        let reasons: Vec<String> = report.violations.iter().map(ToString::to_string).collect();
        format!("FluxOS cannot format {path}: {}", reasons.join("; "))
    })
}

fn run_validate(path: &str, height: u32, strict: bool) -> Result<ExitCode, String> {
    let options = if strict {
        ValidationOptions::strict()
    } else {
        ValidationOptions::fluxos()
    };
    let report = load(path, height, &options)?;
    if report.is_valid() {
        println!("valid");
        return Ok(ExitCode::SUCCESS);
    }
    for violation in &report.violations {
        println!("{violation}");
    }
    Ok(ExitCode::from(1))
}

fn run_canonical(path: &str) -> Result<ExitCode, String> {
    let spec = formatted(path, DEFAULT_HEIGHT)?;
    println!("{}", spec.canonical_json());
    Ok(ExitCode::SUCCESS)
}

fn run_price(path: &str, height: u32, json: bool) -> Result<ExitCode, String> {
    if !json {
        return Err("only --json output is supported".to_owned());
    }
    let spec = formatted(path, height)?;
    let price = price_per_period(&spec, height);
    let fee = registration_fee(&spec, height);
    let out = serde_json::json!({
        "height": height,
        "version": spec.version(),
        "price_per_month_flux": price,
        "min_registration_fee_flux": fee,
        "price_per_month_cents": to_cents(price),
        "min_registration_fee_cents": to_cents(fee),
    });
    println!("{out}");
    Ok(ExitCode::SUCCESS)
}
