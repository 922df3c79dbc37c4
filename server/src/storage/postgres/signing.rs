//! PostgreSQL: device signing keys and fork flags (see [`crate::storage::signing`]).

use crate::{
    account::Account,
    judge,
    storage::{repeat_outcome, signing::DeviceSigning, Held},
    StorageError,
};
use deadpool_postgres::GenericClient;
use gridwork_core::{model::Event, sync::wire::PushOutcome};
use tokio_postgres::Transaction;

/// A device's registered public key, and the flag of a device that rewrote or forked
/// its history. A no-op once done.
pub(super) const MIGRATE_SIGNING: &str = "
ALTER TABLE devices ADD COLUMN IF NOT EXISTS public_key TEXT;
ALTER TABLE devices ADD COLUMN IF NOT EXISTS flagged TEXT;
ALTER TABLE devices ADD COLUMN IF NOT EXISTS flagged_ms BIGINT;
ALTER TABLE devices ADD COLUMN IF NOT EXISTS signed_from BIGINT NOT NULL DEFAULT 0;
";

/// Records the first flag of a device.
pub(super) async fn flag(
    tx: &Transaction<'_>,
    device_id: &str,
    reason: &str,
    now_ms: i64,
) -> Result<(), StorageError> {
    tx.execute(
        "UPDATE devices SET flagged = $2, flagged_ms = $3 WHERE device_id = $1 AND flagged IS NULL",
        &[&device_id, &reason, &now_ms],
    )
    .await?;
    tracing::warn!(device = %device_id, "device flagged: it rewrote or forked its history");
    Ok(())
}

async fn public_key(tx: &Transaction<'_>, device_id: &str) -> Result<Option<String>, StorageError> {
    Ok(tx
        .query_opt(
            "SELECT public_key FROM devices WHERE device_id = $1",
            &[&device_id],
        )
        .await?
        .and_then(|r| r.get::<_, Option<String>>(0)))
}

/// The outcome for an id already held: [`repeat_outcome`], except that a device that
/// signed other content for a held event of its own is flagged.
pub(super) async fn repeat(
    tx: &Transaction<'_>,
    account: &Account,
    held: Held,
    event: &Event,
    hash: &str,
    now_ms: i64,
) -> Result<PushOutcome, StorageError> {
    if held.hash != hash && held.actor_user == account.user {
        let key = public_key(tx, &event.device_id).await?;
        if let Some(reason) = judge::rewrite_of_held(key.as_deref(), event) {
            flag(tx, &event.device_id, &reason, now_ms).await?;
            return Ok(PushOutcome::Rejected { reason });
        }
    }
    Ok(repeat_outcome(account, held, hash))
}

pub(super) async fn device_signing(
    c: &impl GenericClient,
    device_id: &str,
) -> Result<Option<DeviceSigning>, StorageError> {
    Ok(c.query_opt(
        "SELECT owner, public_key, flagged FROM devices WHERE device_id = $1",
        &[&device_id],
    )
    .await?
    .map(|r| DeviceSigning {
        owner: r.get(0),
        public_key: r.get(1),
        flagged: r.get(2),
    }))
}

pub(super) async fn bind_device_key(
    c: &impl GenericClient,
    device_id: &str,
    key: &str,
) -> Result<Option<String>, StorageError> {
    // One statement: a racing sign-in with another key finds the first key bound.
    Ok(c.query_opt(
        "UPDATE devices SET public_key = COALESCE(public_key, $2),
           signed_from = CASE WHEN public_key IS NULL THEN last_seq + 1 ELSE signed_from END
         WHERE device_id = $1 RETURNING public_key",
        &[&device_id, &key],
    )
    .await?
    .and_then(|r| r.get::<_, Option<String>>(0)))
}
