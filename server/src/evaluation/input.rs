//! What the figures read of a case, and the slim case evaluation reads from storage.
//!
//! [`super::evaluate`] takes any [`Evaluable`]: a full [`CaseView`] or an [`EvalCase`],
//! the evaluation copy as it reads back (the figures' inputs only, a few hundred bytes
//! instead of a view's kilobyte and more). Both hand the figures the same [`Inputs`],
//! borrowed, so [`super::figures`] stays the one place a figure is computed; the
//! "copies count as the full views" tests check that the two give the same rows.

use crate::projection::{CaseView, History};
use gridwork_core::{
    model::{Role, Source},
    workflow::{Resolution, Status},
};
use uuid::Uuid;

/// The inputs of the figures of one case, borrowed from a view or a copy.
#[derive(Debug, Clone, Copy)]
pub struct Inputs<'a> {
    /// The server's cell of the report (`""`: outside every cell).
    pub cell: &'a str,
    /// Where the case stands.
    pub status: Status,
    /// How it was closed, if it was.
    pub resolution: Option<Resolution>,
    /// Its category code.
    pub category: &'a str,
    /// The department it is dispatched to.
    pub department: Option<&'a str>,
    /// The reporting user.
    pub reporter: &'a str,
    /// The role the reporter acted in.
    pub reporter_role: Role,
    /// The channel the report came by.
    pub source: Source,
    /// Times it failed verification.
    pub rework_count: u32,
    /// Times it was postponed.
    pub postpone_count: u32,
    /// The server's deadline in force.
    pub deadline_ms: Option<i64>,
    /// The server's history of the case (its times, on-time flags and counters).
    pub history: &'a History,
}

impl Inputs<'_> {
    /// Whether the server's handling clock has run out at `now_ms` (as
    /// [`CaseView::is_overdue`]).
    pub fn is_overdue(&self, now_ms: i64) -> bool {
        self.status == Status::Dispatched && self.deadline_ms.is_some_and(|d| d < now_ms)
    }
}

/// Something evaluation can count: it gives the figures' inputs.
pub trait Evaluable {
    /// The figures' inputs of this case.
    fn inputs(&self) -> Inputs<'_>;
}

impl Evaluable for CaseView {
    fn inputs(&self) -> Inputs<'_> {
        let c = &self.case;
        Inputs {
            cell: &self.cell,
            status: c.status,
            resolution: c.resolution,
            category: c.category(),
            department: c.department.as_deref(),
            reporter: &c.reporter.user,
            reporter_role: c.reporter.role,
            source: self.source,
            rework_count: c.rework_count,
            postpone_count: c.postpone_count,
            deadline_ms: self.deadline_ms,
            history: &self.history,
        }
    }
}

/// A case as evaluation reads it from storage: the evaluation copy (see
/// [`super::copy`]), the figures' inputs and nothing else.
#[derive(Debug, Clone, PartialEq)]
pub struct EvalCase {
    /// The case id.
    pub id: Uuid,
    /// The server's cell of the report.
    pub cell: String,
    /// When the server received the report.
    pub received_ms: i64,
    /// Where the case stands.
    pub status: Status,
    /// How it was closed, if it was.
    pub resolution: Option<Resolution>,
    /// Its category code.
    pub category: String,
    /// The department it is dispatched to.
    pub department: Option<String>,
    /// The reporting user.
    pub reporter: String,
    /// The role the reporter acted in.
    pub reporter_role: Role,
    /// The channel the report came by.
    pub source: Source,
    /// Times it failed verification.
    pub rework_count: u32,
    /// Times it was postponed.
    pub postpone_count: u32,
    /// The server's deadline in force.
    pub deadline_ms: Option<i64>,
    /// The history fields the figures count (the others left at their defaults).
    pub history: History,
}

impl Evaluable for EvalCase {
    fn inputs(&self) -> Inputs<'_> {
        Inputs {
            cell: &self.cell,
            status: self.status,
            resolution: self.resolution,
            category: &self.category,
            department: self.department.as_deref(),
            reporter: &self.reporter,
            reporter_role: self.reporter_role,
            source: self.source,
            rework_count: self.rework_count,
            postpone_count: self.postpone_count,
            deadline_ms: self.deadline_ms,
            history: &self.history,
        }
    }
}
