//! The peers: Automerge and Yrs syncing the same generated reports between two
//! in-memory documents with their own sync protocols (no disk, no network: the bytes
//! "on the wire" are the encoded sync messages).
//!
//! Each report is a map of its fields (category, position, cell, description, address,
//! urgency, reporter, time and the photos' hashes as a list), committed as its own change
//! (Automerge) or transaction (Yrs), as each gridwork report is its own event.

use crate::{data::City, procs};
use automerge::{
    sync::{Message, State, SyncDoc},
    transaction::Transactable,
    AutoCommit, ObjType, ReadDoc, ScalarValue, Value as AmValue, ROOT,
};
use serde_json::{json, Value};
use std::time::Instant;
use yrs::{
    updates::{decoder::Decode, encoder::Encode},
    Any, Doc, Map, MapPrelim, ReadTxn, StateVector, Transact, Update,
};

fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

struct Meter {
    start: Instant,
    cpu: std::time::Duration,
}

impl Meter {
    fn start() -> Meter {
        reset_peak();
        Meter {
            start: Instant::now(),
            cpu: procs::cpu("self"),
        }
    }
    fn stop(self, bytes: (u64, u64), messages: u64, delivered: u64) -> Value {
        json!({
            "wall_ms": self.start.elapsed().as_secs_f64() * 1e3,
            "cpu_ms": (procs::cpu("self") - self.cpu).as_secs_f64() * 1e3,
            "up": bytes.0,
            "down": bytes.1,
            "messages": messages,
            "delivered": delivered,
            "peak_kb": procs::peak_rss_kb("self"),
        })
    }
}

fn am_add(doc: &mut AutoCommit, records: &[crate::data::Record]) {
    let incidents = match doc.get(ROOT, "incidents").expect("read") {
        Some((AmValue::Object(ObjType::Map), id)) => id,
        _ => doc
            .put_object(ROOT, "incidents", ObjType::Map)
            .expect("incidents map"),
    };
    doc.commit();
    for r in records {
        let obj = doc
            .put_object(&incidents, r.id.to_string(), ObjType::Map)
            .expect("put");
        let put = |doc: &mut AutoCommit, k: &str, v: ScalarValue| {
            doc.put(&obj, k, v).expect("put");
        };
        put(doc, "category", r.category.into());
        put(doc, "lat", r.lat.into());
        put(doc, "lon", r.lon.into());
        put(doc, "cell", r.cell.as_str().into());
        put(doc, "description", r.description.as_str().into());
        put(doc, "address", r.address.as_str().into());
        put(doc, "urgent", r.urgent.into());
        put(doc, "reporter", format!("w{:02}", r.worker).into());
        put(doc, "time_ms", r.time_ms.into());
        let photos = doc
            .put_object(&obj, "photos", ObjType::List)
            .expect("photos");
        for (i, (sha, size)) in r.photos.iter().enumerate() {
            doc.insert(&photos, i, format!("{sha}:{size}"))
                .expect("photo");
        }
        doc.commit();
    }
}

fn am_count(doc: &AutoCommit) -> u64 {
    match doc.get(ROOT, "incidents").expect("read") {
        Some((_, id)) => doc.length(&id) as u64,
        None => 0,
    }
}

/// Sends sync messages both ways until neither side has one.
fn am_sync(
    a: &mut AutoCommit,
    sa: &mut State,
    b: &mut AutoCommit,
    sb: &mut State,
) -> ((u64, u64), u64) {
    let (mut up, mut down, mut messages) = (0u64, 0u64, 0u64);
    loop {
        let mut quiet = true;
        if let Some(m) = b.sync().generate_sync_message(sb) {
            let bytes = m.encode();
            up += bytes.len() as u64;
            messages += 1;
            a.sync()
                .receive_sync_message(sa, Message::decode(&bytes).expect("decode"))
                .expect("receive");
            quiet = false;
        }
        if let Some(m) = a.sync().generate_sync_message(sa) {
            let bytes = m.encode();
            down += bytes.len() as u64;
            messages += 1;
            b.sync()
                .receive_sync_message(sb, Message::decode(&bytes).expect("decode"))
                .expect("receive");
            quiet = false;
        }
        if quiet {
            return ((up, down), messages);
        }
    }
}

