//! The SQLite side of [`Open311Store`].

use super::SqliteStorage;
use crate::storage::open311::{
    contact_json, parse_contact, parse_source, parse_uuid, Attempt, FiledRequest, Open311Store,
    OutboxEntry, OutboxState,
};
use crate::StorageError;
use async_trait::async_trait;
use gridwork_core::model::Source;
use rusqlite::{params, OptionalExtension, Row};
use uuid::Uuid;

/// Version 5 to 6: Open311 keys, filed requests and the forwarding outbox.
pub(super) const MIGRATE_5_TO_6: &str = "
CREATE TABLE open311_keys (
  digest TEXT PRIMARY KEY,
  user TEXT NOT NULL,
  source TEXT NOT NULL,
  created_ms INTEGER NOT NULL
) STRICT;
CREATE TABLE open311_requests (
  case_id TEXT PRIMARY KEY,
  token TEXT NOT NULL UNIQUE,
  account TEXT NOT NULL,
  contact TEXT,
  created_ms INTEGER NOT NULL
) STRICT;
CREATE TABLE open311_outbox (
  case_id TEXT NOT NULL,
  target TEXT NOT NULL,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  next_ms INTEGER NOT NULL,
  remote_id TEXT,
  error TEXT,
  updated_ms INTEGER NOT NULL,
  PRIMARY KEY (case_id, target)
) STRICT;
CREATE INDEX open311_outbox_due ON open311_outbox(target, state, next_ms);
";

const REQUEST_COLUMNS: &str = "case_id, token, account, contact, created_ms";
const OUTBOX_COLUMNS: &str = "case_id, target, state, attempts, next_ms, remote_id, error";

fn request_row(r: &Row<'_>) -> rusqlite::Result<(String, String, String, Option<String>, i64)> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
}

fn request(
    (case_id, token, account, contact, created_ms): (String, String, String, Option<String>, i64),
) -> Result<FiledRequest, StorageError> {
    Ok(FiledRequest {
        case_id: parse_uuid(&case_id)?,
        token,
        account,
        contact: parse_contact(contact)?,
        created_ms,
    })
}

type OutboxRow = (
    String,
    String,
    String,
    i64,
    i64,
    Option<String>,
    Option<String>,
);

fn outbox_row(r: &Row<'_>) -> rusqlite::Result<OutboxRow> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
    ))
}

fn outbox(
    (case_id, target, state, attempts, next_ms, remote_id, error): OutboxRow,
) -> Result<OutboxEntry, StorageError> {
    Ok(OutboxEntry {
        case_id: parse_uuid(&case_id)?,
        target,
        state: OutboxState::parse(&state)?,
        attempts: u32::try_from(attempts).unwrap_or(0),
        next_ms,
        remote_id,
        error,
    })
}

#[async_trait]
impl Open311Store for SqliteStorage {
    async fn put_open311_key(
        &self,
        digest: &str,
        user: &str,
        source: Source,
        now_ms: i64,
    ) -> Result<(), StorageError> {
        let (digest, user) = (digest.to_string(), user.to_string());
        self.write(move |conn| {
            conn.execute(
                "INSERT INTO open311_keys (digest, user, source, created_ms)
                 VALUES (?1, ?2, ?3, ?4)",
                params![digest, user, source.as_str(), now_ms],
            )?;
            Ok(())
        })
        .await
    }

    async fn open311_key(&self, digest: &str) -> Result<Option<(String, Source)>, StorageError> {
        let digest = digest.to_string();
        let row: Option<(String, String)> = self
            .read(move |conn| {
                Ok(conn
                    .query_row(
                        "SELECT user, source FROM open311_keys WHERE digest = ?1",
                        [digest],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )
                    .optional()?)
            })
            .await?;
        row.map(|(u, s)| Ok((u, parse_source(&s)?))).transpose()
    }

