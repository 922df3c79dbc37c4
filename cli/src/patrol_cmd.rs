//! `gridwork field patrol …`: patrol sessions from the terminal.

use crate::field::Ctx;
use crate::lang::{label, Lang, Msg};
use crate::output::{self, anyhow_free::Error, anyhow_free::Result};
use crate::patrol_words as words;
use clap::Subcommand;
use gridwork_core::{
    geo::{wgs84_to_gcj02, LatLon},
    patrol::{Fix, Provider},
    store::{ExportFormat, PatrolDetail},
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
pub fn run(ctx: &Ctx, cmd: PatrolCommand) -> Result<()> {
    let store = &ctx.store;
    let lang = ctx.lang;
    match cmd {
        PatrolCommand::Start { cells } => {
            let id = store.start_patrol(&cells)?;
            let names = ctx.names()?;
            let list: Vec<String> = cells.iter().map(|c| names.cell(c)).collect();
            ctx.confirm(id, lang.say(Msg::PatrolStarted, &[&id, &list.join(", ")]));
        }
        PatrolCommand::Fix {
            lat,
            lon,
            accuracy,
            time,
            mock,
        } => {
            let id = open(ctx)?;
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
            let before = store.patrol(id)?.integrity.per_flag;
            let r = store.add_fixes(id, vec![fix])?;
            let mut text = lang.say(Msg::FixStored, &[&r.stored, &r.duplicates, &r.flagged]);
            if r.flagged > 0 {
                let after = store.patrol(id)?.integrity.per_flag;
                let reasons = words::flag_reasons(lang, &words::added(&before, &after));
                text.push_str(&format!(": {}", reasons.join("; ")));
            }
            ctx.tell(text);
        }
        PatrolCommand::ImportGpx { file, cells } => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| Error(format!("cannot read {}: {e}", file.display())))?;
            let bar = output::spinner(&format!("importing {}", file.display()));
            let id = store.import_gpx(&text, &cells);
            bar.finish_and_clear();
            let id = id?;
            let d = store.patrol(id)?;
            ctx.confirm(
                id,
                lang.say(
                    Msg::GpxImported,
                    &[&id, &d.stats.fix_count, &d.integrity.flagged],
                ),
            );
        }
        PatrolCommand::Checkin {
            lat,
            lon,
            note,
            photo,
        } => {
            let id = open(ctx)?;
            let check_in = store.check_in(id, lat, lon, note, photo.as_deref())?;
            let names = ctx.names()?;
            let cell = match names.grid().locate(lat, lon) {
                Some(c) => names.cell(c.code.as_str()),
                None => lang.say(Msg::OutsideGrid, &[]),
            };
            let at = output::local(store.now_ms(), ctx.offset()?);
            ctx.confirm(
                check_in,
                lang.say(
                    Msg::CheckedIn,
                    &[&check_in, &at, &format!("{lat:.6}, {lon:.6}"), &cell],
                ),
            );
        }
        PatrolCommand::Pause => {
            let id = open(ctx)?;
            store.pause_patrol(id)?;
            ctx.tell(lang.say(Msg::PatrolPaused, &[&id]));
        }
        PatrolCommand::Resume => {
            let id = open(ctx)?;
            store.resume_patrol(id)?;
            ctx.tell(lang.say(Msg::PatrolResumed, &[&id]));
        }
        PatrolCommand::Finish => {
            let id = open(ctx)?;
            store.finish_patrol(id)?;
            let d = store.patrol(id)?;
            ctx.tell(lang.say(
                Msg::PatrolFinished,
                &[
                    &id,
                    &format!("{:.0}", d.stats.distance_m),
                    &format!("{:.0}", d.stats.duration_s / 60.0),
                    &words::verdict(lang, &d.integrity),
                ],
            ));
        }
        PatrolCommand::Show { id, json, gcj02 } => {
            let detail = store.patrol(parse_id(lang, &id)?)?;
            if json {
                output::json(&detail_json(&detail, gcj02))?;
            } else {
                print_detail(ctx, &detail, gcj02)?;
            }
        }
        PatrolCommand::List { json } => {
            let list = store.patrols()?;
            if json {
                output::json(&list)?;
            } else {
                if list.is_empty() {
                    output::line(lang.say(Msg::NoPatrols, &[]));
                }
                let offset = ctx.offset()?;
                for p in list {
                    // Whose patrol it is: a pulled one was recorded on another device.
                    let whose = if p.remote {
                        lang.pick("  (pulled)", "（同步自其他设备）")
                    } else {
                        ""
                    };
                    let status = format!("{:?}", p.status).to_lowercase();
                    output::line(format!(
                        "{}  {:<8} {:<10} {}  {} {}, {} {}{whose}",
                        p.id,
                        crate::lang::status(lang, &status),
                        p.worker,
                        output::local(p.started_at_ms, offset),
                        p.fix_count,
                        lang.pick("fixes", "个定位点"),
                        p.flagged_count,
                        lang.pick("flagged", "个被标记"),
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
                        "unknown format {other:?}: use one of gpx, geojson"
                    )))
                }
            };
            output::line(store.export_patrol(parse_id(lang, &id)?, format)?);
        }
    }
    Ok(())
}

