//! gridwork-server: the reference server of sync protocol v1 (docs/sync-protocol.md).
//!
//! Devices push the events of their outbox, pull the events of their scope, upload the
//! photos the events reference and fetch the catalogue and grid. The server
//! authenticates, scopes and validates every event with the core's own code, assigns
//! `server_seq` so that a pull can never skip a late commit, and keeps rejected events
//! in quarantine so each device's hash chain stays verifiable. Storage sits behind the
//! [`storage::Storage`] trait: SQLite (embedded default) or PostgreSQL (several
//! stateless server processes in front of one database). The supervisor console is
//! served at `/console` ([`console`]).

pub mod account;
pub mod admin;
pub mod api;
pub mod blobs;
pub mod console;
pub mod error;
pub mod judge;
pub mod projection;
pub mod storage;

pub use api::{router, router_with, AppState, Limits};
pub use console::{ConsoleOptions, TileSource};
pub use error::{ServerError, StorageError};
pub use storage::{open_storage, Storage};

use std::{net::SocketAddr, path::PathBuf, sync::Arc};

/// What `gridwork serve` needs to run a server.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Where to listen, e.g. `127.0.0.1:8080`.
    pub listen: SocketAddr,
    /// A SQLite file path or a `postgres://` URL.
    pub db: String,
    /// The folder holding uploaded photos.
    pub blobs_dir: PathBuf,
    /// Size limits.
    pub limits: Limits,
    /// The console's options (a base map).
    pub console: ConsoleOptions,
}

/// Opens the storage and the blob folder of `config` and builds the shared state.
pub async fn state(config: &ServerConfig) -> Result<AppState, ServerError> {
    let storage = open_storage(&config.db).await?;
    let blobs = Arc::new(blobs::BlobStore::open(&config.blobs_dir)?);
    tokio::spawn(blobs::sweep_hourly(Arc::downgrade(&blobs)));
    Ok(AppState {
        storage,
        blobs,
        limits: config.limits.clone(),
    })
}

/// Runs a server until Ctrl-C. `on_ready` is called with the bound address (useful
/// when listening on port 0).
pub async fn serve(
    config: ServerConfig,
    on_ready: impl FnOnce(SocketAddr),
) -> Result<(), ServerError> {
    let state = state(&config).await?;
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    on_ready(listener.local_addr()?);
    axum::serve(listener, router_with(state, &config.console))
        .with_graceful_shutdown(async {
            // If the signal handler cannot be installed, run until killed.
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        })
        .await?;
    Ok(())
}
