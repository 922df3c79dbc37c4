//! A GPX track imported as fixes, normalised as a recorder batch would be.
#![no_main]

use gridwork_core::patrol::{from_gpx, normalize_batch};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(fixes) = from_gpx(text) {
        let _ = normalize_batch(None, fixes);
    }
});
