//! Transaction rules: semantic (`CheckTransactionWithoutProofVerification`, `main.cpp:1693-1998`),
//! contextual by height (`ContextualCheckTransaction`, `main.cpp:1213-1400`; `IsFinalTx`) and
//! against the UTXO set (`Consensus::CheckTxInputs`, `main.cpp:3197-3265`, and the script checks).

use std::collections::HashSet;

use flux_pow::{BlockHeight, NetworkUpgrade};
use flux_tx::encode::FluxEncode;
use flux_tx::fluxnode::{
    CollateralSigner, FLUXNODE_TX_UPGRADEABLE_VERSION, FluxnodeStart, FluxnodeTx,
    MAX_REDEEM_SCRIPT_SIZE, UpdateType, is_bit_based_internal_version,
};
use flux_tx::fluxnode_sig::{verify_confirm, verify_start};
use flux_tx::script::VerifyFlags;
use flux_tx::script::standard::{ScriptTemplate, classify};
use flux_tx::sign::verify_input;
use flux_tx::transaction::{
    OVERWINTER_TX_VERSION, SAPLING_TX_VERSION, SAPLING_VERSION_GROUP_ID, StandardTx, TxBody,
};
use flux_tx::{Amount, MAX_MONEY, Transaction};

pub use crate::check::utxo::{Coin, UtxoCheckError, UtxoView};
use crate::error::TransactionError;
use crate::params::{COINBASE_MATURITY, NetworkParams};

/// `MAX_TX_SIZE_AFTER_SAPLING` (= `MAX_BLOCK_SIZE`, `consensus/consensus.h`).
pub const MAX_TX_SIZE_AFTER_SAPLING: usize = 2_000_000;
/// `MAX_TX_SIZE_BEFORE_SAPLING` (`consensus/consensus.h`).
pub const MAX_TX_SIZE_BEFORE_SAPLING: usize = 100_000;
/// `TX_EXPIRY_HEIGHT_THRESHOLD` (`consensus/consensus.h`).
pub const TX_EXPIRY_HEIGHT_THRESHOLD: u32 = 500_000_000;
/// `FLUXNODE_CONFIRM_TX_IP_ADDRESS_SIZE_V1` / `_V2` (`fluxnode/fluxnode.h`), the latter from the
/// benchmark time 1647262800.
pub const CONFIRM_IP_SIZE_V1: usize = 40;
/// See [`CONFIRM_IP_SIZE_V1`].
pub const CONFIRM_IP_SIZE_V2: usize = 60;
/// `LOCKTIME_THRESHOLD`: lock times below it are heights, above it times.
pub const LOCKTIME_THRESHOLD: u32 = 500_000_000;

/// Bad-version rules (`main.cpp:1715-1735`): v1+ for plain transactions; overwintered ones v3+,
/// with a known version group and an expiry height below the threshold.
///
/// # Errors
///
/// [`TransactionError::VersionTooLow`], [`TransactionError::OverwinterVersionTooLow`],
/// [`TransactionError::UnknownVersionGroup`] or [`TransactionError::ExpiryHeightTooHigh`].
pub fn check_version(tx: &Transaction) -> Result<(), TransactionError> {
    let TxBody::Standard(body) = &tx.body else {
        return Ok(());
    };
    if !tx.overwintered && tx.version < 1 {
        return Err(TransactionError::VersionTooLow(tx.version));
    }
    if tx.overwintered {
        if tx.version < OVERWINTER_TX_VERSION {
            return Err(TransactionError::OverwinterVersionTooLow(tx.version));
        }
        if tx.version_group_id != flux_tx::transaction::OVERWINTER_VERSION_GROUP_ID
            && tx.version_group_id != SAPLING_VERSION_GROUP_ID
        {
            return Err(TransactionError::UnknownVersionGroup(tx.version_group_id));
        }
        if body.expiry_height >= TX_EXPIRY_HEIGHT_THRESHOLD {
            return Err(TransactionError::ExpiryHeightTooHigh(body.expiry_height));
        }
    }
    Ok(())
}

fn has_shielded(body: &StandardTx) -> bool {
    body.join_splits
        .as_ref()
        .is_some_and(|bundle| !bundle.join_splits.is_empty())
        || !body.sapling.spends.is_empty()
        || !body.sapling.outputs.is_empty()
}

