//! SQLite: users as operators see them, and the audit log.

use super::{account_row, to_account, SqliteStorage};
use crate::storage::{users::save_revokes, AuditEntry, UserListing, UserRecord};
use crate::StorageError;
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

const USER_COLUMNS: &str = "name, role, scope, password_hash, department, disabled";

fn user_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<UserRow> {
    Ok((account_row(r)?, r.get(4)?, r.get(5)?))
}

type UserRow = (
    (String, String, String, Option<String>),
    Option<String>,
    i64,
);

fn to_user((account, department, disabled): UserRow) -> Result<UserRecord, StorageError> {
    Ok(UserRecord {
        account: to_account(account)?,
        department,
        disabled: disabled != 0,
    })
}

fn user_in(conn: &Connection, name: &str) -> Result<Option<UserRecord>, StorageError> {
    conn.query_row(
        &format!("SELECT {USER_COLUMNS} FROM accounts WHERE name = ?1"),
        [name],
        user_row,
    )
    .optional()?
    .map(to_user)
    .transpose()
}

pub(super) fn audit_in(conn: &Connection, e: &AuditEntry) -> Result<(), StorageError> {
    conn.execute(
        "INSERT INTO audit (at_ms, actor, action, target, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![e.at_ms, e.actor, e.action, e.target, e.detail],
    )?;
    Ok(())
}

pub(super) async fn user(
    s: &SqliteStorage,
    name: &str,
) -> Result<Option<UserRecord>, StorageError> {
    let name = name.to_string();
    s.read(move |conn| user_in(conn, &name)).await
}

pub(super) async fn users(s: &SqliteStorage) -> Result<Vec<UserListing>, StorageError> {
    s.read(move |conn| {
        // The last event by server_seq (the events_actor index), not a scan of them all.
        let mut stmt = conn.prepare(&format!(
            "SELECT {USER_COLUMNS}, max(
               COALESCE((SELECT e.received_ms FROM events e WHERE e.actor_user = a.name
                         ORDER BY e.server_seq DESC LIMIT 1), 0),
               COALESCE(a.last_sign_in_ms, 0))
             FROM accounts a ORDER BY name"
        ))?;
        let rows = stmt.query_map([], |r| Ok((user_row(r)?, r.get::<_, i64>(6)?)))?;
        let mut out = Vec::new();
        for row in rows {
            let (user, last) = row?;
            out.push(UserListing {
                record: to_user(user)?,
                last_activity_ms: (last > 0).then_some(last),
            });
        }
        Ok(out)
    })
    .await
}

pub(super) async fn save_user(
    s: &SqliteStorage,
    user: &UserRecord,
    create: bool,
    audit: &AuditEntry,
) -> Result<(), StorageError> {
    let (user, audit) = (user.clone(), audit.clone());
    let scope = serde_json::to_string(&user.account.scope)
        .map_err(|e| StorageError::Invalid(e.to_string()))?;
    s.write(move |conn| {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let name = &user.account.user;
        let old = user_in(&tx, name)?;
        match (&old, create) {
            (Some(_), true) => {
                return Err(StorageError::Invalid(format!(
                    "an account named {name} exists"
                )))
            }
            (None, false) => {
                return Err(StorageError::NotFound(format!("no account named {name}")))
            }
            _ => {}
        }
        tx.execute(
            "INSERT INTO accounts (name, role, scope, password_hash, department, disabled)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT(name) DO UPDATE SET role = excluded.role, scope = excluded.scope,
               password_hash = excluded.password_hash, department = excluded.department,
               disabled = excluded.disabled",
            params![
                name,
                user.account.role.as_str(),
                scope,
                user.account.password_hash,
                user.department,
                i64::from(user.disabled)
            ],
        )?;
        if old.is_some_and(|old| save_revokes(&old, &user)) {
            tx.execute("DELETE FROM tokens WHERE name = ?1", [name])?;
        }
        audit_in(&tx, &audit)?;
        tx.commit()?;
        Ok(())
    })
    .await
}

pub(super) async fn record_audit(
    s: &SqliteStorage,
    entry: &AuditEntry,
) -> Result<(), StorageError> {
    let entry = entry.clone();
    s.write(move |conn| audit_in(conn, &entry)).await
}

pub(super) async fn audit_log(
    s: &SqliteStorage,
    limit: u32,
) -> Result<Vec<AuditEntry>, StorageError> {
    s.read(move |conn| {
        let mut stmt = conn.prepare(
            "SELECT at_ms, actor, action, target, detail FROM audit ORDER BY seq DESC LIMIT ?1",
        )?;
        let rows = stmt.query_map([i64::from(limit)], |r| {
            Ok(AuditEntry {
                at_ms: r.get(0)?,
                actor: r.get(1)?,
                action: r.get(2)?,
                target: r.get(3)?,
                detail: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    })
    .await
}
