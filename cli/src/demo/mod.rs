//! `gridwork demo`: the whole system on one machine. Starts the reference server on
//! loopback with its embedded SQLite store, loads the sample city, creates the accounts,
//! simulates working days through real device stores syncing over HTTP, prints a
//! summary and serves the console until Ctrl-C (docs/demo.md).

mod day;
mod incidents;
mod routes;
mod summary;
mod world;

use crate::output::{
    self,
    anyhow_free::{Error, Result},
};
use chrono::{Duration as Days, FixedOffset, NaiveDate, TimeZone, Utc};
use clap::Args;
use gridwork_core::{calendar::WorkingCalendar, catalog::Catalog, geo::Grid};
use gridwork_server::{admin, ConsoleOptions, Limits, ServerConfig};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::{
    io::IsTerminal,
    net::SocketAddr,
    path::{Path, PathBuf},
    process::ExitCode,
};

/// The sample city's grid, built into the binary.
pub const GRID: &str = include_str!("../../../data/kcity-grid.geojson");
/// The sample city's catalogue, built into the binary.
pub const CATALOG: &str = include_str!("../../../data/kcity-catalog.json");

/// Arguments of `gridwork demo`.
#[derive(Args)]
pub struct DemoArgs {
    /// Address the server listens on (port 0: any free port).
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Keep the server's database, photos and every device's store in this folder (new
    /// or empty) [default: a temporary folder, removed when the demo ends].
    #[arg(long)]
    data: Option<PathBuf>,
    /// Seed of the simulation: the same seed gives the same day [default: from the
    /// clock; printed in the summary].
    #[arg(long)]
    seed: Option<u64>,
    /// Workers, each with a phone and a community of five cells to patrol.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=12))]
    devices: u16,
    /// Working days to simulate: the most recent ones before today.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=20))]
    days: u16,
    /// A lighter day: a GPS fix every 15 s instead of every 5 s, and fewer reports.
    #[arg(long)]
    quick: bool,
    /// End after the summary instead of serving the console until Ctrl-C.
    #[arg(long)]
    exit: bool,
}

/// Runs `gridwork demo`.
pub fn run(args: DemoArgs) -> Result<ExitCode> {
    let catalog = Catalog::from_json(CATALOG)?;
    let calendar = catalog.calendar().clone();
    let days = recent_working_days(&calendar, usize::from(args.days))?;
    let seed = args.seed.unwrap_or_else(|| {
        (gridwork_core::store::system_now_ms() as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    // Everything that can fail on bad input fails before anything is written.
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind(args.listen))
        .map_err(|e| Error(format!("cannot listen on {}: {e}", args.listen)))?;
    let addr = listener.local_addr()?;
    let data = DataDir::prepare(args.data.as_deref())?;
    let result = simulate(&runtime, listener, &data, &args, seed, &days, &calendar);
    let server = match result {
        Ok(server) => server,
        Err(e) => {
            data.discard();
            return Err(e);
        }
    };
    output::line(format!(
        "Console: http://{addr}/console — sign in as {} with password {} (every demo account has it)",
        world::SUPERVISOR,
        world::PASSWORD
    ));
    match &data.temp {
        Some(_) => output::line(format!(
            "Data: {} (temporary: removed when the demo ends; keep it with --data DIR)",
            data.path.display()
        )),
        None => output::line(format!("Data: {} (kept)", data.path.display())),
    }
    if !args.exit {
        output::line("Serving until Ctrl-C.");
        runtime.block_on(async {
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        });
    }
    let _ = server.stop.send(());
    let _ = runtime.block_on(server.task);
    drop(runtime);
    drop(data);
    Ok(ExitCode::SUCCESS)
}

/// The running server: a signal to stop it and its task.
struct Server {
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

fn simulate(
    runtime: &tokio::runtime::Runtime,
    listener: tokio::net::TcpListener,
    data: &DataDir,
    args: &DemoArgs,
    seed: u64,
    days: &[NaiveDate],
    calendar: &WorkingCalendar,
) -> Result<Server> {
    let grid = Grid::from_geojson(GRID)?;
    let posts = world::posts(&grid, usize::from(args.devices));
    let addr = listener.local_addr()?;
    let config = ServerConfig {
        listen: addr,
        db: data.path.join("server.db").display().to_string(),
        blobs_dir: data.path.join("server-photos"),
        blobs_s3: None,
        limits: Limits::default(),
        console: ConsoleOptions::default(),
        open311: Default::default(),
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = runtime.block_on(async {
        let storage = gridwork_server::open_storage(&config.db).await?;
        admin::import_catalog(storage.as_ref(), CATALOG).await?;
        admin::import_grid(storage.as_ref(), GRID).await?;
        world::create_accounts(storage.as_ref(), &posts).await?;
        drop(storage);
        let state = gridwork_server::state(&config).await?;
        let app = gridwork_server::router_with(state, &config.console);
        let timeout = config.limits.header_read_timeout;
        Ok::<_, Error>(tokio::spawn(gridwork_server::serve_listener(
            listener,
            app,
            timeout,
            async {
                let _ = stopped.await;
            },
        )))
    })?;
    let server = Server { stop, task };

    let first = day::day_start(calendar, days[0]);
    let pace = if args.quick {
        day::Pace {
            fix_interval_s: 15,
            reports: (2, 4),
        }
    } else {
        day::Pace {
            fix_interval_s: 5,
            reports: (5, 8),
        }
    };
    let mut sim = day::Sim::new(
        seed,
        pace,
        posts.clone(),
        data.path.join("devices"),
        format!("http://{addr}"),
        first,
    )?;
    let bar = progress_bar(day::TICKS_PER_DAY * days.len() as u64);
    let offset = FixedOffset::east_opt(calendar.utc_offset_minutes() * 60)
        .ok_or_else(|| Error("bad UTC offset in the catalogue".into()))?;
    for (n, date) in days.iter().enumerate() {
        let start = day::day_start(calendar, *date);
        let label = format!("day {}/{}", n + 1, days.len());
        sim.run_day(start, n == 0, &mut |t| {
            bar.inc(1);
            if t % (5 * 60_000) == 0 {
                let clock = offset
                    .timestamp_millis_opt(t)
                    .single()
                    .map(|t| t.format("%a %H:%M").to_string())
                    .unwrap_or_default();
                bar.set_message(format!("{label} {clock}"));
            }
        })?;
    }
    let last = days.last().copied().unwrap_or(days[0]);
    // 17:45 on the last day: the day's last syncs.
    let end = day::day_start(calendar, last) + (9 * 60 + 15) * 60_000;
    bar.set_message("last syncs");
    sim.finish(end)?;
    bar.finish_and_clear();

    let views = runtime.block_on(async {
        let storage = gridwork_server::open_storage(&config.db).await?;
        storage.case_views().await
    })?;
    let devices = sim.all_devices();
    let syncs = devices.iter().map(|d| d.syncs).sum();
    let rejected = devices.iter().map(|d| d.rejected).sum();
    let summary = summary::gather(
        &sim.desk.store,
        sim.reported_cases(),
        &views,
        &posts,
        &sim.tally,
        (syncs, rejected),
        end,
    )?;
    let dates: Vec<String> = days
        .iter()
        .map(|d| d.format("%a %Y-%m-%d").to_string())
        .collect();
    let heading = format!(
        "gridwork demo — K city sample, {} working day(s) ({}), seed {seed}{}\n\
         {} worker(s) ({}), supervisor {} on a desk and a tablet, handlers {}",
        days.len(),
        dates.join(", "),
        if args.quick { ", quick" } else { "" },
        posts.len(),
        posts
            .iter()
            .map(|p| p.user.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        world::SUPERVISOR,
        world::HANDLERS
            .iter()
            .map(|h| h.0)
            .collect::<Vec<_>>()
            .join(" and "),
    );
    output::line(summary.render(&heading));
    Ok(server)
}

fn progress_bar(len: u64) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    if !std::io::stderr().is_terminal() {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    bar.set_style(
        ProgressStyle::with_template("simulating {wide_bar} {percent:>3}% {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

/// The `n` most recent working days before today (local time of the catalogue's
/// calendar), oldest first: every simulated event lies in the past.
fn recent_working_days(calendar: &WorkingCalendar, n: usize) -> Result<Vec<NaiveDate>> {
    let offset = FixedOffset::east_opt(calendar.utc_offset_minutes() * 60)
        .ok_or_else(|| Error("bad UTC offset in the catalogue".into()))?;
    let today = Utc::now().with_timezone(&offset).date_naive();
    let mut out = Vec::new();
    let mut d = today;
    for _ in 0..400 {
        d -= Days::days(1);
        if calendar.is_working_day(d) {
            out.push(d);
            if out.len() == n {
                out.reverse();
                return Ok(out);
            }
        }
    }
    Err(Error(
        "the catalogue's calendar has too few working days".into(),
    ))
}

/// The demo's data folder: a temporary one, or `--data DIR` (new or empty).
struct DataDir {
    path: PathBuf,
    temp: Option<tempfile::TempDir>,
    /// `--data` named a folder that did not exist yet.
    created: bool,
}

impl DataDir {
    fn prepare(given: Option<&Path>) -> Result<DataDir> {
        let Some(path) = given else {
            let temp = tempfile::Builder::new()
                .prefix("gridwork-demo-")
                .tempdir()?;
            return Ok(DataDir {
                path: temp.path().to_path_buf(),
                temp: Some(temp),
                created: true,
            });
        };
        let shown = path.display();
        let created = if path.is_dir() {
            let mut entries = std::fs::read_dir(path)
                .map_err(|e| Error(format!("--data {shown}: cannot read the folder: {e}")))?;
            if entries.next().is_some() {
                return Err(Error(format!(
                    "--data {shown}: the folder is not empty (the demo starts a fresh server \
                     and fresh devices; give a new or empty folder)"
                )));
            }
            false
        } else if path.exists() {
            return Err(Error(format!("--data {shown}: not a folder")));
        } else {
            std::fs::create_dir_all(path)
                .map_err(|e| Error(format!("--data {shown}: cannot create the folder: {e}")))?;
            true
        };
        let data = DataDir {
            path: path.to_path_buf(),
            temp: None,
            created,
        };
        let probe = path.join(".gridwork-demo-probe");
        if let Err(e) = std::fs::write(&probe, b"").and_then(|()| std::fs::remove_file(&probe)) {
            data.discard();
            return Err(Error(format!("--data {shown}: cannot write there: {e}")));
        }
        Ok(data)
    }

    /// Removes what the demo wrote (after a failure): nothing half-made stays.
    fn discard(&self) {
        if self.temp.is_some() {
            return;
        }
        if self.created {
            let _ = std::fs::remove_dir_all(&self.path);
        } else if let Ok(entries) = std::fs::read_dir(&self.path) {
            for entry in entries.flatten() {
                let p = entry.path();
                let _ = if p.is_dir() {
                    std::fs::remove_dir_all(&p)
                } else {
                    std::fs::remove_file(&p)
                };
            }
        }
    }
}
