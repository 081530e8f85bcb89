//! The deterministic fluxnode list as a pure state machine over blocks, mirroring fluxd's
//! `FluxnodeCache` (`src/fluxnode/fluxnode.{h,cpp}`) and the order in which `ConnectBlock`
//! (`main.cpp` ~3940-4130) and `FluxnodeCache::Flush` apply a block.
//!
//! Per block, with every check made against the state *before* the block:
//! 1. The payee of each tier is the first node of its payment order ([`FluxnodeList::next_payee`],
//!    `GetNextPayment`), ordered by `nLastPaidHeight` (or `nConfirmedBlockHeight` for a node never
//!    paid), a never-paid node before a paid one on equal heights, then by the collateral outpoint
//!    (`FluxnodeListData::operator<`).
//! 2. START transactions put a node in the started state (`AddNewStart`); a collateral already
//!    started, in DoS protection or confirmed is refused (`CheckNewStartTx`).
//! 3. Initial CONFIRMs move a started node to confirmed (`confirmed = last confirmed = height`,
//!    never paid); update CONFIRMs refresh `last confirmed` and the IP, and only after the minimum
//!    distance (`CheckConfirmationHeights`: 40 blocks, 120 from the Halving upgrade, 500 under
//!    proof of node; 5 for an IP change from the FLUX upgrade).
//! 4. Nodes in DoS protection leave it `FLUXNODE_DOS_REMOVE_AMOUNT` (180) blocks after their START,
//!    or, under proof of node, once that is at least 720 blocks ago
//!    (`GetUndoDataForExpiredFluxnodeDosScores`).
//! 5. Confirmed nodes whose last confirmation is older than the expiration count (60, 80 from FLUX,
//!    160 from Halving, 640 under proof of node: `GetFluxnodeExpirationCount`) expire unless
//!    updated in this block, and so do confirmed nodes whose collateral the block spends
//!    (`GetUndoDataForExpiredConfirmFluxnodes`).
//! 6. Started nodes not confirmed within 60 blocks (240 under proof of node) move to DoS
//!    protection (`CheckForExpiredStartTx`).
//! 7. The payees that are still confirmed get `last paid = height`.
//!
//! Every change is journaled, so [`FluxnodeList::undo_block`] restores the exact previous state
//! (for reorganisations). Each operation is `O(log n)` per touched node.
//!
//! Not mirrored: the collateral re-check during the 2022 V1→V2 collateral transition (it only
//! applied between heights 1,076,532 and 1,097,422 on mainnet), and delegates.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use flux_pow::{BlockHeight, Network, NetworkUpgrade};
use flux_tx::Amount;
use flux_tx::block::Block;
use flux_tx::fluxnode::FluxnodeTx;
use flux_tx::transaction::{OutPoint, TxBody};

use crate::tier::{Tier, TierExt};

/// Where a node is in its life (`FLUXNODE_TX_STARTED`, `_DOS_PROTECTION`, `_CONFIRMED`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NodeStatus {
    /// START mined, waiting for its first CONFIRM.
    Started,
    /// Not confirmed in time; the collateral cannot start again until it leaves this state.
    DosProtection,
    /// Confirmed and in its tier's payment order.
    Confirmed,
}

/// What the list knows of one node (`FluxnodeCacheData`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NodeRecord {
    /// The collateral output, the node's identity.
    pub collateral: OutPoint,
    /// The tier its collateral amount gives.
    pub tier: Tier,
    /// The collateral amount.
    pub collateral_amount: Amount,
    /// Height of the block holding its START.
    pub added_height: BlockHeight,
    /// Height of its initial CONFIRM, `None` until confirmed (fluxd's
    /// `nConfirmedBlockHeight`, 0 there).
    pub confirmed_height: Option<BlockHeight>,
    /// Height of its latest CONFIRM, `None` until confirmed (fluxd's
    /// `nLastConfirmedBlockHeight`, 0 there).
    pub last_confirmed_height: Option<BlockHeight>,
    /// Height of the block that last paid it, `None` if never paid (fluxd's `nLastPaidHeight`,
    /// 0 there).
    pub last_paid_height: Option<BlockHeight>,
    /// The IP address of its latest CONFIRM.
    pub ip: String,
    /// Its state.
    pub status: NodeStatus,
}

impl NodeRecord {
    /// The key of the tier's payment order (`FluxnodeListData::operator<`).
    /// fluxd compares the 0 it stores for "never" like a height, so `None` sorts as height 0.
    fn pay_key(&self) -> PayKey {
        let height = self
            .last_paid_height
            .or(self.confirmed_height)
            .unwrap_or(BlockHeight::GENESIS);
        PayKey {
            height,
            paid: self.last_paid_height.is_some(),
            collateral: self.collateral,
        }
    }

    /// The latest confirmation as fluxd reads it in `CheckConfirmationHeights`: 0 when there is
    /// none (a node not confirmed never reaches that check).
    fn last_confirmed_or_genesis(&self) -> BlockHeight {
        self.last_confirmed_height.unwrap_or(BlockHeight::GENESIS)
    }
}

