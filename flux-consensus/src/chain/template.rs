//! What a miner needs for the next block ([`BlockTemplate`]): the difficulty, the earliest time,
//! the payouts the coinbase must carry, and builders for the coinbase and the block.

use flux_nodes::RewardSplit;
use flux_pow::BlockHeight;
use flux_pow::difficulty::Compact;
use flux_tx::transaction::SAPLING_VERSION_GROUP_ID;
use flux_tx::transaction::{SAPLING_TX_VERSION, SaplingBundle, StandardTx, TxBody};
use flux_tx::{
    Amount, Block, BlockHash, BlockHeader, OutPoint, SaplingRoot, Script, Transaction, TxIn, TxOut,
};
use redb::ReadableDatabase;

use super::Chain;
use super::tables::ancestor_window;
use super::view::UtxoTable;
use crate::check::block::{RequiredPayout, empty_sapling_root, height_script, required_payouts};
use crate::check::header::median_time_past;
use crate::params::{DIFFICULTY_WINDOW, NetworkParams};
use crate::store::{INDEX, StoreError, UTXOS};

/// What a miner needs to build the next block on the tip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockTemplate {
    /// The new block's height.
    pub height: BlockHeight,
    /// Its parent: the tip.
    pub prev_block: BlockHash,
    /// The `nBits` it must carry.
    pub bits: Compact,
    /// The earliest valid `nTime` (median time past + 1).
    pub min_time: u32,
    /// The `hashFinalSaplingRoot` it must carry.
    pub final_sapling_root: SaplingRoot,
    /// The consensus branch id its transactions' signatures commit to.
    pub branch_id: u32,
    /// The subsidy and its split at this height.
    pub reward: RewardSplit,
    /// The fluxnode payouts the coinbase must carry (one per tier with a confirmed node).
    pub fluxnode_payouts: Vec<RequiredPayout>,
    /// Whether the coinbase must be a v4 Sapling transaction (Acadia active).
    pub sapling_coinbase: bool,
    /// The one-off exchange, foundation or swap-pool outputs due at this height (usually none).
    pub fund_outputs: Vec<TxOut>,
    /// Whether the block is proof of node (`IsPONActive`): a header of version 100 naming the
    /// producing node's collateral and signed by its operator key, instead of a mined one.
    pub proof_of_node: bool,
    /// Where the remainder of the subsidy and the fees go when consensus fixes it: the dev fund
    /// under proof of node (the producing node gets nothing, `pon/pon-minter.cpp:288-314`);
    /// `None` when the miner chooses.
    pub remainder_script: Option<Script>,
}

impl BlockTemplate {
    /// What the miner (under proof of node, the dev fund) may take: the subsidy plus `fees`, less
    /// the fluxnode payouts.
    pub fn miner_amount(&self, fees: Amount) -> Amount {
        let paid = self
            .fluxnode_payouts
            .iter()
            .filter_map(|payout| payout.output.amount())
            .try_fold(Amount::ZERO, Amount::checked_add)
            .unwrap_or(Amount::ZERO);
        self.reward
            .subsidy
            .checked_add(fees)
            .and_then(|total| total.checked_sub(paid))
            .unwrap_or(Amount::ZERO)
    }

    /// The coinbase outputs: the remainder first (to `miner_script`, or to
    /// [`BlockTemplate::remainder_script`] where consensus fixes it), then each fluxnode payout,
    /// then any fund output.
    pub fn coinbase_outputs(&self, miner_script: &Script, fees: Amount) -> Vec<TxOut> {
        let remainder = self.remainder_script.as_ref().unwrap_or(miner_script);
        let mut outputs = vec![TxOut::new(self.miner_amount(fees), remainder.clone())];
        outputs.extend(self.fluxnode_payouts.iter().map(|p| p.output.clone()));
        outputs.extend(self.fund_outputs.iter().cloned());
        outputs
    }

    /// A complete coinbase transaction: the height push then `extra` in its scriptSig (padded to
    /// the 2-byte minimum), [`BlockTemplate::coinbase_outputs`], v4 Sapling once Acadia is active.
    pub fn coinbase_transaction(
        &self,
        miner_script: &Script,
        fees: Amount,
        extra: &[u8],
    ) -> Transaction {
        let mut script_sig = height_script(self.height.0);
        script_sig.extend_from_slice(extra);
        if script_sig.len() < 2 {
            script_sig.push(0);
        }
        script_sig.truncate(100);
        let body = StandardTx {
            inputs: vec![TxIn {
                prevout: OutPoint::NULL,
                script_sig: Script::from(script_sig),
                sequence: u32::MAX,
            }],
            outputs: self.coinbase_outputs(miner_script, fees),
            lock_time: 0,
            expiry_height: 0,
            sapling: SaplingBundle::default(),
            join_splits: None,
        };
        Transaction {
            overwintered: self.sapling_coinbase,
            version: if self.sapling_coinbase {
                SAPLING_TX_VERSION
            } else {
                1
            },
            version_group_id: if self.sapling_coinbase {
                SAPLING_VERSION_GROUP_ID
            } else {
                0
            },
            body: TxBody::Standard(body),
        }
    }

