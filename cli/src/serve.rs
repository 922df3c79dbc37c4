//! `gridwork serve`: the reference sync server (crate gridwork-server) from the terminal.
//!
//! The catalogue and grid it hands out live in its database (`gridwork admin
//! import-catalog` / `import-grid`); `--catalog` and `--grid` import files at start as
//! a shortcut.

use crate::output::{self, anyhow_free::Error, anyhow_free::Result};
use clap::Args;
use gridwork_server::{admin, Limits, ServerConfig};
use std::{net::SocketAddr, path::PathBuf, process::ExitCode};

/// Arguments of `gridwork serve`.
#[derive(Args)]
pub struct ServeArgs {
    /// A SQLite file (created if missing) or a postgres:// URL.
    #[arg(long, env = "GRIDWORK_DB")]
    db: String,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Folder for uploaded photos [default: `<db>.blobs` beside a SQLite file; required
    /// with PostgreSQL, and shared by every server process].
    #[arg(long)]
    blobs: Option<PathBuf>,
    /// Import this catalogue JSON into the database before serving.
    #[arg(long)]
    catalog: Option<PathBuf>,
    /// Import this grid GeoJSON into the database before serving.
    #[arg(long)]
    grid: Option<PathBuf>,
}

/// Runs `gridwork serve`.
pub fn run(args: ServeArgs) -> Result<ExitCode> {
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .try_init();
    let postgres = args.db.starts_with("postgres://") || args.db.starts_with("postgresql://");
    let blobs_dir = match (args.blobs, postgres) {
        (Some(dir), _) => dir,
        (None, false) => PathBuf::from(format!("{}.blobs", args.db)),
        (None, true) => {
            return Err(Error(
                "--blobs DIR is needed with PostgreSQL (a folder every server process shares)"
                    .into(),
            ))
        }
    };
    let config = ServerConfig {
        listen: args.listen,
        db: args.db,
        blobs_dir,
        limits: Limits::default(),
    };
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        if args.catalog.is_some() || args.grid.is_some() {
            let storage = gridwork_server::open_storage(&config.db).await?;
            if let Some(path) = &args.catalog {
                admin::import_catalog(storage.as_ref(), &std::fs::read_to_string(path)?).await?;
            }
            if let Some(path) = &args.grid {
                admin::import_grid(storage.as_ref(), &std::fs::read_to_string(path)?).await?;
            }
        }
        gridwork_server::serve(config, |addr| {
            output::line(format!("gridwork server listening on http://{addr}"))
        })
        .await?;
        Ok::<_, Error>(())
    })?;
    Ok(ExitCode::SUCCESS)
}
