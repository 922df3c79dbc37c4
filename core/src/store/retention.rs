//! Retention: how long a device keeps what it no longer needs (docs/store.md,
//! "Retention").
//!
//! A purge forgets, on this device, the closed or cancelled cases and the finished
//! patrols whose last change is older than the retention period, once the server holds
//! all of them: every event accepted (none waiting in the outbox, none refused), every
//! photo uploaded, every GPS fix in a synced track event. Anything else stays, however
//! old. What a purge removes:
//!
//! - the projections: the case row and its search-index entry; the patrol row, its fixes
//!   and check-ins;
//! - the photos only these streams referenced (row and file);
//! - the events' contents: each event of the stream keeps its envelope (id, stream,
//!   kind, clock, device, sequence, role, `prev_hash`, `hash`, `server_seq`) and loses
//!   its payload and its actor's name (`purged = 1`). The hash chain stays checkable:
//!   [`crate::Store::verify_log`] does not re-hash a purged event's content (it has
//!   none) but still checks that it links to its predecessor and that its successor
//!   links to its recorded hash, and it reports a purged event the server never
//!   accepted as a problem. The envelope also keeps a later pull from bringing the
//!   events back.
//!
//! When it forgot something, the purge merges the search index's segments and rewrites
//! the database file (`VACUUM`) and empties the write-ahead log, so the words, names
//! and positions leave the files, not just the tables.
//!
//! The setting lives in `meta` (`retention_days`); the shells call
//! [`crate::Store::purge_expired`] on a schedule of their own (the CLI after each sync).

use super::{meta_get, meta_set, photos::photo_path, Store};
use crate::error::{Error, Result};
use rusqlite::{params, Connection};
use serde::Serialize;
use std::{collections::BTreeSet, fs, path::Path};

/// The `meta` key of the retention setting (whole days).
const SETTING: &str = "retention_days";
/// The `meta` key set while a purge's rewrite of the file is still due.
const REWRITE_DUE: &str = "retention_rewrite_due";
/// One day in milliseconds.
const DAY_MS: i64 = 86_400_000;
/// The longest retention period accepted, in days (ten years).
pub const MAX_RETENTION_DAYS: u32 = 3650;

/// What a purge did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PurgeReport {
    /// Cases forgotten.
    pub cases: u64,
    /// Patrols forgotten.
    pub patrols: u64,
    /// Events whose contents were dropped.
    pub events: u64,
    /// Photo files removed.
    pub photos: u64,
    /// Cases and patrols old enough and finished but kept because the server does not
    /// hold all of them yet (an event unsynced or refused, a photo not uploaded, a fix
    /// not yet in a track event).
    pub kept_unsynced: u64,
}

impl PurgeReport {
    /// Whether the purge changed nothing.
    pub fn is_empty(&self) -> bool {
        self.cases == 0 && self.patrols == 0 && self.events == 0 && self.photos == 0
    }
}

impl Store {
    /// Sets how many days a closed case or finished patrol is kept once the server holds
    /// it whole (`None`: kept for ever, the default). Takes effect at the next
    /// [`Store::purge_expired`].
    pub fn set_retention(&self, days: Option<u32>) -> Result<()> {
        if let Some(days) = days {
            check_days(days)?;
        }
        self.db.write(|tx| {
            match days {
                Some(d) => meta_set(tx, SETTING, &d.to_string())?,
                None => {
                    tx.execute("DELETE FROM meta WHERE key = ?1", [SETTING])?;
                }
            }
            Ok(())
        })
    }

    /// The retention setting, in days; `None` when everything is kept.
    pub fn retention(&self) -> Result<Option<u32>> {
        self.db.read(|conn| {
            meta_get(conn, SETTING)?
                .map(|v| {
                    v.parse()
                        .map_err(|_| Error::Corrupt(format!("bad retention setting {v:?}")))
                })
                .transpose()
        })
    }

    /// Purges what the retention setting no longer keeps (nothing when it is unset).
    pub fn purge_expired(&self) -> Result<PurgeReport> {
        match self.retention()? {
            Some(days) => self.purge_older_than(days),
            None => Ok(PurgeReport::default()),
        }
    }

