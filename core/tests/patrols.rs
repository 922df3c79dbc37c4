//! Patrols on a real store: sessions, batches of fixes, check-ins, figures, proof of
//! patrol, GPX and GeoJSON, and refusing bad input without writing anything.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use common::*;
use geo::{Distance, Haversine, Point};
use gridwork_core::{
    model::Role,
    patrol::{Fix, PatrolError, Provider, Verdict, MAX_FIXES_PER_BATCH},
    store::{ExportFormat, PatrolStatus},
    Error,
};

fn fix(t: i64, lat: f64, lon: f64) -> Fix {
    Fix {
        time_ms: t,
        lat,
        lon,
        accuracy_m: 5.0,
        speed_mps: None,
        bearing_deg: None,
        altitude_m: None,
        provider: Provider::Gps,
        mock: false,
    }
}

/// A walk at ~1.2 m/s eastwards through the middle of the first cell, one fix a second.
fn walk(dev: &Device, start_ms: i64, seconds: i64) -> Vec<Fix> {
    let (lat, lon, _) = dev.point_in_first_cell();
    let m_per_deg_lon = 111_320.0 * lat.to_radians().cos();
    (0..seconds)
        .map(|s| {
            fix(
                start_ms + s * 1000,
                lat,
                lon - 0.0012 + s as f64 * 1.2 / m_per_deg_lon,
            )
        })
        .collect()
}

#[test]
fn a_patrol_records_batches_and_reports_its_figures() {
    let dev = Device::new("li", Role::Worker, "phone-1");
    let (_, _, cell) = dev.point_in_first_cell();
    let id = dev.store.start_patrol(std::slice::from_ref(&cell)).unwrap();
    let t0 = dev.clock.get();
    let fixes = walk(&dev, t0, 180);
    for batch in fixes.chunks(10) {
        dev.clock.set(batch.last().unwrap().time_ms + 200);
        let r = dev.store.add_fixes(id, batch.to_vec()).unwrap();
        assert_eq!(r.stored, 10);
        assert!(r.synced_points <= 10);
    }
    // A case reported meanwhile links to the patrol.
    let case = dev
        .store
        .report(&dev.draft("rubbish seen on patrol"))
        .unwrap();
    dev.store.finish_patrol(id).unwrap();
    let p = dev.store.patrol(id).unwrap();
    assert_eq!(p.status, PatrolStatus::Finished);
    assert_eq!(p.stats.fix_count, 180);
    assert_eq!(p.incidents, vec![case]);
    // Distance cross-checked with an independent formula over the same points.
    let mut expected = 0.0;
    for w in fixes.windows(2) {
        expected += Haversine.distance(
            Point::new(w[0].lon, w[0].lat),
            Point::new(w[1].lon, w[1].lat),
        );
    }
    assert!(
        (p.stats.distance_m - expected).abs() / expected < 0.01,
        "{} vs {expected}",
        p.stats.distance_m
    );
    assert!((p.stats.duration_s - 179.0).abs() < 1.0);
    assert_eq!(p.coverage.len(), 1);
    assert!(
        p.coverage[0].covered_share > 0.05 && p.coverage[0].covered_share < 1.0,
        "{:?}",
        p.coverage
    );
    assert!(p
        .time_in_cells
        .iter()
        .any(|c| c.cell_id == cell && c.seconds > 60.0));
    assert_eq!(p.integrity.verdict, Verdict::Trusted);
    // Three minutes of track: one patrol.track event, made when the patrol finished.
    let events: Vec<_> = dev
        .store
        .all_events()
        .unwrap()
        .into_iter()
        .filter(|e| e.stream.id() == id)
        .collect();
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["patrol.started", "patrol.track", "patrol.finished"]);
    assert_eq!(events[1].payload["fixes"], 180);
    let synced = events[1].payload["points"].as_array().unwrap().len();
    assert!(
        (2..180).contains(&synced),
        "a straight walk thins out: {synced} points"
    );
    assert!(dev.store.verify_log().unwrap().is_intact());
}

