//! Stores and data shared by the benchmarks.
#![allow(dead_code)]

pub mod realistic;

use gridwork_core::{
    clock::Hlc,
    model::{Actor, Event, IncidentEvent, Report, Role, Stream, Urgency, GENESIS_HASH},
    store::ReportDraft,
    Store,
};
use uuid::Uuid;

pub const GRID: &str = include_str!("../../../data/kcity-grid.geojson");
pub const CATALOG: &str = include_str!("../../../data/kcity-catalog.json");

pub fn store(dir: &std::path::Path) -> Store {
    set_up(Store::open(dir).unwrap())
}

/// Gives a fresh store its identity, the K city grid and the catalogue.
pub fn set_up(store: Store) -> Store {
    store
        .init_with_device("li", Role::Worker, "bench-phone")
        .unwrap();
    store.import_grid(GRID).unwrap();
    store.import_catalog(CATALOG).unwrap();
    store
}

pub fn draft(i: usize) -> ReportDraft {
    ReportDraft {
        category: "06010".into(),
        lat: 31.30 + (i % 100) as f64 * 0.0001,
        lon: 120.60 + (i % 37) as f64 * 0.0001,
        accuracy_m: Some(5.0),
        description: format!("exposed rubbish near the bridge, heap #{i}"),
        address: Some("Pingjiang Rd".into()),
        urgency: Urgency::Normal,
        photos: vec![],
        patrol: None,
    }
}

/// `n` reports by `user` on `device`, as that device would push them (no server
/// sequence yet), spread over the cells of three streets.
pub fn reports(user: &str, device: &str, n: usize) -> Vec<Event> {
    let actor = Actor::new(user, Role::Worker);
    (0..n)
        .map(|i| {
            let d = draft(i);
            let cell = format!("3205080{:02}00{}{:02}", 1 + i % 3, 1 + i % 4, 1 + i % 5);
            let report = IncidentEvent::Reported(Report {
                category: d.category,
                lat: d.lat,
                lon: d.lon,
                accuracy_m: d.accuracy_m,
                description: d.description,
                address: d.address,
                urgency: d.urgency,
                photos: vec![],
                cell: Some(cell),
                patrol: None,
            });
            Event {
                id: Uuid::now_v7(),
                stream: Stream::Incident(Uuid::now_v7()),
                kind: report.kind().into(),
                hlc: Hlc::new(1_795_395_600_000 + i as i64 * 1000, 0),
                device_id: device.into(),
                actor: actor.clone(),
                device_seq: i as u64 + 1,
                prev_hash: GENESIS_HASH.into(),
                payload: report.payload(),
                server_seq: None,
                signature: None,
            }
        })
        .collect()
}

/// `n` reports from another device, as a pull delivers them (server sequence set).
pub fn remote_reports(n: usize) -> Vec<Event> {
    let mut events = reports("zhang", "other-phone", n);
    for (i, event) in events.iter_mut().enumerate() {
        event.server_seq = Some(i as i64 + 1);
    }
    events
}

/// User plus system CPU time of this process so far (Linux).
pub fn cpu_time() -> std::time::Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let ticks: u64 = fields.get(11).and_then(|u| u.parse().ok()).unwrap_or(0)
        + fields.get(12).and_then(|s| s.parse().ok()).unwrap_or(0);
    std::time::Duration::from_millis(ticks * 10)
}

/// 8 hours at 1 Hz (28,800 fixes) appended in 10-second batches to a fresh store (set
/// up with [`set_up`]): a worker walking a lawnmower pattern at 1.2 m/s over the four
/// cells of one community. The patrol is finished at the end.
pub fn append_day(s: Store) -> (Store, uuid::Uuid) {
    use geo::BoundingRect;
    use gridwork_core::patrol::{Fix, Provider};
    let grid = s.grid().unwrap();
    let cells: Vec<String> = grid
        .cells_with_prefix("320508001001")
        .iter()
        .take(4)
        .map(|c| c.code.as_str().to_string())
        .collect();
    let mut bbox = grid
        .cell(&cells[0])
        .unwrap()
        .polygon
        .bounding_rect()
        .unwrap();
    for c in &cells[1..] {
        let r = grid.cell(c).unwrap().polygon.bounding_rect().unwrap();
        bbox = geo::Rect::new(
            geo::coord! { x: bbox.min().x.min(r.min().x), y: bbox.min().y.min(r.min().y) },
            geo::coord! { x: bbox.max().x.max(r.max().x), y: bbox.max().y.max(r.max().y) },
        );
    }
    let id = s.start_patrol(&cells).unwrap();
    let t0 = 1_795_395_600_000i64;
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
    for b in 0..2_880i64 {
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
        s.add_fixes(id, batch).unwrap();
    }
    s.finish_patrol(id).unwrap();
    (s, id)
}
