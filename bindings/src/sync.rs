//! Sync through the FFI: the `GridworkSync` Object (sign in, run, status, cancel), the
//! Records mirroring the core's `SyncStatus` / `SyncReport` / `Progress`, and the two
//! foreign traits a shell may implement: `HttpTransport` (so the app's own HTTP stack —
//! OkHttp or `HttpURLConnection`, URLSession — with the platform's proxy and certificate
//! rules moves the bytes) and `SyncProgressListener`.
//!
//! The engine itself is the core's (`gridwork_core::sync`); this file adapts types and
//! tells the store's observers about the cases a pull changed. Without a foreign
//! transport the built-in one (`gridwork-http`: reqwest, rustls with ring) is used, in
//! builds with the `builtin-http` feature (the default; the shells build without it).

use crate::{error::GridworkError, store::GridworkStore, types::Role};
use gridwork_core::sync as core_sync;
use std::{
    panic::{catch_unwind, AssertUnwindSafe},
    sync::Arc,
};

/// One HTTP header.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct HttpHeader {
    /// Its name (compare case-insensitively).
    pub name: String,
    /// Its value.
    pub value: String,
}

/// A request the sync engine wants sent, exactly as built: send these headers and this
/// body as they are (the transport adds only transport-level headers such as
/// `Content-Length`), follow no redirects, and return the response whatever its status.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct HttpRequest {
    /// `GET`, `HEAD`, `POST` or `PUT`.
    pub method: String,
    /// The absolute URL (the signed-in server, then path and query).
    pub url: String,
    /// Headers to send (`Authorization`, `Gridwork-Protocol`, `Content-Type`,
    /// `Content-Range` …).
    pub headers: Vec<HttpHeader>,
    /// The body; empty for `GET` and `HEAD`.
    pub body: Vec<u8>,
}

impl From<&core_sync::HttpRequest> for HttpRequest {
    fn from(r: &core_sync::HttpRequest) -> Self {
        HttpRequest {
            method: r.method.as_str().to_string(),
            url: r.url.clone(),
            headers: r
                .headers
                .iter()
                .map(|(name, value)| HttpHeader {
                    name: name.clone(),
                    value: value.clone(),
                })
                .collect(),
            body: r.body.clone(),
        }
    }
}

/// The server's answer, with the body read completely and decompressed. Any status code
/// (404, 500 …) is a response, not a failure.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct HttpResponse {
    /// The status code.
    pub status: u16,
    /// Response headers (the engine reads `Gridwork-Protocol`, `Retry-After`,
    /// `Upload-Offset`, `ETag`).
    pub headers: Vec<HttpHeader>,
    /// The body, decompressed.
    pub body: Vec<u8>,
}

impl From<HttpResponse> for core_sync::HttpResponse {
    fn from(r: HttpResponse) -> Self {
        core_sync::HttpResponse {
            status: r.status,
            headers: r.headers.into_iter().map(|h| (h.name, h.value)).collect(),
            body: r.body,
        }
    }
}

/// Why an exchange produced no response. Thrown by a foreign `HttpTransport`; any other
/// exception it throws counts as `Interrupted`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum TransportFailure {
    /// No connection (no network, DNS, refused, TLS).
    #[error("cannot reach the server: {reason}")]
    Connect {
        /// What happened.
        reason: String,
    },
    /// Connecting or reading took too long.
    #[error("the server took too long to answer: {reason}")]
    Timeout {
        /// What happened.
        reason: String,
    },
    /// The connection broke during the exchange.
    #[error("the connection was interrupted: {reason}")]
    Interrupted {
        /// What happened.
        reason: String,
    },
    /// The request could not be built (a malformed URL or header).
    #[error("bad request: {reason}")]
    InvalidRequest {
        /// What happened.
        reason: String,
    },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for TransportFailure {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        TransportFailure::Interrupted { reason: e.reason }
    }
}

impl From<TransportFailure> for core_sync::TransportError {
    fn from(f: TransportFailure) -> Self {
        match f {
            TransportFailure::Connect { reason } => core_sync::TransportError::Connect(reason),
            TransportFailure::Timeout { reason } => core_sync::TransportError::Timeout(reason),
            TransportFailure::Interrupted { reason } => {
                core_sync::TransportError::Interrupted(reason)
            }
            TransportFailure::InvalidRequest { reason } => {
                core_sync::TransportError::InvalidRequest(reason)
            }
        }
    }
}

