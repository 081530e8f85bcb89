//! A full placement round: 10,000 nodes (half cumulus, 30% nimbus, 20% stratus, 24 locations,
//! some nodes sharing a NAT IP) and 50,000 apps (1–5 instances, small and medium resources, 10%
//! with geolocation rules, 5% synced, 20% publishing a host port). Goal: under one second.

#![allow(missing_docs, clippy::print_stderr)]

use std::collections::HashMap;
use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};

use criterion::{Criterion, criterion_group, criterion_main};
use flux_apps::placement::{
    Cluster, Demand, GeoConstraints, Location, Node, PlacementPolicy, PlacementRequest, Resources,
    Tier,
};

/// A deterministic generator for the fixture.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const LOCATIONS: [(&str, &str, &str); 24] = [
    ("EU", "DE", "Bavaria"),
    ("EU", "DE", "Hesse"),
    ("EU", "FR", "Ile-de-France"),
    ("EU", "CZ", "Hlavni mesto Praha"),
    ("EU", "NL", "North Holland"),
    ("EU", "FI", "Uusimaa"),
    ("EU", "GB", "England"),
    ("EU", "PL", "Mazovia"),
    ("NA", "US", "Virginia"),
    ("NA", "US", "California"),
    ("NA", "US", "Texas"),
    ("NA", "US", "Oregon"),
    ("NA", "CA", "Ontario"),
    ("NA", "CA", "Quebec"),
    ("AS", "SG", "Singapore"),
    ("AS", "JP", "Tokyo"),
    ("AS", "IN", "Maharashtra"),
    ("AS", "KR", "Seoul"),
    ("OC", "AU", "New South Wales"),
    ("OC", "NZ", "Auckland"),
    ("SA", "BR", "Sao Paulo"),
    ("SA", "AR", "Buenos Aires"),
    ("AF", "ZA", "Gauteng"),
    ("AF", "NG", "Lagos"),
];

fn nodes(count: u32, rng: &mut Lcg) -> Vec<Node> {
    (0..count)
        .map(|i| {
            let tier = match rng.below(10) {
                0..=4 => Tier::Cumulus,
                5..=7 => Tier::Nimbus,
                _ => Tier::Stratus,
            };
            // Every 50th node shares the IP of the one before it (NAT).
            let host = if i % 50 == 49 { i - 1 } else { i };
            let ip = IpAddr::V4(Ipv4Addr::from(0x0B00_0000 + host * 1021));
            let mut node = Node::new(format!("node{i:05}"), ip, tier);
            let (continent, country, region) =
                LOCATIONS[usize::try_from(rng.below(24)).unwrap_or(0)];
            node.location = Some(Location::new(continent, country, region));
            node.static_ip = rng.below(4) == 0;
            node.fault_domain = Some(format!("as{}", rng.below(400)));
            node
        })
        .collect()
}

fn requests(count: u32, rng: &mut Lcg) -> Vec<PlacementRequest> {
    (0..count)
        .map(|i| {
            let cpu = u32::try_from(100 + rng.below(5) * 100).unwrap_or(100);
            let ram = u32::try_from(100 + rng.below(8) * 100).unwrap_or(100);
            let hdd = u32::try_from(1 + rng.below(10)).unwrap_or(1);
            let instances = u32::try_from(1 + rng.below(5)).unwrap_or(3);
            let mut request = PlacementRequest::new(
                format!("app{i:05}"),
                instances,
                Demand::Fixed(Resources::new(cpu, ram, hdd)),
            );
            match rng.below(20) {
                0 => request.geolocation = GeoConstraints::parse(&["acEU"]),
                1 => request.geolocation = GeoConstraints::parse(&["acNA_US", "a!cNA_US_Texas"]),
                _ => {}
            }
            request.synced = rng.below(20) == 0;
            if rng.below(5) == 0 {
                request.ports = vec![u16::try_from(30_000 + rng.below(30_000)).unwrap_or(31_000)];
            }
            request
        })
        .collect()
}

fn full_round(c: &mut Criterion) {
    let mut rng = Lcg(2026);
    let nodes = nodes(10_000, &mut rng);
    let requests = requests(50_000, &mut rng);
    let mut cluster = Cluster::new(nodes, PlacementPolicy::with_seed(1)).expect("unique node ids");
    let current = HashMap::new();

    // Report what the round achieves once, outside the measurement.
    let plan = cluster
        .plan_round(&requests, &current)
        .expect("unique app names");
    let wanted: u64 = requests.iter().map(|r| u64::from(r.instances)).sum();
    let placed: usize = plan.values().map(|p| p.nodes.len()).sum();
    let short = plan.values().filter(|p| p.shortfall.is_some()).count();
    eprintln!("placement fixture: {placed} of {wanted} instances placed, {short} apps short");

    let mut group = c.benchmark_group("placement");
    group.sample_size(10);
    group.bench_function("full_round_10k_nodes_50k_apps", |b| {
        b.iter(|| {
            black_box(
                cluster
                    .plan_round(black_box(&requests), &current)
                    .expect("unique app names"),
            )
        });
    });
    // The steady state: every app keeps its nodes and nothing new is placed.
    let steady: HashMap<String, Vec<String>> = plan
        .iter()
        .map(|(app, p)| (app.clone(), p.nodes.clone()))
        .collect();
    group.bench_function("steady_round_10k_nodes_50k_apps", |b| {
        b.iter(|| {
            black_box(
                cluster
                    .plan_round(black_box(&requests), &steady)
                    .expect("unique app names"),
            )
        });
    });
    group.finish();
}

criterion_group!(benches, full_round);
criterion_main!(benches);
