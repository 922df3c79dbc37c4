//! The `wire` case (issue 12, point 2): bytes on the wire per report event and per
//! patrol hour, in the documented JSON form, gzipped (flate2 at its default level) and
//! in the negotiated packed form (`gridwork_core::sync::packed`), and the CPU per event
//! of packing and unpacking a pull page beside writing and reading its JSON.
//!
//! The data is the harness's city (src/data.rs) as the server holds it: the reports of
//! 50 workers' phones in the order they were reported (so the workers interleave), each
//! phone's events signed and hash-chained, `server_seq` set in that order. The pull
//! pages are the log's first `initial` events (a device's initial pull) and the
//! `incremental` after them; the push is one phone's `push` pending reports (a push
//! comes from one device, continuing its chain); the patrol is the events a real store
//! records for src/patrol.rs's walk (signed and chained by the store), as a pull page.

use crate::{
    data::{worker, Chain, City, T0},
    patrol::{append_hours, set_up},
    procs::thread_cpu,
};
use flate2::{write::GzEncoder, Compression};
use gridwork_core::{
    model::{Event, Role, Stream},
    sync::{
        packed,
        wire::{PullResponse, PushRequest},
    },
    Store,
};
use serde_json::{json, Value};
use std::{
    io::Write,
    time::{Duration, Instant},
};

/// Workers whose phones made the pulled reports.
const WORKERS: usize = 50;

/// The least time each timed figure is measured for.
const MIN_TIMED: Duration = Duration::from_millis(300);

/// The most a packed body may unpack to here (the figures' pages are far smaller).
const MAX: usize = 1 << 30;

fn gzip(body: &[u8]) -> usize {
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    enc.write_all(body).expect("gzip into memory");
    enc.finish().expect("gzip into memory").len()
}

fn page(events: &[Event], more: bool) -> PullResponse {
    PullResponse {
        next_after: events.last().and_then(|e| e.server_seq).unwrap_or(0),
        events: events.to_vec(),
        more,
    }
}

/// The sizes of one body in each form, and whether its packed form came back the same.
fn sizes(json: &[u8], packed: &[u8], events: usize, back: Result<usize, String>) -> Value {
    json!({
        "events": events,
        "json": json.len(),
        "gzip": gzip(json),
        "packed": packed.len(),
        "round_trip": back.as_ref().is_ok_and(|n| *n == events),
        "unpacked_events": back.as_ref().ok(),
        "error": back.err(),
    })
}

/// A pull page's sizes; its packed form must unpack to the same page.
fn pull_sizes(p: &PullResponse) -> Value {
    let json = serde_json::to_vec(p).expect("a page serialises");
    let packed = packed::pack_pull(p).expect("a page packs");
    let back = match packed::unpack_pull(&packed, MAX) {
        Ok(q) if q == *p => Ok(q.events.len()),
        Ok(q) => Err(format!(
            "unpacked to another page ({} events)",
            q.events.len()
        )),
        Err(e) => Err(e.to_string()),
    };
    sizes(&json, &packed, p.events.len(), back)
}

/// A push body's sizes; its packed form must unpack to the same body.
fn push_sizes(p: &PushRequest) -> Value {
    let json = serde_json::to_vec(p).expect("a push serialises");
    let packed = packed::pack_push(p).expect("a push packs");
    let back = match packed::unpack_push(&packed, MAX) {
        Ok(q) if q == *p => Ok(q.events.len()),
        Ok(q) => Err(format!(
            "unpacked to another push ({} events)",
            q.events.len()
        )),
        Err(e) => Err(e.to_string()),
    };
    sizes(&json, &packed, p.events.len(), back)
}

/// The calling thread's CPU and the wall time of calls of `f`, in µs per event of a page
/// of `events`, over at least `rounds` calls lasting at least [`MIN_TIMED`] (the thread's
/// CPU clock in /proc moves in scheduler ticks), and the calls made.
fn per_event(rounds: usize, events: usize, f: &dyn Fn()) -> (f64, f64, usize) {
    f(); // warm: the dictionaries are prepared on first use
    let (cpu0, wall0) = (thread_cpu(), Instant::now());
    let mut calls = 0;
    while calls < rounds || wall0.elapsed() < MIN_TIMED {
        f();
        calls += 1;
    }
    let per = |d: Duration| d.as_secs_f64() * 1e6 / (calls * events).max(1) as f64;
    (per(thread_cpu() - cpu0), per(wall0.elapsed()), calls)
}

