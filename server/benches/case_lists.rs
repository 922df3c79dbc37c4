//! Supervisor API case lists (issue 9): a filtered page of one street over 100,000
//! cases, through `Storage::list_cases` (SQL built from the API's own query parser,
//! rows parsed into views), against a plain SQL query doing the same selection on the
//! same table in the same run. SQLite always; PostgreSQL too when GRIDWORK_TEST_PG is
//! set. A harness of its own (not criterion): it prints p50/p90 of each and the ratio.
//!
//! `cargo bench -p gridwork-server --bench case_lists` (docs/benchmarks.md).
#![allow(missing_docs, clippy::unwrap_used, clippy::print_stdout)]

use gridwork_core::{
    clock::Hlc,
    model::{Actor, Event, IncidentEvent, Report, Role, Stream, Urgency, GENESIS_HASH},
};
use gridwork_server::{
    admin,
    query::{self, CaseFilter},
    storage::{postgres::PostgresStorage, sqlite::SqliteStorage, Storage},
};
use std::{sync::Arc, time::Instant};
use uuid::Uuid;

const CASES: usize = 100_000;
const STREETS: usize = 10;
const CELLS_PER_STREET: usize = 20;
const BATCH: usize = 1_000;
const RUNS: usize = 200;

fn street(s: usize) -> String {
    format!("3205080{:02}", s + 1)
}

/// 100,000 reports by one supervisor's device, round-robin over 200 cells of ten
/// streets; every seventh mentions 垃圾.
fn reports() -> Vec<Vec<Event>> {
    let mut prev = GENESIS_HASH.to_string();
    let mut out = Vec::new();
    let mut batch = Vec::new();
    for i in 0..CASES {
        let cell = format!(
            "{}{:02}",
            street(i % STREETS),
            (i / STREETS) % CELLS_PER_STREET + 1
        );
        let description = if i % 7 == 0 {
            format!("暴露垃圾堆在桥边 #{i}")
        } else {
            format!("overflowing bin #{i}")
        };
        let ev = IncidentEvent::Reported(Report {
            category: "06010".into(),
            lat: 31.3,
            lon: 120.6,
            accuracy_m: Some(5.0),
            description,
            address: Some("Pingjiang Rd".into()),
            urgency: Urgency::Normal,
            photos: vec![],
            cell: Some(cell),
            patrol: None,
        });
        let e = Event {
            id: Uuid::now_v7(),
            stream: Stream::Incident(Uuid::now_v7()),
            kind: ev.kind().into(),
            hlc: Hlc::new(1_767_000_000_000 + i as i64, 0),
            device_id: "bench-tablet".into(),
            actor: Actor::new("wang", Role::Supervisor),
            device_seq: i as u64 + 1,
            prev_hash: prev.clone(),
            payload: ev.payload(),
            server_seq: None,
            signature: None,
        };
        prev = e.hash();
        batch.push(e);
        if batch.len() == BATCH {
            out.push(std::mem::take(&mut batch));
        }
    }
    out
}

async fn fill(s: &dyn Storage) {
    admin::add_user(s, "wang", Role::Supervisor, "*", None)
        .await
        .unwrap();
    let account = s.account("wang").await.unwrap().unwrap();
    let t = Instant::now();
    for batch in reports() {
        s.push(&account, batch).await.unwrap();
    }
    println!(
        "  filled {CASES} cases in {:.1} s",
        t.elapsed().as_secs_f64()
    );
}

fn percentiles(mut v: Vec<f64>) -> (f64, f64) {
    v.sort_by(f64::total_cmp);
    (v[v.len() / 2], v[v.len() * 9 / 10])
}

async fn time<F, Fut>(mut f: F) -> (f64, f64)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = usize>,
{
    for _ in 0..10 {
        f().await;
    }
    let mut ms = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let t = Instant::now();
        let n = f().await;
        ms.push(t.elapsed().as_secs_f64() * 1e3);
        assert!(n > 0);
    }
    percentiles(ms)
}

