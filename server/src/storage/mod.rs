//! Where the server keeps events, accounts, tokens and settings.
//!
//! One trait, two backends that pass the same conformance suite
//! (server/tests/conformance.rs): [`sqlite::SqliteStorage`], the embedded default, and
//! [`postgres::PostgresStorage`] for several stateless server processes in front of one
//! PostgreSQL. Both serialise `server_seq` assignment (SQLite: the single writer;
//! PostgreSQL: a transaction-scoped advisory lock held until commit), so events commit
//! in `server_seq` order and a pull can never skip one committed late.
//!
//! Tables (both backends): `events` (accepted, served), `quarantine` (rejected, never
//! served), `devices` (each device's chain head and owning account: the one that
//! registered it at sign-in, or whose event first extended its chain), `stream_cells` (cells each stream
//! touches, for pull scoping), `accounts`, `tokens` (SHA-256 only), `settings`
//! (catalogue and grid).

pub mod devices;
pub(crate) mod map;
pub mod open311;
pub mod postgres;
pub(crate) mod settings;
pub mod signing;
pub mod sqlite;
pub mod users;

use crate::{
    account::Account,
    health::{Contact, DeviceRecord},
    mapview::{MapQuery, MapView},
    patrol_query::PatrolFilter,
    patrols::{PatrolView, ProjectedPatrol},
    projection::CaseView,
    query::{CaseFilter, Overdue},
    StorageError,
};
use async_trait::async_trait;
use gridwork_core::{
    model::Event,
    sync::wire::{PullResponse, PushOutcome},
};
use std::sync::Arc;
pub use users::{AuditEntry, UserListing, UserRecord};

/// Settings key of the catalogue JSON.
pub const SETTING_CATALOG: &str = "catalog";
/// Settings key of the grid GeoJSON.
pub const SETTING_GRID: &str = "grid";
/// Settings key of the grid's version: the SHA-256 of its text, written with it, so a
/// push checks one short value to know whether its cached grid is current (also when
/// another process stored a new grid).
pub const SETTING_GRID_VERSION: &str = "grid.version";
/// Settings key of the catalogue's version, likewise.
pub const SETTING_CATALOG_VERSION: &str = "catalog.version";

/// Most quarantined events kept per device. Past it a rejected event is answered
/// `rejected` but not stored (and so its chain place is not recorded either): a device
/// that keeps sending what the server refuses cannot fill the database.
pub const MAX_QUARANTINE_PER_DEVICE: i64 = 1_000;

/// A quarantined event, as an operator sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Quarantined {
    /// The event.
    pub event: Event,
    /// Why it was rejected.
    pub reason: String,
}

/// Whom a token speaks for.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenOwner {
    /// The account.
    pub account: Account,
    /// The device the token was issued to: the only device whose events it may push.
    pub device_id: String,
    /// Whether an administrator asked for that device to be wiped and it has not
    /// acknowledged yet (see [`Storage::request_wipe`]).
    pub wipe_pending: bool,
    /// When the token was last used, unix ms (see [`Storage::token_used`]).
    pub last_used_ms: Option<i64>,
}

/// Whether replacing `old` by `new` must revoke the account's tokens.
pub(crate) fn revokes(old: &Account, new: &Account) -> bool {
    old.role != new.role || old.scope != new.scope || old.password_hash != new.password_hash
}

