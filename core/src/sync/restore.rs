//! Surviving a server restore (docs/sync-protocol.md, "After a server restore").
//!
//! The server's database carries an *incarnation*, a random id that a restore from a
//! backup replaces. The device keeps the last one it saw (`sync.incarnation`) and names
//! it in its device-state header; a server with another one answers push and pull with
//! 409 `server_restored` before touching anything. The device then *rebases*, in one
//! transaction: it forgets the incarnation, sets its pull cursor to 0 (the restored
//! server's `server_seq` may reuse numbers the device already passed) and marks its
//! whole chain for *replay*; its photos go back to "to upload" (the server's folder may
//! be older than the events). The replay pushes every event of the device's own chain
//! again, rejected ones too, in chain order from `device_seq` 1: what the restored
//! server holds comes back `duplicate`, what it lost is accepted again, so the chain
//! the server verifies has no gap. The replay's progress is kept with each batch's
//! verdicts, so a cut connection or a crash resumes it where it stopped. Pulling from 0
//! re-delivers events the device holds, which are recognised by id and change nothing.

use super::{
    client::Client,
    wire::{PushOutcome, PushRequest, PushResponse},
};
use crate::{
    db::{
        self,
        events::{row_to_stored, EVENT_COLUMNS},
    },
    error::Result,
    model::{Event, Stream},
    store::{meta_get, meta_set},
};
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::BTreeSet;
use uuid::Uuid;

/// The incarnation of the server the device last synced with.
const INCARNATION: &str = "sync.incarnation";
/// While a replay runs: the `device_seq` up to which the chain was pushed again.
const REPLAY_AFTER: &str = "sync.replay_after";

/// The incarnation the device last saw, if any.
pub(crate) fn stored(conn: &Connection) -> Result<Option<String>> {
    meta_get(conn, INCARNATION)
}

/// Keeps `seen` as the server's incarnation when the device holds none (its first
/// sync, or the first answer after a rebase). A different one seen later is never
/// adopted silently: the server answers 409 to a device naming an old one.
pub(crate) fn adopt(conn: &Connection, seen: Option<String>) -> Result<()> {
    if let Some(seen) = seen {
        if stored(conn)?.is_none() {
            meta_set(conn, INCARNATION, &seen)?;
        }
    }
    Ok(())
}

/// Forgets everything about the server's incarnation (signing in to another server).
pub(crate) fn forget(conn: &Connection) -> Result<()> {
    conn.execute(
        "DELETE FROM meta WHERE key IN (?1, ?2)",
        [INCARNATION, REPLAY_AFTER],
    )?;
    Ok(())
}

/// The rebase after a 409 `server_restored`: replay the whole chain, pull from 0,
/// upload this device's photos again where the server lacks them.
pub(crate) fn rebase(conn: &Connection, device_id: &str) -> Result<()> {
    conn.execute("DELETE FROM meta WHERE key = ?1", [INCARNATION])?;
    meta_set(conn, REPLAY_AFTER, "0")?;
    meta_set(conn, super::state::CURSOR, "0")?;
    conn.execute(
        "UPDATE photos SET uploaded = 0 WHERE uploaded = 1 AND EXISTS (
           SELECT 1 FROM events e WHERE e.device_id = ?1 AND instr(e.payload, photos.sha256) > 0)",
        [device_id],
    )?;
    Ok(())
}

/// Where a replay stands: `None` when none is due.
fn replay_after(conn: &Connection) -> Result<Option<i64>> {
    Ok(meta_get(conn, REPLAY_AFTER)?.and_then(|v| v.parse().ok()))
}

/// What a replay did, for the run's report.
#[derive(Debug, Default)]
pub(crate) struct Replayed {
    pub(crate) accepted: u64,
    pub(crate) duplicates: u64,
    pub(crate) rejected: u64,
    pub(crate) changed: Vec<Uuid>,
}

