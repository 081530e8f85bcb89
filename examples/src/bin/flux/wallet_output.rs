//! How the wallet subcommands (`fluxnode`, `multisig`) end: their lines on standard output and
//! exit 0, or the message on standard error and exit 2 (unusable input).

use std::process::ExitCode;

/// A usage error: the message on stderr, exit code 2.
pub fn usage_error(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(2)
}

/// Prints `Ok` lines (exit 0) or reports the `Err` message as a usage error (exit 2).
pub fn finish(result: Result<Vec<String>, String>) -> ExitCode {
    match result {
        Ok(lines) => {
            for line in lines {
                println!("{line}");
            }
            ExitCode::SUCCESS
        }
        Err(message) => usage_error(message),
    }
}
