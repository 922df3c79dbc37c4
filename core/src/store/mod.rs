//! The store: what a shell opens. It owns the database, the photos folder and the
//! device's identity, and offers the domain operations — report, act, list, show,
//! verify — each as one short write transaction that appends events and updates the
//! projections together.

mod case_types;
mod cases;
pub mod patrols;
mod phone;
mod photo_cache;
mod photo_meta;
mod photo_resize;
pub(crate) mod photo_wanted;
pub mod photos;
mod reference;
pub mod relay;
mod retention;

pub use case_types::{
    ActionKind, ActionRequest, CaseDetail, ReportDraft, SyncState, TimelineEntry,
};
pub(crate) use cases::apply_remote_in;
pub use cases::build_action;
pub use patrols::{
    CheckInRecord, ExportFormat, FixBatchReport, PatrolDetail, PatrolStatus, PatrolSummary,
};
pub(crate) use phone::record_scope;
pub use phone::{ActionInputs, AvailableAction, Need};
pub(crate) use photo_cache::{
    find as find_photo, kept_bytes as kept_photo_bytes, record_file as record_photo_file,
    settings_in as photo_settings_in,
};
pub use photo_cache::{
    is_sha256, PhotoSettings, PhotoState, PhotoView, MAX_PHOTO_EDGE, MIN_PHOTO_EDGE,
};
pub use reference::{KnownCategory, ReferenceImport};
pub use retention::{PurgeReport, MAX_RETENTION_DAYS};

use crate::{
    calendar::WorkingCalendar,
    catalog::Catalog,
    clock::{Hlc, HlcClock},
    db::{self, ChainReport, Db},
    error::{Error, Result},
    geo::Grid,
    model::{validate_name, Actor, Role},
};
use rusqlite::{Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use std::{
    fs,
    path::{Path, PathBuf},
    sync::{Arc, RwLock},
};

/// Where the current time comes from: unix milliseconds. Tests and simulations
/// replace it; everyone else uses [`system_now_ms`].
pub type TimeSource = Arc<dyn Fn() -> i64 + Send + Sync>;

/// The system clock in unix milliseconds.
pub fn system_now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Who uses this store: the signed-in user, their role and this device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// The user's account name.
    pub user: String,
    /// The user's role.
    pub role: Role,
    /// This device's id, unique among the devices that sync together.
    pub device_id: String,
    /// The department a handler acts for (see [`Store::set_department`]); `None` for
    /// other roles and for handlers of stores made before departments were accounts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
}

/// An opened gridwork store: a folder holding `gridwork.db` and `photos/`.
pub struct Store {
    dir: PathBuf,
    photos_dir: PathBuf,
    db: Db,
    now: TimeSource,
    reference: RwLock<Option<Arc<Reference>>>,
}

/// The reference data a store works with: grid cells and the catalogue.
pub(crate) struct Reference {
    pub(crate) grid: Grid,
    pub(crate) catalog: Option<Catalog>,
}

impl Store {
    /// Opens the store in `dir`, creating the folder and an empty store if needed.
    pub fn open(dir: impl AsRef<Path>) -> Result<Store> {
        Self::open_with_clock(dir, Arc::new(system_now_ms))
    }

    /// Opens the store with a given time source (for tests and simulations).
    pub fn open_with_clock(dir: impl AsRef<Path>, now: TimeSource) -> Result<Store> {
        Self::open_with(dir, None, now)
    }

    /// Opens a store whose database is encrypted with `key` (SQLCipher; the shell keeps
    /// the key in the platform keystore). Photos are files beside it and are not
    /// encrypted by gridwork: keep the folder in the platform's protected storage.
    pub fn open_encrypted(dir: impl AsRef<Path>, key: &str) -> Result<Store> {
        Self::open_with(dir, Some(key), Arc::new(system_now_ms))
    }

    /// Opens a store, encrypted when `key` is given, with a given time source.
    pub fn open_with(dir: impl AsRef<Path>, key: Option<&str>, now: TimeSource) -> Result<Store> {
        if let Some(key) = key {
            db::check_key(key)?;
        }
        let dir = dir.as_ref().to_path_buf();
        let open_err = |e: std::io::Error| Error::Open {
            path: dir.clone(),
            reason: e.to_string(),
        };
        fs::create_dir_all(&dir).map_err(open_err)?;
        let photos_dir = dir.join("photos");
        fs::create_dir_all(&photos_dir).map_err(open_err)?;
        let db = Db::open_keyed(&dir.join(db::DB_FILE), key)?;
        // The names of `photos/` and of a new database file are durable only once the
        // store's folder is synced (SQLite syncs the folder for its journals, not for
        // the database file itself).
        crate::fs_trace::sync_dir(&dir).map_err(open_err)?;
        Ok(Store {
            dir,
            photos_dir,
            db,
            now,
            reference: RwLock::new(None),
        })
    }

    /// The store's folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The folder holding photos, each named by its SHA-256.
    pub fn photos_dir(&self) -> &Path {
        &self.photos_dir
    }

    /// The database.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The current time, unix ms, from the store's time source.
    pub fn now_ms(&self) -> i64 {
        (self.now)()
    }

