//! Shared helpers of the integration tests: a devnet miner with keys and a temporary store.
#![allow(dead_code)]

use flux_consensus::{AcceptOutcome, BlockError, Chain, Devnet};
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
    Address::from_public_key(&key.public_key(), Network::Regtest).script_pubkey()
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
        let chain = Chain::open(dir.path().join("chain.redb"), Devnet).unwrap();
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

    /// Accepts a block with the clock at its own time.
    pub fn accept(&mut self, block: &Block) -> Result<AcceptOutcome, BlockError> {
        self.chain
            .accept_block_at(block, i64::from(block.header.time))
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
        let hash = self.chain.block_hash(BlockHeight(height)).unwrap().unwrap();
        let block = self.chain.block(&hash).unwrap().unwrap();
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
                    Address::from_public_key(&to.public_key(), Network::Regtest),
                    *amount,
                )
            })
            .collect();
        let change = Address::from_public_key(&from.public_key(), Network::Regtest);
        build_p2pkh(
            from,
            utxos,
            &payments,
            fee,
            &change,
            Network::Regtest,
            BlockHeight(self.height() + 1),
        )
        .unwrap()
    }
}

pub fn flux(amount: i64) -> Amount {
    Amount::from_flux(amount).unwrap()
}
