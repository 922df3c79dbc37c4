//! `GET /v1/map`: the console map's overview of the cases in view, aggregated by the
//! server (per-cell counts, clusters on the zoom's grid, single markers where a square
//! holds one case), so the browser draws a few hundred shapes however many cases there
//! are. Parsing is pure ([`crate::mapview`]); grouping happens in SQL.

use super::{ApiError, AppState, Caller};
use crate::{
    mapview::{self, MapView},
    query::QueryError,
};
use axum::{
    extract::{rejection::QueryRejection, Query, State},
    Json,
};

/// `GET /v1/map`.
pub async fn get(
    State(state): State<AppState>,
    Caller(account): Caller,
    params: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Json<MapView>, ApiError> {
    let Query(pairs) = params.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    let query = mapview::parse(&pairs, &account, now).map_err(|e| match e {
        QueryError::Invalid(m) => ApiError::BadRequest(m),
        QueryError::OutOfScope(m) => ApiError::Forbidden(m),
    })?;
    Ok(Json(state.storage.case_map(&query).await?))
}