/// The server's storage (with its Open311 side, [`open311::Open311Store`]).
#[async_trait]
pub trait Storage: open311::Open311Store + Send + Sync + 'static {
    /// Judges and stores a batch pushed by `account`, in order, in one transaction:
    /// one outcome per event. An id seen before gets the first outcome again (unless it
    /// is another user's event). A refused event (see [`crate::judge::Verdict::Refuse`])
    /// is answered `rejected` and leaves no trace.
    async fn push(
        &self,
        account: &Account,
        events: Vec<Event>,
    ) -> Result<Vec<PushOutcome>, StorageError>;

    /// Pushes `event` as the next event of the server-held chain of its device (a
    /// console user's, an Open311 account's): its `device_seq` and `prev_hash` are
    /// replaced by the place after the chain head the server holds. The PostgreSQL
    /// backend reads that head inside the push's transaction, under the lock that
    /// serialises pushes, so two server processes acting for one user never claim the
    /// same place (which would fork the chain and reject the second action). The
    /// default reads the head first and pushes after: callers serialise their own
    /// process's actions (one SQLite file is served by one process).
    async fn push_next(
        &self,
        account: &Account,
        mut event: Event,
    ) -> Result<PushOutcome, StorageError> {
        let (seq, prev) = match self.device_head(&event.device_id).await? {
            Some((seq, hash)) => (seq + 1, hash),
            None => (1, gridwork_core::model::GENESIS_HASH.to_string()),
        };
        event.device_seq = seq;
        event.prev_hash = prev;
        self.push(account, vec![event])
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| StorageError::Corrupt("a push of one event had no outcome".into()))
    }

    /// Accepted events of `account`'s scope with `server_seq > after`, at most `limit`.
    async fn pull(
        &self,
        account: &Account,
        after: i64,
        limit: u32,
    ) -> Result<PullResponse, StorageError>;

    /// Whether an accepted event of `user` references the photo `sha256`: only such
    /// photos may be uploaded, so no one can fill the blob store with files no case
    /// needs.
    async fn blob_referenced(&self, sha256: &str, user: &str) -> Result<bool, StorageError>;

    /// The chain head the server holds for a device: `(device_seq, hash)` of its last
    /// event (`(0, GENESIS_HASH)` for a device registered at sign-in that pushed
    /// nothing yet); `None` for a device it does not know.
    async fn device_head(&self, device_id: &str) -> Result<Option<(u64, String)>, StorageError>;

    /// The server's view of the case `id` (see [`crate::projection`]), kept up to date
    /// in every push transaction.
    async fn case_view(&self, id: uuid::Uuid) -> Result<Option<CaseView>, StorageError>;

    /// The case views of cases whose report the server received in `[from_ms, to_ms)`
    /// and whose cell starts with `area` (`""`: everywhere), by id (evaluation).
    async fn case_views_received(
        &self,
        area: &str,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<CaseView>, StorageError>;

    /// The same cases as [`Storage::case_views_received`], as their evaluation copies
    /// read back (see [`crate::evaluation::copy`]), by id: what evaluation reads. Kept
    /// in the push transaction and by a rebuild; the default slims the full views.
    async fn eval_views_received(
        &self,
        area: &str,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<crate::evaluation::EvalCase>, StorageError> {
        self.case_views_received(area, from_ms, to_ms)
            .await?
            .iter()
            .map(crate::evaluation::copy::slim)
            .collect()
    }

    /// Every case view, by id (an operator's export and the tests; lists page instead).
    async fn case_views(&self) -> Result<Vec<CaseView>, StorageError>;

    /// A page of the case views `filter` selects, newest first by (`received_ms`, `id`),
    /// filtered and paged in SQL (see [`case_list_sql`]).
    async fn list_cases(&self, filter: &CaseFilter) -> Result<CasePage, StorageError>;

    /// The map's overview of the cases `query` selects: per-cell counts and the
    /// cases in its box grouped on its zoom's grid (see [`crate::mapview`]), in SQL.
    async fn case_map(&self, query: &MapQuery) -> Result<MapView, StorageError>;

    /// The accepted events of the case `id`, each with the time the server received it,
    /// in `server_seq` order (empty for an unknown case).
    async fn case_events(&self, id: uuid::Uuid) -> Result<Vec<(Event, i64)>, StorageError>;

    /// Folds every case again from the accepted events held, in one transaction, and
    /// returns how many there are (`gridwork admin rebuild`; also after an upgrade).
    async fn rebuild_cases(&self) -> Result<u64, StorageError>;

    /// The server's view of patrol `id` with its synced points (see [`crate::patrols`]),
    /// kept up to date in every push transaction.
    async fn patrol(&self, id: uuid::Uuid) -> Result<Option<ProjectedPatrol>, StorageError>;

    /// A page of the patrols `filter` selects, newest start first by
    /// (`started_at_ms`, `id`), filtered and paged in SQL.
    async fn list_patrols(&self, filter: &PatrolFilter) -> Result<PatrolPage, StorageError>;

    /// The patrols started in `[from_ms, to_ms)` (device clock) with an assigned cell
    /// starting with `area` (`""`: everywhere), with their synced points, by id
    /// (evaluation).
    async fn patrols_started(
        &self,
        area: &str,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<ProjectedPatrol>, StorageError>;

    /// Every patrol view, by id (an operator's export and the tests).
    async fn patrol_views(&self) -> Result<Vec<PatrolView>, StorageError>;

    /// Folds every patrol again from the accepted events held, in one transaction, and
    /// returns how many there are (`gridwork admin rebuild`; also after an upgrade).
    async fn rebuild_patrols(&self) -> Result<u64, StorageError>;

    /// Quarantined events of a device, in chain order.
    async fn quarantine(&self, device_id: &str) -> Result<Vec<Quarantined>, StorageError>;

    /// Creates or replaces an account. When an existing account's role, scope or
    /// password hash changes, all its tokens are revoked (deleted) in the same
    /// transaction: a password reset or a role change signs every device out.
    async fn put_account(&self, account: &Account) -> Result<(), StorageError>;

    /// The account named `user`.
    async fn account(&self, user: &str) -> Result<Option<Account>, StorageError>;

    /// Records a token (by its SHA-256) for `user` on `device_id`, binding the device to
    /// the account in the same transaction: an unknown device id (or one recorded
    /// without an owner) is registered to `user`; one that belongs to another account
    /// fails with [`StorageError::DeviceTaken`] and records nothing. An empty
    /// `device_id` records an unbound token (see [`Storage::bind_token`]).
    async fn add_token(
        &self,
        user: &str,
        token_digest: &str,
        device_id: &str,
    ) -> Result<(), StorageError>;

    /// Binds an unbound token to `device_id`, registering the device to the token's
    /// account as [`Storage::add_token`] does (failing with
    /// [`StorageError::DeviceTaken`] when it is another account's). Returns the device
    /// the token is bound to: `device_id`, or the one it was bound to already.
    async fn bind_token(&self, token_digest: &str, device_id: &str)
        -> Result<String, StorageError>;

    /// The account and device of a token (by its SHA-256) issued after `issued_after_ms`
    /// (unix ms); `None` for an unknown, revoked or older (expired) token.
    async fn account_by_token(
        &self,
        token_digest: &str,
        issued_after_ms: i64,
    ) -> Result<Option<TokenOwner>, StorageError>;

    /// Stores a setting.
    async fn put_setting(&self, key: &str, value: &str) -> Result<(), StorageError>;

    /// Reads a setting.
    async fn setting(&self, key: &str) -> Result<Option<String>, StorageError>;

    /// Records a device's contact (see [`crate::health`]): its time, route and client
    /// replace the last; the figures it reported replace the last reported only when it
    /// reported some.
    async fn record_contact(&self, contact: &Contact) -> Result<(), StorageError>;

    /// Every device the server knows (not the console's own), by id, with its sync
    /// health as recorded.
    async fn device_records(&self) -> Result<Vec<DeviceRecord>, StorageError>;

    /// Records that the photos `sha256` are complete in the blob store.
    async fn photos_complete(&self, sha256: &[String]) -> Result<(), StorageError>;
    /// The account named `name` with its department and disabled flag (also when
    /// disabled, unlike [`Storage::account`]).
    async fn user(&self, name: &str) -> Result<Option<UserRecord>, StorageError>;

    /// Every account, by name, with its last activity.
    async fn users(&self) -> Result<Vec<UserListing>, StorageError>;

    /// Creates (`create`: fails with [`StorageError::Invalid`] when the name is taken)
    /// or replaces (fails with [`StorageError::NotFound`] when there is none) a user and
    /// writes `audit`, in one transaction. Its tokens are deleted when its role, scope or
    /// password hash changes or it is disabled.
    async fn save_user(
        &self,
        user: &UserRecord,
        create: bool,
        audit: &AuditEntry,
    ) -> Result<(), StorageError>;

    /// Appends an entry to the audit log.
    async fn record_audit(&self, entry: &AuditEntry) -> Result<(), StorageError>;

    /// The latest `limit` entries of the audit log, newest first.
    async fn audit_log(&self, limit: u32) -> Result<Vec<AuditEntry>, StorageError>;

    /// Whether the storage answers a trivial query (`GET /ready`).
    async fn ping(&self) -> Result<(), StorageError>;

    /// Every device's token and wipe state (not the console's own), by id.
    async fn device_admin(&self) -> Result<Vec<devices::DeviceAdmin>, StorageError>;

    /// The tokens held (of `user` only, when given), by account, then newest first.
    async fn tokens(&self, user: Option<&str>) -> Result<Vec<devices::TokenRecord>, StorageError>;

    /// Revokes (deletes) the tokens `which` names and writes `audit`, in one transaction;
    /// returns how many. Fails with [`StorageError::NotFound`] for an unknown token,
    /// device or account and with [`StorageError::Invalid`] for a token id that names
    /// several, changing nothing.
    async fn revoke_tokens(
        &self,
        which: &devices::Revoke,
        audit: &AuditEntry,
    ) -> Result<u64, StorageError>;

    /// Records that the token was used at `now_ms` (the extractor calls it at most
    /// once a minute per token).
    async fn token_used(&self, token_digest: &str, now_ms: i64) -> Result<(), StorageError>;

    /// Marks a device lost: its next authenticated request is answered 410
    /// `wipe_required` until it acknowledges ([`Storage::confirm_wipe`]). Writes
    /// `audit` in the same transaction. [`StorageError::NotFound`] for an unknown device,
    /// [`StorageError::Invalid`] when a wipe was asked for already; nothing changes then.
    async fn request_wipe(&self, device_id: &str, audit: &AuditEntry) -> Result<(), StorageError>;

    /// Records that the device acknowledged the wipe (`wiped_ms`) and revokes its
    /// tokens, with `audit`, in one transaction. [`StorageError::Invalid`] when no wipe
    /// is pending for it.
    async fn confirm_wipe(&self, device_id: &str, audit: &AuditEntry) -> Result<(), StorageError>;

    /// Judges the device's quarantined events again, in chain order, as its account
    /// stands now: those that pass are accepted (new `server_seq`, projections updated,
    /// removed from quarantine) until the first that still fails, whose reason is
    /// updated; it and those after it stay. One transaction, with an audit entry by
    /// `actor`. [`StorageError::NotFound`] for an unknown device,
    /// [`StorageError::Invalid`] for one without quarantine; nothing changes then.
    async fn rejudge(
        &self,
        device_id: &str,
        actor: &str,
    ) -> Result<devices::Rejudged, StorageError>;

    /// The device's owner, registered public key and flag; `None` for an unknown device.
    async fn device_signing(
        &self,
        device_id: &str,
    ) -> Result<Option<signing::DeviceSigning>, StorageError>;

    /// Registers `public_key` for a known device that has none yet, and returns the key
    /// it holds now (the one given, or the one registered before); `None` for an
    /// unknown device.
    async fn bind_device_key(
        &self,
        device_id: &str,
        public_key: &str,
    ) -> Result<Option<String>, StorageError>;
}

/// Opens `db`: a `postgres://` or `postgresql://` URL, otherwise a SQLite file path
/// (created if missing).
pub async fn open_storage(db: &str) -> Result<Arc<dyn Storage>, StorageError> {
    if db.starts_with("postgres://") || db.starts_with("postgresql://") {
        Ok(Arc::new(
            postgres::PostgresStorage::connect(db, None).await?,
        ))
    } else {
        Ok(Arc::new(
            sqlite::SqliteStorage::open(std::path::Path::new(db)).await?,
        ))
    }
}

/// A page of patrols.
#[derive(Debug, Clone, PartialEq)]
pub struct PatrolPage {
    /// The patrols, newest start first (their points only when the filter asks).
    pub patrols: Vec<ProjectedPatrol>,
    /// Whether more follow after the last.
    pub more: bool,
}

/// A page of case views.
#[derive(Debug, Clone, PartialEq)]
pub struct CasePage {
    /// The views, newest first.
    pub views: Vec<CaseView>,
    /// Whether more follow after the last.
    pub more: bool,
}

/// Which SQL a backend speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
}

/// A value bound to a placeholder.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum SqlArg {
    Text(String),
    Int(i64),
}

