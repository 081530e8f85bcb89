//! Geolocation of nodes and the geolocation rules of app specs (apps.md §4.4).
//!
//! FluxOS checks a spec's `geolocation` twice before a node installs an app, and both checks must
//! pass:
//!
//! 1. the spawner filter (`S/appLifecycle/appSpawner.js:297-300`) matches by **string prefix**
//!    against `"<continent>_<country>_<region>"`, and strips `_NONE` from forbid rules;
//! 2. the install check (`S/appRequirements/hwRequirements.js:159-203`) matches **exactly** one level
//!    of the hierarchy (`EU`, `EU_CZ` or `EU_CZ_Praha`), with `ALL` wildcards.
//!
//! [`GeoConstraints::check`] is the conjunction of the two, so a node passes only where FluxOS would
//! really install the app. Where the two disagree the stricter one wins, for example `acALL` passes
//! the install check but no node location starts with `ALL`, so the spawner never picks such an app
//! up; [`GeoConstraints::check`] rejects it in the same way.

use core::fmt;

/// The rule vocabulary belongs to the spec; placement evaluates it against node locations.
pub use crate::spec::GeoRule;

/// Where a node is, as ip-api reports it (FluxOS `geolocationService`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Location {
    /// Continent code, for example `EU`, `NA`, `AS`.
    pub continent: String,
    /// ISO-3166 alpha-2 country code, for example `CZ`.
    pub country: String,
    /// ip-api's `regionName`, for example `Hlavni mesto Praha`; may be empty.
    pub region: String,
}

impl Location {
    /// A location from its three parts.
    pub fn new(
        continent: impl Into<String>,
        country: impl Into<String>,
        region: impl Into<String>,
    ) -> Self {
        Location {
            continent: continent.into(),
            country: country.into(),
            region: region.into(),
        }
    }

    /// The string FluxOS matches rules against: `<continent>_<country>_<region>`
    /// (`systemIntegration.nodeFullGeolocation`).
    pub fn full_path(&self) -> String {
        format!("{}_{}_{}", self.continent, self.country, self.region)
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}_{}_{}", self.continent, self.country, self.region)
    }
}

/// Why a node's location does not suit an app.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum GeoMismatch {
    /// The app has geolocation rules but the node's location is unknown
    /// ("Node Geolocation not set").
    LocationUnknown,
    /// No allow rule (`ac…`) matches the node's location.
    NotAllowed,
    /// A forbid rule (`a!c…`) matches the node's location.
    Forbidden {
        /// The forbid rule's path (without `a!c`).
        rule: String,
    },
    /// A legacy `a<CONTINENT>` rule names another continent.
    LegacyContinent {
        /// The continent the rule requires.
        required: String,
    },
    /// A legacy `b<COUNTRY>` rule names another country.
    LegacyCountry {
        /// The country the rule requires.
        required: String,
    },
}

impl fmt::Display for GeoMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GeoMismatch::LocationUnknown => {
                f.write_str("the app restricts geolocation but the node's location is unknown")
            }
            GeoMismatch::NotAllowed => {
                f.write_str("no `ac` rule of the app allows the node's location")
            }
            GeoMismatch::Forbidden { rule } => write!(f, "the app forbids `{rule}`"),
            GeoMismatch::LegacyContinent { required } => {
                write!(f, "the app's legacy rule requires continent `{required}`")
            }
            GeoMismatch::LegacyCountry { required } => {
                write!(f, "the app's legacy rule requires country `{required}`")
            }
        }
    }
}

/// The parsed `geolocation` array of a spec.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct GeoConstraints {
    allow: Vec<String>,
    forbid: Vec<String>,
    legacy_continent: Option<String>,
    legacy_country: Option<String>,
}

impl GeoConstraints {
    /// Parses a spec's `geolocation` entries. Every string is accepted (FluxOS validates only their
    /// count and length); entries with an unknown prefix are ignored.
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> GeoConstraints {
        let mut constraints = GeoConstraints::default();
        // FluxOS reads the legacy rules with `Array.find`, so only the first of each counts.
        let mut legacy_continent: Option<String> = None;
        for entry in entries {
            match GeoRule::parse(entry.as_ref()) {
                GeoRule::Allow(path) => constraints.allow.push(path),
                GeoRule::Forbid(path) => constraints.forbid.push(path),
                GeoRule::LegacyContinent(code) => {
                    legacy_continent.get_or_insert(code);
                }
                GeoRule::LegacyCountry(code) => {
                    constraints.legacy_country.get_or_insert(code);
                }
                GeoRule::Ignored(_) => {}
            }
        }
        if constraints.allow.is_empty() && constraints.forbid.is_empty() {
            constraints.legacy_continent = legacy_continent;
        }
        constraints
    }

    /// True when the spec does not restrict where it runs.
    pub fn is_unrestricted(&self) -> bool {
        self.allow.is_empty()
            && self.forbid.is_empty()
            && self.legacy_continent.is_none()
            && self.legacy_country.is_none()
    }

    /// The allow rules' paths (without `ac`), in spec order.
    pub fn allow_rules(&self) -> &[String] {
        &self.allow
    }

    /// The forbid rules' paths (without `a!c`), in spec order.
    pub fn forbid_rules(&self) -> &[String] {
        &self.forbid
    }

