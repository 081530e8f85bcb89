//! `flux rewards`: the 2022 tier figures through the command line, the JSON contract and the
//! exit code for bad input.

mod common;
use common::flux;

fn json(args: &[&str]) -> serde_json::Value {
    let out = flux(args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("one JSON object")
}

/// 2022 (height 1,150,000, 75 FLUX blocks every 2 minutes) with the node counts that give the
/// published figures: Cumulus 5.625 FLUX per block and 30.82 % APR, Nimbus 9.375 and 18.47 %,
/// Stratus 22.5 and 16.97 %.
#[test]
fn the_2022_figures_as_json() {
    for (tier, nodes, per_block, apr) in [
        ("cumulus", "4796", 5.625, "30.82"),
        ("nimbus", "1067", 9.375, "18.47"),
        ("stratus", "871", 22.5, "16.97"),
    ] {
        let v = json(&[
            "rewards", "--tier", tier, "--nodes", nodes, "--height", "1150000", "--json",
        ]);
        assert_eq!(v["tier"], tier);
        assert_eq!(v["nodes"].to_string(), nodes);
        assert_eq!(v["height"], 1_150_000);
        assert_eq!(v["flux_per_block"].as_f64(), Some(per_block));
        let apr_flux = v["apr_percent"].as_f64().unwrap();
        assert_eq!(format!("{apr_flux:.2}"), apr, "{tier}");
        let with_parallel = v["apr_with_parallel_assets_percent"].as_f64().unwrap();
        assert!((with_parallel - 2.0 * apr_flux).abs() < 1e-9);
        let per_year = v["flux_per_node_per_year"].as_f64().unwrap();
        assert!(
            (per_year - per_block * 720.0 * 365.0 / nodes.parse::<f64>().unwrap()).abs() < 1e-6
        );
    }
}

#[test]
fn old_tier_names_and_the_table() {
    let out = flux(&[
        "rewards", "--tier", "bamf", "--nodes", "871", "--height", "1150000",
    ]);
    assert!(out.status.success());
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(table.contains("stratus"), "{table}");
    assert!(table.contains("22.5 FLUX"), "{table}");
    assert!(table.contains("16.97 %"), "{table}");
}

#[test]
fn proof_of_node_is_the_default_height() {
    // Under proof of node a Stratus payee gets 9 of the 14 FLUX, every 30 s.
    let v = json(&["rewards", "--tier", "stratus", "--nodes", "1000", "--json"]);
    assert_eq!(v["height"], 2_020_000);
    assert_eq!(v["blocks_per_day"].as_f64(), Some(2880.0));
    assert_eq!(v["flux_per_block"].as_f64(), Some(9.0));
    assert_eq!(v["collateral_flux"].as_f64(), Some(40_000.0));
}

#[test]
fn bad_input_exits_2() {
    for args in [
        &["rewards", "--tier", "cirrus", "--nodes", "10"][..],
        &["rewards", "--tier", "cumulus", "--nodes", "0"][..],
        &["rewards", "--tier", "cumulus", "--nodes", "-3"][..],
        &[
            "rewards", "--tier", "cumulus", "--nodes", "10", "--height", "0",
        ][..],
    ] {
        let out = flux(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(!out.stderr.is_empty());
    }
}
