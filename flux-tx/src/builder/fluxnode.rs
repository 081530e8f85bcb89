//! Building and signing fluxnode START and CONFIRM transactions, as fluxd's active fluxnode code
//! does (`ActiveFluxnode::BuildDeterministicStartTx` / `SignDeterministicStartTx` and
//! `BuildDeterministicConfirmTx` / `SignDeterministicConfirmTx`, `fluxnode/activefluxnode.cpp`,
//! with the benchmark daemon's countersignature of a CONFIRM).
//!
//! Both are version 5 transactions ([`FLUXNODE_TX_VERSION`]), the layout fluxd's
//! `startfluxnode` builds for a node whose collateral is locked to a public key hash. A fluxnode
//! transaction has no inputs and so no signature hash or branch id: its signatures are message
//! signatures over text made from the transaction (see [`crate::fluxnode_sig`]), identical on
//! every network.
//!
//! The builders apply no consensus rule: whether a START's collateral exists, is deep enough and
//! belongs to the key, whether a CONFIRM's benchmark tier and IP length are acceptable, and when
//! a node may confirm are the chain's rules (`flux-consensus` checks them on the result).
//!
//! ```
//! use flux_tx::builder::fluxnode::{BenchmarkAttestation, build_confirm, build_start};
//! use flux_tx::fluxnode::{FluxnodeTx, UpdateType};
//! use flux_tx::fluxnode_sig::{start_message, verify_node_message};
//! use flux_tx::keys::PrivateKey;
//! use flux_tx::{FluxDecode, FluxEncode, OutPoint, Tier, Transaction, Txid};
//!
//! let collateral_key = PrivateKey::from_secret_bytes([0x11; 32], true).unwrap();
//! let node_key = PrivateKey::from_secret_bytes([0x22; 32], true).unwrap();
//! let benchmark_key = PrivateKey::from_secret_bytes([0x33; 32], true).unwrap();
//! let collateral = OutPoint { txid: Txid([0xab; 32]), index: 0 };
//!
//! // Announce the node: the collateral key signs the START's txid.
//! let start = build_start(collateral, &collateral_key, &node_key.public_key(), 1_700_000_000);
//! let Some(FluxnodeTx::Start(body)) = start.fluxnode() else { unreachable!() };
//! let txid = start.txid();
//! let public = collateral_key.public_key().to_bytes();
//! assert!(verify_node_message(&public, &body.sig, start_message(&txid.0).as_bytes()).is_ok());
//!
//! // Once the chain lists it as started, the node key confirms it.
//! let benchmark = BenchmarkAttestation { key: &benchmark_key, tier: Tier::Cumulus, sig_time: 1_700_000_100 };
//! let confirm = build_confirm(
//!     collateral,
//!     &node_key,
//!     UpdateType::InitialConfirm,
//!     1_700_000_100,
//!     "203.0.113.7:16125",
//!     &benchmark,
//! );
//! assert_eq!(Transaction::decode_exact(&confirm.encoded())?, confirm);
//! # Ok::<(), flux_tx::DecodeError>(())
//! ```

use alloc::vec::Vec;

use crate::fluxnode::{
    CollateralSigner, FLUXNODE_TX_VERSION, FluxnodeConfirm, FluxnodeStart, FluxnodeTx, UpdateType,
};
use crate::fluxnode_sig::{benchmark_message, confirm_message, sign_node_message, start_message};
use crate::keys::{PrivateKey, PublicKey};
use crate::outpoint::OutPoint;
use crate::transaction::{Transaction, TxBody};
use flux_pow::Tier;

/// The benchmark daemon's part of a CONFIRM: the key in force for the network at `sig_time`
/// countersigns the node's signature with the tier the node benchmarked at
/// (`CheckBenchmarkSignature`, `fluxnode/fluxnode.cpp:186-202`).
#[derive(Debug, Clone, Copy)]
pub struct BenchmarkAttestation<'a> {
    /// The benchmark signing key.
    pub key: &'a PrivateKey,
    /// `benchmarkTier`: the tier the node's hardware passed (on the wire as its number, 1
    /// Cumulus, 2 Nimbus, 3 Stratus).
    pub tier: Tier,
    /// `benchmarkSigTime`.
    pub sig_time: u32,
}

