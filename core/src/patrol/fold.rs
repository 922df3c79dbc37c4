//! One patrol stream's events folded into the patrol a supervisor reads, and the
//! figures computed from it. Pure: the device (for patrols it pulled from another
//! device, `store::patrols::remote`) and the server (its `patrols` view) fold the very
//! same events with this code, so they show the very same figures.
//!
//! The fold takes the accepted `patrol.*` events of one stream in any order and applies
//! them in the order of their clocks (HLC, then device, then id), so the result does not
//! depend on the order or the pages they arrived in, nor on duplicates:
//! - `patrol.started`: the worker, the device, the assigned cells, the start;
//! - `patrol.paused` / `patrol.resumed`: where an unfinished patrol stands (the last one
//!   wins); once `patrol.finished`, it stays finished, ending at its `finished_at_ms`;
//! - `patrol.track`: the synced (simplified) points, merged by fix time (the first point
//!   of a time wins), and the count of fixes the recording device took (`fixes`);
//! - `patrol.checkin`: a check-in with its note and photo.
//!
//! An event whose payload cannot be read is skipped and counted
//! ([`PatrolLog::malformed_events`]): one bad event from a faulty phone does not hide the
//! rest of the patrol.

use geo::Polygon;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

use super::{
    coverage, summarize, time_in_cells, track_stats, CellCoverage, CellTime, CheckIn,
    CoverageParams, FixFlags, IntegrityPolicy, IntegritySummary, PatrolError, StatsParams,
    TrackPoint, TrackStats,
};
use crate::model::{Event, PhotoRef};

/// Where a patrol stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PatrolStatus {
    /// Recording fixes.
    Active,
    /// Paused by the worker (lunch, a meeting): fixes are refused until resumed.
    Paused,
    /// Finished: nothing more is recorded.
    Finished,
}

impl PatrolStatus {
    /// The wire name (`active`, `paused`, `finished`).
    pub fn as_str(self) -> &'static str {
        match self {
            PatrolStatus::Active => "active",
            PatrolStatus::Paused => "paused",
            PatrolStatus::Finished => "finished",
        }
    }

    /// Reads a wire name.
    pub fn from_name(s: &str) -> Option<Self> {
        match s {
            "active" => Some(PatrolStatus::Active),
            "paused" => Some(PatrolStatus::Paused),
            "finished" => Some(PatrolStatus::Finished),
            _ => None,
        }
    }
}

/// A check-in as its event recorded it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoggedCheckIn {
    /// The `patrol.checkin` event's id.
    pub event_id: Uuid,
    /// Time, place and note.
    #[serde(flatten)]
    pub check_in: CheckIn,
    /// The photo taken there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub photo: Option<PhotoRef>,
}

/// A patrol as its events tell it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PatrolLog {
    /// The patrol id.
    pub id: Uuid,
    /// The worker (the actor of `patrol.started`, else of the first event).
    pub worker: String,
    /// The device that recorded it.
    pub device_id: String,
    /// Where it stands.
    pub status: PatrolStatus,
    /// The cells assigned at the start.
    pub cells: Vec<String>,
    /// Start by the device's clock, unix ms (`started_at_ms`, else the first event's).
    pub started_at_ms: i64,
    /// End by the device's clock, unix ms, once finished.
    pub finished_at_ms: Option<i64>,
    /// Fixes the recording device took (each `patrol.track`'s `fixes`, or its points
    /// when more).
    pub fix_count: u64,
    /// The synced points in time order, one per fix time.
    pub points: Vec<TrackPoint>,
    /// Check-ins, oldest first.
    pub check_ins: Vec<LoggedCheckIn>,
    /// Events skipped because their payload could not be read.
    #[serde(default)]
    pub malformed_events: u32,
}

/// What a `patrol.track` payload holds that the fold needs.
#[derive(Deserialize)]
struct TrackPayload {
    #[serde(default)]
    fixes: u64,
    #[serde(default)]
    points: Vec<TrackPoint>,
}

/// What a `patrol.checkin` payload holds.
#[derive(Deserialize)]
struct CheckInPayload {
    time_ms: i64,
    lat: f64,
    lon: f64,
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    photo: Option<PhotoRef>,
}

