//! Parallel-asset addresses and snapshots (flux-parallel): parsing arbitrary input must never
//! panic, whatever parses must be a fixed point of parse → print → parse, and derived addresses
//! must parse back to themselves.

use flux_parallel::{AddressKind, Chain, ChainAddress, Snapshot};

/// Interprets `data` by its first byte: below 0xf0 it selects a chain (`byte % 10`) and the rest is
/// an address to parse and a public key to derive from; 0xf0 and above, the rest is a CSV
/// snapshot to import.
pub fn check_parallel_address(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    if selector >= 0xf0 {
        check_snapshot_import(rest);
        return;
    }
    let chain = Chain::ALL[usize::from(selector) % Chain::COUNT];
    if let Ok(text) = core::str::from_utf8(rest)
        && let Ok(address) = ChainAddress::parse(chain, text)
    {
        assert_eq!(address.chain(), chain);
        let again = ChainAddress::parse(chain, address.as_str())
            .expect("a normalised address parses again");
        assert_eq!(again, address, "normal form is a fixed point");
        if chain.address_kind() == AddressKind::Evm {
            assert!(address.as_str().eq_ignore_ascii_case(text));
        } else {
            assert_eq!(address.as_str(), text, "only EVM addresses are rewritten");
        }
    }
    if let Ok(address) = ChainAddress::from_public_key(chain, rest) {
        let parsed =
            ChainAddress::parse(chain, address.as_str()).expect("a derived address is valid");
        assert_eq!(parsed, address, "a derived address is in normal form");
    }
}

/// Imports `data` as a CSV snapshot; an accepted one must export and re-import unchanged.
pub fn check_snapshot_import(data: &[u8]) {
    let Ok(text) = core::str::from_utf8(data) else {
        return;
    };
    if let Ok(snapshot) = Snapshot::from_csv(text) {
        let exported = snapshot.to_csv();
        assert_eq!(
            Snapshot::from_csv(&exported).as_ref(),
            Ok(&snapshot),
            "an accepted snapshot survives export and import"
        );
    }
}
