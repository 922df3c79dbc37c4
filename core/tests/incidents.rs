//! Reporting, listing, searching and refusing bad input, on real SQLite files.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use common::*;
use gridwork_core::{
    db::ListFilter,
    model::Role,
    store::{ActionKind, ReportDraft},
    workflow::Status,
    Error, Store,
};

#[test]
fn a_report_lands_in_its_cell_with_photos_stored_once() {
    let dev = Device::new("li", Role::Worker, "phone-1");
    let (_, _, cell) = dev.point_in_first_cell();
    let mut draft = dev.draft("exposed rubbish next to the school gate");
    draft.photos.push(draft.photos[0].clone()); // the same photo twice
    let id = dev.store.report(&draft).unwrap();
    let detail = dev.store.case(id).unwrap();
    assert_eq!(detail.case.status, Status::Reported);
    assert_eq!(detail.case.cell(), Some(cell.as_str()));
    assert_eq!(detail.case.report.photos.len(), 2);
    let sha = &detail.case.report.photos[0].sha256;
    assert!(dev.store.photos_dir().join(sha).is_file());
    let files = std::fs::read_dir(dev.store.photos_dir()).unwrap().count();
    assert_eq!(files, 1, "one file for one picture");
    // A second report with the same picture reuses the file.
    dev.store
        .report(&dev.draft("exposed rubbish next to the school gate"))
        .unwrap();
    assert_eq!(
        std::fs::read_dir(dev.store.photos_dir()).unwrap().count(),
        1
    );
    assert_eq!(detail.timeline.len(), 1);
    assert_eq!(detail.timeline[0].actor.user, "li");
}

#[test]
fn a_point_outside_every_cell_is_accepted_and_flagged() {
    let dev = Device::new("li", Role::Worker, "phone-1");
    let mut draft = dev.draft("rubbish on the ring road");
    draft.lat = 31.9;
    draft.lon = 121.4;
    let id = dev.store.report(&draft).unwrap();
    assert_eq!(dev.store.case(id).unwrap().case.cell(), None);
}

#[test]
fn bad_input_gets_a_typed_error_and_leaves_the_store_unchanged() {
    let dev = Device::new("li", Role::Worker, "phone-1");
    dev.store
        .report(&dev.draft("a first, valid report"))
        .unwrap();
    let before = snapshot(&dev.store);
    let good = dev.draft("rubbish");
    let cases: Vec<(&str, ReportDraft)> = vec![
        (
            "NaN latitude",
            ReportDraft {
                lat: f64::NAN,
                ..good.clone()
            },
        ),
        (
            "latitude 91",
            ReportDraft {
                lat: 91.0,
                ..good.clone()
            },
        ),
        (
            "longitude -181",
            ReportDraft {
                lon: -181.0,
                ..good.clone()
            },
        ),
        (
            "infinite longitude",
            ReportDraft {
                lon: f64::INFINITY,
                ..good.clone()
            },
        ),
        (
            "negative accuracy",
            ReportDraft {
                accuracy_m: Some(-3.0),
                ..good.clone()
            },
        ),
        (
            "unknown category",
            ReportDraft {
                category: "99999".into(),
                ..good.clone()
            },
        ),
        (
            "empty description",
            ReportDraft {
                description: "   ".into(),
                ..good.clone()
            },
        ),
        (
            "10 MB description",
            ReportDraft {
                description: "x".repeat(10 << 20),
                ..good.clone()
            },
        ),
        (
            "missing photo",
            ReportDraft {
                photos: vec![dev.dir.path().join("nope.jpg")],
                ..good.clone()
            },
        ),
    ];
    for (what, draft) in cases {
        let err = dev.store.report(&draft).unwrap_err();
        let typed = matches!(
            (&err, what),
            (
                Error::Grid(_),
                "NaN latitude" | "latitude 91" | "longitude -181" | "infinite longitude"
            ) | (
                Error::InvalidInput {
                    field: "accuracy",
                    ..
                },
                "negative accuracy"
            ) | (Error::UnknownCategory(_), "unknown category")
                | (
                    Error::InvalidInput {
                        field: "description",
                        ..
                    },
                    "empty description" | "10 MB description"
                )
                | (Error::Photo { .. }, "missing photo")
        );
        assert!(typed, "{what}: unexpected error {err:?}");
        assert!(!err.to_string().is_empty());
        assert_eq!(snapshot(&dev.store), before, "{what} changed the store");
    }
    // A file that is not an image is refused too.
    let text = dev.dir.path().join("notes.txt");
    std::fs::write(&text, "hello").unwrap();
    let err = dev
        .store
        .report(&ReportDraft {
            photos: vec![text],
            ..good
        })
        .unwrap_err();
    assert!(
        matches!(err, Error::InvalidInput { field: "photo", .. }),
        "{err:?}"
    );
    assert_eq!(snapshot(&dev.store), before);
}

