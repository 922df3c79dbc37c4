//! `HEAD`/`PUT`/`GET /v1/blobs/{sha256}`: resumable photo upload and download.
//!
//! An unfinished upload is the uploading device's own (`HEAD` shows the caller only its
//! own), and only a photo one of the caller's accepted events references may be uploaded.

use super::{error::body_bytes, session::Signed, ApiError, AppState, Caller};
use crate::{
    blobs::{is_sha256, BlobStatus, WriteOutcome},
    health::Via,
};
use axum::{
    body::Bytes,
    extract::{rejection::BytesRejection, Path, State},
    http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde::Serialize;

/// Response header: how many bytes of the blob the server holds.
pub const UPLOAD_OFFSET: HeaderName = HeaderName::from_static("upload-offset");
/// Response header: `yes` when the blob is complete and verified, `no` while partial.
pub const UPLOAD_COMPLETE: HeaderName = HeaderName::from_static("upload-complete");

/// The JSON body answered to a `PUT`.
#[derive(Serialize)]
struct BlobState {
    sha256: String,
    received: u64,
    complete: bool,
}

fn check_name(sha: &str) -> Result<(), ApiError> {
    if is_sha256(sha) {
        Ok(())
    } else {
        Err(ApiError::BadRequest(
            "a blob is named by its SHA-256: 64 lower-case hex digits".into(),
        ))
    }
}

fn with_offset(mut res: Response, held: u64, complete: bool) -> Response {
    let h = res.headers_mut();
    h.insert(UPLOAD_OFFSET, HeaderValue::from(held));
    h.insert(
        UPLOAD_COMPLETE,
        HeaderValue::from_static(if complete { "yes" } else { "no" }),
    );
    res
}

/// Whose unfinished uploads a caller sees and extends: the account's, on the device its
/// token speaks for.
fn uploader(signed: &Signed) -> String {
    format!("{}\n{}", signed.account.user, signed.device_id)
}

/// Parses `bytes START-END/TOTAL`.
fn content_range(value: &str) -> Option<(u64, u64, u64)> {
    let rest = value.trim().strip_prefix("bytes ")?;
    let (range, total) = rest.split_once('/')?;
    let (start, end) = range.split_once('-')?;
    let (start, end, total) = (
        start.trim().parse().ok()?,
        end.trim().parse().ok()?,
        total.trim().parse().ok()?,
    );
    (start <= end && end < total).then_some((start, end, total))
}

/// `HEAD /v1/blobs/{sha256}`.
pub async fn head(
    State(state): State<AppState>,
    signed: Signed,
    Path(sha): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    check_name(&sha)?;
    super::devices::contact(&state, &signed, &headers, Via::Upload).await;
    Ok(match state.blobs.status(&uploader(&signed), &sha).await? {
        BlobStatus::Complete(n) => with_offset(StatusCode::OK.into_response(), n, true),
        BlobStatus::Partial(n) => with_offset(StatusCode::OK.into_response(), n, false),
        BlobStatus::Absent => with_offset(StatusCode::NOT_FOUND.into_response(), 0, false),
    })
}

/// `PUT /v1/blobs/{sha256}`.
pub async fn put(
    State(state): State<AppState>,
    signed: Signed,
    Path(sha): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    check_name(&sha)?;
    super::devices::contact(&state, &signed, &headers, Via::Upload).await;
    let user = &signed.account.user;
    if !state.storage.blob_referenced(&sha, user).await? {
        return Err(ApiError::Forbidden(format!(
            "no accepted event of {user} references photo {sha}: push the event first"
        )));
    }
    let max = state.limits.max_blob_bytes;
    let body = body_bytes(body).map_err(|e| match e {
        ApiError::TooLarge(_) => ApiError::TooLarge(format!("a photo may be at most {max} bytes")),
        other => other,
    })?;
    let len = body.len() as u64;
    let (start, total) = match headers.get(header::CONTENT_RANGE) {
        None => (0, len),
        Some(v) => {
            let (start, end, total) = v.to_str().ok().and_then(content_range).ok_or_else(|| {
                ApiError::BadRequest("Content-Range must read bytes START-END/TOTAL".into())
            })?;
            if end - start + 1 != len {
                return Err(ApiError::BadRequest(format!(
                    "Content-Range announces {} bytes, the body holds {len}",
                    end - start + 1
                )));
            }
            (start, total)
        }
    };
    if total > max {
        return Err(ApiError::TooLarge(format!(
            "a photo may be at most {max} bytes; this one has {total}"
        )));
    }
    let (status, received, complete) = match state
        .blobs
        .write(&uploader(&signed), &sha, start, total, &body)
        .await?
    {
        WriteOutcome::Completed(n) => {
            state
                .storage
                .photos_complete(std::slice::from_ref(&sha))
                .await?;
            (StatusCode::CREATED, n, true)
        }
        WriteOutcome::AlreadyComplete(n) => (StatusCode::OK, n, true),
        WriteOutcome::Partial(n) => (StatusCode::ACCEPTED, n, false),
    };
    state
        .metrics
        .blob_bytes
        .with_label_values(&["in"])
        .inc_by(len);
    let res = (
        status,
        Json(BlobState {
            sha256: sha,
            received,
            complete,
        }),
    )
        .into_response();
    Ok(with_offset(res, received, complete))
}

/// Parses `bytes=START-END` or `bytes=START-` (one range) against a file of `total`
/// bytes: `Ok(None)` for no (or an unusable multi-range) header, `Err(())` for a range
/// that starts at or past the end.
fn range(value: Option<&str>, total: u64) -> Result<Option<(u64, u64)>, ()> {
    let Some(spec) = value.and_then(|v| v.trim().strip_prefix("bytes=")) else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None);
    }
    let Some((start, end)) = spec.split_once('-') else {
        return Ok(None);
    };
    let (start, end) = (start.trim(), end.trim());
    let (start, end) = match (start.parse::<u64>(), end.parse::<u64>()) {
        (Ok(s), Ok(e)) if s <= e => (s, e.min(total.saturating_sub(1))),
        (Ok(s), Err(_)) if end.is_empty() => (s, total.saturating_sub(1)),
        // A suffix range: the last N bytes.
        (Err(_), Ok(n)) if start.is_empty() && n > 0 => {
            (total.saturating_sub(n), total.saturating_sub(1))
        }
        _ => return Ok(None),
    };
    if start >= total {
        return Err(());
    }
    Ok(Some((start, end)))
}

