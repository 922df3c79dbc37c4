//! Conversions between WGS-84, GCJ-02 and BD-09.
//!
//! Phones' GNSS gives WGS-84; Chinese base maps draw in GCJ-02 (AMap, Tencent) or BD-09
//! (Baidu), offset by roughly 100–700 m. gridwork stores WGS-84 and converts only at the
//! display edge, with the functions here. The forward GCJ-02 transform is the public
//! Krasovsky-ellipsoid formula; its inverse has no closed form, so it is solved by
//! fixed-point iteration to well under a centimetre. Outside mainland China (the usual
//! bounding-rectangle test) no offset applies and every conversion is the identity.

use std::f64::consts::PI;

use serde::{Deserialize, Serialize};

/// Semi-major axis of the Krasovsky 1940 ellipsoid used by GCJ-02, in metres.
const KRASOVSKY_A: f64 = 6_378_245.0;
/// First eccentricity squared of the Krasovsky 1940 ellipsoid, written as published
/// (the trailing digits are beyond f64 precision and change nothing).
#[allow(clippy::excessive_precision)]
const KRASOVSKY_EE: f64 = 0.006_693_421_622_965_943_23;
/// The BD-09 constant `π · 3000 / 180`.
const X_PI: f64 = PI * 3000.0 / 180.0;
/// Stop iterating an inverse once a step moves the estimate by less than this, in
/// degrees (≈ 0.1 µm).
const INVERSE_TOLERANCE_DEG: f64 = 1e-12;
/// Upper bound on inverse iterations; convergence normally takes 3–5.
const INVERSE_MAX_ITERATIONS: usize = 30;

/// A latitude/longitude pair in degrees. Which datum it is in is up to the caller; the
/// functions in this module name it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LatLon {
    /// Latitude in degrees, positive north.
    pub lat: f64,
    /// Longitude in degrees, positive east.
    pub lon: f64,
}

impl LatLon {
    /// Builds a pair from latitude and longitude in degrees.
    pub const fn new(lat: f64, lon: f64) -> LatLon {
        LatLon { lat, lon }
    }
}

/// `true` when the point lies outside the rectangle conventionally used for mainland
/// China (lon 72.004–137.8347, lat 0.8293–55.8271), where GCJ-02 applies no offset.
/// Non-finite input counts as outside, so it is passed through untouched.
pub fn out_of_china(lat: f64, lon: f64) -> bool {
    !((72.004..=137.8347).contains(&lon) && (0.8293..=55.8271).contains(&lat))
}

/// Converts WGS-84 (GNSS) to GCJ-02 (AMap, Tencent maps).
pub fn wgs84_to_gcj02(p: LatLon) -> LatLon {
    if out_of_china(p.lat, p.lon) {
        return p;
    }
    let (dlat, dlon) = gcj02_offset(p);
    LatLon::new(p.lat + dlat, p.lon + dlon)
}

/// Converts GCJ-02 back to WGS-84, iterating the forward transform until the estimate
/// moves by less than 1e-12° (round trips agree to far below 1 cm).
pub fn gcj02_to_wgs84(p: LatLon) -> LatLon {
    if out_of_china(p.lat, p.lon) {
        return p;
    }
    invert(p, wgs84_to_gcj02)
}

/// Converts GCJ-02 to BD-09 (Baidu maps).
pub fn gcj02_to_bd09(p: LatLon) -> LatLon {
    if out_of_china(p.lat, p.lon) {
        return p;
    }
    let (x, y) = (p.lon, p.lat);
    let z = (x * x + y * y).sqrt() + 0.00002 * (y * X_PI).sin();
    let theta = y.atan2(x) + 0.000003 * (x * X_PI).cos();
    LatLon::new(z * theta.sin() + 0.006, z * theta.cos() + 0.0065)
}

/// Converts BD-09 back to GCJ-02 by fixed-point iteration of [`gcj02_to_bd09`], so round
/// trips agree below 1 cm (the customary closed-form inverse is off by up to ~20 cm).
pub fn bd09_to_gcj02(p: LatLon) -> LatLon {
    if out_of_china(p.lat, p.lon) {
        return p;
    }
    invert(p, gcj02_to_bd09)
}

/// Converts WGS-84 to BD-09 (through GCJ-02).
pub fn wgs84_to_bd09(p: LatLon) -> LatLon {
    gcj02_to_bd09(wgs84_to_gcj02(p))
}

/// Converts BD-09 to WGS-84 (through GCJ-02).
pub fn bd09_to_wgs84(p: LatLon) -> LatLon {
    gcj02_to_wgs84(bd09_to_gcj02(p))
}

/// Solves `forward(x) = target` for `x`, using that `forward` is the identity plus a
/// small, slowly varying offset: `x ← x − (forward(x) − target)`.
fn invert(target: LatLon, forward: fn(LatLon) -> LatLon) -> LatLon {
    let mut x = target;
    for _ in 0..INVERSE_MAX_ITERATIONS {
        let image = forward(x);
        let (dlat, dlon) = (image.lat - target.lat, image.lon - target.lon);
        x = LatLon::new(x.lat - dlat, x.lon - dlon);
        if dlat.abs() < INVERSE_TOLERANCE_DEG && dlon.abs() < INVERSE_TOLERANCE_DEG {
            break;
        }
    }
    x
}

