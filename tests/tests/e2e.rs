//! Devices and the reference server on loopback: the whole case life cycle across four
//! devices, a server killed in the middle of a push, and pushes the server must refuse.
#![allow(clippy::unwrap_used, missing_docs)]

use gridwork_core::{
    model::Role,
    store::{ActionKind, ActionRequest},
    sync::{
        wire::{PushOutcome, PushRequest, PushResponse, PROTOCOL_HEADER},
        EngineState, HttpRequest, HttpResponse, Method, Transport, TransportError,
    },
    workflow::Status,
};
use gridwork_tests::{http, Device, TestServer};
use std::sync::Mutex;

const COMMUNITY: &str = "320508001001";
const STREET: &str = "320508001";

#[test]
fn a_case_goes_from_report_to_close_across_four_devices_that_converge() {
    let server = TestServer::start();
    let t_wang = server.account("wang", Role::Worker, COMMUNITY);
    let t_zhao = server.account("zhao", Role::Worker, COMMUNITY);
    let t_li = server.account("li", Role::Supervisor, STREET);
    let t_chen = server.account("chen", Role::Handler, "*");
    let wang = Device::new("wang", Role::Worker, "phone-wang");
    let zhao = Device::new("zhao", Role::Worker, "phone-zhao");
    let li = Device::new("li", Role::Supervisor, "phone-li");
    let chen = Device::new("chen", Role::Handler, "phone-chen");

    // Offline work first.
    let case = wang.store.report(&wang.draft("overflowing bin")).unwrap();
    let other = zhao.store.report(&zhao.draft("broken kerb")).unwrap();
    for (d, t) in [
        (&wang, &t_wang),
        (&zhao, &t_zhao),
        (&li, &t_li),
        (&chen, &t_chen),
    ] {
        d.login(&server, t);
    }
    let r = wang.sync();
    assert_eq!(
        (r.pushed, r.uploaded_photos, r.state),
        (1, 1, EngineState::Synced)
    );
    assert_eq!(zhao.sync().pushed, 1);

    assert_eq!(li.sync().pulled, 2);
    li.store
        .act(case, &ActionRequest::new(ActionKind::Register))
        .unwrap();
    li.store
        .act(
            case,
            &ActionRequest {
                department: Some("sanitation".into()),
                ..ActionRequest::new(ActionKind::Dispatch)
            },
        )
        .unwrap();
    assert_eq!(li.sync().pushed, 2);

    chen.sync();
    chen.store
        .act(
            case,
            &ActionRequest {
                photos: vec![chen.photo("emptied")],
                ..ActionRequest::new(ActionKind::Handle)
            },
        )
        .unwrap();
    let r = chen.sync();
    assert_eq!((r.pushed, r.rejected, r.uploaded_photos), (1, 0, 1));

    wang.sync();
    wang.store
        .act(case, &ActionRequest::new(ActionKind::VerifyPass))
        .unwrap();
    assert_eq!(wang.sync().pushed, 1);

    li.sync();
    li.store
        .act(case, &ActionRequest::new(ActionKind::Close))
        .unwrap();
    assert_eq!(li.sync().pushed, 1);

    for d in [&wang, &zhao, &li, &chen] {
        let r = d.sync();
        assert_eq!(r.state, EngineState::Synced);
        assert_eq!(d.store.case(case).unwrap().case.status, Status::Closed);
        assert!(d.store.verify_log().unwrap().is_intact());
    }
    let reference = li.cases();
    assert_eq!(reference.len(), 2);
    assert!(reference.iter().any(|c| c.id == other));
    assert_eq!(wang.cases(), reference);
    assert_eq!(zhao.cases(), reference);
}

/// Forwards to the real server, but kills it after it received the second push and
/// before the answer gets back.
struct KillDuringPush<'a> {
    server: Mutex<&'a mut TestServer>,
    pushes: Mutex<u32>,
}

