//! Evaluation's patrol figures (DOMAIN.md §5: patrol distance, time and coverage per
//! worker and cell), counted from the server's patrol views and their synced tracks.
//! Pure: the handler reads the patrols started in a period within the caller's areas
//! and hands them here with the city grid; docs/evaluation.md says what each figure
//! means and how it is computed.

use crate::{evaluation::GroupBy, patrols::ProjectedPatrol};
use gridwork_core::{
    geo::Grid,
    patrol::{coverage_of_tracks, CoverageParams, TrackPoint},
};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// The patrol figures of one group.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PatrolTotals {
    /// Patrols started in the period with an assigned cell in the group (for a worker:
    /// the worker's).
    pub patrols: u64,
    /// Their distance walked, metres (a patrol assigned cells of two groups counts in
    /// both; the total counts it once).
    pub distance_m: f64,
    /// Their duration (first to last plausible fix), seconds.
    pub duration_s: f64,
    /// Their moving time, seconds.
    pub moving_time_s: f64,
    /// Time spent inside the group's cells (for a worker and the total: inside any
    /// cell of the areas), seconds.
    pub time_in_area_s: f64,
    /// Distinct assigned cells of the group patrolled in the period.
    pub cells_patrolled: u64,
    /// Their area, m².
    pub area_m2: f64,
    /// Of it, within 25 m of any of the group's patrol tracks, m².
    pub covered_m2: f64,
    /// covered / area (`null` without a known patrolled cell).
    pub coverage_share: Option<f64>,
}

/// What evaluation needs of one patrol, within the caller's areas.
struct Patrol<'a> {
    worker: &'a str,
    distance_m: f64,
    duration_s: f64,
    moving_time_s: f64,
    /// Assigned cells inside the areas.
    cells: Vec<&'a str>,
    /// Seconds per cell (inside the areas).
    time: Vec<(&'a str, f64)>,
    points: &'a [TrackPoint],
}

/// A cell's group under `by`; `None` for groupings patrols have no part in.
fn area_key(by: GroupBy, cell: &str) -> Option<String> {
    let digits = match by {
        GroupBy::District => 6,
        GroupBy::Street => 9,
        GroupBy::Community => 12,
        GroupBy::Cell => cell.len(),
        _ => return None,
    };
    Some(cell.get(..digits).unwrap_or(cell).to_string())
}

