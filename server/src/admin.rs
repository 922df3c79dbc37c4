//! Operator tasks shared by `gridwork admin` and the tests: accounts, tokens, and the
//! catalogue and grid the server hands out. Catalogue and grid are checked with the
//! core's own parsers before they are stored.

use crate::{
    account::{new_account, new_token, parse_scope},
    storage::{Storage, SETTING_CATALOG, SETTING_GRID},
    StorageError,
};
use gridwork_core::{catalog::Catalog, geo::Grid, model::Role};

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
