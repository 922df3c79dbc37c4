//! The server under load (issue 12, docs/benchmarks.md "Server under load"): a load
//! generator of simulated devices on loopback, each signing in, pushing single-event
//! pushes and pulling, bounded in count and time; and the limit it is compared with, a
//! bare fsync-bound commit loop on plain rusqlite with the server's pragmas.
//!
//! At the end it checks what a user would notice: every acknowledged event is held by
//! the server exactly once, every device's pulls saw every acknowledged event of its
//! area exactly once, and no puller's cursor ever went backwards.

use gridwork_core::{
    clock::Hlc,
    model::{Actor, Event, IncidentEvent, Report, Role, Stream, Urgency, GENESIS_HASH},
    sync::wire::{PullResponse, PushOutcome, PushResponse},
};
use gridwork_server::{admin, ratelimit::TokenRate, AppState, Limits, Storage};
use std::{
    collections::{HashMap, HashSet},
    fmt,
    path::Path,
    sync::Arc,
    time::{Duration, Instant},
};
use uuid::Uuid;

/// How big a run is.
#[derive(Debug, Clone)]
pub struct LoadConfig {
    /// Simulated devices, each its own account and token.
    pub devices: usize,
    /// Devices sharing one area (one cell): each pulls the others' reports.
    pub group: usize,
    /// Most single-event pushes a device makes.
    pub pushes_per_device: usize,
    /// A device pulls after every this many pushes.
    pub pull_every: usize,
    /// Devices stop pushing after this long (whatever their count).
    pub duration: Duration,
}

impl LoadConfig {
    /// The short run of the default test suite: 50 devices, at most 3 s.
    pub fn short() -> Self {
        LoadConfig {
            devices: 50,
            group: 10,
            pushes_per_device: 60,
            pull_every: 5,
            duration: Duration::from_secs(3),
        }
    }

    /// The long run (issue 12's goal): 500 devices, at most 20 s.
    pub fn long() -> Self {
        LoadConfig {
            devices: 500,
            group: 10,
            pushes_per_device: 2_000,
            pull_every: 5,
            duration: Duration::from_secs(20),
        }
    }

    /// [`LoadConfig::long`] when `GRIDWORK_LOAD=long`, else [`LoadConfig::short`];
    /// `GRIDWORK_LOAD_DEVICES` and `GRIDWORK_LOAD_SECONDS` override the size.
    pub fn from_env() -> Self {
        let mut c = match std::env::var("GRIDWORK_LOAD").as_deref() {
            Ok("long") => Self::long(),
            _ => Self::short(),
        };
        let num = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<u64>().ok());
        if let Some(n) = num("GRIDWORK_LOAD_DEVICES") {
            c.devices = n.max(1) as usize;
        }
        if let Some(s) = num("GRIDWORK_LOAD_SECONDS") {
            c.duration = Duration::from_secs(s.max(1));
        }
        c
    }
}

/// Latencies of one kind of request.
#[derive(Debug, Clone, Default)]
pub struct Latencies {
    /// Every request's time, in the order they finished.
    pub samples: Vec<Duration>,
}

impl Latencies {
    /// The `q`-quantile (0..=1), zero when there are none.
    pub fn quantile(&self, q: f64) -> Duration {
        let mut s = self.samples.clone();
        s.sort();
        if s.is_empty() {
            return Duration::ZERO;
        }
        let i = ((s.len() - 1) as f64 * q).round() as usize;
        s[i.min(s.len() - 1)]
    }
}

/// What a run measured and found.
#[derive(Debug, Clone, Default)]
pub struct LoadReport {
    /// Devices that ran.
    pub devices: usize,
    /// From the first push to the last device's last push.
    pub push_wall: Duration,
    /// Events acknowledged (accepted or duplicate) by pushes.
    pub acknowledged: u64,
    /// Requests answered with an error or not at all (each retried).
    pub failed_requests: u64,
    /// Sign-in (`GET /v1/me`), push and pull latencies.
    pub login: Latencies,
    /// Push latencies.
    pub push: Latencies,
    /// Pull latencies (one page each).
    pub pull: Latencies,
    /// Acknowledged events the server does not hold.
    pub lost_on_server: u64,
    /// Events the server holds more than once, or holds without their push having
    /// been sent.
    pub duplicated_on_server: u64,
    /// Acknowledged events of a device's area its pulls never saw (summed over devices).
    pub missed_by_pullers: u64,
    /// Events a device's pulls saw more than once (summed over devices).
    pub seen_twice_by_pullers: u64,
    /// Pulls whose `next_after` was below the cursor asked with.
    pub cursor_went_back: u64,
}

