//! gridwork-ffi: the gridwork core as seen from Kotlin (Android), Swift (iOS) and Python,
//! through uniffi proc-macros (namespace `gridwork`).
//!
//! This crate only wraps: [`GridworkStore`] holds an `Arc<gridwork_core::Store>` and
//! forwards each call; Records and Enums mirror the core's types with `From` impls; one
//! flat [`GridworkError`] is mapped from the core's error in one function. No domain logic
//! lives here. Calls are blocking and cheap: shells make them off the main thread.
//!
//! The sync engine and patrols will be added as their own Objects beside
//! `GridworkStore` once they exist in the core (see docs/mobile.md).

uniffi::setup_scaffolding!("gridwork");

mod error;
mod store;
mod types;

pub use error::{map_core_error, GridworkError};
pub use store::{gridwork_version, GridworkStore, StoreObserver};
pub use types::{
    ActionKind, ActionRequest, Actor, CaseDetail, CaseFilter, CasePage, CaseSummary, Category,
    CategoryKind, ChainReport, Conflict, Department, DeviceChain, Identity, PageCursor, Photo,
    ReportDraft, Resolution, Role, Status, StatusCount, SyncState, TimeLimit, TimelineEntry,
    Urgency,
};
