//! `gridwork serve`: the reference sync server (crate gridwork-server) from the terminal.
//!
//! Every option comes from, in this order of precedence, the command line, its
//! `GRIDWORK_*` environment variable, the TOML file of `--config` (keys named as the
//! long options, with `_` for `-`), and the default. docs/operations.md lists them all.
//!
//! The catalogue and grid it hands out live in its database (`gridwork admin
//! import-catalog` / `import-grid`); `--catalog` and `--grid` import files at start as
//! a shortcut.

use crate::output::{self, anyhow_free::Error, anyhow_free::Result};
use clap::{Args, ValueEnum};
use gridwork_server::{
    admin,
    blobs::S3Options,
    open311::{ForwardOptions, Open311Options},
    ratelimit::TokenRate,
    signin::SignInLimits,
    ConsoleOptions, Limits, ServerConfig, TileSource,
};
use serde::Deserialize;
use std::{io::IsTerminal, net::SocketAddr, path::PathBuf, process::ExitCode, time::Duration};

/// How log lines are written to stderr.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// One line of text per event (coloured only when stderr is a terminal).
    #[default]
    Text,
    /// One JSON object per line (for journald, Loki, Elasticsearch …).
    Json,
}

/// Arguments of `gridwork serve`. Defaults are documented on [`FileConfig`]'s fields
/// and in docs/operations.md.
#[derive(Args)]
pub struct ServeArgs {
    /// A TOML file of options (keys as the long options, `_` for `-`).
    #[arg(long, env = "GRIDWORK_CONFIG")]
    config: Option<PathBuf>,
    /// A SQLite file (created if missing) or a postgres:// URL.
    #[arg(long, env = "GRIDWORK_DB")]
    db: Option<String>,
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "GRIDWORK_LISTEN")]
    listen: Option<SocketAddr>,
    /// Serve HTTPS with this PEM certificate chain (leaf first); needs --tls-key
    /// [default: plain HTTP, e.g. behind a TLS-terminating reverse proxy].
    #[arg(long, env = "GRIDWORK_TLS_CERT")]
    tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, env = "GRIDWORK_TLS_KEY")]
    tls_key: Option<PathBuf>,
    /// Folder for uploaded photos [default: `<db>.blobs` beside a SQLite file; required
    /// with PostgreSQL, and shared by every server process].
    #[arg(long, env = "GRIDWORK_BLOBS")]
    blobs: Option<PathBuf>,
    /// Keep photos in this bucket of an S3-compatible store instead of a folder (every
    /// server process shares it); credentials from AWS_ACCESS_KEY_ID and
    /// AWS_SECRET_ACCESS_KEY [default: photos in the --blobs folder].
    #[arg(long, env = "GRIDWORK_BLOBS_S3_BUCKET")]
    blobs_s3_bucket: Option<String>,
    /// The S3-compatible endpoint, e.g. `https://s3.example.org` [default: AWS].
    #[arg(long, env = "GRIDWORK_BLOBS_S3_ENDPOINT")]
    blobs_s3_endpoint: Option<String>,
    /// The bucket's region [default: AWS_REGION, or us-east-1].
    #[arg(long, env = "GRIDWORK_BLOBS_S3_REGION")]
    blobs_s3_region: Option<String>,
    /// A key prefix for every photo object, e.g. `photos/` [default: none].
    #[arg(long, env = "GRIDWORK_BLOBS_S3_PREFIX")]
    blobs_s3_prefix: Option<String>,
    /// Allow a plain `http://` endpoint (a store on the same host) [default: false].
    #[arg(long, env = "GRIDWORK_BLOBS_S3_ALLOW_HTTP")]
    blobs_s3_allow_http: Option<bool>,
    /// Import this catalogue JSON into the database before serving.
    #[arg(long, env = "GRIDWORK_CATALOG")]
    catalog: Option<PathBuf>,
    /// Import this grid GeoJSON into the database before serving.
    #[arg(long, env = "GRIDWORK_GRID")]
    grid: Option<PathBuf>,
    /// A base map for the console at /console: a tile URL template such as
    /// `https://{s}.tile.example.org/{z}/{x}/{y}.png` (its origin is added to the
    /// console's Content-Security-Policy) [default: none, the grid cells draw on a plain
    /// background].
    #[arg(long, env = "GRIDWORK_CONSOLE_TILES")]
    console_tiles: Option<String>,
    /// The base map's attribution, shown as text in the corner of the console's map.
    #[arg(long, env = "GRIDWORK_CONSOLE_TILES_ATTRIBUTION")]
    console_tiles_attribution: Option<String>,
    /// How many days a token is accepted after sign-in [default: 30].
    #[arg(long, env = "GRIDWORK_TOKEN_TTL_DAYS")]
    token_ttl_days: Option<u64>,
    /// Seconds a connection may take to send a request header; also how long an idle
    /// kept-alive connection stays open [default: 30].
    #[arg(long, env = "GRIDWORK_HEADER_TIMEOUT_SECS")]
    header_timeout_secs: Option<u64>,
    /// Seconds a request body may go without sending data [default: 30].
    #[arg(long, env = "GRIDWORK_BODY_TIMEOUT_SECS")]
    body_timeout_secs: Option<u64>,
    /// Largest push body in bytes, after decompression [default: 8388608].
    #[arg(long, env = "GRIDWORK_MAX_PUSH_BYTES")]
    max_push_bytes: Option<usize>,
    /// Largest photo in bytes [default: 20971520].
    #[arg(long, env = "GRIDWORK_MAX_BLOB_BYTES")]
    max_blob_bytes: Option<u64>,
    /// Failed sign-ins allowed per account within the window (0: no limit) [default: 5].
    #[arg(long, env = "GRIDWORK_LOGIN_FAILURES_PER_ACCOUNT")]
    login_failures_per_account: Option<usize>,
    /// Failed sign-ins allowed per client address within the window (0: no limit)
    /// [default: 20].
    #[arg(long, env = "GRIDWORK_LOGIN_FAILURES_PER_ADDRESS")]
    login_failures_per_address: Option<usize>,
    /// The sign-in limits' sliding window, in seconds [default: 300].
    #[arg(long, env = "GRIDWORK_LOGIN_WINDOW_SECS")]
    login_window_secs: Option<u64>,
    /// Password hashes (Argon2, ≈19 MiB each) computed at once [default: 2].
    #[arg(long, env = "GRIDWORK_HASH_PERMITS")]
    hash_permits: Option<usize>,
    /// Requests a minute each token may make on average, then 429 with Retry-After
    /// (0: no limit) [default: 600].
    #[arg(long, env = "GRIDWORK_TOKEN_REQUESTS_PER_MINUTE")]
    token_requests_per_minute: Option<u32>,
    /// Requests a token may make at once before the per-minute rate applies
    /// [default: 600].
    #[arg(long, env = "GRIDWORK_TOKEN_BURST")]
    token_burst: Option<u32>,
    /// On SIGTERM or Ctrl-C, seconds the requests in flight may take to finish
    /// [default: 30].
    #[arg(long, env = "GRIDWORK_SHUTDOWN_GRACE_SECS")]
    shutdown_grace_secs: Option<u64>,
    /// Log lines as `text` or `json` (which lines: RUST_LOG, default `info`)
    /// [default: text].
    #[arg(long, env = "GRIDWORK_LOG_FORMAT")]
    log_format: Option<LogFormat>,
    /// Forward cases to another city system's Open311 endpoint (its base URL, e.g.
    /// `https://311.example.org/open311/v2`).
    #[arg(long, env = "GRIDWORK_FORWARD_URL")]
    forward_url: Option<String>,
    /// The API key that endpoint issued.
    #[arg(long, env = "GRIDWORK_FORWARD_KEY")]
    forward_key: Option<String>,
    /// The category codes to forward, comma-separated.
    #[arg(long, env = "GRIDWORK_FORWARD_CATEGORIES", value_delimiter = ',')]
    forward_categories: Option<Vec<String>>,
    /// Seconds before the first retry of a failed forwarding (doubling after each)
    /// [default: 30].
    #[arg(long, env = "GRIDWORK_FORWARD_RETRY_SECS")]
    forward_retry_secs: Option<u64>,
    /// Seconds between looks at the forwarding outbox [default: 10].
    #[arg(long, env = "GRIDWORK_FORWARD_INTERVAL_SECS")]
    forward_interval_secs: Option<u64>,
    /// Days a resident's contact details are kept after their case closed [default: 30].
    #[arg(long, env = "GRIDWORK_CONTACT_DAYS_AFTER_CLOSE")]
    contact_days_after_close: Option<u32>,
    /// Days a resident's contact details are kept at most [default: 180].
    #[arg(long, env = "GRIDWORK_CONTACT_MAX_DAYS")]
    contact_max_days: Option<u32>,
}

