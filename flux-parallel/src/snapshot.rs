//! Snapshots of the ledger: deterministic, committed to by a SHA-256 hash, exported as CSV or
//! JSON and re-imported with the commitment checked.
//!
//! # Order
//! Entries are sorted by Flux address text (byte order), then by chain in [`Chain::ALL`] order;
//! an entry exists for every (address, chain) with a non-zero accrued, claimed or carry value.
//!
//! # Commitment
//! SHA-256 over this byte encoding (integers little-endian):
//!
//! | field | bytes |
//! |---|---|
//! | the ASCII text `flux-parallel snapshot v1` followed by `\n` | 26 |
//! | height | u32 |
//! | number of entries | u64 |
//! | per entry: address length | u8 |
//! | per entry: address, ASCII | length |
//! | per entry: [`Chain::id`] | u8 |
//! | per entry: accrued, claimed | u128 each |
//! | per entry: carry numerator | u64 |
//!
//! Unclaimed amounts are not encoded: they follow from accrued − claimed. The hash is shown as
//! 64 lowercase hex digits, in byte order.
//!
//! # CSV
//! Three `#` header lines (format, `height: H`, `commitment: HEX`), the column line
//! `address,chain,accrued,claimed,unclaimed,carry`, then one line per entry; amounts are integers
//! in the chain's smallest units, carry is the numerator over
//! [`carry_denominator`].

use core::fmt::Write as _;

use flux_pow::BlockHeight;
use flux_tx::address::Address;
use sha2::{Digest, Sha256};

use crate::accrual::carry_denominator;
use crate::chain::Chain;

/// The format name in the commitment encoding, the CSV header and the JSON `format` field.
pub const SNAPSHOT_FORMAT: &str = "flux-parallel snapshot v1";

/// Longest Flux address text accepted in a snapshot (they are 35 characters).
const MAX_ADDRESS_LEN: usize = 64;

/// The column line of the CSV form.
pub const CSV_COLUMNS: &str = "address,chain,accrued,claimed,unclaimed,carry";

/// One address's position on one chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotEntry {
    /// The Flux address, as text.
    pub address: String,
    /// The chain.
    pub chain: Chain,
    /// Whole units accrued.
    pub accrued: u128,
    /// Units claimed.
    pub claimed: u128,
    /// Carry numerator over [`carry_denominator`] of the chain's decimals.
    pub carry: u128,
}

impl SnapshotEntry {
    /// Accrued and not claimed.
    pub fn unclaimed(&self) -> u128 {
        self.accrued.saturating_sub(self.claimed)
    }
}

/// One chain's sums over a snapshot's entries ([`Snapshot::totals`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SnapshotTotals {
    /// Σ whole units accrued.
    pub accrued: u128,
    /// Σ units claimed.
    pub claimed: u128,
    /// Σ accrued and not claimed.
    pub unclaimed: u128,
}

/// The ledger at a height.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    height: BlockHeight,
    entries: Vec<SnapshotEntry>,
}

