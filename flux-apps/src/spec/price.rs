//! App pricing as FluxOS computes it (`appPricePerMonth`, `S/utils/appUtilities.js:25-141`;
//! fees in `S/appMessaging/messageVerifier.js:731-836`), in the same IEEE-double operation order so
//! results match to the cent, including FluxOS's quirks (apps.md §3.2).

use flux_tx::BlockHeight;

use super::params::{self, EXTRA_INSTANCE_PRICING_HEIGHT};
use super::types::AppSpec;

/// One row of the price table: prices in FLUX per pricing period (22,000 blocks before the PoN
/// fork, 88,000 after), valid for message heights above `after`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PricePeriod {
    /// The period applies to messages strictly above this height; `None` for a period that
    /// applies from genesis on (FluxOS writes that row's height as `-1`).
    pub after: Option<BlockHeight>,
    /// Per 0.1 CPU core.
    pub cpu: f64,
    /// Per 100 MB of RAM.
    pub ram: f64,
    /// Per GB of disk.
    pub hdd: f64,
    /// Minimum fee of any registration or update.
    pub min_price: f64,
    /// Per enterprise port (0–1023, 8080, 8081, 8443, 6667).
    pub port: f64,
    /// For apps with `nodes` or `enterprise`.
    pub scope: f64,
    /// For static-IP apps.
    pub staticip: f64,
}

/// FluxOS's configured price table (`cfg:132-194`). Chain `p_…` soft-fork messages can add
/// rows; pass an extended table to the `*_with` functions for those.
pub const PRICE_TABLE: [PricePeriod; 6] = [
    PricePeriod {
        after: None,
        cpu: 3.0,
        ram: 1.0,
        hdd: 0.5,
        min_price: 1.0,
        port: 2.0,
        scope: 6.0,
        staticip: 3.0,
    },
    PricePeriod {
        after: Some(BlockHeight(983_000)),
        cpu: 0.3,
        ram: 0.1,
        hdd: 0.05,
        min_price: 0.1,
        port: 2.0,
        scope: 6.0,
        staticip: 3.0,
    },
    PricePeriod {
        after: Some(BlockHeight(1_004_000)),
        cpu: 0.06,
        ram: 0.02,
        hdd: 0.01,
        min_price: 0.01,
        port: 2.0,
        scope: 6.0,
        staticip: 3.0,
    },
    PricePeriod {
        after: Some(BlockHeight(1_288_000)),
        cpu: 0.15,
        ram: 0.05,
        hdd: 0.02,
        min_price: 0.01,
        port: 2.0,
        scope: 6.0,
        staticip: 3.0,
    },
    PricePeriod {
        after: Some(BlockHeight(1_594_832)),
        cpu: 0.15,
        ram: 0.05,
        hdd: 0.02,
        min_price: 0.01,
        port: 1.5,
        scope: 6.0,
        staticip: 3.0,
    },
    PricePeriod {
        after: Some(BlockHeight(1_597_156)),
        cpu: 0.03,
        ram: 0.01,
        hdd: 0.004,
        min_price: 0.01,
        port: 0.4,
        scope: 0.8,
        staticip: 0.4,
    },
];

/// The period that applies at `height`: the last row whose `after` is below it (the first row
/// if none is, and FluxOS's table if `table` is empty).
pub fn price_period(height: BlockHeight, table: &[PricePeriod]) -> PricePeriod {
    let table = if table.is_empty() {
        &PRICE_TABLE[..]
    } else {
        table
    };
    table
        .iter()
        .rev()
        .find(|p| p.after.is_none_or(|after| after < height))
        .unwrap_or(&table[0])
        .to_owned()
}

/// `Math.ceil(x * 100) / 100`.
fn ceil2(x: f64) -> f64 {
    (x * 100.0).ceil() / 100.0
}

fn enterprise_ports(ports: &[f64]) -> f64 {
    let count = ports
        .iter()
        .filter(|p| params::is_port_enterprise(**p))
        .count();
    // At most a few dozen ports.
    f64::from(u32::try_from(count).unwrap_or(u32::MAX))
}

/// FLUX per pricing period at `height` with FluxOS's table (`appPricePerMonth`).
pub fn price_per_period(spec: &AppSpec, height: BlockHeight) -> f64 {
    price_per_period_with(spec, height, &PRICE_TABLE)
}

