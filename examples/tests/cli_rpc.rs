//! `flux rpc` against a running `flux node`: the cookie of the data directory is read by default,
//! a configured user with a password file works too, results print as fluxd-cli prints them, and
//! each failure has its exit code (1 a JSON-RPC error, 2 a call that could not be made).

use std::process::Output;
use std::time::Duration;

use serde_json::{Value, json};

mod common;
use common::flux;
use common::node::Node;

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout)
        .trim_end()
        .to_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// `flux rpc` exited with `code`, printed nothing on stdout and said `needle` on stderr.
fn assert_fails(output: &Output, code: i32, needle: &str) {
    assert_eq!(
        output.status.code(),
        Some(code),
        "stderr: {}",
        stderr(output)
    );
    assert!(output.stdout.is_empty(), "stdout: {}", stdout(output));
    assert!(
        stderr(output).contains(needle),
        "stderr lacks {needle:?}: {}",
        stderr(output)
    );
}

#[test]
fn flux_rpc_calls_a_node_with_its_cookie_or_a_user_and_reports_failures_by_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("node");
    let password = dir.path().join("password");
    std::fs::write(&password, "correct horse\n").unwrap();
    let node = Node::start(
        &data_dir,
        &[
            "--app-runtime",
            "none",
            "--rpc-user",
            "alice",
            "--rpc-password-file",
            password.to_str().unwrap(),
        ],
    );
    node.wait_for("height 3", Duration::from_secs(60), |node| {
        node.height() >= 3
    });
    let connect = format!("127.0.0.1:{}", node.port);
    let datadir = data_dir.to_str().unwrap();
    let by_cookie = |args: &[&str]| {
        let mut all = vec!["rpc", "--rpc-connect", &connect, "--datadir", datadir];
        all.extend_from_slice(args);
        flux(&all)
    };

    // A string result is printed as it is: the node's own hash of height 2.
    let hash = by_cookie(&["getblockhash", "2"]);
    assert_eq!(hash.status.code(), Some(0), "stderr: {}", stderr(&hash));
    let expected = node.hash_at(2).expect("the node has height 2");
    assert_eq!(stdout(&hash), expected);

    // A hash parameter goes unquoted; an object result is indented JSON, the node's own answer.
    let block = by_cookie(&["getblock", &expected]);
    assert_eq!(block.status.code(), Some(0), "stderr: {}", stderr(&block));
    assert!(
        stdout(&block).contains("\n  \"hash\""),
        "{}",
        stdout(&block)
    );
    // The tip moves on between the two calls: only the confirmations may differ.
    let without_confirmations = |mut block: Value| {
        block
            .as_object_mut()
            .expect("an object")
            .remove("confirmations");
        block
    };
    let printed: Value = serde_json::from_str(&stdout(&block)).expect("JSON on stdout");
    assert_eq!(printed["hash"], json!(expected));
    assert_eq!(
        without_confirmations(printed),
        without_confirmations(node.ok("getblock", json!([expected])))
    );

    // A number parameter is sent as a number: verbosity 0 gives the block's hex.
    let raw = by_cookie(&["getblock", &expected, "0"]);
    assert_eq!(raw.status.code(), Some(0), "stderr: {}", stderr(&raw));
    assert_eq!(
        stdout(&raw),
        node.ok("getblock", json!([expected, 0])).as_str().unwrap()
    );

    // The configured user with the password from a file, no cookie involved.
    let as_alice = flux(&[
        "rpc",
        "--rpc-connect",
        &connect,
        "--datadir",
        dir.path().join("nowhere").to_str().unwrap(),
        "--rpc-user",
        "alice",
        "--rpc-password-file",
        password.to_str().unwrap(),
        "getblockhash",
        "2",
    ]);
    assert_eq!(
        as_alice.status.code(),
        Some(0),
        "stderr: {}",
        stderr(&as_alice)
    );
    assert_eq!(stdout(&as_alice), expected);

    // JSON-RPC errors: exit 1 with fluxd-cli's two lines.
    assert_fails(
        &by_cookie(&["getblockhash", "99999999"]),
        1,
        "error code: -8\nerror message: ",
    );
    assert_fails(&by_cookie(&["nosuchmethod"]), 1, "error code: -32601");

    // Calls that cannot be made: exit 2 with the reason.
    let elsewhere = dir.path().join("elsewhere");
    let no_cookie = flux(&[
        "rpc",
        "--rpc-connect",
        &connect,
        "--datadir",
        elsewhere.to_str().unwrap(),
        "getblockcount",
    ]);
    assert_fails(
        &no_cookie,
        2,
        &elsewhere.join(".cookie").display().to_string(),
    );

    let wrong_cookie = dir.path().join("wrong-cookie");
    std::fs::write(&wrong_cookie, "__cookie__:0000\n").unwrap();
    assert_fails(
        &by_cookie(&[
            "--rpc-cookie-file",
            wrong_cookie.to_str().unwrap(),
            "getblockcount",
        ]),
        2,
        "HTTP 401",
    );

    let wrong_password = dir.path().join("wrong-password");
    std::fs::write(&wrong_password, "correct horsf\n").unwrap();
    let refused = flux(&[
        "rpc",
        "--rpc-connect",
        &connect,
        "--rpc-user",
        "alice",
        "--rpc-password-file",
        wrong_password.to_str().unwrap(),
        "getblockcount",
    ]);
    assert_fails(&refused, 2, "HTTP 401");

    let nobody = common::free_loopback_addr().to_string();
    assert_fails(
        &flux(&[
            "rpc",
            "--rpc-connect",
            &nobody,
            "--datadir",
            datadir,
            "getblockcount",
        ]),
        2,
        "cannot connect",
    );

    // The node still answers and was not changed by any of it.
    assert_eq!(node.hash_at(2).as_deref(), Some(expected.as_str()));
}
