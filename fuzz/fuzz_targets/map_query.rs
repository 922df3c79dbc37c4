//! The query string of `GET /v1/map` (bbox, zoom and the case list's filters), decoded
//! as the server does and checked by `mapview::parse` for a supervisor and a worker.
#![no_main]

#[path = "query_common.rs"]
mod common;

use common::{callers, decode, NOW_MS};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(pairs) = decode::<Vec<(String, String)>>(data) else {
        return;
    };
    for caller in callers() {
        let _ = gridwork_server::mapview::parse(&pairs, &caller, NOW_MS);
    }
});
