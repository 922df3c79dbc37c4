//! The photo cache: photo settings, what the device holds of each photo, and eviction
//! under a size budget (docs/photos.md).
//!
//! Every file of `photos/` has a `photo_files` row with its size and last use. Photos
//! and thumbnails taken here also have a `photos` row until (and after) they are
//! uploaded. When the files add up to more than the budget, the least recently used
//! go first, full-size photos before any thumbnail, but never a file not yet uploaded:
//! the server has no other copy of it. An evicted photo is downloaded again when it is
//! opened ([`crate::sync::fetch_photo`]).

use super::{meta_get, meta_set, photos::photo_path, Store};
use crate::{
    error::{Error, Result},
    model::PhotoRef,
};
use rusqlite::{params, Connection};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

const SETTINGS_KEY: &str = "photo_settings";

/// Smallest maximum edge accepted for photos (`0` keeps them as taken).
pub const MIN_PHOTO_EDGE: u32 = 640;
/// Largest maximum edge accepted for photos.
pub const MAX_PHOTO_EDGE: u32 = 8192;

/// How the store treats photos. Kept in the store; see [`Store::set_photo_settings`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhotoSettings {
    /// Longest edge of a photo taken here, in pixels: a larger one is scaled down at
    /// capture. `0` keeps photos as taken. Default 2048.
    pub max_edge: u32,
    /// How many bytes of photos and thumbnails the store keeps before it evicts the
    /// least recently used ones it can download again. Default 256 MiB.
    pub cache_budget_bytes: u64,
    /// Whether the store deletes the file a photo was read from (the camera's temporary
    /// file) once the report, action or check-in holding it is recorded. Default off;
    /// the kits turn it on (their shells hand over temporary copies only).
    pub remove_sources: bool,
}

impl Default for PhotoSettings {
    fn default() -> Self {
        PhotoSettings {
            max_edge: 2048,
            cache_budget_bytes: 256 * 1024 * 1024,
            remove_sources: false,
        }
    }
}

/// What the device holds of a photo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PhotoState {
    /// The full photo is here.
    Local,
    /// Only its thumbnail is here; the full photo comes with [`crate::sync::fetch_photo`].
    ThumbnailOnly,
    /// A download of the full photo was started and not finished; the next fetch
    /// resumes it. The thumbnail, when held, is in [`PhotoView::thumbnail`].
    Downloading,
    /// Nothing of it is here yet.
    Missing,
}

/// A photo as a UI shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhotoView {
    /// The photo's SHA-256.
    pub sha256: String,
    /// What the device holds of it.
    pub state: PhotoState,
    /// The full photo's file, when held.
    pub path: Option<PathBuf>,
    /// The thumbnail's file, when held; for a photo without a thumbnail (recorded before
    /// thumbnails, or a WebP), the full photo's file when that is held.
    pub thumbnail: Option<PathBuf>,
    /// The full photo's size in bytes, when the store knows the photo.
    pub size: Option<u64>,
}

/// Records a file of `photos/` (or its new use) in the cache's accounting.
pub(crate) fn record_file(
    tx: &Connection,
    sha256: &str,
    size: u64,
    thumb: bool,
    now_ms: i64,
) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO photo_files (sha256, size, thumb, last_used) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (sha256) DO UPDATE SET size = excluded.size, last_used = excluded.last_used",
    )?
    .execute(params![sha256, size as i64, thumb as i64, now_ms])?;
    Ok(())
}

/// The reference of photo `sha256` in the store's events, if any event names it.
pub(crate) fn find(conn: &Connection, sha256: &str) -> Result<Option<PhotoRef>> {
    let mut stmt = conn.prepare_cached(
        "SELECT payload FROM events WHERE instr(payload, ?1) > 0 ORDER BY seq DESC LIMIT 20",
    )?;
    let mut rows = stmt.query([sha256])?;
    while let Some(row) = rows.next()? {
        let payload: String = row.get(0)?;
        let Ok(value) = serde_json::from_str::<serde_json::Value>(&payload) else {
            continue;
        };
        let mut found = None;
        collect(&value, &mut |p| {
            if p.sha256 == sha256 && found.is_none() {
                found = Some(p);
            }
        });
        if found.is_some() {
            return Ok(found);
        }
    }
    Ok(None)
}

/// Calls `f` with every photo reference inside `value` (an object with `sha256`,
/// `size` and `mime`).
pub(crate) fn collect(value: &serde_json::Value, f: &mut dyn FnMut(PhotoRef)) {
    match value {
        serde_json::Value::Object(map) => {
            if map.contains_key("sha256") && map.contains_key("mime") {
                if let Ok(p) = serde_json::from_value::<PhotoRef>(value.clone()) {
                    f(p);
                    return;
                }
            }
            map.values().for_each(|v| collect(v, f));
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect(v, f)),
        _ => {}
    }
}

