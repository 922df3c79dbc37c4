//! Power loss, simulated: a store records reports, workflow actions, check-ins, patrol
//! steps and GPS fixes (with photos) while the power is cut at a random file operation;
//! after each "reboot" the store is reopened on what a disk could hold (see
//! `tests/powerloss`) and must be sound and hold every write that was acknowledged as
//! durable. Short run by default; `GRIDWORK_POWER_CUTS=1000` for the long one
//! (docs/reliability.md).

#![allow(clippy::unwrap_used, clippy::print_stdout, missing_docs)]

use gridwork_core::{
    fs_trace::{self, FsOp},
    model::Role,
    patrol::{Fix, PatrolStatus, Provider},
    store::{ActionKind, ActionRequest},
    workflow::Status,
    Store,
};
use gridwork_powerloss::{Cut, CutReport, PowerLoss};
use gridwork_tests::{draft_for, CATALOG, GRID};
use sha2::{Digest, Sha256};
use std::{
    collections::{BTreeMap, BTreeSet},
    path::{Path, PathBuf},
};
use uuid::Uuid;

/// A write acknowledged as durable (committed with `synchronous=FULL`).
#[derive(Debug, Clone)]
enum Durable {
    Report(Uuid),
    Action(Uuid, Status),
    CheckIn(Uuid, String),
    Started(Uuid),
    Finished(Uuid),
}

#[derive(Debug, Default)]
struct Figures {
    cuts: u64,
    strict_cuts: u64,
    ops: u64,
    acked: BTreeMap<&'static str, u64>,
    interrupted: u64,
    fixes_acked: u64,
    fixes_lost: u64,
    fixes_at_risk: u64,
    photos_checked: u64,
    cut: CutReport,
}

fn power() -> &'static PowerLoss {
    let power = gridwork_powerloss::install().unwrap();
    fs_trace::set_observer(Some(Box::new(move |op| match op {
        FsOp::Written(p) => power.note_written(p),
        FsOp::Synced(p) => power.note_synced(p),
        FsOp::Renamed(from, to) => power.note_renamed(from, to),
        FsOp::SyncedDir(d) => power.note_dir_synced(d),
        FsOp::Removed(p) => power.note_removed(p),
    })));
    power
}

fn photo(dir: &Path, tag: &str) -> PathBuf {
    let path = dir.join(format!("{tag}.jpg"));
    let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0];
    bytes.extend_from_slice(tag.as_bytes());
    bytes.resize(bytes.len() + 3000, b'.');
    std::fs::write(&path, bytes).unwrap();
    path
}

fn rank(s: Status) -> u8 {
    match s {
        Status::Reported => 0,
        Status::Registered => 1,
        _ => 2,
    }
}

/// One step of the workload. `Ok(None)`: nothing to do in this state.
enum Step {
    Full(Durable),
    Fixes(Uuid, Vec<i64>, bool),
}

struct Work<'a> {
    store: &'a Store,
    rng: &'a mut fastrand::Rng,
    sources: &'a Path,
    cell: String,
    n: u64,
    next_fix_ms: &'a mut i64,
    reports: &'a [Uuid],
}

