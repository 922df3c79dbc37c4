//! Creating, changing and disabling accounts and setting passwords, as `gridwork admin`
//! and `/v1/users` do it: each operation checks everything first (name, scope against
//! the city's grid, department against the catalogue, password length) and then writes
//! the account and its audit entry in one transaction, so a refused operation changes
//! nothing. Only what is asked for changes: a scope change keeps the password.

use crate::{
    account::{hash_password, new_account, parse_scope, verify_password},
    storage::{AuditEntry, Storage, UserRecord, SETTING_CATALOG, SETTING_GRID},
    StorageError,
};
use gridwork_core::{catalog::Catalog, geo::Grid, model::Role};

/// Fewest characters a password set by these operations may have.
pub const MIN_PASSWORD_CHARS: usize = 8;

/// A new account.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// The account name.
    pub name: String,
    /// Its role.
    pub role: Role,
    /// Comma-separated grid-code prefixes, `*` for everywhere.
    pub scope: String,
    /// A catalogue department id (handlers).
    pub department: Option<String>,
    /// A password for sign-in; without one only issued tokens work.
    pub password: Option<String>,
}

/// A change to an account: `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct UserChange {
    /// A new role.
    pub role: Option<Role>,
    /// A new scope (comma-separated prefixes or `*`).
    pub scope: Option<String>,
    /// A new department (`Some(None)` removes it).
    pub department: Option<Option<String>>,
}

/// Parses `text` and checks that every prefix matches a cell of the stored grid (`*`
/// always does). Without a stored grid only the form is checked.
pub async fn checked_scope(storage: &dyn Storage, text: &str) -> Result<Vec<String>, StorageError> {
    let scope = parse_scope(text)?;
    if let Some(geojson) = storage.setting(SETTING_GRID).await? {
        let grid =
            Grid::from_geojson(&geojson).map_err(|e| StorageError::Corrupt(e.to_string()))?;
        for prefix in scope.iter().filter(|p| !p.is_empty()) {
            if grid.cells_with_prefix(prefix).is_empty() {
                return Err(StorageError::Invalid(format!(
                    "scope prefix {prefix} matches no cell of the city's grid"
                )));
            }
        }
    }
    Ok(scope)
}

/// Checks that `department` is one of the stored catalogue's (any id without one).
pub async fn check_department(storage: &dyn Storage, department: &str) -> Result<(), StorageError> {
    gridwork_core::model::validate_name("department", department)
        .map_err(|e| StorageError::Invalid(e.to_string()))?;
    if let Some(json) = storage.setting(SETTING_CATALOG).await? {
        let catalog =
            Catalog::from_json(&json).map_err(|e| StorageError::Corrupt(e.to_string()))?;
        if catalog.department(department).is_none() {
            let known: Vec<&str> = catalog
                .departments()
                .iter()
                .map(|d| d.id.as_str())
                .collect();
            return Err(StorageError::Invalid(format!(
                "no department {department:?} in the catalogue (known: {})",
                known.join(", ")
            )));
        }
    }
    Ok(())
}

/// Checks a new password's length.
pub fn check_password(password: &str) -> Result<(), StorageError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(StorageError::Invalid(format!(
            "a password needs at least {MIN_PASSWORD_CHARS} characters"
        )));
    }
    Ok(())
}

async fn hashed(password: String) -> Result<String, StorageError> {
    // Argon2 is deliberately slow: keep it off the async threads.
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| StorageError::Task(e.to_string()))?
}

async fn existing(storage: &dyn Storage, name: &str) -> Result<UserRecord, StorageError> {
    storage
        .user(name)
        .await?
        .ok_or_else(|| StorageError::NotFound(format!("no account named {name}")))
}

fn scope_text(scope: &[String]) -> String {
    scope
        .iter()
        .map(|p| if p.is_empty() { "*" } else { p.as_str() })
        .collect::<Vec<_>>()
        .join(",")
}