/// Sorts a tier's confirmed nodes in payment order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct PayKey {
    height: BlockHeight,
    paid: bool,
    collateral: OutPoint,
}

/// A START transaction of a block, with the tier its collateral (looked up in the UTXO set by the
/// caller) gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartEvent {
    /// The collateral output.
    pub collateral: OutPoint,
    /// The tier of the collateral amount.
    pub tier: Tier,
    /// The collateral amount.
    pub collateral_amount: Amount,
}

/// A CONFIRM transaction of a block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfirmEvent {
    /// The collateral output of the node.
    pub collateral: OutPoint,
    /// The IP address it announces.
    pub ip: String,
    /// `false` for the initial confirmation (`INITIAL_CONFIRM`), `true` for an update
    /// (`UPDATE_CONFIRM`).
    pub update: bool,
}

/// What a block changes in the list.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BlockChanges {
    /// START transactions, in block order.
    pub starts: Vec<StartEvent>,
    /// CONFIRM transactions, in block order.
    pub confirms: Vec<ConfirmEvent>,
    /// Every outpoint the block's transactions spend.
    pub spent: Vec<OutPoint>,
}

impl BlockChanges {
    /// The changes of a decoded block: its START and CONFIRM transactions and every outpoint its
    /// transactions spend. `collateral_amount` looks a START's collateral up in the UTXO set as it
    /// was before the block (the consensus layer owns that set); the tier follows from the amount
    /// at `height` (`CheckFluxnodeTxInput`).
    ///
    /// # Errors
    ///
    /// [`ListError::UnknownCollateral`] when the lookup finds no output, and
    /// [`ListError::NotACollateral`] when its amount is no tier's collateral at `height`.
    pub fn from_block(
        network: Network,
        height: BlockHeight,
        block: &Block,
        mut collateral_amount: impl FnMut(&OutPoint) -> Option<Amount>,
    ) -> Result<BlockChanges, ListError> {
        let mut changes = BlockChanges::default();
        for tx in &block.transactions {
            match &tx.body {
                TxBody::Standard(standard) => {
                    let prevouts = standard.inputs.iter().map(|input| input.prevout);
                    changes
                        .spent
                        .extend(prevouts.filter(|prevout| !prevout.is_null()));
                }
                TxBody::Fluxnode(FluxnodeTx::Start(start)) => {
                    let collateral = start.collateral;
                    let amount = collateral_amount(&collateral)
                        .ok_or(ListError::UnknownCollateral(collateral))?;
                    let tier = Tier::from_collateral(network, height, amount)
                        .ok_or(ListError::NotACollateral { collateral, amount })?;
                    changes.starts.push(StartEvent {
                        collateral,
                        tier,
                        collateral_amount: amount,
                    });
                }
                TxBody::Fluxnode(FluxnodeTx::Confirm(confirm)) => {
                    changes.confirms.push(ConfirmEvent {
                        collateral: confirm.collateral,
                        ip: String::from_utf8_lossy(&confirm.ip).into_owned(),
                        update: confirm.update_type == 1,
                    });
                }
                // fluxd rejects other fluxnode types before they reach the list.
                TxBody::Fluxnode(_) => {}
            }
        }
        Ok(changes)
    }
}

/// Why a block cannot be applied or undone. The list is unchanged after any error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ListError {
    /// A START whose collateral output is not in the UTXO set.
    #[error("START for {0:?} refused: its collateral output is not an unspent output")]
    UnknownCollateral(OutPoint),
    /// A START whose collateral amount is no tier's collateral at the block's height.
    #[error("START for {collateral:?} refused: {amount} is not a tier's collateral at this height")]
    NotACollateral {
        /// The collateral.
        collateral: OutPoint,
        /// Its amount.
        amount: Amount,
    },
    /// Blocks are applied one height after another.
    #[error(
        "block at height {got} does not follow the list's tip at height {tip}; apply the block after the tip"
    )]
    NotNextHeight {
        /// The list's tip: the block must be at the height after it.
        tip: BlockHeight,
        /// The block's height.
        got: BlockHeight,
    },
    /// `CheckNewStartTx`: the collateral has a node already.
    #[error("START for {collateral:?} refused: that collateral's node is {status:?}")]
    AlreadyStarted {
        /// The collateral.
        collateral: OutPoint,
        /// The state its node is in.
        status: NodeStatus,
    },
    /// An initial CONFIRM for a collateral whose node is not started (`CheckIfStarted`).
    #[error("initial CONFIRM for {0:?} refused: no started node has that collateral")]
    NotStarted(OutPoint),
    /// An update CONFIRM for a collateral whose node is not confirmed (`CheckIfConfirmed`).
    #[error("update CONFIRM for {0:?} refused: no confirmed node has that collateral")]
    NotConfirmed(OutPoint),
    /// `CheckConfirmationHeights`: an update CONFIRM came too soon after the last one.
    #[error(
        "update CONFIRM for {collateral:?} at height {height} is too soon: last confirmed at \
         {last_confirmed}, the minimum distance is more than {minimum} blocks"
    )]
    ConfirmTooSoon {
        /// The collateral.
        collateral: OutPoint,
        /// The block's height.
        height: BlockHeight,
        /// The node's last confirmation.
        last_confirmed: BlockHeight,
        /// The distance that must be exceeded.
        minimum: u32,
    },
    /// Only the tip block can be undone.
    #[error("cannot undo height {got}: {}", describe_tip(*.tip))]
    UndoNotAtTip {
        /// The list's tip (`None` before any block).
        tip: Option<BlockHeight>,
        /// The undo record's height.
        got: BlockHeight,
    },
}

