//! `gridwork admin backup` and `restore` for the SQLite backend.
//!
//! A backup is a folder:
//!
//! - `server.db`: the database, copied with SQLite's online backup API in one step,
//!   that is inside one read transaction. A server may go on serving and committing
//!   pushes meanwhile (WAL mode); the copy holds exactly the transactions committed
//!   when the step began, so every event comes with its projection rows and no push is
//!   half in it.
//! - `blobs/<sha256>`: the complete photos, copied *after* the database, each checked
//!   against its name while copied. Photos are immutable once complete and are never
//!   deleted, so every photo the server held when the database was copied is in the
//!   folder; unfinished uploads (`partial/`) are not copied (devices upload again).
//! - `backup.json`: what was copied, written last: a folder without it is not a
//!   backup.
//!
//! A restore checks the backup (the manifest, `PRAGMA integrity_check`, the event count),
//! refuses to replace an existing database unless forced, copies the database beside
//! the target, gives it a new incarnation ([`crate::incarnation`]) so devices know to
//! replay what the backup lacks, and moves it into place; the photos are added to the
//! blob folder (photos already there are kept).

use rusqlite::{backup::StepResult, params, Connection, OpenFlags};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::{
    io::{Read, Write},
    path::{Path, PathBuf},
    time::Duration,
};

/// The database file in a backup folder.
pub const DB_FILE: &str = "server.db";
/// The photo folder in a backup folder.
pub const BLOBS_DIR: &str = "blobs";
/// The manifest in a backup folder.
pub const MANIFEST: &str = "backup.json";

/// Why a backup or restore failed.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// SQLite failed.
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// Reading or writing files failed.
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    /// The backup folder is not a complete, sound backup.
    #[error("not a sound backup: {0}")]
    Invalid(String),
    /// Restoring would replace a database that exists.
    #[error("{0} exists: stop the server and pass --force to replace it")]
    Exists(String),
    /// The target database is in use.
    #[error("{0} is in use: stop the server first")]
    InUse(String),
    /// The backup folder exists and is not empty.
    #[error("{0} exists and is not empty: give a new folder")]
    NotEmpty(String),
}

/// What a backup holds (`backup.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// When it was taken, unix ms.
    pub taken_ms: i64,
    /// Events in the database copy.
    pub events: u64,
    /// The highest `server_seq` in it (0 when none).
    pub max_server_seq: i64,
    /// The incarnation of the database copied.
    pub incarnation: Option<String>,
    /// Photos copied.
    pub photos: u64,
    /// Their bytes.
    pub photo_bytes: u64,
    /// Files of the blob folder not copied because their bytes do not match their name.
    pub photos_skipped: u64,
}

/// What a restore did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Restored {
    /// The backup's manifest.
    pub manifest: Manifest,
    /// The restored database's new incarnation.
    pub incarnation: String,
    /// Photos added to the blob folder (the others were there already).
    pub photos_added: u64,
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Copies the whole database `src` into `dst` (a connection to a new file) in one
/// backup step, retrying while the source is locked.
fn copy_db(src: &Connection, dst: &mut Connection) -> Result<(), BackupError> {
    let backup = rusqlite::backup::Backup::new(src, dst)?;
    for _ in 0..600 {
        match backup.step(-1)? {
            StepResult::Done => return Ok(()),
            StepResult::More | StepResult::Busy | StepResult::Locked => {
                std::thread::sleep(Duration::from_millis(50))
            }
            _ => std::thread::sleep(Duration::from_millis(50)),
        }
    }
    Err(BackupError::Invalid(
        "the database stayed locked for 30 s".into(),
    ))
}

fn integrity(conn: &Connection) -> Result<(), BackupError> {
    let verdict: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
    if verdict != "ok" {
        return Err(BackupError::Invalid(format!("integrity_check: {verdict}")));
    }
    Ok(())
}

