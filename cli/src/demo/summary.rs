//! The figures printed after the simulation, read from the supervisor's desk (its
//! store has pulled every case and every patrol) and, for the server's own count, from
//! the server's case view.
//!
//! - **Cases by status**: each case's status as the desk's fold has it.
//! - **Overdue**: with a department past its deadline at the end of the last day.
//! - **On-time closure** (按期结案率): cases closed whose department reported the work
//!   done (the last handling, after any rework) by the handling deadline ÷ cases due to
//!   close: dispatched and either closed or past their deadline at the end. The
//!   deadline is the one the dispatching device set (the desk's fold); the server's own
//!   deadlines (recomputed with its calendar from the events' times) give the second
//!   figure, and agree when the devices' clocks and catalogue are right.
//! - **Rework** (返工率): handled cases whose verification failed at least once ÷
//!   cases handled at least once.
//! - **Patrols**: per worker, from the synced (simplified) tracks the desk pulled:
//!   distance and moving time summed over their patrols, and coverage — for each of
//!   the worker's cells the best share any one patrol covered (within 25 m of the
//!   track), averaged over the cells.

use super::{day::Tally, world::Post};
use crate::output::anyhow_free::Result;
use gridwork_core::{
    workflow::{Case, Resolution, Status},
    Store,
};
use gridwork_server::projection::CaseView;
use std::{collections::BTreeMap, fmt::Write};
use uuid::Uuid;

/// One worker's patrol figures.
#[derive(Debug, Clone, PartialEq)]
pub struct PatrolFigures {
    /// The worker.
    pub worker: String,
    /// Patrols pulled.
    pub patrols: u64,
    /// Metres walked (plausible, synced track).
    pub distance_m: f64,
    /// Seconds moving.
    pub moving_s: f64,
    /// Mean over the worker's cells of the best coverage of any patrol, 0–1.
    pub coverage: f64,
    /// The worker's cells.
    pub cells: usize,
}

/// Everything the summary says.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// Reports made on devices.
    pub reported: u64,
    /// Cases the desk holds.
    pub on_desk: u64,
    /// Cases the server holds.
    pub on_server: u64,
    /// By status, on the desk.
    pub by_status: BTreeMap<Status, u64>,
    /// Fixed on the spot.
    pub self_fixed: u64,
    /// Overdue at the end.
    pub overdue: u64,
    /// On time and due, by the devices' deadlines.
    pub on_time: (u64, u64),
    /// On time and due, by the server's deadlines.
    pub server_on_time: (u64, u64),
    /// Reworked and handled.
    pub rework: (u64, u64),
    /// Cases with a conflict.
    pub conflicts: u64,
    /// Events the server refused.
    pub rejected: u64,
    /// Sync runs over all devices.
    pub syncs: u64,
    /// Per worker.
    pub patrols: Vec<PatrolFigures>,
    /// Check-ins and fixes recorded.
    pub check_ins: u64,
    /// Fixes recorded on the phones.
    pub fixes: u64,
}

/// Gathers the figures at `end_ms`.
pub fn gather(
    desk: &Store,
    cases: &[Uuid],
    views: &[CaseView],
    posts: &[Post],
    tally: &Tally,
    devices: (u64, u64),
    end_ms: i64,
) -> Result<Summary> {
    let held: Vec<Case> = cases
        .iter()
        .filter_map(|id| desk.case(*id).ok().map(|d| d.case))
        .collect();
    let mut by_status: BTreeMap<Status, u64> = Status::ALL.iter().map(|s| (*s, 0)).collect();
    for c in &held {
        *by_status.entry(c.status).or_default() += 1;
    }
    let count = |f: &dyn Fn(&Case) -> bool| held.iter().filter(|c| f(c)).count() as u64;
    let closed = |c: &Case| c.status == Status::Closed && c.resolution == Some(Resolution::Closed);
    let due = |c: &Case| {
        c.dispatched_at_ms.is_some() && (closed(c) || c.deadline_ms.is_some_and(|d| d < end_ms))
    };
    let on_time = |c: &Case| {
        closed(c) && matches!((c.handled_at_ms, c.deadline_ms), (Some(at), Some(d)) if at <= d)
    };
    let server_closed = |v: &CaseView| closed(&v.case) && v.closed_ms.is_some();
    let server_due = |v: &CaseView| {
        v.case.dispatched_at_ms.is_some()
            && (server_closed(v) || v.deadline_ms.is_some_and(|d| d < end_ms))
    };
    // The handling step happened, by the server's reckoning, at its event's clock (it
    // cannot have arrived earlier), so the device's handled time is the server's too.
    let server_on_time = |v: &CaseView| {
        server_closed(v)
            && matches!((v.case.handled_at_ms, v.deadline_ms), (Some(at), Some(d)) if at <= d)
    };
    let views_count = |f: &dyn Fn(&CaseView) -> bool| views.iter().filter(|v| f(v)).count() as u64;
    Ok(Summary {
        reported: tally.reported,
        on_desk: held.len() as u64,
        on_server: views.len() as u64,
        by_status,
        self_fixed: count(&|c| c.resolution == Some(Resolution::SelfResolved)),
        overdue: count(&|c| c.is_overdue(end_ms)),
        on_time: (count(&on_time), count(&due)),
        server_on_time: (views_count(&server_on_time), views_count(&server_due)),
        rework: (
            count(&|c| c.handled_at_ms.is_some() && c.rework_count > 0),
            count(&|c| c.handled_at_ms.is_some()),
        ),
        conflicts: count(&|c| !c.conflicts.is_empty()),
        rejected: devices.1,
        syncs: devices.0,
        patrols: patrol_figures(desk, posts)?,
        check_ins: tally.check_ins,
        fixes: tally.fixes,
    })
}

