//! Runs that meet trouble: server failures and backoff, a refused token, an
//! incompatible server, cancellation, a cut photo upload, and a stalled network that
//! must not hold up local work.

use super::*;
use crate::sync::{
    transport::Method, EngineState, FailureKind, Phase, Progress, SyncProgress,
    UPLOAD_OFFSET_HEADER,
};
use std::{sync::mpsc, thread};

#[test]
fn a_5xx_schedules_a_retry_with_backoff_and_a_success_clears_it() {
    let server = Arc::new(MemoryServer::new());
    let worker = Device::new("wang", Role::Worker, "phone-w");
    worker.login(&server);
    worker.report("pothole");
    let failing = Faulty::new(&server, |_, _| Some(Ok(status_response(503, &[]))));
    let options = SyncOptions::default();
    let ceiling = |n| options.backoff.ceiling_ms(n);

    let r = worker.sync(&failing);
    assert_eq!(r.state, EngineState::RetryScheduled);
    let s = worker.status();
    assert_eq!(s.consecutive_failures, 1);
    assert_eq!(s.last_error.as_ref().unwrap().kind, FailureKind::Server);
    let wait = s.next_attempt_ms.unwrap() - worker.now();
    assert!((0..=ceiling(1)).contains(&wait));
    assert_eq!(r.next_attempt_ms, s.next_attempt_ms);

    worker.sync(&failing);
    worker.sync(&failing);
    let s = worker.status();
    assert_eq!(s.consecutive_failures, 3);
    assert!((0..=ceiling(3)).contains(&(s.next_attempt_ms.unwrap() - worker.now())));
    assert_eq!(s.pending_events, 1, "nothing was lost");

    let r = worker.sync(server.as_ref());
    assert_eq!((r.pushed, r.state), (1, EngineState::Synced));
    let s = worker.status();
    assert_eq!((s.consecutive_failures, s.next_attempt_ms), (0, None));
    assert!(s.last_error.is_none());
    assert!(s.is_due(worker.now()));
}

#[test]
fn a_429_waits_at_least_as_long_as_retry_after_asks() {
    let server = Arc::new(MemoryServer::new());
    let worker = Device::new("wang", Role::Worker, "phone-w");
    worker.login(&server);
    worker.report("pothole");
    let busy = Faulty::new(&server, |_, _| {
        Some(Ok(status_response(429, &[("Retry-After", "120")])))
    });
    let r = worker.sync(&busy);
    assert_eq!(r.state, EngineState::RetryScheduled);
    let s = worker.status();
    assert_eq!(
        s.last_error.as_ref().unwrap().kind,
        FailureKind::RateLimited
    );
    assert!(s.next_attempt_ms.unwrap() >= worker.now() + 120_000);
    assert!(!s.is_due(worker.now()));

    // Retry-After as an HTTP date, on a 503 from a proxy without our header.
    let date = chrono::DateTime::from_timestamp_millis(worker.now() + 600_000)
        .unwrap()
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string();
    let down = Faulty::new(&server, move |_, _| {
        Some(Ok(status_response(503, &[("Retry-After", date.as_str())])))
    });
    worker.sync(&down);
    assert!(worker.status().next_attempt_ms.unwrap() >= worker.now() + 600_000);
}

#[test]
fn a_network_failure_and_a_timeout_are_classified() {
    let server = Arc::new(MemoryServer::new());
    let worker = Device::new("wang", Role::Worker, "phone-w");
    worker.login(&server);
    let offline = Faulty::new(&server, |_, _| {
        Some(Err(TransportError::Connect("no route".into())))
    });
    worker.sync(&offline);
    assert_eq!(
        worker.status().last_error.unwrap().kind,
        FailureKind::Network
    );
    let slow = Faulty::new(&server, |_, _| {
        Some(Err(TransportError::Timeout("30 s".into())))
    });
    worker.sync(&slow);
    let s = worker.status();
    assert_eq!(s.last_error.as_ref().unwrap().kind, FailureKind::Timeout);
    assert_eq!(s.consecutive_failures, 2);
}

