//! The sync run: push the outbox in batches, upload the photos, pull the caller's scope
//! page by page, then record the outcome.
//!
//! The network is only ever touched between transactions: each batch is read, sent,
//! and its verdicts recorded in a transaction of its own, and each pulled page is
//! applied together with its cursor in one transaction. A local report or action
//! therefore waits at most for one page to be written, never for the network, and a
//! crash between two pages loses nothing and applies nothing twice.

use super::{
    client::Client,
    error::SyncError,
    outbox,
    progress::{CancelToken, Phase, Progress, SyncProgress},
    state::{self, Backoff, EngineState, SyncStatus},
    transport::Transport,
    upload,
    wire::{
        LoginRequest, PullResponse, PushRequest, PushResponse, Session, MAX_PULL_LIMIT,
        MAX_PUSH_EVENTS,
    },
};
use crate::{
    error::{Error, Result},
    store::{apply_remote_in, meta_set, read_identity, Identity},
    Store,
};
use serde::{Deserialize, Serialize};
use std::{collections::HashSet, sync::Mutex};
use uuid::Uuid;

/// How a run behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncOptions {
    /// Events per push (at most [`MAX_PUSH_EVENTS`]).
    pub push_batch: usize,
    /// Events per pull page (at most [`MAX_PULL_LIMIT`]).
    pub pull_limit: u32,
    /// Bytes per photo upload request.
    pub upload_chunk: usize,
    /// When to try again after a passing failure.
    pub backoff: Backoff,
}

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions {
            push_batch: MAX_PUSH_EVENTS,
            pull_limit: MAX_PULL_LIMIT,
            upload_chunk: 1024 * 1024,
            backoff: Backoff::default(),
        }
    }
}

/// What one run did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncReport {
    /// Events the server accepted.
    pub pushed: u64,
    /// Events the server already had (an earlier push whose answer was lost).
    pub duplicates: u64,
    /// Events the server refused; kept and shown as rejected.
    pub rejected: u64,
    /// Photos sent (photos the server already held are not counted).
    pub uploaded_photos: u64,
    /// Photo bytes sent.
    pub uploaded_bytes: u64,
    /// Photos that did not go up in this run and why; each stays pending, is tried
    /// again next run, and counts in [`SyncStatus::pending_photos`].
    #[serde(default)]
    pub failed_photos: Vec<FailedPhoto>,
    /// New events received from the server and applied.
    pub pulled: u64,
    /// The cases those new events changed, each once (a UI refreshes these; a shell's
    /// change observer is told about them).
    #[serde(default)]
    pub changed_cases: Vec<Uuid>,
    /// Where the device stands after the run.
    pub state: EngineState,
    /// Why the run stopped early, for people.
    pub error: Option<String>,
    /// When the next automatic attempt is due (unix ms), after a passing failure.
    pub next_attempt_ms: Option<i64>,
    /// After a remote wipe ([`EngineState::Wiped`]): whether the server took the
    /// acknowledgement before the store was deleted (it is deleted either way).
    #[serde(default)]
    pub acknowledged_wipe: Option<bool>,
    /// Whether the run downloaded a new catalogue (with its calendar) and grid from the
    /// server (docs/sync-protocol.md, "Reference data"): a UI reloads its category
    /// picker and map.
    #[serde(default)]
    pub reference_updated: bool,
    /// Thumbnails (and small photos without one) downloaded after the pull, at most
    /// [`super::THUMBNAILS_PER_RUN`] a run (docs/photos.md).
    #[serde(default)]
    pub downloaded_thumbnails: u64,
}

impl SyncReport {
    fn new(state: EngineState) -> Self {
        SyncReport {
            pushed: 0,
            duplicates: 0,
            rejected: 0,
            uploaded_photos: 0,
            uploaded_bytes: 0,
            failed_photos: Vec::new(),
            pulled: 0,
            changed_cases: Vec::new(),
            state,
            error: None,
            next_attempt_ms: None,
            acknowledged_wipe: None,
            reference_updated: false,
            downloaded_thumbnails: 0,
        }
    }
}

/// A photo that did not go up in a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedPhoto {
    /// The photo's SHA-256.
    pub sha256: String,
    /// Why, for people.
    pub reason: String,
}

