//! The server under load on both backends (docs/benchmarks.md, "Server under load"):
//! simulated devices push single-event pushes and pull on loopback; nothing acknowledged
//! may be lost or duplicated, every device's pulls see every event of its area once, and
//! no cursor goes backwards. The default run is short (50 devices, ≤ 3 s); the long one:
//!
//! ```text
//! GRIDWORK_LOAD=long cargo test --profile bench-fast -p gridwork-tests --test load -- --nocapture --test-threads 1
//! ```
//!
//! prints events/s, p50/p99 per request kind and the ratio to a bare fsync-bound commit
//! loop measured in the same run. The figures are printed, never asserted.
#![allow(clippy::unwrap_used, clippy::print_stdout)]

use gridwork_server::storage::{postgres::PostgresStorage, sqlite::SqliteStorage};
use gridwork_tests::load::{self, LoadConfig};
use std::{sync::Arc, time::Duration};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn sqlite_under_load_loses_and_duplicates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let config = LoadConfig::from_env();
    let baseline = load::fsync_baseline(dir.path(), Duration::from_secs(2));
    let report = runtime().block_on(async {
        let storage = SqliteStorage::open(&dir.path().join("server.db"))
            .await
            .unwrap();
        load::run(Arc::new(storage), &dir.path().join("blobs"), &config).await
    });
    println!("SQLite: {report}");
    println!(
        "  bare fsync-bound commit loop (plain rusqlite, WAL, synchronous=FULL): {baseline:.0} commits/s; ratio {:.2}x",
        report.events_per_second() / baseline
    );
    assert!(
        report.acknowledged > 0,
        "no push was acknowledged: {report}"
    );
    assert!(report.all_held(), "{report}");
}

/// The PostgreSQL URL (GRIDWORK_TEST_PG), or `None` with a note; with
/// GRIDWORK_REQUIRE_PG=1 (as `.ci/run` sets it) a missing URL fails the test.
fn pg_url() -> Option<String> {
    match std::env::var("GRIDWORK_TEST_PG") {
        Ok(url) => Some(url),
        Err(_) if std::env::var("GRIDWORK_REQUIRE_PG").is_ok_and(|v| v == "1") => {
            panic!("the PostgreSQL load test needs PostgreSQL: GRIDWORK_REQUIRE_PG=1 but GRIDWORK_TEST_PG is not set")
        }
        Err(_) => {
            eprintln!("SKIPPED: the PostgreSQL load test: set GRIDWORK_TEST_PG to a connection URL to run it");
            None
        }
    }
}

#[test]
fn postgres_under_load_loses_and_duplicates_nothing() {
    let Some(url) = pg_url() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let config = LoadConfig::from_env();
    let report = runtime().block_on(async {
        let schema = "gw_test_load";
        let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
            .await
            .unwrap();
        let task = tokio::spawn(conn);
        client
            .batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
            .await
            .unwrap();
        drop(client);
        let _ = task.await;
        let baseline =
            load::pg_commit_baseline(&url, "gw_test_load_baseline", Duration::from_secs(2)).await;
        let storage = Arc::new(PostgresStorage::connect(&url, Some(schema)).await.unwrap());
        let report = load::run(storage.clone(), &dir.path().join("blobs"), &config).await;
        (report, baseline, storage.group_commit_stats())
    });
    let (report, baseline, commits) = report;
    println!("PostgreSQL: {report}");
    println!(
        "  group commit: {} pushes in {} transactions ({:.1} a transaction)",
        commits.units,
        commits.batches,
        commits.units as f64 / commits.batches.max(1) as f64
    );
    println!(
        "  bare commit loop (one tokio-postgres connection, one-row transactions): {baseline:.0} commits/s; ratio {:.2}x",
        report.events_per_second() / baseline
    );
    assert!(
        report.acknowledged > 0,
        "no push was acknowledged: {report}"
    );
    assert!(report.all_held(), "{report}");
}