/// The events of a `hours`-hour patrol as a real store records them, `server_seq` set.
fn patrol(hours: usize) -> Vec<Event> {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = set_up(
        Store::open(dir.path().join("phone")).expect("store"),
        &worker(3),
        Role::Worker,
        "phone-w03",
    );
    let (store, _) = append_hours(store, T0, hours);
    let mut events: Vec<Event> = store
        .all_events()
        .expect("events")
        .into_iter()
        .filter(|e| matches!(e.stream, Stream::Patrol(_)))
        .collect();
    for (i, e) in events.iter_mut().enumerate() {
        e.server_seq = Some(i as i64 + 1);
    }
    events
}

/// The case: pull pages of `initial` and `incremental` report events, a push of `push`,
/// a `hours`-hour patrol; pack and unpack timed over at least `rounds` rounds of the
/// initial page. Every packed body must unpack to the same events (else `error` is set).
pub fn wire(initial: usize, incremental: usize, push: usize, hours: usize, rounds: usize) -> Value {
    let mut city = City::new();
    let mut chains: Vec<Chain> = (0..WORKERS)
        .map(|w| {
            let user = worker(w);
            Chain::signed(
                &format!("phone-{user}"),
                &user,
                Role::Worker,
                100 + w as u64,
            )
        })
        .collect();
    let log: Vec<Event> = city
        .records(initial + incremental, WORKERS)
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let mut e = chains[r.worker].report(r);
            e.server_seq = Some(i as i64 + 1);
            e
        })
        .collect();
    let pages = [
        ("initial", page(&log[..initial], incremental > 0)),
        ("incremental", page(&log[initial..], false)),
    ];
    // One phone's outbox: worker 0's next reports, continuing its chain.
    let outbox = PushRequest {
        events: city
            .records(push, 1)
            .iter()
            .map(|r| chains[0].report(r))
            .collect(),
    };
    let started = Instant::now();
    let track = patrol(hours.max(1));
    let patrol_ms = started.elapsed().as_secs_f64() * 1e3;

    let mut out = json!({
        "dictionary": packed::dictionary_id(),
        "workers": WORKERS,
        "push": push_sizes(&outbox),
        "patrol": pull_sizes(&page(&track, false)),
        "patrol_hours": hours.max(1),
        "patrol_record_ms": patrol_ms,
    });
    for (name, p) in &pages {
        out[*name] = pull_sizes(p);
    }

    // CPU per event of a page of `initial`: the server writes it, the device reads it.
    let p = &pages[0].1;
    let json = serde_json::to_vec(p).expect("a page serialises");
    let packed_page = packed::pack_pull(p).expect("a page packs");
    let rounds = rounds.max(1);
    let n = p.events.len();
    let timings = [
        (
            "json_write",
            per_event(rounds, n, &|| {
                std::hint::black_box(serde_json::to_vec(p).expect("serialises"));
            }),
        ),
        (
            "pack",
            per_event(rounds, n, &|| {
                std::hint::black_box(packed::pack_pull(p).expect("packs"));
            }),
        ),
        (
            "json_read",
            per_event(rounds, n, &|| {
                std::hint::black_box(
                    serde_json::from_slice::<PullResponse>(&json).expect("parses"),
                );
            }),
        ),
        (
            "unpack",
            per_event(rounds, n, &|| {
                std::hint::black_box(packed::unpack_pull(&packed_page, MAX).expect("unpacks"));
            }),
        ),
    ];
    let mut cpu = json!({ "events": n, "rounds": rounds });
    for (name, (c, w, calls)) in timings {
        cpu[format!("{name}_cpu_us")] = json!(c);
        cpu[format!("{name}_wall_us")] = json!(w);
        cpu[format!("{name}_calls")] = json!(calls);
    }
    out["cpu"] = cpu;

    let failed: Vec<String> = ["initial", "incremental", "push", "patrol"]
        .iter()
        .filter(|k| out[**k]["round_trip"] != true)
        .map(|k| format!("{k}: {}", out[*k]["error"]))
        .collect();
    out["round_trip"] = json!(failed.is_empty());
    out["error"] = if failed.is_empty() {
        Value::Null
    } else {
        json!(format!(
            "packed bodies that do not round-trip: {}",
            failed.join("; ")
        ))
    };
    out
}
