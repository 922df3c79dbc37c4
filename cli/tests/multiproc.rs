//! Several `gridwork serve` processes in front of one PostgreSQL (docs/deploy.md,
//! "Several processes"): devices sync through a round-robin balancer, so their pushes,
//! pulls and photo uploads land on the processes in turn; a supervisor takes console
//! actions and an integration files Open311 requests through two processes at once.
//! Every event is stored and pulled exactly once, every pull cursor only grows, no
//! server-held chain forks, Open311 ids are unique and every process serves every
//! photo. Needs GRIDWORK_TEST_PG (skipped with a note without it; with
//! GRIDWORK_REQUIRE_PG=1, as `.ci/run` sets it, it fails instead).
#![allow(clippy::unwrap_used, clippy::print_stdout, missing_docs)]

use geo::Centroid;
use gridwork_core::{
    model::Role,
    store::ReportDraft,
    sync::{self, CancelToken, HttpRequest, Method, NoProgress, SignIn, SyncEngine, Transport},
    Store,
};
use gridwork_http::{HttpOptions, HttpTransport};
use std::{
    collections::BTreeSet,
    io::{BufRead, BufReader},
    net::{TcpListener, TcpStream},
    path::Path,
    process::{Child, Command, Stdio},
    sync::atomic::{AtomicUsize, Ordering},
    thread,
};

const PROCESSES: usize = 3;
const DEVICES: usize = 4;
const ROUNDS: usize = 4;
const REPORTS_PER_ROUND: usize = 2;
/// Open311 filings per round through each of two processes.
const FILINGS_PER_ROUND: usize = 2;