/// Pushes the device's own chain again when a rebase asked for it, `batch` events at a
/// time, recording each batch's verdicts and the replay's progress in one transaction.
pub(crate) fn replay(
    store: &crate::Store,
    client: &Client<'_>,
    device_id: &str,
    batch: usize,
) -> std::result::Result<Replayed, super::SyncError> {
    let db = store.db();
    let mut done = Replayed::default();
    loop {
        let Some(after) = db.read(replay_after)? else {
            return Ok(done);
        };
        let events = db.read(|c| chain_after(c, device_id, after, batch))?;
        let Some(last) = events.last().map(|e| e.device_seq as i64) else {
            db.write(|tx| {
                tx.execute("DELETE FROM meta WHERE key = ?1", [REPLAY_AFTER])?;
                adopt(tx, client.incarnation())
            })?;
            tracing::info!(
                accepted = done.accepted,
                duplicates = done.duplicates,
                rejected = done.rejected,
                "replay after a server restore finished"
            );
            return Ok(done);
        };
        let sent: Vec<Uuid> = events.iter().map(|e| e.id).collect();
        let response: PushResponse = client.post_json("/v1/events", &PushRequest { events })?;
        let answered: Vec<Uuid> = response.results.iter().map(|r| r.id).collect();
        if answered != sent {
            return Err(super::SyncError::Unexpected(format!(
                "a replay of {} events came back with {} results that do not match",
                sent.len(),
                answered.len()
            )));
        }
        db.write(|tx| {
            record(tx, &response, &mut done)?;
            meta_set(tx, REPLAY_AFTER, &last.to_string())?;
            adopt(tx, client.incarnation())
        })?;
    }
}

/// Up to `limit` of the device's own events after `device_seq` `after`, in chain order,
/// but those a retention purge emptied (their contents are gone; docs/store.md).
fn chain_after(conn: &Connection, device_id: &str, after: i64, limit: usize) -> Result<Vec<Event>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {EVENT_COLUMNS} FROM events WHERE device_id = ?1 AND device_seq > ?2
           AND purged = 0
         ORDER BY device_seq LIMIT ?3"
    ))?;
    let rows = stmt.query_map(params![device_id, after, limit as i64], row_to_stored)?;
    let mut out = Vec::new();
    for row in rows {
        let mut event = row??.event;
        event.server_seq = None;
        out.push(event);
    }
    Ok(out)
}

/// Records a replayed batch's verdicts: the `server_seq` of the restored server, and a
/// verdict that differs from the one held (accepted before, refused now, or the other
/// way round) folds the event's case again.
fn record(conn: &Connection, response: &PushResponse, done: &mut Replayed) -> Result<()> {
    let mut refold = BTreeSet::new();
    for r in &response.results {
        let id = r.id.to_string();
        let (held_seq, held_rejected, stream): (Option<i64>, Option<String>, String) = conn
            .query_row(
                "SELECT server_seq, rejected, stream FROM events WHERE id = ?1",
                [&id],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )
            .optional()?
            .unwrap_or((None, None, String::new()));
        match &r.outcome {
            PushOutcome::Accepted { server_seq } | PushOutcome::Duplicate { server_seq } => {
                if matches!(r.outcome, PushOutcome::Accepted { .. }) {
                    done.accepted += 1;
                } else {
                    done.duplicates += 1;
                }
                conn.execute(
                    "UPDATE events SET server_seq = ?1, rejected = NULL WHERE id = ?2",
                    params![server_seq, id],
                )?;
                if held_rejected.is_some() {
                    refold.insert(stream);
                }
            }
            PushOutcome::Rejected { reason } => {
                done.rejected += 1;
                conn.execute(
                    "UPDATE events SET server_seq = NULL, rejected = ?1 WHERE id = ?2",
                    params![reason, id],
                )?;
                if held_rejected.is_none() {
                    if held_seq.is_some() {
                        tracing::warn!(event = %r.id,
                            "an event the server held before its restore was refused on replay");
                    }
                    refold.insert(stream);
                }
            }
        }
    }
    for stream in refold {
        let Ok(stream) = stream.parse::<Stream>() else {
            continue;
        };
        if let Stream::Incident(_) = stream {
            if let Some(case) = db::refold_case(conn, &stream)? {
                done.changed.push(case.id);
            }
        }
    }
    Ok(())
}
