//! The files the thumbnail pass still has to download (docs/photos.md), kept between
//! runs so that a run looks only at the events that arrived since the last one and a
//! file the server does not hold (yet) is asked for again later, not at every sync.
//!
//! `photo_wanted` holds one row per file: a photo's thumbnail, or the photo itself when
//! it has none and is small ([`crate::sync::FALLBACK_MAX_BYTES`]). The meta key
//! [`SCAN_KEY`] is the highest event `seq` already looked at. A file that could not be
//! downloaded (the server answered 404, or sent other bytes) waits
//! [`MISSING_PHOTO_RETRY_MS`], doubled at each miss up to
//! [`MISSING_PHOTO_LONGEST_RETRY_MS`]; a connection failure costs it nothing.

use super::{meta_get, meta_set, photo_cache::collect, photos::photo_path};
use crate::sync::{MISSING_PHOTO_LONGEST_RETRY_MS, MISSING_PHOTO_RETRY_MS};
use crate::{error::Result, model::PhotoRef};
use rusqlite::{params, Connection, OptionalExtension};
use std::path::Path;

/// The meta key holding the highest event `seq` the thumbnail pass looked at.
pub(crate) const SCAN_KEY: &str = "photo_scan_seq";

/// One file the pass would download.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WantedFile {
    /// The file's SHA-256 (its name).
    pub(crate) sha256: String,
    /// Its size in bytes, as the event says.
    pub(crate) size: u64,
    /// Whether it is a thumbnail.
    pub(crate) thumb: bool,
}

/// Adds the files that the events stored since the last scan reference and the device
/// does not hold; moves the scan's mark to the newest event. `small` is the largest
/// photo without a thumbnail that is downloaded whole in its place.
pub(crate) fn scan(tx: &Connection, dir: &Path, small: u64) -> Result<()> {
    let after: i64 = meta_get(tx, SCAN_KEY)?
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let newest: Option<i64> = tx
        .prepare_cached("SELECT max(seq) FROM events")?
        .query_row([], |r| r.get(0))?;
    let Some(newest) = newest.filter(|n| *n > after) else {
        return Ok(());
    };
    let held = |sha: &str| photo_path(dir, sha).is_file();
    let mut found: Vec<(i64, PhotoRef)> = Vec::new();
    {
        let mut stmt = tx.prepare_cached(
            "SELECT seq, payload FROM events WHERE seq > ?1 AND rejected IS NULL
               AND purged = 0 AND instr(payload, '\"sha256\"') > 0",
        )?;
        let mut rows = stmt.query([after])?;
        while let Some(row) = rows.next()? {
            let seq: i64 = row.get(0)?;
            let payload: String = row.get(1)?;
            let Ok(value) = serde_json::from_str::<serde_json::Value>(&payload) else {
                continue;
            };
            collect(&value, &mut |p| found.push((seq, p)));
        }
    }
    let mut add = tx.prepare_cached(
        "INSERT INTO photo_wanted (sha256, size, thumb, photo, seq) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (sha256) DO UPDATE SET seq = max(seq, excluded.seq)",
    )?;
    for (seq, p) in found {
        if held(&p.sha256) {
            continue;
        }
        let file = match p.thumb {
            Some(t) if held(&t.sha256) => None,
            Some(t) => Some((t.sha256, t.size, true)),
            None if p.size <= small => Some((p.sha256.clone(), p.size, false)),
            None => None,
        };
        if let Some((sha, size, thumb)) = file {
            add.execute(params![sha, size as i64, thumb, p.sha256, seq])?;
        }
    }
    meta_set(tx, SCAN_KEY, &newest.to_string())?;
    Ok(())
}

/// Up to `most` files due for a download at `now`, newest reference first. Rows whose
/// file or photo the device holds by now (taken here, or fetched on demand) are
/// dropped on the way.
pub(crate) fn due(tx: &Connection, dir: &Path, now: i64, most: usize) -> Result<Vec<WantedFile>> {
    let rows: Vec<(String, i64, bool, String)> = tx
        .prepare_cached(
            "SELECT sha256, size, thumb, photo FROM photo_wanted WHERE next_try <= ?1
              ORDER BY seq DESC, sha256",
        )?
        .query_map([now], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut out = Vec::new();
    for (sha256, size, thumb, photo) in rows {
        if out.len() == most {
            break;
        }
        if photo_path(dir, &sha256).is_file() || photo_path(dir, &photo).is_file() {
            done(tx, &sha256)?;
            continue;
        }
        out.push(WantedFile {
            sha256,
            size: size.max(0) as u64,
            thumb,
        });
    }
    Ok(out)
}

/// The file `sha256` is here now: neither it nor a thumbnail of it is wanted any more.
pub(crate) fn done(tx: &Connection, sha256: &str) -> Result<()> {
    tx.prepare_cached("DELETE FROM photo_wanted WHERE sha256 = ?1 OR photo = ?1")?
        .execute([sha256])?;
    Ok(())
}

/// The file `sha256` could not be downloaded at `now`: it waits before the next try.
pub(crate) fn missed(tx: &Connection, sha256: &str, now: i64) -> Result<()> {
    let misses: Option<i64> = tx
        .prepare_cached("SELECT misses FROM photo_wanted WHERE sha256 = ?1")?
        .query_row([sha256], |r| r.get(0))
        .optional()?;
    let Some(misses) = misses else {
        return Ok(());
    };
    let wait = MISSING_PHOTO_RETRY_MS
        .saturating_mul(1_i64 << misses.clamp(0, 20))
        .min(MISSING_PHOTO_LONGEST_RETRY_MS);
    tx.prepare_cached(
        "UPDATE photo_wanted SET misses = misses + 1, next_try = ?2 WHERE sha256 = ?1",
    )?
    .execute(params![sha256, now.saturating_add(wait)])?;
    Ok(())
}

/// Forgets the files that `stream`'s events asked for (a retention purge is about to
/// empty them); the same match on the payload as the purge's own `stream_photos`.
pub(crate) fn forget_stream(tx: &Connection, stream: &str) -> Result<()> {
    tx.prepare_cached(
        "DELETE FROM photo_wanted WHERE EXISTS (
           SELECT 1 FROM events e WHERE e.stream = ?1 AND e.purged = 0
             AND instr(e.payload, photo_wanted.photo) > 0)",
    )?
    .execute([stream])?;
    Ok(())
}
