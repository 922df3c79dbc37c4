//! The SQLite database behind a store: one writer connection and one reader connection,
//! each behind a mutex, with closures that own the transaction.
//!
//! WAL lets the reader run while the writer commits. The writer uses
//! `synchronous=FULL`, so a write that returned is on disk and survives power loss.

pub(crate) mod events;
pub(crate) mod incidents;
pub(crate) mod schema;

pub use events::{ChainReport, DeviceChain, StoredEvent};
pub use incidents::{CaseSummary, ListFilter, Page, PageCursor};
pub use schema::SCHEMA_VERSION;

pub(crate) use events::{append_local, insert_remote, stream_events, verify_chains, Stored};
pub(crate) use incidents::{
    counts, fold_new_case, list, refold_case, refold_case_into, SearchRows,
};

use crate::error::{Error, Result};
use rusqlite::{Connection, InterruptHandle, OpenFlags, Transaction, TransactionBehavior};
use std::{
    path::{Path, PathBuf},
    sync::{Mutex, MutexGuard},
    time::Duration,
};

/// The database file inside a store's folder.
pub const DB_FILE: &str = "gridwork.db";

/// A store's database: a writer and a reader connection.
pub struct Db {
    path: PathBuf,
    writer: Mutex<Connection>,
    reader: Mutex<Connection>,
    reader_interrupt: InterruptHandle,
}

