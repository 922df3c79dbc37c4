//! The simulated working day, minute by minute, from 08:30 to 17:30 local time.
//!
//! - **Workers** start a patrol of their community's cells at about 08:40, walk them
//!   (fixes every few seconds), pause for lunch, finish at about 17:10. They are offline
//!   while walking and sync every 30–60 minutes (and at once after an urgent report or
//!   a verification).
//!   They report what they find (with a photo), fix small things on the spot, check in
//!   at places, and verify handled cases in their cells: most pass, some fail (rework).
//! - **The supervisor's desk** syncs every 15 minutes: registers new reports (cancels a
//!   few), dispatches them to the category's department, closes verified cases.
//! - **Handlers** sync every 30 minutes and handle their departments' cases with an after
//!   photo, some late, a few not at all that day (so some cases run overdue).
//! - **The conflict**: on the first day the supervisor's tablet takes a newly registered
//!   case out of the office and dispatches it offline; the desk, not knowing, dispatches
//!   it too. Both sync: every replica folds the second dispatch as a conflict.
//!
//! Every device runs on its own clock, set to the simulated time when it acts; the
//! days are in the past, so no event is ever ahead of the server's clock.

use super::{
    incidents,
    routes::{cell_route, Frame, Walker},
    world::{Device, Post, HANDLERS, SUPERVISOR},
};
use crate::output::anyhow_free::{Error, Result};
use chrono::NaiveDate;
use fastrand::Rng;
use geo::Centroid;
use gridwork_core::{
    calendar::WorkingCalendar,
    catalog::Catalog,
    geo::Grid,
    model::{Role, Urgency},
    store::{ActionKind, ActionRequest, ReportDraft},
    workflow::{Case, Status},
};
use gridwork_http::HttpTransport;
use std::{
    collections::{HashMap, HashSet},
    path::PathBuf,
};
use uuid::Uuid;

const MINUTE: i64 = 60_000;

/// How busy the day is.
#[derive(Debug, Clone, Copy)]
pub struct Pace {
    /// Seconds between two GPS fixes.
    pub fix_interval_s: u32,
    /// Reports per worker and day (inclusive range).
    pub reports: (u32, u32),
}

/// The day's minutes: 08:30 to 17:30 inclusive.
pub const TICKS_PER_DAY: u64 = 9 * 60 + 1;

/// The simulation's figures that are not in any store.
#[derive(Debug, Default, Clone)]
pub struct Tally {
    /// Reports made on devices.
    pub reported: u64,
    /// Fixed on the spot by the worker.
    pub self_fixed: u64,
    /// Fixes recorded.
    pub fixes: u64,
    /// Check-ins.
    pub check_ins: u64,
    /// Verifications that failed (rework).
    pub verify_failed: u64,
}

struct Worker {
    post: Post,
    device: Device,
    frame: Frame,
    walker: Option<Walker>,
    patrol: Option<Uuid>,
    paused: bool,
    reports_due: Vec<i64>,
    verify: Vec<(i64, usize)>,
    queued: HashSet<usize>,
    next_sync: i64,
    next_checkin: i64,
    start: i64,
    lunch: (i64, i64),
    end: i64,
}

struct Handler {
    device: Device,
    departments: &'static [&'static str],
    queue: Vec<(i64, usize)>,
    queued: HashSet<usize>,
    next_sync: i64,
    /// The first short-deadline case this handler picks up is left lying (the crew is
    /// busy elsewhere): every run shows an overdue case.
    slack: bool,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Conflict {
    /// Waiting for a case to register on the first morning.
    Waiting,
    /// The desk registered `case` at `at`; the tablet pulls it and goes offline.
    Registered { case: usize, at: i64 },
    /// The tablet dispatched it offline.
    TabletDispatched { case: usize, at: i64 },
    /// The desk dispatched it too; the tablet syncs at `online`.
    BothDispatched { online: i64 },
    /// Done.
    Synced,
}

/// The whole simulation: every device and what each is about to do.
pub struct Sim {
    rng: Rng,
    transport: HttpTransport,
    url: String,
    grid: Grid,
    catalog: Catalog,
    calendar: WorkingCalendar,
    pace: Pace,
    camera: PathBuf,
    workers: Vec<Worker>,
    handlers: Vec<Handler>,
    /// The supervisor's desk.
    pub desk: Device,
    tablet: Device,
    tablet_next_sync: i64,
    desk_next_sync: i64,
    conflict: Conflict,
    /// From when the desk holds a newly registered case back for the conflict (09:30
    /// on the first day).
    conflict_from: i64,
    cases: Vec<Uuid>,
    index: HashMap<Uuid, usize>,
    photos: u64,
    /// Figures not kept in any store.
    pub tally: Tally,
}

