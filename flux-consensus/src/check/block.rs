//! Block rules: semantic (`CheckBlock`, `main.cpp:5383-5468`) and contextual (`ContextualCheckBlock`,
//! `main.cpp:5603-5665`; the coinbase checks of `ConnectBlock`, `main.cpp:3875-3885`, `4150-4160`;
//! `FluxnodeCache::CheckFluxnodePayout`, `fluxnode.cpp:789-900`).

use std::collections::HashSet;

use flux_nodes::{FluxnodeList, Tier};
use flux_pow::BlockHeight;
use flux_tx::encode::FluxEncode;
use flux_tx::script::Instruction;
use flux_tx::script::opcodes::{
    OP_CHECKMULTISIG, OP_CHECKMULTISIGVERIFY, OP_CHECKSIG, OP_CHECKSIGVERIFY,
};
use flux_tx::{Amount, Block, OutPoint, SaplingRoot, Script, Transaction, TxOut};

use crate::check::transaction::{check_final, check_transaction, check_transaction_at_height};
use crate::check::utxo::UtxoView;
use crate::error::BlockError;
use crate::params::NetworkParams;

/// `MAX_BLOCK_SIZE` (`consensus/consensus.h`).
pub const MAX_BLOCK_SIZE: usize = 2_000_000;
/// `MAX_BLOCK_SIGOPS` (`consensus/consensus.h`).
pub const MAX_BLOCK_SIGOPS: usize = 20_000;

/// The root of an empty Sapling note commitment tree of depth 32 (`SaplingMerkleTree::empty_root`),
/// in display hex: what `hashFinalSaplingRoot` holds from Acadia on while no Sapling output exists.
pub const EMPTY_SAPLING_ROOT: &str =
    "3e49b5f954aa9d3545bc6c37744661eea48d7c34e3000d82b7f0010c30f4c2fb";

/// The empty Sapling root as a [`SaplingRoot`].
pub fn empty_sapling_root() -> SaplingRoot {
    EMPTY_SAPLING_ROOT.parse().unwrap_or(SaplingRoot::ZERO)
}

/// `bad-txnmrklroot` and `bad-txns-duplicate` (`main.cpp:5391-5408`): the header's merkle root is
/// the transactions', and the tree is not mutated.
///
/// # Errors
///
/// [`BlockError::BadMerkleRoot`] or [`BlockError::MutatedMerkleTree`].
pub fn check_merkle_root(block: &Block) -> Result<(), BlockError> {
    let (computed, mutated) = block.compute_merkle_root();
    if computed != block.header.merkle_root {
        return Err(BlockError::BadMerkleRoot {
            in_header: block.header.merkle_root,
            computed,
        });
    }
    if mutated {
        return Err(BlockError::MutatedMerkleTree);
    }
    Ok(())
}

/// `bad-blk-length` (`main.cpp:5414-5418`): at least one transaction, at most 2,000,000 bytes.
///
/// # Errors
///
/// [`BlockError::BadLength`].
pub fn check_size(block: &Block) -> Result<(), BlockError> {
    let size = block.encoded().len();
    if block.transactions.is_empty() || size > MAX_BLOCK_SIZE {
        return Err(BlockError::BadLength {
            transactions: block.transactions.len(),
            size,
        });
    }
    Ok(())
}

/// `bad-cb-missing` and `bad-cb-multiple` (`main.cpp:5420-5430`): the first transaction is the
/// only coinbase.
///
/// # Errors
///
/// [`BlockError::MissingCoinbase`] or [`BlockError::MultipleCoinbase`].
pub fn check_coinbase_position(block: &Block) -> Result<(), BlockError> {
    if !block
        .transactions
        .first()
        .is_some_and(Transaction::is_coinbase)
    {
        return Err(BlockError::MissingCoinbase);
    }
    if let Some(index) = block
        .transactions
        .iter()
        .skip(1)
        .position(Transaction::is_coinbase)
    {
        return Err(BlockError::MultipleCoinbase(index + 1));
    }
    Ok(())
}

/// `bad-fluxnode-tx-multiple` (`main.cpp:5431-5436`): one fluxnode transaction per collateral.
///
/// # Errors
///
/// [`BlockError::DuplicateFluxnodeCollateral`].
pub fn check_unique_fluxnode_collaterals(block: &Block) -> Result<(), BlockError> {
    let mut seen = HashSet::new();
    for tx in &block.transactions {
        if let Some(node) = tx.fluxnode() {
            let collateral = node.collateral();
            if !seen.insert(collateral) {
                return Err(BlockError::DuplicateFluxnodeCollateral(collateral));
            }
        }
    }
    Ok(())
}