/// The `$n` or `?n` placeholder of the `n`th argument.
pub(crate) fn placeholder(dialect: Dialect, n: usize) -> String {
    match dialect {
        Dialect::Sqlite => format!("?{n}"),
        Dialect::Postgres => format!("${n}"),
    }
}

/// The conditions on `cases` of `filter` (everything but its cursor and page size),
/// their arguments appended to `args`: shared by the case list and the map.
pub(crate) fn case_conditions(
    f: &CaseFilter,
    dialect: Dialect,
    args: &mut Vec<SqlArg>,
) -> Vec<String> {
    let mut arg = |a: SqlArg| {
        args.push(a);
        placeholder(dialect, args.len())
    };
    let mut conds: Vec<String> = Vec::new();
    if !f.prefixes.is_empty() {
        let ranges: Vec<String> = f
            .prefixes
            .iter()
            .map(|p| {
                let lo = arg(SqlArg::Text(p.clone()));
                let hi = arg(SqlArg::Text(format!("{p}\u{10FFFF}")));
                format!("(cell >= {lo} AND cell < {hi})")
            })
            .collect();
        conds.push(format!("({})", ranges.join(" OR ")));
    }
    if !f.statuses.is_empty() {
        let list: Vec<String> = f
            .statuses
            .iter()
            .map(|s| arg(SqlArg::Text(s.to_string())))
            .collect();
        // With an area, SQLite (no statistics) would pick the status index and sort every
        // case of that status; `+status` keeps it on the cell range instead.
        let column = match dialect {
            Dialect::Sqlite if !f.prefixes.is_empty() => "+status",
            _ => "status",
        };
        conds.push(format!("{column} IN ({})", list.join(", ")));
    }
    if let Some(c) = &f.category {
        conds.push(format!("category = {}", arg(SqlArg::Text(c.clone()))));
    }
    if let Some(d) = &f.department {
        conds.push(format!("department = {}", arg(SqlArg::Text(d.clone()))));
    }
    // The source is read from the stored view (views from before sources have none:
    // a grid worker's), so no column or migration is needed; like `q`, it filters the
    // rows the other conditions and the order leave.
    if let Some(source) = f.source {
        let p = arg(SqlArg::Text(source.as_str().to_string()));
        conds.push(match dialect {
            Dialect::Sqlite => {
                format!("coalesce(json_extract(view, '$.source'), 'grid_worker') = {p}")
            }
            Dialect::Postgres => format!("coalesce(view::jsonb ->> 'source', 'grid_worker') = {p}"),
        });
    }
    if let Some(waiting) = f.application {
        let test = match dialect {
            Dialect::Sqlite => "json_extract(view, '$.case.application') IS NOT NULL",
            Dialect::Postgres => "(view::jsonb -> 'case' -> 'application') IS NOT NULL",
        };
        conds.push(if waiting {
            test.to_string()
        } else {
            format!("NOT ({test})")
        });
    }
    match f.overdue {
        Some(Overdue::Only) => conds.push(format!(
            "(status = 'dispatched' AND deadline_ms < {})",
            arg(SqlArg::Int(f.now_ms))
        )),
        Some(Overdue::Not) => conds.push(format!(
            "(status <> 'dispatched' OR deadline_ms IS NULL OR deadline_ms >= {})",
            arg(SqlArg::Int(f.now_ms))
        )),
        None => {}
    }
    match f.conflict {
        // The partial index `cases_conflicts` holds exactly these rows.
        Some(true) => conds.push("open_conflicts > 0".into()),
        Some(false) => conds.push("open_conflicts = 0".into()),
        None => {}
    }
    if let Some(t) = &f.text {
        let p = arg(SqlArg::Text(t.clone()));
        conds.push(match dialect {
            Dialect::Sqlite => format!("instr(search, {p}) > 0"),
            Dialect::Postgres => format!("strpos(search, {p}) > 0"),
        });
    }
    if let Some(ms) = f.from_ms {
        conds.push(format!("received_ms >= {}", arg(SqlArg::Int(ms))));
    }
    if let Some(ms) = f.to_ms {
        conds.push(format!("received_ms < {}", arg(SqlArg::Int(ms))));
    }
    conds
}

