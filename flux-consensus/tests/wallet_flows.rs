//! Round trips through the consensus rules of what flux-tx's wallet builders make: every START
//! kind (version 5, version 6 with delegates, version 6 P2SH with a 2-of-3 collateral, with and
//! without delegates) is accepted by the chain, mined, and its node confirmed; a tampered copy
//! of each is refused.
//!
//! The devnet never activates P2SHNodes, so version 6 STARTs are refused there (checked below).
//! The round trips run on a devnet whose parameters also activate P2SHNodes and PON's
//! transaction rules from block 1 ([`NodeUpgradesDevnet`]): its blocks stay proof of work
//! (`is_pon_active` is the devnet's, from height 250, which these chains never reach).
#![cfg(all(feature = "store", feature = "miner"))]

mod common;

use common::{Devchain, flux, key};
use flux_consensus::check::pon::EmergencyKeys;
use flux_consensus::check::transaction::{
    check_start_signature_with_delegates, check_transaction_at_height, delegates_stored_by,
};
use flux_consensus::{
    AcceptOutcome, Chain, Devnet, NetworkParams, Testnet, TransactionError, TxValidationError,
};
use flux_pow::{BlockHeight, Network, NetworkUpgrade};
use flux_tx::address::Address;
use flux_tx::builder::fluxnode::{
    BenchmarkAttestation, CollateralOwner, DelegateRole, StartTemplate, build_confirm_version,
};
use flux_tx::builder::{Utxo, build_p2pkh};
use flux_tx::fluxnode::{FluxnodeTx, UpdateType};
use flux_tx::keys::PrivateKey;
use flux_tx::script::standard::multisig;
use flux_tx::{Amount, Block, BlockHash, OutPoint, Script, Tier, Transaction, TxBody};

/// The devnet with P2SHNodes and PON's transaction rules active from block 1.
#[derive(Debug, Clone, Copy)]
struct NodeUpgradesDevnet;

impl NetworkParams for NodeUpgradesDevnet {
    fn name(&self) -> &'static str {
        "devnet-node-upgrades"
    }
    fn network(&self) -> Network {
        Network::Devnet
    }
    fn activation_height(&self, upgrade: NetworkUpgrade) -> Option<BlockHeight> {
        match upgrade {
            NetworkUpgrade::P2shNodes | NetworkUpgrade::ProofOfNode => Some(BlockHeight(1)),
            other => Devnet::default().activation_height(other),
        }
    }
    fn max_future_drift(&self, tip_height: BlockHeight, proof_of_node: bool) -> i64 {
        Devnet::default().max_future_drift(tip_height, proof_of_node)
    }
    fn genesis_block(&self) -> Block {
        Devnet::default().genesis_block()
    }
    fn genesis_hash(&self) -> BlockHash {
        Devnet::default().genesis_hash()
    }
    fn genesis_time(&self) -> u32 {
        Devnet::default().genesis_time()
    }
    fn emergency_keys(&self) -> EmergencyKeys {
        Devnet::default().emergency_keys()
    }
    fn default_port(&self) -> u16 {
        Devnet::default().default_port()
    }
    fn rpc_port(&self) -> u16 {
        Devnet::default().rpc_port()
    }
    fn message_start(&self) -> [u8; 4] {
        Devnet::default().message_start()
    }
    fn min_peer_protocol_version(&self) -> u32 {
        Devnet::default().min_peer_protocol_version()
    }
    fn checkpoints(&self) -> Vec<(BlockHeight, BlockHash)> {
        Devnet::default().checkpoints()
    }
    fn fluxnode_payments_start(&self) -> BlockHeight {
        Devnet::default().fluxnode_payments_start()
    }
}

fn upgraded_devchain() -> Devchain {
    let dir = tempfile::tempdir().unwrap();
    let chain = Chain::open(dir.path().join("chain.redb"), NodeUpgradesDevnet).unwrap();
    Devchain {
        dir,
        chain,
        miner: key(1),
        extra: 0,
    }
}

fn invalid(result: Result<Amount, TxValidationError>) -> TransactionError {
    match result {
        Err(TxValidationError::Invalid(error)) => error,
        other => panic!("expected a rule error, got {other:?}"),
    }
}

const SIG_TIME: u32 = 1_764_547_300;

