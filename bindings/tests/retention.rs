//! Retention through the FFI: the setting round-trips, a refused setting is
//! `InvalidInput` and keeps the old one, and a purge with nothing old enough reports
//! nothing.
#![allow(clippy::unwrap_used, missing_docs)]

use gridwork_ffi::*;

#[test]
fn retention_is_set_read_and_applied_through_the_ffi() {
    let dir = tempfile::tempdir().unwrap();
    let store = GridworkStore::open(dir.path().display().to_string(), None).unwrap();
    store.init("li".into(), Role::Worker).unwrap();
    assert_eq!(store.retention().unwrap(), None);
    store.set_retention(Some(30)).unwrap();
    assert!(matches!(
        store.set_retention(Some(0)),
        Err(GridworkError::InvalidInput { .. })
    ));
    assert_eq!(store.retention().unwrap(), Some(30));
    assert_eq!(
        store.purge_expired().unwrap(),
        PurgeReport {
            cases: 0,
            patrols: 0,
            events: 0,
            photos: 0,
            kept_unsynced: 0
        }
    );
    store.set_retention(None).unwrap();
    assert_eq!(store.retention().unwrap(), None);
}