/// Why a snapshot could not be built or imported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SnapshotError {
    /// A required header line or field is missing.
    #[error("missing {0}")]
    Missing(&'static str),
    /// The format line names another format or version.
    #[error("unsupported format {0:?}: expected {SNAPSHOT_FORMAT:?}")]
    UnsupportedFormat(String),
    /// A line is malformed.
    #[error("line {line}: {reason}")]
    BadLine {
        /// 1-based line number (0 for JSON entries, whose index is in `reason`).
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// Entry `index` is not strictly after the one before it (unsorted or duplicate).
    #[error("entry {index} is out of order or duplicated (sort by address, then chain)")]
    NotSorted {
        /// 0-based entry index.
        index: usize,
    },
    /// An entry claims more than it accrued.
    #[error("entry {index}: claimed exceeds accrued")]
    ClaimedAboveAccrued {
        /// 0-based entry index.
        index: usize,
    },
    /// The stated unclaimed value is not accrued − claimed.
    #[error("entry {index}: unclaimed is not accrued - claimed")]
    UnclaimedMismatch {
        /// 0-based entry index.
        index: usize,
    },
    /// A carry at or above its chain's denominator.
    #[error("entry {index}: carry is not below the chain's denominator")]
    CarryOutOfRange {
        /// 0-based entry index.
        index: usize,
    },
    /// An address that is not a Flux transparent address in its canonical text.
    #[error("entry {index}: invalid Flux address {address:?}")]
    BadAddress {
        /// 0-based entry index.
        index: usize,
        /// The text found.
        address: String,
    },
    /// An entry with nothing in it (the exporter never writes those).
    #[error("entry {index} is all zero")]
    EmptyEntry {
        /// 0-based entry index.
        index: usize,
    },
    /// The stated commitment is not the hash of the contents: edited or corrupted.
    #[error("commitment mismatch: file states {stated}, contents hash to {computed}")]
    CommitmentMismatch {
        /// The commitment in the file.
        stated: String,
        /// The commitment of the entries read.
        computed: String,
    },
    /// The JSON is not a snapshot.
    #[error("invalid snapshot JSON: {0}")]
    Json(String),
}

fn sort_key(entry: &SnapshotEntry) -> (&str, Chain) {
    (entry.address.as_str(), entry.chain)
}

impl Snapshot {
    /// For the ledger, whose entries come out sorted and valid by construction.
    pub(crate) fn from_sorted(height: BlockHeight, entries: Vec<SnapshotEntry>) -> Snapshot {
        debug_assert!(
            entries
                .windows(2)
                .all(|pair| sort_key(&pair[0]) < sort_key(&pair[1]))
        );
        Snapshot { height, entries }
    }

    /// A snapshot from entries that must already be sorted, unique and consistent (as an
    /// importer reads them).
    ///
    /// # Errors
    /// [`SnapshotError`] naming the first bad entry.
    pub fn new(
        height: BlockHeight,
        entries: Vec<SnapshotEntry>,
    ) -> Result<Snapshot, SnapshotError> {
        for (index, entry) in entries.iter().enumerate() {
            if index > 0 && sort_key(&entries[index - 1]) >= sort_key(entry) {
                return Err(SnapshotError::NotSorted { index });
            }
            // Entries of one address are adjacent: decode each address once.
            let same_as_previous = index > 0 && entries[index - 1].address == entry.address;
            let canonical = same_as_previous
                || (entry.address.len() <= MAX_ADDRESS_LEN
                    && Address::parse_any(&entry.address)
                        .is_ok_and(|address| address.to_string() == entry.address));
            if !canonical {
                return Err(SnapshotError::BadAddress {
                    index,
                    address: entry.address.clone(),
                });
            }
            if entry.claimed > entry.accrued {
                return Err(SnapshotError::ClaimedAboveAccrued { index });
            }
            if entry.carry >= carry_denominator(entry.chain.decimals()) {
                return Err(SnapshotError::CarryOutOfRange { index });
            }
            if entry.accrued == 0 && entry.claimed == 0 && entry.carry == 0 {
                return Err(SnapshotError::EmptyEntry { index });
            }
        }
        Ok(Snapshot { height, entries })
    }

    /// The height of the snapshot.
    pub fn height(&self) -> BlockHeight {
        self.height
    }

    /// The entries, in canonical order.
    pub fn entries(&self) -> &[SnapshotEntry] {
        &self.entries
    }

    /// Σ accrued, Σ claimed and Σ unclaimed of one chain (each saturating at `u128::MAX`, which
    /// no ledger reaches: a chain's whole supply fits in far fewer bits).
    pub fn totals(&self, chain: Chain) -> SnapshotTotals {
        self.entries
            .iter()
            .filter(|entry| entry.chain == chain)
            .fold(SnapshotTotals::default(), |sum, entry| SnapshotTotals {
                accrued: sum.accrued.saturating_add(entry.accrued),
                claimed: sum.claimed.saturating_add(entry.claimed),
                unclaimed: sum.unclaimed.saturating_add(entry.unclaimed()),
            })
    }

    /// The canonical byte encoding the commitment hashes (see the module docs).
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(40 + self.entries.len() * 80);
        self.encode(|bytes| out.extend_from_slice(bytes));
        out
    }

    /// Feeds the canonical encoding to `sink` piece by piece.
    fn encode(&self, mut sink: impl FnMut(&[u8])) {
        sink(SNAPSHOT_FORMAT.as_bytes());
        sink(b"\n");
        sink(&self.height.get().to_le_bytes());
        sink(&(self.entries.len() as u64).to_le_bytes());
        let mut record = Vec::with_capacity(MAX_ADDRESS_LEN + 42);
        for entry in &self.entries {
            record.clear();
            // Addresses are at most MAX_ADDRESS_LEN bytes (checked on import; the ledger's are
            // 35) and carries are below 10^14, so both casts are lossless.
            record.push(entry.address.len() as u8);
            record.extend_from_slice(entry.address.as_bytes());
            record.push(entry.chain.id());
            record.extend_from_slice(&entry.accrued.to_le_bytes());
            record.extend_from_slice(&entry.claimed.to_le_bytes());
            record.extend_from_slice(&(entry.carry as u64).to_le_bytes());
            sink(&record);
        }
    }

    /// SHA-256 of [`Snapshot::canonical_bytes`], hashed as it is encoded.
    pub fn commitment(&self) -> [u8; 32] {
        let mut hasher = Sha256::new();
        self.encode(|bytes| hasher.update(bytes));
        hasher.finalize().into()
    }

    /// The commitment as 64 lowercase hex digits.
    pub fn commitment_hex(&self) -> String {
        hex::encode(self.commitment())
    }

    /// The CSV form (see the module docs).
    pub fn to_csv(&self) -> String {
        let mut out = String::with_capacity(200 + self.entries.len() * 80);
        // Writing to a String cannot fail.
        let _ = writeln!(out, "# {SNAPSHOT_FORMAT}");
        let _ = writeln!(out, "# height: {}", self.height);
        let _ = writeln!(out, "# commitment: {}", self.commitment_hex());
        let _ = writeln!(out, "{CSV_COLUMNS}");
        for entry in &self.entries {
            let _ = writeln!(
                out,
                "{},{},{},{},{},{}",
                entry.address,
                entry.chain.name(),
                entry.accrued,
                entry.claimed,
                entry.unclaimed(),
                entry.carry
            );
        }
        out
    }

    /// Reads the CSV form and checks its commitment.
    ///
    /// # Errors
    /// [`SnapshotError`]: malformed lines, inconsistent entries or a commitment mismatch.
    pub fn from_csv(text: &str) -> Result<Snapshot, SnapshotError> {
        let mut lines = text.lines().enumerate().map(|(i, line)| (i + 1, line));
        let mut header = |label: &'static str| -> Result<(usize, String), SnapshotError> {
            let (number, line) = lines.next().ok_or(SnapshotError::Missing(label))?;
            let value = line
                .strip_prefix("# ")
                .ok_or(SnapshotError::Missing(label))?;
            Ok((number, value.to_owned()))
        };
        let (_, format) = header("format line")?;
        if format != SNAPSHOT_FORMAT {
            return Err(SnapshotError::UnsupportedFormat(format));
        }
        let (number, height) = header("height line")?;
        let height = height
            .strip_prefix("height: ")
            .and_then(|h| h.parse::<u32>().ok())
            .ok_or_else(|| bad_line(number, "expected `# height: <u32>`"))?;
        let (number, commitment) = header("commitment line")?;
        let stated = commitment
            .strip_prefix("commitment: ")
            .ok_or_else(|| bad_line(number, "expected `# commitment: <hex>`"))?
            .to_owned();
        match lines.next() {
            Some((_, columns)) if columns == CSV_COLUMNS => {}
            Some((number, _)) => return Err(bad_line(number, "expected the column line")),
            None => return Err(SnapshotError::Missing("column line")),
        }
        let mut rows = Vec::new();
        for (number, line) in lines {
            if line.is_empty() {
                continue;
            }
            rows.push(parse_row(number, line)?);
        }
        Snapshot::verified(BlockHeight(height), rows, &stated)
    }

    /// Builds from rows that carry a stated unclaimed value, checking them and the commitment.
    fn verified(
        height: BlockHeight,
        rows: Vec<(SnapshotEntry, u128)>,
        stated: &str,
    ) -> Result<Snapshot, SnapshotError> {
        let mut entries = Vec::with_capacity(rows.len());
        for (index, (entry, unclaimed)) in rows.into_iter().enumerate() {
            if entry.accrued.checked_sub(entry.claimed) != Some(unclaimed)
                && entry.claimed <= entry.accrued
            {
                return Err(SnapshotError::UnclaimedMismatch { index });
            }
            entries.push(entry);
        }
        let snapshot = Snapshot::new(height, entries)?;
        let computed = snapshot.commitment_hex();
        if computed != stated {
            return Err(SnapshotError::CommitmentMismatch {
                stated: stated.to_owned(),
                computed,
            });
        }
        Ok(snapshot)
    }

    /// The JSON form: `{"format", "height", "commitment", "totals": [{"chain", "accrued",
    /// "claimed", "unclaimed"}], "entries": [{"address", "chain", "accrued", "claimed",
    /// "unclaimed", "carry"}]}`, amounts as decimal strings (they exceed JSON's safe integers).
    #[cfg(feature = "serde")]
    pub fn to_json(&self) -> String {
        let view = json::SnapshotView::from(self);
        // Serializing plain strings and integers cannot fail.
        serde_json::to_string_pretty(&view).unwrap_or_default()
    }

    /// Reads the JSON form and checks its commitment (and its totals, when present).
    ///
    /// # Errors
    /// [`SnapshotError`].
    #[cfg(feature = "serde")]
    pub fn from_json(text: &str) -> Result<Snapshot, SnapshotError> {
        let view: json::SnapshotView =
            serde_json::from_str(text).map_err(|error| SnapshotError::Json(error.to_string()))?;
        view.into_snapshot()
    }
}

