//! The devnet's three fluxnode operators (one per tier): they fund their collateral from the
//! premine, announce the node with a signed START once the collateral is 100 blocks deep, confirm it with a signed CONFIRM (node key and
//! benchmark key) and re-confirm it before the confirmation expires, all as real transactions the
//! chain validates.
//!
//! Each step reads the chain's fluxnode list, not a private state machine, so a restarted node
//! picks up where the chain is.

use flux_consensus::check::transaction::FLUXNODE_MIN_CONFIRMATIONS;
use flux_nodes::list::{FluxnodeList, NodeStatus};
use flux_nodes::{Tier, TierExt};
use flux_pow::BlockHeight;
use flux_tx::amount::Amount;
use flux_tx::builder::fluxnode::{BenchmarkAttestation, build_confirm, build_start};
use flux_tx::builder::{BuildError, build_p2pkh};
use flux_tx::fluxnode::UpdateType;
use flux_tx::transaction::{OutPoint, Transaction};

use super::wallet::Wallet;
use flux_pow::Network;

/// The fee every operator transaction pays.
pub const FEE_ZAT: i64 = 10_000;

/// The wallet label of the miner (and premine) key.
pub const MINER: &str = "miner";
/// The wallet label of the benchmark key that countersigns CONFIRMs on the devnet.
pub const BENCHMARK: &str = "benchmark";
/// The wallet label of the key behind the devnet's dev fund address
/// ([`flux_consensus::Devnet::DEV_FUND_ADDRESS`]), which every proof-of-node coinbase pays.
pub const DEV_FUND: &str = "dev-fund";

/// One operator's labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operator {
    /// The tier it runs.
    pub tier: Tier,
    /// The label of its collateral key.
    pub collateral_key: &'static str,
    /// The label of its node key.
    pub node_key: &'static str,
    /// The IP its CONFIRMs announce (loopback addresses, one per node).
    pub ip: &'static str,
}

/// The three devnet operators.
pub const OPERATORS: [Operator; 3] = [
    Operator {
        tier: Tier::Cumulus,
        collateral_key: "cumulus-collateral",
        node_key: "cumulus-node",
        ip: "127.0.0.21:16125",
    },
    Operator {
        tier: Tier::Nimbus,
        collateral_key: "nimbus-collateral",
        node_key: "nimbus-node",
        ip: "127.0.0.22:16125",
    },
    Operator {
        tier: Tier::Stratus,
        collateral_key: "stratus-collateral",
        node_key: "stratus-node",
        ip: "127.0.0.23:16125",
    },
];

/// Every wallet label the devnet uses.
pub fn wallet_labels() -> Vec<&'static str> {
    let mut labels = vec![MINER, BENCHMARK, DEV_FUND];
    for operator in OPERATORS {
        labels.push(operator.collateral_key);
        labels.push(operator.node_key);
    }
    labels
}

