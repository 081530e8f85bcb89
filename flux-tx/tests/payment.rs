//! Wallet payments against numbers worked out by hand from fluxd's rules: `CFeeRate::GetFee`
//! (rate * size / 1000, at least the rate), dust at `3 * GetFee(output + 148)` with the
//! 100 zat/kB relay rate (54 zat for P2PKH and P2SH outputs, none for `OP_RETURN`), dust change
//! left to the fee, expiry 20 blocks after the height, and every input signed (ZIP-243).

use flux_tx::address::Address;
use flux_tx::builder::payment::{
    FeeRate, Payment, PaymentError, PaymentRequest, build_payment, dust_threshold, expiry_height,
    is_dust,
};
use flux_tx::builder::{BuildError, Utxo};
use flux_tx::keys::PrivateKey;
use flux_tx::script::VerifyFlags;
use flux_tx::sign::verify_input;
use flux_tx::{
    Amount, BlockHeight, FluxEncode, Network, NetworkUpgrade, OutPoint, Script, TxOut, Txid,
};

fn key(seed: u8) -> PrivateKey {
    PrivateKey::from_secret_bytes([seed; 32], true).unwrap()
}

fn address(seed: u8) -> Address {
    Address::from_public_key(&key(seed).public_key(), Network::Mainnet)
}

fn zat(n: i64) -> Amount {
    Amount::from_zat(n).unwrap()
}

fn coins(amounts: &[i64]) -> Vec<Utxo> {
    amounts
        .iter()
        .enumerate()
        .map(|(i, &amount)| Utxo {
            outpoint: OutPoint {
                txid: Txid([i as u8 + 1; 32]),
                index: i as u32,
            },
            amount: zat(amount),
            script_pubkey: address(1).script_pubkey(),
        })
        .collect()
}

fn request(utxos: Vec<Utxo>, payments: Vec<Payment>) -> PaymentRequest {
    PaymentRequest {
        utxos,
        payments,
        change_to: address(1),
        fee_rate: FeeRate::WALLET_DEFAULT,
        network: Network::Mainnet,
        height: BlockHeight(2_100_000),
    }
}

const HEIGHT: BlockHeight = BlockHeight(2_100_000);

#[test]
fn fee_rates_and_dust_follow_cfeerate() {
    assert_eq!(FeeRate(1000).fee(250), Some(zat(250)));
    assert_eq!(FeeRate(1000).fee(1999), Some(zat(1999)));
    assert_eq!(FeeRate(100).fee(226), Some(zat(22)));
    // 100 * 5 / 1000 rounds to zero: the rate itself.
    assert_eq!(FeeRate(100).fee(5), Some(zat(100)));
    assert_eq!(FeeRate(0).fee(500), Some(zat(0)));

    let p2pkh = TxOut::new(zat(54), address(2).script_pubkey());
    let p2sh = TxOut::new(
        zat(53),
        Address::from_redeem_script(&[0x51], Network::Mainnet).script_pubkey(),
    );
    assert_eq!(p2pkh.encoded().len(), 34);
    assert_eq!(dust_threshold(&p2pkh, FeeRate::MIN_RELAY), zat(54));
    assert_eq!(dust_threshold(&p2sh, FeeRate::MIN_RELAY), zat(54));
    assert!(!is_dust(&p2pkh));
    assert!(is_dust(&p2sh));
    let data = TxOut::new(zat(0), Script::from(vec![0x6a, 0x01, 0x00]));
    assert_eq!(dust_threshold(&data, FeeRate::MIN_RELAY), zat(0));
    assert_eq!(expiry_height(BlockHeight(2_019_990)), 2_020_010);
}

#[test]
fn a_payment_with_data_change_and_a_fee_for_its_size() {
    let built = build_payment(
        &key(1),
        &request(
            coins(&[300_000_000, 900_000_000, 100_000_000]),
            vec![
                Payment::To(address(2), zat(1_000_000_000)),
                Payment::Data(b"c509eae8".to_vec()),
            ],
        ),
    )
    .unwrap();
    let tx = &built.tx;
    // Largest first: 9 then 3 FLUX.
    let spent: Vec<u32> = tx.inputs().iter().map(|i| i.prevout.index).collect();
    assert_eq!(spent, vec![1, 0]);
    assert_eq!(tx.outputs().len(), 3);
    assert_eq!(tx.outputs()[1].script_pubkey.as_bytes()[..2], [0x6a, 0x08]);
    assert_eq!(built.change_index, Some(2));
    let size = tx.encoded().len() as i64;
    assert!(
        built.fee.zat() >= size && built.fee.zat() <= size + 3,
        "{} vs {size}",
        built.fee
    );
    let out: i64 = tx.outputs().iter().map(|o| o.value).sum();
    assert_eq!(out + built.fee.zat(), 1_200_000_000);
    let body = tx.standard().unwrap();
    assert_eq!((tx.version, body.expiry_height), (4, 2_100_020));
    let branch = NetworkUpgrade::branch_id_at(Network::Mainnet, HEIGHT);
    for (index, amount) in [900_000_000, 300_000_000].into_iter().enumerate() {
        verify_input(
            tx,
            index,
            address(1).script_pubkey().as_bytes(),
            amount,
            VerifyFlags::P2SH,
            branch,
        )
        .unwrap();
    }
}

