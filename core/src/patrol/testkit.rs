//! Builders for the patrol tests: fixes placed in metres from a point in Beijing, walks,
//! and square cells.

use geo::{Coord, LineString, Polygon};

use super::fix::{Fix, Provider};
use super::local::LocalFrame;

/// The origin of test geometry: Tiananmen, Beijing.
pub(crate) const LAT0: f64 = 39.915;
pub(crate) const LON0: f64 = 116.404;

/// Latitude and longitude `east_m` east and `north_m` north of (`lat`, `lon`).
pub(crate) fn offset(lat: f64, lon: f64, east_m: f64, north_m: f64) -> (f64, f64) {
    let (mx, my) = LocalFrame::new(lat, lon).scales();
    (lat + north_m / my, lon + east_m / mx)
}

/// A 5 m-accurate GPS fix at the given time and place.
pub(crate) fn fix(time_ms: i64, lat: f64, lon: f64) -> Fix {
    Fix {
        time_ms,
        lat,
        lon,
        accuracy_m: 5.0,
        speed_mps: None,
        bearing_deg: None,
        altitude_m: None,
        provider: Provider::Gps,
        mock: false,
    }
}

/// A copy of `base` at `time_ms`, moved `east_m` east and `north_m` north.
pub(crate) fn fix_at(time_ms: i64, east_m: f64, north_m: f64, base: &Fix) -> Fix {
    let (lat, lon) = offset(base.lat, base.lon, east_m, north_m);
    Fix {
        time_ms,
        lat,
        lon,
        ..*base
    }
}

/// A fix `east_m` east and `north_m` north of the test origin.
pub(crate) fn fix_xy(time_ms: i64, east_m: f64, north_m: f64) -> Fix {
    let (lat, lon) = offset(LAT0, LON0, east_m, north_m);
    fix(time_ms, lat, lon)
}

/// `n` fixes one second apart from `t0`, walking east from the origin at `speed` m/s.
pub(crate) fn walk(t0: i64, n: usize, speed: f64) -> Vec<Fix> {
    (0..n)
        .map(|i| fix_xy(t0 + i as i64 * 1000, i as f64 * speed, 0.0))
        .collect()
}

/// A rectangle `w` m by `h` m whose south-west corner is `x` m east, `y` m north of the
/// origin.
pub(crate) fn rect(x: f64, y: f64, w: f64, h: f64) -> Polygon<f64> {
    let corner = |ex: f64, ny: f64| {
        let (lat, lon) = offset(LAT0, LON0, ex, ny);
        Coord { x: lon, y: lat }
    };
    Polygon::new(
        LineString::new(vec![
            corner(x, y),
            corner(x + w, y),
            corner(x + w, y + h),
            corner(x, y + h),
            corner(x, y),
        ]),
        vec![],
    )
}
