//! Accrual rules (shares, back-dating, node starts, late chains) and claims (signatures in the
//! daemon's format, partial claims, replays, overdrafts).

use flux_parallel::accrual::ZATS_PER_FLUX;
use flux_parallel::{
    AccrualError, Chain, ChainRule, ClaimError, ClaimRequest, FLUX_FORK_TIME, Ledger, Role,
    Schedule, Tier, UnixTime,
};
use flux_pow::BlockHeight;
use flux_tx::address::Address;
use flux_tx::message::{MessageMagic, sign_message};

mod common;
use common::{address, event, key, sign_claim};

const DAY: u64 = 86_400;
const ETH_DESTINATION: &str = "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359";

const AFTER_FORK: u64 = FLUX_FORK_TIME.0 + 30 * DAY;

#[test]
fn miner_block_of_2022_with_three_chains_is_11_25() {
    let mut schedule = Schedule::empty();
    for chain in [Chain::Kadena, Chain::Ethereum, Chain::Bsc] {
        schedule = schedule.with_chain(ChainRule {
            chain,
            accrues_from: FLUX_FORK_TIME,
            claimable: true,
            retired_at: None,
        });
    }
    let mut ledger = Ledger::new(schedule);
    let miner = address(1);
    ledger
        .apply(&event(1, AFTER_FORK, miner, Role::Miner, 3_750_000_000))
        .unwrap();
    let total: u128 = Chain::ALL
        .iter()
        .map(|&chain| ledger.balance(&miner, chain).accrued())
        .sum();
    assert_eq!(total, 1_125_000_000); // 11.25 FLUX of parallel assets
}

#[test]
fn node_tiers_of_2022_earn_their_reward_again_over_ten_chains() {
    let mut ledger = Ledger::new(Schedule::mainnet());
    for (seed, tier, zats) in [
        (1, Tier::Cumulus, 562_500_000),
        (2, Tier::Nimbus, 937_500_000),
        (3, Tier::Stratus, 2_250_000_000),
    ] {
        ledger
            .apply(&event(5, AFTER_FORK, address(seed), Role::Node(tier), zats))
            .unwrap();
        let total: u128 = Chain::ALL
            .iter()
            .map(|&chain| ledger.balance(&address(seed), chain).accrued())
            .sum();
        assert_eq!(total, u128::from(zats));
    }
    ledger.check_conservation().unwrap();
}

#[test]
fn rewards_before_the_fork_earn_nothing() {
    let mut ledger = Ledger::new(Schedule::mainnet());
    let miner = address(1);
    ledger
        .apply(&event(
            1,
            FLUX_FORK_TIME.0 - 1,
            miner,
            Role::Miner,
            100 * ZATS_PER_FLUX,
        ))
        .unwrap();
    assert_eq!(ledger.balance(&miner, Chain::Kadena).accrued(), 0);
    ledger
        .apply(&event(
            2,
            FLUX_FORK_TIME.0,
            miner,
            Role::Miner,
            100 * ZATS_PER_FLUX,
        ))
        .unwrap();
    assert_eq!(
        ledger.balance(&miner, Chain::Kadena).accrued(),
        u128::from(10 * ZATS_PER_FLUX)
    );
}

#[test]
fn node_rewards_count_from_the_later_of_node_start_and_fork() {
    let mut ledger = Ledger::new(Schedule::mainnet());
    let early = address(1); // started before the fork: back-dated to the fork
    let late = address(2); // started after: counts from its start
    ledger.register_node_start(early, UnixTime(FLUX_FORK_TIME.0 - 100 * DAY));
    ledger.register_node_start(late, UnixTime(AFTER_FORK + DAY));
    let cumulus = Role::Node(Tier::Cumulus);
    for (height, time) in [
        (1, FLUX_FORK_TIME.0 - DAY),
        (2, AFTER_FORK),
        (3, AFTER_FORK + 2 * DAY),
    ] {
        ledger
            .apply(&event(height, time, early, cumulus, ZATS_PER_FLUX))
            .unwrap();
        ledger
            .apply(&event(height, time, late, cumulus, ZATS_PER_FLUX))
            .unwrap();
    }
    let tenth = u128::from(ZATS_PER_FLUX / 10);
    assert_eq!(ledger.balance(&early, Chain::Tron).accrued(), 2 * tenth);
    assert_eq!(ledger.balance(&late, Chain::Tron).accrued(), tenth);
    // The node start does not apply to the same address's mining rewards.
    ledger
        .apply(&event(4, AFTER_FORK, late, Role::Miner, ZATS_PER_FLUX))
        .unwrap();
    assert_eq!(ledger.balance(&late, Chain::Tron).accrued(), 2 * tenth);
}

