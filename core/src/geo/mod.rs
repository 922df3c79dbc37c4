//! Geography for grid work: cell codes, the cell index, and map-datum conversion.
//!
//! Field workers report from a position; the core must say which unit grid cell that
//! position is in, offline, and show it on Chinese base maps whose datums differ from
//! GNSS. This module family holds those pieces, each in its own file:
//! [`code`] (validated cell codes), [`grid`] (cells loaded from GeoJSON behind an R-tree)
//! and [`datum`] (WGS-84 ↔ GCJ-02 ↔ BD-09). Coordinates are always WGS-84 degrees
//! unless a function's name says otherwise.

pub mod code;
pub mod datum;
pub mod grid;

pub use code::CellCode;
pub use datum::{
    bd09_to_gcj02, bd09_to_wgs84, gcj02_to_bd09, gcj02_to_wgs84, out_of_china, wgs84_to_bd09,
    wgs84_to_gcj02, LatLon,
};
pub use grid::{Cell, Grid};

use ::geo::{Distance, Haversine, Point};

/// Everything that can go wrong validating codes, coordinates and grid data.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GridError {
    /// A cell code is empty, holds a non-digit, or is not 14 or 15 digits long.
    #[error("invalid cell code {value:?}: {reason}")]
    InvalidCode {
        /// The rejected value (shortened if very long).
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A point is not finite or outside lat [-90, 90] / lon [-180, 180].
    #[error("invalid coordinate lat {lat}, lon {lon}: must be finite, lat in [-90, 90], lon in [-180, 180]")]
    InvalidCoordinate {
        /// The latitude given.
        lat: f64,
        /// The longitude given.
        lon: f64,
    },
    /// The grid text is not JSON, or not GeoJSON.
    #[error("malformed GeoJSON: {0}")]
    MalformedGeoJson(String),
    /// The grid text is GeoJSON but not a FeatureCollection.
    #[error("grid GeoJSON must be a FeatureCollection, found a {found}")]
    NotFeatureCollection {
        /// The GeoJSON type found instead (`Feature`, `Polygon`, …).
        found: String,
    },
    /// A feature has no `code` property.
    #[error("feature #{feature} has no \"code\" property")]
    MissingCode {
        /// Zero-based index of the feature in the collection.
        feature: usize,
    },
    /// A feature property has the wrong JSON type (e.g. a numeric `code` or `name`).
    #[error("feature #{feature}: property {key:?} {reason}")]
    InvalidProperty {
        /// Zero-based index of the feature in the collection.
        feature: usize,
        /// The property name.
        key: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Two features carry the same cell code.
    #[error("cell code {code} appears more than once")]
    DuplicateCode {
        /// The repeated code.
        code: String,
    },
    /// A feature's geometry is missing or is not a Polygon (or a one-part MultiPolygon).
    #[error("cell {code}: geometry must be a Polygon, found {found}")]
    UnsupportedGeometry {
        /// The cell code of the feature.
        code: String,
        /// What was found instead.
        found: String,
    },
    /// A polygon ring has fewer than 4 positions (a closed triangle needs 4).
    #[error("cell {code}: polygon ring has {points} positions, at least 4 are needed")]
    RingTooShort {
        /// The cell code of the feature.
        code: String,
        /// How many positions the ring has.
        points: usize,
    },
    /// A polygon vertex is not finite or out of the WGS-84 range.
    #[error("cell {code}: vertex lat {lat}, lon {lon} is not a valid WGS-84 coordinate")]
    InvalidVertex {
        /// The cell code of the feature.
        code: String,
        /// The vertex latitude (GeoJSON y).
        lat: f64,
        /// The vertex longitude (GeoJSON x).
        lon: f64,
    },
}

/// Checks that a WGS-84 point is usable: both values finite, latitude in [-90, 90]
/// and longitude in [-180, 180].
///
/// # Errors
/// [`GridError::InvalidCoordinate`] otherwise.
pub fn validate_point(lat: f64, lon: f64) -> Result<(), GridError> {
    if lat.is_finite()
        && lon.is_finite()
        && (-90.0..=90.0).contains(&lat)
        && (-180.0..=180.0).contains(&lon)
    {
        Ok(())
    } else {
        Err(GridError::InvalidCoordinate { lat, lon })
    }
}

/// Great-circle distance in metres between two points, on a sphere of the GRS80 mean
/// radius (6,371,008.8 m). Good to about 0.5 %, plenty for "how far from the cell".
pub fn haversine_m(a: LatLon, b: LatLon) -> f64 {
    Haversine.distance(Point::new(a.lon, a.lat), Point::new(b.lon, b.lat))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validate_point_accepts_the_whole_range() {
        for (lat, lon) in [(0.0, 0.0), (90.0, 180.0), (-90.0, -180.0), (31.3, 120.6)] {
            assert_eq!(validate_point(lat, lon), Ok(()));
        }
    }

    #[test]
    fn validate_point_rejects_out_of_range_and_non_finite() {
        for (lat, lon) in [
            (90.0001, 0.0),
            (-91.0, 0.0),
            (0.0, 180.5),
            (0.0, -181.0),
            (f64::NAN, 0.0),
            (0.0, f64::INFINITY),
            (f64::NEG_INFINITY, 0.0),
        ] {
            assert!(
                matches!(
                    validate_point(lat, lon),
                    Err(GridError::InvalidCoordinate { .. })
                ),
                "({lat}, {lon}) accepted"
            );
        }
    }

    #[test]
    fn haversine_matches_a_known_distance() {
        // One degree of latitude on the GRS80 mean sphere: 2πR / 360 ≈ 111,195 m.
        let d = haversine_m(LatLon::new(31.0, 120.6), LatLon::new(32.0, 120.6));
        assert!((d - 111_195.0).abs() < 1.0, "{d}");
        assert_eq!(
            haversine_m(LatLon::new(31.3, 120.6), LatLon::new(31.3, 120.6)),
            0.0
        );
    }
}