    /// Sets who uses this store. The first call gives the store its device id: a new
    /// random UUID v4 (122 random bits), so that no one can guess or claim another
    /// phone's id; later calls keep it. The user and role may change locally, but a sync
    /// server binds a device id to the first account that signs in with it: a phone
    /// handed to another worker gets a fresh store (and so a new id).
    pub fn init(&self, user: &str, role: Role) -> Result<Identity> {
        self.init_as(user, role, None)
    }

    /// [`Store::init`] with a device id chosen by the caller: for tests, simulations and
    /// imports of an existing device's store. Shells use [`Store::init`]: a device id
    /// that can be guessed can be claimed on the server by another account first. The
    /// device id may be set once.
    pub fn init_with_device(&self, user: &str, role: Role, device_id: &str) -> Result<Identity> {
        self.init_as(user, role, Some(device_id))
    }

    /// The store's device id: a new random UUID v4 on first use (before [`Store::init`],
    /// for a first sign-in that initialises the store from the account), then the same
    /// for ever.
    pub fn device_id(&self) -> Result<String> {
        self.db.write(|tx| match meta_get(tx, "device_id")? {
            Some(id) => Ok(id),
            None => {
                let id = uuid::Uuid::new_v4().to_string();
                meta_set(tx, "device_id", &id)?;
                Ok(id)
            }
        })
    }

    fn init_as(&self, user: &str, role: Role, device_id: Option<&str>) -> Result<Identity> {
        validate_name("user", user)?;
        if let Some(device_id) = device_id {
            validate_name("device", device_id)?;
        }
        let device_id = self.db.write(|tx| {
            let existing = meta_get(tx, "device_id")?;
            let device_id = match (device_id, existing) {
                (Some(given), Some(existing)) if given != existing => {
                    return Err(Error::invalid(
                        "device",
                        format!(
                            "this store belongs to device {existing:?}; a device id never changes"
                        ),
                    ));
                }
                (Some(given), _) => given.to_string(),
                (None, Some(existing)) => existing,
                (None, None) => uuid::Uuid::new_v4().to_string(),
            };
            // Events waiting to be pushed name their user: under another user's token
            // the server would refuse them all (docs/mobile.md, "First run and
            // identity"). Only for a store that signed in to a server (`sync.server`);
            // a store that never syncs may change hands freely.
            let synced = meta_get(tx, "sync.server")?.is_some();
            if synced && meta_get(tx, "user")?.is_some_and(|u| u != user) {
                let pending: i64 = tx
                    .prepare_cached(
                        "SELECT COUNT(*) FROM events
                         WHERE device_id = ?1 AND server_seq IS NULL AND rejected IS NULL",
                    )?
                    .query_row([&device_id], |r| r.get(0))?;
                if pending > 0 {
                    return Err(Error::invalid(
                        "user",
                        format!(
                            "{pending} events of this store's user are not synced yet: \
                             sync them before another user works on this device"
                        ),
                    ));
                }
            }
            meta_set(tx, "device_id", &device_id)?;
            // The device's signing key is made with its id and never changes.
            db::events::signing_key(tx)?;
            meta_set(tx, "user", user)?;
            meta_set(tx, "role", role.as_str())?;
            tx.execute("DELETE FROM meta WHERE key = 'department'", [])?;
            Ok(device_id)
        })?;
        Ok(Identity {
            user: user.to_string(),
            role,
            device_id,
            department: None,
        })
    }

    /// Sets the department the signed-in handler acts for (its server account's
    /// department), or none. Every later action names it, and the workflow lets a
    /// department's handler act only on the cases dispatched to that department.
    pub fn set_department(&self, department: Option<&str>) -> Result<Identity> {
        if let Some(d) = department {
            validate_name("department", d)?;
        }
        self.db.write(|tx| {
            let mut identity = self.require_identity(tx)?;
            match department {
                Some(d) => meta_set(tx, "department", d)?,
                None => {
                    tx.execute("DELETE FROM meta WHERE key = 'department'", [])?;
                }
            }
            identity.department = department.map(str::to_string);
            Ok(identity)
        })
    }

    /// The device's Ed25519 public key (64 hex characters), registered with the server
    /// at sign-in. A store made before devices signed gets its key here.
    pub fn signing_public_key(&self) -> Result<String> {
        self.db
            .write(|tx| Ok(db::events::signing_key(tx)?.public_hex()))
    }

    /// Who uses this store, if it was initialised.
    pub fn identity(&self) -> Result<Option<Identity>> {
        self.db.read(read_identity)
    }

    pub(crate) fn require_identity(&self, conn: &Connection) -> Result<Identity> {
        read_identity(conn)?.ok_or(Error::NotInitialized)
    }

    /// Replaces the grid with the cells of a GeoJSON FeatureCollection. Returns the
    /// number of cells. A malformed file changes nothing.
    pub fn import_grid(&self, geojson: &str) -> Result<usize> {
        let grid = Grid::from_geojson(geojson)?;
        self.db.write(|tx| {
            reference::write_grid(tx, &grid)?;
            reference::forget_version(tx)
        })?;
        self.invalidate_reference();
        Ok(grid.len())
    }

