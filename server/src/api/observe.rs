//! `GET /health`, `GET /ready`, `GET /metrics`, and the middleware that logs and counts
//! every request. A request's log line carries its method, route (the declared pattern,
//! never the path or query, which may hold search text), status, duration and — once
//! its token was read — the account and device; never a header or a body.

use super::AppState;
use axum::{
    extract::{MatchedPath, Request, State},
    http::{header, HeaderValue, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use std::time::Instant;
use tracing::Instrument;

/// Logs and counts a request.
pub(super) async fn observe(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let method = req.method().clone();
    let span = tracing::info_span!(
        "request",
        method = %method,
        route = %route,
        user = tracing::field::Empty,
        device = tracing::field::Empty,
    );
    let start = Instant::now();
    let res = next.run(req).instrument(span.clone()).await;
    let elapsed = start.elapsed();
    let status = res.status();
    let m = &state.metrics;
    m.requests
        .with_label_values(&[route.as_str(), method.as_str(), status.as_str()])
        .inc();
    m.request_seconds
        .with_label_values(&[route.as_str()])
        .observe(elapsed.as_secs_f64());
    let ms = elapsed.as_secs_f64() * 1000.0;
    span.in_scope(|| {
        if status.is_server_error() {
            tracing::error!(status = status.as_u16(), duration_ms = ms, "answered");
        } else if route == "/health" || route == "/ready" || route == "/metrics" {
            tracing::debug!(status = status.as_u16(), duration_ms = ms, "answered");
        } else {
            tracing::info!(status = status.as_u16(), duration_ms = ms, "answered");
        }
    });
    res
}

/// Records who a request speaks for in its log span.
pub(crate) fn record_caller(user: &str, device: &str) {
    let span = tracing::Span::current();
    span.record("user", user);
    if !device.is_empty() {
        span.record("device", device);
    }
}

/// The part of a rejection reason that names its kind (before the first colon): the
/// rest may quote what the device sent.
pub(crate) fn reason_kind(reason: &str) -> &str {
    let head = reason.split(':').next().unwrap_or(reason).trim();
    match head.char_indices().nth(80) {
        Some((i, _)) => &head[..i],
        None => head,
    }
}

/// `GET /health`: the process answers.
pub(super) async fn health() -> &'static str {
    "ok\n"
}

/// `GET /ready`: the storage answers (503 when it does not).
pub(super) async fn ready(State(state): State<AppState>) -> Response {
    match state.metrics.storage("ping", state.storage.ping()).await {
        Ok(()) => "ready\n".into_response(),
        Err(e) => {
            tracing::warn!("not ready: the storage does not answer: {e}");
            (StatusCode::SERVICE_UNAVAILABLE, "storage unreachable\n").into_response()
        }
    }
}

/// `GET /metrics`: Prometheus' text format.
pub(super) async fn metrics(State(state): State<AppState>) -> Response {
    let mut res = state.metrics.render().into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    res
}
