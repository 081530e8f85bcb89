//! One reconcile pass over 1,000 in-memory engines, one fluxnode each: a converged 3-instance app
//! (the steady state: every engine is listed, nothing changes), and a pass that moves an instance
//! off an engine that went silent past its grace. Goal: a converged pass well under 100 ms, so a
//! resync every few seconds costs a controller little even at Flux's scale of nodes.
//!
//! The same pass over three real Docker engines is measured by `tests/engine_cluster.rs` (about
//! 50 ms there, dominated by the engines' own answers).

#![allow(missing_docs)]

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::Duration;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use flux_apps::placement::{Node, PlacementPolicy, Tier};
use flux_apps::reconcile::{
    AppDeployment, ComponentTemplate, Context, NodeHandle, ReconcileConfig, reconcile,
};
use flux_apps::runtime::memory::MemoryRuntime;
use flux_apps::runtime::{ContainerRuntime, Operation, PortMapping};

const ENGINES: u16 = 1_000;

fn app() -> AppDeployment {
    let mut web = ComponentTemplate::new("web", "img/web:1");
    web.ports.push(PortMapping {
        host_port: 31_000,
        container_port: 80,
    });
    AppDeployment::new("hello", 3, vec![web])
}

/// 1,000 engines with a converged app, and the engines themselves.
fn converged(
    rt: &tokio::runtime::Runtime,
    config: ReconcileConfig,
) -> (
    Arc<Context<MemoryRuntime>>,
    Vec<Arc<MemoryRuntime>>,
    Arc<AppDeployment>,
) {
    let engines: Vec<Arc<MemoryRuntime>> = (0..ENGINES)
        .map(|i| Arc::new(MemoryRuntime::with_any_image(format!("e{i}"), "bench")))
        .collect();
    let handles = engines
        .iter()
        .enumerate()
        .map(|(i, runtime)| {
            let [hi, lo] = u16::try_from(i).expect("1,000 engines").to_be_bytes();
            NodeHandle {
                node: Node::new(
                    format!("e{i}"),
                    IpAddr::V4(Ipv4Addr::new(10, hi, lo, 1)),
                    Tier::Stratus,
                ),
                runtime: Arc::clone(runtime),
            }
        })
        .collect();
    let ctx =
        Arc::new(Context::new(handles, PlacementPolicy::with_seed(9), config).expect("unique ids"));
    let app = Arc::new(app());
    rt.block_on(reconcile(Arc::clone(&app), Arc::clone(&ctx)))
        .expect("converges");
    (ctx, engines, app)
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio");
    let mut group = c.benchmark_group("reconcile 1,000 in-memory engines");
    group.sample_size(20);

    let (ctx, _engines, app) = converged(&rt, ReconcileConfig::default());
    group.bench_function("converged pass", |b| {
        b.iter(|| {
            rt.block_on(reconcile(Arc::clone(&app), Arc::clone(&ctx)))
                .expect("converged");
        });
    });

    // Zero grace: the first pass that finds the engine silent moves its instance.
    let moving = ReconcileConfig {
        unreachable_grace: Duration::ZERO,
        ..ReconcileConfig::default()
    };
    group.bench_function("pass moving an instance off a silent engine", |b| {
        b.iter_batched(
            || {
                let (ctx, engines, app) = converged(&rt, moving.clone());
                let placed = ctx.status(&app.name).expect("status").nodes;
                let silent = engines
                    .iter()
                    .find(|e| e.endpoint() == placed[0])
                    .expect("engine");
                silent.fail_always(Operation::ListContainers);
                (ctx, app)
            },
            |(ctx, app)| {
                // The silent engine held an instance, so the pass reports it (and still moves it).
                let result = rt.block_on(reconcile(Arc::clone(&app), Arc::clone(&ctx)));
                black_box(result.is_err());
                assert_eq!(ctx.status(&app.name).expect("status").ready, 3);
            },
            BatchSize::PerIteration,
        );
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
