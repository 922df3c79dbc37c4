//! Track statistics a supervisor reads on a patrol: how far, how long, how much of it on
//! the move, how fast, where the log has holes, and how long was spent in each cell.
//!
//! Everything is computed from the plausible points only (see
//! [`FixFlags::EXCLUDED_FROM_TRACK`](super::FixFlags::EXCLUDED_FROM_TRACK)), joined in time
//! order; distances are geodesic on the WGS-84 ellipsoid (Karney's algorithm, via `geo`).

use geo::{Coord, Distance, Geodesic, Intersects, Point, Polygon};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::RTree;
use serde::{Deserialize, Serialize};

use super::fix::TrackPoint;
use super::local::{check_cell, check_positive, check_time_order, haversine_m, plausible_indices};
use super::PatrolError;

/// Tuning of [`track_stats`] and [`time_in_cells`]; [`Default`] gives the documented values.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StatsParams {
    /// Two consecutive plausible fixes further apart in time than this make a [`Gap`].
    /// Default 60 s.
    pub gap_threshold_s: f64,
    /// Distance is counted in legs of at least this length: from the last counted fix to
    /// the first plausible fix at least this far from it. GPS noise makes a standing
    /// worker's fixes wander by a few metres; without this, an hour at a post would add
    /// kilometres. Default 10 m; 0 counts every fix-to-fix step.
    pub min_step_m: f64,
    /// A leg counts as moving when its speed is above this. Default 0.3 m/s (a slow
    /// stroll is about 1 m/s).
    pub moving_speed_mps: f64,
    /// The maximum speed is taken over stretches at least this long, so GPS noise cannot
    /// make a walk look like a sprint. Default 30 s.
    pub max_speed_window_s: f64,
}

impl Default for StatsParams {
    fn default() -> Self {
        StatsParams {
            gap_threshold_s: 60.0,
            min_step_m: 10.0,
            moving_speed_mps: 0.3,
            max_speed_window_s: 30.0,
        }
    }
}

impl StatsParams {
    fn check(&self) -> Result<(), PatrolError> {
        check_positive("gap_threshold_s", self.gap_threshold_s)?;
        check_positive("moving_speed_mps", self.moving_speed_mps)?;
        if !(self.min_step_m >= 0.0 && self.min_step_m.is_finite()) {
            return Err(PatrolError::InvalidParameter {
                name: "min_step_m",
                problem: "must be a finite number >= 0",
            });
        }
        check_positive("max_speed_window_s", self.max_speed_window_s)
    }
}

/// A hole in the log: no plausible fix between `from_ms` and `to_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gap {
    /// Time of the last fix before the hole, Unix ms.
    pub from_ms: i64,
    /// Time of the first fix after it, Unix ms.
    pub to_ms: i64,
}

/// The figures of one patrol track.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrackStats {
    /// Length of the track through the plausible fixes, metres, counted in legs of at
    /// least [`StatsParams::min_step_m`] (plus the last, shorter one), across gaps too:
    /// the straight line from before a gap to after it.
    pub distance_m: f64,
    /// From the first to the last plausible fix, seconds.
    pub duration_s: f64,
    /// Time spent on legs faster than [`StatsParams::moving_speed_mps`], seconds.
    pub moving_time_s: f64,
    /// Distance covered while moving divided by moving time, m/s (0 when never moving).
    pub mean_speed_mps: f64,
    /// Highest average speed over any stretch of at least
    /// [`StatsParams::max_speed_window_s`] (or over the whole track if shorter), m/s.
    pub max_speed_mps: f64,
    /// Every point given, flagged or not.
    pub fix_count: usize,
    /// Points with at least one flag.
    pub flagged_fix_count: usize,
    /// Holes in the log longer than [`StatsParams::gap_threshold_s`], in time order.
    pub gaps: Vec<Gap>,
}

