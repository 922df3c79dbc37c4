//! Observers beyond case changes (`StoreObserver`): patrol state on the store and sync
//! status on the sync object, so the kits can offer Kotlin Flows and Swift
//! AsyncSequences that update without polling. Each registry hands out tokens; a
//! callback that throws is ignored (the change it reports has already happened).

use crate::{
    store::GridworkStore,
    sync::{GridworkSync, SyncStatus},
};
use std::{
    panic::{catch_unwind, AssertUnwindSafe},
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, Mutex, MutexGuard,
    },
};

/// What happened to a patrol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum PatrolChange {
    /// It was started (it is the open patrol now).
    Started,
    /// It was paused.
    Paused,
    /// It was resumed.
    Resumed,
    /// It was finished (no patrol is open now).
    Finished,
    /// A batch of fixes was recorded (distance and coverage changed).
    FixesAdded,
    /// A check-in was recorded.
    CheckedIn,
    /// A GPX track was imported as a finished patrol.
    Imported,
}

/// Implemented by the app to hear about patrols changed through this store object.
#[uniffi::export(with_foreign)]
pub trait PatrolObserver: Send + Sync {
    /// Called after a patrol write committed, on the thread that made it; return
    /// quickly. Read the figures with `patrol(patrol_id)`.
    fn on_patrol_changed(&self, patrol_id: String, change: PatrolChange);
}

/// Implemented by the app to hear the sync status change.
#[uniffi::export(with_foreign)]
pub trait SyncStatusObserver: Send + Sync {
    /// Called when a run starts (`running` true) and ends (false) — every run, one that
    /// only pushed included — and after a sign-in attempt and a sign-out. `status.state`
    /// `SignInRequired` means the token expired or was revoked: ask the user to sign in.
    fn on_sync_status(&self, status: SyncStatus, running: bool);
}

/// Observers of one kind, by token.
pub(crate) struct Registry<T: ?Sized> {
    list: Mutex<Vec<(u64, Arc<T>)>>,
    next: AtomicU64,
}

impl<T: ?Sized> Default for Registry<T> {
    fn default() -> Self {
        Registry {
            list: Mutex::new(Vec::new()),
            next: AtomicU64::new(1),
        }
    }
}

impl<T: ?Sized> Registry<T> {
    fn lock(&self) -> MutexGuard<'_, Vec<(u64, Arc<T>)>> {
        // Only pushed to and filtered: a poisoned lock holds a whole list.
        self.list.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds an observer; its token.
    pub(crate) fn add(&self, observer: Arc<T>) -> u64 {
        let token = self.next.fetch_add(1, Ordering::Relaxed);
        self.lock().push((token, observer));
        token
    }

    /// Removes the observer of `token`; whether there was one.
    pub(crate) fn remove(&self, token: u64) -> bool {
        let mut list = self.lock();
        let before = list.len();
        list.retain(|(t, _)| *t != token);
        list.len() != before
    }

    /// Whether anyone listens.
    pub(crate) fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// Calls `f` for every observer, outside the lock; a panic (a foreign exception) is
    /// ignored.
    pub(crate) fn tell(&self, f: impl Fn(&T)) {
        let observers: Vec<Arc<T>> = self.lock().iter().map(|(_, o)| o.clone()).collect();
        for o in observers {
            if catch_unwind(AssertUnwindSafe(|| f(&o))).is_err() {
                tracing::warn!("an observer failed; ignored");
            }
        }
    }
}

#[uniffi::export]
impl GridworkStore {
    /// Registers a patrol observer; returns a token for `remove_patrol_observer`.
    pub fn add_patrol_observer(&self, observer: Arc<dyn PatrolObserver>) -> u64 {
        self.patrol_observers.add(observer)
    }

    /// Removes the patrol observer registered under `token`; whether there was one.
    pub fn remove_patrol_observer(&self, token: u64) -> bool {
        self.patrol_observers.remove(token)
    }
}

impl GridworkStore {
    /// Tells the patrol observers.
    pub(crate) fn notify_patrol(&self, id: &str, change: PatrolChange) {
        self.patrol_observers
            .tell(|o| o.on_patrol_changed(id.to_string(), change));
    }
}

#[uniffi::export]
impl GridworkSync {
    /// Registers a sync status observer; returns a token for `remove_status_observer`.
    /// It hears the current status at once (`running` as `is_running()`).
    pub fn add_status_observer(&self, observer: Arc<dyn SyncStatusObserver>) -> u64 {
        let token = self.status_observers.add(observer.clone());
        if let Ok(status) = self.status() {
            let running = self.is_running();
            let _ = catch_unwind(AssertUnwindSafe(|| {
                observer.on_sync_status(status, running)
            }));
        }
        token
    }

    /// Removes the status observer registered under `token`; whether there was one.
    pub fn remove_status_observer(&self, token: u64) -> bool {
        self.status_observers.remove(token)
    }
}

impl GridworkSync {
    /// Tells the status observers the stored status (nothing when none listens, or when
    /// the store cannot be read: the next change tells again).
    pub(crate) fn notify_status(&self, running: bool) {
        if self.status_observers.is_empty() {
            return;
        }
        if let Ok(status) = self.status() {
            self.status_observers
                .tell(|o| o.on_sync_status(status.clone(), running));
        }
    }
}
