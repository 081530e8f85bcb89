//! `flux header verify`: real genesis headers from shared/vectors verify for their era; touched
//! or misplaced ones are invalid with a reason; unusable input exits 2.

mod common;
use common::flux;

const GENESIS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/vectors/genesis.json"
);

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// `(header_full_hex, expected_hash)` of a network's genesis block.
fn genesis(network: &str) -> (String, String) {
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(GENESIS).unwrap()).unwrap();
    let block = &json["networks"][network];
    (
        block["header_full_hex"].as_str().unwrap().to_owned(),
        block["expected_hash"].as_str().unwrap().to_owned(),
    )
}

#[test]
fn real_genesis_headers_are_valid_for_their_network_and_height() {
    for network in ["main", "test", "regtest"] {
        let (header, hash) = genesis(network);
        let out = flux(&[
            "header",
            "verify",
            &header,
            "--network",
            network,
            "--height",
            "0",
        ]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{network}: {}",
            text(&out.stderr)
        );
        assert_eq!(text(&out.stdout), format!("valid {hash}\n"));
    }
}

#[test]
fn a_header_outside_its_era_or_touched_is_invalid() {
    let (header, _) = genesis("main");
    // A 200,9 solution at a ZelHash-era height.
    let out = flux(&[
        "header",
        "verify",
        &header,
        "--network",
        "main",
        "--height",
        "400000",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(stdout.starts_with("invalid: "), "{stdout}");
    assert!(stdout.contains("bad-equihash-solution-size"), "{stdout}");

    // One solution bit flipped.
    let mut bytes = hex::decode(&header).unwrap();
    bytes[200] ^= 0x01;
    let out = flux(&["header", "verify", &hex::encode(&bytes), "--height", "0"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stdout).contains("invalid-solution"),
        "{}",
        text(&out.stdout)
    );

    // The mainnet genesis is not a testnet block at height 1000 (48,5 era there).
    let out = flux(&[
        "header",
        "verify",
        &header,
        "--network",
        "test",
        "--height",
        "1000",
    ]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn unusable_input_exits_2() {
    let (header, _) = genesis("main");
    for args in [
        vec!["header", "verify", "zz", "--height", "0"],
        vec!["header", "verify", &header[..200], "--height", "0"],
        vec!["header", "verify", "00", "--height", "0"],
    ] {
        let out = flux(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(!out.stderr.is_empty());
    }
    let trailing = format!("{header}00");
    let out = flux(&["header", "verify", &trailing, "--height", "0"]);
    assert_eq!(out.status.code(), Some(2));
    let out = flux(&[
        "header",
        "verify",
        &header,
        "--network",
        "moon",
        "--height",
        "0",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let out = flux(&["header", "verify", &header]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "a missing --height is a usage error"
    );
}