impl Transport for KillDuringPush<'_> {
    fn send(&self, req: &HttpRequest) -> Result<HttpResponse, TransportError> {
        let answer = http().send(req);
        if req.method == Method::Post && req.url.ends_with("/v1/events") {
            let mut n = self.pushes.lock().unwrap();
            *n += 1;
            if *n == 2 {
                self.server.lock().unwrap().kill();
                return Err(TransportError::Interrupted("connection reset".into()));
            }
        }
        answer
    }
}

#[test]
fn a_server_killed_during_a_push_loses_nothing_and_duplicates_nothing() {
    let mut server = TestServer::start();
    let token = server.account("wang", Role::Worker, COMMUNITY);
    let t_li = server.account("li", Role::Supervisor, STREET);
    let wang = Device::new("wang", Role::Worker, "phone-wang");
    wang.login(&server, &token);
    for i in 0..1200 {
        let mut draft = wang.draft(&format!("report {i}"));
        draft.photos.clear();
        wang.store.report(&draft).unwrap();
    }
    let r = {
        let killer = KillDuringPush {
            server: Mutex::new(&mut server),
            pushes: Mutex::new(0),
        };
        wang.sync_with(&killer)
    };
    assert_eq!((r.pushed, r.state), (500, EngineState::RetryScheduled));
    let r = wang.sync();
    assert_eq!(r.state, EngineState::RetryScheduled, "the server is down");

    server.restart();
    let r = wang.sync();
    assert_eq!(r.state, EngineState::Synced);
    assert_eq!(r.pushed + r.duplicates, 700);
    assert_eq!(
        gridwork_core::sync::status(&wang.store)
            .unwrap()
            .pending_events,
        0
    );

    let li = Device::new("li", Role::Supervisor, "phone-li");
    li.login(&server, &t_li);
    let r = li.sync();
    assert_eq!(r.pulled, 1200, "every event exactly once");
    assert_eq!(li.cases(), wang.cases());
}

#[test]
fn pushes_outside_the_scope_or_as_another_user_are_refused() {
    let server = TestServer::start();
    let t_far = server.account("sun", Role::Worker, "320508002");
    let t_wang = server.account("wang", Role::Worker, COMMUNITY);
    let t_zhao = server.account("zhao", Role::Worker, COMMUNITY);

    // A worker reporting in a cell outside their scope.
    let sun = Device::new("sun", Role::Worker, "phone-sun");
    sun.login(&server, &t_far);
    let case = sun.store.report(&sun.draft("not my street")).unwrap();
    let r = sun.sync();
    assert_eq!((r.pushed, r.rejected), (0, 1));
    let timeline = sun.store.case(case).unwrap().timeline;
    assert!(matches!(
        timeline[0].sync,
        gridwork_core::store::SyncState::Rejected(_)
    ));

    // Wang's events pushed with zhao's token.
    let wang = Device::new("wang", Role::Worker, "phone-wang");
    wang.login(&server, &t_wang);
    wang.store.report(&wang.draft("mine")).unwrap();
    let events = wang.store.all_events().unwrap();
    let body = serde_json::to_vec(&PushRequest { events }).unwrap();
    let resp = http()
        .send(&HttpRequest {
            method: Method::Post,
            url: format!("{}/v1/events", server.url()),
            headers: vec![
                (PROTOCOL_HEADER.into(), "1".into()),
                ("Authorization".into(), format!("Bearer {t_zhao}")),
                ("Content-Type".into(), "application/json".into()),
            ],
            body,
        })
        .unwrap();
    assert_eq!(resp.status, 200);
    let answer: PushResponse = serde_json::from_slice(&resp.body).unwrap();
    assert!(matches!(
        answer.results[0].outcome,
        PushOutcome::Rejected { .. }
    ));
    // Nothing of it is served to anyone.
    let zhao = Device::new("zhao", Role::Worker, "phone-zhao");
    zhao.login(&server, &t_zhao);
    assert_eq!(zhao.sync().pulled, 0);
}