/// The query selecting a page of `filter` from `cases` (one row more than the page, to
/// tell whether more follow), with its arguments. Every value is a bound parameter.
///
/// A cell prefix is a range on the byte order of `cell` (`cell >= p AND cell < p ||
/// U+10FFFF`: PostgreSQL's column is `COLLATE "C"`, SQLite's compares bytes), which the
/// `cases_cell` index serves; the text search is a substring test over the kept,
/// normalised `search` column, so a two-character Chinese query finds its text.
pub(crate) fn case_list_sql(f: &CaseFilter, dialect: Dialect) -> (String, Vec<SqlArg>) {
    let mut args: Vec<SqlArg> = Vec::new();
    let mut conds = case_conditions(f, dialect, &mut args);
    let mut arg = |a: SqlArg| {
        args.push(a);
        placeholder(dialect, args.len())
    };
    if let Some(c) = f.after {
        let ms = arg(SqlArg::Int(c.received_ms));
        let id = arg(SqlArg::Text(c.id.to_string()));
        conds.push(format!("(received_ms, id) < ({ms}, {id})"));
    }
    let limit = arg(SqlArg::Int(i64::from(f.limit) + 1));
    let filter = if conds.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", conds.join(" AND "))
    };
    (
        format!("SELECT view FROM cases{filter} ORDER BY received_ms DESC, id DESC LIMIT {limit}"),
        args,
    )
}

