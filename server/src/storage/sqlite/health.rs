//! SQLite: per-device sync health (see [`crate::health`]) and the schema step of the
//! unresolved-conflict column of the case view (written with the row by `project_case`).

use crate::{
    health::{Contact, DeviceRecord},
    StorageError,
};
use gridwork_core::model::Event;
use rusqlite::{params, Connection};
use std::collections::HashMap;

/// Version 7 to 8: what the devices' sync health needs (contacts, the photos each
/// device's accepted events reference, filled from the events held) and the case view's
/// count of unresolved conflicts with the partial index the conflicts queue reads (no
/// conflict was resolved before this version, so every conflict held is open).
pub(super) const MIGRATE_7_TO_8: &str = "
ALTER TABLE cases ADD COLUMN open_conflicts INTEGER NOT NULL DEFAULT 0;
UPDATE cases SET open_conflicts = COALESCE(json_array_length(view, '$.case.conflicts'), 0);
CREATE INDEX cases_conflicts ON cases(received_ms, id) WHERE open_conflicts > 0;
CREATE TABLE device_health (
  device_id TEXT PRIMARY KEY,
  last_contact_ms INTEGER NOT NULL,
  last_via TEXT NOT NULL,
  client TEXT,
  reported_ms INTEGER,
  outbox INTEGER,
  photos INTEGER,
  head_seq INTEGER
) STRICT;
CREATE TABLE device_photos (
  device_id TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  complete INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (device_id, sha256)
) STRICT;
CREATE INDEX device_photos_open ON device_photos(sha256) WHERE complete = 0;
INSERT OR IGNORE INTO device_photos (device_id, sha256)
  SELECT e.device_id, json_extract(p.value, '$.sha256')
  FROM events e, json_each(e.body, '$.payload.photos') p
  WHERE json_extract(p.value, '$.sha256') IS NOT NULL;
INSERT OR IGNORE INTO device_photos (device_id, sha256)
  SELECT e.device_id, json_extract(e.body, '$.payload.photo.sha256')
  FROM events e WHERE json_extract(e.body, '$.payload.photo.sha256') IS NOT NULL;
";

/// Records the photos an accepted event references against its device.
pub(super) fn link_photos(
    tx: &Connection,
    event: &Event,
    shas: &[String],
) -> Result<(), StorageError> {
    let mut stmt = tx.prepare_cached(
        "INSERT OR IGNORE INTO device_photos (device_id, sha256) VALUES (?1, ?2)",
    )?;
    for sha in shas {
        stmt.execute(params![event.device_id, sha])?;
    }
    Ok(())
}

pub(super) fn record_contact(conn: &Connection, c: &Contact) -> Result<(), StorageError> {
    let s = c.state.as_ref();
    let num = |v: Option<u64>| v.map(|n| i64::try_from(n).unwrap_or(i64::MAX));
    conn.prepare_cached(
        "INSERT INTO device_health (device_id, last_contact_ms, last_via, client, reported_ms,
           outbox, photos, head_seq)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT(device_id) DO UPDATE SET last_contact_ms = excluded.last_contact_ms,
           last_via = excluded.last_via, client = COALESCE(excluded.client, device_health.client),
           reported_ms = CASE WHEN excluded.reported_ms IS NULL THEN device_health.reported_ms
             ELSE excluded.reported_ms END,
           outbox = CASE WHEN excluded.reported_ms IS NULL THEN device_health.outbox
             ELSE excluded.outbox END,
           photos = CASE WHEN excluded.reported_ms IS NULL THEN device_health.photos
             ELSE excluded.photos END,
           head_seq = CASE WHEN excluded.reported_ms IS NULL THEN device_health.head_seq
             ELSE excluded.head_seq END",
    )?
    .execute(params![
        c.device_id,
        c.at_ms,
        c.via.as_str(),
        c.client,
        s.map(|_| c.at_ms),
        num(s.and_then(|s| s.outbox)),
        num(s.and_then(|s| s.photos)),
        num(s.and_then(|s| s.head)),
    ])?;
    Ok(())
}

pub(super) fn device_records(conn: &Connection) -> Result<Vec<DeviceRecord>, StorageError> {
    let mut open: HashMap<String, Vec<String>> = HashMap::new();
    let mut stmt = conn.prepare(
        "SELECT device_id, sha256 FROM device_photos WHERE complete = 0 ORDER BY device_id, sha256",
    )?;
    for row in stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))? {
        let (device, sha) = row?;
        open.entry(device).or_default().push(sha);
    }
    let mut stmt = conn.prepare(
        "SELECT d.device_id, d.owner, d.last_seq, h.last_contact_ms, h.last_via, h.client,
           h.reported_ms, h.outbox, h.photos, h.head_seq,
           (SELECT count(*) FROM quarantine q WHERE q.device_id = d.device_id)
         FROM devices d LEFT JOIN device_health h ON h.device_id = d.device_id
         WHERE d.device_id NOT LIKE 'console:%'
         ORDER BY d.device_id",
    )?;
    let rows = stmt.query_map([], |r| {
        let device_id: String = r.get(0)?;
        Ok(DeviceRecord {
            owner: r.get(1)?,
            server_head: r.get(2)?,
            last_contact_ms: r.get(3)?,
            last_via: r.get(4)?,
            client: r.get(5)?,
            reported_ms: r.get(6)?,
            outbox: r.get(7)?,
            photos_waiting: r.get(8)?,
            local_head: r.get(9)?,
            rejected: r.get(10)?,
            unconfirmed_photos: Vec::new(),
            device_id,
        })
    })?;
    let mut out = Vec::new();
    for row in rows {
        let mut d = row?;
        d.unconfirmed_photos = open.remove(&d.device_id).unwrap_or_default();
        out.push(d);
    }
    Ok(out)
}

pub(super) fn photos_complete(tx: &Connection, shas: &[String]) -> Result<(), StorageError> {
    let mut stmt = tx.prepare_cached(
        "UPDATE device_photos SET complete = 1 WHERE sha256 = ?1 AND complete = 0",
    )?;
    for sha in shas {
        stmt.execute([sha])?;
    }
    Ok(())
}