/// Implemented by a shell to send the engine's HTTP requests with the platform's own
/// stack. Called on the thread running `GridworkSync.run` / `login`; block until the
/// whole response body is read, apply connect and read timeouts, and follow no
/// redirects. Must be safe to call from several threads.
#[uniffi::export(with_foreign)]
pub trait HttpTransport: Send + Sync {
    /// Performs one exchange.
    fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportFailure>;

    /// The sync run was cancelled (`GridworkSync.cancel`, from any thread): make every
    /// `send` in flight return soon (disconnect it, cancel its task) with any
    /// `TransportFailure`. Later requests must work as usual. Called only while a run is
    /// active, never for an idle cancel.
    fn abort(&self);
}

/// A foreign `HttpTransport` seen as the core's `Transport`.
struct ForeignTransport(Arc<dyn HttpTransport>);

impl ForeignTransport {
    /// Tells the foreign transport to abort what is in flight.
    fn abort(&self) {
        if catch_unwind(AssertUnwindSafe(|| self.0.abort())).is_err() {
            tracing::warn!("the app's HTTP transport failed to abort; ignored");
        }
    }
}

impl core_sync::Transport for ForeignTransport {
    fn send(
        &self,
        request: &core_sync::HttpRequest,
    ) -> Result<core_sync::HttpResponse, core_sync::TransportError> {
        let request = HttpRequest::from(request);
        match catch_unwind(AssertUnwindSafe(|| self.0.send(request))) {
            Ok(Ok(response)) => Ok(response.into()),
            Ok(Err(failure)) => Err(failure.into()),
            Err(_) => Err(core_sync::TransportError::Interrupted(
                "the app's HTTP transport failed".into(),
            )),
        }
    }
}

/// The step a run is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum SyncPhase {
    /// Sending this device's events.
    Push,
    /// Uploading photos.
    Upload,
    /// Fetching others' events.
    Pull,
}

/// Where a run is, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct SyncProgress {
    /// The step.
    pub phase: SyncPhase,
    /// Items done in this step (events pushed or pulled, photos uploaded).
    pub done: u64,
    /// Items expected in this step, when known (null during a pull).
    pub total: Option<u64>,
    /// Bytes sent or received in this step so far.
    pub bytes: u64,
}

impl From<core_sync::Progress> for SyncProgress {
    fn from(p: core_sync::Progress) -> Self {
        SyncProgress {
            phase: match p.phase {
                core_sync::Phase::Push => SyncPhase::Push,
                core_sync::Phase::Upload => SyncPhase::Upload,
                core_sync::Phase::Pull => SyncPhase::Pull,
            },
            done: p.done,
            total: p.total,
            bytes: p.bytes,
        }
    }
}

/// Implemented by the app to show a run's progress. Called on the thread running the
/// sync after each batch, photo chunk and page; return quickly. An exception thrown here
/// is ignored.
#[uniffi::export(with_foreign)]
pub trait SyncProgressListener: Send + Sync {
    /// A step moved.
    fn on_progress(&self, progress: SyncProgress);
}

/// Calls a foreign listener, ignoring what it throws.
pub(crate) fn tell(listener: &Arc<dyn SyncProgressListener>, update: SyncProgress) {
    if catch_unwind(AssertUnwindSafe(|| listener.on_progress(update))).is_err() {
        tracing::warn!("a sync progress listener failed; ignored");
    }
}

/// Where a device stands with its server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum EngineState {
    /// No server or token yet: sign in first.
    NotSignedIn,
    /// Signed in, never synced since.
    Idle,
    /// The last run finished: everything pushed, caught up.
    Synced,
    /// The last run failed on something passing (network, timeout, 5xx, 429); the next
    /// attempt is scheduled (`next_attempt_ms`).
    RetryScheduled,
    /// The server refused the token: sign in again; nothing is tried until then.
    SignInRequired,
    /// The server speaks another protocol version: update the app or the server.
    IncompatibleServer,
    /// The last run was cancelled; what it finished is kept.
    Cancelled,
    /// Another device or account uses this device's id: nothing is retried
    /// automatically; the device needs a new store (and so a new random id).
    DeviceConflict,
    /// An administrator marked this device lost: the server told it to wipe itself and
    /// the store's database and photos are deleted. Close the store; set up anew.
    Wiped,
}

impl From<core_sync::EngineState> for EngineState {
    fn from(s: core_sync::EngineState) -> Self {
        use core_sync::EngineState as S;
        match s {
            S::NotSignedIn => EngineState::NotSignedIn,
            S::Idle => EngineState::Idle,
            S::Synced => EngineState::Synced,
            S::RetryScheduled => EngineState::RetryScheduled,
            S::SignInRequired => EngineState::SignInRequired,
            S::IncompatibleServer => EngineState::IncompatibleServer,
            S::Cancelled => EngineState::Cancelled,
            S::DeviceConflict => EngineState::DeviceConflict,
            S::Wiped => EngineState::Wiped,
        }
    }
}

