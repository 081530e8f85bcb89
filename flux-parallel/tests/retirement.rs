//! A chain's retirement: FLUX on Ergo ended on 2026-09-21 (00:00 UTC). Rewards from then on
//! accrue on the nine other chains only, Ergo claims are refused, and what Ergo holders had
//! accrued is paid by one snapshot claim, after which every chain still conserves its units.

use flux_parallel::{
    Chain, ClaimError, ERGO_RETIRED_AT, Ledger, RewardEvent, Role, Schedule, Tier, UnixTime,
};
use flux_pow::{BlockHeight, Network};
use flux_tx::address::Address;
use flux_tx::keys::PrivateKey;

fn operator(seed: u8) -> Address {
    let key = PrivateKey::from_secret_bytes([seed; 32], true).unwrap();
    Address::from_public_key(&key.public_key(), Network::Mainnet)
}

fn payout(height: u32, time: u64, seed: u8, zats: u64) -> RewardEvent {
    RewardEvent {
        height: BlockHeight(height),
        time: UnixTime(time),
        recipient: operator(seed),
        role: Role::Node(Tier::Stratus),
        flux_zats: zats,
    }
}

#[test]
fn ergo_ended_on_2026_09_21_utc() {
    // 56 years of 365 days and 14 leap days (1972-2024) to 2026-01-01, then January to August
    // (243 days) and 20 days of September.
    assert_eq!(ERGO_RETIRED_AT.0, (56 * 365 + 14 + 243 + 20) * 86_400);
    let schedule = Schedule::mainnet();
    assert_eq!(
        schedule
            .active_chains(UnixTime(ERGO_RETIRED_AT.0 - 1))
            .len(),
        10
    );
    let after = schedule.active_chains(ERGO_RETIRED_AT);
    assert_eq!(after.len(), 9);
    assert!(!after.contains(&Chain::Ergo));
}

#[test]
fn accrual_stops_and_the_accrued_balance_becomes_a_snapshot_claim() {
    let mut ledger = Ledger::new(Schedule::mainnet());
    // Under PON a Stratus payout is 9 FLUX: 0.9 per active chain.
    let before = ERGO_RETIRED_AT.0 - 30;
    ledger
        .apply(&payout(2_600_000, before, 1, 900_000_000))
        .unwrap();
    ledger
        .apply(&payout(2_600_000, before, 2, 900_000_000))
        .unwrap();
    ledger
        .apply(&payout(2_600_001, ERGO_RETIRED_AT.0, 1, 900_000_000))
        .unwrap();
    // Operator 1: two payouts on the nine chains, one on Ergo.
    assert_eq!(
        ledger.balance(&operator(1), Chain::Ergo).accrued(),
        90_000_000
    );
    assert_eq!(
        ledger.balance(&operator(1), Chain::Base).accrued(),
        180_000_000
    );
    assert_eq!(
        ledger.balance(&operator(2), Chain::Ergo).accrued(),
        90_000_000
    );

    // Ergo cannot be claimed any more, whatever its claimability was.
    let key = PrivateKey::from_secret_bytes([1; 32], true).unwrap();
    let destination =
        flux_parallel::ChainAddress::from_public_key(Chain::Ergo, &key.public_key().to_bytes())
            .unwrap();
    let request =
        flux_parallel::ClaimRequest::new(operator(1), Chain::Ergo, destination.as_str(), 1, 1)
            .unwrap();
    let signature = flux_tx::message::sign_message(
        &key,
        request.message().as_bytes(),
        flux_tx::message::MessageMagic::Flux,
    );
    assert_eq!(
        ledger.claim(&request, &signature.to_base64(), BlockHeight(2_600_002)),
        Err(ClaimError::ChainRetired { chain: Chain::Ergo })
    );

    // The snapshot claim pays each holder its unclaimed Ergo balance, once.
    let claims = ledger.retirement_claims(Chain::Ergo);
    let amounts: Vec<(Address, u128)> = claims.iter().map(|c| (c.address, c.amount)).collect();
    let mut want = vec![(operator(1), 90_000_000), (operator(2), 90_000_000)];
    want.sort_by_key(|(address, _)| address.to_string());
    assert_eq!(amounts, want);
    assert!(ledger.retirement_claims(Chain::Base).is_empty());
    assert_eq!(
        ledger.settle_retirement(Chain::Base, BlockHeight(2_600_003)),
        Err(ClaimError::NotClaimable { chain: Chain::Base })
    );
    let paid = ledger
        .settle_retirement(Chain::Ergo, BlockHeight(2_600_003))
        .unwrap();
    assert_eq!(paid, claims);
    assert!(ledger.retirement_claims(Chain::Ergo).is_empty());
    assert_eq!(ledger.totals(Chain::Ergo).claimed, 180_000_000);
    ledger.check_conservation().unwrap();

    // Snapshots after the retirement: the nine chains still grow, Ergo stays settled.
    ledger
        .apply(&payout(2_600_004, ERGO_RETIRED_AT.0 + 60, 2, 900_000_000))
        .unwrap();
    assert_eq!(ledger.balance(&operator(2), Chain::Ergo).unclaimed(), 0);
    assert_eq!(
        ledger.balance(&operator(2), Chain::Kadena).accrued(),
        180_000_000
    );
    let snapshot = ledger.snapshot();
    let ergo_unclaimed: u128 = snapshot
        .entries()
        .iter()
        .filter(|e| e.chain == Chain::Ergo)
        .map(|e| e.unclaimed())
        .sum();
    assert_eq!(ergo_unclaimed, 0);
    ledger.check_conservation().unwrap();
}