/// The `--config` file: every key optional, unknown keys refused.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    db: Option<String>,
    listen: Option<SocketAddr>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    blobs: Option<PathBuf>,
    blobs_s3_bucket: Option<String>,
    blobs_s3_endpoint: Option<String>,
    blobs_s3_region: Option<String>,
    blobs_s3_prefix: Option<String>,
    blobs_s3_allow_http: Option<bool>,
    catalog: Option<PathBuf>,
    grid: Option<PathBuf>,
    console_tiles: Option<String>,
    console_tiles_attribution: Option<String>,
    token_ttl_days: Option<u64>,
    header_timeout_secs: Option<u64>,
    body_timeout_secs: Option<u64>,
    max_push_bytes: Option<usize>,
    max_blob_bytes: Option<u64>,
    login_failures_per_account: Option<usize>,
    login_failures_per_address: Option<usize>,
    login_window_secs: Option<u64>,
    hash_permits: Option<usize>,
    token_requests_per_minute: Option<u32>,
    token_burst: Option<u32>,
    shutdown_grace_secs: Option<u64>,
    log_format: Option<LogFormat>,
    forward_url: Option<String>,
    forward_key: Option<String>,
    forward_categories: Option<Vec<String>>,
    forward_retry_secs: Option<u64>,
    forward_interval_secs: Option<u64>,
    contact_days_after_close: Option<u32>,
    contact_max_days: Option<u32>,
}