#[test]
fn a_chain_added_later_accrues_from_its_own_start() {
    let base_start = UnixTime(AFTER_FORK + 10 * DAY);
    let schedule = Schedule::mainnet().with_chain(ChainRule {
        chain: Chain::Base,
        accrues_from: base_start,
        claimable: true,
        retired_at: None,
    });
    let mut ledger = Ledger::new(schedule);
    let miner = address(4);
    ledger
        .apply(&event(1, AFTER_FORK, miner, Role::Miner, ZATS_PER_FLUX))
        .unwrap();
    ledger
        .apply(&event(2, base_start.0, miner, Role::Miner, ZATS_PER_FLUX))
        .unwrap();
    let tenth = u128::from(ZATS_PER_FLUX / 10);
    assert_eq!(ledger.balance(&miner, Chain::Ethereum).accrued(), 2 * tenth);
    assert_eq!(ledger.balance(&miner, Chain::Base).accrued(), tenth);
}

#[test]
fn remainders_are_carried_not_lost() {
    let mut ledger = Ledger::new(Schedule::mainnet());
    let miner = address(5);
    // 7 zatoshis pay 0.7 units per chain: ten such rewards make exactly 7 units.
    for height in 0..10 {
        ledger
            .apply(&event(height, AFTER_FORK, miner, Role::Miner, 7))
            .unwrap();
        let balance = ledger.balance(&miner, Chain::Solana);
        let exact_tenths = u128::from(7 * (height + 1));
        assert_eq!(balance.accrued(), exact_tenths / 10);
        assert_eq!(balance.carry(), (exact_tenths % 10) * 100_000);
    }
    ledger.check_conservation().unwrap();
}

#[test]
fn bad_events_are_refused_and_change_nothing() {
    let mut ledger = Ledger::new(Schedule::mainnet());
    let miner = address(6);
    ledger
        .apply(&event(10, AFTER_FORK, miner, Role::Miner, ZATS_PER_FLUX))
        .unwrap();
    let before = ledger.snapshot();
    assert_eq!(
        ledger.apply(&event(9, AFTER_FORK, miner, Role::Miner, 1)),
        Err(AccrualError::OutOfOrder {
            event: BlockHeight(9),
            ledger: BlockHeight(10)
        })
    );
    let too_much = 440_000_000 * ZATS_PER_FLUX + 1;
    assert_eq!(
        ledger.apply(&event(11, AFTER_FORK, miner, Role::Miner, too_much)),
        Err(AccrualError::AmountTooLarge { zats: too_much })
    );
    assert_eq!(ledger.snapshot(), before);
}

fn funded_ledger() -> (Ledger, Address) {
    let mut ledger = Ledger::new(Schedule::mainnet());
    let operator = address(7);
    ledger
        .apply(&event(
            100,
            AFTER_FORK,
            operator,
            Role::Node(Tier::Stratus),
            2_250_000_000,
        ))
        .unwrap();
    (ledger, operator)
}

#[test]
fn partial_claims_then_overdraft_then_replay() {
    let (mut ledger, operator) = funded_ledger();
    let full = 225_000_000; // 2.25 FLUX-ETH
    let first =
        ClaimRequest::new(operator, Chain::Ethereum, ETH_DESTINATION, 100_000_000, 1).unwrap();
    let first_sig = sign_claim(&first, &key(7));
    let record = ledger.claim(&first, &first_sig, BlockHeight(101)).unwrap();
    assert_eq!(record.amount, 100_000_000);
    assert_eq!(record.destination, ETH_DESTINATION);
    assert_eq!(record.height, BlockHeight(101));
    assert_eq!(
        ledger.balance(&operator, Chain::Ethereum).unclaimed(),
        full - 100_000_000
    );

    // Replaying the same signed claim.
    assert!(matches!(
        ledger.claim(&first, &first_sig, BlockHeight(102)),
        Err(ClaimError::NonceAlreadyUsed { nonce: 1, .. })
    ));

    // More than what is left.
    let greedy = ClaimRequest::new(operator, Chain::Ethereum, ETH_DESTINATION, full, 2).unwrap();
    assert_eq!(
        ledger.claim(&greedy, &sign_claim(&greedy, &key(7)), BlockHeight(102)),
        Err(ClaimError::InsufficientBalance {
            chain: Chain::Ethereum,
            available: full - 100_000_000,
            requested: full
        })
    );
    // The refused claim did not burn its nonce: the rest can be claimed with it.
    let rest = ClaimRequest::new(
        operator,
        Chain::Ethereum,
        ETH_DESTINATION,
        full - 100_000_000,
        2,
    )
    .unwrap();
    ledger
        .claim(&rest, &sign_claim(&rest, &key(7)), BlockHeight(102))
        .unwrap();
    assert_eq!(ledger.balance(&operator, Chain::Ethereum).unclaimed(), 0);
    // Other chains are untouched.
    assert_eq!(ledger.balance(&operator, Chain::Kadena).unclaimed(), full);
    ledger.check_conservation().unwrap();
}

