//! Runs the parallel-asset fuzz checks over real addresses (EIP-55's published examples, known
//! Tron/Solana/Algorand addresses, keys with known addresses), a real exported snapshot, mutations
//! of all of these, and a few thousand pseudo-random inputs.

use flux_fuzz::Rng;
use flux_fuzz::parallel::{check_parallel_address, check_snapshot_import};
use flux_parallel::{Chain, ChainAddress, Ledger, RewardEvent, Role, Schedule, Tier, UnixTime};
use flux_pow::{BlockHeight, Network};
use flux_tx::address::Address;
use flux_tx::keys::PrivateKey;

const EIP55: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../flux-parallel/tests/data/eip55.json"
);

fn with_chain(chain: Chain, text: &[u8]) -> Vec<u8> {
    let mut data = vec![chain.id() - 1];
    data.extend_from_slice(text);
    data
}

fn real_addresses() -> Vec<(Chain, String)> {
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(EIP55).unwrap()).unwrap();
    let mut out: Vec<(Chain, String)> = json["checksummed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (Chain::Ethereum, a.as_str().unwrap().to_owned()))
        .collect();
    out.push((Chain::Tron, "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t".into()));
    out.push((
        Chain::Solana,
        "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA".into(),
    ));
    out.push((
        Chain::Algorand,
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAY5HFKQ".into(),
    ));
    let secp = PrivateKey::from_secret_bytes([3; 32], true)
        .unwrap()
        .public_key()
        .to_bytes();
    for chain in [Chain::Ergo, Chain::Tron, Chain::Base] {
        out.push((
            chain,
            ChainAddress::from_public_key(chain, &secp)
                .unwrap()
                .to_string(),
        ));
    }
    out.push((
        Chain::Kadena,
        "k:d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a".into(),
    ));
    out
}

#[test]
fn real_addresses_and_their_mutations() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for (chain, text) in real_addresses() {
        assert!(ChainAddress::parse(chain, &text).is_ok(), "{text}");
        for target in Chain::ALL {
            check_parallel_address(&with_chain(target, text.as_bytes()));
        }
        for _ in 0..300 {
            let mut bytes = text.clone().into_bytes();
            let position = (rng.next_u64() as usize) % bytes.len();
            match rng.next_u64() % 3 {
                0 => bytes[position] = rng.next_u64() as u8,
                1 => {
                    bytes.remove(position);
                }
                _ => bytes.insert(position, b"0OIl1aZ9 x:"[(rng.next_u64() % 11) as usize]),
            }
            check_parallel_address(&with_chain(chain, &bytes));
        }
    }
}

#[test]
fn real_keys_derive_valid_addresses() {
    let key = PrivateKey::from_secret_bytes([5; 32], false).unwrap();
    let uncompressed = key.public_key().to_bytes();
    let ed = hex_decode("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
    for chain in Chain::ALL {
        check_parallel_address(&with_chain(chain, &uncompressed));
        check_parallel_address(&with_chain(chain, &uncompressed[..]));
        check_parallel_address(&with_chain(chain, &ed));
    }
}

fn hex_decode(text: &str) -> Vec<u8> {
    hex::decode(text).unwrap()
}

#[test]
fn real_snapshot_and_its_mutations() {
    let mut ledger = Ledger::new(Schedule::mainnet());
    for seed in 1..=5u8 {
        let key = PrivateKey::from_secret_bytes([seed; 32], true).unwrap();
        ledger
            .apply(&RewardEvent {
                height: BlockHeight(100),
                time: UnixTime(1_650_000_000),
                recipient: Address::from_public_key(&key.public_key(), Network::Mainnet),
                role: Role::Node(Tier::Nimbus),
                flux_zats: 937_500_000 + u64::from(seed),
            })
            .unwrap();
    }
    let csv = ledger.snapshot().to_csv();
    check_snapshot_import(csv.as_bytes());
    let mut with_selector = vec![0xf0];
    with_selector.extend_from_slice(csv.as_bytes());
    check_parallel_address(&with_selector);
    let mut rng = Rng(42);
    for _ in 0..2_000 {
        let mut bytes = csv.clone().into_bytes();
        let position = (rng.next_u64() as usize) % bytes.len();
        bytes[position] = b"0123456789,#\n-+ ak"[(rng.next_u64() % 18) as usize];
        check_snapshot_import(&bytes);
    }
}

#[test]
fn pseudo_random_inputs() {
    let mut rng = Rng(0x1234_5678_9abc_def1);
    for _ in 0..5_000 {
        check_parallel_address(&rng.bytes(80));
    }
}