fn open(ctx: &Ctx) -> Result<uuid::Uuid> {
    ctx.store
        .open_patrol()?
        .ok_or_else(|| Error(ctx.lang.say(Msg::NoOpenPatrol, &[])))
}

fn parse_id(lang: Lang, id: &str) -> Result<uuid::Uuid> {
    uuid::Uuid::parse_str(id.trim()).map_err(|_| Error(lang.say(Msg::NotPatrolId, &[&id])))
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

fn print_detail(ctx: &Ctx, d: &PatrolDetail, gcj02: bool) -> Result<()> {
    let lang = ctx.lang;
    let names = ctx.names()?;
    let offset = ctx.offset()?;
    let row =
        |key: &'static str, value: String| output::line(format!("{}{value}", label(lang, key)));
    let status = format!("{:?}", d.status).to_lowercase();
    row(
        "patrol",
        format!("{} ({})", d.id, crate::lang::status(lang, &status)),
    );
    row(
        "worker",
        format!("{} {} {}", d.worker, lang.pick("on", "设备"), d.device_id),
    );
    if d.remote {
        output::line(format!(
            "{}{}",
            label(lang, lang.pick("pulled", "同步")),
            lang.pick(
                &format!(
                    "recorded on {}'s device; figures from the synced (simplified) track",
                    d.worker
                ),
                &format!("记录于 {} 的设备；数据来自同步的（简化）轨迹", d.worker),
            )
        ));
    }
    row("started", output::local(d.started_at_ms, offset));
    if let Some(end) = d.finished_at_ms {
        row("finished", output::local(end, offset));
    }
    row(
        "distance",
        match lang {
            Lang::En => format!(
                "{:.0} m in {:.0} min ({:.0} min moving)",
                d.stats.distance_m,
                d.stats.duration_s / 60.0,
                d.stats.moving_time_s / 60.0
            ),
            Lang::Zh => format!(
                "{:.0} 米，{:.0} 分钟（移动 {:.0} 分钟）",
                d.stats.distance_m,
                d.stats.duration_s / 60.0,
                d.stats.moving_time_s / 60.0
            ),
        },
    );
    row(
        "fixes",
        format!(
            "{} ({} {})",
            d.stats.fix_count,
            d.integrity.flagged,
            lang.pick("flagged", "个被标记")
        ),
    );
    for reason in words::flag_reasons(lang, &d.integrity.per_flag) {
        row("flags", reason);
    }
    output::line(lang.say(Msg::Verdict, &[&words::verdict(lang, &d.integrity)]));
    for c in &d.coverage {
        row(
            "coverage",
            format!("{} {:.0}%", names.cell(&c.cell_id), c.covered_share * 100.0),
        );
    }
    for c in &d.check_ins {
        let pos = position_json(c.check_in.lat, c.check_in.lon, gcj02);
        row(
            "check-in",
            format!(
                "{} {} {}",
                output::local(c.check_in.time_ms, offset),
                pos,
                c.check_in.note.as_deref().unwrap_or("")
            ),
        );
    }
    Ok(())
}
