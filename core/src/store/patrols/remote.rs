//! Patrols pulled from other devices: rebuilt from their synced events.
//!
//! Another worker's patrol reaches this device as its `patrol.*` events only, and the
//! track in them is the simplified one. Each time a pull brings events of such a patrol,
//! the patrol's rows (`patrols` with `remote = 1`, its `patrol_fixes`, its `checkins`)
//! are rebuilt from every event of the stream held here. Rebuilding from the whole
//! stream makes the result independent of the order and the pages the events came in,
//! and of duplicates. A patrol recorded on this device (`remote = 0`) is never touched.

use crate::{
    db,
    error::{Error, Result},
    model::Stream,
    patrol::{fold_patrol, IngestState},
};
use rusqlite::{params, Connection, OptionalExtension};
use uuid::Uuid;

/// Rebuilds patrol `id` from its events, unless it is this device's own patrol.
/// Returns whether it was rebuilt. The events are folded by the core's patrol fold
/// ([`fold_patrol`]), the code the server folds its patrol view with.
pub(crate) fn rebuild(conn: &Connection, id: Uuid) -> Result<bool> {
    let key = id.to_string();
    let remote: Option<bool> = conn
        .prepare_cached("SELECT remote FROM patrols WHERE id = ?1")?
        .query_row([&key], |r| r.get(0))
        .optional()?;
    if remote == Some(false) {
        return Ok(false);
    }
    let events: Vec<_> = db::stream_events(conn, &Stream::Patrol(id))?
        .into_iter()
        .filter(|s| s.rejected.is_none())
        .map(|s| s.event)
        .collect();
    let Some(log) = fold_patrol(id, &events) else {
        return Ok(false);
    };
    // Every flagged fix is kept by the simplification, so this count is the worker's.
    let flagged = log.points.iter().filter(|p| !p.flags.is_empty()).count();
    let ingest = serde_json::to_string(&IngestState::default())
        .map_err(|e| Error::Corrupt(e.to_string()))?;
    let cells_json =
        serde_json::to_string(&log.cells).map_err(|e| Error::Corrupt(e.to_string()))?;
    conn.prepare_cached(
        "INSERT INTO patrols (id, worker, device_id, status, cells, started_at, finished_at,
            ingest_state, fix_count, flagged_count, remote)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 1)
         ON CONFLICT (id) DO UPDATE SET worker = excluded.worker,
            device_id = excluded.device_id, status = excluded.status, cells = excluded.cells,
            started_at = excluded.started_at, finished_at = excluded.finished_at,
            fix_count = excluded.fix_count, flagged_count = excluded.flagged_count",
    )?
    .execute(params![
        key,
        log.worker,
        log.device_id,
        log.status.as_str(),
        cells_json,
        log.started_at_ms,
        log.finished_at_ms,
        ingest,
        log.fix_count as i64,
        flagged as i64,
    ])?;
    conn.prepare_cached("DELETE FROM patrol_fixes WHERE patrol = ?1")?
        .execute([&key])?;
    {
        let mut insert = conn.prepare_cached(
            "INSERT INTO patrol_fixes (patrol, time_ms, lat, lon, accuracy_m, speed_mps,
                bearing, altitude_m, provider, mock, flags, synced)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 1)",
        )?;
        for p in &log.points {
            let f = &p.fix;
            insert.execute(params![
                key,
                f.time_ms,
                f.lat,
                f.lon,
                f.accuracy_m,
                f.speed_mps,
                f.bearing_deg,
                f.altitude_m,
                super::rows::provider_name(f.provider),
                f.mock,
                p.flags.bits(),
            ])?;
        }
    }
    conn.prepare_cached("DELETE FROM checkins WHERE patrol = ?1")?
        .execute([&key])?;
    {
        let mut insert = conn.prepare_cached(
            "INSERT INTO checkins (id, patrol, time_ms, lat, lon, note, photo)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        for c in &log.check_ins {
            let photo = c
                .photo
                .as_ref()
                .map(serde_json::to_string)
                .transpose()
                .map_err(|e| Error::Corrupt(e.to_string()))?;
            insert.execute(params![
                c.event_id.to_string(),
                key,
                c.check_in.time_ms,
                c.check_in.lat,
                c.check_in.lon,
                c.check_in.note,
                photo
            ])?;
        }
    }
    Ok(true)
}

/// Builds every patrol whose events are held but that has no rows yet (after an
/// upgrade from a version that did not show pulled patrols).
pub(crate) fn rebuild_all(conn: &Connection) -> Result<()> {
    let streams: Vec<String> = conn
        .prepare(
            "SELECT DISTINCT stream FROM events WHERE stream LIKE 'patrol/%'
             AND substr(stream, 8) NOT IN (SELECT id FROM patrols)",
        )?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for stream in streams {
        if let Stream::Patrol(id) = stream.parse()? {
            rebuild(conn, id)?;
        }
    }
    Ok(())
}
