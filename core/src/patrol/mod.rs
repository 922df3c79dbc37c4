//! Patrol logs as pure maths and formats: what a worker's phone reports while patrolling,
//! and what a supervisor is shown about it.
//!
//! This module does no I/O and knows nothing of the store: it takes fixes and cells as
//! values and returns values, so the device and the server compute the very same figures.
//! The pieces, in the order a batch of GPS fixes meets them:
//!
//! - [`fix`](Fix): a position sample, its validation and the normalisation of a batch
//!   ([`normalize_batch`]);
//! - [`integrity`](assess_batch): "proof of patrol" flags on implausible fixes (flagged,
//!   never deleted) and a verdict on the whole patrol;
//! - [`ingest_batch`]: the two above combined for one batch, with the small state carried
//!   from one batch to the next;
//! - [`track_stats`] and [`time_in_cells`]: distance, time, speed, gaps, time per cell;
//! - [`coverage`]: the share of each cell's area that came within 25 m of the track;
//! - [`simplify`]: the track thinned to a tolerance in metres for syncing;
//! - [`fold_patrol`] and [`patrol_figures`]: a patrol stream's events folded into the
//!   patrol and its figures, the same on the device and the server;
//! - [`to_gpx`] / [`from_gpx`] and [`track_geojson`]: exchange formats.
//!
//! Coordinates are WGS-84 degrees; polygons are [`geo::Polygon`] with x = longitude and
//! y = latitude. Times are Unix milliseconds (UTC). What every figure means for a
//! supervisor is written down in `docs/patrols.md`.

mod checkin;
mod coverage;
mod fix;
mod fold;
mod geojson;
mod gpx;
mod ingest;
mod integrity;
mod local;
mod simplify;
mod stats;
#[cfg(test)]
mod testkit;

pub use checkin::CheckIn;
pub use coverage::{coverage, coverage_of_tracks, CellCoverage, CoverageParams};
pub use fix::{normalize_batch, Fix, NormalizedBatch, Provider, TrackPoint, MAX_FIXES_PER_BATCH};
pub use fold::{
    fold_patrol, patrol_figures, LoggedCheckIn, PatrolFigures, PatrolLog, PatrolStatus,
};
pub use geojson::track_geojson;
pub use gpx::{
    from_gpx, to_gpx, GpxOptions, GPX_DEFAULT_ACCURACY_M, GPX_HDOP_METRES, GPX_NAMESPACE,
    GRIDWORK_GPX_NAMESPACE, MAX_GPX_FIXES,
};
pub use ingest::{ingest_batch, IngestState, IngestedBatch};
pub use integrity::{
    assess, assess_batch, summarize, Assessment, FixFlags, FlagCounts, IntegrityPolicy,
    IntegrityState, IntegritySummary, Verdict,
};
pub use simplify::{simplify, SimplifyParams};
pub use stats::{time_in_cells, track_stats, CellTime, Gap, StatsParams, TrackStats};

/// Everything that can go wrong in the patrol maths and formats.
///
/// Every variant is about the caller's input: nothing here is an internal failure, and a
/// function that returns an error has changed nothing.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PatrolError {
    /// A batch holds more fixes than [`MAX_FIXES_PER_BATCH`]; the whole batch is refused.
    #[error("a batch of {count} fixes is more than the {max} allowed; none of it was taken")]
    BatchTooLarge {
        /// Fixes in the refused batch.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// A fix has a value outside its range (or not a finite number).
    #[error("{}{field} {problem}", fix_label(*.index))]
    InvalidFix {
        /// Position of the fix in its batch, when it came in one.
        index: Option<usize>,
        /// The offending field, as named in Rust (`lat`, `accuracy_m`, …).
        field: &'static str,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// A check-in has a value outside its range.
    #[error("check-in{}: {field} {problem}", index_label(*.index))]
    InvalidCheckIn {
        /// Position of the check-in in the list given, when it came in one.
        index: Option<usize>,
        /// The offending field.
        field: &'static str,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// A grid cell polygon cannot be used (empty, degenerate, not finite, out of range).
    #[error("cell {id:?}: {problem}")]
    InvalidCell {
        /// The cell's id as given.
        id: String,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// A tuning parameter is out of its range.
    #[error("parameter {name} {problem}")]
    InvalidParameter {
        /// The parameter's field name.
        name: &'static str,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// Track points were expected in time order and are not.
    #[error("track points must be in time order: point {index} is earlier than the one before")]
    NotInTimeOrder {
        /// The first point that is earlier than its predecessor.
        index: usize,
    },
    /// The text is not well-formed XML, or not a GPX document.
    #[error("the GPX file is malformed near byte {position}: {message}")]
    GpxMalformed {
        /// Byte offset in the input near which the problem was found.
        position: u64,
        /// What the parser found.
        message: String,
    },
    /// A GPX track point has no `<time>`; a patrol needs a time on every point.
    #[error("GPX track point {index} has no <time>")]
    GpxMissingTime {
        /// Zero-based position of the point among all track points of the file.
        index: usize,
    },
    /// A GPX track point has a value that cannot be read or is out of range.
    #[error("GPX track point {index}: {problem}")]
    GpxInvalidPoint {
        /// Zero-based position of the point among all track points of the file.
        index: usize,
        /// What is wrong with it.
        problem: String,
    },
    /// A GPX file holds more track points than [`MAX_GPX_FIXES`].
    #[error("the GPX file has more than {max} track points")]
    GpxTooLarge {
        /// The limit.
        max: usize,
    },
    /// Writing XML failed (only possible through a bug in the writer: output goes to memory).
    #[error("could not write XML: {message}")]
    XmlWrite {
        /// The writer's message.
        message: String,
    },
}

fn fix_label(index: Option<usize>) -> String {
    match index {
        Some(i) => format!("fix {i}: "),
        None => "fix: ".to_owned(),
    }
}

fn index_label(index: Option<usize>) -> String {
    match index {
        Some(i) => format!(" {i}"),
        None => String::new(),
    }
}
