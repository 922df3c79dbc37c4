//! Patrols on the device: sessions (start, pause, resume, finish), GPS fixes in batches,
//! check-ins, and the figures a supervisor sees (distance, time, coverage per cell,
//! integrity).
//!
//! Each batch of fixes is one transaction without an fsync: every fix goes into
//! `patrol_fixes` (the full track stays on the device). Every [`TRACK_WINDOW_MS`] of
//! track, and when the patrol pauses or finishes, the fixes not yet synced become one
//! `patrol.track` event holding their simplified track (what is synced). Fixes are
//! flagged, never deleted; see docs/patrols.md.
//!
//! Patrols recorded on other devices arrive as their events and are shown from the
//! synced track ([`remote`]); nothing is recorded on them here.

pub(crate) mod remote;
pub(super) mod rows;
mod types;

pub use types::{
    CheckInRecord, ExportFormat, FixBatchReport, PatrolDetail, PatrolStatus, PatrolSummary,
    TRACK_WINDOW_MS,
};

use super::{photos, Identity, Store};
use crate::{
    db,
    error::{Error, Result},
    geo::validate_point,
    model::Stream,
    patrol::{
        ingest_batch, patrol_figures, simplify, to_gpx, track_geojson, CheckIn, Fix, GpxOptions,
        IngestState, IntegrityPolicy, SimplifyParams, StatsParams, TrackPoint, MAX_FIXES_PER_BATCH,
    },
};
use rows::{
    load_own_row, load_row, open_patrol_of, provider_name, read_check_ins, read_points, read_track,
};
use rusqlite::{params, Connection};
use std::path::Path;
use uuid::Uuid;

impl Store {
    /// Starts a patrol of the given cells for the signed-in worker. A worker has at most
    /// one open (active or paused) patrol.
    pub fn start_patrol(&self, cells: &[String]) -> Result<Uuid> {
        let grid = self.grid()?;
        for c in cells {
            if grid.cell(c).is_none() {
                return Err(Error::invalid(
                    "cells",
                    format!("{c:?} is not a cell of the grid"),
                ));
            }
        }
        let now = self.now_ms();
        let id = Uuid::now_v7();
        self.db.write(|tx| {
            let identity = self.require_identity(tx)?;
            if let Some(open) = open_patrol_of(tx, &identity.user)? {
                return Err(Error::PatrolState(format!(
                    "{} already has an open patrol ({open}); finish it first",
                    identity.user
                )));
            }
            self.append_patrol_event(tx, &identity, id, "patrol.started", serde_json::json!({
                "cells": cells, "started_at_ms": now,
            }))?;
            let state = serde_json::to_string(&IngestState::default())
                .map_err(|e| Error::Corrupt(e.to_string()))?;
            tx.execute(
                "INSERT INTO patrols (id, worker, device_id, status, cells, started_at, ingest_state)
                 VALUES (?1, ?2, ?3, 'active', ?4, ?5, ?6)",
                params![
                    id.to_string(),
                    identity.user,
                    identity.device_id,
                    serde_json::to_string(cells).map_err(|e| Error::Corrupt(e.to_string()))?,
                    now,
                    state
                ],
            )?;
            Ok(())
        })?;
        Ok(id)
    }

    /// The signed-in worker's open (active or paused) patrol, if any.
    pub fn open_patrol(&self) -> Result<Option<Uuid>> {
        self.db.read(|conn| {
            let identity = self.require_identity(conn)?;
            open_patrol_of(conn, &identity.user)
        })
    }

    /// Pauses an active patrol.
    pub fn pause_patrol(&self, id: Uuid) -> Result<()> {
        self.patrol_transition(
            id,
            PatrolStatus::Active,
            PatrolStatus::Paused,
            "patrol.paused",
        )
    }

    /// Resumes a paused patrol.
    pub fn resume_patrol(&self, id: Uuid) -> Result<()> {
        self.patrol_transition(
            id,
            PatrolStatus::Paused,
            PatrolStatus::Active,
            "patrol.resumed",
        )
    }

