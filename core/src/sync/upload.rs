//! Photo upload: each photo not yet on the server goes up in chunks with
//! `Content-Range`, starting where the server says it has bytes up to, so a cut
//! connection costs at most one chunk. Photos are named by SHA-256, so a photo the
//! server already holds (from this device or any other) is not sent again.

use super::{
    client::{blob_path, Client},
    error::SyncError,
    transport::{HttpResponse, Method},
};
use crate::{error::Result, model::PhotoRef, store::photos::photo_path, Store};
use rusqlite::Connection;

/// The header carrying how many bytes of a blob the server holds.
pub const UPLOAD_OFFSET_HEADER: &str = "Upload-Offset";

/// Photos of this store not yet uploaded.
pub(crate) fn pending_count(conn: &Connection) -> Result<u64> {
    Ok(conn
        .prepare_cached("SELECT count(*) FROM photos WHERE uploaded = 0")?
        .query_row([], |r| r.get::<_, i64>(0))? as u64)
}

pub(crate) fn pending(conn: &Connection) -> Result<Vec<PhotoRef>> {
    let mut stmt = conn.prepare_cached(
        "SELECT sha256, size, mime FROM photos WHERE uploaded = 0 ORDER BY rowid",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(PhotoRef {
            sha256: r.get(0)?,
            size: r.get::<_, i64>(1)? as u64,
            mime: r.get(2)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub(crate) fn mark_uploaded(conn: &Connection, sha256: &str) -> Result<()> {
    conn.prepare_cached("UPDATE photos SET uploaded = 1 WHERE sha256 = ?1")?
        .execute([sha256])?;
    Ok(())
}

/// How many bytes of the blob the server says it holds.
fn server_offset(resp: &HttpResponse, size: u64) -> Result<u64, SyncError> {
    match resp.header(UPLOAD_OFFSET_HEADER) {
        Some(v) => v.trim().parse::<u64>().map_err(|_| {
            SyncError::Unexpected(format!("a bad {UPLOAD_OFFSET_HEADER} header {v:?}"))
        }),
        None if resp.status == 404 => Ok(0),
        None if (200..300).contains(&resp.status) => Ok(size),
        None => Ok(0),
    }
}

/// Asks the server how much of the blob it holds: `HEAD /v1/blobs/{sha256}`.
fn probe(client: &Client<'_>, photo: &PhotoRef) -> Result<u64, SyncError> {
    let resp = client.send(
        Method::Head,
        &blob_path(&photo.sha256),
        Vec::new(),
        Vec::new(),
        &[404],
    )?;
    server_offset(&resp, photo.size)
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
    let mut offset = probe(client, photo)?;
    if offset >= photo.size {
        return Ok(0);
    }
    let bytes = std::fs::read(photo_path(store.photos_dir(), &photo.sha256)).map_err(|e| {
        SyncError::Unexpected(format!("photo {} cannot be read: {e}", photo.sha256))
    })?;
    let size = bytes.len() as u64;
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
            offset = probe(client, photo)?;
            continue;
        }
        sent += end - offset;
        on_bytes(end - offset);
        let next = match resp.header(UPLOAD_OFFSET_HEADER) {
            Some(_) => server_offset(&resp, size)?,
            None => end,
        };
        if next <= offset {
            return Err(SyncError::Unexpected(format!(
                "the server did not take the bytes from {offset} of photo {}",
                photo.sha256
            )));
        }
        offset = next;
    }
    Ok(sent)
}
