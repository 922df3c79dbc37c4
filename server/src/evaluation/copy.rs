//! The evaluation's copy of a case view: only what the figures read (status, how it
//! was closed, its counters, department, category, reporter, source, the server's
//! deadline and [`History`]), without the report's text, photos, conflicts or the
//! application. Both backends keep one per case beside the full view, written in the
//! same push transaction and by a rebuild (table `case_eval`), so an evaluation of a
//! street's month reads a few hundred bytes per case instead of the whole view.
//!
//! A copy reads back as a [`CaseView`] (with the other fields empty), so
//! [`super::evaluate`] stays the one place the figures are computed, and a
//! conformance test checks that the copies give the figures the full views give.

use crate::projection::{CaseView, History};
use crate::StorageError;
use gridwork_core::{
    model::{Actor, Report, Source},
    workflow::{Case, Resolution, Status},
};
use serde::{Deserialize, Serialize};

/// What the copy stores as JSON (short keys: it is read for every case of a period).
#[derive(Debug, Serialize, Deserialize)]
struct EvalCopy {
    #[serde(rename = "s")]
    status: Status,
    #[serde(rename = "r", default, skip_serializing_if = "Option::is_none")]
    resolution: Option<Resolution>,
    #[serde(rename = "c")]
    category: String,
    #[serde(rename = "d", default, skip_serializing_if = "Option::is_none")]
    department: Option<String>,
    #[serde(rename = "a")]
    reporter: Actor,
    #[serde(rename = "o", default)]
    source: Source,
    #[serde(rename = "w", default)]
    rework_count: u32,
    #[serde(rename = "p", default)]
    postpone_count: u32,
    #[serde(rename = "t", default, skip_serializing_if = "Option::is_none")]
    deadline_ms: Option<i64>,
    #[serde(rename = "h", default)]
    history: History,
}

/// The copy of `view`, as stored (JSON).
pub fn copy_json(view: &CaseView) -> Result<String, StorageError> {
    let c = &view.case;
    let copy = EvalCopy {
        status: c.status,
        resolution: c.resolution,
        category: c.report.category.clone(),
        department: c.department.clone(),
        reporter: c.reporter.clone(),
        source: view.source,
        rework_count: c.rework_count,
        postpone_count: c.postpone_count,
        deadline_ms: view.deadline_ms,
        history: view.history.clone(),
    };
    serde_json::to_string(&copy).map_err(|e| StorageError::Corrupt(format!("evaluation copy: {e}")))
}

/// The view a stored copy stands for: the case `id` in `cell`, received at
/// `received_ms`, with the figures' fields from `json` and every other field empty.
pub fn view_of_copy(
    id: &str,
    cell: &str,
    received_ms: i64,
    json: &str,
) -> Result<CaseView, StorageError> {
    let bad = |e: String| StorageError::Corrupt(format!("evaluation copy of {id}: {e}"));
    let copy: EvalCopy = serde_json::from_str(json).map_err(|e| bad(e.to_string()))?;
    let id = id.parse().map_err(|e: uuid::Error| bad(e.to_string()))?;
    Ok(CaseView {
        case: Case {
            id,
            status: copy.status,
            report: Report {
                category: copy.category,
                lat: 0.0,
                lon: 0.0,
                accuracy_m: None,
                description: String::new(),
                address: None,
                urgency: Default::default(),
                photos: Vec::new(),
                cell: None,
                patrol: None,
            },
            reporter: copy.reporter,
            reported_at_ms: 0,
            updated_at_ms: 0,
            department: copy.department,
            handler: None,
            dispatched_at_ms: None,
            deadline_ms: None,
            handled_at_ms: None,
            closed_at_ms: None,
            resolution: copy.resolution,
            rework_count: copy.rework_count,
            postpone_count: copy.postpone_count,
            suspended_from: None,
            remaining_minutes: None,
            photos: Vec::new(),
            conflicts: Vec::new(),
            event_count: 0,
            assisting: Vec::new(),
            checked_at_ms: None,
            signed_at_ms: None,
            application: None,
            urge_count: 0,
            overdue_before_postponement: false,
            verification_distance_m: None,
        },
        cell: cell.to_string(),
        claimed_cell: None,
        source: copy.source,
        received_ms,
        updated_ms: received_ms,
        deadline_ms: copy.deadline_ms,
        closed_ms: None,
        history: copy.history,
    })
}

/// `view` as its evaluation copy reads back (what a backend without a copy table
/// hands to evaluation, and what the tests compare with).
pub fn slim(view: &CaseView) -> Result<CaseView, StorageError> {
    view_of_copy(
        &view.case.id.to_string(),
        &view.cell,
        view.received_ms,
        &copy_json(view)?,
    )
}
