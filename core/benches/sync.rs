//! Sync engine benchmarks with the in-memory server (no network, real SQLite stores):
//! - pushing 10,000 pending events (20 batches of 500) and the pull that follows;
//! - the initial pull of 100,000 events into an empty device store (100 pages).
//!
//! Run with `cargo bench -p gridwork-core --features testing --bench sync`.
#![allow(missing_docs, clippy::unwrap_used)]

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use gridwork_core::{
    clock::Hlc,
    model::{Actor, Event, IncidentEvent, Report, Role, Stream, Urgency, GENESIS_HASH},
    sync::{
        memory::{MemoryServer, MEMORY_URL},
        wire::PushRequest,
        CancelToken, HttpRequest, Method, NoProgress, SignIn, SyncEngine, SyncOptions, Transport,
    },
    Store,
};
use tempfile::TempDir;
use uuid::Uuid;

const GRID: &str = include_str!("../../data/kcity-grid.geojson");
const CATALOG: &str = include_str!("../../data/kcity-catalog.json");

fn reports(user: &str, device: &str, n: usize) -> Vec<Event> {
    let actor = Actor::new(user, Role::Worker);
    (0..n)
        .map(|i| {
            let report = IncidentEvent::Reported(Report {
                category: "06010".into(),
                lat: 31.30 + (i % 100) as f64 * 0.0001,
                lon: 120.60 + (i % 37) as f64 * 0.0001,
                accuracy_m: Some(5.0),
                description: format!("exposed rubbish near the bridge, heap #{i}"),
                address: Some("Pingjiang Rd".into()),
                urgency: Urgency::Normal,
                photos: vec![],
                cell: Some(format!(
                    "3205080{:02}00{}{:02}",
                    1 + i % 3,
                    1 + i % 4,
                    1 + i % 5
                )),
                patrol: None,
            });
            Event {
                id: Uuid::now_v7(),
                stream: Stream::Incident(Uuid::now_v7()),
                kind: report.kind().into(),
                hlc: Hlc::new(1_795_395_600_000 + i as i64 * 1000, 0),
                device_id: device.into(),
                actor: actor.clone(),
                device_seq: i as u64 + 1,
                prev_hash: GENESIS_HASH.into(),
                payload: report.payload(),
                server_seq: None,
            }
        })
        .collect()
}

fn device(user: &str, server: &MemoryServer) -> (TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    store
        .init(user, Role::Worker, &format!("{user}-phone"))
        .unwrap();
    store.import_grid(GRID).unwrap();
    store.import_catalog(CATALOG).unwrap();
    server.add_account(user, Role::Worker, user);
    gridwork_core::sync::login(&store, server, MEMORY_URL, &SignIn::Token(user.into())).unwrap();
    (dir, store)
}

fn run(store: &Store, server: &MemoryServer) {
    let report = SyncEngine::new(SyncOptions::default())
        .run(store, server, &NoProgress, &CancelToken::new())
        .unwrap();
    assert_eq!(report.error, None);
}

fn bench_push(c: &mut Criterion) {
    let mut group = c.benchmark_group("sync");
    group.sample_size(10);
    group.bench_function("push 10,000 events", |b| {
        b.iter_batched(
            || {
                let server = MemoryServer::new();
                let (dir, store) = device("wang", &server);
                // Own events with no server_seq: the outbox, as 10,000 reports leave it.
                store
                    .apply_remote(&reports("wang", "wang-phone", 10_000))
                    .unwrap();
                (server, dir, store)
            },
            |(server, dir, store)| {
                run(&store, &server);
                assert_eq!(server.events().len(), 10_000);
                (server, dir, store)
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

fn bench_pull(c: &mut Criterion) {
    let server = MemoryServer::new();
    server.add_account("zhang", Role::Worker, "zhang");
    for chunk in reports("zhang", "zhang-phone", 100_000).chunks(500) {
        let body = serde_json::to_vec(&PushRequest {
            events: chunk.to_vec(),
        })
        .unwrap();
        let resp = server
            .send(&HttpRequest {
                method: Method::Post,
                url: format!("{MEMORY_URL}/v1/events"),
                headers: vec![("Authorization".into(), "Bearer zhang".into())],
                body,
            })
            .unwrap();
        assert_eq!(resp.status, 200);
    }
    let mut group = c.benchmark_group("sync");
    group.sample_size(10);
    group.bench_function("initial pull of 100,000 events", |b| {
        b.iter_batched(
            || device("li", &server),
            |(dir, store)| {
                run(&store, &server);
                (dir, store)
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

criterion_group!(benches, bench_push, bench_pull);
criterion_main!(benches);
