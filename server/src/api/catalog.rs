//! `GET /v1/catalog`: the categories, departments and working calendar (the catalogue
//! JSON) and the grid cells (GeoJSON) in one body, with a strong ETag so devices only
//! download them when they changed; and the reference version every pull advertises
//! (docs/sync-protocol.md, "Reference data").

use super::{ApiError, AppState, Caller};
use crate::storage::{
    settings::version_of, SETTING_CATALOG, SETTING_CATALOG_VERSION, SETTING_GRID,
    SETTING_GRID_VERSION,
};
use axum::{
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use gridwork_core::catalog::{Catalog, LookupError};
use sha2::{Digest, Sha256};

/// `GET /v1/catalog`. The ETag is the reference version ([`reference_version`]) in
/// quotes, so a device compares it with the `Gridwork-Reference` header of its pulls;
/// a matching `If-None-Match` is answered 304 from the two short version settings,
/// without reading the documents.
pub async fn get(
    axum::extract::State(state): axum::extract::State<AppState>,
    _caller: Caller,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let held = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let matches = |etag: &str| {
        held.as_deref()
            .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
    };
    if held.is_some() {
        if let Some(version) = reference_version(state.storage.as_ref()).await? {
            let etag = format!("\"{version}\"");
            if matches(&etag) {
                return not_modified(&etag);
            }
        }
    }
    let catalog = state.storage.setting(SETTING_CATALOG).await?;
    let grid = state.storage.setting(SETTING_GRID).await?;
    let (Some(catalog), Some(grid)) = (catalog, grid) else {
        return Err(ApiError::NotFound(
            "no catalogue and grid imported on this server (gridwork admin import-catalog / import-grid)"
                .into(),
        ));
    };
    // The validator of exactly the texts read here, so body and ETag always agree
    // (an import between the version check above and these reads changes both).
    let etag = format!("\"{}\"", combine(&version_of(&catalog), &version_of(&grid)));
    if matches(&etag) {
        return not_modified(&etag);
    }
    let etag_value = HeaderValue::from_str(&etag).map_err(|e| ApiError::Internal(e.to_string()))?;
    // Both were validated as JSON when imported, so this concatenation is JSON.
    let body = format!("{{\"catalog\":{catalog},\"grid\":{grid}}}");
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

fn not_modified(etag: &str) -> Result<Response, ApiError> {
    let value = HeaderValue::from_str(etag).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, value)]).into_response())
}

/// The reference version: 32 hex digits naming the catalogue (with its calendar) and
/// the grid the server holds together, from the versions stored beside them (their
/// SHA-256, computed from the text where an older database lacks one). `None` while
/// either is missing. Served in the `Gridwork-Reference` header of every pull and,
/// quoted, as the ETag of `GET /v1/catalog`.
pub(crate) async fn reference_version(
    storage: &dyn crate::storage::Storage,
) -> Result<Option<String>, ApiError> {
    let version = |key: &'static str, version_key: &'static str| async move {
        match storage.setting(version_key).await? {
            Some(v) => Ok::<_, ApiError>(Some(v)),
            None => Ok(storage.setting(key).await?.map(|t| version_of(&t))),
        }
    };
    let catalog = version(SETTING_CATALOG, SETTING_CATALOG_VERSION).await?;
    let grid = version(SETTING_GRID, SETTING_GRID_VERSION).await?;
    Ok(catalog.zip(grid).map(|(c, g)| combine(&c, &g)))
}

fn combine(catalog_version: &str, grid_version: &str) -> String {
    let both = format!("catalog={catalog_version}; grid={grid_version}");
    hex::encode(Sha256::digest(both.as_bytes()))[..32].to_string()
}

/// The `Gridwork-Reference` header of a pull answer, when the server holds both
/// documents.
pub(crate) async fn reference_header(
    storage: &dyn crate::storage::Storage,
) -> Result<Option<(axum::http::HeaderName, HeaderValue)>, ApiError> {
    Ok(reference_version(storage)
        .await?
        .and_then(|v| HeaderValue::from_str(&v).ok())
        .map(|v| (axum::http::HeaderName::from_static("gridwork-reference"), v)))
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
