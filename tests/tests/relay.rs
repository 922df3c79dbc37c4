//! Signed events end to end, with real stores and the reference server on loopback
//! (docs/signing.md): a supervisor's tablet carries a worker's not-yet-pushed events
//! (an offline relay bundle) and pushes them for the worker; the server takes them
//! because the worker's signature verifies, refuses one the tablet altered, and the
//! worker's own later push of the same events is answered as duplicates (each event
//! held exactly once). An event edited and re-hashed in the phone's file is refused.
#![allow(clippy::unwrap_used, missing_docs)]

use gridwork_core::{model::Role, Store};
use gridwork_server::{account::Account, storage::Storage};
use gridwork_tests::{Device, TestServer, GRID};
use std::collections::BTreeMap;

/// A server with the grid, li (worker of the first cell's street) and wang (the city's
/// supervisor), both signed in with their passwords, as the engine registers keys.
fn setting() -> (TestServer, Device, Device) {
    let server = TestServer::start();
    server.admin(async |s| gridwork_server::admin::import_grid(s, GRID).await.unwrap());
    server.account("li", Role::Worker, "320508001");
    server.account("wang", Role::Supervisor, "*");
    let phone = Device::new("li", Role::Worker, "phone-li");
    let tablet = Device::new("wang", Role::Supervisor, "tablet-wang");
    phone.login_password(&server, "li", "pw").unwrap();
    tablet.login_password(&server, "wang", "pw").unwrap();
    (server, phone, tablet)
}

/// Every event the server serves, by id, with its description, as wang pulls them.
fn held(server: &TestServer) -> BTreeMap<uuid::Uuid, (u64, String)> {
    server.admin(async |s: &dyn Storage| {
        let wang: Account = s.account("wang").await.unwrap().unwrap();
        let page = s.pull(&wang, 0, 1000).await.unwrap();
        let mut out = BTreeMap::new();
        for e in page.events {
            let text = e.payload["description"].as_str().unwrap_or("").to_string();
            assert!(
                out.insert(e.id, (e.device_seq, text)).is_none(),
                "{} served twice",
                e.id
            );
        }
        out
    })
}

fn tamper(store: &Store, sql: &str) {
    let conn = rusqlite::Connection::open(store.db().path()).unwrap();
    conn.execute_batch(sql).unwrap();
}

/// Sets the stored hash of every event of `device` to what its content hashes to now,
/// as someone editing the file would.
fn rehash(store: &Store, device: &str) {
    for e in store.all_events().unwrap() {
        if e.device_id == device {
            tamper(
                store,
                &format!(
                    "UPDATE events SET hash = '{}' WHERE id = '{}'",
                    e.hash(),
                    e.id
                ),
            );
        }
    }
}

#[test]
fn a_tablet_relays_a_phones_events_and_each_is_held_once() {
    let (server, phone, tablet) = setting();
    let a = phone.store.report(&phone.draft("bin overflowing")).unwrap();
    let b = phone.store.report(&phone.draft("lamp out")).unwrap();
    // The phone cannot reach the server; the tablet takes its events.
    let bundle = phone.store.export_outbox_bundle().unwrap();
    let done = tablet.store.import_relay_bundle(&bundle).unwrap();
    assert_eq!(done.imported, 2);
    let r = tablet.sync();
    assert_eq!((r.pushed, r.rejected), (2, 0), "{r:?}");
    let on_server = held(&server);
    assert_eq!(on_server.len(), 2);
    // The phone comes back: its own push of the same events changes nothing.
    let r = phone.sync();
    assert_eq!((r.pushed, r.duplicates, r.rejected), (0, 2, 0), "{r:?}");
    assert_eq!(held(&server), on_server);
    assert_eq!(phone.status().pending_events, 0);
    // Both devices show the same cases, and the tablet has nothing left to push.
    for case in [a, b] {
        assert_eq!(
            tablet.store.case(case).unwrap().case,
            phone.store.case(case).unwrap().case
        );
    }
    let r = tablet.sync();
    assert_eq!((r.pushed, r.rejected), (0, 0), "{r:?}");
    assert!(tablet.store.verify_log().unwrap().is_intact());
    assert!(phone.store.verify_log().unwrap().is_intact());
}

