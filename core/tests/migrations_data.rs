//! Schema upgrades with data: a store of every earlier schema version (1 to 5, each
//! frozen as released in `fixtures/schema_vN.sql`), holding what a device of that version
//! held (own events synced and waiting, another device's events, cases, photos and, from
//! version 2, a patrol with its fixes and a check-in), opens under this build, ends with
//! exactly the schema a fresh store has, reads back through the Store API as the store it
//! was copied from, verifies its chain and goes on syncing.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use common::{act, judge::Judge, schema_of, Device};
use gridwork_core::{
    db::ListFilter,
    model::Role,
    patrol::{Fix, Provider},
    store::ActionKind,
    sync, Store,
};
use rusqlite::Connection;
use std::{path::Path, sync::Arc};

/// The frozen schemas, by version. Never edit these files.
const FROZEN: [&str; 7] = [
    include_str!("fixtures/schema_v1.sql"),
    include_str!("fixtures/schema_v2.sql"),
    include_str!("fixtures/schema_v3.sql"),
    include_str!("fixtures/schema_v4.sql"),
    include_str!("fixtures/schema_v5.sql"),
    include_str!("fixtures/schema_v6.sql"),
    include_str!("fixtures/schema_v7.sql"),
];

/// A device's store as a device of `version` would hold it: zhao's cases (one closed on
/// the spot, one open, one waiting in the outbox), wang's case pulled, photos uploaded
/// and not, and from version 2 a finished patrol with fixes and a check-in.
fn source(version: u32) -> (Judge, Device) {
    let server = Judge::new();
    let zhao = Device::new("zhao", Role::Worker, "phone-zhao");
    let wang = Device::new("wang", Role::Worker, "phone-wang");
    server.sign_in(&zhao.store, "zhao", Role::Worker);
    server.sign_in(&wang.store, "wang", Role::Worker);
    let mut closed = zhao.draft("leaking hydrant");
    closed.photos = vec![zhao.photo("hydrant before")];
    let closed = zhao.store.report(&closed).unwrap();
    let mut fixed = act(ActionKind::SelfResolve);
    fixed.photos = vec![zhao.photo("hydrant after")];
    zhao.store.act(closed, &fixed).unwrap();
    zhao.store.report(&zhao.draft("pothole")).unwrap();
    if version >= 2 {
        let (lat, lon, cell) = zhao.point_in_first_cell();
        let patrol = zhao.store.start_patrol(&[cell]).unwrap();
        let t = zhao.clock.get();
        let fixes = (0..20)
            .map(|s| Fix {
                time_ms: t + s * 1000,
                lat,
                lon: lon + s as f64 * 1e-5,
                accuracy_m: 5.0,
                speed_mps: Some(1.1),
                bearing_deg: None,
                altitude_m: None,
                provider: Provider::Gps,
                mock: false,
            })
            .collect();
        zhao.store.add_fixes(patrol, fixes).unwrap();
        zhao.clock.advance(30_000);
        zhao.store
            .check_in(
                patrol,
                lat,
                lon,
                Some("shop 12".into()),
                Some(&zhao.photo("shop")),
            )
            .unwrap();
        zhao.store.finish_patrol(patrol).unwrap();
    }
    wang.store.report(&wang.draft("fallen tree")).unwrap();
    server.sync(&wang.store);
    server.sync(&zhao.store);
    zhao.clock.advance(60_000);
    let mut waiting = zhao.draft("graffiti");
    waiting.photos = vec![zhao.photo("graffiti")];
    zhao.store.report(&waiting).unwrap();
    (server, zhao)
}

