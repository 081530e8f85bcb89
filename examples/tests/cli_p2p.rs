//! Nodes that know each other only through fluxd's peer-to-peer protocol, each its own process
//! and store on loopback: a node that joins late catches up from height 0 through another
//! follower, a transaction sent to one reaches every mempool and a block, and a heavier branch
//! reaching one node reorganises them all.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::time::Duration;

use flux_tx::FluxEncode;
use serde_json::json;

mod common;
use common::node::{Node, payment_from_block_2};

const QUIET: [&str; 2] = ["--app-runtime", "none"];

fn args<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    QUIET.iter().copied().chain(extra.iter().copied()).collect()
}

#[test]
fn three_nodes_sync_relay_a_transaction_and_mine_it() {
    let dir = tempfile::tempdir().unwrap();
    let a = Node::start(&dir.path().join("a"), &args(&[]));
    let a_addr = a.p2p.to_string();
    let b = Node::start(&dir.path().join("b"), &args(&["--connect", &a_addr]));
    a.wait_for(
        "block 2's coinbase to mature",
        Duration::from_secs(90),
        |a| a.height() >= 105,
    );

    // C joins late, through B only, and catches up from genesis.
    let b_addr = b.p2p.to_string();
    let c = Node::start(&dir.path().join("c"), &args(&["--connect", &b_addr]));
    let target = a.height();
    for (name, node) in [("B", &b), ("C", &c)] {
        node.wait_for(
            &format!("{name} to reach A's height {target}"),
            Duration::from_secs(90),
            |n| n.height() >= target && n.hash_at(target) == a.hash_at(target),
        );
    }
    assert_eq!(a.ok("getconnectioncount", json!([])), 1);
    assert_eq!(b.ok("getconnectioncount", json!([])), 2);
    assert_eq!(c.ok("getconnectioncount", json!([])), 1);
    let peers = b.ok("getpeerinfo", json!([]));
    let peers = peers.as_array().unwrap();
    assert_eq!(peers.len(), 2, "{peers:?}");
    let outbound = peers.iter().find(|p| p["inbound"] == false).unwrap();
    assert_eq!(outbound["addr"], json!(a_addr));
    assert_eq!(outbound["version"], 170_021);
    assert!(
        outbound["subver"]
            .as_str()
            .unwrap()
            .starts_with("/flux-rs:")
    );
    assert_eq!(outbound["services"], "0000000000000001");
    let received = outbound["bytesrecv"].as_u64().unwrap();
    assert!(received > 20_000, "{received} bytes for {target} blocks");
    assert!(peers.iter().any(|p| p["inbound"] == true));
    // B keeps A already: adding it again is fluxd's error -23; removing a stranger -24.
    assert_eq!(
        b.call("addnode", json!([a_addr, "add"])).unwrap_err()["code"],
        -23
    );
    assert_eq!(
        b.call("addnode", json!(["127.0.0.1:9", "remove"]))
            .unwrap_err()["code"],
        -24
    );
    assert_eq!(
        b.call("addnode", json!([a_addr, "sometimes"])).unwrap_err()["code"],
        -8
    );
    let info = c.ok("getnetworkinfo", json!([]));
    assert_eq!(info["connections"], 1);
    assert_eq!(info["protocolversion"], 170_021);
    assert_eq!(info["localaddresses"][0]["port"], c.p2p.port());

    // With A's block making paused (fluxd's `setgenerate false`) and its last block at B and
    // C (which take no transaction while they catch up), a payment sent to C reaches B's and
    // A's mempools through `inv`.
    assert_eq!(a.ok("getgenerate", json!([])), true);
    a.ok("setgenerate", json!([false]));
    // A block being made when the switch flipped still lands.
    std::thread::sleep(Duration::from_secs(2));
    let last = a.height();
    for (name, node) in [("B", &b), ("C", &c)] {
        node.wait_for(
            &format!("{name} to hold A's last block"),
            Duration::from_secs(30),
            |n| n.hash_at(last) == a.hash_at(last),
        );
    }
    let tx = payment_from_block_2(&c);
    let txid = c.ok("sendrawtransaction", json!([hex::encode(tx.encoded())]));
    assert_eq!(txid, json!(tx.txid().to_string()));
    let waiting = |n: &Node| {
        n.call("getrawtransaction", json!([txid, 1]))
            .is_ok_and(|t| t.get("confirmations").is_none_or(|c| c == 0))
    };
    for (name, node) in [("B", &b), ("A", &a)] {
        node.wait_for(
            &format!("the payment in {name}'s mempool"),
            Duration::from_secs(20),
            waiting,
        );
    }
    assert_eq!(a.height(), last, "A made a block while paused");
    // A makes blocks again and mines the payment; the block reaches B and C.
    a.ok("setgenerate", json!([true]));
    let mut mined_in = None;
    for (name, node) in [("A", &a), ("B", &b), ("C", &c)] {
        node.wait_for(
            &format!("the payment mined, as {name} sees it"),
            Duration::from_secs(60),
            |n| {
                n.call("getrawtransaction", json!([txid, 1]))
                    .is_ok_and(|t| t["confirmations"].as_u64().unwrap_or(0) > 0)
            },
        );
        let block = node.ok("getrawtransaction", json!([txid, 1]))["blockhash"].clone();
        assert_eq!(*mined_in.get_or_insert(block.clone()), block, "{name}");
    }
    for node in [c, b, a] {
        assert_eq!(node.interrupt().code(), Some(0));
    }
}

