//! Why a header, a transaction or a block is rejected: one variant per rule, each naming the
//! daemon reject reason it mirrors, with the peer penalty fluxd gives (`misbehavior_score`, the
//! `state.DoS(n, …)` argument; `state.Invalid` is 0).

use flux_nodes::{ListError, Tier};
use flux_pow::PowError;
use flux_pow::difficulty::DifficultyError;
use flux_tx::sign::VerifyInputError;
use flux_tx::{Amount, BlockHash, OutPoint, Txid};

/// A header rule broken (`CheckBlockHeader`, `ContextualCheckBlockHeader`, `main.cpp:5318-5601`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HeaderError {
    /// `version-too-low` (`main.cpp:5325`): `nVersion` below 4.
    #[error("block version {version} is below the minimum 4 (version-too-low)")]
    VersionTooLow {
        /// The header's version.
        version: i32,
    },
    /// `invalid-solution` (`main.cpp:5347`, `pow.cpp:220-256`): the solution length is no
    /// Equihash parameter set's.
    #[error("Equihash solution of {len} bytes matches no parameter set (invalid-solution)")]
    UnsupportedSolutionSize {
        /// The solution length.
        len: usize,
    },
    /// `invalid-solution` (`main.cpp:5347`): the Equihash solution does not verify.
    #[error("Equihash solution is invalid: {0} (invalid-solution)")]
    InvalidSolution(PowError),
    /// `bad-equihash-solution-size` (`main.cpp:5549-5553`): the solution's parameter set is not one
    /// the block's height accepts.
    #[error(
        "Equihash solution of {len} bytes is not valid at height {height} (bad-equihash-solution-size)"
    )]
    SolutionSizeNotForHeight {
        /// The solution length.
        len: usize,
        /// The block height.
        height: u32,
    },
    /// `high-hash` (`main.cpp:5352`, `CheckProofOfWork`): bits out of range or the hash above
    /// the target.
    #[error("proof of work failed: {0} (high-hash)")]
    HighHash(DifficultyError),
    /// `time-too-new` (`main.cpp:5360-5378`): the time is beyond the future limit.
    #[error(
        "block time {time} is more than {allowed_drift} s ahead of the clock {now} (time-too-new)"
    )]
    TimeTooNew {
        /// The header's time.
        time: i64,
        /// The local clock.
        now: i64,
        /// The allowed drift: 7200 s before LWMA, 360 s after (300 s for proof of node; 7200 s
        /// on devnet).
        allowed_drift: i64,
    },
    /// `time-too-old` (`main.cpp:5565-5571`): the time is not after the median time past.
    #[error(
        "block time {time} is not after the median time past {median_time_past} (time-too-old)"
    )]
    TimeTooOld {
        /// The header's time.
        time: i64,
        /// Median of the last 11 blocks' times.
        median_time_past: i64,
    },
    /// `bad-diffbits` (`main.cpp:5557-5559`): `nBits` is not what the difficulty rules require.
    #[error("nBits {got:08x} is not the required {expected:08x} (bad-diffbits)")]
    BadDiffBits {
        /// The required bits.
        expected: u32,
        /// The header's bits.
        got: u32,
    },
    /// `bad-fork-prior-to-maxreorgdepth` (`main.cpp:5484-5489`): the block's parent is too far
    /// below the active tip.
    #[error(
        "fork from height {parent_height} is {depth} blocks below the tip, the limit is {max} (bad-fork-prior-to-maxreorgdepth)"
    )]
    ForkTooDeep {
        /// The parent's height.
        parent_height: u32,
        /// Tip height minus parent height.
        depth: u32,
        /// The limit.
        max: u32,
    },
    /// The difficulty could not be computed from the ancestors (an incomplete store).
    #[error("difficulty could not be computed: {0}")]
    Difficulty(DifficultyError),
    /// `premature-pon-block` / `not-pon-block` (`main.cpp:5530-5545`): the header layout does not
    /// match the height's era.
    #[error(
        "block at height {height} has the wrong proof layout for its era (premature-pon-block / not-pon-block)"
    )]
    WrongProofKind {
        /// The block height.
        height: u32,
    },
    /// `bad-pon-sig-size` (`main.cpp:5330-5340`, `consensus/consensus.h:27-29`): the block
    /// signature is longer than a DER signature may be (73 bytes; 512 for an emergency block's
    /// signature set).
    #[error("block signature of {len} bytes is longer than {max} (bad-pon-sig-size)")]
    PonSignatureTooLarge {
        /// The signature's length.
        len: usize,
        /// The most allowed for this kind of block.
        max: usize,
    },
    /// `high-hash` for a proof-of-node header (`CheckProofOfNode` without a height,
    /// `main.cpp:5339-5343`): the node's PON hash for the parent and slot is above the target, or
    /// the target is invalid or above the looser PON limit.
    #[error("proof-of-node hash check failed: {0} (high-hash)")]
    PonHighHash(DifficultyError),
    /// `bad-pon-header` (`ContextualCheckPONBlockHeader`, `main.cpp:5518-5523`,
    /// `pon/pon.cpp:197-222`): with the block's height, the PON hash or target fails the limit
    /// in force (`ponStartLimit` in the first window after activation).
    #[error("proof-of-node header fails at its height: {0} (bad-pon-header)")]
    PonBadHeader(DifficultyError),
    /// `bad-pon-block` with a signature failure (`main.cpp:5612-5621`, `pon/pon.cpp:309-319`):
    /// the block signature is not the node operator's over the block hash. The signature is
    /// not part of the hash, so fluxd does not mark the block hash invalid for good: the same
    /// block may arrive again, properly signed.
    #[error("block signature does not verify with the node's operator key (bad-pon-block)")]
    PonBadSignature,
    /// `time-too-old` for a proof-of-node header (`main.cpp:5563-5567`): its time is not
    /// strictly after its parent's.
    #[error("block time {time} is not after its parent's {parent_time} (time-too-old)")]
    PonTimeNotAfterParent {
        /// The header's time.
        time: u32,
        /// The parent's time.
        parent_time: u32,
    },
    /// `bad-pon-header` / `bad-pon-block` for an emergency block (`ValidateEmergencyBlockSignatures`,
    /// `emergencyblock.cpp:61-158`; `IsEmergencyBlockAllowed`, `:183-191`): its signature set does
    /// not carry enough valid signatures of the network's emergency keys, or it comes before
    /// proof of node.
    #[error("emergency block refused: {0} (bad-pon-header)")]
    EmergencyBlock(crate::check::pon::EmergencyBlockError),
    /// `bad-pon-diffbits` (`main.cpp:5525-5534`): a proof-of-node header's `nBits` is not
    /// `GetNextPONWorkRequired` of its parent.
    #[error(
        "nBits {got:08x} is not the required proof-of-node target {expected:08x} (bad-pon-diffbits)"
    )]
    PonBadDiffBits {
        /// The required bits.
        expected: u32,
        /// The header's bits.
        got: u32,
    },
    /// `bad-pon-block` (`pon/pon.cpp:286-303`): the collateral the block names is no fluxnode's
    /// (started, in DoS protection or confirmed) in the list the block's parent left, so nobody
    /// may sign with it. Unlike a bad signature this is decided by the committed header, so the
    /// block is invalid for good.
    #[error(
        "collateral {}:{} is not a fluxnode's at the block's parent (bad-pon-block)",
        .0.txid,
        .0.index
    )]
    PonUnknownNode(OutPoint),
    /// An Equihash check was asked of a proof-of-node header, which has no solution.
    #[error("a proof-of-node header has no Equihash solution to verify")]
    NotProofOfWork,
    /// `CheckBlockAgaintCheckpoint` (`main.cpp:5582`): a checkpointed height with another hash.
    #[error("block {hash} at height {height} contradicts the checkpoint {expected}")]
    CheckpointMismatch {
        /// The height.
        height: u32,
        /// The header's hash.
        hash: BlockHash,
        /// The checkpointed hash.
        expected: BlockHash,
    },
    /// `main.cpp:5578`: a fork below the last checkpoint.
    #[error("fork at height {height} is below the last checkpoint at {checkpoint}")]
    ForkBeforeCheckpoint {
        /// The block height.
        height: u32,
        /// The last checkpoint's height.
        checkpoint: u32,
    },
}