/// Folds the accepted events of the patrol stream `id` (any order; events of other
/// streams are ignored). `None` when there is none.
pub fn fold_patrol(id: Uuid, events: &[Event]) -> Option<PatrolLog> {
    let mut events: Vec<&Event> = events
        .iter()
        .filter(|e| e.stream == crate::model::Stream::Patrol(id))
        .collect();
    events.sort_by(|a, b| (a.hlc, &a.device_id, a.id).cmp(&(b.hlc, &b.device_id, b.id)));
    events.dedup_by_key(|e| e.id);
    let first = *events.first()?;
    let started = events.iter().find(|e| e.kind == "patrol.started").copied();
    let author = started.unwrap_or(first);
    let mut malformed = 0u32;
    let cells: Vec<String> = match started.and_then(|e| e.payload.get("cells")) {
        Some(c) => serde_json::from_value(c.clone()).unwrap_or_else(|_| {
            malformed += 1;
            Vec::new()
        }),
        None => Vec::new(),
    };
    let started_at_ms = started
        .and_then(|e| e.payload.get("started_at_ms"))
        .and_then(serde_json::Value::as_i64)
        .unwrap_or(first.hlc.wall_ms);
    let mut status = PatrolStatus::Active;
    let mut finished_at_ms = None;
    let mut fix_count = 0u64;
    let mut points: BTreeMap<i64, TrackPoint> = BTreeMap::new();
    let mut check_ins = Vec::new();
    for e in &events {
        match e.kind.as_str() {
            "patrol.paused" if finished_at_ms.is_none() => status = PatrolStatus::Paused,
            "patrol.resumed" if finished_at_ms.is_none() => status = PatrolStatus::Active,
            "patrol.finished" if finished_at_ms.is_none() => {
                status = PatrolStatus::Finished;
                finished_at_ms = Some(
                    e.payload
                        .get("finished_at_ms")
                        .and_then(serde_json::Value::as_i64)
                        .unwrap_or(e.hlc.wall_ms),
                );
            }
            "patrol.track" => match serde_json::from_value::<TrackPayload>(e.payload.clone()) {
                Ok(track) if track.points.iter().all(|p| p.fix.validate().is_ok()) => {
                    fix_count += track.fixes.max(track.points.len() as u64);
                    for p in track.points {
                        points.entry(p.fix.time_ms).or_insert(p);
                    }
                }
                _ => malformed += 1,
            },
            "patrol.checkin" => match serde_json::from_value::<CheckInPayload>(e.payload.clone()) {
                Ok(c) => {
                    let check_in = CheckIn {
                        time_ms: c.time_ms,
                        lat: c.lat,
                        lon: c.lon,
                        note: c.note,
                    };
                    if check_in.validate().is_ok() {
                        check_ins.push(LoggedCheckIn {
                            event_id: e.id,
                            check_in,
                            photo: c.photo,
                        });
                    } else {
                        malformed += 1;
                    }
                }
                Err(_) => malformed += 1,
            },
            _ => {}
        }
    }
    check_ins.sort_by_key(|c| (c.check_in.time_ms, c.event_id));
    Some(PatrolLog {
        id,
        worker: author.actor.user.clone(),
        device_id: author.device_id.clone(),
        status,
        cells,
        started_at_ms,
        finished_at_ms,
        fix_count,
        points: points.into_values().collect(),
        check_ins,
        malformed_events: malformed,
    })
}

/// The figures of a patrol.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PatrolFigures {
    /// Distance, time and speed figures of the plausible track.
    pub stats: TrackStats,
    /// Share of each assigned cell within 25 m of the track, in the order assigned.
    pub coverage: Vec<CellCoverage>,
    /// Time spent in each cell of the grid (cells with none left out).
    pub time_in_cells: Vec<CellTime>,
    /// Proof-of-patrol summary: flagged fixes and a verdict.
    pub integrity: IntegritySummary,
}

