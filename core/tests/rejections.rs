//! What the server refuses does not count on the device either: a refused step is left
//! out of the case (so the device agrees with every other replica) and shown with the
//! server's reason; a refused report is kept, marked, and counted nowhere.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use common::{act, judge::Judge, Device};
use gridwork_core::{
    db::ListFilter,
    model::Role,
    store::{ActionKind, ActionRequest, SyncState},
    workflow::Status,
    Error,
};

fn report(d: &Device, text: &str) -> uuid::Uuid {
    let mut draft = d.draft(text);
    draft.photos.clear();
    d.store.report(&draft).unwrap()
}

fn only_rejected() -> ListFilter {
    ListFilter {
        rejected: true,
        ..ListFilter::default()
    }
}

#[test]
fn a_step_the_server_refuses_is_left_out_of_the_case_and_shown_with_its_reason() {
    let server = Judge::new();
    let zhao = Device::new("zhao", Role::Worker, "phone-zhao");
    // Wang's store says supervisor; his account on the server is a worker's.
    let wang = Device::new("wang", Role::Supervisor, "phone-wang");
    let li = Device::new("li", Role::Supervisor, "tablet-li");
    server.sign_in(&zhao.store, "zhao", Role::Worker);
    server.sign_in(&wang.store, "wang", Role::Worker);
    server.sign_in(&li.store, "li", Role::Supervisor);

    let case = report(&zhao, "overflowing bin");
    assert_eq!(server.sync(&zhao.store).pushed, 1);
    assert_eq!(server.sync(&wang.store).pulled, 1);
    wang.store.act(case, &act(ActionKind::Register)).unwrap();
    assert_eq!(
        wang.store.case(case).unwrap().case.status,
        Status::Registered
    );

    let r = server.sync(&wang.store);
    assert_eq!((r.pushed, r.rejected), (0, 1));
    let detail = wang.store.case(case).unwrap();
    assert_eq!(
        detail.case.status,
        Status::Reported,
        "the refused step no longer counts"
    );
    assert!(detail.case.conflicts.is_empty());
    assert!(detail.report_rejected.is_none());
    let step = detail
        .timeline
        .iter()
        .find(|t| t.kind == "incident.registered")
        .expect("the refused step is kept on the timeline");
    assert!(
        matches!(&step.sync, SyncState::Rejected(reason) if reason.contains("another role")),
        "{:?}",
        step.sync
    );
    let counts = wang.store.counts(&ListFilter::default()).unwrap();
    assert_eq!(counts.get(&Status::Reported), Some(&1));
    assert_eq!(counts.get(&Status::Registered), None);
    let registered = ListFilter {
        status: Some(Status::Registered),
        ..ListFilter::default()
    };
    assert!(wang.store.list_all(&registered).unwrap().is_empty());
    let rejected = wang.store.list_all(&only_rejected()).unwrap();
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0].rejected_count, 1);
    assert!(!rejected[0].report_rejected);
    let why = rejected[0].rejection.as_deref().unwrap();
    assert!(
        why.starts_with("registered: pushed with another role"),
        "{why}"
    );
    assert_eq!(
        wang.store.rejected_cases(&ListFilter::default()).unwrap(),
        1
    );

    // The real supervisor registers and dispatches: on wang's phone that is no conflict
    // with the refused register, and both devices hold the very same case.
    server.sync(&li.store);
    li.store.act(case, &act(ActionKind::Register)).unwrap();
    li.store
        .act(
            case,
            &ActionRequest {
                department: Some(li.department()),
                ..act(ActionKind::Dispatch)
            },
        )
        .unwrap();
    assert_eq!(server.sync(&li.store).pushed, 2);
    server.sync(&wang.store);
    server.sync(&zhao.store);
    let on_wang = wang.store.case(case).unwrap().case;
    assert_eq!(on_wang.status, Status::Dispatched);
    assert_eq!(on_wang, li.store.case(case).unwrap().case);
    assert_eq!(on_wang, zhao.store.case(case).unwrap().case);
}

#[test]
fn a_report_the_server_refuses_is_kept_marked_and_counted_nowhere() {
    let server = Judge::new();
    let wang = Device::new("wang", Role::Supervisor, "phone-wang");
    server.sign_in(&wang.store, "wang", Role::Worker);
    let case = report(&wang, "a pothole seen on the way home");
    assert_eq!(server.sync(&wang.store).rejected, 1);

    let detail = wang.store.case(case).unwrap();
    let reason = detail.report_rejected.as_deref().expect("marked rejected");
    assert!(reason.contains("another role"), "{reason}");
    assert_eq!(
        detail.case.report.description,
        "a pothole seen on the way home"
    );
    assert!(!detail.overdue);
    // Listed (the worker's data is never lost), but in no status and not waiting.
    let all = wang.store.list_all(&ListFilter::default()).unwrap();
    assert_eq!(all.len(), 1);
    assert!(all[0].report_rejected);
    assert!(wang
        .store
        .counts(&ListFilter::default())
        .unwrap()
        .is_empty());
    let reported = ListFilter {
        status: Some(Status::Reported),
        ..ListFilter::default()
    };
    assert!(wang.store.list_all(&reported).unwrap().is_empty());
    assert_eq!(wang.store.list_all(&only_rejected()).unwrap().len(), 1);
    // Nothing more can be done on it.
    let err = wang
        .store
        .act(case, &act(ActionKind::Cancel))
        .err()
        .unwrap();
    assert!(
        matches!(&err, Error::InvalidInput { reason, .. } if reason.contains("refused")),
        "{err:?}"
    );
}