    /// Purges the closed or cancelled cases and the finished patrols whose last change is
    /// more than `days` days old and that the server holds whole (see the module docs).
    /// One transaction: a failure changes nothing. The file is rewritten afterwards
    /// (`VACUUM`); should that fail, the error is returned, the purge stands and the next
    /// purge rewrites the file.
    pub fn purge_older_than(&self, days: u32) -> Result<PurgeReport> {
        check_days(days)?;
        let cutoff = self.now_ms().saturating_sub(i64::from(days) * DAY_MS);
        let dir = self.photos_dir.clone();
        let mut trashed: Vec<String> = Vec::new();
        let result = self.db.write(|tx| {
            restore_or_drop_trash(tx, &dir)?;
            let rewrite_due = meta_get(tx, REWRITE_DUE)?.is_some();
            let mut report = PurgeReport::default();
            let mut photos = BTreeSet::new();
            for (stream, row) in candidates(tx, cutoff)? {
                if !held_whole(tx, &stream)? {
                    report.kept_unsynced += 1;
                    continue;
                }
                photos.extend(stream_photos(tx, &stream)?);
                super::photo_wanted::forget_stream(tx, &stream)?;
                report.events += tx
                    .prepare_cached(
                        "UPDATE events SET payload = 'null', actor_user = '',
                            actor_department = NULL, purged = 1
                         WHERE stream = ?1 AND purged = 0",
                    )?
                    .execute([&stream])? as u64;
                match row {
                    Row::Case(rowid) => {
                        tx.execute("DELETE FROM incidents_fts WHERE rowid = ?1", [rowid])?;
                        tx.execute("DELETE FROM incidents WHERE rowid = ?1", [rowid])?;
                        report.cases += 1;
                    }
                    Row::Patrol(id) => {
                        tx.execute("DELETE FROM checkins WHERE patrol = ?1", [&id])?;
                        tx.execute("DELETE FROM patrol_fixes WHERE patrol = ?1", [&id])?;
                        tx.execute("DELETE FROM patrols WHERE id = ?1", [&id])?;
                        report.patrols += 1;
                    }
                }
            }
            for sha in photos {
                if still_referenced(tx, &sha)? {
                    continue;
                }
                tx.execute("DELETE FROM photos WHERE sha256 = ?1", [&sha])?;
                // Moved aside inside the transaction (so a report of the same picture
                // made after the commit writes a file of its own), removed after it.
                if trash(&dir, &sha) {
                    trashed.push(sha);
                }
            }
            report.photos = trashed.len() as u64;
            if report.cases > 0 {
                // Merges the search index's segments, so the deleted cases' words leave
                // the index instead of lingering behind deletion markers.
                tx.execute(
                    "INSERT INTO incidents_fts (incidents_fts) VALUES ('optimize')",
                    [],
                )?;
            }
            if !report.is_empty() {
                meta_set(tx, REWRITE_DUE, "1")?;
            }
            Ok((report, rewrite_due))
        });
        match result {
            Ok((report, rewrite_due)) => {
                for sha in &trashed {
                    // Best effort: a leftover is removed by the next purge.
                    let _ = fs::remove_file(trash_path(&dir, sha));
                }
                if !report.is_empty() || rewrite_due {
                    // Old copies of the rows (left in free space by earlier updates,
                    // such as the one that recorded the server's acceptance) go too.
                    // Should this fail, the purge stands and the next one rewrites.
                    self.db.compact()?;
                    self.db.write(|tx| {
                        tx.execute("DELETE FROM meta WHERE key = ?1", [REWRITE_DUE])?;
                        Ok(())
                    })?;
                }
                Ok(report)
            }
            Err(e) => {
                for sha in &trashed {
                    let _ = fs::rename(trash_path(&dir, sha), photo_path(&dir, sha));
                }
                Err(e)
            }
        }
    }
}

fn check_days(days: u32) -> Result<()> {
    if days == 0 || days > MAX_RETENTION_DAYS {
        return Err(Error::invalid(
            "retention",
            format!("days must be between 1 and {MAX_RETENTION_DAYS}, not {days}"),
        ));
    }
    Ok(())
}