#[test]
fn dust_change_goes_to_the_fee_and_dust_payments_are_refused() {
    // One input, one P2PKH payment: 10 + 148 + 34 + ... bytes; a coin 40 zat above payment and
    // fee leaves dust change.
    let probe = build_payment(
        &key(1),
        &request(
            coins(&[1_000_000]),
            vec![Payment::To(address(2), zat(500_000))],
        ),
    )
    .unwrap();
    assert_eq!(probe.change_index, Some(1));
    let no_change_size = probe.tx.encoded().len() as i64 - 34;
    let coin = 500_000 + no_change_size + 40;
    let built = build_payment(
        &key(1),
        &request(coins(&[coin]), vec![Payment::To(address(2), zat(500_000))]),
    )
    .unwrap();
    assert_eq!(built.change_index, None);
    assert_eq!(built.tx.outputs().len(), 1);
    assert_eq!(built.fee.zat(), coin - 500_000);

    assert!(matches!(
        build_payment(
            &key(1),
            &request(coins(&[coin]), vec![Payment::To(address(2), zat(53))])
        ),
        Err(PaymentError::Dust { index: 0, .. })
    ));
    assert!(matches!(
        build_payment(
            &key(1),
            &request(coins(&[1000]), vec![Payment::To(address(2), zat(500_000))])
        ),
        Err(PaymentError::Build(BuildError::InsufficientFunds { .. }))
    ));
    assert!(matches!(
        build_payment(
            &key(1),
            &request(coins(&[1_000_000]), vec![Payment::Data(vec![0; 81])])
        ),
        Err(PaymentError::Data(_))
    ));
    let mut foreign = coins(&[1_000_000]);
    foreign[0].script_pubkey = address(3).script_pubkey();
    assert!(matches!(
        build_payment(
            &key(1),
            &request(foreign, vec![Payment::To(address(2), zat(500_000))])
        ),
        Err(PaymentError::Build(BuildError::ForeignUtxo { index: 0 }))
    ));
}

mod prop {
    use super::*;
    use flux_tx::{FluxDecode, Transaction};
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]

        /// Build -> sign -> encode -> decode -> verify: for random coins and payments the
        /// payment decodes to itself, every input verifies, nothing is created or lost, and the
        /// fee covers the wallet rate for the signed size.
        #[test]
        fn build_sign_decode_verify(
            coins_zat in proptest::collection::vec(10_000i64..5_000_000_000, 1..8),
            pay_zat in proptest::collection::vec(1_000i64..2_000_000_000, 1..4),
            data in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..80)),
        ) {
            let mut payments: Vec<Payment> =
                pay_zat.iter().map(|&z| Payment::To(address(2), zat(z))).collect();
            if let Some(data) = data {
                payments.push(Payment::Data(data));
            }
            let request = request(coins(&coins_zat), payments);
            let built = match build_payment(&key(1), &request) {
                Ok(built) => built,
                Err(PaymentError::Build(BuildError::InsufficientFunds { .. })) => {
                    let paid: i64 = pay_zat.iter().sum();
                    prop_assert!(paid > coins_zat.iter().sum::<i64>() - 1_000_000);
                    return Ok(());
                }
                Err(other) => return Err(TestCaseError::fail(other.to_string())),
            };
            let bytes = built.tx.encoded();
            prop_assert_eq!(Transaction::decode_exact(&bytes).unwrap(), built.tx.clone());
            let branch = NetworkUpgrade::branch_id_at(Network::Mainnet, HEIGHT);
            let mut spent = 0i64;
            for (index, input) in built.tx.inputs().iter().enumerate() {
                let amount = coins_zat[input.prevout.index as usize];
                spent += amount;
                prop_assert!(verify_input(
                    &built.tx,
                    index,
                    address(1).script_pubkey().as_bytes(),
                    amount,
                    VerifyFlags::P2SH,
                    branch,
                )
                .is_ok());
            }
            let out: i64 = built.tx.outputs().iter().map(|o| o.value).sum();
            prop_assert_eq!(spent, out + built.fee.zat());
            prop_assert!(built.fee.zat() >= bytes.len() as i64);
            prop_assert!(built.tx.outputs().iter().all(|o| !is_dust(o)));
        }
    }
}
