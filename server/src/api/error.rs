//! Errors as the protocol shows them: a status and `{"error": {"code", "message"}}`.

use crate::{blobs::BlobError, StorageError};
use axum::{
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use gridwork_core::sync::wire::{ErrorBody, ErrorDetail};

/// An error answered to a client.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 401 `unauthorized`: no token, an unknown token, or a wrong password.
    #[error("{0}")]
    Unauthorized(String),
    /// 400 `bad_request`: the request does not parse.
    #[error("{0}")]
    BadRequest(String),
    /// 413 `too_large`: over a documented limit.
    #[error("{0}")]
    TooLarge(String),
    /// 404 `not_found`.
    #[error("{0}")]
    NotFound(String),
    /// 403 `forbidden`: signed in, but this is not the caller's to do.
    #[error("{0}")]
    Forbidden(String),
    /// 409 with its own code: the request collides with what the server holds.
    #[error("{message}")]
    Conflict {
        /// The stable code (`total_changed`, `too_many_uploads`, …).
        code: &'static str,
        /// What went wrong, for people.
        message: String,
    },
    /// 400 `protocol_mismatch`: the request announced another protocol version.
    #[error("{0}")]
    ProtocolMismatch(String),
    /// 409 `offset_mismatch`: a blob chunk that does not start where the held bytes end.
    #[error("the server holds {held} bytes of this upload; resume from there")]
    OffsetMismatch {
        /// Bytes held.
        held: u64,
    },
    /// 422 `hash_mismatch`: the uploaded bytes do not hash to the blob's name.
    #[error("{0}")]
    HashMismatch(String),
    /// 409 `device_taken`: sign-in with a device id that belongs to another account.
    #[error("device {0} belongs to another account: this device cannot sign in as this user")]
    DeviceTaken(String),
    /// 429 `rate_limited`: too many failed sign-ins; try again after `retry_after_secs`.
    #[error("too many failed sign-ins: try again in {retry_after_secs} s")]
    RateLimited {
        /// Seconds until another attempt is allowed (sent as `Retry-After`).
        retry_after_secs: u64,
    },
    /// 429 `rate_limited`: this token made more requests than the per-token limit
    /// allows; try again after `retry_after_secs`.
    #[error("too many requests with this token: at most {per_minute} a minute, in bursts of {burst}; try again in {retry_after_secs} s")]
    TokenRateLimited {
        /// Seconds until the next request is allowed (sent as `Retry-After`).
        retry_after_secs: u64,
        /// The limit: requests a minute.
        per_minute: u32,
        /// The limit: requests at once.
        burst: u32,
    },
    /// 408 `timeout`: the request body stopped arriving.
    #[error("{0}")]
    RequestTimeout(String),
    /// 410 `wipe_required`: an administrator marked the token's device lost; the device
    /// acknowledges (`POST /v1/me/wiped`) and wipes its local copy.
    #[error("{0}")]
    WipeRequired(String),
    /// 415 `unsupported_wire`: a body in a packed form this server does not read
    /// (docs/sync-protocol.md, "Packed wire form"); the client sends JSON instead.
    #[error("{0}")]
    UnsupportedWire(String),
    /// 500 `internal`: logged; the client sees no details.
    #[error("{0}")]
    Internal(String),
}

impl ApiError {
    fn status_code(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            ApiError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            ApiError::Conflict { code, .. } => (StatusCode::CONFLICT, code),
            ApiError::ProtocolMismatch(_) => (StatusCode::BAD_REQUEST, "protocol_mismatch"),
            ApiError::OffsetMismatch { .. } => (StatusCode::CONFLICT, "offset_mismatch"),
            ApiError::HashMismatch(_) => (StatusCode::UNPROCESSABLE_ENTITY, "hash_mismatch"),
            ApiError::DeviceTaken(_) => (StatusCode::CONFLICT, "device_taken"),
            ApiError::RateLimited { .. } | ApiError::TokenRateLimited { .. } => {
                (StatusCode::TOO_MANY_REQUESTS, "rate_limited")
            }
            ApiError::RequestTimeout(_) => (StatusCode::REQUEST_TIMEOUT, "timeout"),
            ApiError::WipeRequired(_) => (StatusCode::GONE, "wipe_required"),
            ApiError::UnsupportedWire(_) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_wire")
            }
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl From<StorageError> for ApiError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::DeviceTaken(device) => ApiError::DeviceTaken(device),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<BlobError> for ApiError {
    fn from(e: BlobError) -> Self {
        match e {
            BlobError::OffsetMismatch { held } => ApiError::OffsetMismatch { held },
            BlobError::HashMismatch { .. } => ApiError::HashMismatch(e.to_string()),
            BlobError::TotalChanged { .. } => ApiError::Conflict {
                code: "total_changed",
                message: e.to_string(),
            },
            BlobError::TooManyPartials => ApiError::Conflict {
                code: "too_many_uploads",
                message: e.to_string(),
            },
            BlobError::Io(e) => ApiError::Internal(e.to_string()),
        }
    }
}

impl From<std::io::Error> for ApiError {
    fn from(e: std::io::Error) -> Self {
        ApiError::Internal(e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_code();
        let message = match &self {
            ApiError::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                "internal server error".to_string()
            }
            other => other.to_string(),
        };
        let mut res = (
            status,
            Json(ErrorBody {
                error: ErrorDetail {
                    code: code.into(),
                    message,
                },
            }),
        )
            .into_response();
        match self {
            ApiError::Unauthorized(_) => {
                res.headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            ApiError::OffsetMismatch { held } => {
                res.headers_mut()
                    .insert(super::blobs::UPLOAD_OFFSET, HeaderValue::from(held));
            }
            ApiError::RateLimited { retry_after_secs }
            | ApiError::TokenRateLimited {
                retry_after_secs, ..
            } => {
                res.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
            }
            _ => {}
        }
        res
    }
}

/// Reads a JSON body, mapping an oversized body to 413 and bad JSON to 400.
pub(crate) fn json_body<T: serde::de::DeserializeOwned>(
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<T, ApiError> {
    let bytes = body_bytes(body)?;
    serde_json::from_slice(&bytes).map_err(|e| ApiError::BadRequest(format!("request body: {e}")))
}

/// Reads a body, mapping an oversized body to 413.
pub(crate) fn body_bytes(
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<axum::body::Bytes, ApiError> {
    body.map_err(|e| {
        if timed_out(&e) {
            ApiError::RequestTimeout("the request body stopped arriving: send it again".into())
        } else if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::TooLarge(format!(
                "request body too large: at most {} bytes on this route",
                super::JSON_BODY_LIMIT
            ))
        } else {
            ApiError::BadRequest(e.body_text())
        }
    })
}

/// Whether reading the body failed because it stopped arriving (the body read timeout).
fn timed_out(e: &axum::extract::rejection::BytesRejection) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        if err.is::<tower_http::timeout::TimeoutError>() {
            return true;
        }
        source = err.source();
    }
    false
}