#[test]
fn a_refused_token_asks_to_sign_in_again_and_stops_retrying_until_then() {
    let server = Arc::new(MemoryServer::new());
    let worker = Device::new("wang", Role::Worker, "phone-w");
    worker.login(&server);
    worker.report("pothole");
    let revoked = Faulty::new(&server, |_, _| {
        Some(Ok(status_response(401, &[("Gridwork-Protocol", "1")])))
    });
    let r = worker.sync(&revoked);
    assert_eq!(r.state, EngineState::SignInRequired);
    let s = worker.status();
    assert_eq!(s.state, EngineState::SignInRequired);
    assert_eq!(s.next_attempt_ms, None);
    assert!(!s.is_due(i64::MAX));

    server.clear_requests();
    let r = worker.sync(server.as_ref());
    assert_eq!(r.state, EngineState::SignInRequired);
    assert!(
        server.requests().is_empty(),
        "no request until the user signs in"
    );

    worker.login(&server);
    let r = worker.sync(server.as_ref());
    assert_eq!((r.pushed, r.state), (1, EngineState::Synced));
}

#[test]
fn a_server_with_another_protocol_version_stops_the_run_before_anything_is_written() {
    let server = Arc::new(MemoryServer::new());
    let worker = Device::new("wang", Role::Worker, "phone-w");
    let other = Device::new("zhao", Role::Worker, "phone-z");
    worker.login(&server);
    other.login(&server);
    other.report("elsewhere");
    other.sync(server.as_ref());
    worker.report("pothole");

    for version in [Some("2"), None] {
        let inner = server.clone();
        let future = Faulty::new(&server, move |req, _| {
            let mut resp = inner.send(req).unwrap();
            resp.headers.retain(|(k, _)| k != "Gridwork-Protocol");
            if let Some(v) = version {
                resp.headers.push(("Gridwork-Protocol".into(), v.into()));
            }
            Some(Ok(resp))
        });
        let before = worker.store.all_events().unwrap();
        let r = worker.sync(&future);
        assert_eq!(r.state, EngineState::IncompatibleServer);
        assert_eq!((r.pushed, r.pulled), (0, 0));
        assert_eq!(
            worker.store.all_events().unwrap(),
            before,
            "nothing applied"
        );
        let s = worker.status();
        assert_eq!(s.pending_events, 1, "the push answer was not used");
        assert_eq!(s.cursor, 0);
        assert_eq!(
            s.last_error.as_ref().unwrap().kind,
            FailureKind::Incompatible
        );
        assert!(!s.is_due(i64::MAX));
    }
}

#[test]
fn cancelling_stops_between_batches_and_keeps_what_was_done() {
    let server = Arc::new(MemoryServer::new());
    let worker = Device::new("wang", Role::Worker, "phone-w");
    worker.login(&server);
    for i in 0..5 {
        worker.report(&format!("report {i}"));
    }
    let cancel = CancelToken::new();
    let c = cancel.clone();
    let stop_after_first = move |p: Progress| {
        if p.phase == Phase::Push {
            c.cancel();
        }
    };
    let engine = SyncEngine::new(SyncOptions {
        push_batch: 2,
        ..SyncOptions::default()
    });
    let r = engine
        .run(&worker.store, server.as_ref(), &stop_after_first, &cancel)
        .unwrap();
    assert_eq!((r.pushed, r.state), (2, EngineState::Cancelled));
    let s = worker.status();
    assert_eq!((s.pending_events, s.state), (3, EngineState::Cancelled));
    assert_eq!(s.consecutive_failures, 0, "a cancel is not a failure");
    assert_eq!(server.events().len(), 2);
}

