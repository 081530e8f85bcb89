//! Claims: a Flux address holder moves part of its unclaimed balance on one chain to an address
//! on that chain, proving ownership with a message signed like fluxd's `signmessage`.
//!
//! # The claim message
//! The signed text is exactly these seven lines, separated by `\n`, without a trailing newline
//! ([`ClaimRequest::message`] builds it):
//!
//! ```text
//! Flux parallel asset claim
//! version: 1
//! flux address: <t1 address>
//! chain: <chain name, e.g. ethereum>
//! destination: <destination address in its normal form>
//! amount: <amount with all the token's decimals> <ticker, e.g. FLUX-ETH>
//! nonce: <decimal u64, never reused by this flux address>
//! ```
//!
//! It is signed with the key of the `t1` address using the daemon's message format
//! (`"Zelcash Signed Message:\n"` magic, compact recoverable signature in Base64:
//! `fluxd signmessage <t1> "<message>"` or [`flux_tx::message::sign_message`]). `t3` (P2SH)
//! addresses cannot sign messages, as in `verifymessage`, so their balances need another
//! channel. The amount line shows the human value with every decimal so that a wallet displaying
//! the message shows exactly what is being moved; the nonce makes every claim message unique, so
//! replaying a signed claim is rejected ([`ClaimError::NonceAlreadyUsed`]).

use core::fmt;

use flux_pow::BlockHeight;
use flux_tx::address::Address;
use flux_tx::message::{MessageError, MessageSignature, verify_flux_message};
use sha2::{Digest, Sha256};

use crate::accrual::format_units;
use crate::address::{AddressError, ChainAddress};
use crate::chain::Chain;

/// First line of every claim message.
pub const CLAIM_MESSAGE_TITLE: &str = "Flux parallel asset claim";
/// The claim message format version written on its second line.
pub const CLAIM_MESSAGE_VERSION: u32 = 1;

/// What a claimant asks for, before signing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimRequest {
    /// The Flux address whose balance is claimed.
    pub flux_address: Address,
    /// The chain whose parallel asset is claimed.
    pub chain: Chain,
    /// Where the distributor sends the tokens (an address on `chain`).
    pub destination: ChainAddress,
    /// The amount, in the token's smallest units.
    pub amount: u128,
    /// A number the claimant never used before for this Flux address.
    pub nonce: u64,
}

impl ClaimRequest {
    /// A request with the destination parsed and validated on `chain`.
    ///
    /// # Errors
    /// [`ClaimError::Destination`] when `destination` is not a valid address on `chain`.
    pub fn new(
        flux_address: Address,
        chain: Chain,
        destination: &str,
        amount: u128,
        nonce: u64,
    ) -> Result<ClaimRequest, ClaimError> {
        Ok(ClaimRequest {
            flux_address,
            chain,
            destination: ChainAddress::parse(chain, destination)?,
            amount,
            nonce,
        })
    }

    /// The exact text the Flux address must sign (see the module docs).
    pub fn message(&self) -> String {
        format!(
            "{CLAIM_MESSAGE_TITLE}\nversion: {CLAIM_MESSAGE_VERSION}\nflux address: {}\nchain: {}\ndestination: {}\namount: {} {}\nnonce: {}",
            self.flux_address,
            self.chain.name(),
            self.destination,
            format_units(self.amount, self.chain.decimals()),
            self.chain.ticker(),
            self.nonce,
        )
    }

    /// Checks that `signature_base64` is the Flux address's signature of [`Self::message`].
    ///
    /// # Errors
    /// [`ClaimError::BadSignature`] with the reason from `flux-tx`.
    pub fn verify(&self, signature_base64: &str) -> Result<MessageSignature, ClaimError> {
        let signature = MessageSignature::from_base64(signature_base64)?;
        verify_flux_message(&self.flux_address, &signature, self.message().as_bytes())?;
        Ok(signature)
    }
}

