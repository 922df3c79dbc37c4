//! `gridwork admin` devices, quarantine, tokens and remote wipe.

use crate::output::{self, anyhow_free::Error, anyhow_free::Result};
use clap::{Args, Subcommand};
use gridwork_server::{
    admin::devices::{self as admin, DeviceView, TokenView},
    storage::devices::Revoke,
    Storage,
};
use std::time::Duration;

/// How to print a listing.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A table for people.
    Text,
    /// JSON for scripts.
    Json,
}

/// The token lifetime the listing computes expiry with.
#[derive(Args, Clone, Copy)]
pub struct Ttl {
    /// The server's token lifetime in days (`token_ttl` of its configuration).
    #[arg(long, default_value_t = 30)]
    token_ttl_days: u64,
}

impl Ttl {
    fn duration(self) -> Duration {
        Duration::from_secs(self.token_ttl_days.saturating_mul(24 * 3600))
    }
}

/// Which tokens `revoke` revokes: exactly one of these.
#[derive(Args)]
#[group(required = true, multiple = false)]
pub struct RevokeWhich {
    /// One token, by the id `gridwork admin tokens` shows (at least 8 hex digits).
    #[arg(long)]
    token: Option<String>,
    /// Every token of a device.
    #[arg(long)]
    device: Option<String>,
    /// Every token of an account.
    #[arg(long)]
    user: Option<String>,
}

