//! The JSON stakes file that `flux titan simulate --stakes FILE` reads (feature `serde`).
//!
//! One JSON object; unknown fields are errors so that a typo is not silently ignored. Amounts
//! are FLUX, as a string (`"12.5"`, `"1000 FLUX"`, at most 8 decimals) or a whole number
//! (`1000`).
//!
//! ```json
//! {
//!   "network": "mainnet",
//!   "network_stratus_nodes": 1800,
//!   "start_height": 2100000,
//!   "pool": {"operator_fee_bps": 1000, "redeem_fee": "0.1", "early_exit": "forbidden"},
//!   "terms": [
//!     {"name": "3m", "blocks": 259200, "apr_bps": 780, "cap": "400000"}
//!   ],
//!   "stakes": [
//!     {"id": 1, "amount": "10000", "term": "3m", "start_height": 2100000},
//!     {"id": 2, "amount": "50", "term": "3m", "start_height": 2100010, "auto_reinvest": true}
//!   ],
//!   "events": [
//!     {"height": 2100500, "stake": 1, "action": "redeem"}
//!   ]
//! }
//! ```
//!
//! - `network` (optional, default `mainnet`): whose block schedule pays the nodes
//!   ([`tier_payout`](crate::tier_payout) of Stratus); `mainnet`, `testnet`, `regtest` or
//!   `devnet`.
//! - `network_stratus_nodes` (optional, default 1): Stratus nodes on the network; each running
//!   pool node is paid once per that many blocks ([`StratusRotation`]).
//! - `start_height` (optional, default the lowest stake start): the first simulated block.
//! - `pool` (optional): overrides of [`PoolParams::titan`]: `min_stake`, `max_stake`,
//!   `node_collateral`, `redeem_minimum`, `redeem_fee` (amounts), `operator_fee_bps` (integer,
//!   1000 = 10 %), `early_exit` (`forbidden` or `forfeit_rewards`).
//! - `terms`: `name`, `blocks` (lock length), `apr_bps` (780 = 7.8 %, the weight of the term's
//!   share), `cap` (most principal the term holds at once).
//! - `stakes`: `id` (unique integer), `amount`, `term` (a term's name), `start_height`, and
//!   `auto_reinvest` (optional, default false).
//! - `events` (optional): `height`, `stake` (an id) and `action`: `redeem` (pay out the
//!   stake's rewards) or `exit` (leave early); each is applied after the block at its height.

use core::str::FromStr;

use flux_pow::{BlockHeight, Network};
use flux_tx::Amount;
use flux_tx::amount::AmountError;
use serde::Deserialize;

use super::{
    EarlyExit, LockTerm, PoolEvent, PoolParams, ScheduledEvent, StakeId, StakeRequest,
    StratusRotation, TitanError, TitanPool,
};

/// Why a stakes file cannot be simulated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StakesFileError {
    /// Not JSON of the documented shape.
    #[error("not a stakes file: {0}")]
    Json(String),
    /// An amount is not a FLUX amount.
    #[error("{field}: {source}")]
    Amount {
        /// Where, e.g. `stakes[2].amount`.
        field: String,
        /// Why.
        source: AmountError,
    },
    /// The network is not one of the four.
    #[error("unknown network {0:?}: use mainnet, testnet, regtest or devnet")]
    Network(String),
    /// The pool or its terms are refused.
    #[error("pool: {0}")]
    Pool(TitanError),
    /// A stake is refused (below the minimum, unknown term, …).
    #[error("stakes[{index}]: {source}")]
    Stake {
        /// 0-based index in `stakes`.
        index: usize,
        /// Why.
        source: TitanError,
    },
    /// Neither stakes nor a start height: nothing to simulate from.
    #[error("the file has no stakes and no start_height; add a stake or a start_height")]
    Empty,
}

/// A FLUX amount as text or as whole FLUX.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum FluxText {
    Whole(u64),
    Text(String),
}

