//! Conservation, as properties: for random reward streams, node starts, schedules and claims,
//! on every chain and after every step, accrued == claimed + unclaimed, no balance is negative,
//! and accrued units plus carried fractions equal the exact entitlements (computed here
//! independently with the rational rule).

#![allow(clippy::print_stdout)]

use std::cell::Cell;
use std::collections::HashMap;

use flux_parallel::accrual::{FLUX_FORK_TIME, PPM};
use flux_parallel::{
    Chain, ChainRule, ClaimError, ClaimRequest, Ledger, RewardEvent, Role, Schedule, Tier,
    UnixTime, carry_denominator,
};
use flux_pow::BlockHeight;
use flux_tx::address::Address;
use flux_tx::keys::PrivateKey;

mod common;
use common::{address_of, key, sign_claim};
use proptest::prelude::*;
use proptest::test_runner::TestRunner;

const ADDRESSES: u8 = 4;
const DESTINATIONS: [(Chain, &str); 3] = [
    (
        Chain::Ethereum,
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
    ),
    (
        Chain::Kadena,
        "k:d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
    ),
    (Chain::Solana, "11111111111111111111111111111111"),
];

#[derive(Debug, Clone)]
enum Step {
    Reward {
        who: u8,
        role: u8,
        zats: u64,
        time_offset: i64,
    },
    Claim {
        who: u8,
        destination: usize,
        fraction_permille: u16,
        extra: u128,
        replay: bool,
    },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (0..ADDRESSES, 0u8..4, prop_oneof![0u64..1_000, 0u64..10_000_000_000], -5_000_000i64..50_000_000)
            .prop_map(|(who, role, zats, time_offset)| Step::Reward { who, role, zats, time_offset }),
        1 => (0..ADDRESSES, 0..DESTINATIONS.len(), 0u16..1_200, 0u128..3, any::<bool>())
            .prop_map(|(who, destination, fraction_permille, extra, replay)| Step::Claim {
                who, destination, fraction_permille, extra, replay,
            }),
    ]
}

fn keys() -> Vec<(PrivateKey, Address)> {
    (1..=ADDRESSES)
        .map(|seed| {
            let key = key(seed);
            let address = address_of(&key);
            (key, address)
        })
        .collect()
}

/// Runs `property` on `cases` inputs drawn from `strategy`, and fails unless more than half of
/// the cases reached the assertion the property exists for (`property` says whether its case
/// did). Prints the share, so a run with `--nocapture` shows it.
fn run_counting<S: Strategy>(
    name: &str,
    cases: u32,
    strategy: S,
    property: impl Fn(S::Value) -> Result<bool, TestCaseError>,
) {
    let (ran, reached) = (Cell::new(0u32), Cell::new(0u32));
    let config = ProptestConfig {
        cases,
        // Failures are saved next to this file, as `proptest!` does.
        source_file: Some(file!()),
        ..ProptestConfig::default()
    };
    let mut runner = TestRunner::new(config);
    let outcome = runner.run(&strategy, |value| {
        ran.set(ran.get() + 1);
        if property(value)? {
            reached.set(reached.get() + 1);
        }
        Ok(())
    });
    if let Err(failure) = outcome {
        panic!("{name}: {failure}");
    }
    let (ran, reached) = (ran.get(), reached.get());
    println!("{name}: {reached} of {ran} cases reached the assertion");
    assert!(
        2 * reached > ran,
        "{name}: only {reached} of {ran} cases reached the assertion"
    );
}

