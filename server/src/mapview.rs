//! The console map's overview, pure: `GET /v1/map` parameters checked against the
//! caller's scope, the clustering grid of a zoom level, and the answer's shape.
//!
//! The server aggregates so that a view of 100,000 cases costs the browser a few
//! hundred shapes: per-cell counts (open, overdue) for shading, and the cases in the
//! view's box grouped on a grid fixed to the zoom level (squares of about
//! [`CLUSTER_PX`] screen pixels), each square answered as a cluster with its count, its
//! bounds and one photo, or — a square holding a single case — as that case's marker.
//! The grid is anchored at (−180°, −90°), so a square's cases do not change as the view
//! pans. Both backends group in SQL (see [`crate::storage`]).

use crate::{
    account::Account,
    query::{self, CaseFilter, QueryError},
};
use serde::Serialize;
use uuid::Uuid;

/// The side of a clustering square, in screen pixels at its zoom (256-pixel tiles).
pub const CLUSTER_PX: f64 = 64.0;
/// Most grid squares a box may span at its zoom; a larger one is refused (a client
/// asking for the whole world at street zoom would get one cluster per case).
pub const MAX_SQUARES: f64 = 20_000.0;
/// Highest zoom level (Leaflet's default `maxZoom` is 18; the console allows 19).
pub const MAX_ZOOM: u8 = 22;

/// A box in WGS-84 degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bbox {
    /// Southern edge, latitude.
    pub south: f64,
    /// Western edge, longitude.
    pub west: f64,
    /// Northern edge, latitude.
    pub north: f64,
    /// Eastern edge, longitude.
    pub east: f64,
}

/// A checked map query.
#[derive(Debug, Clone, PartialEq)]
pub struct MapQuery {
    /// The cases shown: the case list's filters (area or scope, status, category,
    /// department, overdue, text, reported-between); its cursor and page size unused.
    pub filter: CaseFilter,
    /// The view's box: clusters and markers cover the cases inside it. Cell counts
    /// cover every cell of the filter, so a cell half in view is shaded by all its cases.
    pub bbox: Bbox,
    /// The zoom level the grid is fixed to.
    pub zoom: u8,
}

impl MapQuery {
    /// The side of a grid square, degrees.
    pub fn step_deg(&self) -> f64 {
        step_deg(self.zoom)
    }
}

/// The side of a grid square at `zoom`, degrees of longitude (and, the same number,
/// of latitude: squares are a little taller than wide on screen away from the equator,
/// which clustering does not mind).
pub fn step_deg(zoom: u8) -> f64 {
    360.0 / f64::from(1u32 << zoom.min(MAX_ZOOM)) * CLUSTER_PX / 256.0
}

fn invalid(msg: impl Into<String>) -> QueryError {
    QueryError::Invalid(msg.into())
}

/// Checks the parameters of `GET /v1/map` for `caller` at the server's time `now_ms`:
/// `bbox=west,south,east,north` and `zoom` (both required), and the case list's
/// filters except `next` and `limit` (see [`query::parse`]).
pub fn parse(
    pairs: &[(String, String)],
    caller: &Account,
    now_ms: i64,
) -> Result<MapQuery, QueryError> {
    let mut bbox = None;
    let mut zoom = None;
    let mut rest = Vec::new();
    for (k, v) in pairs {
        match k.as_str() {
            "bbox" if bbox.is_none() => bbox = Some(parse_bbox(v)?),
            "zoom" if zoom.is_none() => zoom = Some(parse_zoom(v)?),
            "bbox" | "zoom" => return Err(invalid(format!("parameter {k:?} given twice"))),
            "next" | "limit" => {
                return Err(invalid(format!(
                    "parameter {k:?} does not apply to the map (it is not paged)"
                )))
            }
            _ => rest.push((k.clone(), v.clone())),
        }
    }
    let bbox = bbox.ok_or_else(|| invalid("bbox: west,south,east,north in degrees required"))?;
    let zoom = zoom.ok_or_else(|| invalid(format!("zoom: 0 to {MAX_ZOOM} required")))?;
    let step = step_deg(zoom);
    let squares =
        ((bbox.east - bbox.west) / step).ceil() * ((bbox.north - bbox.south) / step).ceil();
    if squares > MAX_SQUARES {
        return Err(invalid(format!(
            "bbox spans {squares:.0} clustering squares at zoom {zoom}, more than {MAX_SQUARES:.0}: \
             zoom out or ask for a smaller box"
        )));
    }
    let filter = query::parse(&rest, caller, now_ms)?;
    Ok(MapQuery { filter, bbox, zoom })
}

