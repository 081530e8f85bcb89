//! What every test that needs the local Docker engine shares, in this crate and in
//! `examples/tests` (whose `common` module includes this file): one rule for when a missing
//! engine fails the test (exactly `FLUX_REQUIRE_DOCKER=1`, as in CI) or skips it with a visible
//! `SKIPPED:` line, and the HTTP probe that tells a running instance from a down one.

use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::time::Duration;

/// True when the tests that need Docker must fail without it: `FLUX_REQUIRE_DOCKER` is exactly
/// `1`, the same rule as `FLUX_REQUIRE_VECTORS=1` for fluxd's test data. Any other value (`0`,
/// `true`, empty) does not require Docker; the `SKIPPED:` line then says how to require it.
pub fn docker_required() -> bool {
    std::env::var("FLUX_REQUIRE_DOCKER").is_ok_and(|value| value == "1")
}

/// Gives up on `what` (a test, or the Docker part of one) because Docker cannot run it, for
/// `reason`: fails when Docker is required, otherwise says `SKIPPED: {what}: {reason}`.
///
/// The line goes straight to the process's standard error, not through `eprintln!`: the test
/// harness captures the macros' output and shows it only for failing tests, so a passing run
/// would hide the skip. CI fails on any line containing `SKIPPED:`.
pub fn skip_without_docker(what: &str, reason: &str) {
    assert!(
        !docker_required(),
        "FLUX_REQUIRE_DOCKER=1 but {what} cannot run: {reason}"
    );
    // A notice that cannot be written changes nothing about the test's verdict.
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED: {what}: {reason} (FLUX_REQUIRE_DOCKER=1 makes this a failure)"
    );
}

/// How many times an instance is asked before it counts as down: a busybox httpd on a loaded
/// host can miss one request's timeouts while it is up and serving.
const PROBE_ATTEMPTS: u32 = 3;

/// The pause between two asks of the same instance.
const PROBE_RETRY_PAUSE: Duration = Duration::from_millis(100);

/// `GET /` from `ip:port`: the whole response, or `None` when none of [`PROBE_ATTEMPTS`] asks got
/// one (the instance is down, not merely slow).
pub fn http_get(ip: IpAddr, port: u16) -> Option<String> {
    (0..PROBE_ATTEMPTS).find_map(|attempt| {
        if attempt > 0 {
            std::thread::sleep(PROBE_RETRY_PAUSE);
        }
        http_get_once(ip, port)
    })
}

/// One `GET /` over HTTP/1.0: the whole response, or `None` when nothing answers like an HTTP
/// server within about a second.
fn http_get_once(ip: IpAddr, port: u16) -> Option<String> {
    let mut stream =
        TcpStream::connect_timeout(&SocketAddr::new(ip, port), Duration::from_millis(300)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(1))).ok()?;
    stream.write_all(b"GET / HTTP/1.0\r\n\r\n").ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    response.starts_with("HTTP/1.").then_some(response)
}
