//! Bytes on the wire per event, and the time to pack and unpack them: today's JSON (as
//! sent, and gzipped as the transports and the reference server do) against the packed
//! form (core/src/sync/packed.rs) for realistic signed reports and an 8-hour patrol.
//!
//! Measure: `cargo bench -p gridwork-core --features testing --bench wire --profile bench-fast`
//! Train the shipped dictionary (then commit it; its id changes):
//! `cargo bench -p gridwork-core --features testing --bench wire --profile bench-fast -- train core/src/sync/packed.dict`
#![allow(missing_docs, clippy::unwrap_used, clippy::print_stdout)]

use flate2::{write::GzEncoder, Compression};
use gridwork_core::{
    model::Event,
    sync::{
        packed,
        wire::{PullResponse, PushRequest},
    },
};
use std::{io::Write, time::Instant};

mod common;
use common::{append_day, realistic::signed_reports, store};

/// The training seed; every measured seed differs from it.
const TRAIN_SEED: u64 = 1;

fn gzip(body: &[u8], level: Compression) -> usize {
    let mut enc = GzEncoder::new(Vec::new(), level);
    enc.write_all(body).unwrap();
    enc.finish().unwrap().len()
}

fn zstd_plain(body: &[u8]) -> usize {
    zstd::bulk::compress(body, 9).unwrap().len()
}

fn page(events: &[Event]) -> PullResponse {
    PullResponse {
        next_after: events.last().and_then(|e| e.server_seq).unwrap_or(0),
        events: events.to_vec(),
        more: true,
    }
}

/// The events of one 8-hour patrol as a pull page delivers them.
fn patrol_day() -> Vec<Event> {
    let dir = tempfile::tempdir().unwrap();
    let (s, _) = append_day(store(dir.path()));
    let mut events: Vec<Event> = s
        .all_events()
        .unwrap()
        .into_iter()
        .filter(|e| e.kind.starts_with("patrol."))
        .collect();
    for (i, e) in events.iter_mut().enumerate() {
        e.server_seq = Some(i as i64 + 1);
    }
    events
}

/// The samples: each event of a realistic mix alone, as it sits in a packed body (its
/// chained `prev_hash` left out).
fn train(path: &str) {
    let mut samples: Vec<Vec<u8>> = Vec::new();
    let mut add = |events: &[Event]| {
        for e in events {
            let mut v = serde_json::to_value(e).unwrap();
            v.as_object_mut().unwrap().remove("prev_hash");
            samples.push(serde_json::to_vec(&v).unwrap());
        }
    };
    add(&signed_reports(TRAIN_SEED, 40, 6000));
    let patrol = patrol_day();
    for _ in 0..4 {
        add(&patrol);
    }
    let dict = zstd::dict::from_samples(&samples, 32 * 1024).unwrap();
    std::fs::write(path, &dict).unwrap();
    println!(
        "wrote {} bytes to {path} from {} samples",
        dict.len(),
        samples.len()
    );
}

struct Row {
    what: &'static str,
    events: usize,
    per: f64,
    json: usize,
    gzip: usize,
    zstd: usize,
    packed: usize,
}

fn measure(what: &'static str, per: f64, body: &[u8], packed_len: usize, events: usize) -> Row {
    Row {
        what,
        events,
        per,
        json: body.len(),
        gzip: gzip(body, Compression::default()),
        zstd: zstd_plain(body),
        packed: packed_len,
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "train") {
        train(args.get(i + 1).map(String::as_str).unwrap_or("packed.dict"));
        return;
    }
    println!(
        "dictionary {} ({} bytes)",
        packed::dictionary_id(),
        packed::DICTIONARY.len()
    );
    let reports = signed_reports(2, 50, 10_000);
    let mut unsigned = reports.clone();
    for e in &mut unsigned {
        e.signature = None;
    }
    let mut rows = Vec::new();
    for (what, events, n) in [
        ("reports, initial pull (pages of 1000)", &reports, 1000),
        ("reports, incremental pull (a page of 100)", &reports, 100),
        ("reports unsigned, pages of 1000", &unsigned, 1000),
    ] {
        let chunk = &events[..n];
        let p = page(chunk);
        let body = serde_json::to_vec(&p).unwrap();
        let packed = packed::pack_pull(&p).unwrap();
        assert_eq!(packed::unpack_pull(&packed, 1 << 30).unwrap(), p);
        rows.push(measure(what, n as f64, &body, packed.len(), n));
    }
    let push = PushRequest {
        events: reports[..500]
            .iter()
            .cloned()
            .map(|mut e| {
                e.server_seq = None;
                e
            })
            .collect(),
    };
    let body = serde_json::to_vec(&push).unwrap();
    let packed = packed::pack_push(&push).unwrap();
    assert_eq!(packed::unpack_push(&packed, 1 << 30).unwrap(), push);
    let mut row = measure("reports, a push of 500", 500.0, &body, packed.len(), 500);
    row.gzip = gzip(&body, Compression::fast());
    rows.push(row);

    let patrol = patrol_day();
    let p = page(&patrol);
    let body = serde_json::to_vec(&p).unwrap();
    let packed_page = packed::pack_pull(&p).unwrap();
    assert_eq!(packed::unpack_pull(&packed_page, 1 << 30).unwrap(), p);
    rows.push(measure(
        "one patrol, per hour (8 h, 5-minute track windows)",
        8.0,
        &body,
        packed_page.len(),
        patrol.len(),
    ));

    println!(
        "| bytes per unit on the wire | events | JSON | gzip | zstd (no dictionary) | packed |"
    );
    println!("|---|---|---|---|---|---|");
    for r in &rows {
        let f = |b: usize| format!("{:.0}", b as f64 / r.per);
        println!(
            "| {} | {} | {} | {} | {} | **{}** |",
            r.what,
            r.events,
            f(r.json),
            f(r.gzip),
            f(r.zstd),
            f(r.packed)
        );
    }

    // Time per event to make and read a page of 1000, JSON against packed.
    let p = page(&reports[..1000]);
    let json = serde_json::to_vec(&p).unwrap();
    let packed = packed::pack_pull(&p).unwrap();
    let rounds = 20;
    let time = |f: &dyn Fn()| {
        let t = Instant::now();
        for _ in 0..rounds {
            f();
        }
        t.elapsed().as_secs_f64() * 1e6 / (rounds as f64 * 1000.0)
    };
    let enc_json = time(&|| {
        std::hint::black_box(serde_json::to_vec(&p).unwrap());
    });
    let enc_packed = time(&|| {
        std::hint::black_box(packed::pack_pull(&p).unwrap());
    });
    let dec_json = time(&|| {
        std::hint::black_box(serde_json::from_slice::<PullResponse>(&json).unwrap());
    });
    let dec_packed = time(&|| {
        std::hint::black_box(packed::unpack_pull(&packed, 1 << 30).unwrap());
    });
    println!();
    println!("| µs per event, page of 1000 | JSON | packed | ratio |");
    println!("|---|---|---|---|");
    println!(
        "| encode (server: pull page) | {enc_json:.2} | {enc_packed:.2} | {:.2}× |",
        enc_packed / enc_json
    );
    println!(
        "| decode (device: pull page) | {dec_json:.2} | {dec_packed:.2} | {:.2}× |",
        dec_packed / dec_json
    );
}
