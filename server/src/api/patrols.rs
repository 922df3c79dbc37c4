//! The supervisor API's patrols: `GET /v1/patrols` (a keyset-paged, filtered list of
//! the server's patrol view within the caller's scope) and `GET /v1/patrols/{id}` (one
//! patrol with its figures, check-ins and track as GeoJSON). Parsing and checking the
//! query is pure ([`crate::patrol_query`]); filtering and paging happen in SQL.

use super::{ApiError, AppState, Caller};
use crate::{
    patrol_query::{self, visible},
    patrols::{track_geometry, PatrolView, ProjectedPatrol},
    query::{Cursor, QueryError},
};
use axum::{
    extract::{rejection::QueryRejection, Path, Query, State},
    Json,
};
use gridwork_core::patrol::{PatrolFigures, PatrolStatus, SimplifyParams, Verdict};
use serde::Serialize;
use uuid::Uuid;

/// One patrol of a list.
#[derive(Debug, Serialize)]
pub struct PatrolItem {
    /// The patrol id.
    pub id: Uuid,
    /// The worker.
    pub worker: String,
    /// The device that recorded it.
    pub device_id: String,
    /// Where it stands.
    pub status: PatrolStatus,
    /// The assigned cells.
    pub cells: Vec<String>,
    /// Start by the device's clock, unix ms.
    pub started_at_ms: i64,
    /// End by the device's clock, unix ms.
    pub finished_at_ms: Option<i64>,
    /// When the server received its first event, unix ms.
    pub received_ms: i64,
    /// When the server received its latest event, unix ms.
    pub updated_ms: i64,
    /// Distance walked, metres.
    pub distance_m: f64,
    /// From the first to the last plausible fix, seconds.
    pub duration_s: f64,
    /// Time on the move, seconds.
    pub moving_time_s: f64,
    /// Covered area of the assigned cells over their area (`null` without any).
    pub coverage_share: Option<f64>,
    /// Fixes the device took.
    pub fix_count: usize,
    /// Of those, flagged.
    pub flagged_fix_count: usize,
    /// Proof-of-patrol verdict.
    pub verdict: Verdict,
    /// Check-ins made.
    pub check_in_count: usize,
    /// The track as a GeoJSON geometry (`track=true` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub track: Option<serde_json::Value>,
}

/// The covered share of the assigned cells together.
fn coverage_share(f: &PatrolFigures) -> Option<f64> {
    let area: f64 = f.coverage.iter().map(|c| c.area_m2).sum();
    let covered: f64 = f.coverage.iter().map(|c| c.covered_m2).sum();
    (area > 0.0).then(|| covered / area)
}

impl PatrolItem {
    fn of(v: &PatrolView) -> Self {
        let s = &v.figures.stats;
        PatrolItem {
            id: v.id,
            worker: v.worker.clone(),
            device_id: v.device_id.clone(),
            status: v.status,
            cells: v.cells.clone(),
            started_at_ms: v.started_at_ms,
            finished_at_ms: v.finished_at_ms,
            received_ms: v.received_ms,
            updated_ms: v.updated_ms,
            distance_m: s.distance_m,
            duration_s: s.duration_s,
            moving_time_s: s.moving_time_s,
            coverage_share: coverage_share(&v.figures),
            fix_count: s.fix_count,
            flagged_fix_count: v.figures.integrity.flagged,
            verdict: v.figures.integrity.verdict,
            check_in_count: v.check_ins.len(),
            track: None,
        }
    }
}

/// A page of patrols.
#[derive(Debug, Serialize)]
pub struct PatrolList {
    /// The patrols, newest start first.
    pub patrols: Vec<PatrolItem>,
    /// The cursor of the next page (`?next=`), absent on the last page.
    pub next: Option<String>,
}