/// `GetSigOpCount(false)` of one script: CHECKSIG(VERIFY) count 1, CHECKMULTISIG(VERIFY) 20;
/// counting stops at a truncated push, as the daemon's loop does.
pub fn legacy_sigops(script: &Script) -> usize {
    let mut count = 0;
    for instruction in script.instructions() {
        let Ok(instruction) = instruction else { break };
        if let Instruction::Op(opcode) = instruction {
            match opcode {
                OP_CHECKSIG | OP_CHECKSIGVERIFY => count += 1,
                OP_CHECKMULTISIG | OP_CHECKMULTISIGVERIFY => count += 20,
                _ => {}
            }
        }
    }
    count
}

/// `GetLegacySigOpCount(tx)`: scriptSigs and scriptPubKeys.
pub fn transaction_sigops(tx: &Transaction) -> usize {
    let inputs: usize = tx
        .inputs()
        .iter()
        .map(|input| legacy_sigops(&input.script_sig))
        .sum();
    let outputs: usize = tx
        .outputs()
        .iter()
        .map(|output| legacy_sigops(&output.script_pubkey))
        .sum();
    inputs + outputs
}

/// `bad-blk-sigops` (`main.cpp:5455-5462`).
///
/// # Errors
///
/// [`BlockError::TooManySigops`].
pub fn check_sigops(block: &Block) -> Result<(), BlockError> {
    let total: usize = block.transactions.iter().map(transaction_sigops).sum();
    if total > MAX_BLOCK_SIGOPS {
        return Err(BlockError::TooManySigops(total));
    }
    Ok(())
}

/// `CheckBlock` without the header (`main.cpp:5391-5466`): merkle root, size, coinbase position,
/// unique fluxnode collaterals, every transaction's context-free rules, sigops.
///
/// # Errors
///
/// The [`BlockError`] of the first rule broken.
pub fn check_block_body(block: &Block) -> Result<(), BlockError> {
    check_merkle_root(block)?;
    check_size(block)?;
    check_coinbase_position(block)?;
    check_unique_fluxnode_collaterals(block)?;
    for (index, tx) in block.transactions.iter().enumerate() {
        check_transaction(tx).map_err(|error| BlockError::Transaction {
            index,
            txid: tx.txid(),
            error,
        })?;
    }
    check_sigops(block)
}

/// The script `CScript() << height` pushes (`CScriptNum` serialization): small heights as
/// `OP_1..OP_16`, others as a minimal little-endian push.
pub fn height_script(height: u32) -> Vec<u8> {
    match height {
        0 => vec![0x00],
        1..=16 => vec![0x50 + height as u8],
        _ => {
            let mut bytes = Vec::new();
            let mut value = height;
            while value > 0 {
                bytes.push((value & 0xff) as u8);
                value >>= 8;
            }
            if bytes.last().is_some_and(|last| last & 0x80 != 0) {
                bytes.push(0);
            }
            let mut script = vec![bytes.len() as u8];
            script.extend_from_slice(&bytes);
            script
        }
    }
}

/// `bad-cb-height` (`main.cpp:5650-5661`): above height 20 the coinbase scriptSig starts with
/// the height.
///
/// # Errors
///
/// [`BlockError::BadCoinbaseHeight`].
pub fn check_coinbase_height(block: &Block, height: BlockHeight) -> Result<(), BlockError> {
    if height.0 <= 20 {
        return Ok(());
    }
    let expected = height_script(height.0);
    let starts = block
        .transactions
        .first()
        .and_then(|coinbase| coinbase.inputs().first())
        .is_some_and(|input| input.script_sig.as_bytes().starts_with(&expected));
    if !starts {
        return Err(BlockError::BadCoinbaseHeight(height.0));
    }
    Ok(())
}

/// `bad-sapling-root-in-block` (`main.cpp:4134-4141`): from Acadia on, `hashFinalSaplingRoot`
/// is the Sapling tree's root; with shielded transactions refused the tree stays empty.
///
/// # Errors
///
/// [`BlockError::BadSaplingRoot`].
pub fn check_sapling_root(
    params: &dyn NetworkParams,
    block: &Block,
    height: BlockHeight,
) -> Result<(), BlockError> {
    if params.is_active(flux_pow::NetworkUpgrade::Acadia, height)
        && block.header.final_sapling_root != empty_sapling_root()
    {
        return Err(BlockError::BadSaplingRoot);
    }
    Ok(())
}