    /// Replaces the catalogue (categories, departments, working calendar). Returns the
    /// number of categories. A malformed file changes nothing; categories it drops are
    /// kept as retired ([`Store::known_category`]).
    pub fn import_catalog(&self, json: &str) -> Result<usize> {
        let catalog = Catalog::from_json(json)?;
        self.db.write(|tx| {
            reference::write_catalog(tx, &catalog)?;
            reference::forget_version(tx)
        })?;
        self.invalidate_reference();
        Ok(catalog.categories().len())
    }

    /// The catalogue, if one was imported.
    pub fn catalog(&self) -> Result<Option<Catalog>> {
        Ok(self.reference()?.catalog.clone())
    }

    /// The grid (empty until one is imported).
    pub fn grid(&self) -> Result<Grid> {
        Ok(self.reference()?.grid.clone())
    }

    /// The working calendar of the catalogue, or the Chinese default.
    pub fn calendar(&self) -> Result<WorkingCalendar> {
        Ok(self
            .reference()?
            .catalog
            .as_ref()
            .map(|c| c.calendar().clone())
            .unwrap_or_else(WorkingCalendar::china_default))
    }

    pub(crate) fn reference(&self) -> Result<Arc<Reference>> {
        if let Some(r) = self
            .reference
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
        {
            return Ok(r.clone());
        }
        let loaded = Arc::new(self.db.read(load_reference)?);
        *self.reference.write().unwrap_or_else(|p| p.into_inner()) = Some(loaded.clone());
        Ok(loaded)
    }

    fn invalidate_reference(&self) {
        *self.reference.write().unwrap_or_else(|p| p.into_inner()) = None;
    }

    /// Checks every device's hash chain in the store.
    pub fn verify_log(&self) -> Result<ChainReport> {
        self.db.read(|conn| {
            let own = self.require_identity(conn)?;
            db::verify_chains(conn, &own.device_id)
        })
    }

    /// Issues the next HLC timestamp and persists it, inside the write transaction.
    pub(crate) fn tick(&self, tx: &Connection) -> Result<Hlc> {
        let mut clock = HlcClock::new(read_hlc(tx)?);
        let hlc = clock.tick(self.now_ms());
        write_hlc(tx, hlc)?;
        Ok(hlc)
    }

    /// Moves the clock past a timestamp seen in an event from elsewhere.
    pub(crate) fn observe(&self, tx: &Connection, remote: Hlc) -> Result<()> {
        let mut clock = HlcClock::new(read_hlc(tx)?);
        let before = clock.last();
        clock.observe(remote, self.now_ms());
        if clock.last() != before {
            write_hlc(tx, clock.last())?;
        }
        Ok(())
    }

    /// The actor for a local action: the signed-in user, in their role unless another
    /// is asked for.
    pub(crate) fn actor(identity: &Identity, as_role: Option<Role>) -> Actor {
        let role = as_role.unwrap_or(identity.role);
        let department = identity
            .department
            .clone()
            .filter(|_| role == Role::Handler);
        Actor::new(identity.user.clone(), role).in_department(department)
    }
}

fn load_reference(conn: &Connection) -> Result<Reference> {
    let grid = match meta_get(conn, "grid")? {
        Some(text) => {
            Grid::from_geojson(&text).map_err(|e| Error::Corrupt(format!("stored grid: {e}")))?
        }
        None => Grid::from_cells(Vec::new())?,
    };
    let catalog = meta_get(conn, "catalog")?
        .map(|text| {
            Catalog::from_json(&text).map_err(|e| Error::Corrupt(format!("stored catalogue: {e}")))
        })
        .transpose()?;
    Ok(Reference { grid, catalog })
}

pub(crate) fn read_identity(conn: &Connection) -> Result<Option<Identity>> {
    let (Some(user), Some(role), Some(device_id)) = (
        meta_get(conn, "user")?,
        meta_get(conn, "role")?,
        meta_get(conn, "device_id")?,
    ) else {
        return Ok(None);
    };
    Ok(Some(Identity {
        user,
        role: role
            .parse()
            .map_err(|_| Error::Corrupt(format!("bad role {role:?}")))?,
        device_id,
        department: meta_get(conn, "department")?,
    }))
}

fn read_hlc(conn: &Connection) -> Result<Hlc> {
    let Some(text) = meta_get(conn, "hlc")? else {
        return Ok(Hlc::default());
    };
    let parsed = text
        .split_once('.')
        .and_then(|(w, c)| Some(Hlc::new(w.parse().ok()?, c.parse().ok()?)));
    parsed.ok_or_else(|| Error::Corrupt(format!("bad clock {text:?}")))
}

fn write_hlc(conn: &Connection, hlc: Hlc) -> Result<()> {
    meta_set(conn, "hlc", &hlc.to_string())
}

pub(crate) fn meta_get(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT value FROM meta WHERE key = ?1")?
        .query_row([key], |r| r.get(0))
        .optional()?)
}

pub(crate) fn meta_set(conn: &Connection, key: &str, value: &str) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO meta (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )?
    .execute([key, value])?;
    Ok(())
}
