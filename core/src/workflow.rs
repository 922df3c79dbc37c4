//! The case workflow (DOMAIN §4) as a pure fold over a case's events.
//!
//! report → register | cancel → dispatch (handling clock starts) → handle (feedback with
//! an after photo) → verify pass → close, or verify fail → rework (back to the
//! department); side paths return, postpone, suspend/resume, cancel, each by a
//! supervisor with a reason; self-resolve on the spot; reopen.
//!
//! The same code runs on the device (to refuse a local action before anything is
//! written) and on the server (to validate what devices push). Events apply in the
//! deterministic order `(hlc, device_id, id)`; an event that is not a valid transition at
//! its place — two supervisors dispatched the same case offline — is kept and recorded
//! as a [`Conflict`] on the case, never dropped.

mod resolve;

pub use resolve::ConflictResolution;

use crate::model::{Action, Actor, Event, IncidentEvent, PhotoRef, Report, Role, Urgency};
use serde::{Deserialize, Serialize};
use std::{fmt, str::FromStr};
use thiserror::Error;
use uuid::Uuid;

/// Where a case stands in the workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Reported by a worker, waiting for the centre (信息收集).
    Reported,
    /// Accepted as a case, waiting for dispatch (立案).
    Registered,
    /// With a department; the handling clock runs (派遣/处理中, also after rework).
    Dispatched,
    /// The department reported it done; waiting for on-site verification (处理反馈).
    Handled,
    /// Verified on site; waiting for the centre to close it.
    Verified,
    /// Paused by a supervisor (缓办/挂账); the clock is stopped.
    Suspended,
    /// Closed (结案), including problems the worker fixed on the spot.
    Closed,
    /// Void (作废/不予立案).
    Cancelled,
}

impl Status {
    /// Every status, in workflow order.
    pub const ALL: [Status; 8] = [
        Status::Reported,
        Status::Registered,
        Status::Dispatched,
        Status::Handled,
        Status::Verified,
        Status::Suspended,
        Status::Closed,
        Status::Cancelled,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Reported => "reported",
            Status::Registered => "registered",
            Status::Dispatched => "dispatched",
            Status::Handled => "handled",
            Status::Verified => "verified",
            Status::Suspended => "suspended",
            Status::Closed => "closed",
            Status::Cancelled => "cancelled",
        }
    }

    /// Closed or cancelled: nothing more happens unless reopened.
    pub fn is_terminal(self) -> bool {
        matches!(self, Status::Closed | Status::Cancelled)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Status {
    type Err = WorkflowError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Status::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| WorkflowError::UnknownStatus(s.chars().take(40).collect()))
    }
}

/// How a closed case was closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resolution {
    /// Through the full loop: handled, verified, closed.
    Closed,
    /// Fixed on the spot by the worker who found it.
    SelfResolved,
}

/// An event that did not fit the case at its place in the order. Kept, shown, and left
/// for a person to resolve.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conflict {
    /// The event that lost.
    pub event_id: Uuid,
    /// Its kind.
    pub kind: String,
    /// Who recorded it.
    pub actor: Actor,
    /// On which device.
    pub device_id: String,
    /// Its HLC wall time, unix ms.
    pub at_ms: i64,
    /// Why it did not apply.
    pub reason: String,
    /// How a person settled it, once one did (see [`ConflictResolution`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved: Option<ConflictResolution>,
}

/// The current state of one case, folded from its events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Case {
    /// The case id (the stream's UUID).
    pub id: Uuid,
    /// Where it stands.
    pub status: Status,
    /// What was reported.
    pub report: Report,
    /// Who reported it.
    pub reporter: Actor,
    /// When it was reported (HLC wall time, unix ms).
    pub reported_at_ms: i64,
    /// When it last changed.
    pub updated_at_ms: i64,
    /// The responsible department, once dispatched.
    pub department: Option<String>,
    /// The handler who last reported work done.
    pub handler: Option<String>,
    /// When it was first dispatched.
    pub dispatched_at_ms: Option<i64>,
    /// When handling is due (unix ms), while a handling clock applies.
    pub deadline_ms: Option<i64>,
    /// When the department last reported it done.
    pub handled_at_ms: Option<i64>,
    /// When it was closed.
    pub closed_at_ms: Option<i64>,
    /// How it was closed.
    pub resolution: Option<Resolution>,
    /// Times verification failed and the case went back to the department.
    pub rework_count: u32,
    /// Times the deadline was extended.
    pub postpone_count: u32,
    /// The status to go back to when a suspended case resumes.
    pub suspended_from: Option<Status>,
    /// Working minutes that were left on the deadline when the case was suspended.
    pub remaining_minutes: Option<i64>,
    /// Every photo attached to the case, in order.
    pub photos: Vec<PhotoRef>,
    /// Events that did not apply.
    pub conflicts: Vec<Conflict>,
    /// Number of events folded (applied or not).
    pub event_count: u32,
}