impl HeaderError {
    /// fluxd's peer penalty for the rule.
    pub fn misbehavior_score(&self) -> u32 {
        match self {
            HeaderError::HighHash(_) | HeaderError::PonHighHash(_) => 50,
            HeaderError::PonBadHeader(_)
            | HeaderError::PonBadSignature
            | HeaderError::PonBadDiffBits { .. }
            | HeaderError::PonUnknownNode(_)
            | HeaderError::EmergencyBlock(_) => 100,
            HeaderError::ForkTooDeep { .. } => 10,
            HeaderError::TimeTooNew { .. }
            | HeaderError::TimeTooOld { .. }
            | HeaderError::PonTimeNotAfterParent { .. }
            | HeaderError::CheckpointMismatch { .. }
            | HeaderError::Difficulty(_)
            | HeaderError::NotProofOfWork => 0,
            _ => 100,
        }
    }

    /// Whether the failure is in the block signature, which the block hash does not commit to
    /// (fluxd's `fSignatureFailure`, `main.cpp:5612-5621`): the same block may arrive again
    /// properly signed, so its hash must not be marked invalid (an attacker could otherwise
    /// poison a good block by relaying it first with a bad signature).
    pub fn is_signature_failure(&self) -> bool {
        matches!(
            self,
            HeaderError::PonBadSignature
                | HeaderError::EmergencyBlock(
                    crate::check::pon::EmergencyBlockError::NotEnoughValidSignatures { .. }
                        | crate::check::pon::EmergencyBlockError::OversizedSignature { .. }
                )
        )
    }
}

