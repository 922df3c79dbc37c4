//! A pull page as a device receives it: decoded, then applied to a real store on disk
//! (the events are checked, stored, folded and indexed, or refused with an error).
#![no_main]

use gridwork_core::{sync::wire::PullResponse, Store};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn store() -> &'static Store {
    static STORE: OnceLock<(Store, std::path::PathBuf)> = OnceLock::new();
    &STORE
        .get_or_init(|| {
            let dir =
                std::env::temp_dir().join(format!("gridwork-fuzz-pull-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            let store = Store::open(&dir).expect("store");
            store
                .init_with_device(
                    "wang",
                    gridwork_core::model::Role::Supervisor,
                    "fuzz-tablet",
                )
                .expect("init");
            store
                .import_grid(include_str!("../../data/kcity-grid.geojson"))
                .expect("grid");
            store
                .import_catalog(include_str!("../../data/kcity-catalog.json"))
                .expect("catalog");
            (store, dir)
        })
        .0
}

fuzz_target!(|data: &[u8]| {
    let Ok(page) = serde_json::from_slice::<PullResponse>(data) else {
        return;
    };
    let _ = store().apply_remote(&page.events);
});
