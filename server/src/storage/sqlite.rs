//! The SQLite backend: one file, one writer connection behind a mutex (which makes
//! `server_seq` assignment serial and so commit order equal to `server_seq` order),
//! a few reader connections for pulls. WAL, `synchronous=FULL`: an acknowledged push
//! is on disk. Blocking calls run on tokio's blocking pool; pushes and contacts go to
//! the group committer, which commits every one waiting with one fsync
//! ([`group_commit`], docs/group-commit.md).

mod map;

use super::{
    case_list_sql, case_page, event_body, page, parse_event, parse_role, parse_scope_json,
    parse_view, quarantine_full, revokes,
    settings::{version_key, version_of, Cached, Parse, Reference},
    touched_cases, CaseFilter, CasePage, CaseRow, Dialect, Held, Quarantined, SqlArg, Storage,
    TokenOwner, MAX_QUARANTINE_PER_DEVICE,
};
use crate::mapview::{MapQuery, MapView};
use crate::projection::{fold_case, CaseView};
use crate::{
    account::Account,
    judge::{foreign_actor, judge, photo_refs, ChainHead, Known, Verdict},
    StorageError,
};
use async_trait::async_trait;

mod open311;
use gridwork_core::{catalog::Catalog, geo::Grid};
use gridwork_core::{
    model::{Event, Stream, GENESIS_HASH},
    sync::wire::{PullResponse, PushOutcome},
};
use rusqlite::{
    config::DbConfig, params, params_from_iter, Connection, OptionalExtension, TransactionBehavior,
};
use std::{
    collections::HashMap,
    path::Path,
    sync::{
        atomic::{AtomicBool, AtomicUsize, Ordering},
        Arc, Mutex,
    },
};

mod devices;
mod evaluation;
mod group_commit;
mod health;
mod patrols;
mod signing;

