//! The case workflow (DOMAIN §4) as a pure fold over a case's events.
//!
//! report → check (核实) → register | cancel → dispatch (handling clock starts) → sign
//! (签收) → handle (feedback with an after photo) → verify pass → close, or verify fail
//! → rework (back to the department); side paths return, postpone, suspend/resume,
//! cancel — taken by the shift lead directly, or applied for by the department and
//! approved or refused by the shift lead — each with a reason; urging; assisting
//! departments; self-resolve on the spot; reopen. Who may take which step is in
//! [`permitted`] and [`check`] (see `rules.rs`); docs/workflow.md has the table.
//!
//! The same code runs on the device (to refuse a local action before anything is
//! written) and on the server (to validate what devices push). Events apply in the
//! deterministic order `(hlc, device_id, id)`; an event that is not a valid transition at
//! its place — two supervisors dispatched the same case offline — is kept and recorded
//! as a [`Conflict`] on the case, never dropped.

mod resolve;
mod rules;
mod transition;

pub use resolve::ConflictResolution;
pub use rules::{check, check_report, permitted, REPORTING_ROLES};

use crate::calendar::TimeLimit;
use crate::model::{Actor, Event, Exception, IncidentEvent, PhotoRef, Report, Role, Urgency};
use serde::{Deserialize, Serialize};
use std::{fmt, str::FromStr};
use thiserror::Error;
use transition::transition;
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
    /// Assisting departments (协办) beside the lead `department`; they see the case.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub assisting: Vec<String>,
    /// When the intake operator first checked the report (核实).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checked_at_ms: Option<i64>,
    /// When the department signed for the case since its last dispatch (签收).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed_at_ms: Option<i64>,
    /// The department's application waiting for the shift lead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application: Option<Application>,
    /// Times the centre urged the department (催办/督办).
    #[serde(default)]
    pub urge_count: u32,
    /// A postponement was granted after the deadline had passed: the case counts as
    /// overdue (once) whatever its new deadline.
    #[serde(default)]
    pub overdue_before_postponement: bool,
    /// How far from the report's point the last verification was made, metres, when
    /// the verifier's position was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification_distance_m: Option<f64>,
}

/// A department's application for an exception, waiting for the shift lead.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Application {
    /// What is applied for.
    pub exception: Exception,
    /// Why.
    pub reason: String,
    /// The applicant (a handler's user name); they may not decide it.
    pub by: String,
    /// When it was applied for (HLC wall time, unix ms).
    pub at_ms: i64,
    /// For a postponement: the extension asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extend: Option<TimeLimit>,
    /// When the decision is due, unix ms, by the applicant's calendar.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline_ms: Option<i64>,
}

impl Case {
    /// Whether the handling clock has run out at `now_ms`: the case is with a
    /// department (dispatched, also after rework) and its deadline has passed.
    pub fn is_overdue(&self, now_ms: i64) -> bool {
        self.status == Status::Dispatched && self.deadline_ms.is_some_and(|d| d < now_ms)
    }

    /// Whether the last verification was made farther than `radius_m` from the case
    /// (or without a position, when a radius applies): it is flagged for the centre.
    pub fn verification_far(&self, radius_m: u32) -> bool {
        self.verification_distance_m
            .is_none_or(|d| d > f64::from(radius_m))
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
    /// The post may take the action, but not on a case in this status (the intake
    /// operator refuses reports; voiding a registered case is the shift lead's).
    #[error("a {role} may not {action} a case that is {status}")]
    PostNotPermitted {
        /// The action's name.
        action: &'static str,
        /// The acting role.
        role: Role,
        /// The case's status.
        status: Status,
    },
    /// A department's handler acting on a case that is not its department's.
    #[error("{department} may not {action} this case: it is dispatched to {}", case_department.as_deref().unwrap_or("no department"))]
    WrongDepartment {
        /// The action's name.
        action: &'static str,
        /// The actor's department.
        department: String,
        /// The case's lead department.
        case_department: Option<String>,
    },
    /// An approval or refusal with no application waiting.
    #[error("there is no application to {action}")]
    NoApplication {
        /// The action's name.
        action: &'static str,
    },
    /// A second application while one waits.
    #[error("an application is already waiting for the shift lead")]
    ApplicationPending,
    /// The applicant deciding their own application.
    #[error("nobody may {action} their own application")]
    OwnApplication {
        /// The action's name.
        action: &'static str,
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
                assisting: Vec::new(),
                checked_at_ms: None,
                signed_at_ms: None,
                application: None,
                urge_count: 0,
                overdue_before_postponement: false,
                verification_distance_m: None,
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