/// Counted as reached: the cases where some reward accrued and some claim was paid, so the
/// claimed side of the books is exercised, not only refusals.
#[test]
fn accrued_equals_claimed_plus_unclaimed_at_every_step() {
    let strategy = (
        proptest::collection::vec(step(), 1..60),
        proptest::collection::vec(
            proptest::option::of(-5_000_000i64..40_000_000),
            ADDRESSES as usize,
        ),
        0u64..40_000_000,
        0u32..=PPM,
        0u32..=PPM,
    );
    run_counting(
        "accrued_equals_claimed_plus_unclaimed_at_every_step",
        96,
        strategy,
        |(steps, node_starts, late_chain_offset, miner_ppm, node_ppm)| {
            let keys = keys();
            let schedule = Schedule::mainnet()
                .with_shares(miner_ppm, node_ppm)
                .with_chain(ChainRule {
                    chain: Chain::Base,
                    accrues_from: UnixTime(FLUX_FORK_TIME.0 + late_chain_offset),
                    claimable: true,
                    retired_at: None,
                });
            let mut ledger = Ledger::new(schedule.clone());
            let mut starts = HashMap::new();
            for (index, start) in node_starts.iter().enumerate() {
                if let Some(offset) = start {
                    let time = UnixTime(FLUX_FORK_TIME.0.saturating_add_signed(*offset));
                    ledger.register_node_start(keys[index].1, time);
                    starts.insert(keys[index].1, time);
                }
            }
            // Independent model: exact entitlement numerators per chain, and claims per chain.
            let mut entitled = [0u128; Chain::COUNT];
            let mut claimed = [0u128; Chain::COUNT];
            let mut used_nonces: HashMap<Address, Vec<u64>> = HashMap::new();
            let mut height = 0u32;
            let mut nonce = 0u64;
            let mut claims_paid = 0u32;
            for step in steps {
                height += 1;
                match step {
                    Step::Reward {
                        who,
                        role,
                        zats,
                        time_offset,
                    } => {
                        let recipient = keys[usize::from(who)].1;
                        // 0 is the miner; 1, 2 and 3 are the daemon's tier numbers.
                        let role = Tier::from_number(role).map_or(Role::Miner, Role::Node);
                        let time = UnixTime(FLUX_FORK_TIME.0.saturating_add_signed(time_offset));
                        ledger
                            .apply(&RewardEvent {
                                height: BlockHeight(height),
                                time,
                                recipient,
                                role,
                                flux_zats: zats,
                            })
                            .unwrap();
                        for rule in schedule.rules() {
                            let mut start = FLUX_FORK_TIME.max(rule.accrues_from);
                            if let (Role::Node(_), Some(&node)) = (role, starts.get(&recipient)) {
                                start = start.max(node);
                            }
                            if time >= start {
                                // Exact: zats × ppm × 10^8 / (10^6 × 10^8) units, as a numerator over 10^6.
                                entitled[rule.chain.index()] +=
                                    u128::from(zats) * u128::from(schedule.share_ppm(role));
                            }
                        }
                    }
                    Step::Claim {
                        who,
                        destination,
                        fraction_permille,
                        extra,
                        replay,
                    } => {
                        let (key, address) = &keys[usize::from(who)];
                        let (chain, text) = DESTINATIONS[destination];
                        let available = ledger.balance(address, chain).unclaimed();
                        let amount = available * u128::from(fraction_permille) / 1000 + extra;
                        let previous = used_nonces.get(address).and_then(|n| n.last().copied());
                        let this_nonce = match (replay, previous) {
                            (true, Some(old)) => old,
                            _ => {
                                nonce += 1;
                                nonce
                            }
                        };
                        let request =
                            ClaimRequest::new(*address, chain, text, amount, this_nonce).unwrap();
                        let result =
                            ledger.claim(&request, &sign_claim(&request, key), BlockHeight(height));
                        let is_replay = used_nonces
                            .get(address)
                            .is_some_and(|n| n.contains(&this_nonce));
                        let taken = result.as_ref().map_or(0, |record| record.amount);
                        match result {
                            Ok(record) => {
                                claims_paid += 1;
                                prop_assert!(!is_replay && amount > 0 && amount <= available);
                                claimed[chain.index()] += record.amount;
                                used_nonces.entry(*address).or_default().push(this_nonce);
                            }
                            Err(ClaimError::ZeroAmount) => prop_assert_eq!(amount, 0),
                            Err(ClaimError::NonceAlreadyUsed { .. }) => prop_assert!(is_replay),
                            Err(ClaimError::InsufficientBalance {
                                available: a,
                                requested,
                                ..
                            }) => {
                                prop_assert_eq!((a, requested), (available, amount));
                                prop_assert!(amount > available);
                            }
                            Err(other) => prop_assert!(false, "unexpected {other}"),
                        }
                        prop_assert_eq!(
                            ledger.balance(address, chain).unclaimed(),
                            available - taken
                        );
                    }
                }
                ledger
                    .check_conservation()
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
                for chain in Chain::ALL {
                    let (mut accrued, mut claims, mut unclaimed, mut carry) =
                        (0u128, 0u128, 0u128, 0u128);
                    for (_, address) in &keys {
                        let balance = ledger.balance(address, chain);
                        prop_assert!(balance.claimed() <= balance.accrued());
                        accrued += balance.accrued();
                        claims += balance.claimed();
                        unclaimed += balance.unclaimed();
                        carry += balance.carry();
                        prop_assert!(balance.carry() < carry_denominator(chain.decimals()));
                    }
                    prop_assert_eq!(accrued, claims + unclaimed);
                    prop_assert_eq!(claims, claimed[chain.index()]);
                    prop_assert_eq!(
                        accrued * carry_denominator(chain.decimals()) + carry,
                        entitled[chain.index()]
                    );
                }
            }
            // The snapshot agrees with the ledger and survives its own export.
            let snapshot = ledger.snapshot();
            for chain in Chain::ALL {
                let totals = snapshot.totals(chain);
                prop_assert_eq!(totals.accrued, ledger.totals(chain).accrued);
                prop_assert_eq!(totals.claimed, claimed[chain.index()]);
            }
            prop_assert_eq!(
                flux_parallel::Snapshot::from_csv(&snapshot.to_csv()).unwrap(),
                snapshot
            );
            Ok(claims_paid > 0
                && Chain::ALL
                    .iter()
                    .any(|&chain| ledger.totals(chain).accrued > 0))
        },
    );
}
