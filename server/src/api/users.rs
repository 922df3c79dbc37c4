//! Accounts for the console: `/v1/users`, `/v1/users/{name}`,
//! `/v1/users/{name}/password`, `/v1/audit` — for city administrators, that is
//! supervisors whose scope is everywhere (`*`) — and `/v1/me/password`, where any
//! signed-in user changes their own password. The same operations as `gridwork admin`
//! ([`crate::admin::users`]), with the caller's name in the audit log.

use super::{error::json_body, ApiError, AppState, Caller};
use crate::{
    account::Account,
    admin::{self, NewUser, UserChange},
    storage::{AuditEntry, UserListing, UserRecord},
    StorageError,
};
use axum::{
    body::Bytes,
    extract::{rejection::BytesRejection, Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};
use gridwork_core::model::Role;
use serde::{Deserialize, Serialize};

/// Whether `account` may administer accounts: a supervisor whose scope is everywhere.
pub fn is_city_admin(account: &Account) -> bool {
    account.role == Role::Supervisor && account.scope.iter().any(String::is_empty)
}

fn admin_only(account: &Account) -> Result<(), ApiError> {
    if is_city_admin(account) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "only a supervisor whose scope is everywhere (*) administers accounts".into(),
        ))
    }
}

fn refused(e: StorageError) -> ApiError {
    match e {
        StorageError::Invalid(m) if m.contains("exists") => ApiError::Conflict {
            code: "user_exists",
            message: m,
        },
        StorageError::Invalid(m) => ApiError::BadRequest(m),
        StorageError::NotFound(m) => ApiError::NotFound(m),
        other => other.into(),
    }
}

/// An account as the API shows it (never its password hash).
#[derive(Serialize)]
pub struct UserView {
    name: String,
    role: Role,
    /// Grid-code prefixes; `""` is everywhere.
    scope: Vec<String>,
    department: Option<String>,
    disabled: bool,
    has_password: bool,
    /// Unix ms of the last sign-in or accepted event (lists only).
    #[serde(skip_serializing_if = "Option::is_none")]
    last_activity_ms: Option<i64>,
}

fn view(r: UserRecord, last_activity_ms: Option<i64>) -> UserView {
    UserView {
        has_password: r.account.password_hash.is_some(),
        name: r.account.user,
        role: r.account.role,
        scope: r.account.scope,
        department: r.department,
        disabled: r.disabled,
        last_activity_ms,
    }
}

fn scope_text(scope: &[String]) -> String {
    scope
        .iter()
        .map(|p| if p.is_empty() { "*" } else { p.as_str() })
        .collect::<Vec<_>>()
        .join(",")
}

/// `GET /v1/users`.
pub async fn list(
    State(state): State<AppState>,
    Caller(caller): Caller,
) -> Result<Json<Vec<UserView>>, ApiError> {
    admin_only(&caller)?;
    let users = state.storage.users().await?;
    Ok(Json(
        users
            .into_iter()
            .map(
                |UserListing {
                     record,
                     last_activity_ms,
                 }| view(record, last_activity_ms),
            )
            .collect(),
    ))
}