fn data(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../data")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

/// The PostgreSQL URL, or `None` with a note (a panic under GRIDWORK_REQUIRE_PG=1).
fn pg_url() -> Option<String> {
    match std::env::var("GRIDWORK_TEST_PG") {
        Ok(url) => Some(url),
        Err(_) if std::env::var("GRIDWORK_REQUIRE_PG").is_ok_and(|v| v == "1") => {
            panic!("the multi-process test needs PostgreSQL: GRIDWORK_REQUIRE_PG=1 but GRIDWORK_TEST_PG is not set")
        }
        Err(_) => {
            eprintln!("SKIPPED: the multi-process test: set GRIDWORK_TEST_PG to a connection URL to run it");
            None
        }
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// A fresh schema `name`; the URL that selects it (every process and `admin` use it).
fn fresh_schema(url: &str, name: &str) -> String {
    runtime().block_on(async {
        let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
            .await
            .unwrap();
        let task = tokio::spawn(conn);
        client
            .batch_execute(&format!(
                "DROP SCHEMA IF EXISTS {name} CASCADE; CREATE SCHEMA {name};"
            ))
            .await
            .unwrap();
        drop(client);
        let _ = task.await;
    });
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}options=-c%20search_path%3D{name}")
}

/// Runs `sql` (one row of integers expected) in the schema `db` selects.
fn query_ints(db: &str, sql: &str) -> Vec<Vec<i64>> {
    runtime().block_on(async {
        let (client, conn) = tokio_postgres::connect(db, tokio_postgres::NoTls)
            .await
            .unwrap();
        let task = tokio::spawn(conn);
        let rows = client.query(sql, &[]).await.unwrap();
        let out = rows
            .iter()
            .map(|r| (0..r.len()).map(|i| r.get::<_, i64>(i)).collect())
            .collect();
        drop(client);
        let _ = task.await;
        out
    })
}

fn admin(db: &str, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_gridwork"))
        .args(["admin", "--db", db])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "gridwork admin {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// A `gridwork serve` process, killed when dropped.
struct Serve {
    child: Child,
    url: String,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(db: &str, blobs: &Path) -> Serve {
    serve_with(env!("CARGO_BIN_EXE_gridwork"), db, blobs)
}

fn serve_with(bin: &str, db: &str, blobs: &Path) -> Serve {
    let mut child = Command::new(bin)
        .args(["serve", "--listen", "127.0.0.1:0", "--db", db, "--blobs"])
        .arg(blobs)
        // The devices of this test share one loopback address and sync often.
        .args(["--token-requests-per-minute", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.contains("listening on http://"), "{line:?}");
    let url = format!("http://{}", line.trim().rsplit("http://").next().unwrap());
    Serve { child, url }
}

/// A TCP balancer on loopback: each new connection goes to the next process.
fn round_robin(backends: Vec<String>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let next = AtomicUsize::new(0);
    thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(client) = client else { continue };
            let i = next.fetch_add(1, Ordering::Relaxed) % backends.len();
            let Ok(server) = TcpStream::connect(backends[i].trim_start_matches("http://")) else {
                continue;
            };
            let (mut c2, mut s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
            let (mut c, mut s) = (client, server);
            thread::spawn(move || {
                let _ = std::io::copy(&mut c, &mut s);
                let _ = s.shutdown(std::net::Shutdown::Write);
            });
            thread::spawn(move || {
                let _ = std::io::copy(&mut s2, &mut c2);
                let _ = c2.shutdown(std::net::Shutdown::Write);
            });
        }
    });
    url
}

fn http() -> HttpTransport {
    HttpTransport::new(HttpOptions::default()).unwrap()
}

/// `method url` with a bearer token and a body; status and body.
fn call(
    method: Method,
    url: String,
    token: Option<&str>,
    content_type: &str,
    body: Vec<u8>,
) -> (u16, Vec<u8>) {
    let mut headers = vec![
        ("Content-Type".to_string(), content_type.to_string()),
        ("Gridwork-Protocol".to_string(), "1".to_string()),
    ];
    if let Some(token) = token {
        headers.push(("Authorization".into(), format!("Bearer {token}")));
    }
    let res = http()
        .send(&HttpRequest {
            method,
            url,
            headers,
            body,
        })
        .unwrap();
    (res.status, res.body)
}

struct Device {
    _dir: tempfile::TempDir,
    store: Store,
    photos: std::path::PathBuf,
    cursors: Vec<i64>,
    pulled: u64,
    pushed: u64,
}

fn draft(store: &Store, photos: &Path, text: &str) -> ReportDraft {
    let grid = store.grid().unwrap();
    let c = grid.cells()[0].polygon.centroid().unwrap();
    let photo = photos.join(format!("{}.jpg", text.replace(' ', "-")));
    let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0];
    bytes.extend_from_slice(text.as_bytes());
    std::fs::write(&photo, bytes).unwrap();
    ReportDraft {
        category: "06010".into(),
        lat: c.y(),
        lon: c.x(),
        description: text.into(),
        photos: vec![photo],
        ..ReportDraft::default()
    }
}

impl Device {
    fn new(user: &str, balancer: &str, token: &str) -> Device {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("store")).unwrap();
        store
            .init_with_device(user, Role::Worker, &format!("phone-{user}"))
            .unwrap();
        store
            .import_grid(&std::fs::read_to_string(data("kcity-grid.geojson")).unwrap())
            .unwrap();
        store
            .import_catalog(&std::fs::read_to_string(data("kcity-catalog.json")).unwrap())
            .unwrap();
        sync::login(&store, &http(), balancer, &SignIn::Token(token.into())).unwrap();
        let photos = dir.path().join("photos");
        std::fs::create_dir_all(&photos).unwrap();
        Device {
            _dir: dir,
            store,
            photos,
            cursors: Vec::new(),
            pulled: 0,
            pushed: 0,
        }
    }

    /// One sync run, on a fresh transport (so on fresh connections: other processes).
    fn sync(&mut self) {
        let r = SyncEngine::new(Default::default())
            .run(&self.store, &http(), &NoProgress, &CancelToken::new())
            .unwrap();
        assert_eq!(r.error, None, "{r:?}");
        assert_eq!(r.rejected, 0, "{r:?}");
        self.pulled += r.pulled;
        self.pushed += r.pushed;
        self.cursors.push(sync::status(&self.store).unwrap().cursor);
    }
}

#[test]
fn several_processes_on_one_postgres_keep_every_guarantee() {
    let Some(url) = pg_url() else { return };
    let db = fresh_schema(&url, "gw_test_multiproc");
    let blobs = tempfile::tempdir().unwrap();
    admin(&db, &["import-catalog", &data("kcity-catalog.json")]);
    admin(&db, &["import-grid", &data("kcity-grid.geojson")]);
    let tokens: Vec<String> = (0..DEVICES)
        .map(|i| {
            let user = format!("w{i}");
            admin(
                &db,
                &["add-user", &user, "--role", "worker", "--scope", "3205"],
            );
            admin(&db, &["issue-token", &user])
        })
        .collect();
    admin(
        &db,
        &[
            "add-user",
            "wang",
            "--role",
            "supervisor",
            "--scope",
            "3205",
        ],
    );
    let wang = admin(&db, &["issue-token", "wang"]);
    admin(
        &db,
        &[
            "add-user",
            "portal",
            "--role",
            "integration",
            "--scope",
            "*",
        ],
    );
    let key = admin(&db, &["open311-key", "portal", "--source", "resident"]);

    let servers: Vec<Serve> = (0..PROCESSES).map(|_| serve(&db, blobs.path())).collect();
    let urls: Vec<String> = servers.iter().map(|s| s.url.clone()).collect();
    let balancer = round_robin(urls.clone());
    let mut devices: Vec<Device> = tokens
        .iter()
        .enumerate()
        .map(|(i, t)| Device::new(&format!("w{i}"), &balancer, t))
        .collect();

    // Rounds of reports, every device syncing at once; from the second round the
    // supervisor registers the cases of the round before and the integration files
    // requests, each through two processes at the same moment.
    let (lat, lon) = {
        let grid = devices[0].store.grid().unwrap();
        let c = grid.cells()[0].polygon.centroid().unwrap();
        (c.y(), c.x())
    };
    let mut registered = 0;
    let mut filed: Vec<String> = Vec::new();
    let mut to_register: Vec<uuid::Uuid> = Vec::new();
    for round in 0..ROUNDS {
        let mut next_cases = Vec::new();
        for (i, d) in devices.iter().enumerate() {
            for k in 0..REPORTS_PER_ROUND {
                let text = format!("device {i} round {round} report {k} 井盖缺失");
                next_cases.push(d.store.report(&draft(&d.store, &d.photos, &text)).unwrap());
            }
        }
        thread::scope(|s| {
            for d in devices.iter_mut() {
                s.spawn(|| d.sync());
            }
            let halves = to_register.chunks(to_register.len().div_ceil(2).max(1));
            let actions: Vec<_> = halves
                .zip(urls.iter().cycle())
                .map(|(cases, url)| {
                    let wang = &wang;
                    s.spawn(move || {
                        for case in cases {
                            let (status, body) = call(
                                Method::Post,
                                format!("{url}/v1/cases/{case}/actions"),
                                Some(wang),
                                "application/json",
                                br#"{"action":"register"}"#.to_vec(),
                            );
                            assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
                        }
                        cases.len()
                    })
                })
                .collect();
            let filings: Vec<_> = urls
                .iter()
                .take(2)
                .map(|url| {
                    let key = &key;
                    s.spawn(move || {
                        (0..FILINGS_PER_ROUND)
                            .map(|n| {
                                let form = form_urlencoded::Serializer::new(String::new())
                                    .extend_pairs([
                                        ("api_key", key.as_str()),
                                        ("service_code", "06010"),
                                        ("lat", &lat.to_string()),
                                        ("long", &lon.to_string()),
                                        ("description", &format!("路灯不亮 {url} {n}")),
                                    ])
                                    .finish();
                                let (status, body) = call(
                                    Method::Post,
                                    format!("{url}/open311/v2/requests.json"),
                                    None,
                                    "application/x-www-form-urlencoded",
                                    form.into_bytes(),
                                );
                                let body: serde_json::Value =
                                    serde_json::from_slice(&body).unwrap();
                                assert_eq!(status, 200, "{body}");
                                body[0]["service_request_id"].as_str().unwrap().to_string()
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            for a in actions {
                registered += a.join().unwrap();
            }
            for f in filings {
                filed.extend(f.join().unwrap());
            }
        });
        to_register = next_cases;
    }
    // Two more runs each: the last run pulls everything and brings nothing new.
    for _ in 0..2 {
        for d in devices.iter_mut() {
            d.sync();
        }
    }

    let reports = (DEVICES * ROUNDS * REPORTS_PER_ROUND) as i64;
    let total = reports + registered as i64 + filed.len() as i64;
    // Exactly once, stored: one row per event, and every chain (the phones', the
    // console's, the Open311 account's) runs 1..n without a gap or a fork.
    let [counts] = &query_ints(
        &db,
        "SELECT count(*), count(DISTINCT id), (SELECT count(*) FROM quarantine) FROM events",
    )[..] else {
        panic!()
    };
    assert_eq!(
        counts,
        &vec![total, total, 0],
        "events, distinct ids, quarantined"
    );
    for chain in query_ints(
        &db,
        "SELECT count(*), count(DISTINCT device_seq), min(device_seq), max(device_seq)
         FROM events GROUP BY device_id",
    ) {
        assert_eq!(chain[0], chain[1], "a chain place taken twice: {chain:?}");
        assert_eq!(
            (chain[2], chain[3]),
            (1, chain[0]),
            "a gap in a chain: {chain:?}"
        );
    }
    let [console] = &query_ints(
        &db,
        "SELECT count(*) FROM events WHERE device_id = 'console:wang'",
    )[..] else {
        panic!()
    };
    assert_eq!(console[0], registered as i64);
    // Open311 ids are unique and each names its own case.
    let unique: BTreeSet<&String> = filed.iter().collect();
    assert_eq!(unique.len(), filed.len(), "{filed:?}");
    // Exactly once, pulled; and cursors only grow.
    for (i, d) in devices.iter().enumerate() {
        assert_eq!(d.pushed, (ROUNDS * REPORTS_PER_ROUND) as u64, "device {i}");
        assert_eq!(
            d.pulled as i64,
            total - d.pushed as i64,
            "device {i} pulled every other event once"
        );
        assert!(
            d.cursors.windows(2).all(|w| w[0] <= w[1]),
            "device {i}: {:?}",
            d.cursors
        );
        let status = sync::status(&d.store).unwrap();
        assert_eq!((status.pending_events, status.pending_photos), (0, 0));
        assert!(d.store.verify_log().unwrap().is_intact());
    }
    // Every process serves every photo, whichever process took its upload.
    let shas: Vec<String> = std::fs::read_dir(blobs.path())
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.len() == 64)
        .collect();
    assert_eq!(shas.len(), reports as usize);
    for url in &urls {
        for sha in &shas {
            let (status, _) = call(
                Method::Get,
                format!("{url}/v1/blobs/{sha}"),
                Some(&wang),
                "application/octet-stream",
                Vec::new(),
            );
            assert_eq!(status, 200, "{url} {sha}");
        }
    }
    drop(servers);
}

/// The next event of a raw chain: a report in the first cell of the sample grid.
fn raw_report(
    device: &str,
    user: &str,
    seq: u64,
    prev: &str,
    cell: &str,
    (lat, lon): (f64, f64),
) -> gridwork_core::model::Event {
    use gridwork_core::model::{Actor, Event, IncidentEvent, Report, Stream};
    let report = IncidentEvent::Reported(Report {
        category: "06010".into(),
        lat,
        lon,
        accuracy_m: Some(5.0),
        description: format!("{user} 第 {seq} 号：垃圾桶满溢 overflowing bin"),
        address: None,
        urgency: Default::default(),
        photos: vec![],
        cell: Some(cell.into()),
        patrol: None,
    });
    Event {
        id: uuid::Uuid::now_v7(),
        stream: Stream::Incident(uuid::Uuid::now_v7()),
        kind: report.kind().into(),
        hlc: gridwork_core::clock::Hlc::new(1_767_000_000_000 + seq as i64 * 1000, 0),
        device_id: device.into(),
        actor: Actor::new(user, Role::Worker),
        device_seq: seq,
        prev_hash: prev.into(),
        payload: report.payload(),
        server_seq: None,
        signature: None,
    }
}

/// Throughput of single-event pushes with 1, 2 and 4 `gridwork serve` processes on
/// one PostgreSQL, 16 clients spread over them (docs/benchmarks.md, "Several
/// processes"). A bounded load run, not a test of speed: run it with
/// `GRIDWORK_TEST_PG=… cargo test --profile bench-fast -p gridwork-cli --test multiproc -- --ignored --nocapture`;
/// `GRIDWORK_BENCH_BIN=path/to/gridwork` measures another build of the server (a
/// release binary built once) instead of the test's own.
#[test]
#[ignore = "a load run for docs/benchmarks.md; see its doc comment"]
fn throughput_with_one_two_and_four_processes() {
    const CLIENTS: usize = 16;
    const PUSHES: usize = 150;
    let Some(url) = pg_url() else { return };
    for processes in [1usize, 2, 4] {
        let db = fresh_schema(&url, &format!("gw_bench_multiproc_{processes}"));
        let blobs = tempfile::tempdir().unwrap();
        admin(&db, &["import-catalog", &data("kcity-catalog.json")]);
        admin(&db, &["import-grid", &data("kcity-grid.geojson")]);
        let store_dir = tempfile::tempdir().unwrap();
        let grid_store = Store::open(store_dir.path().join("s")).unwrap();
        grid_store.init_with_device("x", Role::Worker, "x").unwrap();
        grid_store
            .import_grid(&std::fs::read_to_string(data("kcity-grid.geojson")).unwrap())
            .unwrap();
        let grid = grid_store.grid().unwrap();
        let cell = grid.cells()[0].code.as_str().to_string();
        let c = grid.cells()[0].polygon.centroid().unwrap();
        let at = (c.y(), c.x());
        let tokens: Vec<String> = (0..CLIENTS)
            .map(|i| {
                let user = format!("w{i}");
                admin(
                    &db,
                    &["add-user", &user, "--role", "worker", "--scope", "3205"],
                );
                admin(
                    &db,
                    &["issue-token", &user, "--device", &format!("bench-{i}")],
                )
            })
            .collect();
        let bin = std::env::var("GRIDWORK_BENCH_BIN")
            .unwrap_or_else(|_| env!("CARGO_BIN_EXE_gridwork").to_string());
        let servers: Vec<Serve> = (0..processes)
            .map(|_| serve_with(&bin, &db, blobs.path()))
            .collect();
        let started = std::time::Instant::now();
        let mut latencies: Vec<std::time::Duration> = thread::scope(|s| {
            let handles: Vec<_> = tokens
                .iter()
                .enumerate()
                .map(|(i, token)| {
                    let base = servers[i % processes].url.clone();
                    let cell = &cell;
                    s.spawn(move || {
                        let t = http();
                        let (device, user) = (format!("bench-{i}"), format!("w{i}"));
                        let mut prev = gridwork_core::model::GENESIS_HASH.to_string();
                        let mut took = Vec::with_capacity(PUSHES);
                        for seq in 1..=PUSHES as u64 {
                            let e = raw_report(&device, &user, seq, &prev, cell, at);
                            prev = e.hash();
                            let body =
                                serde_json::to_vec(&sync::wire::PushRequest { events: vec![e] })
                                    .unwrap();
                            let one = std::time::Instant::now();
                            let res = t
                                .send(&HttpRequest {
                                    method: Method::Post,
                                    url: format!("{base}/v1/events"),
                                    headers: vec![
                                        ("Content-Type".into(), "application/json".into()),
                                        ("Gridwork-Protocol".into(), "1".into()),
                                        ("Authorization".into(), format!("Bearer {token}")),
                                    ],
                                    body,
                                })
                                .unwrap();
                            took.push(one.elapsed());
                            assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
                            let text = String::from_utf8_lossy(&res.body);
                            assert!(text.contains("accepted"), "{text}");
                        }
                        took
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap())
                .collect()
        });
        let wall = started.elapsed();
        let n = CLIENTS * PUSHES;
        let [counts] = &query_ints(&db, "SELECT count(*) FROM events")[..] else {
            panic!()
        };
        assert_eq!(counts[0], n as i64, "every push stored once");
        latencies.sort();
        let pct = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(n - 1)];
        println!(
            "processes={processes} clients={CLIENTS} pushes={n} wall={:.2}s pushes/s={:.0} p50={:.1}ms p99={:.1}ms",
            wall.as_secs_f64(),
            n as f64 / wall.as_secs_f64(),
            pct(0.50).as_secs_f64() * 1e3,
            pct(0.99).as_secs_f64() * 1e3,
        );
        drop(servers);
    }
}
