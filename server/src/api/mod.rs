//! The HTTP face of protocol v1: routes, shared state, and the middleware that every
//! response passes through (the `Gridwork-Protocol` header, JSON error bodies,
//! compression, request decompression, tracing).

mod actions;
mod blobs;
pub mod cases;
pub mod catalog;
mod contact;
mod device_admin;
mod devices;
pub mod error;
mod evaluation;
mod events;
mod incarnation;
mod map;
mod observe;
mod packed;
pub mod patrols;
mod session;
mod signing;
mod users;
mod wipe;

pub use error::ApiError;
pub use session::Caller;

use crate::{
    blobs::BlobStore,
    console::ConsoleOptions,
    signin::{SignInGuard, SignInLimits},
    storage::Storage,
};
use axum::{
    extract::{DefaultBodyLimit, Request},
    http::{header, HeaderValue, StatusCode},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{get, post, put},
    Router,
};
use gridwork_core::sync::wire::{ErrorBody, ErrorDetail, PROTOCOL_HEADER, PROTOCOL_VERSION};
use std::{sync::Arc, time::Duration};
use tower_http::{
    compression::{CompressionLayer, Predicate},
    decompression::RequestDecompressionLayer,
    timeout::RequestBodyTimeoutLayer,
};

/// Limits enforced by the server: sizes (answered with 413 `too_large`), sign-in and
/// per-token request rates (429 `rate_limited`), token lifetime (401) and connection
/// timeouts.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest push body, after decompression.
    pub max_push_bytes: usize,
    /// Largest photo.
    pub max_blob_bytes: u64,
    /// How long a token is accepted after it was issued (default 30 days).
    pub token_ttl: Duration,
    /// Failed sign-ins allowed per account and per address, and Argon2 concurrency.
    pub sign_in: SignInLimits,
    /// How long a connection may take to send a request's header, counted from when it
    /// is ready for one: a new connection, or a kept-alive one after its last answer (so
    /// it is also the idle keep-alive timeout). Default 30 s.
    pub header_read_timeout: Duration,
    /// How long a request body may go without sending data (default 30 s).
    pub body_read_timeout: Duration,
    /// On shutdown, how long requests in flight may take to finish before their
    /// connections are dropped (default 30 s; [`crate::serve`] only).
    pub shutdown_grace: Duration,
    /// Requests per token (429 `rate_limited` with `Retry-After` past it).
    pub token_rate: crate::ratelimit::TokenRate,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_push_bytes: 8 * 1024 * 1024,
            max_blob_bytes: 20 * 1024 * 1024,
            token_ttl: Duration::from_secs(30 * 24 * 3600),
            sign_in: SignInLimits::default(),
            header_read_timeout: Duration::from_secs(30),
            body_read_timeout: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(30),
            token_rate: crate::ratelimit::TokenRate::default(),
        }
    }
}

/// Largest request body of the routes that take JSON (pushes and photos have their own
/// limits, [`Limits`]).
pub const JSON_BODY_LIMIT: usize = 1024 * 1024;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// Events, accounts, settings.
    pub storage: Arc<dyn Storage>,
    /// Photos.
    pub blobs: Arc<BlobStore>,
    /// Limits.
    pub limits: Limits,
    /// Sign-in rate limits and the Argon2 runner.
    pub sign_in: Arc<SignInGuard>,
    /// The Prometheus metrics served at `/metrics`.
    pub metrics: Arc<crate::metrics::Metrics>,
    /// The per-token request rate limit, checked when a token is accepted.
    pub token_limiter: Arc<crate::ratelimit::TokenLimiter>,
}

impl AppState {
    /// The state of a server over `storage` and `blobs` enforcing `limits`.
    pub fn new(storage: Arc<dyn Storage>, blobs: Arc<BlobStore>, limits: Limits) -> Self {
        let sign_in = Arc::new(SignInGuard::new(&limits.sign_in));
        // Registering fixed, distinct metric names cannot fail.
        #[allow(clippy::expect_used)]
        let metrics = Arc::new(crate::metrics::Metrics::new().expect("the metrics register"));
        let token_limiter = Arc::new(crate::ratelimit::TokenLimiter::new(limits.token_rate));
        AppState {
            storage,
            blobs,
            limits,
            sign_in,
            metrics,
            token_limiter,
        }
    }
}

