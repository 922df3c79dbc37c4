//! Patrols through the FFI: the patrol methods of `GridworkStore` and the Records and
//! Enums mirroring the core's patrol types (`gridwork_core::store::patrols`,
//! `gridwork_core::patrol`). Only wrapping: every figure is computed by the core.
//!
//! A shell starts a patrol, hands over GPS fixes in the batches the platform delivers
//! (every 10 s or so), records check-ins (the photo as a file path), and finishes it;
//! `patrol(id)` gives the figures a supervisor reads (docs/patrols.md).

use crate::observe::PatrolChange;
use crate::{
    error::GridworkError,
    store::GridworkStore,
    types::{parse_case_id, Photo},
};
use gridwork_core::{patrol, store::patrols};
use std::path::{Path, PathBuf};

/// Where the platform says a fix came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, uniffi::Enum)]
pub enum FixProvider {
    /// Satellite positioning (GNSS): Android `LocationManager.GPS_PROVIDER`.
    #[default]
    Gps,
    /// Cell towers and Wi-Fi.
    Network,
    /// The platform's fused provider (Android fused, iOS Core Location).
    Fused,
    /// Anything else.
    Other,
}

impl From<FixProvider> for patrol::Provider {
    fn from(p: FixProvider) -> Self {
        match p {
            FixProvider::Gps => patrol::Provider::Gps,
            FixProvider::Network => patrol::Provider::Network,
            FixProvider::Fused => patrol::Provider::Fused,
            FixProvider::Other => patrol::Provider::Other,
        }
    }
}

/// One position sample, WGS-84, as the platform reported it.
#[derive(Debug, Clone, Copy, PartialEq, uniffi::Record)]
pub struct GpsFix {
    /// When it was measured, unix ms UTC (Android `Location.time`, iOS `timestamp`).
    pub time_ms: i64,
    /// Latitude, degrees (WGS-84: convert GCJ-02 first).
    pub lat: f64,
    /// Longitude, degrees.
    pub lon: f64,
    /// Horizontal accuracy, metres (68 % radius).
    pub accuracy_m: f64,
    /// Ground speed, m/s, when the platform gives one.
    #[uniffi(default)]
    pub speed_mps: Option<f64>,
    /// Direction of travel, degrees from true north, when given.
    #[uniffi(default)]
    pub bearing_deg: Option<f64>,
    /// Altitude, metres, when given.
    #[uniffi(default)]
    pub altitude_m: Option<f64>,
    /// Where it came from.
    pub provider: FixProvider,
    /// The platform marked it as coming from a mock-location app.
    #[uniffi(default)]
    pub mock: bool,
}

impl From<GpsFix> for patrol::Fix {
    fn from(f: GpsFix) -> Self {
        patrol::Fix {
            time_ms: f.time_ms,
            lat: f.lat,
            lon: f.lon,
            accuracy_m: f.accuracy_m,
            speed_mps: f.speed_mps,
            bearing_deg: f.bearing_deg,
            altitude_m: f.altitude_m,
            provider: f.provider.into(),
            mock: f.mock,
        }
    }
}

/// What happened to a batch of fixes.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct FixBatchReport {
    /// Fixes stored.
    pub stored: u32,
    /// Fixes dropped as duplicates (same time as one already held).
    pub duplicates: u32,
    /// Stored fixes flagged as implausible (kept, shown).
    pub flagged: u32,
    /// Points of the simplified track queued for sync by this batch.
    pub synced_points: u32,
}

impl From<patrols::FixBatchReport> for FixBatchReport {
    fn from(r: patrols::FixBatchReport) -> Self {
        FixBatchReport {
            stored: u32_of(r.stored),
            duplicates: u32_of(r.duplicates),
            flagged: u32_of(r.flagged),
            synced_points: u32_of(r.synced_points),
        }
    }
}

/// Where a patrol stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum PatrolStatus {
    /// Recording fixes.
    Active,
    /// Paused: fixes are refused until resumed.
    Paused,
    /// Finished: nothing more is recorded.
    Finished,
}

impl From<patrols::PatrolStatus> for PatrolStatus {
    fn from(s: patrols::PatrolStatus) -> Self {
        match s {
            patrols::PatrolStatus::Active => PatrolStatus::Active,
            patrols::PatrolStatus::Paused => PatrolStatus::Paused,
            patrols::PatrolStatus::Finished => PatrolStatus::Finished,
        }
    }
}

