//! A devnet miner with keys and a temporary store (features `store` and `miner`).

use flux_consensus::{AcceptBlockError, AcceptOutcome, BlockError, Chain, Devnet};
use flux_pow::{BlockHeight, Network};
use flux_tx::address::Address;
use flux_tx::builder::{Utxo, build_p2pkh};
use flux_tx::keys::PrivateKey;
use flux_tx::{Amount, Block, OutPoint, Script, Transaction};

/// A test key from a one-byte seed.
pub fn key(seed: u8) -> PrivateKey {
    PrivateKey::from_secret_bytes([seed; 32], true).unwrap()
}

/// The P2PKH script of a key.
pub fn script_of(key: &PrivateKey) -> Script {
    Address::from_public_key(&key.public_key(), Network::Devnet).script_pubkey()
}

/// A devnet chain in a temporary directory, mining to `miner`.
pub struct Devchain {
    pub dir: tempfile::TempDir,
    pub chain: Chain,
    pub miner: PrivateKey,
    pub extra: u64,
}

impl Devchain {
    pub fn new() -> Devchain {
        let dir = tempfile::tempdir().unwrap();
        let chain = Chain::open(dir.path().join("chain.redb"), Devnet::default()).unwrap();
        Devchain {
            dir,
            chain,
            miner: key(1),
            extra: 0,
        }
    }

    pub fn height(&self) -> u32 {
        self.chain.tip().0.0
    }

    /// The next block with `txs` after the template's coinbase (fees collected), solved.
    pub fn make_block(&mut self, txs: Vec<Transaction>) -> Block {
        let fees = txs
            .iter()
            .map(|tx| self.chain.validate_transaction(tx).unwrap_or(Amount::ZERO))
            .fold(Amount::ZERO, |sum, fee| sum.checked_add(fee).unwrap());
        self.make_block_with(txs, fees, |_| {})
    }

    /// Like [`Devchain::make_block`], letting `edit` change the coinbase before solving.
    pub fn make_block_with(
        &mut self,
        txs: Vec<Transaction>,
        fees: Amount,
        edit: impl FnOnce(&mut Transaction),
    ) -> Block {
        let height = BlockHeight(self.height() + 1);
        let template = self.chain.block_template(height).unwrap().unwrap();
        self.extra += 1;
        let mut coinbase =
            template.coinbase_transaction(&script_of(&self.miner), fees, &self.extra.to_le_bytes());
        edit(&mut coinbase);
        let mut all = vec![coinbase];
        all.extend(txs);
        let block = template.block(template.min_time, all);
        flux_consensus::devnet::solve(block).unwrap()
    }

    /// Accepts a block with the clock at its own time. The tests inspect the rule verdict; a
    /// store failure fails the test.
    pub fn accept(&mut self, block: &Block) -> Result<AcceptOutcome, BlockError> {
        match self
            .chain
            .accept_block_at(block, i64::from(block.header.time))
        {
            Ok(outcome) => Ok(outcome),
            Err(AcceptBlockError::Invalid(error)) => Err(error),
            Err(error) => panic!("the test store failed: {error}"),
        }
    }

    /// Mines and accepts `count` blocks with only a coinbase.
    pub fn mine(&mut self, count: u32) -> Vec<Block> {
        (0..count)
            .map(|_| {
                let block = self.make_block(Vec::new());
                self.accept(&block).unwrap();
                block
            })
            .collect()
    }

    /// The miner's output of the coinbase of the best-chain block at `height`.
    pub fn coinbase_utxo(&self, height: u32) -> Utxo {
        coinbase_utxo(&self.chain, height)
    }

    /// A signed transaction spending `utxos` of `from`, paying `payments`, change back.
    pub fn pay(
        &self,
        from: &PrivateKey,
        utxos: &[Utxo],
        payments: &[(&PrivateKey, Amount)],
        fee: Amount,
    ) -> Transaction {
        let payments: Vec<(Address, Amount)> = payments
            .iter()
            .map(|(to, amount)| {
                (
                    Address::from_public_key(&to.public_key(), Network::Devnet),
                    *amount,
                )
            })
            .collect();
        let change = Address::from_public_key(&from.public_key(), Network::Devnet);
        build_p2pkh(
            from,
            utxos,
            &payments,
            fee,
            &change,
            Network::Devnet,
            BlockHeight(self.height() + 1),
        )
        .unwrap()
    }
}