fn parse_bbox(v: &str) -> Result<Bbox, QueryError> {
    let bad = || {
        invalid(format!(
            "bbox: {v:?}: west,south,east,north in degrees expected"
        ))
    };
    let n: Vec<f64> = v
        .split(',')
        .map(|p| p.trim().parse::<f64>().ok().filter(|x| x.is_finite()))
        .collect::<Option<_>>()
        .ok_or_else(bad)?;
    let [west, south, east, north] = n[..] else {
        return Err(bad());
    };
    if !(-180.0..=180.0).contains(&west)
        || !(-180.0..=180.0).contains(&east)
        || !(-90.0..=90.0).contains(&south)
        || !(-90.0..=90.0).contains(&north)
        || west >= east
        || south >= north
    {
        return Err(invalid(format!(
            "bbox: {v:?}: west < east within ±180, south < north within ±90 expected"
        )));
    }
    Ok(Bbox {
        south,
        west,
        north,
        east,
    })
}

fn parse_zoom(v: &str) -> Result<u8, QueryError> {
    v.parse::<u8>()
        .ok()
        .filter(|z| *z <= MAX_ZOOM)
        .ok_or_else(|| {
            invalid(format!(
                "zoom: {v:?}: a whole number from 0 to {MAX_ZOOM} expected"
            ))
        })
}

/// Cases of one cell, for shading.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CellCount {
    /// The cell's code.
    pub cell: String,
    /// Cases of the filter in it.
    pub cases: u64,
    /// Of those, open: neither closed nor cancelled.
    pub open: u64,
    /// Of those, overdue by the server's deadline and clock.
    pub overdue: u64,
}

/// A photo a cluster or marker shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PhotoLink {
    /// Its SHA-256.
    pub sha256: String,
    /// Where to fetch it (`GET /v1/blobs/{sha256}`).
    pub url: String,
}

impl PhotoLink {
    /// The link to the photo `sha256`.
    pub fn of(sha256: String) -> Self {
        PhotoLink {
            url: format!("/v1/blobs/{sha256}"),
            sha256,
        }
    }
}

/// Several cases of one grid square.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cluster {
    /// Mean latitude of its cases (where to draw it).
    pub lat: f64,
    /// Mean longitude.
    pub lon: f64,
    /// Cases in it.
    pub count: u64,
    /// Of those, open.
    pub open: u64,
    /// Of those, overdue.
    pub overdue: u64,
    /// The box of its cases `[west, south, east, north]` (a click zooms to it).
    pub bounds: [f64; 4],
    /// One of its cases' report photos (the same one each time), if any has one.
    pub photo: Option<PhotoLink>,
}

/// A grid square's only case.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Marker {
    /// The case id.
    pub id: Uuid,
    /// Its report's latitude.
    pub lat: f64,
    /// Its report's longitude.
    pub lon: f64,
    /// Where it stands (wire name).
    pub status: String,
    /// Whether it is overdue by the server's deadline and clock.
    pub overdue: bool,
    /// Its report's first photo.
    pub photo: Option<PhotoLink>,
}

/// The map's overview.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MapView {
    /// The zoom the grid was fixed to.
    pub zoom: u8,
    /// The side of a grid square, degrees.
    pub step_deg: f64,
    /// Cases in the box (in clusters and markers).
    pub total: u64,
    /// Per-cell counts of every cell of the filter holding a case, by code.
    pub cells: Vec<CellCount>,
    /// Squares of more than one case.
    pub clusters: Vec<Cluster>,
    /// Squares of one case.
    pub markers: Vec<Marker>,
}

/// One grid square as a backend reads it from its `GROUP BY`.
#[derive(Debug, Clone, PartialEq)]
pub struct Square {
    /// Cases.
    pub count: u64,
    /// Open cases.
    pub open: u64,
    /// Overdue cases.
    pub overdue: u64,
    /// Mean latitude and longitude.
    pub mean: (f64, f64),
    /// `[west, south, east, north]` of its cases.
    pub bounds: [f64; 4],
    /// The greatest photo digest among its cases.
    pub photo: Option<String>,
    /// The smallest case id (its only one when `count` is 1).
    pub id: String,
    /// The smallest status (its only one's when `count` is 1).
    pub status: String,
}

