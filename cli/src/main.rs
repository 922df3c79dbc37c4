//! `gridwork`: the terminal shell of the gridwork field core.
//!
//! Exit codes: 0 success, 1 an error (message on stderr), 2 bad usage, 3 a broken
//! hash chain found by `verify-log`, 4 a `sync` run that did not finish.

mod admin;
mod admin_backup;
mod admin_devices;
mod admin_users;
mod cases_cmd;
mod cases_json;
mod demo;
mod field;
mod lang;
mod lookup_cmd;
mod names;
mod output;
mod patrol_cmd;
mod patrol_words;
mod photos_cmd;
mod retention_cmd;
mod serve;
mod sync_cmd;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// gridwork — the offline-first field core for urban grid workers.
#[derive(Parser)]
#[command(name = "gridwork", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Work with a device's local store: report, act on cases, list, patrol.
    Field(field::FieldArgs),
    /// Run the reference sync server.
    Serve(Box<serve::ServeArgs>),
    /// Manage a server's accounts, tokens, catalogue and grid.
    Admin(admin::AdminArgs),
    /// The whole system on this machine: a server, the sample city and a simulated
    /// working day of workers, a supervisor and handlers; then the console.
    Demo(demo::DemoArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Field(args) => field::run(args),
        Command::Serve(args) => serve::run(*args),
        Command::Admin(args) => admin::run(args),
        Command::Demo(args) => demo::run(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}
