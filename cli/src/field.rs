//! `gridwork field`: a device's local store from the terminal.

use crate::lang::{Lang, Msg};
use crate::names::Names;
use crate::output::{self, anyhow_free::Error, anyhow_free::Result};
use clap::{Args, Subcommand};
use gridwork_core::{model::Role, store::ActionKind, Store};
use serde_json::json;
use std::{path::PathBuf, process::ExitCode};

/// Arguments of `gridwork field`.
#[derive(Args)]
pub struct FieldArgs {
    /// The store's folder. Only `init` (or any command with --create) makes a new one:
    /// a mistyped path is an error.
    #[arg(long, env = "GRIDWORK_STORE")]
    store: PathBuf,
    /// Make the store if the folder holds none (what `init` always does).
    #[arg(long, global = true)]
    create: bool,
    /// zh or en; default from LC_ALL, LC_MESSAGES or LANG (English when unknown).
    #[arg(long, global = true, env = "GRIDWORK_LANG")]
    lang: Option<String>,
    /// Print only ids (of a new case, patrol or check-in), for scripts; nothing for
    /// commands that make none.
    #[arg(long, short, global = true)]
    quiet: bool,
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
    /// Find category codes: by code prefix or by name (Chinese or English).
    Categories {
        /// A code prefix or part of a name; all categories without one.
        search: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Find cell codes: by code prefix or by the name of a cell, street or community.
    Cells {
        /// A code prefix or part of a name; all cells without one.
        search: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Report a problem; says what was recorded (only the new case id with --quiet).
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
        /// Only this status (reported, registered, dispatched, handled, verified,
        /// suspended, closed, cancelled); `rejected`: only cases with a step or report
        /// the server refused.
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
    /// How long closed cases and finished patrols are kept here once the server holds
    /// them; purge what is older.
    Retention(crate::retention_cmd::RetentionArgs),
    /// Photo settings (size at capture, cache budget), eviction, and full-size
    /// downloads.
    Photos(crate::photos_cmd::PhotosArgs),
    /// Sign this store in to a sync server (a token, or a user and password).
    Login(crate::sync_cmd::LoginArgs),
    /// Push pending events and photos, pull others' events; exits 4 when the run did
    /// not finish.
    Sync(crate::sync_cmd::SyncArgs),
}

/// What every `gridwork field` command works with.
pub struct Ctx {
    /// The open store.
    pub store: Store,
    /// The language people are spoken to in.
    pub lang: Lang,
    /// Only ids on stdout.
    pub quiet: bool,
}

impl Ctx {
    /// The store's catalogue and grid, for names beside codes.
    pub fn names(&self) -> Result<Names> {
        Names::load(&self.store, self.lang)
    }

    /// The city's offset from UTC in minutes (the catalogue's calendar).
    pub fn offset(&self) -> Result<i32> {
        Ok(self.store.calendar()?.utc_offset_minutes())
    }

    /// A line for people, left out with `--quiet`.
    pub fn tell(&self, text: impl AsRef<str>) {
        if !self.quiet {
            output::line(text);
        }
    }

    /// A confirmation: the text for people, or only the id with `--quiet`.
    pub fn confirm(&self, id: impl std::fmt::Display, text: impl AsRef<str>) {
        if self.quiet {
            output::line(id.to_string());
        } else {
            output::line(text);
        }
    }
}

/// Runs `gridwork field`.
pub fn run(args: FieldArgs) -> Result<ExitCode> {
    let lang = Lang::detect(args.lang.as_deref())?;
    let creates = args.create || matches!(args.command, FieldCommand::Init { .. });
    if !creates && !args.store.join(gridwork_core::db::DB_FILE).is_file() {
        return Err(Error(lang.say(Msg::NoStore, &[&args.store.display()])));
    }
    let ctx = Ctx {
        store: Store::open(&args.store)?,
        lang,
        quiet: args.quiet,
    };
    run_command(&ctx, args.command).map_err(|e| Error(one_spelling(&e.0)))
}

fn run_command(ctx: &Ctx, command: FieldCommand) -> Result<ExitCode> {
    let store = &ctx.store;
    let lang = ctx.lang;
    match command {
        FieldCommand::Login(a) => return crate::sync_cmd::login(ctx, a),
        FieldCommand::Sync(a) => return crate::sync_cmd::sync(ctx, a),
        FieldCommand::Retention(a) => return crate::retention_cmd::run(ctx, a),
        FieldCommand::Photos(a) => return crate::photos_cmd::run(ctx, a),
        FieldCommand::Init {
            user,
            role,
            department,
        } => {
            let role: Role = role.parse()?;
            store.init(&user, role)?;
            let id = store.set_department(department.as_deref())?;
            ctx.tell(format!(
                "store {} is {} ({}) on device {}",
                store.dir().display(),
                id.user,
                id.role,
                id.device_id
            ));
        }
        FieldCommand::ImportGrid { file } => {
            let text = read(&file)?;
            let bar = output::spinner(&format!("importing {}", file.display()));
            let n = store.import_grid(&text);
            bar.finish_and_clear();
            ctx.tell(lang.say(Msg::GridImported, &[&n?]));
        }
        FieldCommand::ImportCatalog { file } => {
            let text = read(&file)?;
            let bar = output::spinner(&format!("importing {}", file.display()));
            let n = store.import_catalog(&text);
            bar.finish_and_clear();
            ctx.tell(lang.say(Msg::CatalogImported, &[&n?]));
        }
        FieldCommand::Categories { search, json } => {
            crate::lookup_cmd::categories(ctx, search.as_deref(), json)?
        }
        FieldCommand::Cells { search, json } => {
            crate::lookup_cmd::cells(ctx, search.as_deref(), json)?
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
        } => crate::cases_cmd::report(
            ctx,
            crate::cases_cmd::Draft {
                category,
                lat,
                lon,
                text,
                accuracy,
                address,
                urgent,
                photos,
            },
            json,
        )?,
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
            let filter = crate::cases_cmd::filter(lang, cell, status, overdue, assignee, search)?;
            crate::cases_cmd::list(ctx, &filter, limit, json, gcj02)?
        }
        FieldCommand::Show { id, json, gcj02 } => {
            crate::cases_cmd::show(ctx, parse_id(lang, &id)?, json, gcj02)?
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
            let id = parse_id(lang, &id)?;
            let conflict = conflict.as_deref().map(|c| parse_id(lang, c)).transpose()?;
            let request = gridwork_core::store::ActionRequest {
                kind: parse_action(lang, &action)?,
                note,
                department: to,
                photos,
                extend: extend_hours
                    .map(gridwork_core::calendar::TimeLimit::WorkingHours)
                    .or(extend_days.map(gridwork_core::calendar::TimeLimit::WorkingDays)),
                as_role: as_role.map(|r| r.parse::<Role>()).transpose()?,
                position: lat.zip(lon),
                conflict,
            };
            crate::cases_cmd::act(ctx, id, &request, json)?
        }
        FieldCommand::Counts { cell, json } => crate::cases_cmd::counts(ctx, cell, json)?,
        FieldCommand::Patrol(cmd) => crate::patrol_cmd::run(ctx, cmd)?,
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

fn read(path: &PathBuf) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| Error(format!("cannot read {}: {e}", path.display())))
}

/// A case id, or an error saying it is none.
pub fn parse_id(lang: Lang, id: &str) -> Result<uuid::Uuid> {
    uuid::Uuid::parse_str(id.trim()).map_err(|_| Error(lang.say(Msg::NotCaseId, &[&id])))
}

/// An action's name as people type it (`verify-pass`).
pub fn action_name(kind: ActionKind) -> String {
    kind.as_str().replace('_', "-")
}

/// An action by name (`verify-pass`; `verify_pass` is taken too), or an error listing
/// every action in the one spelling the help uses.
fn parse_action(lang: Lang, name: &str) -> Result<ActionKind> {
    let wanted = name.trim().replace('_', "-");
    ActionKind::ALL
        .into_iter()
        .find(|a| action_name(*a) == wanted)
        .ok_or_else(|| {
            let all: Vec<String> = ActionKind::ALL.into_iter().map(action_name).collect();
            Error(lang.say(Msg::UnknownAction, &[&name, &all.join(", ")]))
        })
}

/// The core names actions with underscores (`verify_pass`); the shell's messages use
/// the spelling people type (`verify-pass`) and no other.
fn one_spelling(message: &str) -> String {
    let mut out = message.to_string();
    for kind in ActionKind::ALL {
        if kind.as_str().contains('_') {
            out = out.replace(kind.as_str(), &action_name(kind));
        }
    }
    out
}
