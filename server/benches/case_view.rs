//! What the server's case view costs a push (issue 9): 500 new reports pushed in one
//! batch, each folded into the view in the push transaction, against the same push into
//! a storage told to leave the views alone (`skip_views_for_benchmarks`), in the same
//! run — the ratio of the two is the figure. A rebuild of the view of those 500 cases
//! (the projection's work alone, plus the rebuild's own delete and commit) is measured
//! beside them, as before. SQLite backend, `synchronous=FULL`; the same on PostgreSQL
//! when GRIDWORK_TEST_PG is set (a fresh schema each iteration, made outside the timed
//! part).
#![allow(missing_docs, clippy::unwrap_used)]

use criterion::{criterion_group, criterion_main, Criterion};
use gridwork_core::{
    clock::Hlc,
    model::{Actor, Event, IncidentEvent, Report, Role, Stream, Urgency, GENESIS_HASH},
};
use gridwork_server::{
    admin,
    storage::{postgres::PostgresStorage, sqlite::SqliteStorage},
    Storage,
};
use std::time::{Duration, Instant};
use uuid::Uuid;

const BATCH: usize = 500;
/// The two pushes the figure divides: with the views updated, and the baseline without.
const PUSHES: [(&str, bool); 2] = [
    ("push 500 reports, view updated", true),
    ("push 500 reports, no view (baseline)", false),
];
const CATALOG: &str = include_str!("../../data/kcity-catalog.json");

fn reports(device: &str) -> Vec<Event> {
    let mut prev = GENESIS_HASH.to_string();
    (1..=BATCH as u64)
        .map(|seq| {
            let ev = IncidentEvent::Reported(Report {
                category: "06010".into(),
                lat: 31.30 + seq as f64 * 1e-5,
                lon: 120.60,
                accuracy_m: Some(5.0),
                description: format!("暴露垃圾 exposed rubbish near the bridge, heap #{seq}"),
                address: Some("Pingjiang Rd".into()),
                urgency: Urgency::Normal,
                photos: vec![],
                cell: Some("32050800101".into()),
                patrol: None,
            });
            let e = Event {
                id: Uuid::now_v7(),
                stream: Stream::Incident(Uuid::now_v7()),
                kind: ev.kind().into(),
                hlc: Hlc::new(1_767_000_000_000 + seq as i64, 0),
                device_id: device.into(),
                actor: Actor::new("wang", Role::Supervisor),
                device_seq: seq,
                prev_hash: prev.clone(),
                payload: ev.payload(),
                server_seq: None,
                signature: None,
            };
            prev = e.hash();
            e
        })
        .collect()
}

struct Fresh {
    _dir: tempfile::TempDir,
    storage: SqliteStorage,
}

async fn fresh() -> Fresh {
    let dir = tempfile::tempdir().unwrap();
    let storage = SqliteStorage::open(&dir.path().join("server.db"))
        .await
        .unwrap();
    admin::add_user(&storage, "wang", Role::Supervisor, "*", None)
        .await
        .unwrap();
    admin::import_catalog(&storage, CATALOG).await.unwrap();
    Fresh { _dir: dir, storage }
}

fn case_view(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut g = c.benchmark_group("case_view");
    g.sample_size(10);
    for (name, views) in PUSHES {
        g.bench_function(name, |b| {
            b.to_async(&rt).iter_custom(|iters| async move {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let f = fresh().await;
                    if !views {
                        f.storage.skip_views_for_benchmarks();
                    }
                    let account = f.storage.account("wang").await.unwrap().unwrap();
                    let events = reports("tablet-wang");
                    let t = Instant::now();
                    let out = f.storage.push(&account, events).await.unwrap();
                    total += t.elapsed();
                    assert_eq!(out.len(), BATCH);
                }
                total
            })
        });
    }
    g.bench_function("fold the view of those 500 cases again (rebuild)", |b| {
        b.to_async(&rt).iter_custom(|iters| async move {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let f = fresh().await;
                let account = f.storage.account("wang").await.unwrap().unwrap();
                f.storage
                    .push(&account, reports("tablet-wang"))
                    .await
                    .unwrap();
                let t = Instant::now();
                assert_eq!(f.storage.rebuild_cases().await.unwrap(), BATCH as u64);
                total += t.elapsed();
            }
            total
        })
    });
    g.finish();
}

const PG_SCHEMA: &str = "gw_bench_case_view";

/// A fresh PostgreSQL schema with the supervisor and the catalogue.
async fn fresh_pg(url: &str) -> PostgresStorage {
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    let task = tokio::spawn(conn);
    client
        .batch_execute(&format!("DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"))
        .await
        .unwrap();
    drop(client);
    let _ = task.await;
    let storage = PostgresStorage::connect(url, Some(PG_SCHEMA))
        .await
        .unwrap();
    admin::add_user(&storage, "wang", Role::Supervisor, "*", None)
        .await
        .unwrap();
    admin::import_catalog(&storage, CATALOG).await.unwrap();
    storage
}

fn case_view_pg(c: &mut Criterion) {
    let Ok(url) = std::env::var("GRIDWORK_TEST_PG") else {
        eprintln!("case_view_pg: skipped (set GRIDWORK_TEST_PG to measure PostgreSQL)");
        return;
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut g = c.benchmark_group("case_view_pg");
    g.sample_size(10);
    for (name, views) in PUSHES {
        g.bench_function(name, |b| {
            let url = url.clone();
            b.to_async(&rt).iter_custom(|iters| {
                let url = url.clone();
                async move {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        let s = fresh_pg(&url).await;
                        if !views {
                            s.skip_views_for_benchmarks();
                        }
                        let account = s.account("wang").await.unwrap().unwrap();
                        let events = reports("tablet-wang");
                        let t = Instant::now();
                        let out = s.push(&account, events).await.unwrap();
                        total += t.elapsed();
                        assert_eq!(out.len(), BATCH);
                    }
                    total
                }
            })
        });
    }
    g.bench_function("fold the view of those 500 cases again (rebuild)", |b| {
        let url = url.clone();
        b.to_async(&rt).iter_custom(|iters| {
            let url = url.clone();
            async move {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let s = fresh_pg(&url).await;
                    let account = s.account("wang").await.unwrap().unwrap();
                    s.push(&account, reports("tablet-wang")).await.unwrap();
                    let t = Instant::now();
                    assert_eq!(s.rebuild_cases().await.unwrap(), BATCH as u64);
                    total += t.elapsed();
                }
                total
            }
        })
    });
    g.finish();
}

criterion_group!(benches, case_view, case_view_pg);
criterion_main!(benches);