/// Computes the [`TrackStats`] of a track given in time order (else
/// [`PatrolError::NotInTimeOrder`]).
pub fn track_stats(points: &[TrackPoint], params: &StatsParams) -> Result<TrackStats, PatrolError> {
    params.check()?;
    check_time_order(points)?;
    let kept = plausible_indices(points);
    let mut stats = TrackStats {
        distance_m: 0.0,
        duration_s: 0.0,
        moving_time_s: 0.0,
        mean_speed_mps: 0.0,
        max_speed_mps: 0.0,
        fix_count: points.len(),
        flagged_fix_count: points.iter().filter(|p| !p.flags.is_empty()).count(),
        gaps: Vec::new(),
    };
    let (Some(&first), Some(&last)) = (kept.first(), kept.last()) else {
        return Ok(stats);
    };

    // Seconds since the first plausible fix, and distance travelled up to each.
    let t0 = points[first].fix.time_ms;
    let mut times = Vec::with_capacity(kept.len());
    let mut along = Vec::with_capacity(kept.len());
    times.push(0.0);
    along.push(0.0);
    // Distance is counted in legs of at least `min_step_m` from the last counted fix, so
    // that a worker standing still is not credited with the wander of GPS noise.
    let mut moving_distance = 0.0;
    let mut anchor = &points[first].fix;
    for pair in kept.windows(2) {
        let (a, b) = (&points[pair[0]].fix, &points[pair[1]].fix);
        if (b.time_ms - a.time_ms) as f64 / 1000.0 > params.gap_threshold_s {
            stats.gaps.push(Gap {
                from_ms: a.time_ms,
                to_ms: b.time_ms,
            });
        }
        // The quick spherical distance decides whether a leg ends here (its 0.5 % error
        // only nudges where); a leg's length is measured on the ellipsoid. The last fix
        // always ends a leg, so a walk's final metres count.
        let is_last = pair[1] == last;
        if is_last || haversine_m(anchor.lat, anchor.lon, b.lat, b.lon) >= params.min_step_m {
            let d = Geodesic.distance(Point::new(anchor.lon, anchor.lat), Point::new(b.lon, b.lat));
            let dt = (b.time_ms - anchor.time_ms) as f64 / 1000.0;
            if d / dt > params.moving_speed_mps {
                stats.moving_time_s += dt;
                moving_distance += d;
            }
            stats.distance_m += d;
            anchor = b;
        }
        times.push((b.time_ms - t0) as f64 / 1000.0);
        along.push(stats.distance_m);
    }
    stats.duration_s = (points[last].fix.time_ms - t0) as f64 / 1000.0;
    if stats.moving_time_s > 0.0 {
        stats.mean_speed_mps = moving_distance / stats.moving_time_s;
    }
    stats.max_speed_mps = max_windowed_speed(&times, &along, params.max_speed_window_s);
    Ok(stats)
}

/// The highest `Δalong / Δtime` over windows of at least `window` seconds: for each end
/// point, the shortest such window ending there (two pointers, linear time).
fn max_windowed_speed(times: &[f64], along: &[f64], window: f64) -> f64 {
    let n = times.len();
    if n < 2 {
        return 0.0;
    }
    let span = times[n - 1] - times[0];
    if span < window {
        return if span > 0.0 { along[n - 1] / span } else { 0.0 };
    }
    let mut best: f64 = 0.0;
    let mut i = 0;
    for j in 1..n {
        while i + 1 < j && times[j] - times[i + 1] >= window {
            i += 1;
        }
        let dt = times[j] - times[i];
        if dt >= window {
            best = best.max((along[j] - along[i]) / dt);
        }
    }
    best
}

/// Time spent in one cell, from [`time_in_cells`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CellTime {
    /// The cell's id as given.
    pub cell_id: String,
    /// Seconds attributed to the cell.
    pub seconds: f64,
}

/// Time spent in each cell: each stretch between two consecutive plausible fixes counts
/// for the cell containing its start (boundary included; where cells overlap, the first
/// in `cells` wins). Stretches longer than [`StatsParams::gap_threshold_s`] count for no
/// cell: a hole in the log is not time on patrol. Returns one entry per cell, in the
/// order of `cells`.
pub fn time_in_cells(
    points: &[TrackPoint],
    cells: &[(String, Polygon<f64>)],
    params: &StatsParams,
) -> Result<Vec<CellTime>, PatrolError> {
    params.check()?;
    check_time_order(points)?;
    for (id, polygon) in cells {
        check_cell(id, polygon)?;
    }
    let index = cell_index(cells);
    let mut seconds = vec![0.0; cells.len()];
    for pair in plausible_indices(points).windows(2) {
        let (a, b) = (&points[pair[0]].fix, &points[pair[1]].fix);
        let dt = (b.time_ms - a.time_ms) as f64 / 1000.0;
        if dt > params.gap_threshold_s {
            continue;
        }
        let at = Coord { x: a.lon, y: a.lat };
        let cell = index
            .locate_all_at_point([at.x, at.y])
            .map(|entry| entry.data)
            .filter(|&k| cells[k].1.intersects(&at))
            .min();
        if let Some(k) = cell {
            seconds[k] += dt;
        }
    }
    Ok(cells
        .iter()
        .zip(seconds)
        .map(|((id, _), seconds)| CellTime {
            cell_id: id.clone(),
            seconds,
        })
        .collect())
}

