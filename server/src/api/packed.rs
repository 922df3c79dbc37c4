//! The packed wire form on the server side (docs/sync-protocol.md, "Packed wire form"):
//! push and pull answers advertise it in `Gridwork-Wire`, a push body may come packed,
//! and a pull page is packed when the request offered the form. Without the offer the
//! answer is the documented JSON, so clients from before the form see nothing new.

use super::ApiError;
use axum::{
    http::{header, HeaderMap, HeaderName, HeaderValue},
    response::{IntoResponse, Response},
    Json,
};
use gridwork_core::sync::{packed, wire::PullResponse};

/// The `Gridwork-Wire` header that says this server reads the packed form.
pub(crate) fn advertise() -> [(HeaderName, HeaderValue); 1] {
    [(
        HeaderName::from_static("gridwork-wire"),
        HeaderValue::from_static(token()),
    )]
}

/// The wire token as a `'static` header value (computed once).
fn token() -> &'static str {
    packed::wire_token()
}

/// A push body's JSON value: unpacked (at most `max` bytes) when it came packed, read
/// as JSON otherwise. A body packed with another dictionary is 415 `unsupported_wire`,
/// after which the client sends JSON.
pub(crate) fn push_value(
    headers: &HeaderMap,
    bytes: &[u8],
    max: usize,
) -> Result<serde_json::Value, ApiError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    match packed::is_packed(content_type) {
        None => serde_json::from_slice(bytes)
            .map_err(|e| ApiError::BadRequest(format!("push body: {e}"))),
        Some(false) => Err(ApiError::UnsupportedWire(format!(
            "a push packed with a dictionary this server does not have; it reads {}",
            packed::wire_token()
        ))),
        Some(true) => packed::unpack_push_value(bytes, max).map_err(|e| match e {
            packed::PackError::TooLarge(_) => ApiError::TooLarge(format!(
                "a push body may be at most {max} bytes after unpacking: push fewer events at a time"
            )),
            other => ApiError::BadRequest(format!("push body: {other}")),
        }),
    }
}

/// A pull page, packed when the request's `Gridwork-Wire` offered this server's form.
pub(crate) fn pull_body(headers: &HeaderMap, page: PullResponse) -> Result<Response, ApiError> {
    let offer = headers
        .get_all(HeaderName::from_static("gridwork-wire"))
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| packed::offers_packed(Some(v)));
    if !offer {
        return Ok(Json(page).into_response());
    }
    let body = packed::pack_pull(&page).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static(packed::content_type()),
        )],
        body,
    )
        .into_response())
}