fn describe_tip(tip: Option<BlockHeight>) -> String {
    match tip {
        Some(tip) => format!("the list's tip is height {tip}"),
        None => "the list has no block".to_owned(),
    }
}

/// What [`FluxnodeList::apply_block`] did, and what [`FluxnodeList::undo_block`] needs to revert it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockUndo {
    height: BlockHeight,
    previous_tip: Option<BlockHeight>,
    /// Each touched node's record before the block, in the order they were touched.
    journal: Vec<JournalEntry>,
    /// The node each tier paid (Cumulus, Nimbus, Stratus), chosen before the block's changes.
    pub payees: [Option<OutPoint>; 3],
}

/// One change of a block, as undo needs it: the node's record before the change.
#[derive(Debug, Clone, PartialEq, Eq)]
struct JournalEntry {
    /// The node's collateral.
    collateral: OutPoint,
    /// Its record before the change (`None`: it was not in the list).
    previous: Option<NodeRecord>,
}

/// The nodes a block removes or demotes, decided on the state before its transactions
/// (fluxd's `GetUndoDataFor…` and `CheckForExpiredStartTx` run on the cache as it was).
#[derive(Debug, Clone)]
struct Expiries {
    /// DoS-protected nodes whose protection ends: removed.
    dos_ended: Vec<OutPoint>,
    /// Confirmed nodes whose last confirmation is too old, or whose collateral the block
    /// spends: removed (unless an update CONFIRM of this block refreshes them).
    confirmations_lapsed: BTreeSet<OutPoint>,
    /// Started nodes not confirmed in time: moved to DoS protection (unless this block
    /// confirms them).
    starts_lapsed: Vec<OutPoint>,
}

impl BlockUndo {
    /// The height of the block.
    pub fn height(&self) -> BlockHeight {
        self.height
    }

    /// The node the block paid for `tier`, if the tier had a confirmed node.
    pub fn payee(&self, tier: Tier) -> Option<OutPoint> {
        self.payees[tier_index(tier)]
    }
}

/// The deterministic fluxnode list of one network.
#[derive(Debug, Clone)]
pub struct FluxnodeList {
    network: Network,
    tip: Option<BlockHeight>,
    nodes: HashMap<OutPoint, NodeRecord>,
    pay_order: [BTreeSet<PayKey>; 3],
    started_by_height: BTreeMap<BlockHeight, BTreeSet<OutPoint>>,
    dos_by_height: BTreeMap<BlockHeight, BTreeSet<OutPoint>>,
    /// Confirmed nodes by their latest confirmation (never `None` for a confirmed node).
    confirmed_by_last: BTreeSet<(BlockHeight, OutPoint)>,
}

fn tier_index(tier: Tier) -> usize {
    usize::from(tier.number()) - 1
}

fn is_active(network: Network, upgrade: NetworkUpgrade, height: BlockHeight) -> bool {
    upgrade
        .activation_height(network)
        .is_some_and(|at| height >= at)
}

/// `GetFluxnodeExpirationCount`.
fn confirm_expiration(network: Network, height: BlockHeight) -> u32 {
    if is_active(network, NetworkUpgrade::ProofOfNode, height) {
        640
    } else if is_active(network, NetworkUpgrade::Halving, height) {
        160
    } else if is_active(network, NetworkUpgrade::Flux, height) {
        80
    } else {
        60
    }
}

/// `FLUXNODE_CONFIRM_UPDATE_MIN_HEIGHT_V1..V3`.
fn confirm_min_distance(network: Network, height: BlockHeight) -> u32 {
    if is_active(network, NetworkUpgrade::ProofOfNode, height) {
        500
    } else if is_active(network, NetworkUpgrade::Halving, height) {
        120
    } else {
        40
    }
}

fn remove_from(
    map: &mut BTreeMap<BlockHeight, BTreeSet<OutPoint>>,
    height: BlockHeight,
    collateral: &OutPoint,
) {
    if let Some(set) = map.get_mut(&height) {
        set.remove(collateral);
        if set.is_empty() {
            map.remove(&height);
        }
    }
}

