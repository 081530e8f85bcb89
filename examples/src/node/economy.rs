//! What the reference node runs off each block's rewards: a Titan staking pool whose Stratus node
//! is one of the devnet's fluxnodes, and parallel-asset accrual for every address the block pays.
//!
//! Both are books kept beside the chain, rebuilt from it on start: they read the payouts of each
//! connected block in order and never write to the chain.

use flux_nodes::Tier;
use flux_nodes::titan::{LockTerm, PoolParams, StakeId, StakeRequest, TitanError, TitanPool};
use flux_parallel::{AccrualError, Chain, Ledger, RewardEvent, Role, Schedule, UnixTime};
use flux_pow::BlockHeight;
use flux_tx::address::Address;
use flux_tx::amount::Amount;

/// Who a coinbase output paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayeeRole {
    /// The block's miner.
    Miner,
    /// The fluxnode of a tier whose turn it was.
    Node(Tier),
}

/// One coinbase payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    /// Its recipient.
    pub address: Address,
    /// Miner or node tier.
    pub role: PayeeRole,
    /// The amount.
    pub amount: Amount,
}

/// The payments of one block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockPayments {
    /// The block's height.
    pub height: BlockHeight,
    /// The block's time.
    pub time: u32,
    /// Every coinbase payment to the miner or a node, in output order.
    pub payments: Vec<Payment>,
}

/// Why the books could not take a block.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EconomyError {
    /// The Titan pool rejected a stake or the block.
    #[error("titan pool: {0}")]
    Titan(#[from] TitanError),
    /// Parallel-asset accrual rejected the block.
    #[error("parallel assets: {0}")]
    Parallel(#[from] AccrualError),
}

/// A summary line's numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EconomySummary {
    /// What the Titan pool's node received so far.
    pub titan_received: Amount,
    /// What its stakers earned so far.
    pub titan_to_stakers: Amount,
    /// Operator fees so far.
    pub titan_fees: Amount,
    /// Whether the pool's books balance to the zatoshi.
    pub titan_conserved: bool,
    /// Parallel-asset units accrued on one chain (Kadena), in that chain's smallest unit.
    pub parallel_kadena_accrued: u128,
    /// Addresses with a parallel-asset balance.
    pub parallel_addresses: usize,
}

/// The Titan pool and the parallel-asset ledger of the devnet.
#[derive(Debug)]
pub struct Economy {
    titan: TitanPool,
    titan_node: Address,
    ledger: Ledger,
}

/// The Titan demo stakes: four stakers filling one 40,000 FLUX Stratus node, so that it runs.
const TITAN_STAKES_FLUX: [i64; 4] = [10_000, 10_000, 10_000, 10_000];

impl Economy {
    /// Books for a devnet whose Titan pool runs the Stratus node paid at `titan_node`, with stakes
    /// locked from `start`.
    ///
    /// # Errors
    /// [`EconomyError::Titan`] if the demo stakes do not fit the pool's rules.
    pub fn new(titan_node: Address, start: BlockHeight) -> Result<Economy, EconomyError> {
        let flux = |n: i64| Amount::from_flux(n).unwrap_or(Amount::ZERO);
        let terms = vec![
            LockTerm::new("1k", 1_000, 780, flux(100_000)),
            LockTerm::new("10k", 10_000, 1_200, flux(100_000)),
        ];
        let mut titan = TitanPool::new(PoolParams::titan(), terms)?;
        for (id, stake) in TITAN_STAKES_FLUX.iter().enumerate() {
            let term = if id % 2 == 0 { "1k" } else { "10k" };
            titan.add_stake(
                StakeRequest::new(StakeId(id as u64), flux(*stake), term, start)
                    .with_auto_reinvest(id == 0),
            )?;
        }
        Ok(Economy {
            titan,
            titan_node,
            ledger: Ledger::new(Schedule::mainnet()),
        })
    }

    /// Records that the node paid at `address` started at `time` (its parallel assets accrue from
    /// then).
    pub fn register_node_start(&mut self, address: Address, time: u32) {
        self.ledger
            .register_node_start(address, UnixTime(u64::from(time)));
    }

