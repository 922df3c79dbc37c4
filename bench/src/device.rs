//! The device store beside plain rusqlite doing the same work on the same data (the
//! limit), and the device's footprint: a store with 100,000 incidents and 1,000,000
//! track fixes, its size and the time to open it and show the first page; the CPU of
//! a day of patrol recording, plain and encrypted.

use crate::{
    data::{Chain, City, Record},
    patrol::{append_day, set_up},
    procs,
};
use gridwork_core::{
    db::ListFilter,
    model::{Role, Urgency},
    store::ReportDraft,
    Store,
};
use rusqlite::Connection;
use serde_json::{json, Value};
use std::{
    path::Path,
    time::{Duration, Instant},
};

/// The draft a worker would type for `r` (no photo files).
pub fn draft(r: &Record) -> ReportDraft {
    ReportDraft {
        category: r.category.into(),
        lat: r.lat,
        lon: r.lon,
        accuracy_m: Some(5.0),
        description: r.description.clone(),
        address: Some(r.address.clone()),
        urgency: if r.urgent {
            Urgency::Urgent
        } else {
            Urgency::Normal
        },
        photos: vec![],
        patrol: None,
    }
}

fn plain_db(path: &Path) -> Connection {
    let conn = Connection::open(path).expect("plain db");
    conn.pragma_update(None, "journal_mode", "WAL")
        .expect("wal");
    conn.pragma_update(None, "synchronous", "FULL")
        .expect("full");
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS reports (id TEXT PRIMARY KEY, category TEXT, lat REAL, lon REAL,
             cell TEXT, description TEXT, address TEXT, urgent INTEGER, photos TEXT,
             reporter TEXT, reported_at INTEGER) STRICT;
         CREATE INDEX IF NOT EXISTS reports_time ON reports (reported_at, id);",
    )
    .expect("plain schema");
    conn
}

fn plain_insert(conn: &Connection, r: &Record) {
    let photos = serde_json::to_string(&r.photos).expect("json");
    conn.execute(
        "INSERT INTO reports VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        rusqlite::params![
            r.id.to_string(),
            r.category,
            r.lat,
            r.lon,
            r.cell,
            r.description,
            r.address,
            r.urgent,
            photos,
            format!("w{:02}", r.worker),
            r.time_ms
        ],
    )
    .expect("plain insert");
}

fn p50(mut v: Vec<Duration>) -> f64 {
    v.sort();
    v.get(v.len() / 2).map_or(0.0, |d| d.as_secs_f64() * 1e3)
}

fn time<T>(f: impl FnOnce() -> T) -> (Duration, T) {
    let start = Instant::now();
    let out = f();
    (start.elapsed(), out)
}

/// A row of the plain page query.
type PlainRow = (
    (String, String, String, Option<String>),
    (f64, f64, String, Option<String>),
    (i64, Option<i64>, i64, i64, String),
);

const PLAIN_PAGE: &str =
    "SELECT id, status, category, cell, lat, lon, reporter, department, reported_at,
        deadline, rework_count, conflict_count, description FROM incidents
 ORDER BY reported_at DESC, id DESC LIMIT 51";

fn plain_page(conn: &Connection) -> usize {
    let mut stmt = conn.prepare_cached(PLAIN_PAGE).expect("plain page");
    let rows: Vec<PlainRow> = stmt
        .query_map([], |r| {
            Ok((
                (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?),
                (r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?),
                (r.get(8)?, r.get(9)?, r.get(10)?, r.get(11)?, r.get(12)?),
            ))
        })
        .expect("rows")
        .filter_map(Result::ok)
        .collect();
    rows.len()
}