/// A transaction rule broken (`CheckTransaction`, `ContextualCheckTransaction`,
/// `Consensus::CheckTxInputs`, `main.cpp:1213-2010`, `3197-3265`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TransactionError {
    /// `bad-txns-version-too-low` (`main.cpp:1719`).
    #[error("transaction version {0} is below 1 (bad-txns-version-too-low)")]
    VersionTooLow(i32),
    /// `bad-tx-overwinter-version-too-low` (`main.cpp:1723`).
    #[error("overwintered transaction version {0} is below 3 (bad-tx-overwinter-version-too-low)")]
    OverwinterVersionTooLow(i32),
    /// `bad-tx-version-group-id` (`main.cpp:1728`).
    #[error("unknown version group id {0:08x} (bad-tx-version-group-id)")]
    UnknownVersionGroup(u32),
    /// `bad-tx-expiry-height-too-high` (`main.cpp:1732`).
    #[error("expiry height {0} is at or above 500000000 (bad-tx-expiry-height-too-high)")]
    ExpiryHeightTooHigh(u32),
    /// `coinbase` (`AcceptToMemoryPool`, `main.cpp:2104-2106`): a coinbase is only valid as a block's
    /// first transaction, never on its own.
    #[error("a coinbase cannot be accepted as a loose transaction (coinbase)")]
    LooseCoinbase,
    /// `bad-txns-vin-empty` (`main.cpp:1742`).
    #[error("transaction has no inputs (bad-txns-vin-empty)")]
    NoInputs,
    /// `bad-txns-vout-empty` (`main.cpp:1745`).
    #[error("transaction has no outputs (bad-txns-vout-empty)")]
    NoOutputs,
    /// `bad-txns-fluxnode-tx-invalid-type` (`main.cpp:1759`).
    #[error(
        "fluxnode transaction type {0} is neither START nor CONFIRM (bad-txns-fluxnode-tx-invalid-type)"
    )]
    FluxnodeInvalidType(i8),
    /// `bad-txns-fluxnode-tx-null-prevout` (`main.cpp:1764`).
    #[error("fluxnode transaction names the null collateral (bad-txns-fluxnode-tx-null-prevout)")]
    FluxnodeNullCollateral,
    /// `bad-txns-fluxnode-tx-invalid-signature` (`main.cpp:1790-1796`,
    /// `CheckFluxnodeTxSignatures`): a START not signed by its collateral key, or a CONFIRM not
    /// signed by the node key its START announced.
    #[error("fluxnode transaction signature is invalid (bad-txns-fluxnode-tx-invalid-signature)")]
    FluxnodeBadSignature,
    /// `bad-txns-fluxnode-tx-invalid-benchmark-tier` (`main.cpp:1800`).
    #[error("CONFIRM benchmark tier {0} is not 1-3 (bad-txns-fluxnode-tx-invalid-benchmark-tier)")]
    FluxnodeInvalidBenchmarkTier(i8),
    /// `bad-txns-fluxnode-tx-ip-address-to-large` (`main.cpp:1812`).
    #[error("CONFIRM IP of {len} bytes exceeds {max} (bad-txns-fluxnode-tx-ip-address-to-large)")]
    FluxnodeIpTooLarge {
        /// The IP field's length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// `bad-txns-fluxnode-tx-invalid-update-type` (`main.cpp:1817`).
    #[error(
        "CONFIRM update type {0} is neither 0 nor 1 (bad-txns-fluxnode-tx-invalid-update-type)"
    )]
    FluxnodeInvalidUpdateType(i8),
    /// `bad-txns-oversize` (`main.cpp:1826`, `1380`).
    #[error("transaction of {size} bytes exceeds {max} (bad-txns-oversize)")]
    Oversize {
        /// Serialized size.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// `bad-txns-vout-negative` (`main.cpp:1833`).
    #[error("output {0} is negative (bad-txns-vout-negative)")]
    NegativeOutput(usize),
    /// `bad-txns-vout-toolarge` (`main.cpp:1836`).
    #[error("output {0} exceeds MAX_MONEY (bad-txns-vout-toolarge)")]
    OutputTooLarge(usize),
    /// `bad-txns-txouttotal-toolarge` (`main.cpp:1840`).
    #[error("outputs add up beyond MAX_MONEY (bad-txns-txouttotal-toolarge)")]
    OutputTotalTooLarge,
    /// `bad-txns-valuebalance-nonzero` (`main.cpp:1846`).
    #[error("valueBalance is non-zero without shielded parts (bad-txns-valuebalance-nonzero)")]
    ValueBalanceNonzero,
    /// `bad-txns-valuebalance-toolarge` (`main.cpp:1852`).
    #[error("valueBalance is beyond MAX_MONEY (bad-txns-valuebalance-toolarge)")]
    ValueBalanceTooLarge,
    /// `bad-txns-inputs-duplicate` (`main.cpp:1938`).
    #[error("input {0:?} is spent twice in the transaction (bad-txns-inputs-duplicate)")]
    DuplicateInputs(OutPoint),
    /// `bad-cb-length` (`main.cpp:1988`).
    #[error("coinbase scriptSig of {0} bytes is outside 2..=100 (bad-cb-length)")]
    CoinbaseScriptSize(usize),
    /// `bad-txns-prevout-null` (`main.cpp:1995`).
    #[error("a non-coinbase input spends the null outpoint (bad-txns-prevout-null)")]
    NullPrevout,
    /// Shielded (Sprout or Sapling) parts: their proofs are not verified by this crate, so such
    /// transactions are refused rather than accepted unchecked.
    #[error("shielded transactions are not supported by this validator")]
    ShieldedUnsupported,
    /// `tx-overwinter-not-active` (`main.cpp:1311`).
    #[error("overwintered transaction before Acadia (tx-overwinter-not-active)")]
    OverwinterNotActive,
    /// `tx-sapling-active` / `tx-overwintered-flag-not-set` / `bad-sapling-tx-version-group-id`
    /// / `bad-tx-sapling-version-too-low|high` (`main.cpp:1340-1375`): after Acadia only v4
    /// Sapling transactions.
    #[error("only v4 Sapling transactions are valid once Acadia is active (tx-sapling-active)")]
    SaplingFormatRequired,
    /// `tx-sapling-expired` (`main.cpp:1380-1386`).
    #[error(
        "transaction expired at height {expiry}, the block is at {height} (tx-sapling-expired)"
    )]
    Expired {
        /// `nExpiryHeight`.
        expiry: u32,
        /// The height it was to be mined at.
        height: u32,
    },
    /// `tx-fluxnodes-not-active` (`main.cpp:1317`).
    #[error("fluxnode transaction before Kamata (tx-fluxnodes-not-active)")]
    FluxnodeNotActive,
    /// `tx-p2shnodes-not-active` (`main.cpp:1323`).
    #[error("version 6 fluxnode transaction before P2SHNodes (tx-p2shnodes-not-active)")]
    P2shNodesNotActive,
    /// `tx-bit-features-not-active` (`main.cpp:1326-1333`): a version 6 START whose internal
    /// version is not exactly 1 or 2 before the PON upgrade.
    #[error(
        "START internal version {0:#x} uses bit flags before the PON upgrade (tx-bit-features-not-active)"
    )]
    BitFeaturesNotActive(i32),
    /// `tx-delegates-not-active` (`main.cpp:1335-1339`): delegates before the PON upgrade.
    #[error("START uses delegates before the PON upgrade (tx-delegates-not-active)")]
    DelegatesNotActive,
    /// `bad-txns-fluxnode-tx-redeemscript-to-large` (`main.cpp:1770-1775`).
    #[error(
        "START redeem script of {0} bytes exceeds 10000 (bad-txns-fluxnode-tx-redeemscript-to-large)"
    )]
    FluxnodeRedeemScriptTooLarge(usize),
    /// `bad-txns-fluxnode-tx-redeemscript-not-multisig` (`main.cpp:1777-1782`).
    #[error("START redeem script is not multisig (bad-txns-fluxnode-tx-redeemscript-not-multisig)")]
    FluxnodeRedeemScriptNotMultisig,
    /// `bad-txns-fluxnode-tx-delegate-data-invalid` (`main.cpp:1784-1789`): the delegates bit is
    /// set but the data is absent, of another type than UPDATE or SIGNING, lists more than four
    /// keys or an uncompressed one.
    #[error("START delegate data is not valid (bad-txns-fluxnode-tx-delegate-data-invalid)")]
    FluxnodeDelegateDataInvalid,
    /// `bad-txns-nonfinal` (`main.cpp:5646`).
    #[error("transaction is not final at this height and time (bad-txns-nonfinal)")]
    NonFinal,
    /// `bad-txns-inputs-missingorspent` (`main.cpp:3953`): an input is not in the UTXO set.
    #[error("input {0:?} is missing or already spent (bad-txns-inputs-missingorspent)")]
    MissingOrSpent(OutPoint),
    /// `bad-txns-premature-spend-of-coinbase` (`main.cpp:3222-3225`).
    #[error(
        "coinbase output {outpoint:?} spent at depth {depth}, needs 100 (bad-txns-premature-spend-of-coinbase)"
    )]
    PrematureCoinbaseSpend {
        /// The coinbase output.
        outpoint: OutPoint,
        /// Blocks since it was mined.
        depth: u32,
    },
    /// `bad-txns-inputvalues-outofrange` (`main.cpp:3245`).
    #[error("input values add up beyond MAX_MONEY (bad-txns-inputvalues-outofrange)")]
    InputValuesOutOfRange,
    /// `bad-txns-in-belowout` (`main.cpp:3257`).
    #[error("inputs {value_in} are below outputs {value_out} (bad-txns-in-belowout)")]
    InputsBelowOutputs {
        /// Sum of the inputs.
        value_in: Amount,
        /// Sum of the outputs.
        value_out: Amount,
    },
    /// `mandatory-script-verify-flag-failed` (`CScriptCheck`, `main.cpp` `ContextualCheckInputs`).
    #[error("script verification failed: {0} (mandatory-script-verify-flag-failed)")]
    Script(VerifyInputError),
    /// `bad-txns-fluxnode-tx-inputs-missingorspent` (`CheckFluxnodeTxInput`, `coins.cpp:637-655`,
    /// `main.cpp:3959`): the collateral is not an unspent output holding a tier's collateral.
    #[error(
        "fluxnode collateral {0:?} is not an unspent tier collateral (bad-txns-fluxnode-tx-inputs-missingorspent)"
    )]
    FluxnodeBadCollateral(OutPoint),
    /// `bad-txns-fluxnode-tx-inputs-missingorspent-Minimum height requirement not met`
    /// (`coins.cpp:644-648`): the collateral is less than 100 blocks deep.
    #[error("fluxnode collateral {collateral:?} is {depth} blocks deep, 100 are required")]
    FluxnodeCollateralTooYoung {
        /// The collateral.
        collateral: OutPoint,
        /// Blocks since it was created.
        depth: u32,
    },
    /// `fluxnode-tx-benchmark-tier-to-low-for-collateral` (`main.cpp:1588-1596`): a CONFIRM's
    /// benchmark tier is below the tier of the node's collateral.
    #[error(
        "CONFIRM benchmark tier {benchmark} is below the node's tier {tier} (fluxnode-tx-benchmark-tier-to-low-for-collateral)"
    )]
    BenchmarkTierTooLow {
        /// The CONFIRM's benchmark tier.
        benchmark: i8,
        /// The node's tier number.
        tier: u8,
    },
    /// `fluxnode-tx-destinations-didn't-match` / `fluxnode-tx-p2shnodes-destinations-didn't-match`
    /// (`main.cpp:1513-1583`): the START's collateral key (or redeem script) does not own the
    /// collateral output.
    #[error("START collateral {0:?} is not locked to the START's collateral key")]
    FluxnodeCollateralNotOwned(OutPoint),
    /// `bad-txns-fluxnode-tx-check-new-start` and the list's START/CONFIRM rules
    /// (`fluxnode.cpp` `CheckNewStartTx`, `CheckIfStarted`, `CheckConfirmationHeights`).
    #[error("fluxnode list refuses the transaction: {0}")]
    FluxnodeList(ListError),
}

