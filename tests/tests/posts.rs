//! The centre's posts and department accounts end to end: phones signed in to a real
//! server on loopback; a department's phone learns its department at sign-in, sees only
//! the cases dispatched to it, and its application is decided by the shift lead.
#![allow(clippy::unwrap_used, missing_docs)]

use gridwork_core::{
    model::Role,
    store::{ActionKind, ActionRequest},
    sync::EngineState,
    workflow::Status,
    Error,
};
use gridwork_tests::{Device, TestServer};

const STREET: &str = "320508001";

fn note(kind: ActionKind, text: &str) -> ActionRequest {
    ActionRequest {
        note: Some(text.into()),
        ..ActionRequest::new(kind)
    }
}

#[test]
fn posts_and_departments_work_the_case_across_phones() {
    let server = TestServer::start();
    let tokens = [
        server.account("li", Role::Worker, STREET),
        server.account("qian", Role::Intake, "*"),
        server.account("sun", Role::Dispatcher, "*"),
        server.account("zhou", Role::ShiftLead, "*"),
        server.account("huan", Role::Handler, "@sanitation"),
        server.account("shui", Role::Handler, "@water"),
    ];
    let li = Device::new("li", Role::Worker, "phone-li");
    let qian = Device::new("qian", Role::Intake, "desk-qian");
    let sun = Device::new("sun", Role::Dispatcher, "desk-sun");
    let zhou = Device::new("zhou", Role::ShiftLead, "desk-zhou");
    let huan = Device::new("huan", Role::Handler, "phone-huan");
    let shui = Device::new("shui", Role::Handler, "phone-shui");
    let devices = [&li, &qian, &sun, &zhou, &huan, &shui];
    for (d, t) in devices.iter().zip(&tokens) {
        d.login(&server, t);
    }
    // Signing in told the department phones which department they act for.
    let dept = |d: &Device| d.store.identity().unwrap().unwrap().department;
    assert_eq!(dept(&huan).as_deref(), Some("sanitation"));
    assert_eq!(dept(&shui).as_deref(), Some("water"));

    let case = li.store.report(&li.draft("overflowing bin")).unwrap();
    li.sync();
    qian.sync();
    // The intake operator may not dispatch: refused on the phone, nothing to push.
    assert!(matches!(
        qian.store
            .act(case, &ActionRequest::new(ActionKind::Dispatch)),
        Err(Error::Workflow(_))
    ));
    qian.store
        .act(case, &note(ActionKind::Check, "called li"))
        .unwrap();
    qian.store
        .act(case, &ActionRequest::new(ActionKind::Register))
        .unwrap();
    assert_eq!(qian.sync().rejected, 0);
    sun.sync();
    // Dispatch defaults to the category's department.
    let dispatched = sun
        .store
        .act(case, &ActionRequest::new(ActionKind::Dispatch))
        .unwrap();
    assert_eq!(dispatched.department.as_deref(), Some("sanitation"));
    assert_eq!(sun.sync().rejected, 0);

    // The water department never sees it; sanitation does, signs and applies.
    shui.sync();
    assert!(shui.cases().is_empty());
    assert!(huan.sync().pulled >= 4);
    huan.store
        .act(case, &ActionRequest::new(ActionKind::Sign))
        .unwrap();
    huan.store
        .act(case, &note(ActionKind::ApplyPostpone, "parts on order"))
        .unwrap();
    let r = huan.sync();
    assert_eq!((r.pushed, r.rejected), (2, 0), "{:?}", r.error);

    zhou.sync();
    let approved = zhou
        .store
        .act(case, &ActionRequest::new(ActionKind::Approve))
        .unwrap();
    assert_eq!(approved.postpone_count, 1);
    let r = zhou.sync();
    assert_eq!((r.rejected, r.state), (0, EngineState::Synced));
    huan.sync();
    let seen = huan.store.case(case).unwrap().case;
    assert_eq!(seen.status, Status::Dispatched);
    assert!(seen.application.is_none());
    assert_eq!(seen.postpone_count, 1);
    for d in devices {
        assert!(d.store.verify_log().unwrap().is_intact());
    }
}