    async fn put_open311_request(&self, request: &FiledRequest) -> Result<(), StorageError> {
        let contact = contact_json(&request.contact)?;
        let r = request.clone();
        self.write(move |conn| {
            conn.execute(
                "INSERT INTO open311_requests (case_id, token, account, contact, created_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    r.case_id.to_string(),
                    r.token,
                    r.account,
                    contact,
                    r.created_ms
                ],
            )?;
            Ok(())
        })
        .await
    }

    async fn open311_by_token(&self, token: &str) -> Result<Option<FiledRequest>, StorageError> {
        let token = token.to_string();
        let row = self
            .read(move |conn| {
                Ok(conn
                    .query_row(
                        &format!("SELECT {REQUEST_COLUMNS} FROM open311_requests WHERE token = ?1"),
                        [token],
                        request_row,
                    )
                    .optional()?)
            })
            .await?;
        row.map(request).transpose()
    }

    async fn open311_by_case(&self, case_id: Uuid) -> Result<Option<FiledRequest>, StorageError> {
        let row = self
            .read(move |conn| {
                Ok(conn
                    .query_row(
                        &format!(
                            "SELECT {REQUEST_COLUMNS} FROM open311_requests WHERE case_id = ?1"
                        ),
                        [case_id.to_string()],
                        request_row,
                    )
                    .optional()?)
            })
            .await?;
        row.map(request).transpose()
    }

    async fn purge_open311_contacts(
        &self,
        filed_before_ms: i64,
        closed_before_ms: i64,
    ) -> Result<u64, StorageError> {
        self.write(move |conn| {
            let n = conn.execute(
                "UPDATE open311_requests SET contact = NULL
                 WHERE contact IS NOT NULL AND (created_ms < ?1 OR case_id IN
                   (SELECT id FROM cases WHERE closed_ms IS NOT NULL AND closed_ms < ?2))",
                params![filed_before_ms, closed_before_ms],
            )?;
            Ok(n as u64)
        })
        .await
    }

    async fn outbox_fill(
        &self,
        target: &str,
        categories: &[String],
        now_ms: i64,
    ) -> Result<u64, StorageError> {
        let target = target.to_string();
        let categories =
            serde_json::to_string(categories).map_err(|e| StorageError::Corrupt(e.to_string()))?;
        self.write(move |conn| {
            let n = conn.execute(
                "INSERT OR IGNORE INTO open311_outbox
                   (case_id, target, state, attempts, next_ms, updated_ms)
                 SELECT id, ?1, 'pending', 0, ?2, ?2 FROM cases
                 WHERE category IN (SELECT value FROM json_each(?3))
                   AND id NOT IN (SELECT case_id FROM open311_outbox WHERE target = ?1)",
                params![target, now_ms, categories],
            )?;
            Ok(n as u64)
        })
        .await
    }

    async fn outbox_claim(
        &self,
        target: &str,
        now_ms: i64,
        lease_ms: i64,
        limit: u32,
    ) -> Result<Vec<OutboxEntry>, StorageError> {
        let target = target.to_string();
        let rows = self
            .write(move |conn| {
                let mut stmt = conn.prepare(&format!(
                    "UPDATE open311_outbox SET state = 'sending', next_ms = ?3, updated_ms = ?2
                     WHERE target = ?1 AND case_id IN (SELECT case_id FROM open311_outbox
                       WHERE target = ?1 AND state = 'pending' AND next_ms <= ?2
                       ORDER BY next_ms LIMIT ?4)
                     RETURNING {OUTBOX_COLUMNS}"
                ))?;
                let rows = stmt
                    .query_map(
                        params![target, now_ms, now_ms + lease_ms, i64::from(limit)],
                        outbox_row,
                    )?
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(rows)
            })
            .await?;
        rows.into_iter().map(outbox).collect()
    }

    async fn outbox_finish(
        &self,
        case_id: Uuid,
        target: &str,
        attempt: &Attempt,
        now_ms: i64,
    ) -> Result<(), StorageError> {
        let target = target.to_string();
        let attempt = attempt.clone();
        self.write(move |conn| {
            let id = case_id.to_string();
            match attempt {
                Attempt::Sent { remote_id } => conn.execute(
                    "UPDATE open311_outbox SET state = 'sent', attempts = attempts + 1,
                       remote_id = ?3, error = NULL, updated_ms = ?4
                     WHERE case_id = ?1 AND target = ?2 AND state = 'sending'",
                    params![id, target, remote_id, now_ms],
                )?,
                Attempt::Failed { error, retry_at_ms } => conn.execute(
                    "UPDATE open311_outbox SET state = ?3, attempts = attempts + 1,
                       next_ms = ?4, error = ?5, updated_ms = ?6
                     WHERE case_id = ?1 AND target = ?2 AND state = 'sending'",
                    params![
                        id,
                        target,
                        if retry_at_ms.is_some() {
                            "pending"
                        } else {
                            "failed"
                        },
                        retry_at_ms.unwrap_or(now_ms),
                        error,
                        now_ms
                    ],
                )?,
                Attempt::Skipped => conn.execute(
                    "UPDATE open311_outbox SET state = 'skipped', updated_ms = ?3
                     WHERE case_id = ?1 AND target = ?2 AND state = 'sending'",
                    params![id, target, now_ms],
                )?,
            };
            Ok(())
        })
        .await
    }

    async fn outbox_entries(&self, case_id: Uuid) -> Result<Vec<OutboxEntry>, StorageError> {
        let rows = self
            .read(move |conn| {
                let mut stmt = conn.prepare(&format!(
                    "SELECT {OUTBOX_COLUMNS} FROM open311_outbox WHERE case_id = ?1 ORDER BY target"
                ))?;
                let rows = stmt
                    .query_map([case_id.to_string()], outbox_row)?
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(rows)
            })
            .await?;
        rows.into_iter().map(outbox).collect()
    }
}