impl LoadReport {
    /// Acknowledged single-event pushes a second.
    pub fn events_per_second(&self) -> f64 {
        self.acknowledged as f64 / self.push_wall.as_secs_f64().max(1e-9)
    }

    /// Whether every check held.
    pub fn all_held(&self) -> bool {
        self.lost_on_server == 0
            && self.duplicated_on_server == 0
            && self.missed_by_pullers == 0
            && self.seen_twice_by_pullers == 0
            && self.cursor_went_back == 0
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

impl fmt::Display for LoadReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} devices: {} events acknowledged in {:.2} s = {:.0} events/s ({} failed requests)",
            self.devices,
            self.acknowledged,
            self.push_wall.as_secs_f64(),
            self.events_per_second(),
            self.failed_requests
        )?;
        for (kind, l) in [
            ("login", &self.login),
            ("push", &self.push),
            ("pull", &self.pull),
        ] {
            writeln!(
                f,
                "  {kind:5} {:7} requests  p50 {:7.2} ms  p99 {:7.2} ms",
                l.samples.len(),
                ms(l.quantile(0.5)),
                ms(l.quantile(0.99))
            )?;
        }
        write!(
            f,
            "  checks: lost {} duplicated {} missed by pullers {} seen twice {} cursor back {}",
            self.lost_on_server,
            self.duplicated_on_server,
            self.missed_by_pullers,
            self.seen_twice_by_pullers,
            self.cursor_went_back
        )
    }
}

/// One simulated device's chain.
struct Chain {
    user: String,
    device: String,
    cell: String,
    seq: u64,
    prev: String,
}

impl Chain {
    fn report(&mut self) -> Event {
        self.seq += 1;
        let ev = IncidentEvent::Reported(Report {
            category: "06010".into(),
            lat: 31.30 + self.seq as f64 * 1e-5,
            lon: 120.60,
            accuracy_m: Some(5.0),
            description: format!(
                "垃圾堆放 exposed rubbish near the bridge, heap #{}",
                self.seq
            ),
            address: Some("平江路 Pingjiang Rd".into()),
            urgency: Urgency::Normal,
            photos: vec![],
            cell: Some(self.cell.clone()),
            patrol: None,
        });
        let e = Event {
            id: Uuid::now_v7(),
            stream: Stream::Incident(Uuid::now_v7()),
            kind: ev.kind().into(),
            hlc: Hlc::new(1_767_000_000_000 + self.seq as i64, 0),
            device_id: self.device.clone(),
            actor: Actor::new(&self.user, Role::Worker),
            device_seq: self.seq,
            prev_hash: self.prev.clone(),
            payload: ev.payload(),
            server_seq: None,
            signature: None,
        };
        self.prev = e.hash();
        e
    }
}

/// What one device did and saw.
#[derive(Default)]
struct DeviceRun {
    group: usize,
    sent: Vec<Uuid>,
    acked: Vec<Uuid>,
    seen: HashMap<Uuid, u32>,
    cursor: i64,
    cursor_went_back: u64,
    failed: u64,
    login: Vec<Duration>,
    push: Vec<Duration>,
    pull: Vec<Duration>,
}

/// A failed request (the device retries it).
#[derive(Debug)]
struct Failed;

/// The area cell of group `g` (a made-up code: the load server holds no grid).
fn cell_of(g: usize) -> String {
    format!("9{g:010}")
}

impl DeviceRun {
    async fn pull_all(&mut self, client: &reqwest::Client, base: &str, token: &str) {
        loop {
            let started = Instant::now();
            let page = async {
                let res = client
                    .get(format!("{base}/v1/events?after={}&limit=500", self.cursor))
                    .bearer_auth(token)
                    .send()
                    .await
                    .map_err(|_| Failed)?;
                if !res.status().is_success() {
                    return Err(Failed);
                }
                res.json::<PullResponse>().await.map_err(|_| Failed)
            }
            .await;
            self.pull.push(started.elapsed());
            let Ok(page) = page else {
                self.failed += 1;
                continue;
            };
            if page.next_after < self.cursor {
                self.cursor_went_back += 1;
            }
            for e in &page.events {
                *self.seen.entry(e.id).or_default() += 1;
            }
            self.cursor = self.cursor.max(page.next_after);
            if !page.more {
                return;
            }
        }
    }