/// 08:30 local time of `day`, unix ms.
pub fn day_start(calendar: &WorkingCalendar, day: NaiveDate) -> i64 {
    let midnight = day
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc().timestamp_millis())
        .unwrap_or_default();
    midnight - i64::from(calendar.utc_offset_minutes()) * MINUTE + (8 * 60 + 30) * MINUTE
}

impl Sim {
    /// Sets up every device under `devices_dir` (signed in to `url`) for `posts`.
    pub fn new(
        seed: u64,
        pace: Pace,
        posts: Vec<Post>,
        devices_dir: PathBuf,
        url: String,
        first_day: i64,
    ) -> Result<Sim> {
        let transport = HttpTransport::new(gridwork_http::HttpOptions::default())
            .map_err(|e| Error(e.to_string()))?;
        let grid = Grid::from_geojson(super::GRID)?;
        let catalog = Catalog::from_json(super::CATALOG)?;
        let calendar = catalog.calendar().clone();
        let dir = |name: &str| devices_dir.join(name);
        let before = first_day - 10 * MINUTE;
        let mut workers = Vec::new();
        for post in posts {
            let device = Device::create(
                &dir(&format!("{}-phone", post.user)),
                &format!("{}'s phone", post.user),
                &post.user,
                Role::Worker,
                before,
            )?;
            let first = grid
                .cell(&post.cells[0])
                .and_then(|c| c.polygon.centroid())
                .ok_or_else(|| Error(format!("no cell {}", post.cells[0])))?;
            workers.push(Worker {
                frame: Frame::new(first.y(), first.x()),
                post,
                device,
                walker: None,
                patrol: None,
                paused: false,
                reports_due: Vec::new(),
                verify: Vec::new(),
                queued: HashSet::new(),
                next_sync: i64::MAX,
                next_checkin: i64::MAX,
                start: i64::MAX,
                lunch: (i64::MAX, i64::MAX),
                end: i64::MAX,
            });
        }
        let mut handlers = Vec::new();
        for (user, departments) in HANDLERS {
            handlers.push(Handler {
                device: Device::create(
                    &dir(&format!("{user}-phone")),
                    &format!("{user}'s phone"),
                    user,
                    Role::Handler,
                    before,
                )?,
                departments,
                queue: Vec::new(),
                queued: HashSet::new(),
                next_sync: first_day,
                slack: true,
            });
        }
        let desk = Device::create(
            &dir(&format!("{SUPERVISOR}-desk")),
            &format!("{SUPERVISOR}'s desk"),
            SUPERVISOR,
            Role::Supervisor,
            before,
        )?;
        let tablet = Device::create(
            &dir(&format!("{SUPERVISOR}-tablet")),
            &format!("{SUPERVISOR}'s tablet"),
            SUPERVISOR,
            Role::Supervisor,
            before,
        )?;
        let camera = devices_dir.join("camera");
        std::fs::create_dir_all(&camera)?;
        let sim = Sim {
            rng: Rng::with_seed(seed),
            transport,
            url,
            grid,
            catalog,
            calendar,
            pace,
            camera,
            workers,
            handlers,
            desk,
            tablet,
            tablet_next_sync: first_day,
            desk_next_sync: first_day,
            conflict: Conflict::Waiting,
            conflict_from: first_day + 60 * MINUTE,
            cases: Vec::new(),
            index: HashMap::new(),
            photos: 0,
            tally: Tally::default(),
        };
        for d in sim.devices() {
            d.sign_in(&sim.transport, &sim.url)?;
        }
        Ok(sim)
    }

    fn devices(&self) -> impl Iterator<Item = &Device> {
        self.workers
            .iter()
            .map(|w| &w.device)
            .chain(self.handlers.iter().map(|h| &h.device))
            .chain([&self.desk, &self.tablet])
    }

    /// Every device, for the summary.
    pub fn all_devices(&self) -> Vec<&Device> {
        self.devices().collect()
    }

    /// Every case reported on a device, in the order reported.
    pub fn reported_cases(&self) -> &[Uuid] {
        &self.cases
    }