impl FluxText {
    fn amount(&self, field: impl Into<String>) -> Result<Amount, StakesFileError> {
        let text = match self {
            FluxText::Whole(flux) => flux.to_string(),
            FluxText::Text(text) => text.clone(),
        };
        Amount::from_str(&text).map_err(|source| StakesFileError::Amount {
            field: field.into(),
            source,
        })
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDoc {
    #[serde(default)]
    network: Option<String>,
    #[serde(default)]
    network_stratus_nodes: Option<u32>,
    #[serde(default)]
    start_height: Option<u32>,
    #[serde(default)]
    pool: Option<PoolDoc>,
    terms: Vec<TermDoc>,
    stakes: Vec<StakeDoc>,
    #[serde(default)]
    events: Vec<EventDoc>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PoolDoc {
    min_stake: Option<FluxText>,
    max_stake: Option<FluxText>,
    node_collateral: Option<FluxText>,
    redeem_minimum: Option<FluxText>,
    redeem_fee: Option<FluxText>,
    operator_fee_bps: Option<u32>,
    early_exit: Option<EarlyExitDoc>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
enum EarlyExitDoc {
    Forbidden,
    ForfeitRewards,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TermDoc {
    name: String,
    blocks: u32,
    apr_bps: u32,
    cap: FluxText,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StakeDoc {
    id: u64,
    amount: FluxText,
    term: String,
    start_height: u32,
    #[serde(default)]
    auto_reinvest: bool,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
enum ActionDoc {
    Redeem,
    Exit,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EventDoc {
    height: u32,
    stake: u64,
    action: ActionDoc,
}

/// A stakes file turned into a pool ready to simulate.
#[derive(Debug, Clone)]
pub struct Simulation {
    /// The pool with every stake registered.
    pub pool: TitanPool,
    /// The first block to simulate.
    pub from: BlockHeight,
    /// How the pool's nodes are paid.
    pub rotation: StratusRotation,
    /// The events, in file order.
    pub events: Vec<ScheduledEvent>,
}

impl Simulation {
    /// Reads a stakes file.
    ///
    /// # Errors
    ///
    /// [`StakesFileError::Json`] for text that is not the documented JSON,
    /// [`StakesFileError::Amount`], [`StakesFileError::Network`], [`StakesFileError::Pool`]
    /// for refused pool parameters or terms, [`StakesFileError::Stake`] for a refused stake
    /// (for example [`TitanError::BelowMinimum`]), [`StakesFileError::Empty`].
    pub fn from_json(text: &str) -> Result<Simulation, StakesFileError> {
        let doc: FileDoc =
            serde_json::from_str(text).map_err(|e| StakesFileError::Json(e.to_string()))?;
        let network = match doc.network.as_deref() {
            None => Network::Mainnet,
            Some(name) => name
                .parse()
                .map_err(|_| StakesFileError::Network(name.to_owned()))?,
        };
        let mut params = PoolParams::titan();
        let pool_doc = doc.pool.unwrap_or_default();
        let overrides = [
            (&pool_doc.min_stake, "pool.min_stake", &mut params.min_stake),
            (&pool_doc.max_stake, "pool.max_stake", &mut params.max_stake),
            (
                &pool_doc.node_collateral,
                "pool.node_collateral",
                &mut params.node_collateral,
            ),
            (
                &pool_doc.redeem_minimum,
                "pool.redeem_minimum",
                &mut params.redeem_minimum,
            ),
            (
                &pool_doc.redeem_fee,
                "pool.redeem_fee",
                &mut params.redeem_fee,
            ),
        ];
        for (value, field, target) in overrides {
            if let Some(value) = value {
                *target = value.amount(field)?;
            }
        }
        if let Some(bps) = pool_doc.operator_fee_bps {
            params.operator_fee_bps = bps;
        }
        if let Some(policy) = pool_doc.early_exit {
            params.early_exit = match policy {
                EarlyExitDoc::Forbidden => EarlyExit::Forbidden,
                EarlyExitDoc::ForfeitRewards => EarlyExit::ForfeitRewards,
            };
        }
        let mut terms = Vec::with_capacity(doc.terms.len());
        for (index, term) in doc.terms.iter().enumerate() {
            let cap = term.cap.amount(format!("terms[{index}].cap"))?;
            terms.push(LockTerm::new(
                term.name.clone(),
                term.blocks,
                term.apr_bps,
                cap,
            ));
        }
        let mut pool = TitanPool::new(params, terms).map_err(StakesFileError::Pool)?;
        for (index, stake) in doc.stakes.iter().enumerate() {
            let amount = stake.amount.amount(format!("stakes[{index}].amount"))?;
            let request = StakeRequest::new(
                StakeId(stake.id),
                amount,
                stake.term.clone(),
                BlockHeight(stake.start_height),
            )
            .with_auto_reinvest(stake.auto_reinvest);
            pool.add_stake(request)
                .map_err(|source| StakesFileError::Stake { index, source })?;
        }
        let from = doc
            .start_height
            .or_else(|| doc.stakes.iter().map(|s| s.start_height).min())
            .map(BlockHeight)
            .ok_or(StakesFileError::Empty)?;
        let events = doc
            .events
            .iter()
            .map(|event| {
                let id = StakeId(event.stake);
                let action = match event.action {
                    ActionDoc::Redeem => PoolEvent::Redeem(id),
                    ActionDoc::Exit => PoolEvent::Exit(id),
                };
                ScheduledEvent {
                    height: BlockHeight(event.height),
                    event: action,
                }
            })
            .collect();
        Ok(Simulation {
            pool,
            from,
            rotation: StratusRotation {
                network,
                network_nodes: doc.network_stratus_nodes.unwrap_or(1).max(1),
            },
            events,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"{
        "network_stratus_nodes": 2,
        "pool": {"operator_fee_bps": 500, "redeem_fee": "0.1", "early_exit": "forfeit_rewards"},
        "terms": [{"name": "1m", "blocks": 100, "apr_bps": 600, "cap": 1000000}],
        "stakes": [
            {"id": 1, "amount": "10000", "term": "1m", "start_height": 2100000},
            {"id": 2, "amount": 10000, "term": "1m", "start_height": 2100000},
            {"id": 3, "amount": "10000 FLUX", "term": "1m", "start_height": 2100000},
            {"id": 4, "amount": "10000.0", "term": "1m", "start_height": 2100001, "auto_reinvest": true}
        ],
        "events": [{"height": 2100050, "stake": 1, "action": "exit"}]
    }"#;

    #[test]
    fn reads_the_documented_format() {
        let simulation = Simulation::from_json(FILE).unwrap();
        assert_eq!(simulation.from, BlockHeight(2_100_000));
        assert_eq!(simulation.rotation.network_nodes, 2);
        assert_eq!(simulation.pool.params().operator_fee_bps, 500);
        assert_eq!(
            simulation.pool.params().early_exit,
            EarlyExit::ForfeitRewards
        );
        assert_eq!(simulation.pool.stakes().len(), 4);
        assert_eq!(
            simulation.events,
            vec![ScheduledEvent {
                height: BlockHeight(2_100_050),
                event: PoolEvent::Exit(StakeId(1))
            }]
        );
        let mut pool = simulation.pool;
        let report = pool
            .simulate(
                simulation.from,
                200,
                simulation.rotation,
                &simulation.events,
            )
            .unwrap();
        assert!(report.totals.is_conserved());
        assert!(pool.stake(StakeId(1)).unwrap().forfeited > Amount::ZERO);
    }

    #[test]
    fn bad_files_name_the_problem() {
        let below = FILE.replace(r#""amount": 10000,"#, r#""amount": "49.9","#);
        let error = Simulation::from_json(&below).unwrap_err();
        assert!(matches!(
            error,
            StakesFileError::Stake {
                index: 1,
                source: TitanError::BelowMinimum { .. }
            }
        ));
        assert_eq!(
            error.to_string(),
            "stakes[1]: stake 2: 49.9 FLUX is below the 50.0 FLUX minimum; stake at least 50.0 FLUX"
        );
        let typo = FILE.replace("auto_reinvest", "autoreinvest");
        assert!(matches!(
            Simulation::from_json(&typo),
            Err(StakesFileError::Json(_))
        ));
        let amount = FILE.replace(r#""10000 FLUX""#, r#""ten""#);
        assert_eq!(
            Simulation::from_json(&amount).unwrap_err().to_string(),
            "stakes[2].amount: \"ten\" is not an amount: write FLUX as digits with at most one '.', e.g. 1.5 or 1.5 FLUX"
        );
        let term = FILE.replace(
            r#""term": "1m", "start_height": 2100001"#,
            r#""term": "9m", "start_height": 2100001"#,
        );
        assert!(matches!(
            Simulation::from_json(&term),
            Err(StakesFileError::Stake {
                index: 3,
                source: TitanError::UnknownTerm { .. }
            })
        ));
        let huge = FILE.replace("1000000}", "\"440000001\"}");
        assert!(matches!(
            Simulation::from_json(&huge),
            Err(StakesFileError::Amount { .. })
        ));
        let network = FILE.replace(
            "\"network_stratus_nodes\"",
            "\"network\": \"moon\", \"network_stratus_nodes\"",
        );
        assert_eq!(
            Simulation::from_json(&network).unwrap_err(),
            StakesFileError::Network("moon".into())
        );
        assert_eq!(
            Simulation::from_json(r#"{"terms": [], "stakes": []}"#).unwrap_err(),
            StakesFileError::Empty
        );
        assert!(matches!(
            Simulation::from_json("[1, 2"),
            Err(StakesFileError::Json(_))
        ));
    }
}
