//! PostgreSQL: users as operators see them, and the audit log.

use super::{to_account, PostgresStorage};
use crate::storage::{users::save_revokes, AuditEntry, UserListing, UserRecord};
use crate::StorageError;
use deadpool_postgres::GenericClient;

const USER_COLUMNS: &str = "name, role, scope, password_hash, department, disabled";

fn to_user(row: &tokio_postgres::Row) -> Result<UserRecord, StorageError> {
    Ok(UserRecord {
        account: to_account(row)?,
        department: row.get(4),
        disabled: row.get(5),
    })
}

pub(super) async fn audit_in(c: &impl GenericClient, e: &AuditEntry) -> Result<(), StorageError> {
    c.execute(
        "INSERT INTO audit (at_ms, actor, action, target, detail) VALUES ($1, $2, $3, $4, $5)",
        &[&e.at_ms, &e.actor, &e.action, &e.target, &e.detail],
    )
    .await?;
    Ok(())
}

pub(super) async fn user(
    s: &PostgresStorage,
    name: &str,
) -> Result<Option<UserRecord>, StorageError> {
    s.client()
        .await?
        .query_opt(
            &format!("SELECT {USER_COLUMNS} FROM accounts WHERE name = $1"),
            &[&name],
        )
        .await?
        .as_ref()
        .map(to_user)
        .transpose()
}

pub(super) async fn users(s: &PostgresStorage) -> Result<Vec<UserListing>, StorageError> {
    let rows = s
        .client()
        .await?
        .query(
            &format!(
                "SELECT {USER_COLUMNS}, GREATEST(
                   (SELECT e.received_ms FROM events e WHERE e.actor_user = a.name
                     ORDER BY e.server_seq DESC LIMIT 1),
                   a.last_sign_in_ms)
                 FROM accounts a ORDER BY name COLLATE \"C\""
            ),
            &[],
        )
        .await?;
    rows.iter()
        .map(|row| {
            Ok(UserListing {
                record: to_user(row)?,
                last_activity_ms: row.get(6),
            })
        })
        .collect()
}

pub(super) async fn save_user(
    s: &PostgresStorage,
    user: &UserRecord,
    create: bool,
    audit: &AuditEntry,
) -> Result<(), StorageError> {
    let scope = serde_json::to_string(&user.account.scope)
        .map_err(|e| StorageError::Invalid(e.to_string()))?;
    let mut client = s.client().await?;
    let tx = client.transaction().await?;
    let name = &user.account.user;
    let old = tx
        .query_opt(
            &format!("SELECT {USER_COLUMNS} FROM accounts WHERE name = $1 FOR UPDATE"),
            &[name],
        )
        .await?
        .as_ref()
        .map(to_user)
        .transpose()?;
    match (&old, create) {
        (Some(_), true) => {
            return Err(StorageError::Invalid(format!(
                "an account named {name} exists"
            )))
        }
        (None, false) => return Err(StorageError::NotFound(format!("no account named {name}"))),
        _ => {}
    }
    // A concurrent create of the same name fails on the primary key: nothing is written.
    tx.execute(
        "INSERT INTO accounts (name, role, scope, password_hash, department, disabled)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (name) DO UPDATE SET role = excluded.role, scope = excluded.scope,
           password_hash = excluded.password_hash, department = excluded.department,
           disabled = excluded.disabled",
        &[
            name,
            &user.account.role.as_str(),
            &scope,
            &user.account.password_hash,
            &user.department,
            &user.disabled,
        ],
    )
    .await?;
    if old.is_some_and(|old| save_revokes(&old, user)) {
        tx.execute("DELETE FROM tokens WHERE name = $1", &[name])
            .await?;
    }
    audit_in(&tx, audit).await?;
    tx.commit().await?;
    Ok(())
}

pub(super) async fn record_audit(
    s: &PostgresStorage,
    entry: &AuditEntry,
) -> Result<(), StorageError> {
    let client = s.client().await?;
    audit_in(&client, entry).await
}

pub(super) async fn audit_log(
    s: &PostgresStorage,
    limit: u32,
) -> Result<Vec<AuditEntry>, StorageError> {
    let rows = s
        .client()
        .await?
        .query(
            "SELECT at_ms, actor, action, target, detail FROM audit ORDER BY seq DESC LIMIT $1",
            &[&i64::from(limit)],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| AuditEntry {
            at_ms: r.get(0),
            actor: r.get(1),
            action: r.get(2),
            target: r.get(3),
            detail: r.get(4),
        })
        .collect())
}