/// A page from the views fetched (one more than the page when more follow).
pub(crate) fn case_page(mut views: Vec<CaseView>, limit: u32) -> CasePage {
    let more = views.len() > limit as usize;
    views.truncate(limit as usize);
    CasePage { views, more }
}

/// A case view as both backends store it: the columns lists filter on, and the view.
pub(crate) struct CaseRow {
    pub(crate) id: String,
    pub(crate) cell: String,
    pub(crate) status: &'static str,
    pub(crate) category: String,
    pub(crate) department: Option<String>,
    pub(crate) reporter: String,
    pub(crate) received_ms: i64,
    pub(crate) updated_ms: i64,
    pub(crate) deadline_ms: Option<i64>,
    pub(crate) closed_ms: Option<i64>,
    /// The report's description and address, normalised for search.
    pub(crate) search: String,
    pub(crate) view: String,
    /// The report's point (the map groups on it).
    pub(crate) lat: f64,
    pub(crate) lon: f64,
    /// The case's first photo (the report's), which the map shows.
    pub(crate) photo: Option<String>,
}

impl CaseRow {
    pub(crate) fn of(view: &CaseView) -> Result<Self, StorageError> {
        Ok(CaseRow {
            id: view.case.id.to_string(),
            cell: view.cell.clone(),
            status: view.case.status.as_str(),
            category: view.case.category().to_string(),
            department: view.case.department.clone(),
            reporter: view.case.reporter.user.clone(),
            received_ms: view.received_ms,
            updated_ms: view.updated_ms,
            deadline_ms: view.deadline_ms,
            closed_ms: view.closed_ms,
            search: crate::query::search_text(
                &view.case.report.description,
                view.case.report.address.as_deref(),
            ),
            view: serde_json::to_string(view).map_err(|e| StorageError::Corrupt(e.to_string()))?,
            lat: view.case.report.lat,
            lon: view.case.report.lon,
            photo: view.case.photos.first().map(|p| p.sha256.clone()),
        })
    }
}

