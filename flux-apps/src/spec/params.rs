//! FluxOS app constants by block height (`ZelBack/config/default.js`, FluxOS v8.17.0), as data.

use flux_tx::{BlockHeight, Tier};

/// The Proof-of-Node fork: blocks are 30 s instead of 2 min from here, and block-count periods
/// are multiplied by 4 (`cfg:278`).
pub const PON_FORK_HEIGHT: BlockHeight = BlockHeight(2_020_000);

/// Height from which each spec version (index 0 = v1) is accepted (`cfg:216-225`).
pub const VERSION_ACTIVATION_HEIGHTS: [BlockHeight; 8] = [
    BlockHeight(0),
    BlockHeight(0),
    BlockHeight(983_000),
    BlockHeight(1_004_000),
    BlockHeight(1_142_000),
    BlockHeight(1_300_000),
    BlockHeight(1_420_000),
    BlockHeight(1_932_380),
];

/// The newest spec version; updates may change the version only to this one.
pub const LATEST_SPEC_VERSION: u8 = 8;

/// From this height public ports may be 1–65535; before it 31000–39999 (`cfg:233-237`).
pub const PORT_RANGE_CHANGE_HEIGHT: BlockHeight = BlockHeight(1_420_000);
/// Public port range before [`PORT_RANGE_CHANGE_HEIGHT`].
pub const LEGACY_PORT_RANGE: (u32, u32) = (31_000, 39_999);
/// Public port range from [`PORT_RANGE_CHANGE_HEIGHT`].
pub const PORT_RANGE: (u32, u32) = (1, 65_535);

/// Ports apps may not use, as inclusive ranges (`cfg:238`).
pub const BANNED_PORTS: [(u32, u32); 19] = [
    (16_100, 16_299),
    (26_100, 26_299),
    (30_000, 30_099),
    (8384, 8384),
    (27_017, 27_017),
    (22, 22),
    (23, 23),
    (25, 25),
    (3389, 3389),
    (5900, 5900),
    (5800, 5800),
    (161, 161),
    (512, 512),
    (513, 513),
    (5901, 5901),
    (3388, 3388),
    (4444, 4444),
    (123, 123),
    (53, 53),
];

/// Ports that cost the enterprise-port surcharge, as inclusive ranges (`cfg:239`).
pub const ENTERPRISE_PORTS: [(u32, u32); 5] = [
    (0, 1023),
    (8080, 8080),
    (8081, 8081),
    (8443, 8443),
    (6667, 6667),
];

fn in_ranges(port: f64, ranges: &[(u32, u32)]) -> bool {
    ranges
        .iter()
        .any(|&(lo, hi)| port >= f64::from(lo) && port <= f64::from(hi))
}

/// FluxOS's `isPortBanned(+port)`.
pub fn is_port_banned(port: f64) -> bool {
    in_ranges(port, &BANNED_PORTS)
}

/// FluxOS's `isPortEnterprise(+port)`.
pub fn is_port_enterprise(port: f64) -> bool {
    in_ranges(port, &ENTERPRISE_PORTS)
}

/// The public port range at a height.
pub fn port_range(height: BlockHeight) -> (u32, u32) {
    if height >= PORT_RANGE_CHANGE_HEIGHT {
        PORT_RANGE
    } else {
        LEGACY_PORT_RANGE
    }
}

/// Minimum instances (`cfg:242`).
pub const MIN_INSTANCES: u32 = 3;
/// Minimum instances of a v8 app from [`MIN_INSTANCES_V8_HEIGHT`] (`cfg:243`).
pub const MIN_INSTANCES_V8: u32 = 1;
/// Height from which v8 apps may run a single instance (`cfg:244`).
pub const MIN_INSTANCES_V8_HEIGHT: BlockHeight = BlockHeight(2_176_519);
/// Maximum instances (`cfg:245`).
pub const MAX_INSTANCES: u32 = 100;

/// The instance minimum the validator applies to a version at a height.
pub fn min_instances(version: u8, height: BlockHeight) -> u32 {
    if version >= 8 && height >= MIN_INSTANCES_V8_HEIGHT {
        MIN_INSTANCES_V8
    } else {
        MIN_INSTANCES
    }
}

/// Components allowed before the v6 activation height, and from it.
pub const MAX_COMPONENTS: (usize, usize) = (5, 10);

/// The component limit at a height.
pub fn max_components(height: BlockHeight) -> usize {
    if height < VERSION_ACTIVATION_HEIGHTS[5] {
        MAX_COMPONENTS.0
    } else {
        MAX_COMPONENTS.1
    }
}

/// Default app lifetime in blocks before the PoN fork (`blocksLasting`).
pub const DEFAULT_EXPIRE: u32 = 22_000;
/// Default app lifetime in blocks from the PoN fork.
pub const DEFAULT_EXPIRE_POST_PON: u32 = 88_000;

/// The default lifetime (and pricing period) for a message at `height`.
pub fn default_expire(height: BlockHeight) -> u32 {
    if height >= PON_FORK_HEIGHT {
        DEFAULT_EXPIRE_POST_PON
    } else {
        DEFAULT_EXPIRE
    }
}

/// The minimum `expire` at a height: 5000, then 100 from 1,630,040, then 1 from 1,964,447.
pub fn min_expire(height: BlockHeight) -> u32 {
    if height < BlockHeight(1_630_040) {
        5000
    } else if height < BlockHeight(1_964_447) {
        100
    } else {
        1
    }
}

/// The maximum `expire` at a height: 264,000, or 1,056,000 from the PoN fork.
pub fn max_expire(height: BlockHeight) -> u32 {
    if height >= PON_FORK_HEIGHT {
        1_056_000
    } else {
        264_000
    }
}

/// Below this height `expire` must be a multiple of 1000 (`cfg:281-282`).
pub const EXPIRE_INTERVAL_UNTIL_HEIGHT: BlockHeight = BlockHeight(1_625_000);

/// Resource limits of one node tier for apps, in FluxOS units: cpu in tenths of a core, ram in
/// MB, hdd in GB (tier capacity minus the locked system share, `cfg:359-380`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TierLimits {
    /// CPU, tenths of a core.
    pub cpu_tenths: u32,
    /// RAM, MB.
    pub ram_mb: u32,
    /// Disk, GB.
    pub hdd_gb: u32,
}

/// Cumulus limits (40−10, 7000−2000, 220−60).
pub const CUMULUS: TierLimits = TierLimits {
    cpu_tenths: 30,
    ram_mb: 5000,
    hdd_gb: 160,
};
/// Nimbus limits (80−10, 30000−2000, 440−60).
pub const NIMBUS: TierLimits = TierLimits {
    cpu_tenths: 70,
    ram_mb: 28_000,
    hdd_gb: 380,
};
/// Stratus limits (160−10, 61000−2000, 880−60): also the limit of any untiered app.
pub const STRATUS: TierLimits = TierLimits {
    cpu_tenths: 150,
    ram_mb: 59_000,
    hdd_gb: 820,
};

/// The app limits of a node tier.
pub const fn tier_limits(tier: Tier) -> TierLimits {
    match tier {
        Tier::Cumulus => CUMULUS,
        Tier::Nimbus => NIMBUS,
        Tier::Stratus => STRATUS,
    }
}

/// Height from which the extra-instance price rule applies (`applyMinimumForExtraInstances`).
pub const EXTRA_INSTANCE_PRICING_HEIGHT: BlockHeight = BlockHeight(1_890_000);
