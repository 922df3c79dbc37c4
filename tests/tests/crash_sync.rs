//! SIGKILL at random moments: a child process works a phone's store the way the app
//! does — reports with photos, GPS fixes and check-ins on an open patrol, sync runs to a
//! real server on loopback — and prints each write the store acknowledged. The parent
//! kills it at a random point (often in the middle of a write or a sync), reopens the
//! store and checks: `PRAGMA integrity_check` is `ok`, the hash chain verifies, every
//! acknowledged report (with its photo file, whole), fix and check-in is there. Then the
//! next child carries on with the same store. At the end the store syncs to completion
//! and the server holds each of its events exactly once.
//!
//! `cargo test -p gridwork-tests --test crash_sync` kills 30 times (CI);
//! `GRIDWORK_CRASH_ROUNDS=200 cargo test -p gridwork-tests --test crash_sync -- --nocapture`
//! is the long run (docs/reliability.md).
#![allow(
    clippy::unwrap_used,
    clippy::print_stdout,
    clippy::print_stderr,
    missing_docs
)]

use gridwork_core::{
    patrol::{Fix, Provider},
    sync::{CancelToken, NoProgress, SyncEngine, SyncOptions},
    Store,
};
use gridwork_tests::{draft_for, fault_proxy::Rng, http, Device, TestServer};
use std::{
    collections::{BTreeMap, BTreeSet},
    io::{BufRead, BufReader, Write},
    process::{Command, Stdio},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

const CHILD_STORE: &str = "GRIDWORK_CRASH_SYNC_STORE";
const CHILD_SEED: &str = "GRIDWORK_CRASH_SYNC_SEED";

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn child_phone() {
    // Only does something when started by the test below.
    let (Ok(dir), Ok(seed)) = (std::env::var(CHILD_STORE), std::env::var(CHILD_SEED)) else {
        return;
    };
    let store = Store::open(&dir).unwrap();
    let engine = SyncEngine::new(SyncOptions::default());
    let transport = http();
    let mut rng = Rng::new(seed.parse().unwrap());
    let cell = store.grid().unwrap().cells()[0].code.as_str().to_string();
    let photos = std::path::Path::new(&dir).parent().unwrap().to_path_buf();
    let out = std::io::stdout();
    for i in 0u64.. {
        let roll = rng.below(100);
        let line = if roll < 35 {
            let mut d = draft_for(&store, &photos, &format!("crash {seed}-{i}"));
            d.description = format!("report {seed}-{i} 井盖缺失");
            let id = store.report(&d).unwrap();
            format!("report {id}")
        } else if roll < 80 {
            let patrol = match store.open_patrol().unwrap() {
                Some(p) => p,
                None => store.start_patrol(std::slice::from_ref(&cell)).unwrap(),
            };
            let t = now_ms();
            let fix = Fix {
                time_ms: t,
                lat: 31.3060 + (i % 50) as f64 * 1e-5,
                lon: 120.5807 + (i % 50) as f64 * 1e-5,
                accuracy_m: 5.0,
                speed_mps: Some(1.2),
                bearing_deg: None,
                altitude_m: None,
                provider: Provider::Gps,
                mock: false,
            };
            store.add_fixes(patrol, vec![fix]).unwrap();
            format!("fix {patrol} {t}")
        } else if roll < 88 {
            let patrol = match store.open_patrol().unwrap() {
                Some(p) => p,
                None => continue,
            };
            let note = format!("checkin-{seed}-{i}");
            store
                .check_in(patrol, 31.3061, 120.5808, Some(note.clone()), None)
                .unwrap();
            format!("checkin {patrol} {note}")
        } else {
            let report = engine
                .run(&store, transport.as_ref(), &NoProgress, &CancelToken::new())
                .unwrap();
            format!("synced {}", report.pushed)
        };
        let mut lock = out.lock();
        writeln!(lock, "{line}").unwrap();
        lock.flush().unwrap();
    }
}

#[test]
fn a_phone_killed_at_random_moments_keeps_every_acknowledged_write() {
    let rounds = std::env::var("GRIDWORK_CRASH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30u64);
    let server = TestServer::start();
    let token = server.account("li", gridwork_core::model::Role::Worker, "3205");
    let dev = Device::new("li", gridwork_core::model::Role::Worker, "phone-crash");
    dev.login(&server, &token);
    let dir = dev.store.dir().to_path_buf();
    drop(dev.store);
    let mut rng = Rng::new(20_261_201);

    let mut reports = BTreeSet::new();
    let mut fixes: BTreeMap<uuid::Uuid, BTreeSet<i64>> = BTreeMap::new();
    let mut checkins: BTreeMap<uuid::Uuid, BTreeSet<String>> = BTreeMap::new();
    let (mut lines_seen, mut syncs) = (0u64, 0u64);
    for round in 0..rounds {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "child_phone",
                "--nocapture",
                "--test-threads",
                "1",
            ])
            .env(CHILD_STORE, &dir)
            .env(CHILD_SEED, (round + 1).to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let want = 1 + rng.below(25);
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut got = 0;
        while got < want {
            let Some(Ok(line)) = lines.next() else {
                panic!("round {round}: the child stopped early")
            };
            let parts: Vec<&str> = line.split(' ').collect();
            match parts.as_slice() {
                ["report", id] => {
                    reports.insert(uuid::Uuid::parse_str(id).unwrap());
                }
                ["fix", patrol, t] => {
                    fixes
                        .entry(uuid::Uuid::parse_str(patrol).unwrap())
                        .or_default()
                        .insert(t.parse().unwrap());
                }
                ["checkin", patrol, note] => {
                    checkins
                        .entry(uuid::Uuid::parse_str(patrol).unwrap())
                        .or_default()
                        .insert(note.to_string());
                }
                ["synced", _] => syncs += 1,
                _ => continue,
            }
            got += 1;
            lines_seen += 1;
        }
        // Kill it now or a moment later, in the middle of whatever it does next.
        std::thread::sleep(Duration::from_micros(rng.below(15_000)));
        child.kill().unwrap();
        child.wait().unwrap();

        let store = Store::open(&dir).unwrap();
        let integrity: String = store
            .db()
            .read(|c| Ok(c.query_row("PRAGMA integrity_check", [], |r| r.get(0))?))
            .unwrap();
        assert_eq!(integrity, "ok", "round {round}");
        let chain = store.verify_log().unwrap();
        assert!(chain.is_intact(), "round {round}: {chain:?}");
        for id in &reports {
            let case = store
                .case(*id)
                .unwrap_or_else(|e| panic!("round {round}: acknowledged report {id}: {e}"));
            for p in &case.case.report.photos {
                let bytes = std::fs::read(store.photos_dir().join(&p.sha256)).unwrap();
                assert_eq!(sha256_hex(&bytes), p.sha256, "round {round}: photo whole");
            }
        }
        for (patrol, times) in &fixes {
            let held: BTreeSet<i64> = store
                .patrol_track(*patrol)
                .unwrap()
                .iter()
                .map(|p| p.fix.time_ms)
                .collect();
            let lost: Vec<_> = times.difference(&held).collect();
            assert!(
                lost.is_empty(),
                "round {round}: fixes lost from {patrol}: {lost:?}"
            );
        }
        for (patrol, notes) in &checkins {
            let held: BTreeSet<String> = store
                .patrol(*patrol)
                .unwrap()
                .check_ins
                .iter()
                .filter_map(|c| c.check_in.note.clone())
                .collect();
            let lost: Vec<_> = notes.difference(&held).collect();
            assert!(lost.is_empty(), "round {round}: check-ins lost: {lost:?}");
        }
    }

    // Sync to completion; the server holds each of the phone's events exactly once.
    let store = Store::open(&dir).unwrap();
    let engine = SyncEngine::new(SyncOptions::default());
    let report = engine
        .run(&store, http().as_ref(), &NoProgress, &CancelToken::new())
        .unwrap();
    assert_eq!(report.error, None, "{report:?}");
    let own: BTreeSet<uuid::Uuid> = store
        .all_events()
        .unwrap()
        .into_iter()
        .filter(|e| e.device_id == "phone-crash")
        .map(|e| e.id)
        .collect();
    let held = server.admin(async |s| {
        let li = s.account("li").await.unwrap().unwrap();
        let mut held: BTreeMap<uuid::Uuid, usize> = BTreeMap::new();
        let mut after = 0;
        loop {
            let page = s.pull(&li, after, 1000).await.unwrap();
            for e in &page.events {
                *held.entry(e.id).or_insert(0) += 1;
            }
            after = page.next_after;
            if !page.more {
                return held;
            }
        }
    });
    assert!(held.values().all(|&n| n == 1), "held twice: {held:?}");
    let held: BTreeSet<_> = held.into_keys().collect();
    assert_eq!(held, own, "the server holds exactly the phone's events");
    eprintln!(
        "crash: {rounds} kills, {lines_seen} acknowledged writes and syncs seen ({} reports, {} fixes, {} check-ins, {syncs} syncs), {} events on the server",
        reports.len(),
        fixes.values().map(BTreeSet::len).sum::<usize>(),
        checkins.values().map(BTreeSet::len).sum::<usize>(),
        own.len()
    );
}