/// Shielded parts are refused: their zk proofs are not verified here, and accepting them
/// unverified would let invalid value in.
///
/// # Errors
///
/// [`TransactionError::ShieldedUnsupported`].
pub fn check_transparent_only(tx: &Transaction) -> Result<(), TransactionError> {
    match &tx.body {
        TxBody::Standard(body) if has_shielded(body) => Err(TransactionError::ShieldedUnsupported),
        _ => Ok(()),
    }
}

/// `bad-txns-vin-empty` / `bad-txns-vout-empty` (`main.cpp:1738-1746`).
///
/// # Errors
///
/// [`TransactionError::NoInputs`] or [`TransactionError::NoOutputs`].
pub fn check_inputs_and_outputs_present(tx: &Transaction) -> Result<(), TransactionError> {
    let TxBody::Standard(body) = &tx.body else {
        return Ok(());
    };
    if body.inputs.is_empty() && !has_shielded(body) {
        return Err(TransactionError::NoInputs);
    }
    if body.outputs.is_empty() && !has_shielded(body) {
        return Err(TransactionError::NoOutputs);
    }
    Ok(())
}

/// The fluxnode transaction field rules (`main.cpp:1757-1820`): START or CONFIRM, a non-null
/// collateral; for a START a redeem script of at most 10,000 bytes that is multisig (version 6
/// P2SH), valid delegate data (delegates bit set) and its signature ([`check_start_signature`];
/// a START signed as a delegate is left to the chain, which knows the stored delegate keys);
/// a CONFIRM's benchmark tier 1-3, IP size and update type.
///
/// # Errors
///
/// One `Fluxnode*` [`TransactionError`] per rule.
pub fn check_fluxnode_fields(tx: &Transaction) -> Result<(), TransactionError> {
    let TxBody::Fluxnode(node) = &tx.body else {
        return Ok(());
    };
    match node {
        FluxnodeTx::Untyped(kind) => Err(TransactionError::FluxnodeInvalidType(*kind)),
        FluxnodeTx::Start(start) => {
            if start.collateral.is_null() {
                return Err(TransactionError::FluxnodeNullCollateral);
            }
            check_start_fields(start)?;
            // A START signed as a delegate needs the keys the chain stored for its collateral:
            // the chain checks it (`check_start_signature_with_delegates`), not this rule.
            if start.is_signing_as_delegate() {
                return Ok(());
            }
            check_start_signature(tx)
        }
        FluxnodeTx::Confirm(confirm) => {
            if confirm.collateral.is_null() {
                return Err(TransactionError::FluxnodeNullCollateral);
            }
            if !(1..=3).contains(&confirm.benchmark_tier) {
                return Err(TransactionError::FluxnodeInvalidBenchmarkTier(
                    confirm.benchmark_tier,
                ));
            }
            let max = if confirm.benchmark_sig_time >= 1_647_262_800 {
                CONFIRM_IP_SIZE_V2
            } else {
                CONFIRM_IP_SIZE_V1
            };
            if confirm.ip.len() > max {
                return Err(TransactionError::FluxnodeIpTooLarge {
                    len: confirm.ip.len(),
                    max,
                });
            }
            if UpdateType::from_i8(confirm.update_type).is_none() {
                return Err(TransactionError::FluxnodeInvalidUpdateType(
                    confirm.update_type,
                ));
            }
            Ok(())
        }
    }
}

/// The START rules `CheckTransaction` applies before the signatures (`main.cpp:1768-1789`): a
/// version 6 P2SH START's redeem script is at most `MAX_SCRIPT_SIZE` bytes and multisig, and a
/// START with the delegates bit carries valid delegate data (`CFluxnodeDelegates::IsValid`).
///
/// # Errors
///
/// [`TransactionError::FluxnodeRedeemScriptTooLarge`],
/// [`TransactionError::FluxnodeRedeemScriptNotMultisig`] or
/// [`TransactionError::FluxnodeDelegateDataInvalid`].
pub fn check_start_fields(start: &FluxnodeStart) -> Result<(), TransactionError> {
    if start.is_upgraded_p2sh() {
        let redeem: &[u8] = match &start.signer {
            CollateralSigner::P2sh(script) => script.as_bytes(),
            // A P2SH internal version always decodes to the P2SH layout.
            CollateralSigner::PubKey(_) => &[],
        };
        if redeem.len() > MAX_REDEEM_SCRIPT_SIZE {
            return Err(TransactionError::FluxnodeRedeemScriptTooLarge(redeem.len()));
        }
        if !matches!(classify(redeem), ScriptTemplate::Multisig { .. }) {
            return Err(TransactionError::FluxnodeRedeemScriptNotMultisig);
        }
    }
    if start
        .delegate_data()
        .is_some_and(|delegates| !delegates.is_valid())
    {
        return Err(TransactionError::FluxnodeDelegateDataInvalid);
    }
    Ok(())
}

