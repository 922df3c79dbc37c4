//! A city grid imported from GeoJSON, then located in and written back.
#![no_main]

use gridwork_core::geo::Grid;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(grid) = Grid::from_geojson(text) {
        let _ = grid.locate(31.3, 120.6);
        let _ = grid.cells_with_prefix("3205");
        let again = Grid::from_geojson(&grid.to_geojson()).expect("a grid reads back");
        assert_eq!(again.len(), grid.len());
    }
});