impl Case {
    /// Whether the handling clock has run out at `now_ms`: the case is with a
    /// department (dispatched, also after rework) and its deadline has passed.
    pub fn is_overdue(&self, now_ms: i64) -> bool {
        self.status == Status::Dispatched && self.deadline_ms.is_some_and(|d| d < now_ms)
    }

    /// The category code.
    pub fn category(&self) -> &str {
        &self.report.category
    }

    /// The grid cell, when the point lies inside one.
    pub fn cell(&self) -> Option<&str> {
        self.report.cell.as_deref()
    }

    /// The report's urgency.
    pub fn urgency(&self) -> Urgency {
        self.report.urgency
    }
}

/// Why a workflow step is refused.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum WorkflowError {
    /// The role may never take this action.
    #[error("a {role} may not {action} a case")]
    NotPermitted {
        /// The action's name.
        action: &'static str,
        /// The acting role.
        role: Role,
    },
    /// The action does not apply to a case in this status.
    #[error("cannot {action} a case that is {status}")]
    InvalidTransition {
        /// The action's name.
        action: &'static str,
        /// The case's status.
        status: Status,
    },
    /// The action needs a reason or note and none was given.
    #[error("{action} needs a reason")]
    MissingReason {
        /// The action's name.
        action: &'static str,
    },
    /// The action needs at least one photo.
    #[error("{action} needs at least one photo")]
    MissingPhoto {
        /// The action's name.
        action: &'static str,
    },
    /// The case was reported already, or an action came before the report.
    #[error("{0}")]
    OutOfOrder(&'static str),
    /// A status name that does not exist.
    #[error("unknown status {0:?}")]
    UnknownStatus(String),
    /// A conflict resolution names an event that is not a conflict of this case.
    #[error("event {0} is not a conflict of this case")]
    NotAConflict(Uuid),
    /// A conflict resolution names a conflict that was resolved already.
    #[error("the conflict of event {0} was resolved already")]
    ConflictResolved(Uuid),
}

/// Whether `role` may ever take `action`, whatever the case's state. The server
/// rejects an event that fails this; a state that merely collides with concurrent work
/// is accepted and flagged as a conflict by the fold instead.
pub fn permitted(action: &Action, role: Role) -> bool {
    allowed_roles(action).contains(&role)
}

/// Which roles may take an action.
fn allowed_roles(action: &Action) -> &'static [Role] {
    match action {
        Action::Handle { .. } => &[Role::Handler],
        Action::VerifyPass { .. } | Action::VerifyFail { .. } => &[Role::Worker, Role::Supervisor],
        Action::SelfResolve { .. } => &[Role::Worker],
        Action::Register { .. }
        | Action::Cancel { .. }
        | Action::Dispatch { .. }
        | Action::Close { .. }
        | Action::Return { .. }
        | Action::Postpone { .. }
        | Action::Suspend { .. }
        | Action::Resume { .. }
        | Action::Reopen { .. }
        | Action::ResolveConflict { .. } => &[Role::Supervisor],
    }
}

/// Roles that may report a new case.
pub const REPORTING_ROLES: &[Role] = &[Role::Worker, Role::Supervisor];

