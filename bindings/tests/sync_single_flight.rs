//! `GridworkSync` is single-flight: a second `run` while one is active joins it (and
//! hears its progress), `cancel` always reaches the active run — also when another caller
//! is waiting — and aborts the request in flight through the foreign transport, and a
//! cancel while idle leaves the next run alone. Driven from Rust as a shell would, with a
//! foreign `HttpTransport` in front of the core's in-memory server.
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
    sync::{mpsc, Arc, Mutex},
    time::Duration,
};

const GRID: &str = include_str!("../../data/kcity-grid.geojson");
const CATALOG: &str = include_str!("../../data/kcity-catalog.json");

/// Generous bound for "this happened at all" (a broken build hangs instead).
const LONG: Duration = Duration::from_secs(60);

/// What the gated request does once the test lets it go.
enum Release {
    /// Sends it on to the server.
    Go,
    /// Fails it as an aborted connection does.
    Aborted,
}

/// A shell's transport in front of the memory server. When armed, the first pull
/// (`GET /v1/events?…`) tells `entered` and waits until released — or until `abort`.
struct Gated {
    server: Arc<MemoryServer>,
    gate: Mutex<Option<(mpsc::Sender<()>, mpsc::Receiver<Release>)>>,
    waiting: Mutex<Option<mpsc::Sender<Release>>>,
    aborts: Mutex<u32>,
}

impl Gated {
    fn new(server: &Arc<MemoryServer>) -> Arc<Gated> {
        Arc::new(Gated {
            server: server.clone(),
            gate: Mutex::new(None),
            waiting: Mutex::new(None),
            aborts: Mutex::new(0),
        })
    }

    /// Arms the gate; returns (entered, release).
    fn arm(&self) -> (mpsc::Receiver<()>, mpsc::Sender<Release>) {
        let (entered_tx, entered) = mpsc::channel();
        let (release, release_rx) = mpsc::channel();
        *self.waiting.lock().unwrap() = Some(release.clone());
        *self.gate.lock().unwrap() = Some((entered_tx, release_rx));
        (entered, release)
    }
}