/// Covered and total area of `cells`, each by the union of the tracks of `patrols`
/// assigned to it.
fn union_coverage(
    patrols: &[&Patrol<'_>],
    cells: &BTreeSet<&str>,
    grid: Option<&Grid>,
) -> BTreeMap<String, (f64, f64)> {
    let mut out = BTreeMap::new();
    let Some(grid) = grid else {
        return out;
    };
    for &cell in cells {
        let Some(c) = grid.cell(cell) else {
            continue;
        };
        let tracks: Vec<&[TrackPoint]> = patrols
            .iter()
            .filter(|p| p.cells.contains(&cell))
            .map(|p| p.points)
            .collect();
        if let Ok(cov) = coverage_of_tracks(
            &tracks,
            &[(cell.to_string(), c.polygon.clone())],
            &CoverageParams::default(),
        ) {
            if let Some(cov) = cov.first() {
                out.insert(cell.to_string(), (cov.area_m2, cov.covered_m2));
            }
        }
    }
    out
}

fn totals(
    members: &[&Patrol<'_>],
    in_group: impl Fn(&str) -> bool,
    grid: Option<&Grid>,
) -> PatrolTotals {
    let mut t = PatrolTotals::default();
    let mut cells = BTreeSet::new();
    for p in members {
        t.patrols += 1;
        t.distance_m += p.distance_m;
        t.duration_s += p.duration_s;
        t.moving_time_s += p.moving_time_s;
        t.time_in_area_s += p
            .time
            .iter()
            .filter(|(c, _)| in_group(c))
            .map(|(_, s)| s)
            .sum::<f64>();
        cells.extend(p.cells.iter().copied().filter(|c| in_group(c)));
    }
    t.cells_patrolled = cells.len() as u64;
    for (area, covered) in union_coverage(members, &cells, grid).into_values() {
        t.area_m2 += area;
        t.covered_m2 += covered;
    }
    t.coverage_share = (t.area_m2 > 0.0).then(|| t.covered_m2 / t.area_m2);
    t
}

/// The patrol figures of `patrols` per group of `by` (none for the department and
/// category groupings), and over all of them. Only cells starting with one of `areas`
/// (`""`: everywhere) are counted; `grid` gives the cells' polygons for coverage.
pub fn patrol_figures(
    patrols: &[ProjectedPatrol],
    by: GroupBy,
    areas: &[String],
    grid: Option<&Grid>,
) -> (BTreeMap<String, PatrolTotals>, PatrolTotals) {
    let inside = |c: &str| areas.iter().any(|a| c.starts_with(a.as_str()));
    let everywhere = areas.iter().any(String::is_empty);
    let list: Vec<Patrol<'_>> = patrols
        .iter()
        .filter(|p| everywhere || p.view.cells.iter().any(|c| inside(c)))
        .map(|p| {
            let v = &p.view;
            Patrol {
                worker: &v.worker,
                distance_m: v.figures.stats.distance_m,
                duration_s: v.figures.stats.duration_s,
                moving_time_s: v.figures.stats.moving_time_s,
                cells: v
                    .cells
                    .iter()
                    .map(String::as_str)
                    .filter(|c| inside(c))
                    .collect(),
                time: v
                    .figures
                    .time_in_cells
                    .iter()
                    .filter(|t| inside(&t.cell_id))
                    .map(|t| (t.cell_id.as_str(), t.seconds))
                    .collect(),
                points: &p.points,
            }
        })
        .collect();
    let all: Vec<&Patrol<'_>> = list.iter().collect();
    let total = totals(&all, |_| true, grid);
    let mut groups = BTreeMap::new();
    if by == GroupBy::Worker {
        let mut by_worker: BTreeMap<&str, Vec<&Patrol<'_>>> = BTreeMap::new();
        for p in &list {
            by_worker.entry(p.worker).or_default().push(p);
        }
        for (worker, members) in by_worker {
            groups.insert(worker.to_string(), totals(&members, |_| true, grid));
        }
    } else if area_key(by, "").is_some() {
        let mut by_area: BTreeMap<String, Vec<&Patrol<'_>>> = BTreeMap::new();
        for p in &list {
            let keys: BTreeSet<String> = p.cells.iter().filter_map(|c| area_key(by, c)).collect();
            for k in keys {
                by_area.entry(k).or_default().push(p);
            }
        }
        for (key, members) in by_area {
            let in_group = |c: &str| area_key(by, c).as_deref() == Some(key.as_str());
            groups.insert(key.clone(), totals(&members, in_group, grid));
        }
    }
    (groups, total)
}

#[cfg(test)]
pub(crate) mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::patrols::fold_patrol_view;
    use gridwork_core::{
        clock::Hlc,
        model::{Actor, Event, Role, Stream, GENESIS_HASH},
        patrol::{Fix, Provider},
    };
    use uuid::Uuid;

    /// Metres per degree at 31.3° N (WGS-84), near enough for building the fixture.
    const M_LAT: f64 = 110_875.0;
    const M_LON: f64 = 95_204.0;
    const LAT0: f64 = 31.3;
    const LON0: f64 = 120.6;
    const T0: i64 = 1_795_395_600_000;

    /// Two cells 200 m east–west by 50 m north–south: A in Lanxi St (320508001), B east
    /// of it in Qiaonan St (320508002).
    pub(crate) fn fixture_grid() -> Grid {
        let rect = |code: &str, west_m: f64| {
            let (w, e) = (LON0 + west_m / M_LON, LON0 + (west_m + 200.0) / M_LON);
            let (s, n) = (LAT0, LAT0 + 50.0 / M_LAT);
            format!(
                r#"{{"type":"Feature","properties":{{"code":"{code}","name":"{code}"}},"geometry":{{"type":"Polygon","coordinates":[[[{w},{s}],[{e},{s}],[{e},{n}],[{w},{n}],[{w},{s}]]]}}}}"#
            )
        };
        Grid::from_geojson(&format!(
            r#"{{"type":"FeatureCollection","features":[{},{}]}}"#,
            rect("32050800100101", 0.0),
            rect("32050800200101", 400.0)
        ))
        .unwrap()
    }

    /// A patrol of `worker` in `cell`, walking east along the cell's middle line at
    /// 1 m/s from `west_m` (metres east of the grid's west edge) for `metres`, one
    /// fix a second.
    pub(crate) fn fixture_patrol(
        worker: &str,
        cell: &str,
        west_m: f64,
        metres: i64,
        grid: &Grid,
    ) -> ProjectedPatrol {
        let id = Uuid::now_v7();
        let stream = Stream::Patrol(id);
        let points: Vec<TrackPoint> = (0..=metres)
            .map(|s| {
                TrackPoint::new(Fix {
                    time_ms: T0 + s * 1000,
                    lat: LAT0 + 25.0 / M_LAT,
                    lon: LON0
                        + (west_m + 0.1 + s as f64 * (metres as f64 - 0.2) / metres as f64) / M_LON,
                    accuracy_m: 5.0,
                    speed_mps: None,
                    bearing_deg: None,
                    altitude_m: None,
                    provider: Provider::Gps,
                    mock: false,
                })
            })
            .collect();
        let ev = |n: u64, kind: &str, payload: serde_json::Value| {
            (
                Event {
                    id: Uuid::now_v7(),
                    stream,
                    kind: kind.into(),
                    hlc: Hlc::new(T0 + n as i64, 0),
                    device_id: format!("{worker}-phone"),
                    actor: Actor::new(worker, Role::Worker),
                    device_seq: n,
                    prev_hash: GENESIS_HASH.into(),
                    payload,
                    server_seq: None,
                    signature: None,
                },
                T0,
            )
        };
        let events = vec![
            ev(
                1,
                "patrol.started",
                serde_json::json!({"cells": [cell], "started_at_ms": T0}),
            ),
            ev(2, "patrol.track", serde_json::json!({"points": points})),
            ev(3, "patrol.finished", serde_json::json!({})),
        ];
        fold_patrol_view(id, &events, Some(grid)).unwrap()
    }

    /// Three patrols whose figures were worked out by hand (docs/evaluation.md).
    pub(crate) fn fixture_patrols(grid: &Grid) -> Vec<ProjectedPatrol> {
        vec![
            // li walks all of A (200 m, 200 s): A is covered whole.
            fixture_patrol("li", "32050800100101", 0.0, 200, grid),
            // li walks A's western half again: adds nothing to A's coverage.
            fixture_patrol("li", "32050800100101", 0.0, 100, grid),
            // zhao walks B's western half: 100 m × 50 m plus a 25 m half-disc at the end.
            fixture_patrol("zhao", "32050800200101", 400.0, 100, grid),
        ]
    }

    fn close(a: f64, b: f64, tolerance: f64) -> bool {
        (a - b).abs() <= tolerance
    }

    #[test]
    fn the_patrol_fixture_counts_as_by_hand() {
        let grid = fixture_grid();
        let patrols = fixture_patrols(&grid);
        let half = (100.0 * 50.0 + std::f64::consts::PI * 25.0 * 25.0 / 2.0) / 10_000.0;
        assert!(close(half, 0.598, 0.001));
        let (streets, total) =
            patrol_figures(&patrols, GroupBy::Street, &[String::new()], Some(&grid));
        assert_eq!(
            streets.keys().collect::<Vec<_>>(),
            ["320508001", "320508002"]
        );
        let a = &streets["320508001"];
        assert_eq!((a.patrols, a.cells_patrolled), (2, 1));
        assert!(close(a.distance_m, 300.0, 3.0), "{a:?}");
        assert!(
            close(a.duration_s, 300.0, 1e-9) && close(a.moving_time_s, 300.0, 1e-9),
            "{a:?}"
        );
        assert!(close(a.time_in_area_s, 300.0, 1e-9), "{a:?}");
        assert!(close(a.area_m2, 10_000.0, 100.0), "{a:?}");
        assert!(close(a.coverage_share.unwrap(), 1.0, 0.005), "{a:?}");
        let b = &streets["320508002"];
        assert_eq!((b.patrols, b.cells_patrolled), (1, 1));
        assert!(close(b.distance_m, 100.0, 1.0), "{b:?}");
        assert!(close(b.coverage_share.unwrap(), half, 0.01), "{b:?}");
        assert_eq!((total.patrols, total.cells_patrolled), (3, 2));
        assert!(close(total.distance_m, 400.0, 4.0), "{total:?}");
        assert!(close(total.time_in_area_s, 400.0, 1e-9));
        assert!(
            close(total.coverage_share.unwrap(), (1.0 + half) / 2.0, 0.01),
            "{total:?}"
        );
        // Per worker: li's two patrols over A, zhao's one over B.
        let (workers, _) = patrol_figures(&patrols, GroupBy::Worker, &[String::new()], Some(&grid));
        assert_eq!(workers["li"].patrols, 2);
        assert!(close(workers["li"].coverage_share.unwrap(), 1.0, 0.005));
        assert!(close(workers["zhao"].coverage_share.unwrap(), half, 0.01));
        // Per cell, and a caller who sees Lanxi St only.
        let (cells, _) = patrol_figures(&patrols, GroupBy::Cell, &[String::new()], Some(&grid));
        assert_eq!(cells["32050800200101"].patrols, 1);
        let (only, t) = patrol_figures(
            &patrols,
            GroupBy::Street,
            &["320508001".into()],
            Some(&grid),
        );
        assert_eq!(only.keys().collect::<Vec<_>>(), ["320508001"]);
        assert_eq!(
            (t.patrols, t.cells_patrolled, t.time_in_area_s),
            (2, 1, 300.0)
        );
        // Departments and categories have no patrols; the total still does.
        let (none, t) =
            patrol_figures(&patrols, GroupBy::Department, &[String::new()], Some(&grid));
        assert!(none.is_empty());
        assert_eq!(t.patrols, 3);
    }
}