/// Checks that `actor` may take `action` on `case` now. Pure: changes nothing.
pub fn check(case: &Case, action: &Action, actor: &Actor) -> Result<(), WorkflowError> {
    let name = action.name();
    if !allowed_roles(action).contains(&actor.role) {
        return Err(WorkflowError::NotPermitted {
            action: name,
            role: actor.role,
        });
    }
    let needs_reason = matches!(
        action,
        Action::Cancel { .. }
            | Action::VerifyFail { .. }
            | Action::Return { .. }
            | Action::Postpone { .. }
            | Action::Suspend { .. }
            | Action::Reopen { .. }
    );
    if needs_reason && action.text().is_none_or(|t| t.trim().is_empty()) {
        return Err(WorkflowError::MissingReason { action: name });
    }
    if matches!(action, Action::Handle { .. } | Action::SelfResolve { .. })
        && action.photos().is_empty()
    {
        return Err(WorkflowError::MissingPhoto { action: name });
    }
    use Status::*;
    let ok = match action {
        Action::Register { .. } => case.status == Reported,
        Action::Cancel { .. } => !case.status.is_terminal(),
        Action::Dispatch { .. } => case.status == Registered,
        Action::Handle { .. } => case.status == Dispatched,
        Action::VerifyPass { .. } | Action::VerifyFail { .. } => case.status == Handled,
        Action::Close { .. } => case.status == Verified,
        Action::Return { .. } => matches!(case.status, Dispatched | Handled),
        Action::Postpone { .. } => case.status == Dispatched,
        Action::Suspend { .. } => matches!(case.status, Registered | Dispatched | Handled),
        Action::Resume { .. } => case.status == Suspended,
        Action::SelfResolve { .. } => case.status == Reported,
        Action::Reopen { .. } => case.status.is_terminal(),
        Action::ResolveConflict { event_id, .. } => return resolve::check(case, *event_id),
    };
    if ok {
        Ok(())
    } else {
        Err(WorkflowError::InvalidTransition {
            action: name,
            status: case.status,
        })
    }
}

/// Applies a checked action to the case. Call [`check`] first.
fn transition(case: &mut Case, action: &Action, actor: &Actor, at_ms: i64, event_uuid: Uuid) {
    use Status::*;
    case.photos.extend(action.photos().iter().cloned());
    match action {
        Action::Register { .. } => case.status = Registered,
        Action::Cancel { .. } => {
            case.status = Cancelled;
            case.deadline_ms = None;
            case.suspended_from = None;
        }
        Action::Dispatch {
            department,
            deadline_ms,
            ..
        } => {
            case.status = Dispatched;
            case.department = Some(department.clone());
            case.dispatched_at_ms.get_or_insert(at_ms);
            case.deadline_ms = Some(*deadline_ms);
        }
        Action::Handle { .. } => {
            case.status = Handled;
            case.handler = Some(actor.user.clone());
            case.handled_at_ms = Some(at_ms);
        }
        Action::VerifyPass { .. } => case.status = Verified,
        Action::VerifyFail { .. } => {
            case.status = Dispatched;
            case.rework_count += 1;
        }
        Action::Close { .. } => {
            case.status = Closed;
            case.closed_at_ms = Some(at_ms);
            case.resolution = Some(Resolution::Closed);
        }
        Action::Return { .. } => {
            case.status = Registered;
            case.department = None;
            case.deadline_ms = None;
        }
        Action::Postpone { deadline_ms, .. } => {
            case.deadline_ms = Some(*deadline_ms);
            case.postpone_count += 1;
        }
        Action::Suspend {
            remaining_minutes, ..
        } => {
            case.suspended_from = Some(case.status);
            case.remaining_minutes = *remaining_minutes;
            case.status = Suspended;
        }
        Action::Resume { deadline_ms, .. } => {
            case.status = case.suspended_from.take().unwrap_or(Registered);
            case.remaining_minutes = None;
            if deadline_ms.is_some() {
                case.deadline_ms = *deadline_ms;
            }
        }
        Action::SelfResolve { .. } => {
            case.status = Closed;
            case.closed_at_ms = Some(at_ms);
            case.resolution = Some(Resolution::SelfResolved);
        }
        Action::Reopen { .. } => {
            case.status = Registered;
            case.closed_at_ms = None;
            case.resolution = None;
            case.department = None;
            case.deadline_ms = None;
        }
        Action::ResolveConflict {
            event_id,
            decision,
            note,
        } => resolve::apply(
            case,
            *event_id,
            ConflictResolution {
                event_id: event_uuid,
                by: actor.clone(),
                at_ms,
                decision: *decision,
                note: note.clone(),
            },
        ),
    }
}