/// A START of `kind`'s collateral signed by `delegate` as a delegate (SIGNING role), announcing
/// a new node key.
fn signed_by_delegate(kind: &Kind, collateral: OutPoint, delegate: &PrivateKey) -> Transaction {
    StartTemplate {
        collateral,
        owner: kind.owner.clone(),
        node_public_key: key(50).public_key(),
        sig_time: SIG_TIME + 10_000,
        delegates: DelegateRole::Signing,
        pon_active: true,
    }
    .build()
    .unwrap()
    .sign(delegate)
    .unwrap()
}

/// The 2-of-3 redeem script of keys 21, 22, 23.
fn redeem_2_of_3() -> Script {
    let public: Vec<Vec<u8>> = [21, 22, 23]
        .map(|seed| key(seed).public_key().to_bytes())
        .to_vec();
    let refs: Vec<&[u8]> = public.iter().map(Vec::as_slice).collect();
    Script::from(multisig(2, &refs).unwrap())
}

/// One START kind: its owner, who signs, and its node key.
struct Kind {
    name: &'static str,
    owner: CollateralOwner,
    collateral_script: Script,
    delegates: DelegateRole,
    signer: PrivateKey,
    node: PrivateKey,
}

fn kinds() -> Vec<Kind> {
    let p2sh = Address::from_redeem_script(redeem_2_of_3().as_bytes(), Network::Devnet);
    let p2pkh = |seed: u8| Address::from_public_key(&key(seed).public_key(), Network::Devnet);
    vec![
        Kind {
            name: "v5 P2PKH",
            owner: CollateralOwner::PubKey(key(11).public_key()),
            collateral_script: p2pkh(11).script_pubkey(),
            delegates: DelegateRole::None,
            signer: key(11),
            node: key(31),
        },
        Kind {
            name: "v6 P2PKH naming two delegates",
            owner: CollateralOwner::PubKey(key(12).public_key()),
            collateral_script: p2pkh(12).script_pubkey(),
            delegates: DelegateRole::Update(vec![key(41).public_key(), key(42).public_key()]),
            signer: key(12),
            node: key(32),
        },
        Kind {
            name: "v6 P2SH 2-of-3",
            owner: CollateralOwner::P2sh(redeem_2_of_3()),
            collateral_script: p2sh.script_pubkey(),
            delegates: DelegateRole::None,
            signer: key(23),
            node: key(33),
        },
        Kind {
            name: "v6 P2SH 2-of-3 naming a delegate",
            owner: CollateralOwner::P2sh(redeem_2_of_3()),
            collateral_script: p2sh.script_pubkey(),
            delegates: DelegateRole::Update(vec![key(43).public_key()]),
            signer: key(21),
            node: key(34),
        },
    ]
}

fn start_for(kind: &Kind, collateral: OutPoint) -> Transaction {
    StartTemplate {
        collateral,
        owner: kind.owner.clone(),
        node_public_key: kind.node.public_key(),
        sig_time: SIG_TIME,
        delegates: kind.delegates.clone(),
        pon_active: true,
    }
    .build()
    .unwrap()
    .sign(&kind.signer)
    .unwrap()
}

/// The START with its sig time changed and the signature kept: the txid it signed is gone.
fn tampered(tx: &Transaction) -> Transaction {
    let mut tx = tx.clone();
    if let TxBody::Fluxnode(FluxnodeTx::Start(start)) = &mut tx.body {
        start.sig_time += 1;
    }
    tx
}

/// A chain at height 100 + 1 + 100 whose block 101 pays 10,000 FLUX to each kind's collateral
/// script (outputs 0..kinds), deep enough at 202 for a START.
fn funded_collaterals(dev: &mut Devchain, kinds: &[Kind]) -> Vec<OutPoint> {
    dev.mine(100);
    let miner = dev.miner.clone();
    let premine: Utxo = dev.coinbase_utxo(1);
    let change = Address::from_public_key(&miner.public_key(), Network::Devnet);
    let payments: Vec<(Address, Amount)> = kinds
        .iter()
        .map(|kind| {
            (
                Address::from_script(&kind.collateral_script, Network::Devnet).unwrap(),
                flux(10_000),
            )
        })
        .collect();
    let funding = build_p2pkh(
        &miner,
        &[premine],
        &payments,
        Amount::from_zat(10_000).unwrap(),
        &change,
        Network::Devnet,
        BlockHeight(dev.height() + 1),
    )
    .unwrap();
    let block = dev.make_block(vec![funding.clone()]);
    assert_eq!(
        dev.accept(&block).unwrap(),
        AcceptOutcome::Extended {
            height: BlockHeight(101)
        }
    );
    dev.mine(100);
    (0..kinds.len() as u32)
        .map(|index| OutPoint {
            txid: funding.txid(),
            index,
        })
        .collect()
}

