//! Coverage: how much of each grid cell a patrol came close to.
//!
//! The coverage of a cell is the share of its area within [`CoverageParams::radius_m`]
//! (25 m: what a worker on foot can see and be seen from) of the plausible track.
//!
//! Method: the cell is sampled on a regular square lattice in a local metric projection
//! centred on the cell (points at the centres of `spacing × spacing` squares, kept when
//! inside the polygon by an even–odd scanline, so holes are honoured). The track's
//! segments near the cell are put in an R-tree in the same projection, and each lattice
//! point asks whether any segment is within the radius (re-checking the last segment
//! found first, which answers most queries). Coverage is the covered share of the
//! lattice points. A misjudged point lies within `spacing/√2` of the edge of the covered
//! region, so the error is at most the area of that band — about `√2 × spacing × L`
//! for a covered region whose edge has length `L` inside the cell — and in practice far
//! smaller because errors on either side cancel. `docs/patrols.md` gives figures.

use geo::Polygon;
use rstar::{PointDistance, RTree, RTreeObject, AABB};
use serde::{Deserialize, Serialize};

use super::fix::TrackPoint;
use super::local::{
    bbox_centre, check_cell, check_positive, check_time_order, geodesic_area_m2, plausible_indices,
    segment_distance_2, LocalFrame,
};
use super::PatrolError;

/// A cell is sampled with at least this many lattice points (the spacing shrinks for
/// small cells), so its coverage is never judged on a handful.
const MIN_SAMPLES: f64 = 2_500.0;
/// …and at most about this many (the spacing grows for huge cells), bounding the cost.
const MAX_SAMPLES: f64 = 250_000.0;

/// Tuning of [`coverage`]; [`Default`] gives the documented values.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CoverageParams {
    /// A place counts as covered when the track came within this distance. Default 25 m.
    pub radius_m: f64,
    /// Lattice spacing; smaller is more exact and slower. Default 3 m.
    pub spacing_m: f64,
    /// The track is not drawn across a hole in the log longer than this (the worker's
    /// path across it is unknown); the fixes on either side still count. Default 60 s.
    pub gap_threshold_s: f64,
}

impl Default for CoverageParams {
    fn default() -> Self {
        CoverageParams {
            radius_m: 25.0,
            spacing_m: 3.0,
            gap_threshold_s: 60.0,
        }
    }
}

/// The coverage of one cell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CellCoverage {
    /// The cell's id as given.
    pub cell_id: String,
    /// The cell's area on the WGS-84 ellipsoid, m².
    pub area_m2: f64,
    /// Share of the cell within the radius of the track, 0 ..= 1.
    pub covered_share: f64,
    /// `covered_share × area_m2`, m².
    pub covered_m2: f64,
    /// Lattice points that fell inside the cell.
    pub samples: usize,
    /// The lattice spacing used for this cell, m (the parameter, adjusted for very small
    /// or very large cells).
    pub spacing_m: f64,
}

/// One stretch of track (or a lone fix, as a segment of zero length) in the cell's frame.
struct Segment {
    a: [f64; 2],
    b: [f64; 2],
}

impl RTreeObject for Segment {
    type Envelope = AABB<[f64; 2]>;
    fn envelope(&self) -> Self::Envelope {
        AABB::from_corners(self.a, self.b)
    }
}

impl PointDistance for Segment {
    fn distance_2(&self, p: &[f64; 2]) -> f64 {
        segment_distance_2(self.a, self.b, *p)
    }
}

