//! Typed timeline entries: what each step of a case's history says, as one uniffi enum
//! variant per event kind (parsed by the core's `IncidentEvent::parse`), so the shells
//! never read the payload's JSON.

use crate::types::{Photo, TimeLimit, Urgency};
use gridwork_core::model::{self, Action, Exception, IncidentEvent};
use std::path::Path;

/// Which exception a department applied for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum ExceptionKind {
    /// Back to the centre (回退).
    Return,
    /// More time (延期).
    Postpone,
    /// A pause (挂起).
    Suspend,
}

impl From<Exception> for ExceptionKind {
    fn from(e: Exception) -> Self {
        match e {
            Exception::Return => ExceptionKind::Return,
            Exception::Postpone => ExceptionKind::Postpone,
            Exception::Suspend => ExceptionKind::Suspend,
        }
    }
}

/// What one step of a case's history says, by kind.
#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum CaseEvent {
    /// `incident.reported`: the report as made.
    Reported {
        /// Category code (the catalogue's reference).
        category: String,
        /// What the worker saw.
        description: String,
        /// WGS-84 latitude.
        lat: f64,
        /// WGS-84 longitude.
        lon: f64,
        /// Address text.
        address: Option<String>,
        /// How urgent.
        urgency: Urgency,
        /// The cell it lies in.
        cell: Option<String>,
        /// The before photos.
        photos: Vec<Photo>,
    },
    /// Accepted as a case.
    Registered {
        /// The note.
        note: Option<String>,
    },
    /// Voided.
    Cancelled {
        /// Why.
        reason: String,
    },
    /// Sent to a department.
    Dispatched {
        /// The department id.
        department: String,
        /// When handling is due, unix ms.
        deadline_ms: i64,
        /// The note.
        note: Option<String>,
    },
    /// The department reported the work done.
    Handled {
        /// The note.
        note: Option<String>,
        /// The after photos.
        photos: Vec<Photo>,
    },
    /// Verified on site.
    Verified {
        /// The note.
        note: Option<String>,
        /// Verification photos.
        photos: Vec<Photo>,
    },
    /// The on-site check failed: back for rework.
    VerificationFailed {
        /// Why.
        reason: String,
        /// Verification photos.
        photos: Vec<Photo>,
    },
    /// Closed.
    Closed {
        /// The note.
        note: Option<String>,
    },
    /// Back to the centre.
    Returned {
        /// Why.
        reason: String,
    },
    /// The deadline was extended.
    Postponed {
        /// Why.
        reason: String,
        /// The new deadline, unix ms.
        deadline_ms: i64,
    },
    /// Handling paused.
    Suspended {
        /// Why.
        reason: String,
    },
    /// Handling resumed.
    Resumed {
        /// The new deadline, unix ms, when the clock runs again.
        deadline_ms: Option<i64>,
        /// The note.
        note: Option<String>,
    },
    /// Fixed on the spot by the worker who found it.
    SelfResolved {
        /// The note.
        note: Option<String>,
        /// The after photos.
        photos: Vec<Photo>,
    },
    /// Opened again.
    Reopened {
        /// Why.
        reason: String,
    },
    /// Checked by the intake operator.
    Checked {
        /// The note.
        note: Option<String>,
    },
    /// Signed for by the department.
    Signed {
        /// The note.
        note: Option<String>,
    },
    /// The department applied for an exception.
    Applied {
        /// Which.
        exception: ExceptionKind,
        /// Why.
        reason: String,
        /// For more time: how much.
        extend: Option<TimeLimit>,
    },
    /// The shift lead approved the application.
    Approved {
        /// The note.
        note: Option<String>,
        /// The new deadline, unix ms, for an approved postponement.
        deadline_ms: Option<i64>,
    },
    /// The shift lead refused the application.
    Refused {
        /// Why.
        reason: String,
    },
    /// The centre urged (or, `supervise`, formally supervised) the department.
    Urged {
        /// The note.
        note: Option<String>,
        /// 督办 rather than 催办.
        supervise: bool,
    },
    /// Assisting departments joined.
    Assisted {
        /// Their ids.
        departments: Vec<String>,
        /// The note.
        note: Option<String>,
    },
    /// A flagged conflict was settled.
    ConflictResolved {
        /// The flagged event's id.
        event_id: String,
        /// The note.
        note: Option<String>,
    },
    /// A kind this library does not know (a newer server's); `payload_json` holds it.
    Other {
        /// The event kind.
        kind: String,
    },
}

impl CaseEvent {
    /// The typed view of an event's kind and payload; photos resolved in `photos_dir`.
    pub(crate) fn new(kind: &str, payload: &serde_json::Value, photos_dir: &Path) -> Self {
        let photos = |p: Vec<model::PhotoRef>| -> Vec<Photo> {
            p.into_iter().map(|p| Photo::new(p, photos_dir)).collect()
        };
        let Ok(event) = IncidentEvent::parse(kind, payload) else {
            return CaseEvent::Other { kind: kind.into() };
        };
        let action = match event {
            IncidentEvent::Reported(r) => {
                return CaseEvent::Reported {
                    category: r.category,
                    description: r.description,
                    lat: r.lat,
                    lon: r.lon,
                    address: r.address,
                    urgency: r.urgency.into(),
                    cell: r.cell,
                    photos: photos(r.photos),
                }
            }
            IncidentEvent::Acted(a) => a,
        };
        match action {
            Action::Register { note } => CaseEvent::Registered { note },
            Action::Cancel { reason } => CaseEvent::Cancelled { reason },
            Action::Dispatch {
                department,
                deadline_ms,
                note,
            } => CaseEvent::Dispatched {
                department,
                deadline_ms,
                note,
            },
            Action::Handle { note, photos: p } => CaseEvent::Handled {
                note,
                photos: photos(p),
            },
            Action::VerifyPass {
                note, photos: p, ..
            } => CaseEvent::Verified {
                note,
                photos: photos(p),
            },
            Action::VerifyFail {
                reason, photos: p, ..
            } => CaseEvent::VerificationFailed {
                reason,
                photos: photos(p),
            },
            Action::Close { note } => CaseEvent::Closed { note },
            Action::Return { reason } => CaseEvent::Returned { reason },
            Action::Postpone {
                reason,
                deadline_ms,
            } => CaseEvent::Postponed {
                reason,
                deadline_ms,
            },
            Action::Suspend { reason, .. } => CaseEvent::Suspended { reason },
            Action::Resume { deadline_ms, note } => CaseEvent::Resumed { deadline_ms, note },
            Action::SelfResolve { note, photos: p } => CaseEvent::SelfResolved {
                note,
                photos: photos(p),
            },
            Action::Reopen { reason } => CaseEvent::Reopened { reason },
            Action::Check { note } => CaseEvent::Checked { note },
            Action::Sign { note } => CaseEvent::Signed { note },
            Action::Apply {
                exception,
                reason,
                extend,
                ..
            } => CaseEvent::Applied {
                exception: exception.into(),
                reason,
                extend: extend.map(Into::into),
            },
            Action::Approve {
                note, deadline_ms, ..
            } => CaseEvent::Approved { note, deadline_ms },
            Action::Refuse { reason } => CaseEvent::Refused { reason },
            Action::Urge { note, supervise } => CaseEvent::Urged { note, supervise },
            Action::Assist { departments, note } => CaseEvent::Assisted { departments, note },
            Action::ResolveConflict { event_id, note, .. } => CaseEvent::ConflictResolved {
                event_id: event_id.to_string(),
                note,
            },
        }
    }
}
