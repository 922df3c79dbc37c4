//! Single-flight sync runs: at most one run of a `GridworkSync` is active; a caller that
//! comes while it is active boards it (hears its progress, gets its result) instead of
//! queueing a second run, and a cancel reaches the active run's token, whoever started it.
//! A cancel while nothing flies is dropped, so it cannot stop a later run.

use crate::{
    error::GridworkError,
    sync::{SyncProgress, SyncProgressListener, SyncReport},
};
use gridwork_core::sync as core_sync;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

/// How one run ends, shared by everyone aboard.
type Outcome = Result<SyncReport, GridworkError>;

/// The listeners aboard a run and its latest update (replayed to a late joiner).
type Aboard = (Vec<Arc<dyn SyncProgressListener>>, Option<SyncProgress>);

/// Locks, taking over a lock poisoned by a panicking listener (the data stays whole:
/// every critical section here only swaps or pushes).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// One active run.
pub(crate) struct Flight {
    cancel: core_sync::CancelToken,
    listeners: Mutex<Aboard>,
    outcome: Mutex<Option<Outcome>>,
    landed: Condvar,
}

impl Flight {
    /// Waits until the run ends; its result.
    pub(crate) fn wait(&self) -> Outcome {
        let mut outcome = lock(&self.outcome);
        loop {
            if let Some(o) = outcome.as_ref() {
                return o.clone();
            }
            outcome = self.landed.wait(outcome).unwrap_or_else(|p| p.into_inner());
        }
    }

    /// Boards a listener: it hears the latest update now and every later one.
    fn board(&self, listener: Arc<dyn SyncProgressListener>) {
        let latest = {
            let mut l = lock(&self.listeners);
            l.0.push(listener.clone());
            l.1
        };
        if let Some(update) = latest {
            crate::sync::tell(&listener, update);
        }
    }
}

/// The progress sink the engine sees: every listener aboard.
pub(crate) struct FlightProgress<'a>(&'a Flight);

impl core_sync::SyncProgress for FlightProgress<'_> {
    fn on_progress(&self, progress: core_sync::Progress) {
        let update = SyncProgress::from(progress);
        let listeners = {
            let mut l = lock(&self.0.listeners);
            l.1 = Some(update);
            l.0.clone()
        };
        for listener in &listeners {
            crate::sync::tell(listener, update);
        }
    }
}

/// The caller that started the run; landing (or dropping, on a panic) ends it.
pub(crate) struct Pilot<'a> {
    flights: &'a Flights,
    flight: Arc<Flight>,
    landed: bool,
}

impl Pilot<'_> {
    /// The token the engine checks before each request.
    pub(crate) fn cancel_token(&self) -> &core_sync::CancelToken {
        &self.flight.cancel
    }

    /// The progress sink for the engine.
    pub(crate) fn progress(&self) -> FlightProgress<'_> {
        FlightProgress(&self.flight)
    }

    /// Ends the run with `outcome`, wakes everyone aboard, returns it.
    pub(crate) fn land(mut self, outcome: Outcome) -> Outcome {
        self.finish(outcome.clone());
        self.landed = true;
        outcome
    }

    fn finish(&self, outcome: Outcome) {
        // First off the board, so a run started from here on is a new one.
        {
            let mut active = lock(&self.flights.active);
            if active
                .as_ref()
                .is_some_and(|a| Arc::ptr_eq(a, &self.flight))
            {
                *active = None;
            }
        }
        *lock(&self.flight.outcome) = Some(outcome);
        self.flight.landed.notify_all();
    }
}

impl Drop for Pilot<'_> {
    fn drop(&mut self) {
        if !self.landed {
            // The run panicked: nobody may wait forever, and the next run starts anew.
            self.finish(Err(GridworkError::internal(
                "the sync run stopped unexpectedly".into(),
            )));
        }
    }
}

/// What a caller of `run` became.
pub(crate) enum Boarding<'a> {
    /// No run was active: this caller runs it.
    Pilot(Pilot<'a>),
    /// A run was active: wait for its result.
    Joined(Arc<Flight>),
}

/// The active run of one `GridworkSync`, if any.
#[derive(Default)]
pub(crate) struct Flights {
    active: Mutex<Option<Arc<Flight>>>,
}

impl Flights {
    /// Starts a run, or boards the active one.
    pub(crate) fn take_off(&self, listener: Option<Arc<dyn SyncProgressListener>>) -> Boarding<'_> {
        let mut active = lock(&self.active);
        if let Some(flight) = active.as_ref() {
            let flight = flight.clone();
            drop(active);
            if let Some(l) = listener {
                flight.board(l);
            }
            return Boarding::Joined(flight);
        }
        let flight = Arc::new(Flight {
            cancel: core_sync::CancelToken::new(),
            listeners: Mutex::new((listener.into_iter().collect(), None)),
            outcome: Mutex::new(None),
            landed: Condvar::new(),
        });
        *active = Some(flight.clone());
        Boarding::Pilot(Pilot {
            flights: self,
            flight,
            landed: false,
        })
    }

    /// Cancels the active run; whether there was one.
    pub(crate) fn cancel_active(&self) -> bool {
        match lock(&self.active).as_ref() {
            Some(flight) => {
                flight.cancel.cancel();
                true
            }
            None => false,
        }
    }

    /// Whether a run is active.
    pub(crate) fn is_active(&self) -> bool {
        lock(&self.active).is_some()
    }
}