/// The answer from a backend's cells and squares (squares of one case become markers).
pub fn assemble(zoom: u8, cells: Vec<CellCount>, squares: Vec<Square>) -> MapView {
    let mut view = MapView {
        zoom,
        step_deg: step_deg(zoom),
        total: squares.iter().map(|s| s.count).sum(),
        cells,
        clusters: Vec::new(),
        markers: Vec::new(),
    };
    for s in squares {
        let id = (s.count == 1)
            .then(|| Uuid::try_parse(&s.id).ok())
            .flatten();
        match id {
            Some(id) => view.markers.push(Marker {
                id,
                lat: s.mean.0,
                lon: s.mean.1,
                status: s.status,
                overdue: s.overdue > 0,
                photo: s.photo.map(PhotoLink::of),
            }),
            None => view.clusters.push(Cluster {
                lat: s.mean.0,
                lon: s.mean.1,
                count: s.count,
                open: s.open,
                overdue: s.overdue,
                bounds: s.bounds,
                photo: s.photo.map(PhotoLink::of),
            }),
        }
    }
    view
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use gridwork_core::model::Role;

    fn q(pairs: &[(&str, &str)], scope: &[&str]) -> Result<MapQuery, QueryError> {
        let caller = Account {
            user: "wang".into(),
            role: Role::Supervisor,
            scope: scope.iter().map(|s| s.to_string()).collect(),
            password_hash: None,
        };
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        parse(&pairs, &caller, 1_000)
    }

    const CITY: &str = "120.55,31.25,120.65,31.35";

    #[test]
    fn a_box_and_zoom_with_the_case_lists_filters() {
        let m = q(
            &[
                ("bbox", CITY),
                ("zoom", "13"),
                ("status", "dispatched"),
                ("overdue", "true"),
            ],
            &["320508001"],
        )
        .unwrap();
        assert_eq!(m.bbox.west, 120.55);
        assert_eq!(m.bbox.north, 31.35);
        assert_eq!(m.zoom, 13);
        assert_eq!(m.filter.statuses, vec!["dispatched"]);
        assert_eq!(m.filter.prefixes, vec!["320508001"], "the scope applies");
        assert!(matches!(
            q(
                &[("bbox", CITY), ("zoom", "13"), ("area", "320508002")],
                &["320508001"]
            ),
            Err(QueryError::OutOfScope(_))
        ));
    }

    #[test]
    fn a_square_is_about_64_pixels_and_halves_with_each_zoom() {
        assert!((step_deg(0) - 90.0).abs() < 1e-9);
        assert!((step_deg(13) * 2.0 - step_deg(12)).abs() < 1e-12);
    }

    #[test]
    fn malformed_missing_or_oversized_boxes_are_refused() {
        for (bbox, zoom) in [
            ("120.6,31.3,120.5,31.4", "13"),
            ("120.5,31.3,120.6", "13"),
            ("a,b,c,d", "13"),
            ("120.5,31.3,120.6,NaN", "13"),
            ("-181,0,0,1", "3"),
            (CITY, "23"),
            (CITY, "-1"),
            ("-180,-90,180,90", "19"),
        ] {
            let e = q(&[("bbox", bbox), ("zoom", zoom)], &[""]).unwrap_err();
            assert!(matches!(e, QueryError::Invalid(_)), "{bbox} {zoom}: {e}");
        }
        assert!(q(&[("zoom", "13")], &[""]).is_err(), "bbox required");
        assert!(q(&[("bbox", CITY)], &[""]).is_err(), "zoom required");
        assert!(q(&[("bbox", CITY), ("zoom", "3"), ("zoom", "4")], &[""]).is_err());
        let e = q(&[("bbox", CITY), ("zoom", "13"), ("limit", "5")], &[""]).unwrap_err();
        assert!(e.to_string().contains("not paged"), "{e}");
        let e = q(&[("bbox", CITY), ("zoom", "13"), ("stauts", "x")], &[""]).unwrap_err();
        assert!(e.to_string().contains("unknown parameter"), "{e}");
    }

    #[test]
    fn a_square_of_one_case_is_a_marker_and_larger_ones_are_clusters() {
        let id = Uuid::now_v7();
        let sq = |count, id: String| Square {
            count,
            open: count,
            overdue: 1,
            mean: (31.3, 120.6),
            bounds: [120.59, 31.29, 120.61, 31.31],
            photo: Some("ab".repeat(32)),
            id,
            status: "dispatched".into(),
        };
        let v = assemble(
            13,
            vec![],
            vec![sq(1, id.to_string()), sq(7, Uuid::now_v7().to_string())],
        );
        assert_eq!(v.total, 8);
        assert_eq!(v.markers.len(), 1);
        assert_eq!(v.markers[0].id, id);
        assert!(v.markers[0].overdue);
        assert_eq!(v.clusters.len(), 1);
        assert_eq!(v.clusters[0].count, 7);
        assert_eq!(
            v.clusters[0].photo.as_ref().unwrap().url,
            format!("/v1/blobs/{}", "ab".repeat(32))
        );
    }
}
