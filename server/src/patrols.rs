//! The server's patrol view: every accepted `patrol.*` event folded with the core's own
//! patrol fold ([`gridwork_core::patrol::fold_patrol`], the code a supervisor's tablet
//! rebuilds a pulled patrol with) and figured with the core's
//! [`patrol_figures`](gridwork_core::patrol::patrol_figures) against the server's city
//! grid, so the server and every device show the same distance, time and coverage.
//!
//! Pure, like [`crate::projection`]: each backend reads a patrol's accepted events and
//! their receive times inside its push transaction and hands them here; a rebuild folds
//! with the very same code. What is kept per patrol: the view (the figures, check-ins
//! and the times, a few kilobytes) and the synced points (the track as the devices sync
//! it, already simplified at 5 m by the recording phone). The map's line is drawn from
//! those points on request ([`track_geometry`]): thinning a day's ~1,400 synced points
//! takes well under a millisecond, and evaluation needs the points themselves to count
//! what several patrols covered together.

use gridwork_core::{
    geo::Grid,
    model::Event,
    patrol::{
        fold_patrol, patrol_figures, simplify, LoggedCheckIn, PatrolFigures, PatrolStatus,
        SimplifyParams, StatsParams, TrackPoint,
    },
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The server's view of one patrol.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PatrolView {
    /// The patrol id.
    pub id: Uuid,
    /// The worker who started it.
    pub worker: String,
    /// The device that recorded it.
    pub device_id: String,
    /// Where it stands.
    pub status: PatrolStatus,
    /// The cells assigned at the start.
    pub cells: Vec<String>,
    /// Start by the recording device's clock, unix ms.
    pub started_at_ms: i64,
    /// End by the recording device's clock, unix ms, once finished.
    pub finished_at_ms: Option<i64>,
    /// When the server received the patrol's first event, unix ms.
    pub received_ms: i64,
    /// When the server received its latest event, unix ms.
    pub updated_ms: i64,
    /// Fixes the recording device took.
    pub fix_count: u64,
    /// Points of the synced (simplified) track the server holds.
    pub synced_points: usize,
    /// Distance, time, coverage of the assigned cells, time per cell, integrity.
    pub figures: PatrolFigures,
    /// Check-ins, oldest first.
    pub check_ins: Vec<LoggedCheckIn>,
    /// Accepted events whose payload could not be read (skipped by the fold).
    pub malformed_events: u32,
    /// Assigned cells the server's grid does not know (no coverage is counted for them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unknown_cells: Vec<String>,
}

/// A patrol as the server stores it: its view and its synced points.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectedPatrol {
    /// The view.
    pub view: PatrolView,
    /// The synced points in time order, flagged ones included.
    pub points: Vec<TrackPoint>,
}

/// Folds patrol `id`'s accepted events, each with the time the server received it,
/// against the server's grid (without one, no coverage or time per cell). `None` when
/// there is no event of the patrol.
pub fn fold_patrol_view(
    id: Uuid,
    events: &[(Event, i64)],
    grid: Option<&Grid>,
) -> Option<ProjectedPatrol> {
    let plain: Vec<Event> = events.iter().map(|(e, _)| e.clone()).collect();
    let log = fold_patrol(id, &plain)?;
    let received_ms = events.iter().map(|(_, at)| *at).min()?;
    let updated_ms = events.iter().map(|(_, at)| *at).max()?;
    let mut assigned = Vec::new();
    let mut unknown_cells = Vec::new();
    let mut all = Vec::new();
    if let Some(grid) = grid {
        for c in &log.cells {
            match grid.cell(c) {
                Some(cell) => assigned.push((c.clone(), cell.polygon.clone())),
                None => unknown_cells.push(c.clone()),
            }
        }
        all = grid
            .cells()
            .iter()
            .map(|c| (c.code.as_str().to_string(), c.polygon.clone()))
            .collect();
    }
    let fix_count = usize::try_from(log.fix_count).unwrap_or(usize::MAX);
    // The points are in time order and the grid's cells were checked when it was
    // imported, so the figures cannot fail; were they to, the track alone is figured.
    let figures = patrol_figures(&log.points, fix_count, &assigned, &all)
        .or_else(|_| patrol_figures(&log.points, fix_count, &[], &[]))
        .ok()?;
    Some(ProjectedPatrol {
        view: PatrolView {
            id,
            worker: log.worker,
            device_id: log.device_id,
            status: log.status,
            cells: log.cells,
            started_at_ms: log.started_at_ms,
            finished_at_ms: log.finished_at_ms,
            received_ms,
            updated_ms,
            fix_count: log.fix_count,
            synced_points: log.points.len(),
            figures,
            check_ins: log.check_ins,
            malformed_events: log.malformed_events,
            unknown_cells,
        },
        points: log.points,
    })
}

/// Smallest and largest tolerance the API thins a track to, metres.
pub const TOLERANCE_RANGE_M: (f64, f64) = (1.0, 100.0);

