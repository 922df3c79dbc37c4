//! `gridwork field login` and `gridwork field sync`: sign a store in to a sync server
//! and run the sync engine over HTTP, with a progress bar on a terminal.

use crate::field::Ctx;
use crate::lang::Msg;
use crate::output::{self, anyhow_free::Error, anyhow_free::Result};
use clap::Args;
use gridwork_core::sync::{
    self, CancelToken, EngineState, Phase, Progress, SignIn, SyncEngine, SyncOptions, SyncProgress,
};
use gridwork_http::{HttpOptions, HttpTransport};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::json;
use std::{io::IsTerminal, process::ExitCode};

/// Exit code of a sync run that did not finish (retry scheduled, sign-in needed,
/// incompatible server, cancelled).
const SYNC_INCOMPLETE: u8 = 4;

/// Arguments of `gridwork field login`.
#[derive(Args)]
pub struct LoginArgs {
    /// The server's base URL, e.g. https://grid.example.cn
    #[arg(long)]
    server: String,
    /// A bearer token issued by the server's operator.
    #[arg(long, conflicts_with_all = ["user", "password"], required_unless_present = "user")]
    token: Option<String>,
    /// The account name (with --password).
    #[arg(long, requires = "password")]
    user: Option<String>,
    /// The password (with --user).
    #[arg(long, env = "GRIDWORK_PASSWORD", requires = "user")]
    password: Option<String>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// Arguments of `gridwork field sync`.
#[derive(Args)]
pub struct SyncArgs {
    /// Only show the sync status; send nothing.
    #[arg(long)]
    status: bool,
    /// Print JSON (and no progress bar).
    #[arg(long)]
    json: bool,
}

pub(crate) fn transport() -> Result<HttpTransport> {
    // A city's own certificate authority: GRIDWORK_CA_FILE names a PEM bundle.
    let mut options = HttpOptions::default();
    if let Some(path) = std::env::var_os("GRIDWORK_CA_FILE") {
        let pem = std::fs::read(&path)
            .map_err(|e| Error(format!("GRIDWORK_CA_FILE {}: {e}", path.to_string_lossy())))?;
        options.extra_roots_pem.push(pem);
    }
    HttpTransport::new(options).map_err(|e| Error(e.to_string()))
}

/// Runs `gridwork field login`.
pub fn login(ctx: &Ctx, args: LoginArgs) -> Result<ExitCode> {
    let store = &ctx.store;
    let how = match (args.token, args.user, args.password) {
        (Some(token), _, _) => SignIn::Token(token),
        (None, Some(user), Some(password)) => SignIn::Password { user, password },
        _ => return Err(Error("give --token, or --user and --password".into())),
    };
    let session = sync::login(store, &transport()?, &args.server, &how)?;
    if args.json {
        output::json(&json!({
            "server": args.server.trim_end_matches('/'),
            "user": session.user,
            "role": session.role,
            "scope": session.scope,
        }))?;
    } else {
        output::line(format!(
            "signed in to {} as {} ({}), scope {}",
            args.server.trim_end_matches('/'),
            session.user,
            session.role,
            session.scope.join(", ")
        ));
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs `gridwork field sync`.
pub fn sync(ctx: &Ctx, args: SyncArgs) -> Result<ExitCode> {
    let store = &ctx.store;
    let offset = ctx.offset()?;
    let retry = |at: Option<i64>| {
        at.map(|ms| {
            ctx.lang.say(
                Msg::RetryAt,
                &[&output::when(ctx.lang, ms, store.now_ms(), offset)],
            )
        })
    };
    if args.status {
        let status = sync::status(store)?;
        if args.json {
            output::json(&status)?;
        } else {
            output::line(format!(
                "{} — server {}, {} events and {} photos to send, {} rejected, cursor {}",
                state_name(status.state),
                status.server.as_deref().unwrap_or("(none)"),
                status.pending_events,
                status.pending_photos,
                status.rejected_events,
                status.cursor
            ));
            if let Some(ms) = status.last_success_ms {
                output::line(format!("last synced {}", output::local(ms, offset)));
            }
            if let Some(e) = &status.last_error {
                output::line(format!(
                    "last error at {}: {}",
                    output::local(e.at_ms, offset),
                    e.message
                ));
            }
            if let Some(text) = retry(status.next_attempt_ms) {
                output::line(text);
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    let bar = Bar::new(!args.json && std::io::stderr().is_terminal());
    let report = SyncEngine::new(SyncOptions::default()).run(
        store,
        &transport()?,
        &bar,
        &CancelToken::new(),
    )?;
    bar.0.finish_and_clear();
    // The retention setting (gridwork field retention) is applied after a finished run.
    let purged = if report.state == EngineState::Synced {
        Some(store.purge_expired()?)
    } else {
        None
    };
    if args.json {
        output::json(&report)?;
    } else {
        output::line(format!(
            "{}: pushed {} ({} already there, {} rejected), uploaded {} photos ({} bytes), pulled {}",
            state_name(report.state),
            report.pushed,
            report.duplicates,
            report.rejected,
            report.uploaded_photos,
            report.uploaded_bytes,
            report.pulled
        ));
        for f in &report.failed_photos {
            output::line(format!(
                "photo {} not uploaded (tried again next sync): {}",
                f.sha256, f.reason
            ));
        }
        if let Some(e) = &report.error {
            output::line(format!("stopped: {e}"));
        }
        if let Some(text) = retry(report.next_attempt_ms) {
            output::line(text);
        }
        if let Some(p) = purged.filter(|p| !p.is_empty()) {
            ctx.tell(crate::retention_cmd::summary(ctx, &p));
        }
    }
    Ok(match report.state {
        EngineState::Synced => ExitCode::SUCCESS,
        _ => ExitCode::from(SYNC_INCOMPLETE),
    })
}

fn state_name(state: EngineState) -> &'static str {
    match state {
        EngineState::NotSignedIn => "not signed in (run login)",
        EngineState::Idle => "signed in, not synced yet",
        EngineState::Synced => "synced",
        EngineState::RetryScheduled => "failed, will retry",
        EngineState::SignInRequired => "sign in again (run login)",
        EngineState::IncompatibleServer => "incompatible server",
        EngineState::Cancelled => "cancelled",
        EngineState::DeviceConflict => "this device's id is taken (set the store up anew)",
        EngineState::Wiped => "wiped: an administrator marked this device lost",
    }
}

/// A progress bar on stderr, hidden when not wanted.
struct Bar(ProgressBar);

impl Bar {
    fn new(visible: bool) -> Bar {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        if !visible {
            bar.set_draw_target(ProgressDrawTarget::hidden());
        }
        bar.set_style(
            ProgressStyle::with_template("{prefix:>8} {wide_bar} {pos}/{len} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        Bar(bar)
    }
}

impl SyncProgress for Bar {
    fn on_progress(&self, p: Progress) {
        let prefix = match p.phase {
            Phase::Push => "push",
            Phase::Upload => "photos",
            Phase::Pull => "pull",
        };
        self.0.set_prefix(prefix);
        match p.total {
            Some(total) => self.0.set_length(total),
            None => self.0.set_length(p.done),
        }
        self.0.set_position(p.done);
        self.0
            .set_message(format!("{} KiB", p.bytes.div_ceil(1024)));
    }
}
