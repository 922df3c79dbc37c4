//! SQLite: device signing keys and fork flags (see [`crate::storage::signing`]).

use crate::storage::{repeat_outcome, Held};
use crate::{account::Account, judge, storage::signing::DeviceSigning, StorageError};
use gridwork_core::{model::Event, sync::wire::PushOutcome};
use rusqlite::{params, Connection, OptionalExtension};

/// Version 11 to 12: a device's registered public key, and the flag of a device that
/// rewrote or forked its history.
pub(super) const MIGRATE_11_TO_12: &str = "
ALTER TABLE devices ADD COLUMN public_key TEXT;
ALTER TABLE devices ADD COLUMN flagged TEXT;
ALTER TABLE devices ADD COLUMN flagged_ms INTEGER;
ALTER TABLE devices ADD COLUMN signed_from INTEGER NOT NULL DEFAULT 0;
";

/// Records the first flag of a device.
pub(super) fn flag(
    conn: &Connection,
    device_id: &str,
    reason: &str,
    now_ms: i64,
) -> Result<(), StorageError> {
    conn.execute(
        "UPDATE devices SET flagged = ?2, flagged_ms = ?3 WHERE device_id = ?1 AND flagged IS NULL",
        params![device_id, reason, now_ms],
    )?;
    tracing::warn!(device = %device_id, "device flagged: it rewrote or forked its history");
    Ok(())
}

fn public_key(conn: &Connection, device_id: &str) -> Result<Option<String>, StorageError> {
    Ok(conn
        .query_row(
            "SELECT public_key FROM devices WHERE device_id = ?1",
            [device_id],
            |r| r.get::<_, Option<String>>(0),
        )
        .optional()?
        .flatten())
}

/// The outcome for an id already held: [`repeat_outcome`], except that a device that
/// signed other content for a held event of its own is flagged.
pub(super) fn repeat(
    conn: &Connection,
    account: &Account,
    held: Held,
    event: &Event,
    hash: &str,
    now_ms: i64,
) -> Result<PushOutcome, StorageError> {
    if held.hash != hash && held.actor_user == account.user {
        let key = public_key(conn, &event.device_id)?;
        if let Some(reason) = judge::rewrite_of_held(key.as_deref(), event) {
            flag(conn, &event.device_id, &reason, now_ms)?;
            return Ok(PushOutcome::Rejected { reason });
        }
    }
    Ok(repeat_outcome(account, held, hash))
}

pub(super) fn device_signing(
    conn: &Connection,
    device_id: &str,
) -> Result<Option<DeviceSigning>, StorageError> {
    Ok(conn
        .query_row(
            "SELECT owner, public_key, flagged FROM devices WHERE device_id = ?1",
            [device_id],
            |r| {
                Ok(DeviceSigning {
                    owner: r.get(0)?,
                    public_key: r.get(1)?,
                    flagged: r.get(2)?,
                })
            },
        )
        .optional()?)
}

pub(super) fn bind_device_key(
    conn: &Connection,
    device_id: &str,
    key: &str,
) -> Result<Option<String>, StorageError> {
    // One statement: a racing sign-in with another key finds the first key bound.
    Ok(conn
        .query_row(
            "UPDATE devices SET public_key = COALESCE(public_key, ?2),
               signed_from = CASE WHEN public_key IS NULL THEN last_seq + 1 ELSE signed_from END
             WHERE device_id = ?1 RETURNING public_key",
            params![device_id, key],
            |r| r.get::<_, Option<String>>(0),
        )
        .optional()?
        .flatten())
}