/// How to sign in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignIn {
    /// A bearer token issued by the server's operator; checked with `GET /v1/me`.
    Token(String),
    /// An account name and password, traded for a token with `POST /v1/login`.
    Password {
        /// The account name.
        user: String,
        /// The password.
        password: String,
    },
}

/// Runs syncs for stores. One run at a time per engine: a shell keeps one engine per
/// store and calls [`SyncEngine::run`] off its main thread.
#[derive(Debug, Default)]
pub struct SyncEngine {
    options: SyncOptions,
    running: Mutex<()>,
}

impl SyncEngine {
    /// An engine with the given options (limits are clamped to the protocol's).
    pub fn new(mut options: SyncOptions) -> Self {
        options.push_batch = options.push_batch.clamp(1, MAX_PUSH_EVENTS);
        options.pull_limit = options.pull_limit.clamp(1, MAX_PULL_LIMIT);
        SyncEngine {
            options,
            running: Mutex::new(()),
        }
    }

    /// One run: push, upload, pull. Failures of the exchange (network, server, sign-in)
    /// end the run early and are reported in the [`SyncReport`] and the stored
    /// [`SyncStatus`]; only a failure of the local store is an `Err`.
    pub fn run(
        &self,
        store: &Store,
        transport: &dyn Transport,
        progress: &dyn SyncProgress,
        cancel: &CancelToken,
    ) -> Result<SyncReport> {
        let _one_at_a_time = self.running.lock().unwrap_or_else(|p| p.into_inner());
        let (identity, creds, stored, packs) = store.db().read(|conn| {
            let identity = store.require_identity(conn)?;
            let creds = state::credentials(conn)?;
            let packs = match &creds {
                Some(c) => state::server_packs(conn, &c.server)?,
                None => false,
            };
            Ok((identity, creds, state::stored_state(conn)?, packs))
        })?;
        let Some(creds) = creds else {
            return Ok(SyncReport::new(EngineState::NotSignedIn));
        };
        if stored == EngineState::SignInRequired {
            let mut report = SyncReport::new(EngineState::SignInRequired);
            report.error =
                Some(SyncError::Unauthorized("the token was refused".into()).to_string());
            return Ok(report);
        }
        let now = store.now_ms();
        let client = Client::new(transport, &creds.server, Some(creds.token), cancel, now);
        client.set_server_packs(packs);
        let mut report = SyncReport::new(EngineState::Synced);
        let outcome = Run {
            store,
            client: &client,
            options: &self.options,
            progress,
            identity: &identity,
        }
        .exchange(&mut report);
        let now = store.now_ms();
        if client.server_packs() != packs {
            store
                .db()
                .write(|tx| state::set_server_packs(tx, &creds.server, client.server_packs()))?;
        }
        match outcome {
            Ok(()) => {
                store
                    .db()
                    .write(|tx| state::record_success(tx, EngineState::Synced, now))?;
            }
            Err(SyncError::Cancelled) => {
                report.state = EngineState::Cancelled;
                report.error = Some(SyncError::Cancelled.to_string());
                store
                    .db()
                    .write(|tx| state::record_success(tx, EngineState::Cancelled, now))?;
            }
            Err(SyncError::WipeRequired(why)) => {
                tracing::warn!("the server says this device was marked lost: wiping the store");
                report.acknowledged_wipe = Some(super::wipe::acknowledge(&client));
                super::wipe::wipe_store(store)?;
                report.state = EngineState::Wiped;
                report.error = Some(SyncError::WipeRequired(why).to_string());
                return Ok(report);
            }
            Err(SyncError::Store(e)) => {
                let shown = SyncError::Store(Error::Corrupt(e.to_string()));
                // Best effort: the store just failed, recording may fail too.
                let _ = store
                    .db()
                    .write(|tx| state::record_failure(tx, &shown, &self.options.backoff, now));
                return Err(e);
            }
            Err(e) => {
                tracing::info!(kind = ?e.kind(), "sync run stopped: {e}");
                report.state = store
                    .db()
                    .write(|tx| state::record_failure(tx, &e, &self.options.backoff, now))?;
                report.error = Some(e.to_string());
                report.next_attempt_ms = status(store)?.next_attempt_ms;
            }
        }
        Ok(report)
    }
}

/// The store's sync status, for a UI.
pub fn status(store: &Store) -> Result<SyncStatus> {
    store.db().read(|conn| {
        let device = read_identity(conn)?.map(|i| i.device_id);
        state::read_status(conn, device.as_deref())
    })
}