/// `CheckFluxnodeTxSignatures` for a START (`fluxnode.cpp:88-150`) with no delegate keys known:
/// the collateral key (or a key of the P2SH redeem script) signed the txid's display hex. A
/// START signed as a delegate is refused here, as fluxd refuses it when its collateral has no
/// stored delegates; [`check_start_signature_with_delegates`] takes the stored keys.
///
/// # Errors
///
/// [`TransactionError::FluxnodeBadSignature`].
pub fn check_start_signature(tx: &Transaction) -> Result<(), TransactionError> {
    check_start_signature_with_delegates(tx, None)
}

/// `CheckFluxnodeTxSignatures` for a START (`fluxnode.cpp:88-150`): `stored_delegates` are the
/// keys the last UPDATE START connected for the collateral stored (`FluxnodeCache::GetDelegates`;
/// see [`delegates_stored_by`]). A START signed as a delegate must be signed by one of them; an
/// UPDATE START and any other by the collateral key or, for a version 6 P2SH START, by any key
/// of its redeem script (one signature, whatever the script's `m`).
///
/// # Errors
///
/// [`TransactionError::FluxnodeBadSignature`].
pub fn check_start_signature_with_delegates(
    tx: &Transaction,
    stored_delegates: Option<&[Vec<u8>]>,
) -> Result<(), TransactionError> {
    let Some(FluxnodeTx::Start(start)) = tx.fluxnode() else {
        return Ok(());
    };
    verify_start(start, &tx.txid().0, stored_delegates)
        .map(|_| ())
        .map_err(|_| TransactionError::FluxnodeBadSignature)
}

/// What connecting `tx` does to its collateral's stored delegates (`ConnectBlock`,
/// `main.cpp:3973-3982` and `4212-4229`): a START with valid UPDATE delegate data replaces them
/// with its keys (`Some(keys)`; an empty list erases them); any other transaction leaves them
/// (`None`).
pub fn delegates_stored_by(tx: &Transaction) -> Option<&[Vec<u8>]> {
    match tx.fluxnode() {
        Some(FluxnodeTx::Start(start)) if start.is_updating_delegates() => start
            .delegates
            .as_ref()
            .map(|delegates| delegates.starting_keys.as_slice()),
        _ => None,
    }
}

/// `bad-txns-oversize` (`main.cpp:1824-1827`; before Acadia `main.cpp:1378-1382` lowers the limit
/// to 100,000 bytes).
///
/// # Errors
///
/// [`TransactionError::Oversize`].
pub fn check_size(tx: &Transaction, max: usize) -> Result<(), TransactionError> {
    let size = tx.encoded().len();
    if size > max {
        return Err(TransactionError::Oversize { size, max });
    }
    Ok(())
}

/// Output amounts in range, one by one and summed (`main.cpp:1829-1842`).
///
/// # Errors
///
/// [`TransactionError::NegativeOutput`], [`TransactionError::OutputTooLarge`] or
/// [`TransactionError::OutputTotalTooLarge`].
pub fn check_output_values(tx: &Transaction) -> Result<Amount, TransactionError> {
    let mut total = Amount::ZERO;
    for (index, output) in tx.outputs().iter().enumerate() {
        if output.value < 0 {
            return Err(TransactionError::NegativeOutput(index));
        }
        let amount = output
            .amount()
            .ok_or(TransactionError::OutputTooLarge(index))?;
        total = total
            .checked_add(amount)
            .ok_or(TransactionError::OutputTotalTooLarge)?;
    }
    Ok(total)
}