impl TransactionError {
    /// Whether the rule looks at the chain the transaction is checked against (its height, the
    /// upgrades then active, the coins and fluxnodes it holds), so the same transaction may pass
    /// on a tip one block away: a peer relaying it has not shown bad faith.
    pub fn depends_on_the_tip(&self) -> bool {
        matches!(
            self,
            TransactionError::OverwinterNotActive
                | TransactionError::SaplingFormatRequired
                | TransactionError::FluxnodeNotActive
                | TransactionError::P2shNodesNotActive
                | TransactionError::BitFeaturesNotActive(_)
                | TransactionError::DelegatesNotActive
                | TransactionError::Expired { .. }
                | TransactionError::NonFinal
                | TransactionError::MissingOrSpent { .. }
                | TransactionError::PrematureCoinbaseSpend { .. }
                | TransactionError::FluxnodeBadCollateral { .. }
                | TransactionError::FluxnodeCollateralTooYoung { .. }
                | TransactionError::FluxnodeCollateralNotOwned { .. }
                | TransactionError::BenchmarkTierTooLow { .. }
                | TransactionError::FluxnodeList(_)
        )
    }

    /// fluxd's peer penalty for the rule.
    pub fn misbehavior_score(&self) -> u32 {
        match self {
            TransactionError::NoInputs
            | TransactionError::NoOutputs
            | TransactionError::FluxnodeInvalidType(_)
            | TransactionError::FluxnodeNullCollateral
            | TransactionError::FluxnodeBadSignature
            | TransactionError::FluxnodeInvalidBenchmarkTier(_)
            | TransactionError::FluxnodeInvalidUpdateType(_)
            | TransactionError::FluxnodeRedeemScriptTooLarge(_)
            | TransactionError::FluxnodeRedeemScriptNotMultisig
            | TransactionError::FluxnodeDelegateDataInvalid
            | TransactionError::NullPrevout
            | TransactionError::NonFinal
            | TransactionError::FluxnodeList(_) => 10,
            // Only a transaction that had already expired a block earlier is penalised.
            TransactionError::Expired { expiry, height } if height.saturating_sub(1) > *expiry => {
                100
            }
            TransactionError::PrematureCoinbaseSpend { .. }
            | TransactionError::ShieldedUnsupported
            | TransactionError::Expired { .. } => 0,
            _ => 100,
        }
    }
}

