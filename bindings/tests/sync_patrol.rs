//! The FFI's patrol methods and `GridworkSync` driven from Rust, as a shell would drive
//! them: a transport implementing the foreign `HttpTransport` trait in front of the
//! core's in-memory server, progress and observer callbacks, and a cancel from another
//! thread while the run is blocked inside the transport. (The same surface runs for real
//! against the reference server from Python, Kotlin and Swift in `foreign.rs`.)
#![allow(clippy::unwrap_used, missing_docs)]

use gridwork_core::{
    model::Role as CoreRole,
    sync::{
        memory::{MemoryServer, MEMORY_URL},
        Transport,
    },
};
use gridwork_ffi::*;
use std::{
    path::Path,
    sync::{mpsc, Arc, Mutex},
    time::{SystemTime, UNIX_EPOCH},
};

const GRID: &str = include_str!("../../data/kcity-grid.geojson");
const CATALOG: &str = include_str!("../../data/kcity-catalog.json");
const CELL: &str = "32050800200401";
const LAT: f64 = 31.3005;
const LON: f64 = 120.6005;

/// An `HttpTransport` as a shell implements it, in front of the memory server. When
/// `gate` is set, the first push waits on it (after telling `entered`).
struct Shell {
    server: Arc<MemoryServer>,
    requests: Mutex<Vec<String>>,
    gate: Mutex<Option<(mpsc::Sender<()>, mpsc::Receiver<()>)>>,
}

impl Shell {
    fn new(server: &Arc<MemoryServer>) -> Arc<Shell> {
        Arc::new(Shell {
            server: server.clone(),
            requests: Mutex::new(Vec::new()),
            gate: Mutex::new(None),
        })
    }
}

impl HttpTransport for Shell {
    fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportFailure> {
        self.requests
            .lock()
            .unwrap()
            .push(format!("{} {}", request.method, request.url));
        if request.method == "POST" && request.url.ends_with("/v1/events") {
            if let Some((entered, release)) = self.gate.lock().unwrap().take() {
                entered.send(()).unwrap();
                release.recv().unwrap();
            }
        }
        let method = match request.method.as_str() {
            "GET" => gridwork_core::sync::Method::Get,
            "HEAD" => gridwork_core::sync::Method::Head,
            "POST" => gridwork_core::sync::Method::Post,
            "PUT" => gridwork_core::sync::Method::Put,
            other => {
                return Err(TransportFailure::InvalidRequest {
                    reason: other.into(),
                })
            }
        };
        let core = gridwork_core::sync::HttpRequest {
            method,
            url: request.url,
            headers: request
                .headers
                .into_iter()
                .map(|h| (h.name, h.value))
                .collect(),
            body: request.body,
        };
        let r = self.server.send(&core).unwrap();
        Ok(HttpResponse {
            status: r.status,
            headers: r
                .headers
                .into_iter()
                .map(|(name, value)| HttpHeader { name, value })
                .collect(),
            body: r.body,
        })
    }

    /// The gate above is released by the test, not aborted.
    fn abort(&self) {}
}

/// Refuses every request as a phone without signal does.
struct Offline;

impl HttpTransport for Offline {
    fn send(&self, _request: HttpRequest) -> Result<HttpResponse, TransportFailure> {
        Err(TransportFailure::Connect {
            reason: "no network".into(),
        })
    }

    fn abort(&self) {}
}

#[derive(Default)]
struct Changes(Mutex<Vec<Vec<String>>>);

impl StoreObserver for Changes {
    fn on_cases_changed(&self, case_ids: Vec<String>) {
        self.0.lock().unwrap().push(case_ids);
    }
}

#[derive(Default)]
struct Phases(Mutex<Vec<SyncProgress>>);

impl SyncProgressListener for Phases {
    fn on_progress(&self, progress: SyncProgress) {
        self.0.lock().unwrap().push(progress);
    }
}

fn store(dir: &Path, user: &str, role: Role, device: &str) -> Arc<GridworkStore> {
    let s = GridworkStore::open(dir.join(device).to_string_lossy().into_owned(), None).unwrap();
    s.init(user.into(), role).unwrap();
    s.import_grid(GRID.into()).unwrap();
    s.import_catalog(CATALOG.into()).unwrap();
    s
}

