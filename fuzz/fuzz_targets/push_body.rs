//! A push body as the server decodes it: the JSON envelope, each event's envelope, its
//! payload, its hash, and the judge's verdict against the sample city's grid and
//! catalogue (and without them).
#![no_main]

use gridwork_core::{catalog::Catalog, geo::Grid, model::Event, model::IncidentEvent, model::Role};
use gridwork_server::{
    account::Account,
    judge::{judge, Known},
};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn grid() -> &'static Grid {
    static GRID: OnceLock<Grid> = OnceLock::new();
    GRID.get_or_init(|| {
        Grid::from_geojson(include_str!("../../data/kcity-grid.geojson")).expect("sample grid")
    })
}

fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| {
        Catalog::from_json(include_str!("../../data/kcity-catalog.json")).expect("sample catalogue")
    })
}

#[derive(serde::Deserialize)]
struct RawPush {
    events: Vec<serde_json::Value>,
}

fuzz_target!(|data: &[u8]| {
    let Ok(raw) = serde_json::from_slice::<RawPush>(data) else {
        return;
    };
    let account = Account {
        user: "li".into(),
        role: Role::Worker,
        scope: vec!["320508001".into()],
        password_hash: None,
    };
    for value in raw.events {
        let Ok(event) = serde_json::from_value::<Event>(value) else {
            continue;
        };
        let _ = event.hash();
        if let Ok(parsed) = IncidentEvent::parse(&event.kind, &event.payload) {
            let _ = parsed.check_limits();
            let _ = parsed.payload();
        }
        let known = Known {
            received_ms: 1_795_395_600_000,
            ..Known::default()
        };
        let _ = judge(&account, &event, &known, Some(grid()), Some(catalog()));
        let _ = judge(&account, &event, &known, None, None);
    }
});