/// Creates an account; refused when the name is taken. `actor` is recorded in the audit log.
pub async fn create_user(
    storage: &dyn Storage,
    actor: &str,
    new: NewUser,
) -> Result<UserRecord, StorageError> {
    let scope = checked_scope(storage, &new.scope).await?;
    if let Some(d) = &new.department {
        check_department(storage, d).await?;
    }
    if let Some(p) = &new.password {
        check_password(p)?;
    }
    if storage.user(&new.name).await?.is_some() {
        return Err(StorageError::Invalid(format!(
            "an account named {} exists: change it with set-user (its password stays)",
            new.name
        )));
    }
    let mut account = new_account(&new.name, new.role, scope, None)?;
    if let Some(p) = new.password {
        account.password_hash = Some(hashed(p).await?);
    }
    let detail = format!(
        "role {}, scope {}{}{}",
        account.role,
        scope_text(&account.scope),
        new.department
            .as_deref()
            .map(|d| format!(", department {d}"))
            .unwrap_or_default(),
        if account.password_hash.is_some() {
            ", with a password"
        } else {
            ""
        }
    );
    let record = UserRecord {
        account,
        department: new.department,
        disabled: false,
    };
    let audit = AuditEntry::now(actor, "user.create", &record.account.user, detail);
    storage.save_user(&record, true, &audit).await?;
    Ok(record)
}

/// Changes what `change` names of an existing account, keeping everything else (its
/// password too). A role or scope change signs its devices out.
pub async fn change_user(
    storage: &dyn Storage,
    actor: &str,
    name: &str,
    change: UserChange,
) -> Result<UserRecord, StorageError> {
    let mut record = existing(storage, name).await?;
    let mut said = Vec::new();
    if let Some(text) = &change.scope {
        let scope = checked_scope(storage, text).await?;
        if scope != record.account.scope {
            said.push(format!(
                "scope {} -> {}",
                scope_text(&record.account.scope),
                scope_text(&scope)
            ));
            record.account.scope = scope;
        }
    }
    if let Some(department) = change.department {
        if let Some(d) = &department {
            check_department(storage, d).await?;
        }
        if department != record.department {
            said.push(format!(
                "department {} -> {}",
                record.department.as_deref().unwrap_or("-"),
                department.as_deref().unwrap_or("-")
            ));
            record.department = department;
        }
    }
    if let Some(role) = change.role {
        if role != record.account.role {
            said.push(format!("role {} -> {role}", record.account.role));
            record.account.role = role;
        }
    }
    if said.is_empty() {
        return Err(StorageError::Invalid(format!(
            "nothing to change for {name}: name a new --role, --scope or --department"
        )));
    }
    let audit = AuditEntry::now(actor, "user.change", name, said.join("; "));
    storage.save_user(&record, false, &audit).await?;
    Ok(record)
}

/// Disables (signing every device out) or enables an account.
pub async fn set_disabled(
    storage: &dyn Storage,
    actor: &str,
    name: &str,
    disabled: bool,
) -> Result<UserRecord, StorageError> {
    let mut record = existing(storage, name).await?;
    if record.disabled == disabled {
        return Err(StorageError::Invalid(format!(
            "{name} is {} already",
            if disabled { "disabled" } else { "enabled" }
        )));
    }
    record.disabled = disabled;
    let (action, detail) = if disabled {
        ("user.disable", "disabled; its tokens were revoked")
    } else {
        ("user.enable", "enabled")
    };
    let audit = AuditEntry::now(actor, action, name, detail);
    storage.save_user(&record, false, &audit).await?;
    Ok(record)
}

/// Sets an account's password (an operator's reset): every device signs in again.
pub async fn set_password(
    storage: &dyn Storage,
    actor: &str,
    name: &str,
    password: &str,
) -> Result<(), StorageError> {
    check_password(password)?;
    let mut record = existing(storage, name).await?;
    record.account.password_hash = Some(hashed(password.to_string()).await?);
    let audit = AuditEntry::now(
        actor,
        "user.password",
        name,
        "password set; its tokens were revoked",
    );
    storage.save_user(&record, false, &audit).await
}

/// A user changes their own password, giving the current one: refused with
/// [`StorageError::Invalid`] when it is wrong (nothing changes).
pub async fn change_own_password(
    storage: &dyn Storage,
    name: &str,
    current: &str,
    new: &str,
) -> Result<(), StorageError> {
    check_password(new)?;
    let mut record = existing(storage, name).await?;
    let hash = record.account.password_hash.clone().unwrap_or_default();
    let current = current.to_string();
    let ok = tokio::task::spawn_blocking(move || verify_password(&current, &hash))
        .await
        .map_err(|e| StorageError::Task(e.to_string()))?;
    if !ok {
        return Err(StorageError::Invalid(
            "the current password is wrong".into(),
        ));
    }
    record.account.password_hash = Some(hashed(new.to_string()).await?);
    let audit = AuditEntry::now(
        name,
        "user.password",
        name,
        "changed their own password; its tokens were revoked",
    );
    storage.save_user(&record, false, &audit).await
}