/// The family of a sync failure, so a screen can explain it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum SyncFailureKind {
    /// No connection, or it broke.
    Network,
    /// The server took too long.
    Timeout,
    /// The server failed (5xx).
    Server,
    /// The server asked to slow down (429).
    RateLimited,
    /// The sign-in was refused (401).
    Unauthorized,
    /// The server speaks another protocol version.
    Incompatible,
    /// The server answered outside the protocol.
    Unexpected,
    /// The local store failed.
    Store,
    /// Another device or account uses this device's id.
    DeviceConflict,
    /// The device was marked lost and told to wipe itself.
    WipeRequired,
}

impl From<core_sync::FailureKind> for SyncFailureKind {
    fn from(k: core_sync::FailureKind) -> Self {
        use core_sync::FailureKind as K;
        match k {
            K::Network => SyncFailureKind::Network,
            K::Timeout => SyncFailureKind::Timeout,
            K::Server => SyncFailureKind::Server,
            K::RateLimited => SyncFailureKind::RateLimited,
            K::Unauthorized => SyncFailureKind::Unauthorized,
            K::Incompatible => SyncFailureKind::Incompatible,
            K::Unexpected => SyncFailureKind::Unexpected,
            K::Store => SyncFailureKind::Store,
            K::DeviceConflict => SyncFailureKind::DeviceConflict,
            K::WipeRequired => SyncFailureKind::WipeRequired,
        }
    }
}

/// The last failure, as kept for the UI.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SyncFailure {
    /// Its family.
    pub kind: SyncFailureKind,
    /// What happened, for people.
    pub message: String,
    /// When, unix ms.
    pub at_ms: i64,
}

/// Everything a UI shows about sync. Never holds the token.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SyncStatus {
    /// The server's base URL, once signed in.
    pub server: Option<String>,
    /// Whether a token is stored.
    pub signed_in: bool,
    /// Where the device stands.
    pub state: EngineState,
    /// The pull cursor (the highest `server_seq` applied).
    pub cursor: i64,
    /// When the last run finished without error, unix ms.
    pub last_success_ms: Option<i64>,
    /// The last failure (cleared by a successful run).
    pub last_error: Option<SyncFailure>,
    /// When an automatic attempt is due, unix ms.
    pub next_attempt_ms: Option<i64>,
    /// Failed runs since the last success.
    pub consecutive_failures: u32,
    /// This device's events still to push.
    pub pending_events: u64,
    /// Photos still to upload.
    pub pending_photos: u64,
    /// This device's events the server refused (kept, shown as rejected).
    pub rejected_events: u64,
    /// Whether a background scheduler should start a run now.
    pub due: bool,
}

impl SyncStatus {
    fn new(s: core_sync::SyncStatus, now_ms: i64) -> Self {
        SyncStatus {
            due: s.is_due(now_ms),
            server: s.server,
            signed_in: s.signed_in,
            state: s.state.into(),
            cursor: s.cursor,
            last_success_ms: s.last_success_ms,
            last_error: s.last_error.map(|e| SyncFailure {
                kind: e.kind.into(),
                message: e.message,
                at_ms: e.at_ms,
            }),
            next_attempt_ms: s.next_attempt_ms,
            consecutive_failures: s.consecutive_failures,
            pending_events: s.pending_events,
            pending_photos: s.pending_photos,
            rejected_events: s.rejected_events,
        }
    }
}

/// A photo that did not go up in a run.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct FailedPhoto {
    /// The photo's SHA-256.
    pub sha256: String,
    /// Why, for people.
    pub reason: String,
}

/// What one run did.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SyncReport {
    /// Events the server accepted.
    pub pushed: u64,
    /// Events the server already had.
    pub duplicates: u64,
    /// Events the server refused (kept, shown as rejected).
    pub rejected: u64,
    /// Photos sent.
    pub uploaded_photos: u64,
    /// Photo bytes sent.
    pub uploaded_bytes: u64,
    /// Photos that did not go up in this run (each stays pending and is retried).
    pub failed_photos: Vec<FailedPhoto>,
    /// New events received and applied.
    pub pulled: u64,
    /// The cases those events changed (the store's observers were told).
    pub changed_cases: Vec<String>,
    /// Where the device stands after the run.
    pub state: EngineState,
    /// Why the run stopped early, for people.
    pub error: Option<String>,
    /// When the next automatic attempt is due, unix ms.
    pub next_attempt_ms: Option<i64>,
    /// Whether the run downloaded a new catalogue (with its calendar) and grid from the
    /// server: reload the category picker and the map (the store's observers were told
    /// with an empty list, as after an import).
    pub reference_updated: bool,
}

