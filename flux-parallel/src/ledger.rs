//! The parallel-asset ledger: accrual of reward events, claims, and the conservation invariant.

use std::collections::{BTreeSet, HashMap};

use flux_pow::BlockHeight;
use flux_tx::address::Address;

use crate::accrual::{
    FLUX_FORK_TIME, MAX_EVENT_ZATS, ParallelShare, RewardEvent, Role, Schedule, UnixTime,
    carry_denominator,
};
use crate::chain::Chain;
use crate::claim::{ClaimError, ClaimRecord, ClaimRequest};
use crate::snapshot::{Snapshot, SnapshotEntry};

/// One address's position on one chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Balance {
    accrued: u128,
    claimed: u128,
    carry: u128,
}

impl Balance {
    /// Whole units accrued so far.
    pub fn accrued(&self) -> u128 {
        self.accrued
    }

    /// Units claimed so far; never above [`Balance::accrued`].
    pub fn claimed(&self) -> u128 {
        self.claimed
    }

    /// Units accrued and not yet claimed.
    pub fn unclaimed(&self) -> u128 {
        // `claimed <= accrued` is kept by `Ledger::claim`, the only place `claimed` grows.
        self.accrued - self.claimed
    }

    /// The fraction of a unit carried to the next reward, as a numerator over
    /// [`carry_denominator`] of the chain's decimals.
    pub fn carry(&self) -> u128 {
        self.carry
    }

    fn is_empty(&self) -> bool {
        self.accrued == 0 && self.claimed == 0 && self.carry == 0
    }
}

#[derive(Debug, Clone, Default)]
struct Account {
    balances: [Balance; Chain::COUNT],
    used_nonces: BTreeSet<u64>,
}

/// What a retired chain owes one address, paid by the retirement's snapshot claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetirementClaim {
    /// The Flux address.
    pub address: Address,
    /// The retired chain.
    pub chain: Chain,
    /// The unclaimed balance at retirement, in the chain's smallest units.
    pub amount: u128,
}

/// Per-chain totals the ledger keeps beside the accounts, to check conservation against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ChainTotals {
    /// Σ of every reward's exact entitlement numerator (see [`ParallelShare`]).
    pub entitled_numerator: u128,
    /// Σ accrued whole units.
    pub accrued: u128,
    /// Σ claimed units.
    pub claimed: u128,
}

/// Why a reward event was refused. The ledger is unchanged when an event fails.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AccrualError {
    /// Events must come in non-decreasing height order.
    #[error("reward at height {event} arrives after height {ledger} was applied")]
    OutOfOrder {
        /// The event's height.
        event: BlockHeight,
        /// The ledger's height.
        ledger: BlockHeight,
    },
    /// The FLUX amount is above the maximum supply.
    #[error("reward of {zats} zatoshis exceeds the 440M FLUX maximum supply")]
    AmountTooLarge {
        /// The amount given.
        zats: u64,
    },
    /// A running total would overflow `u128` (not reachable with valid FLUX amounts).
    #[error("{chain} total overflowed")]
    Overflow {
        /// The chain whose total overflowed.
        chain: Chain,
    },
}

/// The conservation invariant was found broken (a bug, never an input error).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("conservation broken on {chain}: {what}")]
#[non_exhaustive]
pub struct ConservationError {
    /// The chain.
    pub chain: Chain,
    /// Which equality failed.
    pub what: &'static str,
}

/// Parallel-asset balances of every Flux address, fed by reward events and drained by claims.
///
/// ```
/// use flux_parallel::{Chain, Ledger, RewardEvent, Role, Schedule, UnixTime};
/// use flux_pow::{BlockHeight, Network};
/// use flux_tx::address::Address;
/// use flux_tx::keys::PrivateKey;
///
/// let key = PrivateKey::from_secret_bytes([1; 32], true).unwrap();
/// let miner = Address::from_public_key(&key.public_key(), Network::Mainnet);
/// let mut ledger = Ledger::new(Schedule::mainnet());
/// ledger.apply(&RewardEvent {
///     height: BlockHeight(1_000_000),
///     time: UnixTime(1_640_995_200),
///     recipient: miner,
///     role: Role::Miner,
///     flux_zats: 3_750_000_000, // 37.5 FLUX
/// })?;
/// // 10 % of 37.5 FLUX on each chain: 3.75 FLUX-ETH, in 8-decimal units.
/// assert_eq!(ledger.balance(&miner, Chain::Ethereum).accrued(), 375_000_000);
/// # Ok::<(), flux_parallel::AccrualError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Ledger {
    schedule: Schedule,
    accounts: HashMap<Address, Account>,
    node_starts: HashMap<Address, UnixTime>,
    height: BlockHeight,
    totals: [ChainTotals; Chain::COUNT],
}

