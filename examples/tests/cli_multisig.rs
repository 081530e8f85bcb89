//! `flux multisig address|create|sign|combine|finalize`: a 2-of-3 spend signed by two owners
//! on separate copies, merged in either order, finalised, and verified by the script
//! interpreter; an incomplete spend exits 1; keys on the command line exit 2.

use flux_tx::keys::PrivateKey;
use flux_tx::script::VerifyFlags;
use flux_tx::sign::verify_input;
use flux_tx::{BlockHeight, FluxDecode, Network, NetworkUpgrade, Transaction};

mod common;
use common::flux;

fn key(seed: u8) -> PrivateKey {
    PrivateKey::from_secret_bytes([seed; 32], true).unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

fn ok(args: &[&str]) -> Vec<String> {
    let out = flux(args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}: {}",
        text(&out.stderr)
    );
    text(&out.stdout).lines().map(str::to_owned).collect()
}

fn key_file(dir: &tempfile::TempDir, seed: u8) -> String {
    let path = dir.path().join(format!("k{seed}"));
    std::fs::write(&path, key(seed).to_wif(Network::Mainnet)).unwrap();
    format!("@{}", path.display())
}

#[test]
fn two_of_three_from_address_to_spend() {
    let dir = tempfile::tempdir().unwrap();
    let pubkeys: Vec<String> = [1, 2, 3]
        .map(|s| hex::encode(key(s).public_key().to_bytes()))
        .to_vec();
    let mut args = vec!["multisig", "address", "2"];
    args.extend(pubkeys.iter().map(String::as_str));
    let lines = ok(&args);
    assert!(lines[0].starts_with("t3"), "{lines:?}");
    let redeem = lines[1].strip_prefix("redeem_script: ").unwrap().to_owned();
    assert!(redeem.starts_with("52") && redeem.ends_with("53ae"));

    let payee = flux_tx::address::Address::from_public_key(&key(9).public_key(), Network::Mainnet);
    let pay = format!("{payee}=12.5");
    let input = format!("{}:0", "ab".repeat(32));
    let unsigned = ok(&[
        "multisig",
        "create",
        "--redeem-script",
        &redeem,
        "--input",
        &input,
        "--pay",
        &pay,
        "--change-amount",
        "7.4999",
        "--height",
        "2100000",
    ])[0]
        .clone();
    let sign = |seed: u8| {
        ok(&[
            "multisig",
            "sign",
            &unsigned,
            "--redeem-script",
            &redeem,
            "--amount",
            "20",
            "--key",
            &key_file(&dir, seed),
            "--height",
            "2100000",
        ])
    };
    let first = sign(3);
    assert_eq!(first[1], "signatures: 1/2");
    let second = sign(1);

    let out = flux(&["multisig", "finalize", &first[0]]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).starts_with("incomplete:"));

    let ab = ok(&["multisig", "combine", &first[0], &second[0]]);
    let ba = ok(&["multisig", "combine", &second[0], &first[0]]);
    assert_eq!(ab, ba);
    let done = ok(&["multisig", "finalize", &ab[0]]);
    let tx = Transaction::decode_exact(&hex::decode(&done[0]).unwrap()).unwrap();
    let height = BlockHeight(2_100_000);
    let script_pubkey = flux_tx::address::Address::parse(&lines[0], Network::Mainnet)
        .unwrap()
        .script_pubkey();
    verify_input(
        &tx,
        0,
        script_pubkey.as_bytes(),
        20 * 100_000_000,
        VerifyFlags::P2SH,
        NetworkUpgrade::branch_id_at(Network::Mainnet, height),
    )
    .unwrap();
    assert_eq!(tx.outputs()[1].script_pubkey, script_pubkey, "P2SH change");
}

#[test]
fn bad_input_exits_2() {
    let wif = key(1).to_wif(Network::Mainnet);
    let out = flux(&[
        "multisig",
        "sign",
        "00",
        "--redeem-script",
        "51",
        "--amount",
        "1",
        "--key",
        &wif,
        "--height",
        "1",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let out = flux(&["multisig", "address", "3", "02aa"]);
    assert_eq!(out.status.code(), Some(2));
    let one = hex::encode(key(1).public_key().to_bytes());
    let out = flux(&["multisig", "address", "2", &one]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("required"));
}