#[test]
fn every_start_kind_starts_and_confirms_a_node_and_a_tampered_one_is_refused() {
    let mut dev = upgraded_devchain();
    let kinds = kinds();
    let collaterals = funded_collaterals(&mut dev, &kinds);

    let mut starts = Vec::new();
    for (kind, collateral) in kinds.iter().zip(&collaterals) {
        let start = start_for(kind, *collateral);
        assert_eq!(
            dev.chain.validate_transaction(&start).unwrap(),
            Amount::ZERO,
            "{}",
            kind.name
        );
        assert_eq!(
            invalid(dev.chain.validate_transaction(&tampered(&start))),
            TransactionError::FluxnodeBadSignature,
            "{}",
            kind.name
        );
        starts.push(start);
    }
    let fork_height = dev.height();
    let block = dev.make_block(starts.clone());
    assert_eq!(block.transactions.len(), 1 + kinds.len());
    assert_eq!(
        dev.accept(&block).unwrap(),
        AcceptOutcome::Extended {
            height: BlockHeight(202)
        }
    );
    for (kind, collateral) in kinds.iter().zip(&collaterals) {
        assert_eq!(
            dev.chain.fluxnode_list().get(collateral).unwrap().status,
            flux_nodes::NodeStatus::Started,
            "{}",
            kind.name
        );
    }

    // Each node confirms with its START's transaction version.
    let benchmark = key(200);
    let confirms: Vec<Transaction> = kinds
        .iter()
        .zip(&collaterals)
        .zip(&starts)
        .map(|((kind, collateral), start)| {
            build_confirm_version(
                start.version,
                *collateral,
                &kind.node,
                UpdateType::InitialConfirm,
                SIG_TIME + 100,
                "10.1.2.3:16127",
                &BenchmarkAttestation {
                    key: &benchmark,
                    tier: Tier::Cumulus,
                    sig_time: SIG_TIME + 100,
                },
            )
            .unwrap()
        })
        .collect();
    for (kind, confirm) in kinds.iter().zip(&confirms) {
        dev.chain
            .validate_transaction(confirm)
            .unwrap_or_else(|e| panic!("{}: {e}", kind.name));
    }
    let block = dev.make_block(confirms);
    dev.accept(&block).unwrap();
    for (kind, collateral) in kinds.iter().zip(&collaterals) {
        let record = dev.chain.fluxnode_list().get(collateral).unwrap();
        assert_eq!(
            (record.status, record.tier),
            (flux_nodes::NodeStatus::Confirmed, flux_nodes::Tier::Cumulus),
            "{}",
            kind.name
        );
    }

    // The UPDATE STARTs stored their delegates (the keys the kinds name, not read back from the
    // code under test); the others stored none.
    let named = |seeds: &[u8]| -> Vec<Vec<u8>> {
        seeds
            .iter()
            .map(|seed| key(*seed).public_key().to_bytes())
            .collect()
    };
    let expected = [None, Some(named(&[41, 42])), None, Some(named(&[43]))];
    for ((kind, collateral), expected) in kinds.iter().zip(&collaterals).zip(&expected) {
        assert_eq!(
            &dev.chain.delegates(collateral).unwrap(),
            expected,
            "{}",
            kind.name
        );
    }
    // A START signed by a stored delegate passes the signature rule with the stored keys (the
    // list then refuses it: the node is confirmed); one signed by another key does not.
    for (kind, collateral, delegate, refused) in [
        (&kinds[1], collaterals[1], key(42), false),
        (&kinds[1], collaterals[1], key(44), true),
        (&kinds[3], collaterals[3], key(43), false),
    ] {
        let by_delegate = signed_by_delegate(kind, collateral, &delegate);
        let error = invalid(dev.chain.validate_transaction(&by_delegate));
        if refused {
            assert_eq!(
                error,
                TransactionError::FluxnodeBadSignature,
                "{}",
                kind.name
            );
        } else {
            assert!(
                matches!(error, TransactionError::FluxnodeList(_)),
                "{}: {error:?}",
                kind.name
            );
        }
    }

    // Undone with the blocks: a fork from before the STARTs that overtakes leaves no delegates.
    let mut fork = Devchain::funded_like(&dev, fork_height);
    fork.miner = key(99);
    let mut outcome = None;
    for _ in 0..(dev.height() - fork_height + 1) {
        let block = fork.make_block(Vec::new());
        fork.accept(&block).unwrap();
        outcome = Some(dev.accept(&block).unwrap());
    }
    assert!(
        matches!(outcome, Some(AcceptOutcome::Reorganized { .. })),
        "{outcome:?}"
    );
    for collateral in &collaterals {
        assert_eq!(dev.chain.delegates(collateral).unwrap(), None);
    }
}

