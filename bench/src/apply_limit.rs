//! The limit of the device's share of a pull: plain rusqlite writing the very rows the
//! store wrote for the pulled events — each event's log row, its case's row, its search
//! row, with the store's own tables and indexes — in pages of 1,000 events, each page
//! one `synchronous=FULL` transaction, as the store commits a pull page. No parsing, no
//! hash, no fold, no HTTP: only what SQLite costs for what the store keeps.

use crate::procs;
use rusqlite::{types::Value as Sql, Connection};
use serde_json::{json, Value};
use std::{path::Path, time::Instant};

/// One table's rows, every column, in rowid order.
struct Rows {
    insert: String,
    rows: Vec<Vec<Sql>>,
}

fn read(src: &Connection, table: &str, columns: &[String]) -> rusqlite::Result<Rows> {
    let list = columns.join(", ");
    let mut stmt = src.prepare(&format!("SELECT rowid, {list} FROM {table} ORDER BY rowid"))?;
    let n = columns.len() + 1;
    let rows = stmt
        .query_map([], |r| (0..n).map(|i| r.get::<_, Sql>(i)).collect())?
        .collect::<rusqlite::Result<Vec<Vec<Sql>>>>()?;
    let marks = (1..=n)
        .map(|i| format!("?{i}"))
        .collect::<Vec<_>>()
        .join(", ");
    Ok(Rows {
        insert: format!("INSERT INTO {table} (rowid, {list}) VALUES ({marks})"),
        rows,
    })
}

fn columns(src: &Connection, table: &str) -> rusqlite::Result<Vec<String>> {
    src.prepare(&format!("SELECT name FROM pragma_table_info('{table}')"))?
        .query_map([], |r| r.get(0))?
        .collect()
}

/// Writes the store's `events`, `incidents` and `incidents_fts` rows (of the store file
/// at `store`) into a fresh file in `dir` with the same schema, `page` events a
/// transaction; the CPU and wall time of the writing alone, per event.
pub fn plain_apply(store: &Path, dir: &Path, page: usize) -> Value {
    match run(store, dir, page.max(1)) {
        Ok(v) => v,
        Err(e) => json!({ "error": e.to_string() }),
    }
}

fn run(store: &Path, dir: &Path, page: usize) -> rusqlite::Result<Value> {
    let src = Connection::open(store)?;
    let schema: Vec<(String, String, String)> = src
        .prepare(
            "SELECT type, tbl_name, sql FROM sqlite_master
             WHERE tbl_name IN ('events', 'incidents', 'incidents_fts') AND sql IS NOT NULL
               AND name NOT LIKE 'incidents_fts_%'
             ORDER BY type = 'index'",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let events = read(&src, "events", &columns(&src, "events")?)?;
    let incidents = read(&src, "incidents", &columns(&src, "incidents")?)?;
    let fts = read(&src, "incidents_fts", &["text".to_string()])?;
    drop(src);

    let path = dir.join("plain-apply.db");
    let _ = std::fs::remove_file(&path);
    let mut dst = Connection::open(&path)?;
    dst.set_prepared_statement_cache_capacity(16);
    dst.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get::<_, String>(0))?;
    dst.pragma_update(None, "synchronous", "FULL")?;
    for (_, _, sql) in &schema {
        dst.execute_batch(sql)?;
    }
    let n = events.rows.len();
    let pages = n.div_ceil(page).max(1);
    // Each table's rows spread over the pages as the events are.
    let chunk = |rows: &Rows, p: usize| {
        let len = rows.rows.len();
        (len * p / pages)..(len * (p + 1) / pages)
    };
    let cpu0 = procs::cpu("self");
    let start = Instant::now();
    for p in 0..pages {
        let tx = dst.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        for table in [&events, &incidents] {
            let mut stmt = tx.prepare_cached(&table.insert)?;
            for row in &table.rows[chunk(table, p)] {
                stmt.execute(rusqlite::params_from_iter(row.iter()))?;
            }
        }
        // Search rows last, as the store writes them (one FTS5 segment per page).
        let mut stmt = tx.prepare_cached(&fts.insert)?;
        for row in &fts.rows[chunk(&fts, p)] {
            stmt.execute(rusqlite::params_from_iter(row.iter()))?;
        }
        drop(stmt);
        tx.commit()?;
    }
    let wall = start.elapsed();
    let cpu = procs::cpu("self") - cpu0;
    let per = |d: std::time::Duration| d.as_secs_f64() * 1e6 / n.max(1) as f64;
    Ok(json!({
        "events": n,
        "incidents": incidents.rows.len(),
        "search_rows": fts.rows.len(),
        "page": page,
        "cpu_us_per_event": per(cpu),
        "wall_us_per_event": per(wall),
        "error": null,
    }))
}
