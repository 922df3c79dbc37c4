//! A worker's patrol day, as core/benches/common records it (the same walk, so the
//! figures compare with docs/benchmarks.md's patrol rows).

use gridwork_core::{model::Role, Store};

use crate::data::{CATALOG, GRID};

/// Gives a fresh store its identity, the K city grid and the catalogue.
pub fn set_up(store: Store, user: &str, role: Role, device: &str) -> Store {
    store
        .init_with_device(user, role, device)
        .expect("identity");
    store.import_grid(GRID).expect("grid");
    store.import_catalog(CATALOG).expect("catalogue");
    store
}

/// 8 hours at 1 Hz (28,800 fixes) appended in 10-second batches to a fresh store (set
/// up with [`set_up`]): a worker walking a lawnmower pattern at 1.2 m/s over the four
/// cells of one community. The patrol is finished at the end.
pub fn append_day(s: Store, t0: i64) -> (Store, uuid::Uuid) {
    append_hours(s, t0, 8)
}

/// [`append_day`]'s walk for `hours` hours.
pub fn append_hours(s: Store, t0: i64, hours: usize) -> (Store, uuid::Uuid) {
    use geo::BoundingRect;
    use gridwork_core::patrol::{Fix, Provider};
    let grid = s.grid().expect("the sample grid");
    let cells: Vec<String> = grid
        .cells_with_prefix("320508001001")
        .iter()
        .take(4)
        .map(|c| c.code.as_str().to_string())
        .collect();
    let mut bbox = grid
        .cell(&cells[0])
        .expect("the sample grid")
        .polygon
        .bounding_rect()
        .expect("the sample grid");
    for c in &cells[1..] {
        let r = grid
            .cell(c)
            .expect("the sample grid")
            .polygon
            .bounding_rect()
            .expect("the sample grid");
        bbox = geo::Rect::new(
            geo::coord! { x: bbox.min().x.min(r.min().x), y: bbox.min().y.min(r.min().y) },
            geo::coord! { x: bbox.max().x.max(r.max().x), y: bbox.max().y.max(r.max().y) },
        );
    }
    let id = s.start_patrol(&cells).expect("start patrol");
    // Lanes 40 m apart, walked east and west in turn.
    let (w, h) = (bbox.width(), bbox.height());
    let step = 1.2 / (111_320.0 * bbox.min().y.to_radians().cos());
    let lane = 40.0 / 111_320.0;
    let per_lane = (w / step) as i64;
    let lanes = ((h / lane) as i64).max(1);
    let position = |t: i64| {
        let n = t / per_lane;
        let k = t % per_lane;
        let row = n % (2 * lanes);
        let y = bbox.min().y
            + lane
                * (if row < lanes {
                    row
                } else {
                    2 * lanes - 1 - row
                }) as f64;
        let x = if n % 2 == 0 {
            bbox.min().x + k as f64 * step
        } else {
            bbox.max().x - k as f64 * step
        };
        (y, x)
    };
    for b in 0..(hours as i64 * 360) {
        let batch: Vec<Fix> = (0..10)
            .map(|k| {
                let t = b * 10 + k;
                let (lat, lon) = position(t);
                Fix {
                    time_ms: t0 + t * 1000,
                    lat,
                    lon,
                    accuracy_m: 6.0,
                    speed_mps: Some(1.2),
                    bearing_deg: None,
                    altitude_m: None,
                    provider: Provider::Fused,
                    mock: false,
                }
            })
            .collect();
        s.add_fixes(id, batch).expect("fixes");
    }
    s.finish_patrol(id).expect("finish patrol");
    (s, id)
}
