//! What a checked step does to the case.

use super::{resolve, Application, Case, ConflictResolution, Resolution, Status};
use crate::geo::{haversine_m, LatLon};
use crate::model::{Action, Actor, Exception};

/// Applies a checked action to the case. Call [`super::check`] first. `event_id` is
/// the id of the event that carries the action.
pub(super) fn transition(
    case: &mut Case,
    action: &Action,
    actor: &Actor,
    at_ms: i64,
    event_id: uuid::Uuid,
) {
    use Status::*;
    case.photos.extend(action.photos().iter().cloned());
    match action {
        Action::Register { .. } => case.status = Registered,
        Action::Cancel { .. } => {
            case.status = Cancelled;
            case.deadline_ms = None;
            case.suspended_from = None;
            case.application = None;
        }
        Action::Dispatch {
            department,
            deadline_ms,
            ..
        } => {
            case.status = Dispatched;
            case.department = Some(department.clone());
            case.assisting.clear();
            case.signed_at_ms = None;
            case.application = None;
            case.dispatched_at_ms.get_or_insert(at_ms);
            case.deadline_ms = Some(*deadline_ms);
        }
        Action::Handle { .. } => {
            case.status = Handled;
            case.handler = Some(actor.user.clone());
            case.handled_at_ms = Some(at_ms);
        }
        Action::VerifyPass { position, .. } => {
            case.status = Verified;
            case.verification_distance_m = distance(case, position);
        }
        Action::VerifyFail { position, .. } => {
            case.status = Dispatched;
            case.rework_count += 1;
            case.verification_distance_m = distance(case, position);
        }
        Action::Close { .. } => {
            case.status = Closed;
            case.closed_at_ms = Some(at_ms);
            case.resolution = Some(Resolution::Closed);
        }
        Action::Return { .. } => return_to_centre(case),
        Action::Postpone { deadline_ms, .. } => postpone(case, Some(*deadline_ms), at_ms),
        Action::Suspend {
            remaining_minutes, ..
        } => suspend(case, *remaining_minutes),
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
            case.assisting.clear();
            case.deadline_ms = None;
            case.application = None;
        }
        Action::Check { .. } => {
            case.checked_at_ms.get_or_insert(at_ms);
        }
        Action::Sign { .. } => case.signed_at_ms = Some(at_ms),
        Action::Apply {
            exception,
            reason,
            extend,
            deadline_ms,
        } => {
            case.application = Some(Application {
                exception: *exception,
                reason: reason.clone(),
                by: actor.user.clone(),
                at_ms,
                extend: *extend,
                deadline_ms: *deadline_ms,
            });
        }
        Action::Approve {
            deadline_ms,
            remaining_minutes,
            ..
        } => {
            if let Some(app) = case.application.take() {
                match app.exception {
                    Exception::Return => return_to_centre(case),
                    Exception::Postpone => postpone(case, *deadline_ms, at_ms),
                    Exception::Suspend => suspend(case, *remaining_minutes),
                }
            }
        }
        Action::Refuse { .. } => case.application = None,
        Action::Urge { .. } => case.urge_count += 1,
        Action::Assist { departments, .. } => {
            for d in departments {
                if case.department.as_ref() != Some(d) && !case.assisting.contains(d) {
                    case.assisting.push(d.clone());
                }
            }
        }
        Action::ResolveConflict {
            event_id: flagged,
            decision,
            note,
        } => resolve::apply(
            case,
            *flagged,
            ConflictResolution {
                event_id,
                by: actor.clone(),
                at_ms,
                decision: *decision,
                note: note.clone(),
            },
        ),
    }
}

fn distance(case: &Case, position: &Option<LatLon>) -> Option<f64> {
    position.map(|p| haversine_m(LatLon::new(case.report.lat, case.report.lon), p))
}

fn return_to_centre(case: &mut Case) {
    case.status = Status::Registered;
    case.department = None;
    case.assisting.clear();
    case.signed_at_ms = None;
    case.deadline_ms = None;
    case.application = None;
}

/// A postponement granted after the deadline had passed does not rescue the case: it
/// stays counted as overdue (once), whatever its new deadline.
fn postpone(case: &mut Case, deadline_ms: Option<i64>, at_ms: i64) {
    if case.deadline_ms.is_some_and(|d| d < at_ms) {
        case.overdue_before_postponement = true;
    }
    if deadline_ms.is_some() {
        case.deadline_ms = deadline_ms;
    }
    case.postpone_count += 1;
}

fn suspend(case: &mut Case, remaining_minutes: Option<i64>) {
    case.suspended_from = Some(case.status);
    case.remaining_minutes = remaining_minutes;
    case.status = Status::Suspended;
    case.application = None;
}