impl FluxnodeList {
    /// An empty list for `network`, before any block.
    pub fn new(network: Network) -> FluxnodeList {
        FluxnodeList {
            network,
            tip: None,
            nodes: HashMap::new(),
            pay_order: Default::default(),
            started_by_height: BTreeMap::new(),
            dos_by_height: BTreeMap::new(),
            confirmed_by_last: BTreeSet::new(),
        }
    }

    /// The height of the last applied block.
    pub fn tip(&self) -> Option<BlockHeight> {
        self.tip
    }

    /// Whether an update CONFIRM of the confirmed node `collateral` announcing `ip` may be mined
    /// at `height` (`CheckConfirmationHeights`, `fluxnode.cpp`): more than the era's minimum
    /// distance after its last confirmation, or at least 5 blocks for an IP change once the Flux
    /// upgrade is active. What a mempool checks before it takes the transaction.
    ///
    /// # Errors
    ///
    /// [`ListError::NotConfirmed`] or [`ListError::ConfirmTooSoon`].
    pub fn check_update_confirm(
        &self,
        height: BlockHeight,
        collateral: &OutPoint,
        ip: &str,
    ) -> Result<(), ListError> {
        let record = self
            .nodes
            .get(collateral)
            .filter(|node| node.status == NodeStatus::Confirmed)
            .ok_or(ListError::NotConfirmed(*collateral))?;
        update_distance_allows(self.network, height, record, ip)
    }

    /// The node with this collateral, in any state.
    pub fn get(&self, collateral: &OutPoint) -> Option<&NodeRecord> {
        self.nodes.get(collateral)
    }

    /// Every node the list tracks, in no particular order.
    pub fn nodes(&self) -> impl Iterator<Item = &NodeRecord> {
        self.nodes.values()
    }

    /// How many confirmed nodes the tier has.
    pub fn confirmed_count(&self, tier: Tier) -> usize {
        self.pay_order[tier_index(tier)].len()
    }

    /// The node the next block pays for `tier` (`GetNextPayment`).
    pub fn next_payee(&self, tier: Tier) -> Option<&NodeRecord> {
        let key = self.pay_order[tier_index(tier)].first()?;
        self.nodes.get(&key.collateral)
    }

    /// The tier's confirmed nodes in payment order.
    pub fn payment_order(&self, tier: Tier) -> impl Iterator<Item = &NodeRecord> {
        self.pay_order[tier_index(tier)]
            .iter()
            .filter_map(|key| self.nodes.get(&key.collateral))
    }

    fn unindex(&mut self, record: &NodeRecord) {
        match record.status {
            NodeStatus::Started => {
                remove_from(
                    &mut self.started_by_height,
                    record.added_height,
                    &record.collateral,
                );
            }
            NodeStatus::DosProtection => {
                remove_from(
                    &mut self.dos_by_height,
                    record.added_height,
                    &record.collateral,
                );
            }
            NodeStatus::Confirmed => {
                self.pay_order[tier_index(record.tier)].remove(&record.pay_key());
                self.confirmed_by_last
                    .remove(&(record.last_confirmed_or_genesis(), record.collateral));
            }
        }
    }

    fn index(&mut self, record: &NodeRecord) {
        match record.status {
            NodeStatus::Started => {
                self.started_by_height
                    .entry(record.added_height)
                    .or_default()
                    .insert(record.collateral);
            }
            NodeStatus::DosProtection => {
                self.dos_by_height
                    .entry(record.added_height)
                    .or_default()
                    .insert(record.collateral);
            }
            NodeStatus::Confirmed => {
                self.pay_order[tier_index(record.tier)].insert(record.pay_key());
                self.confirmed_by_last
                    .insert((record.last_confirmed_or_genesis(), record.collateral));
            }
        }
    }

    /// Replaces a node's record (or removes it), keeping every index in step.
    fn put(&mut self, collateral: OutPoint, record: Option<NodeRecord>) -> Option<NodeRecord> {
        let old = self.nodes.remove(&collateral);
        if let Some(old) = &old {
            self.unindex(old);
        }
        if let Some(record) = record {
            self.index(&record);
            self.nodes.insert(collateral, record);
        }
        old
    }

    fn journaled(
        &mut self,
        journal: &mut Vec<JournalEntry>,
        collateral: OutPoint,
        record: Option<NodeRecord>,
    ) {
        let previous = self.put(collateral, record);
        journal.push(JournalEntry {
            collateral,
            previous,
        });
    }

    fn rollback(&mut self, journal: Vec<JournalEntry>) {
        for entry in journal.into_iter().rev() {
            self.put(entry.collateral, entry.previous);
        }
    }

