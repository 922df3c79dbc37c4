//! GPX 1.1, the file format every GPS tool reads: patrols go out as GPX for supervisors'
//! tools, and tracks recorded elsewhere come in from GPX.
//!
//! Written with `quick-xml` rather than the `gpx` crate: that crate neither writes nor
//! reads `<extensions>`, where a point's accuracy, speed, bearing and flags go. Output
//! follows the element order of the GPX 1.1 schema (metadata, wpt, trk; in a point: ele,
//! time, extensions). Extensions use the namespace [`GRIDWORK_GPX_NAMESPACE`], which GPX
//! 1.1 readers are required to skip if they do not know it.

mod read;
mod write;

pub use read::from_gpx;
pub use write::{to_gpx, GpxOptions};

/// The GPX 1.1 namespace, declared as the default namespace of every file written.
pub const GPX_NAMESPACE: &str = "http://www.topografix.com/GPX/1/1";
/// The namespace of gridwork's point extensions: `accuracy` (m), `speed` (m/s),
/// `bearing` (°) and `flags` (flag names separated by spaces).
pub const GRIDWORK_GPX_NAMESPACE: &str = "urn:gridwork:gpx:1";
/// Accuracy given to an imported point with neither a gridwork accuracy nor `<hdop>`, m.
pub const GPX_DEFAULT_ACCURACY_M: f64 = 10.0;
/// Metres of accuracy per unit of `<hdop>` when importing (a common rule of thumb for
/// consumer GNSS receivers).
pub const GPX_HDOP_METRES: f64 = 5.0;
/// The most track points [`from_gpx`] reads (55 hours at one a second); a larger file is
/// refused with [`PatrolError::GpxTooLarge`](crate::patrol::PatrolError::GpxTooLarge).
pub const MAX_GPX_FIXES: usize = 200_000;
