//! `GET /v1/devices`: each device's sync health (see [`crate::health`]) for a
//! supervisor, as JSON or CSV; and the contact every push, pull and upload records.

use super::{session::Signed, ApiError, AppState, Caller};
use crate::health::{to_csv, Contact, DeviceHealth, Via};
use crate::params::{self, DeviceParams, DeviceQuery};
use axum::{
    extract::{rejection::QueryRejection, Query, State},
    http::{header, HeaderMap, HeaderValue},
    response::{IntoResponse, Response},
    Json,
};
use gridwork_core::{
    model::Role,
    sync::wire::{DeviceState, DEVICE_KEY_HEADER, DEVICE_STATE_HEADER},
};
use serde::Serialize;
use std::collections::BTreeMap;

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Records that the device of `signed` was in contact through `via`. Best effort: a
/// failure is logged and the request goes on (sync health is for people, the sync
/// itself must not fail on it).
pub(crate) async fn contact(state: &AppState, signed: &Signed, headers: &HeaderMap, via: Via) {
    if signed.device_id.is_empty() {
        return;
    }
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let device_state = text(DEVICE_STATE_HEADER).and_then(|v| DeviceState::parse(&v));
    let client = device_state
        .as_ref()
        .and_then(|s| s.client.clone())
        .or_else(|| text(header::USER_AGENT.as_str()))
        .map(|c| c.chars().filter(|c| !c.is_control()).take(100).collect());
    let c = Contact {
        device_id: signed.device_id.clone(),
        at_ms: now_ms(),
        via,
        client,
        state: device_state,
    };
    if let Err(e) = state.storage.record_contact(&c).await {
        tracing::warn!(device = %c.device_id, "contact not recorded: {e}");
    }
    if let Some(key) = text(DEVICE_KEY_HEADER) {
        super::signing::key_named(state, &signed.device_id, &key).await;
    }
}

/// The JSON answer.
#[derive(Serialize)]
struct Devices {
    /// The server's clock, unix ms.
    now_ms: i64,
    devices: Vec<Listed>,
}

/// A device's health, with the flag of a device that rewrote or forked its history
/// (docs/signing.md) when it has one.
#[derive(Serialize)]
struct Listed {
    #[serde(flatten)]
    health: DeviceHealth,
    #[serde(skip_serializing_if = "Option::is_none")]
    flagged: Option<String>,
}

/// `GET /v1/devices`.
pub async fn list(
    State(state): State<AppState>,
    Caller(account): Caller,
    params: Result<Query<DeviceParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(p) = params.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    if account.role != Role::Supervisor {
        return Err(ApiError::Forbidden(format!(
            "a {} may not see the devices' sync health",
            account.role
        )));
    }
    let DeviceQuery {
        csv,
        stale_since,
        user,
    } = params::devices(p).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let records = state.storage.device_records().await?;
    // A device is in the caller's scope when its account's whole scope lies within it.
    let mut in_scope: BTreeMap<String, bool> = BTreeMap::new();
    let mut devices = Vec::new();
    for r in records {
        if user.as_deref().is_some_and(|u| u != r.owner) || r.owner.is_empty() {
            continue;
        }
        let ok = match in_scope.get(&r.owner) {
            Some(ok) => *ok,
            None => {
                let ok = state.storage.account(&r.owner).await?.is_some_and(|a| {
                    !a.scope.is_empty()
                        && a.scope.iter().all(|s| {
                            account
                                .scope
                                .iter()
                                .any(|mine| s.starts_with(mine.as_str()))
                        })
                });
                in_scope.insert(r.owner.clone(), ok);
                ok
            }
        };
        if !ok {
            continue;
        }
        let mut complete = Vec::new();
        let mut missing = 0;
        for sha in &r.unconfirmed_photos {
            if state.blobs.is_complete(sha).await? {
                complete.push(sha.clone());
            } else {
                missing += 1;
            }
        }
        if !complete.is_empty() {
            state.storage.photos_complete(&complete).await?;
        }
        let health = DeviceHealth::of(&r, missing, stale_since);
        if stale_since.is_none() || health.stale {
            devices.push(health);
        }
    }
    if csv {
        let mut res = to_csv(&devices).into_response();
        let h = res.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/csv; charset=utf-8"),
        );
        h.insert(
            header::CONTENT_DISPOSITION,
            HeaderValue::from_static("attachment; filename=\"devices.csv\""),
        );
        return Ok(res);
    }
    let flags: BTreeMap<String, String> = state
        .storage
        .device_admin()
        .await?
        .into_iter()
        .filter_map(|d| d.flagged.map(|f| (d.device_id, f)))
        .collect();
    let devices = devices
        .into_iter()
        .map(|health| Listed {
            flagged: flags.get(&health.device_id).cloned(),
            health,
        })
        .collect();
    Ok(Json(Devices {
        now_ms: now_ms(),
        devices,
    })
    .into_response())
}
