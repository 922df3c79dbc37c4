//! The store's schema and its migrations.
//!
//! The version lives in `PRAGMA user_version`. Each migration takes the schema one step,
//! from version `i` to `i + 1`, inside the same transaction that bumps the version, so a
//! crash mid-upgrade leaves the old schema intact. A test upgrades a frozen copy of every
//! earlier schema and compares it with a fresh one.

use rusqlite::Transaction;

/// Schema version 1: the event log, its projections of incidents, photos and metadata.
pub(crate) const V1: &str = r#"
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE events (
    seq           INTEGER PRIMARY KEY,           -- local arrival order
    id            TEXT NOT NULL UNIQUE,          -- UUIDv7, the idempotency key
    stream        TEXT NOT NULL,
    kind          TEXT NOT NULL,
    hlc_wall      INTEGER NOT NULL,
    hlc_counter   INTEGER NOT NULL,
    device_id     TEXT NOT NULL,
    actor_user    TEXT NOT NULL,
    actor_role    TEXT NOT NULL,
    device_seq    INTEGER NOT NULL,
    prev_hash     TEXT NOT NULL,
    hash          TEXT NOT NULL,
    payload       TEXT NOT NULL,
    server_seq    INTEGER,                        -- NULL: still in the outbox
    rejected      TEXT,                           -- the server's reason, when rejected
    UNIQUE (device_id, device_seq)
) STRICT;
CREATE INDEX events_by_stream ON events (stream, hlc_wall, hlc_counter, device_id, id);
CREATE INDEX events_outbox ON events (seq) WHERE server_seq IS NULL AND rejected IS NULL;

