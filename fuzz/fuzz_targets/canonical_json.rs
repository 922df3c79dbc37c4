//! The canonical JSON the event hash is computed over: any JSON value canonicalises
//! without panicking, the canonical text parses back to the same value, and
//! canonicalising it again changes nothing.
#![no_main]

use gridwork_core::model::canonical_json;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let text = canonical_json(&value);
    let back: serde_json::Value = serde_json::from_str(&text).expect("canonical JSON parses");
    assert_eq!(canonical_json(&back), text, "canonical form is stable");
});