/// The track as a GeoJSON geometry for a map: the plausible points (flagged fixes are
/// left out, as the figures leave them out), thinned with the core's
/// [`simplify`] to `tolerance_m`, and split where the log has a hole (more than the
/// statistics' 60 s): a `LineString` for one stretch, a `MultiLineString` for several,
/// `null` when no stretch has two points. Positions are `[longitude, latitude]`.
pub fn track_geometry(points: &[TrackPoint], tolerance_m: f64) -> serde_json::Value {
    let plausible: Vec<TrackPoint> = points
        .iter()
        .filter(|p| p.is_plausible())
        .copied()
        .collect();
    let params = SimplifyParams {
        tolerance_m,
        ..SimplifyParams::default()
    };
    let kept: Vec<&TrackPoint> = match simplify(&plausible, &params) {
        Ok(idx) => idx.into_iter().filter_map(|i| plausible.get(i)).collect(),
        Err(_) => plausible.iter().collect(),
    };
    let gap_ms = StatsParams::default().gap_threshold_s * 1000.0;
    let mut lines: Vec<Vec<[f64; 2]>> = Vec::new();
    let mut last: Option<i64> = None;
    for p in kept {
        let joined = last.is_some_and(|t| ((p.fix.time_ms - t) as f64) <= gap_ms);
        if !joined {
            lines.push(Vec::new());
        }
        if let Some(line) = lines.last_mut() {
            line.push([p.fix.lon, p.fix.lat]);
        }
        last = Some(p.fix.time_ms);
    }
    lines.retain(|l| l.len() >= 2);
    match lines.len() {
        0 => serde_json::Value::Null,
        1 => serde_json::json!({"type": "LineString", "coordinates": lines[0]}),
        _ => serde_json::json!({"type": "MultiLineString", "coordinates": lines}),
    }
}

/// The patrol streams a push changed: those with a newly accepted event.
pub(crate) fn touched_patrols(
    events: &[Event],
    outcomes: &[gridwork_core::sync::wire::PushOutcome],
) -> Vec<Uuid> {
    let set: std::collections::BTreeSet<Uuid> = events
        .iter()
        .zip(outcomes)
        .filter(|(_, o)| matches!(o, gridwork_core::sync::wire::PushOutcome::Accepted { .. }))
        .filter_map(|(e, _)| match e.stream {
            gridwork_core::model::Stream::Patrol(id) => Some(id),
            _ => None,
        })
        .collect();
    set.into_iter().collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use gridwork_core::{
        clock::Hlc,
        model::{Actor, Role, Stream, GENESIS_HASH},
        patrol::{Fix, FixFlags, Provider},
    };
    use serde_json::json;

    fn point(t_s: i64, east_m: f64) -> TrackPoint {
        TrackPoint::new(Fix {
            time_ms: 1_795_395_600_000 + t_s * 1000,
            lat: 31.306,
            lon: 120.58 + east_m / 95_000.0,
            accuracy_m: 5.0,
            speed_mps: None,
            bearing_deg: None,
            altitude_m: None,
            provider: Provider::Gps,
            mock: false,
        })
    }

    #[test]
    fn the_map_line_leaves_out_flagged_fixes_and_breaks_at_holes() {
        let mut pts: Vec<TrackPoint> = (0..30).map(|s| point(s, s as f64)).collect();
        pts[10].flags = FixFlags::MOCK;
        pts.extend((0..10).map(|s| point(200 + s, 100.0 + s as f64)));
        let g = track_geometry(&pts, 5.0);
        assert_eq!(g["type"], "MultiLineString");
        let lines = g["coordinates"].as_array().unwrap();
        assert_eq!(lines.len(), 2);
        // A straight walk thins to its ends (and a point every 30 s).
        assert!(lines[0].as_array().unwrap().len() <= 3, "{g}");
        let one = track_geometry(&pts[..30], 5.0);
        assert_eq!(one["type"], "LineString");
        assert_eq!(track_geometry(&pts[..1], 5.0), serde_json::Value::Null);
    }

    #[test]
    fn the_view_takes_the_servers_receive_times_and_flags_unknown_cells() {
        let id = Uuid::now_v7();
        let ev = |n: u32, kind: &str, payload: serde_json::Value| Event {
            id: Uuid::now_v7(),
            stream: Stream::Patrol(id),
            kind: kind.into(),
            hlc: Hlc::new(1_795_395_600_000 + i64::from(n), 0),
            device_id: "phone-li".into(),
            actor: Actor::new("li", Role::Worker),
            device_seq: u64::from(n),
            prev_hash: GENESIS_HASH.into(),
            payload,
            server_seq: None,
            signature: None,
        };
        let grid = Grid::from_geojson(include_str!("../../data/kcity-grid.geojson")).unwrap();
        let cell = grid.cells()[0].code.as_str().to_string();
        let events = vec![
            (ev(1, "patrol.started", json!({"cells": [cell, "99"]})), 50),
            (
                ev(
                    2,
                    "patrol.track",
                    json!({"fixes": 40, "points": [point(0, 0.0), point(20, 30.0)]}),
                ),
                70,
            ),
        ];
        let p = fold_patrol_view(id, &events, Some(&grid)).unwrap();
        assert_eq!((p.view.received_ms, p.view.updated_ms), (50, 70));
        assert_eq!(p.view.unknown_cells, vec!["99".to_string()]);
        assert_eq!(p.view.figures.coverage.len(), 1);
        assert_eq!((p.view.fix_count, p.view.synced_points), (40, 2));
        assert_eq!(p.view.figures.stats.fix_count, 40);
        assert_eq!(p.view.status, PatrolStatus::Active);
        assert!(fold_patrol_view(Uuid::now_v7(), &events, Some(&grid)).is_none());
    }
}