    /// Runs one working day starting at `start` (08:30 local, unix ms); `tick` is
    /// called after every simulated minute.
    pub fn run_day(&mut self, start: i64, first: bool, tick: &mut dyn FnMut(i64)) -> Result<()> {
        self.plan_day(start, first);
        for minute in 0..TICKS_PER_DAY as i64 {
            let t = start + minute * MINUTE;
            for i in 0..self.workers.len() {
                self.worker_minute(i, t)?;
            }
            for i in 0..self.handlers.len() {
                self.handler_minute(i, t)?;
            }
            self.desk_minute(t)?;
            self.tablet_minute(t)?;
            tick(t);
        }
        Ok(())
    }

    /// After the last day: everyone syncs twice, so that every device has every event
    /// (and every replica has folded the conflict).
    pub fn finish(&mut self, at: i64) -> Result<()> {
        for _ in 0..2 {
            for w in &mut self.workers {
                w.device.set_time(at);
                w.device.sync(&self.transport)?;
            }
            for h in &mut self.handlers {
                h.device.set_time(at);
                h.device.sync(&self.transport)?;
            }
            for d in [&mut self.desk, &mut self.tablet] {
                d.set_time(at);
                d.sync(&self.transport)?;
            }
        }
        // The photos went into the stores; the camera folder is empty.
        let _ = std::fs::remove_dir(&self.camera);
        Ok(())
    }

    fn plan_day(&mut self, start: i64, first: bool) {
        let rng = &mut self.rng;
        let (lo, hi) = self.pace.reports;
        for (i, w) in self.workers.iter_mut().enumerate() {
            w.start = start + (10 + rng.i64(0..10)) * MINUTE;
            w.lunch = (
                start + (195 + rng.i64(0..10)) * MINUTE,
                start + (300 + rng.i64(5..15)) * MINUTE,
            );
            w.end = start + (515 + rng.i64(0..15)) * MINUTE;
            let n = rng.u32(lo..=hi);
            let mut due: Vec<i64> = (0..n)
                .map(|_| {
                    let (a, b) = if rng.bool() {
                        (w.start + 15 * MINUTE, w.lunch.0 - 5 * MINUTE)
                    } else {
                        (w.lunch.1 + 5 * MINUTE, w.end - 20 * MINUTE)
                    };
                    rng.i64(a..b)
                })
                .collect();
            if first && i == 0 {
                // The first worker finds something early on the first day: the case the
                // two supervisor devices will both dispatch.
                due.push(start + 40 * MINUTE);
            }
            due.sort_unstable();
            w.reports_due = due;
            w.next_sync = w.start + rng.i64(30..60) * MINUTE;
            w.next_checkin = w.start + rng.i64(20..50) * MINUTE;
        }
    }

    fn photo(&mut self, template: usize, before: bool) -> Result<PathBuf> {
        self.photos += 1;
        let path = self.camera.join(format!("IMG_{:05}.png", self.photos));
        std::fs::write(&path, incidents::photo(template, before, &mut self.rng))?;
        Ok(path)
    }

    fn case_of(device: &Device, id: Uuid) -> Option<Case> {
        device.store.case(id).ok().map(|d| d.case)
    }

    fn template_of(category: &str) -> usize {
        incidents::TEMPLATES
            .iter()
            .position(|t| t.category == category)
            .unwrap_or(0)
    }

