//! What the store does to plain files (photos) on the way to disk, for tests that
//! simulate a power cut (feature `testing`; without it [`note`] does nothing and is
//! compiled away).
//!
//! SQLite's own files are watched through a VFS; photo files are written with
//! `std::fs`, so the store reports each step: a test can then tell which data and which
//! directory entries a power cut may take (see `tests/powerloss`).

use std::path::Path;

/// One step on a plain file, reported after it was done.
#[derive(Debug, Clone, Copy)]
#[cfg_attr(not(feature = "testing"), allow(dead_code))]
pub enum FsOp<'a> {
    /// The file was created and its bytes written (not yet synced).
    Written(&'a Path),
    /// The file's data was fsynced.
    Synced(&'a Path),
    /// The file was renamed (the new name is durable only once its folder is synced).
    Renamed(&'a Path, &'a Path),
    /// The folder was fsynced: the names in it are durable.
    SyncedDir(&'a Path),
    /// The file was removed.
    Removed(&'a Path),
}

#[cfg(feature = "testing")]
type Observer = Box<dyn Fn(FsOp<'_>) + Send + Sync>;

#[cfg(feature = "testing")]
static OBSERVER: std::sync::RwLock<Option<Observer>> = std::sync::RwLock::new(None);

/// Sets (or with `None` clears) the process-wide observer of photo file steps.
#[cfg(feature = "testing")]
pub fn set_observer(observer: Option<Observer>) {
    *OBSERVER.write().unwrap_or_else(|e| e.into_inner()) = observer;
}

/// Reports a step to the observer, if any.
#[inline]
pub(crate) fn note(op: FsOp<'_>) {
    #[cfg(feature = "testing")]
    if let Some(observer) = OBSERVER.read().unwrap_or_else(|e| e.into_inner()).as_ref() {
        observer(op);
    }
    #[cfg(not(feature = "testing"))]
    let _ = op;
}

/// Fsyncs a file's data (and reports it).
pub(crate) fn sync_file(file: &std::fs::File, path: &Path) -> std::io::Result<()> {
    file.sync_all()?;
    note(FsOp::Synced(path));
    Ok(())
}

/// Fsyncs a folder, so that the names created or renamed in it survive a power cut
/// (a file's own fsync does not cover its directory entry). A no-op where folders
/// cannot be opened as files (Windows).
pub(crate) fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    std::fs::File::open(dir)?.sync_all()?;
    note(FsOp::SyncedDir(dir));
    Ok(())
}