/// Store beside plain rusqlite, then the footprint of `incidents` incidents and
/// `patrol_days` 8-hour patrol days (28,800 fixes each) in one store.
pub fn store(reports: usize, incidents: usize, patrol_days: usize) -> Value {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut city = City::new();
    // 1. A durable report: gridwork's against one plain INSERT in its own fsync'd commit.
    let s = set_up(
        Store::open(dir.path().join("reports")).expect("store"),
        "w01",
        Role::Worker,
        "phone-w01",
    );
    let records = city.records(reports, 1);
    let gw: Vec<Duration> = records
        .iter()
        .map(|r| time(|| s.report(&draft(r)).expect("report")).0)
        .collect();
    drop(s);
    let conn = plain_db(&dir.path().join("plain-reports.db"));
    let plain: Vec<Duration> = records
        .iter()
        .map(|r| {
            time(|| {
                let tx = conn.unchecked_transaction().expect("tx");
                plain_insert(&tx, r);
                tx.commit().expect("commit");
            })
            .0
        })
        .collect();
    drop(conn);
    let report = json!({"gridwork_p50_ms": p50(gw), "plain_p50_ms": p50(plain), "n": reports});

    // 2. A supervisor's store with `incidents` pulled reports, against a plain table
    // holding the same fields.
    let store_dir = dir.path().join("store");
    let s = set_up(
        Store::open(&store_dir).expect("store"),
        "wang",
        Role::Supervisor,
        "tablet-wang",
    );
    let empty = procs::dir_bytes(&store_dir);
    let mut chain = Chain::new("phone-w02", "w02", Role::Worker);
    let records = city.records(incidents, 10);
    let (fill, _) = time(|| {
        for (k, batch) in records.chunks(5_000).enumerate() {
            let mut events: Vec<_> = batch.iter().map(|r| chain.report(r)).collect();
            for (i, e) in events.iter_mut().enumerate() {
                e.server_seq = Some((k * 5_000 + i + 1) as i64);
            }
            s.apply_remote(&events).expect("apply");
        }
    });
    checkpoint(&s);
    let with_incidents = procs::dir_bytes(&store_dir);
    let conn = plain_db(&dir.path().join("plain.db"));
    for batch in records.chunks(5_000) {
        let tx = conn.unchecked_transaction().expect("tx");
        for r in batch {
            plain_insert(&tx, r);
        }
        tx.commit().expect("commit");
    }
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
        .expect("checkpoint");
    drop(conn);
    let plain_bytes = std::fs::metadata(dir.path().join("plain.db")).map_or(0, |m| m.len());

    // 3. The first page, newest first, warm: gridwork's list against the same SELECT.
    let plain = Connection::open(s.db().path()).expect("plain reader");
    let mut gw = Vec::new();
    let mut pl = Vec::new();
    for _ in 0..200 {
        gw.push(time(|| s.list(&ListFilter::default(), None, 50).expect("list")).0);
        pl.push(time(|| plain_page(&plain)).0);
    }
    drop(plain);
    let page = json!({"gridwork_p50_ms": p50(gw), "plain_p50_ms": p50(pl)});

    // 4. Patrol days recorded on the same store: the fixes' share of its size.
    let cpu0 = procs::cpu("self");
    let (patrol_wall, s) = time(|| {
        let mut s = s;
        for d in 0..patrol_days {
            s = append_day(s, crate::data::T0 + d as i64 * 86_400_000).0;
        }
        s
    });
    let patrol_cpu = procs::cpu("self") - cpu0;
    checkpoint(&s);
    let full = procs::dir_bytes(&store_dir);
    let db_path = s.db().path().to_path_buf();
    drop(s);

    // 5. Open the full store and show its first page (the app's cold start, with the
    // file in the OS cache), against plain rusqlite opening the file and running the
    // same SELECT.
    let mut open = Vec::new();
    let mut plain_open = Vec::new();
    let mut first_page = 0;
    for _ in 0..7 {
        let (t, n) = time(|| {
            let s = Store::open(&store_dir).expect("open");
            s.list(&ListFilter::default(), None, 50)
                .expect("list")
                .items
                .len()
        });
        first_page = n;
        open.push(t);
        plain_open.push(time(|| plain_page(&Connection::open(&db_path).expect("open"))).0);
    }
    let first_open = open[0].as_secs_f64() * 1e3;
    let hours = patrol_days as f64 * 8.0;
    json!({
        "report": report,
        "page": page,
        "fill_ms": fill.as_secs_f64() * 1e3,
        "incidents": incidents,
        "bytes_empty": empty,
        "bytes_per_1000_incidents": (with_incidents - empty) as f64 / (incidents as f64 / 1000.0),
        "plain_bytes_per_1000_incidents": plain_bytes as f64 / (incidents as f64 / 1000.0),
        "fixes": patrol_days * 28_800,
        "patrol_hours": hours,
        "patrol_wall_ms": patrol_wall.as_secs_f64() * 1e3,
        "patrol_cpu_ms_per_hour": patrol_cpu.as_secs_f64() * 1e3 / hours.max(1.0),
        "bytes_per_patrol_hour": (full.saturating_sub(with_incidents)) as f64 / hours.max(1.0),
        "bytes_total": full,
        "open_first_page_p50_ms": p50(open),
        "open_first_page_first_ms": first_open,
        "plain_open_page_p50_ms": p50(plain_open),
        "first_page_rows": first_page,
    })
}

fn checkpoint(s: &Store) {
    if let Ok(c) = Connection::open(s.db().path()) {
        let _ = c.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)");
    }
}

/// The raw key the shells pass (as core/benches/encryption.rs).
#[cfg(feature = "encryption")]
const RAW_KEY: &str = "x'2DD29CA851E7B56E4697B0E1F08507293D761A05CE4D1B628663F411A8086D99'";

/// CPU of recording `days` 8-hour patrol days (10-second batches), plain and, with the
/// feature `encryption`, encrypted, in the same process one after the other.
pub fn patrol_cpu(days: usize) -> Value {
    let run = |open: &dyn Fn(&Path) -> Store| {
        let mut cpu = Duration::ZERO;
        for d in 0..days {
            let dir = tempfile::tempdir().expect("temp dir");
            let s = set_up(open(dir.path()), "w03", Role::Worker, "phone-w03");
            let before = procs::cpu("self");
            let (s, _) = append_day(s, crate::data::T0 + d as i64 * 86_400_000);
            cpu += procs::cpu("self") - before;
            drop(s);
        }
        cpu.as_secs_f64() * 1e3 / (days as f64 * 8.0)
    };
    let plain = run(&|p| Store::open(p).expect("store"));
    #[cfg(feature = "encryption")]
    let encrypted = Some(run(&|p| Store::open_encrypted(p, RAW_KEY).expect("store")));
    #[cfg(not(feature = "encryption"))]
    let encrypted: Option<f64> = None;
    json!({"days": days, "plain_cpu_ms_per_hour": plain, "encrypted_cpu_ms_per_hour": encrypted})
}