/// `ContextualCheckBlock` (`main.cpp:5603-5665`) for a block at `height`, what it needs besides
/// the UTXO set: the coinbase starts with the height, the Sapling root, the fund outputs of the
/// height, and each transaction's height rules ([`check_transaction_at_height`]) and finality at
/// the block's time. Meant for a block that passed [`check_block_body`].
///
/// # Errors
///
/// The [`BlockError`] of the first rule broken; a transaction's wrapped in
/// [`BlockError::Transaction`]. A block without transactions is [`BlockError::BadLength`].
pub fn check_block_for_height(
    params: &dyn NetworkParams,
    block: &Block,
    height: BlockHeight,
) -> Result<(), BlockError> {
    let Some(coinbase) = block.transactions.first() else {
        return Err(BlockError::BadLength {
            transactions: 0,
            size: block.encoded().len(),
        });
    };
    check_coinbase_height(block, height)?;
    check_sapling_root(params, block, height)?;
    check_fund_outputs(params, coinbase, height)?;
    check_dev_fund_output(params, coinbase, height)?;
    let time = i64::from(block.header.time);
    for (index, tx) in block.transactions.iter().enumerate() {
        check_transaction_at_height(params, tx, height)
            .and_then(|()| check_final(tx, height, time))
            .map_err(|error| BlockError::Transaction {
                index,
                txid: tx.txid(),
                error,
            })?;
    }
    Ok(())
}

/// One output the coinbase must carry: a tier's next payee and its amount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequiredPayout {
    /// The tier.
    pub tier: Tier,
    /// The node due (its collateral).
    pub payee: OutPoint,
    /// The output it must receive (script and exact amount).
    pub output: TxOut,
}

/// The fluxnode payouts the block at `height` must carry (`CheckFluxnodePayout`,
/// `fluxnode.cpp:822-835`): for each tier with a confirmed node, the first node of the payment
/// order, paid `GetFluxnodeSubsidy` to its collateral's script. The collateral output is unspent
/// while the node is confirmed, and the START check makes it the collateral key's P2PKH (or the
/// redeem script's P2SH), the destination the daemon pays.
///
/// # Errors
///
/// The view's error when a collateral cannot be looked up.
pub fn required_payouts<V: UtxoView + ?Sized>(
    params: &dyn NetworkParams,
    list: &FluxnodeList,
    view: &V,
    height: BlockHeight,
) -> Result<Vec<RequiredPayout>, V::Error> {
    if height < params.fluxnode_payments_start() {
        return Ok(Vec::new());
    }
    let split = params.reward_split(height);
    let mut payouts = Vec::new();
    for (tier, amount) in Tier::ALL.iter().zip(split.tiers) {
        let Some(node) = list.next_payee(*tier) else {
            continue;
        };
        let Some(coin) = view.coin(&node.collateral)? else {
            continue;
        };
        payouts.push(RequiredPayout {
            tier: *tier,
            payee: node.collateral,
            output: TxOut::new(amount, coin.output.script_pubkey),
        });
    }
    Ok(payouts)
}

/// Which coinbase outputs pay which required payout, as `CheckFluxnodePayout` pairs them
/// (`fluxnode.cpp:851-865`): in output order, each output pays the first payout not yet paid
/// with the same script and amount. Returns the outputs used and the payouts paid.
fn pair_payouts(coinbase: &Transaction, required: &[RequiredPayout]) -> (Vec<bool>, Vec<bool>) {
    let mut used = vec![false; coinbase.outputs().len()];
    let mut paid = vec![false; required.len()];
    for (index, output) in coinbase.outputs().iter().enumerate() {
        if let Some(slot) = required
            .iter()
            .enumerate()
            .position(|(i, payout)| !paid[i] && payout.output == *output)
        {
            paid[slot] = true;
            used[index] = true;
        }
    }
    (used, paid)
}

/// `bad-txns-not-paying-correct-fluxnodes` (`main.cpp:3877-3884`): each required payout appears
/// as its own coinbase output with the exact script and amount.
///
/// # Errors
///
/// [`BlockError::MissingFluxnodePayout`] for the first tier not paid.
pub fn check_fluxnode_payouts(
    coinbase: &Transaction,
    required: &[RequiredPayout],
) -> Result<(), BlockError> {
    let (_, paid) = pair_payouts(coinbase, required);
    match required.iter().zip(&paid).find(|(_, paid)| !**paid) {
        Some((payout, _)) => Err(BlockError::MissingFluxnodePayout {
            tier: payout.tier,
            payee: payout.payee,
            amount: payout.output.amount().unwrap_or(Amount::ZERO),
        }),
        None => Ok(()),
    }
}

