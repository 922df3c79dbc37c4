//! `GET /v1/cases/{id}/contact`: what a resident gave besides the report (name, e-mail,
//! phone) when they filed it through Open311 — for the centre only (a supervisor whose
//! area holds the case), so that it can call back; never in the event log, the case
//! list or Open311's own answers. 404 alike for an unknown case, one outside the area,
//! one not filed through Open311, and one whose contact details were purged.

use super::{ApiError, AppState, Caller};
use crate::storage::open311::Contact;
use axum::{
    extract::{Path, State},
    Json,
};
use gridwork_core::model::Role;
use serde::Serialize;
use uuid::Uuid;

/// The contact details of a case filed through Open311.
#[derive(Debug, Serialize)]
pub struct CaseContact {
    /// The case.
    pub case_id: Uuid,
    /// The integration account that filed it.
    pub filed_by: String,
    /// When, unix ms.
    pub filed_ms: i64,
    /// What the resident gave.
    #[serde(flatten)]
    pub contact: Contact,
}

/// `GET /v1/cases/{id}/contact`.
pub async fn get(
    State(state): State<AppState>,
    Caller(account): Caller,
    Path(id): Path<String>,
) -> Result<Json<CaseContact>, ApiError> {
    if account.role != Role::Supervisor {
        return Err(ApiError::Forbidden(
            "only the centre sees a resident's contact details".into(),
        ));
    }
    let missing = || ApiError::NotFound(format!("no contact details for case {id} in your area"));
    let uuid = Uuid::try_parse(&id).map_err(|_| missing())?;
    let view = state.storage.case_view(uuid).await?.ok_or_else(missing)?;
    if !account.covers(&view.cell) {
        return Err(missing());
    }
    let filed = state
        .storage
        .open311_by_case(uuid)
        .await?
        .ok_or_else(missing)?;
    let contact = filed.contact.ok_or_else(missing)?;
    Ok(Json(CaseContact {
        case_id: uuid,
        filed_by: filed.account,
        filed_ms: filed.created_ms,
        contact,
    }))
}
