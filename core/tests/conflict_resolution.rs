//! A supervisor settles a flagged conflict with an ordinary event
//! (`incident.conflict_resolved`), folded by the workflow on every replica.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use common::*;
use gridwork_core::{
    model::{ConflictDecision, Event, Role},
    store::{ActionKind::*, ActionRequest},
    workflow::{Status, WorkflowError},
    Error, Store,
};
use uuid::Uuid;

fn all(store: &Store) -> Vec<Event> {
    store.all_events().unwrap()
}

fn dispatch_to(department: String) -> ActionRequest {
    ActionRequest {
        department: Some(department),
        ..as_role(act(Dispatch), Role::Supervisor)
    }
}

fn resolve(event: Uuid, note: &str) -> ActionRequest {
    ActionRequest {
        conflict: Some(event),
        ..with_note(ResolveConflict, note)
    }
}

/// Everyone exchanges everything with everyone.
fn exchange(devices: &[&Device]) {
    let events: Vec<Vec<Event>> = devices.iter().map(|d| all(&d.store)).collect();
    for d in devices {
        for e in &events {
            d.store.apply_remote(e).unwrap();
        }
    }
}

/// A worker's report, registered, then dispatched by two supervisors offline to two
/// departments: zhao's dispatch (a minute later) is flagged.
fn conflicted() -> (Device, Device, Device, Uuid, Uuid) {
    let worker = Device::new("li", Role::Worker, "phone-1");
    let sup_a = Device::new("wang", Role::Supervisor, "tablet-a");
    let sup_b = Device::new("zhao", Role::Supervisor, "tablet-b");
    let id = worker
        .store
        .report(&worker.draft("illegal structure"))
        .unwrap();
    sup_a.store.apply_remote(&all(&worker.store)).unwrap();
    sup_a.store.act(id, &act(Register)).unwrap();
    sup_b.store.apply_remote(&all(&sup_a.store)).unwrap();
    sup_a
        .store
        .act(id, &dispatch_to(sup_a.department()))
        .unwrap();
    sup_b.clock.advance(60_000);
    let other = sup_b
        .store
        .catalog()
        .unwrap()
        .unwrap()
        .departments()
        .iter()
        .map(|d| d.id.clone())
        .find(|d| *d != sup_b.department())
        .unwrap();
    sup_b.store.act(id, &dispatch_to(other)).unwrap();
    exchange(&[&worker, &sup_a, &sup_b]);
    let case = worker.store.case(id).unwrap().case;
    assert_eq!(case.conflicts.len(), 1);
    assert_eq!(case.open_conflicts().count(), 1);
    let flagged = case.conflicts[0].event_id;
    (worker, sup_a, sup_b, id, flagged)
}

#[test]
fn a_supervisor_resolves_a_conflict_and_every_replica_agrees() {
    let (worker, sup_a, sup_b, id, flagged) = conflicted();
    sup_a.clock.advance(120_000);
    let before = sup_a.store.case(id).unwrap().case;
    let after = sup_a
        .store
        .act(id, &resolve(flagged, "zhao's dispatch was a mistake"))
        .unwrap();
    assert_eq!(after.status, Status::Dispatched);
    assert_eq!(after.department, before.department);
    assert_eq!(after.open_conflicts().count(), 0);
    let r = after.conflicts[0].resolved.as_ref().unwrap();
    assert_eq!(r.by.user, "wang");
    assert_eq!(r.decision, ConflictDecision::Dismissed);
    assert_eq!(r.note.as_deref(), Some("zhao's dispatch was a mistake"));

    exchange(&[&worker, &sup_a, &sup_b]);
    let views: Vec<_> = [&worker, &sup_a, &sup_b]
        .iter()
        .map(|d| d.store.case(id).unwrap().case)
        .collect();
    assert_eq!(views[0], views[1]);
    assert_eq!(views[1], views[2]);
    assert!(views[0].conflicts[0].is_resolved());
    // The resolution is on the timeline as an ordinary step, not a conflict.
    let timeline = worker.store.case(id).unwrap().timeline;
    let last = timeline.last().unwrap();
    assert_eq!(last.kind, "incident.conflict_resolved");
    assert!(!last.conflict);

    // Once resolved, it cannot be resolved again.
    let again = sup_b.store.act(id, &resolve(flagged, "again"));
    assert!(
        matches!(again, Err(Error::Workflow(WorkflowError::ConflictResolved(e))) if e == flagged),
        "{again:?}"
    );
}

#[test]
fn only_a_supervisor_resolves_and_only_a_conflict_of_the_case() {
    let (worker, sup_a, _sup_b, id, _flagged) = conflicted();
    let register = worker.store.case(id).unwrap().timeline[1].event_id;
    let not_one = sup_a.store.act(id, &resolve(register, "x"));
    assert!(
        matches!(not_one, Err(Error::Workflow(WorkflowError::NotAConflict(e))) if e == register),
        "{not_one:?}"
    );
    let flagged = worker.store.case(id).unwrap().case.conflicts[0].event_id;
    let by_worker = worker.store.act(id, &resolve(flagged, "x"));
    assert!(
        matches!(
            by_worker,
            Err(Error::Workflow(WorkflowError::NotPermitted {
                role: Role::Worker,
                ..
            }))
        ),
        "{by_worker:?}"
    );
    let without_id = sup_a.store.act(id, &with_note(ResolveConflict, "x"));
    assert!(
        matches!(without_id, Err(Error::InvalidInput { .. })),
        "{without_id:?}"
    );
    // Nothing was written by the refusals.
    assert_eq!(
        worker.store.case(id).unwrap().case.open_conflicts().count(),
        1
    );
    assert_eq!(sup_a.store.case(id).unwrap().timeline.len(), 4);
}

#[test]
fn two_supervisors_resolving_offline_one_wins_the_other_is_flagged() {
    let (worker, sup_a, sup_b, id, flagged) = conflicted();
    sup_a.clock.advance(120_000);
    sup_b.clock.advance(120_000);
    sup_a
        .store
        .act(id, &resolve(flagged, "wang: dismissed"))
        .unwrap();
    sup_b
        .store
        .act(id, &resolve(flagged, "zhao: dismissed"))
        .unwrap();
    exchange(&[&worker, &sup_a, &sup_b]);
    let views: Vec<_> = [&worker, &sup_a, &sup_b]
        .iter()
        .map(|d| d.store.case(id).unwrap().case)
        .collect();
    assert_eq!(views[0], views[1]);
    assert_eq!(views[1], views[2]);
    let case = &views[0];
    assert!(case.conflicts[0].is_resolved());
    assert_eq!(case.conflicts.len(), 2);
    assert_eq!(case.conflicts[1].kind, "incident.conflict_resolved");
    assert_eq!(case.open_conflicts().count(), 1);
}
