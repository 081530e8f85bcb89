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

impl Owned {
    fn mature_at(&self, next_height: BlockHeight) -> bool {
        !self.coinbase || next_height.0 >= self.height.0 + COINBASE_MATURITY
    }
}

/// Keys by label and the unspent outputs locked to them.
///
/// Outputs are kept per label because every question the node asks names one: the collateral
/// and dev-fund keys are paid in every block, so a scan of all outputs per question made a long
/// devnet quadratic to produce.
#[derive(Debug, Clone)]
pub struct Wallet {
    keys: BTreeMap<String, PrivateKey>,
    /// Derived once: the node asks for addresses in every block it connects, and deriving a
    /// public key costs tens of microseconds.
    addresses: BTreeMap<String, Address>,
    scripts: BTreeMap<Script, String>,
    by_label: BTreeMap<String, BTreeMap<OutPoint, Owned>>,
    label_of: BTreeMap<OutPoint, String>,
}

impl Wallet {
    /// A wallet with the keys of `labels`.
    pub fn new<'a>(labels: impl IntoIterator<Item = &'a str>) -> Wallet {
        let mut wallet = Wallet {
            keys: BTreeMap::new(),
            addresses: BTreeMap::new(),
            scripts: BTreeMap::new(),
            by_label: BTreeMap::new(),
            label_of: BTreeMap::new(),
        };
        for label in labels {
            let key = devnet_key(label);
            let address = Address::from_public_key(&key.public_key(), Network::Devnet);
            wallet
                .scripts
                .insert(address.script_pubkey(), label.to_owned());
            wallet.addresses.insert(label.to_owned(), address);
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
        self.addresses.get(label).copied()
    }

    /// Takes a connected block: outputs to the wallet's keys are added, spent ones removed.
    pub fn connect_block(&mut self, block: &Block, height: BlockHeight) {
        for tx in &block.transactions {
            for input in tx.inputs() {
                if let Some(label) = self.label_of.remove(&input.prevout)
                    && let Some(outputs) = self.by_label.get_mut(&label)
                {
                    outputs.remove(&input.prevout);
                }
            }
            let txid = tx.txid();
            let coinbase = tx.is_coinbase();
            for (index, output) in tx.outputs().iter().enumerate() {
                let (Some(label), Some(amount)) =
                    (self.scripts.get(&output.script_pubkey), output.amount())
                else {
                    continue;
                };
                let Ok(index) = u32::try_from(index) else {
                    continue;
                };
                let outpoint = OutPoint { txid, index };
                self.label_of.insert(outpoint, label.clone());
                self.by_label.entry(label.clone()).or_default().insert(
                    outpoint,
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
            .outputs_of(label)
            .filter(|(_, owned)| owned.mature_at(next_height))
            .map(|(outpoint, owned)| Utxo {
                outpoint: *outpoint,
                amount: owned.amount,
                script_pubkey: owned.script.clone(),
            })
            .collect();
        utxos.sort_by_key(|utxo| core::cmp::Reverse(utxo.amount));
        utxos
    }

    /// The first of `label`'s outputs (in outpoint order) spendable in a block at `next_height`
    /// that holds exactly `amount`: what [`Wallet::spendable`] would list first among that
    /// amount, without copying the others.
    pub fn spendable_of_amount(
        &self,
        label: &str,
        next_height: BlockHeight,
        amount: Amount,
    ) -> Option<OutPoint> {
        self.outputs_of(label)
            .find(|(_, owned)| owned.amount == amount && owned.mature_at(next_height))
            .map(|(outpoint, _)| *outpoint)
    }

    /// The total of `label`'s outputs, mature or not.
    pub fn balance(&self, label: &str) -> Amount {
        self.outputs_of(label)
            .try_fold(Amount::ZERO, |sum, (_, owned)| {
                sum.checked_add(owned.amount)
            })
            .unwrap_or(Amount::ZERO)
    }

    /// The height of the block that created one of the wallet's unspent outputs.
    pub fn output_height(&self, outpoint: &OutPoint) -> Option<BlockHeight> {
        self.owned(outpoint).map(|owned| owned.height)
    }

    /// Whether `outpoint` is one of the wallet's unspent outputs.
    pub fn owns(&self, outpoint: &OutPoint) -> bool {
        self.label_of.contains_key(outpoint)
    }

    fn owned(&self, outpoint: &OutPoint) -> Option<&Owned> {
        let label = self.label_of.get(outpoint)?;
        self.by_label.get(label)?.get(outpoint)
    }

    fn outputs_of(&self, label: &str) -> impl Iterator<Item = (&OutPoint, &Owned)> {
        self.by_label.get(label).into_iter().flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flux_consensus::{Devnet, NetworkParams};
    use flux_tx::builder::build_p2pkh;

    fn flux(amount: i64) -> Amount {
        Amount::from_flux(amount).expect("an amount")
    }

    /// A block holding one transaction in which `from` spends `utxo` to `payments`, the change
    /// going to a key the wallet does not know.
    fn block_spending(from: &str, utxo: Utxo, payments: &[(Address, Amount)]) -> Block {
        let stranger =
            Address::from_public_key(&devnet_key("stranger").public_key(), Network::Devnet);
        let tx = build_p2pkh(
            &devnet_key(from),
            &[utxo],
            payments,
            Amount::from_zat(1_000).expect("a fee"),
            &stranger,
            Network::Devnet,
            BlockHeight(10),
        )
        .expect("a transaction");
        Block {
            header: Devnet::default().genesis_block().header,
            transactions: vec![tx],
        }
    }

    #[test]
    fn outputs_are_found_by_label_and_forgotten_once_spent() {
        let mut wallet = Wallet::new(["alice", "bob"]);
        let alice = wallet.address("alice").expect("alice's address");
        assert_eq!(
            alice,
            Address::from_public_key(&devnet_key("alice").public_key(), Network::Devnet)
        );
        assert_eq!(wallet.address("nobody"), None);
        let bob = wallet.address("bob").expect("bob's address");
        let foreign = Utxo {
            outpoint: OutPoint {
                txid: flux_tx::Txid([7; 32]),
                index: 0,
            },
            amount: flux(100),
            script_pubkey: Address::from_public_key(
                &devnet_key("stranger").public_key(),
                Network::Devnet,
            )
            .script_pubkey(),
        };
        let first = block_spending(
            "stranger",
            foreign,
            &[(alice, flux(5)), (bob, flux(7)), (alice, flux(5))],
        );
        let first_txid = first.transactions[0].txid();
        wallet.connect_block(&first, BlockHeight(3));
        assert_eq!(wallet.balance("alice"), flux(10));
        assert_eq!(wallet.balance("bob"), flux(7));
        let alice_first = OutPoint {
            txid: first_txid,
            index: 0,
        };
        // Of two outputs of the amount, the first in outpoint order.
        assert_eq!(
            wallet.spendable_of_amount("alice", BlockHeight(4), flux(5)),
            Some(alice_first)
        );
        assert_eq!(
            wallet.spendable_of_amount("alice", BlockHeight(4), flux(7)),
            None
        );
        assert_eq!(
            wallet
                .spendable_of_amount("bob", BlockHeight(4), flux(7))
                .map(|o| o.index),
            Some(1)
        );
        assert_eq!(wallet.output_height(&alice_first), Some(BlockHeight(3)));
        assert_eq!(wallet.spendable("alice", BlockHeight(4)).len(), 2);

        let spend = Utxo {
            outpoint: alice_first,
            amount: flux(5),
            script_pubkey: wallet.address("alice").expect("address").script_pubkey(),
        };
        wallet.connect_block(
            &block_spending("alice", spend, &[(bob, flux(4))]),
            BlockHeight(4),
        );
        assert!(!wallet.owns(&alice_first));
        assert_eq!(wallet.output_height(&alice_first), None);
        assert_eq!(wallet.balance("alice"), flux(5));
        assert_eq!(
            wallet
                .spendable_of_amount("alice", BlockHeight(5), flux(5))
                .map(|o| o.index),
            Some(2)
        );
        assert_eq!(wallet.balance("bob"), flux(11));
        assert_eq!(wallet.balance("nobody"), Amount::ZERO);
    }
}
