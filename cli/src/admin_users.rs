//! `gridwork admin` users, passwords and the audit log.

use crate::output::{self, anyhow_free::Error, anyhow_free::Result};
use clap::{Args, Subcommand};
use gridwork_core::model::Role;
use gridwork_server::{
    admin::{self, NewUser, UserChange},
    storage::{UserListing, UserRecord},
    Storage,
};
use serde::Serialize;
use std::io::{BufRead, IsTerminal};

/// How a password is given: never on the command line.
#[derive(Args, Clone, Copy)]
pub struct PasswordSource {
    /// Read the password from the first line of stdin instead of a prompt (also the
    /// default when stdin is not a terminal). `GRIDWORK_PASSWORD` is read first if set.
    #[arg(long)]
    password_stdin: bool,
}

impl PasswordSource {
    /// The password: `GRIDWORK_PASSWORD`, else stdin's first line, else a prompt
    /// (asked twice, not echoed).
    pub fn read(self) -> Result<String> {
        if let Ok(p) = std::env::var("GRIDWORK_PASSWORD") {
            return Ok(p);
        }
        if self.password_stdin || !std::io::stdin().is_terminal() {
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line)?;
            let p = line.trim_end_matches(['\n', '\r']).to_string();
            if p.is_empty() {
                return Err(Error("no password on stdin".into()));
            }
            return Ok(p);
        }
        let first = rpassword::prompt_password("new password: ")?;
        let again = rpassword::prompt_password("the same again: ")?;
        if first != again {
            return Err(Error("the two passwords differ: nothing changed".into()));
        }
        Ok(first)
    }
}

/// The users' subcommands of `gridwork admin`.
#[derive(Subcommand)]
pub enum UserCommand {
    /// List accounts: role, scope, department, state and last activity.
    Users {
        /// JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Create an account (refused when the name is taken: change one with `set-user`).
    AddUser {
        /// The account name (what events name as actor.user).
        name: String,
        /// worker, supervisor or handler.
        #[arg(long)]
        role: Role,
        /// Grid-code prefixes, comma-separated, each matching cells of the imported
        /// grid; `*` for everywhere.
        #[arg(long)]
        scope: String,
        /// The department a handler works for (a catalogue department id).
        #[arg(long)]
        department: Option<String>,
        /// Give the account a password for `POST /v1/login` (prompted, or read from
        /// stdin); without one only issued tokens work.
        #[arg(long)]
        with_password: bool,
        #[command(flatten)]
        source: PasswordSource,
    },
    /// Change an account's role, scope or department; everything else (its password
    /// too) stays. A role or scope change signs its devices out.
    SetUser {
        /// The account name.
        name: String,
        /// A new role.
        #[arg(long)]
        role: Option<Role>,
        /// A new scope.
        #[arg(long)]
        scope: Option<String>,
        /// A new department.
        #[arg(long, conflicts_with = "no_department")]
        department: Option<String>,
        /// Remove the department.
        #[arg(long)]
        no_department: bool,
    },
    /// Set an account's password (prompted, or read from stdin); its devices sign in again.
    SetPassword {
        /// The account name.
        name: String,
        #[command(flatten)]
        source: PasswordSource,
    },
    /// Disable an account: it cannot sign in and its tokens are revoked.
    DisableUser {
        /// The account name.
        name: String,
    },
    /// Enable a disabled account again (its devices sign in anew).
    EnableUser {
        /// The account name.
        name: String,
    },
    /// The audit log of operators' changes, newest first.
    Audit {
        /// How many entries.
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// JSON instead of lines.
        #[arg(long)]
        json: bool,
    },
}

/// Who `gridwork admin` records in the audit log: `cli:` and the operating-system user.
pub fn actor() -> String {
    let who = ["SUDO_USER", "USER", "LOGNAME"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
        .unwrap_or_else(|| "unknown".into());
    format!("cli:{who}")
}

#[derive(Serialize)]
struct UserJson<'a> {
    name: &'a str,
    role: Role,
    scope: String,
    department: Option<&'a str>,
    disabled: bool,
    has_password: bool,
    last_activity: Option<String>,
}

fn scope_text(scope: &[String]) -> String {
    scope
        .iter()
        .map(|p| if p.is_empty() { "*" } else { p.as_str() })
        .collect::<Vec<_>>()
        .join(",")
}

fn user_json(l: &UserListing) -> UserJson<'_> {
    let r = &l.record;
    UserJson {
        name: &r.account.user,
        role: r.account.role,
        scope: scope_text(&r.account.scope),
        department: r.department.as_deref(),
        disabled: r.disabled,
        has_password: r.account.password_hash.is_some(),
        last_activity: l.last_activity_ms.map(output::rfc3339),
    }
}