/// Signs the store in to a server: checks the credentials with the server, then keeps
/// the server URL and token. Signing in to another server starts pulling from scratch.
/// Clears a "sign in again" state.
pub fn login(
    store: &Store,
    transport: &dyn Transport,
    server: &str,
    how: &SignIn,
) -> Result<Session, SyncError> {
    // A store nobody initialised signs in with a new device id and takes the
    // account's user and role (docs/mobile.md, "First run and identity").
    let (identity, device_id) = super::first_run::device_for_sign_in(store)?;
    let server = server.trim().trim_end_matches('/');
    if !(server.starts_with("http://") || server.starts_with("https://")) {
        return Err(Error::invalid(
            "server",
            "the server URL must start with http:// or https://",
        )
        .into());
    }
    let cancel = CancelToken::new();
    let now = store.now_ms();
    let (session, token) = match how {
        SignIn::Token(token) => {
            let client = Client::new(transport, server, Some(token.clone()), &cancel, now);
            (client.get_json::<Session>("/v1/me")?, token.clone())
        }
        SignIn::Password { user, password } => {
            let client = Client::new(transport, server, None, &cancel, now);
            let session: Session = client.post_json(
                "/v1/login",
                &LoginRequest {
                    user: user.clone(),
                    password: password.clone(),
                    device_id: device_id.clone(),
                    device_key: Some(store.signing_public_key()?),
                },
            )?;
            let token = session
                .token
                .clone()
                .ok_or_else(|| SyncError::Unexpected("a login answer without a token".into()))?;
            (session, token)
        }
    };
    let identity = super::first_run::adopt(store, identity, &session)?;
    store.db().write(|tx| {
        state::record_sign_in(tx, server, &token)?;
        crate::store::record_scope(tx, &session.scope)
    })?;
    // A department's account (scope `@<dept>` or `@<dept>/<area>`) acts for its
    // department: the store's handler names it on every event, as the server expects.
    if session.role == crate::model::Role::Handler {
        let department = session
            .scope
            .iter()
            .find_map(|p| p.strip_prefix('@'))
            .and_then(|rest| rest.split('/').next())
            .filter(|d| !d.is_empty());
        if identity.department.as_deref() != department {
            store.set_department(department)?;
        }
    }
    Ok(session)
}

/// Forgets the token; pending events stay pending until the next sign-in.
pub fn logout(store: &Store) -> Result<()> {
    store.db().write(|tx| state::record_sign_out(tx))
}

/// One run's context.
struct Run<'a> {
    store: &'a Store,
    client: &'a Client<'a>,
    options: &'a SyncOptions,
    progress: &'a dyn SyncProgress,
    identity: &'a Identity,
}