/// An R-tree of the cells' bounding boxes, each tagged with its position in `cells`.
fn cell_index(cells: &[(String, Polygon<f64>)]) -> RTree<GeomWithData<Rectangle<[f64; 2]>, usize>> {
    let boxes = cells
        .iter()
        .enumerate()
        .map(|(k, (_, polygon))| {
            let (mut lo, mut hi) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
            for c in &polygon.exterior().0 {
                lo = [lo[0].min(c.x), lo[1].min(c.y)];
                hi = [hi[0].max(c.x), hi[1].max(c.y)];
            }
            GeomWithData::new(Rectangle::from_corners(lo, hi), k)
        })
        .collect();
    RTree::bulk_load(boxes)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::patrol::fix::Fix;
    use crate::patrol::integrity::FixFlags;
    use crate::patrol::testkit::{fix_xy, rect, walk};

    const T0: i64 = 1_700_000_000_000;

    fn points(fixes: Vec<Fix>) -> Vec<TrackPoint> {
        fixes.into_iter().map(TrackPoint::new).collect()
    }

    /// Parameters that count every fix-to-fix step, for exact arithmetic.
    fn every_step() -> StatsParams {
        StatsParams {
            min_step_m: 0.0,
            max_speed_window_s: 10.0,
            ..StatsParams::default()
        }
    }

    /// Independent cross-check: haversine on the mean sphere, written here from the formula.
    fn haversine(a: &Fix, b: &Fix) -> f64 {
        let r = 6_371_008.8;
        let (p1, p2) = (a.lat.to_radians(), b.lat.to_radians());
        let (dp, dl) = (p2 - p1, (b.lon - a.lon).to_radians());
        let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
        2.0 * r * h.sqrt().asin()
    }

    #[test]
    fn distance_agrees_with_an_independent_formula() {
        let routes: [&[(f64, f64)]; 4] = [
            &[(39.915, 116.404), (39.925, 116.404), (39.925, 116.424)],
            &[(22.54, 114.05), (22.55, 114.07), (22.53, 114.09)],
            &[(45.75, 126.63), (45.76, 126.60)],
            &[(0.0, 0.0), (0.1, 0.1)],
        ];
        for route in routes {
            let fixes: Vec<Fix> = route
                .iter()
                .enumerate()
                .map(|(i, &(lat, lon))| {
                    crate::patrol::testkit::fix(T0 + i as i64 * 600_000, lat, lon)
                })
                .collect();
            let expected: f64 = fixes.windows(2).map(|w| haversine(&w[0], &w[1])).sum();
            let got = track_stats(&points(fixes), &StatsParams::default())
                .unwrap()
                .distance_m;
            assert!(
                (got - expected).abs() / expected < 0.005,
                "{route:?}: geodesic {got} vs haversine {expected}"
            );
        }
    }

    #[test]
    fn a_walk_with_a_stop_and_a_hole() {
        // 100 s walking east at 1.5 m/s, 100 s standing, 5 minutes with no fix, 100 s walking.
        let mut fixes = walk(T0, 100, 1.5);
        let stop = fixes[99];
        fixes.extend((1..=100).map(|i| Fix {
            time_ms: stop.time_ms + i * 1000,
            ..stop
        }));
        let resume = T0 + 199_000 + 300_000;
        fixes.extend((0..100).map(|i| fix_xy(resume + i * 1000, 148.5 + i as f64 * 1.5, 0.0)));
        let s = track_stats(&points(fixes), &every_step()).unwrap();
        assert!(
            (s.distance_m - 99.0 * 1.5 * 2.0).abs() < 0.5,
            "{}",
            s.distance_m
        );
        assert_eq!(s.duration_s, 598.0);
        assert_eq!(s.moving_time_s, 198.0);
        assert!((s.mean_speed_mps - 1.5).abs() < 0.01);
        assert!((s.max_speed_mps - 1.5).abs() < 0.01);
        assert_eq!(
            s.gaps,
            [Gap {
                from_ms: T0 + 199_000,
                to_ms: resume
            }]
        );
    }

    #[test]
    fn standing_at_a_post_is_not_walking() {
        // Ten minutes at one spot with fixes wandering up to 4 m, then 100 m east.
        let mut fixes: Vec<Fix> = (0..600)
            .map(|i| {
                let a = i as f64 * 0.7;
                fix_xy(T0 + i * 1000, 4.0 * a.cos(), 4.0 * (a * 1.3).sin())
            })
            .collect();
        fixes.extend((1..=100).map(|i| fix_xy(T0 + (599 + i) * 1000, i as f64, 0.0)));
        let naive = track_stats(&points(fixes.clone()), &every_step()).unwrap();
        assert!(naive.distance_m > 1_500.0, "{}", naive.distance_m);
        let s = track_stats(&points(fixes), &StatsParams::default()).unwrap();
        // The walk starts from wherever the last fix at the post wandered to.
        assert!((s.distance_m - 100.0).abs() < 5.0, "{}", s.distance_m);
        assert!(s.moving_time_s < 120.0, "{}", s.moving_time_s);
        assert!((s.max_speed_mps - 1.0).abs() < 0.2, "{}", s.max_speed_mps);
    }

    #[test]
    fn flagged_fixes_count_but_do_not_move_the_track() {
        let mut pts = points(walk(T0, 61, 1.0));
        pts[30].fix = fix_xy(pts[30].fix.time_ms, 30.0, 5_000.0);
        pts[30].flags = FixFlags::TELEPORT | FixFlags::SPEED;
        pts[40].flags = FixFlags::CLOCK_SKEW;
        let s = track_stats(&pts, &every_step()).unwrap();
        assert!((s.distance_m - 60.0).abs() < 0.1, "{}", s.distance_m);
        assert_eq!((s.fix_count, s.flagged_fix_count), (61, 2));
        assert!(s.max_speed_mps < 1.01);
    }

    #[test]
    fn empty_and_unordered_tracks() {
        let s = track_stats(&[], &StatsParams::default()).unwrap();
        assert_eq!((s.distance_m, s.fix_count), (0.0, 0));
        let mut pts = points(walk(T0, 3, 1.0));
        pts.swap(1, 2);
        assert_eq!(
            track_stats(&pts, &StatsParams::default()),
            Err(PatrolError::NotInTimeOrder { index: 2 })
        );
        let bad = StatsParams {
            gap_threshold_s: f64::NAN,
            ..StatsParams::default()
        };
        assert!(matches!(
            track_stats(&pts, &bad),
            Err(PatrolError::InvalidParameter {
                name: "gap_threshold_s",
                ..
            })
        ));
    }

    #[test]
    fn time_is_attributed_to_the_cell_of_each_stretch_start() {
        // Two 100 m cells side by side; walk 150 m east at 1 m/s, then a hole.
        let cells = vec![
            ("west".to_owned(), rect(-1.0, -50.0, 101.0, 100.0)),
            ("east".to_owned(), rect(100.0, -50.0, 100.0, 100.0)),
            ("far".to_owned(), rect(5_000.0, 0.0, 100.0, 100.0)),
        ];
        let mut fixes = walk(T0, 151, 1.0);
        fixes.push(fix_xy(T0 + 400_000, 150.0, 0.0));
        let got = time_in_cells(&points(fixes), &cells, &StatsParams::default()).unwrap();
        let secs: Vec<f64> = got.iter().map(|c| c.seconds).collect();
        assert_eq!(got[0].cell_id, "west");
        // Stretches start at x = 0 ..= 149; the one at x = 100 is on both cells: the first wins.
        assert_eq!(secs, [101.0, 49.0, 0.0]);
    }

    #[test]
    fn a_broken_cell_is_named() {
        let broken = Polygon::new(geo::LineString::new(vec![]), vec![]);
        let err = time_in_cells(&[], &[("A1".to_owned(), broken)], &StatsParams::default());
        assert!(matches!(err, Err(PatrolError::InvalidCell { id, .. }) if id == "A1"));
    }
}
