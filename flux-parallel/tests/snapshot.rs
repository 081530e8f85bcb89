//! Snapshots: canonical order, the documented commitment encoding rebuilt by hand, CSV and JSON
//! round trips, and every way an edited file is caught.

use flux_parallel::{
    Chain, ClaimRequest, Ledger, RewardEvent, Role, Schedule, Snapshot, SnapshotEntry,
    SnapshotError, Tier, UnixTime,
};
use flux_pow::BlockHeight;

mod common;
use common::{address, key, sign_claim};
use sha2::{Digest, Sha256};

fn ledger() -> Ledger {
    ledger_in_order(false)
}

fn ledger_in_order(swap_first_two: bool) -> Ledger {
    let mut ledger = Ledger::new(Schedule::mainnet());
    let time = UnixTime(1_650_000_000);
    let mut events = [
        (10, 1, Role::Miner, 3_750_000_000),
        (10, 2, Role::Node(Tier::Cumulus), 562_500_003),
        (11, 3, Role::Node(Tier::Stratus), 2_250_000_000),
        (12, 1, Role::Miner, 17),
    ];
    if swap_first_two {
        events.swap(0, 1);
    }
    for (height, seed, role, zats) in events {
        ledger
            .apply(&RewardEvent {
                height: BlockHeight(height),
                time,
                recipient: address(seed),
                role,
                flux_zats: zats,
            })
            .unwrap();
    }
    let request = ClaimRequest::new(
        address(3),
        Chain::Bsc,
        "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
        25_000_000,
        1,
    )
    .unwrap();
    ledger
        .claim(&request, &sign_claim(&request, &key(3)), BlockHeight(13))
        .unwrap();
    ledger
}

#[test]
fn entries_are_sorted_by_address_then_chain_and_complete() {
    let snapshot = ledger().snapshot();
    assert_eq!(snapshot.height(), BlockHeight(13));
    // Three addresses on ten chains.
    assert_eq!(snapshot.entries().len(), 30);
    let keys: Vec<(String, Chain)> = snapshot
        .entries()
        .iter()
        .map(|e| (e.address.clone(), e.chain))
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    let totals = snapshot.totals(Chain::Bsc);
    assert_eq!(totals.claimed, 25_000_000);
    assert_eq!(totals.accrued, totals.claimed + totals.unclaimed);
    // The Cumulus payout's 3 extra zatoshis leave 0.3 units carried.
    let cumulus = address(2).to_string();
    let entry = snapshot
        .entries()
        .iter()
        .find(|e| e.address == cumulus && e.chain == Chain::Kadena)
        .unwrap();
    assert_eq!((entry.accrued, entry.carry), (56_250_000, 300_000));
}

#[test]
fn commitment_is_sha256_of_the_documented_encoding() {
    let snapshot = ledger().snapshot();
    // Rebuilt here from the module documentation, independently of `canonical_bytes`.
    let mut bytes = b"flux-parallel snapshot v1\n".to_vec();
    bytes.extend_from_slice(&13u32.to_le_bytes());
    bytes.extend_from_slice(&30u64.to_le_bytes());
    for entry in snapshot.entries() {
        bytes.push(entry.address.len() as u8);
        bytes.extend_from_slice(entry.address.as_bytes());
        bytes.push(Chain::ALL.iter().position(|&c| c == entry.chain).unwrap() as u8 + 1);
        bytes.extend_from_slice(&entry.accrued.to_le_bytes());
        bytes.extend_from_slice(&entry.claimed.to_le_bytes());
        bytes.extend_from_slice(&u64::try_from(entry.carry).unwrap().to_le_bytes());
    }
    assert_eq!(snapshot.canonical_bytes(), bytes);
    assert_eq!(
        snapshot.commitment(),
        <[u8; 32]>::from(Sha256::digest(&bytes))
    );
}

#[test]
fn snapshots_are_deterministic_whatever_the_insertion_order() {
    let a = ledger_in_order(false).snapshot();
    let b = ledger_in_order(true).snapshot();
    assert_eq!(a.to_csv(), b.to_csv());
    assert_eq!(a.to_json(), b.to_json());
}

#[test]
fn csv_and_json_round_trip() {
    let snapshot = ledger().snapshot();
    let csv = snapshot.to_csv();
    assert!(csv.starts_with("# flux-parallel snapshot v1\n# height: 13\n# commitment: "));
    assert_eq!(Snapshot::from_csv(&csv).unwrap(), snapshot);
    let json = snapshot.to_json();
    assert_eq!(Snapshot::from_json(&json).unwrap(), snapshot);
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["commitment"], snapshot.commitment_hex());
    assert!(value["entries"][0]["accrued"].as_str().is_some());
}