impl Run<'_> {
    /// The exchange; once more after a rebase when the server says it was restored
    /// since this device last synced ([`super::restore`]).
    fn exchange(&self, report: &mut SyncReport) -> Result<(), SyncError> {
        match self.exchange_once(report) {
            Err(SyncError::ServerRestored(why)) => {
                tracing::warn!("the server was restored from a backup: replaying this device's chain and pulling from the start ({why})");
                let device = &self.identity.device_id;
                self.store
                    .db()
                    .write(|tx| super::restore::rebase(tx, device))?;
                self.exchange_once(report)
            }
            other => other,
        }
    }

    fn exchange_once(&self, report: &mut SyncReport) -> Result<(), SyncError> {
        self.report_state()?;
        let replayed = super::restore::replay(
            self.store,
            self.client,
            &self.identity.device_id,
            self.options.push_batch,
        )?;
        report.pushed += replayed.accepted;
        report.duplicates += replayed.duplicates;
        report.rejected += replayed.rejected;
        for id in replayed.changed {
            if !report.changed_cases.contains(&id) {
                report.changed_cases.push(id);
            }
        }
        self.push(report)?;
        self.report_state()?;
        self.upload(report)?;
        self.report_state()?;
        let advertised = self.pull(report)?;
        if super::reference::refresh(self.store, self.client, advertised.as_deref())? {
            report.reference_updated = true;
        }
        report.downloaded_thumbnails += super::download::thumbnails(self.store, self.client)?;
        // Photos uploaded in this run may go now if the cache is over its budget.
        self.store.evict_photos()?;
        Ok(())
    }

    /// Tells the server, in the header of the requests that follow, what is waiting
    /// here (docs/sync-protocol.md, "Device state").
    fn report_state(&self) -> Result<(), SyncError> {
        let device = &self.identity.device_id;
        let state = self.store.db().read(|c| {
            let (outbox, _) = outbox::counts(c, device)?;
            let head: Option<i64> = c
                .prepare_cached("SELECT MAX(device_seq) FROM events WHERE device_id = ?1")?
                .query_row([device], |r| r.get(0))?;
            Ok(super::wire::DeviceState {
                outbox: Some(outbox),
                photos: Some(upload::pending_count(c)?),
                head: Some(head.unwrap_or(0).max(0) as u64),
                client: Some(format!("gridwork-core/{}", env!("CARGO_PKG_VERSION"))),
                incarnation: super::restore::stored(c)?,
            })
        })?;
        self.client.set_device_state(&state);
        self.client
            .set_device_key(Some(self.store.signing_public_key()?));
        Ok(())
    }

    fn push(&self, report: &mut SyncReport) -> Result<(), SyncError> {
        let db = self.store.db();
        let device = &self.identity.device_id;
        let (total, _) = db.read(|c| outbox::counts(c, device))?;
        let mut done = 0;
        let mut bytes = 0;
        // This device's own events first, then those it carries for others.
        let mut relayed = false;
        loop {
            let limit = self.options.push_batch;
            let batch = match relayed {
                false => db.read(|c| outbox::pending(c, device, limit))?,
                true => db.read(|c| outbox::pending_relayed(c, device, limit))?,
            };
            if batch.is_empty() && !relayed {
                relayed = true;
                continue;
            }
            if batch.is_empty() {
                return Ok(());
            }
            let ids: HashSet<_> = batch.iter().map(|e| e.event.id).collect();
            let sent = batch.len();
            let (events, hashes): (Vec<_>, Vec<String>) =
                batch.into_iter().map(|e| (e.event, e.hash)).unzip();
            let request = PushRequest { events };
            let (response, sent_bytes) = self.push_batch(&request, &hashes)?;
            bytes += sent_bytes;
            let answered: HashSet<_> = response.results.iter().map(|r| r.id).collect();
            if answered != ids || response.results.len() != sent {
                return Err(SyncError::Unexpected(format!(
                    "a push of {sent} events came back with {} results that do not match",
                    response.results.len()
                )));
            }
            let v = db.write(|tx| {
                super::restore::adopt(tx, self.client.incarnation())?;
                outbox::record(tx, &response.results)
            })?;
            report.pushed += v.accepted;
            report.duplicates += v.duplicates;
            report.rejected += v.rejected;
            // Cases a rejection refolded changed for the user too.
            for id in v.changed {
                if !report.changed_cases.contains(&id) {
                    report.changed_cases.push(id);
                }
            }
            done += sent as u64;
            self.progress.on_progress(Progress {
                phase: Phase::Push,
                done,
                total: Some(total.max(done)),
                bytes,
            });
        }
    }

    /// Pushes one batch (`hashes`: its events' hashes as stored), packed when the server reads the packed form (and as JSON
    /// again if it answers that it no longer does); returns the answer and the bytes of
    /// the body sent.
    fn push_batch(
        &self,
        request: &PushRequest,
        hashes: &[String],
    ) -> Result<(PushResponse, u64), SyncError> {
        if self.client.server_packs() {
            let body = super::packed::pack_push_hashed(request, hashes)
                .map_err(|e| SyncError::Unexpected(format!("cannot pack the push: {e}")))?;
            let sent = body.len() as u64;
            let headers = vec![(
                "Content-Type".to_string(),
                super::packed::content_type().to_string(),
            )];
            let resp = self.client.send(
                super::transport::Method::Post,
                "/v1/events",
                headers,
                body,
                &[400, 415],
            )?;
            // 415 from a server that no longer reads it; 400 from one that reads any
            // body as JSON. The JSON push that follows is the answer either way (a
            // resent event is a duplicate, never a second copy).
            if resp.status != 400 && resp.status != 415 {
                return Ok((super::client::decode(&resp)?, sent));
            }
            tracing::info!("the server refused a packed push: sending JSON");
            self.client.set_server_packs(false);
        }
        let body = serde_json::to_vec(request)
            .map_err(|e| SyncError::Unexpected(format!("cannot encode the request: {e}")))?;
        let sent = body.len() as u64;
        let headers = vec![("Content-Type".to_string(), "application/json".to_string())];
        let resp = self.client.send(
            super::transport::Method::Post,
            "/v1/events",
            headers,
            body,
            &[],
        )?;
        Ok((super::client::decode(&resp)?, sent))
    }

    fn upload(&self, report: &mut SyncReport) -> Result<(), SyncError> {
        let db = self.store.db();
        let photos = db.read(|c| upload::pending(c, &self.identity.device_id))?;
        let total = photos.len() as u64;
        let mut bytes = 0;
        for (i, photo) in photos.iter().enumerate() {
            let progress = self.progress;
            let done = i as u64;
            let outcome = upload::upload_one(
                self.store,
                self.client,
                photo,
                self.options.upload_chunk,
                &mut |n| {
                    bytes += n;
                    progress.on_progress(Progress {
                        phase: Phase::Upload,
                        done,
                        total: Some(total),
                        bytes,
                    });
                },
            );
            match outcome {
                Ok(sent) => {
                    db.write(|tx| upload::mark_uploaded(tx, &photo.sha256))?;
                    if sent > 0 {
                        report.uploaded_photos += 1;
                        report.uploaded_bytes += sent;
                    }
                }
                // A photo the server refuses for itself (its content does not match
                // its hash, it is too large) or that cannot be read here must not hold
                // up the others or the pull: it stays pending and is tried next run.
                Err(SyncError::Unexpected(why)) => {
                    tracing::warn!(photo = %photo.sha256, "photo not uploaded: {why}");
                    report.failed_photos.push(FailedPhoto {
                        sha256: photo.sha256.clone(),
                        reason: why,
                    });
                }
                Err(e) => return Err(e),
            }
            self.progress.on_progress(Progress {
                phase: Phase::Upload,
                done: done + 1,
                total: Some(total),
                bytes,
            });
        }
        Ok(())
    }

    /// Pulls the scope; returns the reference version the last page named.
    fn pull(&self, report: &mut SyncReport) -> Result<Option<String>, SyncError> {
        let db = self.store.db();
        let mut advertised: Option<String>;
        let mut cursor = db.read(state::cursor)?;
        let mut received = 0;
        let mut bytes = 0;
        let mut seen: HashSet<Uuid> = report.changed_cases.iter().copied().collect();
        loop {
            let path = format!(
                "/v1/events?after={cursor}&limit={}",
                self.options.pull_limit
            );
            let resp = self.client.send(
                super::transport::Method::Get,
                &path,
                Vec::new(),
                Vec::new(),
                &[],
            )?;
            bytes += resp.body.len() as u64;
            advertised = super::reference::version_in(resp.header(super::REFERENCE_HEADER));
            let page: PullResponse = super::client::decode_page(&resp)?;
            check_page(&page, cursor)?;
            let next = page.next_after;
            let (new, changed) = db.write(|tx| {
                let applied = apply_remote_in(self.store, tx, &page.events)?;
                meta_set(tx, state::CURSOR, &next.to_string())?;
                super::restore::adopt(tx, self.client.incarnation())?;
                Ok(applied)
            })?;
            report.pulled += new as u64;
            for id in changed {
                if seen.insert(id) {
                    report.changed_cases.push(id);
                }
            }
            received += page.events.len() as u64;
            self.progress.on_progress(Progress {
                phase: Phase::Pull,
                done: received,
                total: None,
                bytes,
            });
            if !page.more {
                return Ok(advertised);
            }
            if next == cursor {
                return Err(SyncError::Unexpected(
                    "the server says more events are ready but its page moves the cursor nowhere"
                        .into(),
                ));
            }
            cursor = next;
        }
    }
}

/// A page must move forward and hold only events it covers, each with its `server_seq`.
fn check_page(page: &PullResponse, after: i64) -> Result<(), SyncError> {
    if page.next_after < after {
        return Err(SyncError::Unexpected(format!(
            "a pull page moves the cursor back from {after} to {}",
            page.next_after
        )));
    }
    for e in &page.events {
        match e.server_seq {
            Some(s) if s > after && s <= page.next_after => {}
            other => {
                return Err(SyncError::Unexpected(format!(
                    "event {} in a pull page after {after} has server_seq {other:?}",
                    e.id
                )))
            }
        }
    }
    Ok(())
}
