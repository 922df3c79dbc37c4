//! Who uses a store: the device id is made by the core, random, and fixed.
#![allow(clippy::unwrap_used)]

use gridwork_core::{model::Role, Store};

#[test]
fn init_gives_the_store_a_random_device_id_that_never_changes() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let first = Store::open(a.path()).unwrap();
    let id = first.init("li", Role::Worker).unwrap();
    let uuid = uuid::Uuid::parse_str(&id.device_id).unwrap();
    assert_eq!(uuid.get_version_num(), 4, "{}", id.device_id);
    // Another worker signs in on the same phone: same device, new user.
    let again = first.init("zhao", Role::Supervisor).unwrap();
    assert_eq!(
        (again.user.as_str(), again.device_id.as_str()),
        ("zhao", id.device_id.as_str())
    );
    drop(first);
    let reopened = Store::open(a.path()).unwrap();
    assert_eq!(
        reopened.identity().unwrap().unwrap().device_id,
        id.device_id
    );
    // The explicit form may name it once, and only the same id after that.
    assert!(reopened
        .init_with_device("li", Role::Worker, "phone-1")
        .is_err());
    // Two stores never share an id.
    let other = Store::open(b.path())
        .unwrap()
        .init("li", Role::Worker)
        .unwrap();
    assert_ne!(other.device_id, id.device_id);
    let fixed = tempfile::tempdir().unwrap();
    let s = Store::open(fixed.path()).unwrap();
    assert_eq!(
        s.init_with_device("li", Role::Worker, "phone-1")
            .unwrap()
            .device_id,
        "phone-1"
    );
    assert_eq!(s.init("li", Role::Worker).unwrap().device_id, "phone-1");
}
