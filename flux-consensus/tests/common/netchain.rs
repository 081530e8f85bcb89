//! A chain of any proof-of-work network mined by the test (features `store` and `miner`): the
//! test picks each block's time and bits, the library's template builds the block and its
//! Equihash solver searches the nonces. Unlike the devnet miner, nothing assumes a fixed
//! difficulty: the test keeps its own record of what the difficulty rules read of each block.

use flux_consensus::params::DIFFICULTY_WINDOW;
use flux_consensus::{
    AcceptBlockError, AcceptOutcome, BlockError, BlockTemplate, Chain, NetworkParams,
};
use flux_pow::difficulty::{Compact, HeaderInfo};
use flux_pow::{BlockHeight, Network};
use flux_tx::address::Address;
use flux_tx::builder::Utxo;
use flux_tx::keys::PrivateKey;
use flux_tx::{Amount, Block, Script, Transaction};

use super::key;

/// Nonces the miner tries before giving up on a block: a block a thousand times harder than
/// the easiest one would still be found.
const MAX_NONCES: u64 = 1 << 20;

/// A chain of `network` in a temporary directory, mined by the test to `miner`.
pub struct MinedChain {
    pub dir: tempfile::TempDir,
    pub chain: Chain,
    pub network: Network,
    pub miner: PrivateKey,
    /// What the difficulty rules read of each best-chain block, genesis first: kept by the test
    /// from the blocks it mined, apart from the store's index.
    pub headers: Vec<HeaderInfo>,
    /// Nonces the solver tried over every mined block.
    pub nonces_tried: u64,
    extra: u64,
}

impl MinedChain {
    /// A new store holding `params`' genesis block.
    pub fn open(params: impl NetworkParams + 'static) -> MinedChain {
        let network = params.network();
        let genesis = params.genesis_block().header;
        let dir = tempfile::tempdir().unwrap();
        let chain = Chain::open(dir.path().join("chain.redb"), params).unwrap();
        MinedChain {
            dir,
            chain,
            network,
            miner: key(1),
            headers: vec![HeaderInfo {
                height: BlockHeight(0),
                time: i64::from(genesis.time),
                bits: genesis.bits,
                version: genesis.version,
            }],
            nonces_tried: 0,
            extra: 0,
        }
    }

    pub fn height(&self) -> u32 {
        self.chain.tip().0.0
    }

    /// The tip as the difficulty rules read it.
    pub fn tip_header(&self) -> HeaderInfo {
        *self.headers.last().unwrap()
    }

    /// The `nBits` the rules require of the next block if its time is `time`.
    pub fn required_bits(&self, time: i64) -> Compact {
        let start = self
            .headers
            .len()
            .saturating_sub(DIFFICULTY_WINDOW as usize);
        self.chain
            .params()
            .next_work_required(&self.headers[start..], Some(time))
            .unwrap()
    }

    /// The chain's template for the next block.
    pub fn template(&self) -> BlockTemplate {
        self.chain
            .block_template(BlockHeight(self.height() + 1))
            .unwrap()
            .unwrap()
    }

    /// The miner's P2PKH script on this network.
    pub fn miner_script(&self) -> Script {
        Address::from_public_key(&self.miner.public_key(), self.network).script_pubkey()
    }

    /// The next block with time `time`, `bits`, and `txs` after the template's coinbase (which
    /// collects `fees`), solved against `bits` with the network's Equihash set for its height.
    pub fn mine_block(
        &mut self,
        time: i64,
        bits: Compact,
        txs: Vec<Transaction>,
        fees: Amount,
    ) -> Block {
        let template = self.template();
        let time = u32::try_from(time).unwrap();
        assert!(
            time >= template.min_time,
            "time {time} is not after the median time past"
        );
        self.extra += 1;
        let coinbase =
            template.coinbase_transaction(&self.miner_script(), fees, &self.extra.to_le_bytes());
        let mut all = vec![coinbase];
        all.extend(txs);
        let mut block = template.block(time, all);
        block.header.bits = bits;
        let equihash = self.chain.params().equihash_params_at(template.height)[0];
        let solved = flux_consensus::devnet::solve_with(block, equihash, MAX_NONCES).unwrap();
        if let flux_tx::BlockProof::Work { nonce, .. } = &solved.header.proof {
            let mut counter = [0u8; 8];
            counter.copy_from_slice(&nonce[..8]);
            self.nonces_tried += u64::from_le_bytes(counter) + 1;
        }
        solved
    }

    /// Accepts a block with the clock at its own time, recording its header when it becomes
    /// the tip. The tests inspect the rule verdict; a store failure fails the test.
    pub fn accept(&mut self, block: &Block) -> Result<AcceptOutcome, BlockError> {
        let outcome = match self
            .chain
            .accept_block_at(block, i64::from(block.header.time))
        {
            Ok(outcome) => outcome,
            Err(AcceptBlockError::Invalid(error)) => return Err(error),
            Err(error) => panic!("the test store failed: {error}"),
        };
        if let AcceptOutcome::Extended { height } = outcome {
            assert_eq!(height.0 as usize, self.headers.len());
            self.headers.push(HeaderInfo {
                height,
                time: i64::from(block.header.time),
                bits: block.header.bits,
                version: block.header.version,
            });
        }
        Ok(outcome)
    }

    /// The miner's output of the coinbase of the best-chain block at `height`.
    pub fn coinbase_utxo(&self, height: u32) -> Utxo {
        super::devchain::coinbase_utxo(&self.chain, height)
    }
}