const READERS: usize = 4;
const SCHEMA_VERSION: i64 = 12;
/// The tables of schema version 2. A new database starts from it and takes every later
/// step, so a fresh database and an upgraded one are made by the very same statements.
const SCHEMA_V2: &str = "
CREATE TABLE events (
  server_seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  stream TEXT NOT NULL,
  device_id TEXT NOT NULL,
  device_seq INTEGER NOT NULL,
  actor_user TEXT NOT NULL,
  hash TEXT NOT NULL,
  body TEXT NOT NULL,
  received_ms INTEGER NOT NULL
) STRICT;
CREATE INDEX events_stream ON events(stream);
CREATE INDEX events_actor ON events(actor_user, server_seq);
CREATE TABLE quarantine (
  id TEXT PRIMARY KEY,
  device_id TEXT NOT NULL,
  device_seq INTEGER NOT NULL,
  hash TEXT NOT NULL,
  body TEXT NOT NULL,
  reason TEXT NOT NULL,
  received_ms INTEGER NOT NULL
) STRICT;
CREATE INDEX quarantine_device ON quarantine(device_id, device_seq);
CREATE TABLE devices (
  device_id TEXT PRIMARY KEY,
  last_seq INTEGER NOT NULL,
  last_hash TEXT NOT NULL,
  owner TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE TABLE stream_cells (
  stream TEXT NOT NULL,
  cell TEXT NOT NULL,
  PRIMARY KEY (stream, cell)
) STRICT;
CREATE TABLE accounts (
  name TEXT PRIMARY KEY,
  role TEXT NOT NULL,
  scope TEXT NOT NULL,
  password_hash TEXT
) STRICT;
CREATE TABLE tokens (
  digest TEXT PRIMARY KEY,
  name TEXT NOT NULL REFERENCES accounts(name) ON DELETE CASCADE,
  device_id TEXT NOT NULL,
  created_ms INTEGER NOT NULL
) STRICT;
CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;
";

/// Version 1 to 2: devices record the account they belong to, taken from the actor of
/// their chain head (`''` if it cannot be found: such a device is not owner-checked).
const MIGRATE_1_TO_2: &str = "
ALTER TABLE devices ADD COLUMN owner TEXT NOT NULL DEFAULT '';
UPDATE devices SET owner = COALESCE(
  (SELECT e.actor_user FROM events e
    WHERE e.device_id = devices.device_id AND e.hash = devices.last_hash LIMIT 1),
  (SELECT json_extract(q.body, '$.actor.user') FROM quarantine q
    WHERE q.device_id = devices.device_id AND q.hash = devices.last_hash LIMIT 1),
  '');
";

/// Version 2 to 3: the photos each user's accepted events reference (only those may be
/// uploaded), filled from the events held; and tokens speak for one device: tokens
/// `gridwork admin issue-token` issued without `--device` (recorded as
/// `issued-by-admin`) become unbound, each binding to the first device it pushes for.
const MIGRATE_2_TO_3: &str = "
CREATE TABLE blob_refs (
  sha256 TEXT NOT NULL,
  actor_user TEXT NOT NULL,
  PRIMARY KEY (sha256, actor_user)
) STRICT;
INSERT OR IGNORE INTO blob_refs (sha256, actor_user)
  SELECT json_extract(p.value, '$.sha256'), e.actor_user
  FROM events e, json_each(e.body, '$.payload.photos') p
  WHERE json_extract(p.value, '$.sha256') IS NOT NULL;
INSERT OR IGNORE INTO blob_refs (sha256, actor_user)
  SELECT json_extract(e.body, '$.payload.photo.sha256'), e.actor_user
  FROM events e WHERE json_extract(e.body, '$.payload.photo.sha256') IS NOT NULL;
UPDATE tokens SET device_id = '' WHERE device_id = 'issued-by-admin';
";

/// Version 3 to 4: the server's case view (filled by a rebuild in the same transaction).
const MIGRATE_3_TO_4: &str = "
CREATE TABLE cases (
  id TEXT PRIMARY KEY,
  cell TEXT NOT NULL,
  status TEXT NOT NULL,
  category TEXT NOT NULL,
  department TEXT,
  reporter TEXT NOT NULL,
  received_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  deadline_ms INTEGER,
  closed_ms INTEGER,
  search TEXT NOT NULL,
  view TEXT NOT NULL
) STRICT;
CREATE INDEX cases_cell ON cases(cell, received_ms);
CREATE INDEX cases_status ON cases(status, deadline_ms);
CREATE INDEX cases_received ON cases(received_ms, id);
";

/// Version 6 to 7: the report's point and first photo as columns, for the map's
/// overview (`GET /v1/map`), filled from the views held.
const MIGRATE_6_TO_7: &str = "
ALTER TABLE cases ADD COLUMN lat REAL NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN lon REAL NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN photo TEXT;
UPDATE cases SET lat = json_extract(view, '$.case.report.lat'),
  lon = json_extract(view, '$.case.report.lon'),
  photo = json_extract(view, '$.case.photos[0].sha256');
";

/// Version 8 to 9: accounts have a department and can be disabled; operators' changes
/// are written to an audit log.
const MIGRATE_8_TO_9: &str = "
ALTER TABLE accounts ADD COLUMN department TEXT;
ALTER TABLE accounts ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN last_sign_in_ms INTEGER;
CREATE TABLE audit (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  at_ms INTEGER NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  detail TEXT NOT NULL
) STRICT;
";

mod users;

struct Inner {
    writer: Mutex<Connection>,
    readers: Vec<Mutex<Connection>>,
    next_reader: AtomicUsize,
    reference: Reference,
    /// Whether pushes update the case and patrol views (always, but in a benchmark's
    /// baseline: [`SqliteStorage::skip_views_for_benchmarks`]).
    views: AtomicBool,
}

/// The SQLite storage backend.
#[derive(Clone)]
pub struct SqliteStorage {
    inner: Arc<Inner>,
    committer: Arc<group_commit::Committer>,
}

/// Statements each connection keeps prepared: a push's judgement and projection go
/// through more than rusqlite's default of 16, which then prepared each one again.
const STATEMENT_CACHE: usize = 128;

fn connect(path: &Path) -> Result<Connection, StorageError> {
    let conn = Connection::open(path)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(conn)
}

/// How much of the file a reader maps into memory instead of copying each page it
/// reads into its own 2 MB page cache (an evaluation reads a street's month, megabytes
/// of rows, on every request; docs/benchmarks.md). Address space, not memory: the
/// pages are the operating system's file cache, shared by the readers.
const READER_MMAP_BYTES: i64 = 1 << 30;

fn connect_reader(path: &Path) -> Result<Connection, StorageError> {
    let conn = connect(path)?;
    conn.pragma_update(None, "mmap_size", READER_MMAP_BYTES)?;
    // The same plan whatever the values bound: without it SQLite (built with STAT4)
    // prepared the cached pull statement again on every pull, as if it were new. No
    // reader query matches LIKE against a parameter or has statistics to plan by.
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    Ok(conn)
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

fn poisoned<T>(_: T) -> StorageError {
    StorageError::Task("a storage connection lock was poisoned".into())
}

impl SqliteStorage {
    /// For benchmarks only: from now on pushes judge and store events as always but
    /// leave the case and patrol views alone — the baseline that
    /// `benches/case_view.rs` measures the views' cost against, in the same run. A server
    /// never calls it (its views would fall behind its events until
    /// `gridwork admin rebuild`).
    #[doc(hidden)]
    pub fn skip_views_for_benchmarks(&self) {
        self.inner.views.store(false, Ordering::Relaxed);
    }

    /// Opens (creating if needed) the database file at `path`.
    pub async fn open(path: &Path) -> Result<Self, StorageError> {
        let path = path.to_path_buf();
        tokio::task::spawn_blocking(move || {
            let mut writer = connect(&path)?;
            // Each unit of a group commit is a savepoint: its sub-journal (the pages it
            // changed, to roll back to) stays in memory instead of a temporary file
            // written with a syscall per page (a fifth of the committer's CPU under
            // load). Durability is the WAL's; a sub-journal never outlives its unit.
            writer.pragma_update(None, "temp_store", "MEMORY")?;
            let version: i64 = writer.pragma_query_value(None, "user_version", |r| r.get(0))?;
            if version > SCHEMA_VERSION {
                return Err(StorageError::Corrupt(format!(
                    "server database schema version {version}, this build knows {SCHEMA_VERSION}"
                )));
            }
            // One transaction: every step from the stored version (a new database starts
            // at version 2's tables).
            let tx = writer.transaction_with_behavior(TransactionBehavior::Exclusive)?;
            let from = if version == 0 {
                tx.execute_batch(SCHEMA_V2)?;
                2
            } else {
                version
            };
            for (at, step) in [
                (1, MIGRATE_1_TO_2),
                (2, MIGRATE_2_TO_3),
                (3, MIGRATE_3_TO_4),
                (4, patrols::MIGRATE_4_TO_5),
                (5, open311::MIGRATE_5_TO_6),
                (6, MIGRATE_6_TO_7),
                (7, health::MIGRATE_7_TO_8),
                (8, MIGRATE_8_TO_9),
                (9, devices::MIGRATE_9_TO_10),
                (10, evaluation::MIGRATE_10_TO_11),
                (10, map::MIGRATE_10_TO_11),
                (11, evaluation::MIGRATE_11_TO_12),
                (11, signing::MIGRATE_11_TO_12),
            ] {
                if from <= at {
                    tx.execute_batch(step)?;
                }
            }
            if from < 4 {
                let catalog = current::<Catalog>(&tx, &Cached::default())?;
                rebuild(&tx, catalog.as_deref())?;
            }
            if (4..12).contains(&from) {
                evaluation::backfill(&tx)?;
            }
            if from < 5 {
                let grid = current::<Grid>(&tx, &Cached::default())?;
                patrols::rebuild(&tx, grid.as_deref())?;
            }
            tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
            tx.execute_batch(crate::incarnation::SQLITE_ENSURE)?;
            tx.commit()?;
            let readers = (0..READERS)
                .map(|_| connect_reader(&path).map(Mutex::new))
                .collect::<Result<Vec<_>, _>>()?;
            let inner = Arc::new(Inner {
                writer: Mutex::new(writer),
                readers,
                next_reader: AtomicUsize::new(0),
                reference: Reference::default(),
                views: AtomicBool::new(true),
            });
            let committer = Arc::new(group_commit::Committer::start(inner.clone())?);
            Ok(SqliteStorage { inner, committer })
        })
        .await
        .map_err(|e| StorageError::Task(e.to_string()))?
    }

    async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, StorageError> + Send + 'static,
    ) -> Result<T, StorageError> {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = inner.writer.lock().map_err(poisoned)?;
            f(&mut conn)
        })
        .await
        .map_err(|e| StorageError::Task(e.to_string()))?
    }

    async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, StorageError> + Send + 'static,
    ) -> Result<T, StorageError> {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let i = inner.next_reader.fetch_add(1, Ordering::Relaxed) % inner.readers.len();
            let mut conn = inner.readers[i].lock().map_err(poisoned)?;
            f(&mut conn)
        })
        .await
        .map_err(|e| StorageError::Task(e.to_string()))?
    }
}

