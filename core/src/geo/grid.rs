//! The unit grid: cells loaded from GeoJSON, indexed for "which cell am I in?".
//!
//! The server sends the city's cells as a GeoJSON FeatureCollection (one Polygon per
//! cell, with `code` and `name` properties). A worker's phone must answer, offline and
//! fast, which cell a position falls in, so the cells sit behind an R-tree of their
//! bounding boxes and the few candidates are tested exactly. Input is validated once,
//! here, so a bad catalogue is refused with a reason instead of mislocating reports.

use std::collections::{BTreeMap, HashSet};
use std::fmt;

use ::geo::{BoundingRect, Coord, GeodesicArea, Intersects, LineString, Point, Polygon};
use geojson::{Feature, FeatureCollection, GeoJson, Geometry, GeometryValue, JsonObject, Position};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::RTree;
use serde_json::Value;

use super::{validate_point, CellCode, GridError};

/// One unit grid cell: its code, display name and boundary.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    /// The validated cell code.
    pub code: CellCode,
    /// Display name (may be empty).
    pub name: String,
    /// The feature's other names, kept as given so that shells can show them: string
    /// properties named `name_*` (`name_zh`, `name_en`) or containing `_name`
    /// (`street_name`, `community_name_zh`, …). Empty for most grids.
    pub labels: BTreeMap<String, String>,
    /// The boundary, x = longitude, y = latitude, WGS-84 degrees. Rings are closed.
    pub polygon: Polygon<f64>,
}

impl Cell {
    /// Geodesic area of the cell on the WGS-84 ellipsoid, in square metres (holes
    /// subtracted).
    pub fn area_m2(&self) -> f64 {
        self.polygon.geodesic_area_unsigned()
    }
}

/// An R-tree entry: a cell's bounding box and its index in `Grid::cells`.
type IndexEntry = GeomWithData<Rectangle<[f64; 2]>, usize>;

/// A set of cells with unique codes, sorted by code, and a spatial index over them.
///
/// `Clone`, `Send` and `Sync`; share one behind an `Arc` when many threads need it.
#[derive(Clone)]
pub struct Grid {
    /// Sorted by code, so "smallest code" is "smallest index".
    cells: Vec<Cell>,
    index: RTree<IndexEntry>,
}

impl Grid {
    /// Builds a grid from cells in any order.
    ///
    /// # Errors
    /// [`GridError::DuplicateCode`] if two cells share a code; [`GridError::RingTooShort`]
    /// if a ring has fewer than 4 positions; [`GridError::InvalidVertex`] if a vertex is
    /// not a finite WGS-84 coordinate.
    pub fn from_cells(mut cells: Vec<Cell>) -> Result<Grid, GridError> {
        cells.sort_by(|a, b| a.code.cmp(&b.code));
        if let Some(pair) = cells.windows(2).find(|w| w[0].code == w[1].code) {
            return Err(GridError::DuplicateCode {
                code: pair[0].code.to_string(),
            });
        }
        let mut entries = Vec::with_capacity(cells.len());
        for (i, cell) in cells.iter().enumerate() {
            let code = cell.code.as_str();
            for ring in std::iter::once(cell.polygon.exterior()).chain(cell.polygon.interiors()) {
                check_ring(code, ring.0.iter().map(|c| (c.x, c.y)))?;
            }
            let rect = cell
                .polygon
                .bounding_rect()
                .ok_or_else(|| GridError::RingTooShort {
                    code: code.to_owned(),
                    points: 0,
                })?;
            let (min, max) = (rect.min(), rect.max());
            entries.push(IndexEntry::new(
                Rectangle::from_corners([min.x, min.y], [max.x, max.y]),
                i,
            ));
        }
        Ok(Grid {
            cells,
            index: RTree::bulk_load(entries),
        })
    }