/// Why an operator could not act.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OperatorError {
    /// A wallet key is missing (the wallet was built without [`wallet_labels`]).
    #[error("the wallet has no key {0}")]
    MissingKey(&'static str),
    /// Funding the collaterals failed.
    #[error("cannot fund the collaterals: {0}")]
    Funding(#[from] BuildError),
}

/// The collateral of `operator`: the wallet output of its collateral key holding exactly the
/// tier's collateral (spent or not in the mempool, the wallet drops it only once mined).
pub fn collateral_of(
    wallet: &Wallet,
    operator: &Operator,
    next_height: BlockHeight,
) -> Option<OutPoint> {
    let amount = Amount::from_flux(operator.tier.v1_collateral_flux())?;
    wallet.spendable_of_amount(operator.collateral_key, next_height, amount)
}

/// What the operators want mined next, given the chain's list after the tip and the wallet.
///
/// `pending` says whether operator transactions are already waiting in the mempool; then nothing
/// new is made, so one step never double-spends the premine or sends two STARTs.
///
/// # Errors
/// [`OperatorError`] when a key is missing or the premine cannot pay the collaterals.
pub fn next_transactions(
    wallet: &Wallet,
    list: &FluxnodeList,
    next_height: BlockHeight,
    now: u32,
    pending: bool,
) -> Result<Vec<Transaction>, OperatorError> {
    if pending {
        return Ok(Vec::new());
    }
    let key = |label: &'static str| wallet.key(label).ok_or(OperatorError::MissingKey(label));
    let mut txs = Vec::new();

    let unfunded: Vec<&Operator> = OPERATORS
        .iter()
        .filter(|operator| {
            collateral_of(wallet, operator, next_height).is_none()
                && wallet.balance(operator.collateral_key) == Amount::ZERO
        })
        .collect();
    if !unfunded.is_empty() {
        let miner = key(MINER)?;
        let funds = wallet.spendable(MINER, next_height);
        let mut payments = Vec::new();
        for operator in &unfunded {
            let address = wallet
                .address(operator.collateral_key)
                .ok_or(OperatorError::MissingKey(operator.collateral_key))?;
            let amount = Amount::from_flux(operator.tier.v1_collateral_flux())
                .ok_or(BuildError::AmountOverflow)?;
            payments.push((address, amount));
        }
        let needed = payments
            .iter()
            .try_fold(Amount::ZERO, |sum, (_, amount)| sum.checked_add(*amount));
        let available = funds
            .iter()
            .try_fold(Amount::ZERO, |sum, utxo| sum.checked_add(utxo.amount));
        // Until the premine matures there is nothing to fund with: wait, not an error.
        if let (Some(needed), Some(available)) = (needed, available)
            && available > needed
        {
            let change = wallet
                .address(MINER)
                .ok_or(OperatorError::MissingKey(MINER))?;
            let fee = Amount::from_zat(FEE_ZAT).ok_or(BuildError::AmountOverflow)?;
            txs.push(build_p2pkh(
                miner,
                &funds,
                &payments,
                fee,
                &change,
                Network::Devnet,
                next_height,
            )?);
        }
        return Ok(txs);
    }

    for operator in &OPERATORS {
        let Some(collateral) = collateral_of(wallet, operator, next_height) else {
            continue;
        };
        let collateral_key = key(operator.collateral_key)?;
        let node_key = key(operator.node_key)?;
        // A START names a collateral at least 100 blocks deep
        // (`FLUXNODE_MIN_CONFIRMATION_DETERMINISTIC`).
        let deep_enough = wallet.output_height(&collateral).is_some_and(|funded| {
            next_height.0.saturating_sub(funded.0) >= FLUXNODE_MIN_CONFIRMATIONS
        });
        match list
            .get(&collateral)
            .map(|node| (node.status, node.last_confirmed_height))
        {
            None if !deep_enough => {}
            None => txs.push(build_start(
                collateral,
                collateral_key,
                &node_key.public_key(),
                now,
            )),
            Some((NodeStatus::Started, _)) => {
                txs.push(confirm(
                    wallet,
                    operator,
                    collateral,
                    UpdateType::InitialConfirm,
                    now,
                )?);
            }
            // As soon as the era's minimum distance allows (40 blocks before proof of node, 500
            // under it), well before the confirmation expires (60, then 640 blocks).
            Some((NodeStatus::Confirmed, Some(_)))
                if list
                    .check_update_confirm(next_height, &collateral, operator.ip)
                    .is_ok() =>
            {
                txs.push(confirm(
                    wallet,
                    operator,
                    collateral,
                    UpdateType::UpdateConfirm,
                    now,
                )?);
            }
            // Confirmed recently, or waiting out DoS protection.
            Some(_) => {}
        }
    }
    Ok(txs)
}

/// The CONFIRM of `operator`'s node, countersigned by the devnet's benchmark key with the tier
/// the operator runs.
fn confirm(
    wallet: &Wallet,
    operator: &Operator,
    collateral: OutPoint,
    update_type: UpdateType,
    now: u32,
) -> Result<Transaction, OperatorError> {
    let node_key = wallet
        .key(operator.node_key)
        .ok_or(OperatorError::MissingKey(operator.node_key))?;
    let benchmark_key = wallet
        .key(BENCHMARK)
        .ok_or(OperatorError::MissingKey(BENCHMARK))?;
    let benchmark = BenchmarkAttestation {
        key: benchmark_key,
        tier: operator.tier,
        sig_time: now,
    };
    Ok(build_confirm(
        collateral,
        node_key,
        update_type,
        now,
        operator.ip,
        &benchmark,
    ))
}
