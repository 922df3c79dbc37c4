//! Runs that go well, or meet the server's refusal: round trips between devices,
//! duplicates, rejections, the cursor surviving a restart between pages.

use super::*;
use crate::{
    store::SyncState,
    sync::{transport::Method, EngineState},
};

#[test]
fn a_report_pushed_by_one_device_is_pulled_by_another_and_acted_on_back() {
    let server = Arc::new(MemoryServer::new());
    let worker = Device::new("wang", Role::Worker, "phone-w");
    let boss = Device::new("li", Role::Supervisor, "phone-s");
    worker.login(&server);
    boss.login(&server);

    let id = worker.report("overflowing bin");
    assert_eq!(worker.status().pending_events, 1);
    let r = worker.sync(server.as_ref());
    assert_eq!((r.pushed, r.rejected, r.state), (1, 0, EngineState::Synced));
    assert_eq!(worker.status().pending_events, 0);
    assert!(matches!(
        worker.store.case(id).unwrap().timeline[0].sync,
        SyncState::Synced
    ));

    let r = boss.sync(server.as_ref());
    assert_eq!(r.pulled, 1);
    assert_eq!(
        r.changed_cases,
        vec![id],
        "the pulled case is named for the UI"
    );
    boss.store.act(id, &act(ActionKind::Register)).unwrap();
    assert_eq!(boss.sync(server.as_ref()).pushed, 1);

    let r = worker.sync(server.as_ref());
    assert_eq!(
        r.pulled, 1,
        "only the supervisor's event is new to the worker"
    );
    assert_eq!(r.changed_cases, vec![id]);
    assert!(
        worker.sync(server.as_ref()).changed_cases.is_empty(),
        "nothing new, nothing changed"
    );
    assert_eq!(worker.cases(), boss.cases());
    assert_eq!(
        worker.store.case(id).unwrap().case.status,
        crate::workflow::Status::Registered
    );
    let status = worker.status();
    assert_eq!(status.state, EngineState::Synced);
    assert_eq!(status.cursor, 2);
    assert_eq!(status.last_success_ms, Some(worker.now()));
}

#[test]
fn the_outbox_goes_oldest_first_in_batches() {
    let server = Arc::new(MemoryServer::new());
    let worker = Device::new("wang", Role::Worker, "phone-w");
    worker.login(&server);
    for i in 0..7 {
        worker.report(&format!("report {i}"));
    }
    let options = SyncOptions {
        push_batch: 3,
        ..SyncOptions::default()
    };
    let r = worker.sync_with(server.as_ref(), options);
    assert_eq!(r.pushed, 7);
    let pushes = server
        .requests()
        .iter()
        .filter(|(m, p)| *m == Method::Post && p == "/v1/events")
        .count();
    assert_eq!(pushes, 3);
    let seqs: Vec<u64> = server.events().iter().map(|e| e.device_seq).collect();
    assert_eq!(seqs, (1..=7).collect::<Vec<_>>());
}

#[test]
fn a_lost_push_answer_is_sent_again_and_counted_as_duplicate() {
    let server = Arc::new(MemoryServer::new());
    let worker = Device::new("wang", Role::Worker, "phone-w");
    worker.login(&server);
    worker.report("pothole");
    // The server stores the push, but the answer never arrives.
    let inner = server.clone();
    let lossy = Faulty::new(&server, move |req, _| {
        if req.method == Method::Post {
            let _ = inner.send(req);
            return Some(Err(TransportError::Interrupted("reset".into())));
        }
        None
    });
    let r = worker.sync(&lossy);
    assert_eq!(r.state, EngineState::RetryScheduled);
    assert_eq!(worker.status().pending_events, 1);
    let r = worker.sync(server.as_ref());
    assert_eq!((r.pushed, r.duplicates), (0, 1));
    assert_eq!(server.events().len(), 1);
    assert_eq!(worker.status().pending_events, 0);
}