    /// Applies the block at `height` and returns its payees and undo record.
    ///
    /// # Errors
    ///
    /// A [`ListError`] naming the first rule the block breaks; the list is then unchanged.
    pub fn apply_block(
        &mut self,
        height: BlockHeight,
        changes: &BlockChanges,
    ) -> Result<BlockUndo, ListError> {
        if let Some(tip) = self.tip
            && tip.next() != Some(height)
        {
            return Err(ListError::NotNextHeight { tip, got: height });
        }
        let payees = Tier::ALL.map(|tier| self.next_payee(tier).map(|node| node.collateral));
        let mut journal = Vec::new();
        match self.apply_changes(height, changes, &payees, &mut journal) {
            Ok(()) => {
                let previous_tip = self.tip.replace(height);
                Ok(BlockUndo {
                    height,
                    previous_tip,
                    journal,
                    payees,
                })
            }
            Err(error) => {
                self.rollback(journal);
                Err(error)
            }
        }
    }

    /// The block's changes in fluxd's order (module docs, steps 2-7); the payees (step 1) were
    /// chosen by the caller on the state before the block.
    fn apply_changes(
        &mut self,
        h: BlockHeight,
        changes: &BlockChanges,
        payees: &[Option<OutPoint>; 3],
        journal: &mut Vec<JournalEntry>,
    ) -> Result<(), ListError> {
        let mut expiries = self.expiries_before(h, &changes.spent);
        self.add_starts(h, &changes.starts, journal)?;
        let confirmed_now = self.apply_confirms(h, &changes.confirms, &mut expiries, journal)?;
        self.expire(expiries, &confirmed_now, journal);
        self.mark_paid(h, payees, journal);
        Ok(())
    }

    /// Which nodes the block at `h` removes or demotes, read on the state before it: DoS
    /// protections that end, confirmations that lapse or whose collateral is `spent`, starts
    /// not confirmed in time.
    fn expiries_before(&self, h: BlockHeight, spent: &[OutPoint]) -> Expiries {
        let network = self.network;
        let pon = is_active(network, NetworkUpgrade::ProofOfNode, h);
        let dos_ended: Vec<OutPoint> = if pon {
            let last = BlockHeight(h.get().saturating_sub(720));
            self.dos_by_height
                .range(..=last)
                .flat_map(|(_, set)| set.iter().copied())
                .collect()
        } else {
            h.checked_sub(180)
                .and_then(|at| self.dos_by_height.get(&at))
                .map(|set| set.iter().copied().collect())
                .unwrap_or_default()
        };
        let expiration = confirm_expiration(network, h);
        let mut confirmations_lapsed: BTreeSet<OutPoint> = match h.checked_sub(expiration) {
            Some(oldest_kept) => self
                .confirmed_by_last
                .range(..(oldest_kept, OutPoint::default()))
                .map(|(_, collateral)| *collateral)
                .collect(),
            None => BTreeSet::new(),
        };
        for spent in spent {
            if self
                .nodes
                .get(spent)
                .is_some_and(|node| node.status == NodeStatus::Confirmed)
            {
                confirmations_lapsed.insert(*spent);
            }
        }
        let start_window = if pon { 240 } else { 60 };
        let starts_lapsed: Vec<OutPoint> = h
            .checked_sub(start_window)
            .and_then(|at| self.started_by_height.get(&at))
            .map(|set| set.iter().copied().collect())
            .unwrap_or_default();
        Expiries {
            dos_ended,
            confirmations_lapsed,
            starts_lapsed,
        }
    }

    /// START transactions: each collateral without a node gets a started one
    /// (`CheckNewStartTx`, `AddNewStart`).
    fn add_starts(
        &mut self,
        h: BlockHeight,
        starts: &[StartEvent],
        journal: &mut Vec<JournalEntry>,
    ) -> Result<(), ListError> {
        for start in starts {
            if let Some(node) = self.nodes.get(&start.collateral) {
                return Err(ListError::AlreadyStarted {
                    collateral: start.collateral,
                    status: node.status,
                });
            }
            let record = NodeRecord {
                collateral: start.collateral,
                tier: start.tier,
                collateral_amount: start.collateral_amount,
                added_height: h,
                confirmed_height: None,
                last_confirmed_height: None,
                last_paid_height: None,
                ip: String::new(),
                status: NodeStatus::Started,
            };
            self.journaled(journal, start.collateral, Some(record));
        }
        Ok(())
    }

