//! The map's overview on every backend (run by the `conformance!` macro in
//! conformance.rs): per-cell counts for shading, clusters on the zoom's grid with a
//! photo, single markers, the box, the scope and the case list's filters.

use crate::common::*;
use gridwork_core::{
    model::{Action, Event, Role},
    sync::wire::PushOutcome,
};
use gridwork_server::{
    account::Account,
    mapview::{self, MapView},
    storage::Storage,
};
use std::sync::Arc;

const CATALOG: &str = include_str!("../../../data/kcity-catalog.json");
/// Around the sample city.
const CITY: &str = "120.55,31.25,120.70,31.40";

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

async fn map(s: &dyn Storage, who: &Account, params: &[(&str, &str)]) -> MapView {
    let pairs: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    s.case_map(&mapview::parse(&pairs, who, now_ms()).unwrap())
        .await
        .unwrap()
}

async fn push_all(s: &dyn Storage, who: &Account, events: Vec<Event>) {
    for o in s.push(who, events).await.unwrap() {
        assert!(matches!(o, PushOutcome::Accepted { .. }), "{o:?}");
    }
}

pub async fn the_map_counts_cells_and_clusters_cases_in_sql(s: Arc<dyn Storage>) {
    accounts(s.as_ref()).await;
    gridwork_server::admin::import_catalog(s.as_ref(), CATALOG)
        .await
        .unwrap();
    let (li, zhao, wang) = (
        account(s.as_ref(), "li").await,
        account(s.as_ref(), "zhao").await,
        account(s.as_ref(), "wang").await,
    );
    let mut phone = Device::new("phone-li", "li", Role::Worker);
    let mut other = Device::new("phone-zhao", "zhao", Role::Worker);
    let mut tablet = Device::new("tablet-wang", "wang", Role::Supervisor);
    let photo = "c".repeat(64);
    // Three reports a few metres apart by the bridge (one square at zoom 13, ~1 km),
    // the second with a photo; one alone 3 km away; one in zhao's street.
    let at = |lat: f64, lon: f64| {
        move |r: &mut gridwork_core::model::Report| {
            r.lat = lat;
            r.lon = lon;
        }
    };
    let near: Vec<Event> = vec![
        phone.report_with(Some("32050800101"), at(31.3001, 120.6001)),
        phone.report_with(Some("32050800101"), |r| {
            at(31.3002, 120.6003)(r);
            r.photos = vec![gridwork_core::model::PhotoRef {
                sha256: photo.clone(),
                size: 10,
                mime: "image/jpeg".into(),
                thumb: None,
            }];
        }),
        phone.report_with(Some("32050800102"), at(31.3004, 120.6002)),
    ];
    let alone = phone.report_with(Some("32050800103"), at(31.33, 120.63));
    let theirs = other.report_with(Some("32050800201"), at(31.26, 120.56));
    let cancelled = near[0].stream;
    let dispatched = near[2].stream;
    let (alone_id, theirs_id) = (alone.stream.id(), theirs.stream.id());
    push_all(s.as_ref(), &li, [near, vec![alone]].concat()).await;
    push_all(s.as_ref(), &zhao, vec![theirs]).await;
    // One of the three cancelled; one dispatched long ago, so overdue by the server.
    push_all(
        s.as_ref(),
        &wang,
        vec![
            tablet.act(
                cancelled,
                Action::Cancel {
                    reason: "duplicate".into(),
                },
            ),
            tablet.act(dispatched, register()),
            tablet.act(
                dispatched,
                Action::Dispatch {
                    department: "sanitation".into(),
                    deadline_ms: now_ms() + 86_400_000,
                    note: None,
                },
            ),
        ],
    )
    .await;

    let v = map(s.as_ref(), &wang, &[("bbox", CITY), ("zoom", "13")]).await;
    assert_eq!(v.total, 5);
    // Every cell with a case, shaded by its open ones.
    let cells: Vec<(&str, u64, u64, u64)> = v
        .cells
        .iter()
        .map(|c| (c.cell.as_str(), c.cases, c.open, c.overdue))
        .collect();
    assert_eq!(
        cells,
        vec![
            ("32050800101", 2, 1, 0),
            ("32050800102", 1, 1, 1),
            ("32050800103", 1, 1, 0),
            ("32050800201", 1, 1, 0),
        ]
    );
    // The three by the bridge are one cluster with the photo; the others are markers.
    assert_eq!(v.clusters.len(), 1, "{v:?}");
    let c = &v.clusters[0];
    assert_eq!((c.count, c.open, c.overdue), (3, 2, 1));
    assert_eq!(c.photo.as_ref().unwrap().url, format!("/v1/blobs/{photo}"));
    assert!((c.lat - 31.300_233).abs() < 1e-5, "mean latitude {}", c.lat);
    let [w, so, e, n] = c.bounds;
    assert!(
        (w, so, e, n) == (120.6001, 31.3001, 120.6003, 31.3004),
        "{:?}",
        c.bounds
    );
    let mut markers: Vec<_> = v
        .markers
        .iter()
        .map(|m| (m.id, m.status.as_str()))
        .collect();
    markers.sort();
    let mut expected = vec![(alone_id, "reported"), (theirs_id, "reported")];
    expected.sort();
    assert_eq!(markers, expected);
    let m = v.markers.iter().find(|m| m.id == alone_id).unwrap();
    assert_eq!((m.lat, m.lon, m.overdue), (31.33, 120.63, false));

    // Zoomed in to street level the three come apart into markers.
    let close = map(
        s.as_ref(),
        &wang,
        &[("bbox", "120.599,31.299,120.601,31.301"), ("zoom", "22")],
    )
    .await;
    assert_eq!(close.total, 3);
    assert!(close.clusters.is_empty(), "{close:?}");
    assert_eq!(close.markers.len(), 3);
    assert!(close
        .markers
        .iter()
        .any(|m| m.photo.as_ref().map(|p| p.sha256.as_str()) == Some(photo.as_str())));

    // The case list's filters, and the caller's scope.
    let overdue = map(
        s.as_ref(),
        &wang,
        &[("bbox", CITY), ("zoom", "13"), ("overdue", "true")],
    )
    .await;
    assert_eq!(overdue.total, 1);
    assert_eq!(overdue.markers[0].id, dispatched.id());
    assert!(overdue.markers[0].overdue);
    assert_eq!(overdue.markers[0].status, "dispatched");
    assert_eq!(overdue.cells.len(), 1);
    let open = map(
        s.as_ref(),
        &wang,
        &[
            ("bbox", CITY),
            ("zoom", "13"),
            ("status", "reported,dispatched"),
        ],
    )
    .await;
    assert_eq!(open.total, 4);
    assert_eq!(open.clusters[0].count, 2);
    let mine = map(s.as_ref(), &li, &[("bbox", CITY), ("zoom", "13")]).await;
    assert_eq!(mine.total, 4, "zhao's street is outside li's scope");
    assert!(mine.cells.iter().all(|c| c.cell.starts_with("320508001")));
    assert!(mine.markers.iter().all(|m| m.id != theirs_id));
    // The box: only the lone case's corner.
    let corner = map(
        s.as_ref(),
        &wang,
        &[("bbox", "120.62,31.32,120.64,31.34"), ("zoom", "13")],
    )
    .await;
    assert_eq!(corner.total, 1);
    assert_eq!(corner.markers[0].id, alone_id);
    assert_eq!(corner.cells.len(), 4, "cell counts are not cut by the box");
}