#[test]
fn claims_need_the_address_owners_signature_over_this_exact_message() {
    let (mut ledger, operator) = funded_ledger();
    let request = ClaimRequest::new(operator, Chain::Ethereum, ETH_DESTINATION, 5, 1).unwrap();
    // Signed by another key.
    assert!(matches!(
        ledger.claim(&request, &sign_claim(&request, &key(8)), BlockHeight(101)),
        Err(ClaimError::BadSignature(_))
    ));
    // Signed over another amount.
    let other = ClaimRequest::new(operator, Chain::Ethereum, ETH_DESTINATION, 6, 1).unwrap();
    assert!(matches!(
        ledger.claim(&request, &sign_claim(&other, &key(7)), BlockHeight(101)),
        Err(ClaimError::BadSignature(_))
    ));
    // Signed with the bitcoin magic instead of the daemon's.
    let bitcoin = sign_message(&key(7), request.message().as_bytes(), MessageMagic::Bitcoin);
    assert!(matches!(
        ledger.claim(&request, &bitcoin.to_base64(), BlockHeight(101)),
        Err(ClaimError::BadSignature(_))
    ));
    assert!(matches!(
        ledger.claim(&request, "not base64!", BlockHeight(101)),
        Err(ClaimError::BadSignature(_))
    ));
    assert_eq!(ledger.balance(&operator, Chain::Ethereum).claimed(), 0);
}

#[test]
fn claim_rules_in_order() {
    let (mut ledger, operator) = funded_ledger();
    // Planned chains accrue but cannot be claimed under the 2022 schedule.
    let algo_zero = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAY5HFKQ";
    let planned = ClaimRequest::new(operator, Chain::Algorand, algo_zero, 1, 1).unwrap();
    assert_eq!(
        ledger.claim(&planned, &sign_claim(&planned, &key(7)), BlockHeight(101)),
        Err(ClaimError::NotClaimable {
            chain: Chain::Algorand
        })
    );
    assert!(ledger.balance(&operator, Chain::Algorand).accrued() > 0);
    // A destination that is not an address of the chain.
    assert!(matches!(
        ClaimRequest::new(operator, Chain::Tron, ETH_DESTINATION, 1, 1),
        Err(ClaimError::Destination(_))
    ));
    let zero = ClaimRequest::new(operator, Chain::Ethereum, ETH_DESTINATION, 0, 1).unwrap();
    assert_eq!(
        ledger.claim(&zero, &sign_claim(&zero, &key(7)), BlockHeight(101)),
        Err(ClaimError::ZeroAmount)
    );
    let one = ClaimRequest::new(operator, Chain::Ethereum, ETH_DESTINATION, 1, 1).unwrap();
    assert_eq!(
        ledger.claim(&one, &sign_claim(&one, &key(7)), BlockHeight(99)),
        Err(ClaimError::HeightBehindLedger {
            claim: BlockHeight(99),
            ledger: BlockHeight(100)
        })
    );
    // An address that never earned anything.
    let stranger = ClaimRequest::new(address(9), Chain::Ethereum, ETH_DESTINATION, 1, 1).unwrap();
    assert!(matches!(
        ledger.claim(&stranger, &sign_claim(&stranger, &key(9)), BlockHeight(101)),
        Err(ClaimError::InsufficientBalance { available: 0, .. })
    ));
    assert_eq!(ledger.address_count(), 1);
}

#[test]
fn claim_message_text_is_the_documented_one() {
    let operator = address(7);
    let request = ClaimRequest::new(
        operator,
        Chain::Ethereum,
        &ETH_DESTINATION.to_lowercase(),
        123_456_789,
        42,
    )
    .unwrap();
    assert_eq!(
        request.message(),
        format!(
            "Flux parallel asset claim\nversion: 1\nflux address: {operator}\nchain: ethereum\n\
             destination: {ETH_DESTINATION}\namount: 1.23456789 FLUX-ETH\nnonce: 42"
        )
    );
}

#[test]
fn claim_record_json_round_trips_with_string_amounts() {
    let (mut ledger, operator) = funded_ledger();
    let request = ClaimRequest::new(
        operator,
        Chain::Kadena,
        "k:d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        12_345,
        3,
    )
    .unwrap();
    let record = ledger
        .claim(&request, &sign_claim(&request, &key(7)), BlockHeight(100))
        .unwrap();
    let json = serde_json::to_value(&record).unwrap();
    assert_eq!(json["amount"], "12345");
    assert_eq!(json["chain"], "kadena");
    assert_eq!(json["message"], request.message());
    let back: flux_parallel::ClaimRecord = serde_json::from_value(json).unwrap();
    assert_eq!(back, record);
    // The id is the SHA-256 of the signed message.
    use sha2::Digest;
    assert_eq!(
        record.claim_id,
        hex::encode(sha2::Sha256::digest(record.message.as_bytes()))
    );
}
