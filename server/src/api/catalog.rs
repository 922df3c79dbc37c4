//! `GET /v1/catalog`: the categories, departments and working calendar (the catalogue
//! JSON) and the grid cells (GeoJSON) in one body, with a strong ETag so devices only
//! download them when they changed.

use super::{ApiError, AppState, Caller};
use crate::storage::{SETTING_CATALOG, SETTING_GRID};
use axum::{
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use gridwork_core::catalog::{Catalog, LookupError};
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

/// The stored catalogue, if one was imported.
pub(crate) async fn stored(
    storage: &dyn crate::storage::Storage,
) -> Result<Option<Catalog>, ApiError> {
    match storage.setting(SETTING_CATALOG).await? {
        Some(text) => Catalog::from_json(&text)
            .map(Some)
            .map_err(|e| ApiError::Internal(e.to_string())),
        None => Ok(None),
    }
}

/// A category filter in the form cases store it: the catalogue's reference (the bare
/// code, or `kind/code` where a component and an event share the code). A reference the
/// catalogue does not know is kept as given (it matches no case, or cases of an older
/// catalogue); a bare code the catalogue holds as both kinds is refused.
pub fn canonical_category(catalog: Option<&Catalog>, text: &str) -> Result<String, String> {
    match catalog.map(|c| c.canonical(text)) {
        Some(Ok(reference)) => Ok(reference),
        Some(Err(e @ LookupError::Ambiguous { .. })) => Err(e.to_string()),
        Some(Err(e @ LookupError::Invalid(_))) if text.contains('/') => Err(e.to_string()),
        _ => Ok(text.to_string()),
    }
}
