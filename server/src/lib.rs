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
pub mod acting;
pub mod admin;
pub mod api;
pub mod backup;
pub mod blobs;
pub mod console;
pub mod error;
pub mod evaluation;
pub mod health;
pub mod incarnation;
pub mod judge;
pub mod mapview;
pub mod metrics;
pub mod open311;
pub mod params;
pub mod patrol_evaluation;
pub mod patrol_query;
pub mod patrols;
pub mod projection;
pub mod query;
pub mod ratelimit;
pub mod signin;
pub mod storage;
pub mod tls;

pub use api::{router, router_with, AppState, Limits};
pub use console::{ConsoleOptions, TileSource};
pub use error::{ServerError, StorageError};
pub use storage::{open_storage, Storage};

use hyper_util::rt::{TokioIo, TokioTimer};
use std::{future::Future, net::SocketAddr, path::PathBuf, sync::Arc, time::Duration};

/// What `gridwork serve` needs to run a server.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Where to listen, e.g. `127.0.0.1:8080`.
    pub listen: SocketAddr,
    /// A SQLite file path or a `postgres://` URL.
    pub db: String,
    /// The folder holding uploaded photos.
    pub blobs_dir: PathBuf,
    /// An S3-compatible bucket holding the photos instead of `blobs_dir`.
    pub blobs_s3: Option<blobs::S3Options>,
    /// Sizes, rates, token lifetime, timeouts.
    pub limits: Limits,
    /// The console's options (a base map).
    pub console: ConsoleOptions,
    /// Open311: forwarding, and how long residents' contact details are kept.
    pub open311: open311::Open311Options,
}

/// Opens the storage and the blob folder of `config` and builds the shared state.
pub async fn state(config: &ServerConfig) -> Result<AppState, ServerError> {
    let storage = open_storage(&config.db).await?;
    let blobs = Arc::new(match &config.blobs_s3 {
        Some(s3) => blobs::BlobStore::open_s3(s3)?,
        None => blobs::BlobStore::open(&config.blobs_dir)?,
    });
    tokio::spawn(blobs::sweep_hourly(Arc::downgrade(&blobs)));
    Ok(AppState::new(storage, blobs, config.limits.clone()))
}

/// Runs a server until Ctrl-C or SIGTERM, then stops accepting connections and lets the
/// requests in flight finish (pushes commit and are answered) for at most
/// `limits.shutdown_grace`. `on_ready` is called with the bound address (useful when
/// listening on port 0).
pub async fn serve(
    config: ServerConfig,
    on_ready: impl FnOnce(SocketAddr),
) -> Result<(), ServerError> {
    serve_with_tls(config, None, on_ready).await
}

/// [`serve`], speaking HTTPS when `tls` is given ([`tls::acceptor`]).
pub async fn serve_with_tls(
    config: ServerConfig,
    tls: Option<tls::TlsAcceptor>,
    on_ready: impl FnOnce(SocketAddr),
) -> Result<(), ServerError> {
    let state = state(&config).await?;
    open311::start_background(&state.storage, &config.open311)?;
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    on_ready(listener.local_addr()?);
    let header_read_timeout = config.limits.header_read_timeout;
    let grace = config.limits.shutdown_grace;
    serve_loop(
        listener,
        tls,
        router_with(state, &config.console),
        header_read_timeout,
        shutdown_signal(),
        Some(grace),
    )
    .await?;
    tracing::info!("stopped");
    Ok(())
}

/// Completes on Ctrl-C (SIGINT) or SIGTERM (what systemd and container runtimes send).
/// If no handler can be installed, never.
pub async fn shutdown_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => tracing::info!("interrupted: finishing the requests in flight"),
        () = terminate => tracing::info!("terminated: finishing the requests in flight"),
    }
}

/// Serves `app` on `listener` (HTTP/1.1) until `shutdown` completes, then lets the open
/// requests finish. Each request carries the peer's `ConnectInfo<SocketAddr>`. A
/// connection that takes longer than `header_read_timeout` to send a request header
/// (counted from when it is ready for one: just accepted, or idle after an answer) is
/// closed, so neither slow headers nor idle keep-alive connections hold a socket.
pub async fn serve_listener(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    header_read_timeout: Duration,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    serve_listener_with(listener, app, header_read_timeout, shutdown, None).await
}

/// [`serve_listener`], waiting at most `grace` (`None`: as long as it takes) for the
/// requests in flight once `shutdown` completed. The listener is closed first, so new
/// connections are refused while they finish.
pub async fn serve_listener_with(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    header_read_timeout: Duration,
    shutdown: impl Future<Output = ()>,
    grace: Option<Duration>,
) -> std::io::Result<()> {
    serve_loop(listener, None, app, header_read_timeout, shutdown, grace).await
}

/// [`serve_listener_with`] over TLS: each connection's handshake must finish within
/// `header_read_timeout`; one that fails (a plain-HTTP client, an unknown CA) is closed
/// and logged at debug level, and never reaches the router.
pub async fn serve_tls_listener(
    listener: tokio::net::TcpListener,
    tls: tls::TlsAcceptor,
    app: axum::Router,
    header_read_timeout: Duration,
    shutdown: impl Future<Output = ()>,
    grace: Option<Duration>,
) -> std::io::Result<()> {
    serve_loop(
        listener,
        Some(tls),
        app,
        header_read_timeout,
        shutdown,
        grace,
    )
    .await
}

async fn serve_loop(
    listener: tokio::net::TcpListener,
    tls: Option<tls::TlsAcceptor>,
    app: axum::Router,
    header_read_timeout: Duration,
    shutdown: impl Future<Output = ()>,
    grace: Option<Duration>,
) -> std::io::Result<()> {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout)
        .keep_alive(true);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Out of file descriptors and the like: wait a little, go on.
                    tracing::warn!("accepting a connection failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let service =
            hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
                req.extensions_mut()
                    .insert(axum::extract::ConnectInfo(peer));
                let mut app = app.clone();
                // Router is always ready: `call` needs no `poll_ready` first.
                tower_service::Service::call(&mut app, req)
            });
        match &tls {
            None => {
                let conn = graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
                tokio::spawn(async move {
                    if let Err(e) = conn.await {
                        tracing::debug!(%peer, "connection ended: {e}");
                    }
                });
            }
            Some(tls) => {
                // The handshake runs in the connection's own task; the connection is
                // watched for shutdown from then on (a handshake cut by shutdown had
                // sent no request).
                let (tls, builder, watcher) = (tls.clone(), builder.clone(), graceful.watcher());
                tokio::spawn(async move {
                    let stream =
                        match tokio::time::timeout(header_read_timeout, tls.accept(stream)).await {
                            Ok(Ok(stream)) => stream,
                            Ok(Err(e)) => {
                                tracing::debug!(%peer, "TLS handshake failed: {e}");
                                return;
                            }
                            Err(_) => {
                                tracing::debug!(%peer, "TLS handshake timed out");
                                return;
                            }
                        };
                    let conn =
                        watcher.watch(builder.serve_connection(TokioIo::new(stream), service));
                    if let Err(e) = conn.await {
                        tracing::debug!(%peer, "connection ended: {e}");
                    }
                });
            }
        }
    }
    drop(listener);
    match grace {
        None => graceful.shutdown().await,
        Some(grace) => {
            if tokio::time::timeout(grace, graceful.shutdown())
                .await
                .is_err()
            {
                tracing::warn!(
                    "requests still in flight after {grace:?}: their connections are dropped"
                );
            }
        }
    }
    Ok(())
}
