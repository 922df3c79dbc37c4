//! PostgreSQL: devices' token and wipe state, tokens, revocation, remote wipe and
//! re-judging a device's quarantine (see [`crate::storage::devices`]).

use super::{
    cached::CachedTx, current, judge_in, project_case, to_account, users::audit_in, PUSH_LOCK,
};
use crate::{
    judge::ChainHead,
    storage::{
        devices::{
            check_token_id, rejudge_detail, DeviceAdmin, Rejudged, Revoke, TokenRecord,
            TOKEN_ID_CHARS,
        },
        parse_event,
        settings::Reference,
        touched_cases, AuditEntry, Quarantined,
    },
    StorageError,
};
use deadpool_postgres::GenericClient;
use deadpool_postgres::Transaction as PoolTx;
use gridwork_core::{catalog::Catalog, geo::Grid, model::Event, sync::wire::PushOutcome};
use tokio_postgres::Transaction;

/// A device can be marked lost (a remote wipe asked for, and when it acknowledged it);
/// tokens record when they were last used. A no-op once done.
pub(super) const MIGRATE_DEVICES: &str = "
ALTER TABLE devices ADD COLUMN IF NOT EXISTS wipe_requested_ms BIGINT;
ALTER TABLE devices ADD COLUMN IF NOT EXISTS wipe_requested_by TEXT;
ALTER TABLE devices ADD COLUMN IF NOT EXISTS wiped_ms BIGINT;
ALTER TABLE tokens ADD COLUMN IF NOT EXISTS last_used_ms BIGINT;
CREATE INDEX IF NOT EXISTS tokens_device ON tokens(device_id);
";

pub(super) async fn device_admin(c: &impl GenericClient) -> Result<Vec<DeviceAdmin>, StorageError> {
    let rows = c
        .query(
            "SELECT d.device_id, d.owner,
               (SELECT count(*) FROM tokens t WHERE t.device_id = d.device_id),
               d.wipe_requested_ms, d.wipe_requested_by, d.wiped_ms,
               d.public_key IS NOT NULL, d.flagged, d.flagged_ms
             FROM devices d WHERE d.device_id NOT LIKE 'console:%' ORDER BY d.device_id",
            &[],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| DeviceAdmin {
            device_id: r.get(0),
            owner: r.get(1),
            tokens: r.get(2),
            wipe_requested_ms: r.get(3),
            wipe_requested_by: r.get(4),
            wiped_ms: r.get(5),
            signed: r.get(6),
            flagged: r.get(7),
            flagged_ms: r.get(8),
        })
        .collect())
}

async fn account_exists(c: &impl GenericClient, user: &str) -> Result<bool, StorageError> {
    Ok(
        c.query_opt("SELECT 1 FROM accounts WHERE name = $1", &[&user])
            .await?
            .is_some(),
    )
}

async fn device_exists(c: &impl GenericClient, device: &str) -> Result<bool, StorageError> {
    Ok(c.query_opt(
        "SELECT 1 FROM devices WHERE device_id = $1 AND device_id NOT LIKE 'console:%'",
        &[&device],
    )
    .await?
    .is_some())
}

pub(super) async fn tokens(
    c: &impl GenericClient,
    user: Option<&str>,
) -> Result<Vec<TokenRecord>, StorageError> {
    if let Some(user) = user {
        if !account_exists(c, user).await? {
            return Err(StorageError::NotFound(format!("no account named {user}")));
        }
    }
    let n = TOKEN_ID_CHARS as i32;
    let rows = c
        .query(
            "SELECT substr(digest, 1, $1), name, device_id, created_ms, last_used_ms FROM tokens
             WHERE $2::TEXT IS NULL OR name = $2 ORDER BY name, created_ms DESC, digest",
            &[&n, &user],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| TokenRecord {
            id: r.get(0),
            user: r.get(1),
            device_id: r.get(2),
            created_ms: r.get(3),
            last_used_ms: r.get(4),
        })
        .collect())
}