/// `GET /v1/users/{name}`.
pub async fn get(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(name): Path<String>,
) -> Result<Json<UserView>, ApiError> {
    admin_only(&caller)?;
    let record = state
        .storage
        .user(&name)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no account named {name}")))?;
    Ok(Json(view(record, None)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    name: String,
    role: Role,
    scope: Vec<String>,
    #[serde(default)]
    department: Option<String>,
    #[serde(default)]
    password: Option<String>,
}

/// `POST /v1/users`: 201 with the account; 409 `user_exists` when the name is taken.
pub async fn create(
    State(state): State<AppState>,
    Caller(caller): Caller,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    admin_only(&caller)?;
    let b: CreateBody = json_body(body)?;
    let record = admin::create_user(
        state.storage.as_ref(),
        &caller.user,
        NewUser {
            name: b.name,
            role: b.role,
            scope: scope_text(&b.scope),
            department: b.department,
            password: b.password,
        },
    )
    .await
    .map_err(refused)?;
    Ok((StatusCode::CREATED, Json(view(record, None))).into_response())
}

/// Deserialises a present field, `null` included, as `Some` (absent: `None`).
fn some<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChangeBody {
    #[serde(default)]
    role: Option<Role>,
    #[serde(default)]
    scope: Option<Vec<String>>,
    /// Absent: unchanged; `null`: removed.
    #[serde(default, deserialize_with = "some")]
    department: Option<Option<String>>,
    #[serde(default)]
    disabled: Option<bool>,
}

/// `PATCH /v1/users/{name}`: changes what the body names (role, scope, department —
/// `null` removes it — or `disabled`), nothing else.
pub async fn change(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(name): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<UserView>, ApiError> {
    admin_only(&caller)?;
    let b: ChangeBody = json_body(body)?;
    let s = state.storage.as_ref();
    let edits = b.role.is_some() || b.scope.is_some() || b.department.is_some();
    if !edits && b.disabled.is_none() {
        return Err(ApiError::BadRequest(
            "name role, scope, department or disabled to change".into(),
        ));
    }
    if b.disabled == Some(true) && name == caller.user {
        return Err(ApiError::BadRequest(
            "you cannot disable your own account".into(),
        ));
    }
    // Checked as a whole before anything is written: a bad scope with `disabled` set
    // changes nothing either.
    if let Some(scope) = &b.scope {
        admin::users::checked_scope(s, &scope_text(scope))
            .await
            .map_err(refused)?;
    }
    if let Some(Some(d)) = &b.department {
        admin::users::check_department(s, d)
            .await
            .map_err(refused)?;
    }
    let mut record = None;
    if edits {
        let change = UserChange {
            role: b.role,
            scope: b.scope.as_deref().map(scope_text),
            department: b.department,
        };
        record = Some(
            admin::change_user(s, &caller.user, &name, change)
                .await
                .map_err(refused)?,
        );
    }
    if let Some(disabled) = b.disabled {
        let current = match &record {
            Some(r) => r.disabled,
            None => s.user(&name).await?.map(|r| r.disabled).unwrap_or(disabled),
        };
        if current != disabled || record.is_none() {
            record = Some(
                admin::set_disabled(s, &caller.user, &name, disabled)
                    .await
                    .map_err(refused)?,
            );
        }
    }
    let record = record.ok_or_else(|| ApiError::Internal("no change made".into()))?;
    Ok(Json(view(record, None)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PasswordBody {
    password: String,
}

/// `PUT /v1/users/{name}/password`: an administrator sets a password (204); the
/// account's devices sign in again.
pub async fn password(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(name): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<StatusCode, ApiError> {
    admin_only(&caller)?;
    let b: PasswordBody = json_body(body)?;
    admin::set_password(state.storage.as_ref(), &caller.user, &name, &b.password)
        .await
        .map_err(refused)?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OwnPasswordBody {
    current: String,
    new: String,
}

/// `PUT /v1/me/password`: the caller changes their own password, giving the current
/// one (204; 400 when it is wrong). Every token of the account, this one too, is
/// revoked: sign in again with the new password.
pub async fn own_password(
    State(state): State<AppState>,
    Caller(caller): Caller,
    body: Result<Bytes, BytesRejection>,
) -> Result<StatusCode, ApiError> {
    let b: OwnPasswordBody = json_body(body)?;
    admin::change_own_password(state.storage.as_ref(), &caller.user, &b.current, &b.new)
        .await
        .map_err(refused)?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /v1/audit?limit=N`: the audit log, newest first (default 100, at most 1000).
pub async fn audit(
    State(state): State<AppState>,
    Caller(caller): Caller,
    params: Result<Query<crate::params::AuditParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Vec<AuditEntry>>, ApiError> {
    admin_only(&caller)?;
    let Query(p) = params.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let limit = crate::params::audit_limit(&p);
    Ok(Json(state.storage.audit_log(limit).await?))
}