/// `valueBalance` rules (`main.cpp:1844-1862`): zero without Sapling parts, within ±MAX_MONEY.
///
/// # Errors
///
/// [`TransactionError::ValueBalanceNonzero`] or [`TransactionError::ValueBalanceTooLarge`].
pub fn check_value_balance(tx: &Transaction) -> Result<(), TransactionError> {
    let TxBody::Standard(body) = &tx.body else {
        return Ok(());
    };
    let sapling = &body.sapling;
    if sapling.spends.is_empty() && sapling.outputs.is_empty() && sapling.value_balance != 0 {
        return Err(TransactionError::ValueBalanceNonzero);
    }
    if sapling.value_balance > MAX_MONEY || sapling.value_balance < -MAX_MONEY {
        return Err(TransactionError::ValueBalanceTooLarge);
    }
    Ok(())
}

/// `bad-txns-inputs-duplicate` (`main.cpp:1931-1939`).
///
/// # Errors
///
/// [`TransactionError::DuplicateInputs`].
pub fn check_duplicate_inputs(tx: &Transaction) -> Result<(), TransactionError> {
    let mut seen = HashSet::with_capacity(tx.inputs().len());
    for input in tx.inputs() {
        if !seen.insert(input.prevout) {
            return Err(TransactionError::DuplicateInputs(input.prevout));
        }
    }
    Ok(())
}

/// `bad-cb-length` (`main.cpp:1985-1988`) for a coinbase, `bad-txns-prevout-null`
/// (`main.cpp:1990-1996`) for any other transaction.
///
/// # Errors
///
/// [`TransactionError::CoinbaseScriptSize`] or [`TransactionError::NullPrevout`].
pub fn check_coinbase_script_or_prevouts(tx: &Transaction) -> Result<(), TransactionError> {
    if tx.is_coinbase() {
        let len = tx.inputs()[0].script_sig.len();
        if !(2..=100).contains(&len) {
            return Err(TransactionError::CoinbaseScriptSize(len));
        }
        return Ok(());
    }
    if tx.inputs().iter().any(|input| input.prevout.is_null()) {
        return Err(TransactionError::NullPrevout);
    }
    Ok(())
}

/// `CheckTransaction` without proof verification (`main.cpp:1693-1998`): every context-free rule,
/// in the daemon's order.
///
/// # Errors
///
/// The [`TransactionError`] of the first rule broken.
pub fn check_transaction(tx: &Transaction) -> Result<(), TransactionError> {
    check_version(tx)?;
    check_inputs_and_outputs_present(tx)?;
    check_fluxnode_fields(tx)?;
    check_size(tx, MAX_TX_SIZE_AFTER_SAPLING)?;
    check_output_values(tx)?;
    check_value_balance(tx)?;
    check_duplicate_inputs(tx)?;
    check_coinbase_script_or_prevouts(tx)?;
    check_transparent_only(tx)
}

/// `ContextualCheckTransaction` (`main.cpp:1213-1400`) for a transparent transaction at
/// `height`: Overwinter format only from Acadia and, from then on, only v4 Sapling; not expired;
/// fluxnode transactions only from Kamata (version 6 from P2SHNodes); the pre-Acadia size limit.
///
/// # Errors
///
/// The [`TransactionError`] of the first rule broken.
pub fn check_transaction_at_height(
    params: &dyn NetworkParams,
    tx: &Transaction,
    height: BlockHeight,
) -> Result<(), TransactionError> {
    let sapling_active = params.is_active(NetworkUpgrade::Acadia, height);
    if !sapling_active && tx.overwintered {
        return Err(TransactionError::OverwinterNotActive);
    }
    match &tx.body {
        TxBody::Fluxnode(_) => {
            if !params.fluxnode_transactions_active(height) {
                return Err(TransactionError::FluxnodeNotActive);
            }
            if tx.version == FLUXNODE_TX_UPGRADEABLE_VERSION
                && !params.is_active(NetworkUpgrade::P2shNodes, height)
            {
                return Err(TransactionError::P2shNodesNotActive);
            }
            check_start_version_active(params, tx, height)?;
        }
        TxBody::Standard(body) => {
            if sapling_active {
                let sapling = tx.overwintered
                    && tx.version_group_id == SAPLING_VERSION_GROUP_ID
                    && tx.version == SAPLING_TX_VERSION;
                if !sapling {
                    return Err(TransactionError::SaplingFormatRequired);
                }
                if !tx.is_coinbase() && is_expired(body.expiry_height, height) {
                    return Err(TransactionError::Expired {
                        expiry: body.expiry_height,
                        height: height.0,
                    });
                }
            } else {
                check_size(tx, MAX_TX_SIZE_BEFORE_SAPLING)?;
            }
        }
    }
    Ok(())
}