/// The projection row a purge removes.
enum Row {
    Case(i64),
    Patrol(String),
}

/// The finished streams last changed before `cutoff`, with their rows. Cases with a
/// refused event or report are never candidates: the worker must see them.
fn candidates(conn: &Connection, cutoff: i64) -> Result<Vec<(String, Row)>> {
    let mut out = Vec::new();
    let mut cases = conn.prepare(
        "SELECT rowid, id FROM incidents
         WHERE status IN ('closed', 'cancelled') AND updated_at < ?1
           AND rejected_count = 0 AND report_rejected = 0",
    )?;
    for row in cases.query_map([cutoff], |r| {
        Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
    })? {
        let (rowid, id) = row?;
        out.push((format!("incident/{id}"), Row::Case(rowid)));
    }
    let mut patrols =
        conn.prepare("SELECT id FROM patrols WHERE status = 'finished' AND finished_at < ?1")?;
    for id in patrols.query_map([cutoff], |r| r.get::<_, String>(0))? {
        let id = id?;
        out.push((format!("patrol/{id}"), Row::Patrol(id)));
    }
    Ok(out)
}

/// Whether the server holds all of a stream: no event pending or refused, no photo of
/// it waiting for upload, no fix outside a synced track event.
fn held_whole(conn: &Connection, stream: &str) -> Result<bool> {
    let missing: i64 = conn
        .prepare_cached(
            "SELECT
               (SELECT count(*) FROM events
                 WHERE stream = ?1 AND (server_seq IS NULL OR rejected IS NOT NULL))
             + (SELECT count(*) FROM photos p WHERE p.uploaded = 0 AND EXISTS (
                 SELECT 1 FROM events e WHERE e.stream = ?1 AND instr(e.payload, p.sha256) > 0))
             + (SELECT count(*) FROM patrol_fixes
                 WHERE 'patrol/' || patrol = ?1 AND synced = 0)",
        )?
        .query_row([stream], |r| r.get(0))?;
    Ok(missing == 0)
}

/// The stored photos a stream's events reference.
fn stream_photos(conn: &Connection, stream: &str) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT sha256 FROM photos p WHERE EXISTS (
           SELECT 1 FROM events e WHERE e.stream = ?1 AND e.purged = 0
             AND instr(e.payload, p.sha256) > 0)",
    )?;
    let rows = stmt.query_map([stream], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Whether a photo is still referenced by an event or check-in that stays.
fn still_referenced(conn: &Connection, sha: &str) -> Result<bool> {
    let n: i64 = conn
        .prepare_cached(
            "SELECT (SELECT count(*) FROM events WHERE purged = 0 AND instr(payload, ?1) > 0)
                  + (SELECT count(*) FROM checkins WHERE instr(photo, ?1) > 0)",
        )?
        .query_row(params![sha], |r| r.get(0))?;
    Ok(n > 0)
}

fn trash_path(dir: &Path, sha: &str) -> std::path::PathBuf {
    dir.join(format!(".{sha}.purged"))
}

/// Moves a photo file aside; whether there was one.
fn trash(dir: &Path, sha: &str) -> bool {
    fs::rename(photo_path(dir, sha), trash_path(dir, sha)).is_ok()
}

/// Deals with photo files a purge moved aside and then could not finish with (the app
/// stopped between): put back when their row is still there (the purge was rolled back),
/// removed when it is gone (the purge was committed).
fn restore_or_drop_trash(conn: &Connection, dir: &Path) -> Result<()> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(sha) = name
            .strip_prefix('.')
            .and_then(|n| n.strip_suffix(".purged"))
        else {
            continue;
        };
        let kept: i64 = conn
            .prepare_cached("SELECT count(*) FROM photos WHERE sha256 = ?1")?
            .query_row([sha], |r| r.get(0))?;
        let _ = if kept > 0 {
            fs::rename(entry.path(), photo_path(dir, sha))
        } else {
            fs::remove_file(entry.path())
        };
    }
    Ok(())
}