    /// Parses a GeoJSON FeatureCollection of cells. Each feature needs a Polygon
    /// geometry (a MultiPolygon with exactly one part is taken as that polygon), a
    /// string `code` and optionally a string `name`; other properties are ignored.
    /// A third coordinate (altitude), if present, is dropped.
    ///
    /// # Errors
    /// [`GridError::MalformedGeoJson`], [`GridError::NotFeatureCollection`],
    /// [`GridError::MissingCode`], [`GridError::InvalidProperty`],
    /// [`GridError::InvalidCode`], [`GridError::UnsupportedGeometry`],
    /// [`GridError::RingTooShort`], [`GridError::InvalidVertex`] or
    /// [`GridError::DuplicateCode`], for the first problem found.
    pub fn from_geojson(text: &str) -> Result<Grid, GridError> {
        let collection = match text.parse::<GeoJson>() {
            Ok(GeoJson::FeatureCollection(fc)) => fc,
            Ok(GeoJson::Feature(_)) => return Err(not_collection("Feature")),
            Ok(GeoJson::Geometry(g)) => return Err(not_collection(g.value.type_name())),
            Err(e) => return Err(GridError::MalformedGeoJson(e.to_string())),
        };
        let mut seen = HashSet::with_capacity(collection.features.len());
        let mut cells = Vec::with_capacity(collection.features.len());
        for (i, feature) in collection.features.iter().enumerate() {
            let cell = cell_from_feature(i, feature)?;
            if !seen.insert(cell.code.clone()) {
                return Err(GridError::DuplicateCode {
                    code: cell.code.to_string(),
                });
            }
            cells.push(cell);
        }
        Grid::from_cells(cells)
    }

    /// Writes the grid as a GeoJSON FeatureCollection (features sorted by code, with
    /// `code` and `name` properties) that [`Grid::from_geojson`] reads back equal.
    pub fn to_geojson(&self) -> String {
        let collection: FeatureCollection = self.cells.iter().map(feature_from_cell).collect();
        // Serialising geojson's own types into a String has no failure path: keys are
        // strings and every coordinate was checked finite on the way in.
        serde_json::to_string(&collection).unwrap_or_default()
    }

    /// The cell containing a WGS-84 point, or `None` if no cell does (or the point is
    /// not a valid coordinate). A point on an edge or vertex shared by several cells
    /// goes to the one with the smallest code, so the answer never depends on load
    /// order.
    pub fn locate(&self, lat: f64, lon: f64) -> Option<&Cell> {
        validate_point(lat, lon).ok()?;
        let point = Point::new(lon, lat);
        self.index
            .locate_all_at_point([lon, lat])
            .map(|entry| entry.data)
            .filter(|&i| self.cells[i].polygon.intersects(&point))
            .min()
            .map(|i| &self.cells[i])
    }

    /// The cell with exactly this code, if any.
    pub fn cell(&self, code: &str) -> Option<&Cell> {
        self.cells
            .binary_search_by(|c| c.code.as_str().cmp(code))
            .ok()
            .map(|i| &self.cells[i])
    }

    /// All cells whose code starts with `prefix` (a district, street or community
    /// code), in code order. An empty prefix gives every cell.
    pub fn cells_with_prefix(&self, prefix: &str) -> &[Cell] {
        let start = self.cells.partition_point(|c| c.code.as_str() < prefix);
        let len = self.cells[start..]
            .iter()
            .take_while(|c| c.code.as_str().starts_with(prefix))
            .count();
        &self.cells[start..start + len]
    }

    /// All cells, sorted by code.
    pub fn cells(&self) -> &[Cell] {
        &self.cells
    }

    /// Number of cells.
    pub fn len(&self) -> usize {
        self.cells.len()
    }

    /// `true` when the grid has no cells.
    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }
}

impl PartialEq for Grid {
    /// Two grids are equal when they hold the same cells (the index follows from them).
    fn eq(&self, other: &Self) -> bool {
        self.cells == other.cells
    }
}

impl fmt::Debug for Grid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Grid")
            .field("len", &self.cells.len())
            .field("first", &self.cells.first().map(|c| c.code.as_str()))
            .field("last", &self.cells.last().map(|c| c.code.as_str()))
            .finish()
    }
}

fn not_collection(found: &str) -> GridError {
    GridError::NotFeatureCollection {
        found: found.to_owned(),
    }
}

