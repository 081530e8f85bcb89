//! `flux supply`: the JSON names every class in FLUX with eight decimals, the classes add up to
//! the total, node counts lock their tiers' collateral (fluxd's V2 amounts: 1,000 / 12,500 /
//! 40,000 FLUX), and unusable input exits 2.

mod common;
use common::flux;

fn json(args: &[&str]) -> (String, serde_json::Value) {
    let out = flux(args);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    let value = serde_json::from_str(&text).unwrap();
    (text, value)
}

const CLASSES: [&str; 9] = [
    "premine_flux",
    "miners_flux",
    "cumulus_flux",
    "nimbus_flux",
    "stratus_flux",
    "dev_fund_flux",
    "exchange_fund_flux",
    "foundation_fund_flux",
    "swap_pool_flux",
];

#[test]
fn classes_add_up_and_print_like_fluxd_amounts() {
    let (text, value) = json(&["supply", "--height", "2500000", "--json"]);
    // Amounts are JSON numbers with eight decimals, as fluxd prints them.
    assert!(
        text.contains("\"premine_flux\": 13020000.00000000"),
        "{text}"
    );
    assert!(
        text.contains("\"swap_pool_flux\": 220000000.00000000"),
        "{text}"
    );
    let zat = |key: &str| (value[key].as_f64().unwrap() * 1e8).round() as i64;
    let sum: i64 = CLASSES.iter().map(|key| zat(key)).sum();
    assert_eq!(sum, zat("total_flux"));
    // Half a FLUX per PON block goes to the dev fund from 2,020,000 on.
    assert_eq!(zat("dev_fund_flux"), 480_001 * 50_000_000);
    assert_eq!(value["network"], "main");
    assert_eq!(value["height"], 2_500_000);
    assert!(value.get("locked_in_nodes_flux").is_none());
}

#[test]
fn node_counts_lock_their_collateral() {
    let (_, value) = json(&[
        "supply",
        "--height",
        "2019999",
        "--nodes-cumulus",
        "4796",
        "--nodes-nimbus",
        "1067",
        "--nodes-stratus",
        "871",
        "--json",
    ]);
    let locked = 4_796.0 * 1_000.0 + 1_067.0 * 12_500.0 + 871.0 * 40_000.0;
    assert_eq!(value["locked_in_nodes_flux"].as_f64().unwrap(), locked);
    let percent = locked * 100.0 / value["total_flux"].as_f64().unwrap();
    assert!((value["locked_in_nodes_percent"].as_f64().unwrap() - percent).abs() < 1e-9);
    // Before the V2 transition a Stratus node locked 100,000 FLUX.
    let (_, early) = json(&[
        "supply",
        "--height",
        "900000",
        "--nodes-stratus",
        "10",
        "--json",
    ]);
    assert_eq!(early["locked_in_nodes_flux"].as_f64().unwrap(), 1_000_000.0);
}

#[test]
fn the_table_has_a_row_per_class() {
    let out = flux(&["supply", "--height", "1000000", "--network", "test"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    for label in [
        "premine",
        "miners",
        "cumulus",
        "dev fund",
        "swap pool",
        "total",
    ] {
        assert!(
            text.lines().any(|line| line.starts_with(label)),
            "{label}: {text}"
        );
    }
}

#[test]
fn unusable_input_exits_2() {
    assert_eq!(
        flux(&["supply", "--height", "3000000000"]).status.code(),
        Some(2)
    );
    assert_eq!(
        flux(&["supply", "--height", "10", "--network", "nowhere"])
            .status
            .code(),
        Some(2)
    );
}

/// `--chart`: an SVG with a line per class, the PON activation at 2,020,000 and the reductions
/// every 1,051,200 blocks after it (pon.md section 7) marked up to the height, and the report as
/// usual on standard output.
#[test]
fn chart_marks_the_activation_and_every_reduction() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("supply.svg");
    let path_text = path.to_str().unwrap();
    let (_, value) = json(&[
        "supply", "--height", "3500000", "--json", "--chart", path_text,
    ]);
    assert_eq!(value["height"], 3_500_000);
    let svg = std::fs::read_to_string(&path).unwrap();
    assert!(svg.starts_with("<svg"), "{}", &svg[..svg.len().min(200)]);
    for label in [
        "proof of node 2020000",
        "reduction 1",
        "premine",
        "miners",
        "cumulus",
        "nimbus",
        "stratus",
        "dev fund",
    ] {
        assert!(svg.contains(label), "{label} missing from the chart");
    }
    // 2,020,000 + 1,051,200 = 3,071,200 is below the height, 2,020,000 + 2 x 1,051,200 =
    // 4,122,400 above it.
    assert!(!svg.contains("reduction 2"));
    // One polyline per class (seven), besides the axes and markers.
    assert!(svg.matches("<polyline").count() >= 7, "{svg:.400}");

    // Before the activation nothing is marked; a directory that does not exist exits 2.
    let early = dir.path().join("early.svg");
    let out = flux(&[
        "supply",
        "--height",
        "1000000",
        "--chart",
        early.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(
        !std::fs::read_to_string(&early)
            .unwrap()
            .contains("proof of node")
    );
    let out = flux(&[
        "supply",
        "--height",
        "1000",
        "--chart",
        "/nonexistent-dir/x.svg",
    ]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
}
