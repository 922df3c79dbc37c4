//! The per-token rate limit as a phone meets it: a real store syncing over HTTP with a
//! server whose limit is tiny. Every 429 ends the run with the state `retry_scheduled`
//! and a next attempt no earlier than the server's `Retry-After` (the backoff is set
//! to a millisecond here, so only `Retry-After` can make the wait); a scheduler that
//! runs only when the status says it is due gets through in the end, and the server
//! then holds every event of the phone exactly once and every photo whole.
#![allow(clippy::unwrap_used, clippy::print_stdout, missing_docs)]

use gridwork_core::{
    model::Role,
    sync::{Backoff, CancelToken, EngineState, NoProgress, SyncEngine, SyncOptions},
};
use gridwork_server::{ratelimit::TokenRate, Limits};
use gridwork_tests::{http, Device, TestServer};

#[test]
fn a_rate_limited_phone_waits_for_retry_after_and_loses_nothing() {
    let server = TestServer::start_with(Limits {
        // One request a second, two at once: a run of a push, photo uploads and a pull
        // is cut off again and again.
        token_rate: TokenRate {
            per_minute: 60,
            burst: 2,
        },
        ..Limits::default()
    });
    let token = server.account("li", Role::Worker, "*");
    let phone = Device::new("li", Role::Worker, "phone-li");
    phone.login(&server, &token);
    let mut ids = Vec::new();
    for i in 0..3 {
        ids.push(
            phone
                .store
                .report(&phone.draft(&format!("bin {i}")))
                .unwrap(),
        );
    }
    let engine = SyncEngine::new(SyncOptions {
        push_batch: 1,
        backoff: Backoff {
            base_ms: 1,
            max_ms: 1,
        },
        ..SyncOptions::default()
    });
    let transport = http();
    let (mut limited, mut runs) = (0, 0);
    loop {
        let status = phone.status();
        let now = phone.store.now_ms();
        if !status.is_due(now) {
            let until = status.next_attempt_ms.unwrap();
            std::thread::sleep(std::time::Duration::from_millis((until - now + 5) as u64));
            continue;
        }
        runs += 1;
        assert!(runs < 100, "no progress after {runs} runs");
        let started = phone.store.now_ms();
        let report = engine
            .run(
                &phone.store,
                transport.as_ref(),
                &NoProgress,
                &CancelToken::new(),
            )
            .unwrap();
        if report.state == EngineState::Synced {
            break;
        }
        assert_eq!(report.state, EngineState::RetryScheduled, "{report:?}");
        let error = report.error.clone().unwrap_or_default();
        assert!(error.contains("429"), "{error}");
        limited += 1;
        // Retry-After is at least a second; the backoff alone would be a millisecond.
        let next = report.next_attempt_ms.expect("the wait is reported");
        assert!(
            next >= started + 1000,
            "next attempt {} ms after the run started: before Retry-After",
            next - started
        );
        assert_eq!(phone.status().next_attempt_ms, Some(next));
    }
    assert!(limited >= 2, "the limit was met {limited} times");
    let status = phone.status();
    assert_eq!((status.pending_events, status.pending_photos), (0, 0));
    // Every event of the phone once on the server; every photo whole.
    let events = server.admin(async |s| {
        let li = s.account("li").await.unwrap().unwrap();
        s.pull(&li, 0, 1000).await.unwrap().events
    });
    let mut seen: Vec<_> = events.iter().map(|e| e.id).collect();
    let count = seen.len();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), count, "an event held twice");
    let own: Vec<_> = events
        .iter()
        .filter(|e| e.device_id == "phone-li")
        .collect();
    assert_eq!(own.len(), 3, "three reports, each once");
    for id in ids {
        let case = phone.store.case(id).unwrap().case;
        assert_eq!(case.photos.len(), 1);
        for p in &case.photos {
            let bytes = std::fs::read(server.dir.path().join("blobs").join(&p.sha256))
                .unwrap_or_else(|e| panic!("photo {} not on the server: {e}", p.sha256));
            let sha = hex_sha(&bytes);
            assert_eq!(
                (sha.as_str(), bytes.len() as u64),
                (p.sha256.as_str(), p.size)
            );
        }
    }
    println!("rate limited {limited} times in {runs} runs");
}

fn hex_sha(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