fn draft(text: &str) -> ReportDraft {
    ReportDraft {
        category: "06010".into(),
        lat: LAT,
        lon: LON,
        description: text.into(),
        urgency: Urgency::Normal,
        accuracy_m: None,
        address: None,
        photos: Vec::new(),
        patrol_id: None,
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

#[test]
fn a_report_synced_by_a_worker_reaches_the_supervisor_and_its_observer() {
    let dir = tempfile::tempdir().unwrap();
    let server = Arc::new(MemoryServer::new());
    server.add_account("li", CoreRole::Worker, "t-li");
    server.add_account("wang", CoreRole::Supervisor, "t-wang");
    let worker = store(dir.path(), "li", Role::Worker, "phone-w");
    let boss = store(dir.path(), "wang", Role::Supervisor, "phone-s");
    let shell = Shell::new(&server);
    let worker_sync = GridworkSync::new(worker.clone(), Some(shell.clone())).unwrap();
    let boss_sync = GridworkSync::new(boss.clone(), Some(shell.clone())).unwrap();

    assert_eq!(
        worker_sync.status().unwrap().state,
        EngineState::NotSignedIn
    );
    let refused = worker_sync.login_with_token(MEMORY_URL.into(), "t-wang".into());
    assert!(matches!(refused, Err(GridworkError::SignInRequired { .. })));
    let signed = worker_sync
        .login_with_token(MEMORY_URL.into(), "t-li".into())
        .unwrap();
    assert_eq!((signed.user.as_str(), signed.role), ("li", Role::Worker));
    boss_sync
        .login_with_password(MEMORY_URL.into(), "wang".into(), "t-wang".into())
        .unwrap();

    let id = worker.report(draft("overflowing bin")).unwrap();
    let status = worker_sync.status().unwrap();
    assert_eq!((status.pending_events, status.due), (1, true));
    let phases = Arc::new(Phases::default());
    let report = worker_sync.run(Some(phases.clone())).unwrap();
    assert_eq!((report.pushed, report.state), (1, EngineState::Synced));
    let seen: Vec<SyncPhase> = phases.0.lock().unwrap().iter().map(|p| p.phase).collect();
    assert_eq!(seen.first(), Some(&SyncPhase::Push));
    assert_eq!(seen.last(), Some(&SyncPhase::Pull));
    assert!(shell
        .requests
        .lock()
        .unwrap()
        .iter()
        .any(|r| r == &format!("POST {MEMORY_URL}/v1/events")));

    let changes = Arc::new(Changes::default());
    boss.add_observer(changes.clone());
    let report = boss_sync.run(None).unwrap();
    assert_eq!(report.pulled, 1);
    assert_eq!(report.changed_cases, vec![id.clone()]);
    assert_eq!(*changes.0.lock().unwrap(), vec![vec![id.clone()]]);
    assert_eq!(boss.show(id.clone()).unwrap().status, Status::Reported);
    let detail = worker.show(id).unwrap();
    assert_eq!(detail.timeline[0].sync, SyncState::Synced);

    worker_sync.logout().unwrap();
    let status = worker_sync.status().unwrap();
    assert!(!status.signed_in && !status.due);
}

#[test]
fn cancel_from_another_thread_stops_a_run_blocked_in_the_transport() {
    let dir = tempfile::tempdir().unwrap();
    let server = Arc::new(MemoryServer::new());
    server.add_account("li", CoreRole::Worker, "t-li");
    let worker = store(dir.path(), "li", Role::Worker, "phone-w");
    let shell = Shell::new(&server);
    let sync = GridworkSync::new(worker.clone(), Some(shell.clone())).unwrap();
    sync.login_with_token(MEMORY_URL.into(), "t-li".into())
        .unwrap();
    worker.report(draft("pothole")).unwrap();

    let (entered_tx, entered) = mpsc::channel();
    let (release, release_rx) = mpsc::channel();
    *shell.gate.lock().unwrap() = Some((entered_tx, release_rx));
    let running = {
        let sync = sync.clone();
        std::thread::spawn(move || sync.run(None).unwrap())
    };
    entered.recv().unwrap(); // the run is inside the transport, pushing
    sync.cancel();
    // Meanwhile the store takes local work.
    worker.report(draft("another")).unwrap();
    release.send(()).unwrap();
    let report = running.join().unwrap();
    assert_eq!(report.state, EngineState::Cancelled);
    assert_eq!(
        report.pushed, 1,
        "the push in flight is recorded, nothing after it"
    );
    let requests = shell.requests.lock().unwrap().clone();
    assert!(
        !requests.iter().any(|r| r.contains("/v1/events?")),
        "no pull"
    );
    assert_eq!(sync.status().unwrap().state, EngineState::Cancelled);
    // The next run goes ahead and sends what was written meanwhile.
    let next = sync.run(None).unwrap();
    assert_eq!((next.state, next.pushed), (EngineState::Synced, 1));
}

#[test]
fn no_network_is_reported_and_scheduled_not_raised() {
    let dir = tempfile::tempdir().unwrap();
    let worker = store(dir.path(), "li", Role::Worker, "phone-w");
    let sync = GridworkSync::new(worker.clone(), Some(Arc::new(Offline))).unwrap();
    let refused = sync.login_with_token("https://grid.example.cn".into(), "t".into());
    assert!(
        matches!(refused, Err(GridworkError::Network { detail: m, .. }) if m.contains("no network"))
    );
    assert!(matches!(
        sync.login_with_token("ftp://x".into(), "t".into()),
        Err(GridworkError::InvalidInput { .. })
    ));
    assert_eq!(sync.run(None).unwrap().state, EngineState::NotSignedIn);
}

#[test]
fn a_patrol_is_recorded_in_batches_and_shows_its_figures() {
    let dir = tempfile::tempdir().unwrap();
    let worker = store(dir.path(), "li", Role::Worker, "phone-w");
    assert!(matches!(
        worker.start_patrol(vec!["nowhere".into()]),
        Err(GridworkError::InvalidInput { .. })
    ));
    let id = worker.start_patrol(vec![CELL.into()]).unwrap();
    assert_eq!(worker.open_patrol().unwrap(), Some(id.clone()));
    assert!(matches!(
        worker.start_patrol(vec![CELL.into()]),
        Err(GridworkError::Workflow { .. })
    ));

    // 100 s walking north at about 1.1 m/s, one fix a second, in 10-second batches.
    let t0 = now_ms() - 100_000;
    let fixes: Vec<GpsFix> = (0..100)
        .map(|i| GpsFix {
            time_ms: t0 + i * 1000,
            lat: 31.2995 + i as f64 * 0.00001,
            lon: LON,
            accuracy_m: 5.0,
            speed_mps: Some(1.1),
            bearing_deg: Some(0.0),
            altitude_m: None,
            provider: FixProvider::Gps,
            mock: false,
        })
        .collect();
    let mut stored = 0;
    for batch in fixes.chunks(10) {
        stored += worker.add_fixes(id.clone(), batch.to_vec()).unwrap().stored;
    }
    assert_eq!(stored, 100);
    let mut bad = fixes[0];
    bad.lat = f64::NAN;
    assert!(matches!(
        worker.add_fixes(id.clone(), vec![bad]),
        Err(GridworkError::InvalidInput { .. })
    ));
    let photo = dir.path().join("door.jpg");
    std::fs::write(&photo, [0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3]).unwrap();
    worker
        .check_in(
            id.clone(),
            31.3,
            LON,
            Some("shop 12".into()),
            Some(photo.to_string_lossy().into_owned()),
        )
        .unwrap();
    let mut linked = draft("on patrol");
    linked.patrol_id = Some(id.clone());
    let case = worker.report(linked).unwrap();
    worker.finish_patrol(id.clone()).unwrap();
    assert!(matches!(
        worker.add_fixes(id.clone(), fixes[..1].to_vec()),
        Err(GridworkError::Workflow { .. })
    ));

    let p = worker.patrol(id.clone()).unwrap();
    assert_eq!(p.status, PatrolStatus::Finished);
    assert_eq!(p.stats.fix_count, 100);
    assert!(
        (100.0..120.0).contains(&p.stats.distance_m),
        "{}",
        p.stats.distance_m
    );
    assert_eq!(p.integrity.verdict, Verdict::Trusted);
    assert_eq!(p.coverage.len(), 1);
    assert!(p.coverage[0].covered_share > 0.0);
    assert_eq!(p.check_ins.len(), 1);
    assert_eq!(p.check_ins[0].note.as_deref(), Some("shop 12"));
    assert!(Path::new(&p.check_ins[0].photo.as_ref().unwrap().path).is_file());
    assert_eq!(p.incidents, vec![case]);
    assert_eq!(worker.patrols().unwrap()[0].fix_count, 100);
    assert!(worker
        .export_patrol(id, PatrolExportFormat::Gpx)
        .unwrap()
        .contains("<trkpt"));
}

/// The phones' build (`--no-default-features`, no built-in HTTP client) needs the app's
/// transport and says so; the default build has a client of its own.
#[test]
fn without_a_transport_the_built_in_client_is_used_when_the_build_has_one() {
    let dir = tempfile::tempdir().unwrap();
    let worker = store(dir.path(), "li", Role::Worker, "phone-w");
    let sync = GridworkSync::new(worker, None);
    if cfg!(feature = "builtin-http") {
        let sync = sync.unwrap();
        assert_eq!(sync.run(None).unwrap().state, EngineState::NotSignedIn);
    } else {
        assert!(
            matches!(&sync, Err(GridworkError::InvalidInput { detail: m, .. }) if m.contains("HttpTransport")),
            "{:?}",
            sync.err()
        );
    }
}
