//! Shared helpers for the track maths: a local metric projection, a quick distance,
//! time-order and cell checks, and the walk over plausible segments.
//!
//! Coverage, simplification and cell tests need metres rather than degrees. Patrol
//! geometry is local (a cell is a few hundred metres, a simplification run at most a few
//! hundred), so an equirectangular projection about a nearby origin, scaled by the
//! WGS-84 radii of curvature there, is exact to well under a millimetre per 100 m.

use chrono::{DateTime, SecondsFormat, Utc};
use geo::{Coord, GeodesicArea, LineString, Polygon};

use super::fix::TrackPoint;
use super::PatrolError;

/// WGS-84 semi-major axis, metres.
const WGS84_A: f64 = 6_378_137.0;
/// WGS-84 first eccentricity squared.
const WGS84_E2: f64 = 0.006_694_379_990_141_317;
/// Mean Earth radius (IUGG), metres, for the quick haversine distance.
const MEAN_RADIUS_M: f64 = 6_371_008.8;

/// An equirectangular projection about an origin, in metres east (x) and north (y).
#[derive(Debug, Clone, Copy)]
pub(super) struct LocalFrame {
    lat0: f64,
    lon0: f64,
    /// Metres per degree of longitude at the origin.
    mx: f64,
    /// Metres per degree of latitude at the origin.
    my: f64,
}

impl LocalFrame {
    /// A frame centred on (`lat0`, `lon0`), in degrees.
    pub(super) fn new(lat0: f64, lon0: f64) -> Self {
        let phi = lat0.to_radians();
        let w = 1.0 - WGS84_E2 * phi.sin().powi(2);
        let meridional = WGS84_A * (1.0 - WGS84_E2) / (w * w.sqrt());
        let normal = WGS84_A / w.sqrt();
        LocalFrame {
            lat0,
            lon0,
            // Near a pole a degree of longitude shrinks to nothing; keep the scale positive.
            mx: (normal * phi.cos()).max(1.0).to_radians(),
            my: meridional.to_radians(),
        }
    }

    /// Metres per degree of longitude and of latitude at the origin.
    pub(super) fn scales(&self) -> (f64, f64) {
        (self.mx, self.my)
    }

    /// Projects a longitude/latitude to metres east and north of the origin.
    pub(super) fn to_xy(self, lon: f64, lat: f64) -> [f64; 2] {
        let mut dlon = lon - self.lon0;
        if dlon > 180.0 {
            dlon -= 360.0;
        } else if dlon < -180.0 {
            dlon += 360.0;
        }
        [dlon * self.mx, (lat - self.lat0) * self.my]
    }
}

/// Great-circle distance in metres on the mean sphere: within 0.5 % of the ellipsoid,
/// which is plenty for plausibility thresholds, and a fraction of the cost of Karney.
pub(super) fn haversine_m(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * MEAN_RADIUS_M * h.sqrt().min(1.0).asin()
}

