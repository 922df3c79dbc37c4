//! The evaluation's copy of a case view: only what the figures read (status, how it
//! was closed, its counters, department, category, reporter, source, the server's
//! deadline and the [`History`] fields the figures count), without the report's text,
//! photos, conflicts or the application. Both backends keep one per case beside the
//! full view, written in the same push transaction and by a rebuild (table
//! `case_eval`), as plain columns — integers, booleans and short texts, no JSON — so an
//! evaluation of a street's month reads a few numbers per case instead of the whole
//! view, and decodes nothing.
//!
//! A copy reads back as an [`EvalCase`] (the figures' inputs only), which
//! [`super::evaluate`] counts as it counts a full [`CaseView`], so it stays the one
//! place the figures are computed, and a conformance test checks that the copies give
//! the figures the full views give.

use super::EvalCase;
use crate::projection::{CaseView, History};
use crate::StorageError;
use gridwork_core::{
    model::{Role, Source},
    workflow::{Resolution, Status},
};

/// The copy's columns after `(id, cell, received_ms)`, in the order [`Columns`] holds
/// them (both backends' `case_eval` tables; their SQL lists them in this order).
pub const COLUMNS: &str = "status, resolution, category, department, reporter, reporter_role, \
     source, rework_count, postpone_count, deadline_ms, registered_ms, dispatched_ms, \
     handled_ms, handled_on_time, handling_minutes, returns, overdue_before_postponement, \
     intake_on_time, dispatch_on_time, sign_on_time, verification_on_time, urges";

/// How many columns [`COLUMNS`] names.
pub const COLUMN_COUNT: usize = 22;

/// One copy as its table's columns hold it (after the case's id, cell and receive
/// time): enums by their wire names, counts as integers.
#[derive(Debug, Clone, PartialEq)]
pub struct Columns {
    /// The case's status (its wire name).
    pub status: String,
    /// How it was closed (`closed`, `self_resolved`), if it was.
    pub resolution: Option<String>,
    /// Its category code.
    pub category: String,
    /// The department it is dispatched to.
    pub department: Option<String>,
    /// The reporting user.
    pub reporter: String,
    /// The role the reporter acted in (its wire name).
    pub reporter_role: String,
    /// The channel the report came by (its wire name).
    pub source: String,
    /// Times it failed verification.
    pub rework_count: i64,
    /// Times it was postponed.
    pub postpone_count: i64,
    /// The server's deadline in force.
    pub deadline_ms: Option<i64>,
    /// [`History::registered_ms`].
    pub registered_ms: Option<i64>,
    /// [`History::dispatched_ms`].
    pub dispatched_ms: Option<i64>,
    /// [`History::handled_ms`].
    pub handled_ms: Option<i64>,
    /// [`History::handled_on_time`].
    pub handled_on_time: Option<bool>,
    /// [`History::handling_minutes`].
    pub handling_minutes: Option<i64>,
    /// [`History::returns`].
    pub returns: i64,
    /// [`History::overdue_before_postponement`].
    pub overdue_before_postponement: bool,
    /// [`History::intake_on_time`].
    pub intake_on_time: Option<bool>,
    /// [`History::dispatch_on_time`].
    pub dispatch_on_time: Option<bool>,
    /// [`History::sign_on_time`].
    pub sign_on_time: Option<bool>,
    /// [`History::verification_on_time`].
    pub verification_on_time: Option<bool>,
    /// [`History::urges`].
    pub urges: i64,
}

fn resolution_name(r: Resolution) -> &'static str {
    match r {
        Resolution::Closed => "closed",
        Resolution::SelfResolved => "self_resolved",
    }
}

fn resolution_of(s: &str) -> Option<Resolution> {
    match s {
        "closed" => Some(Resolution::Closed),
        "self_resolved" => Some(Resolution::SelfResolved),
        _ => None,
    }
}