/// Checks that `actor` may report a new case.
pub fn check_report(actor: &Actor) -> Result<(), WorkflowError> {
    if REPORTING_ROLES.contains(&actor.role) {
        Ok(())
    } else {
        Err(WorkflowError::NotPermitted {
            action: "report",
            role: actor.role,
        })
    }
}

/// Folds one event into the case state (`None` before the report). An event that does
/// not apply is recorded as a conflict.
pub fn apply(case: Option<Case>, event: &Event) -> Option<Case> {
    let at_ms = event.hlc.wall_ms;
    let parsed = IncidentEvent::parse(&event.kind, &event.payload);
    match (case, parsed) {
        (None, Ok(IncidentEvent::Reported(report))) => {
            let mut case = Case {
                id: event.stream.id(),
                status: Status::Reported,
                photos: report.photos.clone(),
                report,
                reporter: event.actor.clone(),
                reported_at_ms: at_ms,
                updated_at_ms: at_ms,
                department: None,
                handler: None,
                dispatched_at_ms: None,
                deadline_ms: None,
                handled_at_ms: None,
                closed_at_ms: None,
                resolution: None,
                rework_count: 0,
                postpone_count: 0,
                suspended_from: None,
                remaining_minutes: None,
                conflicts: Vec::new(),
                event_count: 1,
            };
            if let Err(e) = check_report(&event.actor) {
                conflict(&mut case, event, e.to_string());
            }
            Some(case)
        }
        // Without its report an event cannot be placed; the store keeps it and folds
        // again when the report arrives.
        (None, _) => None,
        (Some(mut case), parsed) => {
            case.event_count += 1;
            let outcome = match parsed {
                Ok(IncidentEvent::Acted(action)) => check(&case, &action, &event.actor)
                    .map(|()| transition(&mut case, &action, &event.actor, at_ms, event.id))
                    .map_err(|e| e.to_string()),
                Ok(IncidentEvent::Reported(_)) => Err("the case was reported already".into()),
                Err(e) => Err(e.to_string()),
            };
            match outcome {
                Ok(()) => case.updated_at_ms = case.updated_at_ms.max(at_ms),
                Err(reason) => conflict(&mut case, event, reason),
            }
            Some(case)
        }
    }
}

fn conflict(case: &mut Case, event: &Event, reason: String) {
    case.conflicts.push(Conflict {
        event_id: event.id,
        kind: event.kind.clone(),
        actor: event.actor.clone(),
        device_id: event.device_id.clone(),
        at_ms: event.hlc.wall_ms,
        reason,
        resolved: None,
    });
}

/// Sorts events into the deterministic fold order `(hlc, device_id, id)`.
pub fn sort_events(events: &mut [Event]) {
    events.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
}

/// Folds a case's events, in any delivery order, into its state. `None` when the
/// report is not among them.
pub fn fold(events: &[Event]) -> Option<Case> {
    fold_with(events, |_, _| {})
}

/// [`fold`], calling `step` after each event with the event and the case as it stands
/// after it (a replica that keeps figures of its own beside the fold, like the server's
/// deadlines by its own clock, follows the very same order).
pub fn fold_with(events: &[Event], mut step: impl FnMut(&Event, &Case)) -> Option<Case> {
    let mut sorted: Vec<&Event> = events.iter().collect();
    sorted.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
    // Events ordered before the report (a device whose clock was far behind) are
    // folded after it instead, so that they are judged rather than lost.
    let (reports, rest): (Vec<&Event>, Vec<&Event>) = sorted
        .into_iter()
        .partition(|e| e.kind == "incident.reported");
    let mut case = None;
    let mut iter = reports.into_iter();
    if let Some(first) = iter.next() {
        case = apply(None, first);
        if let Some(c) = &case {
            step(first, c);
        }
    }
    for event in iter.chain(rest) {
        case = apply(case, event);
        if let Some(c) = &case {
            step(event, c);
        }
    }
    case
}