impl HttpTransport for Gated {
    fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportFailure> {
        if request.method == "GET" && request.url.contains("/v1/events?") {
            let gate = self.gate.lock().unwrap().take();
            if let Some((entered, release)) = gate {
                entered.send(()).unwrap();
                // Without an abort this request would hang like a dead connection.
                match release.recv_timeout(LONG) {
                    Ok(Release::Go) => {}
                    Ok(Release::Aborted) | Err(_) => {
                        return Err(TransportFailure::Interrupted {
                            reason: "aborted".into(),
                        })
                    }
                }
            }
        }
        let method = match request.method.as_str() {
            "GET" => gridwork_core::sync::Method::Get,
            "HEAD" => gridwork_core::sync::Method::Head,
            "POST" => gridwork_core::sync::Method::Post,
            _ => gridwork_core::sync::Method::Put,
        };
        let r = self
            .server
            .send(&gridwork_core::sync::HttpRequest {
                method,
                url: request.url,
                headers: request
                    .headers
                    .into_iter()
                    .map(|h| (h.name, h.value))
                    .collect(),
                body: request.body,
            })
            .unwrap();
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

    fn abort(&self) {
        *self.aborts.lock().unwrap() += 1;
        if let Some(w) = self.waiting.lock().unwrap().take() {
            let _ = w.send(Release::Aborted);
        }
    }
}

/// Tells a channel about every progress update.
struct Heard(Mutex<mpsc::Sender<SyncProgress>>);

impl SyncProgressListener for Heard {
    fn on_progress(&self, progress: SyncProgress) {
        let _ = self.0.lock().unwrap().send(progress);
    }
}

fn heard() -> (Arc<Heard>, mpsc::Receiver<SyncProgress>) {
    let (tx, rx) = mpsc::channel();
    (Arc::new(Heard(Mutex::new(tx))), rx)
}

struct Fixture {
    _dir: tempfile::TempDir,
    store: Arc<GridworkStore>,
    sync: Arc<GridworkSync>,
    transport: Arc<Gated>,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let server = Arc::new(MemoryServer::new());
    server.add_account("li", CoreRole::Worker, "t-li");
    let store =
        GridworkStore::open(dir.path().join("w").to_string_lossy().into_owned(), None).unwrap();
    store.init("li".into(), Role::Worker).unwrap();
    store.import_grid(GRID.into()).unwrap();
    store.import_catalog(CATALOG.into()).unwrap();
    let transport = Gated::new(&server);
    let sync = GridworkSync::new(store.clone(), Some(transport.clone())).unwrap();
    sync.login_with_token(MEMORY_URL.into(), "t-li".into())
        .unwrap();
    Fixture {
        _dir: dir,
        store,
        sync,
        transport,
    }
}

fn report(store: &GridworkStore, text: &str) {
    store
        .report(ReportDraft {
            category: "06010".into(),
            lat: 31.3005,
            lon: 120.6005,
            description: text.into(),
            urgency: Urgency::Normal,
            accuracy_m: None,
            address: None,
            photos: Vec::new(),
            patrol_id: None,
        })
        .unwrap();
}

/// Starts a run on its own thread.
fn spawn_run(
    sync: &Arc<GridworkSync>,
    listener: Option<Arc<Heard>>,
) -> std::thread::JoinHandle<SyncReport> {
    let sync = sync.clone();
    std::thread::spawn(move || {
        sync.run(listener.map(|l| l as Arc<dyn SyncProgressListener>))
            .unwrap()
    })
}

/// Starts run A, blocks it in its pull, then starts run B and waits until B has joined
/// (a joiner hears the active run's latest progress at once).
fn two_runs(
    f: &Fixture,
) -> (
    std::thread::JoinHandle<SyncReport>,
    std::thread::JoinHandle<SyncReport>,
    mpsc::Sender<Release>,
) {
    report(&f.store, "pothole");
    let (entered, release) = f.transport.arm();
    let first = spawn_run(&f.sync, None);
    entered.recv_timeout(LONG).expect("run A reached its pull");
    assert!(f.sync.is_running());
    let (listener, progress) = heard();
    let second = spawn_run(&f.sync, Some(listener));
    let caught_up = progress
        .recv_timeout(LONG)
        .expect("the second run joined the first and heard its progress");
    assert_eq!((caught_up.phase, caught_up.done), (SyncPhase::Push, 1));
    (first, second, release)
}

#[test]
fn a_second_run_while_one_is_active_joins_it_and_gets_its_result() {
    let f = fixture();
    let (first, second, release) = two_runs(&f);
    release.send(Release::Go).unwrap();
    let (a, b) = (first.join().unwrap(), second.join().unwrap());
    assert_eq!(a.state, EngineState::Synced);
    assert_eq!(a.pushed, 1);
    assert_eq!(a, b, "the joiner gets the active run's report");
    assert!(!f.sync.is_running());
}

#[test]
fn cancel_reaches_the_active_run_even_with_a_caller_waiting() {
    let f = fixture();
    let (first, second, _release) = two_runs(&f);
    f.sync.cancel();
    let (a, b) = (first.join().unwrap(), second.join().unwrap());
    assert_eq!(a.state, EngineState::Cancelled, "{:?}", a.error);
    assert_eq!(b.state, EngineState::Cancelled);
    // The request in flight was aborted through the transport, not waited for.
    assert_eq!(*f.transport.aborts.lock().unwrap(), 1);
    let status = f.sync.status().unwrap();
    assert_eq!(status.state, EngineState::Cancelled);
    assert_eq!(
        status.consecutive_failures, 0,
        "an aborted request is a cancel, not a network failure"
    );
    assert!(status.last_error.is_none());
    // Nothing is left behind: the next run syncs.
    assert_eq!(f.sync.run(None).unwrap().state, EngineState::Synced);
}

#[test]
fn a_cancel_while_idle_does_not_touch_the_transport_or_the_next_run() {
    let f = fixture();
    f.sync.cancel();
    assert_eq!(*f.transport.aborts.lock().unwrap(), 0);
    report(&f.store, "pothole");
    let r = f.sync.run(None).unwrap();
    assert_eq!((r.state, r.pushed), (EngineState::Synced, 1));
}
