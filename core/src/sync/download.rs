//! Photo download (docs/photos.md): after each pull the engine fetches the thumbnails
//! of the photos the store's events reference (at most [`THUMBNAILS_PER_RUN`] files a
//! run, newest first); a full photo comes on demand with [`fetch_photo`].
//!
//! A download goes in chunks with `Range: bytes=START-END`, appended to
//! `photos/.<sha256>.part` and synced after each, so a cut connection costs at most one
//! chunk and the next attempt (this run or any later one) resumes where the file ends.
//! The finished file must hash to its name: a mismatch deletes it and the download
//! starts over once; a second mismatch is an error and nothing is shown. A photo the
//! device holds (taken here, or downloaded before) is never downloaded again.

use super::{
    client::{blob_path, Client},
    error::SyncError,
    progress::CancelToken,
    state,
    transport::{Method, Transport},
};
use crate::{
    error::{Error, Result},
    fs_trace::{sync_dir, sync_file},
    model::PhotoRef,
    store::{
        find_photo, kept_photo_bytes, photo_settings_in,
        photo_wanted::{self, WantedFile},
        photos::photo_path,
        record_photo_file,
    },
    Store,
};
use sha2::{Digest, Sha256};
use std::{
    fs::{self, OpenOptions},
    io::Write,
    path::PathBuf,
};

/// Most files (thumbnails, or full photos that have none) one run downloads.
pub const THUMBNAILS_PER_RUN: usize = 64;
/// Bytes asked for per download request.
pub const DOWNLOAD_CHUNK: u64 = 256 * 1024;
/// Photos without a thumbnail (recorded before thumbnails, or WebP) at most this large
/// are downloaded whole in the thumbnail pass, to be shown in their place.
pub const FALLBACK_MAX_BYTES: u64 = 512 * 1024;

/// How long the thumbnail pass waits before it asks again for a file the server did
/// not have (a photo its device has not uploaded yet, or lost).
pub const MISSING_PHOTO_RETRY_MS: i64 = 2 * 60 * 1000;
/// The longest such wait: it doubles at each miss up to this.
pub const MISSING_PHOTO_LONGEST_RETRY_MS: i64 = 6 * 60 * 60 * 1000;

/// The files the thumbnail pass would fetch now: for each referenced photo whose full
/// file is not here, its thumbnail if it has one and that is not here, otherwise
/// (an old event, a WebP) the photo itself when small; newest first, at most
/// [`THUMBNAILS_PER_RUN`], none the server lacked a moment ago (`store::photo_wanted`).
pub(crate) fn thumbnails_wanted(store: &Store) -> Result<Vec<WantedFile>> {
    let dir = store.photos_dir();
    let now = store.now_ms();
    store.db().write(|tx| {
        photo_wanted::scan(tx, dir, FALLBACK_MAX_BYTES)?;
        photo_wanted::due(tx, dir, now, THUMBNAILS_PER_RUN)
    })
}

/// The thumbnail pass of a run; returns the files downloaded. A file that fails is
/// skipped (tried next run); a failure of the connection ends the pass, not the run.
pub(crate) fn thumbnails(store: &Store, client: &Client<'_>) -> Result<u64, SyncError> {
    let wanted = thumbnails_wanted(store)?;
    let budget = store.db().read(photo_settings_in)?.cache_budget_bytes;
    let mut fetched = 0;
    for w in wanted {
        if store.db().read(kept_photo_bytes)? + w.size > budget {
            tracing::info!("the photo cache's budget has no room for more thumbnails");
            break;
        }
        match download(store, client, &w) {
            Ok(_) => fetched += 1,
            Err(SyncError::Cancelled) => return Err(SyncError::Cancelled),
            Err(SyncError::Store(e)) => return Err(SyncError::Store(e)),
            Err(e @ SyncError::Unexpected(_)) => {
                // The server lacks it (or sent other bytes): asked for again later.
                tracing::warn!(photo = %w.sha256, "thumbnail not downloaded: {e}");
                let now = store.now_ms();
                store
                    .db()
                    .write(|tx| photo_wanted::missed(tx, &w.sha256, now))?;
            }
            Err(e) => {
                tracing::info!("thumbnail downloads stopped for this run: {e}");
                break;
            }
        }
    }
    if fetched > 0 {
        store.evict_photos()?;
    }
    Ok(fetched)
}

