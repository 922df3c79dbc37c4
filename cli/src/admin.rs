//! `gridwork admin`: accounts, tokens, catalogue and grid of a server's database.

use crate::output::{self, anyhow_free::Result};
use clap::{Args, Subcommand};
use gridwork_server::admin;
use std::{path::PathBuf, process::ExitCode};

/// Arguments of `gridwork admin`.
#[derive(Args)]
pub struct AdminArgs {
    /// A SQLite file or a postgres:// URL.
    #[arg(long, env = "GRIDWORK_DB")]
    db: String,
    #[command(subcommand)]
    command: AdminCommand,
}

#[derive(Subcommand)]
enum AdminCommand {
    #[command(flatten)]
    User(crate::admin_users::UserCommand),
    /// Issue a bearer token for an account and print it (it is stored only hashed).
    IssueToken {
        /// The account name.
        name: String,
        /// The device the token speaks for (registered to the account now). Without it
        /// the token binds to the first device it pushes for.
        #[arg(long)]
        device: Option<String>,
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

/// Runs `gridwork admin`.
pub fn run(args: AdminArgs) -> Result<ExitCode> {
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        let storage = gridwork_server::open_storage(&args.db).await?;
        let s = storage.as_ref();
        let actor = crate::admin_users::actor();
        match args.command {
            AdminCommand::User(command) => crate::admin_users::run(s, command).await?,
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
            }
        }
        Ok(ExitCode::SUCCESS)
    })
}
