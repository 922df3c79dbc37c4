//! SQLite: devices' token and wipe state, tokens, revocation, remote wipe and
//! re-judging a device's quarantine (see [`crate::storage::devices`]).

use super::{account_row, current, judge_in, project_case, to_account, users::audit_in};
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
use gridwork_core::{catalog::Catalog, geo::Grid, model::Event, sync::wire::PushOutcome};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

/// Version 9 to 10: a device can be marked lost (a remote wipe asked for, and when it
/// acknowledged it); tokens record when they were last used.
pub(super) const MIGRATE_9_TO_10: &str = "
ALTER TABLE devices ADD COLUMN wipe_requested_ms INTEGER;
ALTER TABLE devices ADD COLUMN wipe_requested_by TEXT;
ALTER TABLE devices ADD COLUMN wiped_ms INTEGER;
ALTER TABLE tokens ADD COLUMN last_used_ms INTEGER;
CREATE INDEX tokens_device ON tokens(device_id);
";

pub(super) fn device_admin(conn: &Connection) -> Result<Vec<DeviceAdmin>, StorageError> {
    let mut stmt = conn.prepare(
        "SELECT d.device_id, d.owner,
           (SELECT count(*) FROM tokens t WHERE t.device_id = d.device_id),
           d.wipe_requested_ms, d.wipe_requested_by, d.wiped_ms,
           d.public_key IS NOT NULL, d.flagged, d.flagged_ms
         FROM devices d WHERE d.device_id NOT LIKE 'console:%' ORDER BY d.device_id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(DeviceAdmin {
            device_id: r.get(0)?,
            owner: r.get(1)?,
            tokens: r.get(2)?,
            wipe_requested_ms: r.get(3)?,
            wipe_requested_by: r.get(4)?,
            wiped_ms: r.get(5)?,
            signed: r.get(6)?,
            flagged: r.get(7)?,
            flagged_ms: r.get(8)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn account_exists(conn: &Connection, user: &str) -> Result<bool, StorageError> {
    Ok(conn
        .query_row("SELECT 1 FROM accounts WHERE name = ?1", [user], |_| Ok(()))
        .optional()?
        .is_some())
}

pub(super) fn tokens(
    conn: &Connection,
    user: Option<&str>,
) -> Result<Vec<TokenRecord>, StorageError> {
    if let Some(user) = user {
        if !account_exists(conn, user)? {
            return Err(StorageError::NotFound(format!("no account named {user}")));
        }
    }
    let mut stmt = conn.prepare(
        "SELECT substr(digest, 1, ?1), name, device_id, created_ms, last_used_ms FROM tokens
         WHERE ?2 IS NULL OR name = ?2 ORDER BY name, created_ms DESC, digest",
    )?;
    let rows = stmt.query_map(params![TOKEN_ID_CHARS as i64, user], |r| {
        Ok(TokenRecord {
            id: r.get(0)?,
            user: r.get(1)?,
            device_id: r.get(2)?,
            created_ms: r.get(3)?,
            last_used_ms: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn device_exists(conn: &Connection, device: &str) -> Result<bool, StorageError> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM devices WHERE device_id = ?1 AND device_id NOT LIKE 'console:%'",
            [device],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

pub(super) fn revoke_tokens(
    conn: &mut Connection,
    which: &Revoke,
    audit: &AuditEntry,
) -> Result<u64, StorageError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let n = match which {
        Revoke::Token(id) => {
            let id = check_token_id(id)?;
            let digests: Vec<String> = tx
                .prepare("SELECT digest FROM tokens WHERE substr(digest, 1, ?1) = ?2")?
                .query_map(params![id.len() as i64, id], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            match digests.as_slice() {
                [] => return Err(StorageError::NotFound(format!("no token {id}"))),
                [one] => tx.execute("DELETE FROM tokens WHERE digest = ?1", [one])?,
                many => {
                    return Err(StorageError::Invalid(format!(
                        "token id {id} names {} tokens: give more of its digits",
                        many.len()
                    )))
                }
            }
        }
        Revoke::Device(device) => {
            if !device_exists(&tx, device)? {
                return Err(StorageError::NotFound(format!("no device {device}")));
            }
            tx.execute("DELETE FROM tokens WHERE device_id = ?1", [device])?
        }
        Revoke::User(user) => {
            if !account_exists(&tx, user)? {
                return Err(StorageError::NotFound(format!("no account named {user}")));
            }
            tx.execute("DELETE FROM tokens WHERE name = ?1", [user])?
        }
    };
    if n == 0 {
        return Err(StorageError::Invalid("it has no tokens to revoke".into()));
    }
    audit_in(&tx, audit)?;
    tx.commit()?;
    Ok(n as u64)
}

pub(super) fn token_used(conn: &Connection, digest: &str, now: i64) -> Result<(), StorageError> {
    conn.prepare_cached("UPDATE tokens SET last_used_ms = ?1 WHERE digest = ?2")?
        .execute(params![now, digest])?;
    Ok(())
}

/// `(wipe_requested_ms, wiped_ms)`.
type WipeState = (Option<i64>, Option<i64>);

/// `(wipe_requested_ms, wiped_ms)` of a device; `None` for an unknown one.
fn wipe_state(conn: &Connection, device: &str) -> Result<Option<WipeState>, StorageError> {
    Ok(conn
        .query_row(
            "SELECT wipe_requested_ms, wiped_ms FROM devices
             WHERE device_id = ?1 AND device_id NOT LIKE 'console:%'",
            [device],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?)
}

pub(super) fn request_wipe(
    conn: &mut Connection,
    device: &str,
    audit: &AuditEntry,
) -> Result<(), StorageError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    match wipe_state(&tx, device)? {
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
        "UPDATE devices SET wipe_requested_ms = ?1, wipe_requested_by = ?2 WHERE device_id = ?3",
        params![audit.at_ms, audit.actor, device],
    )?;
    audit_in(&tx, audit)?;
    tx.commit()?;
    Ok(())
}

pub(super) fn confirm_wipe(
    conn: &mut Connection,
    device: &str,
    audit: &AuditEntry,
) -> Result<(), StorageError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    match wipe_state(&tx, device)? {
        Some((Some(_), None)) => {}
        _ => {
            return Err(StorageError::Invalid(format!(
                "no wipe of device {device} is pending"
            )))
        }
    }
    tx.execute(
        "UPDATE devices SET wiped_ms = ?1 WHERE device_id = ?2",
        params![audit.at_ms, device],
    )?;
    tx.execute("DELETE FROM tokens WHERE device_id = ?1", [device])?;
    audit_in(&tx, audit)?;
    tx.commit()?;
    Ok(())
}

/// The chain place a quarantined event claims, as the server holds it: its
/// predecessor's `(device_seq, hash)` when held (accepted or quarantined) with the
/// hash the event names; otherwise a head the event does not extend, so the judge
/// says why. A place already taken by an accepted event is not the event's either.
pub(super) fn chain_place(
    tx: &Connection,
    event: &Event,
) -> Result<Option<ChainHead>, StorageError> {
    let seq = event.device_seq as i64;
    let taken: Option<String> = tx
        .query_row(
            "SELECT hash FROM events WHERE device_id = ?1 AND device_seq = ?2",
            params![event.device_id, seq],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(hash) = taken {
        return Ok(Some(ChainHead {
            device_seq: event.device_seq,
            hash,
        }));
    }
    if event.device_seq <= 1 {
        return Ok(None);
    }
    let held = tx
        .query_row(
            "SELECT 1 FROM events WHERE device_id = ?1 AND device_seq = ?2 AND hash = ?3
             UNION ALL
             SELECT 1 FROM quarantine WHERE device_id = ?1 AND device_seq = ?2 AND hash = ?3",
            params![event.device_id, seq - 1, event.prev_hash],
            |_| Ok(()),
        )
        .optional()?
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

pub(super) fn rejudge(
    conn: &mut Connection,
    reference: &Reference,
    device: &str,
    actor: &str,
) -> Result<Rejudged, StorageError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    if !device_exists(&tx, device)? {
        return Err(StorageError::NotFound(format!("no device {device}")));
    }
    let held: Vec<(String, String, i64)> = tx
        .prepare(
            "SELECT id, body, received_ms FROM quarantine WHERE device_id = ?1
             ORDER BY device_seq, received_ms, id",
        )?
        .query_map([device], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    if held.is_empty() {
        return Err(StorageError::Invalid(format!(
            "device {device} has no events in quarantine"
        )));
    }
    let grid = current::<Grid>(&tx, &reference.grid)?;
    let held_catalog = current::<Catalog>(&tx, &reference.catalog)?;
    let (mut events, mut outcomes, mut accepted) = (Vec::new(), Vec::new(), Vec::new());
    let mut still_failing = None;
    for (id, body, received_ms) in held {
        let event = parse_event(&body, None)?;
        let account = tx
            .query_row(
                "SELECT name, role, scope, password_hash FROM accounts
                 WHERE name = ?1 AND disabled = 0",
                [&event.actor.user],
                account_row,
            )
            .optional()?
            .map(to_account)
            .transpose()?;
        let outcome = match &account {
            Some(account) => judge_in(
                &tx,
                account,
                &event,
                grid.as_deref(),
                held_catalog.as_deref(),
                received_ms,
                true,
            )?,
            None => PushOutcome::Rejected {
                reason: format!("account {} is unknown or disabled", event.actor.user),
            },
        };
        match outcome {
            PushOutcome::Accepted { server_seq } => {
                tx.execute("DELETE FROM quarantine WHERE id = ?1", [&id])?;
                accepted.push((event.id, server_seq));
                events.push(event);
                outcomes.push(outcome);
            }
            PushOutcome::Rejected { reason } => {
                tx.execute(
                    "UPDATE quarantine SET reason = ?1 WHERE id = ?2",
                    params![reason, id],
                )?;
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
        let catalog = current::<Catalog>(&tx, &reference.catalog)?;
        for stream in &touched {
            project_case(&tx, stream, catalog.as_deref(), &Default::default())?;
        }
    }
    super::patrols::project_touched(&tx, &events, &outcomes, grid.as_deref())?;
    let remaining: i64 = tx.query_row(
        "SELECT count(*) FROM quarantine WHERE device_id = ?1",
        [device],
        |r| r.get(0),
    )?;
    let result = Rejudged {
        accepted,
        still_failing,
        remaining: remaining as u64,
    };
    let entry = AuditEntry::now(actor, "device.rejudge", device, rejudge_detail(&result));
    audit_in(&tx, &entry)?;
    tx.commit()?;
    Ok(result)
}
