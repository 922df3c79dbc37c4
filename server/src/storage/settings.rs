//! Reference data a push needs, parsed once: the city grid (to locate reports) and the
//! catalogue (its calendar and time limits, for the server's deadlines).
//!
//! Each is stored as a setting with a version beside it (the SHA-256 of its text,
//! written in the same transaction). A push reads the short version inside its
//! transaction and parses the text only when it differs from the cached one, so a new
//! grid or catalogue stored by `gridwork admin` — also from another process, in front
//! of the same PostgreSQL — takes effect with the next push.

use super::{SETTING_CATALOG, SETTING_CATALOG_VERSION, SETTING_GRID, SETTING_GRID_VERSION};
use crate::StorageError;
use gridwork_core::{catalog::Catalog, geo::Grid};
use std::sync::{Arc, Mutex};

/// The version key kept beside a setting, for the settings that have one.
pub(crate) fn version_key(key: &str) -> Option<&'static str> {
    match key {
        SETTING_GRID => Some(SETTING_GRID_VERSION),
        SETTING_CATALOG => Some(SETTING_CATALOG_VERSION),
        _ => None,
    }
}

/// The version recorded for a setting's text: its SHA-256, hex.
pub(crate) fn version_of(text: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// How a setting's text becomes the value a push uses.
pub(crate) trait Parse: Sized {
    /// The setting's key.
    const KEY: &'static str;
    /// The key of its version.
    const VERSION_KEY: &'static str;
    /// Parses the stored text.
    fn parse(text: &str) -> Result<Self, StorageError>;
}

impl Parse for Grid {
    const KEY: &'static str = SETTING_GRID;
    const VERSION_KEY: &'static str = SETTING_GRID_VERSION;
    fn parse(text: &str) -> Result<Self, StorageError> {
        Grid::from_geojson(text).map_err(|e| StorageError::Corrupt(format!("stored grid: {e}")))
    }
}

impl Parse for Catalog {
    const KEY: &'static str = SETTING_CATALOG;
    const VERSION_KEY: &'static str = SETTING_CATALOG_VERSION;
    fn parse(text: &str) -> Result<Self, StorageError> {
        Catalog::from_json(text)
            .map_err(|e| StorageError::Corrupt(format!("stored catalogue: {e}")))
    }
}

/// A parsed setting, cached by version.
pub(crate) struct Cached<T> {
    held: Mutex<Option<(String, Arc<T>)>>,
}

impl<T> Default for Cached<T> {
    fn default() -> Self {
        Cached {
            held: Mutex::new(None),
        }
    }
}

impl<T: Parse> Cached<T> {
    /// The cached value when it is of `version`.
    pub(crate) fn cached(&self, version: Option<&str>) -> Option<Arc<T>> {
        let held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        match (version, held.as_ref()) {
            (Some(v), Some((hv, value))) if v == hv => Some(value.clone()),
            _ => None,
        }
    }

    /// Parses and caches the stored text (`None`: the server holds none).
    pub(crate) fn load(&self, text: Option<String>) -> Result<Option<Arc<T>>, StorageError> {
        let mut held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        let Some(text) = text else {
            *held = None;
            return Ok(None);
        };
        let value = Arc::new(T::parse(&text)?);
        *held = Some((version_of(&text), value.clone()));
        Ok(Some(value))
    }
}

/// The grid and the catalogue, cached.
#[derive(Default)]
pub(crate) struct Reference {
    /// The city grid.
    pub(crate) grid: Cached<Grid>,
    /// The catalogue.
    pub(crate) catalog: Cached<Catalog>,
}