/// The tier as CONFIRM's signed `benchmarkTier` byte: fluxd's tier number (1 to 3, so the cast
/// never wraps).
fn benchmark_tier_byte(tier: Tier) -> i8 {
    tier.number() as i8
}

fn fluxnode_transaction(body: FluxnodeTx) -> Transaction {
    Transaction {
        overwintered: false,
        version: FLUXNODE_TX_VERSION,
        version_group_id: 0,
        body: TxBody::Fluxnode(body),
    }
}

/// Builds the START that announces `node_public_key` as the node behind `collateral`, signed at
/// `sig_time` by `collateral_key` (the key the collateral output pays to).
///
/// The signature covers the transaction's txid in display hex; the txid leaves the signature out
/// (`SER_GETHASH`), so it is the same before and after signing.
pub fn build_start(
    collateral: OutPoint,
    collateral_key: &PrivateKey,
    node_public_key: &PublicKey,
    sig_time: u32,
) -> Transaction {
    let mut start = FluxnodeStart {
        internal_version: None,
        collateral,
        signer: CollateralSigner::PubKey(collateral_key.public_key().to_bytes()),
        node_pubkey: node_public_key.to_bytes(),
        sig_time,
        sig: Vec::new(),
        delegates: None,
    };
    let txid = fluxnode_transaction(FluxnodeTx::Start(start.clone())).txid();
    start.sig = sign_node_message(collateral_key, start_message(&txid.0).as_bytes()).to_vec();
    fluxnode_transaction(FluxnodeTx::Start(start))
}

