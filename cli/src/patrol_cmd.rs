//! `gridwork field patrol …`: patrol sessions from the terminal.

use crate::output::{self, anyhow_free::Error, anyhow_free::Result};
use clap::Subcommand;
use gridwork_core::{
    geo::{wgs84_to_gcj02, LatLon},
    patrol::{Fix, Provider},
    store::{ExportFormat, PatrolDetail},
    Store,
};
use serde_json::json;
use std::path::PathBuf;

/// `gridwork field patrol` subcommands.
#[derive(Subcommand)]
pub enum PatrolCommand {
    /// Start a patrol of the given cells.
    Start {
        /// Comma-separated cell codes assigned to this patrol.
        #[arg(long, value_delimiter = ',')]
        cells: Vec<String>,
    },
    /// Record one GPS fix on the open patrol.
    Fix {
        /// WGS-84 latitude.
        #[arg(long, allow_hyphen_values = true)]
        lat: f64,
        /// WGS-84 longitude.
        #[arg(long, allow_hyphen_values = true)]
        lon: f64,
        /// Horizontal accuracy in metres.
        #[arg(long)]
        accuracy: f64,
        /// When: RFC 3339 (2026-11-23T09:00:00+08:00) or unix milliseconds; default now.
        #[arg(long)]
        time: Option<String>,
        /// The platform said the location was mocked.
        #[arg(long)]
        mock: bool,
    },
    /// Import a GPX file as a finished patrol.
    ImportGpx {
        /// The GPX file.
        file: PathBuf,
        /// Comma-separated cell codes the patrol covered.
        #[arg(long, value_delimiter = ',')]
        cells: Vec<String>,
    },
    /// Check in at a place on the open patrol.
    Checkin {
        /// WGS-84 latitude.
        #[arg(long, allow_hyphen_values = true)]
        lat: f64,
        /// WGS-84 longitude.
        #[arg(long, allow_hyphen_values = true)]
        lon: f64,
        /// What you did there.
        #[arg(long)]
        note: Option<String>,
        /// A photo taken there.
        #[arg(long)]
        photo: Option<PathBuf>,
    },
    /// Pause the open patrol.
    Pause,
    /// Resume the paused patrol.
    Resume,
    /// Finish the open patrol.
    Finish,
    /// Show a patrol's figures.
    Show {
        /// The patrol id.
        id: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// Also give the check-ins' positions in GCJ-02 (for Chinese base maps).
        #[arg(long)]
        gcj02: bool,
    },
    /// List patrols, newest first.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Export a patrol's track.
    Export {
        /// The patrol id.
        id: String,
        /// gpx or geojson.
        #[arg(long)]
        format: String,
    },
}

/// Runs a patrol subcommand.
pub fn run(store: &Store, cmd: PatrolCommand) -> Result<()> {
    match cmd {
        PatrolCommand::Start { cells } => {
            let id = store.start_patrol(&cells)?;
            output::line(id.to_string());
        }
        PatrolCommand::Fix {
            lat,
            lon,
            accuracy,
            time,
            mock,
        } => {
            let id = open(store)?;
            let time_ms = match time {
                Some(t) => parse_time(&t)?,
                None => store.now_ms(),
            };
            let fix = Fix {
                time_ms,
                lat,
                lon,
                accuracy_m: accuracy,
                speed_mps: None,
                bearing_deg: None,
                altitude_m: None,
                provider: Provider::Other,
                mock,
            };
            let r = store.add_fixes(id, vec![fix])?;
            output::line(format!(
                "stored {} fix, {} duplicate, {} flagged",
                r.stored, r.duplicates, r.flagged
            ));
        }
        PatrolCommand::ImportGpx { file, cells } => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| Error(format!("cannot read {}: {e}", file.display())))?;
            output::line(store.import_gpx(&text, &cells)?.to_string());
        }
        PatrolCommand::Checkin {
            lat,
            lon,
            note,
            photo,
        } => {
            let id = open(store)?;
            output::line(
                store
                    .check_in(id, lat, lon, note, photo.as_deref())?
                    .to_string(),
            );
        }
        PatrolCommand::Pause => store.pause_patrol(open(store)?)?,
        PatrolCommand::Resume => store.resume_patrol(open(store)?)?,
        PatrolCommand::Finish => store.finish_patrol(open(store)?)?,
        PatrolCommand::Show { id, json, gcj02 } => {
            let detail = store.patrol(parse_id(&id)?)?;
            if json {
                output::json(&detail_json(&detail, gcj02))?;
            } else {
                print_detail(&detail, gcj02);
            }
        }
        PatrolCommand::List { json } => {
            let list = store.patrols()?;
            if json {
                output::json(&list)?;
            } else {
                for p in list {
                    // Whose patrol it is: a pulled one was recorded on another device.
                    let whose = if p.remote { "  (pulled)" } else { "" };
                    output::line(format!(
                        "{}  {:<8} {:<10} {}  {} fixes, {} flagged{whose}",
                        p.id,
                        format!("{:?}", p.status).to_lowercase(),
                        p.worker,
                        output::rfc3339(p.started_at_ms),
                        p.fix_count,
                        p.flagged_count
                    ));
                }
            }
        }
        PatrolCommand::Export { id, format } => {
            let format = match format.as_str() {
                "gpx" => ExportFormat::Gpx,
                "geojson" => ExportFormat::GeoJson,
                other => {
                    return Err(Error(format!(
                        "unknown format {other:?}: use gpx or geojson"
                    )))
                }
            };
            output::line(store.export_patrol(parse_id(&id)?, format)?);
        }
    }
    Ok(())
}

