//! Reading and writing the patrol tables: the patrol row, its fixes and check-ins.

use super::types::{CheckInRecord, PatrolRow};
use crate::{
    error::{Error, Result},
    patrol::{CheckIn, Fix, FixFlags, Provider, TrackPoint},
};
use rusqlite::{Connection, OptionalExtension};
use uuid::Uuid;

pub(in crate::store) fn provider_name(p: Provider) -> &'static str {
    match p {
        Provider::Gps => "gps",
        Provider::Network => "network",
        Provider::Fused => "fused",
        Provider::Other => "other",
    }
}

pub(super) fn provider_from(name: &str) -> Provider {
    match name {
        "gps" => Provider::Gps,
        "network" => Provider::Network,
        "fused" => Provider::Fused,
        _ => Provider::Other,
    }
}

pub(in crate::store) fn open_patrol_of(conn: &Connection, user: &str) -> Result<Option<Uuid>> {
    let id: Option<String> = conn
        .query_row(
            "SELECT id FROM patrols
             WHERE worker = ?1 AND status IN ('active', 'paused') AND remote = 0",
            [user],
            |r| r.get(0),
        )
        .optional()?;
    id.map(|s| Uuid::parse_str(&s).map_err(|_| Error::Corrupt(format!("bad patrol id {s}"))))
        .transpose()
}

pub(super) fn load_row(conn: &Connection, id: Uuid) -> Result<PatrolRow> {
    let row: Option<(String, String, String, String, bool)> = conn
        .query_row(
            "SELECT worker, status, cells, ingest_state, remote FROM patrols WHERE id = ?1",
            [id.to_string()],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .optional()?;
    let (worker, status, cells, ingest, remote) = row.ok_or_else(|| Error::NotFound {
        what: "patrol",
        id: id.to_string(),
    })?;
    let corrupt = |what: &str| Error::Corrupt(format!("patrol {id}: bad {what}"));
    Ok(PatrolRow {
        worker,
        status: super::types::parse_status(&status)?,
        cells: serde_json::from_str(&cells).map_err(|_| corrupt("cells"))?,
        ingest: serde_json::from_str(&ingest).map_err(|_| corrupt("ingest state"))?,
        remote,
    })
}

/// Loads a patrol that this device records: one pulled from another device is only
/// shown here, never recorded on.
pub(super) fn load_own_row(conn: &Connection, id: Uuid) -> Result<PatrolRow> {
    let row = load_row(conn, id)?;
    if row.remote {
        return Err(Error::PatrolState(format!(
            "patrol {id} is {}'s, recorded on another device: it is only shown here",
            row.worker
        )));
    }
    Ok(row)
}

pub(super) fn read_track(conn: &Connection, id: Uuid) -> Result<Vec<TrackPoint>> {
    read_points(conn, id, false)
}

/// The patrol's fixes in time order; only those not yet in a `patrol.track` event when
/// `unsynced_only`.
pub(super) fn read_points(
    conn: &Connection,
    id: Uuid,
    unsynced_only: bool,
) -> Result<Vec<TrackPoint>> {
    let mut stmt = conn.prepare_cached(if unsynced_only {
        "SELECT time_ms, lat, lon, accuracy_m, speed_mps, bearing, altitude_m, provider, mock, flags
         FROM patrol_fixes WHERE patrol = ?1 AND synced = 0 ORDER BY time_ms"
    } else {
        "SELECT time_ms, lat, lon, accuracy_m, speed_mps, bearing, altitude_m, provider, mock, flags
         FROM patrol_fixes WHERE patrol = ?1 ORDER BY time_ms"
    })?;
    let rows = stmt.query_map([id.to_string()], |r| {
        Ok(TrackPoint {
            fix: Fix {
                time_ms: r.get(0)?,
                lat: r.get(1)?,
                lon: r.get(2)?,
                accuracy_m: r.get(3)?,
                speed_mps: r.get(4)?,
                bearing_deg: r.get(5)?,
                altitude_m: r.get(6)?,
                provider: provider_from(&r.get::<_, String>(7)?),
                mock: r.get(8)?,
            },
            flags: FixFlags::from_bits_retain(r.get(9)?),
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

pub(super) fn read_check_ins(conn: &Connection, id: Uuid) -> Result<Vec<CheckInRecord>> {
    let mut stmt = conn.prepare_cached(
        "SELECT time_ms, lat, lon, note, photo FROM checkins WHERE patrol = ?1 ORDER BY time_ms",
    )?;
    let rows = stmt.query_map([id.to_string()], |r| {
        Ok((
            r.get(0)?,
            r.get(1)?,
            r.get(2)?,
            r.get(3)?,
            r.get::<_, Option<String>>(4)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (time_ms, lat, lon, note, photo) = row?;
        out.push(CheckInRecord {
            check_in: CheckIn {
                time_ms,
                lat,
                lon,
                note,
            },
            photo: photo.and_then(|p| serde_json::from_str(&p).ok()),
        });
    }
    Ok(out)
}
