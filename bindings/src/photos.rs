//! Photos through the FFI (docs/photos.md): the store's photo settings, what the device
//! holds of each photo (with the paths to show), eviction under the cache budget, and
//! the full-size download on demand (`GridworkSync.fetchPhoto`). Only wrapping: the
//! core decides everything.

use crate::{error::GridworkError, store::GridworkStore, sync::GridworkSync};
use gridwork_core::{store, sync as core_sync};

/// How the store treats photos.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct PhotoSettings {
    /// Longest edge of a photo taken here, in pixels (a larger one is scaled down at
    /// capture); `0` keeps photos as taken, otherwise 640 to 8192. Default 2048.
    pub max_edge: u32,
    /// Bytes of photos and thumbnails the store keeps before it evicts the least
    /// recently used ones it can download again (never one not yet uploaded).
    pub cache_budget_bytes: u64,
    /// Whether the store deletes the file a photo was read from (the camera's temporary
    /// file) once the report, action or check-in holding it is recorded; a failed call
    /// leaves it. The kits turn this on.
    pub remove_sources: bool,
}

impl From<store::PhotoSettings> for PhotoSettings {
    fn from(s: store::PhotoSettings) -> Self {
        PhotoSettings {
            max_edge: s.max_edge,
            cache_budget_bytes: s.cache_budget_bytes,
            remove_sources: s.remove_sources,
        }
    }
}

impl From<PhotoSettings> for store::PhotoSettings {
    fn from(s: PhotoSettings) -> Self {
        store::PhotoSettings {
            max_edge: s.max_edge,
            cache_budget_bytes: s.cache_budget_bytes,
            remove_sources: s.remove_sources,
        }
    }
}

/// What the device holds of a photo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum PhotoState {
    /// The full photo is here (`path`).
    Local,
    /// Only its thumbnail is here (`thumbnail_path`); `fetchPhoto` brings the photo.
    ThumbnailOnly,
    /// A download of the full photo was started and not finished; `fetchPhoto` resumes.
    Downloading,
    /// Nothing of it is here yet (the next sync brings its thumbnail).
    Missing,
}

impl From<store::PhotoState> for PhotoState {
    fn from(s: store::PhotoState) -> Self {
        match s {
            store::PhotoState::Local => PhotoState::Local,
            store::PhotoState::ThumbnailOnly => PhotoState::ThumbnailOnly,
            store::PhotoState::Downloading => PhotoState::Downloading,
            store::PhotoState::Missing => PhotoState::Missing,
        }
    }
}

/// A photo as a screen shows it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PhotoView {
    /// The photo's SHA-256.
    pub sha256: String,
    /// What the device holds of it.
    pub state: PhotoState,
    /// The full photo's file, when held.
    pub path: Option<String>,
    /// The file to show in a list: the thumbnail, or the full photo for photos without
    /// one; `None` while neither is here.
    pub thumbnail_path: Option<String>,
    /// The full photo's size in bytes, when known.
    pub size: Option<u64>,
}

impl From<store::PhotoView> for PhotoView {
    fn from(v: store::PhotoView) -> Self {
        let text = |p: Option<std::path::PathBuf>| p.map(|p| p.to_string_lossy().into_owned());
        PhotoView {
            sha256: v.sha256,
            state: v.state.into(),
            path: text(v.path),
            thumbnail_path: text(v.thumbnail),
            size: v.size,
        }
    }
}

#[uniffi::export]
impl GridworkStore {
    /// The store's photo settings.
    pub fn photo_settings(&self) -> Result<PhotoSettings, GridworkError> {
        Ok(self.core().photo_settings()?.into())
    }

    /// Changes the photo settings; evicts what a smaller budget leaves no room for. An
    /// edge out of range is `InvalidInput`.
    pub fn set_photo_settings(&self, settings: PhotoSettings) -> Result<(), GridworkError> {
        Ok(self.core().set_photo_settings(&settings.into())?)
    }

    /// What the device holds of photo `sha256` and the paths to show; marks it used (the
    /// cache evicts the least recently used first).
    pub fn photo_view(&self, sha256: String) -> Result<PhotoView, GridworkError> {
        Ok(self.core().photo(&sha256)?.into())
    }

    /// Evicts photos down to the cache budget now; returns how many files went.
    pub fn evict_photos(&self) -> Result<u64, GridworkError> {
        Ok(self.core().evict_photos()? as u64)
    }
}

#[uniffi::export]
impl GridworkSync {
    /// Downloads the full photo `sha256` of a case on this device (resuming a cut
    /// download; checked against its hash) unless it is here, and returns its path. No
    /// answer: `Network` (call again to resume); bytes that do not match the photo:
    /// `IncompatibleServer` (nothing is shown); a photo no case names: `NotFound`.
    pub fn fetch_photo(&self, sha256: String) -> Result<String, GridworkError> {
        let cancel = core_sync::CancelToken::new();
        let path = core_sync::fetch_photo(self.core_store(), self.transport(), &sha256, &cancel)
            .map_err(crate::sync::map_sync_error)?;
        Ok(path.to_string_lossy().into_owned())
    }
}
