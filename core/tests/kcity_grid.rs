//! Loads the committed K-city sample grid (data/kcity-grid.geojson) and checks it is a
//! gap-free, overlap-free tiling that `Grid::locate` answers correctly.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;

use geo::{unary_union, BooleanOps, Centroid, Contains, GeodesicArea, Intersects, Polygon};
use gridwork_core::geo::{Grid, LatLon};
use proptest::prelude::*;

const KCITY: &str = include_str!("../../data/kcity-grid.geojson");

fn kcity() -> Grid {
    Grid::from_geojson(KCITY).unwrap()
}

#[test]
fn has_the_documented_hierarchy() {
    let grid = kcity();
    assert_eq!(grid.len(), 60);
    assert!(grid.cells().iter().all(|c| c.code.as_str().len() == 14));
    assert!(grid.cells().iter().all(|c| c.code.district() == "320508"));
    let streets: BTreeSet<&str> = grid.cells().iter().map(|c| c.code.street()).collect();
    assert_eq!(streets.len(), 3);
    let communities: BTreeSet<&str> = grid.cells().iter().map(|c| c.code.community()).collect();
    assert_eq!(communities.len(), 12);
    for community in &communities {
        assert_eq!(grid.cells_with_prefix(community).len(), 5, "{community}");
    }
    assert_eq!(grid.cells_with_prefix("320508002").len(), 20);
    assert!(grid.cells().iter().all(|c| !c.name.is_empty()));
}

#[test]
fn cells_are_a_few_hundred_metres_across() {
    for cell in kcity().cells() {
        let side = cell.area_m2().sqrt();
        assert!(
            (200.0..500.0).contains(&side),
            "{} is {side} m across",
            cell.code
        );
    }
}

#[test]
fn every_centroid_locates_to_its_own_cell() {
    let grid = kcity();
    for cell in grid.cells() {
        let c = cell.polygon.centroid().unwrap();
        let found = grid.locate(c.y(), c.x()).unwrap();
        assert_eq!(found.code, cell.code);
    }
}

#[test]
fn far_away_points_locate_nowhere() {
    let grid = kcity();
    assert!(grid.locate(39.915, 116.404).is_none()); // Beijing
    assert!(grid.locate(31.40, 120.60).is_none()); // 10 km north
    assert!(grid.locate(0.0, 0.0).is_none());
}

#[test]
fn cells_tile_without_gaps_or_overlaps() {
    let grid = kcity();
    let polygons: Vec<&Polygon<f64>> = grid.cells().iter().map(|c| &c.polygon).collect();
    let sum: f64 = grid.cells().iter().map(|c| c.area_m2()).sum();
    let union = unary_union(polygons.iter().copied());
    // One outline with no holes: no gaps inside the grid.
    assert_eq!(union.0.len(), 1);
    assert!(union.0[0].interiors().is_empty());
    // Overlaps would make the sum of areas exceed the area of the union.
    let union_area = union.geodesic_area_unsigned();
    assert!(
        (sum - union_area).abs() / union_area < 0.001,
        "sum {sum} m², union {union_area} m²"
    );
    // And pairwise, neighbours share edges but no area.
    for (i, a) in polygons.iter().enumerate() {
        for b in &polygons[i + 1..] {
            let overlap = a.intersection(*b).geodesic_area_unsigned();
            assert!(overlap < 1.0, "overlap {overlap} m²");
        }
    }
}

#[test]
fn round_trips_through_geojson() {
    let grid = kcity();
    assert_eq!(Grid::from_geojson(&grid.to_geojson()).unwrap(), grid);
}

#[test]
fn shared_vertices_go_to_the_smallest_code_touching_them() {
    let grid = kcity();
    for cell in grid.cells() {
        for v in cell.polygon.exterior().coords() {
            let owners: Vec<&str> = grid
                .cells()
                .iter()
                .filter(|c| c.polygon.exterior().coords().any(|w| w == v))
                .map(|c| c.code.as_str())
                .collect();
            let found = grid.locate(v.y, v.x).unwrap();
            assert_eq!(
                Some(&found.code.as_str()),
                owners.iter().min(),
                "vertex {v:?}"
            );
        }
    }
}

proptest! {
    #[test]
    fn every_point_inside_the_grid_is_located_to_a_cell_holding_it(
        fx in 0.05f64..0.95, fy in 0.05f64..0.95,
    ) {
        let grid = kcity();
        // Sample inside the lattice, away from the jittered outer boundary.
        let p = LatLon::new(31.3075 - fy * 5.0 * 0.0030, 120.5790 + fx * 12.0 * 0.0035);
        let point = geo::Point::new(p.lon, p.lat);
        let found = grid.locate(p.lat, p.lon);
        prop_assert!(found.is_some(), "{p:?} not located");
        prop_assert!(found.unwrap().polygon.intersects(&point));
        // No two cells share interior: at most one holds the point strictly inside.
        let inside = grid.cells().iter().filter(|c| c.polygon.contains(&point)).count();
        prop_assert!(inside <= 1, "{p:?} is inside {inside} cells");
    }
}
