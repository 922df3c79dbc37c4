//! The evaluation's copies of the case views on every backend (run by the
//! `conformance!` macro in conformance.rs): evaluation from the copies equals
//! evaluation from the full views, and a rebuild makes the copies a push made.

use crate::common::*;
use gridwork_core::model::{Action, PhotoRef, Role, Stream};
use gridwork_server::{
    evaluation::{evaluate, GroupBy},
    storage::{Storage, SETTING_CATALOG},
};
use std::sync::Arc;

const CATALOG: &str = include_str!("../../../data/kcity-catalog.json");

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

fn photo(c: char) -> Vec<PhotoRef> {
    vec![PhotoRef {
        sha256: c.to_string().repeat(64),
        size: 10,
        mime: "image/jpeg".into(),
        thumb: None,
    }]
}

fn dispatch() -> Action {
    Action::Dispatch {
        department: "sanitation".into(),
        deadline_ms: now_ms() + 3_600_000,
        note: None,
    }
}

const GROUPINGS: [GroupBy; 7] = [
    GroupBy::District,
    GroupBy::Street,
    GroupBy::Community,
    GroupBy::Cell,
    GroupBy::Department,
    GroupBy::Category,
    GroupBy::Worker,
];

/// Cases of two streets at every stage (reported, registered, cancelled, dispatched,
/// returned, postponed, handled, closed, with photos, texts and a conflict).
async fn varied_cases(s: &dyn Storage) {
    accounts(s).await;
    s.put_setting(SETTING_CATALOG, CATALOG).await.unwrap();
    let (li, zhao, wang, chen) = (
        account(s, "li").await,
        account(s, "zhao").await,
        account(s, "wang").await,
        account(s, "chen").await,
    );
    let mut phone = Device::new("phone-li", "li", Role::Worker);
    let mut other = Device::new("phone-zhao", "zhao", Role::Worker);
    let mut tablet = Device::new("tablet-wang", "wang", Role::Supervisor);
    let mut handset = Device::new("phone-chen", "chen", Role::Handler);
    let reports = vec![
        phone.report(Some("32050800101")),
        phone.report_with_photos(Some("32050800101"), &[(&"b".repeat(64), 10)]),
        phone.report_with(Some("32050800102"), |r| {
            r.category = "01001".into();
            r.description = "井盖缺失, 桥边".into();
            r.address = Some("Renmin Road 5".into());
        }),
        phone.report(Some("32050800102")),
        phone.report(Some("32050800103")),
    ];
    let [quiet, closed, cancelled, returned, fixed]: [Stream; 5] = reports
        .iter()
        .map(|e| e.stream)
        .collect::<Vec<_>>()
        .try_into()
        .unwrap();
    let on_the_spot = phone.act(
        fixed,
        Action::SelfResolve {
            note: None,
            photos: photo('d'),
        },
    );
    s.push(&li, reports).await.unwrap();
    s.push(&li, vec![on_the_spot]).await.unwrap();
    let theirs = vec![
        other.report(Some("32050800201")),
        other.report(Some("32050800201")),
    ];
    let (postponed, waiting) = (theirs[0].stream, theirs[1].stream);
    s.push(&zhao, theirs).await.unwrap();
    let _ = waiting;
    s.push(
        &wang,
        vec![
            tablet.act(closed, register()),
            tablet.act(closed, dispatch()),
            tablet.act(cancelled, register()),
            tablet.act(
                cancelled,
                Action::Cancel {
                    reason: "duplicate".into(),
                },
            ),
            tablet.act(returned, register()),
            tablet.act(returned, dispatch()),
            tablet.act(
                returned,
                Action::Return {
                    reason: "not ours".into(),
                },
            ),
            tablet.act(postponed, register()),
            tablet.act(postponed, dispatch()),
            tablet.act(
                postponed,
                Action::Postpone {
                    reason: "parts".into(),
                    deadline_ms: now_ms() + 7_200_000,
                },
            ),
            // Not allowed yet: a conflict of the case.
            tablet.act(quiet, close()),
        ],
    )
    .await
    .unwrap();
    s.push(
        &chen,
        vec![handset.act(
            closed,
            Action::Handle {
                note: Some("emptied".into()),
                photos: photo('c'),
            },
        )],
    )
    .await
    .unwrap();
    s.push(
        &wang,
        vec![
            tablet.act(
                closed,
                Action::VerifyPass {
                    note: None,
                    photos: vec![],
                    position: None,
                },
            ),
            tablet.act(closed, close()),
        ],
    )
    .await
    .unwrap();
}

/// Every grouping over three areas, now and ten days on: the rows from the copies
/// are the rows from the full views.
async fn same_rows(s: &dyn Storage, from: i64, to: i64) {
    for area in ["", "320508001", "32050800201"] {
        let copies = s.eval_views_received(area, from, to).await.unwrap();
        let full = s.case_views_received(area, from, to).await.unwrap();
        assert_eq!(copies.len(), full.len(), "{area:?}");
        assert!(!copies.is_empty(), "{area:?}");
        for by in GROUPINGS {
            for now in [to, to + 10 * 86_400_000] {
                assert_eq!(
                    evaluate(&copies, by, now),
                    evaluate(&full, by, now),
                    "{area:?} {by:?}"
                );
            }
        }
    }
}