/// Computes the coverage of each cell by the plausible points of a track given in time
/// order. Returns one entry per cell, in the order of `cells`.
///
/// Errors: [`PatrolError::NotInTimeOrder`], [`PatrolError::InvalidParameter`], and
/// [`PatrolError::InvalidCell`] for a cell that is malformed or has no area.
pub fn coverage(
    points: &[TrackPoint],
    cells: &[(String, Polygon<f64>)],
    params: &CoverageParams,
) -> Result<Vec<CellCoverage>, PatrolError> {
    check_positive("radius_m", params.radius_m)?;
    check_positive("spacing_m", params.spacing_m)?;
    check_positive("gap_threshold_s", params.gap_threshold_s)?;
    check_time_order(points)?;
    for (id, polygon) in cells {
        check_cell(id, polygon)?;
    }
    let segments = track_segments(points, params.gap_threshold_s);
    cells
        .iter()
        .map(|(id, polygon)| cell_coverage(id, polygon, &segments, params))
        .collect()
}

/// The coverage of each cell by several tracks together (each in time order): the
/// share of the cell within the radius of any of them — what a period's patrols of a
/// cell covered between them. One track gives exactly [`coverage`].
pub fn coverage_of_tracks(
    tracks: &[&[TrackPoint]],
    cells: &[(String, Polygon<f64>)],
    params: &CoverageParams,
) -> Result<Vec<CellCoverage>, PatrolError> {
    check_positive("radius_m", params.radius_m)?;
    check_positive("spacing_m", params.spacing_m)?;
    check_positive("gap_threshold_s", params.gap_threshold_s)?;
    for points in tracks {
        check_time_order(points)?;
    }
    for (id, polygon) in cells {
        check_cell(id, polygon)?;
    }
    let segments: Vec<_> = tracks
        .iter()
        .flat_map(|points| track_segments(points, params.gap_threshold_s))
        .collect();
    cells
        .iter()
        .map(|(id, polygon)| cell_coverage(id, polygon, &segments, params))
        .collect()
}

/// The track as (lon, lat) segments: consecutive plausible fixes not separated by a gap,
/// plus lone fixes (between two gaps, or the only one) as zero-length segments.
fn track_segments(points: &[TrackPoint], gap_threshold_s: f64) -> Vec<([f64; 2], [f64; 2])> {
    let kept = plausible_indices(points);
    let at = |i: usize| [points[i].fix.lon, points[i].fix.lat];
    let joined = |i: usize, j: usize| {
        (points[j].fix.time_ms - points[i].fix.time_ms) as f64 / 1000.0 <= gap_threshold_s
    };
    let mut out = Vec::with_capacity(kept.len());
    for (k, &i) in kept.iter().enumerate() {
        let to_next = kept.get(k + 1).filter(|&&j| joined(i, j));
        if let Some(&j) = to_next {
            out.push((at(i), at(j)));
        } else {
            let from_previous = k > 0 && joined(kept[k - 1], i);
            if !from_previous {
                out.push((at(i), at(i)));
            }
        }
    }
    out
}

