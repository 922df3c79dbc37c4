//! One test per workflow path of DOMAIN §4, on a real store in a temp folder.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use common::*;
use gridwork_core::{
    calendar::TimeLimit,
    model::Role,
    store::ActionKind::*,
    workflow::{Resolution, Status, WorkflowError},
    Error,
};

const HOUR: i64 = 3_600_000;

fn dispatch(dev: &Device) -> gridwork_core::store::ActionRequest {
    let mut r = as_role(act(Dispatch), Role::Supervisor);
    r.department = Some(dev.department());
    r
}

fn handled_case(dev: &Device) -> uuid::Uuid {
    let id = dev
        .store
        .report(&dev.draft("exposed rubbish by the canal"))
        .unwrap();
    dev.store
        .act(id, &as_role(act(Register), Role::Supervisor))
        .unwrap();
    dev.store.act(id, &dispatch(dev)).unwrap();
    let mut handle = as_role(with_note(Handle, "cleared"), Role::Handler);
    handle.photos = vec![dev.photo("after")];
    assert_eq!(dev.store.act(id, &handle).unwrap().status, Status::Handled);
    id
}

#[test]
fn full_loop_report_register_dispatch_handle_verify_close() {
    let dev = Device::new("li", Role::Worker, "phone-1");
    let id = handled_case(&dev);
    let verified = dev.store.act(id, &act(VerifyPass)).unwrap();
    assert_eq!(verified.status, Status::Verified);
    let closed = dev
        .store
        .act(id, &as_role(act(Close), Role::Supervisor))
        .unwrap();
    assert_eq!(closed.status, Status::Closed);
    assert_eq!(closed.resolution, Some(Resolution::Closed));
    let detail = dev.store.case(id).unwrap();
    let kinds: Vec<&str> = detail.timeline.iter().map(|t| t.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "incident.reported",
            "incident.registered",
            "incident.dispatched",
            "incident.handled",
            "incident.verified",
            "incident.closed"
        ]
    );
    assert_eq!(detail.case.photos.len(), 2, "before and after photo");
    assert!(!detail.overdue);
}

#[test]
fn dispatch_starts_the_clock_and_overdue_shows_offline() {
    let dev = Device::new("li", Role::Worker, "phone-1");
    let id = dev.store.report(&dev.draft("rubbish")).unwrap();
    dev.store
        .act(id, &as_role(act(Register), Role::Supervisor))
        .unwrap();
    assert_eq!(dev.store.case(id).unwrap().case.deadline_ms, None);
    let case = dev.store.act(id, &dispatch(&dev)).unwrap();
    let deadline = case.deadline_ms.unwrap();
    let calendar = dev.store.calendar().unwrap();
    let limit = dev
        .store
        .catalog()
        .unwrap()
        .unwrap()
        .get("06010")
        .unwrap()
        .time_limit;
    assert_eq!(
        deadline,
        calendar.deadline(dev.clock.get(), &limit).unwrap()
    );
    assert!(deadline > dev.clock.get());
    let overdue = gridwork_core::db::ListFilter {
        overdue: true,
        ..Default::default()
    };
    assert!(dev.store.list(&overdue, None, 50).unwrap().items.is_empty());
    dev.clock.set(deadline + 1);
    assert!(dev.store.case(id).unwrap().overdue);
    let page = dev.store.list(&overdue, None, 50).unwrap();
    assert_eq!(page.items.len(), 1);
    assert!(page.items[0].overdue);
}

#[test]
fn verify_fail_sends_the_case_back_for_rework() {
    let dev = Device::new("li", Role::Worker, "phone-1");
    let id = handled_case(&dev);
    let case = dev
        .store
        .act(id, &with_note(VerifyFail, "still there"))
        .unwrap();
    assert_eq!(case.status, Status::Dispatched);
    assert_eq!(case.rework_count, 1);
    // The department handles it again, and this time it passes.
    let mut handle = as_role(act(Handle), Role::Handler);
    handle.photos = vec![dev.photo("after again")];
    dev.store.act(id, &handle).unwrap();
    assert_eq!(dev.store.act(id, &act(VerifyPass)).unwrap().rework_count, 1);
}