/// Copies `src`'s rows into a new database of the frozen `version`: every column the
/// version had, rowids kept (the search index is keyed by the case row's).
fn freeze(src: &Path, version: u32, db: &Path) {
    let conn = Connection::open(db).unwrap();
    conn.execute_batch(FROZEN[version as usize - 1]).unwrap();
    conn.pragma_update(None, "user_version", version).unwrap();
    conn.execute("ATTACH ?1 AS src", [src.display().to_string()])
        .unwrap();
    let tables: Vec<(String, String)> = conn
        .prepare(
            "SELECT name, sql FROM main.sqlite_master WHERE type = 'table'
             AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'incidents_fts_%'",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let columns = |schema: &str, table: &str| -> Vec<String> {
        conn.prepare(&format!("PRAGMA {schema}.table_info(\"{table}\")"))
            .unwrap()
            .query_map([], |r| r.get::<_, String>(1))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    for (table, sql) in tables {
        let mut cols = if table == "incidents_fts" {
            vec!["text".to_string()]
        } else {
            let theirs = columns("src", &table);
            columns("main", &table)
                .into_iter()
                .filter(|c| theirs.contains(c))
                .collect()
        };
        if !sql.contains("WITHOUT ROWID") {
            cols.insert(0, "rowid".into());
        }
        let list = cols.join(", ");
        conn.execute(
            &format!("INSERT INTO main.\"{table}\" ({list}) SELECT {list} FROM src.\"{table}\""),
            [],
        )
        .unwrap();
    }
    // No store of versions 1 to 4 had a signing key (schema version 5 brought
    // signatures): it gets one with its next write, as an upgraded phone does.
    if version < 5 {
        conn.execute(
            "DELETE FROM main.meta WHERE key IN ('signing_key', 'signing_since')",
            [],
        )
        .unwrap();
    }
}

/// Everything a shell reads of a store, as JSON, for comparing two stores. Event
/// signatures are left out: a store of an earlier version never held any.
fn view(store: &Store) -> serde_json::Value {
    let cases = store.list_all(&ListFilter::default()).unwrap();
    let details: Vec<_> = cases.iter().map(|c| store.case(c.id).unwrap()).collect();
    let patrols = store.patrols().unwrap();
    let patrol_details: Vec<_> = patrols
        .iter()
        .map(|p| store.patrol(p.id).unwrap())
        .collect();
    let found = store
        .list_all(&ListFilter {
            search: Some("hydrant".into()),
            ..ListFilter::default()
        })
        .unwrap();
    let status = sync::status(store).unwrap();
    serde_json::json!({
        "identity": store.identity().unwrap(),
        "cases": cases,
        "details": details,
        "patrols": patrols,
        "patrol_details": patrol_details,
        "found": found,
        "events": store
            .all_events()
            .unwrap()
            .into_iter()
            .map(|e| gridwork_core::model::Event { signature: None, ..e })
            .collect::<Vec<_>>(),
        "pending": [status.pending_events, status.pending_photos, status.cursor],
    })
}

#[test]
fn a_store_of_every_earlier_version_upgrades_keeps_its_data_and_equals_a_fresh_one() {
    let fresh = tempfile::tempdir().unwrap();
    drop(Store::open(fresh.path()).unwrap());
    let fresh_schema = schema_of(&fresh.path().join("gridwork.db"));
    for version in 1..=FROZEN.len() as u32 {
        let (server, dev) = source(version);
        let expected = view(&dev.store);
        assert!(
            expected["details"].as_array().unwrap().len() == 4,
            "v{version}: {expected}"
        );
        let old = tempfile::tempdir().unwrap();
        let db = old.path().join("gridwork.db");
        freeze(dev.store.db().path(), version, &db);
        std::fs::create_dir(old.path().join("photos")).unwrap();
        for f in std::fs::read_dir(dev.store.photos_dir()).unwrap() {
            let f = f.unwrap();
            std::fs::copy(f.path(), old.path().join("photos").join(f.file_name())).unwrap();
        }
        let c = dev.clock.clone();
        let store = Store::open_with_clock(old.path(), Arc::new(move || c.get())).unwrap();
        assert_eq!(view(&store), expected, "v{version} reads back differently");
        let chain = store.verify_log().unwrap();
        assert!(chain.is_intact(), "v{version}: {chain:?}");
        assert_eq!(schema_of(&db), fresh_schema, "v{version} schema");

        // It goes on: a new report, then a sync that sends what waited, photos too.
        let mut more = dev.draft("blocked drain");
        more.photos = vec![dev.photo("drain")];
        store.report(&more).unwrap();
        let r = server.sync(&store);
        assert_eq!((r.pushed, r.rejected), (2, 0), "v{version}: {r:?}");
        // Photos go up in the run after their events were accepted.
        server.sync(&store);
        let status = sync::status(&store).unwrap();
        assert_eq!(
            (status.pending_events, status.pending_photos),
            (0, 0),
            "v{version}"
        );
        assert!(store.verify_log().unwrap().is_intact());
    }
}
