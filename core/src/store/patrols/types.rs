//! The records a patrol is shown as: its status, what a batch of fixes did, check-ins,
//! the detail a supervisor reads and the one-line summary of a list.

use crate::{
    error::{Error, Result},
    model::PhotoRef,
    patrol::{CellCoverage, CellTime, CheckIn, IngestState, IntegritySummary, TrackStats},
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// How much track one `patrol.track` event covers: fixes are gathered for this long
/// (of fix time) before their simplified track becomes an event. A longer window thins
/// the track better and spends fewer envelopes; the full track is on the device anyway.
pub const TRACK_WINDOW_MS: i64 = 5 * 60 * 1000;

pub use crate::patrol::PatrolStatus;

pub(super) fn parse_status(s: &str) -> Result<PatrolStatus> {
    PatrolStatus::from_name(s).ok_or_else(|| Error::Corrupt(format!("bad patrol status {s:?}")))
}

/// What happened to a batch of fixes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FixBatchReport {
    /// Fixes stored.
    pub stored: usize,
    /// Fixes dropped as duplicates of a fix already held (same time).
    pub duplicates: usize,
    /// Stored fixes that were flagged as implausible.
    pub flagged: usize,
    /// Points of the simplified track sent to the server for this batch.
    pub synced_points: usize,
}

/// A check-in as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckInRecord {
    /// The check-in (time, place, note).
    #[serde(flatten)]
    pub check_in: CheckIn,
    /// The photo taken there.
    pub photo: Option<PhotoRef>,
}

/// One patrol as a supervisor sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PatrolDetail {
    /// The patrol id.
    pub id: Uuid,
    /// The worker.
    pub worker: String,
    /// The device that recorded it.
    pub device_id: String,
    /// Where it stands.
    pub status: PatrolStatus,
    /// The cells assigned to it.
    pub cells: Vec<String>,
    /// Start, unix ms.
    pub started_at_ms: i64,
    /// End, unix ms.
    pub finished_at_ms: Option<i64>,
    /// Distance, time and speed figures of the plausible track.
    pub stats: TrackStats,
    /// Share of each assigned cell within 25 m of the track.
    pub coverage: Vec<CellCoverage>,
    /// Time spent in each cell of the grid.
    pub time_in_cells: Vec<CellTime>,
    /// Proof-of-patrol summary: flagged fixes and a verdict.
    pub integrity: IntegritySummary,
    /// Check-ins, oldest first.
    pub check_ins: Vec<CheckInRecord>,
    /// Cases reported during the patrol.
    pub incidents: Vec<Uuid>,
    /// Recorded on another device and pulled: the figures come from the synced
    /// (simplified) track, and nothing can be recorded on it here.
    #[serde(default)]
    pub remote: bool,
}

/// A one-line summary of a patrol, for lists.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PatrolSummary {
    /// The patrol id.
    pub id: Uuid,
    /// The worker.
    pub worker: String,
    /// Where it stands.
    pub status: PatrolStatus,
    /// Start, unix ms.
    pub started_at_ms: i64,
    /// Fixes recorded (for a pulled patrol: as the recording device counted them).
    pub fix_count: u64,
    /// Fixes flagged.
    pub flagged_count: u64,
    /// Recorded on another device and pulled (another worker's patrol, or one of this
    /// worker's from another phone).
    #[serde(default)]
    pub remote: bool,
}

pub(super) struct PatrolRow {
    pub(super) worker: String,
    pub(super) status: PatrolStatus,
    pub(super) cells: Vec<String>,
    pub(super) ingest: IngestState,
    pub(super) remote: bool,
}

/// Export formats of a patrol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// GPX 1.1.
    Gpx,
    /// A GeoJSON FeatureCollection.
    GeoJson,
}