fn patrol_figures(desk: &Store, posts: &[Post]) -> Result<Vec<PatrolFigures>> {
    let all = desk.patrols()?;
    let mut out = Vec::new();
    for post in posts {
        let mut figures = PatrolFigures {
            worker: post.user.clone(),
            patrols: 0,
            distance_m: 0.0,
            moving_s: 0.0,
            coverage: 0.0,
            cells: post.cells.len(),
        };
        let mut best: BTreeMap<String, f64> = BTreeMap::new();
        for p in all.iter().filter(|p| p.worker == post.user) {
            let detail = desk.patrol(p.id)?;
            figures.patrols += 1;
            figures.distance_m += detail.stats.distance_m;
            figures.moving_s += detail.stats.moving_time_s;
            for c in &detail.coverage {
                let e = best.entry(c.cell_id.clone()).or_default();
                *e = e.max(c.covered_share);
            }
        }
        if !post.cells.is_empty() {
            figures.coverage = post
                .cells
                .iter()
                .map(|c| best.get(c).copied().unwrap_or(0.0))
                .sum::<f64>()
                / post.cells.len() as f64;
        }
        out.push(figures);
    }
    Ok(out)
}

fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        "–".into()
    } else {
        format!("{:.1} %", part as f64 * 100.0 / whole as f64)
    }
}

impl Summary {
    /// The summary as printed (deterministic for a seed and dates).
    pub fn render(&self, heading: &str) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "{heading}");
        let _ = writeln!(s);
        let _ = writeln!(
            s,
            "Cases reported on devices: {} · held by the supervisor's desk: {} · on the server: {}",
            self.reported, self.on_desk, self.on_server
        );
        let statuses: Vec<String> = self
            .by_status
            .iter()
            .map(|(status, n)| format!("{status} {n}"))
            .collect();
        let _ = writeln!(s, "By status: {}", statuses.join(", "));
        let _ = writeln!(
            s,
            "  of the closed, fixed on the spot by the worker: {}; with a department past its deadline (overdue): {}",
            self.self_fixed, self.overdue
        );
        let _ = writeln!(
            s,
            "On-time closure: {} of {} due ({}) by the dispatching device's deadline; by the server's deadline {} of {} ({})",
            self.on_time.0,
            self.on_time.1,
            percent(self.on_time.0, self.on_time.1),
            self.server_on_time.0,
            self.server_on_time.1,
            percent(self.server_on_time.0, self.server_on_time.1),
        );
        let _ = writeln!(
            s,
            "Rework: {} of {} handled cases ({})",
            self.rework.0,
            self.rework.1,
            percent(self.rework.0, self.rework.1)
        );
        let _ = writeln!(
            s,
            "Conflicts: {} case(s) flagged on every replica (two offline dispatches)",
            self.conflicts
        );
        let _ = writeln!(
            s,
            "Sync runs: {} · events rejected by the server: {}",
            self.syncs, self.rejected
        );
        let _ = writeln!(s);
        let _ = writeln!(
            s,
            "Patrols, as the supervisor's desk pulled them ({} fixes and {} check-ins recorded on the phones):",
            self.fixes, self.check_ins
        );
        let _ = writeln!(
            s,
            "  {:<11} {:>7} {:>10} {:>8} {:>9}",
            "worker", "patrols", "distance", "moving", "coverage"
        );
        for p in &self.patrols {
            let minutes = (p.moving_s / 60.0).round() as i64;
            let _ = writeln!(
                s,
                "  {:<11} {:>7} {:>7.1} km {:>3}h{:02} {:>6.0} % of {} cells",
                p.worker,
                p.patrols,
                p.distance_m / 1000.0,
                minutes / 60,
                minutes % 60,
                p.coverage * 100.0,
                p.cells
            );
        }
        s
    }
}