/// Fills every option the command line and environment left open from `file`.
macro_rules! merge {
    ($args:ident, $file:ident, $($field:ident),* $(,)?) => {
        $( if $args.$field.is_none() { $args.$field = $file.$field.take(); } )*
    };
}

impl ServeArgs {
    fn with_file(mut self) -> Result<Self> {
        let Some(path) = &self.config else {
            return Ok(self);
        };
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error(format!("config {}: {e}", path.display())))?;
        let mut file: FileConfig =
            toml::from_str(&text).map_err(|e| Error(format!("config {}: {e}", path.display())))?;
        merge!(
            self,
            file,
            db,
            listen,
            tls_cert,
            tls_key,
            blobs,
            blobs_s3_bucket,
            blobs_s3_endpoint,
            blobs_s3_region,
            blobs_s3_prefix,
            blobs_s3_allow_http,
            catalog,
            grid,
            console_tiles,
            console_tiles_attribution,
            token_ttl_days,
            header_timeout_secs,
            body_timeout_secs,
            max_push_bytes,
            max_blob_bytes,
            login_failures_per_account,
            login_failures_per_address,
            login_window_secs,
            hash_permits,
            token_requests_per_minute,
            token_burst,
            shutdown_grace_secs,
            log_format,
            forward_url,
            forward_key,
            forward_categories,
            forward_retry_secs,
            forward_interval_secs,
            contact_days_after_close,
            contact_max_days,
        );
        Ok(self)
    }

    fn limits(&self) -> Limits {
        let secs = Duration::from_secs;
        let d = Limits::default();
        let s = SignInLimits::default();
        Limits {
            max_push_bytes: self.max_push_bytes.unwrap_or(d.max_push_bytes),
            max_blob_bytes: self.max_blob_bytes.unwrap_or(d.max_blob_bytes),
            token_ttl: secs(self.token_ttl_days.unwrap_or(30).saturating_mul(24 * 3600)),
            header_read_timeout: secs(self.header_timeout_secs.unwrap_or(30).max(1)),
            body_read_timeout: secs(self.body_timeout_secs.unwrap_or(30).max(1)),
            shutdown_grace: secs(self.shutdown_grace_secs.unwrap_or(30)),
            sign_in: SignInLimits {
                per_account: self.login_failures_per_account.unwrap_or(s.per_account),
                per_address: self.login_failures_per_address.unwrap_or(s.per_address),
                window: self.login_window_secs.map(secs).unwrap_or(s.window),
                hash_permits: self.hash_permits.unwrap_or(s.hash_permits).max(1),
            },
            token_rate: TokenRate {
                per_minute: self
                    .token_requests_per_minute
                    .unwrap_or(d.token_rate.per_minute),
                burst: self.token_burst.unwrap_or(d.token_rate.burst),
            },
        }
    }
}