#[test]
fn a_start_signed_by_a_delegate_needs_the_keys_an_update_stored() {
    let kinds = kinds();
    let collateral = OutPoint {
        txid: flux_tx::Txid([3; 32]),
        index: 0,
    };
    for (kind, delegate) in [(&kinds[1], key(42)), (&kinds[3], key(43))] {
        let update = start_for(kind, collateral);
        let stored = delegates_stored_by(&update).unwrap().to_vec();
        assert!(stored.contains(&delegate.public_key().to_bytes()));
        let by_delegate = signed_by_delegate(kind, collateral, &delegate);
        assert_eq!(delegates_stored_by(&by_delegate), None);
        assert_eq!(
            check_start_signature_with_delegates(&by_delegate, Some(&stored)),
            Ok(()),
            "{}",
            kind.name
        );
        // No stored delegates (the chain keeps none yet), or the wrong ones: refused.
        assert_eq!(
            check_start_signature_with_delegates(&by_delegate, None),
            Err(TransactionError::FluxnodeBadSignature)
        );
        let others = vec![key(44).public_key().to_bytes()];
        assert_eq!(
            check_start_signature_with_delegates(&by_delegate, Some(&others)),
            Err(TransactionError::FluxnodeBadSignature)
        );
        assert_eq!(
            check_start_signature_with_delegates(&tampered(&by_delegate), Some(&stored)),
            Err(TransactionError::FluxnodeBadSignature)
        );
    }
}

#[test]
fn version_6_starts_wait_for_their_upgrades() {
    let kinds = kinds();
    let collateral = OutPoint {
        txid: flux_tx::Txid([4; 32]),
        index: 0,
    };
    // The plain devnet never activates P2SHNodes.
    for kind in &kinds[1..] {
        let start = start_for(kind, collateral);
        assert_eq!(
            check_transaction_at_height(&Devnet::default(), &start, BlockHeight(300)),
            Err(TransactionError::P2shNodesNotActive),
            "{}",
            kind.name
        );
    }
    // Testnet between P2SHNodes (600) and PON (800): legacy internal versions only.
    let before_pon = BlockHeight(700);
    let legacy_p2sh = StartTemplate {
        collateral,
        owner: CollateralOwner::P2sh(redeem_2_of_3()),
        node_public_key: key(33).public_key(),
        sig_time: SIG_TIME,
        delegates: DelegateRole::None,
        pon_active: false,
    }
    .build()
    .unwrap()
    .sign(&key(22))
    .unwrap();
    assert_eq!(
        check_transaction_at_height(&Testnet, &legacy_p2sh, before_pon),
        Ok(())
    );
    // The P2SH type bit alone is 0x0002, the legacy P2SH version itself.
    assert_eq!(
        check_transaction_at_height(&Testnet, &start_for(&kinds[2], collateral), before_pon),
        Ok(())
    );
    assert_eq!(
        check_transaction_at_height(&Testnet, &start_for(&kinds[3], collateral), before_pon),
        Err(TransactionError::BitFeaturesNotActive(0x0102))
    );
    assert_eq!(
        check_transaction_at_height(&Testnet, &start_for(&kinds[1], collateral), before_pon),
        Err(TransactionError::BitFeaturesNotActive(0x0101))
    );
    assert_eq!(
        check_transaction_at_height(
            &Testnet,
            &start_for(&kinds[3], collateral),
            BlockHeight(800)
        ),
        Ok(())
    );
}

