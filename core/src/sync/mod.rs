//! Sync: the wire types of protocol v1 (shared by the device engine and the reference
//! server) and, on the device, the engine that pushes the outbox, uploads photos and
//! pulls the caller's scope through a [`Transport`]. See docs/sync-protocol.md and
//! docs/sync-engine.md.

mod client;
mod download;
mod engine;
mod error;
mod first_run;
mod outbox;
pub mod packed;
mod packed_shape;
mod progress;
mod reference;
mod restore;
mod state;
mod transport;
mod upload;
mod wipe;
pub mod wire;

#[cfg(any(test, feature = "testing"))]
pub mod memory;

pub use download::{
    fetch_photo, DOWNLOAD_CHUNK, FALLBACK_MAX_BYTES, MISSING_PHOTO_LONGEST_RETRY_MS,
    MISSING_PHOTO_RETRY_MS, THUMBNAILS_PER_RUN,
};
pub use engine::{login, logout, status, FailedPhoto, SignIn, SyncEngine, SyncOptions, SyncReport};
pub use error::{FailureKind, SyncError};
pub use progress::{CancelToken, NoProgress, Phase, Progress, SyncProgress};
pub use reference::REFERENCE_HEADER;
pub use state::{Backoff, EngineState, LastError, SyncStatus};
pub use transport::{HttpRequest, HttpResponse, Method, Transport, TransportError};
pub use upload::{UPLOAD_COMPLETE_HEADER, UPLOAD_OFFSET_HEADER};
pub use wipe::{wipe_store, WIPED_PATH};

#[cfg(test)]
mod tests;
