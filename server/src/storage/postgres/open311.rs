//! The PostgreSQL side of [`Open311Store`]. Claims take `FOR UPDATE SKIP LOCKED`, so
//! several server processes forwarding to one target never claim the same case.

use super::PostgresStorage;
use crate::storage::open311::{
    contact_json, parse_contact, parse_source, parse_uuid, Attempt, FiledRequest, Open311Store,
    OutboxEntry, OutboxState,
};
use crate::StorageError;
use async_trait::async_trait;
use gridwork_core::model::Source;
use tokio_postgres::Row;
use uuid::Uuid;

/// Open311 keys, filed requests and the forwarding outbox (idempotent).
pub(super) const SCHEMA_OPEN311: &str = "
CREATE TABLE IF NOT EXISTS open311_keys (
  digest TEXT PRIMARY KEY,
  \"user\" TEXT NOT NULL,
  source TEXT NOT NULL,
  created_ms BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS open311_requests (
  case_id TEXT PRIMARY KEY,
  token TEXT NOT NULL UNIQUE,
  account TEXT NOT NULL,
  contact TEXT,
  created_ms BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS open311_outbox (
  case_id TEXT NOT NULL,
  target TEXT NOT NULL,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  next_ms BIGINT NOT NULL,
  remote_id TEXT,
  error TEXT,
  updated_ms BIGINT NOT NULL,
  PRIMARY KEY (case_id, target)
);
CREATE INDEX IF NOT EXISTS open311_outbox_due ON open311_outbox(target, state, next_ms);
";

const REQUEST_COLUMNS: &str = "case_id, token, account, contact, created_ms";
const OUTBOX_COLUMNS: &str = "case_id, target, state, attempts, next_ms, remote_id, error";

fn request(r: &Row) -> Result<FiledRequest, StorageError> {
    Ok(FiledRequest {
        case_id: parse_uuid(r.get(0))?,
        token: r.get(1),
        account: r.get(2),
        contact: parse_contact(r.get(3))?,
        created_ms: r.get(4),
    })
}

fn outbox(r: &Row) -> Result<OutboxEntry, StorageError> {
    Ok(OutboxEntry {
        case_id: parse_uuid(r.get(0))?,
        target: r.get(1),
        state: OutboxState::parse(r.get(2))?,
        attempts: u32::try_from(r.get::<_, i32>(3)).unwrap_or(0),
        next_ms: r.get(4),
        remote_id: r.get(5),
        error: r.get(6),
    })
}

#[async_trait]
impl Open311Store for PostgresStorage {
    async fn put_open311_key(
        &self,
        digest: &str,
        user: &str,
        source: Source,
        now_ms: i64,
    ) -> Result<(), StorageError> {
        self.client()
            .await?
            .execute(
                "INSERT INTO open311_keys (digest, \"user\", source, created_ms)
                 VALUES ($1, $2, $3, $4)",
                &[&digest, &user, &source.as_str(), &now_ms],
            )
            .await?;
        Ok(())
    }

    async fn open311_key(&self, digest: &str) -> Result<Option<(String, Source)>, StorageError> {
        self.client()
            .await?
            .query_opt(
                "SELECT \"user\", source FROM open311_keys WHERE digest = $1",
                &[&digest],
            )
            .await?
            .map(|r| Ok((r.get(0), parse_source(r.get(1))?)))
            .transpose()
    }

    async fn put_open311_request(&self, r: &FiledRequest) -> Result<(), StorageError> {
        let contact = contact_json(&r.contact)?;
        self.client()
            .await?
            .execute(
                "INSERT INTO open311_requests (case_id, token, account, contact, created_ms)
                 VALUES ($1, $2, $3, $4, $5)",
                &[
                    &r.case_id.to_string(),
                    &r.token,
                    &r.account,
                    &contact,
                    &r.created_ms,
                ],
            )
            .await?;
        Ok(())
    }

    async fn open311_by_token(&self, token: &str) -> Result<Option<FiledRequest>, StorageError> {
        self.client()
            .await?
            .query_opt(
                &format!("SELECT {REQUEST_COLUMNS} FROM open311_requests WHERE token = $1"),
                &[&token],
            )
            .await?
            .as_ref()
            .map(request)
            .transpose()
    }

    async fn open311_by_case(&self, case_id: Uuid) -> Result<Option<FiledRequest>, StorageError> {
        self.client()
            .await?
            .query_opt(
                &format!("SELECT {REQUEST_COLUMNS} FROM open311_requests WHERE case_id = $1"),
                &[&case_id.to_string()],
            )
            .await?
            .as_ref()
            .map(request)
            .transpose()
    }

    async fn purge_open311_contacts(
        &self,
        filed_before_ms: i64,
        closed_before_ms: i64,
    ) -> Result<u64, StorageError> {
        Ok(self
            .client()
            .await?
            .execute(
                "UPDATE open311_requests SET contact = NULL
                 WHERE contact IS NOT NULL AND (created_ms < $1 OR case_id IN
                   (SELECT id FROM cases WHERE closed_ms IS NOT NULL AND closed_ms < $2))",
                &[&filed_before_ms, &closed_before_ms],
            )
            .await?)
    }

    async fn outbox_fill(
        &self,
        target: &str,
        categories: &[String],
        now_ms: i64,
    ) -> Result<u64, StorageError> {
        let categories: Vec<&str> = categories.iter().map(String::as_str).collect();
        Ok(self
            .client()
            .await?
            .execute(
                "INSERT INTO open311_outbox (case_id, target, state, attempts, next_ms, updated_ms)
                 SELECT id, $1, 'pending', 0, $2, $2 FROM cases WHERE category = ANY($3)
                 ON CONFLICT DO NOTHING",
                &[&target, &now_ms, &categories],
            )
            .await?)
    }

    async fn outbox_claim(
        &self,
        target: &str,
        now_ms: i64,
        lease_ms: i64,
        limit: u32,
    ) -> Result<Vec<OutboxEntry>, StorageError> {
        let until = now_ms + lease_ms;
        let limit = i64::from(limit);
        self.client()
            .await?
            .query(
                &format!(
                    "UPDATE open311_outbox SET state = 'sending', next_ms = $3, updated_ms = $2
                     WHERE target = $1 AND case_id IN (SELECT case_id FROM open311_outbox
                       WHERE target = $1 AND state = 'pending' AND next_ms <= $2
                       ORDER BY next_ms LIMIT $4 FOR UPDATE SKIP LOCKED)
                     RETURNING {OUTBOX_COLUMNS}"
                ),
                &[&target, &now_ms, &until, &limit],
            )
            .await?
            .iter()
            .map(outbox)
            .collect()
    }

    async fn outbox_finish(
        &self,
        case_id: Uuid,
        target: &str,
        attempt: &Attempt,
        now_ms: i64,
    ) -> Result<(), StorageError> {
        let client = self.client().await?;
        let id = case_id.to_string();
        match attempt {
            Attempt::Sent { remote_id } => {
                client
                    .execute(
                        "UPDATE open311_outbox SET state = 'sent', attempts = attempts + 1,
                           remote_id = $3, error = NULL, updated_ms = $4
                         WHERE case_id = $1 AND target = $2 AND state = 'sending'",
                        &[&id, &target, remote_id, &now_ms],
                    )
                    .await?
            }
            Attempt::Failed { error, retry_at_ms } => {
                let state = if retry_at_ms.is_some() {
                    "pending"
                } else {
                    "failed"
                };
                client
                    .execute(
                        "UPDATE open311_outbox SET state = $3, attempts = attempts + 1,
                           next_ms = $4, error = $5, updated_ms = $6
                         WHERE case_id = $1 AND target = $2 AND state = 'sending'",
                        &[
                            &id,
                            &target,
                            &state,
                            &retry_at_ms.unwrap_or(now_ms),
                            error,
                            &now_ms,
                        ],
                    )
                    .await?
            }
            Attempt::Skipped => {
                client
                    .execute(
                        "UPDATE open311_outbox SET state = 'skipped', updated_ms = $3
                         WHERE case_id = $1 AND target = $2 AND state = 'sending'",
                        &[&id, &target, &now_ms],
                    )
                    .await?
            }
        };
        Ok(())
    }

    async fn outbox_entries(&self, case_id: Uuid) -> Result<Vec<OutboxEntry>, StorageError> {
        self.client()
            .await?
            .query(
                &format!(
                    "SELECT {OUTBOX_COLUMNS} FROM open311_outbox WHERE case_id = $1 ORDER BY target"
                ),
                &[&case_id.to_string()],
            )
            .await?
            .iter()
            .map(outbox)
            .collect()
    }
}
