//! `GET /v1/evaluation`: the evaluation figures of an area over a period, as JSON or
//! CSV (see [`crate::evaluation`] and docs/evaluation.md).

use super::{ApiError, AppState, Caller};
use crate::evaluation::{evaluate, sync, to_csv, with_patrols, GroupBy, Row};
use crate::patrol_evaluation::patrol_figures;
use axum::{
    extract::{rejection::QueryRejection, Query, State},
    http::{header, HeaderValue},
    response::{IntoResponse, Response},
    Json,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Thirty days, the default period.
const DEFAULT_PERIOD_MS: i64 = 30 * 24 * 3_600_000;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Params {
    /// Start of the period (unix ms, inclusive); default 30 days before `to_ms`.
    from_ms: Option<i64>,
    /// End of the period (unix ms, exclusive); default now.
    to_ms: Option<i64>,
    /// A grid-code prefix inside the caller's scope; default the whole scope.
    area: Option<String>,
    /// How to group the rows; default `street`.
    by: Option<String>,
    /// `json` (default) or `csv`.
    format: Option<String>,
}

/// The JSON answer.
#[derive(Serialize)]
struct Evaluation {
    from_ms: i64,
    to_ms: i64,
    areas: Vec<String>,
    by: String,
    rows: Vec<Row>,
}

/// `GET /v1/evaluation`.
pub async fn get(
    State(state): State<AppState>,
    Caller(account): Caller,
    params: Result<Query<Params>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(p) = params.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    let to_ms = p.to_ms.unwrap_or(now);
    let from_ms = p.from_ms.unwrap_or(to_ms.saturating_sub(DEFAULT_PERIOD_MS));
    if from_ms >= to_ms {
        return Err(ApiError::BadRequest(format!(
            "the period is empty: from_ms {from_ms} is not before to_ms {to_ms}"
        )));
    }
    let by_name = p.by.unwrap_or_else(|| "street".into());
    let by: GroupBy = by_name.parse().map_err(ApiError::BadRequest)?;
    let csv = match p.format.as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(other) => {
            return Err(ApiError::BadRequest(format!(
                "format={other:?}: json or csv"
            )));
        }
    };
    let areas = match p.area {
        Some(area) => {
            if !area.chars().all(|c| c.is_ascii_digit()) || area.len() > 15 {
                return Err(ApiError::BadRequest(format!(
                    "area={area:?}: a grid-code prefix (digits) expected"
                )));
            }
            if !account.scope.iter().any(|s| area.starts_with(s.as_str())) {
                return Err(ApiError::Forbidden(format!(
                    "area {area} lies outside your scope"
                )));
            }
            vec![area]
        }
        None => account.scope.clone(),
    };
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