#[test]
fn edited_csv_is_rejected() {
    let csv = ledger().snapshot().to_csv();
    let lines: Vec<&str> = csv.lines().collect();
    let first_row = lines[4];
    let fields: Vec<&str> = first_row.split(',').collect();

    // One unit more accrued and unclaimed: consistent, but the commitment no longer matches.
    let accrued: u128 = fields[2].parse::<u128>().unwrap() + 1;
    let unclaimed: u128 = fields[4].parse::<u128>().unwrap() + 1;
    let edited_row = format!(
        "{},{},{accrued},{},{unclaimed},{}",
        fields[0], fields[1], fields[3], fields[5]
    );
    let edited = csv.replacen(first_row, &edited_row, 1);
    assert!(matches!(
        Snapshot::from_csv(&edited),
        Err(SnapshotError::CommitmentMismatch { .. })
    ));

    // Unclaimed not accrued - claimed.
    let inconsistent_row = format!(
        "{},{},{},{},{unclaimed},{}",
        fields[0], fields[1], fields[2], fields[3], fields[5]
    );
    assert!(matches!(
        Snapshot::from_csv(&csv.replacen(first_row, &inconsistent_row, 1)),
        Err(SnapshotError::UnclaimedMismatch { index: 0 })
    ));

    // Rows swapped.
    let swapped = csv
        .replacen(lines[4], "@@", 1)
        .replacen(lines[5], lines[4], 1)
        .replacen("@@", lines[5], 1);
    assert!(matches!(
        Snapshot::from_csv(&swapped),
        Err(SnapshotError::NotSorted { index: 1 })
    ));

    // Other height.
    assert!(matches!(
        Snapshot::from_csv(&csv.replacen("# height: 13", "# height: 14", 1)),
        Err(SnapshotError::CommitmentMismatch { .. })
    ));
    assert!(matches!(
        Snapshot::from_csv(&csv.replacen("snapshot v1", "snapshot v2", 1)),
        Err(SnapshotError::UnsupportedFormat(_))
    ));
    assert!(matches!(
        Snapshot::from_csv(&csv.replacen(",kadena,", ",kda,", 1)),
        Err(SnapshotError::BadLine { line: 5, .. })
    ));
    assert!(matches!(
        Snapshot::from_csv(&csv.replacen(fields[2], &format!("+{}", fields[2]), 1)),
        Err(SnapshotError::BadLine { .. })
    ));
    assert!(matches!(
        Snapshot::from_csv(""),
        Err(SnapshotError::Missing(_))
    ));
}

#[test]
fn entries_must_hold_valid_canonical_data() {
    let good = SnapshotEntry {
        address: address(1).to_string(),
        chain: Chain::Kadena,
        accrued: 10,
        claimed: 0,
        carry: 0,
    };
    assert!(Snapshot::new(BlockHeight(1), vec![good.clone()]).is_ok());
    let cases = [
        (
            SnapshotEntry {
                address: "t1notanaddress".into(),
                ..good.clone()
            },
            "address",
        ),
        (
            SnapshotEntry {
                claimed: 11,
                ..good.clone()
            },
            "claimed",
        ),
        (
            SnapshotEntry {
                carry: 1_000_000,
                ..good.clone()
            },
            "carry",
        ),
        (
            SnapshotEntry {
                accrued: 0,
                ..good.clone()
            },
            "empty",
        ),
    ];
    for (entry, what) in cases {
        let error = Snapshot::new(BlockHeight(1), vec![entry]).unwrap_err();
        let matched = match what {
            "address" => matches!(error, SnapshotError::BadAddress { .. }),
            "claimed" => matches!(error, SnapshotError::ClaimedAboveAccrued { .. }),
            "carry" => matches!(error, SnapshotError::CarryOutOfRange { .. }),
            _ => matches!(error, SnapshotError::EmptyEntry { .. }),
        };
        assert!(matched, "{what}: {error}");
    }
    assert!(matches!(
        Snapshot::new(BlockHeight(1), vec![good.clone(), good]),
        Err(SnapshotError::NotSorted { index: 1 })
    ));
}

#[test]
fn edited_json_is_rejected() {
    let json = ledger().snapshot().to_json();
    let mut value: serde_json::Value = serde_json::from_str(&json).unwrap();
    value["entries"][0]["carry"] = "1".into();
    let edited = serde_json::to_string(&value).unwrap();
    assert!(Snapshot::from_json(&edited).is_err());
    let mut value: serde_json::Value = serde_json::from_str(&json).unwrap();
    value["totals"][0]["accrued"] = "1".into();
    assert!(matches!(
        Snapshot::from_json(&serde_json::to_string(&value).unwrap()),
        Err(SnapshotError::Json(_))
    ));
    assert!(matches!(
        Snapshot::from_json("{}"),
        Err(SnapshotError::Json(_))
    ));
}
