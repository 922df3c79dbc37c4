//! The gridwork sync cases: a device (a real store in a temp folder, the sync engine,
//! gridwork-http's client) in this process against the reference server in a child
//! process (`serve`), over loopback HTTP through a byte-counting proxy.

use crate::{
    data::{worker, City},
    patrol::set_up,
    procs::{self, ServerChild},
};
use gridwork_core::{
    model::Role,
    sync::{self, CancelToken, NoProgress, SignIn, SyncEngine, SyncOptions, SyncReport},
    Store,
};
use gridwork_http::{HttpOptions, HttpTransport};
use serde_json::{json, Value};
use std::time::Instant;

/// A signed-in device and its server.
struct Rig {
    _dir: tempfile::TempDir,
    server: ServerChild,
    store: Store,
    http: HttpTransport,
}

impl Rig {
    fn new(user: &str, role: Role, device: &str) -> Rig {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir_all(dir.path().join("server")).expect("server dir");
        let mut server = ServerChild::start(&dir.path().join("server"));
        let store = set_up(
            Store::open(dir.path().join("device")).expect("store"),
            user,
            role,
            device,
        );
        gridwork_http::install_crypto_provider();
        let http = HttpTransport::new(HttpOptions::default()).expect("http client");
        let token = server.ask(json!({"cmd": "token", "user": user, "device": device}))["token"]
            .as_str()
            .expect("token")
            .to_string();
        sync::login(&store, &http, &server.url, &SignIn::Token(token)).expect("login");
        Rig {
            _dir: dir,
            server,
            store,
            http,
        }
    }

    fn seed(&mut self, command: Value) -> Value {
        let answer = self.server.ask(command);
        assert_eq!(answer["rejected"], 0, "seeding was refused: {answer}");
        answer
    }

    /// One timed sync run: wall, the device's CPU, the server's CPU, bytes each way and
    /// both processes' memory peaks during the run.
    fn measure(&mut self) -> (SyncReport, Value) {
        reset_peak("self");
        reset_peak(&self.server.pid);
        let (up0, down0) = self.server.wire();
        let (dev0, srv0) = (procs::cpu("self"), self.server.cpu());
        let start = Instant::now();
        let report = SyncEngine::new(SyncOptions::default())
            .run(&self.store, &self.http, &NoProgress, &CancelToken::new())
            .expect("sync run");
        let wall = start.elapsed();
        let (dev, srv) = (procs::cpu("self") - dev0, self.server.cpu() - srv0);
        let (up, down) = self.server.wire();
        let figures = json!({
            "wall_ms": wall.as_secs_f64() * 1e3,
            "device_cpu_ms": dev.as_secs_f64() * 1e3,
            "server_cpu_ms": srv.as_secs_f64() * 1e3,
            "up": up - up0,
            "down": down - down0,
            "pulled": report.pulled,
            "pushed": report.pushed,
            "error": report.error.as_ref().map(|e| format!("{e:?}")),
            "device_peak_kb": procs::peak_rss_kb("self"),
            "server_peak_kb": procs::peak_rss_kb(&self.server.pid),
        });
        (report, figures)
    }
}

/// Resets a process's resident-set high-water mark (Linux ≥ 4.0), so that the next
/// VmHWM read is the peak since now.
fn reset_peak(pid: &str) {
    let _ = std::fs::write(format!("/proc/{pid}/clear_refs"), "5");
}

/// The initial sync of `n` reports to an empty supervisor's tablet, then an incremental
/// sync of `m` new ones.
pub fn initial_and_incremental(n: usize, m: usize) -> Value {
    let mut rig = Rig::new("wang", Role::Supervisor, "tablet-wang");
    rig.seed(json!({"cmd": "seed", "n": n, "workers": 10}));
    let (_, initial) = rig.measure();
    let mut out = json!({ "n": n, "m": m, "initial": initial });
    if m > 0 {
        rig.seed(json!({"cmd": "seed", "n": m, "workers": 10}));
        let (_, incremental) = rig.measure();
        out["incremental"] = incremental;
    }
    // The limit of the device's share: the same rows written by plain rusqlite. After
    // the incremental sync, whose peak memory it would otherwise raise (this process's
    // resident set after it is where the next peak starts).
    out["plain_apply"] =
        crate::apply_limit::plain_apply(rig.store.db().path(), rig._dir.path(), 1000);
    out["delivered"] = json!(
        rig.store.list(&Default::default(), None, 1).is_ok()
            && count_incidents(&rig.store) == (n + m) as u64
    );
    out
}

fn count_incidents(store: &Store) -> u64 {
    rusqlite::Connection::open(store.db().path())
        .and_then(|c| c.query_row("SELECT count(*) FROM incidents", [], |r| r.get::<_, i64>(0)))
        .map(|n| n as u64)
        .unwrap_or(0)
}

/// A worker's phone pushing `n` pending reports (its outbox after a long offline
/// spell) to an empty server, and the pull that follows in the same run.
pub fn push(n: usize) -> Value {
    let user = worker(1);
    let device = format!("phone-{user}");
    let mut rig = Rig::new(&user, Role::Worker, &device);
    // The outbox as the phone's own reports leave it (each recorded durably, as the
    // app records them; the store accepts no events of its own device from elsewhere).
    for r in City::new().records(n, 1) {
        rig.store.report(&crate::device::draft(&r)).expect("report");
    }
    let (_, figures) = rig.measure();
    json!({ "n": n, "push": figures })
}

/// The pull a supervisor's tablet makes after a day of `workers` workers (each `reports`
/// reports and an 8-hour patrol), the tablet having synced the day before.
pub fn supervisor_day(workers: usize, reports: usize) -> Value {
    let mut rig = Rig::new("wang", Role::Supervisor, "tablet-wang");
    let before = rig.seed(json!({"cmd": "day", "workers": workers, "reports": reports}));
    let (_, yesterday) = rig.measure();
    let day = rig.seed(json!({"cmd": "day", "workers": workers, "reports": reports}));
    let (_, pull) = rig.measure();
    json!({ "workers": workers, "reports": reports, "seeded": day, "yesterday": yesterday,
            "seeded_before": before, "pull": pull })
}
