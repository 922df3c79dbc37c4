//! The phone's questions to the store (docs/mobile.md, "Phone API"): which actions the
//! signed-in user may take on a case now, the user's own cases paged in SQL, and the
//! cells of the user's scope, on real stores in temp folders.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use common::{judge::Judge, *};
use gridwork_core::{
    model::Role,
    store::{ActionKind, ActionKind::*, AvailableAction, Need},
    Store,
};

fn kinds(actions: &[AvailableAction]) -> Vec<ActionKind> {
    actions.iter().map(|a| a.kind).collect()
}

/// The request a form would send for `action`: every required input filled.
fn fill(dev: &Device, action: &AvailableAction) -> gridwork_core::store::ActionRequest {
    let mut req = act(action.kind);
    if action.inputs.note == Need::Required {
        req.note = Some("because".into());
    }
    if action.inputs.photos == Need::Required {
        req.photos = vec![dev.photo(action.kind.as_str())];
    }
    if action.inputs.department == Need::Required {
        req.department = Some(dev.department());
    }
    if action.inputs.position == Need::Required {
        let (lat, lon, _) = dev.point_in_first_cell();
        req.position = Some((lat, lon));
    }
    req
}

#[test]
fn the_actions_listed_are_the_ones_the_store_accepts_for_the_role_and_state() {
    let worker = Device::new("li", Role::Worker, "phone-1");
    let id = worker.store.report(&worker.draft("rubbish")).unwrap();
    let listed = worker.store.available_actions(id).unwrap();
    // A worker may only fix a fresh report on the spot; it needs an after photo.
    assert_eq!(kinds(&listed), [SelfResolve]);
    assert_eq!(listed[0].inputs.photos, Need::Required);
    assert_eq!(listed[0].inputs.department, Need::No);

    let centre = Device::new("wang", Role::Supervisor, "tablet-1");
    let id = centre.store.report(&centre.draft("rubbish")).unwrap();
    let listed = centre.store.available_actions(id).unwrap();
    assert_eq!(kinds(&listed), [Register, Cancel, Check]);
    let cancel = &listed[1];
    assert_eq!(cancel.inputs.note, Need::Required, "cancel needs a reason");
    // Not listed: the store refuses it too.
    assert!(centre.store.act(id, &act(Close)).is_err());

    centre.store.act(id, &act(Register)).unwrap();
    let listed = centre.store.available_actions(id).unwrap();
    let dispatch = listed.iter().find(|a| a.kind == Dispatch).unwrap();
    assert_eq!(dispatch.inputs.department, Need::Optional);
    assert_eq!(
        dispatch.default_department.as_deref(),
        Some(centre.department().as_str())
    );
    assert!(!kinds(&listed).contains(&Register), "registered once");

    // Walk the case on, each step as the list offers it and filled as a form would
    // fill it: every step listed is accepted, and leaves the list of the next state.
    for kind in [Dispatch, Suspend, Resume, Urge, Postpone] {
        let listed = centre.store.available_actions(id).unwrap();
        let step = listed
            .iter()
            .find(|a| a.kind == kind)
            .unwrap_or_else(|| panic!("{kind:?} not in {:?}", kinds(&listed)));
        centre.store.act(id, &fill(&centre, step)).unwrap();
    }
    let listed = kinds(&centre.store.available_actions(id).unwrap());
    assert!(!listed.contains(&Resume), "not suspended: {listed:?}");
    assert!(
        !listed.contains(&Handle),
        "a supervisor does not handle: {listed:?}"
    );
}

#[test]
fn every_listed_action_is_accepted_and_nothing_is_listed_before_sign_in() {
    let centre = Device::new("wang", Role::Supervisor, "tablet-1");
    let id = centre.store.report(&centre.draft("rubbish")).unwrap();
    for action in centre.store.available_actions(id).unwrap() {
        // Each on a fresh copy of the case's state: a new report taken to the same step.
        let other = centre.store.report(&centre.draft("rubbish")).unwrap();
        centre.store.act(other, &fill(&centre, &action)).unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let fresh = Store::open(dir.path()).unwrap();
    assert!(fresh.my_cases(None, 10).unwrap().items.is_empty());
    assert!(fresh.my_cells().unwrap().is_empty());
}

#[test]
fn my_cases_pages_the_users_own_reports_only() {
    let judge = Judge::new();
    let li = Device::new("li", Role::Worker, "phone-li");
    let zhao = Device::new("zhao", Role::Worker, "phone-zhao");
    judge.sign_in(&li.store, "li", Role::Worker);
    judge.sign_in(&zhao.store, "zhao", Role::Worker);
    let mut mine = Vec::new();
    for n in 0..5 {
        mine.push(li.store.report(&li.draft(&format!("li {n}"))).unwrap());
        li.clock.advance(1000);
        zhao.store
            .report(&zhao.draft(&format!("zhao {n}")))
            .unwrap();
    }
    judge.sync(&zhao.store);
    judge.sync(&li.store);
    judge.sync(&li.store);
    assert_eq!(li.store.list_all(&Default::default()).unwrap().len(), 10);

    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = li.store.my_cases(after, 2).unwrap();
        assert!(page.items.len() <= 2);
        seen.extend(page.items.iter().map(|c| (c.id, c.reporter.clone())));
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    assert!(seen.iter().all(|(_, r)| r == "li"), "{seen:?}");
    mine.reverse();
    assert_eq!(seen.iter().map(|(id, _)| *id).collect::<Vec<_>>(), mine);
}

#[test]
fn my_cells_follow_the_scope_named_at_sign_in() {
    let judge = Judge::new();
    let li = Device::new("li", Role::Worker, "phone-li");
    assert!(li.store.scope().unwrap().is_none());
    assert!(li.store.my_cells().unwrap().is_empty());
    judge.sign_in(&li.store, "li", Role::Worker);
    // The judge gives every account the whole grid.
    assert_eq!(li.store.scope().unwrap(), Some(vec![String::new()]));
    assert_eq!(
        li.store.my_cells().unwrap().len(),
        li.store.grid().unwrap().len()
    );
}