/// Sends the `tracing` lines to stderr: `RUST_LOG` picks them (default `info`), as text
/// (colour only on a terminal) or JSON.
fn init_logging(format: LogFormat) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder
            .with_ansi(std::io::stderr().is_terminal())
            .try_init(),
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
    };
}

/// Runs `gridwork serve`.
pub fn run(args: ServeArgs) -> Result<ExitCode> {
    let args = args.with_file()?;
    init_logging(args.log_format.unwrap_or_default());
    let limits = args.limits();
    let db = args.db.clone().ok_or_else(|| {
        Error("no database: give --db, GRIDWORK_DB or db in the --config file".into())
    })?;
    let postgres = db.starts_with("postgres://") || db.starts_with("postgresql://");
    let blobs_s3 = args.blobs_s3_bucket.clone().map(|bucket| S3Options {
        bucket,
        endpoint: args.blobs_s3_endpoint.clone(),
        region: args.blobs_s3_region.clone(),
        prefix: args.blobs_s3_prefix.clone().unwrap_or_default(),
        allow_http: args.blobs_s3_allow_http.unwrap_or(false),
        // From AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, never the command line.
        access_key_id: None,
        secret_access_key: None,
    });
    if blobs_s3.is_none()
        && (args.blobs_s3_endpoint.is_some()
            || args.blobs_s3_region.is_some()
            || args.blobs_s3_prefix.is_some()
            || args.blobs_s3_allow_http.is_some())
    {
        return Err(Error(
            "the blobs_s3_* options need blobs_s3_bucket (the bucket to keep photos in)".into(),
        ));
    }
    let blobs_dir = match (args.blobs.clone(), postgres) {
        (Some(dir), _) => dir,
        (None, false) => PathBuf::from(format!("{db}.blobs")),
        // Unused: the bucket holds everything.
        (None, true) if blobs_s3.is_some() => PathBuf::new(),
        (None, true) => {
            return Err(Error(
                "--blobs DIR is needed with PostgreSQL (a folder every server process shares), or --blobs-s3-bucket"
                    .into(),
            ))
        }
    };
    if args.console_tiles_attribution.is_some() && args.console_tiles.is_none() {
        return Err(Error(
            "console_tiles_attribution needs console_tiles (a base map to attribute)".into(),
        ));
    }
    let tiles = args
        .console_tiles
        .as_deref()
        .map(|url| TileSource::new(url, args.console_tiles_attribution.as_deref()))
        .transpose()
        .map_err(|e| Error(e.to_string()))?;
    let config =
        ServerConfig {
            listen: args
                .listen
                .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080))),
            db,
            blobs_dir,
            blobs_s3,
            limits,
            console: ConsoleOptions { tiles },
            open311: Open311Options {
                forward: match (
                    &args.forward_url,
                    &args.forward_key,
                    &args.forward_categories,
                ) {
                    (Some(url), Some(key), Some(categories)) if !categories.is_empty() => {
                        let mut f = ForwardOptions::new(url, key, categories.clone());
                        f.retry_base =
                            Duration::from_secs(args.forward_retry_secs.unwrap_or(30).max(1));
                        f.interval =
                            Duration::from_secs(args.forward_interval_secs.unwrap_or(10).max(1));
                        vec![f]
                    }
                    (None, None, None) => Vec::new(),
                    _ => return Err(Error(
                        "forwarding needs forward_url, forward_key and forward_categories together"
                            .into(),
                    )),
                },
                contact_days_after_close: args.contact_days_after_close.unwrap_or(30),
                contact_max_days: args.contact_max_days.unwrap_or(180),
            },
        };
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(gridwork_server::tls::acceptor(cert, key)?),
        (None, None) => None,
        _ => return Err(Error("HTTPS needs tls_cert and tls_key together".into())),
    };
    let scheme = if tls.is_some() { "https" } else { "http" };
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
        gridwork_server::serve_with_tls(config, tls, |addr| {
            tracing::info!(%addr, scheme, "listening");
            output::line(format!("gridwork server listening on {scheme}://{addr}"));
            output::line(format!("supervisor console at {scheme}://{addr}/console"));
        })
        .await?;
        Ok::<_, Error>(())
    })?;
    Ok(ExitCode::SUCCESS)
}