    /// CONFIRM transactions: initial ones confirm a started node, update ones refresh a
    /// confirmed node (and so keep it from lapsing in this block). Returns the nodes confirmed
    /// for the first time.
    fn apply_confirms(
        &mut self,
        h: BlockHeight,
        confirms: &[ConfirmEvent],
        expiries: &mut Expiries,
        journal: &mut Vec<JournalEntry>,
    ) -> Result<BTreeSet<OutPoint>, ListError> {
        let mut confirmed_now = BTreeSet::new();
        for confirm in confirms {
            let Some(node) = self.nodes.get(&confirm.collateral) else {
                return Err(if confirm.update {
                    ListError::NotConfirmed(confirm.collateral)
                } else {
                    ListError::NotStarted(confirm.collateral)
                });
            };
            let mut record = node.clone();
            if confirm.update {
                if record.status != NodeStatus::Confirmed {
                    return Err(ListError::NotConfirmed(confirm.collateral));
                }
                update_distance_allows(self.network, h, &record, &confirm.ip)?;
                expiries.confirmations_lapsed.remove(&confirm.collateral);
            } else {
                // A START mined in this very block is not yet confirmable (`CheckIfStarted` reads
                // the state before the block).
                if record.status != NodeStatus::Started || record.added_height == h {
                    return Err(ListError::NotStarted(confirm.collateral));
                }
                record.status = NodeStatus::Confirmed;
                record.confirmed_height = Some(h);
                record.last_paid_height = None;
                confirmed_now.insert(confirm.collateral);
            }
            record.last_confirmed_height = Some(h);
            record.ip.clone_from(&confirm.ip);
            self.journaled(journal, confirm.collateral, Some(record));
        }
        Ok(confirmed_now)
    }

    /// Removes the nodes whose protection ended or whose confirmation lapsed, and moves the
    /// starts not confirmed in time (nor in this block) to DoS protection.
    fn expire(
        &mut self,
        expiries: Expiries,
        confirmed_now: &BTreeSet<OutPoint>,
        journal: &mut Vec<JournalEntry>,
    ) {
        for collateral in expiries.dos_ended {
            self.journaled(journal, collateral, None);
        }
        for collateral in expiries.confirmations_lapsed {
            self.journaled(journal, collateral, None);
        }
        for collateral in expiries.starts_lapsed {
            if confirmed_now.contains(&collateral) {
                continue;
            }
            if let Some(node) = self.nodes.get(&collateral) {
                let mut record = node.clone();
                record.status = NodeStatus::DosProtection;
                self.journaled(journal, collateral, Some(record));
            }
        }
    }

    /// The payees still confirmed after the block's changes are paid at `h`.
    fn mark_paid(
        &mut self,
        h: BlockHeight,
        payees: &[Option<OutPoint>; 3],
        journal: &mut Vec<JournalEntry>,
    ) {
        for collateral in payees.iter().flatten() {
            if let Some(node) = self
                .nodes
                .get(collateral)
                .filter(|node| node.status == NodeStatus::Confirmed)
            {
                let mut record = node.clone();
                record.last_paid_height = Some(h);
                self.journaled(journal, *collateral, Some(record));
            }
        }
    }

    /// Reverts the tip block exactly.
    ///
    /// # Errors
    ///
    /// [`ListError::UndoNotAtTip`] if `undo` is not the record of the list's tip block.
    pub fn undo_block(&mut self, undo: BlockUndo) -> Result<(), ListError> {
        if self.tip != Some(undo.height) {
            return Err(ListError::UndoNotAtTip {
                tip: self.tip,
                got: undo.height,
            });
        }
        self.rollback(undo.journal);
        self.tip = undo.previous_tip;
        Ok(())
    }
}

