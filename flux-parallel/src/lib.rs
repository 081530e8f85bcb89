//! Parallel assets: FLUX tokens on other chains, for wallets and distributors.
//!
//! Flux pays, besides native FLUX, "parallel assets": FLUX tokens on Kadena, Ethereum, BNB Smart
//! Chain, Tron, Solana, Avalanche (claimable in 2022) and Ergo, Polygon, Algorand and Base (the
//! planned ones that make ten). This crate keeps the books:
//!
//! - [`Chain`]: the ten chains, their token precision (8 decimals everywhere, as Flux's own
//!   holder-snapshot and swap code read them) and 2022 status;
//! - [`ChainAddress`]: parse, validate and derive addresses on each chain (Kadena `k:`, EVM with
//!   EIP-55, Tron, Solana, Ergo, Algorand), with a typed [`AddressError`] per rule;
//! - [`Ledger`]: accrual of [`RewardEvent`]s under a [`Schedule`] (10 % of every FLUX reward per
//!   chain, back-dated to 2021-03-27; exact integer math with carried remainders — see
//!   [`accrual`]), claims signed in the daemon's message format ([`claim`]) and a conservation
//!   check;
//! - retirement: a chain's token can end ([`ChainRule::retired_at`]); FLUX on Ergo ended on
//!   2026-09-21 ([`ERGO_RETIRED_AT`]), so later rewards accrue on nine chains
//!   ([`Schedule::active_chains`]), Ergo claims are refused and its unclaimed balances are paid
//!   by a snapshot claim ([`Ledger::retirement_claims`], [`Ledger::settle_retirement`]);
//! - [`Snapshot`]: the ledger at a height, sorted, with a SHA-256 commitment over a documented
//!   encoding, as CSV or (feature `serde`) JSON, re-importable with the commitment verified.
//!
//! ```
//! use flux_parallel::{Chain, ChainAddress, ClaimRequest, Ledger, RewardEvent, Role, Tier,
//!     Schedule, Snapshot, UnixTime};
//! use flux_pow::{BlockHeight, Network};
//! use flux_tx::address::Address;
//! use flux_tx::keys::PrivateKey;
//! use flux_tx::message::{MessageMagic, sign_message};
//!
//! // A node operator's key and its t1 address.
//! let key = PrivateKey::from_secret_bytes([7; 32], true).unwrap();
//! let operator = Address::from_public_key(&key.public_key(), Network::Mainnet);
//!
//! // Two Stratus payouts of 22.5 FLUX in 2022.
//! let mut ledger = Ledger::new(Schedule::mainnet());
//! for height in [1_000_000, 1_000_001] {
//!     ledger.apply(&RewardEvent {
//!         height: BlockHeight(height),
//!         time: UnixTime(1_650_000_000),
//!         recipient: operator,
//!         role: Role::Node(Tier::Stratus),
//!         flux_zats: 2_250_000_000,
//!     })?;
//! }
//! // 10 % of 45 FLUX: 4.5 FLUX-ETH (8 decimals).
//! assert_eq!(ledger.balance(&operator, Chain::Ethereum).unclaimed(), 450_000_000);
//!
//! // Claim 1.5 FLUX-ETH to an Ethereum address, signed like `fluxd signmessage`.
//! let request = ClaimRequest::new(operator, Chain::Ethereum,
//!     "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", 150_000_000, 1)?;
//! let signature = sign_message(&key, request.message().as_bytes(), MessageMagic::Flux);
//! let record = ledger.claim(&request, &signature.to_base64(), BlockHeight(1_000_002))?;
//! assert_eq!(record.amount, 150_000_000);
//! assert_eq!(ledger.balance(&operator, Chain::Ethereum).unclaimed(), 300_000_000);
//! ledger.check_conservation()?;
//!
//! // Snapshot, export, re-import: the commitment is checked on the way back.
//! let snapshot = ledger.snapshot();
//! assert_eq!(Snapshot::from_csv(&snapshot.to_csv())?, snapshot);
//!
//! // Addresses: derive from a public key or validate text.
//! let tron = ChainAddress::from_public_key(Chain::Tron, &key.public_key().to_bytes())?;
//! assert!(tron.as_str().starts_with('T'));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

// The README's example runs as a doc test as well, so the page crates.io shows cannot go stale.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

pub mod accrual;
pub mod address;
pub mod chain;
pub mod claim;
mod codec;
pub mod ledger;
#[cfg(feature = "serde")]
pub mod rewards_file;
pub mod snapshot;

pub use accrual::{
    ChainRule, ERGO_RETIRED_AT, FLUX_FORK_TIME, ParallelShare, RewardEvent, Role, Schedule, Tier,
    UnixTime, carry_denominator, format_units,
};
pub use address::{AddressError, ChainAddress};
pub use chain::{AddressKind, Chain, ChainStatus, UnknownChainError};
pub use claim::{ClaimError, ClaimRecord, ClaimRequest};
pub use ledger::{AccrualError, Balance, ChainTotals, ConservationError, Ledger, RetirementClaim};
pub use snapshot::{Snapshot, SnapshotEntry, SnapshotError, SnapshotTotals};

/// Serde helper: `u128` amounts as decimal strings, since JSON numbers lose precision past 2^53.
#[cfg(feature = "serde")]
pub(crate) mod u128_string {
    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(value: &u128, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(value)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<u128, D::Error> {
        let text = String::deserialize(deserializer)?;
        if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(serde::de::Error::custom(
                "amount is not a decimal integer string",
            ));
        }
        text.parse().map_err(serde::de::Error::custom)
    }
}
