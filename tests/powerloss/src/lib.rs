//! A simulated power cut for tests: what survives when the power goes, as opposed to a
//! process being killed (which leaves everything it wrote in the operating system's
//! cache).
//!
//! - SQLite files go through a VFS ([`install`]) registered as SQLite's default: it
//!   wraps the default VFS and, for files under a watched folder, remembers the content
//!   every sector had at its file's last `xSync`. [`PowerLoss::arm`] cuts the power
//!   after a number of writes/syncs/deletes; from then on every write, sync, truncation
//!   and deletion fails with an I/O error and changes nothing.
//! - Plain files (photos) are written by the code under test with `std::fs`; it reports
//!   each step ([`PowerLoss::note_written`], [`PowerLoss::note_synced`],
//!   [`PowerLoss::note_renamed`], [`PowerLoss::note_dir_synced`],
//!   [`PowerLoss::note_removed`]) and the same model applies: data not fsynced and
//!   directory entries whose directory was not fsynced may be lost.
//! - [`PowerLoss::reboot`] (after the code under test has dropped its connections) turns
//!   the folder into what a disk could hold after the cut, the way SQLite's own crash
//!   tests do (`src/test6.c`): in [`Cut::Strict`] everything not synced is gone; in
//!   [`Cut::Random`] each sector written since its file's last sync independently keeps
//!   the new bytes, goes back to the synced ones, or holds garbage where it was written
//!   (never outside, as SQLite's "powersafe overwrite" assumes); a file's length is the
//!   synced or the newest; of the unsynced directory changes a random prefix survives
//!   (a journalling file system commits them in order), and an unsynced file's data is
//!   kept, lost (length 0, the classic delayed-allocation outcome) or cut short.

#![deny(unsafe_code)]

mod plain;
mod vfs;

use std::{
    collections::{BTreeMap, HashMap},
    fs::OpenOptions,
    io::{Seek, SeekFrom, Write},
    path::{Path, PathBuf},
    sync::{Mutex, MutexGuard},
};

/// The granularity of the model: the smallest unit a disk writes.
pub const SECTOR: u64 = 512;

/// How the cut treats what was not synced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cut {
    /// Everything written since the last sync is lost.
    Strict,
    /// Each unsynced sector, file length and directory change survives or not at random
    /// (sectors may also hold garbage).
    Random,
}

/// What one reboot did to the folder.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct CutReport {
    /// Unsynced SQLite sectors that kept their new bytes.
    pub sectors_kept: u64,
    /// Unsynced SQLite sectors put back to their synced bytes.
    pub sectors_reverted: u64,
    /// Unsynced SQLite sectors left holding garbage.
    pub sectors_garbled: u64,
    /// SQLite files whose length went back to the synced one.
    pub lengths_reverted: u64,
    /// Directory changes (file created, renamed) undone.
    pub dir_changes_undone: u64,
    /// Plain files whose unsynced data was lost or cut short.
    pub files_damaged: u64,
}

/// The power switch of the simulated disk (one per process: the VFS is global).
pub struct PowerLoss(());

static POWER: PowerLoss = PowerLoss(());

/// Registers the VFS as SQLite's default and returns the switch. Call it before any
/// connection that should be watched is opened.
pub fn install() -> Result<&'static PowerLoss, String> {
    vfs::register()?;
    Ok(&POWER)
}

#[derive(Default)]
pub(crate) struct State {
    watched: Vec<String>,
    dead: bool,
    countdown: Option<u64>,
    files: HashMap<String, FileState>,
    plain: plain::Plain,
    ops: u64,
}

struct FileState {
    synced_len: u64,
    sectors: BTreeMap<u64, Sector>,
}

struct Sector {
    /// The sector's bytes at the file's last sync.
    before: Vec<u8>,
    /// The byte ranges written since (offsets inside the sector).
    written: Vec<(usize, usize)>,
}

static STATE: Mutex<Option<State>> = Mutex::new(None);

