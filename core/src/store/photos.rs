//! Photos: files kept in the store's `photos/` folder under their SHA-256 name.
//!
//! Attaching the same picture twice stores it once. A photo is stripped of its metadata
//! (position, device, owner) before it is hashed and stored: see `photo_meta`. A photo is
//! written to a temporary name, synced and renamed, then the folder is synced, so a crash
//! never leaves half a file under a real name and a power cut never takes a photo whose
//! event was committed (the file and its name are on disk before the transaction that
//! refers to it commits).

use crate::{
    error::{Error, Result},
    fs_trace::{note, sync_dir, sync_file, FsOp},
    model::{PhotoRef, Thumbnail},
};

pub use super::photo_resize::{MAX_PIXELS, THUMBNAIL_EDGE};
use sha2::{Digest, Sha256};
use std::{
    fs::{self, File},
    io::{Read, Write},
    path::{Path, PathBuf},
};

/// Largest photo accepted, in bytes.
pub const MAX_PHOTO_BYTES: u64 = 20 * 1024 * 1024;

/// A photo read from the caller's path, checked, processed and hashed, not yet in the
/// store.
pub(crate) struct StagedPhoto {
    pub(crate) reference: PhotoRef,
    bytes: Vec<u8>,
    /// The thumbnail's bytes, named by `reference.thumb`.
    thumb: Option<Vec<u8>>,
}

/// Reads and checks a photo file: it must exist, be at most [`MAX_PHOTO_BYTES`] and be
/// a JPEG, PNG or WebP image; its metadata but orientation and capture time is stripped
/// (`photo_meta`), it is scaled down to `max_edge` pixels (`0`: as taken) and gets a
/// thumbnail (`photo_resize`). A HEIC image is refused: its metadata cannot be stripped
/// here.
pub(crate) fn stage(path: &Path, max_edge: u32) -> Result<StagedPhoto> {
    let photo_err = |source| Error::Photo {
        path: path.to_path_buf(),
        source,
    };
    let file = File::open(path).map_err(photo_err)?;
    let size = file.metadata().map_err(photo_err)?.len();
    if size > MAX_PHOTO_BYTES {
        return Err(Error::invalid(
            "photo",
            format!(
                "{} is {size} bytes; the limit is {MAX_PHOTO_BYTES}",
                path.display()
            ),
        ));
    }
    let mut bytes = Vec::with_capacity(size as usize);
    file.take(MAX_PHOTO_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(photo_err)?;
    let mime = sniff(&bytes).ok_or_else(|| {
        Error::invalid(
            "photo",
            format!("{} is not a JPEG, PNG or WebP image", path.display()),
        )
    })?;
    if mime == "image/heic" {
        return Err(Error::invalid(
            "photo",
            format!(
                "{} is a HEIC image, whose metadata (position, device) the store cannot strip; hand over a JPEG",
                path.display()
            ),
        ));
    }
    // Hashed after stripping and scaling: the stored and synced bytes are those.
    let bytes = super::photo_meta::strip(mime, bytes);
    let processed = super::photo_resize::process(mime, bytes, max_edge);
    let thumb = processed.thumb.as_ref().map(|t| Thumbnail {
        sha256: hex::encode(Sha256::digest(t)),
        size: t.len() as u64,
    });
    Ok(StagedPhoto {
        reference: PhotoRef {
            sha256: hex::encode(Sha256::digest(&processed.bytes)),
            size: processed.bytes.len() as u64,
            mime: processed.mime.to_string(),
            thumb,
        },
        bytes: processed.bytes,
        thumb: processed.thumb,
    })
}

/// Writes a staged photo and its thumbnail into the folder (see [`write_new`]) and records
/// them in the transaction: a `photos` row each (they go up as two blobs) and a
/// `photo_files` row each (the cache's accounting). Names of files written are pushed
/// to `written`, for [`discard`] if the transaction fails.
pub(crate) fn keep(
    tx: &rusqlite::Connection,
    photos_dir: &Path,
    photo: &StagedPhoto,
    now_ms: i64,
    written: &mut Vec<String>,
) -> Result<()> {
    let r = &photo.reference;
    let mut files = vec![(
        r.sha256.as_str(),
        r.size,
        r.mime.as_str(),
        &photo.bytes,
        false,
    )];
    if let (Some(t), Some(bytes)) = (&r.thumb, &photo.thumb) {
        files.push((t.sha256.as_str(), t.size, "image/jpeg", bytes, true));
    }
    for (sha, size, mime, bytes, thumb) in files {
        if write_new(photos_dir, sha, bytes)? {
            written.push(sha.to_string());
        }
        tx.prepare_cached("INSERT OR IGNORE INTO photos (sha256, size, mime) VALUES (?1, ?2, ?3)")?
            .execute(rusqlite::params![sha, size as i64, mime])?;
        super::photo_cache::record_file(tx, sha, size, thumb, now_ms)?;
    }
    Ok(())
}

/// Deletes the files the caller handed over (the camera's temporary files), after the
/// change that took copies of them committed, when the store is set to
/// ([`super::PhotoSettings::remove_sources`]). A file that cannot be removed is left.
pub(crate) fn remove_sources(paths: &[std::path::PathBuf]) {
    for path in paths {
        if let Err(e) = fs::remove_file(path) {
            tracing::warn!(path = %path.display(), "a photo's source file was not removed: {e}");
        }
    }
}

fn sniff(b: &[u8]) -> Option<&'static str> {
    if b.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if b.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if b.len() >= 12 && &b[0..4] == b"RIFF" && &b[8..12] == b"WEBP" {
        Some("image/webp")
    } else if b.len() >= 12
        && &b[4..8] == b"ftyp"
        && matches!(&b[8..12], b"heic" | b"heix" | b"mif1" | b"heim" | b"heis")
    {
        Some("image/heic")
    } else {
        None
    }
}

/// The path of a stored photo.
pub fn photo_path(photos_dir: &Path, sha256: &str) -> PathBuf {
    photos_dir.join(sha256)
}

/// Writes `bytes` under the name `sha256` unless a file of that name is there already.
/// Returns whether a new file was written (so a failed transaction can take it back).
pub(crate) fn write_new(photos_dir: &Path, sha256: &str, bytes: &[u8]) -> Result<bool> {
    let target = photo_path(photos_dir, sha256);
    if target.exists() {
        return Ok(false);
    }
    let tmp = photos_dir.join(format!(".{sha256}.tmp"));
    {
        let mut f = File::create(&tmp)?;
        f.write_all(bytes)?;
        note(FsOp::Written(&tmp));
        sync_file(&f, &tmp)?;
    }
    fs::rename(&tmp, &target)?;
    note(FsOp::Renamed(&tmp, &target));
    // The new name is durable only once the folder is: without this a power cut can
    // take the photo of a report that was committed (and acknowledged) after it.
    sync_dir(photos_dir)?;
    Ok(true)
}

/// Removes photo files written for a change that was then rolled back.
pub(crate) fn discard(photos_dir: &Path, written: &[String]) {
    for sha in written {
        // Best effort: a leftover file is harmless (it is named by its content and
        // would be reused), so a failure to remove it is not an error.
        let path = photo_path(photos_dir, sha);
        if fs::remove_file(&path).is_ok() {
            note(FsOp::Removed(&path));
        }
    }
}