/// A reference setting (grid, catalogue), from the cache when its version is unchanged.
/// One stored before versions were kept gets its version recorded here.
fn current<T: Parse>(
    tx: &rusqlite::Transaction<'_>,
    cache: &Cached<T>,
) -> Result<Option<std::sync::Arc<T>>, StorageError> {
    let setting = |key: &str| -> Result<Option<String>, StorageError> {
        Ok(tx
            .prepare_cached("SELECT value FROM settings WHERE key = ?1")?
            .query_row([key], |r| r.get(0))
            .optional()?)
    };
    let version = setting(T::VERSION_KEY)?;
    if let Some(value) = cache.cached(version.as_deref()) {
        return Ok(Some(value));
    }
    let text = setting(T::KEY)?;
    if let (None, Some(text)) = (&version, &text) {
        put_setting_in(tx, T::VERSION_KEY, &version_of(text))?;
    }
    cache.load(text)
}

/// Folds the case of `stream` again from its accepted events and stores its view.
/// `pushed` holds events of this transaction's push by id: those are taken as they are
/// instead of being parsed again from their stored text (which is their serialisation).
fn project_case(
    tx: &Connection,
    stream: &str,
    catalog: Option<&Catalog>,
    pushed: &HashMap<String, &Event>,
) -> Result<(), StorageError> {
    let mut stmt =
        tx.prepare_cached("SELECT id, body, received_ms FROM events WHERE stream = ?1")?;
    let mut rows = stmt.query([stream])?;
    let mut events = Vec::new();
    while let Some(r) = rows.next()? {
        let at = r.get::<_, i64>(2)?;
        let text = |i: usize| -> Result<&str, StorageError> {
            r.get_ref(i)?
                .as_str()
                .map_err(|e| StorageError::Corrupt(format!("event row: {e}")))
        };
        let id = text(0)?;
        let event = match pushed.get(id) {
            Some(e) => Event {
                server_seq: None,
                ..(*e).clone()
            },
            None => parse_event(text(1)?, None)?,
        };
        events.push((event, at));
    }
    let cell: String = tx
        .prepare_cached(
            "SELECT cell FROM stream_cells WHERE stream = ?1 AND cell NOT LIKE '@%' LIMIT 1",
        )?
        .query_row([stream], |r| r.get(0))
        .optional()?
        .unwrap_or_default();
    let Some(view) = fold_case(&events, &cell, catalog) else {
        return Ok(());
    };
    let row = CaseRow::of(&view)?;
    // One write of the row, its count of unresolved conflicts included (the conflicts
    // queue's partial index reads it).
    tx.prepare_cached(
        "INSERT INTO cases (id, cell, status, category, department, reporter, received_ms,
            updated_ms, deadline_ms, closed_ms, search, view, lat, lon, photo, open_conflicts)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)
         ON CONFLICT(id) DO UPDATE SET cell = excluded.cell, status = excluded.status,
           category = excluded.category, department = excluded.department,
           reporter = excluded.reporter, received_ms = excluded.received_ms,
           updated_ms = excluded.updated_ms, deadline_ms = excluded.deadline_ms,
           closed_ms = excluded.closed_ms, search = excluded.search, view = excluded.view,
           lat = excluded.lat, lon = excluded.lon, photo = excluded.photo,
           open_conflicts = excluded.open_conflicts",
    )?
    .execute(params![
        row.id,
        row.cell,
        row.status,
        row.category,
        row.department,
        row.reporter,
        row.received_ms,
        row.updated_ms,
        row.deadline_ms,
        row.closed_ms,
        row.search,
        row.view,
        row.lat,
        row.lon,
        row.photo,
        view.case.open_conflicts().count() as i64
    ])?;
    evaluation::write_copy(tx, &view)?;
    Ok(())
}

/// Folds every case again from the events held; returns how many there are.
fn rebuild(tx: &Connection, catalog: Option<&Catalog>) -> Result<u64, StorageError> {
    tx.execute("DELETE FROM cases", [])?;
    tx.execute("DELETE FROM case_eval", [])?;
    let streams: Vec<String> = tx
        .prepare("SELECT DISTINCT stream FROM events WHERE stream LIKE 'incident/%'")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for stream in &streams {
        project_case(tx, stream, catalog, &HashMap::new())?;
    }
    Ok(tx.query_row("SELECT count(*) FROM cases", [], |r| r.get::<_, i64>(0))? as u64)
}