/// The copy of `view`, as its columns.
pub fn columns(view: &CaseView) -> Columns {
    let c = &view.case;
    let h = &view.history;
    Columns {
        status: c.status.as_str().to_string(),
        resolution: c.resolution.map(|r| resolution_name(r).to_string()),
        category: c.report.category.clone(),
        department: c.department.clone(),
        reporter: c.reporter.user.clone(),
        reporter_role: c.reporter.role.as_str().to_string(),
        source: view.source.as_str().to_string(),
        rework_count: i64::from(c.rework_count),
        postpone_count: i64::from(c.postpone_count),
        deadline_ms: view.deadline_ms,
        registered_ms: h.registered_ms,
        dispatched_ms: h.dispatched_ms,
        handled_ms: h.handled_ms,
        handled_on_time: h.handled_on_time,
        handling_minutes: h.handling_minutes,
        returns: i64::from(h.returns),
        overdue_before_postponement: h.overdue_before_postponement,
        intake_on_time: h.intake_on_time,
        dispatch_on_time: h.dispatch_on_time,
        sign_on_time: h.sign_on_time,
        verification_on_time: h.verification_on_time,
        urges: i64::from(h.urges),
    }
}

/// The case a stored copy stands for: the case `id` in `cell`, received at
/// `received_ms`, with the figures' inputs from `copy`.
pub fn case_of_columns(
    id: &str,
    cell: String,
    received_ms: i64,
    copy: Columns,
) -> Result<EvalCase, StorageError> {
    let bad = |what: &str| StorageError::Corrupt(format!("evaluation copy of {id}: {what}"));
    let count = |n: i64, what: &str| u32::try_from(n).map_err(|_| bad(what));
    let id = id.parse().map_err(|e: uuid::Error| bad(&e.to_string()))?;
    let status: Status = copy.status.parse().map_err(|_| bad("status"))?;
    let resolution = match copy.resolution.as_deref() {
        None => None,
        Some(r) => Some(resolution_of(r).ok_or_else(|| bad("resolution"))?),
    };
    let reporter_role: Role = copy
        .reporter_role
        .parse()
        .map_err(|_| bad("reporter role"))?;
    let source = Source::parse(&copy.source).ok_or_else(|| bad("source"))?;
    Ok(EvalCase {
        id,
        cell,
        received_ms,
        status,
        resolution,
        category: copy.category,
        department: copy.department,
        reporter: copy.reporter,
        reporter_role,
        source,
        rework_count: count(copy.rework_count, "rework count")?,
        postpone_count: count(copy.postpone_count, "postponements")?,
        deadline_ms: copy.deadline_ms,
        history: History {
            registered_ms: copy.registered_ms,
            dispatched_ms: copy.dispatched_ms,
            handled_ms: copy.handled_ms,
            handled_on_time: copy.handled_on_time,
            handling_minutes: copy.handling_minutes,
            returns: count(copy.returns, "returns")?,
            overdue_before_postponement: copy.overdue_before_postponement,
            intake_on_time: copy.intake_on_time,
            dispatch_on_time: copy.dispatch_on_time,
            sign_on_time: copy.sign_on_time,
            verification_on_time: copy.verification_on_time,
            urges: count(copy.urges, "urges")?,
            ..History::default()
        },
    })
}

/// `view` as its evaluation copy reads back (what a backend without a copy table
/// hands to evaluation, and what the tests compare with): through its columns.
pub fn slim(view: &CaseView) -> Result<EvalCase, StorageError> {
    case_of_columns(
        &view.case.id.to_string(),
        view.cell.clone(),
        view.received_ms,
        columns(view),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_resolution_and_status_survives_its_column() {
        for r in [Resolution::Closed, Resolution::SelfResolved] {
            assert_eq!(resolution_of(resolution_name(r)), Some(r));
        }
        for s in Status::ALL {
            assert_eq!(s.as_str().parse::<Status>().ok(), Some(s));
        }
        assert_eq!(COLUMNS.split(',').count(), COLUMN_COUNT);
    }
}
