//! Schema upgrades: a store made by the first release, with data in it, opens under
//! this build, migrates one step at a time, keeps its data and ends with exactly the
//! schema a fresh store has.
#![allow(clippy::unwrap_used, missing_docs)]

use gridwork_core::{db::SCHEMA_VERSION, Error, Store};
use rusqlite::Connection;

/// The schema of version 1, frozen as released. Never edit this file.
const SCHEMA_V1: &str = include_str!("fixtures/schema_v1.sql");

fn schema_of(path: &std::path::Path) -> Vec<(String, String)> {
    let conn = Connection::open(path).unwrap();
    let mut stmt = conn
        .prepare("SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get::<_, String>(1)?)))
        .unwrap()
        .map(|r| {
            let (name, sql) = r.unwrap();
            (name, sql.split_whitespace().collect::<Vec<_>>().join(" "))
        })
        .collect()
}

#[test]
fn a_version_1_store_upgrades_to_the_current_schema_and_keeps_its_data() {
    let old = tempfile::tempdir().unwrap();
    let db = old.path().join("gridwork.db");
    {
        let conn = Connection::open(&db).unwrap();
        conn.execute_batch(SCHEMA_V1).unwrap();
        conn.execute_batch(
            "PRAGMA user_version = 1;
             INSERT INTO meta (key, value) VALUES ('user', 'li'), ('role', 'worker'), ('device_id', 'phone-1');",
        )
        .unwrap();
    }
    let store = Store::open(old.path()).unwrap();
    assert_eq!(store.identity().unwrap().unwrap().user, "li");
    drop(store);
    let version: u32 = Connection::open(&db)
        .unwrap()
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION);

    let fresh = tempfile::tempdir().unwrap();
    drop(Store::open(fresh.path()).unwrap());
    assert_eq!(schema_of(&db), schema_of(&fresh.path().join("gridwork.db")));
}

#[test]
fn a_store_from_a_newer_version_is_refused_not_damaged() {
    let dir = tempfile::tempdir().unwrap();
    drop(Store::open(dir.path()).unwrap());
    let db = dir.path().join("gridwork.db");
    Connection::open(&db)
        .unwrap()
        .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .unwrap();
    let err = Store::open(dir.path()).err().unwrap();
    assert!(matches!(err, Error::Open { .. }), "{err:?}");
    assert!(err.to_string().contains("newer"));
}

#[test]
fn a_file_that_is_not_a_store_gives_a_typed_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("gridwork.db"),
        b"this is not sqlite at all, just text padding out a page",
    )
    .unwrap();
    let err = Store::open(dir.path()).err().unwrap();
    assert!(matches!(err, Error::Open { .. }), "{err:?}");
}