pub async fn evaluation_copies_count_as_the_full_views_and_rebuild_equals_push(
    s: Arc<dyn Storage>,
) {
    let from = now_ms() - 1;
    varied_cases(s.as_ref()).await;
    let to = now_ms() + 1;
    let total = evaluate(
        &s.eval_views_received("", from, to).await.unwrap(),
        GroupBy::Street,
        to,
    );
    let t = &total.last().unwrap().figures;
    // Seven reported; registered: four by wang and the self-resolved; due: less the
    // cancelled; closed: the self-resolved one (the handler's feedback on `closed` is
    // whatever the workflow makes of it, counted the same from both).
    assert_eq!(
        (t.reported, t.registered, t.due, t.dispatched),
        (7, 5, 4, 3),
        "{t:?}"
    );
    assert!(t.closed >= 1, "{t:?}");
    assert_eq!((t.postponed, t.returned), (1, 1), "{t:?}");
    same_rows(s.as_ref(), from, to).await;
    let pushed = s.eval_views_received("", from, to).await.unwrap();
    assert_eq!(s.rebuild_cases().await.unwrap(), 7);
    assert_eq!(s.eval_views_received("", from, to).await.unwrap(), pushed);
    same_rows(s.as_ref(), from, to).await;
}

/// The worker rows carry their devices' sync health, added up (docs/evaluation.md,
/// *Sync health per worker*): li's phone and tablet, zhao's phone, by hand.
pub async fn worker_rows_carry_their_devices_sync_health(s: Arc<dyn Storage>) {
    use gridwork_core::sync::wire::DeviceState;
    use gridwork_server::{
        blobs::BlobStore,
        evaluation::sync::{devices_of, with_sync, WorkerSync},
        health::{Contact, Via},
    };
    accounts(s.as_ref()).await;
    let (li, zhao) = (
        account(s.as_ref(), "li").await,
        account(s.as_ref(), "zhao").await,
    );
    let from = now_ms() - 1;
    let mut phone = Device::new("phone-li", "li", Role::Worker);
    let mut tablet = Device::new("tablet-li", "li", Role::Worker);
    let mut other = Device::new("phone-zhao", "zhao", Role::Worker);
    // The phone's report references two photos the server never got, and its register
    // (a worker may not) is rejected.
    let report = phone.report_with_photos(
        Some("32050800101"),
        &[(&"a".repeat(64), 1), (&"b".repeat(64), 2)],
    );
    let refused = phone.act(report.stream, register());
    s.push(&li, vec![report, refused]).await.unwrap();
    s.push(&li, vec![tablet.report(Some("32050800102"))])
        .await
        .unwrap();
    s.push(&zhao, vec![other.report(Some("32050800201"))])
        .await
        .unwrap();
    let to = now_ms() + 1;
    let state = |outbox| DeviceState {
        outbox: Some(outbox),
        photos: Some(2),
        head: None,
        client: None,
        incarnation: None,
    };
    for (device, at, st) in [
        ("phone-li", 5_000, Some(state(3))),
        ("tablet-li", 9_000, Some(state(1))),
    ] {
        let c = Contact {
            device_id: device.into(),
            at_ms: at,
            via: Via::Push,
            client: None,
            state: st,
        };
        s.record_contact(&c).await.unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let blobs = BlobStore::open(dir.path()).unwrap();
    let mut rows = evaluate(
        &s.eval_views_received("", from, to).await.unwrap(),
        GroupBy::Worker,
        to,
    );
    let users: std::collections::BTreeSet<String> = ["li".to_string(), "zhao".to_string()].into();
    with_sync(
        &mut rows,
        &devices_of(s.as_ref(), &blobs, &users).await.unwrap(),
    );
    let keys: Vec<&str> = rows.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(keys, ["li", "zhao", "total"]);
    let li_sync = WorkerSync {
        devices: 2,
        last_contact_ms: Some(9_000),
        events_waiting: Some(4),
        photos_waiting: Some(4),
        rejected_events: 1,
        photos_missing: 2,
    };
    assert_eq!(rows[0].sync.as_ref(), Some(&li_sync));
    let zhao_sync = WorkerSync {
        devices: 1,
        ..WorkerSync::default()
    };
    assert_eq!(rows[1].sync.as_ref(), Some(&zhao_sync), "never in contact");
    let total = rows[2].sync.as_ref().unwrap();
    assert_eq!(
        (total.devices, total.last_contact_ms, total.photos_missing),
        (3, Some(9_000), 2)
    );
}

/// What the copies of a database opened again must be: the full views, slimmed.
async fn copies_are_the_views(s: &dyn Storage) {
    let all = s.case_views_received("", 0, i64::MAX).await.unwrap();
    assert_eq!(all.len(), 7);
    let slim: Vec<_> = all
        .iter()
        .map(|v| gridwork_server::evaluation::copy::slim(v).unwrap())
        .collect();
    assert_eq!(s.eval_views_received("", 0, i64::MAX).await.unwrap(), slim);
}

/// A SQLite database of schema version 10 (before the copies and the map's indexes)
/// gets the copies made from its views when it is opened.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_databases_of_version_10_get_their_evaluation_copies() {
    use gridwork_server::storage::sqlite::SqliteStorage;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("server.db");
    let s = SqliteStorage::open(&path).await.unwrap();
    varied_cases(&s).await;
    drop(s);
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(
        "DROP TABLE case_eval; DROP INDEX cases_map_cells; DROP INDEX cases_map_points;
         ALTER TABLE devices DROP COLUMN public_key;
         ALTER TABLE devices DROP COLUMN flagged;
         ALTER TABLE devices DROP COLUMN flagged_ms;
         ALTER TABLE devices DROP COLUMN signed_from;
         PRAGMA user_version = 10;",
    )
    .unwrap();
    drop(conn);
    let s = SqliteStorage::open(&path).await.unwrap();
    copies_are_the_views(&s).await;
}

