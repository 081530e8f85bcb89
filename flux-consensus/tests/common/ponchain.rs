//! Proof-of-node blocks on a devnet chain: a node's block on the tip at the first time (from the
//! template's earliest) whose slot gives a PON hash within the target, signed by its operator key.

use flux_consensus::BlockTemplate;
use flux_consensus::check::pon::header_pon_hash;
use flux_pow::BlockHeight;
use flux_pow::difficulty::check_proof_of_node;
use flux_tx::keys::PrivateKey;
use flux_tx::pon::sign_block;
use flux_tx::{Amount, Block, BlockHeader, OutPoint, Transaction};

use super::devchain::{Devchain, script_of};

/// Whether `header`'s PON hash meets its bits at `height` on `dev`'s network (the checks of
/// `CheckBlockHeader` and `ContextualCheckBlockHeader`, not the code under test's composition).
pub fn pon_hash_passes(dev: &Devchain, header: &BlockHeader, height: BlockHeight) -> bool {
    let params = dev.chain.params();
    let Some(hash) = header_pon_hash(params, header) else {
        return false;
    };
    let difficulty = params.difficulty_params();
    check_proof_of_node(&difficulty, &hash.0, header.bits, None).is_ok()
        && check_proof_of_node(&difficulty, &hash.0, header.bits, Some(height)).is_ok()
}

/// The first time from `from` on (one candidate per slot after the first second) at which
/// `header` passes the PON target, or fails it when `passing` is false.
pub fn time_where(
    dev: &Devchain,
    header: &BlockHeader,
    height: BlockHeight,
    from: u32,
    passing: bool,
) -> u32 {
    let slot = dev.chain.params().pon_slot_seconds().get();
    let mut candidate = header.clone();
    let mut time = from;
    for _ in 0..256 {
        candidate.time = time;
        if pon_hash_passes(dev, &candidate, height) == passing {
            return time;
        }
        // The next slot's first second.
        let genesis = dev.chain.params().genesis_time();
        time = genesis + ((time - genesis) / slot + 1) * slot;
    }
    panic!("no slot in 256 gives the wanted PON hash");
}

impl Devchain {
    /// The template for the block on the tip.
    pub fn next_template(&self) -> BlockTemplate {
        let height = BlockHeight(self.height() + 1);
        self.chain.block_template(height).unwrap().unwrap()
    }

    /// A PON block on the tip by the node of `collateral`, with `txs` after the template's
    /// coinbase, at the first eligible time, signed by `operator`; `edit` may change the coinbase
    /// first.
    pub fn pon_block_with(
        &mut self,
        collateral: OutPoint,
        operator: &PrivateKey,
        txs: Vec<Transaction>,
        edit: impl FnOnce(&mut Transaction),
    ) -> Block {
        let template = self.next_template();
        assert!(
            template.proof_of_node,
            "height {} is not PON",
            template.height.0
        );
        self.extra += 1;
        let fees = txs
            .iter()
            .map(|tx| self.chain.validate_transaction(tx).unwrap_or(Amount::ZERO))
            .fold(Amount::ZERO, |sum, fee| sum.checked_add(fee).unwrap());
        let mut coinbase =
            template.coinbase_transaction(&script_of(&self.miner), fees, &self.extra.to_le_bytes());
        edit(&mut coinbase);
        let mut all = vec![coinbase];
        all.extend(txs);
        let mut block = template.pon_block(template.min_time, collateral, all);
        block.header.time = time_where(
            self,
            &block.header,
            template.height,
            template.min_time,
            true,
        );
        sign(&mut block, operator);
        block
    }

    /// [`Devchain::pon_block_with`] with only a coinbase.
    pub fn pon_block(&mut self, collateral: OutPoint, operator: &PrivateKey) -> Block {
        self.pon_block_with(collateral, operator, Vec::new(), |_| {})
    }

    /// Makes and accepts `count` PON blocks by the node of `collateral`.
    pub fn produce(
        &mut self,
        count: u32,
        collateral: OutPoint,
        operator: &PrivateKey,
    ) -> Vec<Block> {
        (0..count)
            .map(|_| {
                let block = self.pon_block(collateral, operator);
                self.accept(&block).unwrap();
                block
            })
            .collect()
    }
}

/// Signs a PON block (again, after an edit) with `operator`.
pub fn sign(block: &mut Block, operator: &PrivateKey) {
    let signature = sign_block(&block.header, operator);
    if let flux_tx::BlockProof::Node {
        signature: slot, ..
    } = &mut block.header.proof
    {
        *slot = signature;
    }
}
