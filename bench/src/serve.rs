//! `gridwork-bench serve DIR`: the reference server (gridwork-server's router over its
//! SQLite storage, `synchronous=FULL`: an acknowledged push is on disk) on loopback,
//! with a byte-counting TCP proxy in front of it, in a process of its own so that its
//! CPU and memory are its own. Driven by one JSON command per stdin line; each answer
//! is one JSON line on stdout.
//!
//! Seeding goes through `Storage::push` directly (the server's own judge, log and case
//! view, without HTTP), outside every timed part.

use crate::{
    data::{worker, Chain, City, CATALOG, GRID},
    patrol::{append_day, set_up},
};
use gridwork_core::{
    clock::Hlc,
    model::{Event, Role, Stream},
    sync::wire::PushOutcome,
    Store,
};
use gridwork_server::{
    admin, blobs::BlobStore, storage::sqlite::SqliteStorage, AppState, Limits, Storage,
};
use serde_json::{json, Value};
use std::{
    collections::HashMap,
    io::{BufRead, Write},
    path::Path,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
};
use uuid::Uuid;

/// Workers with accounts on every server.
pub const WORKERS: usize = 50;

type Counter = Arc<AtomicU64>;

async fn pipe(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    count: Counter,
) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                count.fetch_add(n as u64, Ordering::Relaxed);
                if to.write_all(&buf[..n]).await.is_err() {
                    break;
                }
            }
        }
    }
    let _ = to.shutdown().await;
}

async fn proxy(listener: TcpListener, target: std::net::SocketAddr, up: Counter, down: Counter) {
    while let Ok((client, _)) = listener.accept().await {
        let Ok(server) = TcpStream::connect(target).await else {
            continue;
        };
        let _ = client.set_nodelay(true);
        let _ = server.set_nodelay(true);
        let (cr, cw) = client.into_split();
        let (sr, sw) = server.into_split();
        tokio::spawn(pipe(cr, sw, up.clone()));
        tokio::spawn(pipe(sr, cw, down.clone()));
    }
}

/// Everything the seeding commands keep between calls.
struct Seeder {
    storage: Arc<SqliteStorage>,
    city: City,
    chains: HashMap<usize, Chain>,
    accounts: Vec<gridwork_server::account::Account>,
}

impl Seeder {
    async fn push(&self, who: usize, events: Vec<Event>, out: &mut (u64, u64, Option<String>)) {
        for batch in events.chunks(1_000) {
            let results = self
                .storage
                .push(&self.accounts[who], batch.to_vec())
                .await
                .expect("seeding push");
            for r in results {
                match r {
                    PushOutcome::Accepted { .. } | PushOutcome::Duplicate { .. } => out.0 += 1,
                    PushOutcome::Rejected { reason } => {
                        out.1 += 1;
                        out.2.get_or_insert(reason);
                    }
                }
            }
        }
    }

    fn chain(&mut self, w: usize) -> &mut Chain {
        self.chains.entry(w).or_insert_with(|| {
            Chain::new(&format!("phone-{}", worker(w)), &worker(w), Role::Worker)
        })
    }

    /// The next `n` reports of the city by `workers` workers.
    async fn seed(&mut self, n: usize, workers: usize) -> Value {
        let mut by_worker: Vec<Vec<Event>> = vec![Vec::new(); workers];
        for r in self.city.records(n, workers) {
            let e = self.chain(r.worker).report(&r);
            by_worker[r.worker].push(e);
        }
        let mut out = (0, 0, None);
        for (w, events) in by_worker.into_iter().enumerate() {
            self.push(w, events, &mut out).await;
        }
        json!({"accepted": out.0, "rejected": out.1, "reason": out.2})
    }

