//! The outbox is the log itself: this device's events with no `server_seq` and no
//! rejection, oldest first by local arrival. Reading a batch and recording the server's
//! verdicts are each one short statement or transaction; recording a rejection folds
//! the cases it touches again in that transaction, without the refused events.

use super::wire::{PushOutcome, PushResult};
use crate::{
    db::{
        self,
        events::{row_to_stored, StoredEvent, EVENT_COLUMNS},
    },
    error::Result,
    model::Stream,
};
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::BTreeSet;
use uuid::Uuid;

fn pending_sql() -> String {
    format!(
        "SELECT {EVENT_COLUMNS} FROM events INDEXED BY events_outbox
         WHERE server_seq IS NULL AND rejected IS NULL AND device_id = ?1
         ORDER BY seq LIMIT ?2"
    )
}

fn pending_relayed_sql() -> String {
    format!(
        "SELECT {EVENT_COLUMNS} FROM events INDEXED BY events_outbox
         WHERE server_seq IS NULL AND rejected IS NULL AND device_id <> ?1
         ORDER BY device_id, device_seq LIMIT ?2"
    )
}

const COUNT_PENDING: &str = "SELECT COUNT(*) FROM events INDEXED BY events_outbox
     WHERE server_seq IS NULL AND rejected IS NULL AND device_id = ?1";

const COUNT_REJECTED: &str = "SELECT COUNT(*) FROM events INDEXED BY events_rejected
     WHERE rejected IS NOT NULL AND device_id = ?1";

/// Up to `limit` pending events of `device_id`, oldest first, read through the outbox's
/// partial index (the planner would pick the `(device_id, device_seq)` index and read the
/// device's whole history, synced events too, for every batch).
pub(crate) fn pending(
    conn: &Connection,
    device_id: &str,
    limit: usize,
) -> Result<Vec<StoredEvent>> {
    let mut stmt = conn.prepare_cached(&pending_sql())?;
    let rows = stmt.query_map(params![device_id, limit as i64], row_to_stored)?;
    let mut out = Vec::new();
    for row in rows {
        out.push(row??);
    }
    Ok(out)
}

/// Up to `limit` events of other devices this store carries for them (imported from a
/// relay bundle, see `Store::import_relay_bundle`) and the server has not answered yet.
pub(crate) fn pending_relayed(
    conn: &Connection,
    own: &str,
    limit: usize,
) -> Result<Vec<StoredEvent>> {
    let mut stmt = conn.prepare_cached(&pending_relayed_sql())?;
    let rows = stmt.query_map(params![own, limit as i64], row_to_stored)?;
    let mut out = Vec::new();
    for row in rows {
        out.push(row??);
    }
    Ok(out)
}

/// How many of the device's events are pending, and how many were rejected.
pub(crate) fn counts(conn: &Connection, device_id: &str) -> Result<(u64, u64)> {
    // Each through its partial index: neither reads the events already synced.
    let pending: i64 = conn
        .prepare_cached(COUNT_PENDING)?
        .query_row([device_id], |r| r.get(0))?;
    let rejected: i64 = conn
        .prepare_cached(COUNT_REJECTED)?
        .query_row([device_id], |r| r.get(0))?;
    Ok((pending as u64, rejected as u64))
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use rusqlite::StatementStatus;

    /// A store's events table holding `synced` events of this device and of another one
    /// that the server has, 3 of this device's waiting, 1 refused and 2 carried for
    /// another device.
    fn events(synced: usize) -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        let tx = conn.transaction().unwrap();
        crate::db::schema::migrate(&tx, 0).unwrap();
        let insert = |device: &str, seq: usize, server_seq: Option<i64>, rejected: Option<&str>| {
            tx.execute(
                "INSERT INTO events (id, stream, kind, hlc_wall, hlc_counter, device_id,
                   actor_user, actor_role, device_seq, prev_hash, hash, payload, server_seq,
                   rejected)
                 VALUES (?1, ?2, 'incident.reported', ?3, 0, ?4, 'zhao', 'worker', ?3, '', '',
                   '{}', ?5, ?6)",
                params![
                    Uuid::now_v7().to_string(),
                    format!("incident/{}", Uuid::now_v7()),
                    seq as i64,
                    device,
                    server_seq,
                    rejected
                ],
            )
            .unwrap();
        };
        for i in 0..synced {
            insert("phone-me", i + 1, Some(2 * i as i64 + 1), None);
            insert("phone-other", i + 1, Some(2 * i as i64 + 2), None);
        }
        insert("phone-me", synced + 1, None, Some("no such cell"));
        for i in 0..3 {
            insert("phone-me", synced + 2 + i, None, None);
        }
        for i in 0..2 {
            insert("phone-carried", i + 1, None, None);
        }
        tx.commit().unwrap();
        conn
    }

    /// The virtual machine steps of the cached statement `sql` so far.
    fn steps(conn: &Connection, sql: &str) -> i32 {
        conn.prepare_cached(sql)
            .unwrap()
            .get_status(StatementStatus::VmStep)
    }

    /// A push reads what waits, not the device's history: with 20 or 2,000 synced events
    /// behind them, the outbox's queries take the same steps (they used to read every
    /// event of the device, and a sync's pushes grew with its months of use).
    #[test]
    fn the_outbox_reads_what_waits_not_the_history() {
        let mut work = Vec::new();
        for synced in [20, 2_000] {
            let conn = events(synced);
            let own = pending(&conn, "phone-me", 500).unwrap();
            assert_eq!(own.len(), 3);
            assert!(own
                .windows(2)
                .all(|w| w[0].event.device_seq < w[1].event.device_seq));
            let carried = pending_relayed(&conn, "phone-me", 500).unwrap();
            assert_eq!(carried.len(), 2);
            assert_eq!(counts(&conn, "phone-me").unwrap(), (3, 1));
            work.push([
                steps(&conn, &pending_sql()),
                steps(&conn, &pending_relayed_sql()),
                steps(&conn, COUNT_PENDING),
                steps(&conn, COUNT_REJECTED),
            ]);
        }
        assert_eq!(
            work[0], work[1],
            "steps with 20 and with 2,000 synced events"
        );
    }
}