#[test]
fn malformed_start_fields_are_refused_before_the_signature() {
    use flux_consensus::check::transaction::check_transaction;
    let kinds = kinds();
    let collateral = OutPoint {
        txid: flux_tx::Txid([6; 32]),
        index: 0,
    };
    // Delegates bit set but the flag false: fluxd's null delegate data is never valid.
    let mut no_data = start_for(&kinds[1], collateral);
    if let TxBody::Fluxnode(FluxnodeTx::Start(start)) = &mut no_data.body {
        start.delegates = None;
    }
    assert_eq!(
        check_transaction(&no_data),
        Err(TransactionError::FluxnodeDelegateDataInvalid)
    );
    // Five delegate keys.
    let mut five = start_for(&kinds[1], collateral);
    if let TxBody::Fluxnode(FluxnodeTx::Start(start)) = &mut five.body {
        let keys = &mut start.delegates.as_mut().unwrap().starting_keys;
        keys.extend((45..48).map(|seed| key(seed).public_key().to_bytes()));
        assert_eq!(keys.len(), 5);
    }
    assert_eq!(
        check_transaction(&five),
        Err(TransactionError::FluxnodeDelegateDataInvalid)
    );
    // A P2SH START whose redeem script is not multisig.
    let mut not_multisig = start_for(&kinds[2], collateral);
    if let TxBody::Fluxnode(FluxnodeTx::Start(start)) = &mut not_multisig.body {
        start.signer = flux_tx::fluxnode::CollateralSigner::P2sh(Script::from(vec![0x51]));
    }
    assert_eq!(
        check_transaction(&not_multisig),
        Err(TransactionError::FluxnodeRedeemScriptNotMultisig)
    );
    for kind in &kinds {
        assert_eq!(check_transaction(&start_for(kind, collateral)), Ok(()));
    }
}

#[test]
fn a_multisig_spend_made_from_two_partial_transactions_is_mined() {
    use flux_tx::TxOut;
    use flux_tx::builder::multisig::{
        MultisigScript, combine, finalize, sign_input, unsigned_spend,
    };

    let mut dev = Devchain::new();
    let owners = [key(21), key(22), key(23)];
    let wallet = MultisigScript::new(2, owners.iter().map(|k| k.public_key()).collect()).unwrap();
    let address = wallet.address(Network::Devnet);
    dev.mine(100);
    let miner = dev.miner.clone();
    let premine = dev.coinbase_utxo(1);
    let funding = build_p2pkh(
        &miner,
        &[premine],
        &[(address, flux(500))],
        Amount::from_zat(10_000).unwrap(),
        &Address::from_public_key(&miner.public_key(), Network::Devnet),
        Network::Devnet,
        BlockHeight(dev.height() + 1),
    )
    .unwrap();
    let block = dev.make_block(vec![funding.clone()]);
    dev.accept(&block).unwrap();

    let height = BlockHeight(dev.height() + 1);
    let outpoint = OutPoint {
        txid: funding.txid(),
        index: 0,
    };
    let payee = Address::from_public_key(&key(60).public_key(), Network::Devnet);
    let fee = Amount::from_zat(10_000).unwrap();
    let change = flux(500)
        .checked_sub(flux(120))
        .and_then(|rest| rest.checked_sub(fee))
        .unwrap();
    let unsigned = unsigned_spend(
        &[(outpoint, &wallet)],
        vec![
            TxOut::new(flux(120), payee.script_pubkey()),
            TxOut::new(change, wallet.script_pubkey()),
        ],
        height,
    )
    .unwrap();
    let branch = dev.chain.params().branch_id_at(height);
    let mut first = unsigned.clone();
    sign_input(&mut first, 0, &wallet, flux(500), &owners[2], branch).unwrap();
    let mut second = unsigned.clone();
    sign_input(&mut second, 0, &wallet, flux(500), &owners[0], branch).unwrap();
    // One partial is not enough.
    assert!(finalize(&first).is_err());
    let spend = finalize(&combine(&second, &first).unwrap()).unwrap();
    assert_eq!(spend, finalize(&combine(&first, &second).unwrap()).unwrap());
    assert_eq!(dev.chain.validate_transaction(&spend).unwrap(), fee);

    // A spend whose payment was raised after signing is refused.
    let mut tampered = spend.clone();
    if let TxBody::Standard(body) = &mut tampered.body {
        body.outputs[0].value += 1;
    }
    assert!(matches!(
        invalid(dev.chain.validate_transaction(&tampered)),
        TransactionError::Script(_)
    ));

    let block = dev.make_block(vec![spend.clone()]);
    assert_eq!(
        dev.accept(&block).unwrap(),
        AcceptOutcome::Extended { height }
    );
    // The P2SH change is a coin of the multisig.
    let change_coin = dev
        .chain
        .utxo(&OutPoint {
            txid: spend.txid(),
            index: 1,
        })
        .unwrap()
        .unwrap();
    assert_eq!(change_coin.output.script_pubkey, wallet.script_pubkey());
}