#[test]
fn out_of_order_and_duplicate_fixes_are_sorted_and_dropped() {
    let dev = Device::new("li", Role::Worker, "phone-1");
    let id = dev.store.start_patrol(&[]).unwrap();
    let mut fixes = walk(&dev, dev.clock.get(), 20);
    fixes.swap(3, 7);
    fixes.push(fixes[5]);
    let r = dev.store.add_fixes(id, fixes.clone()).unwrap();
    assert_eq!(r.stored, 20);
    assert_eq!(r.duplicates, 1);
    // The same batch delivered again stores nothing new.
    let again = dev.store.add_fixes(id, fixes[..10].to_vec()).unwrap();
    assert_eq!(again.stored, 0);
    // Fix batches skip the fsync; user-visible writes afterwards are FULL again.
    let sync: i64 = dev
        .store
        .db()
        .write(|tx| Ok(tx.pragma_query_value(None, "synchronous", |r| r.get(0))?))
        .unwrap();
    assert_eq!(sync, 2);
    let track = dev.store.patrol_track(id).unwrap();
    assert_eq!(track.len(), 20);
    assert!(track
        .windows(2)
        .all(|w| w[0].fix.time_ms < w[1].fix.time_ms));
}

#[test]
fn implausible_fixes_are_flagged_not_deleted() {
    let dev = Device::new("li", Role::Worker, "phone-1");
    let id = dev.store.start_patrol(&[]).unwrap();
    let mut fixes = walk(&dev, dev.clock.get(), 60);
    fixes[20].lat += 0.05; // a 5 km teleport
    fixes[30].mock = true;
    fixes[40].accuracy_m = 400.0;
    dev.clock.set(fixes.last().unwrap().time_ms);
    let r = dev.store.add_fixes(id, fixes).unwrap();
    assert_eq!(r.stored, 60);
    assert!(r.flagged >= 3);
    let p = dev.store.patrol(id).unwrap();
    assert_eq!(p.stats.fix_count, 60);
    assert!(p.integrity.flagged >= 3);
    assert_eq!(
        p.integrity.verdict,
        Verdict::Untrusted,
        "a mock fix makes the patrol untrusted"
    );
}

#[test]
fn one_open_patrol_per_worker_and_no_fixes_when_paused_or_finished() {
    let dev = Device::new("li", Role::Worker, "phone-1");
    let id = dev.store.start_patrol(&[]).unwrap();
    assert!(matches!(
        dev.store.start_patrol(&[]).unwrap_err(),
        Error::PatrolState(_)
    ));
    dev.store.pause_patrol(id).unwrap();
    let before = snapshot(&dev.store);
    let err = dev
        .store
        .add_fixes(id, walk(&dev, dev.clock.get(), 5))
        .unwrap_err();
    assert!(matches!(err, Error::PatrolState(_)), "{err}");
    assert_eq!(snapshot(&dev.store), before);
    dev.store.resume_patrol(id).unwrap();
    dev.store.finish_patrol(id).unwrap();
    let before = snapshot(&dev.store);
    let err = dev
        .store
        .add_fixes(id, walk(&dev, dev.clock.get(), 5))
        .unwrap_err();
    assert!(matches!(err, Error::PatrolState(_)), "{err}");
    assert!(matches!(
        dev.store.finish_patrol(id).unwrap_err(),
        Error::PatrolState(_)
    ));
    assert_eq!(snapshot(&dev.store), before);
    // A new patrol can start now.
    dev.store.start_patrol(&[]).unwrap();
}

#[test]
fn bad_fixes_and_files_are_refused_whole() {
    let dev = Device::new("li", Role::Worker, "phone-1");
    let id = dev.store.start_patrol(&[]).unwrap();
    let before = snapshot(&dev.store);
    let mut nan = walk(&dev, dev.clock.get(), 10);
    nan[4].lat = f64::NAN;
    assert!(matches!(
        dev.store.add_fixes(id, nan).unwrap_err(),
        Error::Patrol(PatrolError::InvalidFix { .. })
    ));
    let mut out_of_range = walk(&dev, dev.clock.get(), 10);
    out_of_range[0].lon = 200.0;
    assert!(matches!(
        dev.store.add_fixes(id, out_of_range).unwrap_err(),
        Error::Patrol(_)
    ));
    let huge: Vec<Fix> = (0..100_000)
        .map(|i| fix(dev.clock.get() + i, 31.3, 120.6))
        .collect();
    assert!(MAX_FIXES_PER_BATCH < huge.len());
    assert!(matches!(
        dev.store.add_fixes(id, huge).unwrap_err(),
        Error::Patrol(PatrolError::BatchTooLarge { .. })
    ));
    assert_eq!(snapshot(&dev.store), before);
    dev.store.finish_patrol(id).unwrap();
    let before = snapshot(&dev.store);
    for bad in ["<gpx", "not xml at all", "<gpx xmlns=\"http://www.topografix.com/GPX/1/1\"><trk><trkseg><trkpt lat=\"31.3\" lon=\"120.6\"></trkpt></trkseg></trk></gpx>"] {
        assert!(dev.store.import_gpx(bad, &[]).is_err(), "{bad}");
        assert_eq!(snapshot(&dev.store), before, "{bad} left something behind");
    }
    assert!(matches!(
        dev.store
            .start_patrol(&["99999999999999".into()])
            .unwrap_err(),
        Error::InvalidInput { .. }
    ));
}