impl From<core_sync::SyncReport> for SyncReport {
    fn from(r: core_sync::SyncReport) -> Self {
        SyncReport {
            pushed: r.pushed,
            duplicates: r.duplicates,
            rejected: r.rejected,
            uploaded_photos: r.uploaded_photos,
            uploaded_bytes: r.uploaded_bytes,
            failed_photos: r
                .failed_photos
                .into_iter()
                .map(|f| FailedPhoto {
                    sha256: f.sha256,
                    reason: f.reason,
                })
                .collect(),
            pulled: r.pulled,
            changed_cases: r.changed_cases.iter().map(ToString::to_string).collect(),
            state: r.state.into(),
            error: r.error,
            next_attempt_ms: r.next_attempt_ms,
            reference_updated: r.reference_updated,
        }
    }
}

/// The built-in HTTP client.
#[cfg(feature = "builtin-http")]
fn builtin_transport() -> Result<Box<dyn core_sync::Transport>, GridworkError> {
    let client = gridwork_http::HttpTransport::new(gridwork_http::HttpOptions::default())
        .map_err(|e| GridworkError::internal(e.to_string()))?;
    Ok(Box::new(client))
}

/// A library built without the built-in client needs the app's transport.
#[cfg(not(feature = "builtin-http"))]
fn builtin_transport() -> Result<Box<dyn core_sync::Transport>, GridworkError> {
    Err(GridworkError::invalid(
        "transport",
        "no HTTP transport: this library was built without the built-in client (feature \
         builtin-http); pass the app's HttpTransport"
            .into(),
    ))
}

/// The account a sign-in reached.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SignedIn {
    /// The account name (the store's user).
    pub user: String,
    /// The account's role on the server.
    pub role: Role,
    /// Grid-code prefixes the account may see and act in.
    pub scope: Vec<String>,
}

/// Syncs one store with its server. Make one per store (beside the `GridworkStore`) and
/// keep it; calls block on the network, so make them off the main thread. Single-flight:
/// a `run` while another is active joins it (see `run`); `cancel` stops the active one.
#[derive(uniffi::Object)]
pub struct GridworkSync {
    store: Arc<GridworkStore>,
    transport: Box<dyn core_sync::Transport>,
    /// The same transport when it is the app's (it can abort requests in flight).
    foreign: Option<Arc<ForeignTransport>>,
    engine: core_sync::SyncEngine,
    flights: crate::flight::Flights,
    /// Sync status observers (`observe.rs`).
    pub(crate) status_observers: crate::observe::Registry<dyn crate::observe::SyncStatusObserver>,
}

impl GridworkSync {
    /// The transport runs use (for `photos.rs`).
    pub(crate) fn transport(&self) -> &dyn core_sync::Transport {
        self.transport.as_ref()
    }

    /// The core store (for `photos.rs`).
    pub(crate) fn core_store(&self) -> &gridwork_core::Store {
        self.store.core()
    }
}

#[uniffi::export]
impl GridworkSync {
    /// A sync client for `store`. `transport` is the app's HTTP stack; null uses the
    /// built-in one (rustls with the Mozilla roots, no system proxy), or, in a library
    /// built without it (the phones' builds), fails with `InvalidInput`.
    #[uniffi::constructor(default(transport = None))]
    pub fn new(
        store: Arc<GridworkStore>,
        transport: Option<Arc<dyn HttpTransport>>,
    ) -> Result<Arc<GridworkSync>, GridworkError> {
        let foreign = transport.map(|t| Arc::new(ForeignTransport(t)));
        let transport: Box<dyn core_sync::Transport> = match &foreign {
            Some(t) => Box::new(t.clone()),
            None => builtin_transport()?,
        };
        Ok(Arc::new(GridworkSync {
            store,
            transport,
            foreign,
            engine: core_sync::SyncEngine::new(core_sync::SyncOptions::default()),
            flights: crate::flight::Flights::default(),
            status_observers: Default::default(),
        }))
    }