#[test]
fn a_wallet_payment_with_data_and_change_is_mined_at_the_fee_it_declares() {
    use flux_tx::builder::payment::{FeeRate, Payment, PaymentRequest, build_payment};

    let mut dev = Devchain::new();
    dev.mine(101);
    let miner = dev.miner.clone();
    let mine = Address::from_public_key(&miner.public_key(), Network::Devnet);
    let utxos = vec![dev.coinbase_utxo(1), dev.coinbase_utxo(2)];
    let built = build_payment(
        &miner,
        &PaymentRequest {
            utxos,
            payments: vec![
                Payment::To(
                    Address::from_public_key(&key(70).public_key(), Network::Devnet),
                    flux(3),
                ),
                Payment::Data(b"flux-rs wallet".to_vec()),
            ],
            change_to: mine,
            fee_rate: FeeRate::WALLET_DEFAULT,
            network: Network::Devnet,
            height: BlockHeight(dev.height() + 1),
        },
    )
    .unwrap();
    assert_eq!(
        dev.chain.validate_transaction(&built.tx).unwrap(),
        built.fee
    );
    let block = dev.make_block(vec![built.tx.clone()]);
    assert_eq!(
        dev.accept(&block).unwrap(),
        AcceptOutcome::Extended {
            height: BlockHeight(102)
        }
    );
}

/// A Titan stake (`flux_nodes::titan::stake_payment`): the stake to a 2-of-3 multisig standing
/// in for Titan's address and its reference in an `OP_RETURN` output, mined on the devnet; the
/// documented limits (50 to 10,000 FLUX, a multisig destination, a reference of 1 to 80 bytes)
/// refuse the rest before anything is signed.
#[test]
fn a_titan_stake_payment_is_mined_and_its_limits_hold() {
    use flux_nodes::titan::stake_payment::{StakePaymentError, TitanStake, build_stake_payment};
    use flux_tx::builder::payment::FeeRate;

    let mut dev = Devchain::new();
    dev.mine(101);
    let miner = dev.miner.clone();
    let mine = Address::from_public_key(&miner.public_key(), Network::Devnet);
    let titan = Address::from_redeem_script(redeem_2_of_3().as_bytes(), Network::Devnet);
    let utxos = vec![dev.coinbase_utxo(1)];
    let height = BlockHeight(dev.height() + 1);
    let build = |amount: Amount, reference: &[u8], to: Address| {
        build_stake_payment(
            &miner,
            &TitanStake {
                amount,
                reference: reference.to_vec(),
                titan_address: to,
            },
            utxos.clone(),
            mine,
            FeeRate::WALLET_DEFAULT,
            Network::Devnet,
            height,
        )
    };

    let built = build(flux(1_000), b"titan stake 0001", titan).unwrap();
    let outputs = built.tx.outputs();
    assert_eq!(outputs[0].value, 100_000_000_000);
    assert_eq!(outputs[0].script_pubkey, titan.script_pubkey());
    // OP_RETURN, a 16-byte push, the reference.
    let mut data = vec![0x6a, 16];
    data.extend_from_slice(b"titan stake 0001");
    assert_eq!(
        (outputs[1].value, outputs[1].script_pubkey.as_bytes()),
        (0, data.as_slice())
    );
    assert_eq!(
        dev.chain.validate_transaction(&built.tx).unwrap(),
        built.fee
    );
    let block = dev.make_block(vec![built.tx.clone()]);
    dev.accept(&block).unwrap();
    assert!(dev.chain.transaction(&built.tx.txid()).unwrap().is_some());

    let below = Amount::from_zat(50 * 100_000_000 - 1).unwrap();
    let above = Amount::from_zat(10_000 * 100_000_000 + 1).unwrap();
    for amount in [below, above] {
        assert_eq!(
            build(amount, b"r", titan).unwrap_err(),
            StakePaymentError::AmountOutOfRange { amount }
        );
    }
    assert!(build(flux(50), b"r", titan).is_ok());
    assert!(build(flux(10_000), b"r", titan).is_ok());
    assert_eq!(
        build(flux(100), &[], titan).unwrap_err(),
        StakePaymentError::BadReference { len: 0 }
    );
    assert_eq!(
        build(flux(100), &[7; 81], titan).unwrap_err(),
        StakePaymentError::BadReference { len: 81 }
    );
    assert!(build(flux(100), &[7; 80], titan).is_ok());
    assert!(matches!(
        build(flux(100), b"r", mine).unwrap_err(),
        StakePaymentError::NotMultisigAddress(_)
    ));
}