/// Reads a stored case view back.
pub(crate) fn parse_view(text: &str) -> Result<CaseView, StorageError> {
    serde_json::from_str(text).map_err(|e| StorageError::Corrupt(format!("case view: {e}")))
}

/// The incident streams a push changed: those with a newly accepted event.
pub(crate) fn touched_cases(events: &[Event], outcomes: &[PushOutcome]) -> Vec<String> {
    let set: std::collections::BTreeSet<String> = events
        .iter()
        .zip(outcomes)
        .filter(|(e, o)| {
            matches!(o, PushOutcome::Accepted { .. })
                && matches!(e.stream, gridwork_core::model::Stream::Incident(_))
        })
        .map(|(e, _)| e.stream.to_string())
        .collect();
    set.into_iter().collect()
}

/// The refusal for a rejected event when the device's quarantine is full.
pub(crate) fn quarantine_full(reason: &str) -> PushOutcome {
    PushOutcome::Rejected {
        reason: format!(
            "{reason} (not kept: this device has {MAX_QUARANTINE_PER_DEVICE} rejected events \
             on the server already; ask the operator to look at them)"
        ),
    }
}

/// Serialises an event for storage, without its `server_seq`.
pub(crate) fn event_body(event: &Event) -> Result<String, StorageError> {
    let mut e = event.clone();
    e.server_seq = None;
    serde_json::to_string(&e).map_err(|e| StorageError::Corrupt(e.to_string()))
}

