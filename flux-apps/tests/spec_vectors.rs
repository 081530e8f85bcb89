//! The shared app-spec vectors (`shared/vectors/app_specs*.json`), produced by running the
//! unmodified FluxOS v8.17.0 formatter, validator and pricing code: every verdict, message,
//! canonical string, hash and price must match.

mod common;

use common::{APP_SPECS, APP_SPECS_INVALID, height, vector_json, vector_text};
use flux_apps::spec::js::JsValue;
use flux_apps::spec::price::{price_per_period, registration_fee, to_cents};
use flux_apps::spec::{AppSpec, ValidationOptions, check_json, message_hash};
use flux_pow::BlockHeight;
use proptest::prelude::*;

/// A height where every rule of FluxOS v8.17.0 is in force.
const CURRENT_RULES: BlockHeight = BlockHeight(2_800_000);

#[test]
fn real_specs_match_fluxos() {
    let vectors = vector_json(APP_SPECS);
    let specs = vectors["specs"].as_array().expect("specs");
    assert_eq!(specs.len(), 15);
    for entry in specs {
        let id = entry["id"].as_str().unwrap();
        let eval = &entry["evaluation"];
        let h = height(&eval["height"]);
        let raw = serde_json::to_string(&entry["spec"]).unwrap();
        let report = check_json(&raw, h, &ValidationOptions::fluxos()).unwrap();
        let spec = report
            .spec
            .clone()
            .unwrap_or_else(|| panic!("{id}: no spec"));

        // Canonical string, byte for byte.
        assert_eq!(
            spec.canonical_json(),
            eval["canonical_json"].as_str().unwrap(),
            "{id}: canonical"
        );
        // Verdict and FluxOS message.
        let valid = eval["valid"].as_bool().unwrap();
        assert_eq!(report.is_valid(), valid, "{id}: {:?}", report.violations);
        if !valid {
            assert_eq!(
                report.violations[0].fluxos_message().as_deref(),
                eval["error"].as_str(),
                "{id}"
            );
        }
        // Prices to the cent, and the exact doubles FluxOS prints.
        let price = price_per_period(&spec, h);
        let fee = registration_fee(&spec, h);
        let want_price = eval["price_per_month_flux"].as_f64().unwrap();
        let want_fee = eval["min_registration_fee_flux"].as_f64().unwrap();
        assert_eq!(to_cents(price), to_cents(want_price), "{id}: price");
        assert_eq!(to_cents(fee), to_cents(want_fee), "{id}: fee");
        assert_eq!(price, want_price, "{id}: price double");
        assert_eq!(fee, want_fee, "{id}: fee double");
        // Synthetic message hash over the canonical string.
        let synthetic = eval["synthetic_message_hash"]["value"].as_str().unwrap();
        assert_eq!(
            spec.message_hash("fluxappregister", 1_700_000_000_000, "SIG"),
            synthetic,
            "{id}: hash"
        );
        // Canonical JSON parses back (serde, strict types) to the same spec.
        let back: AppSpec = serde_json::from_str(&spec.canonical_json()).unwrap();
        assert_eq!(back, spec, "{id}: serde");
    }
}

#[test]
fn the_real_signed_message_hashes_in_its_legacy_order() {
    let vectors = vector_json(APP_SPECS);
    let entry = &vectors["specs"][0];
    let message = &entry["message"];
    let signed = message["signed_string"].as_str().unwrap();
    let signature = message["signature"].as_str().unwrap();
    let timestamp = message["timestamp"].as_u64().unwrap();
    let spec_json = signed
        .strip_prefix("fluxappregister1")
        .and_then(|rest| rest.strip_suffix(&timestamp.to_string()))
        .unwrap();
    // The signed spec is the raw spec as the user sent it (legacy key order, numeric ports);
    // reading the file with the order-keeping JsValue reproduces it.
    let file = JsValue::parse(&vector_text(APP_SPECS)).unwrap();
    let JsValue::Array(specs) = file.get("specs").unwrap() else {
        panic!("specs")
    };
    assert_eq!(specs[0].get("spec").unwrap().stringify(), spec_json);
    assert_eq!(
        message_hash("fluxappregister", 1, spec_json, timestamp, signature),
        message["hash_expected"].as_str().unwrap()
    );
    // Our legacy order of the canonical form moves repotag before owner like FluxOS's fallback.
    let spec = check_json(
        spec_json,
        BlockHeight(1_000_000),
        &ValidationOptions::fluxos(),
    )
    .unwrap()
    .spec
    .unwrap();
    let legacy = spec.legacy_canonical_json().unwrap();
    assert!(legacy.starts_with(
        r#"{"version":2,"name":"FoldingAtHome","description":"Folding @ Home is cool :)","repotag":"#
    ));
}