/// A check-in as the API shows it.
#[derive(Debug, Serialize)]
pub struct CheckInItem {
    /// The check-in event's id.
    pub id: Uuid,
    /// When, unix ms.
    pub time_ms: i64,
    /// Latitude, WGS-84.
    pub lat: f64,
    /// Longitude, WGS-84.
    pub lon: f64,
    /// The worker's note.
    pub note: Option<String>,
    /// Where to fetch its photo (`GET /v1/blobs/{sha256}`), if one was taken.
    pub photo_url: Option<String>,
}

/// One patrol with its figures and track.
#[derive(Debug, Serialize)]
pub struct PatrolDetail {
    /// What a list shows of it.
    #[serde(flatten)]
    pub item: PatrolItem,
    /// Every figure: track statistics, coverage per assigned cell, time per cell,
    /// integrity.
    pub figures: PatrolFigures,
    /// Check-ins, oldest first.
    pub check_ins: Vec<CheckInItem>,
    /// Points of the synced track the server holds.
    pub synced_points: usize,
    /// The tolerance the track line was thinned to, metres.
    pub tolerance_m: f64,
    /// Accepted events the fold could not read.
    pub malformed_events: u32,
    /// Assigned cells the city grid does not know.
    pub unknown_cells: Vec<String>,
}

fn query_error(e: QueryError) -> ApiError {
    match e {
        QueryError::Invalid(m) => ApiError::BadRequest(m),
        QueryError::OutOfScope(m) => ApiError::Forbidden(m),
    }
}

/// `GET /v1/patrols`.
pub async fn list(
    State(state): State<AppState>,
    Caller(account): Caller,
    params: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Json<PatrolList>, ApiError> {
    let Query(pairs) = params.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let filter = patrol_query::parse(&pairs, &account).map_err(query_error)?;
    let page = state.storage.list_patrols(&filter).await?;
    let next = page.more.then(|| page.patrols.last()).flatten().map(|p| {
        Cursor {
            received_ms: p.view.started_at_ms,
            id: p.view.id,
        }
        .encode()
    });
    let tolerance = SimplifyParams::default().tolerance_m;
    Ok(Json(PatrolList {
        patrols: page
            .patrols
            .iter()
            .map(|p: &ProjectedPatrol| {
                let mut item = PatrolItem::of(&p.view);
                if filter.track {
                    item.track = Some(track_geometry(&p.points, tolerance));
                }
                item
            })
            .collect(),
        next,
    }))
}

/// `GET /v1/patrols/{id}?tolerance_m=`: 404 alike for an unknown patrol, a malformed
/// id and one outside the caller's scope.
pub async fn get(
    State(state): State<AppState>,
    Caller(account): Caller,
    Path(id): Path<String>,
    params: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Json<PatrolDetail>, ApiError> {
    let Query(pairs) = params.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let tolerance_m = patrol_query::tolerance(&pairs).map_err(query_error)?;
    let missing = || ApiError::NotFound(format!("no patrol {id} in your scope"));
    let uuid = Uuid::try_parse(&id).map_err(|_| missing())?;
    let p = state
        .storage
        .patrol(uuid)
        .await?
        .filter(|p| visible(&account, &p.view.cells))
        .ok_or_else(missing)?;
    let track = track_geometry(&p.points, tolerance_m);
    let v = p.view;
    let mut item = PatrolItem::of(&v);
    item.track = Some(track);
    Ok(Json(PatrolDetail {
        item,
        check_ins: v
            .check_ins
            .iter()
            .map(|c| CheckInItem {
                id: c.event_id,
                time_ms: c.check_in.time_ms,
                lat: c.check_in.lat,
                lon: c.check_in.lon,
                note: c.check_in.note.clone(),
                photo_url: c.photo.as_ref().map(|p| format!("/v1/blobs/{}", p.sha256)),
            })
            .collect(),
        figures: v.figures,
        synced_points: v.synced_points,
        tolerance_m,
        malformed_events: v.malformed_events,
        unknown_cells: v.unknown_cells,
    }))
}
