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
        store
            .init_with_device("li", Role::Worker, "phone-1")
            .unwrap();
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

/// The key the fixture `sqlcipher4-openssl.db` was written with.
#[cfg(feature = "encryption")]
const FIXTURE_KEY: &str = "fixture key";

/// Encryption is SQLCipher 4 with gridwork-sqlcipher's provider on the RustCrypto crates
/// (no OpenSSL is linked), built with the SQLite features the store relies on (FTS5 for
/// search, JSON).
#[cfg(feature = "encryption")]
#[test]
fn encryption_is_sqlcipher_4_on_rustcrypto_with_the_stores_sqlite_features() {
    let dir = tempfile::tempdir().unwrap();
    let conn = rusqlite::Connection::open(dir.path().join("db")).unwrap();
    conn.pragma_update(None, "key", "k").unwrap();
    let pragma = |name: &str| -> String {
        conn.query_row(&format!("PRAGMA {name}"), [], |r| r.get(0))
            .unwrap()
    };
    assert_eq!(pragma("cipher_provider"), "rustcrypto");
    assert_eq!(pragma("cipher"), "aes-256-cbc");
    assert!(
        pragma("cipher_version").starts_with("4."),
        "{}",
        pragma("cipher_version")
    );
    conn.execute_batch(
        "CREATE VIRTUAL TABLE f USING fts5(body);
         INSERT INTO f VALUES ('路 口 井 盖 缺 失');",
    )
    .unwrap();
    let hits: i64 = conn
        .query_row("SELECT count(*) FROM f WHERE f MATCH '井'", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(hits, 1);
    let json: String = conn
        .query_row("SELECT json_extract('{\"a\":[1,2]}', '$.a[1]')", [], |r| {
            r.get::<_, i64>(0).map(|v| v.to_string())
        })
        .unwrap();
    assert_eq!(json, "2");
}

/// A database written by SQLCipher 4 with its OpenSSL provider (what gridwork shipped
/// before it switched providers; fixture made then, key derived from a passphrase) opens
/// with its key, reads and takes writes; a wrong key still fails. This checks the whole
/// provider against OpenSSL's: PBKDF2-HMAC-SHA512, the HMAC-key derivation, AES-256-CBC
/// and the page HMACs.
#[cfg(feature = "encryption")]
#[test]
fn a_database_written_by_sqlcipher_on_openssl_opens_and_takes_writes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    std::fs::copy("tests/fixtures/sqlcipher4-openssl.db", &path).unwrap();

    let wrong = rusqlite::Connection::open(&path).unwrap();
    wrong.pragma_update(None, "key", "not the key").unwrap();
    assert!(wrong
        .query_row("SELECT count(*) FROM t", [], |r| r.get::<_, i64>(0))
        .is_err());
    drop(wrong);

    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "key", FIXTURE_KEY).unwrap();
    let text: String = conn
        .query_row("SELECT text FROM t WHERE id = 1", [], |r| r.get(0))
        .unwrap();
    assert_eq!(text, "written by SQLCipher 4 with the OpenSSL provider");
    conn.execute("INSERT INTO t (text) VALUES ('and by RustCrypto')", [])
        .unwrap();
    drop(conn);

    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "key", FIXTURE_KEY).unwrap();
    let n: i64 = conn
        .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 2);
    // Every page's HMAC verifies (the pragma lists the pages that fail).
    let mut check = conn.prepare("PRAGMA cipher_integrity_check").unwrap();
    let failures: Vec<String> = check
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(failures.is_empty(), "{failures:?}");
}

/// A raw 256-bit key (`x'…'`, what the shells pass: their key is random, so PBKDF2
/// would only cost time) encrypts like a passphrase; it is a different key from the
/// same hex digits taken as a passphrase; malformed raw keys are refused before anything
/// is created.
#[test]
fn a_raw_key_opens_its_store_and_malformed_raw_keys_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let hex = "2dd29ca851e7b56e4697b0e1f08507293d761a05ce4d1b628663f411a8086d99";
    let raw = format!("x'{hex}'");
    for bad in [
        "x''".to_string(),
        format!("x'{}'", &hex[..62]),
        format!("x'{hex}"),
        format!("x'{}g'", &hex[..63]),
        format!("x'{hex}{hex}'"),
    ] {
        let path = dir.path().join("never");
        let err = Store::open_encrypted(&path, &bad).err().unwrap();
        assert!(matches!(err, Error::InvalidInput { .. }), "{bad}: {err:?}");
        assert!(!path.exists(), "{bad}: the store folder was created");
    }
    let path = dir.path().join("store");
    if !encryption_available() {
        let err = Store::open_encrypted(&path, &raw).err().unwrap();
        assert!(matches!(err, Error::EncryptionUnavailable), "{err:?}");
        assert!(!path.exists());
        return;
    }
    {
        let store = Store::open_encrypted(&path, &raw).unwrap();
        store
            .init_with_device("li", Role::Worker, "phone-1")
            .unwrap();
    }
    assert!(!files_contain(&path, b"SQLite format 3"));
    for wrong in [hex.to_string(), format!("x'{}'", hex.replace('2', "3"))] {
        let err = Store::open_encrypted(&path, &wrong).err().unwrap();
        assert!(matches!(err, Error::Open { .. }), "{wrong}: {err:?}");
    }
    let store = Store::open_encrypted(&path, &raw.to_uppercase().replace("X'", "x'")).unwrap();
    assert_eq!(store.identity().unwrap().unwrap().user, "li");
}
