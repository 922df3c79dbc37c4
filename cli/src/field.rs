//! `gridwork field`: a device's local store from the terminal.

use crate::output::{self, anyhow_free::Error, anyhow_free::Result};
use clap::{Args, Subcommand};
use gridwork_core::{
    calendar::TimeLimit,
    db::{CaseSummary, ListFilter},
    model::{Role, Urgency},
    store::{ActionKind, ActionRequest, CaseDetail, ReportDraft, SyncState},
    workflow::Status,
    Store,
};
use serde_json::json;
use std::{path::PathBuf, process::ExitCode};

/// Arguments of `gridwork field`.
#[derive(Args)]
pub struct FieldArgs {
    /// The store's folder (created if missing).
    #[arg(long, env = "GRIDWORK_STORE")]
    store: PathBuf,
    #[command(subcommand)]
    command: FieldCommand,
}

#[derive(Subcommand)]
enum FieldCommand {
    /// Set who uses this store: user, role and device id.
    Init {
        /// The user's account name.
        #[arg(long)]
        user: String,
        /// worker, supervisor, handler, intake, dispatcher or shift_lead.
        #[arg(long)]
        role: String,
        /// For a handler: the department it acts for (set by `login` from a
        /// department account's scope, too).
        #[arg(long)]
        department: Option<String>,
    },
    /// Replace the grid cells with a GeoJSON FeatureCollection.
    ImportGrid {
        /// The GeoJSON file.
        file: PathBuf,
    },
    /// Replace the catalogue (categories, departments, calendar) with a JSON file.
    ImportCatalog {
        /// The catalogue file.
        file: PathBuf,
    },
    /// Report a problem; prints the new case id.
    Report {
        /// Category code from the catalogue.
        #[arg(long)]
        category: String,
        /// WGS-84 latitude.
        #[arg(long, allow_hyphen_values = true)]
        lat: f64,
        /// WGS-84 longitude.
        #[arg(long, allow_hyphen_values = true)]
        lon: f64,
        /// What you saw.
        #[arg(long)]
        text: String,
        /// Horizontal accuracy in metres.
        #[arg(long)]
        accuracy: Option<f64>,
        /// Address text.
        #[arg(long)]
        address: Option<String>,
        /// Mark as urgent.
        #[arg(long)]
        urgent: bool,
        /// A photo file to attach (repeatable).
        #[arg(long = "photo")]
        photos: Vec<PathBuf>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List cases, newest first.
    List {
        /// A cell code or a prefix of one (district, street, community).
        #[arg(long)]
        cell: Option<String>,
        /// Only this status; `rejected`: only cases with a step or report the server
        /// refused.
        #[arg(long)]
        status: Option<String>,
        /// Only cases past their deadline.
        #[arg(long)]
        overdue: bool,
        /// Only cases with this department or handler.
        #[arg(long)]
        assignee: Option<String>,
        /// Full-text search in descriptions and addresses.
        #[arg(long)]
        search: Option<String>,
        /// How many rows at most.
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// Also give positions in GCJ-02 (for Chinese base maps).
        #[arg(long)]
        gcj02: bool,
    },
    /// Show one case with its timeline.
    Show {
        /// The case id.
        id: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// Also give the position in GCJ-02 (for Chinese base maps).
        #[arg(long)]
        gcj02: bool,
    },
    /// Take a workflow action on a case.
    Act {
        /// The case id.
        id: String,
        /// register, cancel, dispatch, handle, verify-pass, verify-fail, close, return,
        /// postpone, suspend, resume, self-resolve, reopen, check, sign, apply-return,
        /// apply-postpone, apply-suspend, approve, refuse, urge, supervise, assist,
        /// resolve-conflict.
        action: String,
        /// For resolve-conflict: the id of the event flagged as a conflict.
        #[arg(long)]
        conflict: Option<String>,
        /// Department id, for dispatch (default the category's) and assist.
        #[arg(long)]
        to: Option<String>,
        /// Note or reason.
        #[arg(long)]
        note: Option<String>,
        /// A photo file to attach (repeatable).
        #[arg(long = "photo")]
        photos: Vec<PathBuf>,
        /// Act in another role than the signed-in one.
        #[arg(long)]
        as_role: Option<String>,
        /// For postpone: extra working hours.
        #[arg(long, conflicts_with = "extend_days")]
        extend_hours: Option<u32>,
        /// For postpone: extra working days.
        #[arg(long)]
        extend_days: Option<u32>,
        /// For verification: where you stand, latitude (WGS-84).
        #[arg(long, requires = "lon")]
        lat: Option<f64>,
        /// For verification: where you stand, longitude (WGS-84).
        #[arg(long, requires = "lat")]
        lon: Option<f64>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Number of cases per status.
    Counts {
        /// A cell code or prefix.
        #[arg(long)]
        cell: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Patrols: start, fixes, check-ins, pause/resume/finish, show, export.
    #[command(subcommand)]
    Patrol(crate::patrol_cmd::PatrolCommand),
    /// Check the hash chains of the event log; exits 3 when one is broken.
    VerifyLog {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Sign this store in to a sync server (a token, or a user and password).
    Login(crate::sync_cmd::LoginArgs),
    /// Push pending events and photos, pull others' events; exits 4 when the run did
    /// not finish.
    Sync(crate::sync_cmd::SyncArgs),
}

/// Runs `gridwork field`.
pub fn run(args: FieldArgs) -> Result<ExitCode> {
    let store = Store::open(&args.store)?;
    match args.command {
        FieldCommand::Login(a) => return crate::sync_cmd::login(&store, a),
        FieldCommand::Sync(a) => return crate::sync_cmd::sync(&store, a),
        FieldCommand::Init {
            user,
            role,
            department,
        } => {
            let role: Role = role.parse()?;
            store.init(&user, role)?;
            let id = store.set_department(department.as_deref())?;
            output::line(format!(
                "store {} is {} ({}) on device {}",
                store.dir().display(),
                id.user,
                id.role,
                id.device_id
            ));
        }
        FieldCommand::ImportGrid { file } => {
            let n = store.import_grid(&read(&file)?)?;
            output::line(format!("imported {n} grid cells"));
        }
        FieldCommand::ImportCatalog { file } => {
            let n = store.import_catalog(&read(&file)?)?;
            output::line(format!("imported {n} categories"));
        }
        FieldCommand::Report {
            category,
            lat,
            lon,
            text,
            accuracy,
            address,
            urgent,
            photos,
            json,
        } => {
            let id = store.report(&ReportDraft {
                category,
                lat,
                lon,
                accuracy_m: accuracy,
                description: text,
                address,
                urgency: if urgent {
                    Urgency::Urgent
                } else {
                    Urgency::Normal
                },
                photos,
                patrol: None,
            })?;
            if json {
                let detail = store.case(id)?;
                output::json(
                    &json!({"id": id, "status": detail.case.status, "cell": detail.case.cell()}),
                )?;
            } else {
                output::line(id.to_string());
            }
        }
        FieldCommand::List {
            cell,
            status,
            overdue,
            assignee,
            search,
            limit,
            json,
            gcj02,
        } => {
            let rejected = status.as_deref() == Some("rejected");
            let filter = ListFilter {
                cell_prefix: cell,
                status: status
                    .filter(|_| !rejected)
                    .map(|s| s.parse::<Status>())
                    .transpose()?,
                overdue,
                assignee,
                search,
                rejected,
            };
            let page = store.list(&filter, None, limit)?;
            if json {
                let items: Vec<_> = page
                    .items
                    .iter()
                    .map(|c| with_gcj02(summary_json(c), c.lat, c.lon, gcj02))
                    .collect();
                output::json(&json!({"items": items, "more": page.next.is_some()}))?;
            } else {
                let offset = store.calendar()?.utc_offset_minutes();
                for c in &page.items {
                    let mut line = summary_line(c, offset);
                    if gcj02 {
                        let g = gridwork_core::geo::wgs84_to_gcj02(
                            gridwork_core::geo::LatLon::new(c.lat, c.lon),
                        );
                        line.push_str(&format!("  gcj02 {:.6},{:.6}", g.lat, g.lon));
                    }
                    output::line(line);
                }
                if page.next.is_some() {
                    output::line(format!(
                        "… more; raise --limit (showing {})",
                        page.items.len()
                    ));
                }
            }
        }
        FieldCommand::Show { id, json, gcj02 } => {
            let detail = store.case(parse_id(&id)?)?;
            if json {
                let (lat, lon) = (detail.case.report.lat, detail.case.report.lon);
                output::json(&with_gcj02(detail_json(&detail), lat, lon, gcj02))?;
            } else {
                print_detail(&detail, store.calendar()?.utc_offset_minutes());
                // The category's 立案条件 and 结案条件, for whoever registers or closes it.
                if let Some(c) = store
                    .catalog()?
                    .and_then(|k| k.get(detail.case.category()).cloned())
                {
                    for (label, text) in [
                        ("register if", &c.registration_condition),
                        ("close if", &c.closing_condition),
                    ] {
                        if !text.is_empty() {
                            output::line(format!("{label:<10}{text}"));
                        }
                    }
                }
                if gcj02 {
                    let g = gridwork_core::geo::wgs84_to_gcj02(gridwork_core::geo::LatLon::new(
                        detail.case.report.lat,
                        detail.case.report.lon,
                    ));
                    output::line(format!("gcj-02    {:.6}, {:.6}", g.lat, g.lon));
                }
            }
        }
        FieldCommand::Act {
            id,
            action,
            to,
            note,
            photos,
            as_role,
            extend_hours,
            extend_days,
            lat,
            lon,
            conflict,
            json,
        } => {
            let id = parse_id(&id)?;
            let conflict = conflict.as_deref().map(parse_id).transpose()?;
            let request = ActionRequest {
                kind: ActionKind::parse(&action)?,
                note,
                department: to,
                photos,
                extend: extend_hours
                    .map(TimeLimit::WorkingHours)
                    .or(extend_days.map(TimeLimit::WorkingDays)),
                as_role: as_role.map(|r| r.parse::<Role>()).transpose()?,
                position: lat.zip(lon),
                conflict,
            };
            let case = store.act(id, &request)?;
            if json {
                output::json(&detail_json(&store.case(id)?))?;
            } else {
                output::line(format!("{id} is now {}", case.status));
            }
        }
        FieldCommand::Counts { cell, json } => {
            let filter = ListFilter {
                cell_prefix: cell,
                ..ListFilter::default()
            };
            let counts = store.counts(&filter)?;
            let rejected = store.rejected_cases(&filter)?;
            if json {
                let mut v = serde_json::to_value(&counts)?;
                if rejected > 0 {
                    v["rejected"] = json!(rejected);
                }
                output::json(&v)?;
            } else {
                for (status, n) in counts {
                    output::line(format!("{:<11} {n}", status.as_str()));
                }
                if rejected > 0 {
                    output::line(format!(
                        "{:<11} {rejected} (cases with a step or report the server refused)",
                        "rejected"
                    ));
                }
            }
        }
        FieldCommand::Patrol(cmd) => crate::patrol_cmd::run(&store, cmd)?,
        FieldCommand::VerifyLog { json } => {
            let report = store.verify_log()?;
            if json {
                output::json(&json!({"intact": report.is_intact(), "devices": report.devices}))?;
            } else {
                for d in &report.devices {
                    let mark = if d.problems.is_empty() {
                        "ok"
                    } else {
                        "BROKEN"
                    };
                    let own = if d.own { " (this device)" } else { "" };
                    output::line(format!(
                        "{mark:<6} {}{own}: {} events",
                        d.device_id, d.events
                    ));
                    for p in &d.problems {
                        output::line(format!("       - {p}"));
                    }
                }
            }
            if !report.is_intact() {
                return Ok(ExitCode::from(3));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Adds a `gcj02` position beside the stored WGS-84 one, for display on Chinese maps.
fn with_gcj02(mut v: serde_json::Value, lat: f64, lon: f64, gcj02: bool) -> serde_json::Value {
    if gcj02 {
        v["gcj02"] = crate::patrol_cmd::position_json(lat, lon, true)["gcj02"].clone();
    }
    v
}

fn read(path: &PathBuf) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| Error(format!("cannot read {}: {e}", path.display())))
}

fn parse_id(id: &str) -> Result<uuid::Uuid> {
    uuid::Uuid::parse_str(id.trim()).map_err(|_| Error(format!("{id:?} is not a case id")))
}

fn summary_json(c: &CaseSummary) -> serde_json::Value {
    json!({
        "id": c.id,
        "status": c.status,
        "category": c.category,
        "cell": c.cell,
        "lat": c.lat,
        "lon": c.lon,
        "description": c.description,
        "reporter": c.reporter,
        "department": c.department,
        "reported_at": output::rfc3339(c.reported_at_ms),
        "deadline": c.deadline_ms.map(output::rfc3339),
        "overdue": c.overdue,
        "rework_count": c.rework_count,
        "conflict_count": c.conflict_count,
        "rejected_count": c.rejected_count,
        "rejection": c.rejection,
        "report_rejected": c.report_rejected,
    })
}

fn summary_line(c: &CaseSummary, offset: i32) -> String {
    let mut flags = String::new();
    if c.overdue {
        flags.push_str(" OVERDUE");
    }
    if c.conflict_count > 0 {
        flags.push_str(" CONFLICT");
    }
    if let Some(why) = &c.rejection {
        flags.push_str(&format!(" REJECTED {}", truncate(why, 80)));
    }
    // A report the server refused is no case waiting for the centre.
    let status = if c.report_rejected {
        "rejected"
    } else {
        c.status.as_str()
    };
    format!(
        "{}  {:<10} {} {:<14} {}  {}{flags}",
        c.id,
        status,
        c.category,
        c.cell.as_deref().unwrap_or("(outside grid)"),
        output::local(c.reported_at_ms, offset),
        truncate(&c.description, 40),
    )
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(n).collect::<String>())
    }
}

fn detail_json(d: &CaseDetail) -> serde_json::Value {
    let c = &d.case;
    json!({
        "id": c.id,
        "status": c.status,
        "report_rejected": d.report_rejected,
        "category": c.report.category,
        "cell": c.report.cell,
        "outside_grid": c.report.cell.is_none(),
        "lat": c.report.lat,
        "lon": c.report.lon,
        "accuracy_m": c.report.accuracy_m,
        "description": c.report.description,
        "address": c.report.address,
        "urgency": c.report.urgency,
        "reporter": c.reporter,
        "reported_at": output::rfc3339(c.reported_at_ms),
        "department": c.department,
        "handler": c.handler,
        "deadline": c.deadline_ms.map(output::rfc3339),
        "overdue": d.overdue,
        "rework_count": c.rework_count,
        "postpone_count": c.postpone_count,
        "resolution": c.resolution,
        "photos": c.photos,
        "conflicts": c.conflicts.iter().map(|k| json!({
            "event_id": k.event_id,
            "kind": k.kind,
            "actor": k.actor,
            "device_id": k.device_id,
            "at": output::rfc3339(k.at_ms),
            "reason": k.reason,
        })).collect::<Vec<_>>(),
        "timeline": d.timeline.iter().map(|t| json!({
            "event_id": t.event_id,
            "kind": t.kind,
            "at": output::rfc3339(t.at_ms),
            "actor": t.actor,
            "device_id": t.device_id,
            "payload": t.payload,
            "conflict": t.conflict,
            "sync": t.sync,
        })).collect::<Vec<_>>(),
    })
}

fn print_detail(d: &CaseDetail, offset: i32) {
    let c = &d.case;
    output::line(format!("case      {}", c.id));
    match &d.report_rejected {
        Some(reason) => output::line(format!(
            "status    REJECTED: the server refused the report ({reason}); \
             kept on this device only"
        )),
        None => output::line(format!(
            "status    {}{}",
            c.status,
            if d.overdue { "  (OVERDUE)" } else { "" }
        )),
    }
    output::line(format!("category  {}", c.report.category));
    output::line(format!(
        "cell      {}",
        c.report
            .cell
            .as_deref()
            .unwrap_or("outside every grid cell")
    ));
    output::line(format!(
        "where     {:.6}, {:.6}",
        c.report.lat, c.report.lon
    ));
    output::line(format!("what      {}", c.report.description));
    output::line(format!(
        "reported  {} by {}",
        output::local(c.reported_at_ms, offset),
        c.reporter
    ));
    if let Some(dept) = &c.department {
        output::line(format!("dept      {dept}"));
    }
    if let Some(deadline) = c.deadline_ms {
        output::line(format!("deadline  {}", output::local(deadline, offset)));
    }
    output::line(format!("rework    {}", c.rework_count));
    for k in &c.conflicts {
        output::line(format!(
            "CONFLICT  {} by {} on {}: {}",
            k.kind, k.actor, k.device_id, k.reason
        ));
    }
    for t in &d.timeline {
        if let SyncState::Rejected(reason) = &t.sync {
            output::line(format!(
                "REJECTED  {} by {} on {}: {reason} (not applied)",
                t.kind, t.actor, t.device_id
            ));
        }
    }
    output::line("timeline:");
    for t in &d.timeline {
        let mark = match (&t.sync, t.conflict) {
            (SyncState::Rejected(_), _) => " [rejected by the server]",
            (_, true) => " [conflict]",
            _ => "",
        };
        output::line(format!(
            "  {}  {:<30} {}{mark}",
            output::local(t.at_ms, offset),
            t.kind,
            t.actor
        ));
    }
}
