//! The devnet's keys and the outputs they can spend, kept from the blocks the node connects.
//!
//! Keys are derived from a fixed seed and a label, so every run of the devnet (and a second node
//! syncing it) knows the same miner, collateral and node keys; they are devnet-only keys and worth
//! nothing anywhere else.

use std::collections::BTreeMap;

use flux_consensus::params::COINBASE_MATURITY;
use flux_pow::{BlockHeight, Network};
use flux_tx::address::Address;
use flux_tx::amount::Amount;
use flux_tx::block::Block;
use flux_tx::builder::Utxo;
use flux_tx::keys::{PrivateKey, sha256d};
use flux_tx::script::Script;
use flux_tx::transaction::OutPoint;

/// A devnet key derived from `label`: `sha256d("flux-rs devnet key" || label)` as the secret.
///
/// # Panics
/// Never in practice: a SHA-256d output is a valid secp256k1 secret except with probability
/// about 2^-128, and the labels used are fixed.
pub fn devnet_key(label: &str) -> PrivateKey {
    let mut seed = b"flux-rs devnet key ".to_vec();
    seed.extend_from_slice(label.as_bytes());
    let mut secret = sha256d(&seed);
    loop {
        if let Ok(key) = PrivateKey::from_secret_bytes(secret, true) {
            return key;
        }
        secret = sha256d(&secret);
    }
}

/// A spendable output of one of the wallet's keys.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Owned {
    amount: Amount,
    script: Script,
    height: BlockHeight,
    coinbase: bool,
}

/// Keys by label and the unspent outputs locked to them.
#[derive(Debug, Clone)]
pub struct Wallet {
    keys: BTreeMap<String, PrivateKey>,
    scripts: BTreeMap<Script, String>,
    outputs: BTreeMap<OutPoint, Owned>,
}

impl Wallet {
    /// A wallet with the keys of `labels`.
    pub fn new<'a>(labels: impl IntoIterator<Item = &'a str>) -> Wallet {
        let mut wallet = Wallet {
            keys: BTreeMap::new(),
            scripts: BTreeMap::new(),
            outputs: BTreeMap::new(),
        };
        for label in labels {
            let key = devnet_key(label);
            let script =
                Address::from_public_key(&key.public_key(), Network::Devnet).script_pubkey();
            wallet.scripts.insert(script, label.to_owned());
            wallet.keys.insert(label.to_owned(), key);
        }
        wallet
    }

    /// The key of `label`, if the wallet has it.
    pub fn key(&self, label: &str) -> Option<&PrivateKey> {
        self.keys.get(label)
    }

    /// The t1 address of `label`'s key.
    pub fn address(&self, label: &str) -> Option<Address> {
        self.key(label)
            .map(|key| Address::from_public_key(&key.public_key(), Network::Devnet))
    }

    /// Takes a connected block: outputs to the wallet's keys are added, spent ones removed.
    pub fn connect_block(&mut self, block: &Block, height: BlockHeight) {
        for tx in &block.transactions {
            for input in tx.inputs() {
                self.outputs.remove(&input.prevout);
            }
            let txid = tx.txid();
            let coinbase = tx.is_coinbase();
            for (index, output) in tx.outputs().iter().enumerate() {
                let (Some(_), Some(amount)) =
                    (self.scripts.get(&output.script_pubkey), output.amount())
                else {
                    continue;
                };
                let Ok(index) = u32::try_from(index) else {
                    continue;
                };
                self.outputs.insert(
                    OutPoint { txid, index },
                    Owned {
                        amount,
                        script: output.script_pubkey.clone(),
                        height,
                        coinbase,
                    },
                );
            }
        }
    }

    /// `label`'s outputs spendable in a block at `next_height`, largest first.
    pub fn spendable(&self, label: &str, next_height: BlockHeight) -> Vec<Utxo> {
        let mut utxos: Vec<Utxo> = self
            .outputs
            .iter()
            .filter(|(_, owned)| self.scripts.get(&owned.script).map(String::as_str) == Some(label))
            .filter(|(_, owned)| {
                !owned.coinbase || next_height.0 >= owned.height.0 + COINBASE_MATURITY
            })
            .map(|(outpoint, owned)| Utxo {
                outpoint: *outpoint,
                amount: owned.amount,
                script_pubkey: owned.script.clone(),
            })
            .collect();
        utxos.sort_by_key(|utxo| core::cmp::Reverse(utxo.amount));
        utxos
    }

    /// The total of `label`'s outputs, mature or not.
    pub fn balance(&self, label: &str) -> Amount {
        self.outputs
            .values()
            .filter(|owned| self.scripts.get(&owned.script).map(String::as_str) == Some(label))
            .try_fold(Amount::ZERO, |sum, owned| sum.checked_add(owned.amount))
            .unwrap_or(Amount::ZERO)
    }

    /// The height of the block that created one of the wallet's unspent outputs.
    pub fn output_height(&self, outpoint: &OutPoint) -> Option<BlockHeight> {
        self.outputs.get(outpoint).map(|owned| owned.height)
    }

    /// Whether `outpoint` is one of the wallet's unspent outputs.
    pub fn owns(&self, outpoint: &OutPoint) -> bool {
        self.outputs.contains_key(outpoint)
    }
}