/// `tx-bit-features-not-active` and `tx-delegates-not-active` (`main.cpp:1325-1340`): before the
/// PON upgrade a version 6 START's internal version is exactly 1 or 2, without the delegates
/// bit.
///
/// fluxd applies the rule to every version 6 transaction, reading `nFluxTxVersion`, which a
/// CONFIRM does not serialize (its value is whatever the constructor left); only STARTs, whose
/// internal version is on the wire, are checked here.
///
/// # Errors
///
/// [`TransactionError::BitFeaturesNotActive`] or [`TransactionError::DelegatesNotActive`].
pub fn check_start_version_active(
    params: &dyn NetworkParams,
    tx: &Transaction,
    height: BlockHeight,
) -> Result<(), TransactionError> {
    let Some(FluxnodeTx::Start(start)) = tx.fluxnode() else {
        return Ok(());
    };
    let Some(internal) = start.internal_version else {
        return Ok(());
    };
    if params.is_active(NetworkUpgrade::ProofOfNode, height) {
        return Ok(());
    }
    if is_bit_based_internal_version(internal) {
        return Err(TransactionError::BitFeaturesNotActive(internal));
    }
    if start.has_delegates_field() {
        return Err(TransactionError::DelegatesNotActive);
    }
    Ok(())
}

/// `IsExpiredTx`: a non-zero expiry height below the block's height.
fn is_expired(expiry_height: u32, height: BlockHeight) -> bool {
    expiry_height != 0 && height.0 > expiry_height
}

/// `IsFinalTx` (`main.cpp`, `bad-txns-nonfinal` at `5646`): lock time zero, below the height or
/// time it is compared with, or every input final.
///
/// # Errors
///
/// [`TransactionError::NonFinal`].
pub fn check_final(
    tx: &Transaction,
    height: BlockHeight,
    block_time: i64,
) -> Result<(), TransactionError> {
    let Some(body) = tx.standard() else {
        return Ok(());
    };
    if body.lock_time == 0 {
        return Ok(());
    }
    let cutoff = if body.lock_time < LOCKTIME_THRESHOLD {
        i64::from(height.0)
    } else {
        block_time
    };
    if i64::from(body.lock_time) < cutoff {
        return Ok(());
    }
    if body
        .inputs
        .iter()
        .all(|input| input.sequence == flux_tx::sign::SEQUENCE_FINAL)
    {
        return Ok(());
    }
    Err(TransactionError::NonFinal)
}

/// `Consensus::CheckTxInputs` and the script checks (`main.cpp:3197-3265`, `ContextualCheckInputs`)
/// for a transaction spent at `spend_height`: every input exists unspent, coinbase outputs are
/// 100 blocks deep, the values are in range, inputs cover outputs, and each input's scripts
/// verify (P2SH and CHECKLOCKTIMEVERIFY, the flags `ConnectBlock` uses) under `branch_id`.
/// Returns the fee.
///
/// # Errors
///
/// [`UtxoCheckError::Invalid`] with the [`TransactionError`] of the first rule broken, or
/// [`UtxoCheckError::View`] when the view fails.
pub fn check_inputs<V: UtxoView + ?Sized>(
    tx: &Transaction,
    view: &V,
    spend_height: BlockHeight,
    branch_id: u32,
) -> Result<Amount, UtxoCheckError<V::Error>> {
    if tx.is_coinbase() || tx.standard().is_none() {
        return Ok(Amount::ZERO);
    }
    let mut coins = Vec::with_capacity(tx.inputs().len());
    for input in tx.inputs() {
        let coin = view
            .coin(&input.prevout)
            .map_err(UtxoCheckError::View)?
            .ok_or(TransactionError::MissingOrSpent(input.prevout))?;
        coins.push(coin);
    }
    Ok(check_spends(tx, &coins, spend_height, branch_id)?)
}

