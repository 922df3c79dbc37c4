//! Progress reports and cancellation: what a UI sees during a run and how it stops one.

use serde::{Deserialize, Serialize};
use std::sync::{
    atomic::{AtomicBool, Ordering},
    Arc,
};

/// The step a run is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Sending this device's events.
    Push,
    /// Uploading photos.
    Upload,
    /// Fetching others' events.
    Pull,
}

/// Where a run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    /// The step.
    pub phase: Phase,
    /// Items done in this step (events pushed or pulled, photos uploaded).
    pub done: u64,
    /// Items this step expects, when known (a pull does not know in advance).
    pub total: Option<u64>,
    /// Bytes sent or received in this step so far.
    pub bytes: u64,
}

/// Receives progress. Called on the thread running the sync; keep it quick.
pub trait SyncProgress: Send + Sync {
    /// A step moved.
    fn on_progress(&self, progress: Progress);
}

/// Ignores progress.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl SyncProgress for NoProgress {
    fn on_progress(&self, _progress: Progress) {}
}

impl<F: Fn(Progress) + Send + Sync> SyncProgress for F {
    fn on_progress(&self, progress: Progress) {
        self(progress)
    }
}

/// Stops a run between two requests. Cloning shares the flag.
#[derive(Debug, Clone, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    /// A token not cancelled yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks the run to stop at its next check (before its next request or batch).
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Whether [`CancelToken::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}