impl Ledger {
    /// An empty ledger at height 0.
    pub fn new(schedule: Schedule) -> Ledger {
        Ledger {
            schedule,
            accounts: HashMap::new(),
            node_starts: HashMap::new(),
            height: BlockHeight::GENESIS,
            totals: [ChainTotals::default(); Chain::COUNT],
        }
    }

    /// The schedule in force.
    pub fn schedule(&self) -> &Schedule {
        &self.schedule
    }

    /// The height of the last event or claim applied (or set by [`Ledger::advance_to`]).
    pub fn height(&self) -> BlockHeight {
        self.height
    }

    /// Records when the node paid to `address` started: its node rewards earn parallel assets
    /// only from the later of this time and [`FLUX_FORK_TIME`].
    pub fn register_node_start(&mut self, address: Address, started: UnixTime) {
        self.node_starts.insert(address, started);
    }

    /// Moves the ledger to `height` without an event (e.g. before a snapshot at a height whose
    /// blocks paid nobody here).
    ///
    /// # Errors
    /// [`AccrualError::OutOfOrder`] if `height` is below the ledger's.
    pub fn advance_to(&mut self, height: BlockHeight) -> Result<(), AccrualError> {
        if height < self.height {
            return Err(AccrualError::OutOfOrder {
                event: height,
                ledger: self.height,
            });
        }
        self.height = height;
        Ok(())
    }

    /// The time from which a reward to `recipient` in `role` counts on a chain accruing from
    /// `chain_start`: the latest of the fork, the chain's start and (nodes only) the node's start.
    fn accrual_start(&self, recipient: &Address, role: Role, chain_start: UnixTime) -> UnixTime {
        let mut start = FLUX_FORK_TIME.max(chain_start);
        if let (Role::Node(_), Some(&node_start)) = (role, self.node_starts.get(recipient)) {
            start = start.max(node_start);
        }
        start
    }

    /// Credits one reward event to its recipient on every chain of the schedule it counts for.
    ///
    /// # Errors
    /// [`AccrualError`]; nothing is changed then.
    pub fn apply(&mut self, event: &RewardEvent) -> Result<(), AccrualError> {
        if event.height < self.height {
            return Err(AccrualError::OutOfOrder {
                event: event.height,
                ledger: self.height,
            });
        }
        if event.flux_zats > MAX_EVENT_ZATS {
            return Err(AccrualError::AmountTooLarge {
                zats: event.flux_zats,
            });
        }
        let share_ppm = self.schedule.share_ppm(event.role);
        let current = self
            .accounts
            .get(&event.recipient)
            .map(|account| account.balances)
            .unwrap_or_default();
        let mut balances = current;
        let mut totals = self.totals;
        for rule in self.schedule.rules() {
            let chain = rule.chain;
            if event.time < self.accrual_start(&event.recipient, event.role, rule.accrues_from)
                || rule.is_retired_at(event.time)
            {
                continue;
            }
            let overflow = AccrualError::Overflow { chain };
            let decimals = chain.decimals();
            let share =
                ParallelShare::of(event.flux_zats, share_ppm, decimals).ok_or(overflow.clone())?;
            let denominator = carry_denominator(decimals);
            let balance = &mut balances[chain.index()];
            let carry = balance
                .carry
                .checked_add(share.numerator)
                .ok_or(overflow.clone())?;
            let whole = carry / denominator;
            balance.carry = carry % denominator;
            balance.accrued = balance.accrued.checked_add(whole).ok_or(overflow.clone())?;
            let total = &mut totals[chain.index()];
            total.entitled_numerator = total
                .entitled_numerator
                .checked_add(share.numerator)
                .ok_or(overflow.clone())?;
            total.accrued = total.accrued.checked_add(whole).ok_or(overflow)?;
        }
        self.totals = totals;
        self.height = event.height;
        if balances != current {
            self.accounts.entry(event.recipient).or_default().balances = balances;
        }
        Ok(())
    }