/// The rules of [`check_inputs`] once every spent coin is known (`coins[i]` is what input `i`
/// spends, one per input): maturity, value ranges, inputs covering outputs and the scripts.
/// Returns the fee.
fn check_spends(
    tx: &Transaction,
    coins: &[Coin],
    spend_height: BlockHeight,
    branch_id: u32,
) -> Result<Amount, TransactionError> {
    let mut value_in = Amount::ZERO;
    for (input, coin) in tx.inputs().iter().zip(coins) {
        if coin.is_coinbase {
            // A coin from above the spend height (a caller's mistake) counts as depth 0.
            let depth = spend_height.blocks_since(coin.height).unwrap_or(0);
            if depth < COINBASE_MATURITY {
                return Err(TransactionError::PrematureCoinbaseSpend {
                    outpoint: input.prevout,
                    depth,
                });
            }
        }
        let amount = coin
            .output
            .amount()
            .ok_or(TransactionError::InputValuesOutOfRange)?;
        value_in = value_in
            .checked_add(amount)
            .ok_or(TransactionError::InputValuesOutOfRange)?;
    }
    let value_out = check_output_values(tx)?;
    let fee = value_in
        .checked_sub(value_out)
        .ok_or(TransactionError::InputsBelowOutputs {
            value_in,
            value_out,
        })?;
    let flags = VerifyFlags(VerifyFlags::P2SH.0 | VerifyFlags::CHECKLOCKTIMEVERIFY.0);
    for (index, coin) in coins.iter().enumerate() {
        verify_input(
            tx,
            index,
            coin.output.script_pubkey.as_bytes(),
            coin.output.value,
            flags,
            branch_id,
        )
        .map_err(TransactionError::Script)?;
    }
    Ok(fee)
}

/// `FLUXNODE_MIN_CONFIRMATION_DETERMINISTIC` (`fluxnode/fluxnode.h:20`): blocks a collateral
/// output must be deep before a START or CONFIRM may name it.
pub const FLUXNODE_MIN_CONFIRMATIONS: u32 = 100;

/// `CheckFluxnodeTxInput` (`coins.cpp:630-685`, called by `ConnectBlock` at `main.cpp:3955-3961`)
/// for a START or CONFIRM at `height`: the collateral is an unspent output at least 100 blocks
/// deep holding a tier's collateral amount; a START's must also be locked to its collateral key
/// (P2PKH of the key, or P2SH of the redeem script), the output the daemon pays. Returns the
/// collateral amount (`None` for other transactions).
///
/// # Errors
///
/// [`UtxoCheckError::Invalid`] with [`TransactionError::FluxnodeBadCollateral`],
/// [`TransactionError::FluxnodeCollateralTooYoung`] or
/// [`TransactionError::FluxnodeCollateralNotOwned`]; [`UtxoCheckError::View`] when the view fails.
pub fn check_fluxnode_collateral<V: UtxoView + ?Sized>(
    params: &dyn NetworkParams,
    tx: &Transaction,
    view: &V,
    height: BlockHeight,
) -> Result<Option<Amount>, UtxoCheckError<V::Error>> {
    let Some(node) = tx.fluxnode() else {
        return Ok(None);
    };
    if matches!(node, FluxnodeTx::Untyped(_)) {
        return Ok(None);
    }
    let coin = view
        .coin(&node.collateral())
        .map_err(UtxoCheckError::View)?;
    Ok(Some(check_collateral_coin(
        params,
        node,
        coin.as_ref(),
        height,
    )?))
}

