//! `GridworkStore`: the one Object a shell opens. It holds the core's store and forwards
//! each call, converting types on the way in and out, and tells registered observers
//! which cases changed after every successful write made through it.
//!
//! Every method blocks until SQLite answers (a few milliseconds on a phone). Call them off
//! the main thread: Kotlin `Dispatchers.IO` or an executor, Swift `Task.detached`.

use crate::{
    error::GridworkError,
    types::{
        parse_case_id, ActionRequest, CaseDetail, CaseFilter, CasePage, Category, ChainReport,
        Department, Identity, ReportDraft, Role, StatusCount,
    },
};
use gridwork_core::{db, workflow, Store};
use std::{
    panic::{catch_unwind, AssertUnwindSafe},
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, Mutex,
    },
};

/// Implemented by the app (Kotlin, Swift, Python) to hear about changes to cases.
#[uniffi::export(with_foreign)]
pub trait StoreObserver: Send + Sync {
    /// Called after a write through this store object committed: `case_ids` are the
    /// cases that changed (one for `report` and `act`). An empty list means reference
    /// data changed (a grid or catalogue import) and no case did. Called on the thread
    /// that made the write; return quickly (post to the main thread to refresh a
    /// screen). An exception thrown here is ignored: the write has already happened.
    fn on_cases_changed(&self, case_ids: Vec<String>);
}

/// A device's gridwork store: a folder holding the database and the photos. Open one per
/// process and keep it for the app's lifetime; destroy (`close()` in Kotlin, drop in
/// Swift) it on shutdown. Safe to share between threads; calls block, so make them off
/// the main thread.
#[derive(uniffi::Object)]
pub struct GridworkStore {
    inner: Arc<Store>,
    observers: Mutex<Vec<(u64, Arc<dyn StoreObserver>)>>,
    next_token: AtomicU64,
    /// Patrol observers (`observe.rs`).
    pub(crate) patrol_observers: crate::observe::Registry<dyn crate::observe::PatrolObserver>,
}

#[uniffi::export]
impl GridworkStore {
    /// Opens the store in the folder `path`, creating the folder and an empty store if
    /// needed. With `encryption_key` the database is encrypted (SQLCipher): keep the key
    /// in the platform keystore and pass the same key every time. A wrong key, or a key
    /// for a store created without one, fails with `StoreUnavailable`; photos beside the
    /// database are not encrypted by gridwork (keep the folder in protected storage).
    #[uniffi::constructor(default(encryption_key = None))]
    pub fn open(
        path: String,
        encryption_key: Option<String>,
    ) -> Result<Arc<GridworkStore>, GridworkError> {
        let inner = Store::open_with(
            &path,
            encryption_key.as_deref(),
            Arc::new(gridwork_core::store::system_now_ms),
        )?;
        Ok(Arc::new(GridworkStore {
            inner: Arc::new(inner),
            observers: Mutex::new(Vec::new()),
            next_token: AtomicU64::new(1),
            patrol_observers: Default::default(),
        }))
    }

    /// Who uses this store, or null before `init`.
    pub fn identity(&self) -> Result<Option<Identity>, GridworkError> {
        Ok(self.inner.identity()?.map(Into::into))
    }

    /// Sets who uses this store: the signed-in user and their role. The first call gives
    /// the store its device id, a random UUID (read it back from the identity); user and
    /// role may change later, the device id never does.
    pub fn init(&self, user: String, role: Role) -> Result<Identity, GridworkError> {
        Ok(self.inner.init(&user, role.into())?.into())
    }

    /// Replaces the grid with the cells of a GeoJSON FeatureCollection (the text, not a
    /// path). Returns the number of cells; a malformed file changes nothing.
    pub fn import_grid(&self, geojson: String) -> Result<u32, GridworkError> {
        let n = self.inner.import_grid(&geojson)?;
        self.notify(Vec::new());
        Ok(count_u32(n))
    }

    /// Replaces the category catalogue (JSON text). Returns the number of categories; a
    /// malformed file changes nothing.
    pub fn import_catalog(&self, json: String) -> Result<u32, GridworkError> {
        let n = self.inner.import_catalog(&json)?;
        self.notify(Vec::new());
        Ok(count_u32(n))
    }

    /// The catalogue's categories, sorted by code (empty before a catalogue is imported).
    pub fn categories(&self) -> Result<Vec<Category>, GridworkError> {
        Ok(self
            .inner
            .catalog()?
            .map(|c| c.categories().iter().map(Into::into).collect())
            .unwrap_or_default())
    }

    /// The category a case names (its `category`), from the current catalogue or, when
    /// a newer catalogue dropped it, as the last catalogue that listed it described it
    /// (such a category is not in `categories()`: no new report can use it). `None`
    /// when neither knows it.
    pub fn case_category(&self, reference: String) -> Result<Option<Category>, GridworkError> {
        Ok(self
            .inner
            .known_category(&reference)?
            .map(|k| (&k.category).into()))
    }