#[test]
fn a_heavier_branch_reaching_one_node_reorganises_all() {
    let dir = tempfile::tempdir().unwrap();
    // D and A share 50 blocks, then D makes 30 more alone and A 10 of its own (other times, so
    // other blocks): a fork 10 blocks deep from A's tip, within fluxd's reorganisation limit
    // of 40.
    let d_dir = dir.path().join("d");
    let a_dir = dir.path().join("a");
    let make = |data: &std::path::Path, stop: &str| {
        let status =
            Node::start(data, &args(&["--stop-at", stop])).wait_exit(Duration::from_secs(120));
        assert!(status.success(), "making blocks to {stop}: {status}");
    };
    make(&d_dir, "50");
    copy_dir(&d_dir, &a_dir);
    make(&d_dir, "80");
    // A fast miner dates its blocks up to a few seconds ahead of the clock (the median time
    // past plus one); A starts after D's last block time, so its blocks differ from D's.
    let d = Node::start(&d_dir, &args(&["--no-produce"]));
    d.wait_for("D's RPC", Duration::from_secs(30), |d| d.height() == 80);
    let d_last = d.ok("getblockheader", json!([d.hash_at(80).unwrap()]))["time"]
        .as_u64()
        .unwrap();
    assert_eq!(d.interrupt().code(), Some(0));
    while std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        <= d_last + 1
    {
        std::thread::sleep(Duration::from_millis(200));
    }
    make(&a_dir, "60");

    // A serves its 60 blocks; B follows A and C follows B.
    let a = Node::start(&a_dir, &args(&["--no-produce"]));
    a.wait_for("A's RPC", Duration::from_secs(30), |a| a.height() == 60);
    let b = Node::start(
        &dir.path().join("b"),
        &args(&["--connect", &a.p2p.to_string()]),
    );
    let c = Node::start(
        &dir.path().join("c"),
        &args(&["--connect", &b.p2p.to_string()]),
    );
    let a_tip = a.hash_at(60).expect("A holds 60 blocks");
    for (name, node) in [("B", &b), ("C", &c)] {
        node.wait_for(
            &format!("{name} on A's chain"),
            Duration::from_secs(60),
            |n| n.hash_at(60).as_ref() == Some(&a_tip),
        );
    }
    assert_eq!(a.height(), 60);

    // D comes back with its heavier branch, and C alone is told about it.
    let d = Node::start(&d_dir, &args(&["--no-produce"]));
    d.wait_for("D's RPC", Duration::from_secs(30), |d| d.height() == 80);
    let d_tip = d.hash_at(80).unwrap();
    assert_eq!(d.hash_at(50), a.hash_at(50), "D and A share 50 blocks");
    assert_ne!(
        d.hash_at(60).as_ref(),
        Some(&a_tip),
        "D and A made the same blocks"
    );
    assert_eq!(
        c.ok("addnode", json!([d.p2p.to_string(), "onetry"])),
        json!(null)
    );
    for (name, node) in [("C", &c), ("B", &b), ("A", &a)] {
        node.wait_for(
            &format!("{name} to reorganise onto D's branch"),
            Duration::from_secs(60),
            |n| n.height() == 80 && n.hash_at(80).as_ref() == Some(&d_tip),
        );
        assert_eq!(node.hash_at(60), d.hash_at(60), "{name}");
    }
    for node in [d, c, b, a] {
        assert_eq!(node.interrupt().code(), Some(0));
    }
}

/// Copies a node's data directory (its store; the cookie is written anew at start).
fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}