pub(crate) struct StateGuard(MutexGuard<'static, Option<State>>);

impl std::ops::Deref for StateGuard {
    type Target = State;
    fn deref(&self) -> &State {
        self.0.as_ref().unwrap_or_else(|| unreachable!())
    }
}

impl std::ops::DerefMut for StateGuard {
    fn deref_mut(&mut self) -> &mut State {
        self.0.get_or_insert_with(State::default)
    }
}

pub(crate) fn state() -> StateGuard {
    let mut g = STATE.lock().unwrap_or_else(|e| e.into_inner());
    g.get_or_insert_with(State::default);
    StateGuard(g)
}

impl State {
    pub(crate) fn watches(&self, path: &str) -> bool {
        self.watched.iter().any(|w| path.starts_with(w.as_str()))
    }

    /// Counts one operation on a watched file; false when the power is (now) off, in
    /// which case the operation must not happen.
    pub(crate) fn tick(&mut self) -> bool {
        if self.dead {
            return false;
        }
        self.ops += 1;
        match self.countdown {
            Some(n) if n <= 1 => {
                self.dead = true;
                self.countdown = None;
                false
            }
            Some(n) => {
                self.countdown = Some(n - 1);
                true
            }
            None => true,
        }
    }

    fn file(&mut self, path: &str, size: u64) -> &mut FileState {
        self.files.entry(path.to_string()).or_insert(FileState {
            synced_len: size,
            sectors: BTreeMap::new(),
        })
    }

    pub(crate) fn before_write(
        &mut self,
        path: &str,
        off: u64,
        len: u64,
        size: u64,
        mut read: impl FnMut(u64, &mut [u8]),
    ) {
        let file = self.file(path, size);
        let end = off + len;
        let mut s = off / SECTOR;
        while s * SECTOR < end {
            let start = s * SECTOR;
            let sector = file.sectors.entry(s).or_insert_with(|| {
                let mut before = vec![0u8; SECTOR as usize];
                read(start, &mut before);
                Sector {
                    before,
                    written: Vec::new(),
                }
            });
            let lo = off.max(start) - start;
            let hi = end.min(start + SECTOR) - start;
            sector.written.push((lo as usize, hi as usize));
            s += 1;
        }
    }

    pub(crate) fn before_truncate(
        &mut self,
        path: &str,
        new_len: u64,
        size: u64,
        mut read: impl FnMut(u64, &mut [u8]),
    ) {
        let file = self.file(path, size);
        let mut s = new_len / SECTOR;
        while s * SECTOR < size {
            let start = s * SECTOR;
            file.sectors.entry(s).or_insert_with(|| {
                let mut before = vec![0u8; SECTOR as usize];
                read(start, &mut before);
                Sector {
                    before,
                    written: Vec::new(),
                }
            });
            s += 1;
        }
    }

    pub(crate) fn synced(&mut self, path: &str) {
        self.files.remove(path);
    }

    pub(crate) fn forget(&mut self, path: &str) {
        self.files.remove(path);
    }
}

impl PowerLoss {
    /// Watches every file under `dir` (SQLite files and noted plain files). The folder
    /// must exist; its canonical path is what SQLite sees.
    pub fn watch(&self, dir: &Path) -> std::io::Result<()> {
        let dir = dir.canonicalize()?;
        let mut st = state();
        let s = dir.to_string_lossy().to_string();
        if !st.watched.contains(&s) {
            st.watched.push(s);
        }
        Ok(())
    }

    /// Cuts the power just before the `n`-th next operation on a watched file (a SQLite
    /// write, sync, truncation or deletion, or a noted plain-file step); `n` ≥ 1.
    pub fn arm(&self, n: u64) {
        state().countdown = Some(n.max(1));
    }

    /// Cuts the power now.
    pub fn cut(&self) {
        let mut st = state();
        st.dead = true;
        st.countdown = None;
    }

    /// Whether the power is off.
    pub fn is_off(&self) -> bool {
        state().dead
    }

    /// Operations on watched files counted so far.
    pub fn ops(&self) -> u64 {
        state().ops
    }

    /// Makes every watched file what the disk holds after the cut, deletes SQLite's
    /// `-shm` files (shared memory, not durable) and switches the power back on with
    /// everything counted as synced. Call it after the code under test has closed its
    /// connections (their closing writes fail while the power is off).
    pub fn reboot(&self, rng: &mut fastrand::Rng, mode: Cut) -> std::io::Result<CutReport> {
        let mut st = state();
        st.dead = true;
        let mut report = CutReport::default();
        let files = std::mem::take(&mut st.files);
        for (path, file) in files {
            apply_sqlite_cut(Path::new(&path), file, rng, mode, &mut report)?;
        }
        let plain = std::mem::take(&mut st.plain);
        plain.apply(rng, mode, &mut report)?;
        for dir in &st.watched {
            remove_shm(Path::new(dir))?;
        }
        st.dead = false;
        st.countdown = None;
        Ok(report)
    }

    /// Counts everything written so far as synced (for a baseline before arming).
    pub fn settle(&self) {
        let mut st = state();
        st.files.clear();
        st.plain = plain::Plain::default();
    }

    /// A plain file under a watched folder was created (or rewritten) with new data.
    pub fn note_written(&self, path: &Path) {
        self.note(|p, alive| p.written(path, alive));
    }

    /// A plain file's data was fsynced.
    pub fn note_synced(&self, path: &Path) {
        self.note(|p, alive| p.synced(path, alive));
    }

    /// A plain file was renamed.
    pub fn note_renamed(&self, from: &Path, to: &Path) {
        self.note(|p, alive| p.renamed(from, to, alive));
    }

    /// A directory was fsynced: the names in it are durable.
    pub fn note_dir_synced(&self, dir: &Path) {
        self.note(|p, alive| p.dir_synced(dir, alive));
    }

    /// A plain file was removed.
    pub fn note_removed(&self, path: &Path) {
        self.note(|p, alive| p.removed(path, alive));
    }

    fn note(&self, f: impl FnOnce(&mut plain::Plain, bool)) {
        let mut st = state();
        // The step happened (std::fs does not ask): before the cut it is merely
        // unsynced, after it it must come to nothing.
        let alive = !st.dead;
        if alive {
            st.tick();
        }
        f(&mut st.plain, alive);
    }
}

fn apply_sqlite_cut(
    path: &Path,
    file: FileState,
    rng: &mut fastrand::Rng,
    mode: Cut,
    report: &mut CutReport,
) -> std::io::Result<()> {
    let Ok(meta) = std::fs::metadata(path) else {
        return Ok(());
    };
    let now = meta.len();
    let len = match mode {
        Cut::Strict => file.synced_len,
        Cut::Random if rng.bool() => file.synced_len,
        Cut::Random => now,
    };
    if len != now && len == file.synced_len {
        report.lengths_reverted += 1;
    }
    let mut f = OpenOptions::new().write(true).open(path)?;
    f.set_len(len)?;
    for (s, sector) in file.sectors {
        let start = s * SECTOR;
        if start >= len {
            continue;
        }
        let room = (len - start).min(SECTOR) as usize;
        let roll = match mode {
            Cut::Strict => 50,
            Cut::Random => rng.u32(0..100),
        };
        if roll < 40 {
            report.sectors_kept += 1;
        } else if roll < 85 {
            f.seek(SeekFrom::Start(start))?;
            f.write_all(&sector.before[..room])?;
            report.sectors_reverted += 1;
        } else {
            for (lo, hi) in sector.written {
                if lo >= room {
                    continue;
                }
                let hi = hi.min(room);
                let junk: Vec<u8> = (lo..hi).map(|_| rng.u8(..)).collect();
                f.seek(SeekFrom::Start(start + lo as u64))?;
                f.write_all(&junk)?;
            }
            report.sectors_garbled += 1;
        }
    }
    f.flush()
}

fn remove_shm(dir: &Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path: PathBuf = entry?.path();
        if path.is_dir() {
            remove_shm(&path)?;
        } else if path.to_string_lossy().ends_with("-shm") {
            std::fs::remove_file(&path)?;
        }
    }
    Ok(())
}
