//! A category catalogue imported from JSON, then looked up and written back.
#![no_main]

use gridwork_core::catalog::Catalog;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(catalog) = Catalog::from_json(text) {
        for c in catalog.categories() {
            let _ = catalog.get(c.code.as_str());
        }
        let json = catalog.to_json().expect("a catalogue writes");
        Catalog::from_json(&json).expect("a catalogue reads back");
    }
});
