//! Sign-in (`POST /v1/login`), who am I (`GET /v1/me`), and the bearer-token extractor
//! every other route uses.

use super::{error::json_body, ApiError, AppState};
use crate::account::{new_token, token_digest, verify_password, Account};
use axum::{
    body::Bytes,
    extract::{rejection::BytesRejection, FromRequestParts, State},
    http::{header, request::Parts},
    Json,
};
use gridwork_core::{
    model::validate_name,
    sync::wire::{LoginRequest, Session},
};

/// The authenticated caller of a request.
pub struct Caller(pub Account);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or_else(|| {
                ApiError::Unauthorized("sign in: an Authorization: Bearer token is needed".into())
            })?;
        state
            .storage
            .account_by_token(&token_digest(token))
            .await?
            .map(Caller)
            .ok_or_else(|| ApiError::Unauthorized("unknown or revoked token: sign in again".into()))
    }
}

fn session(account: &Account, token: Option<String>) -> Session {
    Session {
        token,
        user: account.user.clone(),
        role: account.role,
        scope: account.scope.clone(),
    }
}

/// `POST /v1/login`.
pub async fn login(
    State(state): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Session>, ApiError> {
    let req: LoginRequest = json_body(body)?;
    validate_name("device", &req.device_id).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let wrong = || ApiError::Unauthorized("wrong user name or password".into());
    let account = state.storage.account(&req.user).await?.ok_or_else(wrong)?;
    let Some(hash) = account.password_hash.clone() else {
        return Err(wrong());
    };
    let password = req.password;
    let ok = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    if !ok {
        return Err(wrong());
    }
    let (token, digest) = new_token()?;
    state
        .storage
        .add_token(&account.user, &digest, &req.device_id)
        .await?;
    tracing::info!(device = %req.device_id, "signed in");
    Ok(Json(session(&account, Some(token))))
}

/// `GET /v1/me`.
pub async fn me(Caller(account): Caller) -> Json<Session> {
    Json(session(&account, None))
}