/// The rules of [`check_fluxnode_collateral`] once the collateral is looked up (`coin` is `None`
/// when it is not an unspent output). Returns the collateral amount.
///
/// # Errors
///
/// [`TransactionError::FluxnodeBadCollateral`],
/// [`TransactionError::FluxnodeCollateralTooYoung`] or
/// [`TransactionError::FluxnodeCollateralNotOwned`].
pub fn check_collateral_coin(
    params: &dyn NetworkParams,
    node: &FluxnodeTx,
    coin: Option<&Coin>,
    height: BlockHeight,
) -> Result<Amount, TransactionError> {
    let collateral = node.collateral();
    let coin = coin.ok_or(TransactionError::FluxnodeBadCollateral(collateral))?;
    let depth = height.blocks_since(coin.height).unwrap_or(0);
    if depth < FLUXNODE_MIN_CONFIRMATIONS {
        return Err(TransactionError::FluxnodeCollateralTooYoung { collateral, depth });
    }
    let amount = coin
        .output
        .amount()
        .ok_or(TransactionError::FluxnodeBadCollateral(collateral))?;
    if params.tier_of_collateral(height, amount).is_none() {
        return Err(TransactionError::FluxnodeBadCollateral(collateral));
    }
    if let FluxnodeTx::Start(start) = node {
        let owned = match (
            &start.signer,
            classify(coin.output.script_pubkey.as_bytes()),
        ) {
            (CollateralSigner::PubKey(key), ScriptTemplate::PubKeyHash(hash)) => {
                flux_tx::keys::hash160(key) == hash
            }
            (CollateralSigner::P2sh(script), ScriptTemplate::ScriptHash(hash)) => {
                flux_tx::keys::hash160(script.as_bytes()) == hash
            }
            _ => false,
        };
        if !owned {
            return Err(TransactionError::FluxnodeCollateralNotOwned(collateral));
        }
    }
    Ok(amount)
}

/// [`check_fluxnode_collateral`] for START transactions only (other transactions pass).
///
/// # Errors
///
/// As [`check_fluxnode_collateral`].
pub fn check_start_collateral<V: UtxoView + ?Sized>(
    params: &dyn NetworkParams,
    tx: &Transaction,
    view: &V,
    height: BlockHeight,
) -> Result<Option<Amount>, UtxoCheckError<V::Error>> {
    match tx.fluxnode() {
        Some(FluxnodeTx::Start(_)) => check_fluxnode_collateral(params, tx, view, height),
        _ => Ok(None),
    }
}

/// `CheckFluxnodeTxSignatures` for a CONFIRM (`fluxnode.cpp:150-185`): the node key announced by
/// the node's START signed `COutPoint(<txid prefix>, <n>)<n><update type><sig time>`. The
/// benchmark signature (checked by the daemon against the benchmark keys in force) is not.
///
/// # Errors
///
/// [`TransactionError::FluxnodeBadSignature`], also when no START announced a key.
pub fn check_confirm_signature(
    tx: &Transaction,
    node_key: Option<&[u8]>,
) -> Result<(), TransactionError> {
    let Some(FluxnodeTx::Confirm(confirm)) = tx.fluxnode() else {
        return Ok(());
    };
    let key = node_key.ok_or(TransactionError::FluxnodeBadSignature)?;
    verify_confirm(confirm, key).map_err(|_| TransactionError::FluxnodeBadSignature)
}