/// Evicts files until the cache holds at most `budget` bytes (or only files it must
/// keep): least recently used first, full photos before thumbnails, never a file not
/// yet uploaded. The file goes before its row, so a crash in between leaves a row
/// without a file, which reads as not held and is downloaded again. Returns the
/// evicted names.
pub(crate) fn evict(
    tx: &Connection,
    store: &Store,
    budget: u64,
    keep: Option<&str>,
) -> Result<Vec<String>> {
    let total: i64 = tx
        .prepare_cached("SELECT coalesce(sum(size), 0) FROM photo_files")?
        .query_row([], |r| r.get(0))?;
    let mut total = total.max(0) as u64;
    if total <= budget {
        return Ok(Vec::new());
    }
    let candidates: Vec<(String, i64)> = tx
        .prepare_cached(
            "SELECT f.sha256, f.size FROM photo_files f
              WHERE NOT EXISTS (SELECT 1 FROM photos p WHERE p.sha256 = f.sha256 AND p.uploaded = 0)
              ORDER BY f.thumb, f.last_used, f.sha256",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut evicted = Vec::new();
    for (sha, size) in candidates {
        if total <= budget {
            break;
        }
        if keep == Some(sha.as_str()) {
            continue;
        }
        let path = photo_path(store.photos_dir(), &sha);
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e.into()),
        }
        tx.prepare_cached("DELETE FROM photo_files WHERE sha256 = ?1")?
            .execute([&sha])?;
        total = total.saturating_sub(size.max(0) as u64);
        evicted.push(sha);
    }
    Ok(evicted)
}

/// Bytes eviction leaves while full photos it may evict are evicted first: thumbnails
/// and files waiting for their upload. The thumbnail pass downloads only while these
/// and the next thumbnail fit in the budget, so a small budget is not filled and
/// emptied again on every run.
pub(crate) fn kept_bytes(conn: &Connection) -> Result<u64> {
    let n: i64 = conn
        .prepare_cached(
            "SELECT coalesce(sum(f.size), 0) FROM photo_files f WHERE f.thumb = 1
                OR EXISTS (SELECT 1 FROM photos p WHERE p.sha256 = f.sha256 AND p.uploaded = 0)",
        )?
        .query_row([], |r| r.get(0))?;
    Ok(n.max(0) as u64)
}

impl Store {
    /// The store's photo settings (defaults until set).
    pub fn photo_settings(&self) -> Result<PhotoSettings> {
        self.db.read(settings_in)
    }

    /// Changes the photo settings and evicts what the new budget leaves no room for. A
    /// maximum edge must be `0` or between [`MIN_PHOTO_EDGE`] and [`MAX_PHOTO_EDGE`].
    pub fn set_photo_settings(&self, settings: &PhotoSettings) -> Result<()> {
        let edge = settings.max_edge;
        if edge != 0 && !(MIN_PHOTO_EDGE..=MAX_PHOTO_EDGE).contains(&edge) {
            return Err(Error::invalid(
                "max_edge",
                format!("0 (as taken) or {MIN_PHOTO_EDGE} to {MAX_PHOTO_EDGE} pixels, not {edge}"),
            ));
        }
        let json = serde_json::to_string(settings).map_err(|e| Error::Corrupt(e.to_string()))?;
        self.db.write(|tx| {
            meta_set(tx, SETTINGS_KEY, &json)?;
            evict(tx, self, settings.cache_budget_bytes, None)
        })?;
        Ok(())
    }

    /// Evicts photos down to the budget now (the sync engine does after each run);
    /// returns how many files went.
    pub fn evict_photos(&self) -> Result<usize> {
        self.evict_photos_keeping_in(None)
    }

    /// [`Store::evict_photos`], sparing `sha256` (a photo just opened).
    pub(crate) fn evict_photos_keeping(&self, sha256: &str) -> Result<usize> {
        self.evict_photos_keeping_in(Some(sha256))
    }

    fn evict_photos_keeping_in(&self, keep: Option<&str>) -> Result<usize> {
        self.db.write(|tx| {
            let budget = settings_in(tx)?.cache_budget_bytes;
            Ok(evict(tx, self, budget, keep)?.len())
        })
    }

    /// What the device holds of photo `sha256` and where, for showing it; marks what it
    /// holds as used now (the cache evicts the least recently used).
    pub fn photo(&self, sha256: &str) -> Result<PhotoView> {
        let reference = self.db.read(|conn| find(conn, sha256))?;
        let dir = self.photos_dir();
        let held = |sha: &str| {
            let path = photo_path(dir, sha);
            path.is_file().then_some(path)
        };
        let full = is_sha256(sha256).then(|| held(sha256)).flatten();
        let thumb = reference
            .as_ref()
            .and_then(|r| r.thumb.as_ref())
            .and_then(|t| held(&t.sha256));
        let downloading = dir.join(format!(".{sha256}.part")).is_file();
        let state = match (&full, &thumb, downloading) {
            (Some(_), _, _) => PhotoState::Local,
            (None, _, true) => PhotoState::Downloading,
            (None, Some(_), false) => PhotoState::ThumbnailOnly,
            (None, None, false) => PhotoState::Missing,
        };
        let now = self.now_ms();
        let mut used = Vec::new();
        if full.is_some() {
            used.push(sha256.to_string());
        }
        if let (Some(_), Some(t)) = (&thumb, reference.as_ref().and_then(|r| r.thumb.as_ref())) {
            used.push(t.sha256.clone());
        }
        if !used.is_empty() {
            self.db.write(|tx| {
                for sha in &used {
                    tx.prepare_cached("UPDATE photo_files SET last_used = ?2 WHERE sha256 = ?1")?
                        .execute(params![sha, now])?;
                }
                Ok(())
            })?;
        }
        Ok(PhotoView {
            sha256: sha256.to_string(),
            state,
            thumbnail: thumb.or_else(|| full.clone()),
            path: full,
            size: reference.map(|r| r.size),
        })
    }
}

/// The settings as stored (defaults when never set or unreadable).
pub(crate) fn settings_in(conn: &Connection) -> Result<PhotoSettings> {
    Ok(meta_get(conn, SETTINGS_KEY)?
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_default())
}

/// Whether `s` is a lower-case hex SHA-256 (a photo's name).
pub fn is_sha256(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}
