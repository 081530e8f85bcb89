//! The entries of a spec's `geolocation` array (apps.md §4.4). The validator checks their shape;
//! placement matches them against node locations.

/// One entry of a spec's `geolocation` array, classified by its prefix.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum GeoRule {
    /// `ac<path>`: the app may run only where some allow rule matches.
    Allow(String),
    /// `a!c<path>`: the app must not run where this rule matches.
    Forbid(String),
    /// Legacy `a<CONTINENT>`: honoured only when the spec has no `ac`/`a!c` rule.
    LegacyContinent(String),
    /// Legacy `b<COUNTRY>`: the node's country must equal it.
    LegacyCountry(String),
    /// Anything else; FluxOS ignores it (`"zzz"` passes validation and matches nothing).
    Ignored(String),
}

impl GeoRule {
    /// Classifies one `geolocation` entry the way FluxOS's `startsWith` tests do.
    pub fn parse(entry: &str) -> GeoRule {
        if let Some(path) = entry.strip_prefix("a!c") {
            GeoRule::Forbid(path.to_owned())
        } else if let Some(path) = entry.strip_prefix("ac") {
            GeoRule::Allow(path.to_owned())
        } else if let Some(code) = entry.strip_prefix('a') {
            GeoRule::LegacyContinent(code.to_owned())
        } else if let Some(code) = entry.strip_prefix('b') {
            GeoRule::LegacyCountry(code.to_owned())
        } else {
            GeoRule::Ignored(entry.to_owned())
        }
    }
}
