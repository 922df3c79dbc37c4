//! gridwork-ffi: the gridwork core as seen from Kotlin (Android), Swift (iOS) and Python,
//! through uniffi proc-macros (namespace `gridwork`).
//!
//! This crate only wraps: [`GridworkStore`] holds an `Arc<gridwork_core::Store>` and
//! forwards each call; Records and Enums mirror the core's types with `From` impls; one
//! flat [`GridworkError`] is mapped from the core's error in one function. No domain logic
//! lives here. Calls are blocking and cheap: shells make them off the main thread.
//!
//! Patrols are methods of `GridworkStore` (`patrol.rs`); sync is its own Object,
//! [`GridworkSync`], built from a store, with foreign traits for the platform's HTTP
//! stack and for progress (`sync.rs`). See docs/mobile.md.

uniffi::setup_scaffolding!("gridwork");

mod error;
mod flight;
mod observe;
mod patrol;
mod phone;
mod photos;
mod retention;
mod store;
mod sync;
mod timeline;
mod types;

pub use error::{map_core_error, GridworkError};
pub use observe::{PatrolChange, PatrolObserver, SyncStatusObserver};
pub use patrol::{
    CellCoverage, CellTime, CheckInRecord, FixBatchReport, FixProvider, FlagCounts, GpsFix,
    IntegritySummary, PatrolDetail, PatrolExportFormat, PatrolStatus, PatrolSummary, TrackGap,
    TrackStats, Verdict,
};
pub use phone::{
    bd09_to_gcj02, bd09_to_wgs84, gcj02_to_bd09, gcj02_to_wgs84, wgs84_to_bd09, wgs84_to_gcj02,
    ActionInputs, AvailableAction, GeoPoint, GridCell, InputNeed,
};
pub use photos::{PhotoSettings, PhotoState, PhotoView};
pub use retention::PurgeReport;
pub use store::{gridwork_version, GridworkStore, StoreObserver};
pub use sync::{
    map_sync_error, EngineState, GridworkSync, HttpHeader, HttpRequest, HttpResponse,
    HttpTransport, SignedIn, SyncFailure, SyncFailureKind, SyncPhase, SyncProgress,
    SyncProgressListener, SyncReport, SyncStatus, TransportFailure,
};
pub use timeline::{CaseEvent, ExceptionKind};
pub use types::{
    ActionKind, ActionRequest, Actor, CaseDetail, CaseFilter, CasePage, CaseSummary, Category,
    CategoryKind, ChainReport, Conflict, Department, DeviceChain, Identity, PageCursor, Photo,
    ReportDraft, Resolution, Role, Status, StatusCount, SyncState, TimeLimit, TimelineEntry,
    Urgency,
};