    /// Finishes an open patrol; nothing more can be recorded on it.
    pub fn finish_patrol(&self, id: Uuid) -> Result<()> {
        let now = self.now_ms();
        self.db.write(|tx| {
            let identity = self.require_identity(tx)?;
            let row = load_own_row(tx, id)?;
            if row.status == PatrolStatus::Finished {
                return Err(Error::PatrolState(format!(
                    "patrol {id} is finished already"
                )));
            }
            // The patrol ends at its last fix (an imported track ends when it was recorded).
            let end = row.ingest.last_time_ms.unwrap_or(now);
            self.flush_track(tx, &identity, id, now)?;
            self.append_patrol_event(
                tx,
                &identity,
                id,
                "patrol.finished",
                serde_json::json!({"finished_at_ms": end}),
            )?;
            tx.execute(
                "UPDATE patrols SET status = 'finished', finished_at = ?2 WHERE id = ?1",
                params![id.to_string(), end],
            )?;
            Ok(())
        })
    }

    fn patrol_transition(
        &self,
        id: Uuid,
        from: PatrolStatus,
        to: PatrolStatus,
        kind: &str,
    ) -> Result<()> {
        self.db.write(|tx| {
            let identity = self.require_identity(tx)?;
            let row = load_own_row(tx, id)?;
            if row.status != from {
                return Err(Error::PatrolState(format!(
                    "patrol {id} is {}, not {}",
                    row.status.as_str(),
                    from.as_str()
                )));
            }
            if to == PatrolStatus::Paused {
                self.flush_track(tx, &identity, id, self.now_ms())?;
            }
            self.append_patrol_event(tx, &identity, id, kind, serde_json::json!({}))?;
            tx.execute(
                "UPDATE patrols SET status = ?2 WHERE id = ?1",
                params![id.to_string(), to.as_str()],
            )?;
            Ok(())
        })
    }

    /// Records a batch of fixes on an active patrol, in the order the platform
    /// delivered them. Out-of-order fixes are sorted; duplicates (same time) are dropped;
    /// implausible fixes are stored with flags. A batch over
    /// [`MAX_FIXES_PER_BATCH`] or with any invalid fix is refused whole.
    pub fn add_fixes(&self, id: Uuid, fixes: Vec<Fix>) -> Result<FixBatchReport> {
        let received_at = self.now_ms();
        self.add_fixes_received(id, fixes, received_at)
    }

