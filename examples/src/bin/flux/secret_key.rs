//! Private keys on the command line: read from a file (`@FILE`) or standard input (`-`), never
//! from the argument itself, which any user of the machine can read in the process list and
//! which shells keep in their history.

use flux_tx::Network;
use flux_tx::keys::PrivateKey;

use crate::input::argument_text;

/// The WIF key named by `argument` (`-` or `@FILE`) and the network its prefix belongs to.
///
/// # Errors
/// A message for the user (exit code 2): a literal key, an unreadable source, or a bad WIF.
pub fn read_private_key(argument: &str, what: &str) -> Result<(PrivateKey, Network), String> {
    if argument != "-" && !argument.starts_with('@') {
        return Err(format!(
            "{what}: private keys are read from a file (@FILE) or standard input (-), not from the command line"
        ));
    }
    let text = argument_text(argument).map_err(|error| format!("{what}: {error}"))?;
    PrivateKey::from_wif_any(&text).map_err(|error| format!("{what}: {error}"))
}
