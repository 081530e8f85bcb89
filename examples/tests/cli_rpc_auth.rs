//! The reference node's RPC lets in only who fluxd would (`httprpc.cpp`, `httpserver.cpp`): a
//! cookie written into the data directory at start (owner-only) or a configured user, 401
//! otherwise; no binding beyond loopback without `--rpc-allow-ip`; and requests that do not
//! arrive whole within the timeout lose their connection, so clients that send half a request
//! cannot hold the node's sockets.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::{KillOnDrop, free_loopback_addr};

struct Node {
    child: KillOnDrop,
    addr: SocketAddr,
}

fn start(dir: &Path, extra: &[&str]) -> Node {
    let addr = free_loopback_addr();
    let child = Command::new(env!("CARGO_BIN_EXE_flux"))
        .args(["node", "--devnet", "--app-runtime", "none", "--no-listen"])
        .args([
            "--status-interval-ms",
            "60000",
            "--rpc-bind",
            &addr.to_string(),
        ])
        .args(["--rpc-timeout-ms", "1000", "--rpc-max-connections", "32"])
        .arg("--datadir")
        .arg(dir)
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("flux node starts");
    let cookie = dir.join(".cookie");
    let begin = Instant::now();
    while !cookie.exists() || TcpStream::connect(addr).is_err() {
        assert!(
            begin.elapsed() < Duration::from_secs(60),
            "the node did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Node {
        child: KillOnDrop(child),
        addr,
    }
}

/// One POST of `getblockcount` with `authorization` (a header value); the status line and body.
fn post(addr: SocketAddr, authorization: Option<&str>) -> (String, String) {
    let body = r#"{"jsonrpc":"1.0","id":1,"method":"getblockcount","params":[]}"#;
    let mut stream = TcpStream::connect(addr).unwrap();
    let auth = authorization
        .map(|value| format!("Authorization: {value}\r\n"))
        .unwrap_or_default();
    write!(
        stream,
        "POST / HTTP/1.1\r\nHost: x\r\n{auth}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response.lines().next().unwrap_or("").to_owned();
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default();
    (status, body)
}

/// `Basic base64(text)`, encoded here with the standard alphabet (not the node's helper).
fn basic(text: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes = text.as_bytes();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    format!("Basic {out}")
}

#[test]
fn only_the_cookie_or_the_configured_user_gets_in() {
    let dir = tempfile::tempdir().unwrap();
    let password = dir.path().join("password");
    std::fs::write(&password, "correct horse\n").unwrap();
    let data = dir.path().join("node");
    std::fs::create_dir_all(&data).unwrap();
    let node = start(
        &data,
        &[
            "--rpc-user",
            "alice",
            "--rpc-password-file",
            password.to_str().unwrap(),
        ],
    );
    let cookie_path = data.join(".cookie");
    let cookie = std::fs::read_to_string(&cookie_path).unwrap();
    assert!(cookie.starts_with("__cookie__:"), "{cookie}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&cookie_path)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(
            mode & 0o777,
            0o600,
            "the cookie is readable by its owner only"
        );
    }

    for (what, authorization) in [
        ("no credentials", None),
        ("a wrong cookie", Some(basic("__cookie__:00112233"))),
        ("a wrong password", Some(basic("alice:correct horsf"))),
        ("another scheme", Some("Bearer token".to_owned())),
    ] {
        let (status, body) = post(node.addr, authorization.as_deref());
        assert!(status.contains("401"), "{what}: {status}");
        assert!(body.is_empty(), "{what}: the handler answered: {body}");
    }
    for authorization in [basic(&cookie), basic("alice:correct horse")] {
        let (status, body) = post(node.addr, Some(&authorization));
        assert!(status.contains("200"), "{status} {body}");
        assert!(body.contains("\"result\""), "{body}");
    }

    // Ctrl-C: the node removes its cookie.
    Command::new("kill")
        .args(["-INT", &node.child.id().to_string()])
        .status()
        .unwrap();
    let begin = Instant::now();
    while cookie_path.exists() {
        assert!(
            begin.elapsed() < Duration::from_secs(20),
            "the cookie outlived the node"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn half_sent_requests_lose_their_connection_and_others_are_served() {
    let dir = tempfile::tempdir().unwrap();
    let node = start(dir.path(), &[]);
    let cookie = std::fs::read_to_string(dir.path().join(".cookie")).unwrap();

    // 200 clients that each send half a request header and then nothing (32 are served at
    // once, the rest closed on arrival), plus one whose body never completes.
    let mut slow: Vec<TcpStream> = (0..200)
        .map(|_| {
            let mut stream = TcpStream::connect(node.addr).unwrap();
            stream
                .write_all(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Le")
                .unwrap();
            stream
        })
        .collect();
    let mut partial_body = TcpStream::connect(node.addr).unwrap();
    let authorization = basic(&cookie);
    write!(
        partial_body,
        "POST / HTTP/1.1\r\nHost: x\r\nAuthorization: {authorization}\r\nContent-Length: 100\r\n\r\n{{\"method\""
    )
    .unwrap();

    // Past the 1 s request timeout every one of them is closed by the node.
    std::thread::sleep(Duration::from_millis(2500));
    for (index, stream) in slow.iter_mut().enumerate() {
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut buffer = [0u8; 512];
        let closed = match stream.read(&mut buffer) {
            Ok(_) => true, // EOF, or a 408 before the close
            Err(error) => error.kind() == std::io::ErrorKind::ConnectionReset,
        };
        assert!(closed, "slow client {index} still held open");
    }
    partial_body
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut answer = String::new();
    let _ = partial_body.read_to_string(&mut answer);
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "{answer}"
    );

    // The node still answers an honest client.
    let (status, body) = post(node.addr, Some(&authorization));
    assert!(status.contains("200"), "{status} {body}");
}

#[test]
fn no_binding_beyond_loopback_without_allowed_callers() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_flux"))
        .args([
            "node",
            "--devnet",
            "--app-runtime",
            "none",
            "--rpc-bind",
            "0.0.0.0:0",
        ])
        .arg("--datadir")
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--rpc-allow-ip"), "{stderr}");
    let bad = Command::new(env!("CARGO_BIN_EXE_flux"))
        .args(["node", "--devnet", "--rpc-allow-ip", "10.0.0.0/99"])
        .arg("--datadir")
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2), "{bad:?}");
}
