//! Operator tasks shared by `gridwork admin` and the tests: accounts, tokens, and the
//! catalogue and grid the server hands out. Catalogue and grid are checked with the
//! core's own parsers before they are stored.

use crate::{
    account::{new_account, new_token, parse_scope},
    storage::{Storage, SETTING_CATALOG, SETTING_GRID},
    StorageError,
};
use gridwork_core::{catalog::Catalog, geo::Grid, model::Role};

pub mod devices;
pub mod users;

pub use users::{
    change_own_password, change_user, create_user, set_disabled, set_password, NewUser, UserChange,
};

/// Writes an operator's change that is not an account's (a token issued, a catalogue or
/// grid imported) to the audit log.
pub async fn audit(
    storage: &dyn Storage,
    actor: &str,
    action: &str,
    target: &str,
    detail: &str,
) -> Result<(), StorageError> {
    storage
        .record_audit(&crate::storage::AuditEntry::now(
            actor, action, target, detail,
        ))
        .await
}

/// Creates or replaces an account. `scope` is comma-separated prefixes or `*`. Replacing
/// drops a password not given again: operators use [`create_user`] and [`change_user`]
/// (this stays for tests and the demo's set-up; it writes no audit entry).
pub async fn add_user(
    storage: &dyn Storage,
    user: &str,
    role: Role,
    scope: &str,
    password: Option<&str>,
) -> Result<(), StorageError> {
    let scope = parse_scope(scope)?;
    if role == Role::Integration && password.is_some() {
        return Err(StorageError::Invalid(
            "an integration account signs in nowhere: it files through Open311 with an API key"
                .into(),
        ));
    }
    let password = password.map(str::to_string);
    let user_owned = user.to_string();
    // Argon2 is deliberately slow: keep it off the async threads.
    let account = tokio::task::spawn_blocking(move || {
        new_account(&user_owned, role, scope, password.as_deref())
    })
    .await
    .map_err(|e| StorageError::Task(e.to_string()))??;
    storage.put_account(&account).await
}

/// Issues a new bearer token for `user` and returns it (it is stored only hashed). The
/// token speaks for `device_id`, registered to `user` now (refused with
/// [`StorageError::DeviceTaken`] when it is another account's); with an empty
/// `device_id` it binds to the first device it pushes for.
pub async fn issue_token(
    storage: &dyn Storage,
    user: &str,
    device_id: &str,
) -> Result<String, StorageError> {
    if !device_id.is_empty() {
        gridwork_core::model::validate_name("device", device_id)
            .map_err(|e| StorageError::Invalid(e.to_string()))?;
        if crate::acting::is_console_device(device_id) {
            return Err(StorageError::Invalid(format!(
                "device ids starting with {:?} are the server's own",
                crate::acting::CONSOLE_DEVICE_PREFIX
            )));
        }
    }
    if storage
        .account(user)
        .await?
        .is_some_and(|a| a.role == Role::Integration)
    {
        return Err(StorageError::Invalid(format!(
            "{user} is an integration account: it files through Open311 with an API key \
             (gridwork admin open311-key), and takes no sync token"
        )));
    }
    let (token, digest) = new_token()?;
    storage.add_token(user, &digest, device_id).await?;
    Ok(token)
}

/// Stores the catalogue served by `GET /v1/catalog` after checking it.
pub async fn import_catalog(storage: &dyn Storage, json: &str) -> Result<(), StorageError> {
    let catalog = Catalog::from_json(json).map_err(|e| StorageError::Invalid(e.to_string()))?;
    let text = catalog
        .to_json()
        .map_err(|e| StorageError::Invalid(e.to_string()))?;
    storage.put_setting(SETTING_CATALOG, &text).await
}

/// Stores the grid served by `GET /v1/catalog` after checking it.
pub async fn import_grid(storage: &dyn Storage, geojson: &str) -> Result<(), StorageError> {
    let grid = Grid::from_geojson(geojson).map_err(|e| StorageError::Invalid(e.to_string()))?;
    storage.put_setting(SETTING_GRID, &grid.to_geojson()).await
}

/// Issues an Open311 API key for the integration account `user` (which must exist with
/// the `integration` role), filing reports of `source` (`resident` or
/// `open311_partner`). Returns the key; only its SHA-256 is stored.
pub async fn issue_open311_key(
    storage: &dyn Storage,
    user: &str,
    source: gridwork_core::model::Source,
) -> Result<String, StorageError> {
    use gridwork_core::model::Source;
    if !matches!(source, Source::Resident | Source::Open311Partner) {
        return Err(StorageError::Invalid(format!(
            "an Open311 key files reports of residents or a partner system, not {source}"
        )));
    }
    match storage.account(user).await? {
        Some(a) if a.role == Role::Integration => {}
        Some(a) => {
            return Err(StorageError::Invalid(format!(
                "{user} is a {} account; Open311 keys are for integration accounts",
                a.role
            )))
        }
        None => return Err(StorageError::Invalid(format!("no account {user}"))),
    }
    let (key, digest) = new_token()?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    storage.put_open311_key(&digest, user, source, now).await?;
    Ok(key)
}