    /// The prefixes a node's [`Location::full_path`] must start with for the spawner to consider the
    /// app at all, or `None` when every location passes the spawner's allow filter.
    pub(crate) fn spawner_allow_prefixes(&self) -> Option<&[String]> {
        if self.allow.is_empty() {
            None
        } else {
            Some(&self.allow)
        }
    }

    /// Checks a node's location against every rule: the spawner's prefix filter and the install
    /// check's exact match must both pass.
    ///
    /// # Errors
    ///
    /// The first rule that fails, as a [`GeoMismatch`].
    pub fn check(&self, location: Option<&Location>) -> Result<(), GeoMismatch> {
        if self.is_unrestricted() {
            return Ok(());
        }
        let Some(location) = location else {
            return Err(GeoMismatch::LocationUnknown);
        };
        let full = location.full_path();
        let continent = location.continent.as_str();
        let cont_country = format!("{}_{}", location.continent, location.country);

        if let Some(required) = &self.legacy_continent
            && required != continent
        {
            return Err(GeoMismatch::LegacyContinent {
                required: required.clone(),
            });
        }
        if let Some(required) = &self.legacy_country
            && *required != location.country
        {
            return Err(GeoMismatch::LegacyCountry {
                required: required.clone(),
            });
        }
        for rule in &self.forbid {
            // Spawner: `a!c<full>`.startsWith(rule without its first `_NONE`).
            let spawner_forbids = full.starts_with(&rule.replacen("_NONE", "", 1));
            // Install check: exact match of one hierarchy level.
            let install_forbids = rule == continent || *rule == cont_country || *rule == full;
            if spawner_forbids || install_forbids {
                return Err(GeoMismatch::Forbidden { rule: rule.clone() });
            }
        }
        if !self.allow.is_empty() {
            let all_wildcards = [
                "ALL".to_owned(),
                format!("{continent}_ALL"),
                format!("{cont_country}_ALL"),
            ];
            let allowed = self.allow.iter().any(|rule| {
                let spawner_allows = full.starts_with(rule.as_str());
                let install_allows = rule == continent
                    || *rule == cont_country
                    || *rule == full
                    || all_wildcards.contains(rule);
                spawner_allows && install_allows
            });
            if !allowed {
                return Err(GeoMismatch::NotAllowed);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prague() -> Location {
        Location::new("EU", "CZ", "Hlavni mesto Praha")
    }

    #[test]
    fn unrestricted_accepts_unknown_location() {
        assert_eq!(GeoConstraints::parse::<&str>(&[]).check(None), Ok(()));
        assert_eq!(GeoConstraints::parse(&["zzz"]).check(None), Ok(()));
    }

    #[test]
    fn allow_levels() {
        for rule in ["acEU", "acEU_CZ", "acEU_CZ_Hlavni mesto Praha"] {
            assert_eq!(
                GeoConstraints::parse(&[rule]).check(Some(&prague())),
                Ok(()),
                "{rule}"
            );
        }
        for rule in ["acNA", "acEU_DE", "acEU_CZ_Brno"] {
            assert_eq!(
                GeoConstraints::parse(&[rule]).check(Some(&prague())),
                Err(GeoMismatch::NotAllowed),
                "{rule}"
            );
        }
    }

    #[test]
    fn prefix_that_is_not_a_level_is_refused_by_the_install_check() {
        // The spawner would pick it (string prefix) but the install check compares exactly.
        assert_eq!(
            GeoConstraints::parse(&["acEU_C"]).check(Some(&prague())),
            Err(GeoMismatch::NotAllowed)
        );
    }

    #[test]
    fn all_wildcard_never_passes_the_spawner() {
        assert_eq!(
            GeoConstraints::parse(&["acALL"]).check(Some(&prague())),
            Err(GeoMismatch::NotAllowed)
        );
    }

    #[test]
    fn forbid_with_none_suffix_and_prefix() {
        let none = GeoConstraints::parse(&["a!cEU_CZ_NONE"]);
        assert_eq!(
            none.check(Some(&prague())),
            Err(GeoMismatch::Forbidden {
                rule: "EU_CZ_NONE".into()
            })
        );
        assert_eq!(
            none.check(Some(&Location::new("EU", "DE", "Berlin"))),
            Ok(())
        );
        // Spawner prefix semantics: `EU_C` forbids every country code starting with C.
        assert!(
            GeoConstraints::parse(&["a!cEU_C"])
                .check(Some(&prague()))
                .is_err()
        );
    }

    #[test]
    fn legacy_rules_apply_only_without_new_rules() {
        assert_eq!(
            GeoConstraints::parse(&["aEU"]).check(Some(&prague())),
            Ok(())
        );
        assert_eq!(
            GeoConstraints::parse(&["aNA"]).check(Some(&prague())),
            Err(GeoMismatch::LegacyContinent {
                required: "NA".into()
            })
        );
        // With an `ac` rule present the legacy continent is ignored.
        assert_eq!(
            GeoConstraints::parse(&["acEU", "aNA"]).check(Some(&prague())),
            Ok(())
        );
        assert_eq!(
            GeoConstraints::parse(&["bDE"]).check(Some(&prague())),
            Err(GeoMismatch::LegacyCountry {
                required: "DE".into()
            })
        );
    }

    #[test]
    fn restricted_rejects_unknown_location() {
        assert_eq!(
            GeoConstraints::parse(&["acEU"]).check(None),
            Err(GeoMismatch::LocationUnknown)
        );
    }
}