/// `bad-txns-not-paying-correct-fluxnodes` for the dev fund (`CheckFluxnodePayout`,
/// `fluxnode.cpp:841-876`): once blocks are proof of node (`IsPONActive`), some coinbase output
/// not used for a fluxnode payout pays the dev fund at least the subsidy less the payouts due
/// (a tier with no payee leaves its share to the dev fund). fluxd's own producer adds all fees
/// there, but only this minimum is a rule.
///
/// # Errors
///
/// [`BlockError::MissingDevFundPayout`].
pub fn check_dev_fund_payout(
    params: &dyn NetworkParams,
    coinbase: &Transaction,
    height: BlockHeight,
    required: &[RequiredPayout],
) -> Result<(), BlockError> {
    if !params.is_pon_active(height) {
        return Ok(());
    }
    let Some(script) = params.fund_scripts().dev_fund else {
        return Ok(());
    };
    let due = required.iter().map(|payout| payout.output.value).fold(
        params.reward_split(height).subsidy.zat(),
        i64::saturating_sub,
    );
    let (used, _) = pair_payouts(coinbase, required);
    let paid = coinbase
        .outputs()
        .iter()
        .zip(&used)
        .any(|(output, used)| !used && output.script_pubkey == script && output.value >= due);
    if !paid {
        return Err(BlockError::MissingDevFundPayout {
            amount: Amount::from_zat(due).unwrap_or(Amount::ZERO),
        });
    }
    Ok(())
}

/// `tx-coinbase-missing-dev-funding` (`ContextualCheckTransaction`, `main.cpp:1229-1249`): once
/// the PON upgrade is active (`NetworkUpgradeActive`, so never on regtest, where PON blocks come
/// without the upgrade) the coinbase pays the dev fund at least the subsidy less all three tier
/// payouts (`GetMinDevFundAmount`, `main.cpp:2877-2884`), whether or not the tiers have payees.
///
/// # Errors
///
/// [`BlockError::MissingDevFundOutput`].
pub fn check_dev_fund_output(
    params: &dyn NetworkParams,
    coinbase: &Transaction,
    height: BlockHeight,
) -> Result<(), BlockError> {
    if !params.is_active(flux_pow::NetworkUpgrade::ProofOfNode, height) {
        return Ok(());
    }
    let Some(script) = params.fund_scripts().dev_fund else {
        return Ok(());
    };
    let split = params.reward_split(height);
    let minimum = split
        .tiers
        .iter()
        .fold(split.subsidy.zat(), |rest, tier| rest - tier.zat());
    if minimum <= 0 {
        return Ok(());
    }
    let paid = coinbase
        .outputs()
        .iter()
        .any(|output| output.script_pubkey == script && output.value >= minimum);
    if !paid {
        return Err(BlockError::MissingDevFundOutput {
            amount: Amount::from_zat(minimum).unwrap_or(Amount::ZERO),
        });
    }
    Ok(())
}

/// `bad-cb-amount` (`main.cpp:4150-4160`): above height 2 the coinbase pays at most the subsidy,
/// the fees and the fund outputs of its height.
///
/// # Errors
///
/// [`BlockError::CoinbasePaysTooMuch`].
pub fn check_coinbase_amount(
    params: &dyn NetworkParams,
    coinbase: &Transaction,
    height: BlockHeight,
    fees: Amount,
) -> Result<(), BlockError> {
    if height.0 <= 2 {
        return Ok(());
    }
    let split = params.reward_split(height);
    let limit = split
        .total_created()
        .and_then(|created| created.checked_add(fees))
        .unwrap_or(Amount::MAX);
    let paid = coinbase
        .outputs()
        .iter()
        .try_fold(Amount::ZERO, |sum, output| {
            output.amount().and_then(|amount| sum.checked_add(amount))
        })
        .unwrap_or(Amount::MAX);
    if paid > limit {
        return Err(BlockError::CoinbasePaysTooMuch { paid, limit });
    }
    Ok(())
}