/// Validates one feature and turns it into a cell.
fn cell_from_feature(index: usize, feature: &Feature) -> Result<Cell, GridError> {
    let props = feature.properties.as_ref();
    let code = match props.and_then(|p| p.get("code")) {
        None | Some(Value::Null) => return Err(GridError::MissingCode { feature: index }),
        Some(Value::String(s)) => CellCode::parse(s)?,
        Some(other) => return Err(wrong_type(index, "code", other)),
    };
    let name = match props.and_then(|p| p.get("name")) {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => return Err(wrong_type(index, "name", other)),
    };
    let unsupported = |found: String| GridError::UnsupportedGeometry {
        code: code.to_string(),
        found,
    };
    let rings = match feature.geometry.as_ref().map(|g| &g.value) {
        None => return Err(unsupported("no geometry".to_owned())),
        Some(GeometryValue::Polygon { coordinates }) => coordinates,
        Some(GeometryValue::MultiPolygon { coordinates }) => match coordinates.as_slice() {
            [only] => only,
            parts => {
                return Err(unsupported(format!(
                    "a MultiPolygon with {} parts (a cell must be one polygon)",
                    parts.len()
                )))
            }
        },
        Some(other) => return Err(unsupported(format!("a {}", other.type_name()))),
    };
    let polygon = polygon_from_rings(code.as_str(), rings)?;
    let labels = props
        .into_iter()
        .flatten()
        .filter(|(k, _)| is_label_key(k))
        .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
        .collect();
    Ok(Cell {
        code,
        name,
        labels,
        polygon,
    })
}

/// A property kept in [`Cell::labels`]: another name of the cell or of its street or
/// community.
fn is_label_key(key: &str) -> bool {
    key.starts_with("name_") || key.contains("_name")
}

fn wrong_type(feature: usize, key: &str, found: &Value) -> GridError {
    let kind = match found {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    };
    GridError::InvalidProperty {
        feature,
        key: key.to_owned(),
        reason: format!("must be a string, found {kind}"),
    }
}

/// Checks GeoJSON rings (exterior first) and builds the polygon.
fn polygon_from_rings(code: &str, rings: &[Vec<Position>]) -> Result<Polygon<f64>, GridError> {
    let Some((exterior, interiors)) = rings.split_first() else {
        return Err(GridError::RingTooShort {
            code: code.to_owned(),
            points: 0,
        });
    };
    let to_line = |ring: &Vec<Position>| -> Result<LineString<f64>, GridError> {
        // geojson guarantees at least 2 values per position; guard anyway with NaN,
        // which check_ring rejects.
        let xy = |p: &Position| match p.as_slice() {
            [x, y, ..] => (*x, *y),
            _ => (f64::NAN, f64::NAN),
        };
        check_ring(code, ring.iter().map(xy))?;
        Ok(ring
            .iter()
            .map(|p| {
                let (x, y) = xy(p);
                Coord { x, y }
            })
            .collect())
    };
    let exterior = to_line(exterior)?;
    let interiors = interiors.iter().map(to_line).collect::<Result<_, _>>()?;
    Ok(Polygon::new(exterior, interiors))
}

/// A ring needs 4 positions (a closed triangle) and valid WGS-84 vertices.
fn check_ring(
    code: &str,
    ring: impl ExactSizeIterator<Item = (f64, f64)>,
) -> Result<(), GridError> {
    if ring.len() < 4 {
        return Err(GridError::RingTooShort {
            code: code.to_owned(),
            points: ring.len(),
        });
    }
    for (lon, lat) in ring {
        if validate_point(lat, lon).is_err() {
            return Err(GridError::InvalidVertex {
                code: code.to_owned(),
                lat,
                lon,
            });
        }
    }
    Ok(())
}