    /// A proof-of-node block with `transactions` (the coinbase first) on this template, produced
    /// by the node whose collateral is `collateral`: version 100, merkle root filled in, the
    /// signature empty for [`flux_tx::pon::sign_block`] (which the hash leaves out).
    pub fn pon_block(
        &self,
        time: u32,
        collateral: OutPoint,
        transactions: Vec<Transaction>,
    ) -> Block {
        let mut block = self.block(time, transactions);
        block.header.version = flux_pow::difficulty::PON_VERSION;
        block.header.proof = flux_tx::BlockProof::Node {
            collateral,
            signature: Vec::new(),
        };
        block
    }

    /// A block with `transactions` (the coinbase first) on this template: merkle root filled in,
    /// nonce and solution empty for the miner to search.
    pub fn block(&self, time: u32, transactions: Vec<Transaction>) -> Block {
        let mut block = Block {
            header: BlockHeader {
                version: 4,
                prev_block: self.prev_block,
                merkle_root: flux_tx::MerkleRoot::ZERO,
                final_sapling_root: self.final_sapling_root,
                time: time.max(self.min_time),
                bits: self.bits,
                proof: flux_tx::BlockProof::Work {
                    nonce: [0; 32],
                    solution: Vec::new(),
                },
            },
            transactions,
        };
        block.header.merkle_root = block.compute_merkle_root().0;
        block
    }
}

impl Chain {
    /// The fluxnode payouts the next block must carry.
    ///
    /// # Errors
    ///
    /// [`StoreError`] on a read failure.
    pub fn next_payouts(&self) -> Result<Vec<RequiredPayout>, StoreError> {
        let read = self.db.begin_read()?;
        let utxos = read.open_table(UTXOS)?;
        let next = BlockHeight(self.tip.height.0 + 1);
        required_payouts(self.params.as_ref(), &self.list, &UtxoTable(&utxos), next)
    }

    /// What a miner needs for the block at `height`, which must be the tip's height + 1 (the
    /// payees and the difficulty follow from the tip). `None` for any other height.
    ///
    /// # Errors
    ///
    /// [`StoreError`] on a read failure, or a difficulty the store cannot compute.
    pub fn block_template(&self, height: BlockHeight) -> Result<Option<BlockTemplate>, StoreError> {
        if height.0 != self.tip.height.0 + 1 {
            return Ok(None);
        }
        let read = self.db.begin_read()?;
        let index = read.open_table(INDEX)?;
        let window = ancestor_window(&index, self.tip.hash, DIFFICULTY_WINDOW)?;
        let bits = self
            .params
            .next_work_required(&window, None)
            .map_err(|error| StoreError::Corrupt(format!("difficulty: {error}")))?;
        let params = self.params.as_ref();
        let proof_of_node = params.is_pon_active(height);
        // Proof of node needs a time after the parent's, proof of work after the median time past.
        let floor = if proof_of_node {
            window.last().map(|parent| parent.time)
        } else {
            median_time_past(&window)
        };
        let min_time = floor.unwrap_or(0) + 1;
        let acadia = params.is_active(flux_pow::NetworkUpgrade::Acadia, height);
        Ok(Some(BlockTemplate {
            height,
            prev_block: self.tip.hash,
            bits,
            min_time: u32::try_from(min_time).unwrap_or(u32::MAX),
            final_sapling_root: if acadia {
                empty_sapling_root()
            } else {
                SaplingRoot::ZERO
            },
            branch_id: params.branch_id_at(height),
            reward: params.reward_split(height),
            fluxnode_payouts: self.next_payouts()?,
            sapling_coinbase: acadia,
            fund_outputs: fund_outputs(params, height),
            proof_of_node,
            remainder_script: if proof_of_node {
                params.fund_scripts().dev_fund
            } else {
                None
            },
        }))
    }
}

/// The fund outputs due at `height` (see [`crate::check::block::check_fund_outputs`]).
fn fund_outputs(params: &dyn NetworkParams, height: BlockHeight) -> Vec<TxOut> {
    let split = params.reward_split(height);
    let scripts = params.fund_scripts();
    [
        (split.exchange_fund, scripts.exchange),
        (split.foundation_fund, scripts.foundation),
        (split.swap_pool, scripts.swap_pool),
    ]
    .into_iter()
    .filter_map(|(amount, script)| match script {
        Some(script) if amount > Amount::ZERO => Some(TxOut::new(amount, script)),
        _ => None,
    })
    .collect()
}
