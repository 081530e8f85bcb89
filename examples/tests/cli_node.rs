//! The reference node as a user runs it: `flux node --devnet` mines, registers a fluxnode of each
//! tier through START/CONFIRM, pays them, answers fluxd's RPC methods, takes a transaction through
//! `sendrawtransaction`; a second node `--connect`ed to it over P2P and a third following its RPC reach the same tip; a restarted node
//! resumes from its store.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use examples::node::wallet::devnet_key;
use flux_pow::Network;
use flux_tx::FluxEncode;
use flux_tx::address::Address;
use serde_json::json;

mod common;
use common::docker::{http_get, skip_without_docker};
use common::node::Node;

/// Why the app cannot run on Docker here, or `None` when it can (CI requires it to).
fn docker_unavailable() -> Option<String> {
    if !Path::new("/bin/busybox").exists() {
        return Some("no /bin/busybox (apt-get install busybox-static)".into());
    }
    match Command::new("docker").arg("info").output() {
        Ok(out) if out.status.success() => None,
        Ok(out) => Some(format!(
            "docker info failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )),
        Err(error) => Some(format!("no docker command: {error}")),
    }
}

/// Containers the node with process id `pid` made (its owner label).
fn containers_of(pid: u32) -> Vec<String> {
    let filter = format!("label=io.flux-rs.owner=flux-devnet-{pid}");
    let out = Command::new("docker")
        .args(["ps", "-a", "--filter", &filter, "--format", "{{.Names}}"])
        .output()
        .expect("docker ps");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn devnet_node_end_to_end() {
    let docker = docker_unavailable();
    match &docker {
        None => println!("the devnet app runs on the local Docker engine"),
        Some(reason) => skip_without_docker(
            "the Docker part of the devnet node test (its app runs in memory)",
            reason,
        ),
    }
    let runtime = if docker.is_none() { "docker" } else { "memory" };
    let dir = tempfile::tempdir().unwrap();
    let a_dir = dir.path().join("a");
    let a = Node::start(&a_dir, &["--app-runtime", runtime]);
    a.wait_for("the RPC server", Duration::from_secs(30), |n| {
        n.call("getblockcount", json!([])).is_ok()
    });

    // The premine matures at 101, collaterals are funded, STARTed and CONFIRMed: one node per
    // tier, then paid in order.
    a.wait_for("three confirmed fluxnodes", Duration::from_secs(120), |n| {
        n.call("getfluxnodecount", json!([]))
            .is_ok_and(|c| c["total"] == 3)
    });
    let count = a.ok("getfluxnodecount", json!([]));
    for tier in ["cumulus-enabled", "nimbus-enabled", "stratus-enabled"] {
        assert_eq!(count[tier], 1, "{count}");
    }
    let nodes = a.ok("listfluxnodes", json!([]));
    let tiers: Vec<&str> = nodes
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["tier"].as_str().unwrap())
        .collect();
    assert_eq!(tiers, ["CUMULUS", "NIMBUS", "STRATUS"]);
    let amounts: Vec<f64> = nodes
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["amount"].as_f64().unwrap())
        .collect();
    assert_eq!(amounts, [10_000.0, 25_000.0, 100_000.0]);

    // Past the 60-block confirmation expiry, the operators' re-CONFIRMs keep them listed, and
    // every block pays each tier's payment address.
    let confirmed_at = nodes[0]["confirmed_height"].as_u64().unwrap();
    a.wait_for(
        "the confirmation window to pass",
        Duration::from_secs(120),
        |n| n.height() > confirmed_at + 70,
    );
    assert_eq!(a.ok("getfluxnodecount", json!([]))["total"], 3);
    let tip = a.ok("getblockcount", json!([])).as_u64().unwrap();
    let block = a.ok("getblock", json!([tip.to_string(), 2]));
    // From height 250 the fluxnodes sign the blocks (fluxd's PON fields in the JSON), mined
    // before it.
    assert!(tip >= 272, "{tip}");
    assert_eq!(
        (block["type"].clone(), block["version"].clone()),
        (json!("PON"), json!(100))
    );
    let signer = block["collateral"].as_str().unwrap().to_owned();
    assert!(
        nodes.as_array().unwrap().iter().any(|node| {
            let txid = node["txhash"].as_str().unwrap();
            signer == format!("COutPoint({}, {})", &txid[..10], node["outidx"])
        }),
        "{signer} is no listed node's collateral"
    );
    assert!(!block["blocksig"].as_str().unwrap().is_empty());
    assert_eq!(a.ok("getblock", json!(["249", 1]))["type"], "POW");
    // pon.md section 7, year 0: 14 FLUX per block.
    assert_eq!(
        a.ok("getblocksubsidy", json!([tip]))["miner"].as_f64(),
        Some(14.0)
    );
    let coinbase = &block["tx"][0];
    let paid: Vec<String> = coinbase["vout"]
        .as_array()
        .unwrap()
        .iter()
        .map(|out| {
            out["scriptPubKey"]["addresses"][0]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    let nodes = a.ok("listfluxnodes", json!([]));
    for node in nodes.as_array().unwrap() {
        assert!(
            paid.contains(&node["payment_address"].as_str().unwrap().to_owned()),
            "{node} not in {paid:?}"
        );
    }
    // fluxd's mainnet slow start at this height, split 3.75 / 6.25 / 15 % to the tiers.
    let subsidy = a.ok("getblocksubsidy", json!([tip]))["miner"]
        .as_f64()
        .unwrap();
    let total: f64 = coinbase["vout"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["value"].as_f64().unwrap())
        .sum();
    assert!(
        (total - subsidy).abs() < 1e-8,
        "coinbase {total} vs subsidy {subsidy}"
    );
    // On the wire, amounts are fluxd's number tokens with eight decimals.
    let raw = a
        .raw_call("getblock", &json!([tip.to_string(), 2]))
        .unwrap();
    let values: Vec<&str> = raw
        .split("\"value\":")
        .skip(1)
        .map(|rest| rest.split([',', '}']).next().unwrap())
        .collect();
    assert!(!values.is_empty(), "{raw}");
    for value in values {
        let (whole, decimals) = value.split_once('.').unwrap_or((value, ""));
        assert!(
            !whole.is_empty()
                && decimals.len() == 8
                && decimals.bytes().all(|b| b.is_ascii_digit()),
            "{value} in {raw}"
        );
    }

    // The START of the Cumulus node is a real transaction in the chain.
    let collateral_txid = nodes[0]["txhash"].as_str().unwrap();
    let funding = a.ok("getrawtransaction", json!([collateral_txid, 1]));
    assert!(funding["confirmations"].as_u64().unwrap() > 0);

    // A payment from the miner's matured coinbase through sendrawtransaction.
    let payee = Address::from_public_key(&devnet_key("test payee").public_key(), Network::Devnet);
    let tx = common::node::payment_from_block_2(&a);
    let txid = a.ok("sendrawtransaction", json!([hex::encode(tx.encoded())]));
    assert_eq!(txid, json!(tx.txid().to_string()));
    a.wait_for("the payment to be mined", Duration::from_secs(30), |n| {
        n.call("getrawtransaction", json!([txid, 1]))
            .is_ok_and(|t| t["confirmations"].as_u64().unwrap_or(0) > 0)
    });
    let mined = a.ok("getrawtransaction", json!([txid, 1]));
    assert_eq!(
        mined["vout"][0]["scriptPubKey"]["addresses"][0],
        payee.to_string()
    );
    // Spending the same coinbase output again is refused with fluxd's code.
    let again = a
        .call("sendrawtransaction", json!([hex::encode(tx.encoded())]))
        .unwrap_err();
    assert!(again["code"] == -27 || again["code"] == -26, "{again}");
    let garbage = a.call("sendrawtransaction", json!(["00ff"])).unwrap_err();
    assert_eq!(garbage["code"], -22);
    assert_eq!(
        a.call("getblockhash", json!([1_000_000])).unwrap_err()["code"],
        -8
    );
    assert_eq!(
        a.call("nosuchmethod", json!([])).unwrap_err()["code"],
        -32601
    );

    // The devnet app runs one instance on each fluxnode, at the IP its CONFIRM announced.
    if docker.is_none() {
        let start = Instant::now();
        for last in [21, 22, 23] {
            let ip = std::net::IpAddr::from([127, 0, 0, last]);
            while !http_get(ip, 31600).is_some_and(|r| r.contains("hello from the flux-rs devnet"))
            {
                assert!(
                    start.elapsed() < Duration::from_secs(60),
                    "no app instance answers on {ip}"
                );
                std::thread::sleep(Duration::from_millis(200));
            }
        }
        assert_eq!(containers_of(a.child.id()).len(), 3);
    }

    // A second node follows the first over the peer-to-peer protocol and reaches the same tip;
    // a third follows the first's JSON-RPC (with its cookie) instead.
    let b = Node::start(&dir.path().join("b"), &["--connect", &a.p2p.to_string()]);
    let c = Node::start(
        &dir.path().join("c"),
        &[
            "--follow-rpc",
            &format!("127.0.0.1:{}", a.port),
            "--follow-rpc-cookie",
            a_dir.join(".cookie").to_str().unwrap(),
        ],
    );
    for (name, follower) in [("B (P2P)", &b), ("C (RPC)", &c)] {
        follower.wait_for(
            &format!("node {name} to catch up"),
            Duration::from_secs(120),
            |f| {
                let height = f.height();
                height > tip
                    && f.call("getblockhash", json!([height]))
                        == a.call("getblockhash", json!([height]))
            },
        );
        assert_eq!(follower.ok("getfluxnodecount", json!([]))["total"], 3);
    }
    assert_eq!(b.ok("getconnectioncount", json!([])), 1);
    assert_eq!(c.ok("getconnectioncount", json!([])), 0);
    assert_eq!(b.interrupt().code(), Some(0));
    assert_eq!(c.interrupt().code(), Some(0));

    // Ctrl-C stops A cleanly; restarted on its store it resumes from the same tip.
    let stopped_at = a.height();
    let best = a.ok("getblockhash", json!([stopped_at]));
    let a_pid = a.child.id();
    assert_eq!(a.interrupt().code(), Some(0));
    if docker.is_none() {
        assert!(
            containers_of(a_pid).is_empty(),
            "the app's containers outlived the node"
        );
    }
    let a2 = Node::start(&a_dir, &["--app-runtime", "none"]);
    a2.wait_for("the restarted node's RPC", Duration::from_secs(30), |n| {
        n.call("getblockcount", json!([])).is_ok()
    });
    assert!(a2.height() >= stopped_at);
    assert_eq!(a2.ok("getblockhash", json!([stopped_at])), best);
    a2.wait_for(
        "a block on the resumed chain",
        Duration::from_secs(30),
        |n| n.height() > stopped_at,
    );

    // SIGKILL in the proof-of-node era: every block the node reported stays, and a node
    // restarted on the store signs on from there.
    let seen = a2.height();
    let seen_hash = a2.ok("getblockhash", json!([seen]));
    let mut a2 = a2;
    a2.child.kill().expect("SIGKILL");
    a2.child.wait().expect("reaped");
    let a3 = Node::start(&a_dir, &["--app-runtime", "none"]);
    a3.wait_for(
        "the node restarted after SIGKILL",
        Duration::from_secs(30),
        |n| n.call("getblockcount", json!([])).is_ok(),
    );
    assert!(a3.height() >= seen);
    assert_eq!(a3.ok("getblockhash", json!([seen])), seen_hash);
    a3.wait_for(
        "a PON block after the SIGKILL",
        Duration::from_secs(30),
        |n| n.height() > seen,
    );
    let tip = a3.height();
    assert_eq!(
        a3.ok("getblock", json!([tip.to_string(), 1]))["type"],
        "PON"
    );
    assert_eq!(a3.interrupt().code(), Some(0));
}