#[test]
fn malformed_grid_or_catalogue_is_refused_and_the_old_one_kept() {
    let dev = Device::new("li", Role::Worker, "phone-1");
    let before = snapshot(&dev.store);
    assert!(matches!(
        dev.store.import_grid("{not json").unwrap_err(),
        Error::Grid(_)
    ));
    assert!(matches!(
        dev.store.import_grid(r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"123"},"geometry":{"type":"Polygon","coordinates":[[[120.6,31.3],[120.61,31.3],[120.61,31.31],[120.6,31.3]]]}}]}"#).unwrap_err(),
        Error::Grid(_)
    ));
    assert!(matches!(
        dev.store.import_catalog("[]").unwrap_err(),
        Error::Catalog(_)
    ));
    assert!(matches!(
        dev.store
            .import_catalog(r#"{"version":"x","categories":[{"code":"1"}]}"#)
            .unwrap_err(),
        Error::Catalog(_)
    ));
    assert_eq!(snapshot(&dev.store), before);
}

#[test]
fn an_uninitialised_store_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    store.import_catalog(CATALOG).unwrap();
    let err = store
        .report(&ReportDraft {
            category: "06010".into(),
            lat: 31.3,
            lon: 120.6,
            description: "x".into(),
            ..Default::default()
        })
        .unwrap_err();
    assert!(matches!(err, Error::NotInitialized), "{err:?}");
}

