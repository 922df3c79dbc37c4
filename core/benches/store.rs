//! Store benchmarks (issue 2), each beside plain rusqlite doing the same work in the
//! same run, so the figures in docs/benchmarks.md are ratios, not absolute times:
//! - reporting an incident durably vs a plain durable INSERT;
//! - a 50-row page over 100,000 incidents vs the plain SELECT;
//! - folding a 50-event case.
#![allow(missing_docs, clippy::unwrap_used)]

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use gridwork_core::{
    clock::Hlc,
    db::ListFilter,
    model::{Action, Actor, Event, IncidentEvent, Role, GENESIS_HASH},
    workflow,
};
use rusqlite::Connection;
use std::hint::black_box;
use uuid::Uuid;

mod common;
use common::{append_day, cpu_time, draft, remote_reports, store};

fn plain_db(path: &std::path::Path) -> Connection {
    let conn = Connection::open(path).unwrap();
    conn.pragma_update(None, "journal_mode", "WAL").unwrap();
    conn.pragma_update(None, "synchronous", "FULL").unwrap();
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS reports (id TEXT PRIMARY KEY, category TEXT, lat REAL, lon REAL,
             description TEXT, reported_at INTEGER, payload TEXT) STRICT;",
    )
    .unwrap();
    conn
}

fn bench_report(c: &mut Criterion) {
    let mut group = c.benchmark_group("report");
    let dir = tempfile::tempdir().unwrap();
    let s = store(&dir.path().join("store"));
    let mut i = 0;
    group.bench_function("gridwork_report_durable", |b| {
        b.iter(|| {
            i += 1;
            black_box(s.report(&draft(i)).unwrap())
        })
    });
    let conn = plain_db(&dir.path().join("plain.db"));
    let mut j = 0;
    group.bench_function("plain_rusqlite_insert_durable", |b| {
        b.iter(|| {
            j += 1;
            let d = draft(j);
            let payload = serde_json::to_string(&serde_json::json!({
                "category": d.category, "lat": d.lat, "lon": d.lon, "description": d.description
            }))
            .unwrap();
            let tx = conn.unchecked_transaction().unwrap();
            tx.execute(
                "INSERT INTO reports VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                rusqlite::params![
                    Uuid::now_v7().to_string(),
                    d.category,
                    d.lat,
                    d.lon,
                    d.description,
                    j as i64,
                    payload
                ],
            )
            .unwrap();
            tx.commit().unwrap();
        })
    });
    group.finish();
}

/// A row of the plain baseline query.
type PlainRow = (
    (String, String, String, Option<String>),
    (f64, f64, String, Option<String>),
    (i64, Option<i64>, i64, i64, String),
);

fn bench_page(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let s = store(&dir.path().join("store"));
    for chunk in remote_reports(100_000).chunks(5_000) {
        s.apply_remote(chunk).unwrap();
    }
    let mut group = c.benchmark_group("page_50_of_100k");
    group.bench_function("gridwork_list_newest", |b| {
        b.iter(|| black_box(s.list(&ListFilter::default(), None, 50).unwrap()))
    });
    let by_cell = ListFilter {
        cell_prefix: Some("320508002".into()),
        ..ListFilter::default()
    };
    group.bench_function("gridwork_list_street_prefix", |b| {
        b.iter(|| black_box(s.list(&by_cell, None, 50).unwrap()))
    });
    let plain = Connection::open(s.db().path()).unwrap();
    let query = |sql: &str, args: &[&dyn rusqlite::ToSql]| {
        let mut stmt = plain.prepare_cached(sql).unwrap();
        let rows: Vec<PlainRow> = stmt
            .query_map(args, |r| {
                Ok((
                    (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?),
                    (r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?),
                    (r.get(8)?, r.get(9)?, r.get(10)?, r.get(11)?, r.get(12)?),
                ))
            })
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        rows
    };
    group.bench_function("plain_select_newest", |b| {
        b.iter(|| {
            black_box(query(
                "SELECT id, status, category, cell, lat, lon, reporter, department, reported_at,
                        deadline, rework_count, conflict_count, description FROM incidents
                 ORDER BY reported_at DESC, id DESC LIMIT 51",
                &[],
            ))
        })
    });
    group.bench_function("plain_select_street_prefix", |b| {
        b.iter(|| {
            black_box(query(
                "SELECT id, status, category, cell, lat, lon, reporter, department, reported_at,
                        deadline, rework_count, conflict_count, description FROM incidents
                 WHERE street = ?1 ORDER BY reported_at DESC, id DESC LIMIT 51",
                &[&"320508002"],
            ))
        })
    });
    group.finish();
}

fn bench_fold(c: &mut Criterion) {
    let mut events = remote_reports(1);
    let stream = events[0].stream;
    let sup = Actor::new("wang", Role::Supervisor);
    let mut push = |action: Action, i: i64| {
        let ev = IncidentEvent::Acted(action);
        events.push(Event {
            id: Uuid::now_v7(),
            stream,
            kind: ev.kind().into(),
            hlc: Hlc::new(1_795_395_600_000 + i * 1000, 0),
            device_id: "tablet".into(),
            actor: sup.clone(),
            device_seq: i as u64,
            prev_hash: GENESIS_HASH.into(),
            payload: ev.payload(),
            server_seq: None,
            signature: None,
        });
    };
    push(Action::Register { note: None }, 1);
    push(
        Action::Dispatch {
            department: "sanitation".into(),
            deadline_ms: 1_795_400_000_000,
            note: None,
        },
        2,
    );
    let mut i = 3;
    while i < 50 {
        push(
            Action::Postpone {
                reason: "rain".into(),
                deadline_ms: 1_795_500_000_000 + i,
            },
            i,
        );
        i += 1;
    }
    assert_eq!(events.len(), 50);
    c.bench_function("fold_50_event_case", |b| {
        b.iter_batched(
            || events.clone(),
            |evs| black_box(workflow::fold(&evs)),
            BatchSize::SmallInput,
        )
    });
}

/// Process CPU time (user + system) from /proc/self/stat, Linux only.
fn bench_patrol_day(c: &mut Criterion) {
    let mut group = c.benchmark_group("patrol_day");
    group.sample_size(10);
    group.bench_function("append_28800_fixes_cpu", |b| {
        b.iter_custom(|iters| {
            let mut total = std::time::Duration::ZERO;
            for _ in 0..iters {
                let dir = tempfile::tempdir().unwrap();
                let before = cpu_time();
                let (s, _) = append_day(store(&dir.path().join("store")));
                total += cpu_time() - before;
                drop(s);
            }
            total
        })
    });
    let dir = tempfile::tempdir().unwrap();
    let (s, id) = append_day(store(&dir.path().join("store")));
    let bytes: u64 = std::fs::read_dir(dir.path().join("store"))
        .unwrap()
        .filter_map(|e| e.ok()?.metadata().ok())
        .map(|m| m.len())
        .sum();
    let wire: usize = s
        .all_events()
        .unwrap()
        .iter()
        .filter(|e| e.kind == "patrol.track")
        .map(|e| serde_json::to_vec(e).unwrap().len())
        .sum();
    eprintln!(
        "patrol_day: store {} KB per hour on disk, {} KB per hour of patrol.track events",
        bytes / 8 / 1024,
        wire / 8 / 1024
    );
    group.bench_function("stats_and_coverage_of_8h", |b| {
        b.iter(|| black_box(s.patrol(id).unwrap()))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(4));
    targets = bench_report, bench_page, bench_fold, bench_patrol_day
}
criterion_main!(benches);