fn cell_coverage(
    id: &str,
    polygon: &Polygon<f64>,
    segments: &[([f64; 2], [f64; 2])],
    params: &CoverageParams,
) -> Result<CellCoverage, PatrolError> {
    let no_area = || PatrolError::InvalidCell {
        id: id.to_owned(),
        problem: "has no area",
    };
    let area_m2 = geodesic_area_m2(polygon);
    if area_m2 <= 0.0 {
        return Err(no_area());
    }
    let centre = bbox_centre(polygon);
    let frame = LocalFrame::new(centre.y, centre.x);
    let rings: Vec<Vec<[f64; 2]>> = std::iter::once(polygon.exterior())
        .chain(polygon.interiors())
        .map(|ring| ring.0.iter().map(|c| frame.to_xy(c.x, c.y)).collect())
        .collect();
    let (lo, hi) = bounds(&rings[0]);

    // Only segments whose box comes near the cell's box go into the index.
    let (mx, my) = frame.scales();
    let margin = params.radius_m + 1.0;
    let (dlon, dlat) = (margin / mx, margin / my);
    let (glo, ghi) = bounds(
        &polygon
            .exterior()
            .0
            .iter()
            .map(|c| [c.x, c.y])
            .collect::<Vec<_>>(),
    );
    let near: Vec<Segment> = segments
        .iter()
        .filter(|(a, b)| {
            a[0].max(b[0]) >= glo[0] - dlon
                && a[0].min(b[0]) <= ghi[0] + dlon
                && a[1].max(b[1]) >= glo[1] - dlat
                && a[1].min(b[1]) <= ghi[1] + dlat
        })
        .map(|(a, b)| Segment {
            a: frame.to_xy(a[0], a[1]),
            b: frame.to_xy(b[0], b[1]),
        })
        .collect();
    let tree = RTree::bulk_load(near);

    let spacing = params
        .spacing_m
        .min((area_m2 / MIN_SAMPLES).sqrt())
        .max((area_m2 / MAX_SAMPLES).sqrt());
    let r2 = params.radius_m * params.radius_m;
    let mut last_hit: Option<&Segment> = None;
    let mut samples = 0usize;
    let mut covered = 0usize;
    let edges: Vec<([f64; 2], [f64; 2])> = rings
        .iter()
        .flat_map(|ring| ring.windows(2).map(|w| (w[0], w[1])))
        .collect();
    let mut band: Vec<([f64; 2], [f64; 2])> = Vec::new();
    let rows = ((hi[1] - lo[1]) / spacing).ceil() as u32;
    let columns = ((hi[0] - lo[0]) / spacing).ceil() as u32;
    for j in 0..rows {
        // Only the edges crossing this row of squares can decide what is inside it.
        let (y_lo, y_hi) = (
            lo[1] + f64::from(j) * spacing,
            lo[1] + f64::from(j + 1) * spacing,
        );
        band.clear();
        band.extend(
            edges
                .iter()
                .filter(|(a, b)| a[1].min(b[1]) < y_hi && a[1].max(b[1]) >= y_lo),
        );
        if band.is_empty() {
            continue;
        }
        for i in 0..columns {
            let (u, v) = jitter(i, j);
            let p = [lo[0] + (f64::from(i) + u) * spacing, y_lo + v * spacing];
            if !inside(&band, p) {
                continue;
            }
            samples += 1;
            let hit = match last_hit {
                Some(s) if s.distance_2(&p) <= r2 => true,
                _ => match tree.locate_within_distance(p, r2).next() {
                    Some(s) => {
                        last_hit = Some(s);
                        true
                    }
                    None => false,
                },
            };
            if hit {
                covered += 1;
            }
        }
    }
    if samples == 0 {
        return Err(no_area());
    }
    let covered_share = covered as f64 / samples as f64;
    Ok(CellCoverage {
        cell_id: id.to_owned(),
        area_m2,
        covered_share,
        covered_m2: covered_share * area_m2,
        samples,
        spacing_m: spacing,
    })
}

fn bounds(points: &[[f64; 2]]) -> ([f64; 2], [f64; 2]) {
    points.iter().fold(
        ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]),
        |(lo, hi), p| {
            (
                [lo[0].min(p[0]), lo[1].min(p[1])],
                [hi[0].max(p[0]), hi[1].max(p[1])],
            )
        },
    )
}

/// Even–odd point-in-polygon test against the edges given (those of the point's row).
/// An edge counts when the point's y is in `[min y, max y)` of it, so a vertex is never
/// counted twice.
fn inside(edges: &[([f64; 2], [f64; 2])], p: [f64; 2]) -> bool {
    let mut odd = false;
    for (a, b) in edges {
        if (a[1] <= p[1]) != (b[1] <= p[1]) {
            let x = a[0] + (p[1] - a[1]) * (b[0] - a[0]) / (b[1] - a[1]);
            if p[0] < x {
                odd = !odd;
            }
        }
    }
    odd
}

