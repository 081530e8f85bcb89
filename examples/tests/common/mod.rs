//! What the CLI tests share: running the `flux` binary built for this test run, and a plain HTTP
//! GET for the tests whose apps serve HTTP.
// Each test binary compiles this module and uses only part of it.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::process::{Command, Output};
use std::time::Duration;

/// Runs `flux` with `args` and returns its exit status and output.
pub fn flux(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_flux"))
        .args(args)
        .output()
        .expect("the flux binary runs")
}

/// `GET /` over HTTP/1.0 from `ip:port`: the whole response, or `None` when nothing answers
/// like an HTTP server within about a second.
pub fn http_get(ip: IpAddr, port: u16) -> Option<String> {
    let mut stream =
        TcpStream::connect_timeout(&SocketAddr::new(ip, port), Duration::from_millis(300)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(1))).ok()?;
    stream.write_all(b"GET / HTTP/1.0\r\n\r\n").ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    response.starts_with("HTTP/1.").then_some(response)
}
