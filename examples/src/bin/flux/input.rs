//! Command-line values too large for an argument: the operating system caps one argument at
//! 128 KiB, while a block may be 2 MB (4 MB of hex). Every argument that takes hex (or a key or
//! address that may be hex) also accepts `-`, read from standard input, or `@FILE`, read from
//! that file. Nothing a user types literally starts with `@` or is a lone `-` in those
//! arguments: hex digits, WIF keys and addresses never do.
//!
//! Failures are usage errors: the caller reports them on stderr with exit code 2.

use std::io::Read;
use std::sync::atomic::{AtomicBool, Ordering};

/// Standard input holds one value: a second `-` in the same command would read nothing.
static STDIN_TAKEN: AtomicBool = AtomicBool::new(false);

/// Why an argument's value could not be had.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InputError {
    /// `@FILE` names a file that cannot be read.
    #[error("cannot read {path}: {source}")]
    File {
        /// The file named.
        path: String,
        /// The error.
        source: std::io::Error,
    },
    /// `-` but standard input cannot be read.
    #[error("cannot read standard input: {0}")]
    Stdin(std::io::Error),
    /// A second argument of the same command asked for standard input.
    #[error("only one argument can be read from standard input (`-`)")]
    StdinTwice,
    /// A file or standard input is not UTF-8 text.
    #[error("{source_name} is not text")]
    NotText {
        /// Where it came from.
        source_name: String,
    },
    /// The value is not hex.
    #[error("{what} is not valid hex: {source}")]
    Hex {
        /// What the argument is.
        what: String,
        /// The error.
        source: hex::FromHexError,
    },
}

/// The value of an argument: the argument itself, standard input for `-`, or the contents of
/// FILE for `@FILE`, without surrounding whitespace.
///
/// # Errors
/// [`InputError`] when the file or standard input cannot be read or is not text.
pub fn argument_text(argument: &str) -> Result<String, InputError> {
    let text = if argument == "-" {
        if STDIN_TAKEN.swap(true, Ordering::SeqCst) {
            return Err(InputError::StdinTwice);
        }
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(InputError::Stdin)?;
        String::from_utf8(bytes).map_err(|_| InputError::NotText {
            source_name: "standard input".into(),
        })?
    } else if let Some(path) = argument.strip_prefix('@') {
        let bytes = std::fs::read(path).map_err(|source| InputError::File {
            path: path.to_owned(),
            source,
        })?;
        String::from_utf8(bytes).map_err(|_| InputError::NotText {
            source_name: path.to_owned(),
        })?
    } else {
        return Ok(argument.trim().to_owned());
    };
    Ok(text.trim().to_owned())
}

/// The bytes of a hex argument, given inline, as `-` or as `@FILE` (see [`argument_text`]).
/// Whitespace anywhere is ignored, so a file may wrap its hex over lines.
///
/// # Errors
/// [`InputError`] when the value cannot be read or is not hex; `what` names the argument in the
/// message.
pub fn hex_argument(argument: &str, what: &str) -> Result<Vec<u8>, InputError> {
    let mut text = argument_text(argument)?;
    text.retain(|c| !c.is_ascii_whitespace());
    hex::decode(&text).map_err(|source| InputError::Hex {
        what: what.to_owned(),
        source,
    })
}
