//! `GET /v1/evaluation`: the evaluation figures of an area over a period, as JSON or
//! CSV (see [`crate::evaluation`] and docs/evaluation.md).

use super::{ApiError, AppState, Caller};
use crate::evaluation::{evaluate, sync, to_csv, with_patrols, GroupBy, Row};
use crate::params::{self, EvaluationParams, EvaluationQuery};
use crate::patrol_evaluation::patrol_figures;
use crate::query::QueryError;
use axum::{
    extract::{rejection::QueryRejection, Query, State},
    http::{header, HeaderValue},
    response::{IntoResponse, Response},
    Json,
};
use serde::Serialize;
use std::collections::BTreeMap;

/// The JSON answer.
#[derive(Serialize)]
struct Evaluation {
    from_ms: i64,
    to_ms: i64,
    areas: Vec<String>,
    by: String,
    rows: Vec<Row>,
}

fn query_error(e: QueryError) -> ApiError {
    match e {
        QueryError::Invalid(m) => ApiError::BadRequest(m),
        QueryError::OutOfScope(m) => ApiError::Forbidden(m),
    }
}

/// `GET /v1/evaluation`.
pub async fn get(
    State(state): State<AppState>,
    Caller(account): Caller,
    params: Result<Query<EvaluationParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(p) = params.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    let EvaluationQuery {
        from_ms,
        to_ms,
        areas,
        by,
        by_name,
        csv,
    } = params::evaluation(p, &account, now).map_err(query_error)?;
    // Overlapping prefixes of one scope must not count a case twice.
    let mut views = BTreeMap::new();
    for area in &areas {
        for v in state
            .storage
            .eval_views_received(area, from_ms, to_ms)
            .await?
        {
            views.insert(v.id, v);
        }
    }
    let views: Vec<_> = views.into_values().collect();
    let mut rows = evaluate(&views, by, now);
    // Patrol distance, time and coverage of the patrols started in the period.
    let mut patrols = BTreeMap::new();
    for area in &areas {
        for p in state.storage.patrols_started(area, from_ms, to_ms).await? {
            patrols.insert(p.view.id, p);
        }
    }
    let patrols: Vec<_> = patrols.into_values().collect();
    let grid = match state.storage.setting(crate::storage::SETTING_GRID).await? {
        Some(text) => gridwork_core::geo::Grid::from_geojson(&text).ok(),
        None => None,
    };
    let (groups, total) = patrol_figures(&patrols, by, &areas, grid.as_ref());
    let grouped = !matches!(by, GroupBy::Department | GroupBy::Category);
    with_patrols(&mut rows, groups, total, grouped);
    // Each worker's devices' sync health, for those who may see it (as GET /v1/devices).
    if by == GroupBy::Worker && account.role == gridwork_core::model::Role::Supervisor {
        let users: std::collections::BTreeSet<String> = rows
            .iter()
            .filter(|r| sync::is_user_row(&r.key))
            .map(|r| r.key.clone())
            .collect();
        let devices = sync::devices_of(state.storage.as_ref(), &state.blobs, &users).await?;
        sync::with_sync(&mut rows, &devices);
    }
    if csv {
        let mut res = to_csv(&rows).into_response();
        let h = res.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/csv; charset=utf-8"),
        );
        h.insert(
            header::CONTENT_DISPOSITION,
            HeaderValue::from_static("attachment; filename=\"evaluation.csv\""),
        );
        return Ok(res);
    }
    Ok(Json(Evaluation {
        from_ms,
        to_ms,
        areas,
        by: by_name,
        rows,
    })
    .into_response())
}