fn counts(conn: &Connection) -> Result<(u64, i64, Option<String>), BackupError> {
    let (events, max): (i64, i64) = conn.query_row(
        "SELECT count(*), COALESCE(MAX(server_seq), 0) FROM events",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let incarnation = conn
        .query_row(
            "SELECT value FROM settings WHERE key = ?1",
            [crate::incarnation::SETTING],
            |r| r.get(0),
        )
        .ok();
    Ok((events as u64, max, incarnation))
}

/// Copies `from` to `to` if its bytes hash to `sha`; false (and nothing left at `to`)
/// when they do not.
fn copy_checked(from: &Path, to: &Path, sha: &str) -> Result<Option<u64>, BackupError> {
    let tmp = to.with_extension("part");
    let mut input = std::fs::File::open(from)?;
    let mut output = std::fs::File::create(&tmp)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut size = 0u64;
    loop {
        let n = input.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        output.write_all(&buf[..n])?;
        size += n as u64;
    }
    output.sync_all()?;
    drop(output);
    if hex::encode(hasher.finalize()) != sha {
        std::fs::remove_file(&tmp)?;
        return Ok(None);
    }
    std::fs::rename(&tmp, to)?;
    Ok(Some(size))
}

/// Complete photos in a blob folder: files named by a SHA-256.
fn photos_in(dir: &Path) -> Result<Vec<(String, PathBuf)>, BackupError> {
    let mut out = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(e.into()),
    };
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().to_string();
        if crate::blobs::is_sha256(&name) && entry.file_type()?.is_file() {
            out.push((name, entry.path()));
        }
    }
    out.sort();
    Ok(out)
}

/// Backs up the SQLite database `db` and its blob folder `blobs` into the new folder
/// `out` (created; an existing one must be empty). Safe while a server serves `db`.
pub fn backup(db: &Path, blobs: &Path, out: &Path) -> Result<Manifest, BackupError> {
    if !db.is_file() {
        return Err(BackupError::Invalid(format!(
            "no database at {}",
            db.display()
        )));
    }
    if out.exists() && std::fs::read_dir(out)?.next().is_some() {
        return Err(BackupError::NotEmpty(out.display().to_string()));
    }
    std::fs::create_dir_all(out.join(BLOBS_DIR))?;
    let taken_ms = now_ms();
    // 1. The database, in one read transaction of the source.
    let src = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    src.busy_timeout(Duration::from_secs(10))?;
    let partial = out.join(format!("{DB_FILE}.part"));
    let mut dst = Connection::open(&partial)?;
    copy_db(&src, &mut dst)?;
    drop(src);
    integrity(&dst)?;
    let (events, max_server_seq, incarnation) = counts(&dst)?;
    dst.pragma_update(None, "journal_mode", "DELETE")?;
    drop(dst);
    std::fs::rename(&partial, out.join(DB_FILE))?;
    // 2. The photos, after the database: every photo complete when it was copied is
    //    still there now.
    let (mut photos, mut photo_bytes, mut photos_skipped) = (0, 0, 0);
    for (sha, path) in photos_in(blobs)? {
        match copy_checked(&path, &out.join(BLOBS_DIR).join(&sha), &sha)? {
            Some(size) => {
                photos += 1;
                photo_bytes += size;
            }
            None => photos_skipped += 1,
        }
    }
    // 3. The manifest, last.
    let manifest = Manifest {
        taken_ms,
        events,
        max_server_seq,
        incarnation,
        photos,
        photo_bytes,
        photos_skipped,
    };
    let text =
        serde_json::to_vec_pretty(&manifest).map_err(|e| BackupError::Invalid(e.to_string()))?;
    let tmp = out.join(format!("{MANIFEST}.part"));
    std::fs::write(&tmp, text)?;
    std::fs::File::open(&tmp)?.sync_all()?;
    std::fs::rename(tmp, out.join(MANIFEST))?;
    Ok(manifest)
}