    /// Signs the store's user in to `server` (`https://…`) with a token the operator
    /// issued. The account must be the store's user. Refused: `SignInRequired`; no
    /// answer: `Network`.
    pub fn login_with_token(
        &self,
        server: String,
        token: String,
    ) -> Result<SignedIn, GridworkError> {
        self.login(&server, &core_sync::SignIn::Token(token))
    }

    /// Signs in with an account name and password (traded for a token; the password is
    /// not kept).
    pub fn login_with_password(
        &self,
        server: String,
        user: String,
        password: String,
    ) -> Result<SignedIn, GridworkError> {
        self.login(&server, &core_sync::SignIn::Password { user, password })
    }

    /// Forgets the token; pending events stay pending until the next sign-in.
    pub fn logout(&self) -> Result<(), GridworkError> {
        core_sync::logout(self.store.core())?;
        self.notify_status(false);
        Ok(())
    }

    /// The stored sync status (no network).
    pub fn status(&self) -> Result<SyncStatus, GridworkError> {
        let status = core_sync::status(self.store.core())?;
        Ok(SyncStatus::new(status, self.store.core().now_ms()))
    }

    /// One run: push this device's events, upload photos, pull the caller's scope. A
    /// failure of the exchange (network, server, sign-in) ends the run early and is
    /// reported in the result (`state`, `error`); only a local store failure raises. The
    /// store's observers are told about the cases the pull changed.
    ///
    /// Single-flight: called while a run is active (another thread, the sync button
    /// during a background sync), this call joins that run instead of starting one: its
    /// `progress` hears the run's latest update at once and every later one, and it
    /// returns the same result.
    pub fn run(
        &self,
        progress: Option<Arc<dyn SyncProgressListener>>,
    ) -> Result<SyncReport, GridworkError> {
        let flight = match self.flights.take_off(progress) {
            crate::flight::Boarding::Joined(flight) => return flight.wait(),
            crate::flight::Boarding::Pilot(flight) => flight,
        };
        self.notify_status(true);
        let outcome = self
            .engine
            .run(
                self.store.core(),
                self.transport.as_ref(),
                &flight.progress(),
                flight.cancel_token(),
            )
            .map(SyncReport::from)
            .map_err(crate::error::map_core_error);
        if let Ok(report) = &outcome {
            if !report.changed_cases.is_empty() {
                self.store.notify(report.changed_cases.clone());
            }
        }
        if let Ok(report) = &outcome {
            if report.reference_updated {
                self.store.notify(Vec::new());
            }
        }
        let landed = flight.land(outcome);
        self.notify_status(false);
        landed
    }

    /// Stops the active run (from any thread) — whichever caller started it, with any
    /// number of callers joined — and aborts its request in flight through the app's
    /// `HttpTransport` (`abort`; the built-in client lets it finish or time out). The run
    /// returns with state `Cancelled`, keeping every batch it finished. When nothing
    /// runs this does nothing: the next run is not affected.
    pub fn cancel(&self) {
        if self.flights.cancel_active() {
            if let Some(t) = &self.foreign {
                t.abort();
            }
        }
    }

    /// Whether a run is active (for a "syncing…" indicator; a `run` now would join it).
    pub fn is_running(&self) -> bool {
        self.flights.is_active()
    }
}

impl GridworkSync {
    fn login(&self, server: &str, how: &core_sync::SignIn) -> Result<SignedIn, GridworkError> {
        let session = core_sync::login(self.store.core(), self.transport.as_ref(), server, how)
            .map_err(map_sync_error);
        self.notify_status(false);
        let session = session?;
        Ok(SignedIn {
            user: session.user,
            role: session.role.into(),
            scope: session.scope,
        })
    }
}

/// What each sync error becomes on the foreign side.
pub fn map_sync_error(e: core_sync::SyncError) -> GridworkError {
    use crate::error::Kind;
    use core_sync::SyncError as E;
    let kind = match e {
        E::Transport(_) | E::Server { .. } | E::RateLimited { .. } | E::ServerRestored(_) => {
            Kind::Network
        }
        // A sign-in answered `wipe_required` (a sync run reports `EngineState::Wiped`).
        E::Unauthorized(_) | E::WrongUser { .. } | E::NotSignedIn | E::WipeRequired(_) => {
            Kind::SignInRequired
        }
        E::IncompatibleServer(_) | E::Unexpected(_) => Kind::IncompatibleServer,
        E::Cancelled => Kind::Interrupted,
        E::DeviceConflict(_) => Kind::DeviceConflict,
        E::Store(e) => return crate::error::map_core_error(e),
    };
    GridworkError::new(kind, e.code(), None, e.to_string())
}