#[test]
fn a_photo_upload_cut_halfway_resumes_from_the_servers_offset() {
    let server = Arc::new(MemoryServer::new());
    let worker = Device::new("wang", Role::Worker, "phone-w");
    worker.login(&server);
    let photo = worker.photo("bin", 10_000);
    let bytes = std::fs::read(&photo).unwrap();
    worker
        .store
        .report(&worker.draft("overflowing bin", vec![photo]))
        .unwrap();
    let options = SyncOptions {
        upload_chunk: 4_000,
        ..SyncOptions::default()
    };
    // The connection drops on the second chunk.
    let mut puts = 0;
    let cut = Faulty::new(&server, move |req, _| {
        if req.method == Method::Put {
            puts += 1;
            if puts == 2 {
                return Some(Err(TransportError::Interrupted("cut".into())));
            }
        }
        None
    });
    let r = worker.sync_with(&cut, options);
    assert_eq!((r.pushed, r.state), (1, EngineState::RetryScheduled));
    assert_eq!(worker.status().pending_photos, 1);
    let sha = {
        let reported = &server.events()[0];
        reported.payload["photos"][0]["sha256"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(server.blob(&sha).unwrap().len(), 4_000);

    server.clear_requests();
    let progress = Mutex::new(Vec::new());
    let record = |p: Progress| progress.lock().unwrap().push(p);
    let r = SyncEngine::new(options)
        .run(&worker.store, server.as_ref(), &record, &CancelToken::new())
        .unwrap();
    assert_eq!(r.state, EngineState::Synced);
    assert_eq!((r.uploaded_photos, r.uploaded_bytes), (1, 6_004));
    assert_eq!(server.blob(&sha).unwrap(), bytes);
    assert_eq!(worker.status().pending_photos, 0);
    let puts: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|(m, _)| *m == Method::Put)
        .collect();
    assert_eq!(puts.len(), 2, "only the missing chunks were sent");
    let last = progress
        .lock()
        .unwrap()
        .iter()
        .rev()
        .find(|p| p.phase == Phase::Upload)
        .copied()
        .unwrap();
    assert_eq!((last.done, last.total, last.bytes), (1, Some(1), 6_004));

    // Another device attaching the same picture sends nothing: dedup by hash.
    let other = Device::new("zhao", Role::Worker, "phone-z");
    other.login(&server);
    let same = other.dir.path().join("same.jpg");
    std::fs::write(&same, &bytes).unwrap();
    other
        .store
        .report(&other.draft("same bin", vec![same]))
        .unwrap();
    let r = other.sync(server.as_ref());
    assert_eq!((r.uploaded_photos, r.uploaded_bytes), (0, 0));
    assert_eq!(other.status().pending_photos, 0);
}

#[test]
fn a_stalled_server_does_not_hold_up_local_reports() {
    struct Stall {
        entered: Mutex<Option<mpsc::Sender<()>>>,
        release: Mutex<mpsc::Receiver<()>>,
        server: Arc<MemoryServer>,
    }
    impl Transport for Stall {
        fn send(&self, req: &HttpRequest) -> Result<HttpResponse, TransportError> {
            if let Some(tx) = self.entered.lock().unwrap().take() {
                tx.send(()).unwrap();
                self.release.lock().unwrap().recv().unwrap();
            }
            self.server.send(req)
        }
    }

    let server = Arc::new(MemoryServer::new());
    let worker = Arc::new(Device::new("wang", Role::Worker, "phone-w"));
    worker.login(&server);
    for i in 0..3 {
        worker.report(&format!("report {i}"));
    }
    let (entered_tx, entered_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel();
    let stall = Stall {
        entered: Mutex::new(Some(entered_tx)),
        release: Mutex::new(release_rx),
        server: server.clone(),
    };
    let w = worker.clone();
    let run = thread::spawn(move || w.sync(&stall));
    entered_rx.recv().unwrap();

    // The run is blocked inside the transport. A report from another thread goes
    // through, and is readable, while it stays blocked.
    let (done_tx, done_rx) = mpsc::channel();
    let w = worker.clone();
    thread::spawn(move || done_tx.send(w.report("while syncing")).unwrap());
    let id = done_rx
        .recv_timeout(std::time::Duration::from_secs(30))
        .expect("a local report must not wait for the network");
    assert_eq!(worker.store.case(id).unwrap().case.id, id);

    release_tx.send(()).unwrap();
    let r = run.join().unwrap();
    assert_eq!(r.state, EngineState::Synced);
    assert_eq!(r.pushed + worker.status().pending_events, 4);
}

#[test]
fn progress_reports_each_phase() {
    #[derive(Default)]
    struct Seen(Mutex<Vec<Progress>>);
    impl SyncProgress for Seen {
        fn on_progress(&self, p: Progress) {
            self.0.lock().unwrap().push(p);
        }
    }
    let server = Arc::new(MemoryServer::new());
    let worker = Device::new("wang", Role::Worker, "phone-w");
    worker.login(&server);
    let photo = worker.photo("x", 100);
    worker
        .store
        .report(&worker.draft("a", vec![photo]))
        .unwrap();
    let seen = Seen::default();
    SyncEngine::default()
        .run(&worker.store, server.as_ref(), &seen, &CancelToken::new())
        .unwrap();
    let seen = seen.0.into_inner().unwrap();
    let phases: Vec<Phase> = seen.iter().map(|p| p.phase).collect();
    assert!(phases.contains(&Phase::Push));
    assert!(phases.contains(&Phase::Upload));
    assert!(phases.contains(&Phase::Pull));
    let push = seen.iter().find(|p| p.phase == Phase::Push).unwrap();
    assert_eq!((push.done, push.total), (1, Some(1)));
    assert!(push.bytes > 0);
    let _ = UPLOAD_OFFSET_HEADER;
}

#[test]
fn a_photo_the_server_refuses_stays_pending_without_holding_up_the_rest() {
    let server = Arc::new(MemoryServer::new());
    let worker = Device::new("wang", Role::Worker, "phone-w");
    let boss = Device::new("li", Role::Supervisor, "phone-s");
    worker.login(&server);
    boss.login(&server);
    boss.report("from the supervisor");
    boss.sync(server.as_ref());
    let bad = worker.photo("bad", 50);
    let good = worker.photo("good", 50);
    worker
        .store
        .report(&worker.draft("one", vec![bad]))
        .unwrap();
    worker
        .store
        .report(&worker.draft("two", vec![good]))
        .unwrap();
    let bad_sha = server_sha(&worker, 0);
    let refusing = Faulty::new(&server, move |req, _| {
        (req.method == Method::Put && req.url.ends_with(&bad_sha))
            .then(|| Ok(status_response(422, &[("Gridwork-Protocol", "1")])))
    });
    let r = worker.sync(&refusing);
    assert_eq!(r.state, EngineState::Synced);
    assert_eq!((r.uploaded_photos, r.pulled), (1, 1));
    assert_eq!(worker.status().pending_photos, 1);
}

#[test]
fn an_offset_alone_never_counts_a_photo_as_uploaded() {
    // Someone else's unfinished upload of the same hash as long as the photo (on a
    // server that does not keep uploads apart): HEAD answers offset = size but not
    // complete. The photo must stay pending, be named in the report and go up once
    // the server tells the truth.
    let server = Arc::new(MemoryServer::new());
    let worker = Device::new("wang", Role::Worker, "phone-w");
    worker.login(&server);
    let photo = worker.photo("bin", 3_000);
    let bytes = std::fs::read(&photo).unwrap();
    worker
        .store
        .report(&worker.draft("overflowing bin", vec![photo]))
        .unwrap();
    let size = bytes.len().to_string();
    let lying = Faulty::new(&server, move |req, _| {
        (req.method == Method::Head).then(|| {
            Ok(status_response(
                200,
                &[
                    ("Gridwork-Protocol", "1"),
                    ("Upload-Offset", &size),
                    ("Upload-Complete", "no"),
                ],
            ))
        })
    });
    let r = worker.sync(&lying);
    let sha = server_sha(&worker, 0);
    assert_eq!(r.uploaded_photos, 0);
    assert_eq!(r.failed_photos.len(), 1, "{r:?}");
    assert_eq!(r.failed_photos[0].sha256, sha);
    assert!(
        r.failed_photos[0]
            .reason
            .contains("does not call it complete"),
        "{}",
        r.failed_photos[0].reason
    );
    assert_eq!(worker.status().pending_photos, 1);
    assert!(server.blob(&sha).is_none());
    let r = worker.sync(server.as_ref());
    assert_eq!((r.uploaded_photos, r.failed_photos.len()), (1, 0));
    assert_eq!(server.blob(&sha).unwrap(), bytes);
    assert_eq!(worker.status().pending_photos, 0);
}

#[test]
fn photos_go_up_only_after_their_event_was_accepted() {
    let server = Arc::new(MemoryServer::new());
    let worker = Device::new("wang", Role::Worker, "phone-w");
    worker.login(&server);
    let photo = worker.photo("bin", 100);
    worker
        .store
        .report(&worker.draft("overflowing bin", vec![photo]))
        .unwrap();
    // The push is refused for the event (a 500 on POST): no upload is tried.
    let failing = Faulty::new(&server, |req, _| {
        (req.method == Method::Post)
            .then(|| Ok(status_response(500, &[("Gridwork-Protocol", "1")])))
    });
    worker.sync(&failing);
    assert!(server
        .requests()
        .iter()
        .all(|(m, _)| *m != Method::Put && *m != Method::Head));
    let r = worker.sync(server.as_ref());
    assert_eq!((r.pushed, r.uploaded_photos), (1, 1));
}

/// The SHA-256 of the photo of the worker's `n`-th report.
fn server_sha(device: &Device, n: usize) -> String {
    device.store.all_events().unwrap()[n].payload["photos"][0]["sha256"]
        .as_str()
        .unwrap()
        .to_string()
}