/// A claim the ledger accepted: what a distributor needs to pay it and to prove why.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ClaimRecord {
    /// Hex SHA-256 of the signed message: a unique id for the claim.
    pub claim_id: String,
    /// The Flux address debited.
    pub flux_address: String,
    /// The chain of the asset.
    pub chain: Chain,
    /// The destination address, normal form.
    pub destination: String,
    /// Amount in the token's smallest units (a decimal string in JSON).
    #[cfg_attr(feature = "serde", serde(with = "crate::u128_string"))]
    pub amount: u128,
    /// The token's decimal places, so `amount` can be shown without a chain table.
    pub decimals: u8,
    /// The claim's nonce.
    pub nonce: u64,
    /// The ledger height at which the claim was accepted.
    pub height: BlockHeight,
    /// The signed message, verbatim.
    pub message: String,
    /// The Base64 signature of the message.
    pub signature: String,
}

impl ClaimRecord {
    pub(crate) fn new(
        request: &ClaimRequest,
        signature: &MessageSignature,
        height: BlockHeight,
    ) -> ClaimRecord {
        let message = request.message();
        ClaimRecord {
            claim_id: hex::encode(Sha256::digest(message.as_bytes())),
            flux_address: request.flux_address.to_string(),
            chain: request.chain,
            destination: request.destination.to_string(),
            amount: request.amount,
            decimals: request.chain.decimals(),
            nonce: request.nonce,
            height,
            message,
            signature: signature.to_base64(),
        }
    }
}

/// Why a claim was refused. The ledger is unchanged when a claim fails.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ClaimError {
    /// The destination is not a valid address on the claimed chain.
    #[error("invalid destination address: {0}")]
    Destination(#[from] AddressError),
    /// The destination belongs to another chain than the one claimed.
    #[error("destination is a {destination} address but the claim is for {chain}")]
    DestinationChainMismatch {
        /// The chain claimed.
        chain: Chain,
        /// The destination's chain.
        destination: Chain,
    },
    /// The chain's FLUX token has ended: what it owed is paid by its snapshot claim
    /// ([`crate::Ledger::retirement_claims`]).
    #[error(
        "{chain} parallel assets have ended; balances are paid by the retirement snapshot claim"
    )]
    ChainRetired {
        /// The chain.
        chain: Chain,
    },
    /// The chain is not claimable under the ledger's schedule.
    #[error("{chain} parallel assets are not claimable yet")]
    NotClaimable {
        /// The chain.
        chain: Chain,
    },
    /// A claim of nothing.
    #[error("claim amount is zero")]
    ZeroAmount,
    /// The signature does not prove ownership of the Flux address.
    #[error("bad claim signature: {0}")]
    BadSignature(#[from] MessageError),
    /// The nonce was used by an earlier accepted claim of this address: a replay.
    #[error("nonce {nonce} was already used by {flux_address} (replayed claim?)")]
    NonceAlreadyUsed {
        /// The Flux address.
        flux_address: String,
        /// The reused nonce.
        nonce: u64,
    },
    /// The amount exceeds the unclaimed balance.
    #[error(
        "claim of {requested} exceeds the unclaimed {chain} balance of {available} (smallest units)"
    )]
    InsufficientBalance {
        /// The chain.
        chain: Chain,
        /// Unclaimed balance.
        available: u128,
        /// Amount asked for.
        requested: u128,
    },
    /// The claim's height is below the ledger's.
    #[error("claim at height {claim} is below the ledger height {ledger}")]
    HeightBehindLedger {
        /// The claim's height.
        claim: BlockHeight,
        /// The ledger's height.
        ledger: BlockHeight,
    },
}

impl fmt::Display for ClaimRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "claim {}: {} {} from {} to {}",
            self.claim_id,
            format_units(self.amount, self.decimals),
            self.chain.ticker(),
            self.flux_address,
            self.destination
        )
    }
}
