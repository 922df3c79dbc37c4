//! The supervisor API's read side: `GET /v1/cases` (a keyset-paged, filtered list of
//! the server's case view within the caller's scope) and `GET /v1/cases/{id}` (one case
//! with its timeline, photos and conflicts). Parsing and checking the query is pure
//! ([`crate::query`]); filtering and paging happen in SQL ([`crate::storage`]).

use super::{ApiError, AppState, Caller};
use crate::{
    projection::{timeline, CaseView, TimelineEntry},
    query::{self, Cursor, QueryError},
};
use axum::{
    extract::{rejection::QueryRejection, Path, Query, State},
    Json,
};
use gridwork_core::{
    catalog::Catalog,
    model::{Actor, Role},
    store::ActionKind,
    workflow::Status,
};
use serde::Serialize;
use uuid::Uuid;

/// One case of a list.
#[derive(Debug, Serialize)]
pub struct CaseItem {
    /// The case id.
    pub id: Uuid,
    /// Where it stands.
    pub status: Status,
    /// Category code.
    pub category: String,
    /// The department it is with, once dispatched.
    pub department: Option<String>,
    /// The cell the server located the report in (`""` outside every cell).
    pub cell: String,
    /// The cell the reporting device claimed, when it differs.
    pub claimed_cell: Option<String>,
    /// Who reported it.
    pub reporter: Actor,
    /// The channel it came by (`grid_worker`, `resident`, `hotline`, `inspection`,
    /// `open311_partner`).
    pub source: gridwork_core::model::Source,
    /// When the server received the report, unix ms.
    pub received_ms: i64,
    /// When the server received the case's latest event, unix ms.
    pub updated_ms: i64,
    /// The handling deadline by the server's calendar, unix ms.
    pub deadline_ms: Option<i64>,
    /// The deadline the devices hold, unix ms.
    pub device_deadline_ms: Option<i64>,
    /// Whether the server's deadline has passed (by the server's clock).
    pub overdue: bool,
    /// Events the fold refused as conflicts.
    pub conflict_count: usize,
    /// Those nobody has resolved yet.
    pub open_conflicts: usize,
    /// Times verification failed and the case went back to the department.
    pub rework_count: u32,
    /// What the worker saw.
    pub description: String,
    /// Photos attached to the case.
    pub photo_count: usize,
    /// What the department applied for and the shift lead has yet to decide
    /// (`return`, `postpone`, `suspend`), if anything.
    pub application: Option<gridwork_core::model::Exception>,
}

impl CaseItem {
    fn of(v: &CaseView, now_ms: i64) -> Self {
        CaseItem {
            id: v.case.id,
            status: v.case.status,
            category: v.case.category().to_string(),
            department: v.case.department.clone(),
            cell: v.cell.clone(),
            claimed_cell: v.claimed_cell.clone(),
            reporter: v.case.reporter.clone(),
            source: v.source,
            received_ms: v.received_ms,
            updated_ms: v.updated_ms,
            deadline_ms: v.deadline_ms,
            device_deadline_ms: v.case.deadline_ms,
            overdue: v.is_overdue(now_ms),
            conflict_count: v.case.conflicts.len(),
            open_conflicts: v.case.open_conflicts().count(),
            rework_count: v.case.rework_count,
            description: v.case.report.description.clone(),
            photo_count: v.case.photos.len(),
            application: v.case.application.as_ref().map(|a| a.exception),
        }
    }
}

/// A page of cases.
#[derive(Debug, Serialize)]
pub struct CaseList {
    /// The cases, newest first by the server's receive time.
    pub cases: Vec<CaseItem>,
    /// The cursor of the next page (`?next=`), absent on the last page.
    pub next: Option<String>,
}

/// A photo of a case.
#[derive(Debug, Serialize)]
pub struct Photo {
    /// SHA-256 of its bytes.
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
    /// Media type.
    pub mime: String,
    /// Where to fetch it (`GET /v1/blobs/{sha256}`).
    pub url: String,
}

/// One case with its history.
#[derive(Debug, Serialize)]
pub struct CaseDetail {
    /// What a list shows of it.
    #[serde(flatten)]
    pub item: CaseItem,
    /// The server's view (the folded case and the server's figures), as stored.
    pub view: CaseView,
    /// Photos of the report and of later steps, in order.
    pub photos: Vec<Photo>,
    /// Every accepted event of the case, in the fold's order.
    pub timeline: Vec<TimelineEntry>,
    /// Where the case was forwarded over Open311, and the request id each target gave.
    pub forwarded: Vec<Forwarded>,
    /// The actions the caller may take on the case now, from the console: the core's
    /// `workflow::permitted` and `workflow::check` for the caller's role and
    /// department ([`crate::acting::permitted_actions`]).
    pub permitted_actions: Vec<ActionKind>,
    /// The department a dispatch goes to when none is chosen: the category's, or the
    /// area's where the catalogue routes by area (属地); `None` for an unknown category.
    pub default_department: Option<String>,
    /// Who is to verify the case on site (docs/workflow.md, "Verification on site").
    pub verifier: Verifier,
}

/// Who the verification task goes to.
#[derive(Debug, Serialize)]
pub struct Verifier {
    /// `reporter` (the grid worker who reported it) or `cell_workers` (the workers of
    /// the case's cell: the report came another way).
    pub rule: &'static str,
    /// The workers: the reporter, or the enabled worker accounts whose scope holds the
    /// case's cell with the longest prefix (the cell's own workers before a street's).
    pub users: Vec<String>,
}

