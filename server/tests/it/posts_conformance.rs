//! The centre's posts and departments as accounts on every backend (run by the
//! `conformance!` macro in conformance.rs): separation of duties, department scopes for
//! pushes, pulls and case lists, applications approved by the shift lead.

use crate::common::*;
use gridwork_core::{
    model::{Action, Exception, Role},
    sync::wire::PushOutcome,
};
use gridwork_server::{admin, query, storage::Storage};
use std::sync::Arc;

fn ok(o: &PushOutcome) {
    assert!(matches!(o, PushOutcome::Accepted { .. }), "{o:?}");
}

fn no(o: &PushOutcome) -> &str {
    match o {
        PushOutcome::Rejected { reason } => reason,
        other => panic!("expected a rejection, got {other:?}"),
    }
}

fn sign() -> Action {
    Action::Sign { note: None }
}

pub async fn posts_and_departments_keep_to_their_own_steps_and_cases(s: Arc<dyn Storage>) {
    accounts(s.as_ref()).await;
    for (user, role, scope) in [
        ("qian", Role::Intake, "*"),
        ("sun", Role::Dispatcher, "*"),
        ("zhou", Role::ShiftLead, "*"),
        ("shui", Role::Handler, "@water"),
        ("huan", Role::Handler, "@sanitation/320508001"),
    ] {
        admin::add_user(s.as_ref(), user, role, scope, None)
            .await
            .unwrap();
    }
    let acc = |u: &'static str| {
        let s = s.clone();
        async move { account(s.as_ref(), u).await }
    };
    let (li, qian, sun, zhou, shui, huan) = (
        acc("li").await,
        acc("qian").await,
        acc("sun").await,
        acc("zhou").await,
        acc("shui").await,
        acc("huan").await,
    );
    assert_eq!(huan.department(), Some("sanitation"));
    let mut w = Device::new("phone-li", "li", Role::Worker);
    let mut intake = Device::new("desk-qian", "qian", Role::Intake);
    let mut dispatcher = Device::new("desk-sun", "sun", Role::Dispatcher);
    let mut lead = Device::new("desk-zhou", "zhou", Role::ShiftLead);
    let mut water = Device::new("phone-shui", "shui", Role::Handler);
    water.actor.department = Some("water".into());
    let mut sanitation = Device::new("phone-huan", "huan", Role::Handler);
    sanitation.actor.department = Some("sanitation".into());
    // Each step after the one before, by the devices' clocks (the fold's order).
    for (i, d) in [
        &mut intake,
        &mut dispatcher,
        &mut water,
        &mut sanitation,
        &mut lead,
    ]
    .into_iter()
    .enumerate()
    {
        d.wall += 10_000 * (i as i64 + 1);
    }

    let report = w.report(Some("32050800101"));
    let case = report.stream;
    ok(&s.push(&li, vec![report]).await.unwrap()[0]);
    // Separation of duties: the dispatcher does not register, the intake operator
    // does not dispatch.
    let r = s
        .push(&sun, vec![dispatcher.act(case, register())])
        .await
        .unwrap();
    assert!(no(&r[0]).contains("a dispatcher may not register"), "{r:?}");
    ok(&s
        .push(&qian, vec![intake.act(case, register())])
        .await
        .unwrap()[0]);
    let dispatch = Action::Dispatch {
        department: "sanitation".into(),
        deadline_ms: 1_767_000_000_000 + 7_200_000,
        note: None,
    };
    let r = s
        .push(&qian, vec![intake.act(case, dispatch.clone())])
        .await
        .unwrap();
    assert!(no(&r[0]).contains("may not dispatch"), "{r:?}");
    ok(&s
        .push(&sun, vec![dispatcher.act(case, dispatch)])
        .await
        .unwrap()[0]);

    // Another department: not its case; it pulls nothing of it, lists nothing.
    let r = s.push(&shui, vec![water.act(case, sign())]).await.unwrap();
    assert!(no(&r[0]).contains("not dispatched to water"), "{r:?}");
    assert!(s.pull(&shui, 0, 100).await.unwrap().events.is_empty());
    // A handler claiming no department (or another one) is refused too.
    let mut forged = Device::new("phone-huan-2", "huan", Role::Handler);
    forged.wall = sanitation.wall;
    let r = s.push(&huan, vec![forged.act(case, sign())]).await.unwrap();
    assert!(no(&r[0]).contains("another department"), "{r:?}");

    // The department the case went to sees it from the report on, and signs.
    let pulled = s.pull(&huan, 0, 100).await.unwrap().events;
    assert!(pulled.iter().any(|e| e.kind == "incident.reported"));
    let before = s.case_view(case.id()).await.unwrap().unwrap();
    ok(&s
        .push(&huan, vec![sanitation.act(case, sign())])
        .await
        .unwrap()[0]);
    let listed = s
        .list_cases(&query::parse(&[], &huan, now_ms()).unwrap())
        .await
        .unwrap();
    assert_eq!(listed.views.len(), 1);
    assert!(s
        .list_cases(&query::parse(&[], &shui, now_ms()).unwrap())
        .await
        .unwrap()
        .views
        .is_empty());

    // An application changes nothing until the shift lead approves it.
    let apply = Action::Apply {
        exception: Exception::Postpone,
        reason: "parts on order".into(),
        extend: None,
        deadline_ms: None,
    };
    ok(&s
        .push(&huan, vec![sanitation.act(case, apply)])
        .await
        .unwrap()[0]);
    let view = s.case_view(case.id()).await.unwrap().unwrap();
    assert_eq!(view.case.application.as_ref().unwrap().by, "huan");
    assert_eq!(view.deadline_ms, before.deadline_ms);
    let approve = Action::Approve {
        note: None,
        deadline_ms: Some(1_767_000_000_000 + 4 * 7_200_000),
        remaining_minutes: None,
    };
    let r = s
        .push(&sun, vec![dispatcher.act(case, approve.clone())])
        .await
        .unwrap();
    assert!(no(&r[0]).contains("may not approve"), "{r:?}");
    ok(&s.push(&zhou, vec![lead.act(case, approve)]).await.unwrap()[0]);
    let view = s.case_view(case.id()).await.unwrap().unwrap();
    assert!(view.case.application.is_none());
    assert_eq!(view.case.postpone_count, 1);
    assert!(view.case.conflicts.is_empty(), "{:?}", view.case.conflicts);
    assert!(view.case.signed_at_ms.is_some());
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}
