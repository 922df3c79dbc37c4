//! Thinning a track before it is synced: fewer points, every dropped point within a
//! tolerance (in metres) of the line through the kept ones.
//!
//! Ramer–Douglas–Peucker (`geo`'s [`SimplifyIdx`]) runs in a local metric projection and
//! returns indices, so times and flags stay attached to the kept points. Three kinds of
//! point are always kept, because the figures computed from the synced track depend on
//! them: every flagged point (evidence is never thinned away), both ends of every hole in
//! the log, and at least one point every [`SimplifyParams::max_interval_s`] (so a long
//! straight walk or a long stop does not turn into a "gap", and moving time survives).

use geo::{LineString, SimplifyIdx};
use serde::{Deserialize, Serialize};

use super::fix::TrackPoint;
use super::local::{check_positive, check_time_order, plausible_indices, LocalFrame};
use super::PatrolError;

/// The most points simplified in one run, bounding the work (and recursion depth) of one
/// Douglas–Peucker pass; a run ends at such a point, which is kept.
const MAX_RUN: usize = 1_000;

/// Tuning of [`simplify`]; [`Default`] gives the documented values.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SimplifyParams {
    /// No dropped point is further than this from the simplified line. Default 5 m.
    pub tolerance_m: f64,
    /// Kept points are at most this far apart in time, unless the log itself has a hole
    /// there. Keep it below the gap threshold of the statistics. Default 30 s.
    pub max_interval_s: f64,
}

impl Default for SimplifyParams {
    fn default() -> Self {
        SimplifyParams {
            tolerance_m: 5.0,
            max_interval_s: 30.0,
        }
    }
}

/// Simplifies a track given in time order; returns the indices of the points to keep,
/// increasing. Flagged points are always kept; among plausible points the first and the
/// last are kept, and each dropped point lies within `tolerance_m` of the line through
/// the kept plausible points around it.
pub fn simplify(points: &[TrackPoint], params: &SimplifyParams) -> Result<Vec<usize>, PatrolError> {
    check_positive("tolerance_m", params.tolerance_m)?;
    check_positive("max_interval_s", params.max_interval_s)?;
    check_time_order(points)?;
    let plausible = plausible_indices(points);
    let mut keep: Vec<bool> = points.iter().map(|p| !p.is_plausible()).collect();

    let max_interval_ms = params.max_interval_s * 1000.0;
    let mut start = 0;
    while start + 1 < plausible.len() {
        // The run ends at the furthest point within the interval (or the very next one,
        // when the log has a hole), so that kept points are never further apart in time.
        let t_start = points[plausible[start]].fix.time_ms;
        let mut end = start + 1;
        while end + 1 < plausible.len()
            && end - start < MAX_RUN
            && (points[plausible[end + 1]].fix.time_ms - t_start) as f64 <= max_interval_ms
        {
            end += 1;
        }
        for k in simplify_run(points, &plausible[start..=end], params.tolerance_m) {
            keep[plausible[start + k]] = true;
        }
        start = end;
    }
    // A lone plausible point makes no run, and is kept all the same.
    if let Some(&first) = plausible.first() {
        keep[first] = true;
    }
    Ok(keep
        .iter()
        .enumerate()
        .filter(|(_, &k)| k)
        .map(|(i, _)| i)
        .collect())
}