/// `tx-coinbase-missing-{exchange,foundation,swappool}-funding` (`ContextualCheckTransaction`,
/// `main.cpp:1252-1300`): at the fund heights the coinbase carries an output paying exactly the
/// fund's amount to its address.
///
/// # Errors
///
/// [`BlockError::MissingFundOutput`] for the first fund not paid.
pub fn check_fund_outputs(
    params: &dyn NetworkParams,
    coinbase: &Transaction,
    height: BlockHeight,
) -> Result<(), BlockError> {
    let split = params.reward_split(height);
    let scripts = params.fund_scripts();
    let funds = [
        ("exchange", split.exchange_fund, scripts.exchange),
        ("foundation", split.foundation_fund, scripts.foundation),
        ("swappool", split.swap_pool, scripts.swap_pool),
    ];
    for (fund, amount, script) in funds {
        let Some(script) = script else { continue };
        if amount == Amount::ZERO {
            continue;
        }
        let paid = coinbase
            .outputs()
            .iter()
            .any(|output| output.script_pubkey == script && output.value == amount.zat());
        if !paid {
            return Err(BlockError::MissingFundOutput { fund, amount });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::{Mainnet, Regtest, Testnet};
    use flux_tx::transaction::{StandardTx, TxBody, TxIn};

    fn coinbase(outputs: Vec<TxOut>) -> Transaction {
        Transaction {
            overwintered: false,
            version: 1,
            version_group_id: 0,
            body: TxBody::Standard(StandardTx {
                inputs: vec![TxIn {
                    prevout: OutPoint::NULL,
                    script_sig: Script::from(vec![3, 1, 2, 3]),
                    sequence: u32::MAX,
                }],
                outputs,
                lock_time: 0,
                expiry_height: 0,
                sapling: Default::default(),
                join_splits: None,
            }),
        }
    }

    #[test]
    fn every_daemon_fund_address_parses() {
        for params in [&Mainnet as &dyn NetworkParams, &Testnet, &Regtest] {
            let scripts = params.fund_scripts();
            assert!(
                scripts.exchange.is_some()
                    && scripts.foundation.is_some()
                    && scripts.swap_pool.is_some()
                    && scripts.dev_fund.is_some()
            );
        }
    }

    #[test]
    fn the_mainnet_exchange_output_is_required_at_its_height_only() {
        let height = BlockHeight(836_274);
        let exchange = Mainnet.fund_scripts().exchange.unwrap();
        let amount = Amount::from_flux(7_500_000).unwrap();
        let paid = coinbase(vec![TxOut::new(amount, exchange.clone())]);
        assert!(check_fund_outputs(&Mainnet, &paid, height).is_ok());
        let short = coinbase(vec![TxOut::new(
            Amount::from_flux(7_499_999).unwrap(),
            exchange,
        )]);
        assert!(matches!(
            check_fund_outputs(&Mainnet, &short, height),
            Err(BlockError::MissingFundOutput {
                fund: "exchange",
                ..
            })
        ));
        assert!(check_fund_outputs(&Mainnet, &coinbase(Vec::new()), BlockHeight(836_275)).is_ok());
    }

    #[test]
    fn the_height_rules_of_a_block_need_no_store() {
        let mut block = Regtest.genesis_block();
        let empty = Block {
            header: block.header.clone(),
            transactions: Vec::new(),
        };
        assert!(matches!(
            check_block_for_height(&Regtest, &empty, BlockHeight(21)),
            Err(BlockError::BadLength {
                transactions: 0,
                ..
            })
        ));
        // A coinbase whose scriptSig does not start with the height 21.
        block.transactions = vec![coinbase(Vec::new())];
        assert_eq!(
            check_block_for_height(&Regtest, &block, BlockHeight(21)),
            Err(BlockError::BadCoinbaseHeight(21))
        );
        // A later transaction not final at the block's height is named with its position.
        let mut late = coinbase(Vec::new());
        if let TxBody::Standard(body) = &mut late.body {
            body.inputs[0].prevout = OutPoint {
                txid: flux_tx::Txid([1; 32]),
                index: 0,
            };
            body.inputs[0].sequence = 0;
            body.lock_time = 30;
        }
        block.transactions = vec![coinbase(Vec::new()), late];
        let result = check_block_for_height(&Regtest, &block, BlockHeight(15));
        assert!(
            matches!(
                result,
                Err(BlockError::Transaction {
                    index: 1,
                    error: crate::error::TransactionError::NonFinal,
                    ..
                })
            ),
            "{result:?}"
        );
    }

    #[test]
    fn height_scripts_are_minimal_script_numbers() {
        assert_eq!(height_script(16), vec![0x60]);
        assert_eq!(height_script(17), vec![1, 17]);
        assert_eq!(height_script(128), vec![2, 0x80, 0x00]);
        assert_eq!(height_script(1_000_000), vec![3, 0x40, 0x42, 0x0f]);
    }

    #[test]
    fn sigops_count_like_the_daemon() {
        let script = Script::from(vec![OP_CHECKSIG, OP_CHECKMULTISIG, 0x4c]);
        assert_eq!(legacy_sigops(&script), 21);
    }
}