fn feature_from_cell(cell: &Cell) -> Feature {
    let mut properties = JsonObject::new();
    properties.insert("code".to_owned(), Value::from(cell.code.as_str()));
    properties.insert("name".to_owned(), Value::from(cell.name.as_str()));
    for (key, value) in &cell.labels {
        properties.insert(key.clone(), Value::from(value.as_str()));
    }
    Feature {
        geometry: Some(Geometry::new(GeometryValue::from(&cell.polygon))),
        properties: Some(properties),
        ..Feature::default()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// A 2×2 block of unit-ish squares around (31.30 N, 120.60 E), codes …01 to …04,
    /// written out of order to show the grid sorts them.
    fn block() -> String {
        let sq = |code: &str, x0: f64, y0: f64| {
            let (x1, y1) = (x0 + 0.01, y0 + 0.01);
            format!(
                r#"{{"type":"Feature","properties":{{"code":"{code}","name":"cell {code}"}},
                "geometry":{{"type":"Polygon","coordinates":[[[{x0},{y0}],[{x1},{y0}],[{x1},{y1}],[{x0},{y1}],[{x0},{y0}]]]}}}}"#
            )
        };
        let features = [
            sq("32050800100104", 120.61, 31.29),
            sq("32050800100101", 120.60, 31.30),
            sq("32050800100102", 120.61, 31.30),
            sq("32050800100103", 120.60, 31.29),
        ];
        format!(
            r#"{{"type":"FeatureCollection","features":[{}]}}"#,
            features.join(",")
        )
    }

    fn collection(features: &str) -> String {
        format!(r#"{{"type":"FeatureCollection","features":[{features}]}}"#)
    }

    fn feature(props: &str, geometry: &str) -> String {
        format!(r#"{{"type":"Feature","properties":{props},"geometry":{geometry}}}"#)
    }

    const SQUARE: &str = r#"{"type":"Polygon","coordinates":[[[120.6,31.3],[120.61,31.3],[120.61,31.31],[120.6,31.31],[120.6,31.3]]]}"#;

    #[test]
    fn loads_sorts_and_finds_cells() {
        let grid = Grid::from_geojson(&block()).unwrap();
        assert_eq!(grid.len(), 4);
        assert!(!grid.is_empty());
        let codes: Vec<&str> = grid.cells().iter().map(|c| c.code.as_str()).collect();
        assert_eq!(
            codes,
            [
                "32050800100101",
                "32050800100102",
                "32050800100103",
                "32050800100104"
            ]
        );
        assert_eq!(
            grid.cell("32050800100103").unwrap().name,
            "cell 32050800100103"
        );
        assert!(grid.cell("32050800100105").is_none());
        assert!(grid.cell("not a code").is_none());
    }

    #[test]
    fn locates_interior_points() {
        let grid = Grid::from_geojson(&block()).unwrap();
        let at = |lat, lon| grid.locate(lat, lon).map(|c| c.code.as_str());
        assert_eq!(at(31.305, 120.605), Some("32050800100101"));
        assert_eq!(at(31.305, 120.615), Some("32050800100102"));
        assert_eq!(at(31.295, 120.605), Some("32050800100103"));
        assert_eq!(at(31.295, 120.615), Some("32050800100104"));
        assert_eq!(at(31.35, 120.605), None);
        assert_eq!(at(f64::NAN, 120.605), None);
        assert_eq!(at(31.305, 400.0), None);
    }

    #[test]
    fn shared_edges_and_vertices_go_to_the_smallest_code() {
        let grid = Grid::from_geojson(&block()).unwrap();
        let at = |lat, lon| grid.locate(lat, lon).map(|c| c.code.as_str());
        // The vertex shared by all four cells.
        assert_eq!(at(31.30, 120.61), Some("32050800100101"));
        // Vertical edge between 03 and 04, horizontal edge between 02 and 04.
        assert_eq!(at(31.295, 120.61), Some("32050800100103"));
        assert_eq!(at(31.30, 120.615), Some("32050800100102"));
        // The outer boundary still belongs to its cell.
        assert_eq!(at(31.31, 120.605), Some("32050800100101"));
        // Same answers whatever order the features came in: reload from the output.
        let again = Grid::from_geojson(&grid.to_geojson()).unwrap();
        assert_eq!(
            again.locate(31.30, 120.61).unwrap().code.as_str(),
            "32050800100101"
        );
    }

    #[test]
    fn geojson_round_trips() {
        let grid = Grid::from_geojson(&block()).unwrap();
        let text = grid.to_geojson();
        let back = Grid::from_geojson(&text).unwrap();
        assert_eq!(back, grid);
        assert_eq!(back.to_geojson(), text);
    }

    #[test]
    fn other_names_are_kept_and_round_trip() {
        let text = collection(&feature(
            r#"{"code":"320508001001015","name":"cell 15","name_zh":"第15格","street_name":"Lanxi St","street_name_zh":"兰溪街道","colour":"red","community_name":7}"#,
            SQUARE,
        ));
        let grid = Grid::from_geojson(&text).unwrap();
        let cell = &grid.cells()[0];
        let keys: Vec<&str> = cell.labels.keys().map(String::as_str).collect();
        assert_eq!(keys, ["name_zh", "street_name", "street_name_zh"]);
        assert_eq!(cell.labels["street_name_zh"], "兰溪街道");
        let back = Grid::from_geojson(&grid.to_geojson()).unwrap();
        assert_eq!(back, grid);
    }

    #[test]
    fn name_is_optional_and_extra_properties_are_ignored() {
        let text = collection(&feature(
            r#"{"code":"320508001001015","colour":"red"}"#,
            SQUARE,
        ));
        let grid = Grid::from_geojson(&text).unwrap();
        assert_eq!(grid.cells()[0].name, "");
        assert_eq!(grid.cells()[0].code.sequence(), "015");
    }

    #[test]
    fn single_part_multipolygon_is_accepted() {
        let multi = r#"{"type":"MultiPolygon","coordinates":[[[[120.6,31.3],[120.61,31.3],[120.61,31.31],[120.6,31.3]]]]}"#;
        let grid = Grid::from_geojson(&collection(&feature(r#"{"code":"32050800100101"}"#, multi)))
            .unwrap();
        assert_eq!(grid.len(), 1);
    }

    #[test]
    fn area_is_geodesic_square_metres() {
        let grid = Grid::from_geojson(&collection(&feature(
            r#"{"code":"32050800100101"}"#,
            SQUARE,
        )))
        .unwrap();
        // 0.01° × 0.01° at 31.3 N ≈ 1,109 m × 951 m ≈ 1.055 km².
        let area = grid.cells()[0].area_m2();
        assert!((1.0e6..1.1e6).contains(&area), "{area}");
    }

    #[test]
    fn empty_collection_is_an_empty_grid() {
        let grid = Grid::from_geojson(&collection("")).unwrap();
        assert!(grid.is_empty());
        assert!(grid.locate(31.3, 120.6).is_none());
    }

    #[test]
    fn prefix_selects_a_street_or_community() {
        let grid = Grid::from_geojson(&block()).unwrap();
        assert_eq!(grid.cells_with_prefix("320508001").len(), 4);
        assert_eq!(grid.cells_with_prefix("32050800100102").len(), 1);
        assert_eq!(grid.cells_with_prefix("320508002").len(), 0);
        assert_eq!(grid.cells_with_prefix("").len(), 4);
    }

    fn load_err(text: &str) -> GridError {
        Grid::from_geojson(text).unwrap_err()
    }

    #[test]
    fn each_bad_input_gets_its_own_error() {
        assert!(matches!(
            load_err("{not json"),
            GridError::MalformedGeoJson(_)
        ));
        assert!(matches!(load_err("[1, 2]"), GridError::MalformedGeoJson(_)));
        assert!(matches!(
            load_err(&feature(r#"{"code":"32050800100101"}"#, SQUARE)),
            GridError::NotFeatureCollection { found } if found == "Feature"
        ));
        assert!(matches!(
            load_err(SQUARE),
            GridError::NotFeatureCollection { found } if found == "Polygon"
        ));
        assert_eq!(
            load_err(&collection(&feature(r#"{"name":"x"}"#, SQUARE))),
            GridError::MissingCode { feature: 0 }
        );
        assert_eq!(
            load_err(&collection(&feature("null", SQUARE))),
            GridError::MissingCode { feature: 0 }
        );
        assert!(matches!(
            load_err(&collection(&feature(r#"{"code":32050800100101}"#, SQUARE))),
            GridError::InvalidProperty { feature: 0, key, .. } if key == "code"
        ));
        assert!(matches!(
            load_err(&collection(&feature(r#"{"code":"32050800100101","name":7}"#, SQUARE))),
            GridError::InvalidProperty { key, .. } if key == "name"
        ));
        assert!(matches!(
            load_err(&collection(&feature(r#"{"code":"3205080010010"}"#, SQUARE))),
            GridError::InvalidCode { value, .. } if value == "3205080010010"
        ));
        let twice = vec![feature(r#"{"code":"32050800100101"}"#, SQUARE); 2].join(",");
        assert_eq!(
            load_err(&collection(&twice)),
            GridError::DuplicateCode {
                code: "32050800100101".into()
            }
        );
    }

    #[test]
    fn geometry_errors_are_typed() {
        let with = |geometry: &str| {
            load_err(&collection(&feature(
                r#"{"code":"32050800100101"}"#,
                geometry,
            )))
        };
        assert!(matches!(
            with(r#"{"type":"Point","coordinates":[120.6,31.3]}"#),
            GridError::UnsupportedGeometry { found, .. } if found.contains("Point")
        ));
        assert!(matches!(
            with(r#"{"type":"LineString","coordinates":[[120.6,31.3],[120.7,31.3]]}"#),
            GridError::UnsupportedGeometry { found, .. } if found.contains("LineString")
        ));
        assert!(matches!(
            with("null"),
            GridError::UnsupportedGeometry { found, .. } if found == "no geometry"
        ));
        let two_parts = r#"{"type":"MultiPolygon","coordinates":[
            [[[120.6,31.3],[120.61,31.3],[120.61,31.31],[120.6,31.3]]],
            [[[120.7,31.3],[120.71,31.3],[120.71,31.31],[120.7,31.3]]]]}"#;
        assert!(matches!(
            with(two_parts),
            GridError::UnsupportedGeometry { found, .. } if found.contains("2 parts")
        ));
        assert_eq!(
            with(r#"{"type":"Polygon","coordinates":[[[120.6,31.3],[120.61,31.3],[120.6,31.3]]]}"#),
            GridError::RingTooShort {
                code: "32050800100101".into(),
                points: 3
            }
        );
        assert_eq!(
            with(r#"{"type":"Polygon","coordinates":[]}"#),
            GridError::RingTooShort {
                code: "32050800100101".into(),
                points: 0
            }
        );
        assert_eq!(
            with(
                r#"{"type":"Polygon","coordinates":[[[120.6,31.3],[120.61,91.0],[120.61,31.31],[120.6,31.3]]]}"#
            ),
            GridError::InvalidVertex {
                code: "32050800100101".into(),
                lat: 91.0,
                lon: 120.61
            }
        );
        assert!(matches!(
            with(r#"{"type":"Polygon","coordinates":[[[120.6,31.3],[190.0,31.3],[120.61,31.31],[120.6,31.3]]]}"#),
            GridError::InvalidVertex { lon, .. } if lon == 190.0
        ));
        // A hole is checked like the exterior.
        assert!(matches!(
            with(
                r#"{"type":"Polygon","coordinates":[[[120.6,31.3],[120.61,31.3],[120.61,31.31],[120.6,31.3]],[[120.605,31.301],[120.606,31.301]]]}"#
            ),
            GridError::RingTooShort { points: 2, .. }
        ));
    }

    #[test]
    fn from_cells_rejects_non_finite_vertices() {
        let polygon = Polygon::new(
            LineString::from(vec![
                (120.6, 31.3),
                (f64::NAN, 31.3),
                (120.61, 31.31),
                (120.6, 31.3),
            ]),
            vec![],
        );
        let cell = Cell {
            code: CellCode::parse("32050800100101").unwrap(),
            name: String::new(),
            labels: BTreeMap::new(),
            polygon,
        };
        assert!(matches!(
            Grid::from_cells(vec![cell]),
            Err(GridError::InvalidVertex { lon, .. }) if lon.is_nan()
        ));
    }

    #[test]
    fn grid_is_shareable_across_threads() {
        fn assert_send_sync_clone<T: Send + Sync + Clone>() {}
        assert_send_sync_clone::<Grid>();
    }
}