/// Douglas–Peucker over one run, in a frame centred on its first point; returns positions
/// within the run (always including both ends).
fn simplify_run(points: &[TrackPoint], run: &[usize], tolerance_m: f64) -> Vec<usize> {
    let first = &points[run[0]].fix;
    let frame = LocalFrame::new(first.lat, first.lon);
    let line: LineString<f64> = run
        .iter()
        .map(|&i| {
            let [x, y] = frame.to_xy(points[i].fix.lon, points[i].fix.lat);
            (x, y)
        })
        .collect();
    line.simplify_idx(tolerance_m)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::patrol::integrity::FixFlags;
    use crate::patrol::local::segment_distance_2;
    use crate::patrol::testkit::fix_xy;
    use proptest::prelude::*;

    const T0: i64 = 1_700_000_000_000;

    /// Metres east and north of (`at_lat`, `at_lon`), by a projection written here: the
    /// equirectangular one on the WGS-84 ellipsoid, centred on the point measured from.
    fn metres(lat: f64, lon: f64, at_lat: f64, at_lon: f64) -> (f64, f64) {
        let (a, e2) = (6_378_137.0_f64, 0.006_694_379_990_14_f64);
        let s2 = at_lat.to_radians().sin().powi(2);
        let prime_vertical = a / (1.0 - e2 * s2).sqrt();
        let meridian = a * (1.0 - e2) / (1.0 - e2 * s2).powf(1.5);
        let x = (lon - at_lon).to_radians() * prime_vertical * at_lat.to_radians().cos();
        let y = (lat - at_lat).to_radians() * meridian;
        (x, y)
    }

    /// Distance from point `i` to the polyline through the kept plausible points.
    fn distance_to_kept(points: &[TrackPoint], kept: &[usize], i: usize) -> f64 {
        let p = &points[i].fix;
        let line: Vec<[f64; 2]> = kept
            .iter()
            .filter(|&&k| points[k].is_plausible())
            .map(|&k| {
                let (x, y) = metres(points[k].fix.lat, points[k].fix.lon, p.lat, p.lon);
                [x, y]
            })
            .collect();
        if line.len() == 1 {
            return (line[0][0].powi(2) + line[0][1].powi(2)).sqrt();
        }
        line.windows(2)
            .map(|w| segment_distance_2(w[0], w[1], [0.0, 0.0]).sqrt())
            .fold(f64::INFINITY, f64::min)
    }

    /// A wandering walk: a step of 0.5–3 m a second in a direction that turns at random.
    fn wander() -> impl Strategy<Value = Vec<TrackPoint>> {
        prop::collection::vec((0.5f64..3.0, -1.0f64..1.0, 1i64..4, 0u8..40), 2..400).prop_map(
            |steps| {
                let (mut x, mut y, mut heading, mut t) = (0.0, 0.0, 0.0f64, T0);
                steps
                    .into_iter()
                    .map(|(step, turn, dt, flag)| {
                        heading += turn;
                        x += step * heading.cos();
                        y += step * heading.sin();
                        t += dt * 1000;
                        let mut p = TrackPoint::new(fix_xy(t, x, y));
                        if flag == 0 {
                            p.flags = FixFlags::SPEED;
                        }
                        p
                    })
                    .collect()
            },
        )
    }

    proptest! {
        #[test]
        fn no_point_is_further_than_the_tolerance_from_the_simplified_track(
            points in wander(),
            tolerance in 0.5f64..20.0,
        ) {
            let params = SimplifyParams { tolerance_m: tolerance, ..SimplifyParams::default() };
            let kept = simplify(&points, &params).unwrap();
            prop_assert!(kept.windows(2).all(|w| w[0] < w[1]));
            let plausible: Vec<usize> = (0..points.len()).filter(|&i| points[i].is_plausible()).collect();
            if let (Some(first), Some(last)) = (plausible.first(), plausible.last()) {
                prop_assert!(kept.contains(first) && kept.contains(last));
            }
            for (i, p) in points.iter().enumerate() {
                if p.is_plausible() {
                    let d = distance_to_kept(&points, &kept, i);
                    prop_assert!(d <= tolerance + 0.01, "point {} is {} m away", i, d);
                } else {
                    prop_assert!(kept.contains(&i), "flagged point {} was dropped", i);
                }
            }
            for w in kept.iter().filter(|&&k| points[k].is_plausible()).collect::<Vec<_>>().windows(2) {
                let gap = points[*w[1]].fix.time_ms - points[*w[0]].fix.time_ms;
                let hole = plausible.windows(2).any(|p| p[0] == *w[0] && p[1] == *w[1]);
                prop_assert!(gap <= 30_000 || hole, "kept points {} ms apart", gap);
            }
        }
    }

    #[test]
    fn a_straight_walk_keeps_a_point_every_interval_and_both_ends_of_a_hole() {
        let mut points: Vec<TrackPoint> = (0..300)
            .map(|i| TrackPoint::new(fix_xy(T0 + i * 1000, i as f64 * 1.4, 0.0)))
            .collect();
        points.push(TrackPoint::new(fix_xy(T0 + 900_000, 420.0, 0.0)));
        let kept = simplify(&points, &SimplifyParams::default()).unwrap();
        let times: Vec<i64> = kept
            .iter()
            .map(|&k| (points[k].fix.time_ms - T0) / 1000)
            .collect();
        assert_eq!(
            times,
            [0, 30, 60, 90, 120, 150, 180, 210, 240, 270, 299, 900]
        );
    }

    #[test]
    fn trivial_tracks() {
        assert!(simplify(&[], &SimplifyParams::default())
            .unwrap()
            .is_empty());
        let one = [TrackPoint::new(fix_xy(T0, 0.0, 0.0))];
        assert_eq!(simplify(&one, &SimplifyParams::default()).unwrap(), [0]);
        let bad = SimplifyParams {
            tolerance_m: -1.0,
            ..SimplifyParams::default()
        };
        assert!(simplify(&one, &bad).is_err());
    }
}