    /// The catalogue's departments (empty before a catalogue is imported).
    pub fn departments(&self) -> Result<Vec<Department>, GridworkError> {
        Ok(self
            .inner
            .catalog()?
            .map(|c| c.departments().iter().map(Into::into).collect())
            .unwrap_or_default())
    }

    /// Records a new report as the signed-in user and returns the new case's id. The
    /// photos are copied into the store. Everything is checked first; on any error
    /// nothing is written.
    pub fn report(&self, draft: ReportDraft) -> Result<String, GridworkError> {
        let draft = draft.try_into()?;
        let id = self.inner.report(&draft)?.to_string();
        self.notify(vec![id.clone()]);
        Ok(id)
    }

    /// A page of at most `limit` cases (1 to 500) matching `filter`, newest first. Pass
    /// the previous page's `next` as `after` to continue.
    pub fn list(
        &self,
        filter: CaseFilter,
        after: Option<crate::types::PageCursor>,
        limit: u32,
    ) -> Result<CasePage, GridworkError> {
        let after = after.map(TryInto::try_into).transpose()?;
        Ok(self.inner.list(&filter.into(), after, limit)?.into())
    }

    /// A case with its timeline.
    pub fn show(&self, id: String) -> Result<CaseDetail, GridworkError> {
        let id = parse_case_id(&id)?;
        let detail = self.inner.case(id)?;
        Ok(CaseDetail::new(detail, self.inner.photos_dir()))
    }

    /// Takes a workflow action on a case and returns the case as it now stands. A step
    /// the role may never take raises `NotPermitted`; one that does not fit the case's
    /// state raises `Workflow`; either way nothing is written.
    pub fn act(&self, id: String, request: ActionRequest) -> Result<CaseDetail, GridworkError> {
        let case_id = parse_case_id(&id)?;
        self.inner.act(case_id, &request.try_into()?)?;
        self.notify(vec![case_id.to_string()]);
        Ok(CaseDetail::new(
            self.inner.case(case_id)?,
            self.inner.photos_dir(),
        ))
    }

    /// How many cases matching `filter` are in each status, every status listed in
    /// workflow order (zeros included).
    pub fn counts(&self, filter: CaseFilter) -> Result<Vec<StatusCount>, GridworkError> {
        let counts = self.inner.counts(&db::ListFilter::from(filter))?;
        Ok(workflow::Status::ALL
            .into_iter()
            .map(|s| StatusCount {
                status: s.into(),
                count: counts.get(&s).copied().unwrap_or(0),
            })
            .collect())
    }

    /// Checks every device's hash chain in the store (tamper evidence).
    pub fn verify_log(&self) -> Result<ChainReport, GridworkError> {
        Ok(self.inner.verify_log()?.into())
    }

    /// Stops a long read (`list`, `counts`, `show`, `verify_log`) running on another
    /// thread; it raises `Interrupted`. Writes are never interrupted. Harmless when
    /// nothing runs.
    pub fn interrupt(&self) {
        self.inner.db().interrupt();
    }

    /// Registers an observer; returns a token for `remove_observer`. The store holds the
    /// observer until it is removed or the store is destroyed.
    pub fn add_observer(&self, observer: Arc<dyn StoreObserver>) -> u64 {
        let token = self.next_token.fetch_add(1, Ordering::Relaxed);
        self.lock_observers().push((token, observer));
        token
    }

    /// Removes the observer registered under `token`; returns whether there was one.
    pub fn remove_observer(&self, token: u64) -> bool {
        let mut observers = self.lock_observers();
        let before = observers.len();
        observers.retain(|(t, _)| *t != token);
        observers.len() != before
    }
}

impl GridworkStore {
    /// The core store this object wraps (for Rust callers and future sync/patrol objects).
    pub fn core(&self) -> &Arc<Store> {
        &self.inner
    }

    fn lock_observers(&self) -> std::sync::MutexGuard<'_, Vec<(u64, Arc<dyn StoreObserver>)>> {
        // The list is only pushed to and filtered; a panic elsewhere cannot leave it
        // half-changed, so a poisoned lock is safe to take back.
        self.observers.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Tells every observer, outside the lock (an observer may add or remove observers).
    pub(crate) fn notify(&self, case_ids: Vec<String>) {
        let observers: Vec<Arc<dyn StoreObserver>> = self
            .lock_observers()
            .iter()
            .map(|(_, o)| o.clone())
            .collect();
        for observer in observers {
            let ids = case_ids.clone();
            // uniffi turns an exception thrown by foreign code into a panic here; the write
            // is committed already, so it must not fail the call.
            if catch_unwind(AssertUnwindSafe(|| observer.on_cases_changed(ids))).is_err() {
                tracing::warn!("a store observer failed; ignored");
            }
        }
    }
}

fn count_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The version of the gridwork core inside this library.
#[uniffi::export]
pub fn gridwork_version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}
