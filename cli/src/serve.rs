//! `gridwork serve`: the reference sync server (crate gridwork-server) from the terminal.
//!
//! The catalogue and grid it hands out live in its database (`gridwork admin
//! import-catalog` / `import-grid`); `--catalog` and `--grid` import files at start as
//! a shortcut.

use crate::output::{self, anyhow_free::Error, anyhow_free::Result};
use clap::Args;
use gridwork_server::{
    admin,
    open311::{ForwardOptions, Open311Options},
    signin::SignInLimits,
    ConsoleOptions, Limits, ServerConfig, TileSource,
};
use std::{net::SocketAddr, path::PathBuf, process::ExitCode, time::Duration};

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
    /// A base map for the console at /console: a tile URL template such as
    /// `https://{s}.tile.example.org/{z}/{x}/{y}.png` (its origin is added to the
    /// console's Content-Security-Policy) [default: none, the grid cells draw on a plain
    /// background].
    #[arg(long, env = "GRIDWORK_CONSOLE_TILES")]
    console_tiles: Option<String>,
    /// The base map's attribution, shown as text in the corner of the console's map.
    #[arg(
        long,
        env = "GRIDWORK_CONSOLE_TILES_ATTRIBUTION",
        requires = "console_tiles"
    )]
    console_tiles_attribution: Option<String>,
    /// How many days a token is accepted after sign-in.
    #[arg(long, default_value_t = 30)]
    token_ttl_days: u64,
    /// Seconds a connection may take to send a request header; also how long an idle
    /// kept-alive connection stays open.
    #[arg(long, default_value_t = 30)]
    header_timeout_secs: u64,
    /// Seconds a request body may go without sending data.
    #[arg(long, default_value_t = 30)]
    body_timeout_secs: u64,
    /// Failed sign-ins allowed per account within the window (0: no limit).
    #[arg(long, default_value_t = 5)]
    login_failures_per_account: usize,
    /// Failed sign-ins allowed per client address within the window (0: no limit).
    #[arg(long, default_value_t = 20)]
    login_failures_per_address: usize,
    /// The sign-in limits' sliding window, in seconds.
    #[arg(long, default_value_t = 300)]
    login_window_secs: u64,
    /// Password hashes (Argon2, ≈19 MiB each) computed at once.
    #[arg(long, default_value_t = 2)]
    hash_permits: usize,
    /// Forward cases to another city system's Open311 endpoint (its base URL, e.g.
    /// `https://311.example.org/open311/v2`).
    #[arg(long, env = "GRIDWORK_FORWARD_URL", requires_all = ["forward_key", "forward_categories"])]
    forward_url: Option<String>,
    /// The API key that endpoint issued.
    #[arg(long, env = "GRIDWORK_FORWARD_KEY", requires = "forward_url")]
    forward_key: Option<String>,
    /// The category codes to forward, comma-separated.
    #[arg(long, requires = "forward_url", value_delimiter = ',')]
    forward_categories: Vec<String>,
    /// Seconds before the first retry of a failed forwarding (doubling after each).
    #[arg(long, default_value_t = 30)]
    forward_retry_secs: u64,
    /// Seconds between looks at the forwarding outbox.
    #[arg(long, default_value_t = 10)]
    forward_interval_secs: u64,
    /// Days a resident's contact details are kept after their case closed.
    #[arg(long, default_value_t = 30)]
    contact_days_after_close: u32,
    /// Days a resident's contact details are kept at most.
    #[arg(long, default_value_t = 180)]
    contact_max_days: u32,
}

impl ServeArgs {
    fn limits(&self) -> Limits {
        let secs = Duration::from_secs;
        Limits {
            token_ttl: secs(self.token_ttl_days.saturating_mul(24 * 3600)),
            header_read_timeout: secs(self.header_timeout_secs.max(1)),
            body_read_timeout: secs(self.body_timeout_secs.max(1)),
            sign_in: SignInLimits {
                per_account: self.login_failures_per_account,
                per_address: self.login_failures_per_address,
                window: secs(self.login_window_secs),
                hash_permits: self.hash_permits.max(1),
            },
            ..Limits::default()
        }
    }
}

/// Runs `gridwork serve`.
pub fn run(args: ServeArgs) -> Result<ExitCode> {
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .try_init();
    let limits = args.limits();
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
    let tiles = args
        .console_tiles
        .as_deref()
        .map(|url| TileSource::new(url, args.console_tiles_attribution.as_deref()))
        .transpose()
        .map_err(|e| Error(e.to_string()))?;
    let config = ServerConfig {
        listen: args.listen,
        db: args.db,
        blobs_dir,
        limits,
        console: ConsoleOptions { tiles },
        open311: Open311Options {
            forward: match (&args.forward_url, &args.forward_key) {
                (Some(url), Some(key)) => {
                    let mut f = ForwardOptions::new(url, key, args.forward_categories.clone());
                    f.retry_base = Duration::from_secs(args.forward_retry_secs.max(1));
                    f.interval = Duration::from_secs(args.forward_interval_secs.max(1));
                    vec![f]
                }
                _ => Vec::new(),
            },
            contact_days_after_close: args.contact_days_after_close,
            contact_max_days: args.contact_max_days,
        },
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
            output::line(format!("gridwork server listening on http://{addr}"));
            output::line(format!("supervisor console at http://{addr}/console"));
        })
        .await?;
        Ok::<_, Error>(())
    })?;
    Ok(ExitCode::SUCCESS)
}