#[test]
fn mutations_match_fluxos_verdicts() {
    let vectors = vector_json(APP_SPECS_INVALID);
    let cases = vectors["cases"].as_array().expect("cases");
    assert_eq!(cases.len(), 62);
    let (mut invalid, mut accepted, mut ok) = (0, 0, 0);
    for case in cases {
        let id = case["id"].as_str().unwrap();
        let h = height(&case["height"]);
        let raw = serde_json::to_string(&case["spec"]).unwrap();
        let expected = &case["expected"];
        let fluxos = check_json(&raw, h, &ValidationOptions::fluxos()).unwrap();
        let strict = check_json(&raw, h, &ValidationOptions::strict()).unwrap();
        if expected["valid"].as_bool().unwrap() {
            assert!(fluxos.is_valid(), "{id}: {:?}", fluxos.violations);
            if id.contains("_ACCEPTED") {
                accepted += 1;
                assert!(!strict.is_valid(), "{id}: strict mode must reject");
                assert!(
                    strict.violations.iter().all(|v| !v.is_fluxos_rule()),
                    "{id}: {:?}",
                    strict.violations
                );
            } else {
                ok += 1;
                assert!(strict.is_valid(), "{id}: {:?}", strict.violations);
            }
            if let Some(price) = case["price_per_month_flux"].as_f64() {
                let spec = fluxos.spec.as_ref().unwrap();
                assert_eq!(price_per_period(spec, h), price, "{id}: price");
                assert_eq!(
                    registration_fee(spec, h),
                    case["min_registration_fee_flux"].as_f64().unwrap(),
                    "{id}: fee"
                );
            }
        } else {
            invalid += 1;
            let message = expected["error"].as_str().unwrap();
            assert!(!fluxos.is_valid(), "{id}: accepted");
            assert_eq!(
                fluxos.violations[0].fluxos_message().as_deref(),
                Some(message),
                "{id}: {:?}",
                fluxos.violations
            );
            assert!(!strict.is_valid(), "{id}");
        }
    }
    assert_eq!((invalid, accepted, ok), (51, 6, 5));
}

#[test]
fn every_violation_is_reported_not_only_the_first() {
    let raw = r#"{"version":8,"name":"fluxbad_","description":"d","owner":"1x","compose":[
      {"name":"a-b","description":"c","repotag":"x:1","ports":[22,22],"domains":[""],
       "environmentParameters":[],"commands":[],"containerPorts":[80],"containerData":"/",
       "cpu":16,"ram":100,"hdd":1,"repoauth":"u:p"}],
      "instances":101,"contacts":[],"geolocation":[],"expire":2000000,"nodes":["1.2.3.4"],
      "staticip":false,"enterprise":""}"#;
    let report = check_json(raw, CURRENT_RULES, &ValidationOptions::fluxos()).unwrap();
    let messages: Vec<String> = report.violations.iter().map(ToString::to_string).collect();
    for want in [
        "Maximum number of instances is 100",
        "Nodes can only be used in enterprise apps",
        "Flux App name contains special characters. Only a-z, A-Z, 0-9 and hyphens are allowed (hyphens cannot be first or last character)",
        "Flux App name can not start with flux",
        "Flux App component name contains special characters. Only a-z, A-Z and 0-9 are allowed",
        "Assigned port 22 is not allowed for Flux Apps",
        "Ports specifications in a-b do not match",
        "Domains specifications in a-b do not match available ports",
        "Flux App container data folder not specified in in a-b. If no data folder is whished, use /tmp",
        "Private repositories are only allowed for Enterprise Applications",
        "Maximum expiration of application is 1056000 blocks ~ 1 year",
        "Flux App bad_ must have unique ports specified accross all composition",
        "Too much CPU resources assigned for fluxbad_",
    ] {
        let want = want.replace("bad_ must", "fluxbad_ must");
        assert!(
            messages.contains(&want),
            "missing {want:?} in {messages:#?}"
        );
    }
}