/// A hole in the log (more than 60 s without a plausible fix).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct TrackGap {
    /// Last fix before, unix ms.
    pub from_ms: i64,
    /// First fix after, unix ms.
    pub to_ms: i64,
}

/// Distance, time and speed of the plausible track.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct TrackStats {
    /// Metres walked (legs of at least 10 m).
    pub distance_m: f64,
    /// First to last plausible fix, seconds.
    pub duration_s: f64,
    /// Time moving faster than 0.3 m/s, seconds.
    pub moving_time_s: f64,
    /// Distance while moving ÷ moving time, m/s.
    pub mean_speed_mps: f64,
    /// Fastest 30-second average, m/s.
    pub max_speed_mps: f64,
    /// Fixes recorded.
    pub fix_count: u64,
    /// Fixes with at least one flag.
    pub flagged_fix_count: u64,
    /// Holes in the log, in time order.
    pub gaps: Vec<TrackGap>,
}

impl From<patrol::TrackStats> for TrackStats {
    fn from(s: patrol::TrackStats) -> Self {
        TrackStats {
            distance_m: s.distance_m,
            duration_s: s.duration_s,
            moving_time_s: s.moving_time_s,
            mean_speed_mps: s.mean_speed_mps,
            max_speed_mps: s.max_speed_mps,
            fix_count: s.fix_count as u64,
            flagged_fix_count: s.flagged_fix_count as u64,
            gaps: s
                .gaps
                .into_iter()
                .map(|g| TrackGap {
                    from_ms: g.from_ms,
                    to_ms: g.to_ms,
                })
                .collect(),
        }
    }
}

/// The share of an assigned cell that came within 25 m of the track.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct CellCoverage {
    /// The cell code.
    pub cell_id: String,
    /// The cell's area, m².
    pub area_m2: f64,
    /// Covered share, 0 to 1.
    pub covered_share: f64,
    /// Covered area, m².
    pub covered_m2: f64,
}

/// Time spent in one cell.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct CellTime {
    /// The cell code.
    pub cell_id: String,
    /// Seconds.
    pub seconds: f64,
}

/// How far the log can be taken as proof of patrol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum Verdict {
    /// At most 5 % of fixes flagged and none mocked.
    Trusted,
    /// More than 5 % flagged: look at the flags first.
    Questionable,
    /// A mocked fix or more than 20 % flagged.
    Untrusted,
}

impl From<patrol::Verdict> for Verdict {
    fn from(v: patrol::Verdict) -> Self {
        match v {
            patrol::Verdict::Trusted => Verdict::Trusted,
            patrol::Verdict::Questionable => Verdict::Questionable,
            patrol::Verdict::Untrusted => Verdict::Untrusted,
        }
    }
}

/// Fixes per flag (a fix with two flags counts under both).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct FlagCounts {
    /// Faster than cycling.
    pub speed: u64,
    /// An impossible jump.
    pub teleport: u64,
    /// From a mock-location app.
    pub mock: u64,
    /// Earlier than the fix before it.
    pub time_backwards: u64,
    /// More than 5 minutes off the phone's clock.
    pub clock_skew: u64,
    /// Worse than 100 m.
    pub low_accuracy: u64,
}

/// The proof-of-patrol summary.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct IntegritySummary {
    /// Fixes assessed.
    pub total: u64,
    /// Fixes with at least one flag.
    pub flagged: u64,
    /// Fixes per flag.
    pub per_flag: FlagCounts,
    /// flagged ÷ total.
    pub flagged_share: f64,
    /// The verdict.
    pub verdict: Verdict,
}

impl From<patrol::IntegritySummary> for IntegritySummary {
    fn from(s: patrol::IntegritySummary) -> Self {
        let f = s.per_flag;
        IntegritySummary {
            total: s.total as u64,
            flagged: s.flagged as u64,
            per_flag: FlagCounts {
                speed: f.speed as u64,
                teleport: f.teleport as u64,
                mock: f.mock as u64,
                time_backwards: f.time_backwards as u64,
                clock_skew: f.clock_skew as u64,
                low_accuracy: f.low_accuracy as u64,
            },
            flagged_share: s.flagged_share,
            verdict: s.verdict.into(),
        }
    }
}

