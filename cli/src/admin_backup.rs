//! `gridwork admin backup`, `restore` and `new-incarnation` (docs/operations.md,
//! "Backup and restore").

use crate::output::{self, anyhow_free::Error, anyhow_free::Result};
use clap::Subcommand;
use std::path::{Path, PathBuf};

/// The backup commands of `gridwork admin`; they run before the database is opened
/// (neither copying nor replacing one should migrate it).
#[derive(Subcommand)]
pub enum BackupCommand {
    /// Back up a SQLite database and its photos into a new folder, safely while the
    /// server is running (SQLite's online backup API; the photos after the database).
    Backup {
        /// The photo folder [default: `<db>.blobs`].
        #[arg(long)]
        blobs: Option<PathBuf>,
        /// The backup folder to create (an existing one must be empty).
        out: PathBuf,
    },
    /// Restore a backup folder into a SQLite database with the server stopped: checks
    /// the backup first, gives the database a new incarnation so devices push again
    /// what the backup lacks, and adds the photos to the photo folder.
    Restore {
        /// The photo folder [default: `<db>.blobs`].
        #[arg(long)]
        blobs: Option<PathBuf>,
        /// Replace an existing database (never one a running server holds open).
        #[arg(long)]
        force: bool,
        /// The backup folder.
        backup: PathBuf,
    },
    /// Give the database a new incarnation: run it after restoring a PostgreSQL
    /// database with pg_restore, before starting the servers, so devices push again
    /// what the dump lacks.
    NewIncarnation,
}

fn blobs_of(db: &str, blobs: Option<PathBuf>) -> PathBuf {
    blobs.unwrap_or_else(|| PathBuf::from(format!("{db}.blobs")))
}

fn sqlite_only(db: &str) -> Result<()> {
    if db.starts_with("postgres://") || db.starts_with("postgresql://") {
        return Err(Error(
            "backup and restore copy SQLite files; for PostgreSQL use pg_dump and pg_restore, \
             then `gridwork admin new-incarnation` (docs/operations.md)"
                .into(),
        ));
    }
    Ok(())
}

/// Runs a backup command against `db`.
pub fn run(db: &str, command: BackupCommand) -> Result<()> {
    match command {
        BackupCommand::Backup { blobs, out } => {
            sqlite_only(db)?;
            let m = gridwork_server::backup::backup(Path::new(db), &blobs_of(db, blobs), &out)?;
            output::line(format!(
                "backed up {} events (server_seq up to {}) and {} photos ({} bytes) into {}",
                m.events,
                m.max_server_seq,
                m.photos,
                m.photo_bytes,
                out.display()
            ));
            if m.photos_skipped > 0 {
                output::line(format!(
                    "{} files of the photo folder do not match their names and were left out",
                    m.photos_skipped
                ));
            }
        }
        BackupCommand::Restore {
            blobs,
            force,
            backup,
        } => {
            sqlite_only(db)?;
            let r = gridwork_server::backup::restore(
                &backup,
                Path::new(db),
                &blobs_of(db, blobs),
                force,
            )?;
            output::line(format!(
                "restored {} events (server_seq up to {}) into {}; {} photos added; \
                 new incarnation {}: devices push again what the backup lacks at their next sync",
                r.manifest.events, r.manifest.max_server_seq, db, r.photos_added, r.incarnation
            ));
        }
        BackupCommand::NewIncarnation => {
            let runtime = tokio::runtime::Runtime::new()?;
            let id = runtime.block_on(async {
                let storage = gridwork_server::open_storage(db).await?;
                gridwork_server::incarnation::renew(storage.as_ref()).await
            })?;
            output::line(format!("new incarnation {id}"));
        }
    }
    Ok(())
}
