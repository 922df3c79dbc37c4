//! Signed events: the device's Ed25519 signature over each event's hash catches what
//! the hash chain alone cannot — the whole chain rewritten and re-hashed in the file
//! (with the recorded chain head to match) — and lets another device carry a phone's
//! events without being able to change them.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use common::*;
use gridwork_core::model::{signing, Role, GENESIS_HASH};

fn tamper(dev: &Device, sql: &str) {
    let conn = rusqlite::Connection::open(dev.store.db().path()).unwrap();
    conn.execute_batch(sql).unwrap();
}

/// A worker's phone with three reports.
fn phone() -> Device {
    let dev = Device::new("li", Role::Worker, "phone-1");
    for text in ["rubbish by the gate", "井盖缺失", "lamp out"] {
        dev.store.report(&dev.draft(text)).unwrap();
    }
    dev
}

#[test]
fn every_own_event_is_signed_with_the_devices_key() {
    let dev = phone();
    let key = dev.store.signing_public_key().unwrap();
    assert_eq!(key.len(), 64);
    let events = dev.store.all_events().unwrap();
    assert_eq!(events.len(), 3);
    for e in &events {
        signing::verify_event(&key, e).unwrap();
    }
    // The key does not change when the store is reopened or initialised again.
    dev.store.init("li", Role::Worker).unwrap();
    assert_eq!(dev.store.signing_public_key().unwrap(), key);
}

#[test]
fn an_edit_with_the_whole_chain_rehashed_is_caught_by_the_signatures() {
    let dev = phone();
    let mut events = dev.store.all_events().unwrap();
    events.sort_by_key(|e| e.device_seq);
    // Edit #2's description, then re-hash it and every later event, re-link the chain
    // and record the new head: everything the hash chain checks now holds.
    events[1].payload["description"] = serde_json::json!("nothing here");
    let mut prev = GENESIS_HASH.to_string();
    let mut sql = String::new();
    for e in &mut events {
        e.prev_hash = prev.clone();
        let hash = e.hash();
        sql.push_str(&format!(
            "UPDATE events SET payload = '{}', prev_hash = '{}', hash = '{hash}' WHERE id = '{}';",
            gridwork_core::model::canonical_json(&e.payload).replace('\'', "''"),
            e.prev_hash,
            e.id
        ));
        prev = hash;
    }
    sql.push_str(&format!(
        "UPDATE meta SET value = '{prev}' WHERE key = 'own_chain_head';"
    ));
    tamper(&dev, &sql);
    let report = dev.store.verify_log().unwrap();
    assert!(!report.is_intact(), "a re-hashed chain went unnoticed");
    let problems = &report.devices[0].problems;
    assert!(
        problems
            .iter()
            .all(|p| p.contains("not signed by this device")),
        "{problems:?}"
    );
    // #2 and both later events were re-hashed, so none of their signatures holds.
    assert_eq!(problems.len(), 2, "{problems:?}");
}

#[test]
fn stripping_the_signatures_is_caught() {
    let dev = phone();
    tamper(
        &dev,
        "UPDATE events SET signature = NULL WHERE device_seq = 3",
    );
    assert!(!dev.store.verify_log().unwrap().is_intact());
}

#[test]
fn a_relay_bundle_carries_the_phones_events_unchanged() {
    let phone = phone();
    let tablet = Device::new("wang", Role::Supervisor, "tablet-1");
    let bundle = phone.store.export_outbox_bundle().unwrap();
    let done = tablet.store.import_relay_bundle(&bundle).unwrap();
    assert_eq!((done.imported, done.known), (3, 0));
    // The tablet shows the phone's cases, and importing again changes nothing.
    let carried: Vec<_> = tablet
        .store
        .all_events()
        .unwrap()
        .into_iter()
        .filter(|e| e.device_id == "phone-1")
        .collect();
    assert_eq!(carried.len(), 3);
    let again = tablet.store.import_relay_bundle(&bundle).unwrap();
    assert_eq!((again.imported, again.known), (0, 3));
    assert!(tablet.store.verify_log().unwrap().is_intact());
}

#[test]
fn an_altered_relay_bundle_is_refused_whole() {
    let phone = phone();
    let tablet = Device::new("wang", Role::Supervisor, "tablet-1");
    let mut bundle: serde_json::Value =
        serde_json::from_str(&phone.store.export_outbox_bundle().unwrap()).unwrap();
    bundle["events"][2]["payload"]["description"] = serde_json::json!("altered on the way");
    let err = tablet
        .store
        .import_relay_bundle(&bundle.to_string())
        .unwrap_err();
    assert!(err.to_string().contains("signature"), "{err}");
    assert!(tablet
        .store
        .all_events()
        .unwrap()
        .iter()
        .all(|e| e.device_id != "phone-1"));
}

#[test]
fn a_store_from_before_signing_signs_its_unsent_events_when_it_gets_its_key() {
    let dev = phone();
    // As a store made before devices signed: no key, no signatures; #1 already pushed.
    tamper(
        &dev,
        "DELETE FROM meta WHERE key IN ('signing_key', 'signing_since');
         UPDATE events SET signature = NULL;
         UPDATE events SET server_seq = 7 WHERE device_seq = 1;",
    );
    let key = dev.store.signing_public_key().unwrap();
    let events = dev.store.all_events().unwrap();
    for e in &events {
        match e.device_seq {
            1 => assert_eq!(e.signature, None, "the pushed event stays as it was"),
            _ => signing::verify_event(&key, e).unwrap(),
        }
    }
    assert!(dev.store.verify_log().unwrap().is_intact());
}
