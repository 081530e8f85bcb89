//! `flux fluxnode start|sign|confirm`: the hex it prints decodes to the START or CONFIRM asked
//! for and its signatures verify as fluxd's `CheckFluxnodeTxSignatures` does; an unsigned START
//! signed by another holder of the redeem script's keys; keys only from files or standard
//! input; bad input exits 2.

use std::io::Write;
use std::process::{Command, Stdio};

use flux_tx::fluxnode::FluxnodeTx;
use flux_tx::fluxnode_sig::{StartSigner, verify_confirm, verify_start};
use flux_tx::keys::PrivateKey;
use flux_tx::script::standard::multisig;
use flux_tx::{FluxDecode, Network, Transaction};

mod common;
use common::flux;

fn key(seed: u8) -> PrivateKey {
    PrivateKey::from_secret_bytes([seed; 32], true).unwrap()
}

fn key_file(dir: &tempfile::TempDir, seed: u8) -> String {
    let path = dir.path().join(format!("key{seed}.wif"));
    std::fs::write(&path, key(seed).to_wif(Network::Mainnet)).unwrap();
    format!("@{}", path.display())
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

fn decode(line: &str) -> Transaction {
    Transaction::decode_exact(&hex::decode(line.trim()).unwrap()).unwrap()
}

const COLLATERAL: &str = "6f1c1f36dfdd3ad5f3c6e3b1c0a9c1e6f0e5a3c1b2d4e6f8a0b2c4d6e8f0a2b4:1";

#[test]
fn a_signed_start_verifies_against_its_collateral_key() {
    let dir = tempfile::tempdir().unwrap();
    let node = hex::encode(key(2).public_key().to_bytes());
    let out = flux(&[
        "fluxnode",
        "start",
        "--collateral",
        COLLATERAL,
        "--node-pubkey",
        &node,
        "--sig-time",
        "1760000000",
        "--height",
        "2100000",
        "--key",
        &key_file(&dir, 1),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let tx = decode(&text(&out.stdout));
    assert_eq!(tx.version, 5);
    let Some(FluxnodeTx::Start(start)) = tx.fluxnode() else {
        panic!("not a START");
    };
    assert_eq!(
        verify_start(start, &tx.txid().0, None),
        Ok(StartSigner::CollateralKey)
    );
    assert_eq!(
        tx.fluxnode().unwrap().collateral().txid.to_string(),
        COLLATERAL.split(':').next().unwrap()
    );
}

#[test]
fn an_unsigned_p2sh_start_with_a_delegate_is_signed_by_another_owner() {
    let dir = tempfile::tempdir().unwrap();
    let public: Vec<Vec<u8>> = [11, 12, 13]
        .map(|seed| key(seed).public_key().to_bytes())
        .to_vec();
    let refs: Vec<&[u8]> = public.iter().map(Vec::as_slice).collect();
    let redeem = hex::encode(multisig(2, &refs).unwrap());
    let out = flux(&[
        "fluxnode",
        "start",
        "--collateral",
        COLLATERAL,
        "--node-pubkey",
        &hex::encode(key(2).public_key().to_bytes()),
        "--sig-time",
        "1760000000",
        "--height",
        "2100000",
        "--redeem-script",
        &redeem,
        "--delegate",
        &hex::encode(key(20).public_key().to_bytes()),
        "--unsigned",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let mut lines = stdout.lines();
    let unsigned_hex = lines.next().unwrap();
    let unsigned = decode(unsigned_hex);
    assert_eq!(lines.next().unwrap(), format!("sign: {}", unsigned.txid()));

    // The second owner signs from a key on standard input.
    let mut child = Command::new(env!("CARGO_BIN_EXE_flux"))
        .args(["fluxnode", "sign", unsigned_hex, "--key", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(key(12).to_wif(Network::Mainnet).as_bytes())
        .unwrap();
    let signed = child.wait_with_output().unwrap();
    assert_eq!(signed.status.code(), Some(0), "{}", text(&signed.stderr));
    let tx = decode(&text(&signed.stdout));
    assert_eq!(tx.txid(), unsigned.txid());
    let Some(FluxnodeTx::Start(start)) = tx.fluxnode() else {
        panic!("not a START");
    };
    assert_eq!(start.internal_version, Some(0x0102));
    assert_eq!(
        verify_start(start, &tx.txid().0, None),
        Ok(StartSigner::RedeemScriptKey(1))
    );

    // A key outside the script may not sign.
    let out = flux(&[
        "fluxnode",
        "sign",
        unsigned_hex,
        "--key",
        &key_file(&dir, 99),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("may not sign"));
}

#[test]
fn a_confirm_carries_the_node_signature() {
    let dir = tempfile::tempdir().unwrap();
    let out = flux(&[
        "fluxnode",
        "confirm",
        "--collateral",
        COLLATERAL,
        "--node-key",
        &key_file(&dir, 2),
        "--ip",
        "203.0.113.9:16125",
        "--sig-time",
        "1760000100",
        "--benchmark-key",
        &key_file(&dir, 3),
        "--tier",
        "2",
        "--benchmark-sig-time",
        "1760000050",
        "--tx-version",
        "6",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let tx = decode(&text(&out.stdout));
    assert_eq!(tx.version, 6);
    let Some(FluxnodeTx::Confirm(confirm)) = tx.fluxnode() else {
        panic!("not a CONFIRM");
    };
    assert_eq!((confirm.benchmark_tier, confirm.update_type), (2, 0));
    assert_eq!(
        verify_confirm(confirm, &key(2).public_key().to_bytes()),
        Ok(())
    );
}

#[test]
fn keys_on_the_command_line_and_bad_input_exit_2() {
    let wif = key(1).to_wif(Network::Mainnet);
    let node = hex::encode(key(2).public_key().to_bytes());
    let base = [
        "fluxnode",
        "start",
        "--node-pubkey",
        &node,
        "--sig-time",
        "1",
        "--height",
        "1",
    ];
    let with = |extra: &[&str]| {
        let mut args: Vec<&str> = base.to_vec();
        args.extend_from_slice(extra);
        flux(&args)
    };
    let out = with(&["--collateral", COLLATERAL, "--key", &wif]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("not from the command line"));
    let out = with(&[
        "--collateral",
        "nothex:0",
        "--unsigned",
        "--collateral-pubkey",
        &node,
    ]);
    assert_eq!(out.status.code(), Some(2));
    // Delegates before PON (mainnet height 1).
    let out = with(&[
        "--collateral",
        COLLATERAL,
        "--unsigned",
        "--collateral-pubkey",
        &node,
        "--delegate",
        &node,
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("tx-delegates-not-active"));
}