#[test]
fn an_event_pushed_as_another_user_is_rejected_kept_and_shown() {
    let server = Arc::new(MemoryServer::new());
    let worker = Device::new("wang", Role::Worker, "phone-w");
    worker.login(&server);
    let id = worker.report("graffiti");
    // Another person signs in on this phone's store without re-initialising it.
    server.add_account("zhao", Role::Worker, "t-zhao");
    worker
        .store
        .db()
        .write(|tx| crate::store::meta_set(tx, super::super::state::TOKEN, "t-zhao"))
        .unwrap();
    let r = worker.sync(server.as_ref());
    assert_eq!((r.pushed, r.rejected), (0, 1));
    assert_eq!(r.state, EngineState::Synced);
    let status = worker.status();
    assert_eq!((status.pending_events, status.rejected_events), (0, 1));
    let detail = worker.store.case(id).unwrap();
    assert!(
        matches!(&detail.timeline[0].sync, SyncState::Rejected(reason) if reason.contains("zhao"))
    );
    assert_eq!(
        worker.store.all_events().unwrap().len(),
        1,
        "the event is kept"
    );
    // A rejected event is not sent again.
    server.clear_requests();
    worker.sync(server.as_ref());
    assert!(!server.requests().iter().any(|(m, _)| *m == Method::Post));
}

#[test]
fn a_crash_between_pull_pages_loses_nothing_and_applies_nothing_twice() {
    let server = Arc::new(MemoryServer::new());
    let worker = Device::new("wang", Role::Worker, "phone-w");
    let mut boss = Device::new("li", Role::Supervisor, "phone-s");
    worker.login(&server);
    boss.login(&server);
    for i in 0..25 {
        worker.report(&format!("report {i}"));
    }
    worker.sync(server.as_ref());

    let options = SyncOptions {
        pull_limit: 10,
        ..SyncOptions::default()
    };
    // The third page never comes back.
    let mut pulls = 0;
    let cut = Faulty::new(&server, move |req, _| {
        if req.method == Method::Get && req.url.contains("/v1/events") {
            pulls += 1;
            if pulls == 3 {
                return Some(Err(TransportError::Interrupted("cut".into())));
            }
        }
        None
    });
    let r = boss.sync_with(&cut, options);
    assert_eq!((r.pulled, r.state), (20, EngineState::RetryScheduled));
    boss.reopen();
    assert_eq!(
        boss.status().cursor,
        20,
        "the cursor was stored with its pages"
    );
    assert_eq!(boss.store.all_events().unwrap().len(), 20);

    server.clear_requests();
    let r = boss.sync_with(server.as_ref(), options);
    assert_eq!((r.pulled, r.state), (5, EngineState::Synced));
    assert_eq!(
        server.requests()[0].1,
        "/v1/events?after=20&limit=10",
        "the pull resumes after the last stored page"
    );
    assert_eq!(boss.store.all_events().unwrap().len(), 25);
    assert_eq!(boss.cases(), worker.cases());
}

#[test]
fn login_with_a_password_keeps_the_token_and_refuses_another_user() {
    let server = Arc::new(MemoryServer::new());
    server.add_account("wang", Role::Worker, "secret");
    let worker = Device::new("wang", Role::Worker, "phone-w");
    assert_eq!(worker.status().state, EngineState::NotSignedIn);
    let session = super::super::login(
        &worker.store,
        server.as_ref(),
        MEMORY_URL,
        &SignIn::Password {
            user: "wang".into(),
            password: "secret".into(),
        },
    )
    .unwrap();
    assert_eq!(session.user, "wang");
    let status = worker.status();
    assert!(status.signed_in);
    assert_eq!(status.state, EngineState::Idle);
    assert_eq!(status.server.as_deref(), Some(MEMORY_URL));

    server.add_account("zhao", Role::Worker, "t-zhao");
    let err = super::super::login(
        &worker.store,
        server.as_ref(),
        MEMORY_URL,
        &SignIn::Token("t-zhao".into()),
    )
    .unwrap_err();
    assert!(matches!(err, crate::sync::SyncError::WrongUser { .. }));
    let err = super::super::login(
        &worker.store,
        server.as_ref(),
        MEMORY_URL,
        &SignIn::Token("nope".into()),
    )
    .unwrap_err();
    assert!(matches!(err, crate::sync::SyncError::Unauthorized(_)));
    assert!(
        worker.status().signed_in,
        "a failed login keeps the old sign-in"
    );
}

#[test]
fn a_run_without_sign_in_touches_nothing() {
    let server = Arc::new(MemoryServer::new());
    let worker = Device::new("wang", Role::Worker, "phone-w");
    worker.report("pothole");
    let r = worker.sync(server.as_ref());
    assert_eq!(r.state, EngineState::NotSignedIn);
    assert!(server.requests().is_empty());
    assert_eq!(worker.status().pending_events, 1);
}