/// Computes a patrol's figures from its points (in time order) with the documented
/// defaults. `fix_count` is how many fixes the recording device took: a synced track
/// keeps every flagged fix, so the fixes beyond `points` were all unflagged and are
/// counted back in, which gives the recording device's own fix count and integrity
/// figures. `assigned` are the assigned cells' polygons, `all_cells` the grid's.
pub fn patrol_figures(
    points: &[TrackPoint],
    fix_count: usize,
    assigned: &[(String, Polygon<f64>)],
    all_cells: &[(String, Polygon<f64>)],
) -> Result<PatrolFigures, PatrolError> {
    let params = StatsParams::default();
    let mut stats = track_stats(points, &params)?;
    let coverage = coverage(points, assigned, &CoverageParams::default())?;
    let mut time = time_in_cells(points, all_cells, &params)?;
    time.retain(|t| t.seconds > 0.0);
    let dropped = fix_count.saturating_sub(points.len());
    stats.fix_count += dropped;
    let flags = points.iter().map(|p| p.flags);
    let unflagged = std::iter::repeat_n(FixFlags::empty(), dropped);
    let integrity = summarize(flags.chain(unflagged), &IntegrityPolicy::default());
    Ok(PatrolFigures {
        stats,
        coverage,
        time_in_cells: time,
        integrity,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::{
        clock::Hlc,
        model::{Actor, Role, Stream, GENESIS_HASH},
        patrol::{Fix, Provider},
    };
    use serde_json::json;

    fn event(id: Uuid, n: u32, kind: &str, payload: serde_json::Value) -> Event {
        Event {
            id: Uuid::now_v7(),
            stream: Stream::Patrol(id),
            kind: kind.into(),
            hlc: Hlc::new(1_000_000 + i64::from(n) * 1000, 0),
            device_id: "phone-li".into(),
            actor: Actor::new("li", Role::Worker),
            device_seq: u64::from(n),
            prev_hash: GENESIS_HASH.into(),
            payload,
            server_seq: None,
            signature: None,
        }
    }

    fn point(t: i64, lon: f64) -> TrackPoint {
        TrackPoint::new(Fix {
            time_ms: t,
            lat: 31.3,
            lon,
            accuracy_m: 5.0,
            speed_mps: None,
            bearing_deg: None,
            altitude_m: None,
            provider: Provider::Gps,
            mock: false,
        })
    }

    fn events(id: Uuid) -> Vec<Event> {
        vec![
            event(
                id,
                1,
                "patrol.started",
                json!({"cells": ["c1"], "started_at_ms": 5}),
            ),
            event(
                id,
                2,
                "patrol.track",
                json!({"fixes": 10, "points": [point(10, 120.6), point(20, 120.6001)]}),
            ),
            event(id, 3, "patrol.paused", json!({})),
            event(
                id,
                4,
                "patrol.checkin",
                json!({"time_ms": 25, "lat": 31.3, "lon": 120.6, "note": "shop"}),
            ),
            event(
                id,
                5,
                "patrol.track",
                json!({"fixes": 3, "points": [point(20, 120.7), point(30, 120.6002)]}),
            ),
            event(id, 6, "patrol.track", json!({"points": "not a list"})),
            event(id, 7, "patrol.finished", json!({"finished_at_ms": 31})),
            event(id, 8, "patrol.resumed", json!({})),
        ]
    }

    #[test]
    fn the_fold_reads_the_stream_whatever_order_and_duplicates_it_comes_in() {
        let id = Uuid::now_v7();
        let evs = events(id);
        let log = fold_patrol(id, &evs).unwrap();
        assert_eq!(
            (log.worker.as_str(), log.device_id.as_str()),
            ("li", "phone-li")
        );
        assert_eq!(log.cells, vec!["c1".to_string()]);
        assert_eq!((log.started_at_ms, log.finished_at_ms), (5, Some(31)));
        assert_eq!(
            log.status,
            PatrolStatus::Finished,
            "a resume after the end changes nothing"
        );
        assert_eq!(log.fix_count, 13);
        let times: Vec<i64> = log.points.iter().map(|p| p.fix.time_ms).collect();
        assert_eq!(times, [10, 20, 30]);
        assert_eq!(
            log.points[1].fix.lon, 120.6001,
            "the first point of a time wins"
        );
        assert_eq!(log.check_ins.len(), 1);
        assert_eq!(log.check_ins[0].check_in.note.as_deref(), Some("shop"));
        assert_eq!(log.malformed_events, 1);
        let mut shuffled: Vec<Event> = evs.iter().rev().cloned().collect();
        shuffled.extend(evs.iter().take(3).cloned());
        assert_eq!(fold_patrol(id, &shuffled).unwrap(), log);
        assert!(
            fold_patrol(Uuid::now_v7(), &evs).is_none(),
            "another stream's events"
        );
    }

    #[test]
    fn a_patrol_paused_and_not_finished_is_paused() {
        let id = Uuid::now_v7();
        let evs = events(id);
        let log = fold_patrol(id, &evs[..4]).unwrap();
        assert_eq!(
            (log.status, log.finished_at_ms),
            (PatrolStatus::Paused, None)
        );
    }

    #[test]
    fn dropped_fixes_count_back_in_as_unflagged() {
        let pts = vec![point(0, 120.6), point(60_000, 120.6005)];
        let f = patrol_figures(&pts, 50, &[], &[]).unwrap();
        assert_eq!((f.stats.fix_count, f.integrity.total), (50, 50));
        assert!(f.stats.distance_m > 40.0);
        let own = patrol_figures(&pts, 0, &[], &[]).unwrap();
        assert_eq!(own.stats.fix_count, 2, "never fewer than the points held");
    }
}
