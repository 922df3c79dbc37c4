//! Who may take which step, and when: the role table (separation of duties between the
//! centre's posts, departments and workers), the department rule and the case's state.

use super::{Case, Status, WorkflowError};
use crate::model::{Action, Actor, Exception, Role};

/// Whether `role` may ever take `action`, whatever the case's state. The server
/// rejects an event that fails this; a state that merely collides with concurrent work
/// is accepted and flagged as a conflict by the fold instead.
pub fn permitted(action: &Action, role: Role) -> bool {
    allowed_roles(action).contains(&role)
}

/// Which roles may take an action. [`Role::Supervisor`] (accounts and stores from
/// before the posts) holds every centre post, so it appears wherever a post does.
fn allowed_roles(action: &Action) -> &'static [Role] {
    use Role::*;
    match action {
        Action::Handle { .. } | Action::Sign { .. } | Action::Apply { .. } => &[Handler],
        Action::VerifyPass { .. } | Action::VerifyFail { .. } => &[Worker, Supervisor],
        Action::SelfResolve { .. } => &[Worker],
        Action::Check { .. } | Action::Register { .. } | Action::Close { .. } => {
            &[Intake, Supervisor]
        }
        // The intake operator refuses a report (不予立案); voiding a case later (作废)
        // is the shift lead's (see `check`).
        Action::Cancel { .. } => &[Intake, ShiftLead, Supervisor],
        Action::Dispatch { .. } | Action::Assist { .. } => &[Dispatcher, Supervisor],
        Action::Urge { .. } => &[Dispatcher, ShiftLead, Supervisor],
        Action::Resume { .. } => &[Dispatcher, ShiftLead, Supervisor],
        Action::Approve { .. }
        | Action::Refuse { .. }
        | Action::Return { .. }
        | Action::Postpone { .. }
        | Action::Suspend { .. }
        | Action::Reopen { .. } => &[ShiftLead, Supervisor],
        // Settling a flagged conflict is the legacy supervisor's and the shift lead's.
        Action::ResolveConflict { .. } => &[ShiftLead, Supervisor],
    }
}

/// Roles that may report a new case: workers, and the centre's intake (reports that
/// come by phone or from residents) with the legacy supervisor, and integration accounts
/// filing what residents and partner systems send through Open311.
pub const REPORTING_ROLES: &[Role] = &[
    Role::Worker,
    Role::Supervisor,
    Role::Intake,
    Role::Integration,
];

/// Checks that `actor` may take `action` on `case` now. Pure: changes nothing.
pub fn check(case: &Case, action: &Action, actor: &Actor) -> Result<(), WorkflowError> {
    let name = action.name();
    if !allowed_roles(action).contains(&actor.role) {
        return Err(WorkflowError::NotPermitted {
            action: name,
            role: actor.role,
        });
    }
    if matches!(action, Action::Cancel { .. })
        && actor.role == Role::Intake
        && case.status != Status::Reported
    {
        return Err(WorkflowError::PostNotPermitted {
            action: name,
            role: actor.role,
            status: case.status,
        });
    }
    check_department(case, action, actor)?;
    let needs_reason = matches!(
        action,
        Action::Cancel { .. }
            | Action::VerifyFail { .. }
            | Action::Return { .. }
            | Action::Postpone { .. }
            | Action::Suspend { .. }
            | Action::Reopen { .. }
            | Action::Apply { .. }
            | Action::Refuse { .. }
    );
    if needs_reason && action.text().is_none_or(|t| t.trim().is_empty()) {
        return Err(WorkflowError::MissingReason { action: name });
    }
    if matches!(action, Action::Handle { .. } | Action::SelfResolve { .. })
        && action.photos().is_empty()
    {
        return Err(WorkflowError::MissingPhoto { action: name });
    }
    check_application(case, action, actor)?;
    use Status::*;
    let ok = match action {
        Action::Register { .. } | Action::Check { .. } => case.status == Reported,
        Action::Cancel { .. } => !case.status.is_terminal(),
        Action::Dispatch { .. } => case.status == Registered,
        Action::Handle { .. } | Action::Urge { .. } | Action::Assist { .. } => {
            case.status == Dispatched
        }
        Action::Sign { .. } => case.status == Dispatched && case.signed_at_ms.is_none(),
        Action::VerifyPass { .. } | Action::VerifyFail { .. } => case.status == Handled,
        Action::Close { .. } => case.status == Verified,
        Action::Return { .. } => exception_applies(Exception::Return, case.status),
        Action::Postpone { .. } => exception_applies(Exception::Postpone, case.status),
        Action::Suspend { .. } => matches!(case.status, Registered | Dispatched | Handled),
        Action::Apply { exception, .. } => exception_applies(*exception, case.status),
        Action::Approve { .. } => case
            .application
            .as_ref()
            .is_some_and(|a| exception_applies(a.exception, case.status)),
        Action::Refuse { .. } => true,
        Action::Resume { .. } => case.status == Suspended,
        Action::SelfResolve { .. } => case.status == Reported,
        Action::Reopen { .. } => case.status.is_terminal(),
        Action::ResolveConflict { event_id, .. } => return super::resolve::check(case, *event_id),
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

/// The statuses a department's exception applies in.
fn exception_applies(exception: Exception, status: Status) -> bool {
    match exception {
        Exception::Return | Exception::Suspend => {
            matches!(status, Status::Dispatched | Status::Handled)
        }
        Exception::Postpone => status == Status::Dispatched,
    }
}

/// A department's handler acts only on the cases dispatched to its department (as the
/// lead; assisting departments see the case but its steps are the lead's). A handler
/// without a department (an account from before departments were accounts) is not
/// held to one.
fn check_department(case: &Case, action: &Action, actor: &Actor) -> Result<(), WorkflowError> {
    if actor.role != Role::Handler {
        return Ok(());
    }
    let Some(mine) = &actor.department else {
        return Ok(());
    };
    if case.department.as_deref() == Some(mine.as_str()) {
        return Ok(());
    }
    Err(WorkflowError::WrongDepartment {
        action: action.name(),
        department: mine.clone(),
        case_department: case.department.clone(),
    })
}

/// One application waits at a time; only someone other than its applicant decides it.
fn check_application(case: &Case, action: &Action, actor: &Actor) -> Result<(), WorkflowError> {
    match action {
        Action::Apply { .. } if case.application.is_some() => {
            Err(WorkflowError::ApplicationPending)
        }
        Action::Approve { .. } | Action::Refuse { .. } => match &case.application {
            None => Err(WorkflowError::NoApplication {
                action: action.name(),
            }),
            Some(a) if a.by == actor.user => Err(WorkflowError::OwnApplication {
                action: action.name(),
            }),
            Some(_) => Ok(()),
        },
        _ => Ok(()),
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
