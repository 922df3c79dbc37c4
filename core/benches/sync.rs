//! Sync engine benchmarks with the in-memory server (no network, real SQLite stores):
//! - pushing 10,000 pending events (20 batches of 500) and the pull that follows;
//! - the initial pull of 100,000 events into an empty device store (100 pages).
//!
//! Run with `cargo bench -p gridwork-core --features testing --bench sync`.
#![allow(missing_docs, clippy::unwrap_used)]

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use gridwork_core::{
    model::Role,
    sync::{
        memory::{MemoryServer, MEMORY_URL},
        wire::PushRequest,
        CancelToken, HttpRequest, Method, NoProgress, SignIn, SyncEngine, SyncOptions, Transport,
    },
    Store,
};
use tempfile::TempDir;

mod common;
use common::{reports, CATALOG, GRID};

fn device(user: &str, server: &MemoryServer) -> (TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    store
        .init_with_device(user, Role::Worker, &format!("{user}-phone"))
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