pub fn flux(amount: i64) -> Amount {
    Amount::from_flux(amount).unwrap()
}

/// A signed v5 START for `collateral`, owned by `collateral_key`, announcing `node_key`: the
/// wallet builder's, as the node's operators make it.
pub fn start_tx(
    collateral: OutPoint,
    collateral_key: &PrivateKey,
    node_key: &PrivateKey,
) -> Transaction {
    flux_tx::builder::fluxnode::build_start(
        collateral,
        collateral_key,
        &node_key.public_key(),
        1_764_547_300,
    )
}

/// A CONFIRM for `collateral` signed by `node_key` (`update` false: the initial one), made by the
/// wallet builder with a Cumulus benchmark attestation (the chain does not check it).
pub fn confirm_tx(
    collateral: OutPoint,
    node_key: &PrivateKey,
    update: bool,
    sig_time: u32,
) -> Transaction {
    use flux_tx::builder::fluxnode::{BenchmarkAttestation, build_confirm};
    use flux_tx::fluxnode::UpdateType;
    let benchmark_key = key(200);
    let update_type = if update {
        UpdateType::UpdateConfirm
    } else {
        UpdateType::InitialConfirm
    };
    build_confirm(
        collateral,
        node_key,
        update_type,
        sig_time,
        "10.1.2.3:16127",
        &BenchmarkAttestation {
            key: &benchmark_key,
            tier: flux_tx::Tier::Cumulus,
            sig_time,
        },
    )
}

impl Devchain {
    /// A devnet chain whose tip is at height 100: the premine of block 1 is spendable in 101.
    pub fn funded() -> Devchain {
        let mut dev = Devchain::new();
        dev.mine(100);
        dev
    }

    /// A second store fed the best-chain blocks 1..=tip of this one (same keys).
    pub fn copy(&self) -> Devchain {
        let mut other = Devchain::new();
        other.miner = self.miner.clone();
        other.extra = self.extra + 1_000_000;
        for height in 1..=self.height() {
            let hash = self.chain.block_hash(BlockHeight(height)).unwrap().unwrap();
            let block = self.chain.block(&hash).unwrap().unwrap();
            other.accept(&block).unwrap();
        }
        other
    }

    /// Re-solves a block after its header or transactions were edited.
    pub fn resolve(block: Block) -> Block {
        let mut block = block;
        block.header.proof = flux_tx::BlockProof::Work {
            nonce: [7; 32],
            solution: Vec::new(),
        };
        flux_consensus::devnet::solve(block).unwrap()
    }
}

/// Everything the fluxnode list holds, in a comparable order.
pub fn list_snapshot(
    list: &flux_nodes::FluxnodeList,
) -> (Vec<String>, Vec<Vec<OutPoint>>, Option<BlockHeight>) {
    let mut nodes: Vec<String> = list.nodes().map(|n| format!("{n:?}")).collect();
    nodes.sort();
    let order = flux_nodes::Tier::ALL
        .iter()
        .map(|tier| list.payment_order(*tier).map(|n| n.collateral).collect())
        .collect();
    (nodes, order, list.tip())
}

