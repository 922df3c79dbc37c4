//! Retention through the FFI: the setting and the purge of `GridworkStore`, mirroring
//! `gridwork_core::store` (docs/store.md, "Retention"). The shells call
//! `purge_expired()` on a schedule of their own, e.g. after a sync that finished
//! (Android WorkManager, iOS BGTaskScheduler); a purge rewrites the database file, so
//! not on the main thread.

use crate::{error::GridworkError, store::GridworkStore};
use gridwork_core::store;

/// What a purge did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct PurgeReport {
    /// Cases forgotten on this device.
    pub cases: u64,
    /// Patrols forgotten on this device.
    pub patrols: u64,
    /// Events whose contents were dropped (their hashes stay).
    pub events: u64,
    /// Photo files removed.
    pub photos: u64,
    /// Old enough and finished, but kept until the server holds them whole.
    pub kept_unsynced: u64,
}

impl From<store::PurgeReport> for PurgeReport {
    fn from(p: store::PurgeReport) -> Self {
        PurgeReport {
            cases: p.cases,
            patrols: p.patrols,
            events: p.events,
            photos: p.photos,
            kept_unsynced: p.kept_unsynced,
        }
    }
}

#[uniffi::export]
impl GridworkStore {
    /// Keeps closed cases and finished patrols `days` days once the server holds them
    /// (1 to 3650), or for ever with `None` (the default).
    pub fn set_retention(&self, days: Option<u32>) -> Result<(), GridworkError> {
        Ok(self.core().set_retention(days)?)
    }

    /// The retention setting in days; `None` when everything is kept.
    pub fn retention(&self) -> Result<Option<u32>, GridworkError> {
        Ok(self.core().retention()?)
    }

    /// Purges what the setting no longer keeps; never anything the server does not hold.
    pub fn purge_expired(&self) -> Result<PurgeReport, GridworkError> {
        Ok(self.core().purge_expired()?.into())
    }
}
