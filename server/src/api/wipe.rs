//! Remote wipe, the device's side (docs/sync-protocol.md, "Remote wipe"): every
//! authenticated request of a device an administrator marked lost is answered 410
//! `wipe_required`, except its acknowledgement `POST /v1/me/wiped`, which records
//! `wiped_ms` and revokes the device's tokens before the device destroys its copy.
//! Also where a token's last use is recorded (at most once a minute).

use super::{session::Signed, ApiError, AppState};
use crate::storage::{devices::wiped_entry, TokenOwner};
use axum::{extract::State, http::StatusCode};

/// The path of the acknowledgement.
pub const WIPED_PATH: &str = "/v1/me/wiped";

/// How stale a token's recorded last use may get before it is written again.
const LAST_USED_EVERY_MS: i64 = 60_000;

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Refuses a request of a device marked lost (but its acknowledgement), and records
/// the token's use. Called by the bearer-token extractor.
pub(crate) async fn check(
    state: &AppState,
    owner: &TokenOwner,
    digest: &str,
    path: &str,
) -> Result<(), ApiError> {
    let now = now_ms();
    if owner
        .last_used_ms
        .is_none_or(|t| now.saturating_sub(t) >= LAST_USED_EVERY_MS)
    {
        if let Err(e) = state.storage.token_used(digest, now).await {
            tracing::warn!("token use not recorded: {e}");
        }
    }
    if owner.wipe_pending && path != WIPED_PATH {
        tracing::warn!(device = %owner.device_id, "told a device marked lost to wipe itself");
        return Err(ApiError::WipeRequired(format!(
            "device {} was marked lost by an administrator: wipe the local copy, then \
             acknowledge with POST {WIPED_PATH}",
            owner.device_id
        )));
    }
    Ok(())
}

/// `POST /v1/me/wiped`: the device says it is wiping itself now (204). The server
/// records `wiped_ms` and revokes the device's tokens; 409 `no_wipe_pending` when no
/// wipe was asked for this device.
pub async fn wiped(State(state): State<AppState>, signed: Signed) -> Result<StatusCode, ApiError> {
    if signed.device_id.is_empty() {
        return Err(ApiError::Conflict {
            code: "no_wipe_pending",
            message: "this token speaks for no device".into(),
        });
    }
    let entry = wiped_entry(&signed.device_id, &signed.account.user);
    match state.storage.confirm_wipe(&signed.device_id, &entry).await {
        Ok(()) => {
            tracing::info!(device = %signed.device_id, "device acknowledged its wipe");
            Ok(StatusCode::NO_CONTENT)
        }
        Err(crate::StorageError::Invalid(m)) => Err(ApiError::Conflict {
            code: "no_wipe_pending",
            message: m,
        }),
        Err(e) => Err(e.into()),
    }
}
