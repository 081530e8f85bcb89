//! `flux titan simulate`: the sample stakes file, text and JSON output, events, and exit code 2
//! with a message for unusable input.

use std::path::PathBuf;

mod common;
use common::flux;

const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/titan_stakes.json");

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

fn temp_file(name: &str, contents: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("flux-cli-titan-{}-{name}", std::process::id()));
    std::fs::write(&path, contents).unwrap();
    path
}

fn zat(value: &serde_json::Value) -> u64 {
    value.as_str().unwrap().parse().unwrap()
}

#[test]
fn sample_file_simulates_and_conserves_every_zatoshi() {
    let out = flux(&["titan", "simulate", "--stakes", SAMPLE, "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_str(&text(&out.stdout)).unwrap();
    assert_eq!(report["from"], 2_100_000);
    assert_eq!(report["to"], 2_102_879);
    assert_eq!(report["blocks"], 2_880);
    assert_eq!(report["running_nodes"], 2);
    assert_eq!(report["conserved"], true);
    let stakes = report["stakes"].as_array().unwrap();
    assert_eq!(stakes.len(), 11);
    let payouts: u64 = stakes.iter().map(|s| zat(&s["payout_zat"])).sum();
    assert_eq!(payouts, zat(&report["to_stakers_zat"]));
    assert_eq!(
        payouts
            + zat(&report["operator_fees_zat"])
            + zat(&report["redeem_fees_zat"])
            + zat(&report["remainder_zat"]),
        zat(&report["received_zat"])
    );
    // Six Stratus payouts of 9 FLUX; the operator keeps 10 %.
    assert_eq!(zat(&report["received_zat"]), 5_400_000_000);
    assert_eq!(zat(&report["operator_fees_zat"]), 540_000_000);
    // Stake 11 sits in the third node, which is not full: it earns nothing.
    let eleven = stakes.iter().find(|s| s["id"] == 11).unwrap();
    assert_eq!(eleven["payout_zat"], "0");
    assert_eq!(eleven["earning_blocks"], 0);

    let plain = flux(&["titan", "simulate", "--stakes", SAMPLE, "--blocks", "100"]);
    assert_eq!(plain.status.code(), Some(0));
    let stdout = text(&plain.stdout);
    assert!(
        stdout.starts_with("titan simulation: heights 2100000..=2100099 (100 blocks)"),
        "{stdout}"
    );
    assert!(stdout.contains("conserved:    yes\n"), "{stdout}");
    assert!(
        stdout.contains("stake 11 12m 2500.0 FLUX locked: payout 0.0 FLUX"),
        "{stdout}"
    );
}

#[test]
fn events_redeem_and_forfeit() {
    let file = temp_file(
        "events.json",
        r#"{
            "network_stratus_nodes": 1,
            "pool": {"operator_fee_bps": 0, "redeem_fee": "0.5", "early_exit": "forfeit_rewards"},
            "terms": [{"name": "t", "blocks": 50, "apr_bps": 800, "cap": 100000}],
            "stakes": [
                {"id": 1, "amount": "10000", "term": "t", "start_height": 2100000},
                {"id": 2, "amount": "10000", "term": "t", "start_height": 2100000},
                {"id": 3, "amount": "10000", "term": "t", "start_height": 2100000},
                {"id": 4, "amount": "10000", "term": "t", "start_height": 2100000},
                {"id": 5, "amount": "10000", "term": "t", "start_height": 2100001}
            ],
            "events": [
                {"height": 2100030, "stake": 1, "action": "redeem"},
                {"height": 2100040, "stake": 2, "action": "exit"}
            ]
        }"#,
    );
    let out = flux(&[
        "titan",
        "simulate",
        "--stakes",
        file.to_str().unwrap(),
        "--blocks",
        "60",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_str(&text(&out.stdout)).unwrap();
    assert_eq!(report["conserved"], true);
    let stake = |id: u64| {
        report["stakes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == id)
            .unwrap()
            .clone()
    };
    // 9 FLUX a block over four 10,000 FLUX stakes: 2.25 FLUX each for 31 blocks = 69.75 FLUX.
    assert_eq!(stake(1)["redeemed_zat"], "6925000000");
    assert_eq!(stake(1)["redeem_fees_zat"], "50000000");
    assert_eq!(zat(&report["redeem_fees_zat"]), 50_000_000);
    assert_eq!(stake(2)["status"], "exited at 2100040");
    assert_eq!(stake(2)["forfeited_zat"], "9225000000");
    // Stake 5 waited for a node until stake 2 left, then shared its forfeit.
    assert!(zat(&stake(5)["payout_zat"]) > 0);
    assert_eq!(stake(1)["status"], "matured at 2100050");
    let _ = std::fs::remove_file(file);
}

#[test]
fn unusable_input_exits_2_with_a_message() {
    let sample = std::fs::read_to_string(SAMPLE).unwrap();
    let below = temp_file(
        "below.json",
        &sample.replace(r#""amount": "50","#, r#""amount": "49.99999999","#),
    );
    let unknown_term = temp_file(
        "term.json",
        &sample.replace(
            r#""term": "6m", "start_height": 2100010"#,
            r#""term": "2y", "start_height": 2100010"#,
        ),
    );
    let bad_json = temp_file("bad.json", "{\"terms\": [");
    let locked = temp_file(
        "locked.json",
        &sample.replace(
            r#""events": []"#,
            r#""events": [{"height": 2100005, "stake": 1, "action": "exit"}]"#,
        ),
    );
    let cases = [
        (
            below.clone(),
            "stakes[4]: stake 5: 49.99999999 FLUX is below the 50.0 FLUX minimum; stake at least 50.0 FLUX",
        ),
        (
            unknown_term.clone(),
            "stakes[6]: stake 7: unknown lock term \"2y\"; the pool's terms are: 3m, 6m, 12m",
        ),
        (bad_json.clone(), "not a stakes file: "),
        (locked.clone(), "stake 1: locked until height 2359200"),
        (PathBuf::from("/nonexistent/titan.json"), "cannot read: "),
    ];
    for (path, message) in cases {
        let out = flux(&["titan", "simulate", "--stakes", path.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2), "{}", path.display());
        let stderr = text(&out.stderr);
        assert!(stderr.starts_with("error: "), "{stderr}");
        assert!(stderr.contains(message), "{stderr}");
        assert!(out.stdout.is_empty());
    }
    let zero = flux(&["titan", "simulate", "--stakes", SAMPLE, "--blocks", "0"]);
    assert_eq!(zero.status.code(), Some(2));
    for file in [below, unknown_term, bad_json, locked] {
        let _ = std::fs::remove_file(file);
    }
}