/// Reads a stored event body back, setting its `server_seq`.
pub(crate) fn parse_event(body: &str, server_seq: Option<i64>) -> Result<Event, StorageError> {
    let mut e: Event =
        serde_json::from_str(body).map_err(|e| StorageError::Corrupt(e.to_string()))?;
    e.server_seq = server_seq;
    Ok(e)
}

/// What the server holds under a pushed id.
pub(crate) struct Held {
    /// `actor.user` of the held event.
    pub actor_user: String,
    /// Its hash.
    pub hash: String,
    /// Its `server_seq` when accepted.
    pub server_seq: Option<i64>,
    /// Its rejection reason when quarantined.
    pub reason: Option<String>,
}

/// The outcome for an id already held, pushed by `account`: the first outcome again,
/// unless the content differs; nothing at all about it when the held event is another
/// user's (the pusher may not learn whether it was accepted, where, or why not).
pub(crate) fn repeat_outcome(account: &Account, held: Held, new_hash: &str) -> PushOutcome {
    if held.actor_user != account.user {
        return PushOutcome::Rejected {
            reason: crate::judge::foreign_id(),
        };
    }
    if held.hash != new_hash {
        return PushOutcome::Rejected {
            reason: "an event with this id but different content was pushed before".into(),
        };
    }
    match (held.server_seq, held.reason) {
        (Some(server_seq), _) => PushOutcome::Duplicate { server_seq },
        (None, reason) => PushOutcome::Rejected {
            reason: reason.unwrap_or_else(|| "rejected".into()),
        },
    }
}

/// Roles are stored by their wire name.
pub(crate) fn parse_role(s: &str) -> Result<gridwork_core::model::Role, StorageError> {
    s.parse()
        .map_err(|e: gridwork_core::model::ModelError| StorageError::Corrupt(e.to_string()))
}

/// Scopes are stored as a JSON array of prefixes.
pub(crate) fn parse_scope_json(s: &str) -> Result<Vec<String>, StorageError> {
    serde_json::from_str(s).map_err(|e| StorageError::Corrupt(e.to_string()))
}

/// Builds a pull page from the rows fetched and the highest `server_seq` of the snapshot.
pub(crate) fn page(events: Vec<Event>, after: i64, limit: u32, top: i64) -> PullResponse {
    let full = events.len() as u64 >= u64::from(limit);
    let last = events.last().and_then(|e| e.server_seq);
    let next_after = match (full, last) {
        (true, Some(last)) => last,
        _ => top.max(after),
    };
    PullResponse {
        more: next_after < top,
        events,
        next_after,
    }
}