fn one_report_with_a_photo() -> (Device, Event) {
    let mut d = Device::new("phone-li", "li", Role::Worker);
    let e = d.report_with_photos(Some("32050800101"), &[(&"e".repeat(64), 10)]);
    (d, e)
}

async fn the_marker_is_at_the_report(s: &dyn Storage, e: &Event) {
    let wang = account(s, "wang").await;
    let v = map(s, &wang, &[("bbox", CITY), ("zoom", "13")]).await;
    assert_eq!(v.markers.len(), 1, "{v:?}");
    let m = &v.markers[0];
    assert_eq!((m.id, m.lat, m.lon), (e.stream.id(), 31.3, 120.6));
    assert_eq!(m.photo.as_ref().unwrap().sha256, "e".repeat(64));
}

/// A SQLite database of schema version 6 (before the map's columns, and the later
/// steps' tables and columns) gets them filled
/// from its case views when it is opened.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_databases_of_version_6_learn_their_cases_points() {
    use gridwork_server::storage::sqlite::SqliteStorage;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("server.db");
    let s = SqliteStorage::open(&path).await.unwrap();
    accounts(&s).await;
    let li = account(&s, "li").await;
    let (_d, e) = one_report_with_a_photo();
    push_all(&s, &li, vec![e.clone()]).await;
    drop(s);
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "DROP TABLE case_eval; DROP INDEX cases_map_cells; DROP INDEX cases_map_points;
             ALTER TABLE cases DROP COLUMN lat; ALTER TABLE cases DROP COLUMN lon;
             ALTER TABLE cases DROP COLUMN photo;
             DROP INDEX cases_conflicts; ALTER TABLE cases DROP COLUMN open_conflicts;
             DROP TABLE device_health; DROP TABLE device_photos; DROP TABLE audit;
             ALTER TABLE accounts DROP COLUMN department;
             ALTER TABLE accounts DROP COLUMN disabled;
             ALTER TABLE accounts DROP COLUMN last_sign_in_ms;
             DROP INDEX tokens_device; ALTER TABLE tokens DROP COLUMN last_used_ms;
             ALTER TABLE devices DROP COLUMN wipe_requested_ms;
             ALTER TABLE devices DROP COLUMN wipe_requested_by;
             ALTER TABLE devices DROP COLUMN wiped_ms;
             ALTER TABLE devices DROP COLUMN public_key;
             ALTER TABLE devices DROP COLUMN flagged;
             ALTER TABLE devices DROP COLUMN flagged_ms;
             ALTER TABLE devices DROP COLUMN signed_from;
             PRAGMA user_version = 6;",
        )
        .unwrap();
    }
    let s = SqliteStorage::open(&path).await.unwrap();
    the_marker_is_at_the_report(&s, &e).await;
}

/// Likewise a PostgreSQL database without them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_databases_without_the_map_columns_learn_them() {
    let Some(s) = crate::common::postgres("map_columns_migration").await else {
        return;
    };
    accounts(s.as_ref()).await;
    let li = account(s.as_ref(), "li").await;
    let (_d, e) = one_report_with_a_photo();
    push_all(s.as_ref(), &li, vec![e.clone()]).await;
    drop(s);
    let url = std::env::var("GRIDWORK_TEST_PG").unwrap();
    let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    client
        .batch_execute(
            "ALTER TABLE gw_test_map_columns_migration.cases
               DROP COLUMN lat, DROP COLUMN lon, DROP COLUMN photo",
        )
        .await
        .unwrap();
    let s = gridwork_server::storage::postgres::PostgresStorage::connect(
        &url,
        Some("gw_test_map_columns_migration"),
    )
    .await
    .unwrap();
    the_marker_is_at_the_report(&s, &e).await;
}