    /// A day of `workers` workers: each reports `reports` cases and walks an 8-hour
    /// patrol at 1 Hz (the events a real store records for core/benches' walk, each
    /// worker's copy on its own chain and patrol stream).
    async fn day(&mut self, workers: usize, reports: usize, day: i64) -> Value {
        let dir = tempfile::tempdir().expect("temp dir");
        let (store, _) = append_day(
            set_up(
                Store::open(dir.path()).expect("store"),
                "tpl",
                Role::Worker,
                "tpl-phone",
            ),
            crate::data::T0 + day * 86_400_000,
        );
        let template: Vec<Event> = store
            .all_events()
            .expect("events")
            .into_iter()
            .filter(|e| matches!(e.stream, Stream::Patrol(_)))
            .collect();
        let mut out = (0, 0, None);
        let (mut n_reports, mut n_patrol) = (0, 0);
        for w in 0..workers {
            let records = self.city.records(reports, 1);
            let patrol = Stream::Patrol(Uuid::now_v7());
            let chain = self.chain(w);
            let mut events: Vec<Event> = template
                .iter()
                .map(|e| {
                    let hlc = Hlc::new(e.hlc.wall_ms + w as i64, e.hlc.counter);
                    chain.event(patrol, &e.kind, e.payload.clone(), hlc)
                })
                .collect();
            n_patrol += events.len();
            for r in &records {
                events.push(chain.report(r));
            }
            n_reports += records.len();
            self.push(w, events, &mut out).await;
        }
        json!({"accepted": out.0, "rejected": out.1, "reason": out.2,
               "reports": n_reports, "patrol_events": n_patrol})
    }
}

/// Runs the server child until its stdin closes or says `quit`.
pub fn serve(dir: &Path) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let (up, down): (Counter, Counter) = Default::default();
    let mut seeder = rt.block_on(async {
        let storage = Arc::new(
            SqliteStorage::open(&dir.join("server.db"))
                .await
                .expect("db"),
        );
        let s: &dyn Storage = storage.as_ref();
        admin::import_grid(s, GRID).await.expect("grid");
        admin::import_catalog(s, CATALOG).await.expect("catalogue");
        admin::add_user(s, "wang", Role::Supervisor, "*", None)
            .await
            .expect("user");
        let mut accounts = Vec::new();
        for w in 0..WORKERS {
            admin::add_user(s, &worker(w), Role::Worker, "*", None)
                .await
                .expect("user");
            accounts.push(s.account(&worker(w)).await.expect("db").expect("account"));
        }
        let blobs = BlobStore::open(&dir.join("blobs")).expect("blobs");
        let state = AppState::new(storage.clone(), Arc::new(blobs), Limits::default());
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(gridwork_server::serve_listener(
            listener,
            gridwork_server::router(state),
            Limits::default().header_read_timeout,
            std::future::pending(),
        ));
        let front = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let front_addr = front.local_addr().expect("addr");
        tokio::spawn(proxy(front, addr, up.clone(), down.clone()));
        answer(
            json!({"proxy": format!("http://{front_addr}"), "direct": format!("http://{addr}")}),
        );
        Seeder {
            storage,
            city: City::new(),
            chains: HashMap::new(),
            accounts,
        }
    });
    let mut days = 0;
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        let cmd: Value = serde_json::from_str(&line).unwrap_or(Value::Null);
        let n = |k: &str| cmd[k].as_u64().unwrap_or(0) as usize;
        let reply = match cmd["cmd"].as_str().unwrap_or("") {
            "token" => {
                let (user, device) = (
                    cmd["user"].as_str().unwrap_or("wang").to_string(),
                    cmd["device"].as_str().unwrap_or("").to_string(),
                );
                let token = rt.block_on(async {
                    admin::issue_token(seeder.storage.as_ref(), &user, &device)
                        .await
                        .expect("token")
                });
                json!({ "token": token })
            }
            "seed" => rt.block_on(seeder.seed(n("n"), n("workers").max(1))),
            "day" => {
                days += 1;
                rt.block_on(seeder.day(n("workers"), n("reports"), days))
            }
            "wire" => {
                json!({"up": up.load(Ordering::Relaxed), "down": down.load(Ordering::Relaxed)})
            }
            "quit" => break,
            other => json!({ "error": format!("unknown command {other:?}") }),
        };
        answer(reply);
    }
    rt.shutdown_timeout(std::time::Duration::from_secs(10));
}

fn answer(v: Value) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{v}");
    let _ = out.flush();
}
