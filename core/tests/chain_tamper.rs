//! Property, exhaustively over a chain of six events: the chain check catches every
//! single deletion, insertion, edit of any hashed field, an edit whose own hash is
//! recomputed, and two events swapped — wherever in the chain it happens.
//!
//! What it cannot catch, and no local check can: an attacker who rewrites the whole
//! tail of the chain *and* the stored chain length. That is what the server's copy of
//! the chain is for (a forked history is refused at push, see docs/sync-protocol.md).
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use common::*;
use gridwork_core::{model::Role, store::ActionKind};

const LEN: i64 = 6;

/// A device whose own chain holds `LEN` events: two cases, each reported, registered
/// and cancelled.
fn chain() -> Device {
    let dev = Device::new("li", Role::Worker, "phone-1");
    for text in ["rubbish by the gate", "井盖缺失"] {
        let id = dev.store.report(&dev.draft(text)).unwrap();
        let sup = |k| as_role(act(k), Role::Supervisor);
        dev.store.act(id, &sup(ActionKind::Register)).unwrap();
        dev.store
            .act(
                id,
                &as_role(with_note(ActionKind::Cancel, "duplicate"), Role::Supervisor),
            )
            .unwrap();
    }
    assert_eq!(dev.store.all_events().unwrap().len() as i64, LEN);
    assert!(dev.store.verify_log().unwrap().is_intact());
    dev
}

fn tamper(dev: &Device, sql: &str) {
    // Edit the file behind the store's back, as an attacker holding it would.
    let conn = rusqlite::Connection::open(dev.store.db().path()).unwrap();
    conn.execute_batch(sql).unwrap();
}

fn assert_caught(dev: &Device, what: &str) {
    let report = dev.store.verify_log().unwrap();
    assert!(!report.is_intact(), "{what} went unnoticed: {report:?}");
}

/// Each hashed column and an SQL expression that changes it but keeps the row loadable.
const EDITS: &[(&str, &str)] = &[
    (
        "id",
        "substr(id, 1, 35) || CASE substr(id, 36) WHEN 'a' THEN 'b' ELSE 'a' END",
    ),
    ("stream", "'incident/0190d6a0-0000-7000-8000-000000000000'"),
    (
        "kind",
        "CASE kind WHEN 'incident.cancelled' THEN 'incident.closed' ELSE 'incident.cancelled' END",
    ),
    ("hlc_wall", "hlc_wall + 1"),
    ("hlc_counter", "hlc_counter + 1"),
    ("actor_user", "actor_user || 'x'"),
    (
        "actor_role",
        "CASE actor_role WHEN 'supervisor' THEN 'worker' ELSE 'supervisor' END",
    ),
    (
        "payload",
        "json_set(payload, '$.tampered', 'nothing to see')",
    ),
    (
        "prev_hash",
        "CASE substr(prev_hash, 1, 1) WHEN 'f' THEN 'e' ELSE 'f' END || substr(prev_hash, 2)",
    ),
    (
        "hash",
        "CASE substr(hash, 1, 1) WHEN 'f' THEN 'e' ELSE 'f' END || substr(hash, 2)",
    ),
];

#[test]
fn every_single_deletion_is_caught() {
    for k in 1..=LEN {
        let dev = chain();
        tamper(&dev, &format!("DELETE FROM events WHERE device_seq = {k}"));
        assert_caught(&dev, &format!("deleting #{k}"));
    }
}

#[test]
fn every_edit_of_every_field_is_caught() {
    for k in 1..=LEN {
        for (column, change) in EDITS {
            let dev = chain();
            tamper(
                &dev,
                &format!("UPDATE events SET {column} = {change} WHERE device_seq = {k}"),
            );
            assert_caught(&dev, &format!("editing {column} of #{k}"));
        }
    }
}

#[test]
fn an_edit_with_its_own_hash_recomputed_is_caught_anywhere() {
    for k in 1..=LEN {
        for (column, change) in EDITS.iter().filter(|(c, _)| !c.ends_with("hash")) {
            let dev = chain();
            tamper(
                &dev,
                &format!("UPDATE events SET {column} = {change} WHERE device_seq = {k}"),
            );
            // Re-hash the edited event so that it checks out on its own.
            let edited = dev
                .store
                .all_events()
                .unwrap()
                .into_iter()
                .find(|e| e.device_seq == k as u64)
                .unwrap();
            tamper(
                &dev,
                &format!(
                    "UPDATE events SET hash = '{}' WHERE device_seq = {k}",
                    edited.hash()
                ),
            );
            assert_caught(&dev, &format!("re-hashed edit of {column} of #{k}"));
        }
    }
}

#[test]
fn every_single_insertion_is_caught() {
    // A forged event slipped in before #k (or appended after the last), its own hash
    // correct and linked to its predecessor, the later events shifted up by one.
    for k in 1..=LEN + 1 {
        let dev = chain();
        let prev = if k == 1 {
            "'0000000000000000000000000000000000000000000000000000000000000000'".to_string()
        } else {
            format!("(SELECT hash FROM events WHERE device_seq = {})", k - 1)
        };
        tamper(
            &dev,
            &format!(
                "UPDATE events SET device_seq = device_seq + 100 WHERE device_seq >= {k};
                 UPDATE events SET device_seq = device_seq - 99 WHERE device_seq >= 100;
                 INSERT INTO events (id, stream, kind, hlc_wall, hlc_counter, device_id,
                     actor_user, actor_role, device_seq, prev_hash, hash, payload)
                 SELECT '0190d6a0-0000-7000-8000-00000000abcd', stream, 'incident.cancelled',
                     hlc_wall, hlc_counter + 1, device_id, actor_user, 'supervisor', {k},
                     {prev}, 'pending', '{{\"note\":\"forged\"}}'
                 FROM events WHERE device_seq = 1 OR (device_seq = 2 AND {k} = 1)
                 ORDER BY device_seq LIMIT 1;"
            ),
        );
        let forged = dev
            .store
            .all_events()
            .unwrap()
            .into_iter()
            .find(|e| e.device_seq == k as u64 && e.kind == "incident.cancelled")
            .unwrap();
        tamper(
            &dev,
            &format!(
                "UPDATE events SET hash = '{}' WHERE id = '{}'",
                forged.hash(),
                forged.id
            ),
        );
        assert_caught(&dev, &format!("inserting before #{k}"));
    }
}

#[test]
fn every_swap_of_two_events_is_caught() {
    for a in 1..=LEN {
        for b in a + 1..=LEN {
            let dev = chain();
            tamper(
                &dev,
                &format!(
                    "UPDATE events SET device_seq = -1 WHERE device_seq = {a};
                     UPDATE events SET device_seq = {a} WHERE device_seq = {b};
                     UPDATE events SET device_seq = {b} WHERE device_seq = -1;"
                ),
            );
            assert_caught(&dev, &format!("swapping #{a} and #{b}"));
        }
    }
}