impl Work<'_> {
    fn step(&mut self) -> gridwork_core::Result<Option<Step>> {
        self.n += 1;
        let tag = format!("w{}-{}", self.n, self.rng.u32(..));
        let roll = self.rng.u32(0..100);
        let store = self.store;
        if roll < 25 {
            let mut d = draft_for(store, self.sources, &tag);
            if self.rng.bool() {
                d.photos.clear();
            }
            return Ok(Some(Step::Full(Durable::Report(store.report(&d)?))));
        }
        if roll < 37 {
            if self.reports.is_empty() {
                return Ok(None);
            }
            let id = self.reports[self.rng.usize(..self.reports.len())];
            let status = store.case(id)?.case.status;
            let (kind, role, to) = match status {
                Status::Reported => (ActionKind::Register, Role::Intake, Status::Registered),
                Status::Registered => (ActionKind::Dispatch, Role::Dispatcher, Status::Dispatched),
                _ => return Ok(None),
            };
            let mut req = ActionRequest::new(kind);
            req.as_role = Some(role);
            req.note = Some(format!("note {tag}"));
            if self.rng.bool() {
                req.photos = vec![photo(self.sources, &tag)];
            }
            store.act(id, &req)?;
            return Ok(Some(Step::Full(Durable::Action(id, to))));
        }
        let open = store.open_patrol()?;
        let Some(patrol) = open else {
            let id = store.start_patrol(std::slice::from_ref(&self.cell))?;
            return Ok(Some(Step::Full(Durable::Started(id))));
        };
        let status = store.patrol(patrol)?.status;
        if status == PatrolStatus::Paused {
            store.resume_patrol(patrol)?;
            return Ok(None);
        }
        if roll < 47 {
            let with_photo = self.rng.bool().then(|| photo(self.sources, &tag));
            store.check_in(
                patrol,
                31.3061,
                120.5808,
                Some(tag.clone()),
                with_photo.as_deref(),
            )?;
            return Ok(Some(Step::Full(Durable::CheckIn(patrol, tag))));
        }
        if roll < 49 {
            store.pause_patrol(patrol)?;
            return Ok(None);
        }
        if roll < 51 {
            store.finish_patrol(patrol)?;
            return Ok(Some(Step::Full(Durable::Finished(patrol))));
        }
        let count = 1 + self.rng.usize(0..8);
        let mut fixes = Vec::with_capacity(count);
        let mut times = Vec::with_capacity(count);
        for i in 0..count {
            *self.next_fix_ms += 10_000;
            times.push(*self.next_fix_ms);
            fixes.push(Fix {
                time_ms: *self.next_fix_ms,
                lat: 31.3060 + (i % 7) as f64 * 1e-5,
                lon: 120.5807 + (self.n % 50) as f64 * 1e-5,
                accuracy_m: 5.0,
                speed_mps: Some(1.2),
                bearing_deg: None,
                altitude_m: None,
                provider: Provider::Gps,
                mock: false,
            });
        }
        let report = store.add_fixes(patrol, fixes)?;
        Ok(Some(Step::Fixes(patrol, times, report.synced_points > 0)))
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Everything a reopened store must show, whatever the cut did.
/// Photos already checked are skipped unless `everything` (a photo file is never
/// rewritten, so only the last round's can have been hurt).
fn check_sound(
    store: &Store,
    label: &str,
    figures: &mut Figures,
    seen: &mut BTreeSet<String>,
    everything: bool,
) {
    let integrity: String = store
        .db()
        .read(|c| Ok(c.query_row("PRAGMA integrity_check", [], |r| r.get(0))?))
        .unwrap();
    assert_eq!(integrity, "ok", "{label}: integrity_check");
    let chain = store.verify_log().unwrap();
    assert!(chain.is_intact(), "{label}: chain {chain:?}");
    let photos: Vec<(String, i64)> = store
        .db()
        .read(|c| {
            let mut st = c.prepare("SELECT sha256, size FROM photos")?;
            let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .unwrap();
    for (sha, size) in photos {
        if !everything && seen.contains(&sha) {
            continue;
        }
        let path = store.photos_dir().join(&sha);
        let bytes = std::fs::read(&path)
            .unwrap_or_else(|e| panic!("{label}: photo {sha} is referenced but missing: {e}"));
        assert_eq!(bytes.len() as i64, size, "{label}: photo {sha} cut short");
        assert_eq!(sha256_hex(&bytes), sha, "{label}: photo {sha} corrupt");
        figures.photos_checked += 1;
        seen.insert(sha);
    }
}

fn check_durable(store: &Store, label: &str, w: &Durable) {
    match w {
        Durable::Report(id) => {
            store
                .case(*id)
                .unwrap_or_else(|e| panic!("{label}: acknowledged report {id} lost: {e}"));
        }
        Durable::Action(id, to) => {
            let status = store
                .case(*id)
                .unwrap_or_else(|e| {
                    panic!("{label}: case {id} of an acknowledged action lost: {e}")
                })
                .case
                .status;
            assert!(
                rank(status) >= rank(*to),
                "{label}: action on {id} lost ({status:?})"
            );
        }
        Durable::CheckIn(p, note) => {
            let held = store
                .patrol(*p)
                .unwrap_or_else(|e| panic!("{label}: patrol of check-in {note} lost: {e}"))
                .check_ins;
            assert!(
                held.iter()
                    .any(|c| c.check_in.note.as_deref() == Some(note)),
                "{label}: check-in {note} lost"
            );
        }
        Durable::Started(p) => {
            store
                .patrol(*p)
                .unwrap_or_else(|e| panic!("{label}: started patrol {p} lost: {e}"));
        }
        Durable::Finished(p) => {
            let status = store
                .patrol(*p)
                .unwrap_or_else(|e| panic!("{label}: finished patrol {p} lost: {e}"))
                .status;
            assert_eq!(
                status,
                PatrolStatus::Finished,
                "{label}: finish of {p} lost"
            );
        }
    }
}

fn kind(w: &Durable) -> &'static str {
    match w {
        Durable::Report(_) => "reports",
        Durable::Action(..) => "actions",
        Durable::CheckIn(..) => "check-ins",
        Durable::Started(_) | Durable::Finished(_) => "patrol steps",
    }
}

/// The fixes a store holds for a patrol (none when the patrol itself is gone).
fn held_fixes(store: &Store, patrol: Uuid) -> BTreeSet<i64> {
    match store.patrol_track(patrol) {
        Ok(track) => track.iter().map(|p| p.fix.time_ms).collect(),
        Err(gridwork_core::Error::NotFound { .. }) => BTreeSet::new(),
        Err(e) => panic!("patrol {patrol}: {e}"),
    }
}

/// Opens the store, encrypted when `GRIDWORK_POWER_KEY` is set (a build with
/// `--features gridwork-core/encryption`: the VFS then sees SQLCipher's pages).
fn open(dir: &Path) -> gridwork_core::Result<Store> {
    match std::env::var("GRIDWORK_POWER_KEY") {
        Ok(key) => Store::open_encrypted(dir, &key),
        Err(_) => Store::open(dir),
    }
}

fn run(cuts: u64, seed: u64) -> Figures {
    let power = power();
    // On a RAM disk where there is one: the model decides what survives, so the real
    // fsyncs only cost time (a second per ten cuts on this machine's disk).
    let root = match Path::new("/dev/shm").is_dir() {
        true => tempfile::tempdir_in("/dev/shm").unwrap(),
        false => tempfile::tempdir().unwrap(),
    };
    let dir = root.path().join("store");
    let sources = root.path().join("camera");
    std::fs::create_dir(&sources).unwrap();
    let store = open(&dir).unwrap();
    store
        .init_with_device("li", Role::Worker, "phone-power")
        .unwrap();
    store.import_grid(GRID).unwrap();
    store.import_catalog(CATALOG).unwrap();
    let cell = store.grid().unwrap().cells()[0].code.clone();
    drop(store);
    power.watch(&dir).unwrap();
    power.settle();

    let mut rng = fastrand::Rng::with_seed(seed);
    let mut figures = Figures::default();
    let mut durable: Vec<Durable> = Vec::new();
    let mut reports: Vec<Uuid> = Vec::new();
    // Acknowledged fixes no cut took, by patrol.
    let mut fixes: BTreeMap<Uuid, BTreeSet<i64>> = BTreeMap::new();
    let mut next_fix_ms = 1_780_000_000_000i64;
    let mut last_round = 0;
    let mut seen_photos = BTreeSet::new();
    let mut touched: BTreeSet<Uuid> = BTreeSet::new();
    for cut in 0..=cuts {
        let label = format!("seed {seed}, after {cut} cuts");
        let store = open(&dir).unwrap_or_else(|e| panic!("{label}: reopen: {e}"));
        // Everything every 50 cuts and at the end; in between what the last round
        // added and the patrols it touched (a long run would otherwise spend its time
        // re-reading thousands of old writes), and the number of cases.
        let everything = cut % 50 == 0 || cut == cuts;
        check_sound(&store, &label, &mut figures, &mut seen_photos, everything);
        let from = if everything { 0 } else { last_round };
        for w in &durable[from..] {
            check_durable(&store, &label, w);
        }
        let cases: i64 = store
            .db()
            .read(|c| Ok(c.query_row("SELECT count(*) FROM incidents", [], |r| r.get(0))?))
            .unwrap();
        assert!(cases as usize >= reports.len(), "{label}: cases lost");
        for (patrol, times) in fixes
            .iter()
            .filter(|(p, _)| everything || touched.contains(*p))
        {
            let held = held_fixes(&store, *patrol);
            let lost: Vec<_> = times.difference(&held).collect();
            assert!(
                lost.is_empty(),
                "{label}: synced fixes lost from {patrol}: {lost:?}"
            );
        }
        if cut == cuts {
            break;
        }

        power.arm(1 + rng.u64(0..250));
        // This round's acknowledged fix batches, each with whether a synced write was
        // acknowledged after it (then it must survive).
        let mut batches: Vec<(Uuid, Vec<i64>, bool)> = Vec::new();
        let mut work = Work {
            store: &store,
            rng: &mut rng,
            sources: &sources,
            cell: cell.to_string(),
            n: cut * 1000,
            next_fix_ms: &mut next_fix_ms,
            reports: &reports,
        };
        let mut new_durable = Vec::new();
        for _ in 0..400 {
            match work.step() {
                Ok(Some(Step::Full(w))) => {
                    *figures.acked.entry(kind(&w)).or_default() += 1;
                    for b in &mut batches {
                        b.2 = true;
                    }
                    new_durable.push(w);
                }
                Ok(Some(Step::Fixes(p, times, synced))) => {
                    if synced {
                        for b in &mut batches {
                            b.2 = true;
                        }
                    }
                    figures.fixes_acked += times.len() as u64;
                    batches.push((p, times, synced));
                }
                Ok(None) => {}
                Err(e) => {
                    assert!(
                        power.is_off(),
                        "{label}: a write failed with the power on: {e}"
                    );
                    figures.interrupted += 1;
                    break;
                }
            }
            if power.is_off() {
                break;
            }
        }
        figures.ops += work.n - cut * 1000;
        drop(work);
        if !power.is_off() {
            power.cut();
        }
        drop(store);
        let mode = if rng.u32(0..4) == 0 {
            figures.strict_cuts += 1;
            Cut::Strict
        } else {
            Cut::Random
        };
        let report = power.reboot(&mut rng, mode).unwrap();
        figures.cuts += 1;
        add(&mut figures.cut, report);

        // What the reboot kept of this round's fixes: every batch a synced write followed,
        // and of the others a prefix (commits survive in order).
        let label = format!("seed {seed}, cut {} ({mode:?})", cut + 1);
        let store = open(&dir).unwrap_or_else(|e| panic!("{label}: reopen: {e}"));
        let mut gone = false;
        touched.clear();
        for (patrol, times, must) in batches {
            touched.insert(patrol);
            let held = held_fixes(&store, patrol);
            let all = times.iter().all(|t| held.contains(t));
            let none = !times.iter().any(|t| held.contains(t));
            assert!(all || none, "{label}: half a batch survived");
            if must {
                assert!(
                    all,
                    "{label}: fixes followed by a synced write lost: {times:?}"
                );
            } else {
                figures.fixes_at_risk += times.len() as u64;
            }
            if none {
                assert!(!must);
                figures.fixes_lost += times.len() as u64;
                gone = true;
            } else {
                assert!(!gone, "{label}: a later batch survived an earlier lost one");
                fixes.entry(patrol).or_default().extend(times);
            }
        }
        drop(store);
        for w in &new_durable {
            if let Durable::Report(id) = w {
                reports.push(*id);
            }
        }
        last_round = durable.len();
        durable.extend(new_durable);
        if (cut + 1) % 100 == 0 {
            println!("power loss: {} cuts…", cut + 1);
        }
    }
    figures
}

fn add(total: &mut CutReport, r: CutReport) {
    total.sectors_kept += r.sectors_kept;
    total.sectors_reverted += r.sectors_reverted;
    total.sectors_garbled += r.sectors_garbled;
    total.lengths_reverted += r.lengths_reverted;
    total.dir_changes_undone += r.dir_changes_undone;
    total.files_damaged += r.files_damaged;
}

#[test]
fn power_cuts_keep_every_acknowledged_durable_write() {
    let cuts = std::env::var("GRIDWORK_POWER_CUTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(25u64);
    let seed = std::env::var("GRIDWORK_POWER_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_261_201u64);
    let started = std::time::Instant::now();
    let f = run(cuts, seed);
    println!(
        "power loss: seed {seed}, {} cuts ({} strict), {} steps, {} interrupted by the cut; \
         acknowledged durable writes {:?}, all survived; fixes acknowledged {}, \
         {} not yet followed by a synced write, {} of them lost; {} photo checks; {:?}; {:.1} s",
        f.cuts,
        f.strict_cuts,
        f.ops,
        f.interrupted,
        f.acked,
        f.fixes_acked,
        f.fixes_at_risk,
        f.fixes_lost,
        f.photos_checked,
        f.cut,
        started.elapsed().as_secs_f64()
    );
    assert!(
        f.fixes_lost > 0,
        "the run never lost an unsynced fix: the cut is not biting"
    );
    assert!(f.cut.dir_changes_undone > 0 && f.cut.sectors_reverted > 0);
}
