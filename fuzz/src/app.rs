//! App specs (flux-apps): whatever JSON a peer sends, formatting, validation, pricing and the
//! canonical string must never panic, and a valid spec must be a fixed point of canonical JSON →
//! parse → canonical JSON (the string owners sign must not drift).

use flux_apps::spec::js::JsValue;
use flux_apps::spec::price::{price_per_period, registration_fee};
use flux_apps::spec::{AppSpec, ValidationOptions, check_json};

/// Heights on both sides of the spec-version and pricing changes, chosen by the input's first byte.
const HEIGHTS: [u32; 4] = [1_000_000, 1_500_000, 2_020_000, 2_800_000];

/// Checks one input: its first byte picks a height and the strict or FluxOS verdict, the rest is
/// spec JSON text.
pub fn check_app_spec(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = core::str::from_utf8(rest) else {
        return;
    };
    let height = flux_pow::BlockHeight(HEIGHTS[usize::from(selector) % HEIGHTS.len()]);
    let options = if selector & 0x80 == 0 {
        ValidationOptions::fluxos()
    } else {
        ValidationOptions::strict()
    };

    if let Ok(value) = JsValue::parse(text) {
        let printed = value.stringify();
        let reparsed = JsValue::parse(&printed).expect("JSON.stringify output parses");
        assert_eq!(reparsed.stringify(), printed, "stringify is a fixed point");
    }

    let Ok(report) = check_json(text, height, &options) else {
        return;
    };
    if let Some(spec) = &report.spec {
        let _ = spec.legacy_canonical_json();
        let _ = spec.message_hash("fluxappregister", 1_700_000_000_000, "sig");
        if report.is_valid() {
            let _ = price_per_period(spec, height);
            let _ = registration_fee(spec, height);
        }
    }
    let Ok(spec) = AppSpec::from_fluxos_json(text) else {
        return;
    };
    let canonical = spec.canonical_json();
    match AppSpec::from_fluxos_json(&canonical) {
        // A valid spec's signed string must not drift.
        Ok(again) if report.is_valid() => {
            assert_eq!(
                again.canonical_json(),
                canonical,
                "canonical JSON is a fixed point"
            );
        }
        // An invalid one may change once (JSON.stringify prints a NaN resource as null, which
        // then reads as 0), but one normalisation must be final.
        Ok(again) => {
            let once = again.canonical_json();
            if let Ok(twice) = AppSpec::from_fluxos_json(&once) {
                assert_eq!(
                    twice.canonical_json(),
                    once,
                    "canonical JSON settles after one pass"
                );
            }
        }
        Err(error) => assert!(
            !report.is_valid(),
            "the canonical form of a valid spec is rejected: {error}"
        ),
    }
}