fn put_setting_in(conn: &Connection, key: &str, value: &str) -> Result<(), StorageError> {
    conn.execute(
        "INSERT INTO settings (key, value) VALUES (?1, ?2)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )?;
    Ok(())
}

fn push_one(
    tx: &rusqlite::Transaction<'_>,
    account: &Account,
    event: &Event,
    grid: Option<&Grid>,
    catalog: Option<&Catalog>,
    received_ms: i64,
) -> Result<PushOutcome, StorageError> {
    judge_in(tx, account, event, grid, catalog, received_ms, false)
}

/// Judges and stores one event; with `rejudge`, one held in quarantine (see
/// [`devices::rejudge`]): judged against its own chain place, nothing stored when it
/// still fails, and the device's chain head left where it is.
fn judge_in(
    tx: &rusqlite::Transaction<'_>,
    account: &Account,
    event: &Event,
    grid: Option<&Grid>,
    catalog: Option<&Catalog>,
    received_ms: i64,
    rejudge: bool,
) -> Result<PushOutcome, StorageError> {
    if let Some(reason) = foreign_actor(account, event) {
        return Ok(PushOutcome::Rejected { reason });
    }
    let hash = event.hash();
    let id = event.id.to_string();
    if !rejudge {
        let held = tx
            .prepare_cached("SELECT actor_user, hash, server_seq FROM events WHERE id = ?1")?
            .query_row([&id], |r| {
                Ok(Held {
                    actor_user: r.get(0)?,
                    hash: r.get(1)?,
                    server_seq: Some(r.get(2)?),
                    reason: None,
                })
            })
            .optional()?;
        if let Some(held) = held {
            return signing::repeat(tx, account, held, event, &hash, received_ms);
        }
        let held: Option<(String, String, String)> = tx
            .prepare_cached("SELECT body, hash, reason FROM quarantine WHERE id = ?1")?
            .query_row([&id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?;
        if let Some((body, held_hash, reason)) = held {
            let held = Held {
                actor_user: parse_event(&body, None)?.actor.user,
                hash: held_hash,
                server_seq: None,
                reason: Some(reason),
            };
            return signing::repeat(tx, account, held, event, &hash, received_ms);
        }
    }
    let device = tx
        .prepare_cached(
            "SELECT last_seq, last_hash, owner, public_key, signed_from FROM devices
             WHERE device_id = ?1",
        )?
        .query_row([&event.device_id], |r| {
            Ok((
                ChainHead {
                    device_seq: r.get::<_, i64>(0)? as u64,
                    hash: r.get(1)?,
                },
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, i64>(4)?,
            ))
        })
        .optional()?;
    let (mut head, device_owner, device_key, signed_from) = match device {
        Some((head, owner, key, from)) => (
            Some(head),
            Some(owner).filter(|o| !o.is_empty()),
            key,
            from.max(0) as u64,
        ),
        None => (None, None, None, 0),
    };
    if rejudge {
        head = devices::chain_place(tx, event)?;
    }
    let stream = event.stream.to_string();
    // An incident's cell (from its accepted report), a patrol's owner (its first actor).
    let (case_cell, stream_owner) = match event.stream {
        Stream::Incident(_) => (
            tx.prepare_cached(
                "SELECT cell FROM stream_cells WHERE stream = ?1 AND cell NOT LIKE '@%' LIMIT 1",
            )?
            .query_row([&stream], |r| r.get(0))
            .optional()?,
            None,
        ),
        Stream::Patrol(_) => (
            None,
            tx.prepare_cached(
                "SELECT actor_user FROM events WHERE stream = ?1 ORDER BY server_seq LIMIT 1",
            )?
            .query_row([&stream], |r| r.get(0))
            .optional()?,
        ),
    };
    let case_departments = match event.stream {
        Stream::Incident(_) => tx
            .prepare_cached("SELECT cell FROM stream_cells WHERE stream = ?1 AND cell LIKE '@%'")?
            .query_map([&stream], |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<String>>>()?,
        Stream::Patrol(_) => Vec::new(),
    };
    let known = Known {
        head,
        device_owner,
        case_cell,
        case_departments,
        stream_owner,
        received_ms,
        device_key,
        signed_from,
    };
    let verdict = judge(account, event, &known, grid, catalog);
    let body = event_body(event)?;
    let device_seq = event.device_seq as i64;
    let (outcome, links) = match verdict {
        Verdict::Accept { cells } => {
            tx.prepare_cached("INSERT INTO events (id, stream, device_id, device_seq, actor_user, hash, body, received_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")?.execute(params![id, stream, event.device_id, device_seq, event.actor.user, hash, body, received_ms],
            )?;
            let server_seq = tx.last_insert_rowid();
            for cell in cells {
                tx.prepare_cached(
                    "INSERT OR IGNORE INTO stream_cells (stream, cell) VALUES (?1, ?2)",
                )?
                .execute(params![stream, cell])?;
            }
            let shas = photo_refs(event);
            for sha in &shas {
                tx.prepare_cached(
                    "INSERT OR IGNORE INTO blob_refs (sha256, actor_user) VALUES (?1, ?2)",
                )?
                .execute(params![sha, event.actor.user])?;
            }
            health::link_photos(tx, event, &shas)?;
            (PushOutcome::Accepted { server_seq }, true)
        }
        Verdict::Reject { reason, .. } if rejudge => return Ok(PushOutcome::Rejected { reason }),
        Verdict::Reject { reason, links } => {
            let held: i64 = tx
                .prepare_cached("SELECT count(*) FROM quarantine WHERE device_id = ?1")?
                .query_row([&event.device_id], |r| r.get(0))?;
            if held >= MAX_QUARANTINE_PER_DEVICE {
                return Ok(quarantine_full(&reason));
            }
            tx.prepare_cached("INSERT INTO quarantine (id, device_id, device_seq, hash, body, reason, received_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")?.execute(params![id, event.device_id, device_seq, hash, body, reason, received_ms],
            )?;
            (PushOutcome::Rejected { reason }, links)
        }
        // Not stored, the chain untouched.
        Verdict::Refuse { reason } => return Ok(PushOutcome::Rejected { reason }),
        Verdict::Flag { reason } => {
            if !rejudge {
                signing::flag(tx, &event.device_id, &reason, received_ms)?;
            }
            return Ok(PushOutcome::Rejected { reason });
        }
    };
    if links && !rejudge {
        // The judge refused unless the device is unowned or `account`'s.
        tx.prepare_cached(
            "INSERT INTO devices (device_id, last_seq, last_hash, owner) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(device_id) DO UPDATE SET last_seq = excluded.last_seq,
               last_hash = excluded.last_hash, owner = excluded.owner",
        )?
        .execute(params![event.device_id, device_seq, hash, account.user])?;
    }
    Ok(outcome)
}

/// Registers `device` to `user`, or claims it when it was recorded without an owner;
/// fails when it belongs to another account.
fn claim_device(
    tx: &rusqlite::Transaction<'_>,
    user: &str,
    device: &str,
) -> Result<(), StorageError> {
    let owner: String = tx.query_row(
        "INSERT INTO devices (device_id, last_seq, last_hash, owner) VALUES (?1, 0, ?2, ?3)
         ON CONFLICT(device_id) DO UPDATE SET owner = CASE WHEN devices.owner = ''
           THEN excluded.owner ELSE devices.owner END
         RETURNING owner",
        params![device, GENESIS_HASH, user],
        |r| r.get(0),
    )?;
    if owner != user {
        return Err(StorageError::DeviceTaken(device.to_string()));
    }
    Ok(())
}

fn account_row(
    r: &rusqlite::Row<'_>,
) -> rusqlite::Result<(String, String, String, Option<String>)> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
}

fn to_account(
    (user, role, scope, password_hash): (String, String, String, Option<String>),
) -> Result<Account, StorageError> {
    Ok(Account {
        user,
        role: parse_role(&role)?,
        scope: parse_scope_json(&scope)?,
        password_hash,
    })
}

/// The pull query for `n` prefixes, with `?1` after, `?2` user, `?3` limit, `?4..` prefixes.
fn pull_sql(n: usize) -> String {
    let prefixes: Vec<String> = (0..n)
        .map(|i| format!("substr(c.cell, 1, length(?{k})) = ?{k}", k = i + 4))
        .collect();
    let any = if prefixes.is_empty() {
        "0".to_string()
    } else {
        prefixes.join(" OR ")
    };
    format!(
        "SELECT server_seq, body FROM events e WHERE server_seq > ?1 AND (actor_user = ?2 OR EXISTS (
           SELECT 1 FROM stream_cells c WHERE c.stream = e.stream AND ({any})))
         ORDER BY server_seq LIMIT ?3"
    )
}

#[async_trait]
impl Storage for SqliteStorage {
    async fn push(
        &self,
        account: &Account,
        events: Vec<Event>,
    ) -> Result<Vec<PushOutcome>, StorageError> {
        let account = account.clone();
        let inner = self.inner.clone();
        // One unit of a group transaction (its own savepoint): committed with the
        // pushes waiting beside it, answered once that commit returned.
        self.committer
            .commit(move |tx| {
                let grid = current::<Grid>(tx, &inner.reference.grid)?;
                let catalog = current::<Catalog>(tx, &inner.reference.catalog)?;
                let received_ms = now_ms();
                let outcomes = events
                    .iter()
                    .map(|e| {
                        push_one(
                            tx,
                            &account,
                            e,
                            grid.as_deref(),
                            catalog.as_deref(),
                            received_ms,
                        )
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                if !inner.views.load(Ordering::Relaxed) {
                    return Ok(outcomes);
                }
                // The events this push stored, each id once (a repeat in the same push is
                // the same event: its hash matched the one stored).
                let mut pushed = HashMap::new();
                for (e, o) in events.iter().zip(&outcomes) {
                    if matches!(o, PushOutcome::Accepted { .. }) {
                        pushed.entry(e.id.to_string()).or_insert(e);
                    }
                }
                for stream in &touched_cases(&events, &outcomes) {
                    project_case(tx, stream, catalog.as_deref(), &pushed)?;
                }
                patrols::project_touched(tx, &events, &outcomes, grid.as_deref())?;
                Ok(outcomes)
            })
            .await
    }

    async fn pull(
        &self,
        account: &Account,
        after: i64,
        limit: u32,
    ) -> Result<PullResponse, StorageError> {
        let account = account.clone();
        self.read(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
            let top: i64 =
                tx.query_row("SELECT COALESCE(MAX(server_seq), 0) FROM events", [], |r| {
                    r.get(0)
                })?;
            let mut values: Vec<rusqlite::types::Value> = vec![
                after.into(),
                account.user.clone().into(),
                i64::from(limit).into(),
            ];
            values.extend(account.scope.iter().map(|p| p.clone().into()));
            // Cached per reader and scope length: parsing it was an eighth of a pull.
            let mut stmt = tx.prepare_cached(&pull_sql(account.scope.len()))?;
            let rows = stmt.query_map(params_from_iter(values), |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
            })?;
            let mut events = Vec::new();
            for row in rows {
                let (seq, body) = row?;
                events.push(parse_event(&body, Some(seq))?);
            }
            Ok(page(events, after, limit, top))
        })
        .await
    }

    async fn quarantine(&self, device_id: &str) -> Result<Vec<Quarantined>, StorageError> {
        let device_id = device_id.to_string();
        self.read(move |conn| {
            let mut stmt = conn.prepare(
                "SELECT body, reason FROM quarantine WHERE device_id = ?1 ORDER BY device_seq, received_ms",
            )?;
            let rows = stmt.query_map([device_id], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (body, reason) = row?;
                out.push(Quarantined {
                    event: parse_event(&body, None)?,
                    reason,
                });
            }
            Ok(out)
        })
        .await
    }

    async fn put_account(&self, account: &Account) -> Result<(), StorageError> {
        let account = account.clone();
        let scope = serde_json::to_string(&account.scope)
            .map_err(|e| StorageError::Invalid(e.to_string()))?;
        self.write(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let old = tx
                .query_row(
                    "SELECT name, role, scope, password_hash FROM accounts WHERE name = ?1",
                    [&account.user],
                    account_row,
                )
                .optional()?
                .map(to_account)
                .transpose()?;
            tx.execute(
                "INSERT INTO accounts (name, role, scope, password_hash) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(name) DO UPDATE SET role = excluded.role, scope = excluded.scope,
                   password_hash = excluded.password_hash",
                params![
                    account.user,
                    account.role.as_str(),
                    scope,
                    account.password_hash
                ],
            )?;
            if old.is_some_and(|old| revokes(&old, &account)) {
                tx.execute("DELETE FROM tokens WHERE name = ?1", [&account.user])?;
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn account(&self, user: &str) -> Result<Option<Account>, StorageError> {
        let user = user.to_string();
        self.read(move |conn| {
            conn.query_row(
                "SELECT name, role, scope, password_hash FROM accounts
                 WHERE name = ?1 AND disabled = 0",
                [user],
                account_row,
            )
            .optional()?
            .map(to_account)
            .transpose()
        })
        .await
    }

    async fn add_token(
        &self,
        user: &str,
        token_digest: &str,
        device_id: &str,
    ) -> Result<(), StorageError> {
        let (user, digest, device) = (
            user.to_string(),
            token_digest.to_string(),
            device_id.to_string(),
        );
        self.write(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let disabled: Option<i64> = tx
                .query_row(
                    "SELECT disabled FROM accounts WHERE name = ?1",
                    [&user],
                    |r| r.get(0),
                )
                .optional()?;
            match disabled {
                None => return Err(StorageError::NotFound(format!("no account named {user}"))),
                Some(0) => {}
                Some(_) => {
                    return Err(StorageError::Invalid(format!("account {user} is disabled")))
                }
            }
            if !device.is_empty() {
                claim_device(&tx, &user, &device)?;
            }
            let now = now_ms();
            tx.execute(
                "INSERT INTO tokens (digest, name, device_id, created_ms) VALUES (?1, ?2, ?3, ?4)",
                params![digest, user, device, now],
            )?;
            tx.execute(
                "UPDATE accounts SET last_sign_in_ms = ?1 WHERE name = ?2",
                params![now, user],
            )?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn bind_token(
        &self,
        token_digest: &str,
        device_id: &str,
    ) -> Result<String, StorageError> {
        let (digest, device) = (token_digest.to_string(), device_id.to_string());
        self.write(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let (user, bound): (String, String) = tx
                .query_row(
                    "SELECT name, device_id FROM tokens WHERE digest = ?1",
                    [&digest],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?
                .ok_or_else(|| StorageError::NotFound("no such token".into()))?;
            if !bound.is_empty() {
                return Ok(bound);
            }
            claim_device(&tx, &user, &device)?;
            tx.execute(
                "UPDATE tokens SET device_id = ?1 WHERE digest = ?2",
                params![device, digest],
            )?;
            tx.commit()?;
            Ok(device)
        })
        .await
    }

    async fn account_by_token(
        &self,
        token_digest: &str,
        issued_after_ms: i64,
    ) -> Result<Option<TokenOwner>, StorageError> {
        let digest = token_digest.to_string();
        self.read(move |conn| {
            // Every authenticated request asks it: prepared once per reader.
            conn.prepare_cached(
                "SELECT a.name, a.role, a.scope, a.password_hash, t.device_id,
                   d.wipe_requested_ms IS NOT NULL AND d.wiped_ms IS NULL, t.last_used_ms
                 FROM tokens t JOIN accounts a ON a.name = t.name
                   LEFT JOIN devices d ON d.device_id = t.device_id AND t.device_id <> ''
                 WHERE t.digest = ?1 AND t.created_ms > ?2 AND a.disabled = 0",
            )?
            .query_row(params![digest, issued_after_ms], |r| {
                Ok((
                    account_row(r)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, Option<bool>>(5)?,
                    r.get::<_, Option<i64>>(6)?,
                ))
            })
            .optional()?
            .map(|(row, device_id, wipe, last_used_ms)| {
                Ok(TokenOwner {
                    account: to_account(row)?,
                    device_id,
                    wipe_pending: wipe.unwrap_or(false),
                    last_used_ms,
                })
            })
            .transpose()
        })
        .await
    }

    async fn put_setting(&self, key: &str, value: &str) -> Result<(), StorageError> {
        let (key, value) = (key.to_string(), value.to_string());
        self.write(move |conn| {
            let tx = conn.transaction()?;
            put_setting_in(&tx, &key, &value)?;
            if let Some(version) = version_key(&key) {
                put_setting_in(&tx, version, &version_of(&value))?;
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn device_head(&self, device_id: &str) -> Result<Option<(u64, String)>, StorageError> {
        let device = device_id.to_string();
        self.read(move |conn| {
            Ok(conn
                .query_row(
                    "SELECT last_seq, last_hash FROM devices WHERE device_id = ?1",
                    [device],
                    |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, String>(1)?)),
                )
                .optional()?)
        })
        .await
    }

    async fn case_view(&self, id: uuid::Uuid) -> Result<Option<CaseView>, StorageError> {
        self.read(move |conn| {
            conn.query_row(
                "SELECT view FROM cases WHERE id = ?1",
                [id.to_string()],
                |r| r.get::<_, String>(0),
            )
            .optional()?
            .map(|v| parse_view(&v))
            .transpose()
        })
        .await
    }

    async fn case_views_received(
        &self,
        area: &str,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<CaseView>, StorageError> {
        let area = area.to_string();
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT view FROM cases WHERE received_ms >= ?1 AND received_ms < ?2
                   AND cell >= ?3 AND cell < ?4 ORDER BY id",
            )?;
            // A range on the cell code (served by `cases_cell`), not a function of it.
            let hi = format!("{area}\u{10FFFF}");
            let rows =
                stmt.query_map(params![from_ms, to_ms, area, hi], |r| r.get::<_, String>(0))?;
            rows.map(|v| parse_view(&v?)).collect()
        })
        .await
    }

    async fn eval_views_received(
        &self,
        area: &str,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<crate::evaluation::EvalCase>, StorageError> {
        self.eval_views_in(area, from_ms, to_ms).await
    }

    async fn case_views(&self) -> Result<Vec<CaseView>, StorageError> {
        self.read(|conn| {
            let mut stmt = conn.prepare("SELECT view FROM cases ORDER BY id")?;
            let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
            rows.map(|v| parse_view(&v?)).collect()
        })
        .await
    }

    async fn list_cases(&self, filter: &CaseFilter) -> Result<CasePage, StorageError> {
        let (sql, args) = case_list_sql(filter, Dialect::Sqlite);
        let limit = filter.limit;
        self.read(move |conn| {
            let args = args.into_iter().map(|a| match a {
                SqlArg::Text(t) => rusqlite::types::Value::Text(t),
                SqlArg::Int(i) => rusqlite::types::Value::Integer(i),
            });
            let mut stmt = conn.prepare_cached(&sql)?;
            let rows = stmt.query_map(params_from_iter(args), |r| r.get::<_, String>(0))?;
            let views = rows
                .map(|v| parse_view(&v?))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(case_page(views, limit))
        })
        .await
    }

    async fn case_map(&self, query: &MapQuery) -> Result<MapView, StorageError> {
        self.map_view(query).await
    }

    async fn case_events(&self, id: uuid::Uuid) -> Result<Vec<(Event, i64)>, StorageError> {
        let stream = Stream::Incident(id).to_string();
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT body, server_seq, received_ms FROM events WHERE stream = ?1
                 ORDER BY server_seq",
            )?;
            let rows = stmt.query_map([stream], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (body, seq, at) = row?;
                out.push((parse_event(&body, Some(seq))?, at));
            }
            Ok(out)
        })
        .await
    }

    async fn rebuild_cases(&self) -> Result<u64, StorageError> {
        let inner = self.inner.clone();
        self.write(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let catalog = current::<Catalog>(&tx, &inner.reference.catalog)?;
            let n = rebuild(&tx, catalog.as_deref())?;
            tx.commit()?;
            Ok(n)
        })
        .await
    }

    async fn patrol(
        &self,
        id: uuid::Uuid,
    ) -> Result<Option<crate::patrols::ProjectedPatrol>, StorageError> {
        self.patrol_in(id).await
    }

    async fn list_patrols(
        &self,
        filter: &crate::patrol_query::PatrolFilter,
    ) -> Result<super::PatrolPage, StorageError> {
        self.list_patrols_in(filter).await
    }

    async fn patrols_started(
        &self,
        area: &str,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<crate::patrols::ProjectedPatrol>, StorageError> {
        self.patrols_started_in(area, from_ms, to_ms).await
    }

    async fn patrol_views(&self) -> Result<Vec<crate::patrols::PatrolView>, StorageError> {
        self.patrol_views_in().await
    }

    async fn rebuild_patrols(&self) -> Result<u64, StorageError> {
        self.rebuild_patrols_in().await
    }

    async fn blob_referenced(&self, sha256: &str, user: &str) -> Result<bool, StorageError> {
        let (sha, user) = (sha256.to_string(), user.to_string());
        self.read(move |conn| {
            Ok(conn
                .query_row(
                    "SELECT 1 FROM blob_refs WHERE sha256 = ?1 AND actor_user = ?2",
                    [sha, user],
                    |_| Ok(()),
                )
                .optional()?
                .is_some())
        })
        .await
    }

    async fn user(&self, name: &str) -> Result<Option<super::UserRecord>, StorageError> {
        users::user(self, name).await
    }

    async fn users(&self) -> Result<Vec<super::UserListing>, StorageError> {
        users::users(self).await
    }

    async fn save_user(
        &self,
        user: &super::UserRecord,
        create: bool,
        audit: &super::AuditEntry,
    ) -> Result<(), StorageError> {
        users::save_user(self, user, create, audit).await
    }

    async fn record_audit(&self, entry: &super::AuditEntry) -> Result<(), StorageError> {
        users::record_audit(self, entry).await
    }

    async fn audit_log(&self, limit: u32) -> Result<Vec<super::AuditEntry>, StorageError> {
        users::audit_log(self, limit).await
    }

    async fn device_signing(
        &self,
        device_id: &str,
    ) -> Result<Option<super::signing::DeviceSigning>, StorageError> {
        let device_id = device_id.to_string();
        self.read(move |conn| signing::device_signing(conn, &device_id))
            .await
    }

    async fn bind_device_key(
        &self,
        device_id: &str,
        public_key: &str,
    ) -> Result<Option<String>, StorageError> {
        let (device_id, key) = (device_id.to_string(), public_key.to_string());
        self.write(move |conn| signing::bind_device_key(conn, &device_id, &key))
            .await
    }

    async fn device_admin(&self) -> Result<Vec<super::devices::DeviceAdmin>, StorageError> {
        self.read(|conn| devices::device_admin(conn)).await
    }

    async fn tokens(
        &self,
        user: Option<&str>,
    ) -> Result<Vec<super::devices::TokenRecord>, StorageError> {
        let user = user.map(str::to_string);
        self.read(move |conn| devices::tokens(conn, user.as_deref()))
            .await
    }

    async fn revoke_tokens(
        &self,
        which: &super::devices::Revoke,
        audit: &super::AuditEntry,
    ) -> Result<u64, StorageError> {
        let (which, audit) = (which.clone(), audit.clone());
        self.write(move |conn| devices::revoke_tokens(conn, &which, &audit))
            .await
    }

    async fn token_used(&self, token_digest: &str, now_ms: i64) -> Result<(), StorageError> {
        let digest = token_digest.to_string();
        self.write(move |conn| devices::token_used(conn, &digest, now_ms))
            .await
    }

    async fn request_wipe(
        &self,
        device_id: &str,
        audit: &super::AuditEntry,
    ) -> Result<(), StorageError> {
        let (device, audit) = (device_id.to_string(), audit.clone());
        self.write(move |conn| devices::request_wipe(conn, &device, &audit))
            .await
    }

    async fn confirm_wipe(
        &self,
        device_id: &str,
        audit: &super::AuditEntry,
    ) -> Result<(), StorageError> {
        let (device, audit) = (device_id.to_string(), audit.clone());
        self.write(move |conn| devices::confirm_wipe(conn, &device, &audit))
            .await
    }

    async fn rejudge(
        &self,
        device_id: &str,
        actor: &str,
    ) -> Result<super::devices::Rejudged, StorageError> {
        let (device, actor) = (device_id.to_string(), actor.to_string());
        let inner = self.inner.clone();
        self.write(move |conn| devices::rejudge(conn, &inner.reference, &device, &actor))
            .await
    }

    async fn ping(&self) -> Result<(), StorageError> {
        self.read(|conn| Ok(conn.query_row("SELECT 1", [], |r| r.get::<_, i64>(0))?))
            .await
            .map(|_| ())
    }

    async fn setting(&self, key: &str) -> Result<Option<String>, StorageError> {
        let key = key.to_string();
        self.read(move |conn| {
            // Pushes and pulls read the incarnation and reference versions each time.
            Ok(conn
                .prepare_cached("SELECT value FROM settings WHERE key = ?1")?
                .query_row([key], |r| r.get(0))
                .optional()?)
        })
        .await
    }

    async fn record_contact(&self, contact: &crate::health::Contact) -> Result<(), StorageError> {
        let contact = contact.clone();
        self.committer
            .commit(move |tx| health::record_contact(tx, &contact))
            .await
    }

    async fn device_records(&self) -> Result<Vec<crate::health::DeviceRecord>, StorageError> {
        self.read(|conn| health::device_records(conn)).await
    }

    async fn photos_complete(&self, sha256: &[String]) -> Result<(), StorageError> {
        let shas = sha256.to_vec();
        self.write(move |conn| health::photos_complete(conn, &shas))
            .await
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[tokio::test]
    async fn version_1_databases_learn_their_device_owners() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v1.db");
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(&v2_schema().replace(",\n  owner TEXT NOT NULL DEFAULT ''", ""))
                .unwrap();
            conn.execute_batch(
                "INSERT INTO events (id, stream, device_id, device_seq, actor_user, hash, body, received_ms)
                   VALUES ('e1', 's', 'phone-li', 1, 'li', 'h1', '{}', 0);
                 INSERT INTO quarantine (id, device_id, device_seq, hash, body, reason, received_ms)
                   VALUES ('q1', 'phone-zhao', 1, 'h2', '{\"actor\":{\"user\":\"zhao\"}}', 'r', 0);
                 INSERT INTO devices VALUES ('phone-li', 1, 'h1'), ('phone-zhao', 1, 'h2'),
                   ('phone-lost', 3, 'h3');
                 PRAGMA user_version = 1;",
            )
            .unwrap();
        }
        let s = SqliteStorage::open(&path).await.unwrap();
        let owners = s
            .read(|conn| {
                let mut stmt = conn.prepare("SELECT owner FROM devices ORDER BY device_id")?;
                let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
                Ok(rows.collect::<Result<Vec<_>, _>>()?)
            })
            .await
            .unwrap();
        assert_eq!(owners, ["li", "", "zhao"]);
        drop(s);
        // Opening again is a no-op.
        SqliteStorage::open(&path).await.unwrap();
        // The upgraded schema is a new database's, statement for statement.
        let fresh = dir.path().join("fresh.db");
        SqliteStorage::open(&fresh).await.unwrap();
        assert_eq!(schema_of(&path), schema_of(&fresh));
    }

    /// Every table's columns (name, type, not null, default, key) and every index's
    /// statement: what a database holds, whether made at once or by `ALTER TABLE`.
    fn schema_of(path: &Path) -> Vec<String> {
        let conn = Connection::open(path).unwrap();
        let mut stmt = conn
            .prepare(
                "SELECT m.type, m.name, COALESCE(m.sql, ''), p.name, p.type, p.\"notnull\",
                   COALESCE(p.dflt_value, ''), p.pk
                 FROM sqlite_master m LEFT JOIN pragma_table_info(m.name) p
                 WHERE m.name NOT LIKE 'sqlite_%'
                 ORDER BY m.type, m.name, p.name",
            )
            .unwrap();
        let rows = stmt
            .query_map([], |r| {
                let kind: String = r.get(0)?;
                let name: String = r.get(1)?;
                Ok(if kind == "index" {
                    format!("index {name}: {}", r.get::<_, String>(2)?)
                } else {
                    format!(
                        "{kind} {name}.{}: {} notnull={} default={} pk={}",
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, i64>(5)?,
                        r.get::<_, String>(6)?,
                        r.get::<_, i64>(7)?
                    )
                })
            })
            .unwrap();
        rows.collect::<Result<_, _>>().unwrap()
    }

    /// The schema of version 2: version 3 added `blob_refs`.
    fn v2_schema() -> String {
        SCHEMA_V2.to_string()
    }

    #[tokio::test]
    async fn version_2_databases_learn_which_photos_their_events_reference() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v2.db");
        let photo = |c: char| c.to_string().repeat(64);
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(&v2_schema()).unwrap();
            let report = serde_json::json!({"payload": {"photos": [
                {"sha256": photo('a'), "size": 3, "mime": "image/jpeg"},
                {"sha256": photo('b'), "size": 3, "mime": "image/jpeg"}]}});
            let checkin = serde_json::json!({"payload": {"photo":
                {"sha256": photo('c'), "size": 3, "mime": "image/jpeg"}}});
            let plain = serde_json::json!({"payload": {"note": "x"}});
            for (i, (user, body)) in [("li", report), ("zhao", checkin), ("li", plain)]
                .into_iter()
                .enumerate()
            {
                conn.execute(
                    "INSERT INTO events (id, stream, device_id, device_seq, actor_user, hash, body, received_ms)
                     VALUES (?1, 's', 'd', ?2, ?3, 'h', ?4, 0)",
                    params![format!("e{i}"), i as i64 + 1, user, body.to_string()],
                )
                .unwrap();
            }
            conn.pragma_update(None, "user_version", 2).unwrap();
        }
        let s = SqliteStorage::open(&path).await.unwrap();
        assert!(s.blob_referenced(&photo('a'), "li").await.unwrap());
        assert!(s.blob_referenced(&photo('b'), "li").await.unwrap());
        assert!(s.blob_referenced(&photo('c'), "zhao").await.unwrap());
        assert!(!s.blob_referenced(&photo('a'), "zhao").await.unwrap());
        assert!(!s.blob_referenced(&photo('c'), "li").await.unwrap());
    }

    #[tokio::test]
    async fn version_2_admin_tokens_become_unbound_and_others_stay_bound() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v2.db");
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(&v2_schema()).unwrap();
            conn.execute_batch(
                "INSERT INTO accounts VALUES ('li', 'worker', '[\"\"]', NULL);
                 INSERT INTO tokens VALUES ('d-admin', 'li', 'issued-by-admin', 0),
                   ('d-login', 'li', 'phone-li', 0);
                 PRAGMA user_version = 2;",
            )
            .unwrap();
        }
        let s = SqliteStorage::open(&path).await.unwrap();
        let device = |d: &'static str| {
            let s = s.clone();
            async move { s.account_by_token(d, -1).await.unwrap().unwrap().device_id }
        };
        assert_eq!(device("d-admin").await, "");
        assert_eq!(device("d-login").await, "phone-li");
        // The unbound token binds to the first device it pushes for, then stays there.
        assert_eq!(s.bind_token("d-admin", "phone-2").await.unwrap(), "phone-2");
        assert_eq!(s.bind_token("d-admin", "phone-3").await.unwrap(), "phone-2");
        drop(s);
        SqliteStorage::open(&path).await.unwrap();
    }
}
