//! A check-in: the worker marking "I am here" at a place during a patrol (a waypoint in
//! GPX, a point in GeoJSON).

use serde::{Deserialize, Serialize};

use super::fix::check_time_and_place;
use super::PatrolError;

/// A place the worker checked in at.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckIn {
    /// When, Unix milliseconds UTC.
    pub time_ms: i64,
    /// Latitude in degrees, WGS-84.
    pub lat: f64,
    /// Longitude in degrees, WGS-84.
    pub lon: f64,
    /// What the worker noted, if anything.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl CheckIn {
    /// Checks the time and the coordinates are in range.
    pub fn validate(&self) -> Result<(), PatrolError> {
        self.check()
            .map_err(|(field, problem)| PatrolError::InvalidCheckIn {
                index: None,
                field,
                problem,
            })
    }

    pub(super) fn check(&self) -> Result<(), (&'static str, &'static str)> {
        check_time_and_place(self.time_ms, self.lat, self.lon)
    }
}

/// Checks every check-in of a list, naming the first bad one by its index.
pub(super) fn check_all(check_ins: &[CheckIn]) -> Result<(), PatrolError> {
    for (i, c) in check_ins.iter().enumerate() {
        c.check()
            .map_err(|(field, problem)| PatrolError::InvalidCheckIn {
                index: Some(i),
                field,
                problem,
            })?;
    }
    Ok(())
}