#[test]
fn return_to_centre_clears_the_department() {
    let dev = Device::new("wang", Role::Supervisor, "tablet-1");
    let id = dev.store.report(&dev.draft("broken lamp")).unwrap();
    dev.store.act(id, &act(Register)).unwrap();
    dev.store.act(id, &dispatch(&dev)).unwrap();
    let case = dev
        .store
        .act(id, &with_note(Return, "wrong department"))
        .unwrap();
    assert_eq!(case.status, Status::Registered);
    assert_eq!(case.department, None);
    assert_eq!(case.deadline_ms, None);
    dev.store.act(id, &dispatch(&dev)).unwrap();
}

#[test]
fn postpone_moves_the_deadline_by_working_time() {
    let dev = Device::new("wang", Role::Supervisor, "tablet-1");
    let id = dev.store.report(&dev.draft("rubbish")).unwrap();
    dev.store.act(id, &act(Register)).unwrap();
    let before = dev
        .store
        .act(id, &dispatch(&dev))
        .unwrap()
        .deadline_ms
        .unwrap();
    let mut postpone = with_note(Postpone, "heavy rain");
    postpone.extend = Some(TimeLimit::WorkingHours(2));
    let case = dev.store.act(id, &postpone).unwrap();
    let calendar = dev.store.calendar().unwrap();
    assert_eq!(
        case.deadline_ms.unwrap(),
        calendar
            .deadline(before, &TimeLimit::WorkingHours(2))
            .unwrap()
    );
    assert_eq!(case.postpone_count, 1);
    assert_eq!(case.status, Status::Dispatched);
}

#[test]
fn suspend_stops_the_clock_and_resume_restarts_it() {
    let dev = Device::new("wang", Role::Supervisor, "tablet-1");
    let id = dev.store.report(&dev.draft("rubbish")).unwrap();
    dev.store.act(id, &act(Register)).unwrap();
    let deadline = dev
        .store
        .act(id, &dispatch(&dev))
        .unwrap()
        .deadline_ms
        .unwrap();
    let calendar = dev.store.calendar().unwrap();
    let left = calendar
        .working_minutes_between(dev.clock.get(), deadline)
        .unwrap();
    let case = dev
        .store
        .act(id, &with_note(Suspend, "waiting for the court"))
        .unwrap();
    assert_eq!(case.status, Status::Suspended);
    // Three days later: not overdue while suspended.
    dev.clock.advance(72 * HOUR);
    assert!(!dev.store.case(id).unwrap().overdue);
    let resumed = dev.store.act(id, &act(Resume)).unwrap();
    assert_eq!(resumed.status, Status::Dispatched);
    let new_deadline = resumed.deadline_ms.unwrap();
    assert_eq!(
        calendar
            .working_minutes_between(dev.clock.get(), new_deadline)
            .unwrap(),
        left
    );
}

#[test]
fn cancel_needs_a_reason_and_ends_the_case() {
    let dev = Device::new("wang", Role::Supervisor, "tablet-1");
    let id = dev
        .store
        .report(&dev.draft("duplicate of another report"))
        .unwrap();
    let err = dev.store.act(id, &act(Cancel)).unwrap_err();
    assert!(
        matches!(err, Error::Workflow(WorkflowError::MissingReason { .. })),
        "{err}"
    );
    let case = dev.store.act(id, &with_note(Cancel, "duplicate")).unwrap();
    assert_eq!(case.status, Status::Cancelled);
    let err = dev.store.act(id, &act(Register)).unwrap_err();
    assert!(matches!(
        err,
        Error::Workflow(WorkflowError::InvalidTransition { .. })
    ));
}

#[test]
fn self_resolve_closes_with_an_after_photo() {
    let dev = Device::new("li", Role::Worker, "phone-1");
    let id = dev
        .store
        .report(&dev.draft("flyer on a lamp post"))
        .unwrap();
    let err = dev.store.act(id, &act(SelfResolve)).unwrap_err();
    assert!(matches!(
        err,
        Error::Workflow(WorkflowError::MissingPhoto { .. })
    ));
    let mut req = with_note(SelfResolve, "removed it");
    req.photos = vec![dev.photo("clean post")];
    let case = dev.store.act(id, &req).unwrap();
    assert_eq!(case.status, Status::Closed);
    assert_eq!(case.resolution, Some(Resolution::SelfResolved));
}