    /// Applies events in order, stopping at the first error (earlier ones stay applied).
    ///
    /// # Errors
    /// The first event's [`AccrualError`], with its index.
    pub fn apply_all<'a>(
        &mut self,
        events: impl IntoIterator<Item = &'a RewardEvent>,
    ) -> Result<(), (usize, AccrualError)> {
        for (index, event) in events.into_iter().enumerate() {
            self.apply(event).map_err(|error| (index, error))?;
        }
        Ok(())
    }

    /// The balance of `address` on `chain` (zero when it never earned anything).
    pub fn balance(&self, address: &Address, chain: Chain) -> Balance {
        self.accounts
            .get(address)
            .map(|account| account.balances[chain.index()])
            .unwrap_or_default()
    }

    /// Per-chain totals.
    pub fn totals(&self, chain: Chain) -> ChainTotals {
        self.totals[chain.index()]
    }

    /// The number of addresses holding any balance, claim or carry.
    pub fn address_count(&self) -> usize {
        self.accounts.len()
    }

    /// Accepts a signed claim at `height`: checks, in this order, that the destination is on the
    /// claimed chain, the chain is claimable, the amount is not zero, the height does not go
    /// back, the signature proves ownership of the Flux address, the nonce is new for the address
    /// and the amount is at most the unclaimed balance; then debits the balance and returns the
    /// record for the distributor.
    ///
    /// # Errors
    /// The first [`ClaimError`] found; the ledger is unchanged then.
    pub fn claim(
        &mut self,
        request: &ClaimRequest,
        signature_base64: &str,
        height: BlockHeight,
    ) -> Result<ClaimRecord, ClaimError> {
        let chain = request.chain;
        if request.destination.chain() != chain {
            return Err(ClaimError::DestinationChainMismatch {
                chain,
                destination: request.destination.chain(),
            });
        }
        if self.has_retired(chain) {
            return Err(ClaimError::ChainRetired { chain });
        }
        if !self.schedule.rule(chain).is_some_and(|rule| rule.claimable) {
            return Err(ClaimError::NotClaimable { chain });
        }
        if request.amount == 0 {
            return Err(ClaimError::ZeroAmount);
        }
        if height < self.height {
            return Err(ClaimError::HeightBehindLedger {
                claim: height,
                ledger: self.height,
            });
        }
        let signature = request.verify(signature_base64)?;
        let Some(account) = self.accounts.get_mut(&request.flux_address) else {
            return Err(ClaimError::InsufficientBalance {
                chain,
                available: 0,
                requested: request.amount,
            });
        };
        if account.used_nonces.contains(&request.nonce) {
            return Err(ClaimError::NonceAlreadyUsed {
                flux_address: request.flux_address.to_string(),
                nonce: request.nonce,
            });
        }
        let balance = &mut account.balances[chain.index()];
        if request.amount > balance.unclaimed() {
            return Err(ClaimError::InsufficientBalance {
                chain,
                available: balance.unclaimed(),
                requested: request.amount,
            });
        }
        // Cannot overflow: claimed + amount <= accrued.
        balance.claimed += request.amount;
        account.used_nonces.insert(request.nonce);
        self.totals[chain.index()].claimed += request.amount;
        self.height = height;
        Ok(ClaimRecord::new(request, &signature, height))
    }

    /// Whether the schedule gives `chain` a retirement.
    fn has_retired(&self, chain: Chain) -> bool {
        self.schedule
            .rule(chain)
            .is_some_and(|rule| rule.retired_at.is_some())
    }

    /// The snapshot claims of a retired chain: every address with an unclaimed balance on it and
    /// that balance, sorted by address text (what the retirement's holder snapshot pays out).
    /// Empty for a chain that has not retired or holds nothing unclaimed.
    pub fn retirement_claims(&self, chain: Chain) -> Vec<RetirementClaim> {
        if !self.has_retired(chain) {
            return Vec::new();
        }
        let mut claims: Vec<RetirementClaim> = self
            .accounts
            .iter()
            .filter_map(|(address, account)| {
                let unclaimed = account.balances[chain.index()].unclaimed();
                (unclaimed > 0).then_some(RetirementClaim {
                    address: *address,
                    chain,
                    amount: unclaimed,
                })
            })
            .collect();
        claims.sort_by_key(|claim| claim.address.to_string());
        claims
    }

    /// Records the snapshot claims of a retired chain as paid at `height`: each unclaimed
    /// balance becomes claimed (conservation still holds), and the claims are returned.
    ///
    /// # Errors
    /// [`ClaimError::NotClaimable`] when the chain has not retired,
    /// [`ClaimError::HeightBehindLedger`] when `height` goes back.
    pub fn settle_retirement(
        &mut self,
        chain: Chain,
        height: BlockHeight,
    ) -> Result<Vec<RetirementClaim>, ClaimError> {
        if !self.has_retired(chain) {
            return Err(ClaimError::NotClaimable { chain });
        }
        if height < self.height {
            return Err(ClaimError::HeightBehindLedger {
                claim: height,
                ledger: self.height,
            });
        }
        let claims = self.retirement_claims(chain);
        for claim in &claims {
            if let Some(account) = self.accounts.get_mut(&claim.address) {
                let balance = &mut account.balances[chain.index()];
                // The claim is exactly the unclaimed balance: claimed reaches accrued.
                balance.claimed = balance.accrued;
                self.totals[chain.index()].claimed += claim.amount;
            }
        }
        self.height = height;
        Ok(claims)
    }

    /// Checks, for every chain: Σ accrued == Σ claimed + Σ unclaimed over the accounts, each
    /// account's claims within its accrual, the accounts' sums equal to the running totals, and
    /// Σ accrued × denominator + Σ carry == Σ exact entitlements (nothing created or lost by
    /// rounding).
    ///
    /// # Errors
    /// The first broken equality.
    pub fn check_conservation(&self) -> Result<(), ConservationError> {
        for chain in Chain::ALL {
            let fail = |what| ConservationError { chain, what };
            let (mut accrued, mut claimed, mut unclaimed, mut carry) = (0u128, 0u128, 0u128, 0u128);
            for account in self.accounts.values() {
                let balance = account.balances[chain.index()];
                if balance.claimed > balance.accrued {
                    return Err(fail("an account claimed more than it accrued"));
                }
                accrued = accrued
                    .checked_add(balance.accrued)
                    .ok_or(fail("overflow"))?;
                claimed = claimed
                    .checked_add(balance.claimed)
                    .ok_or(fail("overflow"))?;
                unclaimed = unclaimed
                    .checked_add(balance.unclaimed())
                    .ok_or(fail("overflow"))?;
                carry = carry.checked_add(balance.carry).ok_or(fail("overflow"))?;
            }
            let totals = self.totals[chain.index()];
            if accrued != claimed + unclaimed {
                return Err(fail("accrued != claimed + unclaimed"));
            }
            if accrued != totals.accrued || claimed != totals.claimed {
                return Err(fail("account sums differ from the running totals"));
            }
            let rebuilt = accrued
                .checked_mul(carry_denominator(chain.decimals()))
                .and_then(|units| units.checked_add(carry))
                .ok_or(fail("overflow"))?;
            if rebuilt != totals.entitled_numerator {
                return Err(fail("accrued + carry != exact entitlement"));
            }
        }
        Ok(())
    }

    /// The ledger's balances now, as a snapshot at its current height.
    pub fn snapshot(&self) -> Snapshot {
        // Sorting the accounts by address text and emitting each account's chains in canonical
        // order yields the snapshot order directly: one sort of addresses, not of entries.
        let mut accounts: Vec<(String, &Account)> = self
            .accounts
            .iter()
            .map(|(address, account)| (address.to_string(), account))
            .collect();
        accounts.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let mut entries = Vec::with_capacity(accounts.len() * Chain::COUNT);
        for (text, account) in accounts {
            for chain in Chain::ALL {
                let balance = account.balances[chain.index()];
                if !balance.is_empty() {
                    entries.push(SnapshotEntry {
                        address: text.clone(),
                        chain,
                        accrued: balance.accrued,
                        claimed: balance.claimed,
                        carry: balance.carry,
                    });
                }
            }
        }
        Snapshot::from_sorted(self.height, entries)
    }
}