/// Builds the CONFIRM of the node behind `collateral`: `node_key` (the key its START announced)
/// signs the collateral, the update type and `sig_time`, and `benchmark` countersigns that
/// signature with the node's benchmark tier, its time and `ip` (the address the node announces,
/// `host:port`).
pub fn build_confirm(
    collateral: OutPoint,
    node_key: &PrivateKey,
    update_type: UpdateType,
    sig_time: u32,
    ip: &str,
    benchmark: &BenchmarkAttestation<'_>,
) -> Transaction {
    let update_type = update_type.to_i8();
    let sig = sign_node_message(
        node_key,
        confirm_message(&collateral.txid.0, collateral.index, update_type, sig_time).as_bytes(),
    )
    .to_vec();
    let tier = benchmark_tier_byte(benchmark.tier);
    let benchmark_sig = sign_node_message(
        benchmark.key,
        &benchmark_message(&sig, tier, benchmark.sig_time, ip),
    )
    .to_vec();
    fluxnode_transaction(FluxnodeTx::Confirm(FluxnodeConfirm {
        collateral,
        sig_time,
        benchmark_tier: tier,
        benchmark_sig_time: benchmark.sig_time,
        update_type,
        ip: ip.as_bytes().to_vec(),
        sig,
        benchmark_sig,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encode::{FluxDecode, FluxEncode};
    use crate::fluxnode_sig::{NodeSignatureError, verify_node_message};
    use crate::hash::Txid;

    fn key(byte: u8) -> PrivateKey {
        PrivateKey::from_secret_bytes([byte; 32], true).unwrap()
    }

    fn collateral() -> OutPoint {
        let mut txid = [0u8; 32];
        for (i, byte) in txid.iter_mut().enumerate() {
            *byte = i as u8;
        }
        OutPoint {
            txid: Txid(txid),
            index: 2,
        }
    }

    /// The START layout of `CTransaction::SerializationOp` for version 5
    /// (`primitives/transaction.h:750-770`), written out field by field.
    fn start_bytes(
        collateral: &OutPoint,
        collateral_pubkey: &[u8],
        node_pubkey: &[u8],
        sig_time: u32,
        sig: Option<&[u8]>,
    ) -> Vec<u8> {
        let mut bytes = alloc::vec![0x05, 0x00, 0x00, 0x00, 0x02];
        bytes.extend_from_slice(&collateral.txid.0);
        bytes.extend_from_slice(&collateral.index.to_le_bytes());
        bytes.push(collateral_pubkey.len() as u8);
        bytes.extend_from_slice(collateral_pubkey);
        bytes.push(node_pubkey.len() as u8);
        bytes.extend_from_slice(node_pubkey);
        bytes.extend_from_slice(&sig_time.to_le_bytes());
        if let Some(sig) = sig {
            bytes.push(sig.len() as u8);
            bytes.extend_from_slice(sig);
        }
        bytes
    }

    #[test]
    fn start_has_the_daemon_layout_and_a_collateral_signature_over_its_txid() {
        let (collateral_key, node_key) = (key(0x41), key(0x42));
        let tx = build_start(
            collateral(),
            &collateral_key,
            &node_key.public_key(),
            1_650_000_000,
        );
        let collateral_pubkey = collateral_key.public_key().to_bytes();
        let node_pubkey = node_key.public_key().to_bytes();

        let Some(FluxnodeTx::Start(start)) = tx.fluxnode() else {
            panic!("not a START: {tx:?}");
        };
        let encoded = tx.encoded();
        assert_eq!(
            encoded,
            start_bytes(
                &collateral(),
                &collateral_pubkey,
                &node_pubkey,
                1_650_000_000,
                Some(&start.sig)
            )
        );
        assert_eq!(Transaction::decode_exact(&encoded).unwrap(), tx);

        // The txid hashes the layout without the signature.
        let unsigned = start_bytes(
            &collateral(),
            &collateral_pubkey,
            &node_pubkey,
            1_650_000_000,
            None,
        );
        let txid = Txid(crate::keys::sha256d(&unsigned));
        assert_eq!(tx.txid(), txid);
        let message = start_message(&txid.0);
        assert_eq!(
            verify_node_message(&collateral_pubkey, &start.sig, message.as_bytes()),
            Ok(())
        );
        assert_eq!(
            verify_node_message(&node_pubkey, &start.sig, message.as_bytes()),
            Err(NodeSignatureError::WrongSigner)
        );
    }

    #[test]
    fn confirm_carries_a_node_signature_and_a_benchmark_countersignature() {
        let (node_key, benchmark_key) = (key(0x51), key(0x52));
        let ip = "198.51.100.4:16125";
        let benchmark = BenchmarkAttestation {
            key: &benchmark_key,
            tier: Tier::Nimbus,
            sig_time: 1_650_000_100,
        };
        for (update_type, wire) in [
            (UpdateType::InitialConfirm, 0i8),
            (UpdateType::UpdateConfirm, 1),
        ] {
            let tx = build_confirm(
                collateral(),
                &node_key,
                update_type,
                1_650_000_050,
                ip,
                &benchmark,
            );
            assert_eq!((tx.version, tx.overwintered), (5, false));
            let encoded = tx.encoded();
            assert_eq!(Transaction::decode_exact(&encoded).unwrap(), tx);
            // Header, type 4, then the collateral outpoint.
            assert_eq!(encoded[..5], [0x05, 0x00, 0x00, 0x00, 0x04]);
            assert_eq!(encoded[5..37], collateral().txid.0);

            let Some(FluxnodeTx::Confirm(confirm)) = tx.fluxnode() else {
                panic!("not a CONFIRM: {tx:?}");
            };
            assert_eq!(confirm.update_type, wire);
            assert_eq!(confirm.benchmark_tier, 2);
            assert_eq!(confirm.ip, ip.as_bytes());
            // `COutPoint(<10 hex digits>, n)` + n + update type + sig time, as fluxd builds it;
            // the txid's display hex starts with its last byte, 0x1f.
            let message = alloc::format!("COutPoint(1f1e1d1c1b, 2)2{wire}1650000050");
            assert_eq!(
                verify_node_message(
                    &node_key.public_key().to_bytes(),
                    &confirm.sig,
                    message.as_bytes()
                ),
                Ok(())
            );
            let mut countersigned = confirm.sig.clone();
            countersigned.extend_from_slice(b"21650000100198.51.100.4:16125");
            assert_eq!(
                verify_node_message(
                    &benchmark_key.public_key().to_bytes(),
                    &confirm.benchmark_sig,
                    &countersigned
                ),
                Ok(())
            );
        }
    }
}