    fn worker_minute(&mut self, i: usize, t: i64) -> Result<()> {
        let w = &mut self.workers[i];
        if t < w.start || t > w.end + MINUTE {
            return Ok(());
        }
        w.device.set_time(t);
        if w.patrol.is_none() && t < w.end {
            // Morning: pull what happened overnight, then set off.
            w.device.sync(&self.transport)?;
            let mut cells = w.post.cells.clone();
            self.rng.shuffle(&mut cells);
            let spacing = self.rng.f64() * 25.0 + 50.0;
            let mut route = Vec::new();
            for code in &cells {
                if let Some(cell) = self.grid.cell(code) {
                    route.extend(cell_route(
                        &cell.polygon,
                        &w.frame,
                        spacing,
                        6.0,
                        &mut self.rng,
                    ));
                }
            }
            let speed = 1.0 + self.rng.f64() * 0.25;
            w.walker = Some(Walker::new(
                w.frame,
                route,
                t,
                self.pace.fix_interval_s,
                speed,
            ));
            w.patrol = Some(w.device.store.start_patrol(&cells)?);
            w.paused = false;
            return Ok(());
        }
        let (Some(patrol), Some(walker)) = (w.patrol, w.walker.as_mut()) else {
            return Ok(());
        };
        if w.paused {
            if t >= w.lunch.1 {
                w.device.store.resume_patrol(patrol)?;
                walker.skip_to(t);
                w.paused = false;
            }
            return Ok(());
        }
        let fixes = walker.advance_to(t, &mut self.rng);
        if !fixes.is_empty() {
            self.tally.fixes += fixes.len() as u64;
            w.device.store.add_fixes(patrol, fixes)?;
        }
        if t >= w.end {
            w.device.store.finish_patrol(patrol)?;
            w.patrol = None;
            w.walker = None;
            w.device.sync(&self.transport)?;
            return Ok(());
        }
        if t >= w.lunch.0 && t < w.lunch.1 {
            w.device.store.pause_patrol(patrol)?;
            w.paused = true;
            w.device.sync(&self.transport)?;
            self.after_sync(i, t);
            return Ok(());
        }
        let mut sync_now = false;
        if w.reports_due.first().is_some_and(|&d| d <= t) {
            let (lat, lon) = walker.position();
            let inside = self
                .grid
                .locate(lat, lon)
                .is_some_and(|c| w.post.cells.iter().any(|m| m == c.code.as_str()));
            if inside {
                w.reports_due.remove(0);
                sync_now |= self.report(i, t, lat, lon)?;
            } else if let Some(d) = w.reports_due.first_mut() {
                // Between two cells of someone else's: report it a little further on.
                *d = t + 2 * MINUTE;
            }
        }
        let w = &mut self.workers[i];
        if w.next_checkin <= t {
            let (lat, lon) = w.walker.as_ref().map(|w| w.position()).unwrap_or_default();
            const NOTES: &[&str] = &[
                "走访沿街商户",
                "Checked the estate's bike shed",
                "巡查签到",
                "Visited the elderly resident at No. 8",
            ];
            let note = NOTES[self.rng.usize(0..NOTES.len())].to_string();
            w.device
                .store
                .check_in(patrol, lat, lon, Some(note), None)?;
            if let Some(walker) = w.walker.as_mut() {
                // A word with the shopkeeper: a few minutes standing.
                walker.stand_until(t + self.rng.i64(3..9) * MINUTE);
            }
            self.tally.check_ins += 1;
            w.next_checkin = t + self.rng.i64(40..80) * MINUTE;
        }
        // A verification is sent as soon as it is made: the loop waits for it.
        sync_now |= self.verify_due(i, t)?;
        let w = &mut self.workers[i];
        if sync_now || w.next_sync <= t {
            w.device.sync(&self.transport)?;
            w.next_sync = t + self.rng.i64(30..60) * MINUTE;
            self.after_sync(i, t);
        }
        Ok(())
    }

    /// A worker reports what they found at `(lat, lon)`. Returns whether to sync now
    /// (an urgent report).
    fn report(&mut self, i: usize, t: i64, lat: f64, lon: f64) -> Result<bool> {
        let finding = incidents::finding(&mut self.rng);
        let before = self.photo(finding.template, true)?;
        let w = &mut self.workers[i];
        let draft = ReportDraft {
            category: finding.category.to_string(),
            lat,
            lon,
            accuracy_m: Some(5.0),
            description: finding.text.clone(),
            urgency: if finding.urgent {
                Urgency::Urgent
            } else {
                Urgency::Normal
            },
            photos: vec![before.clone()],
            ..ReportDraft::default()
        };
        let id = w.device.store.report(&draft)?;
        std::fs::remove_file(&before)?;
        self.index.insert(id, self.cases.len());
        self.cases.push(id);
        self.tally.reported += 1;
        let stand = t + self.rng.i64(60_000..180_000);
        if let Some(walker) = self.workers[i].walker.as_mut() {
            walker.stand_until(stand);
        }
        if finding.self_fix && !finding.urgent {
            let after = self.photo(finding.template, false)?;
            let mut request = ActionRequest::new(ActionKind::SelfResolve);
            request.note = Some("已现场处置 / fixed on the spot".into());
            request.photos = vec![after.clone()];
            let w = &mut self.workers[i];
            w.device.set_time(t + MINUTE / 2);
            w.device.store.act(id, &request)?;
            std::fs::remove_file(&after)?;
            self.tally.self_fixed += 1;
        }
        Ok(finding.urgent)
    }