fn bad_line(line: usize, reason: &str) -> SnapshotError {
    SnapshotError::BadLine {
        line,
        reason: reason.to_owned(),
    }
}

fn parse_amount(line: usize, field: &str, text: &str) -> Result<u128, SnapshotError> {
    // `u128::from_str` accepts a leading `+`; canonical files never have one.
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad_line(line, &format!("{field} is not a decimal integer")));
    }
    text.parse()
        .map_err(|_| bad_line(line, &format!("{field} does not fit in 128 bits")))
}

fn parse_row(number: usize, line: &str) -> Result<(SnapshotEntry, u128), SnapshotError> {
    let fields: Vec<&str> = line.split(',').collect();
    let [address, chain, accrued, claimed, unclaimed, carry] = fields[..] else {
        return Err(bad_line(number, "expected 6 comma-separated fields"));
    };
    let chain = chain
        .parse::<Chain>()
        .ok()
        .filter(|parsed| parsed.name() == chain)
        .ok_or_else(|| bad_line(number, "unknown chain name"))?;
    Ok((
        SnapshotEntry {
            address: address.to_owned(),
            chain,
            accrued: parse_amount(number, "accrued", accrued)?,
            claimed: parse_amount(number, "claimed", claimed)?,
            carry: parse_amount(number, "carry", carry)?,
        },
        parse_amount(number, "unclaimed", unclaimed)?,
    ))
}