#[test]
fn gpx_export_imports_back_and_geojson_is_a_feature_collection() {
    let dev = Device::new("li", Role::Worker, "phone-1");
    let (_, _, cell) = dev.point_in_first_cell();
    let id = dev.store.start_patrol(std::slice::from_ref(&cell)).unwrap();
    let fixes = walk(&dev, dev.clock.get(), 120);
    dev.clock.set(fixes.last().unwrap().time_ms);
    dev.store.add_fixes(id, fixes).unwrap();
    let (lat, lon, _) = dev.point_in_first_cell();
    dev.store
        .check_in(
            id,
            lat,
            lon,
            Some("visited No. 12".into()),
            Some(&dev.photo("door")),
        )
        .unwrap();
    dev.store.finish_patrol(id).unwrap();
    let original = dev.store.patrol(id).unwrap();
    assert_eq!(original.check_ins.len(), 1);
    assert!(original.check_ins[0].photo.is_some());

    let gpx = dev.store.export_patrol(id, ExportFormat::Gpx).unwrap();
    assert!(gpx.contains("http://www.topografix.com/GPX/1/1"));
    let parsed = gpx::read(gpx.as_bytes()).unwrap();
    assert_eq!(parsed.tracks[0].segments[0].points.len(), 120);
    let imported = dev
        .store
        .import_gpx(&gpx, std::slice::from_ref(&cell))
        .unwrap();
    let copy = dev.store.patrol(imported).unwrap();
    assert_eq!(copy.stats.fix_count, 120);
    assert!((copy.stats.distance_m - original.stats.distance_m).abs() < 1.0);
    assert_eq!(
        copy.integrity.verdict,
        Verdict::Trusted,
        "an imported old track is not a clock problem"
    );

    let geojson: serde_json::Value =
        serde_json::from_str(&dev.store.export_patrol(id, ExportFormat::GeoJson).unwrap()).unwrap();
    assert_eq!(geojson["type"], "FeatureCollection");
    assert!(geojson["features"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["geometry"]["type"] == "LineString"));
}

#[test]
fn every_fix_reaches_exactly_one_track_event_window_by_window() {
    let dev = Device::new("li", Role::Worker, "phone-1");
    let id = dev.store.start_patrol(&[]).unwrap();
    let t0 = dev.clock.get();
    // Twelve minutes in 10-second batches, one batch delivered late and out of order.
    let fixes = walk(&dev, t0, 720);
    let mut batches: Vec<Vec<Fix>> = fixes.chunks(10).map(|c| c.to_vec()).collect();
    batches.swap(40, 45);
    let mut flushed_during = 0;
    for b in batches {
        dev.clock
            .set(b.iter().map(|f| f.time_ms).max().unwrap() + 500);
        if dev.store.add_fixes(id, b).unwrap().synced_points > 0 {
            flushed_during += 1;
        }
    }
    assert_eq!(
        flushed_during, 2,
        "a track event every five minutes of track"
    );
    dev.store.pause_patrol(id).unwrap();
    dev.store.resume_patrol(id).unwrap();
    dev.store.finish_patrol(id).unwrap();
    let tracks: Vec<_> = dev
        .store
        .all_events()
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == "patrol.track")
        .collect();
    assert_eq!(tracks.len(), 3, "two windows, then the rest at the pause");
    let total: u64 = tracks
        .iter()
        .map(|e| e.payload["fixes"].as_u64().unwrap())
        .sum();
    assert_eq!(total, 720, "every fix in exactly one event");
}