/// The devices' subcommands of `gridwork admin`.
#[derive(Subcommand)]
pub enum DeviceCommand {
    /// List devices (of one account with --user): last contact, client, events waiting,
    /// rejected events, tokens and wipe state.
    Devices {
        /// Only this account's devices.
        #[arg(long)]
        user: Option<String>,
        /// text or json.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        #[command(flatten)]
        ttl: Ttl,
    },
    /// List a device's quarantined (rejected) events with their reasons, in chain order.
    Quarantine {
        /// The device id.
        device: String,
        /// text or json.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Judge a device's quarantined events again (after a scope or the catalogue was
    /// fixed): those that pass now are accepted in order, up to the first that still
    /// fails; the device sees them accepted on its next sync.
    Rejudge {
        /// The device id.
        device: String,
    },
    /// List tokens (never their secret): id, account, device, issued, last used, expiry.
    Tokens {
        /// Only this account's tokens.
        #[arg(long)]
        user: Option<String>,
        /// text or json.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        #[command(flatten)]
        ttl: Ttl,
    },
    /// Revoke a token, every token of a device, or every token of an account.
    Revoke {
        #[command(flatten)]
        which: RevokeWhich,
    },
    /// Mark a device lost: on its next sync it is told to wipe its local copy, and does.
    Wipe {
        /// The device id.
        device: String,
    },
}

fn time(ms: Option<i64>) -> String {
    ms.map(output::rfc3339).unwrap_or_else(|| "never".into())
}

fn num(v: Option<i64>) -> String {
    v.map(|n| n.to_string()).unwrap_or_else(|| "?".into())
}

fn token_state(tokens: &[TokenView]) -> String {
    let live = tokens.iter().filter(|t| !t.expired).count();
    match (tokens.len(), live) {
        (0, _) => "none".into(),
        (n, l) if l == n => format!("{n} active"),
        (n, l) => format!("{l} active, {} expired", n - l),
    }
}

fn print_devices(list: &[DeviceView]) {
    if list.is_empty() {
        output::line("no devices");
        return;
    }
    output::line(format!(
        "{:<18} {:<12} {:<21} {:<22} {:>7} {:>8} {:<18} WIPE",
        "DEVICE", "USER", "LAST CONTACT", "CLIENT", "WAITING", "REJECTED", "TOKENS"
    ));
    for d in list {
        let h = &d.health;
        output::line(format!(
            "{:<18} {:<12} {:<21} {:<22} {:>7} {:>8} {:<18} {}",
            h.device_id,
            h.user,
            time(h.last_contact_ms),
            h.client.as_deref().unwrap_or("-"),
            num(h.events_waiting),
            h.rejected_events,
            token_state(&d.tokens),
            match d.wipe {
                "wiped" => format!("wiped {}", time(d.wiped_ms)),
                "pending" => format!("asked {}", time(d.wipe_requested_ms)),
                other => other.to_string(),
            }
        ));
        if let Some(reason) = &d.flagged {
            output::line(format!("  FLAGGED {}: {reason}", time(d.flagged_ms)));
        }
    }
}

fn print_tokens(list: &[TokenView]) {
    if list.is_empty() {
        output::line("no tokens");
        return;
    }
    output::line(format!(
        "{:<13} {:<12} {:<18} {:<21} {:<21} EXPIRES",
        "ID", "USER", "DEVICE", "ISSUED", "LAST USED"
    ));
    for t in list {
        output::line(format!(
            "{:<13} {:<12} {:<18} {:<21} {:<21} {}{}",
            t.id,
            t.user,
            if t.device_id.is_empty() {
                "(unbound)"
            } else {
                &t.device_id
            },
            output::rfc3339(t.created_ms),
            time(t.last_used_ms),
            output::rfc3339(t.expires_ms),
            if t.expired { " (expired)" } else { "" }
        ));
    }
}

/// Runs a devices' subcommand.
pub async fn run(s: &dyn Storage, command: DeviceCommand) -> Result<()> {
    let actor = crate::admin_users::actor();
    match command {
        DeviceCommand::Devices { user, format, ttl } => {
            let list = admin::devices(s, user.as_deref(), ttl.duration()).await?;
            match format {
                Format::Json => output::json(&list)?,
                Format::Text => print_devices(&list),
            }
        }
        DeviceCommand::Quarantine { device, format } => {
            let list = admin::quarantine(s, &device).await?;
            match format {
                Format::Json => output::json(
                    &list
                        .iter()
                        .map(|q| {
                            serde_json::json!({
                                "id": q.event.id, "device_seq": q.event.device_seq,
                                "kind": q.event.kind, "reason": q.reason, "event": q.event,
                            })
                        })
                        .collect::<Vec<_>>(),
                )?,
                Format::Text if list.is_empty() => {
                    output::line(format!("device {device} has no events in quarantine"))
                }
                Format::Text => {
                    for q in &list {
                        output::line(format!(
                            "#{:<5} {}  {:<26} {}",
                            q.event.device_seq, q.event.id, q.event.kind, q.reason
                        ));
                    }
                }
            }
        }
        DeviceCommand::Rejudge { device } => {
            let r = admin::rejudge(s, &actor, &device).await?;
            for (id, seq) in &r.accepted {
                output::line(format!("accepted {id} (server_seq {seq})"));
            }
            if let Some(q) = &r.still_failing {
                output::line(format!("still rejected {}: {}", q.event.id, q.reason));
            }
            output::line(format!(
                "{} accepted, {} still in quarantine",
                r.accepted.len(),
                r.remaining
            ));
        }
        DeviceCommand::Tokens { user, format, ttl } => {
            let list = admin::tokens(s, user.as_deref(), ttl.duration()).await?;
            match format {
                Format::Json => output::json(&list)?,
                Format::Text => print_tokens(&list),
            }
        }
        DeviceCommand::Revoke { which } => {
            let which = match (which.token, which.device, which.user) {
                (Some(t), None, None) => Revoke::Token(t),
                (None, Some(d), None) => Revoke::Device(d),
                (None, None, Some(u)) => Revoke::User(u),
                _ => return Err(Error("name one of --token, --device, --user".into())),
            };
            let n = admin::revoke(s, &actor, &which).await?;
            output::line(format!("{n} token(s) revoked"));
        }
        DeviceCommand::Wipe { device } => {
            admin::wipe(s, &actor, &device).await?;
            output::line(format!(
                "device {device} marked lost: it is told to wipe itself on its next sync"
            ));
        }
    }
    Ok(())
}
