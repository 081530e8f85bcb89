//! `flux rpc METHOD [PARAM]...`: one JSON-RPC call to a running node (the reference node or
//! fluxd), authenticated as `fluxd-cli` does: with the cookie the node wrote into its data
//! directory unless a user and password file are given. The contract is [`RPC_HELP`].

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use examples::fluxd_rpc::{Auth, FluxdClient, RpcClientError};
use serde_json::Value;

/// The contract of `flux rpc`, printed by `flux rpc --help`.
const RPC_HELP: &str = "\
Calls METHOD on the node whose JSON-RPC listens at --rpc-connect and prints its result on \
stdout: a string result as it is (a hash, hex), null as nothing, anything else as indented JSON.

Each PARAM that is valid JSON is passed as that JSON value (numbers, true/false, arrays, objects, \
\"quoted strings\"); any other PARAM is passed as a string, so hashes and hex need no quotes.

Credentials, as fluxd-cli finds them: --rpc-user with the password in --rpc-password-file; \
otherwise the cookie file (--rpc-cookie-file, default DATADIR/.cookie, which the node writes at \
start and removes at stop).

Exit codes: 0 the call succeeded; 1 the node answered with a JSON-RPC error, printed on stderr \
as `error code: CODE` and `error message: MESSAGE` (e.g. -8 for a height out of range, -32601 \
for an unknown method); 2 the call could not be made: no cookie or password file, credentials \
refused (HTTP 401), no node at the address, no answer within --timeout, or an answer that is not \
JSON-RPC (the reason is on stderr).";

/// Arguments of `flux rpc`.
#[derive(Debug, Args)]
#[command(after_long_help = RPC_HELP)]
pub struct RpcArgs {
    /// The node's JSON-RPC address (`flux node --rpc-bind`; fluxd listens on 16124 on main).
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:36124")]
    rpc_connect: SocketAddr,
    /// The node's data directory, where its cookie is (`flux node --datadir`).
    #[arg(long, default_value = "flux-devnet")]
    datadir: PathBuf,
    /// The cookie file to read instead of DATADIR/.cookie.
    #[arg(long, value_name = "FILE", conflicts_with = "rpc_user")]
    rpc_cookie_file: Option<PathBuf>,
    /// A user the node accepts (`flux node --rpc-user`, fluxd's rpcuser); the password is read
    /// from --rpc-password-file, never from the command line.
    #[arg(long, requires = "rpc_password_file")]
    rpc_user: Option<String>,
    /// The file holding --rpc-user's password (its first line).
    #[arg(long, value_name = "FILE", requires = "rpc_user")]
    rpc_password_file: Option<PathBuf>,
    /// Seconds the call may take, connection included.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    timeout: u64,
    /// The method, e.g. getblockcount, getpeerinfo, getblockhash.
    method: String,
    /// The method's parameters, in order.
    params: Vec<String>,
}

/// The first line of a file holding a secret (a password or a cookie), trimmed.
///
/// # Errors
/// A message naming `what` and the file when it cannot be read.
pub fn read_secret(path: &Path, what: &str) -> Result<String, String> {
    std::fs::read_to_string(path)
        .map(|text| text.lines().next().unwrap_or("").trim().to_owned())
        .map_err(|error| format!("cannot read {what} {}: {error}", path.display()))
}

/// A command-line parameter as JSON: its JSON value when it is one, else the text as a string.
fn param_value(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_owned()))
}

/// The credentials `args` name (see [`RPC_HELP`]).
fn credentials(args: &RpcArgs) -> Result<Auth, String> {
    if let (Some(user), Some(path)) = (&args.rpc_user, &args.rpc_password_file) {
        return Ok(Auth::UserPassword {
            user: user.clone(),
            password: read_secret(path, "--rpc-password-file")?,
        });
    }
    let cookie = args
        .rpc_cookie_file
        .clone()
        .unwrap_or_else(|| args.datadir.join(".cookie"));
    let credentials = read_secret(&cookie, "the cookie").map_err(|error| {
        format!(
            "{error} (the node writes it at start: is it running with --datadir {}? Otherwise \
             give --datadir, --rpc-cookie-file or --rpc-user)",
            args.datadir.display()
        )
    })?;
    Auth::from_credentials(&credentials)
        .map_err(|_| format!("the cookie {} is not user:password", cookie.display()))
}

/// Runs `flux rpc`.
pub fn run(args: RpcArgs) -> ExitCode {
    let auth = match credentials(&args) {
        Ok(auth) => auth,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    let client = match FluxdClient::new(args.rpc_connect, auth) {
        Ok(client) => client,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    let params = Value::Array(args.params.iter().map(|p| param_value(p)).collect());
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::from(2);
        }
    };
    let limit = Duration::from_secs(args.timeout);
    let answer = runtime.block_on(async {
        tokio::time::timeout(limit, client.call::<Value>(&args.method, params)).await
    });
    match answer {
        Ok(Ok(result)) => {
            match result {
                Value::Null => {}
                Value::String(text) => println!("{text}"),
                other => match serde_json::to_string_pretty(&other) {
                    Ok(text) => println!("{text}"),
                    Err(error) => {
                        eprintln!("error: cannot print the result: {error}");
                        return ExitCode::from(2);
                    }
                },
            }
            ExitCode::SUCCESS
        }
        Ok(Err(RpcClientError::Rpc { code, message, .. })) => {
            eprintln!("error code: {code}\nerror message: {message}");
            ExitCode::from(1)
        }
        Ok(Err(error)) => {
            eprintln!("error: {error}");
            ExitCode::from(2)
        }
        Err(_) => {
            eprintln!(
                "error: {} did not answer {} within {} s (--timeout)",
                args.rpc_connect, args.method, args.timeout
            );
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::param_value;
    use serde_json::json;

    #[test]
    fn parameters_are_json_when_they_parse_and_strings_otherwise() {
        assert_eq!(param_value("12"), json!(12));
        assert_eq!(param_value("true"), json!(true));
        assert_eq!(param_value("[1,\"a\"]"), json!([1, "a"]));
        assert_eq!(param_value("\"12\""), json!("12"));
        // Hashes and hex are not JSON: they go as strings, unquoted.
        let hash = "0a5f3c8e9b1d2e4f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f";
        assert_eq!(param_value(hash), json!(hash));
        assert_eq!(param_value("00ff"), json!("00ff"));
        assert_eq!(param_value("127.0.0.1:36125"), json!("127.0.0.1:36125"));
    }
}