#[test]
fn garbage_never_panics() {
    for text in [
        "null",
        "[]",
        "1",
        "\"x\"",
        "{}",
        r#"{"version":"abc","name":1,"description":[],"owner":{}}"#,
        r#"{"version":4,"name":"a","description":"b","owner":"c","compose":[null,1,"x"]}"#,
        r#"{"version":4,"name":"a","description":"b","owner":"c","compose":"[{}]","instances":3}"#,
        r#"{"version":1,"name":"a","description":"b","owner":"c","repotag":"r:1","port":"x","enviromentParameters":"[1]","commands":"a=b","containerPort":1,"containerData":"/d","cpu":"1e400","ram":[100],"hdd":true,"tiered":"1"}"#,
        r#"{"version":8,"name":"a","description":"b","owner":"c","compose":[{}],"instances":1e300,"contacts":[],"geolocation":[],"expire":-1,"nodes":[],"staticip":0,"enterprise":null}"#,
    ] {
        for options in [ValidationOptions::fluxos(), ValidationOptions::strict()] {
            let report = check_json(text, CURRENT_RULES, &options).unwrap();
            assert!(!report.is_valid(), "{text}");
            if let Some(spec) = report.spec {
                let _ = spec.canonical_json();
                let _ = price_per_period(&spec, CURRENT_RULES);
                let _ = registration_fee(&spec, CURRENT_RULES);
            }
        }
    }
    assert!(check_json("{", BlockHeight(0), &ValidationOptions::fluxos()).is_err());
}

fn component() -> impl Strategy<Value = flux_apps::spec::ComponentV8> {
    (
        "[a-zA-Z0-9]{1,12}",
        ".{0,40}",
        prop::collection::vec(1u32..65_536, 0..5),
        prop::collection::vec("\\PC{0,30}", 0..4),
        -1000.0f64..1000.0,
        0u32..60_000,
        any::<f64>().prop_filter("finite", |x| x.is_finite()),
    )
        .prop_map(|(name, description, ports, env, cpu, ram, hdd)| {
            flux_apps::spec::ComponentV8 {
                name,
                description,
                repotag: "nginx:latest".into(),
                domains: ports.iter().map(|_| String::new()).collect(),
                container_ports: ports.iter().map(|p| f64::from(*p)).collect(),
                ports: ports.into_iter().map(f64::from).collect(),
                environment_parameters: env,
                commands: vec!["--x".into()],
                container_data: "/data".into(),
                cpu,
                ram: f64::from(ram),
                hdd,
                repoauth: String::new(),
            }
        })
}

proptest! {
    #[test]
    fn canonical_json_round_trips(
        compose in prop::collection::vec(component(), 0..4),
        instances in 1u32..200,
        expire in 1u32..2_000_000,
        staticip in any::<bool>(),
        datacenter in prop::option::of(any::<bool>()),
        geolocation in prop::collection::vec("[a-zA-Z_!]{0,12}", 0..3),
    ) {
        let spec = AppSpec::V8(flux_apps::spec::AppSpecV8 {
            version: flux_apps::spec::Version,
            name: "app".into(),
            description: "d \"quoted\" \u{e9}\n".into(),
            owner: "1owner".into(),
            compose,
            instances: f64::from(instances),
            contacts: vec![],
            geolocation,
            expire: f64::from(expire),
            nodes: vec![],
            staticip,
            datacenter,
            enterprise: flux_apps::spec::Enterprise::Text(String::new()),
        });
        let text = spec.canonical_json();
        // Strict serde parse gives the same value...
        let back: AppSpec = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(&back, &spec);
        // ...and so does FluxOS's formatter, which leaves a canonical spec unchanged.
        let report = check_json(&text, CURRENT_RULES, &ValidationOptions::fluxos()).unwrap();
        prop_assert_eq!(report.spec.as_ref().map(AppSpec::canonical_json), Some(text));
        // Plain serde_json output parses back too.
        let plain = serde_json::to_string(&spec).unwrap();
        let again: AppSpec = serde_json::from_str(&plain).unwrap();
        prop_assert_eq!(again, spec);
    }
}
