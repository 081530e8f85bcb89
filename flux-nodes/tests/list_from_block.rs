//! The fluxnode list fed from real decoded blocks: the mainnet genesis block carries the header and
//! coinbase, with fluxnode START / CONFIRM transactions and a collateral spend added to it.

use flux_nodes::Tier;
use flux_nodes::list::{BlockChanges, FluxnodeList, ListError, NodeStatus};
use flux_pow::{BlockHeight, Network};
use flux_tx::fluxnode::{CollateralSigner, FluxnodeConfirm, FluxnodeStart, FluxnodeTx};
use flux_tx::{Amount, Block, OutPoint, Transaction, TxBody, Txid};

mod common;

/// The Halving era on mainnet, before proof of node: V2 collateral (1,000 FLUX Cumulus).
const HEIGHT: u32 = 1_600_000;

fn genesis_block() -> Block {
    common::genesis_block("main")
}

fn collateral(n: u8) -> OutPoint {
    OutPoint {
        txid: Txid([n; 32]),
        index: 1,
    }
}

fn fluxnode_tx(tx: FluxnodeTx) -> Transaction {
    Transaction {
        overwintered: false,
        version: 5,
        version_group_id: 0,
        body: TxBody::Fluxnode(tx),
    }
}

fn start(n: u8) -> Transaction {
    fluxnode_tx(FluxnodeTx::Start(FluxnodeStart {
        internal_version: None,
        collateral: collateral(n),
        signer: CollateralSigner::PubKey(vec![2; 33]),
        node_pubkey: vec![3; 33],
        sig_time: 1_700_000_000,
        sig: vec![0; 65],
        delegates: None,
    }))
}

fn confirm(n: u8) -> Transaction {
    fluxnode_tx(FluxnodeTx::Confirm(FluxnodeConfirm {
        collateral: collateral(n),
        sig_time: 1_700_000_100,
        benchmark_tier: Tier::Cumulus.number() as i8,
        benchmark_sig_time: 1_700_000_050,
        update_type: 0,
        ip: b"203.0.113.7:16125".to_vec(),
        sig: vec![0; 65],
        benchmark_sig: vec![0; 65],
    }))
}

fn block_with(extra: Vec<Transaction>) -> Block {
    let mut block = genesis_block();
    block.transactions.extend(extra);
    block
}

fn utxo(outpoint: &OutPoint) -> Option<Amount> {
    // Collateral 9 does not exist; 8 holds an amount no tier uses.
    match outpoint.txid.0[0] {
        9 => None,
        8 => Amount::from_flux(999),
        _ => Amount::from_flux(1_000),
    }
}

#[test]
fn start_confirm_pay_and_spend_from_decoded_blocks() {
    let network = Network::Mainnet;
    let mut list = FluxnodeList::new(network);

    let b1 = block_with(vec![start(1), start(2)]);
    let changes = BlockChanges::from_block(network, BlockHeight(HEIGHT), &b1, utxo).unwrap();
    // The coinbase's null input is not a spend.
    assert!(changes.spent.is_empty());
    assert_eq!(changes.starts.len(), 2);
    assert!(changes.starts.iter().all(|s| s.tier == Tier::Cumulus));
    list.apply_block(BlockHeight(HEIGHT), &changes).unwrap();

    let b2 = block_with(vec![confirm(1), confirm(2)]);
    let changes = BlockChanges::from_block(network, BlockHeight(HEIGHT + 1), &b2, utxo).unwrap();
    assert_eq!(changes.confirms[0].ip, "203.0.113.7:16125");
    list.apply_block(BlockHeight(HEIGHT + 1), &changes).unwrap();
    assert_eq!(list.confirmed_count(Tier::Cumulus), 2);

    // The next block pays node 1 (lower outpoint), then spends node 2's collateral.
    let mut spend = genesis_block().transactions.remove(0);
    if let TxBody::Standard(standard) = &mut spend.body {
        standard.inputs[0].prevout = collateral(2);
    }
    let b3 = block_with(vec![spend]);
    let changes = BlockChanges::from_block(network, BlockHeight(HEIGHT + 2), &b3, utxo).unwrap();
    assert_eq!(changes.spent, vec![collateral(2)]);
    let undo = list.apply_block(BlockHeight(HEIGHT + 2), &changes).unwrap();
    assert_eq!(undo.payee(Tier::Cumulus), Some(collateral(1)));
    assert_eq!(list.confirmed_count(Tier::Cumulus), 1);
    assert_eq!(
        list.get(&collateral(1))
            .map(|n| (n.status, n.last_paid_height)),
        Some((NodeStatus::Confirmed, Some(BlockHeight(HEIGHT + 2))))
    );
}

#[test]
fn starts_without_a_collateral_are_typed_errors() {
    let network = Network::Mainnet;
    let missing = block_with(vec![start(9)]);
    assert_eq!(
        BlockChanges::from_block(network, BlockHeight(HEIGHT), &missing, utxo),
        Err(ListError::UnknownCollateral(collateral(9)))
    );
    let odd = block_with(vec![start(8)]);
    assert!(matches!(
        BlockChanges::from_block(network, BlockHeight(HEIGHT), &odd, utxo),
        Err(ListError::NotACollateral { .. })
    ));
}