    fn add_fixes_received(
        &self,
        id: Uuid,
        fixes: Vec<Fix>,
        received_at: i64,
    ) -> Result<FixBatchReport> {
        if fixes.len() > MAX_FIXES_PER_BATCH {
            return Err(crate::patrol::PatrolError::BatchTooLarge {
                count: fixes.len(),
                max: MAX_FIXES_PER_BATCH,
            }
            .into());
        }
        let policy = IntegrityPolicy::default();
        // Fixes are high-volume and the last seconds of a track may be lost to a power
        // cut without harm: no fsync per batch. Session steps and check-ins stay FULL,
        // and so does a batch that closes a track window (its `patrol.track` event and
        // every fix before it are synced): a power cut takes at most the fixes since the
        // last synced write, never more than one window, not all since the last
        // checkpoint. The check runs before the transaction (SQLite fixes the sync level
        // when it begins) and may say FULL for a batch that then closes no window.
        let (first, last) = fixes.iter().fold((i64::MAX, i64::MIN), |(a, b), f| {
            (a.min(f.time_ms), b.max(f.time_ms))
        });
        let any = !fixes.is_empty();
        let closes_window = |conn: &rusqlite::Connection| -> Result<bool> {
            let unsynced: Option<i64> = conn
                .prepare_cached(
                    "SELECT min(time_ms) FROM patrol_fixes WHERE patrol = ?1 AND synced = 0",
                )?
                .query_row([id.to_string()], |r| r.get(0))?;
            let start = unsynced.map_or(first, |u| u.min(first));
            Ok(any && last.saturating_sub(start) >= TRACK_WINDOW_MS)
        };
        self.db.write_relaxed_unless(closes_window, |tx| {
            let identity = self.require_identity(tx)?;
            let row = load_own_row(tx, id)?;
            if row.status != PatrolStatus::Active {
                return Err(Error::PatrolState(format!(
                    "patrol {id} is {}: fixes are not recorded",
                    row.status.as_str()
                )));
            }
            if row.worker != identity.user {
                return Err(Error::PatrolState(format!(
                    "patrol {id} belongs to {}",
                    row.worker
                )));
            }
            let batch = ingest_batch(&row.ingest, fixes, received_at, &policy)?;
            let mut stored = Vec::with_capacity(batch.points.len());
            let mut duplicates = batch.dropped_duplicates;
            {
                let mut insert = tx.prepare_cached(
                    "INSERT OR IGNORE INTO patrol_fixes (patrol, time_ms, lat, lon, accuracy_m,
                        speed_mps, bearing, altitude_m, provider, mock, flags)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                )?;
                for p in &batch.points {
                    let f = &p.fix;
                    let n = insert.execute(params![
                        id.to_string(),
                        f.time_ms,
                        f.lat,
                        f.lon,
                        f.accuracy_m,
                        f.speed_mps,
                        f.bearing_deg,
                        f.altitude_m,
                        provider_name(f.provider),
                        f.mock,
                        p.flags.bits(),
                    ])?;
                    if n == 1 {
                        stored.push(*p);
                    } else {
                        duplicates += 1;
                    }
                }
            }
            let flagged = stored.iter().filter(|p| !p.flags.is_empty()).count();
            let window_start: Option<i64> = tx
                .prepare_cached(
                    "SELECT min(time_ms) FROM patrol_fixes WHERE patrol = ?1 AND synced = 0",
                )?
                .query_row([id.to_string()], |r| r.get(0))?;
            let newest = stored.iter().map(|p| p.fix.time_ms).max();
            let synced_points = match (window_start, newest) {
                (Some(start), Some(end)) if end - start >= TRACK_WINDOW_MS => {
                    self.flush_track(tx, &identity, id, received_at)?
                }
                _ => 0,
            };
            let state =
                serde_json::to_string(&batch.state).map_err(|e| Error::Corrupt(e.to_string()))?;
            tx.execute(
                "UPDATE patrols SET ingest_state = ?2, fix_count = fix_count + ?3,
                    flagged_count = flagged_count + ?4 WHERE id = ?1",
                params![id.to_string(), state, stored.len() as i64, flagged as i64],
            )?;
            Ok(FixBatchReport {
                stored: stored.len(),
                duplicates,
                flagged,
                synced_points,
            })
        })
    }

    /// Turns the fixes not yet synced into one `patrol.track` event with their
    /// simplified track. Returns the number of points the event carries.
    fn flush_track(
        &self,
        tx: &Connection,
        identity: &Identity,
        id: Uuid,
        now: i64,
    ) -> Result<usize> {
        let pending = read_points(tx, id, true)?;
        if pending.is_empty() {
            return Ok(0);
        }
        let kept: Vec<TrackPoint> = simplify(&pending, &SimplifyParams::default())?
            .into_iter()
            .filter_map(|i| pending.get(i).copied())
            .collect();
        self.append_patrol_event(
            tx,
            identity,
            id,
            "patrol.track",
            serde_json::json!({
                "received_at_ms": now,
                "fixes": pending.len(),
                "from_ms": pending.first().map(|p| p.fix.time_ms),
                "to_ms": pending.last().map(|p| p.fix.time_ms),
                "tolerance_m": SimplifyParams::default().tolerance_m,
                "points": kept,
            }),
        )?;
        tx.prepare_cached("UPDATE patrol_fixes SET synced = 1 WHERE patrol = ?1 AND synced = 0")?
            .execute([id.to_string()])?;
        Ok(kept.len())
    }

    /// Records a check-in (a building, a shop, a household visit) on an open patrol.
    pub fn check_in(
        &self,
        id: Uuid,
        lat: f64,
        lon: f64,
        note: Option<String>,
        photo: Option<&Path>,
    ) -> Result<Uuid> {
        validate_point(lat, lon)?;
        let check_in = CheckIn {
            time_ms: self.now_ms(),
            lat,
            lon,
            note: note.filter(|n| !n.trim().is_empty()),
        };
        check_in.validate()?;
        let settings = self.photo_settings()?;
        let staged = photo
            .map(|p| photos::stage(p, settings.max_edge))
            .transpose()?;
        let mut written = Vec::new();
        let result = self.db.write(|tx| {
            let identity = self.require_identity(tx)?;
            let row = load_own_row(tx, id)?;
            if row.status == PatrolStatus::Finished {
                return Err(Error::PatrolState(format!("patrol {id} is finished")));
            }
            if let Some(p) = &staged {
                photos::keep(tx, &self.photos_dir, p, self.now_ms(), &mut written)?;
            }
            let photo = staged.as_ref().map(|p| p.reference.clone());
            let event = self.append_patrol_event(tx, &identity, id, "patrol.checkin", serde_json::json!({
                "time_ms": check_in.time_ms, "lat": lat, "lon": lon,
                "note": check_in.note, "photo": photo,
            }))?;
            tx.execute(
                "INSERT INTO checkins (id, patrol, time_ms, lat, lon, note, photo) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    event.to_string(),
                    id.to_string(),
                    check_in.time_ms,
                    lat,
                    lon,
                    check_in.note,
                    photo.map(|p| serde_json::to_string(&p).unwrap_or_default())
                ],
            )?;
            Ok(event)
        });
        match &result {
            Err(_) => photos::discard(&self.photos_dir, &written),
            Ok(_) if settings.remove_sources => photos::remove_sources(
                &photo.map(Path::to_path_buf).into_iter().collect::<Vec<_>>(),
            ),
            Ok(_) => {}
        }
        result
    }

    /// Imports a GPX file as a finished patrol of the signed-in worker (a track recorded
    /// with another app). Returns the patrol id.
    pub fn import_gpx(&self, gpx: &str, cells: &[String]) -> Result<Uuid> {
        let fixes = crate::patrol::from_gpx(gpx)?;
        if fixes.is_empty() {
            return Err(Error::invalid("gpx", "the file has no track points"));
        }
        let id = self.start_patrol(cells)?;
        for chunk in fixes.chunks(MAX_FIXES_PER_BATCH) {
            // The points were recorded when they say, not now: judge their clock
            // against the batch's own last time.
            let received = chunk.iter().map(|f| f.time_ms).max().unwrap_or_default();
            if let Err(e) = self.add_fixes_received(id, chunk.to_vec(), received) {
                let _ = self.finish_patrol(id);
                return Err(e);
            }
        }
        self.finish_patrol(id)?;
        Ok(id)
    }

    /// The full-resolution track of a patrol, in time order, with flags.
    pub fn patrol_track(&self, id: Uuid) -> Result<Vec<TrackPoint>> {
        self.db.read(|conn| {
            load_row(conn, id)?;
            read_track(conn, id)
        })
    }

    /// A patrol with its figures: distance, duration, coverage of each assigned cell,
    /// time per cell, integrity.
    pub fn patrol(&self, id: Uuid) -> Result<PatrolDetail> {
        let grid = self.grid()?;
        let (row, started, finished, device, track, check_ins, incidents, fix_count) = self.db.read(|conn| {
            let row = load_row(conn, id)?;
            let (started, finished, device, fix_count): (i64, Option<i64>, String, i64) =
                conn.query_row(
                    "SELECT started_at, finished_at, device_id, fix_count FROM patrols
                     WHERE id = ?1",
                    [id.to_string()],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                )?;
            let track = read_track(conn, id)?;
            let check_ins = read_check_ins(conn, id)?;
            let mut stmt = conn.prepare(
                "SELECT id FROM incidents WHERE json_extract(state, '$.report.patrol') = ?1 ORDER BY reported_at",
            )?;
            let incidents = stmt
                .query_map([id.to_string()], |r| r.get::<_, String>(0))?
                .filter_map(|r| r.ok().and_then(|s| Uuid::parse_str(&s).ok()))
                .collect();
            Ok((row, started, finished, device, track, check_ins, incidents, fix_count as usize))
        })?;
        let assigned: Vec<(String, geo::Polygon<f64>)> = row
            .cells
            .iter()
            .filter_map(|c| grid.cell(c).map(|cell| (c.clone(), cell.polygon.clone())))
            .collect();
        let all_cells: Vec<(String, geo::Polygon<f64>)> = grid
            .cells()
            .iter()
            .map(|c| (c.code.as_str().to_string(), c.polygon.clone()))
            .collect();
        // A pulled patrol holds the synced track: the fixes its device took beyond it
        // are counted back in by the core's figures (as the server counts them).
        let fix_count = if row.remote { fix_count } else { track.len() };
        let figures = patrol_figures(&track, fix_count, &assigned, &all_cells)?;
        Ok(PatrolDetail {
            id,
            worker: row.worker,
            device_id: device,
            status: row.status,
            cells: row.cells,
            started_at_ms: started,
            finished_at_ms: finished,
            stats: figures.stats,
            coverage: figures.coverage,
            time_in_cells: figures.time_in_cells,
            integrity: figures.integrity,
            check_ins,
            incidents,
            remote: row.remote,
        })
    }

    /// Patrols in this store, newest first.
    pub fn patrols(&self) -> Result<Vec<PatrolSummary>> {
        self.db.read(|conn| {
            let mut stmt = conn.prepare(
                "SELECT id, worker, status, started_at, fix_count, flagged_count, remote FROM patrols ORDER BY started_at DESC",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok((r.get::<_, String>(0)?, r.get(1)?, r.get::<_, String>(2)?, r.get(3)?, r.get::<_, i64>(4)?, r.get::<_, i64>(5)?, r.get::<_, bool>(6)?))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (id, worker, status, started, fixes, flagged, remote) = row?;
                out.push(PatrolSummary {
                    id: Uuid::parse_str(&id).map_err(|_| Error::Corrupt(format!("bad patrol id {id}")))?,
                    worker,
                    status: types::parse_status(&status)?,
                    started_at_ms: started,
                    fix_count: fixes as u64,
                    flagged_count: flagged as u64,
                    remote,
                });
            }
            Ok(out)
        })
    }

    /// A patrol's track and check-ins as GPX 1.1 or GeoJSON.
    pub fn export_patrol(&self, id: Uuid, format: ExportFormat) -> Result<String> {
        let (track, check_ins) = self.db.read(|conn| {
            load_row(conn, id)?;
            Ok((read_track(conn, id)?, read_check_ins(conn, id)?))
        })?;
        let check_ins: Vec<CheckIn> = check_ins.into_iter().map(|c| c.check_in).collect();
        let name = format!("patrol {id}");
        Ok(match format {
            ExportFormat::Gpx => to_gpx(
                &track,
                &check_ins,
                &GpxOptions {
                    name: Some(name),
                    ..GpxOptions::default()
                },
            )?,
            ExportFormat::GeoJson => track_geojson(
                &track,
                &check_ins,
                Some(&name),
                StatsParams::default().gap_threshold_s,
            )?
            .to_string(),
        })
    }

    fn append_patrol_event(
        &self,
        tx: &Connection,
        identity: &Identity,
        id: Uuid,
        kind: &str,
        payload: serde_json::Value,
    ) -> Result<Uuid> {
        let hlc = self.tick(tx)?;
        let actor = Store::actor(identity, None);
        let event = db::append_local(
            tx,
            Stream::Patrol(id),
            kind,
            hlc,
            &identity.device_id,
            &actor,
            payload,
        )?;
        Ok(event.id)
    }
}
