//! Photo upload: each photo not yet on the server goes up in chunks with
//! `Content-Range`, starting where the server says it has bytes up to, so a cut
//! connection costs at most one chunk. Photos are named by SHA-256, so a photo the
//! server already holds (from this device or any other) is not sent again.
//!
//! A photo counts as uploaded only when the server says it holds it *complete*
//! (`Upload-Complete: yes`, given only after it checked the bytes against the hash):
//! an offset alone proves nothing. A photo goes up once an event the server accepted
//! references it (the server refuses other uploads); one that fails stays pending, is
//! tried again next run, and is named in the run's report.

use super::{
    client::{blob_path, Client},
    error::SyncError,
    transport::{HttpResponse, Method},
};
use crate::{error::Result, model::PhotoRef, store::photos::photo_path, Store};
use rusqlite::Connection;

/// The header carrying how many bytes of a blob the server holds.
pub const UPLOAD_OFFSET_HEADER: &str = "Upload-Offset";
/// The header saying whether the server holds the blob complete and verified (`yes`).
pub const UPLOAD_COMPLETE_HEADER: &str = "Upload-Complete";

/// Photos of this store not yet uploaded.
pub(crate) fn pending_count(conn: &Connection) -> Result<u64> {
    Ok(conn
        .prepare_cached("SELECT count(*) FROM photos WHERE uploaded = 0")?
        .query_row([], |r| r.get::<_, i64>(0))? as u64)
}