fn said(r: &UserRecord) -> String {
    format!(
        "{} ({}, scope {}{}){}",
        r.account.user,
        r.account.role,
        scope_text(&r.account.scope),
        r.department
            .as_deref()
            .map(|d| format!(", department {d}"))
            .unwrap_or_default(),
        if r.disabled { " disabled" } else { "" }
    )
}

/// Runs a users' subcommand.
pub async fn run(s: &dyn Storage, command: UserCommand) -> Result<()> {
    let actor = actor();
    match command {
        UserCommand::Users { json } => {
            let users = s.users().await?;
            if json {
                output::json(&users.iter().map(user_json).collect::<Vec<_>>())?;
            } else if users.is_empty() {
                output::line("no accounts");
            } else {
                output::line(format!(
                    "{:<16} {:<10} {:<20} {:<12} {:<8} {:<8} LAST ACTIVITY",
                    "NAME", "ROLE", "SCOPE", "DEPARTMENT", "STATE", "PASSWORD"
                ));
                for u in users.iter().map(user_json) {
                    output::line(format!(
                        "{:<16} {:<10} {:<20} {:<12} {:<8} {:<8} {}",
                        u.name,
                        u.role.to_string(),
                        u.scope,
                        u.department.unwrap_or("-"),
                        if u.disabled { "disabled" } else { "active" },
                        if u.has_password { "yes" } else { "no" },
                        u.last_activity.as_deref().unwrap_or("never"),
                    ));
                }
            }
        }
        UserCommand::AddUser {
            name,
            role,
            scope,
            department,
            with_password,
            source,
        } => {
            let password = (with_password || std::env::var_os("GRIDWORK_PASSWORD").is_some())
                .then(|| source.read())
                .transpose()?;
            let r = admin::create_user(
                s,
                &actor,
                NewUser {
                    name,
                    role,
                    scope,
                    department,
                    password,
                },
            )
            .await?;
            output::line(format!("account {} created", said(&r)));
        }
        UserCommand::SetUser {
            name,
            role,
            scope,
            department,
            no_department,
        } => {
            let change = UserChange {
                role,
                scope,
                department: if no_department {
                    Some(None)
                } else {
                    department.map(Some)
                },
            };
            let r = admin::change_user(s, &actor, &name, change).await?;
            output::line(format!("account {} saved", said(&r)));
        }
        UserCommand::SetPassword { name, source } => {
            if s.user(&name).await?.is_none() {
                return Err(Error(format!("no account named {name}")));
            }
            let password = source.read()?;
            admin::set_password(s, &actor, &name, &password).await?;
            output::line(format!("password of {name} set; its devices sign in again"));
        }
        UserCommand::DisableUser { name } => {
            admin::set_disabled(s, &actor, &name, true).await?;
            output::line(format!("account {name} disabled; its tokens are revoked"));
        }
        UserCommand::EnableUser { name } => {
            admin::set_disabled(s, &actor, &name, false).await?;
            output::line(format!("account {name} enabled"));
        }
        UserCommand::Audit { limit, json } => {
            let log = s.audit_log(limit).await?;
            if json {
                output::json(&log)?;
            } else if log.is_empty() {
                output::line("no audit entries");
            } else {
                for e in log {
                    output::line(format!(
                        "{}  {:<14} {:<15} {:<12} {}",
                        output::rfc3339(e.at_ms),
                        e.actor,
                        e.action,
                        if e.target.is_empty() { "-" } else { &e.target },
                        e.detail
                    ));
                }
            }
        }
    }
    Ok(())
}