fn open(store: &Store) -> Result<uuid::Uuid> {
    store
        .open_patrol()?
        .ok_or_else(|| Error("no open patrol: start one with `patrol start`".into()))
}

fn parse_id(id: &str) -> Result<uuid::Uuid> {
    uuid::Uuid::parse_str(id.trim()).map_err(|_| Error(format!("{id:?} is not a patrol id")))
}

fn parse_time(t: &str) -> Result<i64> {
    if let Ok(ms) = t.parse::<i64>() {
        return Ok(ms);
    }
    chrono::DateTime::parse_from_rfc3339(t)
        .map(|d| d.timestamp_millis())
        .map_err(|_| Error(format!("{t:?} is neither RFC 3339 nor unix milliseconds")))
}

/// A WGS-84 point, and its GCJ-02 form when asked for.
pub fn position_json(lat: f64, lon: f64, gcj02: bool) -> serde_json::Value {
    let mut v = json!({"lat": lat, "lon": lon});
    if gcj02 {
        let g = wgs84_to_gcj02(LatLon::new(lat, lon));
        v["gcj02"] = json!({"lat": g.lat, "lon": g.lon});
    }
    v
}

fn detail_json(d: &PatrolDetail, gcj02: bool) -> serde_json::Value {
    json!({
        "id": d.id,
        "worker": d.worker,
        "device_id": d.device_id,
        "status": d.status,
        "cells": d.cells,
        "started_at": output::rfc3339(d.started_at_ms),
        "finished_at": d.finished_at_ms.map(output::rfc3339),
        "distance_m": d.stats.distance_m,
        "duration_s": d.stats.duration_s,
        "moving_time_s": d.stats.moving_time_s,
        "mean_speed_mps": d.stats.mean_speed_mps,
        "fix_count": d.stats.fix_count,
        "flagged_fix_count": d.integrity.flagged,
        "gaps": d.stats.gaps,
        "coverage": d.coverage.iter().map(|c| json!({"cell": c.cell_id, "share": c.covered_share, "area_m2": c.area_m2})).collect::<Vec<_>>(),
        "time_in_cells": d.time_in_cells.iter().map(|c| json!({"cell": c.cell_id, "seconds": c.seconds})).collect::<Vec<_>>(),
        "integrity": d.integrity,
        "check_ins": d.check_ins.iter().map(|c| {
            let mut v = position_json(c.check_in.lat, c.check_in.lon, gcj02);
            v["at"] = json!(output::rfc3339(c.check_in.time_ms));
            v["note"] = json!(c.check_in.note);
            v["photo"] = json!(c.photo);
            v
        }).collect::<Vec<_>>(),
        "incidents": d.incidents,
        "remote": d.remote,
    })
}

fn print_detail(d: &PatrolDetail, gcj02: bool) {
    output::line(format!("patrol    {} ({:?})", d.id, d.status));
    output::line(format!("worker    {} on {}", d.worker, d.device_id));
    if d.remote {
        output::line(format!(
            "pulled    recorded on {}'s device; figures from the synced (simplified) track",
            d.worker
        ));
    }
    output::line(format!(
        "distance  {:.0} m in {:.0} min ({:.0} min moving)",
        d.stats.distance_m,
        d.stats.duration_s / 60.0,
        d.stats.moving_time_s / 60.0
    ));
    output::line(format!(
        "fixes     {} ({} flagged) — {:?}",
        d.stats.fix_count, d.integrity.flagged, d.integrity.verdict
    ));
    for c in &d.coverage {
        output::line(format!(
            "coverage  {} {:.0}%",
            c.cell_id,
            c.covered_share * 100.0
        ));
    }
    for c in &d.check_ins {
        let pos = position_json(c.check_in.lat, c.check_in.lon, gcj02);
        output::line(format!(
            "check-in  {} {} {}",
            output::rfc3339(c.check_in.time_ms),
            pos,
            c.check_in.note.as_deref().unwrap_or("")
        ));
    }
}
