//! The outbox is the log itself: this device's events with no `server_seq` and no
//! rejection, oldest first by local arrival. Reading a batch and recording the server's
//! verdicts are each one short statement or transaction; recording a rejection folds
//! the cases it touches again in that transaction, without the refused events.

use super::wire::{PushOutcome, PushResult};
use crate::{
    db::{
        self,
        events::{row_to_stored, EVENT_COLUMNS},
    },
    error::Result,
    model::{Event, Stream},
};
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::BTreeSet;
use uuid::Uuid;

/// Up to `limit` pending events of `device_id`, oldest first.
pub(crate) fn pending(conn: &Connection, device_id: &str, limit: usize) -> Result<Vec<Event>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {EVENT_COLUMNS} FROM events
         WHERE server_seq IS NULL AND rejected IS NULL AND device_id = ?1
         ORDER BY seq LIMIT ?2"
    ))?;
    let rows = stmt.query_map(params![device_id, limit as i64], row_to_stored)?;
    let mut out = Vec::new();
    for row in rows {
        out.push(row??.event);
    }
    Ok(out)
}

/// Up to `limit` events of other devices this store carries for them (imported from a
/// relay bundle, see `Store::import_relay_bundle`) and the server has not answered yet.
pub(crate) fn pending_relayed(conn: &Connection, own: &str, limit: usize) -> Result<Vec<Event>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {EVENT_COLUMNS} FROM events
         WHERE server_seq IS NULL AND rejected IS NULL AND device_id <> ?1
         ORDER BY device_id, device_seq LIMIT ?2"
    ))?;
    let rows = stmt.query_map(params![own, limit as i64], row_to_stored)?;
    let mut out = Vec::new();
    for row in rows {
        out.push(row??.event);
    }
    Ok(out)
}

/// How many of the device's events are pending, and how many were rejected.
pub(crate) fn counts(conn: &Connection, device_id: &str) -> Result<(u64, u64)> {
    Ok(conn
        .prepare_cached(
            "SELECT
               COALESCE(SUM(server_seq IS NULL AND rejected IS NULL), 0),
               COALESCE(SUM(rejected IS NOT NULL), 0)
             FROM events WHERE device_id = ?1",
        )?
        .query_row([device_id], |r| {
            Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64))
        })?)
}

/// Tallies of one push response.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Verdicts {
    pub(crate) accepted: u64,
    pub(crate) duplicates: u64,
    pub(crate) rejected: u64,
    /// The cases folded again because the server refused one of their events.
    pub(crate) changed: Vec<Uuid>,
}

/// Records the server's verdict on each pushed event. A refused event is kept (with the
/// reason) and its case is folded again without it, in the caller's transaction, so
/// the device shows what every other replica shows.
pub(crate) fn record(conn: &Connection, results: &[PushResult]) -> Result<Verdicts> {
    let mut v = Verdicts::default();
    let mut seq = conn
        .prepare_cached("UPDATE events SET server_seq = ?1 WHERE id = ?2 AND server_seq IS NULL")?;
    let mut rej = conn.prepare_cached(
        "UPDATE events SET rejected = ?1 WHERE id = ?2 AND server_seq IS NULL RETURNING stream",
    )?;
    let mut refused = BTreeSet::new();
    for r in results {
        let id = r.id.to_string();
        match &r.outcome {
            PushOutcome::Accepted { server_seq } => {
                seq.execute(params![server_seq, id])?;
                v.accepted += 1;
            }
            PushOutcome::Duplicate { server_seq } => {
                seq.execute(params![server_seq, id])?;
                v.duplicates += 1;
            }
            PushOutcome::Rejected { reason } => {
                let stream: Option<String> = rej
                    .query_row(params![reason, id], |r| r.get(0))
                    .optional()?;
                if let Some(stream) = stream {
                    refused.insert(stream.parse::<Stream>()?);
                }
                v.rejected += 1;
            }
        }
    }
    for stream in refused {
        if let Stream::Incident(_) = stream {
            if let Some(case) = db::refold_case(conn, &stream)? {
                v.changed.push(case.id);
            }
        }
    }
    Ok(v)
}
