//! The `load` case (issue 12, point 3): gridwork-tests' load generator (tests/src/load.rs:
//! simulated devices on loopback, single-event pushes and pulls, bounded in count and
//! time, everything checked at the end) against the server on its SQLite storage, and
//! the bare fsync-bound commit loop it is compared with, in the same run; the same on
//! PostgreSQL when `GRIDWORK_TEST_PG` is set (a fresh schema, dropped afterwards).
//!
//! The case fails (its `error` set, the process exiting non-zero) when a check does not
//! hold: something acknowledged lost, held twice, missed or seen twice by a puller, a
//! cursor gone back, or nothing acknowledged at all. The goals are reported, not checked.

use gridwork_server::storage::{postgres::PostgresStorage, sqlite::SqliteStorage};
use gridwork_tests::load::{self, LoadConfig, LoadReport};
use serde_json::{json, Value};
use std::{sync::Arc, time::Duration};

/// Devices when the case is given none (issue 12's figure).
pub const DEVICES: usize = 500;
/// Seconds of pushing when the case is given none.
pub const SECONDS: usize = 20;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// A run's figures and checks, beside its limit's commits a second.
fn figures(r: &LoadReport, baseline: f64) -> Value {
    let l = |x: &load::Latencies| {
        json!({ "requests": x.samples.len(), "p50_ms": ms(x.quantile(0.5)),
                "p99_ms": ms(x.quantile(0.99)) })
    };
    json!({
        "devices": r.devices,
        "acknowledged": r.acknowledged,
        "push_wall_s": r.push_wall.as_secs_f64(),
        "events_per_s": r.events_per_second(),
        "failed_requests": r.failed_requests,
        "login": l(&r.login),
        "push": l(&r.push),
        "pull": l(&r.pull),
        "baseline_commits_per_s": baseline,
        "ratio": r.events_per_second() / baseline.max(1e-9),
        "checks": {
            "lost_on_server": r.lost_on_server,
            "duplicated_on_server": r.duplicated_on_server,
            "missed_by_pullers": r.missed_by_pullers,
            "seen_twice_by_pullers": r.seen_twice_by_pullers,
            "cursor_went_back": r.cursor_went_back,
        },
        "all_held": r.all_held(),
    })
}

/// Why a run's checks failed, if they did.
fn failure(backend: &str, r: &LoadReport) -> Option<String> {
    if r.acknowledged == 0 {
        return Some(format!("{backend}: no push was acknowledged"));
    }
    (!r.all_held()).then(|| {
        format!(
            "{backend}: lost {} duplicated {} missed by pullers {} seen twice {} cursor back {}",
            r.lost_on_server,
            r.duplicated_on_server,
            r.missed_by_pullers,
            r.seen_twice_by_pullers,
            r.cursor_went_back
        )
    })
}

/// The case: `devices` devices (0: [`DEVICES`]) pushing for `seconds` seconds (0:
/// [`SECONDS`]) on SQLite, then on PostgreSQL if `GRIDWORK_TEST_PG` is set.
pub fn load(devices: usize, seconds: usize) -> Value {
    let devices = if devices == 0 { DEVICES } else { devices };
    let seconds = if seconds == 0 { SECONDS } else { seconds };
    let config = LoadConfig {
        devices,
        duration: Duration::from_secs(seconds as u64),
        ..LoadConfig::long()
    };
    // The limit's loop runs as long as the load test's (2 s), shorter for a short run.
    let baseline_time = Duration::from_secs(seconds.clamp(1, 2) as u64);
    let mut errors = Vec::new();
    let mut out = json!({ "devices": devices, "seconds": seconds,
                          "baseline_seconds": baseline_time.as_secs() });
    // Asked for PostgreSQL and not given it: fail before the long SQLite run.
    let pg = std::env::var("GRIDWORK_TEST_PG").ok();
    if pg.is_none() && std::env::var("GRIDWORK_REQUIRE_PG").is_ok_and(|v| v == "1") {
        out["error"] = json!("GRIDWORK_REQUIRE_PG=1 but GRIDWORK_TEST_PG is not set");
        return out;
    }

    let dir = tempfile::tempdir().expect("temp dir");
    let baseline = load::fsync_baseline(dir.path(), baseline_time);
    let report = runtime().block_on(async {
        let storage = SqliteStorage::open(&dir.path().join("server.db"))
            .await
            .expect("the server's SQLite database opens");
        load::run(Arc::new(storage), &dir.path().join("blobs"), &config).await
    });
    eprintln!("SQLite: {report}");
    out["sqlite"] = figures(&report, baseline);
    errors.extend(failure("SQLite", &report));

    match pg {
        Some(url) => {
            let (report, baseline, per_tx) =
                runtime().block_on(postgres(&url, &config, baseline_time));
            eprintln!("PostgreSQL: {report}");
            out["postgres"] = figures(&report, baseline);
            out["postgres"]["pushes_per_transaction"] = json!(per_tx);
            errors.extend(failure("PostgreSQL", &report));
        }
        None => out["postgres"] = json!({ "skipped": "GRIDWORK_TEST_PG is not set" }),
    }
    out["all_held"] = json!(errors.is_empty());
    out["error"] = if errors.is_empty() {
        Value::Null
    } else {
        json!(errors.join("; "))
    };
    out
}

/// The run on PostgreSQL at `url` in a schema of its own, and its limit (a commit loop
/// for `limit`): the report, the loop's commits a second and the pushes per
/// group-commit transaction.
async fn postgres(url: &str, config: &LoadConfig, limit: Duration) -> (LoadReport, f64, f64) {
    let pid = std::process::id();
    let (schema, base_schema) = (
        format!("gw_bench_load_{pid}"),
        format!("gw_bench_load_baseline_{pid}"),
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let baseline = load::pg_commit_baseline(url, &base_schema, limit).await;
    let storage = Arc::new(
        PostgresStorage::connect(url, Some(&schema))
            .await
            .expect("PostgreSQL storage"),
    );
    let report = load::run(storage.clone(), &dir.path().join("blobs"), config).await;
    let stats = storage.group_commit_stats();
    drop(storage);
    execute(url, &format!("DROP SCHEMA IF EXISTS {schema} CASCADE")).await;
    let per_tx = stats.units as f64 / stats.batches.max(1) as f64;
    (report, baseline, per_tx)
}

async fn connect(url: &str) -> (tokio_postgres::Client, tokio::task::JoinHandle<()>) {
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .expect("a PostgreSQL connection");
    (
        client,
        tokio::spawn(async move {
            let _ = conn.await;
        }),
    )
}

async fn execute(url: &str, sql: &str) {
    let (client, task) = connect(url).await;
    client.batch_execute(sql).await.expect("PostgreSQL answers");
    drop(client);
    let _ = task.await;
}