/// A block rule broken. A store failure is not a rule: the chain reports it beside this type
/// (`chain::AcceptBlockError`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BlockError {
    /// The header breaks a rule.
    #[error("header: {0}")]
    Header(#[from] HeaderError),
    /// `bad-txnmrklroot` (`main.cpp:5399`).
    #[error(
        "merkle root {in_header} does not match the transactions' {computed} (bad-txnmrklroot)"
    )]
    BadMerkleRoot {
        /// The header's root.
        in_header: flux_tx::MerkleRoot,
        /// The transactions' root.
        computed: flux_tx::MerkleRoot,
    },
    /// `bad-txns-duplicate` (`main.cpp:5406`): a mutated merkle tree (CVE-2012-2459).
    #[error(
        "the transaction list repeats a tail that leaves the merkle root unchanged (bad-txns-duplicate)"
    )]
    MutatedMerkleTree,
    /// `bad-blk-length` (`main.cpp:5418`): no transactions, or over 2,000,000 bytes.
    #[error("block has {transactions} transactions and {size} bytes (bad-blk-length)")]
    BadLength {
        /// Number of transactions.
        transactions: usize,
        /// Serialized size.
        size: usize,
    },
    /// `bad-cb-missing` (`main.cpp:5423`).
    #[error("the first transaction is not a coinbase (bad-cb-missing)")]
    MissingCoinbase,
    /// `bad-cb-multiple` (`main.cpp:5429`).
    #[error("transaction {0} is a second coinbase (bad-cb-multiple)")]
    MultipleCoinbase(usize),
    /// `bad-fluxnode-tx-multiple` (`main.cpp:5434`).
    #[error("two fluxnode transactions name the collateral {0:?} (bad-fluxnode-tx-multiple)")]
    DuplicateFluxnodeCollateral(OutPoint),
    /// `bad-blk-sigops` (`main.cpp:5465`).
    #[error("{0} signature operations exceed 20000 (bad-blk-sigops)")]
    TooManySigops(usize),
    /// A transaction breaks a rule.
    #[error("transaction {index} ({txid}): {error}")]
    Transaction {
        /// Its position in the block.
        index: usize,
        /// Its id.
        txid: Txid,
        /// The rule.
        error: TransactionError,
    },
    /// `bad-cb-height` (`main.cpp:5660`): the coinbase does not start with the height.
    #[error("coinbase scriptSig does not start with the height {0} (bad-cb-height)")]
    BadCoinbaseHeight(u32),
    /// `bad-sapling-root-in-block` (`main.cpp:4144`).
    #[error("hashFinalSaplingRoot is not the Sapling tree's root (bad-sapling-root-in-block)")]
    BadSaplingRoot,
    /// `bad-txns-BIP30` (`main.cpp:3868-3875`).
    #[error("transaction {0} overwrites one with unspent outputs (bad-txns-BIP30)")]
    OverwritesTransaction(Txid),
    /// `bad-cb-amount` (`main.cpp:4159`).
    #[error("coinbase pays {paid}, more than the limit {limit} (bad-cb-amount)")]
    CoinbasePaysTooMuch {
        /// What the coinbase pays.
        paid: Amount,
        /// Subsidy plus fees plus fund outputs.
        limit: Amount,
    },
    /// `bad-txns-not-paying-correct-fluxnodes` (`main.cpp:3877-3884`, `CheckFluxnodePayout`): the
    /// coinbase lacks the output paying a tier's next payee its exact amount.
    #[error(
        "coinbase does not pay {tier} payee {payee:?} exactly {amount} (bad-txns-not-paying-correct-fluxnodes)"
    )]
    MissingFluxnodePayout {
        /// The tier.
        tier: Tier,
        /// The node due.
        payee: OutPoint,
        /// The amount due.
        amount: Amount,
    },
    /// `tx-coinbase-missing-exchange-funding`, `…-foundation-funding`, `…-swappool-funding`
    /// (`main.cpp:1252-1300`): the coinbase lacks a one-off fund output of its height.
    #[error(
        "coinbase lacks the {fund} output of exactly {amount} (tx-coinbase-missing-{fund}-funding)"
    )]
    MissingFundOutput {
        /// `exchange`, `foundation` or `swappool`.
        fund: &'static str,
        /// The amount due.
        amount: Amount,
    },
    /// `tx-coinbase-missing-dev-funding` (`main.cpp:1229-1249`): a coinbase after the PON
    /// upgrade lacks an output paying the dev fund its minimum.
    #[error("coinbase pays the dev fund less than {amount} (tx-coinbase-missing-dev-funding)")]
    MissingDevFundOutput {
        /// The minimum (`GetMinDevFundAmount`).
        amount: Amount,
    },
    /// `bad-txns-not-paying-correct-fluxnodes` for the dev fund (`fluxnode.cpp:866-876`): no
    /// coinbase output besides the fluxnode payouts pays the dev fund what the payouts leave.
    #[error(
        "coinbase pays the dev fund less than the {amount} the payouts leave (bad-txns-not-paying-correct-fluxnodes)"
    )]
    MissingDevFundPayout {
        /// The subsidy less the payouts due.
        amount: Amount,
    },
    /// The fluxnode list refuses the block's transactions (`ConnectBlock`, `main.cpp:3955-4000`).
    #[error("fluxnode list: {0}")]
    FluxnodeList(ListError),
    /// `bad-prevblk` (`main.cpp:5692`): the parent is unknown.
    #[error("parent block {0} is unknown (bad-prevblk)")]
    UnknownParent(BlockHash),
    /// `bad-prevblk` (`main.cpp:5695`): the parent, or an ancestor, is invalid.
    #[error("parent block {0} is invalid (bad-prevblk)")]
    InvalidParent(BlockHash),
    /// `duplicate` (`main.cpp:5680`): the block was already found invalid.
    #[error("block {0} is already known to be invalid (duplicate)")]
    KnownInvalid(BlockHash),
    /// A genesis block that is not the network's.
    #[error("block {0} has no parent and is not this network's genesis block")]
    NotGenesis(BlockHash),
}

