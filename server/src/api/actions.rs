//! `POST /v1/cases/{id}/actions`: a workflow action taken from the console, recorded as
//! the next event of the caller's server-held console device (see [`crate::acting`]).

use super::{error::json_body, ApiError, AppState, Caller};
use crate::{
    acting::{console_device, console_event, parse_action, ActingError},
    projection::CaseView,
};
use axum::{
    body::Bytes,
    extract::{rejection::BytesRejection, Path, State},
    Json,
};
use gridwork_core::{
    calendar::TimeLimit,
    model::{Actor, PhotoRef},
    store::ActionRequest,
    sync::wire::PushOutcome,
};
use serde::Deserialize;
use uuid::Uuid;

/// The body: the action's name and what it carries.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ActionBody {
    /// `register`, `cancel`, `dispatch`, `close`, `return`, `postpone`, `suspend`,
    /// `resume`, `reopen`, `resolve_conflict` (`handle`, `verify_*` and `self_resolve` need photos: phones).
    action: String,
    /// A note, or the reason of a cancel, return, postponement, suspension, reopening.
    #[serde(default)]
    note: Option<String>,
    /// The department of a dispatch.
    #[serde(default)]
    department: Option<String>,
    /// How much more time a postponement gives; default the category's limit.
    #[serde(default)]
    extend: Option<TimeLimit>,
    /// For `resolve_conflict`: the id of the event flagged as a conflict.
    #[serde(default)]
    conflict: Option<Uuid>,
    /// Photos of a step that needs one (`handle`): SHA-256, size and type of each;
    /// the browser uploads them (`PUT /v1/blobs/{sha256}`) once the step is accepted.
    #[serde(default)]
    photos: Vec<PhotoRef>,
}

/// Console actions of one server process are taken one at a time: each is the next
/// event of its user's console chain, and two at once would claim the same place
/// (across processes, [`crate::Storage::push_next`] takes the place where it commits).
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// `POST /v1/cases/{id}/actions`.
pub async fn act(
    State(state): State<AppState>,
    Caller(account): Caller,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<CaseView>, ApiError> {
    let id = Uuid::parse_str(&id)
        .map_err(|_| ApiError::BadRequest(format!("{id:?} is not a case id (a UUID)")))?;
    let body: ActionBody = json_body(body)?;
    let kind = parse_action(&body.action).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    if let Some(note) = &body.note {
        let n = note.chars().count();
        if n > gridwork_core::model::MAX_NOTE_CHARS {
            return Err(ApiError::BadRequest(format!(
                "the note has {n} characters; at most {}",
                gridwork_core::model::MAX_NOTE_CHARS
            )));
        }
    }
    let request = ActionRequest {
        note: body.note,
        department: body.department,
        extend: body.extend,
        conflict: body.conflict,
        ..ActionRequest::new(kind)
    };
    use gridwork_core::model::MAX_PHOTOS;
    if body.photos.len() > MAX_PHOTOS {
        return Err(ApiError::BadRequest(format!(
            "at most {MAX_PHOTOS} photos a step"
        )));
    }
    if let Some(bad) = body.photos.iter().find(|p| {
        !crate::blobs::is_sha256(&p.sha256) || p.size == 0 || !p.mime.starts_with("image/")
    }) {
        return Err(ApiError::BadRequest(format!(
            "photo {:?}: a SHA-256 (64 lower-case hex digits), a size and an image/* type expected",
            bad.sha256
        )));
    }
    let photos = body.photos;
    let catalog = super::cases::catalog(&state).await?;
    let actor = Actor::new(account.user.clone(), account.role)
        .in_department(account.department().map(str::to_string));
    let device = console_device(&account.user);
    let _one = ONE_AT_A_TIME.lock().await;
    // Unknown and out of scope look the same: a case the caller may not see.
    let unknown = || ApiError::NotFound(format!("no case {id} in your area"));
    let view = state.storage.case_view(id).await?.ok_or_else(unknown)?;
    if !account.sees(&view.cell, &view.departments()) {
        return Err(unknown());
    }
    let head = state.storage.device_head(&device).await?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    let event = console_event(
        &actor,
        &view.case,
        &request,
        photos,
        catalog.as_ref(),
        head,
        now,
    )
    .map_err(|e| match e {
        ActingError::Invalid(why) => ApiError::BadRequest(why),
        ActingError::NotAllowed(why) => ApiError::Conflict {
            code: "not_allowed",
            message: why,
        },
    })?;
    // The chain place is taken again where the push commits: another server process
    // may have acted for this user since `head` was read.
    match state.storage.push_next(&account, event).await? {
        PushOutcome::Accepted { .. } => {
            let view = state.storage.case_view(id).await?.ok_or_else(unknown)?;
            Ok(Json(view))
        }
        PushOutcome::Rejected { reason } => Err(ApiError::Conflict {
            code: "not_allowed",
            message: reason,
        }),
        PushOutcome::Duplicate { .. } => Err(ApiError::Internal(
            "a console action was not recorded as a new event".into(),
        )),
    }
}
