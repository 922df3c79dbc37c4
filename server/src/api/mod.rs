//! The HTTP face of protocol v1: routes, shared state, and the middleware that every
//! response passes through (the `Gridwork-Protocol` header, JSON error bodies,
//! compression, request decompression, tracing).

mod blobs;
mod catalog;
pub mod error;
mod events;
mod session;

pub use error::ApiError;
pub use session::Caller;

use crate::{blobs::BlobStore, console::ConsoleOptions, storage::Storage};
use axum::{
    extract::{DefaultBodyLimit, Request},
    http::{header, HeaderValue, StatusCode},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{get, post, put},
    Router,
};
use gridwork_core::sync::wire::{ErrorBody, ErrorDetail, PROTOCOL_HEADER, PROTOCOL_VERSION};
use std::sync::Arc;
use tower_http::{
    compression::CompressionLayer, decompression::RequestDecompressionLayer, trace::TraceLayer,
};

/// Size limits enforced by the server (each answered with 413 `too_large`).
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest push body, after decompression.
    pub max_push_bytes: usize,
    /// Largest photo.
    pub max_blob_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_push_bytes: 8 * 1024 * 1024,
            max_blob_bytes: 20 * 1024 * 1024,
        }
    }
}

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// Events, accounts, settings.
    pub storage: Arc<dyn Storage>,
    /// Photos.
    pub blobs: Arc<BlobStore>,
    /// Size limits.
    pub limits: Limits,
}

/// Every route the server answers, with its methods (`HEAD` is also answered wherever
/// `GET` is). docs/openapi.yaml documents exactly these; a test holds them equal.
pub const ROUTES: &[(&str, &[&str])] = &[
    ("/v1/login", &["POST"]),
    ("/v1/me", &["GET"]),
    ("/v1/events", &["GET", "POST"]),
    ("/v1/blobs/{sha256}", &["GET", "HEAD", "PUT"]),
    ("/v1/catalog", &["GET"]),
];

/// The server's router over `state`, with the console's default options.
pub fn router(state: AppState) -> Router {
    router_with(state, &ConsoleOptions::default())
}

/// The server's router over `state`, serving the console with `console`'s options.
pub fn router_with(state: AppState, console: &ConsoleOptions) -> Router {
    let push_limit = DefaultBodyLimit::max(state.limits.max_push_bytes);
    // A chunk may be as large as the largest photo; a little slack so that a photo
    // exactly at the limit is refused by the size check with a clear message.
    let blob_limit = DefaultBodyLimit::max(
        usize::try_from(state.limits.max_blob_bytes)
            .unwrap_or(usize::MAX)
            .saturating_add(1),
    );
    Router::new()
        .route("/v1/login", post(session::login))
        .route("/v1/me", get(session::me))
        .route(
            "/v1/events",
            post(events::push).layer(push_limit).get(events::pull),
        )
        .route(
            "/v1/blobs/{sha256}",
            put(blobs::put)
                .layer(blob_limit)
                .get(blobs::get)
                .head(blobs::head),
        )
        .route("/v1/catalog", get(catalog::get))
        .fallback(|| async { ApiError::NotFound("no such route".into()) })
        .layer(middleware::from_fn(protocol))
        // The console's pages are not protocol v1: merged after (outside) its middleware.
        .merge(crate::console::routes(console))
        .layer(CompressionLayer::new())
        .layer(RequestDecompressionLayer::new())
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Refuses other protocol versions, stamps the version on every response and turns
/// any error that is not JSON yet (from the framework) into the protocol's error body.
async fn protocol(req: Request, next: Next) -> Response {
    let ours = PROTOCOL_VERSION.to_string();
    let mut res = match req.headers().get(PROTOCOL_HEADER) {
        Some(v) if v.as_bytes() != ours.as_bytes() => ApiError::ProtocolMismatch(format!(
            "this server speaks {PROTOCOL_HEADER}: {ours}, the request announced {}",
            String::from_utf8_lossy(v.as_bytes())
        ))
        .into_response(),
        _ => next.run(req).await,
    };
    let status = res.status();
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if (status.is_client_error() || status.is_server_error()) && !is_json {
        let (mut parts, _) = res.into_parts();
        let code = match status {
            StatusCode::UNAUTHORIZED => "unauthorized",
            StatusCode::FORBIDDEN => "forbidden",
            StatusCode::NOT_FOUND => "not_found",
            StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
            StatusCode::PAYLOAD_TOO_LARGE => "too_large",
            StatusCode::TOO_MANY_REQUESTS => "rate_limited",
            s if s.is_client_error() => "bad_request",
            _ => "internal",
        };
        let body = ErrorBody {
            error: ErrorDetail {
                code: code.into(),
                message: status
                    .canonical_reason()
                    .unwrap_or("request failed")
                    .to_lowercase(),
            },
        };
        parts.headers.remove(header::CONTENT_LENGTH);
        parts.headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        let bytes = serde_json::to_vec(&body).unwrap_or_default();
        res = Response::from_parts(parts, axum::body::Body::from(bytes));
    }
    res.headers_mut()
        .insert(PROTOCOL_HEADER, HeaderValue::from(PROTOCOL_VERSION));
    res
}
