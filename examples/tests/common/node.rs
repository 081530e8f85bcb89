//! A `flux node` process for the CLI tests: started on free loopback ports (RPC and P2P) with
//! fast devnet timings, called over its JSON-RPC with its cookie, stopped with Ctrl-C, killed if
//! a test fails first.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// A running `flux node`, killed if the test fails before stopping it.
pub struct Node {
    /// The node process.
    pub child: Child,
    /// Its RPC port.
    pub port: u16,
    /// Its peer-to-peer listener.
    pub p2p: std::net::SocketAddr,
    /// Its data directory.
    pub data_dir: std::path::PathBuf,
}

impl Node {
    /// Starts a devnet node on `data_dir` (1-s slots, 200-ms blocks once its fluxnodes run),
    /// with `extra` arguments after the defaults.
    pub fn start(data_dir: &Path, extra: &[&str]) -> Node {
        let port = super::free_loopback_addr().port();
        let bind = format!("127.0.0.1:{port}");
        let p2p = super::free_loopback_addr();
        let child = Command::new(env!("CARGO_BIN_EXE_flux"))
            .args([
                "node",
                "--devnet",
                "--block-interval-ms",
                "200",
                "--slot-secs",
                "1",
            ])
            .args([
                "--status-interval-ms",
                "5000",
                "--rpc-bind",
                &bind,
                "--listen",
                &p2p.to_string(),
                "--datadir",
            ])
            .arg(data_dir)
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("flux node starts");
        Node {
            child,
            port,
            p2p,
            data_dir: data_dir.to_owned(),
        }
    }

    /// One JSON-RPC call over a plain HTTP/1.1 POST; `Err` carries the error object.
    pub fn call(&self, method: &str, params: Value) -> Result<Value, Value> {
        let body = self.raw_call(method, &params)?;
        let answer: Value =
            serde_json::from_str(&body).map_err(|e| json!({"json": e.to_string()}))?;
        if answer["error"].is_null() {
            Ok(answer["result"].clone())
        } else {
            Err(answer["error"].clone())
        }
    }

    /// The body of the HTTP answer to one JSON-RPC call, as the node wrote it.
    pub fn raw_call(&self, method: &str, params: &Value) -> Result<String, Value> {
        use std::io::{Read, Write};
        let body =
            json!({"jsonrpc": "1.0", "id": 1, "method": method, "params": params}).to_string();
        // The node writes its cookie into the data directory at start (anew at each start).
        let cookie = std::fs::read_to_string(self.data_dir.join(".cookie"))
            .map_err(|e| json!({"cookie": e.to_string()}))?;
        let authorization = examples::node::rpc_auth::basic_header(&cookie);
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", self.port))
            .map_err(|e| json!({"connect": e.to_string()}))?;
        write!(
            stream,
            "POST / HTTP/1.1\r\nHost: localhost\r\nAuthorization: {authorization}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .map_err(|e| json!({"write": e.to_string()}))?;
        let mut response = String::new();
        stream
            .read_to_string(&mut response)
            .map_err(|e| json!({"read": e.to_string()}))?;
        let (_, body) = response
            .split_once("\r\n\r\n")
            .ok_or(json!({"http": response.clone()}))?;
        Ok(body.to_owned())
    }

    pub fn ok(&self, method: &str, params: Value) -> Value {
        self.call(method, params)
            .unwrap_or_else(|error| panic!("{method} failed: {error}"))
    }

    /// Waits until `check` holds, failing after `limit`.
    pub fn wait_for(&self, what: &str, limit: Duration, check: impl Fn(&Node) -> bool) {
        let start = Instant::now();
        while start.elapsed() < limit {
            if check(self) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("timed out after {limit:?} waiting for {what}");
    }

    pub fn height(&self) -> u64 {
        self.call("getblockcount", json!([]))
            .ok()
            .and_then(|v| v.as_u64())
            .unwrap_or(0)
    }

    /// Ctrl-C, then the exit status.
    pub fn interrupt(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .expect("kill runs");
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "node ignored Ctrl-C"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Node {
    /// Waits for the node to exit on its own (`--stop-at`), failing after `limit`.
    pub fn wait_exit(mut self, limit: Duration) -> std::process::ExitStatus {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            assert!(
                start.elapsed() < limit,
                "the node did not stop within {limit:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The best-chain block hash at `height`, if the node has one.
    pub fn hash_at(&self, height: u64) -> Option<String> {
        self.call("getblockhash", json!([height]))
            .ok()
            .and_then(|hash| hash.as_str().map(str::to_owned))
    }
}

/// A payment of 0.01 FLUX from the devnet miner's coinbase of block 2 to a fresh key, built on
/// the tip of `node` (the coinbase matures at height 102).
pub fn payment_from_block_2(node: &Node) -> flux_tx::Transaction {
    use examples::node::wallet::devnet_key;
    use flux_pow::{BlockHeight, Network};
    use flux_tx::address::Address;
    use flux_tx::builder::{Utxo, build_p2pkh};
    use flux_tx::{Amount, OutPoint, Script, Txid};

    let miner_key = devnet_key("miner");
    let miner = Address::from_public_key(&miner_key.public_key(), Network::Devnet);
    let block2 = node.ok("getblock", json!(["2", 2]));
    let coinbase = &block2["tx"][0];
    assert_eq!(
        coinbase["vout"][0]["scriptPubKey"]["addresses"][0],
        miner.to_string()
    );
    let mut txid: Vec<u8> = hex::decode(coinbase["txid"].as_str().unwrap()).unwrap();
    txid.reverse();
    let utxo = Utxo {
        outpoint: OutPoint {
            txid: Txid(txid.try_into().unwrap()),
            index: 0,
        },
        amount: Amount::from_zat(coinbase["vout"][0]["valueZat"].as_i64().unwrap()).unwrap(),
        script_pubkey: Script::from(
            hex::decode(coinbase["vout"][0]["scriptPubKey"]["hex"].as_str().unwrap()).unwrap(),
        ),
    };
    let payee = Address::from_public_key(&devnet_key("test payee").public_key(), Network::Devnet);
    let tip = node.height() as u32;
    build_p2pkh(
        &miner_key,
        std::slice::from_ref(&utxo),
        &[(payee, Amount::from_zat(1_000_000).unwrap())],
        Amount::from_zat(10_000).unwrap(),
        &miner,
        Network::Devnet,
        BlockHeight(tip + 1),
    )
    .unwrap()
}
