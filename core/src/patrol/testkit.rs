//! Builders for the patrol tests: fixes placed in metres from a point in Beijing, walks,
//! and square cells.

use geo::{Coord, LineString, Polygon};

use super::checkin::CheckIn;
use super::fix::{Fix, Provider, TrackPoint};
use super::integrity::FixFlags;
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

/// Start of [`sample_patrol`]: 2023-11-14T22:13:20Z.
pub(crate) const T0_SAMPLE: i64 = 1_700_000_000_000;

/// A 20-second walk, a ten-minute hole, five more fixes (one flagged), and a check-in
/// whose note needs escaping.
pub(crate) fn sample_patrol() -> (Vec<TrackPoint>, Vec<CheckIn>) {
    let mut points: Vec<TrackPoint> = (0..20)
        .map(|i| {
            let mut f = fix_xy(T0_SAMPLE + i * 1000, i as f64 * 1.4, 0.0);
            f.altitude_m = Some(44.2);
            f.speed_mps = Some(1.4);
            f.bearing_deg = Some(90.0);
            TrackPoint::new(f)
        })
        .collect();
    // A hole of ten minutes, then five more fixes; one of them flagged.
    points.extend(
        (0..5).map(|i| TrackPoint::new(fix_xy(T0_SAMPLE + 620_000 + i * 1000, 30.0, i as f64))),
    );
    points[22].flags = FixFlags::SPEED;
    let check_ins = vec![CheckIn {
        time_ms: T0_SAMPLE + 5_500,
        lat: points[5].fix.lat,
        lon: points[5].fix.lon,
        note: Some("Gate 3 <locked> & \"chained\"\u{7}".to_owned()),
    }];
    (points, check_ins)
}
