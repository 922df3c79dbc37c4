//! PostgreSQL: per-device sync health (see [`crate::health`]) and the schema step of the
//! unresolved-conflict column of the case view (written with the row by the projector).

use super::cached::CachedTx;
use crate::{
    health::{Contact, DeviceRecord},
    StorageError,
};
use gridwork_core::model::Event;
use std::collections::HashMap;
use tokio_postgres::GenericClient;

/// What the devices' sync health needs (contacts; the photos each device's accepted
/// events reference, filled from the events held once) and the case view's count of
/// unresolved conflicts with the partial index the conflicts queue reads (no conflict
/// was resolved before it existed, so every conflict held then is open). Idempotent.
pub(super) const MIGRATE_HEALTH: &str = "
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema()
                 AND table_name = 'cases' AND column_name = 'open_conflicts') THEN
    ALTER TABLE cases ADD COLUMN open_conflicts INTEGER NOT NULL DEFAULT 0;
    UPDATE cases SET open_conflicts = CASE
      WHEN jsonb_typeof(view::jsonb #> '{case,conflicts}') = 'array'
      THEN jsonb_array_length(view::jsonb #> '{case,conflicts}') ELSE 0 END;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema()
                 AND table_name = 'device_photos') THEN
    CREATE TABLE device_photos (
      device_id TEXT NOT NULL,
      sha256 TEXT NOT NULL,
      complete BOOLEAN NOT NULL DEFAULT FALSE,
      PRIMARY KEY (device_id, sha256)
    );
    INSERT INTO device_photos (device_id, sha256)
      SELECT DISTINCT e.device_id, p ->> 'sha256'
      FROM events e, jsonb_array_elements(
        CASE WHEN jsonb_typeof(e.body::jsonb #> '{payload,photos}') = 'array'
             THEN e.body::jsonb #> '{payload,photos}' ELSE '[]'::jsonb END) p
      WHERE p ->> 'sha256' IS NOT NULL
      ON CONFLICT DO NOTHING;
    INSERT INTO device_photos (device_id, sha256)
      SELECT DISTINCT e.device_id, e.body::jsonb #>> '{payload,photo,sha256}'
      FROM events e WHERE e.body::jsonb #>> '{payload,photo,sha256}' IS NOT NULL
      ON CONFLICT DO NOTHING;
  END IF;
END $$;
CREATE INDEX IF NOT EXISTS cases_conflicts ON cases(received_ms, id) WHERE open_conflicts > 0;
CREATE INDEX IF NOT EXISTS device_photos_open ON device_photos(sha256) WHERE NOT complete;
CREATE TABLE IF NOT EXISTS device_health (
  device_id TEXT PRIMARY KEY,
  last_contact_ms BIGINT NOT NULL,
  last_via TEXT NOT NULL,
  client TEXT,
  reported_ms BIGINT,
  outbox BIGINT,
  photos BIGINT,
  head_seq BIGINT
);
";

/// Records the photos an accepted event references against its device, in one
/// statement.
pub(super) async fn link_photos(
    tx: &CachedTx<'_, '_>,
    event: &Event,
    shas: &[String],
) -> Result<(), StorageError> {
    tx.execute(
        "INSERT INTO device_photos (device_id, sha256) SELECT $1, unnest($2::text[])
         ON CONFLICT DO NOTHING",
        &[&event.device_id, &shas],
    )
    .await?;
    Ok(())
}

pub(super) async fn record_contact(
    client: &impl GenericClient,
    c: &Contact,
) -> Result<(), StorageError> {
    let s = c.state.as_ref();
    let num = |v: Option<u64>| v.map(|n| i64::try_from(n).unwrap_or(i64::MAX));
    let reported = s.map(|_| c.at_ms);
    client
        .execute(
            "INSERT INTO device_health (device_id, last_contact_ms, last_via, client, reported_ms,
               outbox, photos, head_seq)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (device_id) DO UPDATE SET last_contact_ms = excluded.last_contact_ms,
               last_via = excluded.last_via,
               client = COALESCE(excluded.client, device_health.client),
               reported_ms = CASE WHEN excluded.reported_ms IS NULL THEN device_health.reported_ms
                 ELSE excluded.reported_ms END,
               outbox = CASE WHEN excluded.reported_ms IS NULL THEN device_health.outbox
                 ELSE excluded.outbox END,
               photos = CASE WHEN excluded.reported_ms IS NULL THEN device_health.photos
                 ELSE excluded.photos END,
               head_seq = CASE WHEN excluded.reported_ms IS NULL THEN device_health.head_seq
                 ELSE excluded.head_seq END",
            &[
                &c.device_id,
                &c.at_ms,
                &c.via.as_str(),
                &c.client,
                &reported,
                &num(s.and_then(|s| s.outbox)),
                &num(s.and_then(|s| s.photos)),
                &num(s.and_then(|s| s.head)),
            ],
        )
        .await?;
    Ok(())
}

pub(super) async fn device_records(
    client: &impl GenericClient,
) -> Result<Vec<DeviceRecord>, StorageError> {
    let mut open: HashMap<String, Vec<String>> = HashMap::new();
    for r in client
        .query(
            "SELECT device_id, sha256 FROM device_photos WHERE NOT complete
             ORDER BY device_id, sha256",
            &[],
        )
        .await?
    {
        open.entry(r.get(0)).or_default().push(r.get(1));
    }
    let rows = client
        .query(
            "SELECT d.device_id, d.owner, d.last_seq, h.last_contact_ms, h.last_via, h.client,
               h.reported_ms, h.outbox, h.photos, h.head_seq,
               (SELECT count(*) FROM quarantine q WHERE q.device_id = d.device_id)
             FROM devices d LEFT JOIN device_health h ON h.device_id = d.device_id
             WHERE d.device_id NOT LIKE 'console:%'
             ORDER BY d.device_id COLLATE \"C\"",
            &[],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| {
            let device_id: String = r.get(0);
            DeviceRecord {
                unconfirmed_photos: open.remove(&device_id).unwrap_or_default(),
                owner: r.get(1),
                server_head: r.get(2),
                last_contact_ms: r.get(3),
                last_via: r.get(4),
                client: r.get(5),
                reported_ms: r.get(6),
                outbox: r.get(7),
                photos_waiting: r.get(8),
                local_head: r.get(9),
                rejected: r.get(10),
                device_id,
            }
        })
        .collect())
}

pub(super) async fn photos_complete(
    client: &impl GenericClient,
    shas: &[String],
) -> Result<(), StorageError> {
    client
        .execute(
            "UPDATE device_photos SET complete = TRUE WHERE sha256 = ANY($1) AND NOT complete",
            &[&shas],
        )
        .await?;
    Ok(())
}
