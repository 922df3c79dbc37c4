//! Devices and tokens for city administrators (supervisors whose scope is everywhere,
//! as for `/v1/users`): `GET /v1/users/{name}/devices`, `GET /v1/devices/{id}/quarantine`,
//! `POST /v1/devices/{id}/rejudge`, `POST /v1/devices/{id}/wipe`, `GET /v1/tokens`,
//! `POST /v1/tokens/revoke`. The same operations as `gridwork admin`
//! ([`crate::admin::devices`]), with the caller's name in the audit log.

use super::{error::json_body, ApiError, AppState, Caller};
use crate::{
    account::Account,
    admin::devices::{self, DeviceView, TokenView},
    storage::devices::Revoke,
    StorageError,
};
use axum::{
    body::Bytes,
    extract::{rejection::BytesRejection, rejection::QueryRejection, Path, Query, State},
    Json,
};
use gridwork_core::model::Event;
use serde::{Deserialize, Serialize};

fn admin_only(account: &Account) -> Result<(), ApiError> {
    if super::users::is_city_admin(account) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "only a supervisor whose scope is everywhere (*) administers devices and tokens".into(),
        ))
    }
}

fn refused(e: StorageError) -> ApiError {
    match e {
        StorageError::NotFound(m) => ApiError::NotFound(m),
        StorageError::Invalid(m) => ApiError::Conflict {
            code: "not_applicable",
            message: m,
        },
        other => other.into(),
    }
}

/// `GET /v1/users/{name}/devices`.
pub async fn user_devices(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(name): Path<String>,
) -> Result<Json<Vec<DeviceView>>, ApiError> {
    admin_only(&caller)?;
    let list = devices::devices(state.storage.as_ref(), Some(&name), state.limits.token_ttl)
        .await
        .map_err(refused)?;
    Ok(Json(list))
}

/// A quarantined event as the API shows it.
#[derive(Serialize)]
pub struct QuarantinedView {
    /// The event's id.
    id: uuid::Uuid,
    /// Its place in the device's chain.
    device_seq: u64,
    /// Its kind.
    kind: String,
    /// Why it was rejected.
    reason: String,
    /// The event.
    event: Event,
}

/// `GET /v1/devices/{id}/quarantine`.
pub async fn quarantine(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(device): Path<String>,
) -> Result<Json<Vec<QuarantinedView>>, ApiError> {
    admin_only(&caller)?;
    let list = devices::quarantine(state.storage.as_ref(), &device)
        .await
        .map_err(refused)?;
    Ok(Json(
        list.into_iter()
            .map(|q| QuarantinedView {
                id: q.event.id,
                device_seq: q.event.device_seq,
                kind: q.event.kind.clone(),
                reason: q.reason,
                event: q.event,
            })
            .collect(),
    ))
}

/// One event accepted by a re-judging.
#[derive(Serialize)]
struct AcceptedView {
    id: uuid::Uuid,
    server_seq: i64,
}

/// The answer of a re-judging.
#[derive(Serialize)]
pub struct RejudgedView {
    accepted: Vec<AcceptedView>,
    /// The first event that still fails and why (it and those after it stay).
    still_failing: Option<StillFailing>,
    remaining: u64,
}

#[derive(Serialize)]
struct StillFailing {
    id: uuid::Uuid,
    reason: String,
}

/// `POST /v1/devices/{id}/rejudge`: 200 with what was accepted; 404 for an unknown
/// device, 409 `not_applicable` for one without quarantine.
pub async fn rejudge(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(device): Path<String>,
) -> Result<Json<RejudgedView>, ApiError> {
    admin_only(&caller)?;
    let r = devices::rejudge(state.storage.as_ref(), &caller.user, &device)
        .await
        .map_err(refused)?;
    Ok(Json(RejudgedView {
        accepted: r
            .accepted
            .into_iter()
            .map(|(id, server_seq)| AcceptedView { id, server_seq })
            .collect(),
        still_failing: r.still_failing.map(|q| StillFailing {
            id: q.event.id,
            reason: q.reason,
        }),
        remaining: r.remaining,
    }))
}

/// `POST /v1/devices/{id}/wipe`: 204; 404 for an unknown device, 409
/// `not_applicable` when a wipe was asked for already.
pub async fn wipe(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(device): Path<String>,
) -> Result<axum::http::StatusCode, ApiError> {
    admin_only(&caller)?;
    devices::wipe(state.storage.as_ref(), &caller.user, &device)
        .await
        .map_err(refused)?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// `GET /v1/tokens?user=U`.
pub async fn tokens(
    State(state): State<AppState>,
    Caller(caller): Caller,
    params: Result<Query<crate::params::TokenParams>, QueryRejection>,
) -> Result<Json<Vec<TokenView>>, ApiError> {
    admin_only(&caller)?;
    let Query(p) = params.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let list = devices::tokens(
        state.storage.as_ref(),
        p.user.as_deref(),
        state.limits.token_ttl,
    )
    .await
    .map_err(refused)?;
    Ok(Json(list))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RevokeBody {
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    device: Option<String>,
    #[serde(default)]
    user: Option<String>,
}

#[derive(Serialize)]
pub struct Revoked {
    revoked: u64,
}

/// `POST /v1/tokens/revoke` with exactly one of `token` (an id), `device`, `user`.
pub async fn revoke(
    State(state): State<AppState>,
    Caller(caller): Caller,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Revoked>, ApiError> {
    admin_only(&caller)?;
    let b: RevokeBody = json_body(body)?;
    let which = match (b.token, b.device, b.user) {
        (Some(t), None, None) => Revoke::Token(t),
        (None, Some(d), None) => Revoke::Device(d),
        (None, None, Some(u)) => Revoke::User(u),
        _ => {
            return Err(ApiError::BadRequest(
                "name exactly one of token, device or user".into(),
            ))
        }
    };
    let revoked = devices::revoke(state.storage.as_ref(), &caller.user, &which)
        .await
        .map_err(|e| match e {
            StorageError::Invalid(m) if m.contains("hex digits") => ApiError::BadRequest(m),
            other => refused(other),
        })?;
    Ok(Json(Revoked { revoked }))
}