impl BlockError {
    /// Whether the failure is a block signature's (see [`HeaderError::is_signature_failure`]):
    /// the block hash is then not marked invalid.
    pub fn is_signature_failure(&self) -> bool {
        matches!(self, BlockError::Header(error) if error.is_signature_failure())
    }

    /// fluxd's peer penalty for the rule.
    pub fn misbehavior_score(&self) -> u32 {
        match self {
            BlockError::Header(error) => error.misbehavior_score(),
            BlockError::Transaction { error, .. } => error.misbehavior_score(),
            BlockError::MissingFluxnodePayout { .. } | BlockError::MissingDevFundPayout { .. } => 1,
            BlockError::UnknownParent(_) => 10,
            BlockError::KnownInvalid(_) => 0,
            _ => 100,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_rules_about_the_chain_depend_on_the_tip() {
        let young = TransactionError::FluxnodeCollateralTooYoung {
            collateral: OutPoint {
                txid: flux_tx::Txid([1; 32]),
                index: 0,
            },
            depth: 99,
        };
        assert!(young.depends_on_the_tip());
        assert!(TransactionError::NonFinal.depends_on_the_tip());
        assert!(!TransactionError::NoInputs.depends_on_the_tip());
        assert!(!TransactionError::FluxnodeBadSignature.depends_on_the_tip());
        assert!(!TransactionError::NullPrevout.depends_on_the_tip());
    }
}
