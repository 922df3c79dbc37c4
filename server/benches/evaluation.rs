//! Evaluation of one street over a month with 100,000 cases (issue 9's figure, target
//! p50 < 200 ms): what `GET /v1/evaluation?area=<street>&by=street` does — the views of
//! the street's cases received in the period read through
//! `Storage::case_views_received`, then `evaluation::evaluate` — against, in the same
//! run, a plain SQL query reading the same rows' view text (not parsed) and a plain
//! `count(*)` of them. SQLite always; PostgreSQL too when GRIDWORK_TEST_PG is set. The
//! cases are seeded over the sample city (benches/seed). Its own harness: p50/p90.
//!
//! The API reads the evaluation copies (`Storage::eval_views_received`); the full
//! views' evaluation, what it read before, is timed in the same run.
//!
//! `cargo bench -p gridwork-server --bench evaluation` (docs/benchmarks.md;
//! `--profile bench-fast` for an optimised build without LTO). `GRIDWORK_BENCH_CASES`
//! seeds fewer cases for a quick look; `GRIDWORK_BENCH_SQLITE=0` measures PostgreSQL only.
//! Seeding is most of a run (minutes on SQLite, half an hour on PostgreSQL under load),
//! so a seeded database can be kept and measured again: `GRIDWORK_BENCH_SQLITE_DB=FILE`
//! seeds FILE if it holds no cases and reuses it if it does (a file seeded by
//! `--example seed_cases` with its defaults is the same city), and
//! `GRIDWORK_BENCH_PG_SCHEMA=NAME` does the same with a PostgreSQL schema (`public`
//! for a database seeded by `seed_cases`) and leaves it in place.
//! `GRIDWORK_BENCH_ROUNDS=N` measures N times in one process (default 1).
#![allow(missing_docs, clippy::unwrap_used, clippy::print_stdout)]

mod seed;

use gridwork_server::{
    evaluation::{evaluate, GroupBy},
    storage::{postgres::PostgresStorage, sqlite::SqliteStorage, Storage},
};
use std::{sync::Arc, time::Instant};

const CASES: usize = 100_000;

fn cases() -> usize {
    std::env::var("GRIDWORK_BENCH_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(CASES)
}
const STREET: &str = "320508002";
const MONTH_MS: i64 = 30 * 86_400_000;
const RUNS: usize = 30;

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

fn percentiles(mut v: Vec<f64>) -> (f64, f64) {
    v.sort_by(f64::total_cmp);
    (v[v.len() / 2], v[v.len() * 9 / 10])
}

/// CPU time this process has used so far, in ms: the sum over its threads of the
/// time they ran (`/proc/self/task/*/schedstat`, nanoseconds; Linux). The wall time
/// of a run on a loaded machine includes the waits for a core; this does not (nor
/// does it include PostgreSQL's own processes).
fn cpu_ms() -> f64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return f64::NAN;
    };
    let ns: u64 = tasks
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .sum();
    ns as f64 / 1e6
}

/// Wall-time p50 and p90 of `f` over [`RUNS`] runs after 3 warm-ups, and the p50 of
/// this process's CPU time per run.
async fn time<F, Fut>(mut f: F) -> (f64, f64, f64)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = usize>,
{
    for _ in 0..3 {
        f().await;
    }
    let mut ms = Vec::with_capacity(RUNS);
    let mut cpu = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let (t, c) = (Instant::now(), cpu_ms());
        let n = f().await;
        ms.push(t.elapsed().as_secs_f64() * 1e3);
        cpu.push(cpu_ms() - c);
        assert!(n > 0);
    }
    let (p50, p90) = percentiles(ms);
    (p50, p90, percentiles(cpu).0)
}