#[test]
fn lists_page_newest_first_and_filter_by_cell_status_and_text() {
    let dev = Device::new("li", Role::Worker, "phone-1");
    let grid = dev.store.grid().unwrap();
    let cells: Vec<_> = grid.cells().iter().take(3).collect();
    let mut ids = Vec::new();
    for i in 0..30 {
        use geo::Centroid;
        let c = cells[i % 3].polygon.centroid().unwrap();
        let text = if i % 10 == 0 {
            format!("路口井盖缺失 manhole cover missing #{i}")
        } else {
            format!("暴露垃圾 rubbish #{i}")
        };
        let mut draft = ReportDraft {
            lat: c.y(),
            lon: c.x(),
            description: text,
            photos: vec![],
            ..dev.draft("x")
        };
        draft.address = None;
        ids.push(dev.store.report(&draft).unwrap());
        dev.clock.advance(1000);
    }
    // Pages of 7, newest first, no row twice, none missing.
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = dev.store.list(&ListFilter::default(), after, 7).unwrap();
        assert!(page.items.len() <= 7);
        seen.extend(page.items.iter().map(|c| c.id));
        match page.next {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    let mut newest_first = ids.clone();
    newest_first.reverse();
    assert_eq!(seen, newest_first);
    // By cell and by a prefix of the codes (the community of the first cell).
    let first = cells[0].code.as_str();
    let by_cell = dev
        .store
        .list(
            &ListFilter {
                cell_prefix: Some(first.into()),
                ..Default::default()
            },
            None,
            100,
        )
        .unwrap();
    assert_eq!(by_cell.items.len(), 10);
    assert!(by_cell
        .items
        .iter()
        .all(|c| c.cell.as_deref() == Some(first)));
    let district = &first[..6];
    let by_district = dev
        .store
        .list(
            &ListFilter {
                cell_prefix: Some(district.into()),
                ..Default::default()
            },
            None,
            100,
        )
        .unwrap();
    assert_eq!(by_district.items.len(), 30);
    // Full text, Chinese and English, newest first.
    for q in ["井盖", "manhole", "MANHOLE cov", "缺失"] {
        let hits = dev
            .store
            .list(
                &ListFilter {
                    search: Some(q.into()),
                    ..Default::default()
                },
                None,
                100,
            )
            .unwrap();
        assert_eq!(hits.items.len(), 3, "query {q:?}");
        assert!(hits.items[0].reported_at_ms > hits.items[2].reported_at_ms);
    }
    let none = dev
        .store
        .list(
            &ListFilter {
                search: Some("井水".into()),
                ..Default::default()
            },
            None,
            100,
        )
        .unwrap();
    assert!(none.items.is_empty());
    // Status and counts.
    dev.store
        .act(
            ids[0],
            &as_role(with_note(ActionKind::Cancel, "dup"), Role::Supervisor),
        )
        .unwrap();
    let counts = dev.store.counts(&ListFilter::default()).unwrap();
    assert_eq!(counts.get(&Status::Reported), Some(&29));
    assert_eq!(counts.get(&Status::Cancelled), Some(&1));
    let cancelled = dev
        .store
        .list(
            &ListFilter {
                status: Some(Status::Cancelled),
                ..Default::default()
            },
            None,
            10,
        )
        .unwrap();
    assert_eq!(
        cancelled.items.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![ids[0]]
    );
    // A prefix that is not digits is refused.
    assert!(dev
        .store
        .list(
            &ListFilter {
                cell_prefix: Some("32%".into()),
                ..Default::default()
            },
            None,
            10
        )
        .is_err());
}

#[test]
fn writes_are_durable_full_sync_in_wal_mode() {
    let dev = Device::new("li", Role::Worker, "phone-1");
    let id = dev.store.report(&dev.draft("rubbish")).unwrap();
    let (mode, sync): (String, i64) = dev
        .store
        .db()
        .write(|tx| {
            Ok((
                tx.pragma_query_value(None, "journal_mode", |r| r.get(0))?,
                tx.pragma_query_value(None, "synchronous", |r| r.get(0))?,
            ))
        })
        .unwrap();
    assert_eq!(mode, "wal");
    assert_eq!(sync, 2, "synchronous=FULL");
    // Reopening the folder finds the report.
    let path = dev.store.dir().to_path_buf();
    drop(dev.store);
    let reopened = Store::open(&path).unwrap();
    assert_eq!(
        reopened.case(id).unwrap().case.report.description,
        "rubbish"
    );
}

#[test]
fn lists_filter_by_assignee_department_or_handler() {
    let dev = Device::new("wang", Role::Supervisor, "tablet-1");
    let a = dev.store.report(&dev.draft("rubbish a")).unwrap();
    let b = dev.store.report(&dev.draft("rubbish b")).unwrap();
    for id in [a, b] {
        dev.store.act(id, &act(ActionKind::Register)).unwrap();
    }
    let mut dispatch = act(ActionKind::Dispatch);
    dispatch.department = Some(dev.department());
    dev.store.act(a, &dispatch).unwrap();
    let mut handle = as_role(act(ActionKind::Handle), Role::Handler);
    handle.photos = vec![dev.photo("after")];
    dev.store.act(a, &handle).unwrap();
    let by_dept = ListFilter {
        assignee: Some(dev.department()),
        ..Default::default()
    };
    let ids: Vec<_> = dev
        .store
        .list(&by_dept, None, 10)
        .unwrap()
        .items
        .iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(ids, vec![a]);
    let by_handler = ListFilter {
        assignee: Some("wang".into()),
        ..Default::default()
    };
    assert_eq!(
        dev.store.list(&by_handler, None, 10).unwrap().items.len(),
        1
    );
    let nobody = ListFilter {
        assignee: Some("nobody".into()),
        ..Default::default()
    };
    assert!(dev.store.list(&nobody, None, 10).unwrap().items.is_empty());
}

#[test]
fn a_long_read_can_be_interrupted() {
    let dev = Device::new("li", Role::Worker, "phone-1");
    let store = std::sync::Arc::new(dev.store);
    let reader = store.clone();
    let query = std::thread::spawn(move || {
        reader.db().read(|conn| {
            // Counts to a billion: minutes of work unless interrupted.
            Ok(conn.query_row(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000000)
                 SELECT count(*) FROM n",
                [],
                |r| r.get::<_, i64>(0),
            )?)
        })
    });
    while !query.is_finished() {
        store.db().interrupt();
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let err = query.join().unwrap().unwrap_err();
    assert!(matches!(err, Error::Interrupted), "{err:?}");
    // The store is usable afterwards.
    assert!(store.list(&ListFilter::default(), None, 10).is_ok());
}