impl Db {
    /// Opens (creating if needed) the database file and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Db> {
        Self::open_keyed(path, None)
    }

    /// Opens the database file encrypted with `key` (SQLCipher), or plain when `None`.
    ///
    /// `key` is either a passphrase, from which SQLCipher derives the page key with
    /// PBKDF2-HMAC-SHA512 (256,000 iterations: about 40 ms per connection on a desktop
    /// core, several times that on a phone), or a raw 256-bit key written as SQLCipher spells
    /// it, `x'` + 64 hex digits + `'`, which skips the derivation: use a raw key when the
    /// key is random (the shells keep one in the platform keystore). Anything starting
    /// with `x'` that is not such a key is refused as invalid input.
    ///
    /// A key on a build without encryption is refused with
    /// [`Error::EncryptionUnavailable`]; a wrong key, or a key for a plain file, with
    /// [`Error::Open`].
    pub fn open_keyed(path: &Path, key: Option<&str>) -> Result<Db> {
        // SQLCipher's crypto provider lives in gridwork-sqlcipher's Rust code: keep it linked.
        #[cfg(feature = "encryption")]
        gridwork_sqlcipher::link();
        let open_err = |reason: String| Error::Open {
            path: path.to_path_buf(),
            reason,
        };
        if let Some(key) = key {
            check_key(key)?;
        }
        let mut writer = Connection::open(path).map_err(|e| open_err(e.to_string()))?;
        apply_key(&writer, key)?;
        configure(&writer, true).map_err(|e| {
            open_err(if key.is_some() {
                format!("wrong key, or not an encrypted gridwork store ({e})")
            } else {
                format!("not a gridwork store, or an encrypted one opened without its key ({e})")
            })
        })?;
        let version: u32 = writer
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(|e| open_err(format!("not a gridwork store ({e})")))?;
        if version > SCHEMA_VERSION {
            return Err(open_err(format!(
                "schema version {version} is newer than this build understands ({SCHEMA_VERSION}); update the app"
            )));
        }
        if version < SCHEMA_VERSION {
            let tx = writer
                .transaction_with_behavior(TransactionBehavior::Exclusive)
                .map_err(|e| open_err(e.to_string()))?;
            schema::migrate(&tx, version)
                .map_err(|e| open_err(format!("migration failed: {e}")))?;
            if version > 0 && version < schema::REFOLD_VERSION {
                rebuild_after_upgrade(&tx)
                    .map_err(|e| open_err(format!("migration failed: {e}")))?;
            }
            tx.commit().map_err(|e| open_err(e.to_string()))?;
        }
        let reader = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| open_err(e.to_string()))?;
        apply_key(&reader, key)?;
        configure(&reader, false).map_err(|e| open_err(e.to_string()))?;
        let reader_interrupt = reader.get_interrupt_handle();
        Ok(Db {
            path: path.to_path_buf(),
            writer: Mutex::new(writer),
            reader: Mutex::new(reader),
            reader_interrupt,
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` in a write transaction (`BEGIN IMMEDIATE`) and commits when it returns
    /// `Ok`; rolls back otherwise, leaving the store unchanged.
    pub fn write<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut conn = lock(&self.writer);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }

    /// Like [`Db::write`], but the commit is not synced to disk at once
    /// (`synchronous=NORMAL` in WAL mode): it survives the app crashing, and reaches the
    /// disk at the next synced commit or checkpoint. For high-volume data whose newest
    /// commits may be lost to a power cut (GPS fixes), never for a user's report.
    pub fn write_relaxed<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        self.write_relaxed_unless(|_| Ok(false), f)
    }

    /// Like [`Db::write_relaxed`], unless `full` (asked on the writer connection, under
    /// the same lock, before the transaction begins) says this commit must be synced
    /// as [`Db::write`] does.
    pub fn write_relaxed_unless<T>(
        &self,
        full: impl FnOnce(&Connection) -> Result<bool>,
        f: impl FnOnce(&Transaction<'_>) -> Result<T>,
    ) -> Result<T> {
        let mut conn = lock(&self.writer);
        if full(&conn)? {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let out = f(&tx)?;
            tx.commit()?;
            return Ok(out);
        }
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        let out: Result<T> = (|| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let out = f(&tx)?;
            tx.commit()?;
            Ok(out)
        })();
        let restored = conn.pragma_update(None, "synchronous", "FULL");
        let out = out?;
        restored?;
        Ok(out)
    }

    /// Rewrites the database file without free space (`VACUUM`), then copies the
    /// write-ahead log into it and empties the log (`wal_checkpoint(TRUNCATE)`): no
    /// older copy of a deleted or updated row stays in a page's free space or in the log
    /// (after a retention purge). Takes time in proportion to the store's size.
    pub fn compact(&self) -> Result<()> {
        let conn = lock(&self.writer);
        conn.execute_batch("VACUUM")?;
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        Ok(())
    }

    /// Runs `f` on the reader connection (a consistent snapshot per statement; wrap in a
    /// transaction inside `f` when several statements must agree).
    pub fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let conn = lock(&self.reader);
        f(&conn)
    }

    /// Interrupts a long query running on the reader connection; it returns
    /// [`Error::Interrupted`].
    pub fn interrupt(&self) {
        self.reader_interrupt.interrupt();
    }
}

/// Brings the projections of a store made before [`schema::REFOLD_VERSION`] in line
/// with today's fold, in the migration's transaction: the cases with an event the
/// server refused are folded again without it, and the patrols pulled from other
/// devices (whose events were stored but never shown) are built.
fn rebuild_after_upgrade(tx: &Connection) -> Result<()> {
    incidents::refold_rejected(tx)?;
    crate::store::patrols::remote::rebuild_all(tx)?;
    Ok(())
}

fn lock(m: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
    // A panic while holding the lock cannot leave a connection half-used: every write
    // is a transaction that rolls back when dropped. Take the connection back.
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Whether this build can encrypt a store (SQLCipher compiled in).
pub fn encryption_available() -> bool {
    // SQLCipher's crypto provider lives in gridwork-sqlcipher's Rust code: keep it linked.
    #[cfg(feature = "encryption")]
    gridwork_sqlcipher::link();
    Connection::open_in_memory()
        .and_then(|c| c.query_row("PRAGMA cipher_version", [], |r| r.get::<_, String>(0)))
        .is_ok()
}

/// Checks a key before anything touches the disk: refuses an empty key, a malformed raw
/// key (which SQLCipher would otherwise take as a passphrase, silently) and any key on a
/// build without encryption ([`Error::EncryptionUnavailable`]).
pub fn check_key(key: &str) -> Result<()> {
    if key.is_empty() {
        return Err(Error::invalid("encryption key", "must not be empty"));
    }
    if let Some(rest) = key.strip_prefix("x'") {
        let well_formed = rest
            .strip_suffix('\'')
            .is_some_and(|hex| hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()));
        if !well_formed {
            return Err(Error::invalid(
                "encryption key",
                "a raw key is x' followed by 64 hex digits (256 bits) and '",
            ));
        }
    }
    if !encryption_available() {
        return Err(Error::EncryptionUnavailable);
    }
    Ok(())
}

/// Keys a fresh connection before anything else touches the file (the key was checked
/// by [`check_key`]).
fn apply_key(conn: &Connection, key: Option<&str>) -> Result<()> {
    let Some(key) = key else { return Ok(()) };
    conn.pragma_update(None, "key", key)?;
    Ok(())
}

/// Statements each connection keeps prepared (rusqlite keeps 16 by default, fewer than
/// a pull page's apply path cycles through, so each was prepared again every time).
const STATEMENT_CACHE: usize = 128;

fn configure(conn: &Connection, writer: bool) -> rusqlite::Result<()> {
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.pragma_update(None, "foreign_keys", true)?;
    if writer {
        let mode: String =
            conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(rusqlite::Error::InvalidParameterName(format!(
                "journal_mode stayed {mode}"
            )));
        }
        conn.pragma_update(None, "synchronous", "FULL")?;
    }
    Ok(())
}