/// Where in lattice square (`i`, `j`) its sample lies, as fractions of the spacing in
/// [0, 1): a fixed pseudo-random position from a hash of the indices (SplitMix64), so
/// that results are the same on every device while edges along streets, which line up
/// with a plain lattice, do not bias the count.
fn jitter(i: u32, j: u32) -> (f64, f64) {
    let mut z = (u64::from(i) << 32 | u64::from(j)).wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    let unit = |bits: u64| (bits as f64) / (1u64 << 32) as f64;
    (unit(z >> 32), unit(z & 0xFFFF_FFFF))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::patrol::integrity::FixFlags;
    use crate::patrol::testkit::{fix_xy, rect};
    use geo::{LineString, Polygon};

    const T0: i64 = 1_700_000_000_000;

    /// A walk at 1.2 m/s, one fix a second, along straight legs through the given points
    /// (metres east, north of the test origin).
    fn walk_through(legs: &[(f64, f64)]) -> Vec<TrackPoint> {
        let mut out = Vec::new();
        let mut t = T0;
        for w in legs.windows(2) {
            let (a, b) = (w[0], w[1]);
            let len = ((b.0 - a.0).powi(2) + (b.1 - a.1).powi(2)).sqrt();
            let steps = (len / 1.2).ceil() as usize;
            for i in 0..steps {
                let f = i as f64 / steps as f64;
                out.push(TrackPoint::new(fix_xy(
                    t,
                    a.0 + f * (b.0 - a.0),
                    a.1 + f * (b.1 - a.1),
                )));
                t += 1000;
            }
        }
        let end = legs[legs.len() - 1];
        out.push(TrackPoint::new(fix_xy(t, end.0, end.1)));
        out
    }

    fn one(points: &[TrackPoint], cell: Polygon<f64>) -> CellCoverage {
        coverage(
            points,
            &[("c".to_owned(), cell)],
            &CoverageParams::default(),
        )
        .unwrap()
        .remove(0)
    }

    #[test]
    fn a_walk_down_the_middle_of_a_50_m_strip_covers_all_of_it() {
        let track = walk_through(&[(0.0, 25.0), (300.0, 25.0)]);
        let c = one(&track, rect(0.0, 0.0, 300.0, 50.0));
        assert!(c.covered_share > 0.99, "{c:?}");
        assert!((c.area_m2 - 15_000.0).abs() < 15.0, "{c:?}");
    }

    #[test]
    fn a_walk_along_one_edge_of_a_square_covers_a_twelfth_of_it() {
        let track = walk_through(&[(0.0, 0.0), (300.0, 0.0)]);
        let c = one(&track, rect(0.0, 0.0, 300.0, 300.0));
        assert!((c.covered_share - 25.0 / 300.0).abs() < 0.002, "{c:?}");
    }

    #[test]
    fn a_lawnmower_walk_covers_the_square_and_a_diagonal_the_expected_share() {
        // Lanes 50 m apart cover everything.
        let lanes: Vec<(f64, f64)> = (0..6)
            .flat_map(|j| {
                let y = 25.0 + 50.0 * j as f64;
                if j % 2 == 0 {
                    [(0.0, y), (300.0, y)]
                } else {
                    [(300.0, y), (0.0, y)]
                }
            })
            .collect();
        let c = one(&walk_through(&lanes), rect(0.0, 0.0, 300.0, 300.0));
        assert!(c.covered_share > 0.99, "{c:?}");
        // A diagonal corner to corner: everything within 25 m of the line x = y.
        let diagonal = walk_through(&[(0.0, 0.0), (300.0, 300.0)]);
        let half_width = 25.0 * std::f64::consts::SQRT_2;
        let expected = 1.0 - (300.0 - half_width).powi(2) / 90_000.0;
        let c = one(&diagonal, rect(0.0, 0.0, 300.0, 300.0));
        assert!(
            (c.covered_share - expected).abs() < 0.002,
            "{c:?} vs {expected}"
        );
    }

    #[test]
    fn two_walks_along_opposite_edges_cover_their_union_and_overlap_once() {
        let cell = || vec![("c".to_owned(), rect(0.0, 0.0, 300.0, 300.0))];
        let south = walk_through(&[(0.0, 0.0), (300.0, 0.0)]);
        let north = walk_through(&[(0.0, 300.0), (300.0, 300.0)]);
        let p = CoverageParams::default();
        let both = coverage_of_tracks(&[&south, &north], &cell(), &p).unwrap();
        assert!(
            (both[0].covered_share - 50.0 / 300.0).abs() < 0.003,
            "{both:?}"
        );
        // The same walk twice covers what it covers once.
        let twice = coverage_of_tracks(&[&south, &south], &cell(), &p).unwrap();
        assert_eq!(twice, coverage(&south, &cell(), &p).unwrap());
    }

    #[test]
    fn no_track_or_only_flagged_fixes_cover_nothing() {
        assert_eq!(one(&[], rect(0.0, 0.0, 300.0, 300.0)).covered_share, 0.0);
        let mut track = walk_through(&[(0.0, 150.0), (300.0, 150.0)]);
        for p in &mut track {
            p.flags = FixFlags::MOCK;
        }
        assert_eq!(one(&track, rect(0.0, 0.0, 300.0, 300.0)).covered_share, 0.0);
    }

    #[test]
    fn a_lone_fix_covers_a_disc_and_a_hole_in_the_log_is_not_bridged() {
        let lone = [TrackPoint::new(fix_xy(T0, 150.0, 150.0))];
        let disc = std::f64::consts::PI * 25.0 * 25.0 / 90_000.0;
        let c = one(&lone, rect(0.0, 0.0, 300.0, 300.0));
        assert!((c.covered_share - disc).abs() < 0.002, "{c:?} vs {disc}");
        // Two fixes 300 m and ten minutes apart: two discs, not a band between them.
        let far: Vec<TrackPoint> = [(T0, 0.0), (T0 + 600_000, 300.0)]
            .iter()
            .map(|&(t, x)| TrackPoint::new(fix_xy(t, x, 150.0)))
            .collect();
        let c = one(&far, rect(0.0, 0.0, 300.0, 300.0));
        assert!(
            (c.covered_share - disc).abs() < 0.002,
            "two half discs: {c:?}"
        );
    }

    #[test]
    fn holes_in_a_cell_are_not_part_of_it() {
        // A 300 m square with a 100 m courtyard in the middle; walk round the courtyard.
        let outer = rect(0.0, 0.0, 300.0, 300.0);
        let inner = rect(100.0, 100.0, 100.0, 100.0);
        let cell = Polygon::new(outer.exterior().clone(), vec![inner.exterior().clone()]);
        let c = one(&walk_through(&[(100.0, 100.0), (200.0, 100.0)]), cell);
        // Covered: the 100 m × 25 m band south of the courtyard plus a half disc beyond
        // each end of the walk.
        let expected = (100.0 * 25.0 + std::f64::consts::PI * 25.0 * 25.0) / 80_000.0;
        assert!(
            (c.covered_share - expected).abs() < 0.003,
            "{c:?} vs {expected}"
        );
        assert!((c.area_m2 - 80_000.0).abs() < 80.0);
    }

    #[test]
    fn tiny_cells_get_a_finer_lattice_and_degenerate_ones_an_error() {
        let c = one(
            &walk_through(&[(0.0, 5.0), (10.0, 5.0)]),
            rect(0.0, 0.0, 10.0, 10.0),
        );
        assert!(c.samples >= 2_000 && c.covered_share == 1.0, "{c:?}");
        let flat = rect(0.0, 0.0, 300.0, 0.0);
        let err = coverage(
            &[],
            &[("flat".to_owned(), flat)],
            &CoverageParams::default(),
        );
        assert!(matches!(
            err,
            Err(PatrolError::InvalidCell {
                problem: "has no area",
                ..
            })
        ));
        let line = Polygon::new(LineString::from(vec![(116.0, 39.0), (116.1, 39.0)]), vec![]);
        let err = coverage(
            &[],
            &[("line".to_owned(), line)],
            &CoverageParams::default(),
        );
        assert!(matches!(err, Err(PatrolError::InvalidCell { .. })));
    }
}
