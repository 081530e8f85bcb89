//! The chains that carry a FLUX parallel asset, their token precision and their status.
//!
//! Sources (all Flux's own repositories):
//! - `RunOnFlux/fluxswap` `lib/models/enums.dart` and `lib/constants/coin_details.dart`: the swap
//!   app's chain list (ETH, BSC, AVAX, MATIC, BASE, SOL, TRX, KDA, ERG, ALGO) and token contracts.
//! - `RunOnFlux/holder-snapshot` `index.js`, `eth.js`, `bsc.js`, `avax.js`, `matic.js`, `tron.js`
//!   (`const decimals = 8`), `erg.js`, `algo.js`: every holder list divides raw token balances by
//!   `10 ** 8`, i.e. the FLUX token has **8 decimals on every chain**, EVM chains included
//!   (fluxswap's `getFluxCoinAmount` likewise reads EVM balances in `FluxUnit.flux` = 10^8).
//! - Kadena's `runonflux.flux` module: precision 8 (token lists of Kadena wallets).
//! - Solana's mint `FLUX1wa2GmbtSB6ZGi2pTNbVCw3zEeKnaPCkPtFXxqXe`: holder-snapshot reads the
//!   decimals from the chain rather than hard-coding them; 8 like every other FLUX token.

use core::fmt;
use core::str::FromStr;

/// A chain that carries a FLUX parallel asset.
///
/// The order of the variants is the canonical order of chains in snapshots and their commitment
/// (see [`Chain::id`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
#[non_exhaustive]
pub enum Chain {
    /// Kadena (`runonflux.flux` fungible-v2 token, `k:` accounts).
    Kadena,
    /// Ethereum (ERC-20).
    Ethereum,
    /// BNB Smart Chain (BEP-20).
    Bsc,
    /// Tron (TRC-20, base58check addresses with the `0x41` version byte).
    Tron,
    /// Solana (SPL token, ed25519 account keys).
    Solana,
    /// Avalanche C-Chain (ERC-20).
    Avalanche,
    /// Ergo (native token, base58 addresses with a Blake2b-256 checksum).
    Ergo,
    /// Polygon PoS (ERC-20).
    Polygon,
    /// Algorand (ASA `1029804829`, base32 addresses with a SHA-512/256 checksum).
    Algorand,
    /// Base (ERC-20 on the Base L2).
    Base,
}

/// How a chain writes its account addresses; several chains share one scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AddressKind {
    /// `k:` followed by the 64 lowercase hex digits of an ed25519 public key.
    KadenaK,
    /// `0x` and 40 hex digits, the last 20 bytes of the Keccak-256 of a secp256k1 public key,
    /// EIP-55 mixed-case checksum.
    Evm,
    /// Base58Check of `0x41 || the EVM address bytes` (34 characters starting with `T`).
    Tron,
    /// Base58 of a 32-byte ed25519 public key.
    Solana,
    /// Base58 of `prefix || content || blake2b256(prefix || content)[..4]`.
    Ergo,
    /// Base32 (no padding) of a 32-byte ed25519 public key and the last 4 bytes of its
    /// SHA-512/256.
    Algorand,
}

/// Whether a parallel asset could be claimed in the 2022 distribution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
#[non_exhaustive]
pub enum ChainStatus {
    /// Tokens were live and claimable in 2022.
    Claimable,
    /// Announced in 2022 to bring the count to ten; accrues (back-dated) but was not yet claimable.
    Planned,
}

impl Chain {
    /// Every chain, in canonical order.
    pub const ALL: [Chain; 10] = [
        Chain::Kadena,
        Chain::Ethereum,
        Chain::Bsc,
        Chain::Tron,
        Chain::Solana,
        Chain::Avalanche,
        Chain::Ergo,
        Chain::Polygon,
        Chain::Algorand,
        Chain::Base,
    ];

    /// The number of chains, i.e. the length of [`Chain::ALL`].
    pub const COUNT: usize = Chain::ALL.len();

    /// The chain's one-byte id in the snapshot commitment encoding (1 for Kadena ... 10 for Base).
    pub const fn id(self) -> u8 {
        self.index() as u8 + 1
    }

    /// The chain with the given [`Chain::id`].
    pub const fn from_id(id: u8) -> Option<Chain> {
        if id == 0 || id as usize > Chain::COUNT {
            None
        } else {
            Some(Chain::ALL[id as usize - 1])
        }
    }

    /// Position in [`Chain::ALL`], used to index per-chain arrays.
    pub const fn index(self) -> usize {
        match self {
            Chain::Kadena => 0,
            Chain::Ethereum => 1,
            Chain::Bsc => 2,
            Chain::Tron => 3,
            Chain::Solana => 4,
            Chain::Avalanche => 5,
            Chain::Ergo => 6,
            Chain::Polygon => 7,
            Chain::Algorand => 8,
            Chain::Base => 9,
        }
    }