/// Squared distance from `p` to the segment `a`–`b` in the plane.
pub(super) fn segment_distance_2(a: [f64; 2], b: [f64; 2], p: [f64; 2]) -> f64 {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 {
        (((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (cx, cy) = (a[0] + t * dx - p[0], a[1] + t * dy - p[1]);
    cx * cx + cy * cy
}

/// RFC 3339 in UTC with a `Z`, with fractions of a second only when there are any.
pub(super) fn rfc3339(time_ms: i64) -> String {
    // Callers validate times to lie in 1970 ..= 9999, which chrono represents; the
    // default (the epoch) is never used.
    DateTime::<Utc>::from_timestamp_millis(time_ms)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// Errors unless `points` are in non-decreasing `time_ms`.
pub(super) fn check_time_order(points: &[TrackPoint]) -> Result<(), PatrolError> {
    match points
        .windows(2)
        .position(|w| w[1].fix.time_ms < w[0].fix.time_ms)
    {
        Some(i) => Err(PatrolError::NotInTimeOrder { index: i + 1 }),
        None => Ok(()),
    }
}

/// Indices of the points that count in track maths, skipping a point whose time equals
/// the previous counted one (two places at one instant cannot both be right; the first
/// recorded wins). Expects points in time order.
pub(super) fn plausible_indices(points: &[TrackPoint]) -> Vec<usize> {
    let mut out: Vec<usize> = Vec::with_capacity(points.len());
    let mut last_time = None;
    for (i, p) in points.iter().enumerate() {
        if p.is_plausible() && last_time != Some(p.fix.time_ms) {
            last_time = Some(p.fix.time_ms);
            out.push(i);
        }
    }
    out
}

/// Checks a positive, finite tuning parameter.
pub(super) fn check_positive(name: &'static str, value: f64) -> Result<(), PatrolError> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(PatrolError::InvalidParameter {
            name,
            problem: "must be a finite number > 0",
        })
    }
}

/// Checks a grid cell polygon: a closed exterior of at least three distinct corners, every
/// coordinate a finite WGS-84 longitude/latitude.
pub(super) fn check_cell(id: &str, polygon: &Polygon<f64>) -> Result<(), PatrolError> {
    let bad = |problem| {
        Err(PatrolError::InvalidCell {
            id: id.to_owned(),
            problem,
        })
    };
    // geo closes rings itself, so a triangle has four coordinates.
    if polygon.exterior().0.len() < 4 {
        return bad("needs at least three corners");
    }
    let rings = std::iter::once(polygon.exterior()).chain(polygon.interiors());
    for ring in rings {
        for c in &ring.0 {
            if !c.x.is_finite() || !(-180.0..=180.0).contains(&c.x) {
                return bad("has a longitude (x) outside -180 ..= 180");
            }
            if !c.y.is_finite() || !(-90.0..=90.0).contains(&c.y) {
                return bad("has a latitude (y) outside -90 ..= 90");
            }
        }
    }
    Ok(())
}

/// The area of a polygon on the WGS-84 ellipsoid in m²: the exterior's less the holes',
/// whichever way each ring winds.
pub(super) fn geodesic_area_m2(polygon: &Polygon<f64>) -> f64 {
    let ring_area = |ring: &LineString<f64>| {
        Polygon::new(ring.clone(), vec![])
            .geodesic_area_signed()
            .abs()
    };
    let holes: f64 = polygon.interiors().iter().map(ring_area).sum();
    (ring_area(polygon.exterior()) - holes).max(0.0)
}

/// The cell's centre of bounding box, for a local frame.
pub(super) fn bbox_centre(polygon: &Polygon<f64>) -> Coord<f64> {
    let mut min = Coord {
        x: f64::INFINITY,
        y: f64::INFINITY,
    };
    let mut max = Coord {
        x: f64::NEG_INFINITY,
        y: f64::NEG_INFINITY,
    };
    for c in &polygon.exterior().0 {
        min.x = min.x.min(c.x);
        min.y = min.y.min(c.y);
        max.x = max.x.max(c.x);
        max.y = max.y.max(c.y);
    }
    Coord {
        x: (min.x + max.x) / 2.0,
        y: (min.y + max.y) / 2.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_local_frame_matches_known_degree_lengths() {
        // At 40° N a degree of latitude is 111,034.6 m and of longitude 85,394.3 m (WGS-84).
        let f = LocalFrame::new(40.0, 116.0);
        let (mx, my) = f.scales();
        assert!((my - 111_034.6).abs() < 0.5, "{my}");
        assert!((mx - 85_394.3).abs() < 0.5, "{mx}");
        let [x, y] = f.to_xy(116.001, 40.001);
        assert!((x - 85.394).abs() < 0.01 && (y - 111.035).abs() < 0.01);
        assert!((LocalFrame::new(0.0, 179.9).to_xy(-179.9, 0.0)[0] - 22_263.9).abs() < 1.0);
    }

    #[test]
    fn segment_distance_uses_the_nearest_end_beyond_the_segment() {
        assert_eq!(segment_distance_2([0.0, 0.0], [10.0, 0.0], [5.0, 3.0]), 9.0);
        assert_eq!(
            segment_distance_2([0.0, 0.0], [10.0, 0.0], [13.0, 4.0]),
            25.0
        );
        assert_eq!(segment_distance_2([1.0, 1.0], [1.0, 1.0], [4.0, 5.0]), 25.0);
    }
}