    /// After a worker's sync: handled cases in their cells go on their list to verify.
    fn after_sync(&mut self, i: usize, t: i64) {
        let w = &mut self.workers[i];
        for (index, id) in self.cases.iter().enumerate() {
            if w.queued.contains(&index) {
                continue;
            }
            let Some(case) = Self::case_of(&w.device, *id) else {
                continue;
            };
            let mine = case
                .cell()
                .is_some_and(|c| w.post.cells.iter().any(|m| m == c));
            if mine && case.status == Status::Handled {
                w.queued.insert(index);
                w.verify.push((t + self.rng.i64(5..30) * MINUTE, index));
            }
        }
    }

    /// Verifies the handled cases due now; returns whether it verified any.
    fn verify_due(&mut self, i: usize, t: i64) -> Result<bool> {
        let w = &mut self.workers[i];
        let due: Vec<(i64, usize)> = w.verify.iter().copied().filter(|&(d, _)| d <= t).collect();
        w.verify.retain(|&(d, _)| d > t);
        let mut verified = false;
        for (_, index) in due {
            let w = &mut self.workers[i];
            w.queued.remove(&index);
            let id = self.cases[index];
            let Some(case) = Self::case_of(&w.device, id) else {
                continue;
            };
            if case.status != Status::Handled {
                continue;
            }
            // A first check fails now and then; a reworked case mostly passes.
            let fail_chance = if case.rework_count == 0 { 0.18 } else { 0.05 };
            let request = if self.rng.f64() < fail_chance {
                self.tally.verify_failed += 1;
                let mut r = ActionRequest::new(ActionKind::VerifyFail);
                r.note = Some(incidents::rework_reason(&mut self.rng));
                r
            } else {
                let mut r = ActionRequest::new(ActionKind::VerifyPass);
                r.note = Some("现场核查通过 / checked on site".into());
                r
            };
            w.device.store.act(id, &request)?;
            verified = true;
        }
        Ok(verified)
    }

    fn handler_minute(&mut self, i: usize, t: i64) -> Result<()> {
        let h = &mut self.handlers[i];
        if h.next_sync > t {
            return Ok(());
        }
        h.device.set_time(t);
        h.next_sync = t + 30 * MINUTE;
        h.device.sync(&self.transport)?;
        // New work: cases of the handler's departments, each with a time to handle it.
        for (index, id) in self.cases.iter().enumerate() {
            if h.queued.contains(&index) {
                continue;
            }
            let Some(case) = Self::case_of(&h.device, *id) else {
                continue;
            };
            let ours = case
                .department
                .as_deref()
                .is_some_and(|d| h.departments.contains(&d));
            if case.status != Status::Dispatched || !ours {
                continue;
            }
            h.queued.insert(index);
            let limit = self
                .catalog
                .get(case.category())
                .map(|c| c.time_limit.working_minutes(&self.calendar))
                .unwrap_or(240);
            let roll = self.rng.u32(0..100);
            let slack = h.slack && limit <= 240;
            h.slack &= !slack;
            let share = match (case.rework_count, if slack { 99 } else { roll }) {
                (1.., _) => 0.1 + self.rng.f64() * 0.3,
                (0, 0..72) => 0.15 + self.rng.f64() * 0.65,
                (0, 72..90) => 1.05 + self.rng.f64() * 0.75,
                // Not got round to: it stays with the department and runs overdue.
                _ => f64::INFINITY,
            };
            let due = if share.is_finite() {
                let minutes = (share * limit.min(240) as f64).round() as i64;
                self.calendar
                    .add_working_minutes(t, minutes.max(15))
                    .unwrap_or(t + minutes * MINUTE)
            } else {
                i64::MAX
            };
            h.queue.push((due, index));
        }
        let due: Vec<(i64, usize)> = h.queue.iter().copied().filter(|&(d, _)| d <= t).collect();
        h.queue.retain(|&(d, _)| d > t);
        let mut acted = false;
        for (_, index) in due {
            self.handlers[i].queued.remove(&index);
            let id = self.cases[index];
            let Some(case) = Self::case_of(&self.handlers[i].device, id) else {
                continue;
            };
            if case.status != Status::Dispatched {
                continue;
            }
            let after = self.photo(Self::template_of(case.category()), false)?;
            let mut request = ActionRequest::new(ActionKind::Handle);
            request.note = Some(incidents::handled_note(&mut self.rng));
            request.photos = vec![after.clone()];
            self.handlers[i].device.store.act(id, &request)?;
            std::fs::remove_file(&after)?;
            acted = true;
        }
        if acted {
            self.handlers[i].device.sync(&self.transport)?;
        }
        Ok(())
    }