/// The GCJ-02 offset `(dlat, dlon)` in degrees at a WGS-84 point.
fn gcj02_offset(p: LatLon) -> (f64, f64) {
    let (x, y) = (p.lon - 105.0, p.lat - 35.0);
    let rad_lat = p.lat.to_radians();
    let magic = 1.0 - KRASOVSKY_EE * rad_lat.sin().powi(2);
    let sqrt_magic = magic.sqrt();
    let dlat = transform_lat(x, y) * 180.0
        / ((KRASOVSKY_A * (1.0 - KRASOVSKY_EE)) / (magic * sqrt_magic) * PI);
    let dlon = transform_lon(x, y) * 180.0 / (KRASOVSKY_A / sqrt_magic * rad_lat.cos() * PI);
    (dlat, dlon)
}

/// The published GCJ-02 latitude distortion polynomial (in metres-ish units).
fn transform_lat(x: f64, y: f64) -> f64 {
    let mut ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * x.abs().sqrt();
    ret += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    ret += (20.0 * (y * PI).sin() + 40.0 * (y / 3.0 * PI).sin()) * 2.0 / 3.0;
    ret += (160.0 * (y / 12.0 * PI).sin() + 320.0 * (y * PI / 30.0).sin()) * 2.0 / 3.0;
    ret
}

/// The published GCJ-02 longitude distortion polynomial.
fn transform_lon(x: f64, y: f64) -> f64 {
    let mut ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * x.abs().sqrt();
    ret += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    ret += (20.0 * (x * PI).sin() + 40.0 * (x / 3.0 * PI).sin()) * 2.0 / 3.0;
    ret += (150.0 * (x / 12.0 * PI).sin() + 300.0 * (x / 30.0 * PI).sin()) * 2.0 / 3.0;
    ret
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geo::haversine_m;
    use proptest::prelude::*;

    fn assert_close(got: LatLon, lat: f64, lon: f64) {
        assert!(
            (got.lat - lat).abs() < 1e-9 && (got.lon - lon).abs() < 1e-9,
            "got {got:?}, expected lat {lat} lon {lon}"
        );
    }

    #[test]
    fn wgs84_to_gcj02_matches_the_public_test_vector() {
        let gcj = wgs84_to_gcj02(LatLon::new(39.915, 116.404));
        assert_close(gcj, 39.91640428150164, 116.41024449916938);
    }

    #[test]
    fn gcj02_to_bd09_matches_the_public_test_vector() {
        let bd = gcj02_to_bd09(LatLon::new(39.915, 116.404));
        assert_close(bd, 39.92133699351022, 116.41036949371029);
    }

    #[test]
    fn wgs84_to_bd09_composes_both_steps() {
        let p = LatLon::new(31.30, 120.60);
        assert_eq!(wgs84_to_bd09(p), gcj02_to_bd09(wgs84_to_gcj02(p)));
    }

    #[test]
    fn the_offset_in_china_is_hundreds_of_metres() {
        let p = LatLon::new(31.30, 120.60);
        let shift = haversine_m(p, wgs84_to_gcj02(p));
        assert!((100.0..=700.0).contains(&shift), "shift {shift} m");
    }

    #[test]
    fn no_offset_outside_china() {
        for p in [
            LatLon::new(51.5007, -0.1246), // London
            LatLon::new(-33.8568, 151.2153),
            LatLon::new(35.6586, 139.7454), // Tokyo, east of the rectangle
            LatLon::new(0.5, 100.0),        // south of the rectangle
        ] {
            assert!(out_of_china(p.lat, p.lon));
            assert_eq!(wgs84_to_gcj02(p), p);
            assert_eq!(gcj02_to_wgs84(p), p);
            assert_eq!(wgs84_to_bd09(p), p);
            assert_eq!(bd09_to_wgs84(p), p);
        }
        assert!(!out_of_china(31.30, 120.60));
        assert!(!out_of_china(39.915, 116.404));
    }

    #[test]
    fn non_finite_input_passes_through_without_panicking() {
        let p = LatLon::new(f64::NAN, 120.0);
        assert!(out_of_china(p.lat, p.lon));
        assert!(gcj02_to_wgs84(p).lat.is_nan());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn gcj02_inverse_round_trips_below_a_centimetre(
            lat in 18.0f64..53.5, lon in 73.5f64..135.0,
        ) {
            let wgs = LatLon::new(lat, lon);
            let back = gcj02_to_wgs84(wgs84_to_gcj02(wgs));
            let err = haversine_m(wgs, back);
            prop_assert!(err < 0.01, "{wgs:?} came back as {back:?}, {err} m away");
        }

        #[test]
        fn bd09_inverses_round_trip_below_a_centimetre(
            lat in 18.0f64..53.5, lon in 73.5f64..135.0,
        ) {
            let gcj = LatLon::new(lat, lon);
            let back = bd09_to_gcj02(gcj02_to_bd09(gcj));
            prop_assert!(haversine_m(gcj, back) < 0.01, "{gcj:?} -> {back:?}");
            let wgs = gcj;
            let back = bd09_to_wgs84(wgs84_to_bd09(wgs));
            prop_assert!(haversine_m(wgs, back) < 0.01, "{wgs:?} -> {back:?}");
        }
    }
}