/// A PostgreSQL schema made before the copies gets them made from its views.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_databases_without_case_eval_get_their_evaluation_copies() {
    let Some(s) = postgres("case_eval_migration").await else {
        return;
    };
    varied_cases(s.as_ref()).await;
    drop(s);
    let url = std::env::var("GRIDWORK_TEST_PG").unwrap();
    let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    client
        .batch_execute("DROP TABLE gw_test_case_eval_migration.case_eval")
        .await
        .unwrap();
    let s = gridwork_server::storage::postgres::PostgresStorage::connect(
        &url,
        Some("gw_test_case_eval_migration"),
    )
    .await
    .unwrap();
    copies_are_the_views(&s).await;
}

/// The JSON copies of before the copy had its own columns (SQLite schema 11, and
/// PostgreSQL schemas made then), with one copy that no longer matches its view: a
/// database that still holds them must have them made again from the views.
const JSON_CASE_EVAL_SQLITE: &str = "
DROP TABLE case_eval;
CREATE TABLE case_eval (
  cell TEXT NOT NULL,
  received_ms INTEGER NOT NULL,
  id TEXT NOT NULL UNIQUE,
  copy TEXT NOT NULL,
  PRIMARY KEY (cell, received_ms, id)
) STRICT, WITHOUT ROWID;
INSERT INTO case_eval SELECT cell, received_ms, id, '{\"s\":\"closed\"}' FROM cases LIMIT 1;
ALTER TABLE devices DROP COLUMN public_key;
ALTER TABLE devices DROP COLUMN flagged;
ALTER TABLE devices DROP COLUMN flagged_ms;
ALTER TABLE devices DROP COLUMN signed_from;
PRAGMA user_version = 11;";

/// A SQLite database of schema version 11 (the copies as JSON) gets its copies made
/// again, as columns, from its views when it is opened.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_databases_of_version_11_get_their_copies_as_columns() {
    use gridwork_server::storage::sqlite::SqliteStorage;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("server.db");
    let s = SqliteStorage::open(&path).await.unwrap();
    varied_cases(&s).await;
    drop(s);
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(JSON_CASE_EVAL_SQLITE).unwrap();
    drop(conn);
    let s = SqliteStorage::open(&path).await.unwrap();
    copies_are_the_views(&s).await;
    drop(s);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(version, 12);
}

/// A PostgreSQL schema made when the copies were JSON gets them made again, as
/// columns, from its views.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_databases_with_json_copies_get_their_copies_as_columns() {
    let Some(s) = postgres("case_eval_json").await else {
        return;
    };
    varied_cases(s.as_ref()).await;
    drop(s);
    let url = std::env::var("GRIDWORK_TEST_PG").unwrap();
    let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    client
        .batch_execute(
            "SET search_path = gw_test_case_eval_json;
             DROP TABLE case_eval;
             CREATE TABLE case_eval (
               id TEXT COLLATE \"C\" PRIMARY KEY,
               cell TEXT COLLATE \"C\" NOT NULL,
               received_ms BIGINT NOT NULL,
               copy TEXT NOT NULL
             );
             CREATE INDEX case_eval_cell ON case_eval(cell, received_ms);
             INSERT INTO case_eval SELECT id, cell, received_ms, '{\"s\":\"closed\"}'
               FROM cases LIMIT 1;",
        )
        .await
        .unwrap();
    let s = gridwork_server::storage::postgres::PostgresStorage::connect(
        &url,
        Some("gw_test_case_eval_json"),
    )
    .await
    .unwrap();
    copies_are_the_views(&s).await;
}