/// A check-in: the worker marked "I am here".
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct CheckInRecord {
    /// When, unix ms.
    pub time_ms: i64,
    /// WGS-84 latitude.
    pub lat: f64,
    /// WGS-84 longitude.
    pub lon: f64,
    /// The note, if any.
    pub note: Option<String>,
    /// The photo taken there, if any.
    pub photo: Option<Photo>,
}

/// One patrol with its figures: what a supervisor reads.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct PatrolDetail {
    /// The patrol id (a UUID).
    pub id: String,
    /// The worker.
    pub worker: String,
    /// The device that recorded it.
    pub device_id: String,
    /// Where it stands.
    pub status: PatrolStatus,
    /// The assigned cells.
    pub cells: Vec<String>,
    /// Start, unix ms.
    pub started_at_ms: i64,
    /// End, unix ms.
    pub finished_at_ms: Option<i64>,
    /// Distance, time and speed.
    pub stats: TrackStats,
    /// Coverage of each assigned cell.
    pub coverage: Vec<CellCoverage>,
    /// Time in each cell of the grid.
    pub time_in_cells: Vec<CellTime>,
    /// Flags and the verdict.
    pub integrity: IntegritySummary,
    /// Check-ins, oldest first.
    pub check_ins: Vec<CheckInRecord>,
    /// Cases reported during the patrol (ids).
    pub incidents: Vec<String>,
    /// Recorded on another device and pulled: figures from the synced (simplified)
    /// track; nothing can be recorded on it here.
    pub remote: bool,
}

impl PatrolDetail {
    fn new(d: patrols::PatrolDetail, photos_dir: &Path) -> Self {
        PatrolDetail {
            id: d.id.to_string(),
            worker: d.worker,
            device_id: d.device_id,
            status: d.status.into(),
            cells: d.cells,
            started_at_ms: d.started_at_ms,
            finished_at_ms: d.finished_at_ms,
            stats: d.stats.into(),
            coverage: d
                .coverage
                .into_iter()
                .map(|c| CellCoverage {
                    cell_id: c.cell_id,
                    area_m2: c.area_m2,
                    covered_share: c.covered_share,
                    covered_m2: c.covered_m2,
                })
                .collect(),
            time_in_cells: d
                .time_in_cells
                .into_iter()
                .map(|c| CellTime {
                    cell_id: c.cell_id,
                    seconds: c.seconds,
                })
                .collect(),
            integrity: d.integrity.into(),
            check_ins: d
                .check_ins
                .into_iter()
                .map(|c| CheckInRecord {
                    time_ms: c.check_in.time_ms,
                    lat: c.check_in.lat,
                    lon: c.check_in.lon,
                    note: c.check_in.note,
                    photo: c.photo.map(|p| Photo::new(p, photos_dir)),
                })
                .collect(),
            incidents: d.incidents.iter().map(ToString::to_string).collect(),
            remote: d.remote,
        }
    }
}

/// A patrol in a list.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PatrolSummary {
    /// The patrol id.
    pub id: String,
    /// The worker.
    pub worker: String,
    /// Where it stands.
    pub status: PatrolStatus,
    /// Start, unix ms.
    pub started_at_ms: i64,
    /// Fixes stored.
    pub fix_count: u64,
    /// Fixes flagged.
    pub flagged_count: u64,
    /// Recorded on another device and pulled (another worker's patrol).
    pub remote: bool,
}

impl From<patrols::PatrolSummary> for PatrolSummary {
    fn from(s: patrols::PatrolSummary) -> Self {
        PatrolSummary {
            id: s.id.to_string(),
            worker: s.worker,
            status: s.status.into(),
            started_at_ms: s.started_at_ms,
            fix_count: s.fix_count,
            flagged_count: s.flagged_count,
            remote: s.remote,
        }
    }
}

/// Export formats of a patrol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum PatrolExportFormat {
    /// GPX 1.1 (check-ins as waypoints).
    Gpx,
    /// A GeoJSON FeatureCollection.
    GeoJson,
}

#[uniffi::export]
impl GridworkStore {
    /// Starts a patrol of the given cells for the signed-in worker and returns its id. A
    /// worker has at most one open patrol (`Workflow` error otherwise); an unknown cell
    /// is `InvalidInput`.
    pub fn start_patrol(&self, cells: Vec<String>) -> Result<String, GridworkError> {
        let id = self.core().start_patrol(&cells)?.to_string();
        self.notify_patrol(&id, PatrolChange::Started);
        Ok(id)
    }