/// Downloads the full photo `sha256` (one a case of the store references) unless the
/// device holds it, resuming an unfinished download, and returns its file. Needs a
/// signed-in store. The file is kept under the cache budget like any other: a UI
/// shows it from the returned path right away.
pub fn fetch_photo(
    store: &Store,
    transport: &dyn Transport,
    sha256: &str,
    cancel: &CancelToken,
) -> Result<PathBuf, SyncError> {
    let path = photo_path(store.photos_dir(), sha256);
    let reference: Option<PhotoRef> = store.db().read(|c| find_photo(c, sha256))?;
    let Some(reference) = reference else {
        return Err(Error::NotFound {
            what: "photo",
            id: sha256.to_string(),
        }
        .into());
    };
    if path.is_file() {
        store.photo(sha256)?;
        return Ok(path);
    }
    let creds = store
        .db()
        .read(state::credentials)?
        .ok_or_else(|| SyncError::Unauthorized("this store is not signed in".into()))?;
    let client = Client::new(
        transport,
        &creds.server,
        Some(creds.token),
        cancel,
        store.now_ms(),
    );
    download(
        store,
        &client,
        &WantedFile {
            sha256: reference.sha256,
            size: reference.size,
            thumb: false,
        },
    )?;
    store.evict_photos_keeping(sha256)?;
    Ok(path)
}

/// Downloads one file into `photos/`, resuming its `.part`; checks its hash.
fn download(store: &Store, client: &Client<'_>, w: &WantedFile) -> Result<PathBuf, SyncError> {
    let dir = store.photos_dir();
    let target = photo_path(dir, &w.sha256);
    if target.is_file() {
        return Ok(target);
    }
    let part = dir.join(format!(".{}.part", w.sha256));
    for attempt in 0..2 {
        fill(client, &part, w)?;
        let bytes = fs::read(&part).map_err(io)?;
        let actual = hex::encode(Sha256::digest(&bytes));
        if actual == w.sha256 {
            fs::rename(&part, &target).map_err(io)?;
            sync_dir(dir).map_err(io)?;
            let now = store.now_ms();
            store.db().write(|tx| {
                record_photo_file(tx, &w.sha256, bytes.len() as u64, w.thumb, now)?;
                photo_wanted::done(tx, &w.sha256)
            })?;
            return Ok(target);
        }
        // Never shown: the bytes are not the photo the case names.
        let _ = fs::remove_file(&part);
        tracing::warn!(photo = %w.sha256, attempt, "a downloaded photo hashes to {actual}: discarded");
    }
    Err(SyncError::Unexpected(format!(
        "photo {} came down twice with other bytes than its name says; discarded",
        w.sha256
    )))
}

/// Grows `part` to `w.size` bytes, one ranged request at a time.
fn fill(client: &Client<'_>, part: &std::path::Path, w: &WantedFile) -> Result<(), SyncError> {
    // Enough requests for the whole file and a few short answers; a server that keeps
    // sending less (or more) than asked is not followed for ever.
    let most = w.size / DOWNLOAD_CHUNK + 8;
    for _ in 0..most {
        let held = fs::metadata(part).map(|m| m.len()).unwrap_or(0);
        if held > w.size {
            // Longer than the photo: the hash check refuses it and starts over.
            return Ok(());
        }
        if held == w.size {
            return Ok(());
        }
        let end = (held + DOWNLOAD_CHUNK).min(w.size) - 1;
        let resp = client.send(
            Method::Get,
            &blob_path(&w.sha256),
            vec![("Range".to_string(), format!("bytes={held}-{end}"))],
            Vec::new(),
            &[206, 416],
        )?;
        let append = match resp.status {
            206 => {
                let start = content_range_start(resp.header("Content-Range"));
                if start != Some(held) {
                    return Err(SyncError::Unexpected(format!(
                        "asked for photo {} from byte {held}, got a range starting at {start:?}",
                        w.sha256
                    )));
                }
                true
            }
            // The server holds fewer bytes than the case says: not the photo.
            416 => {
                let _ = fs::remove_file(part);
                return Err(SyncError::Unexpected(format!(
                    "the server's photo {} is shorter than the {} bytes its case names",
                    w.sha256, w.size
                )));
            }
            // A server without ranges sends the whole file.
            _ => false,
        };
        if resp.body.is_empty() {
            return Err(SyncError::Unexpected(format!(
                "an empty answer for photo {} from byte {held}",
                w.sha256
            )));
        }
        let mut f = OpenOptions::new()
            .create(true)
            .append(append)
            .write(true)
            .truncate(!append)
            .open(part)
            .map_err(io)?;
        f.write_all(&resp.body).map_err(io)?;
        sync_file(&f, part).map_err(io)?;
        if !append {
            // The whole file in one answer: the hash check decides.
            return Ok(());
        }
    }
    Err(SyncError::Unexpected(format!(
        "photo {} did not come down in {most} requests",
        w.sha256
    )))
}

/// The `START` of `Content-Range: bytes START-END/TOTAL`.
fn content_range_start(value: Option<&str>) -> Option<u64> {
    let rest = value?.trim().strip_prefix("bytes ")?;
    rest.split('-').next()?.trim().parse().ok()
}

fn io(e: std::io::Error) -> SyncError {
    SyncError::Store(Error::from(e))
}
