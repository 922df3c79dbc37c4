//! The power-cut model for plain files written with `std::fs` (photos).

use crate::{Cut, CutReport};
use std::{
    collections::BTreeSet,
    fs::OpenOptions,
    path::{Path, PathBuf},
};

#[derive(Debug, Clone)]
enum Step {
    Created(PathBuf),
    Renamed(PathBuf, PathBuf),
    Removed(PathBuf),
}

impl Step {
    fn dir(&self) -> Option<&Path> {
        match self {
            Step::Created(p) | Step::Removed(p) | Step::Renamed(_, p) => p.parent(),
        }
    }
}

/// Directory changes not yet made durable by a directory fsync (in order), data not yet
/// fsynced, and what happened after the cut.
#[derive(Debug, Default)]
pub(crate) struct Plain {
    unsynced_steps: Vec<Step>,
    unsynced_data: BTreeSet<PathBuf>,
    after_cut: Vec<Step>,
}

impl Plain {
    fn step(&mut self, step: Step, alive: bool) {
        if alive {
            self.unsynced_steps.push(step);
        } else {
            self.after_cut.push(step);
        }
    }

    pub(crate) fn written(&mut self, path: &Path, alive: bool) {
        self.step(Step::Created(path.to_path_buf()), alive);
        if alive {
            self.unsynced_data.insert(path.to_path_buf());
        }
    }

    pub(crate) fn synced(&mut self, path: &Path, alive: bool) {
        if alive {
            self.unsynced_data.remove(path);
        }
    }

    pub(crate) fn renamed(&mut self, from: &Path, to: &Path, alive: bool) {
        self.step(Step::Renamed(from.to_path_buf(), to.to_path_buf()), alive);
        if alive && self.unsynced_data.remove(from) {
            self.unsynced_data.insert(to.to_path_buf());
        }
    }

    pub(crate) fn dir_synced(&mut self, dir: &Path, alive: bool) {
        if alive {
            self.unsynced_steps.retain(|s| s.dir() != Some(dir));
        }
    }

    pub(crate) fn removed(&mut self, path: &Path, alive: bool) {
        self.step(Step::Removed(path.to_path_buf()), alive);
        if alive {
            self.unsynced_data.remove(path);
        }
    }

    /// Undoes what the disk may not hold: every step after the cut, then (per directory)
    /// the unsynced steps after a random prefix (none survive in [`Cut::Strict`]), then
    /// the unsynced data of files still there.
    pub(crate) fn apply(
        mut self,
        rng: &mut fastrand::Rng,
        mode: Cut,
        report: &mut CutReport,
    ) -> std::io::Result<()> {
        for step in std::mem::take(&mut self.after_cut).iter().rev() {
            undo(step, &mut self.unsynced_data, report)?;
        }
        let mut dirs: Vec<PathBuf> = self
            .unsynced_steps
            .iter()
            .filter_map(|s| s.dir().map(Path::to_path_buf))
            .collect();
        dirs.sort();
        dirs.dedup();
        for dir in dirs {
            let steps: Vec<Step> = self
                .unsynced_steps
                .iter()
                .filter(|s| s.dir() == Some(dir.as_path()))
                .cloned()
                .collect();
            let kept = match mode {
                Cut::Strict => 0,
                Cut::Random => rng.usize(0..=steps.len()),
            };
            for step in steps[kept..].iter().rev() {
                undo(step, &mut self.unsynced_data, report)?;
            }
        }
        for path in &self.unsynced_data {
            let Ok(meta) = std::fs::metadata(path) else {
                continue;
            };
            let len = match mode {
                Cut::Strict => 0,
                Cut::Random => match rng.u32(0..3) {
                    0 => continue,
                    1 => 0,
                    _ => rng.u64(0..=meta.len()),
                },
            };
            OpenOptions::new().write(true).open(path)?.set_len(len)?;
            report.files_damaged += 1;
        }
        Ok(())
    }
}

fn undo(
    step: &Step,
    unsynced: &mut BTreeSet<PathBuf>,
    report: &mut CutReport,
) -> std::io::Result<()> {
    match step {
        Step::Created(p) => {
            if p.exists() {
                std::fs::remove_file(p)?;
            }
            unsynced.remove(p);
            report.dir_changes_undone += 1;
        }
        Step::Renamed(from, to) => {
            if to.exists() {
                std::fs::rename(to, from)?;
                if unsynced.remove(to) {
                    unsynced.insert(from.clone());
                }
            }
            report.dir_changes_undone += 1;
        }
        // The bytes are gone; a removal is only ever of a file nothing refers to (a
        // photo written for a change that was rolled back), so it is left done.
        Step::Removed(_) => {}
    }
    Ok(())
}