    /// Takes one block's payments.
    ///
    /// # Errors
    /// [`EconomyError`] when a book rejects the block (out of order, overflow); the parallel
    /// ledger is then left as before this block.
    pub fn apply_block(&mut self, block: &BlockPayments) -> Result<(), EconomyError> {
        let to_pool = block
            .payments
            .iter()
            .filter(|payment| {
                payment.address == self.titan_node && payment.role == PayeeRole::Node(Tier::Stratus)
            })
            .try_fold(Amount::ZERO, |sum, payment| sum.checked_add(payment.amount))
            .unwrap_or(Amount::ZERO);
        let events: Vec<RewardEvent> = block
            .payments
            .iter()
            .map(|payment| RewardEvent {
                height: block.height,
                time: UnixTime(u64::from(block.time)),
                recipient: payment.address,
                role: match payment.role {
                    PayeeRole::Miner => Role::Miner,
                    PayeeRole::Node(tier) => Role::Node(tier),
                },
                flux_zats: payment.amount.zat().unsigned_abs(),
            })
            .collect();
        let mut ledger = self.ledger.clone();
        ledger
            .apply_all(&events)
            .map_err(|(_, error)| EconomyError::Parallel(error))?;
        ledger.advance_to(block.height)?;
        self.titan.accrue_block(block.height, to_pool)?;
        self.ledger = ledger;
        Ok(())
    }

    /// The pool.
    pub fn titan(&self) -> &TitanPool {
        &self.titan
    }

    /// The parallel-asset ledger.
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// The numbers of the live summary.
    pub fn summary(&self) -> EconomySummary {
        let totals = self.titan.totals();
        EconomySummary {
            titan_received: totals.received,
            titan_to_stakers: totals.to_stakers,
            titan_fees: totals.operator_fees,
            titan_conserved: totals.is_conserved(),
            parallel_kadena_accrued: self.ledger.totals(Chain::Kadena).accrued,
            parallel_addresses: self.ledger.address_count(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flux_pow::Network;
    use flux_tx::keys::PrivateKey;

    fn address(seed: u8) -> Address {
        let key = PrivateKey::from_secret_bytes([seed; 32], true).unwrap();
        Address::from_public_key(&key.public_key(), Network::Devnet)
    }

    #[test]
    fn pool_and_ledger_follow_the_payments() {
        let titan_node = address(7);
        let miner = address(1);
        let mut economy = Economy::new(titan_node, BlockHeight(10)).unwrap();
        let time = 1_790_000_000;
        for height in 10..40 {
            let mut payments = vec![Payment {
                address: miner,
                role: PayeeRole::Miner,
                amount: Amount::from_flux(7).unwrap(),
            }];
            // Every third block it is the Titan node's turn.
            if height % 3 == 0 {
                payments.push(Payment {
                    address: titan_node,
                    role: PayeeRole::Node(Tier::Stratus),
                    amount: Amount::from_zat(4_200_000_000).unwrap(),
                });
            }
            economy
                .apply_block(&BlockPayments {
                    height: BlockHeight(height),
                    time: time + height * 30,
                    payments,
                })
                .unwrap();
        }
        let summary = economy.summary();
        // Blocks 12, 15, ..., 39: ten payments of 42 FLUX.
        assert_eq!(summary.titan_received, Amount::from_flux(420).unwrap());
        assert!(summary.titan_conserved);
        assert_eq!(summary.titan_fees, Amount::from_flux(42).unwrap());
        assert_eq!(summary.parallel_addresses, 2);
        // 10 % of everything paid (30 x 7 + 420 FLUX), in Kadena units.
        let decimals = Chain::Kadena.decimals();
        let expected = (30 * 7 + 420) as u128 * 10u128.pow(decimals.into()) / 10;
        assert_eq!(summary.parallel_kadena_accrued, expected);

        // Out of order: rejected, books unchanged.
        let before = economy.summary();
        let stale = BlockPayments {
            height: BlockHeight(5),
            time,
            payments: vec![Payment {
                address: miner,
                role: PayeeRole::Miner,
                amount: Amount::from_flux(7).unwrap(),
            }],
        };
        assert!(matches!(
            economy.apply_block(&stale),
            Err(EconomyError::Parallel(_))
        ));
        assert_eq!(economy.summary(), before);
    }
}