    /// The signed-in worker's open (active or paused) patrol, if any: after a restart,
    /// resume recording into it.
    pub fn open_patrol(&self) -> Result<Option<String>, GridworkError> {
        Ok(self.core().open_patrol()?.map(|id| id.to_string()))
    }

    /// Pauses an active patrol (fixes are refused until resumed).
    pub fn pause_patrol(&self, id: String) -> Result<(), GridworkError> {
        self.core().pause_patrol(parse_patrol_id(&id)?)?;
        self.notify_patrol(&id, PatrolChange::Paused);
        Ok(())
    }

    /// Resumes a paused patrol.
    pub fn resume_patrol(&self, id: String) -> Result<(), GridworkError> {
        self.core().resume_patrol(parse_patrol_id(&id)?)?;
        self.notify_patrol(&id, PatrolChange::Resumed);
        Ok(())
    }

    /// Finishes an open patrol; its last track is queued for sync.
    pub fn finish_patrol(&self, id: String) -> Result<(), GridworkError> {
        self.core().finish_patrol(parse_patrol_id(&id)?)?;
        self.notify_patrol(&id, PatrolChange::Finished);
        Ok(())
    }

    /// Records a batch of fixes (in the order the platform delivered them) on an active
    /// patrol. A batch with an invalid fix, or over 10,000 fixes, is refused whole
    /// (`InvalidInput`); implausible fixes are stored with flags.
    pub fn add_fixes(
        &self,
        id: String,
        fixes: Vec<GpsFix>,
    ) -> Result<FixBatchReport, GridworkError> {
        let uuid = parse_patrol_id(&id)?;
        let fixes = fixes.into_iter().map(Into::into).collect();
        let report = self.core().add_fixes(uuid, fixes)?.into();
        self.notify_patrol(&id, PatrolChange::FixesAdded);
        Ok(report)
    }

    /// Records a check-in on an open patrol at a WGS-84 point, with an optional note and
    /// photo file (copied into the store). Returns the check-in's id.
    pub fn check_in(
        &self,
        id: String,
        lat: f64,
        lon: f64,
        note: Option<String>,
        photo_path: Option<String>,
    ) -> Result<String, GridworkError> {
        let uuid = parse_patrol_id(&id)?;
        let photo = photo_path.map(PathBuf::from);
        let checkin = self
            .core()
            .check_in(uuid, lat, lon, note, photo.as_deref())?
            .to_string();
        self.notify_patrol(&id, PatrolChange::CheckedIn);
        Ok(checkin)
    }

    /// Imports a GPX track (the text) as a finished patrol of the given cells.
    pub fn import_gpx(&self, gpx: String, cells: Vec<String>) -> Result<String, GridworkError> {
        let id = self.core().import_gpx(&gpx, &cells)?.to_string();
        self.notify_patrol(&id, PatrolChange::Imported);
        Ok(id)
    }

    /// A patrol with its figures (distance, times, coverage, integrity, check-ins).
    pub fn patrol(&self, id: String) -> Result<PatrolDetail, GridworkError> {
        let detail = self.core().patrol(parse_patrol_id(&id)?)?;
        Ok(PatrolDetail::new(detail, self.core().photos_dir()))
    }

    /// Every patrol in the store, newest first.
    pub fn patrols(&self) -> Result<Vec<PatrolSummary>, GridworkError> {
        Ok(self.core().patrols()?.into_iter().map(Into::into).collect())
    }

    /// A patrol as GPX or GeoJSON text, to share or show on a map.
    pub fn export_patrol(
        &self,
        id: String,
        format: PatrolExportFormat,
    ) -> Result<String, GridworkError> {
        let format = match format {
            PatrolExportFormat::Gpx => patrols::ExportFormat::Gpx,
            PatrolExportFormat::GeoJson => patrols::ExportFormat::GeoJson,
        };
        Ok(self.core().export_patrol(parse_patrol_id(&id)?, format)?)
    }
}

fn parse_patrol_id(id: &str) -> Result<uuid::Uuid, GridworkError> {
    parse_case_id(id).map_err(|_| {
        let shown: String = id.chars().take(60).collect();
        GridworkError::invalid(
            "id",
            format!("invalid patrol id {shown:?}: expected a UUID"),
        )
    })
}

fn u32_of(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}