    /// Pushes `event` until it is answered (at most 5 tries); whether it was
    /// acknowledged.
    async fn push(&mut self, client: &reqwest::Client, base: &str, token: &str, event: &Event) {
        self.sent.push(event.id);
        for _ in 0..5 {
            let started = Instant::now();
            let answer = async {
                let res = client
                    .post(format!("{base}/v1/events"))
                    .bearer_auth(token)
                    .json(&serde_json::json!({ "events": [event] }))
                    .send()
                    .await
                    .map_err(|_| Failed)?;
                if !res.status().is_success() {
                    return Err(Failed);
                }
                res.json::<PushResponse>().await.map_err(|_| Failed)
            }
            .await;
            self.push.push(started.elapsed());
            match answer.map(|a| a.results.into_iter().next().map(|r| r.outcome)) {
                Ok(Some(PushOutcome::Accepted { .. } | PushOutcome::Duplicate { .. })) => {
                    self.acked.push(event.id);
                    return;
                }
                Ok(_) => return,
                Err(Failed) => self.failed += 1,
            }
        }
    }
}

/// Runs `config` against a server over `storage` on loopback (the calling runtime
/// serves it) and checks the outcome.
pub async fn run(storage: Arc<dyn Storage>, blobs: &Path, config: &LoadConfig) -> LoadReport {
    // Accounts and tokens first (no Argon2: sign-in is by token, `GET /v1/me`).
    let groups = config.devices.div_ceil(config.group.max(1));
    let mut chains = Vec::with_capacity(config.devices);
    let mut tokens = Vec::with_capacity(config.devices);
    for d in 0..config.devices {
        let g = d / config.group.max(1);
        let (user, device) = (format!("load{d}"), format!("load-dev-{d}"));
        admin::add_user(storage.as_ref(), &user, Role::Worker, &cell_of(g), None)
            .await
            .expect("a load account is created");
        tokens.push(
            admin::issue_token(storage.as_ref(), &user, &device)
                .await
                .expect("a load token is issued"),
        );
        chains.push(Chain {
            user,
            device,
            cell: cell_of(g),
            seq: 0,
            prev: GENESIS_HASH.into(),
        });
    }
    admin::add_user(
        storage.as_ref(),
        "load-auditor",
        Role::Supervisor,
        "*",
        None,
    )
    .await
    .expect("the auditor account is created");
    let limits = Limits {
        // Each simulated device pushes far faster than a phone: no per-token limit.
        token_rate: TokenRate {
            per_minute: 0,
            burst: 0,
        },
        ..Limits::default()
    };
    let blob_store = Arc::new(gridwork_server::blobs::BlobStore::open(blobs).expect("blobs"));
    let state = AppState::new(storage.clone(), blob_store, limits.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("loopback");
    let base = format!("http://{}", listener.local_addr().expect("an address"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(gridwork_server::serve_listener(
        listener,
        gridwork_server::router(state),
        limits.header_read_timeout,
        async {
            let _ = stopped.await;
        },
    ));

    // The server's reqwest has rustls without a provider of its own: ring, as the server.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(config.devices)
        .build()
        .expect("a client");
    let start = Instant::now();
    let deadline = start + config.duration;
    let tasks: Vec<_> = chains
        .into_iter()
        .zip(tokens)
        .enumerate()
        .map(|(d, (mut chain, token))| {
            let (client, base, config) = (client.clone(), base.clone(), config.clone());
            tokio::spawn(async move {
                let mut run = DeviceRun {
                    group: d / config.group.max(1),
                    ..DeviceRun::default()
                };
                loop {
                    let started = Instant::now();
                    let ok = client
                        .get(format!("{base}/v1/me"))
                        .bearer_auth(&token)
                        .send()
                        .await
                        .is_ok_and(|r| r.status().is_success());
                    run.login.push(started.elapsed());
                    if ok {
                        break;
                    }
                    run.failed += 1;
                }
                for i in 0..config.pushes_per_device {
                    if Instant::now() >= deadline {
                        break;
                    }
                    let event = chain.report();
                    run.push(&client, &base, &token, &event).await;
                    if (i + 1) % config.pull_every.max(1) == 0 {
                        run.pull_all(&client, &base, &token).await;
                    }
                }
                (run, token, Instant::now())
            })
        })
        .collect();
    let mut runs = Vec::with_capacity(tasks.len());
    let mut last = start;
    for t in tasks {
        let (run, token, done) = t.await.expect("a device task");
        last = last.max(done);
        runs.push((run, token));
    }
    let push_wall = last - start;
    // Every device pulls to the end once every push is answered.
    for (run, token) in &mut runs {
        run.pull_all(&client, &base, token).await;
    }
    let _ = stop.send(());
    let _ = server.await;

    let mut report = LoadReport {
        devices: config.devices,
        push_wall,
        ..LoadReport::default()
    };
    let mut acked_by_group: Vec<HashSet<Uuid>> = vec![HashSet::new(); groups];
    let mut sent = HashSet::new();
    for (run, _) in &runs {
        acked_by_group[run.group].extend(run.acked.iter().copied());
        sent.extend(run.sent.iter().copied());
        report.acknowledged += run.acked.len() as u64;
        report.failed_requests += run.failed;
        report.cursor_went_back += run.cursor_went_back;
        report.login.samples.extend(&run.login);
        report.push.samples.extend(&run.push);
        report.pull.samples.extend(&run.pull);
    }
    for (run, _) in &runs {
        let area = &acked_by_group[run.group];
        report.missed_by_pullers +=
            area.iter().filter(|id| !run.seen.contains_key(id)).count() as u64;
        report.seen_twice_by_pullers += run.seen.values().filter(|n| **n > 1).count() as u64;
    }
    // The server's whole log, read straight from storage by a supervisor of everything.
    let auditor = storage
        .account("load-auditor")
        .await
        .expect("storage answers")
        .expect("the auditor exists");
    let mut held: HashMap<Uuid, u32> = HashMap::new();
    let mut after = 0;
    loop {
        let page = storage
            .pull(&auditor, after, 1000)
            .await
            .expect("storage answers");
        for e in &page.events {
            *held.entry(e.id).or_default() += 1;
        }
        if page.next_after < after {
            report.cursor_went_back += 1;
        }
        after = page.next_after.max(after);
        if !page.more {
            break;
        }
    }
    for area in &acked_by_group {
        report.lost_on_server += area.iter().filter(|id| !held.contains_key(id)).count() as u64;
    }
    report.duplicated_on_server = held
        .iter()
        .filter(|(id, n)| **n > 1 || !sent.contains(id))
        .count() as u64;
    report
}

/// The limit: single-row transactions committed one after the other on plain rusqlite
/// with the server's pragmas (WAL, `synchronous=FULL`) in a file under `dir`, for
/// `duration`; commits a second.
pub fn fsync_baseline(dir: &Path, duration: Duration) -> f64 {
    let conn = rusqlite::Connection::open(dir.join("baseline.db")).expect("baseline db");
    conn.pragma_update(None, "journal_mode", "WAL")
        .expect("WAL");
    conn.pragma_update(None, "synchronous", "FULL")
        .expect("FULL");
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, body TEXT NOT NULL)",
    )
    .expect("baseline table");
    let body = "x".repeat(600);
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < duration {
        conn.execute_batch("BEGIN IMMEDIATE").expect("begin");
        conn.execute(
            "INSERT INTO events (id, body) VALUES (?1, ?2)",
            rusqlite::params![Uuid::now_v7().to_string(), body],
        )
        .expect("insert");
        conn.execute_batch("COMMIT").expect("commit");
        n += 1;
    }
    n as f64 / start.elapsed().as_secs_f64()
}

/// The PostgreSQL limit on the same terms: one connection committing one-row
/// transactions (an identity key, a 600-byte body) for `duration`, in the schema
/// `schema` (dropped first); commits per second. With fsync on, the disk's flush rate.
pub async fn pg_commit_baseline(url: &str, schema: &str, duration: Duration) -> f64 {
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .expect("baseline connection");
    let task = tokio::spawn(conn);
    client
        .batch_execute(&format!(
            "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema};
             CREATE TABLE {schema}.events (seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
               id TEXT NOT NULL UNIQUE, body TEXT NOT NULL)"
        ))
        .await
        .expect("baseline table");
    let insert = client
        .prepare(&format!(
            "INSERT INTO {schema}.events (id, body) VALUES ($1, $2)"
        ))
        .await
        .expect("baseline insert");
    let body = "x".repeat(600);
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < duration {
        client.batch_execute("BEGIN").await.expect("begin");
        client
            .execute(&insert, &[&Uuid::now_v7().to_string(), &body])
            .await
            .expect("insert");
        client.batch_execute("COMMIT").await.expect("commit");
        n += 1;
    }
    let rate = n as f64 / start.elapsed().as_secs_f64();
    client
        .batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
        .await
        .expect("drop the baseline");
    drop(client);
    let _ = task.await;
    rate
}