/// [`price_per_period`] with a given price table.
pub fn price_per_period_with(spec: &AppSpec, height: BlockHeight, table: &[PricePeriod]) -> f64 {
    let p = price_period(height, table);
    let components = spec.components();
    if spec.version() <= 3 {
        let Some(c) = components.first() else {
            return p.min_price;
        };
        let (cpu, ram, hdd) = match c.tiers {
            Some(t) => (
                t.cpubasic + t.cpusuper + t.cpubamf,
                t.rambasic + t.ramsuper + t.rambamf,
                t.hddbasic + t.hddsuper + t.hddbamf,
            ),
            None => (c.cpu, c.ram, c.hdd),
        };
        let mut total = cpu * p.cpu * 10.0 + (ram * p.ram) / 100.0 + hdd * p.hdd;
        let ports = spec.ports();
        // v1 counts its single port only when it is truthy.
        let counted: Vec<f64> = match spec {
            AppSpec::V1(s) if s.port == 0.0 || s.port.is_nan() => Vec::new(),
            _ => ports,
        };
        total += enterprise_ports(&counted) * p.port;
        let price = ceil2(total);
        return if price < p.min_price {
            p.min_price
        } else {
            price
        };
    }
    let (mut cpu, mut ram, mut hdd) = (0.0, 0.0, 0.0);
    for c in &components {
        match c.tiers {
            Some(t) => {
                cpu += (t.cpubasic + t.cpusuper + t.cpubamf) / 3.0;
                ram += (t.rambasic + t.ramsuper + t.rambamf) / 3.0;
                hdd += (t.hddbasic + t.hddsuper + t.hddbamf) / 3.0;
            }
            None => {
                cpu += c.cpu;
                ram += c.ram;
                hdd += c.hdd;
            }
        }
    }
    let mut total = cpu * p.cpu * 10.0 + (ram * p.ram) / 100.0 + hdd * p.hdd;
    if !spec.nodes().is_empty() || spec.is_enterprise() {
        total += p.scope;
    }
    if spec.staticip() {
        total += p.staticip;
    }
    total += enterprise_ports(&spec.ports()) * p.port;
    let mut price = ceil2(total / 3.0);
    let additional = spec.instances().unwrap_or(3.0) - 1.0;
    if additional > 0.0 && height >= EXTRA_INSTANCE_PRICING_HEIGHT {
        if price < 0.5 && additional > 2.0 {
            price += additional * 0.5;
        } else {
            price = ((price * additional * 100.0).ceil() + (price * 100.0).ceil()) / 100.0;
        }
    }
    price
}

/// The lifetime a spec buys in blocks: its `expire`, or the default for the height when it has
/// none (or a falsy one).
pub fn lifetime_blocks(spec: &AppSpec, height: BlockHeight) -> f64 {
    match spec.expire() {
        Some(e) if e != 0.0 && !e.is_nan() => e,
        _ => f64::from(params::default_expire(height)),
    }
}

/// The minimum FLUX a registration at `height` must pay (`messageVerifier.js:731-746`).
pub fn registration_fee(spec: &AppSpec, height: BlockHeight) -> f64 {
    registration_fee_with(spec, height, &PRICE_TABLE)
}

/// [`registration_fee`] with a given price table.
pub fn registration_fee_with(spec: &AppSpec, height: BlockHeight, table: &[PricePeriod]) -> f64 {
    let p = price_period(height, table);
    let default = f64::from(params::default_expire(height));
    let mut price = price_per_period_with(spec, height, table);
    price *= lifetime_blocks(spec, height) / default;
    price = ceil2(price);
    if price < p.min_price {
        p.min_price
    } else {
        price
    }
}

/// The minimum FLUX an update at `height` must pay, given the previous spec and the height of
/// its message (`messageVerifier.js:779-836`): 90% of the new price less the unused share of the
/// old one, at least the minimum price.
pub fn update_fee(
    new: &AppSpec,
    height: BlockHeight,
    previous: &AppSpec,
    previous_height: BlockHeight,
) -> f64 {
    update_fee_with(new, height, previous, previous_height, &PRICE_TABLE)
}

/// [`update_fee`] with a given price table.
pub fn update_fee_with(
    new: &AppSpec,
    height: BlockHeight,
    previous: &AppSpec,
    previous_height: BlockHeight,
    table: &[PricePeriod],
) -> f64 {
    let p = price_period(height, table);
    let default_new = f64::from(params::default_expire(height));
    let default_previous = f64::from(params::default_expire(previous_height));
    let new_expire = lifetime_blocks(new, height);
    let previous_expire = lifetime_blocks(previous, previous_height);
    let mut price = price_per_period_with(new, height, table);
    price *= new_expire / default_new;
    price = ceil2(price);
    let mut previous_price = price_per_period_with(previous, previous_height, table);
    previous_price *= previous_expire / default_previous;
    previous_price = ceil2(previous_price);
    let height_difference = f64::from(height.get()) - f64::from(previous_height.get());
    let unused = (previous_expire - height_difference) / previous_expire;
    let mut fee = price * 0.9;
    if unused > 0.0 {
        fee = (price - unused * previous_price) * 0.9;
    }
    fee = ceil2(fee);
    if fee < p.min_price { p.min_price } else { fee }
}

/// Whether an on-chain payment of `value_sat` satoshis covers a fee in FLUX (FluxOS compares
/// `valueSat >= fee * 1e8` in doubles, with no tolerance).
#[allow(clippy::cast_precision_loss)] // FluxOS compares as doubles.
pub fn payment_covers(value_sat: u64, fee_flux: f64) -> bool {
    value_sat as f64 >= fee_flux * 1e8
}

/// A FLUX amount rounded to whole cents (FluxOS prices are multiples of 0.01 up to float noise).
#[allow(clippy::cast_possible_truncation)] // Prices are far below i64 range.
pub fn to_cents(flux: f64) -> i64 {
    (flux * 100.0).round() as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn period_lookup_is_exclusive() {
        assert_eq!(price_period(BlockHeight(983_000), &PRICE_TABLE).cpu, 3.0);
        assert_eq!(price_period(BlockHeight(983_001), &PRICE_TABLE).cpu, 0.3);
        assert_eq!(price_period(BlockHeight(0), &PRICE_TABLE).cpu, 3.0);
        assert_eq!(price_period(BlockHeight(3_000_000), &[]).cpu, 0.03);
    }

    #[test]
    fn payment_is_compared_in_doubles() {
        assert!(payment_covers(6_156_000_000, 61.56));
        assert!(!payment_covers(6_155_999_999, 61.56));
    }
}
