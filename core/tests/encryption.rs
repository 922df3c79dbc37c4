//! Encryption at rest (SQLCipher, feature `encryption`): an encrypted store keeps no
//! readable text on disk, refuses to open without its key or with a wrong one, and a
//! build without SQLCipher refuses a key instead of silently writing plain text.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use common::*;
use gridwork_core::{db::encryption_available, model::Role, store::ReportDraft, Error, Store};
use std::sync::Arc;

const SECRET: &str = "resident Zhang at No. 12 reports a leaking pipe";

fn files_contain(dir: &std::path::Path, needle: &[u8]) -> bool {
    std::fs::read_dir(dir).unwrap().any(|e| {
        let p = e.unwrap().path();
        p.is_file()
            && std::fs::read(&p)
                .unwrap()
                .windows(needle.len())
                .any(|w| w == needle)
    })
}

#[test]
fn an_encrypted_store_is_unreadable_without_its_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store");
    if !encryption_available() {
        let err = Store::open_encrypted(&path, "k").err().unwrap();
        assert!(matches!(err, Error::EncryptionUnavailable), "{err:?}");
        return;
    }
    let key = "correct horse battery staple";
    let id = {
        let store = Store::open_with(&path, Some(key), Arc::new(|| MONDAY_9AM)).unwrap();
        store.init("li", Role::Worker, "phone-1").unwrap();
        store.import_catalog(CATALOG).unwrap();
        store
            .report(&ReportDraft {
                category: "06010".into(),
                lat: 31.3,
                lon: 120.6,
                description: SECRET.into(),
                ..Default::default()
            })
            .unwrap()
    };
    assert!(
        !files_contain(&path, SECRET.as_bytes()),
        "plain text on disk"
    );
    assert!(
        !files_contain(&path, b"SQLite format 3"),
        "an unencrypted header on disk"
    );
    for wrong in [None, Some("wrong key")] {
        let err = Store::open_with(&path, wrong, Arc::new(|| MONDAY_9AM))
            .err()
            .unwrap();
        assert!(matches!(err, Error::Open { .. }), "{wrong:?}: {err:?}");
    }
    let store = Store::open_encrypted(&path, key).unwrap();
    assert_eq!(store.case(id).unwrap().case.report.description, SECRET);
    assert!(store.verify_log().unwrap().is_intact());
}

#[test]
fn a_plain_store_is_not_opened_with_a_key_and_an_empty_key_is_refused() {
    let dev = Device::new("li", Role::Worker, "phone-1");
    let path = dev.store.dir().to_path_buf();
    drop(dev.store);
    let err = Store::open_encrypted(&path, "").err().unwrap();
    assert!(matches!(err, Error::InvalidInput { .. }), "{err:?}");
    let err = Store::open_encrypted(&path, "some key").err().unwrap();
    if encryption_available() {
        assert!(matches!(err, Error::Open { .. }), "{err:?}");
    } else {
        assert!(matches!(err, Error::EncryptionUnavailable), "{err:?}");
    }
    // The plain store is intact and still opens without a key.
    assert!(Store::open(&path)
        .unwrap()
        .verify_log()
        .unwrap()
        .is_intact());
}