pub(super) async fn revoke_tokens(
    tx: PoolTx<'_>,
    which: &Revoke,
    audit: &AuditEntry,
) -> Result<u64, StorageError> {
    let n = match which {
        Revoke::Token(id) => {
            let id = check_token_id(id)?;
            let len = id.len() as i32;
            let digests: Vec<String> = tx
                .query(
                    "SELECT digest FROM tokens WHERE substr(digest, 1, $1) = $2 FOR UPDATE",
                    &[&len, &id],
                )
                .await?
                .iter()
                .map(|r| r.get(0))
                .collect();
            match digests.as_slice() {
                [] => return Err(StorageError::NotFound(format!("no token {id}"))),
                [one] => {
                    tx.execute("DELETE FROM tokens WHERE digest = $1", &[one])
                        .await?
                }
                many => {
                    return Err(StorageError::Invalid(format!(
                        "token id {id} names {} tokens: give more of its digits",
                        many.len()
                    )))
                }
            }
        }
        Revoke::Device(device) => {
            if !device_exists(&tx, device).await? {
                return Err(StorageError::NotFound(format!("no device {device}")));
            }
            tx.execute("DELETE FROM tokens WHERE device_id = $1", &[device])
                .await?
        }
        Revoke::User(user) => {
            if !account_exists(&tx, user).await? {
                return Err(StorageError::NotFound(format!("no account named {user}")));
            }
            tx.execute("DELETE FROM tokens WHERE name = $1", &[user])
                .await?
        }
    };
    if n == 0 {
        return Err(StorageError::Invalid("it has no tokens to revoke".into()));
    }
    audit_in(&tx, audit).await?;
    tx.commit().await?;
    Ok(n)
}

/// `(wipe_requested_ms, wiped_ms)`.
type WipeState = (Option<i64>, Option<i64>);

/// `(wipe_requested_ms, wiped_ms)` of a device, its row locked; `None` for an unknown one.
async fn wipe_state(tx: &PoolTx<'_>, device: &str) -> Result<Option<WipeState>, StorageError> {
    Ok(tx
        .query_opt(
            "SELECT wipe_requested_ms, wiped_ms FROM devices
             WHERE device_id = $1 AND device_id NOT LIKE 'console:%' FOR UPDATE",
            &[&device],
        )
        .await?
        .map(|r| (r.get(0), r.get(1))))
}

pub(super) async fn request_wipe(
    tx: PoolTx<'_>,
    device: &str,
    audit: &AuditEntry,
) -> Result<(), StorageError> {
    match wipe_state(&tx, device).await? {
        None => return Err(StorageError::NotFound(format!("no device {device}"))),
        Some((_, Some(_))) => {
            return Err(StorageError::Invalid(format!(
                "device {device} was wiped already"
            )))
        }
        Some((Some(_), None)) => {
            return Err(StorageError::Invalid(format!(
                "a wipe of device {device} was asked for already; it is told on its next sync"
            )))
        }
        Some((None, None)) => {}
    }
    tx.execute(
        "UPDATE devices SET wipe_requested_ms = $1, wipe_requested_by = $2 WHERE device_id = $3",
        &[&audit.at_ms, &audit.actor, &device],
    )
    .await?;
    audit_in(&tx, audit).await?;
    tx.commit().await?;
    Ok(())
}

pub(super) async fn confirm_wipe(
    tx: PoolTx<'_>,
    device: &str,
    audit: &AuditEntry,
) -> Result<(), StorageError> {
    match wipe_state(&tx, device).await? {
        Some((Some(_), None)) => {}
        _ => {
            return Err(StorageError::Invalid(format!(
                "no wipe of device {device} is pending"
            )))
        }
    }
    tx.execute(
        "UPDATE devices SET wiped_ms = $1 WHERE device_id = $2",
        &[&audit.at_ms, &device],
    )
    .await?;
    tx.execute("DELETE FROM tokens WHERE device_id = $1", &[&device])
        .await?;
    audit_in(&tx, audit).await?;
    tx.commit().await?;
    Ok(())
}