    fn desk_minute(&mut self, t: i64) -> Result<()> {
        if self.desk_next_sync > t {
            return Ok(());
        }
        self.desk_next_sync = t + 15 * MINUTE;
        self.desk.set_time(t);
        self.desk.sync(&self.transport)?;
        let mut acted = false;
        for index in 0..self.cases.len() {
            let id = self.cases[index];
            let Some(case) = Self::case_of(&self.desk, id) else {
                continue;
            };
            match case.status {
                Status::Reported => {
                    acted = true;
                    if self.rng.f64() < 0.06 {
                        let mut r = ActionRequest::new(ActionKind::Cancel);
                        r.note = Some("不予立案：重复上报 / duplicate of an earlier report".into());
                        self.desk.store.act(id, &r)?;
                        continue;
                    }
                    self.desk
                        .store
                        .act(id, &ActionRequest::new(ActionKind::Register))?;
                    let conflict_case =
                        self.conflict == Conflict::Waiting && t >= self.conflict_from;
                    if conflict_case {
                        self.conflict = Conflict::Registered { case: index, at: t };
                    } else {
                        self.dispatch(index, &case, false)?;
                    }
                }
                Status::Registered => {
                    let held = match self.conflict {
                        Conflict::Registered { case, .. } => case == index,
                        Conflict::TabletDispatched { case, at } => {
                            case == index && t < at + 10 * MINUTE
                        }
                        _ => false,
                    };
                    if !held {
                        acted = true;
                        self.dispatch(index, &case, false)?;
                        if let Conflict::TabletDispatched { case, .. } = self.conflict {
                            if case == index {
                                self.conflict = Conflict::BothDispatched {
                                    online: t + 20 * MINUTE,
                                };
                            }
                        }
                    }
                }
                Status::Verified => {
                    acted = true;
                    let mut r = ActionRequest::new(ActionKind::Close);
                    r.note = Some("结案".into());
                    self.desk.store.act(id, &r)?;
                }
                _ => {}
            }
        }
        if acted {
            self.desk.sync(&self.transport)?;
        }
        Ok(())
    }

    fn dispatch(&self, index: usize, case: &Case, tablet: bool) -> Result<()> {
        let department = self
            .catalog
            .get(case.category())
            .map(|c| c.department.clone())
            .ok_or_else(|| Error(format!("no category {}", case.category())))?;
        let mut r = ActionRequest::new(ActionKind::Dispatch);
        r.department = Some(department);
        r.note = Some(if tablet {
            "现场确认后派遣 / dispatched on site".into()
        } else {
            "派遣".into()
        });
        let device = if tablet { &self.tablet } else { &self.desk };
        device.store.act(self.cases[index], &r)?;
        Ok(())
    }

    fn tablet_minute(&mut self, t: i64) -> Result<()> {
        self.tablet.set_time(t);
        match self.conflict {
            Conflict::Registered { case, at } if t >= at => {
                if t == at {
                    // The tablet pulls the new registration, then leaves the office
                    // (offline) with the case on it.
                    self.tablet.sync(&self.transport)?;
                    return Ok(());
                }
                if t >= at + 5 * MINUTE {
                    let id = self.cases[case];
                    let current = Self::case_of(&self.tablet, id)
                        .ok_or_else(|| Error("the tablet lost the conflict case".into()))?;
                    self.dispatch(case, &current, true)?;
                    self.conflict = Conflict::TabletDispatched { case, at: t };
                }
                return Ok(());
            }
            Conflict::Registered { .. } | Conflict::TabletDispatched { .. } => return Ok(()),
            Conflict::BothDispatched { online } => {
                if t >= online {
                    self.tablet.sync(&self.transport)?;
                    self.conflict = Conflict::Synced;
                    self.tablet_next_sync = t + 30 * MINUTE;
                }
                return Ok(());
            }
            Conflict::Waiting | Conflict::Synced => {}
        }
        if self.tablet_next_sync <= t {
            self.tablet_next_sync = t + 30 * MINUTE;
            self.tablet.sync(&self.transport)?;
        }
        Ok(())
    }
}