/// Every route the server answers, with its methods (`HEAD` is also answered wherever
/// `GET` is). docs/openapi.yaml documents exactly these; a test holds them equal.
pub const ROUTES: &[(&str, &[&str])] = &[
    ("/v1/login", &["POST"]),
    ("/v1/me", &["GET"]),
    ("/v1/events", &["GET", "POST"]),
    ("/v1/blobs/{sha256}", &["GET", "HEAD", "PUT"]),
    ("/v1/catalog", &["GET"]),
    ("/v1/cases", &["GET"]),
    ("/v1/cases/{id}", &["GET"]),
    ("/v1/cases/{id}/actions", &["POST"]),
    ("/v1/cases/{id}/contact", &["GET"]),
    ("/v1/evaluation", &["GET"]),
    ("/v1/patrols", &["GET"]),
    ("/v1/patrols/{id}", &["GET"]),
    ("/v1/map", &["GET"]),
    ("/v1/devices", &["GET"]),
    ("/v1/me/password", &["PUT"]),
    ("/v1/users", &["GET", "POST"]),
    ("/v1/users/{name}", &["GET", "PATCH"]),
    ("/v1/users/{name}/password", &["PUT"]),
    ("/v1/audit", &["GET"]),
    ("/v1/users/{name}/devices", &["GET"]),
    ("/v1/devices/{id}/quarantine", &["GET"]),
    ("/v1/devices/{id}/rejudge", &["POST"]),
    ("/v1/devices/{id}/wipe", &["POST"]),
    ("/v1/tokens", &["GET"]),
    ("/v1/tokens/revoke", &["POST"]),
    ("/v1/me/wiped", &["POST"]),
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
    let no_store = || middleware::map_response(no_store);
    Router::new()
        .route("/v1/login", post(session::login).layer(no_store()))
        .route("/v1/me", get(session::me).layer(no_store()))
        .route(
            "/v1/events",
            post(events::push)
                .layer(push_limit)
                .get(events::pull)
                .layer(no_store()),
        )
        .route(
            "/v1/blobs/{sha256}",
            put(blobs::put)
                .layer(blob_limit)
                .get(blobs::get)
                .head(blobs::head),
        )
        .route("/v1/catalog", get(catalog::get))
        .route("/v1/cases", get(cases::list).layer(no_store()))
        .route("/v1/cases/{id}", get(cases::get).layer(no_store()))
        .route("/v1/cases/{id}/actions", post(actions::act))
        .route(
            "/v1/cases/{id}/contact",
            get(contact::get).layer(no_store()),
        )
        .route("/v1/evaluation", get(evaluation::get))
        .route("/v1/patrols", get(patrols::list).layer(no_store()))
        .route("/v1/patrols/{id}", get(patrols::get).layer(no_store()))
        .route("/v1/map", get(map::get).layer(no_store()))
        .route("/v1/devices", get(devices::list).layer(no_store()))
        .route(
            "/v1/me/password",
            put(users::own_password).layer(no_store()),
        )
        .route(
            "/v1/users",
            get(users::list).post(users::create).layer(no_store()),
        )
        .route(
            "/v1/users/{name}",
            get(users::get).patch(users::change).layer(no_store()),
        )
        .route("/v1/users/{name}/password", put(users::password))
        .route("/v1/audit", get(users::audit).layer(no_store()))
        .route(
            "/v1/users/{name}/devices",
            get(device_admin::user_devices).layer(no_store()),
        )
        .route(
            "/v1/devices/{id}/quarantine",
            get(device_admin::quarantine).layer(no_store()),
        )
        .route("/v1/devices/{id}/rejudge", post(device_admin::rejudge))
        .route("/v1/devices/{id}/wipe", post(device_admin::wipe))
        .route("/v1/tokens", get(device_admin::tokens).layer(no_store()))
        .route("/v1/tokens/revoke", post(device_admin::revoke))
        .route(wipe::WIPED_PATH, post(wipe::wiped))
        .fallback(|| async { ApiError::NotFound("no such route".into()) })
        // Route layers (the push and photo limits) are inside this one and win.
        .layer(DefaultBodyLimit::max(JSON_BODY_LIMIT))
        .layer(middleware::from_fn(protocol))
        // The console's pages and Open311 are not protocol v1: outside its middleware.
        .merge(crate::console::routes(console))
        .nest("/open311/v2", crate::open311::routes())
        // Operations: liveness, readiness, metrics (not protocol v1 either).
        .route("/health", get(observe::health))
        .route("/ready", get(observe::ready))
        .route("/metrics", get(observe::metrics))
        .layer(CompressionLayer::new().compress_when(compress_when()))
        .layer(RequestDecompressionLayer::new())
        .layer(RequestBodyTimeoutLayer::new(state.limits.body_read_timeout))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            observe::observe,
        ))
        .with_state(state)
}

/// Answers smaller than this go out as they are: gzip would save a few dozen bytes of
/// a push's answer and cost a compressor (hundreds of KB zeroed) per response
/// (docs/benchmarks.md, "Server under load").
pub const COMPRESS_MIN_BYTES: u16 = 1024;

/// Which answers are gzipped for a client that offers it: the framework's default
/// (not gRPC, images or event streams) above [`COMPRESS_MIN_BYTES`], and never packed
/// pull pages, which are zstd already (docs/sync-protocol.md, "Packed wire form").
fn compress_when() -> impl Predicate {
    use tower_http::compression::predicate::{NotForContentType, SizeAbove};
    SizeAbove::new(COMPRESS_MIN_BYTES)
        .and(NotForContentType::GRPC)
        .and(NotForContentType::IMAGES)
        .and(NotForContentType::SSE)
        .and(NotForContentType::const_new(
            gridwork_core::sync::packed::PACKED_MEDIA_TYPE,
        ))
}

/// Responses that carry a token or event data are not to be kept by any cache.
async fn no_store(mut res: Response) -> Response {
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
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
            StatusCode::REQUEST_TIMEOUT => "timeout",
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
    // Every body is JSON or bytes named by their hash: no browser is to guess otherwise.
    res.headers_mut().insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    res
}