/// The selections measured: (name, API parameters, the same selection in plain SQL
/// with `{p}` for the placeholder prefix ('?' or '$')).
type Selection = (&'static str, Vec<(String, String)>, String);

fn cases() -> Vec<Selection> {
    let s = street(2);
    let hi = format!("{s}\u{10FFFF}");
    vec![
        (
            "street + status, first page of 50",
            vec![
                ("area".into(), s.clone()),
                ("status".into(), "reported".into()),
            ],
            format!(
                "SELECT view FROM cases WHERE cell >= '{s}' AND cell < '{hi}' AND status = 'reported' \
                 ORDER BY received_ms DESC, id DESC LIMIT 51"
            ),
        ),
        (
            "street + text 垃圾, first page of 50",
            vec![("area".into(), s.clone()), ("q".into(), "垃圾".into())],
            format!(
                "SELECT view FROM cases WHERE cell >= '{s}' AND cell < '{hi}' AND {{contains}} \
                 ORDER BY received_ms DESC, id DESC LIMIT 51"
            ),
        ),
    ]
}

fn report(name: &str, api: (f64, f64), plain: (f64, f64)) {
    println!(
        "  {name}: API p50 {:.2} ms p90 {:.2} ms; plain SQL p50 {:.2} ms p90 {:.2} ms; ratio (p50) {:.2}x",
        api.0,
        api.1,
        plain.0,
        plain.1,
        api.0 / plain.0
    );
}

fn filter(pairs: &[(String, String)]) -> CaseFilter {
    let everywhere = gridwork_server::account::Account {
        user: "wang".into(),
        role: Role::Supervisor,
        scope: vec![String::new()],
        password_hash: None,
    };
    query::parse(pairs, &everywhere, 0).unwrap()
}

async fn sqlite() {
    println!("SQLite:");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("server.db");
    let s: Arc<dyn Storage> = Arc::new(SqliteStorage::open(&path).await.unwrap());
    fill(s.as_ref()).await;
    let conn = rusqlite::Connection::open(&path).unwrap();
    for (name, params, sql) in cases() {
        let f = filter(&params);
        let api = time(|| {
            let (s, f) = (s.clone(), f.clone());
            async move { s.list_cases(&f).await.unwrap().views.len() }
        })
        .await;
        let sql = sql.replace("{contains}", "instr(search, '垃圾') > 0");
        let plain = time(|| {
            let mut stmt = conn.prepare_cached(&sql).unwrap();
            let n = stmt
                .query_map([], |r| r.get::<_, String>(0))
                .unwrap()
                .count();
            std::future::ready(n)
        })
        .await;
        report(name, api, plain);
    }
}

async fn postgres(url: &str) {
    println!("PostgreSQL:");
    let schema = "gw_bench_case_lists";
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    client
        .batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
        .await
        .unwrap();
    let s: Arc<dyn Storage> = Arc::new(PostgresStorage::connect(url, Some(schema)).await.unwrap());
    fill(s.as_ref()).await;
    client
        .batch_execute(&format!("SET search_path = {schema}; ANALYZE cases"))
        .await
        .unwrap();
    for (name, params, sql) in cases() {
        let f = filter(&params);
        let api = time(|| {
            let (s, f) = (s.clone(), f.clone());
            async move { s.list_cases(&f).await.unwrap().views.len() }
        })
        .await;
        let sql = sql.replace("{contains}", "strpos(search, '垃圾') > 0");
        let stmt = client.prepare(&sql).await.unwrap();
        let plain = time(|| {
            let (c, st) = (&client, &stmt);
            async move { c.query(st, &[]).await.unwrap().len() }
        })
        .await;
        report(name, api, plain);
    }
    client
        .batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
        .await
        .unwrap();
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` passes nothing: run only
    // for a benchmark run.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        sqlite().await;
        match std::env::var("GRIDWORK_TEST_PG") {
            Ok(url) => postgres(&url).await,
            Err(_) => println!("PostgreSQL: skipped (set GRIDWORK_TEST_PG to measure it)"),
        }
    });
}