/// `GET /v1/blobs/{sha256}`: the whole blob, or with `Range: bytes=START-END` the
/// bytes asked for (`206 Partial Content` with `Content-Range`), so a device resumes a
/// cut download; `416` for a range past the end.
pub async fn get(
    State(state): State<AppState>,
    _caller: Caller,
    Path(sha): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    check_name(&sha)?;
    // Read through the blob store (the folder or the bucket), then answer the range.
    let Some(all) = state.blobs.read(&sha).await? else {
        return Err(ApiError::NotFound(format!("no complete blob {sha}")));
    };
    let total = all.len() as u64;
    let asked = range(
        headers.get(header::RANGE).and_then(|v| v.to_str().ok()),
        total,
    );
    let etag = HeaderValue::from_str(&format!("\"{sha}\""))
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let (status, bytes, content_range) = match asked {
        Err(()) => {
            let mut res = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
            res.headers_mut().insert(
                header::CONTENT_RANGE,
                HeaderValue::from_str(&format!("bytes */{total}"))
                    .map_err(|e| ApiError::Internal(e.to_string()))?,
            );
            return Ok(res);
        }
        Ok(None) => (StatusCode::OK, all, None),
        Ok(Some((start, end))) => {
            let bytes = usize::try_from(start)
                .ok()
                .zip(usize::try_from(end).ok())
                .and_then(|(s, e)| all.get(s..=e))
                .ok_or_else(|| ApiError::Internal(format!("range {start}-{end} of {total}")))?
                .to_vec();
            let cr = HeaderValue::from_str(&format!("bytes {start}-{end}/{total}"))
                .map_err(|e| ApiError::Internal(e.to_string()))?;
            (StatusCode::PARTIAL_CONTENT, bytes, Some(cr))
        }
    };
    state
        .metrics
        .blob_bytes
        .with_label_values(&["out"])
        .inc_by(bytes.len() as u64);
    let mut res = (
        status,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/octet-stream"),
            ),
            (header::ETAG, etag),
            (header::ACCEPT_RANGES, HeaderValue::from_static("bytes")),
        ],
        bytes,
    )
        .into_response();
    if let Some(cr) = content_range {
        res.headers_mut().insert(header::CONTENT_RANGE, cr);
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::{content_range, range};

    #[test]
    fn ranges_parse_and_one_past_the_end_is_refused() {
        assert_eq!(range(None, 10), Ok(None));
        assert_eq!(range(Some("bytes=0-3"), 10), Ok(Some((0, 3))));
        assert_eq!(range(Some("bytes=4-"), 10), Ok(Some((4, 9))));
        assert_eq!(range(Some("bytes=4-100"), 10), Ok(Some((4, 9))));
        assert_eq!(range(Some("bytes=-3"), 10), Ok(Some((7, 9))));
        assert_eq!(range(Some("bytes=10-"), 10), Err(()));
        assert_eq!(range(Some("bytes=0-1,4-5"), 10), Ok(None));
        assert_eq!(range(Some("items=0-1"), 10), Ok(None));
    }

    #[test]
    fn content_ranges_parse_and_nonsense_is_refused() {
        assert_eq!(content_range("bytes 0-9/20"), Some((0, 9, 20)));
        assert_eq!(content_range("bytes 10-19/20"), Some((10, 19, 20)));
        assert_eq!(content_range("bytes 10-20/20"), None);
        assert_eq!(content_range("bytes 9-3/20"), None);
        assert_eq!(content_range("items 0-1/2"), None);
    }
}