/// A chain at height 203 with one confirmed Cumulus node: block 101 funds its 10,000 FLUX
/// collateral from the premine, a START needs it 100 blocks deep, so 202 holds the START and
/// 203 the CONFIRM.
pub fn with_node() -> (Devchain, OutPoint, Utxo) {
    let mut dev = Devchain::funded();
    let owner = key(7);
    let node = key(8);
    let premine = dev.coinbase_utxo(1);
    let miner = dev.miner.clone();
    let funding = dev.pay(
        &miner,
        &[premine],
        &[(&owner, flux(10_000))],
        Amount::from_zat(10_000).unwrap(),
    );
    assert_eq!(
        dev.chain.validate_transaction(&funding).unwrap(),
        Amount::from_zat(10_000).unwrap()
    );
    let block = dev.make_block(vec![funding.clone()]);
    // The miner collects the fee on top of the subsidy.
    let reward = block.transactions[0].outputs()[0].value;
    assert_eq!(
        reward,
        dev.chain
            .params()
            .reward_split(BlockHeight(101))
            .subsidy
            .zat()
            + 10_000
    );
    assert_eq!(
        dev.accept(&block).unwrap(),
        flux_consensus::AcceptOutcome::Extended {
            height: BlockHeight(101)
        }
    );
    let collateral = OutPoint {
        txid: funding.txid(),
        index: 0,
    };
    let change = Utxo {
        outpoint: OutPoint {
            txid: funding.txid(),
            index: 1,
        },
        amount: funding.outputs()[1].amount().unwrap(),
        script_pubkey: funding.outputs()[1].script_pubkey.clone(),
    };

    let start = start_tx(collateral, &owner, &node);
    assert_eq!(
        dev.chain
            .validate_transaction(&start)
            .unwrap_err()
            .to_string(),
        flux_consensus::TransactionError::FluxnodeCollateralTooYoung {
            collateral,
            depth: 1
        }
        .to_string()
    );
    dev.mine(100);
    assert_eq!(
        dev.chain.validate_transaction(&start).unwrap(),
        Amount::ZERO
    );
    let block = dev.make_block(vec![start]);
    dev.accept(&block).unwrap();
    assert_eq!(
        dev.chain.fluxnode_list().get(&collateral).unwrap().status,
        flux_nodes::NodeStatus::Started
    );
    assert!(dev.chain.next_payouts().unwrap().is_empty());

    let confirm = confirm_tx(collateral, &node, false, 1_764_547_400);
    dev.chain.validate_transaction(&confirm).unwrap();
    let block = dev.make_block(vec![confirm]);
    dev.accept(&block).unwrap();
    let record = dev.chain.fluxnode_list().get(&collateral).unwrap();
    assert_eq!(
        (record.status, record.tier),
        (flux_nodes::NodeStatus::Confirmed, flux_nodes::Tier::Cumulus)
    );
    (dev, collateral, change)
}

impl Devchain {
    /// A new store fed `other`'s best-chain blocks 1..=`height`, mining with other coinbases.
    pub fn funded_like(other: &Devchain, height: u32) -> Devchain {
        let mut dev = Devchain::new();
        dev.miner = other.miner.clone();
        dev.extra = other.extra + 2_000_000;
        for h in 1..=height {
            let hash = other.chain.block_hash(BlockHeight(h)).unwrap().unwrap();
            dev.accept(&other.chain.block(&hash).unwrap().unwrap())
                .unwrap();
        }
        dev
    }
}

/// A solved devnet block on `parent` (at `parent_height`), its coinbase tagged with `tag`.
pub fn block_on(parent: &Block, parent_height: u32, tag: u64) -> Block {
    let height = BlockHeight(parent_height + 1);
    let template = flux_consensus::BlockTemplate {
        height,
        prev_block: parent.hash(),
        bits: Devnet::POW_LIMIT_BITS,
        min_time: parent.header.time + 1,
        final_sapling_root: flux_consensus::check::block::empty_sapling_root(),
        branch_id: flux_consensus::NetworkParams::branch_id_at(&Devnet::default(), height),
        reward: flux_consensus::NetworkParams::reward_split(&Devnet::default(), height),
        fluxnode_payouts: Vec::new(),
        sapling_coinbase: true,
        fund_outputs: Vec::new(),
        proof_of_node: false,
        remainder_script: None,
    };
    let coinbase =
        template.coinbase_transaction(&Script::from(vec![0x51]), Amount::ZERO, &tag.to_le_bytes());
    flux_consensus::devnet::solve(template.block(template.min_time, vec![coinbase])).unwrap()
}

/// The miner's output (the first) of the coinbase of `chain`'s best-chain block at `height`.
pub fn coinbase_utxo(chain: &Chain, height: u32) -> Utxo {
    let hash = chain.block_hash(BlockHeight(height)).unwrap().unwrap();
    let block = chain.block(&hash).unwrap().unwrap();
    let coinbase = &block.transactions[0];
    Utxo {
        outpoint: OutPoint {
            txid: coinbase.txid(),
            index: 0,
        },
        amount: coinbase.outputs()[0].amount().unwrap(),
        script_pubkey: coinbase.outputs()[0].script_pubkey.clone(),
    }
}
