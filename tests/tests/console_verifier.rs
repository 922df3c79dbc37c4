//! Verification on site goes to the right worker (docs/workflow.md, "Verification on
//! site"): the reporting worker for a worker's report, the workers of the cell for a
//! report that came another way — shown by the server's case API (`verifier`) and by
//! each worker's phone (`Store::verification_tasks`), offline after a pull.
#![allow(clippy::unwrap_used, missing_docs)]

use gridwork_core::{
    model::Role,
    store::{ActionKind, ActionRequest},
    sync::{HttpRequest, Method, Transport},
};
use gridwork_tests::{http, Device, TestServer, CATALOG};

const CELL: &str = "32050800100101";

#[test]
fn the_verification_task_reaches_the_right_workers_phone() {
    let server = TestServer::start();
    server.admin(async |s| {
        gridwork_server::admin::import_catalog(s, CATALOG)
            .await
            .unwrap()
    });
    let tokens = [
        server.account("li", Role::Worker, CELL),
        server.account("wu", Role::Worker, CELL),
        server.account("zhao", Role::Worker, "320508002"),
        server.account("qian", Role::Intake, "*"),
        server.account("wang", Role::Supervisor, "*"),
        server.account("huan", Role::Handler, "@sanitation"),
    ];
    let li = Device::new("li", Role::Worker, "phone-li");
    let wu = Device::new("wu", Role::Worker, "phone-wu");
    let zhao = Device::new("zhao", Role::Worker, "phone-zhao");
    let qian = Device::new("qian", Role::Intake, "desk-qian");
    let wang = Device::new("wang", Role::Supervisor, "desk-wang");
    let huan = Device::new("huan", Role::Handler, "phone-huan");
    for (d, t) in [&li, &wu, &zhao, &qian, &wang, &huan].iter().zip(&tokens) {
        d.login(&server, t);
    }

    // li finds one problem on patrol; a resident's call about another in the same cell
    // is entered by intake (a hotline report: source from the centre).
    let found = li.store.report(&li.draft("overflowing bin")).unwrap();
    li.sync();
    let mut call = qian.draft("caller: bin lid broken");
    call.photos.clear();
    let called = qian.store.report(&call).unwrap();
    qian.sync();
    wang.sync();
    for case in [found, called] {
        wang.store
            .act(case, &ActionRequest::new(ActionKind::Register))
            .unwrap();
        wang.store
            .act(case, &ActionRequest::new(ActionKind::Dispatch))
            .unwrap();
    }
    assert_eq!(wang.sync().rejected, 0);
    huan.sync();
    for case in [found, called] {
        huan.store
            .act(
                case,
                &ActionRequest {
                    photos: vec![huan.photo(&format!("done {case}"))],
                    ..ActionRequest::new(ActionKind::Handle)
                },
            )
            .unwrap();
    }
    assert_eq!(huan.sync().rejected, 0);

    // Each phone pulls, then answers offline from its own store.
    for d in [&li, &wu, &zhao] {
        d.sync();
    }
    let tasks = |d: &Device| -> Vec<uuid::Uuid> {
        let mut ids: Vec<_> = d
            .store
            .verification_tasks()
            .unwrap()
            .into_iter()
            .map(|s| s.id)
            .collect();
        ids.sort();
        ids
    };
    let mut both = vec![found, called];
    both.sort();
    assert_eq!(
        tasks(&li),
        both,
        "li reported one and the call is in li's cell"
    );
    assert_eq!(
        tasks(&wu),
        vec![called],
        "wu verifies the call, not li's own find"
    );
    assert!(tasks(&zhao).is_empty(), "another street's worker has none");
    assert!(
        huan.store.verification_tasks().unwrap().is_empty(),
        "a department verifies nothing"
    );

    // The server's case API names the same workers.
    let token = &tokens[4];
    let verifier = |case: uuid::Uuid| -> serde_json::Value {
        let res = http()
            .send(&HttpRequest {
                method: Method::Get,
                url: format!("{}/v1/cases/{case}", server.url()),
                headers: vec![
                    ("Gridwork-Protocol".into(), "1".into()),
                    ("Authorization".into(), format!("Bearer {token}")),
                ],
                body: Vec::new(),
            })
            .unwrap();
        assert_eq!(res.status, 200);
        let v: serde_json::Value = serde_json::from_slice(&res.body).unwrap();
        v["verifier"].clone()
    };
    assert_eq!(
        verifier(found),
        serde_json::json!({"rule": "reporter", "users": ["li"]})
    );
    assert_eq!(
        verifier(called),
        serde_json::json!({"rule": "cell_workers", "users": ["li", "wu"]})
    );

    // Once li verifies the find on site, it leaves li's list.
    li.store
        .act(
            found,
            &ActionRequest {
                photos: vec![li.photo("verified")],
                position: li
                    .store
                    .case(found)
                    .ok()
                    .map(|d| (d.case.report.lat, d.case.report.lon)),
                ..ActionRequest::new(ActionKind::VerifyPass)
            },
        )
        .unwrap();
    assert_eq!(tasks(&li), vec![called]);
}