    /// The lowercase name used on the command line, in JSON, CSV and claim messages.
    pub const fn name(self) -> &'static str {
        match self {
            Chain::Kadena => "kadena",
            Chain::Ethereum => "ethereum",
            Chain::Bsc => "bsc",
            Chain::Tron => "tron",
            Chain::Solana => "solana",
            Chain::Avalanche => "avalanche",
            Chain::Ergo => "ergo",
            Chain::Polygon => "polygon",
            Chain::Algorand => "algorand",
            Chain::Base => "base",
        }
    }

    /// The token's name in Flux's swap app (`coin_details.dart`), e.g. `FLUX-ETH`.
    pub const fn ticker(self) -> &'static str {
        match self {
            Chain::Kadena => "FLUX-KDA",
            Chain::Ethereum => "FLUX-ETH",
            Chain::Bsc => "FLUX-BSC",
            Chain::Tron => "FLUX-TRX",
            Chain::Solana => "FLUX-SOL",
            Chain::Avalanche => "FLUX-AVAX",
            Chain::Ergo => "FLUX-ERG",
            Chain::Polygon => "FLUX-MATIC",
            Chain::Algorand => "FLUX-ALGO",
            Chain::Base => "FLUX-BASE",
        }
    }

    /// Decimal places of the FLUX token on this chain: 8 everywhere (see the module docs for the
    /// sources), the same as native FLUX, so one parallel unit is worth one zatoshi.
    pub const fn decimals(self) -> u8 {
        match self {
            Chain::Kadena
            | Chain::Ethereum
            | Chain::Bsc
            | Chain::Tron
            | Chain::Solana
            | Chain::Avalanche
            | Chain::Ergo
            | Chain::Polygon
            | Chain::Algorand
            | Chain::Base => 8,
        }
    }

    /// The chain's status in the 2022 distribution: Kadena, Ethereum, BSC, Tron, Solana and
    /// Avalanche were claimable; Ergo, Polygon, Algorand and Base were the planned ones (all four
    /// are live in Flux's swap app and holder snapshots since).
    pub const fn status_2022(self) -> ChainStatus {
        match self {
            Chain::Kadena
            | Chain::Ethereum
            | Chain::Bsc
            | Chain::Tron
            | Chain::Solana
            | Chain::Avalanche => ChainStatus::Claimable,
            Chain::Ergo | Chain::Polygon | Chain::Algorand | Chain::Base => ChainStatus::Planned,
        }
    }

    /// How addresses on this chain are written.
    pub const fn address_kind(self) -> AddressKind {
        match self {
            Chain::Kadena => AddressKind::KadenaK,
            Chain::Ethereum | Chain::Bsc | Chain::Avalanche | Chain::Polygon | Chain::Base => {
                AddressKind::Evm
            }
            Chain::Tron => AddressKind::Tron,
            Chain::Solana => AddressKind::Solana,
            Chain::Ergo => AddressKind::Ergo,
            Chain::Algorand => AddressKind::Algorand,
        }
    }
}

impl fmt::Display for Chain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A chain name that is none of the known ones.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown chain {0:?}: expected one of kadena, ethereum, bsc, tron, solana, avalanche, ergo, polygon, algorand, base"
)]
#[non_exhaustive]
pub struct UnknownChainError(pub String);

impl FromStr for Chain {
    type Err = UnknownChainError;

    /// Accepts the [`Chain::name`], the ticker (`FLUX-ETH`) and the usual short names (`eth`,
    /// `kda`, `bnb`, `trx`, `sol`, `avax`, `erg`, `matic`, `algo`), in any case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.to_ascii_lowercase();
        let bare = lower.strip_prefix("flux-").unwrap_or(&lower);
        let chain = match bare {
            "kadena" | "kda" => Chain::Kadena,
            "ethereum" | "eth" => Chain::Ethereum,
            "bsc" | "bnb" | "binance" => Chain::Bsc,
            "tron" | "trx" => Chain::Tron,
            "solana" | "sol" => Chain::Solana,
            "avalanche" | "avax" => Chain::Avalanche,
            "ergo" | "erg" => Chain::Ergo,
            "polygon" | "matic" => Chain::Polygon,
            "algorand" | "algo" => Chain::Algorand,
            "base" => Chain::Base,
            _ => return Err(UnknownChainError(s.to_owned())),
        };
        Ok(chain)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_names_and_tickers_round_trip() {
        for (position, chain) in Chain::ALL.into_iter().enumerate() {
            assert_eq!(chain.index(), position);
            assert_eq!(Chain::from_id(chain.id()), Some(chain));
            assert_eq!(chain.name().parse::<Chain>(), Ok(chain));
            assert_eq!(chain.ticker().parse::<Chain>(), Ok(chain));
        }
        assert_eq!(Chain::from_id(0), None);
        assert_eq!(Chain::from_id(11), None);
        assert!("bitcoin".parse::<Chain>().is_err());
    }

    #[test]
    fn six_claimable_and_four_planned_make_ten() {
        let claimable = Chain::ALL
            .iter()
            .filter(|c| c.status_2022() == ChainStatus::Claimable)
            .count();
        assert_eq!((claimable, Chain::COUNT - claimable), (6, 4));
    }
}