/// Checks the backup folder `dir`: its manifest, the database's integrity and event
/// count, and that every photo it names is whole.
pub fn check(dir: &Path) -> Result<Manifest, BackupError> {
    let text = std::fs::read(dir.join(MANIFEST)).map_err(|e| {
        BackupError::Invalid(format!(
            "{}: {e} (an unfinished or foreign folder)",
            dir.join(MANIFEST).display()
        ))
    })?;
    let manifest: Manifest = serde_json::from_slice(&text)
        .map_err(|e| BackupError::Invalid(format!("{MANIFEST}: {e}")))?;
    let conn = Connection::open_with_flags(dir.join(DB_FILE), OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| BackupError::Invalid(format!("{DB_FILE}: {e}")))?;
    integrity(&conn)?;
    let (events, max, _) = counts(&conn)?;
    if (events, max) != (manifest.events, manifest.max_server_seq) {
        return Err(BackupError::Invalid(format!(
            "{DB_FILE} holds {events} events up to {max}; the manifest says {} up to {}",
            manifest.events, manifest.max_server_seq
        )));
    }
    let photos = photos_in(&dir.join(BLOBS_DIR))?;
    if photos.len() as u64 != manifest.photos {
        return Err(BackupError::Invalid(format!(
            "{} photos in {BLOBS_DIR}; the manifest says {}",
            photos.len(),
            manifest.photos
        )));
    }
    Ok(manifest)
}

/// Whether another connection (a running server) holds `db` open: leaving WAL mode
/// needs the only connection to the file, so SQLite stays in WAL and says so when
/// another one is open. (The database is about to be replaced anyway.)
fn in_use(db: &Path) -> Result<bool, BackupError> {
    let conn = Connection::open(db)?;
    conn.busy_timeout(Duration::from_millis(200))?;
    match conn.query_row("PRAGMA journal_mode = DELETE", [], |r| {
        r.get::<_, String>(0)
    }) {
        Ok(mode) => Ok(mode.eq_ignore_ascii_case("wal")),
        Err(rusqlite::Error::SqliteFailure(e, _))
            if matches!(
                e.code,
                rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
            ) =>
        {
            Ok(true)
        }
        // Not a database at all: nobody serves it.
        Err(rusqlite::Error::SqliteFailure(e, _))
            if e.code == rusqlite::ErrorCode::NotADatabase =>
        {
            Ok(false)
        }
        Err(e) => Err(e.into()),
    }
}

/// Restores the backup folder `dir` into the SQLite database `db` and the blob folder
/// `blobs`. Refuses to replace an existing `db` unless `force`, and always when it is
/// in use. The server must be stopped; start it again afterwards.
pub fn restore(dir: &Path, db: &Path, blobs: &Path, force: bool) -> Result<Restored, BackupError> {
    let manifest = check(dir)?;
    let side = |ext: &str| PathBuf::from(format!("{}{ext}", db.display()));
    if db.exists() {
        if !force {
            return Err(BackupError::Exists(db.display().to_string()));
        }
        if in_use(db)? {
            return Err(BackupError::InUse(db.display().to_string()));
        }
    }
    // The copy beside the target, with its new incarnation, checked, then moved.
    let staged = side(".restoring");
    let _ = std::fs::remove_file(&staged);
    let src = Connection::open_with_flags(dir.join(DB_FILE), OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let mut dst = Connection::open(&staged)?;
    copy_db(&src, &mut dst)?;
    drop(src);
    let incarnation = crate::incarnation::new_id();
    dst.execute(
        "INSERT INTO settings (key, value) VALUES (?1, ?2)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        params![crate::incarnation::SETTING, incarnation],
    )?;
    integrity(&dst)?;
    dst.pragma_update(None, "journal_mode", "DELETE")?;
    drop(dst);
    std::fs::File::open(&staged)?.sync_all()?;
    for ext in ["-wal", "-shm"] {
        match std::fs::remove_file(side(ext)) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e.into()),
        }
    }
    std::fs::rename(&staged, db)?;
    std::fs::create_dir_all(blobs)?;
    let mut photos_added = 0;
    for (sha, path) in photos_in(&dir.join(BLOBS_DIR))? {
        let target = blobs.join(&sha);
        if target.exists() {
            continue;
        }
        if copy_checked(&path, &target, &sha)?.is_some() {
            photos_added += 1;
        }
    }
    Ok(Restored {
        manifest,
        incarnation,
        photos_added,
    })
}
