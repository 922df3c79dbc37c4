//! `gridwork admin`: accounts, tokens, catalogue and grid of a server's database.

use crate::output::{self, anyhow_free::Result};
use clap::{Args, Subcommand};
use gridwork_server::admin;
use std::{path::PathBuf, process::ExitCode};

/// Arguments of `gridwork admin`.
#[derive(Args)]
pub struct AdminArgs {
    /// A SQLite file or a postgres:// URL. A SQLite file must exist unless --create.
    #[arg(long, env = "GRIDWORK_DB")]
    db: String,
    /// Make a new SQLite database if the file does not exist (without it a mistyped
    /// path is an error, not an empty new server).
    #[arg(long)]
    create: bool,
    #[command(subcommand)]
    command: AdminCommand,
}

#[derive(Subcommand)]
enum AdminCommand {
    #[command(flatten)]
    User(crate::admin_users::UserCommand),
    #[command(flatten)]
    Device(crate::admin_devices::DeviceCommand),
    #[command(flatten)]
    Backup(crate::admin_backup::BackupCommand),
    /// Issue a bearer token for an account and print it (it is stored only hashed).
    IssueToken {
        /// The account name.
        name: String,
        /// The device the token speaks for (registered to the account now). Without it
        /// the token binds to the first device it pushes for.
        #[arg(long)]
        device: Option<String>,
    },
    /// Issue an Open311 API key for an integration account and print it (stored only
    /// hashed). Requests filed with it are cases of the given source.
    Open311Key {
        /// The integration account.
        name: String,
        /// resident (a city portal or app residents report through) or open311_partner
        /// (another city system).
        #[arg(long, default_value = "resident")]
        source: String,
    },
    /// Forget residents' contact details older than the retention allows now (the
    /// server also does this hourly).
    PurgeContacts {
        /// Days kept after the case closed.
        #[arg(long, default_value_t = 30)]
        days_after_close: u32,
        /// Days kept at most.
        #[arg(long, default_value_t = 180)]
        max_days: u32,
    },
    /// Store the catalogue (categories, departments, calendar) served at /v1/catalog.
    ImportCatalog {
        /// The catalogue JSON file.
        file: PathBuf,
    },
    /// Store the grid (GeoJSON cells) served at /v1/catalog.
    ImportGrid {
        /// The grid GeoJSON file.
        file: PathBuf,
    },
    /// Fold the server's case view again from the events it holds (after an upgrade
    /// or a restore; the server keeps it up to date by itself otherwise).
    Rebuild,
}

/// Refuses a SQLite path that names no file, unless asked to create one.
pub fn check_exists(db: &str, create: bool) -> Result<()> {
    let url = db.starts_with("postgres://") || db.starts_with("postgresql://");
    if url || create || std::path::Path::new(db).is_file() {
        return Ok(());
    }
    Err(crate::output::anyhow_free::Error(format!(
        "no database at {db}: check --db (pass --create to make a new one there)"
    )))
}

/// Runs `gridwork admin`.
pub fn run(args: AdminArgs) -> Result<ExitCode> {
    let args = match args.command {
        AdminCommand::Backup(command) => {
            crate::admin_backup::run(&args.db, command)?;
            return Ok(ExitCode::SUCCESS);
        }
        _ => args,
    };
    check_exists(&args.db, args.create)?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        let storage = gridwork_server::open_storage(&args.db).await?;
        let s = storage.as_ref();
        let actor = crate::admin_users::actor();
        match args.command {
            AdminCommand::User(command) => crate::admin_users::run(s, command).await?,
            AdminCommand::Device(command) => crate::admin_devices::run(s, command).await?,
            AdminCommand::Backup(_) => {}
            AdminCommand::IssueToken { name, device } => {
                let device = device.unwrap_or_default();
                let token = admin::issue_token(s, &name, &device).await?;
                let detail = if device.is_empty() {
                    "a token for the first device it pushes for".to_string()
                } else {
                    format!("a token for device {device}")
                };
                admin::audit(s, &actor, "token.issue", &name, &detail).await?;
                output::line(token);
            }
            AdminCommand::Open311Key { name, source } => {
                let source = gridwork_core::model::Source::parse(&source).ok_or_else(|| {
                    crate::output::anyhow_free::Error(format!(
                        "source {source:?}: resident or open311_partner expected"
                    ))
                })?;
                output::line(admin::issue_open311_key(s, &name, source).await?);
            }
            AdminCommand::PurgeContacts {
                days_after_close,
                max_days,
            } => {
                let options = gridwork_server::open311::Open311Options {
                    contact_days_after_close: days_after_close,
                    contact_max_days: max_days,
                    ..Default::default()
                };
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_millis() as i64)
                    .unwrap_or(0);
                let n = gridwork_server::open311::purge_contacts(s, &options, now).await?;
                output::line(format!("contact details forgotten: {n} requests"));
            }
            AdminCommand::ImportCatalog { file } => {
                admin::import_catalog(s, &std::fs::read_to_string(&file)?).await?;
                let detail = format!("from {}", file.display());
                admin::audit(s, &actor, "catalog.import", "", &detail).await?;
                output::line("catalogue imported");
            }
            AdminCommand::ImportGrid { file } => {
                admin::import_grid(s, &std::fs::read_to_string(&file)?).await?;
                let detail = format!("from {}", file.display());
                admin::audit(s, &actor, "grid.import", "", &detail).await?;
                output::line("grid imported");
            }
            AdminCommand::Rebuild => {
                let n = s.rebuild_cases().await?;
                output::line(format!("case view rebuilt from the events: {n} cases"));
                let n = s.rebuild_patrols().await?;
                output::line(format!("patrol view rebuilt from the events: {n} patrols"));
            }
        }
        Ok(ExitCode::SUCCESS)
    })
}
