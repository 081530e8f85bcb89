//! A devnet chain mined with flux-pow's solver: accepted, persisted, spendable.

mod common;

use common::{Devchain, flux, key};
use flux_consensus::{AcceptBlockError, AcceptOutcome, Chain, Devnet, NetworkParams, StoreError};
use flux_pow::BlockHeight;

#[test]
fn a_mined_devnet_chain_is_accepted_and_survives_reopening() {
    let mut dev = Devchain::new();
    assert_eq!(
        dev.chain.tip(),
        (BlockHeight(0), Devnet::default().genesis_hash())
    );
    let blocks = dev.mine(5);
    assert_eq!(dev.chain.tip(), (BlockHeight(5), blocks[4].hash()));
    // Block 1 pays the mainnet premine to the miner.
    assert_eq!(dev.coinbase_utxo(1).amount, flux(13_020_000));
    let again = dev.make_block(Vec::new());
    assert_eq!(
        dev.accept(&again).unwrap(),
        AcceptOutcome::Extended {
            height: BlockHeight(6)
        }
    );
    assert_eq!(dev.accept(&again).unwrap(), AcceptOutcome::AlreadyKnown);

    let path = dev.dir.path().join("chain.redb");
    let tip = dev.chain.tip();
    let utxos = dev.chain.utxo_set().unwrap();
    drop(dev.chain);
    let reopened = Chain::open(&path, Devnet::default()).unwrap();
    assert_eq!(reopened.tip(), tip);
    assert_eq!(reopened.utxo_set().unwrap(), utxos);
    assert_eq!(
        reopened.block(&blocks[2].hash()).unwrap().unwrap(),
        blocks[2]
    );
    let located = reopened
        .transaction(&blocks[3].transactions[0].txid())
        .unwrap()
        .unwrap();
    assert_eq!(located.height, BlockHeight(4));
    assert_eq!(located.block_hash, blocks[3].hash());
    let _ = key(2);
}

#[test]
fn a_chain_can_be_shared_between_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Chain>();
    assert_send_sync::<Box<dyn NetworkParams>>();
}

#[test]
fn the_devnet_genesis_is_the_first_solution_of_its_header() {
    let genesis = Devnet::default().genesis_block();
    let solved = flux_consensus::devnet::solve(Devnet::unsolved_genesis()).unwrap();
    assert_eq!(genesis, solved);
    assert_eq!(Devnet::default().genesis_hash(), genesis.hash());
    assert_eq!(
        flux_consensus::check::header::check_header_for_height(
            &Devnet::default(),
            &genesis.header,
            BlockHeight(0)
        ),
        Ok(())
    );
    assert_eq!(genesis.header.bits, Devnet::POW_LIMIT_BITS);
    // The mainnet genesis coinbase, in a header of its own.
    assert_eq!(
        genesis.transactions,
        flux_consensus::Mainnet.genesis_block().transactions
    );
}

#[test]
fn a_store_failure_is_reported_apart_from_the_rules() {
    let mut dev = Devchain::new();
    let blocks = dev.mine(3);
    let next = dev.make_block(Vec::new());
    let Devchain { dir, chain, .. } = dev;
    let path = dir.path().join("chain.redb");
    let tip = chain.tip();
    drop(chain);

    // Lose block 2's index entry: the difficulty window of the next block cannot be read.
    let index: redb::TableDefinition<&[u8], &[u8]> = redb::TableDefinition::new("block_index");
    let db = redb::Database::create(&path).unwrap();
    let txn = db.begin_write().unwrap();
    txn.open_table(index)
        .unwrap()
        .remove(blocks[1].hash().0.as_slice())
        .unwrap()
        .expect("block 2 was indexed");
    txn.commit().unwrap();
    drop(db);

    let mut chain = Chain::open(&path, Devnet::default()).unwrap();
    let error = chain
        .accept_block_at(&next, i64::from(next.header.time))
        .unwrap_err();
    assert!(
        matches!(
            error,
            AcceptBlockError::Store(StoreError::Corrupt(ref what)) if what.contains("index entry")
        ),
        "{error}"
    );
    assert_eq!(error.invalid(), None);
    assert_eq!(error.misbehavior_score(), 0);
    assert_eq!(chain.tip(), tip);
}