CREATE TABLE photos (
    sha256   TEXT PRIMARY KEY,
    size     INTEGER NOT NULL,
    mime     TEXT NOT NULL,
    uploaded INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE categories (
    code  TEXT PRIMARY KEY,
    json  TEXT NOT NULL
) STRICT;

CREATE TABLE cells (
    code      TEXT PRIMARY KEY,
    name      TEXT NOT NULL
) STRICT;

CREATE TABLE incidents (
    id            TEXT PRIMARY KEY,
    status        TEXT NOT NULL,
    category      TEXT NOT NULL,
    cell          TEXT,
    district      TEXT,                           -- cell code prefixes, for area lists
    street        TEXT,
    community     TEXT,
    lat           REAL NOT NULL,
    lon           REAL NOT NULL,
    urgency       TEXT NOT NULL,
    description   TEXT NOT NULL,
    reporter      TEXT NOT NULL,
    department    TEXT,
    handler       TEXT,
    reported_at   INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    deadline      INTEGER,
    rework_count  INTEGER NOT NULL,
    conflict_count INTEGER NOT NULL,
    state         TEXT NOT NULL                   -- the whole folded case, JSON
) STRICT;
CREATE INDEX incidents_by_time ON incidents (reported_at DESC, id DESC);
CREATE INDEX incidents_by_cell ON incidents (cell, reported_at DESC, id DESC);
CREATE INDEX incidents_by_district ON incidents (district, reported_at DESC, id DESC);
CREATE INDEX incidents_by_street ON incidents (street, reported_at DESC, id DESC);
CREATE INDEX incidents_by_community ON incidents (community, reported_at DESC, id DESC);
CREATE INDEX incidents_by_status ON incidents (status, reported_at DESC, id DESC);
CREATE INDEX incidents_by_deadline ON incidents (status, deadline);

CREATE VIRTUAL TABLE incidents_fts USING fts5 (text, tokenize = 'unicode61');
"#;

/// Schema version 2: patrols, their full-resolution fixes and check-ins.
///
/// The fixes table holds every fix the shell delivered (the full track stays on the
/// device); the synced `patrol.track` events carry the simplified track.
pub(crate) const V2: &str = r#"
CREATE TABLE patrols (
    id            TEXT PRIMARY KEY,
    worker        TEXT NOT NULL,
    device_id     TEXT NOT NULL,
    status        TEXT NOT NULL,                  -- active, paused, finished
    cells         TEXT NOT NULL,                  -- JSON array of cell codes
    started_at    INTEGER NOT NULL,
    finished_at   INTEGER,
    ingest_state  TEXT NOT NULL,                  -- JSON: the integrity check's memory
    fix_count     INTEGER NOT NULL DEFAULT 0,
    flagged_count INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE UNIQUE INDEX patrols_one_open_per_worker ON patrols (worker)
    WHERE status IN ('active', 'paused');
CREATE INDEX patrols_by_time ON patrols (started_at DESC);

CREATE TABLE patrol_fixes (
    patrol     TEXT NOT NULL REFERENCES patrols (id),
    time_ms    INTEGER NOT NULL,
    lat        REAL NOT NULL,
    lon        REAL NOT NULL,
    accuracy_m REAL NOT NULL,
    speed_mps  REAL,
    bearing    REAL,
    altitude_m REAL,
    provider   TEXT NOT NULL,
    mock       INTEGER NOT NULL,
    flags      INTEGER NOT NULL,
    synced     INTEGER NOT NULL DEFAULT 0,        -- 1 once in a patrol.track event
    PRIMARY KEY (patrol, time_ms)
) STRICT, WITHOUT ROWID;
CREATE INDEX patrol_fixes_unsynced ON patrol_fixes (patrol, time_ms) WHERE synced = 0;

CREATE TABLE checkins (
    id        TEXT PRIMARY KEY,                   -- the patrol.checkin event id
    patrol    TEXT NOT NULL REFERENCES patrols (id),
    time_ms   INTEGER NOT NULL,
    lat       REAL NOT NULL,
    lon       REAL NOT NULL,
    note      TEXT,
    photo     TEXT
) STRICT;
CREATE INDEX checkins_by_patrol ON checkins (patrol, time_ms);
"#;

/// Schema version 3: what the server refused, on the case rows; patrols pulled from
/// other devices.
///
/// `rejected_count` counts the case's events the server refused (they are left out of
/// the fold, as on every other replica); `rejection` says what the latest of them was
/// and why; `report_rejected` marks a case whose report itself was refused, which exists
/// only on this device. A pulled patrol (`remote = 1`) is rebuilt from its synced events
/// and never recorded on here; only this device's own patrols are limited to one open
/// per worker.
pub(crate) const V3: &str = r#"
ALTER TABLE incidents ADD COLUMN rejected_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE incidents ADD COLUMN rejection TEXT;
ALTER TABLE incidents ADD COLUMN report_rejected INTEGER NOT NULL DEFAULT 0;
CREATE INDEX incidents_rejected ON incidents (reported_at DESC, id DESC)
    WHERE rejected_count > 0;

ALTER TABLE patrols ADD COLUMN remote INTEGER NOT NULL DEFAULT 0;
DROP INDEX patrols_one_open_per_worker;
CREATE UNIQUE INDEX patrols_one_open_per_worker ON patrols (worker)
    WHERE status IN ('active', 'paused') AND remote = 0;
"#;

/// Schema version 4: the department a handler acted for, part of the signed actor
/// (`NULL` for every event recorded before departments were accounts, and for other
/// roles).
pub(crate) const V4: &str = r#"
ALTER TABLE events ADD COLUMN actor_department TEXT;
"#;

/// Schema version 5: each event's Ed25519 signature over its hash, by the device that
/// recorded it (`NULL` for events recorded before devices signed), and events whose
/// contents a retention purge dropped (`purged = 1`: the envelope, hashes and signature
/// stay, the payload is `null` and the actor's name empty; see `store::retention`).
pub(crate) const V5: &str = r#"
ALTER TABLE events ADD COLUMN signature TEXT;
ALTER TABLE events ADD COLUMN purged INTEGER NOT NULL DEFAULT 0;
"#;

/// Schema version 6: every file of `photos/` with its size and last use, for the photo
/// cache's size budget (docs/photos.md): photos and thumbnails taken here (which also
/// have a `photos` row, for their upload) and those downloaded from the server.
/// `thumb = 1` marks a thumbnail. Eviction removes the least recently used files but
/// never one whose `photos` row says it is not uploaded yet.
pub(crate) const V6: &str = r#"
CREATE TABLE photo_files (
    sha256    TEXT PRIMARY KEY,
    size      INTEGER NOT NULL,
    thumb     INTEGER NOT NULL DEFAULT 0,
    last_used INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX photo_files_by_use ON photo_files (thumb, last_used);
INSERT INTO photo_files (sha256, size) SELECT sha256, size FROM photos;
"#;

/// Schema version 7: the files the thumbnail pass still has to download
/// (`store::photo_wanted`): a thumbnail (`thumb = 1`) or a small photo without one,
/// the photo it stands for, the newest event `seq` naming it (newest first), and how
/// often the server did not have it, with the time of the next try. Filled from the
/// events stored since the meta key `photo_scan_seq`; a store upgraded to it looks at
/// its whole log once.
pub(crate) const V7: &str = r#"
CREATE TABLE photo_wanted (
    sha256   TEXT PRIMARY KEY,
    size     INTEGER NOT NULL,
    thumb    INTEGER NOT NULL,
    photo    TEXT NOT NULL,
    seq      INTEGER NOT NULL,
    misses   INTEGER NOT NULL DEFAULT 0,
    next_try INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX photo_wanted_by_photo ON photo_wanted (photo);
"#;

/// Version 8: the device's refused events are found through their own index, so the
/// outbox counts a sync reports do not read the device's whole history.
pub(crate) const V8: &str = r#"
CREATE INDEX events_rejected ON events (device_id) WHERE rejected IS NOT NULL;
"#;

/// The migrations: `MIGRATIONS[i]` takes the schema from version `i` to `i + 1`.
pub(crate) const MIGRATIONS: &[&str] = &[V1, V2, V3, V4, V5, V6, V7, V8];

/// The first version whose projections leave out what the server refused and show
/// patrols pulled from others. A store upgraded from before it has its projections
/// rebuilt from the log once (`db::rebuild_after_upgrade`).
pub(crate) const REFOLD_VERSION: u32 = 3;

/// The schema version this build writes.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// Runs the migrations from `from` up to [`SCHEMA_VERSION`], each in the given
/// transaction, and records the new version.
pub(crate) fn migrate(tx: &Transaction<'_>, from: u32) -> rusqlite::Result<()> {
    for step in MIGRATIONS.iter().skip(from as usize) {
        tx.execute_batch(step)?;
    }
    tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    Ok(())
}
