//! What nodes have and apps need: CPU, RAM and disk, a tier's app capacity, and an app's demand.

use core::fmt;

use super::Tier;

/// What a node of `tier` may give to apps after the OS's locked share (`cfg:359-380`): cumulus
/// 3 CPUs / 5000 MB / 160 GB, nimbus 7 / 28000 / 380, stratus 15 / 59000 / 820. The figures are
/// the validator's tier limits ([`crate::spec::params::tier_limits`]), with CPU in millicores.
pub const fn app_capacity(tier: Tier) -> Resources {
    let limits = crate::spec::params::tier_limits(tier);
    Resources::new(limits.cpu_tenths * 100, limits.ram_mb, limits.hdd_gb)
}

/// One kind of node resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ResourceKind {
    /// CPU, in thousandths of a logical CPU.
    Cpu,
    /// Memory, in MB.
    Ram,
    /// Disk, in GB.
    Hdd,
}

impl fmt::Display for ResourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ResourceKind::Cpu => "cpu (millicores)",
            ResourceKind::Ram => "ram (MB)",
            ResourceKind::Hdd => "hdd (GB)",
        })
    }
}

/// An amount of node resources. CPU is counted in millicores so that v4+ specs' fractional CPUs
/// (for example 0.15) are exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Resources {
    /// CPU in thousandths of a logical CPU.
    pub cpu_millis: u32,
    /// Memory in MB.
    pub ram_mb: u32,
    /// Disk in GB.
    pub hdd_gb: u32,
}

impl Resources {
    /// Resources from CPU millicores, MB of RAM and GB of disk.
    pub const fn new(cpu_millis: u32, ram_mb: u32, hdd_gb: u32) -> Self {
        Resources {
            cpu_millis,
            ram_mb,
            hdd_gb,
        }
    }

    /// Resources from a spec's numbers (CPUs, MB, GB), each rounded up to the next unit.
    ///
    /// # Errors
    ///
    /// [`ResourceError`] when a value is negative, not finite, or too large for the units.
    pub fn from_spec(cpu: f64, ram_mb: f64, hdd_gb: f64) -> Result<Self, ResourceError> {
        fn units(kind: ResourceKind, value: f64, scale: f64) -> Result<u32, ResourceError> {
            let scaled = (value * scale).ceil();
            if !value.is_finite() || value < 0.0 || scaled > f64::from(u32::MAX) {
                return Err(ResourceError { kind, value });
            }
            // In range and non-negative, checked just above.
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            Ok(scaled as u32)
        }
        Ok(Resources {
            cpu_millis: units(ResourceKind::Cpu, cpu, 1000.0)?,
            ram_mb: units(ResourceKind::Ram, ram_mb, 1.0)?,
            hdd_gb: units(ResourceKind::Hdd, hdd_gb, 1.0)?,
        })
    }

    /// One resource by kind.
    pub const fn get(&self, kind: ResourceKind) -> u32 {
        match kind {
            ResourceKind::Cpu => self.cpu_millis,
            ResourceKind::Ram => self.ram_mb,
            ResourceKind::Hdd => self.hdd_gb,
        }
    }

    /// The sum, or `None` on overflow.
    pub fn checked_add(self, other: Resources) -> Option<Resources> {
        Some(Resources {
            cpu_millis: self.cpu_millis.checked_add(other.cpu_millis)?,
            ram_mb: self.ram_mb.checked_add(other.ram_mb)?,
            hdd_gb: self.hdd_gb.checked_add(other.hdd_gb)?,
        })
    }

    /// The difference, clamped at zero.
    pub fn saturating_sub(self, other: Resources) -> Resources {
        Resources {
            cpu_millis: self.cpu_millis.saturating_sub(other.cpu_millis),
            ram_mb: self.ram_mb.saturating_sub(other.ram_mb),
            hdd_gb: self.hdd_gb.saturating_sub(other.hdd_gb),
        }
    }

    pub(super) const KINDS: [ResourceKind; 3] =
        [ResourceKind::Cpu, ResourceKind::Ram, ResourceKind::Hdd];
}

/// A resource value a spec gives that cannot be counted.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ResourceError {
    /// Which resource.
    pub kind: ResourceKind,
    /// The value given.
    pub value: f64,
}

impl fmt::Display for ResourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} value {} is negative, not finite or too large",
            self.kind, self.value
        )
    }
}

impl std::error::Error for ResourceError {}

/// What one instance of an app needs on a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Demand {
    /// The same on every node (v4+ specs: the sum over components).
    Fixed(Resources),
    /// Per tier (v1–7 `tiered` specs: the node's tier picks the values).
    Tiered {
        /// On cumulus nodes.
        cumulus: Resources,
        /// On nimbus nodes.
        nimbus: Resources,
        /// On stratus nodes.
        stratus: Resources,
    },
}

impl Demand {
    /// What an instance needs on a node of `tier`.
    pub const fn for_tier(&self, tier: Tier) -> Resources {
        match *self {
            Demand::Fixed(resources) => resources,
            Demand::Tiered {
                cumulus,
                nimbus,
                stratus,
            } => match tier {
                Tier::Cumulus => cumulus,
                Tier::Nimbus => nimbus,
                Tier::Stratus => stratus,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_capacity_is_what_fluxos_leaves_to_apps() {
        assert_eq!(
            app_capacity(Tier::Cumulus),
            Resources::new(3_000, 5_000, 160)
        );
        assert_eq!(
            app_capacity(Tier::Nimbus),
            Resources::new(7_000, 28_000, 380)
        );
        assert_eq!(
            app_capacity(Tier::Stratus),
            Resources::new(15_000, 59_000, 820)
        );
    }
}