fn rounds() -> usize {
    std::env::var("GRIDWORK_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
}

/// Seeds `s` unless it already holds cases (a kept database).
async fn fill(s: &dyn Storage) {
    let held = s.case_views_received("", 0, i64::MAX).await.unwrap().len();
    if held > 0 {
        println!("  reusing a seeded database of {held} cases");
        return;
    }
    let t = Instant::now();
    let n = cases();
    seed::seed(s, n, 9, None).await;
    println!("  seeded {n} cases in {:.1} s", t.elapsed().as_secs_f64());
}

/// The API's work: the evaluation copies of the street's month, evaluated by street.
async fn api(s: Arc<dyn Storage>, from: i64, to: i64) -> usize {
    let views = s.eval_views_received(STREET, from, to).await.unwrap();
    let rows = evaluate(&views, GroupBy::Street, to);
    assert!(rows.len() >= 2, "the street and the total");
    views.len()
}

/// What the API did before the copies: the street's full views, evaluated by street.
async fn full(s: Arc<dyn Storage>, from: i64, to: i64) -> usize {
    let views = s.case_views_received(STREET, from, to).await.unwrap();
    let rows = evaluate(&views, GroupBy::Street, to);
    assert!(rows.len() >= 2, "the street and the total");
    views.len()
}

/// Both evaluations give the same rows (the copies are faithful).
async fn same(s: &Arc<dyn Storage>, from: i64, to: i64) {
    let a = s.eval_views_received(STREET, from, to).await.unwrap();
    let b = s.case_views_received(STREET, from, to).await.unwrap();
    assert_eq!(
        evaluate(&a, GroupBy::Street, to),
        evaluate(&b, GroupBy::Street, to)
    );
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn report(name: &str, v: (f64, f64, f64), base: (f64, f64, f64)) {
    println!(
        "  {name}: p50 {:.1} ms p90 {:.1} ms (CPU of this process p50 {:.1} ms); \
         ratio to plain SQL reading the rows (p50) {:.2}x",
        v.0,
        v.1,
        v.2,
        v.0 / base.0
    );
}

const ROWS: &str = "SELECT view FROM cases WHERE received_ms >= {p}1 AND received_ms < {p}2 \
                    AND cell >= {p}3 AND cell < {p}4 ORDER BY id";
const COUNT: &str = "SELECT count(*) FROM cases WHERE received_ms >= {p}1 AND received_ms < {p}2 \
                     AND cell >= {p}3 AND cell < {p}4";

async fn sqlite() {
    println!("SQLite:");
    let dir = tempfile::tempdir().unwrap();
    let path = match std::env::var("GRIDWORK_BENCH_SQLITE_DB") {
        Ok(kept) => std::path::PathBuf::from(kept),
        Err(_) => dir.path().join("server.db"),
    };
    let s: Arc<dyn Storage> = Arc::new(SqliteStorage::open(&path).await.unwrap());
    fill(s.as_ref()).await;
    let to = now_ms() + 1;
    let from = to - MONTH_MS;
    let conn = rusqlite::Connection::open(&path).unwrap();
    let n = api(s.clone(), from, to).await;
    println!("  the street's month: {n} cases");
    same(&s, from, to).await;
    for round in 1..=rounds() {
        println!("  round {round}:");
        sqlite_round(&s, &conn, from, to).await;
    }
}

async fn sqlite_round(s: &Arc<dyn Storage>, conn: &rusqlite::Connection, from: i64, to: i64) {
    let hi = format!("{STREET}\u{10FFFF}");
    let args = rusqlite::params![from, to, STREET, hi];
    let rows = time(|| {
        let mut stmt = conn.prepare_cached(&ROWS.replace("{p}", "?")).unwrap();
        let n = stmt
            .query_map(args, |r| r.get::<_, String>(0))
            .unwrap()
            .count();
        std::future::ready(n)
    })
    .await;
    let count = time(|| {
        let mut stmt = conn.prepare_cached(&COUNT.replace("{p}", "?")).unwrap();
        let n: i64 = stmt.query_row(args, |r| r.get(0)).unwrap();
        std::future::ready(n as usize)
    })
    .await;
    let eval = time(|| api(s.clone(), from, to)).await;
    let old = time(|| full(s.clone(), from, to)).await;
    println!("  plain SQL count(*): p50 {:.1} ms", count.0);
    println!(
        "  plain SQL reading the rows: p50 {:.1} ms p90 {:.1} ms (CPU p50 {:.1} ms)",
        rows.0, rows.1, rows.2
    );
    report("evaluation (copies read, parsed, evaluated)", eval, rows);
    report("evaluation from the full views (before)", old, rows);
    println!("  load average at the end: {}", load_average());
}

async fn postgres(url: &str) {
    println!("PostgreSQL:");
    let kept = std::env::var("GRIDWORK_BENCH_PG_SCHEMA").ok();
    let schema = kept.clone().unwrap_or_else(|| "gw_bench_evaluation".into());
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    if kept.is_none() {
        client
            .batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
            .await
            .unwrap();
    }
    let s: Arc<dyn Storage> = Arc::new(PostgresStorage::connect(url, Some(&schema)).await.unwrap());
    fill(s.as_ref()).await;
    client
        .batch_execute(&format!(
            "SET search_path = {schema}; ANALYZE cases; ANALYZE case_eval"
        ))
        .await
        .unwrap();
    let to = now_ms() + 1;
    let from = to - MONTH_MS;
    same(&s, from, to).await;
    for round in 1..=rounds() {
        println!("  round {round}:");
        postgres_round(&s, &client, from, to).await;
    }
    if kept.is_none() {
        client
            .batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
            .await
            .unwrap();
    }
}

async fn postgres_round(s: &Arc<dyn Storage>, client: &tokio_postgres::Client, from: i64, to: i64) {
    let hi = format!("{STREET}\u{10FFFF}");
    let rows_stmt = client.prepare(&ROWS.replace("{p}", "$")).await.unwrap();
    let count_stmt = client.prepare(&COUNT.replace("{p}", "$")).await.unwrap();
    let rows = time(|| {
        let (c, st, hi) = (client, &rows_stmt, &hi);
        async move { c.query(st, &[&from, &to, &STREET, hi]).await.unwrap().len() }
    })
    .await;
    let count = time(|| {
        let (c, st, hi) = (client, &count_stmt, &hi);
        async move {
            let n: i64 = c
                .query_one(st, &[&from, &to, &STREET, hi])
                .await
                .unwrap()
                .get(0);
            n as usize
        }
    })
    .await;
    let eval = time(|| api(s.clone(), from, to)).await;
    let old = time(|| full(s.clone(), from, to)).await;
    println!("  plain SQL count(*): p50 {:.1} ms", count.0);
    println!(
        "  plain SQL reading the rows: p50 {:.1} ms p90 {:.1} ms (CPU p50 {:.1} ms)",
        rows.0, rows.1, rows.2
    );
    report("evaluation (copies read, parsed, evaluated)", eval, rows);
    report("evaluation from the full views (before)", old, rows);
    println!("  load average at the end: {}", load_average());
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` passes nothing.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        if std::env::var("GRIDWORK_BENCH_SQLITE").as_deref() == Ok("0") {
            println!("SQLite: skipped (GRIDWORK_BENCH_SQLITE=0)");
        } else {
            sqlite().await;
        }
        match std::env::var("GRIDWORK_TEST_PG") {
            Ok(url) => postgres(&url).await,
            Err(_) => println!("PostgreSQL: skipped (set GRIDWORK_TEST_PG to measure it)"),
        }
    });
}
