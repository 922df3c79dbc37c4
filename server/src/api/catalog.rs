//! `GET /v1/catalog`: the categories, departments and working calendar (the catalogue
//! JSON) and the grid cells (GeoJSON) in one body, with a strong ETag so devices only
//! download them when they changed.

use super::{ApiError, AppState, Caller};
use crate::storage::{SETTING_CATALOG, SETTING_GRID};
use axum::{
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use sha2::{Digest, Sha256};

/// `GET /v1/catalog`.
pub async fn get(
    axum::extract::State(state): axum::extract::State<AppState>,
    _caller: Caller,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let catalog = state.storage.setting(SETTING_CATALOG).await?;
    let grid = state.storage.setting(SETTING_GRID).await?;
    let (Some(catalog), Some(grid)) = (catalog, grid) else {
        return Err(ApiError::NotFound(
            "no catalogue and grid imported on this server (gridwork admin import-catalog / import-grid)"
                .into(),
        ));
    };
    // Both were validated as JSON when imported, so this concatenation is JSON.
    let body = format!("{{\"catalog\":{catalog},\"grid\":{grid}}}");
    let etag = format!(
        "\"{}\"",
        &hex::encode(Sha256::digest(body.as_bytes()))[..32]
    );
    let etag_value = HeaderValue::from_str(&etag).map_err(|e| ApiError::Internal(e.to_string()))?;
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    if matches {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, etag_value)]).into_response());
    }
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            (header::ETAG, etag_value),
        ],
        body,
    )
        .into_response())
}
