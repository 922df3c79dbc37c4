//! Patrols recorded on another device: their synced events, applied here in any order,
//! in pieces and more than once, show the patrol with its figures, marked as the other
//! worker's, and leave this device's own patrols alone.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use common::*;
use gridwork_core::{
    model::{Event, Role},
    patrol::{Fix, Provider},
    store::PatrolStatus,
    Error,
};

fn walk(dev: &Device, start_ms: i64, seconds: i64, north_m: f64) -> Vec<Fix> {
    let (lat, lon, _) = dev.point_in_first_cell();
    let m_per_deg_lon = 111_320.0 * lat.to_radians().cos();
    (0..seconds)
        .map(|s| Fix {
            time_ms: start_ms + s * 1000,
            lat: lat + north_m / 111_320.0,
            lon: lon - 0.0012 + s as f64 * 1.2 / m_per_deg_lon,
            accuracy_m: 5.0,
            speed_mps: None,
            bearing_deg: None,
            altitude_m: None,
            provider: Provider::Gps,
            mock: false,
        })
        .collect()
}

/// Wang patrols the first cell for 7 minutes (with a 5 km teleport among the fixes),
/// checks in once, and finishes. Returns the patrol and his events.
fn wangs_patrol() -> (Device, uuid::Uuid, Vec<Event>) {
    let wang = Device::new("wang", Role::Worker, "phone-wang");
    let (_, _, cell) = wang.point_in_first_cell();
    let id = wang.store.start_patrol(&[cell]).unwrap();
    let mut fixes = walk(&wang, wang.clock.get(), 420, 0.0);
    fixes[100].lat += 0.05;
    for batch in fixes.chunks(10) {
        wang.clock.set(batch.last().unwrap().time_ms + 200);
        wang.store.add_fixes(id, batch.to_vec()).unwrap();
    }
    let (lat, lon, _) = wang.point_in_first_cell();
    wang.store
        .check_in(id, lat, lon, Some("shop 12".into()), None)
        .unwrap();
    wang.store.finish_patrol(id).unwrap();
    let events = wang.store.all_events().unwrap();
    (wang, id, events)
}

#[test]
fn a_pulled_patrol_is_shown_with_its_figures_as_the_other_workers() {
    let (wang, id, events) = wangs_patrol();
    let own = wang.store.patrol(id).unwrap();
    assert!(events.len() >= 4, "started, tracks, check-in, finished");

    // Zhao is on patrol himself when wang's events arrive: backwards, in three pieces,
    // the middle one twice.
    let zhao = Device::new("zhao", Role::Worker, "phone-zhao");
    let (_, _, cell) = zhao.point_in_first_cell();
    let mine = zhao.store.start_patrol(&[cell]).unwrap();
    let t0 = zhao.clock.get();
    zhao.store
        .add_fixes(mine, walk(&zhao, t0, 30, 20.0))
        .unwrap();
    let mut backwards = events.clone();
    backwards.reverse();
    let third = backwards.len().div_ceil(3);
    let pieces: Vec<&[Event]> = backwards.chunks(third).collect();
    for piece in [pieces[0], pieces[1], pieces[1]]
        .into_iter()
        .chain(pieces[2..].iter().copied())
    {
        zhao.store.apply_remote(piece).unwrap();
    }

    let list = zhao.store.patrols().unwrap();
    assert_eq!(list.len(), 2, "{list:?}");
    let theirs = list
        .iter()
        .find(|p| p.id == id)
        .expect("wang's patrol is listed");
    assert_eq!(theirs.worker, "wang");
    assert!(theirs.remote);
    assert_eq!(theirs.status, PatrolStatus::Finished);
    assert_eq!(theirs.fix_count, 420);
    assert_eq!(theirs.flagged_count, own.integrity.flagged as u64);

    let p = zhao.store.patrol(id).unwrap();
    assert!(p.remote);
    assert_eq!(
        (p.worker.as_str(), p.device_id.as_str()),
        ("wang", "phone-wang")
    );
    assert_eq!(p.cells, own.cells);
    assert_eq!(
        (p.started_at_ms, p.finished_at_ms),
        (own.started_at_ms, own.finished_at_ms)
    );
    // From the simplified track: distance and moving time a few per cent off at most.
    assert!(p.stats.distance_m > 400.0, "{}", p.stats.distance_m);
    let off = (p.stats.distance_m - own.stats.distance_m).abs() / own.stats.distance_m;
    assert!(
        off < 0.05,
        "{} vs {}",
        p.stats.distance_m,
        own.stats.distance_m
    );
    assert!((p.stats.duration_s - own.stats.duration_s).abs() < 1.0);
    assert_eq!(p.stats.fix_count, 420);
    assert_eq!(p.integrity.flagged, own.integrity.flagged);
    assert_eq!(p.integrity.total, own.integrity.total);
    assert_eq!(p.integrity.verdict, own.integrity.verdict);
    assert_eq!(p.coverage.len(), 1);
    let (a, b) = (p.coverage[0].covered_share, own.coverage[0].covered_share);
    assert!(a > 0.0 && (a - b).abs() < 0.03, "{a} vs {b}");
    assert_eq!(p.check_ins.len(), 1);
    assert_eq!(p.check_ins[0].check_in.note.as_deref(), Some("shop 12"));

    // The same events in order, once, on a third device: the very same patrol.
    let li = Device::new("li", Role::Supervisor, "tablet-li");
    li.store.apply_remote(&events).unwrap();
    assert_eq!(li.store.patrol(id).unwrap(), p);

    // Zhao's own patrol goes on undisturbed; wang's is only shown.
    assert_eq!(zhao.store.open_patrol().unwrap(), Some(mine));
    let t1 = zhao.clock.get() + 30_000;
    zhao.clock.set(t1 + 10_000);
    let r = zhao
        .store
        .add_fixes(mine, walk(&zhao, t1, 10, 20.0))
        .unwrap();
    assert_eq!(r.stored, 10);
    let own_row = zhao.store.patrol(mine).unwrap();
    assert!(!own_row.remote);
    assert_eq!(own_row.stats.fix_count, 40);
    let err = zhao.store.pause_patrol(id).err().unwrap();
    assert!(matches!(err, Error::PatrolState(_)), "{err:?}");

    // Wang's own events coming back to him change nothing.
    wang.store.apply_remote(&events).unwrap();
    assert_eq!(wang.store.patrol(id).unwrap(), own);
    assert!(!wang.store.patrols().unwrap()[0].remote);
}