/// The chain place a quarantined event claims, as the server holds it (see the
/// SQLite backend's `chain_place`).
pub(super) async fn chain_place(
    tx: &Transaction<'_>,
    event: &Event,
) -> Result<Option<ChainHead>, StorageError> {
    let seq = event.device_seq as i64;
    if let Some(r) = tx
        .query_opt(
            "SELECT hash FROM events WHERE device_id = $1 AND device_seq = $2 LIMIT 1",
            &[&event.device_id, &seq],
        )
        .await?
    {
        return Ok(Some(ChainHead {
            device_seq: event.device_seq,
            hash: r.get(0),
        }));
    }
    if event.device_seq <= 1 {
        return Ok(None);
    }
    let prev = seq - 1;
    let held = tx
        .query_opt(
            "SELECT 1 FROM events WHERE device_id = $1 AND device_seq = $2 AND hash = $3
             UNION ALL
             SELECT 1 FROM quarantine WHERE device_id = $1 AND device_seq = $2 AND hash = $3
             LIMIT 1",
            &[&event.device_id, &prev, &event.prev_hash],
        )
        .await?
        .is_some();
    Ok(Some(ChainHead {
        device_seq: event.device_seq - 1,
        hash: if held {
            event.prev_hash.clone()
        } else {
            "(not held)".into()
        },
    }))
}

pub(super) async fn rejudge(
    tx: PoolTx<'_>,
    reference: &Reference,
    device: &str,
    actor: &str,
) -> Result<Rejudged, StorageError> {
    // Serialised with pushes: `server_seq` is assigned in commit order.
    tx.execute(
        "SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))",
        &[&PUSH_LOCK],
    )
    .await?;
    if !device_exists(&tx, device).await? {
        return Err(StorageError::NotFound(format!("no device {device}")));
    }
    let held: Vec<(String, String, i64)> = tx
        .query(
            "SELECT id, body, received_ms FROM quarantine WHERE device_id = $1
             ORDER BY device_seq, received_ms, id",
            &[&device],
        )
        .await?
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    if held.is_empty() {
        return Err(StorageError::Invalid(format!(
            "device {device} has no events in quarantine"
        )));
    }
    let grid = current::<Grid>(&tx, &reference.grid).await?;
    let held_catalog = current::<Catalog>(&tx, &reference.catalog).await?;
    let (mut events, mut outcomes, mut accepted) = (Vec::new(), Vec::new(), Vec::new());
    let mut still_failing = None;
    for (id, body, received_ms) in held {
        let event = parse_event(&body, None)?;
        let account = tx
            .query_opt(
                "SELECT name, role, scope, password_hash FROM accounts
                 WHERE name = $1 AND NOT disabled",
                &[&event.actor.user],
            )
            .await?
            .as_ref()
            .map(to_account)
            .transpose()?;
        let outcome = match &account {
            Some(account) => {
                judge_in(
                    &CachedTx::uncached(&tx),
                    account,
                    &event,
                    grid.as_deref(),
                    held_catalog.as_deref(),
                    received_ms,
                    true,
                )
                .await?
            }
            None => PushOutcome::Rejected {
                reason: format!("account {} is unknown or disabled", event.actor.user),
            },
        };
        match outcome {
            PushOutcome::Accepted { server_seq } => {
                tx.execute("DELETE FROM quarantine WHERE id = $1", &[&id])
                    .await?;
                accepted.push((event.id, server_seq));
                events.push(event);
                outcomes.push(outcome);
            }
            PushOutcome::Rejected { reason } => {
                tx.execute(
                    "UPDATE quarantine SET reason = $1 WHERE id = $2",
                    &[&reason, &id],
                )
                .await?;
                still_failing = Some(Quarantined { event, reason });
                break;
            }
            PushOutcome::Duplicate { .. } => {
                return Err(StorageError::Corrupt(format!(
                    "event {id} is both quarantined and accepted"
                )))
            }
        }
    }
    let touched = touched_cases(&events, &outcomes);
    if !touched.is_empty() {
        let catalog = current::<Catalog>(&tx, &reference.catalog).await?;
        for stream in &touched {
            project_case(&tx, stream, catalog.as_deref()).await?;
        }
    }
    super::patrols::project_touched(&tx, &events, &outcomes, grid.as_deref()).await?;
    let remaining: i64 = tx
        .query_one(
            "SELECT count(*) FROM quarantine WHERE device_id = $1",
            &[&device],
        )
        .await?
        .get(0);
    let result = Rejudged {
        accepted,
        still_failing,
        remaining: remaining as u64,
    };
    let entry = AuditEntry::now(actor, "device.rejudge", device, rejudge_detail(&result));
    audit_in(&tx, &entry).await?;
    tx.commit().await?;
    Ok(result)
}