/// Automerge: document A (the "server") holds `n` reports, B (the "device") is empty;
/// B syncs, then A gets `m` more and B syncs again.
pub fn automerge(n: usize, m: usize) -> Value {
    let mut city = City::new();
    let (first, more) = (city.records(n, 10), city.records(m, 10));
    let mut a = AutoCommit::new();
    am_add(&mut a, &first);
    let mut b = AutoCommit::new();
    let (mut sa, mut sb) = (State::new(), State::new());
    let meter = Meter::start();
    let (bytes, messages) = am_sync(&mut a, &mut sa, &mut b, &mut sb);
    let initial = meter.stop(bytes, messages, am_count(&b));
    am_add(&mut a, &more);
    let meter = Meter::start();
    let (bytes, messages) = am_sync(&mut a, &mut sa, &mut b, &mut sb);
    let incremental = meter.stop(bytes, messages, am_count(&b));
    json!({"n": n, "m": m, "initial": initial, "incremental": incremental})
}

fn y_add(doc: &Doc, records: &[crate::data::Record]) {
    let incidents = doc.get_or_insert_map("incidents");
    for r in records {
        let mut txn = doc.transact_mut();
        let photos: Vec<Any> = r
            .photos
            .iter()
            .map(|(sha, size)| Any::from(format!("{sha}:{size}")))
            .collect();
        let fields: Vec<(&str, Any)> = vec![
            ("category", Any::from(r.category)),
            ("lat", Any::from(r.lat)),
            ("lon", Any::from(r.lon)),
            ("cell", Any::from(r.cell.as_str())),
            ("description", Any::from(r.description.as_str())),
            ("address", Any::from(r.address.as_str())),
            ("urgent", Any::from(r.urgent)),
            ("reporter", Any::from(format!("w{:02}", r.worker))),
            ("time_ms", Any::from(r.time_ms as f64)),
            ("photos", Any::Array(photos.into())),
        ];
        incidents.insert(&mut txn, r.id.to_string(), MapPrelim::from_iter(fields));
    }
}

fn y_count(doc: &Doc) -> u64 {
    let incidents = doc.get_or_insert_map("incidents");
    u64::from(incidents.len(&doc.transact()))
}

/// y-sync's two steps both ways: each side sends its state vector (SyncStep1) and
/// answers the other's with the update it lacks (SyncStep2).
fn y_sync(a: &Doc, b: &Doc) -> ((u64, u64), u64) {
    use yrs::sync::{Message as YMessage, SyncMessage};
    let (mut up, mut down) = (0u64, 0u64);
    // B → A: B's state vector; A → B: what B lacks.
    let step1 = YMessage::Sync(SyncMessage::SyncStep1(b.transact().state_vector())).encode_v1();
    up += step1.len() as u64;
    let sv_b = match YMessage::decode_v1(&step1).expect("decode") {
        YMessage::Sync(SyncMessage::SyncStep1(sv)) => sv,
        _ => StateVector::default(),
    };
    let step2 = YMessage::Sync(SyncMessage::SyncStep2(
        a.transact().encode_state_as_update_v1(&sv_b),
    ))
    .encode_v1();
    down += step2.len() as u64;
    if let YMessage::Sync(SyncMessage::SyncStep2(update)) =
        YMessage::decode_v1(&step2).expect("decode")
    {
        b.transact_mut()
            .apply_update(Update::decode_v1(&update).expect("update"))
            .expect("apply");
    }
    // A → B and back: A's state vector, B's (empty) answer.
    let step1 = YMessage::Sync(SyncMessage::SyncStep1(a.transact().state_vector())).encode_v1();
    down += step1.len() as u64;
    let sv_a = match YMessage::decode_v1(&step1).expect("decode") {
        YMessage::Sync(SyncMessage::SyncStep1(sv)) => sv,
        _ => StateVector::default(),
    };
    let step2 = YMessage::Sync(SyncMessage::SyncStep2(
        b.transact().encode_state_as_update_v1(&sv_a),
    ))
    .encode_v1();
    up += step2.len() as u64;
    if let YMessage::Sync(SyncMessage::SyncStep2(update)) =
        YMessage::decode_v1(&step2).expect("decode")
    {
        a.transact_mut()
            .apply_update(Update::decode_v1(&update).expect("update"))
            .expect("apply");
    }
    ((up, down), 4)
}

/// Yrs: as [`automerge`], with y-sync's protocol messages.
pub fn yrs(n: usize, m: usize) -> Value {
    let mut city = City::new();
    let (first, more) = (city.records(n, 10), city.records(m, 10));
    let a = Doc::new();
    y_add(&a, &first);
    let b = Doc::new();
    let meter = Meter::start();
    let (bytes, messages) = y_sync(&a, &b);
    let initial = meter.stop(bytes, messages, y_count(&b));
    y_add(&a, &more);
    let meter = Meter::start();
    let (bytes, messages) = y_sync(&a, &b);
    let incremental = meter.stop(bytes, messages, y_count(&b));
    json!({"n": n, "m": m, "initial": initial, "incremental": incremental})
}