#[cfg(feature = "serde")]
mod json {
    use super::*;

    #[derive(serde::Serialize, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(super) struct SnapshotView {
        format: String,
        height: u32,
        commitment: String,
        #[serde(default)]
        totals: Option<Vec<TotalView>>,
        entries: Vec<EntryView>,
    }

    #[derive(serde::Serialize, serde::Deserialize, PartialEq, Eq)]
    #[serde(deny_unknown_fields)]
    struct TotalView {
        chain: Chain,
        #[serde(with = "crate::u128_string")]
        accrued: u128,
        #[serde(with = "crate::u128_string")]
        claimed: u128,
        #[serde(with = "crate::u128_string")]
        unclaimed: u128,
    }

    #[derive(serde::Serialize, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct EntryView {
        address: String,
        chain: Chain,
        #[serde(with = "crate::u128_string")]
        accrued: u128,
        #[serde(with = "crate::u128_string")]
        claimed: u128,
        #[serde(with = "crate::u128_string")]
        unclaimed: u128,
        #[serde(with = "crate::u128_string")]
        carry: u128,
    }

    fn totals(snapshot: &Snapshot) -> Vec<TotalView> {
        Chain::ALL
            .into_iter()
            .filter(|&chain| snapshot.entries.iter().any(|entry| entry.chain == chain))
            .map(|chain| {
                let SnapshotTotals {
                    accrued,
                    claimed,
                    unclaimed,
                } = snapshot.totals(chain);
                TotalView {
                    chain,
                    accrued,
                    claimed,
                    unclaimed,
                }
            })
            .collect()
    }

    impl From<&Snapshot> for SnapshotView {
        fn from(snapshot: &Snapshot) -> SnapshotView {
            SnapshotView {
                format: SNAPSHOT_FORMAT.to_owned(),
                height: snapshot.height.get(),
                commitment: snapshot.commitment_hex(),
                totals: Some(totals(snapshot)),
                entries: snapshot
                    .entries
                    .iter()
                    .map(|entry| EntryView {
                        address: entry.address.clone(),
                        chain: entry.chain,
                        accrued: entry.accrued,
                        claimed: entry.claimed,
                        unclaimed: entry.unclaimed(),
                        carry: entry.carry,
                    })
                    .collect(),
            }
        }
    }

    impl SnapshotView {
        pub(super) fn into_snapshot(self) -> Result<Snapshot, SnapshotError> {
            if self.format != SNAPSHOT_FORMAT {
                return Err(SnapshotError::UnsupportedFormat(self.format));
            }
            let rows = self
                .entries
                .into_iter()
                .map(|entry| {
                    (
                        SnapshotEntry {
                            address: entry.address,
                            chain: entry.chain,
                            accrued: entry.accrued,
                            claimed: entry.claimed,
                            carry: entry.carry,
                        },
                        entry.unclaimed,
                    )
                })
                .collect();
            let snapshot = Snapshot::verified(BlockHeight(self.height), rows, &self.commitment)?;
            if let Some(stated) = self.totals
                && stated != totals(&snapshot)
            {
                return Err(SnapshotError::Json(
                    "totals do not match the entries".to_owned(),
                ));
            }
            Ok(snapshot)
        }
    }
}
