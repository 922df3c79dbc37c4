//! The incarnation check of push and pull ([`crate::incarnation`]).

use super::{ApiError, AppState};
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use gridwork_core::sync::wire::{DeviceState, DEVICE_STATE_HEADER};

/// The header naming the server's incarnation, to add to the answer; 409
/// `server_restored` when the device's state header names another incarnation (it
/// synced with this server before its database was restored from a backup).
pub(crate) async fn check(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<[(HeaderName, HeaderValue); 1], ApiError> {
    let current = crate::incarnation::current(state.storage.as_ref()).await?;
    let claimed = headers
        .get(DEVICE_STATE_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(DeviceState::parse)
        .and_then(|s| s.incarnation);
    if let Some(claimed) = claimed {
        if claimed != current {
            tracing::warn!(
                "a device synced with incarnation {claimed} of this database; it is {current} now"
            );
            return Err(ApiError::Conflict {
                code: "server_restored",
                message: "the server's database was restored from a backup since this device \
                          last synced: push the whole chain again and pull from 0"
                    .into(),
            });
        }
    }
    let value = HeaderValue::from_str(&current)
        .map_err(|_| ApiError::Internal("the stored incarnation is not a header value".into()))?;
    // `Gridwork-Incarnation` (INCARNATION_HEADER), lower-cased as HTTP/1.1 sends it.
    Ok([(HeaderName::from_static("gridwork-incarnation"), value)])
}
