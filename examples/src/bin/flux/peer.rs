//! `flux peer <HOST:PORT> [--network N] [--timeout SECS] [headers ...]`: talk to any node that
//! speaks fluxd's peer-to-peer protocol (see `examples::p2p::client`). The output contract is
//! [`PEER_HELP`] and [`HEADERS_HELP`], shown by `--help`.

use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Subcommand};
use examples::p2p::client::{
    CheckedHeader, ClientError, DownloadEnd, DownloadSummary, HeaderFault, PeerClient, Start,
    Timeouts,
};
use flux_consensus::params::by_name;
use flux_consensus::{HeaderError, NetworkParams};
use flux_pow::BlockHeight;
use flux_tx::BlockHash;
use flux_tx::p2p::{ServiceFlags, VersionMessage};
use serde_json::{Value, json};

/// The contract of `flux peer`, printed by `flux peer --help`.
const PEER_HELP: &str = "\
Connects to HOST:PORT, completes fluxd's version/verack handshake as a client (protocol version \
170020, no services, no transaction relay) and prints the peer's handshake as one JSON object on \
one line:

  {\"peer\": \"IP:PORT\", \"network\": NAME, \"version\": N, \"services\": \"0000000000000005\" \
(16 hex digits, as fluxd's getpeerinfo shows them), \"service_names\": [\"NODE_NETWORK\", ...], \
\"user_agent\": \"/MagicBean:9.0.6/\", \"start_height\": N, \"relay\": BOOL (absent flag = true), \
\"timestamp\": N, \"time_offset\": SECONDS (peer clock minus ours), \"addr_recv\": \"IP:PORT\" \
(how the peer sees us), \"sent\": {\"version\", \"services\", \"user_agent\", \"start_height\", \
\"relay\"} (what this tool announced)}

Exit codes: 0 the handshake completed; 2 unusable arguments (unknown network, a bad hash) or a \
peer that could not be talked to (the name does not resolve, connection refused, no answer \
within --timeout, another network's magic, a hang-up during the handshake, which is how fluxd \
treats another network's magic): the reason is on stderr.";

/// The contract of `flux peer ... headers`, printed by its `--help`.
const HEADERS_HELP: &str = "\
Downloads up to --count headers after --from (default: after the network's genesis block) with \
getheaders, 160 per message, until --count arrived or the peer's reply is short (its tip). Each \
header must follow the previous one (the first one the --from block) and is checked as a header \
of its height on its own, like `flux header verify`: the version and era; for proof of work the \
Equihash parameter set of the height, the solution and the hash against nBits; for proof of node \
the signature's size, the PON hash against nBits and the limit in force, and the emergency-block \
rules. Not checked, as they need chain state: nBits against the retarget, the median time past, \
checkpoints, and the signer of a proof-of-node block.

One line per header on stdout, as it arrives, six space-separated fields, the verdict last:

  HEIGHT HASH ERA TIME BITS VERDICT

HEIGHT decimal; HASH the block hash in display hex; ERA `pow` or `pon` (the header's layout); \
TIME nTime in Unix seconds; BITS nBits as 8 hex digits; VERDICT `ok`, or `invalid: REASON` with \
fluxd's reject reason in parentheses at the end of REASON, e.g. \
`invalid: Equihash solution is invalid: ... (invalid-solution)`. A header whose parent is not \
the previous header is printed with `invalid: its parent ... (bad-prevblk)` and ends the \
download. A summary goes to stderr.

A header carries no height, and the era checks (the Equihash parameter set, proof of node) \
depend on it. Without --from the first header is at height 1. With --from HASH the headers get \
heights H+1, H+2, ... where H is HASH's height: --from-height H says it (the tool believes you: \
a wrong H shows as era failures, bad-equihash-solution-size or premature-pon-block / \
not-pon-block, rather than as an error); without --from-height the tool asks the peer for block \
HASH (getdata), checks its transactions against the header's merkle root, and reads H from the \
coinbase, which must start with the height above height 20 (fluxd's rule; below that it is the \
miner's word). It says `peer: block HASH is at height H (its coinbase)` on stderr.

Exit codes: 0 every header ok; 1 a header failed its checks or did not follow the previous one \
(a verdict on the peer's chain); 2 unusable arguments, a peer that could not be talked to (as \
for `flux peer`), a peer that does not have --from on its best chain or does not serve it (or \
whose coinbase states no height), a peer that stopped \
answering or hung up mid-download (the lines already printed stand; 2 wins over 1 because the \
download is incomplete).";

/// Arguments of `flux peer`.
#[derive(Debug, Args)]
#[command(after_long_help = PEER_HELP)]
pub struct PeerArgs {
    /// The peer, HOST:PORT (fluxd listens on 16125 on main, 26125 on test).
    target: String,
    /// The network the peer is on: main, test, regtest or devnet (its message magic, genesis and
    /// rules).
    #[arg(long, default_value = "main", global = true)]
    network: String,
    /// Seconds each step may take: the connection, the handshake, each headers reply.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..), global = true)]
    timeout: u64,
    /// Devnet only: the proof-of-node slot length of the devnet the peer runs (`flux node
    /// --slot-secs`); it is part of every PON hash. Default: the devnet's.
    #[arg(long, global = true)]
    slot_secs: Option<u32>,
    #[command(subcommand)]
    action: Option<PeerAction>,
}

/// What to do after the handshake (nothing but print it, by default).
#[derive(Debug, Subcommand)]
pub enum PeerAction {
    /// Download headers and verify each for its height (proof of work or proof of node).
    #[command(after_long_help = HEADERS_HELP)]
    Headers {
        /// Start after this block (display hex).
        #[arg(long)]
        from: Option<String>,
        /// The height of the --from block; without it the block is asked of the peer and its
        /// height read from its coinbase.
        #[arg(long, requires = "from")]
        from_height: Option<u32>,
        /// How many headers to download at most.
        #[arg(long, default_value_t = 160, value_parser = clap::value_parser!(u32).range(1..))]
        count: u32,
    },
}

/// Runs `flux peer`.
pub fn run(args: PeerArgs) -> ExitCode {
    let params = match network_params(&args.network, args.slot_secs) {
        Ok(params) => params,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let (from, from_height) = match &args.action {
        Some(PeerAction::Headers {
            from: Some(hash),
            from_height,
            ..
        }) => match hash.parse::<BlockHash>() {
            Ok(hash) => (Some(hash), from_height.map(BlockHeight)),
            Err(error) => {
                eprintln!("--from {hash:?} is not a block hash (64 hex digits): {error}");
                return ExitCode::from(2);
            }
        },
        _ => (None, None),
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("cannot start the async runtime: {error}");
            return ExitCode::from(2);
        }
    };
    let timeouts = Timeouts::all(Duration::from_secs(args.timeout));
    runtime.block_on(async {
        let mut client = match PeerClient::connect(params.as_ref(), &args.target, timeouts).await {
            Ok(client) => client,
            Err(error) => {
                eprintln!("error: {error}");
                return ExitCode::from(2);
            }
        };
        let code = match args.action {
            None => {
                println!("{}", handshake_json(&client, params.name()));
                ExitCode::SUCCESS
            }
            Some(PeerAction::Headers { count, .. }) => {
                match start_of(&mut client, params.as_ref(), from, from_height).await {
                    Ok(start) => download(&mut client, params.as_ref(), start, count).await,
                    Err(error) => report_error(&error, 0),
                }
            }
        };
        client.close().await;
        code
    })
}

fn network_params(network: &str, slot_secs: Option<u32>) -> Result<Box<dyn NetworkParams>, String> {
    let params = by_name(network).ok_or_else(|| {
        format!("unknown network {network:?}: expected main, test, regtest or devnet")
    })?;
    match slot_secs {
        None => Ok(params),
        Some(seconds) if params.name() == "devnet" => {
            flux_consensus::Devnet::with_slot_seconds(seconds)
                .map(|devnet| Box::new(devnet) as Box<dyn NetworkParams>)
                .map_err(|error| format!("--slot-secs: {error}"))
        }
        Some(_) => Err(format!(
            "--slot-secs applies to the devnet only; {network}'s slots are fixed"
        )),
    }
}

/// Where the download starts: after genesis, after `--from` at `--from-height`, or after
/// `--from` at the height its coinbase states (asked of the peer).
async fn start_of(
    client: &mut PeerClient,
    params: &dyn NetworkParams,
    from: Option<BlockHash>,
    from_height: Option<BlockHeight>,
) -> Result<Start, ClientError> {
    let Some(hash) = from else {
        return Ok(Start::Genesis);
    };
    let height = match from_height {
        Some(height) => height,
        None => {
            let height = client.block_height(params, hash).await?;
            eprintln!(
                "peer: block {hash} is at height {} (its coinbase)",
                height.0
            );
            height
        }
    };
    Ok(Start::After { hash, height })
}

async fn download(
    client: &mut PeerClient,
    params: &dyn NetworkParams,
    start: Start,
    count: u32,
) -> ExitCode {
    let mut invalid_before_error = 0u32;
    let mut pon_high_hash = false;
    let result = client
        .get_headers(params, start, count, |checked| {
            invalid_before_error += u32::from(checked.fault.is_some());
            pon_high_hash |= matches!(
                checked.fault,
                Some(HeaderFault::Rule(
                    HeaderError::PonHighHash(_) | HeaderError::PonBadHeader(_)
                ))
            );
            println!("{}", header_line(checked));
        })
        .await;
    if pon_high_hash && params.name() == "devnet" {
        // Each devnet chooses its slot length, and every PON hash depends on it.
        eprintln!(
            "hint: a devnet's PON hashes depend on its slot length: pass the node's --slot-secs (this run used {} s)",
            params.pon_slot_seconds()
        );
    }
    match result {
        Ok(summary) => {
            eprintln!("{}", summary_line(&summary));
            if summary.invalid == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(error) => report_error(&error, invalid_before_error),
    }
}

fn report_error(error: &ClientError, invalid: u32) -> ExitCode {
    eprintln!("error: {error}");
    if invalid > 0 {
        eprintln!("({invalid} of the headers printed before the error failed their checks)");
    }
    ExitCode::from(2)
}

/// `HEIGHT HASH ERA TIME BITS VERDICT`, the line format of [`HEADERS_HELP`].
fn header_line(checked: &CheckedHeader) -> String {
    let era = if checked.header.is_proof_of_node() {
        "pon"
    } else {
        "pow"
    };
    let verdict = match &checked.fault {
        None => "ok".to_owned(),
        Some(fault) => format!("invalid: {fault}"),
    };
    format!(
        "{} {} {era} {} {:08x} {verdict}",
        checked.height.0, checked.hash, checked.header.time, checked.header.bits.0
    )
}

fn summary_line(summary: &DownloadSummary) -> String {
    let end = match summary.end {
        DownloadEnd::CountReached => "--count reached",
        DownloadEnd::PeerTip => "the peer's tip reached",
        DownloadEnd::BrokenLink => "a header did not follow the previous one",
    };
    format!(
        "peer: {} headers, {} invalid; stopped: {end}",
        summary.received, summary.invalid
    )
}

fn handshake_json(client: &PeerClient, network: &str) -> Value {
    let peer = client.peer_version();
    json!({
        "peer": client.peer_addr().to_string(),
        "network": network,
        "version": peer.version,
        "services": services_hex(peer.services),
        "service_names": service_names(peer.services),
        "user_agent": String::from_utf8_lossy(&peer.user_agent),
        "start_height": peer.start_height,
        "relay": peer.relays_transactions(),
        "timestamp": peer.timestamp,
        "time_offset": client.time_offset(),
        "addr_recv": peer.receiver.socket_addr().to_string(),
        "sent": sent_json(client.sent_version()),
    })
}

fn sent_json(sent: &VersionMessage) -> Value {
    json!({
        "version": sent.version,
        "services": services_hex(sent.services),
        "user_agent": String::from_utf8_lossy(&sent.user_agent),
        "start_height": sent.start_height,
        "relay": sent.relays_transactions(),
    })
}

/// fluxd's getpeerinfo shows services as `%016x`.
fn services_hex(services: ServiceFlags) -> String {
    format!("{:016x}", services.0)
}

/// Names of the service bits set, fluxd's names for the known ones (`protocol.h:70-92`) and
/// `UNKNOWN[2^N]` for any other bit, as Bitcoin Core's getpeerinfo writes them.
fn service_names(services: ServiceFlags) -> Vec<String> {
    (0..64)
        .map(|bit| 1u64 << bit)
        .filter(|flag| services.0 & flag != 0)
        .map(|flag| match ServiceFlags(flag) {
            ServiceFlags::NETWORK => "NODE_NETWORK".to_owned(),
            ServiceFlags::BLOOM => "NODE_BLOOM".to_owned(),
            ServiceFlags::BLOOM_WITHOUT_ZN => "NODE_BLOOM_WITHOUT_ZN".to_owned(),
            _ => format!("UNKNOWN[2^{}]", flag.trailing_zeros()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_bits_are_named_like_fluxd_and_unknown_ones_by_their_bit() {
        assert_eq!(services_hex(ServiceFlags(5)), "0000000000000005");
        assert_eq!(
            service_names(ServiceFlags(1 | 4 | 16 | (1 << 10))),
            [
                "NODE_NETWORK",
                "NODE_BLOOM",
                "NODE_BLOOM_WITHOUT_ZN",
                "UNKNOWN[2^10]"
            ]
        );
        assert!(service_names(ServiceFlags::NONE).is_empty());
    }
}
