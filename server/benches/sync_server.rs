//! Sync server benchmarks (issue 4), each beside a baseline measured in the same run so
//! the figures in docs/benchmarks.md are ratios:
//! - pushes per second from 50 concurrent devices on loopback, SQLite backend, one
//!   event per push, against the same load on a plain axum handler that parses the
//!   body and answers a fixed result without storage;
//! - bytes on the wire per event in a push body, plain and gzip (printed once).
#![allow(missing_docs, clippy::unwrap_used)]

use axum::{routing::post, Router};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use gridwork_core::{
    clock::Hlc,
    model::{Actor, Event, IncidentEvent, Report, Role, Stream, Urgency, GENESIS_HASH},
};
use gridwork_server::{admin, storage::sqlite::SqliteStorage, AppState, Limits};
use std::{io::Write, sync::Arc, time::Instant};
use tokio::sync::Mutex;
use uuid::Uuid;

const DEVICES: usize = 50;

struct Device {
    id: String,
    seq: u64,
    prev: String,
}

impl Device {
    fn report(&mut self) -> Event {
        self.seq += 1;
        let ev = IncidentEvent::Reported(Report {
            category: "06010".into(),
            lat: 31.30 + self.seq as f64 * 1e-5,
            lon: 120.60,
            accuracy_m: Some(5.0),
            description: format!("exposed rubbish near the bridge, heap #{}", self.seq),
            address: Some("Pingjiang Rd".into()),
            urgency: Urgency::Normal,
            photos: vec![],
            cell: Some("32050800101".into()),
            patrol: None,
        });
        let e = Event {
            id: Uuid::now_v7(),
            stream: Stream::Incident(Uuid::now_v7()),
            kind: ev.kind().into(),
            hlc: Hlc::new(1_767_000_000_000 + self.seq as i64, 0),
            device_id: self.id.clone(),
            actor: Actor::new("wang", Role::Supervisor),
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

async fn spawn(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let timeout = Limits::default().header_read_timeout;
    tokio::spawn(gridwork_server::serve_listener(
        listener,
        app,
        timeout,
        std::future::pending(),
    ));
    format!("http://{addr}/v1/events")
}

/// `iters` rounds of one push from each of the 50 devices at once.
async fn load(
    url: &str,
    tokens: &[String],
    devices: &[Arc<Mutex<Device>>],
    iters: u64,
) -> std::time::Duration {
    // The server's reqwest has rustls without a provider of its own: ring, as the server.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::new();
    let start = Instant::now();
    let tasks: Vec<_> = devices
        .iter()
        .zip(tokens)
        .map(|(d, token)| {
            let (client, url, token, d) =
                (client.clone(), url.to_string(), token.clone(), d.clone());
            tokio::spawn(async move {
                for _ in 0..iters {
                    let event = d.lock().await.report();
                    let res = client
                        .post(&url)
                        .bearer_auth(&token)
                        .json(&serde_json::json!({ "events": [event] }))
                        .send()
                        .await
                        .unwrap();
                    assert!(res.status().is_success());
                    let _ = res.bytes().await.unwrap();
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    start.elapsed()
}

fn wire_bytes() {
    let mut d = Device {
        id: "p".into(),
        seq: 0,
        prev: GENESIS_HASH.into(),
    };
    let events: Vec<Event> = (0..100).map(|_| d.report()).collect();
    let body = serde_json::to_vec(&serde_json::json!({ "events": events })).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&body).unwrap();
    let gz = gz.finish().unwrap();
    eprintln!(
        "wire bytes per event (push of 100 reports): plain {} B, gzip {} B (ratio {:.2})",
        body.len() / 100,
        gz.len() / 100,
        gz.len() as f64 / body.len() as f64
    );
}

fn push_throughput(c: &mut Criterion) {
    wire_bytes();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (server_url, baseline_url, tokens) = rt.block_on(async {
        let storage = Arc::new(SqliteStorage::open(&dir.path().join("server.db")).await.unwrap());
        admin::add_user(storage.as_ref(), "wang", Role::Supervisor, "*", None).await.unwrap();
        // A token speaks for one device only: one per device.
        let mut tokens = Vec::new();
        for i in 0..DEVICES {
            let device = format!("desk-{i}");
            tokens.push(admin::issue_token(storage.as_ref(), "wang", &device).await.unwrap());
        }
        let blobs = gridwork_server::blobs::BlobStore::open(&dir.path().join("blobs")).unwrap();
        let state = AppState::new(storage, Arc::new(blobs), Limits::default());
        let server = spawn(gridwork_server::router(state)).await;
        let echo = Router::new().route(
            "/v1/events",
            post(|body: axum::body::Bytes| async move {
                let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
                let id = v["events"][0]["id"].clone();
                axum::Json(serde_json::json!({"results": [{"id": id, "status": "accepted", "server_seq": 1}]}))
            }),
        );
        (server, spawn(echo).await, tokens)
    });
    let devices: Vec<_> = (0..DEVICES)
        .map(|i| {
            Arc::new(Mutex::new(Device {
                id: format!("desk-{i}"),
                seq: 0,
                prev: GENESIS_HASH.into(),
            }))
        })
        .collect();
    let baseline_devices: Vec<_> = (0..DEVICES)
        .map(|i| {
            Arc::new(Mutex::new(Device {
                id: format!("echo-{i}"),
                seq: 0,
                prev: GENESIS_HASH.into(),
            }))
        })
        .collect();
    let mut group = c.benchmark_group("sync_server_push_50_devices");
    group.sample_size(10);
    group.throughput(Throughput::Elements(DEVICES as u64));
    group.bench_function("gridwork_server_sqlite", |b| {
        b.to_async(&rt).iter_custom(|iters| {
            let (url, tokens, devices) = (server_url.clone(), tokens.clone(), devices.clone());
            async move { load(&url, &tokens, &devices, iters).await }
        })
    });
    group.bench_function("baseline_axum_echo", |b| {
        b.to_async(&rt).iter_custom(|iters| {
            let (url, tokens, devices) = (
                baseline_url.clone(),
                tokens.clone(),
                baseline_devices.clone(),
            );
            async move { load(&url, &tokens, &devices, iters).await }
        })
    });
    group.finish();
}

criterion_group!(benches, push_throughput);
criterion_main!(benches);