#[test]
fn an_event_the_tablet_altered_is_refused_and_the_phone_delivers_it_whole() {
    let (server, phone, tablet) = setting();
    phone.store.report(&phone.draft("bin overflowing")).unwrap();
    phone.store.report(&phone.draft("lamp out")).unwrap();
    tablet
        .store
        .import_relay_bundle(&phone.store.export_outbox_bundle().unwrap())
        .unwrap();
    // The tablet's holder edits the phone's #2 in the tablet's file and re-hashes it:
    // it cannot sign it with the phone's key.
    tamper(
        &tablet.store,
        "UPDATE events SET payload = json_set(payload, '$.description', 'nothing here')
         WHERE device_id = 'phone-li' AND device_seq = 2",
    );
    rehash(&tablet.store, "phone-li");
    let r = tablet.sync();
    assert_eq!((r.pushed, r.rejected), (1, 1), "{r:?}");
    let on_server = held(&server);
    assert_eq!(on_server.len(), 1);
    assert!(on_server.values().all(|(seq, _)| *seq == 1));
    // The victim is not flagged: a relay's forgery is not the phone's fork.
    let signing =
        server.admin(async |s: &dyn Storage| s.device_signing("phone-li").await.unwrap().unwrap());
    assert!(signing.public_key.is_some() && signing.flagged.is_none());
    // The phone's own push delivers #2 as recorded; #1 once.
    let r = phone.sync();
    assert_eq!((r.pushed, r.duplicates, r.rejected), (1, 1, 0), "{r:?}");
    let on_server = held(&server);
    let texts: Vec<_> = on_server.values().map(|(_, t)| t.as_str()).collect();
    assert_eq!(texts.len(), 2);
    assert!(texts.contains(&"lamp out") && !texts.contains(&"nothing here"));
}

#[test]
fn an_event_edited_and_rehashed_in_the_phones_file_is_refused() {
    let (server, phone, _tablet) = setting();
    phone.store.report(&phone.draft("bin overflowing")).unwrap();
    assert_eq!(phone.sync().pushed, 1);
    phone.store.report(&phone.draft("lamp out")).unwrap();
    // Edit the unpushed #2, re-hash it and record the new head: the chain checks out.
    tamper(
        &phone.store,
        "UPDATE events SET payload = json_set(payload, '$.description', 'nothing here')
         WHERE device_seq = 2",
    );
    rehash(&phone.store, "phone-li");
    let head = phone
        .store
        .all_events()
        .unwrap()
        .into_iter()
        .find(|e| e.device_seq == 2)
        .unwrap()
        .hash();
    tamper(
        &phone.store,
        &format!("UPDATE meta SET value = '{head}' WHERE key = 'own_chain_head'"),
    );
    // Only the signature tells: locally and at the server.
    let report = phone.store.verify_log().unwrap();
    assert!(!report.is_intact());
    assert!(
        report.devices[0].problems[0].contains("not signed"),
        "{report:?}"
    );
    let r = phone.sync();
    assert_eq!((r.pushed, r.rejected), (0, 1), "{r:?}");
    assert_eq!(held(&server).len(), 1);
}

#[test]
fn a_device_signed_in_with_a_token_registers_its_key_at_its_first_sync() {
    let server = TestServer::start();
    server.admin(async |s| gridwork_server::admin::import_grid(s, GRID).await.unwrap());
    let token = server.account("li", Role::Worker, "320508001");
    let phone = Device::new("li", Role::Worker, "phone-li");
    phone.login(&server, &token);
    phone.store.report(&phone.draft("bin overflowing")).unwrap();
    assert_eq!(phone.sync().pushed, 1);
    let signing =
        server.admin(async |s: &dyn Storage| s.device_signing("phone-li").await.unwrap().unwrap());
    assert_eq!(
        signing.public_key,
        Some(phone.store.signing_public_key().unwrap())
    );
    // From now on its events must verify: one edited in the file is refused.
    phone.store.report(&phone.draft("lamp out")).unwrap();
    tamper(
        &phone.store,
        "UPDATE events SET payload = json_set(payload, '$.description', 'nothing here')
         WHERE device_seq = 2",
    );
    rehash(&phone.store, "phone-li");
    let r = phone.sync();
    assert_eq!((r.pushed, r.rejected), (0, 1), "{r:?}");
}

#[test]
fn a_second_store_under_a_signed_devices_id_cannot_sign_in() {
    let (server, phone, _tablet) = setting();
    // Someone copies the phone's id into a new store (a new key) and signs in as li.
    let copy = Device::new("li", Role::Worker, "phone-li");
    let err = copy.login_password(&server, "li", "pw").unwrap_err();
    assert!(
        matches!(&err, gridwork_core::sync::SyncError::DeviceConflict(m) if m.contains("another signing key")),
        "{err}"
    );
    // The phone itself still signs in.
    phone.login_password(&server, "li", "pw").unwrap();
}