/// The distance rule of update CONFIRMs (`CheckConfirmationHeights`), shared by block application
/// and [`FluxnodeList::check_update_confirm`].
fn update_distance_allows(
    network: Network,
    height: BlockHeight,
    record: &NodeRecord,
    ip: &str,
) -> Result<(), ListError> {
    let fluxed = is_active(network, NetworkUpgrade::Flux, height);
    let last_confirmed = record.last_confirmed_or_genesis();
    let distance = height.blocks_since(last_confirmed).unwrap_or(0);
    let ip_change = fluxed && ip != record.ip && distance >= 5;
    let minimum = confirm_min_distance(network, height);
    if !ip_change && distance <= minimum {
        return Err(ListError::ConfirmTooSoon {
            collateral: record.collateral,
            height,
            last_confirmed,
            minimum,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use flux_tx::hash::Txid;

    const NET: Network = Network::Mainnet;
    /// A height in the Halving era, before proof of node.
    const BASE: u32 = 1_600_000;

    fn outpoint(n: u32) -> OutPoint {
        let mut bytes = [0u8; 32];
        bytes[..4].copy_from_slice(&n.to_be_bytes());
        OutPoint {
            txid: Txid(bytes),
            index: 0,
        }
    }

    fn start(n: u32, tier: Tier) -> StartEvent {
        StartEvent {
            collateral: outpoint(n),
            tier,
            collateral_amount: Amount::from_flux(tier.v2_collateral_flux()).unwrap(),
        }
    }

    fn confirm(n: u32, update: bool) -> ConfirmEvent {
        ConfirmEvent {
            collateral: outpoint(n),
            ip: format!("10.0.0.{}", n % 250),
            update,
        }
    }

    /// Applies empty blocks up to (not including) `height`.
    fn advance(list: &mut FluxnodeList, height: u32) -> Vec<BlockUndo> {
        let mut undos = Vec::new();
        let from = list.tip().map_or(BASE, |t| t.0 + 1);
        for h in from..height {
            undos.push(
                list.apply_block(BlockHeight(h), &BlockChanges::default())
                    .unwrap(),
            );
        }
        undos
    }

    fn started_and_confirmed(nodes: u32) -> FluxnodeList {
        let mut list = FluxnodeList::new(NET);
        let starts = (1..=nodes).map(|n| start(n, Tier::Cumulus)).collect();
        list.apply_block(
            BlockHeight(BASE),
            &BlockChanges {
                starts,
                ..Default::default()
            },
        )
        .unwrap();
        let confirms = (1..=nodes).map(|n| confirm(n, false)).collect();
        list.apply_block(
            BlockHeight(BASE + 1),
            &BlockChanges {
                confirms,
                ..Default::default()
            },
        )
        .unwrap();
        list
    }

    #[test]
    fn nodes_are_paid_in_turn_in_outpoint_order_then_by_last_paid() {
        let mut list = started_and_confirmed(3);
        let mut paid = Vec::new();
        for h in BASE + 2..BASE + 8 {
            let undo = list
                .apply_block(BlockHeight(h), &BlockChanges::default())
                .unwrap();
            paid.push(undo.payee(Tier::Cumulus).unwrap());
        }
        let expected: Vec<OutPoint> = [1, 2, 3, 1, 2, 3].map(outpoint).to_vec();
        assert_eq!(paid, expected);
        assert_eq!(
            list.get(&outpoint(3)).unwrap().last_paid_height,
            Some(BlockHeight(BASE + 7))
        );
        assert!(list.next_payee(Tier::Nimbus).is_none());
    }

    #[test]
    fn a_never_paid_node_goes_before_a_paid_one_at_the_same_height() {
        let mut list = started_and_confirmed(1);
        // Node 1 is paid at BASE + 2; node 2 is confirmed at BASE + 2 as well.
        list.apply_block(
            BlockHeight(BASE + 2),
            &BlockChanges {
                starts: vec![start(2, Tier::Cumulus)],
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(
            list.get(&outpoint(1)).unwrap().last_paid_height,
            Some(BlockHeight(BASE + 2))
        );
        let undo = list
            .apply_block(
                BlockHeight(BASE + 3),
                &BlockChanges {
                    confirms: vec![confirm(2, false)],
                    ..Default::default()
                },
            )
            .unwrap();
        assert_eq!(undo.payee(Tier::Cumulus), Some(outpoint(1)));
        // Node 1: paid at BASE + 3. Node 2: confirmed at BASE + 3, never paid: it goes first.
        assert_eq!(
            list.next_payee(Tier::Cumulus).unwrap().collateral,
            outpoint(2)
        );
    }

    #[test]
    fn unconfirmed_starts_go_to_dos_protection_and_leave_it() {
        let mut list = FluxnodeList::new(NET);
        list.apply_block(
            BlockHeight(BASE),
            &BlockChanges {
                starts: vec![start(7, Tier::Stratus)],
                ..Default::default()
            },
        )
        .unwrap();
        advance(&mut list, BASE + 60);
        assert_eq!(list.get(&outpoint(7)).unwrap().status, NodeStatus::Started);
        list.apply_block(BlockHeight(BASE + 60), &BlockChanges::default())
            .unwrap();
        assert_eq!(
            list.get(&outpoint(7)).unwrap().status,
            NodeStatus::DosProtection
        );
        // While in DoS protection the collateral cannot start again.
        let again = BlockChanges {
            starts: vec![start(7, Tier::Stratus)],
            ..Default::default()
        };
        assert_eq!(
            list.apply_block(BlockHeight(BASE + 61), &again),
            Err(ListError::AlreadyStarted {
                collateral: outpoint(7),
                status: NodeStatus::DosProtection
            })
        );
        advance(&mut list, BASE + 180);
        list.apply_block(BlockHeight(BASE + 180), &BlockChanges::default())
            .unwrap();
        assert!(list.get(&outpoint(7)).is_none());
        list.apply_block(BlockHeight(BASE + 181), &again).unwrap();
    }

    #[test]
    fn confirmed_nodes_expire_without_updates_and_when_their_collateral_is_spent() {
        // Both confirmed at BASE + 1. Halving era: updates need more than 120 blocks, and a node
        // expires once its last confirmation is more than 160 blocks old.
        let mut list = started_and_confirmed(2);
        let update = BlockChanges {
            confirms: vec![confirm(2, true)],
            ..Default::default()
        };
        advance(&mut list, BASE + 121);
        assert!(matches!(
            list.apply_block(BlockHeight(BASE + 121), &update),
            Err(ListError::ConfirmTooSoon { minimum: 120, .. })
        ));
        // The loose check agrees with block application on both sides of the boundary.
        let ip = list.get(&outpoint(2)).unwrap().ip.clone();
        assert!(matches!(
            list.check_update_confirm(BlockHeight(BASE + 121), &outpoint(2), &ip),
            Err(ListError::ConfirmTooSoon { minimum: 120, .. })
        ));
        assert_eq!(
            list.check_update_confirm(BlockHeight(BASE + 122), &outpoint(2), &ip),
            Ok(())
        );
        assert_eq!(
            list.check_update_confirm(BlockHeight(BASE + 122), &outpoint(9), &ip),
            Err(ListError::NotConfirmed(outpoint(9)))
        );
        advance(&mut list, BASE + 122);
        list.apply_block(BlockHeight(BASE + 122), &update).unwrap();
        advance(&mut list, BASE + 162);
        assert!(list.get(&outpoint(1)).is_some());
        list.apply_block(BlockHeight(BASE + 162), &BlockChanges::default())
            .unwrap();
        assert!(list.get(&outpoint(1)).is_none(), "node 1 expired");
        assert_eq!(list.confirmed_count(Tier::Cumulus), 1);
        list.apply_block(
            BlockHeight(BASE + 163),
            &BlockChanges {
                spent: vec![outpoint(2)],
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(list.confirmed_count(Tier::Cumulus), 0);
    }

    #[test]
    fn an_update_too_soon_is_refused_and_leaves_the_list_unchanged() {
        let mut list = started_and_confirmed(2);
        let before: Vec<NodeRecord> = list.payment_order(Tier::Cumulus).cloned().collect();
        let block = BlockChanges {
            starts: vec![start(9, Tier::Nimbus)],
            confirms: vec![ConfirmEvent {
                ip: "10.0.0.1".into(),
                ..confirm(1, true)
            }],
            ..Default::default()
        };
        assert!(matches!(
            list.apply_block(BlockHeight(BASE + 2), &block),
            Err(ListError::ConfirmTooSoon { minimum: 120, .. })
        ));
        let after: Vec<NodeRecord> = list.payment_order(Tier::Cumulus).cloned().collect();
        assert_eq!(before, after);
        assert!(list.get(&outpoint(9)).is_none());
        assert_eq!(list.tip(), Some(BlockHeight(BASE + 1)));
    }

    #[test]
    fn blocks_out_of_order_and_undo_off_the_tip_are_typed_errors() {
        let mut list = FluxnodeList::new(NET);
        let empty = BlockChanges::default();
        let first = list.apply_block(BlockHeight(BASE), &empty).unwrap();
        assert_eq!(
            list.apply_block(BlockHeight(BASE + 2), &empty),
            Err(ListError::NotNextHeight {
                tip: BlockHeight(BASE),
                got: BlockHeight(BASE + 2)
            })
        );
        let second = list.apply_block(BlockHeight(BASE + 1), &empty).unwrap();
        let error = list.undo_block(first.clone()).unwrap_err();
        assert_eq!(
            error.to_string(),
            "cannot undo height 1600000: the list's tip is height 1600001"
        );
        list.undo_block(second).unwrap();
        list.undo_block(first.clone()).unwrap();
        assert_eq!(list.tip(), None);
        assert_eq!(
            list.undo_block(first).unwrap_err().to_string(),
            "cannot undo height 1600000: the list has no block"
        );
        // No height follows the highest one fluxd can represent.
        list.apply_block(BlockHeight::MAX, &empty).unwrap();
        assert!(matches!(
            list.apply_block(BlockHeight(0), &empty),
            Err(ListError::NotNextHeight { .. })
        ));
    }

    #[test]
    fn undo_restores_every_block_exactly() {
        let mut list = started_and_confirmed(5);
        let snapshot = |list: &FluxnodeList| {
            let mut nodes: Vec<NodeRecord> = list.nodes().cloned().collect();
            nodes.sort_by_key(|n| n.collateral);
            let order: Vec<Vec<OutPoint>> = Tier::ALL
                .map(|t| list.payment_order(t).map(|n| n.collateral).collect())
                .to_vec();
            (nodes, order, list.tip())
        };
        let mut states = vec![snapshot(&list)];
        let mut undos = Vec::new();
        for h in BASE + 2..BASE + 400 {
            let mut changes = BlockChanges::default();
            if h % 7 == 0 {
                changes.starts.push(start(h, Tier::ALL[(h % 3) as usize]));
            }
            let pending = (h - 30..h - 1).find(|n| {
                list.get(&outpoint(*n))
                    .is_some_and(|r| r.status == NodeStatus::Started)
            });
            if let (0, Some(n)) = (h % 11, pending) {
                changes.confirms.push(confirm(n, false));
            }
            if h % 97 == 0 {
                changes.spent.push(outpoint(3));
            }
            undos.push(list.apply_block(BlockHeight(h), &changes).unwrap());
            states.push(snapshot(&list));
        }
        assert!(list.nodes().any(|n| n.status == NodeStatus::DosProtection));
        assert!(list.confirmed_count(Tier::Nimbus) > 0);
        while let Some(undo) = undos.pop() {
            states.pop();
            list.undo_block(undo).unwrap();
            assert_eq!(&snapshot(&list), states.last().unwrap());
        }
    }
}