/// Photos of this store to upload now: not uploaded yet, and referenced by one of this
/// device's events that the server accepted (the server takes no other upload; photos
/// of events still pending go up in the run after their push, those of rejected
/// events wait with them).
pub(crate) fn pending(conn: &Connection, device_id: &str) -> Result<Vec<PhotoRef>> {
    let mut stmt = conn.prepare_cached(
        "SELECT p.sha256, p.size, p.mime FROM photos p WHERE p.uploaded = 0 AND EXISTS (
           SELECT 1 FROM events e WHERE e.device_id = ?1 AND e.server_seq IS NOT NULL
             AND instr(e.payload, p.sha256) > 0)
         ORDER BY p.rowid",
    )?;
    let rows = stmt.query_map([device_id], |r| {
        Ok(PhotoRef {
            sha256: r.get(0)?,
            size: r.get::<_, i64>(1)? as u64,
            mime: r.get(2)?,
            thumb: None,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub(crate) fn mark_uploaded(conn: &Connection, sha256: &str) -> Result<()> {
    conn.prepare_cached("UPDATE photos SET uploaded = 1 WHERE sha256 = ?1")?
        .execute([sha256])?;
    Ok(())
}

/// Where the server stands with a blob, from its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Held {
    /// Complete and verified: nothing to send.
    Complete,
    /// This many bytes of our unfinished upload.
    Partial(u64),
}

/// Reads `Upload-Complete` and `Upload-Offset`. Only `Upload-Complete: yes` means
/// complete; without the headers a 2xx to a HEAD is read as complete only for servers
/// that do not resume uploads at all (they answer HEAD on whole files only).
fn held(resp: &HttpResponse) -> Result<Held, SyncError> {
    let (complete, offset) = (says_complete(resp), offset_of(resp)?);
    Ok(match (complete, offset) {
        (Some(true), _) => Held::Complete,
        (Some(false), offset) => Held::Partial(offset.unwrap_or(0)),
        (None, _) if resp.status == 404 => Held::Partial(0),
        (None, None) if (200..300).contains(&resp.status) => Held::Complete,
        (None, offset) => Held::Partial(offset.unwrap_or(0)),
    })
}

/// `Upload-Complete`, when the server sent it.
fn says_complete(resp: &HttpResponse) -> Option<bool> {
    resp.header(UPLOAD_COMPLETE_HEADER)
        .map(|v| v.trim().eq_ignore_ascii_case("yes"))
}

/// `Upload-Offset`, when the server sent it.
fn offset_of(resp: &HttpResponse) -> Result<Option<u64>, SyncError> {
    resp.header(UPLOAD_OFFSET_HEADER)
        .map(|v| {
            v.trim().parse::<u64>().map_err(|_| {
                SyncError::Unexpected(format!("a bad {UPLOAD_OFFSET_HEADER} header {v:?}"))
            })
        })
        .transpose()
}

/// Asks the server how much of the blob it holds: `HEAD /v1/blobs/{sha256}`.
fn probe(client: &Client<'_>, photo: &PhotoRef) -> Result<Held, SyncError> {
    let resp = client.send(
        Method::Head,
        &blob_path(&photo.sha256),
        Vec::new(),
        Vec::new(),
        &[404],
    )?;
    held(&resp)
}

/// The offset to send from, for a photo of `size` bytes: an unfinished upload that
/// claims to hold all of it (or more) is not ours to trust.
fn resume_at(held: Held, photo: &PhotoRef, size: u64) -> Result<Option<u64>, SyncError> {
    match held {
        Held::Complete => Ok(None),
        Held::Partial(n) if n < size => Ok(Some(n)),
        Held::Partial(n) => Err(SyncError::Unexpected(format!(
            "the server holds {n} bytes of an unfinished upload of photo {} ({size} bytes) \
             and does not call it complete",
            photo.sha256
        ))),
    }
}

/// Uploads one photo from wherever the server stands; `on_bytes` hears every chunk.
/// Returns the bytes sent.
pub(crate) fn upload_one(
    store: &Store,
    client: &Client<'_>,
    photo: &PhotoRef,
    chunk: usize,
    on_bytes: &mut dyn FnMut(u64),
) -> Result<u64, SyncError> {
    let Some(mut offset) = resume_at(probe(client, photo)?, photo, photo.size)? else {
        return Ok(0);
    };
    let bytes = std::fs::read(photo_path(store.photos_dir(), &photo.sha256)).map_err(|e| {
        SyncError::Unexpected(format!("photo {} cannot be read: {e}", photo.sha256))
    })?;
    let size = bytes.len() as u64;
    if size != photo.size {
        return Err(SyncError::Unexpected(format!(
            "photo {} has {size} bytes on the device, {} recorded",
            photo.sha256, photo.size
        )));
    }
    let chunk = chunk.max(1) as u64;
    let mut sent = 0;
    let mut resyncs = 0;
    while offset < size {
        let end = (offset + chunk).min(size);
        let headers = vec![
            ("Content-Type".to_string(), photo.mime.clone()),
            (
                "Content-Range".to_string(),
                format!("bytes {offset}-{}/{size}", end - 1),
            ),
        ];
        let body = bytes[offset as usize..end as usize].to_vec();
        let resp = client.send(
            Method::Put,
            &blob_path(&photo.sha256),
            headers,
            body,
            &[308, 409, 416],
        )?;
        if matches!(resp.status, 409 | 416) {
            // The server holds another amount than we thought (an earlier chunk did
            // arrive after all): ask again and go on from there.
            resyncs += 1;
            if resyncs > 3 {
                return Err(SyncError::Unexpected(format!(
                    "the server keeps refusing the upload range of photo {}",
                    photo.sha256
                )));
            }
            match resume_at(probe(client, photo)?, photo, size)? {
                Some(at) => offset = at,
                None => return Ok(sent),
            }
            continue;
        }
        sent += end - offset;
        on_bytes(end - offset);
        // Complete when the server says so (a server without the header: 201 Created).
        if says_complete(&resp).unwrap_or(resp.status == 201) {
            return Ok(sent);
        }
        let next = offset_of(&resp)?.unwrap_or(end);
        if next <= offset {
            return Err(SyncError::Unexpected(format!(
                "the server did not take the bytes from {offset} of photo {}",
                photo.sha256
            )));
        }
        offset = next;
    }
    // Every byte went up, yet the server never said it holds the photo complete.
    Err(SyncError::Unexpected(format!(
        "the server did not confirm photo {} complete after all {size} bytes",
        photo.sha256
    )))
}
