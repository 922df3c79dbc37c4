//! Sign-in (`POST /v1/login`), who am I (`GET /v1/me`), and the bearer-token extractors
//! every other route uses.
//!
//! A sign-in names a device: an unknown device id is registered to the account, one that
//! belongs to another account is refused (409 `device_taken`), and the token issued
//! speaks only for that device. Failed sign-ins are limited per account name and per
//! client address (429 with `Retry-After`) and logged; Argon2 runs behind a semaphore,
//! and an unknown user costs one Argon2 verification like a known one.

use super::{error::json_body, ApiError, AppState};
use crate::{
    account::{new_token, token_digest, Account},
    signin::{account_key, address_key},
};
use axum::{
    body::Bytes,
    extract::{rejection::BytesRejection, ConnectInfo, FromRequestParts, State},
    http::{header, request::Parts},
    Json,
};
use gridwork_core::{
    model::{validate_name, Role},
    sync::wire::{LoginRequest, Session},
};
use std::{
    net::{IpAddr, SocketAddr},
    time::Instant,
};

/// The authenticated caller of a request.
pub struct Caller(pub Account);

/// The authenticated caller and the device its token was issued to.
pub struct Signed {
    /// The account.
    pub account: Account,
    /// The device the token speaks for; empty for a token not bound to one yet.
    pub device_id: String,
    /// The token's SHA-256 (to bind an unbound token).
    pub token_digest: String,
}

/// The token of an `Authorization: Bearer` header; the scheme is matched without
/// regard to case (RFC 9110 §11.1, RFC 6750).
fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim_start().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Integration accounts file through Open311 with their API key: they sign in nowhere
/// and no bearer token of theirs is accepted, however one came to exist (an account
/// given a password or changed to the integration role keeps it out of sync and the
/// console all the same).
fn integration_refused() -> ApiError {
    ApiError::Forbidden(
        "an integration account files through Open311 with its API key; it takes no part in sync or the console"
            .into(),
    )
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

impl FromRequestParts<AppState> for Signed {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer(parts).ok_or_else(|| {
            ApiError::Unauthorized("sign in: an Authorization: Bearer token is needed".into())
        })?;
        let ttl_ms = i64::try_from(state.limits.token_ttl.as_millis()).unwrap_or(i64::MAX);
        let issued_after = now_ms().saturating_sub(ttl_ms);
        let digest = token_digest(token);
        let owner = state
            .metrics
            .storage(
                "token",
                state.storage.account_by_token(&digest, issued_after),
            )
            .await?
            .ok_or_else(|| {
                ApiError::Unauthorized("unknown, expired or revoked token: sign in again".into())
            })?;
        super::observe::record_caller(&owner.account.user, &owner.device_id);
        if owner.account.role == Role::Integration {
            return Err(integration_refused());
        }
        super::wipe::check(state, &owner, &digest, parts.uri.path()).await?;
        if let Err(refused) = state.token_limiter.check(&digest) {
            tracing::warn!("request refused: the token's rate limit is used up");
            return Err(ApiError::TokenRateLimited {
                retry_after_secs: refused.wait.as_secs_f64().ceil().max(1.0) as u64,
                per_minute: refused.rate.per_minute,
                burst: refused.rate.burst,
            });
        }
        Ok(Signed {
            account: owner.account,
            device_id: owner.device_id,
            token_digest: digest,
        })
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Signed::from_request_parts(parts, state)
            .await
            .map(|s| Caller(s.account))
    }
}

/// The client's address, when the server was started with connection info.
pub struct Peer(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for Peer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Peer(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip()),
        ))
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

fn retry_after(wait: std::time::Duration) -> ApiError {
    ApiError::RateLimited {
        retry_after_secs: wait.as_secs_f64().ceil().max(1.0) as u64,
    }
}

/// `POST /v1/login`.
pub async fn login(
    State(state): State<AppState>,
    Peer(ip): Peer,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Session>, ApiError> {
    let req: LoginRequest = json_body(body)?;
    validate_name("device", &req.device_id).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    if crate::acting::is_console_device(&req.device_id) {
        return Err(ApiError::BadRequest(format!(
            "device ids starting with {:?} are the server's own",
            crate::acting::CONSOLE_DEVICE_PREFIX
        )));
    }
    let guard = &state.sign_in;
    let (user_key, addr_key) = (account_key(&req.user), address_key(ip));
    let blocked = || {
        let now = Instant::now();
        [
            guard.accounts.blocked(&user_key, now),
            guard.addresses.blocked(&addr_key, now),
        ]
        .into_iter()
        .flatten()
        .max()
    };
    let refuse = |wait| {
        state
            .metrics
            .sign_in_failures
            .with_label_values(&["rate_limited"])
            .inc();
        tracing::warn!(user = %user_key, addr = %addr_key, "sign-in refused: too many failures");
        retry_after(wait)
    };
    if let Some(wait) = blocked() {
        return Err(refuse(wait));
    }
    let account = state.storage.account(&req.user).await?;
    let hash = account.as_ref().and_then(|a| a.password_hash.clone());
    // Checked again once a hash permit is held: the limit may have been used up by
    // requests that were hashed while this one waited.
    let mut late = None;
    let ok = guard
        .hasher
        .verify_if(req.password, hash, || {
            late = blocked();
            late.is_none()
        })
        .await
        .map_err(ApiError::Internal)?;
    let Some((ok, permit)) = ok else {
        return Err(refuse(late.unwrap_or_default()));
    };
    let account = match account {
        Some(account) if ok => account,
        _ => {
            // Recorded while the permit is held, so the next request waiting for it
            // sees this failure.
            let now = Instant::now();
            guard.accounts.fail(&user_key, now);
            guard.addresses.fail(&addr_key, now);
            drop(permit);
            state
                .metrics
                .sign_in_failures
                .with_label_values(&["password"])
                .inc();
            tracing::warn!(user = %user_key, addr = %addr_key, "failed sign-in");
            return Err(ApiError::Unauthorized("wrong user name or password".into()));
        }
    };
    drop(permit);
    guard.accounts.clear(&user_key);
    if account.role == Role::Integration {
        return Err(integration_refused());
    }
    let key = req.device_key.as_deref();
    super::signing::check_key(&state, &account.user, &req.device_id, key).await?;
    let (token, digest) = new_token()?;
    state
        .storage
        .add_token(&account.user, &digest, &req.device_id)
        .await
        .inspect_err(|e| {
            if matches!(e, crate::StorageError::DeviceTaken(_)) {
                state
                    .metrics
                    .sign_in_failures
                    .with_label_values(&["device_taken"])
                    .inc();
                tracing::warn!(user = %account.user, device = %req.device_id, addr = %addr_key,
                    "sign-in refused: the device belongs to another account");
            }
        })?;
    if let Some(key) = key {
        super::signing::bind_key(&state, &req.device_id, key).await?;
    }
    tracing::info!(user = %account.user, device = %req.device_id, "signed in");
    Ok(Json(session(&account, Some(token))))
}

/// `GET /v1/me`.
pub async fn me(Caller(account): Caller) -> Json<Session> {
    Json(session(&account, None))
}
