//! The typed fluxd RPC client against a real process: the reference node (`flux node --devnet`)
//! answers block counts, hashes, raw transactions and the subsidy, refuses a bad transaction
//! with a typed error, and reports methods it lacks (the address index) as JSON-RPC errors. A
//! small HTTP listener checks that user/password and cookie credentials arrive as fluxd's Basic
//! authentication and that a 401 is reported as such.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::time::{Duration, Instant};

use examples::fluxd_rpc::{Auth, FluxdClient, RpcClientError};
use flux_tx::{FluxDecode, Transaction};
use serde_json::{Value, json};

mod common;
use common::node::Node;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn typed_calls_against_the_reference_node() {
    let dir = tempfile::tempdir().unwrap();
    let node = Node::start(dir.path(), &["--app-runtime", "none"]);
    let addr = SocketAddr::from(([127, 0, 0, 1], node.port));
    // The node's RPC takes its cookie (written into the data directory at start) by default.
    let cookie = dir.path().join(".cookie");
    let start = Instant::now();
    while !cookie.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no cookie after 30 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let client = FluxdClient::new(addr, Auth::Cookie(cookie)).unwrap();
    runtime().block_on(async {
        let start = Instant::now();
        let height = loop {
            match client.block_count().await {
                Ok(height) if height >= 3 => break height,
                _ if start.elapsed() > Duration::from_secs(60) => panic!("no blocks in 60 s"),
                _ => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        };
        let hash = client.block_hash(height).await.unwrap();
        let block: Value = client
            .call("getblock", json!([hash.to_string()]))
            .await
            .unwrap();
        assert_eq!(block["hash"], hash.to_string());
        assert_eq!(block["height"], height);
        let coinbase: flux_tx::Txid = block["tx"][0].as_str().unwrap().parse().unwrap();
        let tx = client.raw_transaction(&coinbase).await.unwrap();
        assert!(tx.is_coinbase());
        assert_eq!(tx.txid(), coinbase);

        let subsidy = client.block_subsidy(Some(height)).await.unwrap();
        assert!(subsidy.miner > 0.0);

        // Spending the coinbase again, unsigned: refused with a typed error.
        let mut bad = tx.clone();
        if let flux_tx::TxBody::Standard(body) = &mut bad.body {
            body.inputs[0].prevout = flux_tx::OutPoint {
                txid: coinbase,
                index: 0,
            };
        }
        match client.send_raw_transaction(&bad).await {
            Err(RpcClientError::Rpc { method, code, .. }) => {
                assert_eq!(method, "sendrawtransaction");
                assert!(code < 0, "{code}");
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
        // The reference node keeps no address index.
        let address = flux_tx::address::Address::from_public_key(
            &examples::node::wallet::devnet_key("miner").public_key(),
            flux_tx::Network::Devnet,
        );
        match client.address_balance(&[address]).await {
            Err(RpcClientError::Rpc { code, .. }) => assert_eq!(code, -32601),
            other => panic!("expected method not found, got {other:?}"),
        }
        // The raw bytes fluxd-shaped JSON carries decode the same way.
        let hex: String = client
            .call("getrawtransaction", json!([coinbase.to_string(), 0]))
            .await
            .unwrap();
        assert_eq!(
            Transaction::decode_exact(&hex::decode(hex).unwrap()).unwrap(),
            tx
        );
    });
}

/// Answers one request: 200 with `{"result": 7}` when the Authorization header is `want`,
/// 401 otherwise.
fn auth_server(want: &'static str) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(2) {
            let mut stream = stream.unwrap();
            let mut buffer = [0u8; 4096];
            let n = stream.read(&mut buffer).unwrap();
            let request = String::from_utf8_lossy(&buffer[..n]).to_lowercase();
            let ok = request.contains(&format!("authorization: {}", want.to_lowercase()));
            let (status, body) = if ok {
                ("200 OK", r#"{"result":7,"error":null,"id":"x"}"#)
            } else {
                ("401 Unauthorized", "")
            };
            write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            )
            .unwrap();
        }
    });
    addr
}

#[test]
fn credentials_go_as_basic_authentication() {
    // base64("__cookie__:s3cret"), computed outside this code (Python).
    let addr = auth_server("Basic X19jb29raWVfXzpzM2NyZXQ=");
    let dir = tempfile::tempdir().unwrap();
    let cookie = dir.path().join(".cookie");
    std::fs::write(&cookie, "__cookie__:s3cret\n").unwrap();
    runtime().block_on(async {
        let client = FluxdClient::new(addr, Auth::Cookie(cookie.clone())).unwrap();
        assert_eq!(client.block_count().await.unwrap(), 7);
        let wrong = FluxdClient::new(
            addr,
            Auth::UserPassword {
                user: "alice".into(),
                password: "pw".into(),
            },
        )
        .unwrap();
        assert!(matches!(
            wrong.block_count().await,
            Err(RpcClientError::Unauthorized { .. })
        ));
    });
    assert!(matches!(
        FluxdClient::new(addr, Auth::Cookie(dir.path().join("missing"))),
        Err(RpcClientError::Cookie { .. })
    ));
}
