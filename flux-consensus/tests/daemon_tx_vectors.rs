//! fluxd's `tx_valid.json` and `tx_invalid.json` (`src/test/transaction_tests.cpp`), run as the
//! daemon runs them: the context-free transaction check (`CheckTransaction`, here
//! [`check_transaction`]) and then every input's scripts (`VerifyScript`, flux-tx's
//! [`verify_input`]) with the entry's flags, a zero amount and the Sprout branch id. A valid entry
//! must pass both; an invalid one must fail one of them (or not decode).
//!
//! The files are read from `$FLUX_DAEMON_VECTORS_DIR` or `../shared/vectors` by flux-tx's test
//! loader (one skip rule for every daemon file).

#![allow(clippy::print_stderr)]

use std::collections::HashMap;

use flux_consensus::TransactionError;
use flux_consensus::check::transaction::check_transaction;
use flux_tx::script::interpreter::VerifyFlags;
use flux_tx::sign::{VerifyInputError, verify_input};
use flux_tx::{FluxDecode, FluxEncode, Transaction};
use serde_json::Value;

#[path = "../../flux-tx/tests/common/script_asm.rs"]
#[allow(dead_code)]
mod script_asm;
#[path = "../../flux-tx/tests/common/vectors.rs"]
#[allow(dead_code)]
mod vectors;

use script_asm::{parse_asm, parse_flags};

/// Why an entry was refused.
enum Refusal {
    /// The bytes are not a transaction.
    Decode,
    /// flux-consensus's context-free check.
    Check(TransactionError),
    /// An input's scripts.
    Script(VerifyInputError),
}

/// One entry (`[[prevouts], tx hex, flags]`), decoded.
struct Entry {
    tx: Transaction,
    /// The script of each spent output, by (txid in internal order, index).
    spent: HashMap<([u8; 32], u32), Vec<u8>>,
    flags: VerifyFlags,
}

/// Decodes an entry; `None` if its transaction bytes do not decode.
fn decode(test: &[Value]) -> Option<Entry> {
    let mut spent = HashMap::new();
    for prevout in test[0].as_array().expect("prevout list") {
        let prevout = prevout.as_array().expect("[txid, n, script]");
        let mut txid = hex::decode(prevout[0].as_str().unwrap()).unwrap();
        txid.reverse(); // uint256S reads display hex
        let txid: [u8; 32] = txid.try_into().unwrap();
        // -1 in the file is the null prevout's index.
        let index = prevout[1].as_i64().unwrap() as u32;
        spent.insert((txid, index), parse_asm(prevout[2].as_str().unwrap()));
    }
    let raw = hex::decode(test[1].as_str().unwrap()).unwrap();
    let flags = parse_flags(test[2].as_str().unwrap());
    let tx = Transaction::decode_exact(&raw).ok()?;
    // Whatever decodes re-encodes byte for byte.
    assert_eq!(tx.encoded(), raw, "{test:?}");
    Some(Entry { tx, spent, flags })
}

/// `VerifyScript` for every input, as transaction_tests.cpp calls it: a zero amount and
/// SPROUT_BRANCH_ID.
fn verify_scripts(entry: &Entry) -> Result<(), Refusal> {
    for (index, input) in entry.tx.inputs().iter().enumerate() {
        let script_pubkey = entry
            .spent
            .get(&(input.prevout.txid.0, input.prevout.index))
            .unwrap_or_else(|| panic!("no prevout script for input {index}"));
        verify_input(&entry.tx, index, script_pubkey, 0, entry.flags, 0)
            .map_err(Refusal::Script)?;
    }
    Ok(())
}

/// Runs one entry; `Ok` if it is valid.
fn run(test: &[Value]) -> Result<(), Refusal> {
    let entry = decode(test).ok_or(Refusal::Decode)?;
    check_transaction(&entry.tx).map_err(Refusal::Check)?;
    verify_scripts(&entry)
}

/// The entries of a file (comments are shorter arrays or strings).
fn entries(name: &str) -> Option<Vec<Vec<Value>>> {
    let tests = vectors::daemon_file(name)?;
    Some(
        tests
            .into_iter()
            .filter_map(|t| t.as_array().cloned())
            .filter(|t| t.len() == 3)
            .collect(),
    )
}

#[test]
fn tx_valid() {
    let Some(tests) = entries("tx_valid.json") else {
        return;
    };
    assert!(!tests.is_empty());
    for test in &tests {
        match run(test) {
            Ok(()) => {}
            Err(Refusal::Decode) => panic!("valid entry does not decode: {test:?}"),
            Err(Refusal::Check(error)) => panic!("valid entry refused ({error}): {test:?}"),
            Err(Refusal::Script(error)) => panic!("valid entry's scripts fail ({error}): {test:?}"),
        }
    }
}

#[test]
fn tx_invalid() {
    let Some(tests) = entries("tx_invalid.json") else {
        return;
    };
    assert!(!tests.is_empty());
    let (mut undecodable, mut check, mut check_only, mut script) = (0, 0, 0, 0);
    for test in &tests {
        match run(test) {
            Ok(()) => panic!("invalid entry accepted: {test:?}"),
            Err(Refusal::Decode) => undecodable += 1,
            Err(Refusal::Script(..)) => script += 1,
            Err(Refusal::Check(error)) => {
                check += 1;
                // The entries only the transaction check refuses: their scripts verify.
                let entry = decode(test).expect("decoded once already");
                if verify_scripts(&entry).is_ok() {
                    check_only += 1;
                    eprintln!("only CheckTransaction refuses ({error}): {}", test[1]);
                }
            }
        }
    }
    eprintln!(
        "tx_invalid: {} entries; {undecodable} do not decode, {check} refused by CheckTransaction \
         ({check_only} by it alone), {script} by their scripts",
        tests.len()
    );
}
