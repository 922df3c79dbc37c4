//! The event log: the hash chain check catches deleted, inserted and edited events,
//! and the hybrid logical clock keeps order when the device clock jumps back.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use common::*;
use gridwork_core::{model::Role, store::ActionKind};

fn three_events(dev: &Device) -> uuid::Uuid {
    let id = dev.store.report(&dev.draft("rubbish")).unwrap();
    dev.store
        .act(id, &as_role(act(ActionKind::Register), Role::Supervisor))
        .unwrap();
    dev.store
        .act(
            id,
            &as_role(with_note(ActionKind::Cancel, "duplicate"), Role::Supervisor),
        )
        .unwrap();
    id
}

fn tamper(dev: &Device, sql: &str) {
    // Edit the file behind the store's back, as an attacker with the file would.
    let conn = rusqlite::Connection::open(dev.store.db().path()).unwrap();
    conn.execute_batch(sql).unwrap();
}

#[test]
fn an_untouched_log_verifies() {
    let dev = Device::new("li", Role::Worker, "phone-1");
    three_events(&dev);
    let report = dev.store.verify_log().unwrap();
    assert!(report.is_intact(), "{report:?}");
    assert_eq!(report.devices[0].events, 3);
    assert!(report.devices[0].own);
}

#[test]
fn a_deleted_event_is_detected() {
    let dev = Device::new("li", Role::Worker, "phone-1");
    three_events(&dev);
    tamper(&dev, "DELETE FROM events WHERE device_seq = 2");
    let report = dev.store.verify_log().unwrap();
    assert!(!report.is_intact());
    assert!(
        report.devices[0]
            .problems
            .iter()
            .any(|p| p.contains("missing")),
        "{report:?}"
    );
}

#[test]
fn deleting_the_newest_event_is_detected() {
    let dev = Device::new("li", Role::Worker, "phone-1");
    three_events(&dev);
    tamper(&dev, "DELETE FROM events WHERE device_seq = 3");
    let report = dev.store.verify_log().unwrap();
    assert!(!report.is_intact(), "{report:?}");
}

#[test]
fn an_edited_event_is_detected() {
    let dev = Device::new("li", Role::Worker, "phone-1");
    three_events(&dev);
    tamper(&dev, "UPDATE events SET payload = replace(payload, 'duplicate', 'nothing to see') WHERE device_seq = 3");
    let report = dev.store.verify_log().unwrap();
    assert!(
        report.devices[0]
            .problems
            .iter()
            .any(|p| p.contains("altered")),
        "{report:?}"
    );
    // Recomputing the stored hash too does not help: the link from the next event breaks.
    let dev = Device::new("li", Role::Worker, "phone-1");
    three_events(&dev);
    let ev = dev
        .store
        .all_events()
        .unwrap()
        .into_iter()
        .find(|e| e.device_seq == 2)
        .unwrap();
    let mut forged = ev.clone();
    forged.actor.user = "someone-else".into();
    tamper(
        &dev,
        &format!(
            "UPDATE events SET actor_user = 'someone-else', hash = '{}' WHERE device_seq = 2",
            forged.hash()
        ),
    );
    let report = dev.store.verify_log().unwrap();
    assert!(
        report.devices[0]
            .problems
            .iter()
            .any(|p| p.contains("does not link")),
        "{report:?}"
    );
}

#[test]
fn an_inserted_event_is_detected() {
    let dev = Device::new("li", Role::Worker, "phone-1");
    three_events(&dev);
    // Shift the chain up and slip a forged event in at #2.
    tamper(
        &dev,
        "UPDATE events SET device_seq = device_seq + 10 WHERE device_seq >= 2;
         UPDATE events SET device_seq = device_seq - 9 WHERE device_seq >= 12;
         INSERT INTO events (id, stream, kind, hlc_wall, hlc_counter, device_id, actor_user, actor_role,
             device_seq, prev_hash, hash, payload)
         SELECT '0190d6a0-0000-7000-8000-00000000abcd', stream, 'incident.registered', hlc_wall, 9,
             device_id, actor_user, 'supervisor', 2, hash, hash, '{}' FROM events WHERE device_seq = 1;",
    );
    let report = dev.store.verify_log().unwrap();
    assert!(!report.is_intact(), "{report:?}");
}

#[test]
fn a_clock_set_back_by_hours_keeps_the_case_in_order() {
    let dev = Device::new("li", Role::Worker, "phone-1");
    let id = dev.store.report(&dev.draft("rubbish")).unwrap();
    // The phone's clock is set back five hours before the supervisor acts.
    dev.clock.advance(-5 * 3_600_000);
    dev.store
        .act(id, &as_role(act(ActionKind::Register), Role::Supervisor))
        .unwrap();
    dev.clock.advance(60_000);
    dev.store
        .act(
            id,
            &as_role(with_note(ActionKind::Cancel, "dup"), Role::Supervisor),
        )
        .unwrap();
    let detail = dev.store.case(id).unwrap();
    let kinds: Vec<&str> = detail.timeline.iter().map(|t| t.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "incident.reported",
            "incident.registered",
            "incident.cancelled"
        ]
    );
    assert!(detail.case.conflicts.is_empty());
    let events = dev.store.all_events().unwrap();
    assert!(events.windows(2).all(|w| w[0].hlc < w[1].hlc));
}