/// `fluxnode-tx-benchmark-tier-to-low-for-collateral` (`main.cpp:1588-1596`): a CONFIRM's
/// benchmark tier is at least the tier of the node it confirms (`node_tier`, from the list;
/// `None` when the list has no such node, which the list rules refuse on their own).
///
/// # Errors
///
/// [`TransactionError::BenchmarkTierTooLow`].
pub fn check_benchmark_tier(
    tx: &Transaction,
    node_tier: Option<flux_nodes::Tier>,
) -> Result<(), TransactionError> {
    let (Some(FluxnodeTx::Confirm(confirm)), Some(tier)) = (tx.fluxnode(), node_tier) else {
        return Ok(());
    };
    if i16::from(tier.number()) > i16::from(confirm.benchmark_tier) {
        return Err(TransactionError::BenchmarkTierTooLow {
            benchmark: confirm.benchmark_tier,
            tier: tier.number(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use flux_tx::fluxnode::FluxnodeConfirm;
    use flux_tx::transaction::{StandardTx, TxIn};
    use flux_tx::{OutPoint, Script, TxOut, Txid};

    fn outpoint(n: u8) -> OutPoint {
        OutPoint {
            txid: Txid([n; 32]),
            index: 0,
        }
    }

    fn standard(inputs: Vec<TxIn>, outputs: Vec<TxOut>) -> Transaction {
        Transaction {
            overwintered: false,
            version: 1,
            version_group_id: 0,
            body: TxBody::Standard(StandardTx {
                inputs,
                outputs,
                lock_time: 0,
                expiry_height: 0,
                sapling: Default::default(),
                join_splits: None,
            }),
        }
    }

    fn input(prevout: OutPoint) -> TxIn {
        TxIn {
            prevout,
            script_sig: Script::from(vec![0x51]),
            sequence: u32::MAX,
        }
    }

    #[test]
    fn context_free_rules_each_name_their_variant() {
        let out = |value| TxOut {
            value,
            script_pubkey: Script::from(vec![0x51]),
        };
        assert_eq!(
            check_transaction(&standard(vec![], vec![out(1)])),
            Err(TransactionError::NoInputs)
        );
        assert_eq!(
            check_transaction(&standard(vec![input(outpoint(1))], vec![])),
            Err(TransactionError::NoOutputs)
        );
        assert_eq!(
            check_transaction(&standard(vec![input(outpoint(1))], vec![out(-1)])),
            Err(TransactionError::NegativeOutput(0))
        );
        assert_eq!(
            check_transaction(&standard(
                vec![input(outpoint(1))],
                vec![out(MAX_MONEY + 1)]
            )),
            Err(TransactionError::OutputTooLarge(0))
        );
        assert_eq!(
            check_transaction(&standard(
                vec![input(outpoint(1))],
                vec![out(MAX_MONEY), out(1)]
            )),
            Err(TransactionError::OutputTotalTooLarge)
        );
        assert_eq!(
            check_transaction(&standard(
                vec![input(outpoint(1)), input(outpoint(1))],
                vec![out(1)]
            )),
            Err(TransactionError::DuplicateInputs(outpoint(1)))
        );
        assert_eq!(
            check_transaction(&standard(
                vec![input(outpoint(1)), input(OutPoint::NULL)],
                vec![out(1)]
            )),
            Err(TransactionError::NullPrevout)
        );
        let mut coinbase = standard(vec![input(OutPoint::NULL)], vec![out(1)]);
        assert_eq!(
            check_transaction(&coinbase),
            Err(TransactionError::CoinbaseScriptSize(1))
        );
        if let TxBody::Standard(body) = &mut coinbase.body {
            body.inputs[0].script_sig = Script::from(vec![0x51, 0x51]);
        }
        assert_eq!(check_transaction(&coinbase), Ok(()));
    }

    #[test]
    fn expired_transactions_are_penalised_only_a_block_late() {
        let just = TransactionError::Expired {
            expiry: 10,
            height: 11,
        };
        let late = TransactionError::Expired {
            expiry: 10,
            height: 12,
        };
        assert_eq!(
            (just.misbehavior_score(), late.misbehavior_score()),
            (0, 100)
        );
    }

    #[test]
    fn lock_times_follow_is_final_tx() {
        let mut tx = standard(vec![input(outpoint(1))], vec![]);
        if let TxBody::Standard(body) = &mut tx.body {
            body.lock_time = 100;
            body.inputs[0].sequence = 0;
        }
        assert_eq!(check_final(&tx, BlockHeight(101), 0), Ok(()));
        assert_eq!(
            check_final(&tx, BlockHeight(100), 0),
            Err(TransactionError::NonFinal)
        );
        if let TxBody::Standard(body) = &mut tx.body {
            body.inputs[0].sequence = u32::MAX;
        }
        assert_eq!(check_final(&tx, BlockHeight(100), 0), Ok(()));
    }

    #[test]
    fn a_confirm_must_benchmark_at_least_the_collateral_tier() {
        let confirm = |benchmark_tier| Transaction {
            overwintered: false,
            version: 5,
            version_group_id: 0,
            body: TxBody::Fluxnode(FluxnodeTx::Confirm(FluxnodeConfirm {
                collateral: outpoint(3),
                sig_time: 0,
                benchmark_tier,
                benchmark_sig_time: 0,
                update_type: 0,
                ip: b"1.2.3.4".to_vec(),
                sig: Vec::new(),
                benchmark_sig: Vec::new(),
            })),
        };
        let nimbus = Some(flux_nodes::Tier::Nimbus);
        assert_eq!(
            check_benchmark_tier(&confirm(1), nimbus),
            Err(TransactionError::BenchmarkTierTooLow {
                benchmark: 1,
                tier: 2
            })
        );
        assert_eq!(check_benchmark_tier(&confirm(2), nimbus), Ok(()));
        assert_eq!(check_benchmark_tier(&confirm(3), nimbus), Ok(()));
        assert_eq!(
            check_fluxnode_fields(&confirm(4)),
            Err(TransactionError::FluxnodeInvalidBenchmarkTier(4))
        );
    }
}
