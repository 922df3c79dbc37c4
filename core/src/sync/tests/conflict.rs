//! Two devices under one device id: the device that meets an event of its id that it
//! did not write stops with a clear, lasting state instead of failing on the unique
//! index at every run.

use super::*;
use crate::sync::{EngineState, FailureKind};

fn assert_conflict(device: &Device, r: &SyncReport) {
    assert_eq!(r.state, EngineState::DeviceConflict, "{:?}", r.error);
    let error = r.error.clone().unwrap_or_default();
    assert!(
        error.contains("another device uses this device's id"),
        "{error}"
    );
    let status = device.status();
    assert_eq!(status.state, EngineState::DeviceConflict);
    assert_eq!(
        status.last_error.as_ref().map(|e| e.kind),
        Some(FailureKind::DeviceConflict)
    );
    // Not a passing failure: no automatic attempt is scheduled.
    assert!(!status.is_due(device.now() + 3_600_000));
}

#[test]
fn an_event_at_a_chain_place_this_device_wrote_otherwise_stops_the_device() {
    let server = Arc::new(MemoryServer::new());
    let intruder = Device::new("zhao", Role::Worker, "phone-li");
    let owner = Device::new("li", Role::Worker, "phone-li");
    intruder.login(&server);
    owner.login(&server);
    intruder.report("pushed under li's device id");
    assert_eq!(intruder.sync(server.as_ref()).state, EngineState::Synced);
    owner.report("li's own report");
    let r = owner.sync(server.as_ref());
    assert_conflict(&owner, &r);
    // Running again gives the same answer, not a database error.
    let r = owner.sync(server.as_ref());
    assert_conflict(&owner, &r);
    // Nothing of the foreign chain was taken in.
    assert_eq!(owner.cases().len(), 1);
}

#[test]
fn an_event_of_this_device_id_it_never_wrote_stops_the_device() {
    let server = Arc::new(MemoryServer::new());
    let intruder = Device::new("zhao", Role::Worker, "phone-x");
    let owner = Device::new("li", Role::Worker, "phone-x");
    intruder.login(&server);
    owner.login(&server);
    intruder.report("one");
    intruder.report("two");
    assert_eq!(intruder.sync(server.as_ref()).state, EngineState::Synced);
    let r = owner.sync(server.as_ref());
    assert_conflict(&owner, &r);
    assert!(owner.cases().is_empty());
}