#[test]
fn reopen_brings_a_closed_case_back_to_the_centre() {
    let dev = Device::new("li", Role::Worker, "phone-1");
    let id = handled_case(&dev);
    dev.store.act(id, &act(VerifyPass)).unwrap();
    dev.store
        .act(id, &as_role(act(Close), Role::Supervisor))
        .unwrap();
    let case = dev
        .store
        .act(
            id,
            &as_role(with_note(Reopen, "came back"), Role::Supervisor),
        )
        .unwrap();
    assert_eq!(case.status, Status::Registered);
    assert_eq!(case.resolution, None);
}

#[test]
fn a_step_the_role_may_not_take_is_refused_and_changes_nothing() {
    let dev = Device::new("li", Role::Worker, "phone-1");
    let id = dev.store.report(&dev.draft("rubbish")).unwrap();
    let before = snapshot(&dev.store);
    let err = dev.store.act(id, &act(Register)).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Workflow(WorkflowError::NotPermitted {
                role: Role::Worker,
                ..
            })
        ),
        "{err}"
    );
    // Wrong state, right role: also refused, also nothing written.
    let err = dev
        .store
        .act(id, &as_role(act(Close), Role::Supervisor))
        .unwrap_err();
    assert!(matches!(
        err,
        Error::Workflow(WorkflowError::InvalidTransition { .. })
    ));
    // A handler's after photo on a case not dispatched: refused, and the photo file
    // is not left behind.
    let mut handle = as_role(act(Handle), Role::Handler);
    handle.photos = vec![dev.photo("orphan after photo")];
    assert!(dev.store.act(id, &handle).is_err());
    assert_eq!(snapshot(&dev.store), before);
    let err = dev
        .store
        .act(uuid::Uuid::now_v7(), &act(VerifyPass))
        .unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }));
}

#[test]
fn two_supervisors_dispatching_offline_both_kept_and_the_loser_flagged() {
    let worker = Device::new("li", Role::Worker, "phone-1");
    let sup_a = Device::new("wang", Role::Supervisor, "tablet-a");
    let sup_b = Device::new("zhao", Role::Supervisor, "tablet-b");
    let id = worker
        .store
        .report(&worker.draft("illegal structure"))
        .unwrap();
    let reported = worker.store.case(id).unwrap();
    let events = export_events(&worker.store);
    sup_a.store.apply_remote(&events).unwrap();
    sup_a.store.act(id, &act(Register)).unwrap();
    let registered = export_events(&sup_a.store);
    sup_b.store.apply_remote(&registered).unwrap();
    // Both dispatch offline, to different departments; b's clock is a minute later.
    sup_a.store.act(id, &dispatch(&sup_a)).unwrap();
    sup_b.clock.advance(60_000);
    let mut other = dispatch(&sup_b);
    other.department = Some(
        sup_b
            .store
            .catalog()
            .unwrap()
            .unwrap()
            .departments()
            .iter()
            .map(|d| d.id.clone())
            .find(|d| *d != sup_b.department())
            .unwrap(),
    );
    sup_b.store.act(id, &other).unwrap();
    // They sync with each other and with the worker.
    let a = export_events(&sup_a.store);
    let b = export_events(&sup_b.store);
    for dev in [&worker, &sup_a, &sup_b] {
        dev.store.apply_remote(&a).unwrap();
        dev.store.apply_remote(&b).unwrap();
    }
    let views: Vec<_> = [&worker, &sup_a, &sup_b]
        .iter()
        .map(|d| d.store.case(id).unwrap().case)
        .collect();
    assert_eq!(views[0], views[1]);
    assert_eq!(views[1], views[2]);
    let case = &views[0];
    assert_eq!(case.status, Status::Dispatched);
    assert_eq!(
        case.department.as_deref(),
        Some(sup_a.department().as_str())
    );
    assert_eq!(case.conflicts.len(), 1);
    assert_eq!(case.conflicts[0].actor.user, "zhao");
    assert_eq!(worker.store.case(id).unwrap().timeline.len(), 4);
    assert_eq!(reported.case.status, Status::Reported);
}

fn export_events(store: &gridwork_core::Store) -> Vec<gridwork_core::model::Event> {
    store.all_events().unwrap()
}