/// The verifier of `view` among `accounts`: the reporting worker when a worker
/// reported the case, else the workers of its cell.
pub fn verifier(view: &CaseView, accounts: &[crate::storage::UserListing]) -> Verifier {
    let reporter = &view.case.reporter;
    if reporter.role == Role::Worker {
        return Verifier {
            rule: "reporter",
            users: vec![reporter.user.clone()],
        };
    }
    let matching = |a: &crate::account::Account| {
        a.scope
            .iter()
            .filter(|p| !p.starts_with('@') && view.cell.starts_with(p.as_str()))
            .map(String::len)
            .max()
    };
    let workers: Vec<(usize, String)> = accounts
        .iter()
        .filter(|l| l.record.account.role == Role::Worker && !l.record.disabled)
        .filter_map(|l| matching(&l.record.account).map(|n| (n, l.record.account.user.clone())))
        .collect();
    let best = workers.iter().map(|(n, _)| *n).max();
    let mut users: Vec<String> = workers
        .into_iter()
        .filter(|(n, _)| Some(*n) == best)
        .map(|(_, u)| u)
        .collect();
    users.sort();
    Verifier {
        rule: "cell_workers",
        users,
    }
}

/// The catalogue the server holds, if any.
pub(super) async fn catalog(state: &AppState) -> Result<Option<Catalog>, ApiError> {
    match state
        .storage
        .setting(crate::storage::SETTING_CATALOG)
        .await?
    {
        Some(text) => Ok(Some(
            Catalog::from_json(&text).map_err(|e| ApiError::Internal(e.to_string()))?,
        )),
        None => Ok(None),
    }
}

/// The case in one forwarding target's outbox.
#[derive(Debug, Serialize)]
pub struct Forwarded {
    /// The target's Open311 base URL.
    pub target: String,
    /// `pending`, `sending`, `sent`, `failed` or `skipped`.
    pub state: &'static str,
    /// Attempts made.
    pub attempts: u32,
    /// The target's `service_request_id`, once sent.
    pub remote_id: Option<String>,
    /// The last failure.
    pub error: Option<String>,
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// `GET /v1/cases`.
pub async fn list(
    State(state): State<AppState>,
    Caller(account): Caller,
    params: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Json<CaseList>, ApiError> {
    let Query(pairs) = params.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let now = now_ms();
    let mut filter = query::parse(&pairs, &account, now).map_err(|e| match e {
        QueryError::Invalid(m) => ApiError::BadRequest(m),
        QueryError::OutOfScope(m) => ApiError::Forbidden(m),
    })?;
    if let Some(category) = &filter.category {
        let catalog = super::catalog::stored(&*state.storage).await?;
        filter.category = Some(
            super::catalog::canonical_category(catalog.as_ref(), category)
                .map_err(|m| ApiError::BadRequest(format!("category: {m}")))?,
        );
    }
    let page = state.storage.list_cases(&filter).await?;
    let next = page.more.then(|| page.views.last()).flatten().map(|v| {
        Cursor {
            received_ms: v.received_ms,
            id: v.case.id,
        }
        .encode()
    });
    Ok(Json(CaseList {
        cases: page.views.iter().map(|v| CaseItem::of(v, now)).collect(),
        next,
    }))
}

/// `GET /v1/cases/{id}`: 404 alike for an unknown case and one outside the caller's
/// scope, so a list of ids cannot be probed for existence.
pub async fn get(
    State(state): State<AppState>,
    Caller(account): Caller,
    Path(id): Path<String>,
) -> Result<Json<CaseDetail>, ApiError> {
    let missing = || ApiError::NotFound(format!("no case {id} in your scope"));
    let uuid = Uuid::try_parse(&id).map_err(|_| missing())?;
    let view = state
        .storage
        .case_view(uuid)
        .await?
        .filter(|v| account.sees(&v.cell, &v.departments()))
        .ok_or_else(missing)?;
    let events = state.storage.case_events(uuid).await?;
    let forwarded = state
        .storage
        .outbox_entries(uuid)
        .await?
        .into_iter()
        .map(|e| Forwarded {
            target: e.target,
            state: e.state.as_str(),
            attempts: e.attempts,
            remote_id: e.remote_id,
            error: e.error,
        })
        .collect();
    let photos = view
        .case
        .photos
        .iter()
        .map(|p| Photo {
            sha256: p.sha256.clone(),
            size: p.size,
            mime: p.mime.clone(),
            url: format!("/v1/blobs/{}", p.sha256),
        })
        .collect();
    let now = now_ms();
    let catalog = catalog(&state).await?;
    let actor = Actor::new(account.user.clone(), account.role)
        .in_department(account.department().map(str::to_string));
    let permitted_actions =
        crate::acting::permitted_actions(&actor, &view.case, catalog.as_ref(), now);
    let default_department = catalog
        .as_ref()
        .and_then(|c| c.get(view.case.category()))
        .map(|c| c.department_for(view.case.cell()).to_string());
    let verifier = verifier(&view, &state.storage.users().await?);
    Ok(Json(CaseDetail {
        item: CaseItem::of(&view, now),
        timeline: timeline(&events),
        photos,
        view,
        forwarded,
        permitted_actions,
        default_department,
        verifier,
    }))
}
